//! The IT hotline's scripted callers: every case passes and every branch is exercised.

use cc_ivr::testing::{TestScript, run};
use cc_ivr::{Environment, Program};

const HOTLINE: &str = include_str!("../../../examples/flows/it_hotline.flow");
const SCRIPT: &str = include_str!("../../../examples/flows/it_hotline.test");

#[test]
fn the_hotline_script_passes_with_full_branch_coverage() {
    let program = Program::compile(HOTLINE, &Environment::default()).expect("compiles");
    let report = run(&program, SCRIPT).expect("the script parses");
    let failures: Vec<String> = report
        .cases
        .iter()
        .filter_map(|c| c.failure.as_ref().map(|f| format!("{}: {f}", c.name)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let coverage = &report.coverage;
    assert_eq!(
        (coverage.lines_covered, coverage.branches_covered),
        (coverage.lines_total, coverage.branches_total),
        "{coverage}"
    );
    assert!(coverage.branches_total > 40, "{coverage}");
}

#[test]
fn the_front_door_script_passes_with_full_coverage_and_chinese_prompt_names() {
    let source = include_str!("../../../examples/flows/front_door.flow");
    let program = Program::compile(source, &Environment::default()).expect("compiles");
    let report = run(&program, include_str!("../../../examples/flows/front_door.test")).expect("parses");
    assert!(report.passed(), "{:?}", report.cases);
    assert_eq!(
        report.coverage.branches_covered, report.coverage.branches_total,
        "{}",
        report.coverage
    );
    assert_eq!(
        report.coverage.lines_covered, report.coverage.lines_total,
        "{}",
        report.coverage
    );
}

#[test]
fn a_wrong_expectation_fails_with_its_line() {
    let program = Program::compile(HOTLINE, &Environment::default()).expect("compiles");
    let script = "list blacklist +8613900000000\ncase wrong\ncaller +8613900000000\nat 2026-11-23T10:00:00+08:00\nexpect play welcome\n";
    let report = run(&program, script).expect("parses");
    assert!(!report.passed());
    assert_eq!(
        report.cases[0].failure.as_deref(),
        Some("line 5: expected `play welcome`, got `play blocked`")
    );
    let unchecked = "list blacklist +8613900000000\ncase left over\ncaller +8613900000000\nat 2026-11-23T10:00:00+08:00\nexpect play blocked\nplayed\n";
    let report = run(&program, unchecked).expect("parses");
    assert_eq!(
        report.cases[0].failure.as_deref(),
        Some("case at line 2: `hangup` was asked for after the last step")
    );
    assert!(report.coverage.branches_covered < report.coverage.branches_total);
}

#[test]
fn script_errors_name_the_line() {
    for (script, expected) in [
        ("expect play x\n", "line 1: `expect` before the first `case`"),
        ("case a\nfrobnicate\n", "line 2: unknown command `frobnicate`"),
        ("case a\npress x\n", "line 2: invalid DTMF digit"),
        ("case a\nat yesterday\n", "line 2: \"yesterday\" is not a time"),
        (
            "calendar office Mars/Base mon 09:00-18:00\n",
            "line 1: calendar time_zone",
        ),
        (
            "holiday office 2026-10-01\n",
            "line 1: calendar \"office\" is not defined above",
        ),
        ("case a\nwait soon\n", "line 2: \"soon\" is not a duration"),
        ("case a\nqueue maybe\n", "line 2: `queue answered`"),
    ] {
        let err = TestScript::parse(script).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{script:?}: {err}");
    }
}
