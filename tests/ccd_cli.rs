//! The `ccd` command line: help, version and the global logging flags.

use std::process::Command;

fn ccd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ccd"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("ccd runs")
}

#[test]
fn help_lists_the_global_logging_flags() {
    let out = ccd(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["--log-format", "--log ", "version", "pretty", "json"] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
}

#[test]
fn version_prints_ccd_and_each_layer() {
    let out = ccd(&["version"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("ccd {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("cc-core"), "{text}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let out = ccd(&["--log-format", "json", "--log", "debug", "version"]);
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    let line = logs
        .lines()
        .find(|l| l.contains("version printed"))
        .expect("a debug line");
    let value: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(value["level"], "DEBUG");
}

#[test]
fn bad_flags_fail_with_a_clear_message() {
    let out = ccd(&["--log-format", "xml", "version"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("xml"));

    let out = ccd(&["--log", "[[[", "version"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid --log"));

    let out = ccd(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}
