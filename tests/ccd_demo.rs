//! `ccd demo --json`: the whole demo center (two tenants, IVR, three queues, eight
//! simulated agents, simulated callers over real SIP and RTP on 127.0.0.1) runs briefly
//! and prints its summary with the contract keys.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_demo_runs_and_reports_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ccd"))
        .args(["demo", "--seconds", "12", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("ccd runs");
    assert!(started.elapsed() < Duration::from_secs(90), "the demo overran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON summary");
    for key in [
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "asa_s",
        "recordings",
    ] {
        assert!(report.get(key).is_some(), "missing `{key}` in {report}");
    }
    // The eight agents' phones registered with digest authentication.
    assert_eq!(report["registered_phones"], 8, "{report}");
    let answered = report["answered"].as_u64().unwrap();
    assert!(answered >= 3, "{report}");
    assert!(report["offered"].as_u64().unwrap() >= answered);
    // The second caller asked for a callback while support agents were in training.
    assert!(report["callbacks"].as_u64().unwrap() >= 1, "{report}");
    let recordings = report["recordings"].as_array().unwrap();
    assert!(recordings.len() as u64 >= answered, "{report}");
    for r in recordings {
        let path = std::path::Path::new(r.as_str().unwrap());
        let wav = hound::WavReader::open(path).expect("a playable recording");
        assert_eq!(wav.spec().channels, 2);
        assert!(
            wav.duration() > 8_000,
            "{}: {} samples",
            path.display(),
            wav.duration()
        );
    }
    let db = std::path::Path::new(report["database"].as_str().unwrap());
    assert!(db.exists());
    // The configuration the demo wrote checks clean.
    let check = Command::new(env!("CARGO_BIN_EXE_ccd"))
        .arg("check")
        .arg(report["config"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
