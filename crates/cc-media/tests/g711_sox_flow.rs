//! The `g711` tool's flow on real audio, checked against sox: sox makes a 1 s 440 Hz tone,
//! we encode it, sox decodes our raw file, and sox's decoding equals ours sample for sample.

use std::path::Path;
use std::process::Command;

use cc_media::Law;
use cc_media::g711_cli::{decode_file, encode_file};
use cc_media::wav::read_telephone_wav;

fn sox(args: &[&str], dir: &Path) {
    let status = Command::new("sox").args(args).current_dir(dir).status().unwrap();
    assert!(status.success(), "sox {args:?} failed");
}

#[test]
fn sox_decodes_our_encoding_exactly_as_we_do() {
    if Command::new("sox").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED sox_decodes_our_encoding_exactly_as_we_do: sox is not installed (scripts/test.sh installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sox(
        &[
            "-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "1", "sine", "440", "gain", "-3",
        ],
        d,
    );
    let tone = read_telephone_wav(&d.join("tone.wav")).unwrap();
    assert_eq!(tone.len(), 8000);
    assert!(
        tone.iter().any(|&x| x > 20_000),
        "the tone is loud enough to use the upper segments"
    );

    for (law, kind) in [(Law::Mu, "ul"), (Law::A, "al")] {
        let raw = d.join(format!("out.{kind}"));
        assert_eq!(encode_file(law, &d.join("tone.wav"), &raw).unwrap(), 8000);
        decode_file(law, &raw, &d.join("ours.wav")).unwrap();
        sox(
            &[
                "-t",
                kind,
                "-r",
                "8000",
                "-c",
                "1",
                &format!("out.{kind}"),
                "-b",
                "16",
                "sox.wav",
            ],
            d,
        );
        let ours = read_telephone_wav(&d.join("ours.wav")).unwrap();
        let theirs = read_telephone_wav(&d.join("sox.wav")).unwrap();
        assert_eq!(ours.len(), 8000);
        assert!(
            ours == theirs,
            "{kind}: sox's decoding of our file differs from ours"
        );
        // And the coding error is what G.711 promises: within half a step of the segment.
        let worst = tone
            .iter()
            .zip(&ours)
            .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
            .max();
        assert!(worst.is_some_and(|w| w <= 1024), "{kind}: worst error {worst:?}");
    }
}
