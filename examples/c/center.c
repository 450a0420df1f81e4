/*
 * center.c: a whole contact center from C.
 *
 * Starts a center from its TOML file (SIP, media, queues, storage on the library's own
 * threads), prints its numbered events as they come, logs an agent in and through a break,
 * takes a JSON snapshot of the queues, then stops it gracefully.
 *
 * Build (after `cargo build -p cc-ffi`) and run:
 *   cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Icrates/cc-ffi/include \
 *      examples/c/center.c target/debug/libcc_ffi.a -lopus -lpthread -ldl -lm -o center
 *   ./center path/to/center.toml
 *
 * The configuration needs an agent "1001" (e.g. with a fixed `contact`, so no phone has
 * to register); see crates/cc-ffi/README.md for a small one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccsdk.h"

/* A string literal as a (pointer, length) pair of arguments. */
#define ARG(lit) (lit), (sizeof(lit) - 1)

/* Prints the last error with its code and returns 1 when `r` is not CC_OK. */
static int failed(const char *what, cc_result r) {
  if (r == CC_OK) {
    return 0;
  }
  char msg[1024];
  size_t n = 0;
  cc_error_message(msg, sizeof msg, &n);
  fprintf(stderr, "%s failed: %s (%u): %s\n", what, cc_result_name(r), (unsigned)r, msg);
  return 1;
}

/*
 * The event callback: runs on the center's event thread, one call at a time, never after
 * cc_center_stop returns. `json` is valid only during the call.
 */
static void on_event(void *userdata, const char *json, size_t len) {
  unsigned *count = userdata;
  *count += 1;
  printf("event %.*s\n", (int)len, json);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s center.toml\n", argv[0]);
    return 2;
  }

  /* A missing file: CC_IO_ERROR with the path in the message. */
  cc_center *none = NULL;
  cc_result r = cc_center_start(ARG("no/such/center.toml"), NULL, NULL, &none);
  char msg[1024];
  size_t n = 0;
  cc_error_message(msg, sizeof msg, &n);
  printf("missing file: %s: %s\n", cc_result_name(r), msg);

  /* The counter is written by the event thread and read here only after cc_center_stop,
   * which waits for that thread. */
  unsigned events = 0;
  cc_center *center = NULL;
  if (failed("cc_center_start", cc_center_start(argv[1], strlen(argv[1]), on_event, &events, &center))) {
    return 1;
  }
  uint16_t port = 0;
  if (failed("cc_center_sip_port", cc_center_sip_port(center, &port))) {
    cc_center_free(center);
    return 1;
  }
  printf("SIP listening on port %s\n", port != 0 ? "chosen" : "0?");

  int bad = failed("login", cc_center_agent_login(center, ARG("1001"), true)) ||
            failed("not_ready", cc_center_agent_not_ready(center, ARG("1001"), ARG("coffee"))) ||
            failed("ready", cc_center_agent_ready(center, ARG("1001")));

  /* An agent the configuration does not have. */
  r = cc_center_agent_login(center, ARG("9999"), true);
  cc_error_message(msg, sizeof msg, &n);
  printf("unknown agent: %s\n", cc_result_name(r));

  /* The snapshot: ask for the size, then copy (with room for a longer one). */
  size_t needed = 0;
  r = cc_center_snapshot_json(center, NULL, 0, &needed);
  if (r != CC_BUFFER_TOO_SMALL) {
    bad = bad || failed("cc_center_snapshot_json (size)", r);
  } else {
    size_t cap = needed + 256;
    char *json = malloc(cap);
    size_t written = 0;
    if (json == NULL) {
      bad = 1;
    } else {
      if (!failed("cc_center_snapshot_json", cc_center_snapshot_json(center, json, cap, &written))) {
        printf("snapshot %s\n", json);
      } else {
        bad = 1;
      }
      free(json);
    }
  }

  /* Stop: live calls get 200 ms; returns once every record is written and the last event
   * was delivered. */
  bad = failed("cc_center_stop", cc_center_stop(center, 200)) || bad;
  printf("events delivered: %u\n", events);
  cc_center_free(center);
  cc_center_free(NULL);
  if (bad) {
    return 1;
  }
  printf("ok\n");
  return 0;
}
