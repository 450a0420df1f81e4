//! The C programs, built with the system C compiler against the static library and run:
//! `examples/c/route_and_check.c` and `examples/c/center.c` (the examples users copy) and
//! `tests/c/bad_input.c` (bad input through every entry point). When `valgrind` is installed (scripts/test.sh installs
//! it), each also runs under memcheck and must report zero errors and zero leaks.
//!
//! The library: an integration test depends on the `cc_ffi` library target, and Cargo
//! builds every crate type of that target (rlib, staticlib, cdylib) before the test runs.
//! `cargo test` leaves `libcc_ffi.a` in `target/<profile>/deps/`, `cargo build` in
//! `target/<profile>/`; the test links the newer of the two, so it is always as fresh as
//! the test itself. Only when neither exists (a runner that builds the rlib alone) does
//! the test run `cargo build -p cc-ffi` itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CFLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"];

/// The system libraries the static library needs, as `cargo rustc -p cc-ffi --crate-type
/// staticlib -- --print native-static-libs` lists them: libopus comes from cc-media (the
/// center's codecs; linked dynamically by audiopus), the rest from std and tokio.
const LIBS: &[&str] = &["-lopus", "-lpthread", "-ldl", "-lm", "-lrt", "-lutil"];

/// The target profile folder (`target/debug`), from this test binary's path
/// (`target/debug/deps/c_programs-HASH`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let deps = exe.parent().expect("the test binary lies in a folder");
    if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent().unwrap_or(deps).to_path_buf()
    } else {
        deps.to_path_buf()
    }
}

fn static_lib() -> PathBuf {
    let dir = profile_dir();
    let candidates = [dir.join("libcc_ffi.a"), dir.join("deps/libcc_ffi.a")];
    let newest = |c: &[PathBuf]| {
        c.iter()
            .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p.clone())))
            .max()
            .map(|(_, p)| p)
    };
    if let Some(lib) = newest(&candidates) {
        return lib;
    }
    eprintln!(
        "note: {} is missing; running `cargo build -p cc-ffi`",
        dir.join("libcc_ffi.a").display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "cc-ffi"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p cc-ffi failed");
    newest(&candidates).unwrap_or_else(|| panic!("no libcc_ffi.a in {} after cargo build", dir.display()))
}

fn show(output: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Compiles one C file against the header and the static library; returns the program.
fn build(source: &Path, name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let compiler = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let output = Command::new(&compiler)
        .args(CFLAGS)
        .arg("-I")
        .arg(manifest.join("include"))
        .arg(source)
        .arg(static_lib())
        .args(LIBS)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the C compiler {} (set CC to choose one): {e}",
                compiler.display()
            )
        });
    assert!(
        output.status.success(),
        "{} does not compile with {CFLAGS:?}:\n{}",
        source.display(),
        show(&output)
    );
    out
}

fn valgrind_installed() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the program, then (when valgrind is installed) runs it again under memcheck.
/// Returns the plain run's standard output.
fn run(program: &Path, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .expect("the C program starts");
    assert!(
        output.status.success(),
        "{} failed:\n{}",
        program.display(),
        show(&output)
    );
    if valgrind_installed() {
        let checked = Command::new("valgrind")
            .args([
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible",
                "--error-exitcode=1",
            ])
            .arg(program)
            .args(args)
            .output()
            .expect("valgrind starts");
        let report = String::from_utf8_lossy(&checked.stderr);
        assert!(
            checked.status.success() && report.contains("ERROR SUMMARY: 0 errors"),
            "valgrind found errors or leaks in {}:\n{}",
            program.display(),
            show(&checked)
        );
        println!("valgrind: {}: 0 errors, 0 leaks", program.display());
    } else {
        println!(
            "note: valgrind is not installed; {} ran without memcheck",
            program.display()
        );
    }
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn example_routes_contacts_and_checks_flows() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = build(
        &manifest.join("../../examples/c/route_and_check.c"),
        "route_and_check",
    );
    let out = run(&program, &[]);
    for expected in [
        "offer         contact=c-1 agent=1001",
        "offer         contact=c-2 agent=1002",
        "cancel-offer  contact=c-3 agent=1001 queue= (no_answer)",
        "broken.flow:4:13: error: unknown queue \"salse\"",
        "broken.flow: 3 error(s)",
        "support_line.flow: 0 error(s), 0 warning(s)",
        "\"action\":\"enqueue\",\"queue\":\"sales\"",
        "18 Erlangs: 22 agents",
        "\nok\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn bad_input_gets_codes_and_messages() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = build(&manifest.join("tests/c/bad_input.c"), "bad_input");
    let out = run(&program, &[]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn center_example_starts_logs_in_snapshots_and_stops() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = build(&manifest.join("../../examples/c/center.c"), "center");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = dir.path().join("center.toml");
    std::fs::write(
        &config,
        "[center]\ndata_dir = \"data\"\n[sip]\nlisten = \"127.0.0.1:0\"\n\
         [rtp]\nbind = \"127.0.0.1\"\nport_min = 36200\nport_max = 36249\nworkers = 1\n\
         [[tenant]]\nid = \"acme\"\n[[queue]]\nid = \"sales\"\ntenant = \"acme\"\n\
         [[agent]]\nid = \"1001\"\ncontact = \"sip:1001@127.0.0.1:5999\"\ntenants = { acme = {} }\n",
    )
    .expect("the configuration is written");
    let out = run(&program, &[config.as_os_str()]);
    for expected in [
        "missing file: CC_IO_ERROR: cc_center_start: cannot read no/such/center.toml",
        "SIP listening on port chosen",
        "unknown agent: CC_NOT_FOUND",
        "event {\"seq\":1,\"tenant\":\"acme\",\"event\":\"agent\",\"agent\":\"1001\",\"status\":\"ready\"",
        "event {\"seq\":2,\"tenant\":\"acme\",\"event\":\"agent\",\"agent\":\"1001\",\"status\":\"not_ready\",\"reason\":\"coffee\"}",
        "event {\"seq\":3,\"tenant\":\"acme\",\"event\":\"agent\",\"agent\":\"1001\",\"status\":\"ready\"",
        "snapshot {\"queues\":[{\"queue\":\"sales\",\"tenant\":\"acme\"",
        "\"agents_ready\":1",
        "events delivered: 3\n",
        "\nok\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}
