//! Properties of the parser: no input makes it panic, and printing a parsed flow then
//! parsing the print gives the same flow.

use cc_ivr::{Environment, check, parse};
use proptest::prelude::*;

/// Words and symbols of the language, to build inputs that get deep into the parser.
const VOCABULARY: &[&str] = &[
    "flow",
    "main",
    "sub",
    "var",
    "play",
    "collect",
    "menu",
    "if",
    "elif",
    "else",
    "set",
    "store",
    "lookup",
    "into",
    "with",
    "language",
    "enqueue",
    "transfer",
    "number",
    "agent",
    "external",
    "callback",
    "confirm",
    "ask",
    "voicemail",
    "survey",
    "question",
    "scale",
    "to",
    "record",
    "pause",
    "call",
    "return",
    "goto",
    "hangup",
    "and",
    "or",
    "not",
    "in",
    "list",
    "open",
    "holiday",
    "timeout",
    "retries",
    "prompt",
    "min",
    "max",
    "priority",
    "skill",
    "level",
    "attr",
    "music",
    "announce",
    "position",
    "wait",
    "every",
    "x",
    "y",
    "l1",
    "{",
    "}",
    "(",
    ")",
    ",",
    ";",
    ":",
    "->",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "\n",
    "\n",
    "\n",
    "1",
    "42",
    "5s",
    "\"p\"",
    "\"欢迎\"",
    "\"#\"",
    "true",
    "string",
    "bool",
    "#c\n",
    "@",
    "\"open",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..120).prop_map(|words| words.join(" "))
}

/// One statement that parses, drawn from templates; `n` varies names and numbers.
fn statement() -> impl Strategy<Value = String> {
    const TEMPLATES: &[&str] = &[
        "play \"p{n}\", number n{n}, digits s barge",
        "collect s prompt \"p\" min 1 max {n} terminator \"#\" timeout {n}s inter 500ms retries 2 pattern \"[1-9]?*\" else goto top",
        "menu prompt \"m\", \"n\" timeout 5s retries 1 {\n1 -> goto top\n\"#\" -> hangup\ninvalid -> play \"i\"\ntimeout -> { play \"t\"; set n{n} = {n} }\n} else hangup",
        "if n{n} > {n} and not b or s == \"x\" {\nplay \"a\"\n} elif holiday(\"c\") {\nhangup\n} else {\nset b = true\n}",
        "set n{n} = -(n{n} + {n}) - 3",
        "store \"k{n}\" = s + \"v\"",
        "lookup \"h\" with caller, n{n} into s timeout 2s else { play \"e\" }",
        "language \"zh-CN\"",
        "enqueue \"q{n}\" priority {n} skill \"lang:yue\" level 5 attr \"a\" = s timeout 60s music \"moh\" announce position every 30s announce wait every 1m {\n1 -> callback \"q\" confirm else hangup\n} else goto top",
        "transfer number \"+8610{n}\" else goto top",
        "transfer external \"partner\" else hangup",
        "callback \"q\" ask \"p\" else goto top",
        "voicemail \"box\" greeting \"g\" max 2m beep else hangup",
        "survey {\nquestion \"q\" scale 1 to {n} into n{n}\n}",
        "record pause",
        "call helper(s, {n})",
        "goto top",
        "set b = caller in list \"vip\"",
    ];
    (proptest::sample::select(TEMPLATES), 0u32..9).prop_map(|(t, n)| t.replace("{n}", &n.to_string()))
}

/// The number variables the templates use, `n0` to `n8`.
const NUMBERS: &str = "var n0: number = 0\nvar n1: number = 1\nvar n2: number = 2\nvar n3: number = 3\n\
    var n4: number = 4\nvar n5: number = 5\nvar n6: number = 6\nvar n7: number = 7\nvar n8: number = 8\n";

fn flow_source() -> impl Strategy<Value = String> {
    proptest::collection::vec(statement(), 0..12).prop_map(|body| {
        format!(
            "flow gen\n{NUMBERS}var s: string = \"\"\nvar b: bool = false\nmain {{\ntop:\n{}\nhangup\n}}\nsub helper(p: string, q: number) {{\nreturn\n}}\n",
            body.join("\n")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let parse = parse(&text);
        if let Some(flow) = &parse.flow {
            let _ = check(flow, &Environment::unchecked());
        }
        for d in &parse.diagnostics {
            let _ = d.render("fuzz.flow", &text);
        }
    }

    #[test]
    fn token_soup_never_panics_and_clean_parses_round_trip(body in soup()) {
        let text = format!("flow soup\n{body}");
        let parse = parse(&text);
        if let Some(flow) = &parse.flow {
            let _ = check(flow, &Environment::unchecked());
            if parse.diagnostics.is_empty() {
                let printed = flow.to_string();
                let again = cc_ivr::parse(&printed);
                prop_assert!(again.diagnostics.is_empty(), "{:?}\n{}", again.diagnostics, printed);
                prop_assert_eq!(again.flow.map(|f| f.to_string()), Some(printed));
            }
        }
    }

    #[test]
    fn generated_flows_parse_cleanly_and_print_back(source in flow_source()) {
        let parse = parse(&source);
        prop_assert!(parse.diagnostics.is_empty(), "{:?}\n{}", parse.diagnostics, source);
        let flow = parse.flow.expect("flow");
        let printed = flow.to_string();
        let again = cc_ivr::parse(&printed);
        prop_assert!(again.diagnostics.is_empty(), "{:?}\n{}", again.diagnostics, printed);
        prop_assert_eq!(again.flow.expect("flow").to_string(), printed);
        let _ = check(&flow, &Environment::unchecked());
    }
}

#[test]
fn very_deep_nesting_is_refused_not_overflowing_the_stack() {
    let depth = 10_000;
    let source = format!(
        "flow deep\nmain {{\n{}hangup\n{}}}\n",
        "if true {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    let parse = parse(&source);
    assert!(
        parse
            .diagnostics
            .iter()
            .any(|d| d.message.contains("nested more than 64 levels"))
    );
    let expr = format!(
        "flow deep\nvar b: bool = {}true\nmain {{\nhangup\n}}\n",
        "not ".repeat(depth)
    );
    let parse = cc_ivr::parse(&expr);
    assert!(
        parse
            .diagnostics
            .iter()
            .any(|d| d.message.contains("nested more than 64 levels"))
    );
}
