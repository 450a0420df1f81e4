//! The contract of `examples/g711.rs`, run as a real program: sox makes a 1 s 440 Hz tone,
//! `g711 encode` codes it, sox decodes our raw file, and `g711 decode` of the same file
//! gives exactly what sox gives. Bad arguments and wrong WAV formats exit non-zero with a
//! message, never a panic.
//!
//! `cargo test` builds the examples before running tests; when only this test target was
//! built, build the example first (`cargo build --example g711`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `target/<profile>/examples/g711`, next to this test's `deps` folder.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lies in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("g711{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --example g711` (plain `cargo test` builds it)",
        path.display()
    );
    path
}

fn have_sox() -> bool {
    Command::new("sox")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn sox(dir: &Path, args: &[&str]) {
    let status = Command::new("sox")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("sox runs");
    assert!(status.success(), "sox {args:?} failed");
}

fn g711(dir: &Path, args: &[&str]) -> Output {
    Command::new(example())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the example runs")
}

fn samples(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let reader = hound::WavReader::open(path).expect("a WAV file");
    let spec = reader.spec();
    (
        spec,
        reader
            .into_samples::<i16>()
            .map(|s| s.expect("16-bit samples"))
            .collect(),
    )
}

#[test]
fn encode_and_decode_agree_with_sox() {
    if !have_sox() {
        eprintln!(
            "SKIPPED encode_and_decode_agree_with_sox: sox is not installed (scripts/test.sh installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    sox(
        d,
        &[
            "-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "1", "sine", "440",
        ],
    );
    for (law, kind) in [("mu", "ul"), ("a", "al")] {
        let out = g711(d, &["encode", "--law", law, "tone.wav", "tone.raw"]);
        assert!(
            out.status.success(),
            "encode --law {law}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::metadata(d.join("tone.raw")).expect("raw written").len(),
            8000
        );
        let out = g711(d, &["decode", "--law", law, "tone.raw", "ours.wav"]);
        assert!(
            out.status.success(),
            "decode --law {law}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        sox(
            d,
            &[
                "-t", kind, "-r", "8000", "-c", "1", "tone.raw", "-b", "16", "sox.wav",
            ],
        );
        let (spec, ours) = samples(&d.join("ours.wav"));
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.bits_per_sample),
            (8000, 1, 16)
        );
        let (_, theirs) = samples(&d.join("sox.wav"));
        assert_eq!(ours.len(), 8000);
        assert!(
            ours == theirs,
            "--law {law}: sox decodes our encoding differently from us"
        );
    }
}

#[test]
fn bad_input_exits_non_zero_with_a_message() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    let write = |name: &str, rate: u32, channels: u16| {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(d.join(name), spec).expect("wav");
        for i in 0..160 * u32::from(channels) {
            w.write_sample((i * 100) as i16).expect("sample");
        }
        w.finalize().expect("finalize");
    };
    write("wide.wav", 16_000, 1);
    write("stereo.wav", 8000, 2);
    let cases: &[(&[&str], &str)] = &[
        (&[], "missing the direction"),
        (&["encode", "wide.wav", "out.raw"], "--law"),
        (&["encode", "--law", "x", "wide.wav", "out.raw"], "\"x\""),
        (&["encode", "--law", "mu", "wide.wav", "out.raw"], "16000 Hz"),
        (&["encode", "--law", "a", "stereo.wav", "out.raw"], "2 channels"),
        (&["encode", "--law", "a", "missing.wav", "out.raw"], "missing.wav"),
        (&["decode", "--law", "a", "missing.raw", "out.wav"], "missing.raw"),
    ];
    for (args, expected) in cases {
        let out = g711(d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{args:?}: {:?}",
            out.status
        );
        assert!(
            stderr.contains(expected) && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!d.join("out.raw").exists(), "nothing written on error");
    let help = g711(d, &["--help"]);
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("g711 encode --law"));
}
