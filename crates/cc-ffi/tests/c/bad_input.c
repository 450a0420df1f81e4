/*
 * bad_input.c: bad input through every entry point of ccsdk.h. Each call must return its
 * error code, with a last-error message that names the problem, and nothing may crash or
 * leak (the Rust test `c_programs` also runs this under valgrind).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ccsdk.h"

#define ARG(lit) (lit), (sizeof(lit) - 1)
#define STR(lit) ((cc_str){(lit), sizeof(lit) - 1})

static int passed, failed_checks;

/* Checks that `got` is `want` and that the last error message contains `needle`. */
static void expect(int line, const char *what, cc_result got, cc_result want, const char *needle) {
  char msg[1024];
  size_t n = 0;
  msg[0] = 0;
  if (cc_error_message(msg, sizeof msg, &n) != CC_OK) {
    strcpy(msg, "(cc_error_message failed)");
  }
  if (got != want) {
    printf("FAIL line %d: %s returned %s, expected %s; message: %s\n", line, what,
           cc_result_name(got), cc_result_name(want), msg);
    failed_checks++;
  } else if (want != CC_OK && strstr(msg, needle) == NULL) {
    printf("FAIL line %d: %s: message \"%s\" does not mention \"%s\"\n", line, what, msg, needle);
    failed_checks++;
  } else {
    printf("ok   %-28s %-20s %s\n", what, cc_result_name(got), want == CC_OK ? "" : msg);
    passed++;
  }
}

#define EXPECT(call, want, needle) expect(__LINE__, #call, (call), (want), (needle))
#define OK(call) EXPECT(call, CC_OK, "")

static const char BAD_UTF8[] = {'1', '0', (char)0xff, '1', 0};

static const char CONFIG[] = "[[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout_ms = 1000\n"
                             "[[agent]]\nid = \"1001\"\ntenants = { acme = {} }\n"
                             "[[agent]]\nid = \"1002\"\ntenants = { acme = {} }\n";

static void router_cases(void) {
  cc_router *router = NULL;
  cc_command cmd;
  cc_queue_stats stats;
  uint64_t at = 0;

  /* Configuration errors. */
  EXPECT(cc_router_new(NULL, 0, &router), CC_NULL_PARAMETER, "config");
  EXPECT(cc_router_new(ARG(CONFIG), NULL), CC_NULL_PARAMETER, "out");
  EXPECT(cc_router_new(BAD_UTF8, 4, &router), CC_INVALID_UTF8, "UTF-8");
  EXPECT(cc_router_new(ARG("[[queue]]\nid = \"sales\"\n"), &router), CC_PARSE_ERROR, "tenant");
  EXPECT(cc_router_new(ARG("[[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout = 5\n"),
                       &router),
         CC_PARSE_ERROR, "ring_timeout");
  EXPECT(cc_router_new(ARG("[[queue]]\nid = \"sales\"\ntenant = \"acme\"\nring_timeout_ms = 0\n"),
                       &router),
         CC_CONFIG_ERROR, "ring_timeout");
  EXPECT(cc_router_new(ARG("[[queue]]\nid = \"bad id!\"\ntenant = \"acme\"\n"), &router),
         CC_PARSE_ERROR, "bad id!");
  EXPECT(cc_router_new(ARG("[[agent]]\nid = \"1\"\ntenants = { acme = { x = 11 } }\n"), &router),
         CC_PARSE_ERROR, "skill level");
  EXPECT(cc_router_new(ARG("this is not toml"), &router), CC_PARSE_ERROR, "configuration");
  if (router != NULL) {
    printf("FAIL: a failed cc_router_new wrote its out-param\n");
    failed_checks++;
  }

  /* NULL handles. */
  EXPECT(cc_router_agent_login(NULL, ARG("1001"), 0), CC_NULL_PARAMETER, "router");
  EXPECT(cc_router_poll_command(NULL, &cmd), CC_NULL_PARAMETER, "router");
  EXPECT(cc_router_poll_timeout(NULL, &at), CC_NULL_PARAMETER, "router");
  EXPECT(cc_router_handle_timeout(NULL, 0), CC_NULL_PARAMETER, "router");
  EXPECT(cc_router_queue_stats(NULL, ARG("sales"), 0, &stats), CC_NULL_PARAMETER, "router");
  EXPECT(cc_router_enqueue(NULL, NULL, 0), CC_NULL_PARAMETER, "router");
  cc_router_free(NULL);

  OK(cc_router_new(ARG(CONFIG), &router));

  /* NULL pointers, bad strings and unknown names. */
  EXPECT(cc_router_agent_login(router, NULL, 4, 0), CC_NULL_PARAMETER, "agent");
  EXPECT(cc_router_agent_login(router, BAD_UTF8, 4, 0), CC_INVALID_UTF8, "agent");
  EXPECT(cc_router_agent_login(router, ARG("9999"), 0), CC_NOT_FOUND, "9999");
  EXPECT(cc_router_agent_login(router, ARG("no spaces"), 0), CC_INVALID_ARGUMENT, "no spaces");
  EXPECT(cc_router_agent_not_ready(router, ARG("1001"), BAD_UTF8, 4, 0), CC_INVALID_UTF8, "reason");
  EXPECT(cc_router_poll_command(router, NULL), CC_NULL_PARAMETER, "out");
  EXPECT(cc_router_poll_timeout(router, NULL), CC_NULL_PARAMETER, "out_ms");
  EXPECT(cc_router_queue_stats(router, ARG("nope"), 0, &stats), CC_NOT_FOUND, "nope");
  EXPECT(cc_router_tenant_stats(router, ARG("globex"), 0, &stats), CC_NOT_FOUND, "globex");
  EXPECT(cc_router_enqueue(router, NULL, 0), CC_NULL_PARAMETER, "contact");
  EXPECT(cc_router_handle_timeout(router, CC_NO_TIMEOUT), CC_INVALID_ARGUMENT, "CC_NO_TIMEOUT");

  cc_contact contact = {.id = STR("c-1"), .queue = STR("sales"), .channel = CC_CHANNEL_VOICE};
  cc_contact bad = contact;
  bad.channel = 42;
  EXPECT(cc_router_enqueue(router, &bad, 0), CC_INVALID_ARGUMENT, "channel 42");
  bad = contact;
  bad.queue = STR("nope");
  EXPECT(cc_router_enqueue(router, &bad, 0), CC_NOT_FOUND, "nope");
  bad = contact;
  bad.id = (cc_str){BAD_UTF8, 4};
  EXPECT(cc_router_enqueue(router, &bad, 0), CC_INVALID_UTF8, "contact.id");
  bad = contact;
  bad.id = (cc_str){NULL, 3};
  EXPECT(cc_router_enqueue(router, &bad, 0), CC_NULL_PARAMETER, "contact.id");
  bad = contact;
  bad.skills = STR("billing");
  EXPECT(cc_router_enqueue(router, &bad, 0), CC_INVALID_ARGUMENT, "skill=level");
  bad = contact;
  bad.skills = STR("billing=3");
  EXPECT(cc_router_enqueue(router, &bad, 0), CC_NOT_FOUND, "billing");

  /* Calls in the wrong state. */
  EXPECT(cc_router_agent_logout(router, ARG("1001"), 0), CC_INVALID_STATE, "1001");
  EXPECT(cc_router_accept(router, ARG("c-1"), ARG("1001"), 0), CC_NOT_FOUND, "c-1");
  OK(cc_router_enqueue(router, &contact, 0));
  EXPECT(cc_router_enqueue(router, &contact, 0), CC_ALREADY_EXISTS, "c-1");
  EXPECT(cc_router_complete(router, ARG("c-1"), 0), CC_INVALID_STATE, "c-1");
  OK(cc_router_agent_login(router, ARG("1001"), 10));
  EXPECT(cc_router_agent_login(router, ARG("1001"), 10), CC_INVALID_STATE, "1001");
  do {
    OK(cc_router_poll_command(router, &cmd));
  } while (cmd.kind != CC_COMMAND_NONE && cmd.kind != CC_COMMAND_OFFER);
  EXPECT(cc_router_agent_logout(router, ARG("1001"), 20), CC_INVALID_STATE, "1001");
  EXPECT(cc_router_request_callback(router, ARG("c-1"), 20), CC_INVALID_STATE, "callback");
  EXPECT(cc_router_accept(router, ARG("c-1"), ARG("1002"), 30), CC_INVALID_STATE, "1002");
  OK(cc_router_accept(router, ARG("c-1"), ARG("1001"), 40));
  EXPECT(cc_router_abandon(router, ARG("c-1"), 50), CC_INVALID_STATE, "connected");
  OK(cc_router_complete(router, ARG("c-1"), 60));
  EXPECT(cc_router_complete(router, ARG("c-1"), 70), CC_NOT_FOUND, "c-1");
  cc_router_free(router);
}

static const char FLOW[] = "flow t\nmain {\n  play \"hi\"\n  hangup\n}\n";

static void ivr_cases(void) {
  cc_ivr_diagnostics *diags = NULL;
  cc_ivr_program *program = NULL;
  cc_ivr_session *session = NULL;
  cc_ivr_diagnostic d;
  char buf[8];
  size_t n = 0;
  uint64_t at = 0;

  EXPECT(cc_ivr_check(NULL, 0, NULL, 0, NULL, 0, &diags), CC_NULL_PARAMETER, "flow");
  EXPECT(cc_ivr_check(NULL, 0, ARG(FLOW), NULL, 0, NULL), CC_NULL_PARAMETER, "out");
  EXPECT(cc_ivr_check(NULL, 0, BAD_UTF8, 4, NULL, 0, &diags), CC_INVALID_UTF8, "flow");
  EXPECT(cc_ivr_check(NULL, 0, ARG(FLOW), ARG("queues = 3"), &diags), CC_PARSE_ERROR, "queues");
  EXPECT(cc_ivr_check(NULL, 0, ARG(FLOW), ARG("colours = [\"red\"]"), &diags), CC_PARSE_ERROR,
         "colours");
  EXPECT(cc_ivr_check(NULL, 0, ARG(FLOW), ARG("prompt_dirs = [\"p\"]"), &diags), CC_PARSE_ERROR,
         "prompt_dirs");
  if (cc_ivr_diagnostics_count(NULL) != 0 || cc_ivr_diagnostics_error_count(NULL) != 0) {
    printf("FAIL: counts of a NULL handle are not 0\n");
    failed_checks++;
  }
  EXPECT(cc_ivr_diagnostics_get(NULL, 0, &d), CC_NULL_PARAMETER, "diagnostics");
  cc_ivr_diagnostics_free(NULL);

  /* A flow with an error: the check succeeds and reports it; compiling refuses. */
  OK(cc_ivr_check(ARG("t.flow"), ARG("flow t\nmain {\n  goto nowhere\n}\n"), ARG("prompts = []"),
                  &diags));
  if (cc_ivr_diagnostics_error_count(diags) != 1) {
    printf("FAIL: expected one error\n");
    failed_checks++;
  }
  EXPECT(cc_ivr_diagnostics_get(diags, 1, &d), CC_INVALID_ARGUMENT, "out of range");
  EXPECT(cc_ivr_diagnostics_get(diags, 0, NULL), CC_NULL_PARAMETER, "out");
  OK(cc_ivr_diagnostics_get(diags, 0, &d));
  if (d.line != 3 || d.column != 8 || d.severity != CC_SEVERITY_ERROR ||
      strncmp(d.rendered.ptr, "t.flow:3:8: error:", 18) != 0) {
    printf("FAIL: diagnostic at %u:%u: %.*s\n", d.line, d.column, (int)d.rendered.len,
           d.rendered.ptr);
    failed_checks++;
  }
  cc_ivr_diagnostics_free(diags);
  EXPECT(cc_ivr_program_compile(ARG("flow t\nmain {\n  goto nowhere\n}\n"), NULL, 0, &program),
         CC_FLOW_ERROR, "nowhere");
  EXPECT(cc_ivr_program_compile(ARG("not a flow"), NULL, 0, &program), CC_FLOW_ERROR, "error");
  EXPECT(cc_ivr_program_compile(ARG(FLOW), ARG("prompts = [\"bye\"]"), &program), CC_FLOW_ERROR,
         "hi");
  EXPECT(cc_ivr_program_version(NULL, buf, sizeof buf, &n), CC_NULL_PARAMETER, "program");
  cc_ivr_program_free(NULL);

  OK(cc_ivr_program_compile(ARG(FLOW), NULL, 0, &program));
  EXPECT(cc_ivr_program_version(program, buf, sizeof buf, &n), CC_BUFFER_TOO_SMALL, "17 bytes");
  if (n != 17) {
    printf("FAIL: needed size %zu, expected 17\n", n);
    failed_checks++;
  }
  EXPECT(cc_ivr_program_version(program, NULL, 0, &n), CC_BUFFER_TOO_SMALL, "needed");
  EXPECT(cc_ivr_program_version(program, buf, sizeof buf, NULL), CC_NULL_PARAMETER, "out_len");

  EXPECT(cc_ivr_session_new(NULL, NULL, 0, NULL, 0, ARG("en"), 0, 0, &session), CC_NULL_PARAMETER,
         "program");
  EXPECT(cc_ivr_session_new(program, NULL, 0, NULL, 0, NULL, 0, 0, 0, &session), CC_NULL_PARAMETER,
         "language");
  EXPECT(cc_ivr_session_new(program, BAD_UTF8, 4, NULL, 0, ARG("en"), 0, 0, &session),
         CC_INVALID_UTF8, "caller");
  EXPECT(cc_ivr_session_new(program, NULL, 0, NULL, 0, ARG("en"), 0, INT64_MAX, &session),
         CC_INVALID_ARGUMENT, "wall_unix_ms");
  EXPECT(cc_ivr_session_new_with_resources(program, NULL, 0, NULL, 0, ARG("en"), BAD_UTF8, 4, 0, 0,
                                           &session),
         CC_INVALID_UTF8, "resources");
  EXPECT(cc_ivr_session_new_with_resources(program, NULL, 0, NULL, 0, ARG("en"), ARG("lists = 5"),
                                           0, 0, &session),
         CC_PARSE_ERROR, "lists");
  EXPECT(cc_ivr_session_new_with_resources(program, NULL, 0, NULL, 0, ARG("en"),
                                           ARG("[calendars.office]\ntime_zone = \"Mars/Base\""), 0,
                                           0, &session),
         CC_CONFIG_ERROR, "calendars.office");
  EXPECT(cc_ivr_session_new_with_resources(NULL, NULL, 0, NULL, 0, ARG("en"), NULL, 0, 0, 0,
                                           &session),
         CC_NULL_PARAMETER, "program");
  OK(cc_ivr_session_new_with_resources(program, NULL, 0, NULL, 0, ARG("en"),
                                       ARG("[lists]\nvip = [\"+8613700000000\"]"), 0, 0, &session));
  cc_ivr_session_free(session);
  session = NULL;
  OK(cc_ivr_session_new(program, ARG("+8613800138000"), NULL, 0, ARG("en"), 100, 0, &session));
  cc_ivr_program_free(program);

  cc_ivr_event bad_kind = {.kind = 99};
  cc_ivr_event bad_digit = {.kind = CC_IVR_EVENT_DIGIT, .digit = 'x'};
  cc_ivr_event bad_text = {.kind = CC_IVR_EVENT_HOOK_RESULT, .text = {BAD_UTF8, 4}};
  cc_ivr_event play_done = {.kind = CC_IVR_EVENT_PLAY_DONE};
  EXPECT(cc_ivr_session_handle_event(NULL, &play_done, 100), CC_NULL_PARAMETER, "session");
  EXPECT(cc_ivr_session_handle_event(session, NULL, 100), CC_NULL_PARAMETER, "event");
  EXPECT(cc_ivr_session_handle_event(session, &bad_kind, 100), CC_INVALID_ARGUMENT, "99");
  EXPECT(cc_ivr_session_handle_event(session, &bad_digit, 100), CC_INVALID_ARGUMENT, "digit");
  EXPECT(cc_ivr_session_handle_event(session, &bad_text, 100), CC_INVALID_UTF8, "event.text");
  EXPECT(cc_ivr_session_handle_event(session, &play_done, 50), CC_INVALID_ARGUMENT, "before");
  EXPECT(cc_ivr_session_poll_timeout(NULL, &at), CC_NULL_PARAMETER, "session");
  EXPECT(cc_ivr_session_poll_timeout(session, NULL), CC_NULL_PARAMETER, "out_ms");
  EXPECT(cc_ivr_session_handle_timeout(NULL, 0), CC_NULL_PARAMETER, "session");
  EXPECT(cc_ivr_session_poll_action(NULL, buf, sizeof buf, &n), CC_NULL_PARAMETER, "session");
  EXPECT(cc_ivr_session_poll_action(session, buf, sizeof buf, NULL), CC_NULL_PARAMETER, "out_len");
  /* Too small a buffer keeps the action for the next call. */
  EXPECT(cc_ivr_session_poll_action(session, buf, sizeof buf, &n), CC_BUFFER_TOO_SMALL, "needed");
  char json[256];
  size_t needed = n;
  OK(cc_ivr_session_poll_action(session, json, sizeof json, &n));
  if (n + 1 != needed || strstr(json, "\"play\"") == NULL) {
    printf("FAIL: the kept action is %s (%zu bytes, %zu needed)\n", json, n, needed);
    failed_checks++;
  }
  OK(cc_ivr_session_handle_event(session, &play_done, 200));
  while (cc_ivr_session_poll_action(session, json, sizeof json, &n) == CC_OK && n > 0) {
  }
  if (!cc_ivr_session_is_finished(session) || cc_ivr_session_is_finished(NULL)) {
    printf("FAIL: is_finished\n");
    failed_checks++;
  }
  EXPECT(cc_ivr_session_handle_event(session, &play_done, 300), CC_INVALID_STATE, "ended");
  cc_ivr_session_free(session);
  cc_ivr_session_free(NULL);
}

static void staffing_cases(void) {
  double x = 0.0;
  uint32_t agents = 0;
  EXPECT(cc_erlang_c(-1.0, 10, &x), CC_INVALID_ARGUMENT, "traffic");
  EXPECT(cc_erlang_c(NAN, 10, &x), CC_INVALID_ARGUMENT, "traffic");
  EXPECT(cc_erlang_c(5.0, 10, NULL), CC_NULL_PARAMETER, "out");
  EXPECT(cc_erlang_service_level(5.0, 10, 0.0, 20.0, &x), CC_INVALID_ARGUMENT, "aht");
  EXPECT(cc_erlang_service_level(5.0, 10, 180.0, -1.0, &x), CC_INVALID_ARGUMENT, "threshold");
  EXPECT(cc_erlang_asa(5.0, 10, -3.0, &x), CC_INVALID_ARGUMENT, "aht");
  EXPECT(cc_erlang_agents_needed(5.0, 180.0, 20.0, 1.5, &agents), CC_INVALID_ARGUMENT, "target");
  EXPECT(cc_erlang_agents_needed(5.0, 180.0, 20.0, 0.8, NULL), CC_NULL_PARAMETER, "out");
  OK(cc_erlang_c(2.0, 3, &x));
  if (fabs(x - 4.0 / 9.0) > 1e-12) {
    printf("FAIL: Erlang C(2 E, 3 agents) = %f, expected 4/9\n", x);
    failed_checks++;
  }
}

static void misc_cases(void) {
  char small[4];
  size_t n = 0;
  EXPECT(cc_erlang_c(-1.0, 1, NULL), CC_NULL_PARAMETER, "out");
  /* The message is truncated to fit, at a character boundary, and NUL-terminated. */
  if (cc_error_message(small, sizeof small, &n) != CC_OK || n != 3 || small[3] != 0) {
    printf("FAIL: truncated error message (%zu bytes)\n", n);
    failed_checks++;
  }
  if (cc_error_message(NULL, 0, &n) != CC_NULL_PARAMETER ||
      cc_error_message(small, 0, &n) != CC_BUFFER_TOO_SMALL) {
    printf("FAIL: cc_error_message bad arguments\n");
    failed_checks++;
  }
  if (strcmp(cc_result_name(12345), "CC_UNKNOWN_RESULT") != 0 ||
      strcmp(cc_result_name(CC_NOT_FOUND), "CC_NOT_FOUND") != 0) {
    printf("FAIL: cc_result_name\n");
    failed_checks++;
  }
}

/* Writes `text` to a file named after this process; returns its path. */
static const char *write_file(const char *name, const char *text) {
  static char path[4][256];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof path[0], "/tmp/ccsdk-bad-input-%ld-%s", (long)getpid(), name);
  FILE *f = fopen(p, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
  return p;
}

static void center_cases(void) {
  cc_center *center = NULL;
  char buf[64];
  size_t needed = 0;
  uint16_t port = 0;

  /* Starting: arguments, unreadable, malformed and refused configurations. */
  EXPECT(cc_center_start(NULL, 0, NULL, NULL, &center), CC_NULL_PARAMETER, "config");
  EXPECT(cc_center_start(ARG("c.toml"), NULL, NULL, NULL), CC_NULL_PARAMETER, "out");
  EXPECT(cc_center_start(BAD_UTF8, 4, NULL, NULL, &center), CC_INVALID_UTF8, "UTF-8");
  EXPECT(cc_center_start(ARG("/no/such/center.toml"), NULL, NULL, &center), CC_IO_ERROR,
         "/no/such/center.toml");
  const char *garbage = write_file("garbage.toml", "this is not toml");
  EXPECT(cc_center_start(garbage, strlen(garbage), NULL, NULL, &center), CC_PARSE_ERROR,
         "garbage.toml");
  const char *refused = write_file("refused.toml", "[[tenant]]\nid = \"acme\"\n"
                                                   "[[queue]]\nid = \"q\"\ntenant = \"nobody\"\n");
  EXPECT(cc_center_start(refused, strlen(refused), NULL, NULL, &center), CC_CONFIG_ERROR,
         "unknown tenant");
  if (center != NULL) {
    printf("FAIL: a failed cc_center_start wrote its out-param\n");
    failed_checks++;
  }

  /* NULL handles. */
  EXPECT(cc_center_agent_login(NULL, ARG("1001"), true), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_agent_ready(NULL, ARG("1001")), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_agent_not_ready(NULL, ARG("1001"), ARG("lunch")), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_agent_logout(NULL, ARG("1001")), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_snapshot_json(NULL, buf, sizeof buf, &needed), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_contacts_json(NULL, ARG("acme"), buf, sizeof buf, &needed), CC_NULL_PARAMETER,
         "center");
  EXPECT(cc_center_registrations_json(NULL, ARG("1001"), buf, sizeof buf, &needed),
         CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_sip_port(NULL, &port), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_http_port(NULL, &port), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_supervise(NULL, ARG("8001"), ARG("c-1"), CC_SUPERVISE_LISTEN), CC_NULL_PARAMETER,
         "center");
  EXPECT(cc_center_end_supervision(NULL, ARG("8001"), ARG("c-1")), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_force_release(NULL, ARG("8001"), ARG("c-1")), CC_NULL_PARAMETER, "center");
  EXPECT(cc_center_stop(NULL, 0), CC_NULL_PARAMETER, "center");
  cc_center_free(NULL);

  /* A running center: bad arguments, unknown agents, a too-small buffer, then the wrong
   * state after stopping. */
  const char *good = write_file("good.toml",
                                "[sip]\nlisten = \"127.0.0.1:0\"\n"
                                "[rtp]\nport_min = 36450\nport_max = 36459\nworkers = 1\n"
                                "[[tenant]]\nid = \"acme\"\n"
                                "[[queue]]\nid = \"q\"\ntenant = \"acme\"\n"
                                "[[agent]]\nid = \"1001\"\ncontact = \"sip:1001@127.0.0.1:9\"\n"
                                "tenants = { acme = {} }\n"
                                "[[agent]]\nid = \"8001\"\ncontact = \"sip:8001@127.0.0.1:9\"\n"
                                "tenants = {}\nsupervises = [\"acme\"]\n");
  OK(cc_center_start(good, strlen(good), NULL, NULL, &center));
  if (center == NULL) {
    return;
  }
  EXPECT(cc_center_sip_port(center, NULL), CC_NULL_PARAMETER, "out");
  EXPECT(cc_center_agent_login(center, BAD_UTF8, 4, true), CC_INVALID_UTF8, "UTF-8");
  EXPECT(cc_center_agent_login(center, ARG("9999"), true), CC_NOT_FOUND, "9999");
  EXPECT(cc_center_agent_ready(center, ARG("1001")), CC_INVALID_STATE, "1001");
  EXPECT(cc_center_snapshot_json(center, buf, 4, &needed), CC_BUFFER_TOO_SMALL, "");
  EXPECT(cc_center_contacts_json(center, ARG("not a tenant!"), buf, sizeof buf, &needed),
         CC_INVALID_ARGUMENT, "not a tenant!");
  EXPECT(cc_center_http_port(center, NULL), CC_NULL_PARAMETER, "out");
  OK(cc_center_http_port(center, &port));
  EXPECT(cc_center_supervise(center, ARG("8001"), ARG("c-1"), 7), CC_INVALID_ARGUMENT, "mode 7");
  EXPECT(cc_center_supervise(center, ARG("8001"), ARG("c-1"), CC_SUPERVISE_BARGE), CC_NOT_FOUND,
         "no contact");
  EXPECT(cc_center_supervise(center, ARG("9999"), ARG("c-1"), CC_SUPERVISE_LISTEN), CC_NOT_FOUND,
         "c-1");
  EXPECT(cc_center_force_release(center, ARG("8001"), ARG("bad id!")), CC_INVALID_ARGUMENT,
         "bad id!");
  EXPECT(cc_center_end_supervision(center, BAD_UTF8, 4, ARG("c-1")), CC_INVALID_UTF8, "UTF-8");
  OK(cc_center_stop(center, 0));
  EXPECT(cc_center_agent_login(center, ARG("1001"), true), CC_INVALID_STATE, "stopped");
  cc_center_free(center);
  remove(garbage);
  remove(refused);
  remove(good);
}

int main(void) {
  center_cases();
  router_cases();
  ivr_cases();
  staffing_cases();
  misc_cases();
  printf("%d passed, %d failed\n", passed, failed_checks);
  return failed_checks == 0 ? 0 : 1;
}
