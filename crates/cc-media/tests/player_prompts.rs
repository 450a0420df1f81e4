//! The player with prompts made by sox (16 kHz tones) and espeak-ng (speech at 22.05 kHz):
//! resampled to 8 kHz with the right duration, a 1 kHz tone within ±0.5 dB, components at
//! and above the new Nyquist frequency attenuated.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use cc_media::player::prompt::PromptSet;
use cc_media::player::{FRAME, PlayState, Player};

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(program: &str, args: &[&str], dir: &Path) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// A sine at `freq` Hz, amplitude 0.3 of full scale, one second at `rate`, by sox.
fn sox_tone(dir: &Path, file: &str, rate: u32, freq: u32) {
    let rate = rate.to_string();
    let freq = freq.to_string();
    run(
        "sox",
        &[
            "-n", "-r", &rate, "-b", "16", "-c", "1", file, "synth", "1", "sine", &freq, "vol", "0.3",
        ],
        dir,
    );
}

/// RMS of the middle half of `x`.
fn rms(x: &[i16]) -> f64 {
    let mid = &x[x.len() / 4..3 * x.len() / 4];
    (mid.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / mid.len() as f64).sqrt()
}

fn source_rms(path: &Path) -> (f64, usize) {
    let reader = hound::WavReader::open(path).expect("open source");
    let samples: Vec<i16> = reader.into_samples::<i16>().map(|s| s.expect("sample")).collect();
    (rms(&samples), samples.len())
}

#[test]
fn sox_tones_resampled_to_8k_keep_level_and_lose_what_would_alias() {
    if !have("sox") {
        eprintln!("SKIPPED sox_tones_resampled...: sox is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let lang = dir.path().join("en");
    std::fs::create_dir_all(&lang).expect("mkdir");
    let set = PromptSet::new(dir.path());
    for rate in [16000, 22050, 48000] {
        let cases = [(1000, "pass"), (3950, "edge"), (4500, "stop"), (6000, "stop")];
        for (freq, kind) in cases {
            if freq * 2 >= rate {
                continue;
            }
            let key = format!("tone{rate}_{freq}");
            sox_tone(&lang, &format!("{key}.wav"), rate, freq);
            let (input_rms, input_len) = source_rms(&lang.join(format!("{key}.wav")));
            let audio = set.load("en", &key).expect("prompt loads");
            let expected_len = (input_len as u64 * 8000).div_ceil(u64::from(rate)) as usize;
            assert_eq!(audio.len(), expected_len, "{key}: length");
            assert_eq!(audio.len(), 8000, "{key}: one second");
            let gain = 20.0 * (rms(&audio).max(1e-9) / input_rms).log10();
            eprintln!("{key}: {gain:.2} dB");
            match kind {
                "pass" => assert!(gain.abs() <= 0.5, "{key}: 1 kHz changed by {gain:.2} dB"),
                // 3950 Hz is the stop-band edge of the filter (designed for 70 dB).
                "edge" => assert!(gain <= -60.0, "{key}: 3950 Hz only {gain:.1} dB down"),
                _ => assert!(gain <= -70.0, "{key}: {freq} Hz only {gain:.1} dB down"),
            }
        }
    }
}

#[test]
fn espeak_prompt_at_22050_is_resampled_and_played_in_whole_frames() {
    if !have("espeak-ng") {
        eprintln!("SKIPPED espeak_prompt...: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let lang = dir.path().join("en");
    std::fs::create_dir_all(&lang).expect("mkdir");
    run(
        "espeak-ng",
        &["-w", "welcome.wav", "Welcome to the contact center"],
        &lang,
    );
    let spec = hound::WavReader::open(lang.join("welcome.wav"))
        .expect("open")
        .spec();
    assert_eq!(spec.sample_rate, 22050, "espeak-ng writes 22.05 kHz");
    let (input_rms, input_len) = source_rms(&lang.join("welcome.wav"));
    let mut player = Player::new(Arc::new(PromptSet::new(dir.path())));
    player.play_prompt("en", "welcome").expect("prompt loads");
    let expected_len = (input_len as u64 * 8000).div_ceil(22050) as usize;
    let mut frame = [0_i16; FRAME];
    let mut heard = Vec::new();
    while player.next_frame(&mut frame) == PlayState::Playing {
        heard.extend_from_slice(&frame);
    }
    assert_eq!(heard.len(), expected_len.div_ceil(FRAME) * FRAME);
    // Speech keeps most of its energy below 3.4 kHz: within 3 dB of the original.
    let gain = 20.0 * (rms(&heard[..expected_len]) / input_rms).log10();
    eprintln!("espeak speech level change {gain:.2} dB");
    assert!(gain.abs() < 3.0, "speech level changed by {gain:.2} dB");
}

#[test]
fn missing_prompt_is_an_error_naming_file_and_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut player = Player::new(Arc::new(PromptSet::new(dir.path())));
    let err = player.play_prompt("zh-CN", "welcome").expect_err("missing");
    let text = err.to_string();
    let path = dir.path().join("zh-CN").join("welcome.wav");
    assert_eq!(
        text,
        format!(
            "prompt \"welcome\" in language \"zh-CN\" ({}): no such prompt file",
            path.display()
        )
    );
    assert!(player.is_idle());
}
