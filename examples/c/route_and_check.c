/*
 * route_and_check.c: the SDK from C.
 *
 * Routes a few contacts to agents with the ACD router (driving it with our own clock),
 * checks a broken and a good IVR flow and steps a caller through the good one, and
 * prints an Erlang C staffing figure.
 *
 * Build (after `cargo build -p cc-ffi`):
 *   cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Icrates/cc-ffi/include \
 *      examples/c/route_and_check.c target/debug/libcc_ffi.a -lopus -lpthread -ldl -lm \
 *      -o route_and_check
 */
#include <stdio.h>
#include <string.h>

#include "ccsdk.h"

/* A string literal as a (pointer, length) pair of arguments, or as a cc_str. */
#define ARG(lit) (lit), (sizeof(lit) - 1)
#define STR(lit) ((cc_str){(lit), sizeof(lit) - 1})

/* Prints the last error with its code and returns 1 when `r` is not CC_OK. */
static int failed(const char *what, cc_result r) {
  if (r == CC_OK) {
    return 0;
  }
  char msg[512];
  size_t n = 0;
  cc_error_message(msg, sizeof msg, &n);
  fprintf(stderr, "%s failed: %s (%u): %s\n", what, cc_result_name(r), (unsigned)r, msg);
  return 1;
}

static const char *kind_name(cc_command_kind kind) {
  switch (kind) {
  case CC_COMMAND_OFFER: return "offer";
  case CC_COMMAND_DIAL_CALLBACK: return "dial-callback";
  case CC_COMMAND_CANCEL_OFFER: return "cancel-offer";
  case CC_COMMAND_OVERFLOW: return "overflow";
  case CC_COMMAND_REJECT: return "reject";
  case CC_COMMAND_ANNOUNCE: return "announce";
  default: return "none";
  }
}

/* Drains the router's commands; accepts every offer at once when `accept` is set. */
static int drain(cc_router *router, uint64_t now, int accept) {
  for (;;) {
    cc_command cmd;
    if (failed("cc_router_poll_command", cc_router_poll_command(router, &cmd))) {
      return 1;
    }
    if (cmd.kind == CC_COMMAND_NONE) {
      return 0;
    }
    printf("  t=%llu ms %-13s contact=%.*s agent=%.*s queue=%.*s", (unsigned long long)now,
           kind_name(cmd.kind), (int)cmd.contact.len, cmd.contact.ptr, (int)cmd.agent.len,
           cmd.agent.ptr, (int)cmd.queue.len, cmd.queue.ptr);
    if (cmd.kind == CC_COMMAND_ANNOUNCE) {
      printf(" position=%llu wait~%llu s", (unsigned long long)cmd.position,
             (unsigned long long)(cmd.estimated_wait_ms / 1000));
    }
    if (cmd.text.len > 0) {
      printf(" (%.*s)", (int)cmd.text.len, cmd.text.ptr);
    }
    printf("\n");
    if (accept && cmd.kind == CC_COMMAND_OFFER) {
      /* The command's strings are valid only until the next router call: copy them. */
      char contact[65], agent[65];
      snprintf(contact, sizeof contact, "%.*s", (int)cmd.contact.len, cmd.contact.ptr);
      snprintf(agent, sizeof agent, "%.*s", (int)cmd.agent.len, cmd.agent.ptr);
      if (failed("cc_router_accept", cc_router_accept(router, contact, strlen(contact), agent,
                                                      strlen(agent), now))) {
        return 1;
      }
    }
  }
}

static const char ROUTER_CONFIG[] =
    "[[queue]]\n"
    "id = \"sales\"\n"
    "tenant = \"acme\"\n"
    "strategy = \"longest_idle\"\n"
    "ring_timeout_ms = 10000\n"
    "\n"
    "[[agent]]\n"
    "id = \"1001\"\n"
    "tenants = { acme = { \"lang:en\" = 8 } }\n"
    "\n"
    "[[agent]]\n"
    "id = \"1002\"\n"
    "tenants = { acme = { \"lang:en\" = 5, billing = 9 } }\n";

static int route(void) {
  printf("== routing\n");
  cc_router *router = NULL;
  if (failed("cc_router_new", cc_router_new(ROUTER_CONFIG, sizeof ROUTER_CONFIG - 1, &router))) {
    return 1;
  }
  int rc = 1;
  uint64_t now = 1000; /* our own monotonic clock, in ms */
  if (failed("login 1001", cc_router_agent_login(router, ARG("1001"), now)) ||
      failed("login 1002", cc_router_agent_login(router, ARG("1002"), now))) {
    goto out;
  }
  const char *ids[] = {"c-1", "c-2", "c-3"};
  for (int i = 0; i < 3; i++) {
    cc_contact contact = {
        .id = {ids[i], strlen(ids[i])},
        .queue = STR("sales"),
        .channel = CC_CHANNEL_VOICE,
        .priority = 0,
        .language = STR("en"),
        .skills = i == 1 ? STR("billing=5") : STR(""),
        .preferred_agent = STR(""),
    };
    if (failed("cc_router_enqueue", cc_router_enqueue(router, &contact, now)) ||
        drain(router, now, 1)) {
      goto out;
    }
    now += 500;
  }
  /* c-3 waits. When c-1 ends, its agent is free again and takes c-3, but does not answer. */
  now += 60000;
  if (failed("cc_router_complete", cc_router_complete(router, ARG("c-1"), now)) ||
      drain(router, now, 0)) {
    goto out;
  }
  uint64_t at = CC_NO_TIMEOUT;
  if (failed("cc_router_poll_timeout", cc_router_poll_timeout(router, &at))) {
    goto out;
  }
  printf("  next timer at t=%llu ms (the ring timeout)\n", (unsigned long long)at);
  if (failed("cc_router_handle_timeout", cc_router_handle_timeout(router, at)) ||
      drain(router, at, 0)) {
    goto out;
  }
  cc_queue_stats stats;
  if (failed("cc_router_queue_stats", cc_router_queue_stats(router, ARG("sales"), at, &stats))) {
    goto out;
  }
  printf("  sales: entered=%llu answered=%llu waiting=%llu in_service=%llu offers=%llu "
         "agents logged in=%u\n",
         (unsigned long long)stats.entered, (unsigned long long)stats.answered,
         (unsigned long long)stats.waiting, (unsigned long long)stats.in_service,
         (unsigned long long)stats.offers, stats.agents_logged_in);
  rc = 0;
out:
  cc_router_free(router);
  return rc;
}

static const char ENV[] = "queues = [\"sales\"]\n"
                          "prompts = [\"welcome\", \"main_menu\", \"hold\", \"busy\", \"goodbye\"]\n";

static const char BROKEN_FLOW[] = "flow broken\n"
                                  "main {\n"
                                  "    play \"welcome\"\n"
                                  "    enqueue \"salse\" timeout 60s\n"
                                  "    goto nowhere\n"
                                  "}\n";

static const char GOOD_FLOW[] = "flow support_line\n"
                                "main {\n"
                                "    play \"welcome\" barge\n"
                                "    menu prompt \"main_menu\" timeout 5s retries 1 {\n"
                                "        1 -> enqueue \"sales\" timeout 60s music \"hold\" else {\n"
                                "            play \"busy\"\n"
                                "        }\n"
                                "    } else goto bye\n"
                                "    hangup\n"
                                "bye:\n"
                                "    play \"goodbye\"\n"
                                "    hangup\n"
                                "}\n";

/* Checks a flow, prints every diagnostic, and returns its error count (or -1). */
static long check(const char *file, const char *flow, size_t flow_len) {
  cc_ivr_diagnostics *diags = NULL;
  if (failed("cc_ivr_check", cc_ivr_check(file, strlen(file), flow, flow_len, ENV, sizeof ENV - 1,
                                          &diags))) {
    return -1;
  }
  size_t count = cc_ivr_diagnostics_count(diags);
  for (size_t i = 0; i < count; i++) {
    cc_ivr_diagnostic d;
    if (cc_ivr_diagnostics_get(diags, i, &d) == CC_OK) {
      printf("%.*s", (int)d.rendered.len, d.rendered.ptr);
    }
  }
  long errors = (long)cc_ivr_diagnostics_error_count(diags);
  printf("  %s: %ld error(s), %ld warning(s)\n", file, errors, (long)count - errors);
  cc_ivr_diagnostics_free(diags);
  return errors;
}

/* Prints every pending action of a session. */
static int actions(cc_ivr_session *session) {
  char json[1024];
  for (;;) {
    size_t n = 0;
    if (failed("cc_ivr_session_poll_action",
               cc_ivr_session_poll_action(session, json, sizeof json, &n))) {
      return 1;
    }
    if (n == 0) {
      return 0;
    }
    printf("  action: %s\n", json);
  }
}

static int ivr(void) {
  printf("== IVR\n");
  if (check("broken.flow", BROKEN_FLOW, sizeof BROKEN_FLOW - 1) <= 0) {
    fprintf(stderr, "the broken flow should have errors\n");
    return 1;
  }
  if (check("support_line.flow", GOOD_FLOW, sizeof GOOD_FLOW - 1) != 0) {
    fprintf(stderr, "the good flow should have no error\n");
    return 1;
  }
  cc_ivr_program *program = NULL;
  if (failed("cc_ivr_program_compile", cc_ivr_program_compile(GOOD_FLOW, sizeof GOOD_FLOW - 1, ENV,
                                                              sizeof ENV - 1, &program))) {
    return 1;
  }
  char version[32];
  size_t version_len = 0;
  if (failed("cc_ivr_program_version",
             cc_ivr_program_version(program, version, sizeof version, &version_len))) {
    cc_ivr_program_free(program);
    return 1;
  }
  printf("  compiled support_line, version %s\n", version);
  cc_ivr_session *session = NULL;
  cc_result r = cc_ivr_session_new(program, ARG("+8613800138000"), ARG("+864001234567"), ARG("en"),
                                   0, 1795000000000LL, &session);
  /* The session keeps the program alive: free ours now. */
  cc_ivr_program_free(program);
  if (failed("cc_ivr_session_new", r)) {
    return 1;
  }
  int rc = 1;
  cc_ivr_event play_done = {.kind = CC_IVR_EVENT_PLAY_DONE};
  cc_ivr_event key1 = {.kind = CC_IVR_EVENT_DIGIT, .digit = '1'};
  cc_ivr_event answered = {.kind = CC_IVR_EVENT_QUEUE_ANSWERED};
  if (actions(session) ||
      failed("play done", cc_ivr_session_handle_event(session, &play_done, 2000)) ||
      actions(session) ||
      failed("play done", cc_ivr_session_handle_event(session, &play_done, 3000)) ||
      actions(session) || failed("digit", cc_ivr_session_handle_event(session, &key1, 4000)) ||
      actions(session) ||
      failed("answered", cc_ivr_session_handle_event(session, &answered, 9000)) ||
      actions(session)) {
    goto out;
  }
  printf("  finished: %s\n", cc_ivr_session_is_finished(session) ? "yes" : "no");
  rc = 0;
out:
  cc_ivr_session_free(session);
  return rc;
}

static int staffing(void) {
  printf("== staffing\n");
  /* 360 calls an hour, 3 minutes each: 18 Erlangs. */
  double traffic = 360.0 / 3600.0 * 180.0;
  uint32_t agents = 0;
  double sl = 0.0, asa = 0.0;
  if (failed("cc_erlang_agents_needed", cc_erlang_agents_needed(traffic, 180.0, 20.0, 0.8, &agents)) ||
      failed("cc_erlang_service_level", cc_erlang_service_level(traffic, agents, 180.0, 20.0, &sl)) ||
      failed("cc_erlang_asa", cc_erlang_asa(traffic, agents, 180.0, &asa))) {
    return 1;
  }
  printf("  %.0f Erlangs: %u agents answer %.1f%% within 20 s (ASA %.1f s)\n", traffic,
         (unsigned)agents, sl * 100.0, asa);
  return 0;
}

int main(void) {
  printf("ccsdk %s, ABI %u\n", cc_version(), (unsigned)cc_abi_version());
  if (cc_abi_version() != CC_ABI_VERSION) {
    fprintf(stderr, "the library's ABI %u is not the header's %u\n", (unsigned)cc_abi_version(),
            (unsigned)CC_ABI_VERSION);
    return 1;
  }
  if (route() || ivr() || staffing()) {
    return 1;
  }
  printf("ok\n");
  return 0;
}
