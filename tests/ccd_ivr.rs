//! `ccd ivr check`: the flow checker from the command line, on real files.

use std::path::Path;
use std::process::{Command, Output};

fn ccd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccd"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .output()
        .expect("ccd runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_example_hotline_checks_clean_against_its_environment() {
    let out = ccd(&[
        "ivr",
        "check",
        "examples/flows/it_hotline.flow",
        "--env",
        "examples/flows/it_hotline.env.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "examples/flows/it_hotline.flow: 0 error(s), 0 warning(s)\n"
    );
}

#[test]
fn the_front_door_checks_clean_with_chinese_prompt_names() {
    let out = ccd(&[
        "ivr",
        "check",
        "examples/flows/front_door.flow",
        "--env",
        "examples/flows/front_door.env.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn errors_print_file_line_col_with_a_caret_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flow = dir.path().join("bad.flow");
    std::fs::write(
        &flow,
        "flow bad\nvar unused: number = 1\nmain {\n  enqueue \"sales\" else goto nowhere\n  hangup\n}\n",
    )
    .expect("write flow");
    let env = dir.path().join("env.toml");
    std::fs::write(&env, "queues = [\"support\"]\n").expect("write env");
    let out = ccd(&[
        "ivr",
        "check",
        flow.to_str().expect("utf-8"),
        "--env",
        env.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let name = flow.display().to_string();
    assert!(
        text.contains(&format!("{name}:2:5: warning: variable `unused` is never read")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{name}:4:11: error: unknown queue \"sales\"")),
        "{text}"
    );
    assert!(
        text.contains("4 |   enqueue \"sales\" else goto nowhere\n  |           ^^^^^^^\n"),
        "{text}"
    );
    assert!(text.contains("undefined label `nowhere`"), "{text}");
    assert!(
        text.ends_with(&format!("{name}: 2 error(s), 1 warning(s)\n")),
        "{text}"
    );
}

#[test]
fn warnings_alone_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flow = dir.path().join("warn.flow");
    std::fs::write(&flow, "flow w\nvar unused: bool = true\nmain {\n  hangup\n}\n").expect("write flow");
    let out = ccd(&["ivr", "check", flow.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn prompts_on_disk_come_from_prompt_dirs() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (lang, prompt) in [("zh-CN", "welcome"), ("en", "welcome"), ("en", "goodbye")] {
        let folder = dir.path().join("prompts").join(lang);
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::write(folder.join(format!("{prompt}.wav")), b"RIFF").expect("write wav");
    }
    let env = dir.path().join("env.toml");
    std::fs::write(&env, "prompt_dirs = [\"prompts\"]\n").expect("write env");
    let flow = dir.path().join("p.flow");
    std::fs::write(
        &flow,
        "flow p\nmain {\n  play \"welcome\", \"goodbye\", \"missing\"\n  hangup\n}\n",
    )
    .expect("write flow");
    let out = ccd(&[
        "ivr",
        "check",
        flow.to_str().expect("utf-8"),
        "--env",
        env.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("prompt \"missing\" is not among the prompts on disk"),
        "{text}"
    );
    assert!(!text.contains("\"welcome\" is not"), "{text}");
    assert!(text.contains("1 error(s)"), "{text}");
}

#[test]
fn bad_environment_and_missing_files_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = dir.path().join("env.toml");
    std::fs::write(&env, "queus = [\"typo\"]\n").expect("write env");
    let out = ccd(&[
        "ivr",
        "check",
        "examples/flows/it_hotline.flow",
        "--env",
        env.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("queus"), "{err}");

    let out = ccd(&["ivr", "check", "no/such/flow.flow"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read flow no/such/flow.flow"));
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/flows/it_hotline.flow")
            .exists()
    );
}

#[test]
fn ivr_test_runs_the_hotline_script_with_full_branch_coverage() {
    let out = ccd(&[
        "ivr",
        "test",
        "examples/flows/it_hotline.flow",
        "examples/flows/it_hotline.test",
        "--min-branch-coverage",
        "100",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("pass  blacklisted caller is turned away\n"),
        "{text}"
    );
    assert!(text.contains("\n24 passed, 0 failed\n"), "{text}");
    assert!(text.contains("branches: 49/49 (100.0%)"), "{text}");
}

#[test]
fn ivr_test_reports_failures_and_coverage_floors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("short.test");
    std::fs::write(
        &script,
        "list blacklist +8613900000000\ncase turned away\ncaller +8613900000000\nat 2026-11-23T10:00:00+08:00\nexpect play blocked\nplayed\nexpect hangup\nend\n\ncase wrong prompt\nat 2026-11-23T10:00:00+08:00\nexpect play welcome\n",
    )
    .expect("write script");
    let script = script.to_str().expect("utf-8");
    let out = ccd(&["ivr", "test", "examples/flows/it_hotline.flow", script]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("pass  turned away\n"), "{text}");
    assert!(
        text.contains(&format!(
            "FAIL  wrong prompt\n      {script}:line 12: expected `play welcome`, got `play choose_language`"
        )),
        "{text}"
    );
    assert!(text.contains("1 passed, 1 failed"), "{text}");

    std::fs::write(dir.path().join("one.test"), "list blacklist +8613900000000\ncase turned away\ncaller +8613900000000\nat 2026-11-23T10:00:00+08:00\nexpect play blocked\nplayed\nexpect hangup\nend\n").expect("write");
    let one = dir.path().join("one.test");
    let out = ccd(&[
        "ivr",
        "test",
        "examples/flows/it_hotline.flow",
        one.to_str().expect("utf-8"),
        "--min-branch-coverage",
        "90",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("is below the floor of 90.0%"), "{text}");
    assert!(text.contains("branch never taken: line"), "{text}");
}
