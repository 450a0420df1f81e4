//! The parser and checker on whole flows: the realistic hotline is clean, and each kind
//! of mistake is reported at the right place with a helpful message.

use std::collections::BTreeSet;

use cc_ivr::{Diagnostic, Environment, Severity, check, parse};

const HOTLINE: &str = include_str!("../../../examples/flows/it_hotline.flow");

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn env() -> Environment {
    Environment {
        queues: Some(set(&["presales", "aftersales", "support", "vip"])),
        prompts: Some(set(&[
            "blocked",
            "choose_language",
            "no_input",
            "holiday_greeting",
            "welcome",
            "main_menu",
            "invalid_choice",
            "enter_order_number",
            "order_not_recognised",
            "closed_leave_message",
            "goodbye",
            "message_saved",
            "all_busy_goodbye",
            "hold_music",
            "enter_callback_number",
            "survey_satisfaction",
            "survey_resolved",
            "thanks_goodbye",
            "callback_registered",
        ])),
        lists: Some(set(&["blacklist", "vip"])),
        calendars: Some(set(&["office"])),
        hooks: Some(set(&["crm_tier"])),
        external: Some(set(&["partner"])),
        mailboxes: Some(set(&["after_hours"])),
    }
}

/// Parses and checks; returns all diagnostics rendered, one string each.
fn findings(source: &str) -> Vec<String> {
    let parse = parse(source);
    let mut all: Vec<Diagnostic> = parse.diagnostics;
    if let Some(flow) = &parse.flow {
        all.extend(check(flow, &env()));
    }
    all.iter().map(|d| d.render("t.flow", source)).collect()
}

fn assert_finds(source: &str, expected: &[&str]) {
    let found = findings(source);
    for needle in expected {
        assert!(
            found.iter().any(|f| f.contains(needle)),
            "expected a finding containing {needle:?}; got:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_it_hotline_is_clean() {
    let parse = parse(HOTLINE);
    assert!(parse.diagnostics.is_empty(), "{:#?}", parse.diagnostics);
    let flow = parse.flow.expect("flow");
    let diagnostics = check(&flow, &env());
    let rendered: Vec<String> = diagnostics
        .iter()
        .map(|d| d.render("it_hotline.flow", HOTLINE))
        .collect();
    assert!(diagnostics.is_empty(), "{}", rendered.join("\n"));
}

#[test]
fn printing_the_hotline_and_parsing_it_again_gives_the_same_text() {
    let flow = parse(HOTLINE).flow.expect("flow");
    let printed = flow.to_string();
    let again = parse(&printed);
    assert!(
        again.diagnostics.is_empty(),
        "{:#?}\n{printed}",
        again.diagnostics
    );
    assert_eq!(again.flow.expect("flow").to_string(), printed);
}

#[test]
fn undefined_names_get_hints() {
    assert_finds(
        "flow t\nvar acct: string = \"\"\nmain {\n  play \"welcom\"\n  enqueue \"presale\" else goto ends\n  set acct = accnt\n  call helper()\nend:\n  hangup\n}\n",
        &[
            "t.flow:4:8: error: prompt \"welcom\" is not among the prompts on disk; did you mean \"welcome\"?",
            "t.flow:5:11: error: unknown queue \"presale\"; did you mean \"presales\"?",
            "error: undefined label `ends`; did you mean `end`?",
            "t.flow:6:14: error: undefined variable `accnt`; did you mean `acct`?",
            "error: undefined sub-flow `helper`",
        ],
    );
}

#[test]
fn type_errors_name_both_types() {
    assert_finds(
        "flow t\nvar n: number = \"x\"\nvar s: string = \"\"\nmain {\n  if s {\n    hangup\n  }\n  set n = s + 1\n  play number s\n  if n < \"3\" or caller in list \"vip\" {\n    hangup\n  }\n  hangup\n}\n",
        &[
            "variable `n` is a number but its initial value is a string",
            "a condition must be a bool, but this is a string",
            "`+` needs two numbers or two texts, but gets a string and a number",
            "a number to play must be a number, but this is a string",
            "`<` needs two numbers, but gets a number and a string",
        ],
    );
}

#[test]
fn every_failing_step_must_say_where_failure_goes() {
    assert_finds(
        "flow t\nvar a: string = \"\"\nmain {\n  collect a min 4 max 4\n  lookup \"crm_tier\" into a\n  transfer agent \"1001\"\n  enqueue \"support\"\n  menu prompt \"main_menu\" {\n    1 -> hangup\n  }\n  play digits a\n  hangup\n}\n",
        &[
            "`collect` fails when no valid input comes after the retries; say where failure goes",
            "a `lookup` fails when the hook errs or times out",
            "a `transfer` fails when the destination is busy",
            "`enqueue` hands the caller back",
            "a `menu` fails when its retries run out",
        ],
    );
}

#[test]
fn loops_that_never_wait_are_errors_and_dead_steps_are_warnings() {
    let source = "flow t\nvar n: number = 0\nmain {\nspin:\n  set n = n + 1\n  if n > 3 {\n    play \"welcome\"\n  }\n  goto spin\n  play \"goodbye\"\n}\n";
    let found = findings(source);
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("t.flow:4:1: error: this loop never waits for the caller")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("t.flow:10:3: warning: this step is never reached")),
        "{found:#?}"
    );
    // A loop through a menu waits for the caller: no error.
    let menu_loop =
        "flow t\nmain {\ntop:\n  menu prompt \"main_menu\" {\n    1 -> goto top\n  } else goto top\n}\n";
    assert!(findings(menu_loop).is_empty(), "{:#?}", findings(menu_loop));
}

#[test]
fn structure_mistakes() {
    assert_finds(
        "flow t\nvar x: bool = true\nvar x: bool = false\nmain {\n  return\na:\na:\n  hangup\n}\nsub s(p: string, p: string) {\n  return\n}\nsub s() {\n  return\n}\n",
        &[
            "t.flow:3:5: error: variable `x` is declared twice",
            "t.flow:2:5: note: first declared here",
            "`return` is only for sub-flows",
            "label `a` is defined twice",
            "parameter `p` is listed twice",
            "sub-flow `s` is defined twice",
            "warning: variable `x` is never read",
        ],
    );
}

#[test]
fn bad_values_are_caught_before_a_call() {
    assert_finds(
        "flow t\nvar a: string = \"\"\nvar s: number = 0\nmain {\n  language \"中文\"\n  collect a min 5 max 2 terminator \"x\" retries 20 pattern \"[9-1]\" else hangup\n  enqueue \"support\" priority 300 skill \"bad skill\" level 11 announce wait every 5s else hangup\n  transfer agent \"no spaces\" else hangup\n  survey {\n    question \"survey_resolved\" scale 5 to 1 into s\n  }\n  play digits a, number s\n  hangup\n}\n",
        &[
            "invalid language tag \"中文\"",
            "1 <= min <= max <= 64; here min is 5 and max is 2",
            "the terminator is \"#\" or \"*\"",
            "retries must be 0 to 10, not 20",
            "range 9-1 runs backwards",
            "priority 300 is outside 0..=255",
            "invalid skill id \"bad skill\"",
            "skill level 11 is outside 1 to 10",
            "announcements come at most every 10s",
            "invalid agent id \"no spaces\"",
            "need 0 <= low < high <= 9, here 5 to 1",
        ],
    );
}

#[test]
fn syntax_errors_are_all_reported_and_the_rest_still_checks() {
    let source = "flow t\nmain {\n  play welcome\n  collect\n  set = 3\n  goto nowhere\n  frobnicate 1\n  if caller = \"1\" {\n    hangup\n  }\n}\n";
    let parse = parse(source);
    let messages: Vec<String> = parse
        .diagnostics
        .iter()
        .map(|d| d.render("t.flow", source))
        .collect();
    assert!(messages.len() >= 5, "{messages:#?}");
    assert!(messages[0].starts_with(
        "t.flow:3:8: error: expected a prompt in quotes, or file/number/digits/date/money, found `welcome`"
    ));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("unknown statement `frobnicate`")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`=` assigns; compare with `==`")),
        "{messages:#?}"
    );
    // The parts that parsed are still checked.
    let flow = parse.flow.expect("flow");
    let checked = check(&flow, &env());
    assert!(
        checked
            .iter()
            .any(|d| d.message.contains("undefined label `nowhere`"))
    );
}

#[test]
fn keywords_and_unclosed_blocks() {
    assert_finds(
        "flow t\nvar open: string = \"\"\nmain {\n  hangup\n",
        &[
            "`open` is a keyword and cannot name a variable",
            "the file ends inside a block; add the closing `}`",
            "note: the block opens here",
        ],
    );
    assert_finds(
        "main {\n}\n",
        &["t.flow:1:1: error: expected `flow NAME` at the start of the file"],
    );
}

#[test]
fn a_rendered_report_reads_well() {
    let source = "flow t\nmain {\n  enqueue \"suport\" else goto busy\n  hangup\nbusy:\n  play \"all_busy_goodbye\"\n  hangup\n}\n";
    let parse = parse(source);
    let flow = parse.flow.expect("flow");
    let report: String = check(&flow, &env())
        .iter()
        .map(|d| d.render("hotline.flow", source))
        .collect();
    assert_eq!(
        report,
        "hotline.flow:3:11: error: unknown queue \"suport\"; did you mean \"support\"?\n  |\n3 |   enqueue \"suport\" else goto busy\n  |           ^^^^^^^^\n"
    );
    assert!(check(&flow, &env()).iter().all(|d| d.severity == Severity::Error));
}
