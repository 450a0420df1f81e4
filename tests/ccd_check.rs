//! `ccd check CONFIG`: a clean configuration passes; a broken one lists every problem with
//! its key path or `file:line:col` and exits 1.

use std::process::Command;

fn ccd_check(path: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccd"))
        .arg("check")
        .arg(path)
        .output()
        .expect("ccd runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_demo_configuration_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = ccsdk::center::demo::write(dir.path()).unwrap();
    let (code, out) = ccd_check(&config);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("0 error(s), 0 warning(s); 2 tenant(s), 3 queue(s), 8 agent(s), 2 flow(s)"),
        "{out}"
    );
}

#[test]
fn a_broken_configuration_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("f.flow"),
        "flow f\nmain {\n    play \"hello\"\n    goto nowhere\n}\n",
    )
    .unwrap();
    let config = dir.path().join("center.toml");
    std::fs::write(
        &config,
        "[[tenant]]\nid = \"acme\"\n[[flow]]\nid = \"f\"\nfile = \"f.flow\"\n[[queue]]\nid = \"q\"\ntenant = \"nobody\"\n",
    )
    .unwrap();
    let (code, out) = ccd_check(&config);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("queue[0].tenant: error: unknown tenant `nobody`"),
        "{out}"
    );
    assert!(out.contains("f.flow:4:"), "{out}");
    assert!(out.contains("2 error(s)"), "{out}");

    std::fs::write(&config, "[[tenant]]\nid = \"acme\"\n[rtp]\nport_min = \"low\"\n").unwrap();
    let (code, out) = ccd_check(&config);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("center.toml:4:") && out.contains("rtp.port_min"),
        "{out}"
    );

    let (code, out) = ccd_check(&dir.path().join("missing.toml"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot read"), "{out}");
}
