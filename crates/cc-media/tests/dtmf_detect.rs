//! In-band DTMF detection on real audio: every key made by sox, through G.711, in
//! sequences with gaps; no false digits on speech made by espeak-ng (English and Chinese)
//! or on music-like multi-tone audio; and the edges (duration, level, twist, frequency,
//! noise) on signals synthesized here.

use std::path::Path;
use std::process::Command;

use cc_media::Law;
use cc_media::dtmf::DtmfDetector;
use cc_media::dtmf::detect::{COLUMNS, DetectorConfig, KEYS, ROWS};
use cc_media::wav::read_telephone_wav;

const KEYPAD: &str = "123A456B789C*0#D";

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(tool: &str, args: &[&str], dir: &Path) {
    let out = Command::new(tool).args(args).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn frequencies(key: char) -> (f32, f32) {
    for (r, row) in KEYS.iter().enumerate() {
        for (c, &k) in row.iter().enumerate() {
            if k == key {
                return (ROWS[r], COLUMNS[c]);
            }
        }
    }
    panic!("no key {key}");
}

/// Runs audio through the detector in 20 ms frames and returns the digits.
fn detect(audio: &[i16]) -> String {
    let mut detector = DtmfDetector::new();
    let mut digits = String::new();
    for frame in audio.chunks(160) {
        detector.process(frame);
        while let Some(d) = detector.poll_digit() {
            digits.push(d.digit.as_char());
        }
    }
    digits
}

/// Encodes and decodes with G.711, as audio arriving over a PCMU/PCMA call.
fn through_g711(audio: &[i16], law: Law) -> Vec<i16> {
    audio
        .iter()
        .map(|&x| law.decode_sample(law.encode_sample(x)))
        .collect()
}

/// A tone of `key` made by sox: `synth SECONDS sine ROW sine COLUMN`, mixed to mono.
fn sox_key(dir: &Path, key: char, seconds: f32) -> Vec<i16> {
    let (row, column) = frequencies(key);
    let name = format!("key{}.wav", u32::from(key));
    run(
        "sox",
        &[
            "-n",
            "-r",
            "8000",
            "-b",
            "16",
            "-c",
            "1",
            &name,
            "synth",
            &seconds.to_string(),
            "sine",
            &row.to_string(),
            "sine",
            &column.to_string(),
        ],
        dir,
    );
    read_telephone_wav(&dir.join(name)).unwrap()
}

fn silence(ms: usize) -> Vec<i16> {
    vec![0; ms * 8]
}

#[test]
fn every_key_made_by_sox_is_detected_once_through_g711() {
    if !have("sox") {
        eprintln!("SKIPPED every_key_made_by_sox_is_detected_once_through_g711: sox is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for key in KEYPAD.chars() {
        let mut audio = silence(30);
        audio.extend(sox_key(dir.path(), key, 0.1));
        audio.extend(silence(100));
        assert_eq!(detect(&audio), key.to_string(), "linear");
        for law in [Law::Mu, Law::A] {
            assert_eq!(detect(&through_g711(&audio, law)), key.to_string(), "{law:?}");
        }
    }
}

#[test]
fn sequences_with_gaps_made_by_sox() {
    if !have("sox") {
        eprintln!("SKIPPED sequences_with_gaps_made_by_sox: sox is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Usual keying: 100 ms on, 100 ms off; fast keying: 70 ms on, 60 ms off; and repeats.
    for (sequence, on, off) in [(KEYPAD, 0.1, 100), ("0123456789", 0.07, 60), ("55511#", 0.08, 70)] {
        let mut audio = silence(50);
        for key in sequence.chars() {
            audio.extend(sox_key(dir.path(), key, on));
            audio.extend(silence(off));
        }
        assert_eq!(
            detect(&through_g711(&audio, Law::A)),
            sequence,
            "{on} s on, {off} ms off"
        );
    }
}

/// Two sines of the given frequencies and peak amplitudes, `ms` long, starting `delay`
/// samples into the output.
fn tones(f1: f32, a1: f32, f2: f32, a2: f32, ms: usize, delay: usize) -> Vec<i16> {
    let mut out = vec![0_i16; delay];
    let tau = std::f32::consts::TAU;
    out.extend((0..ms * 8).map(|n| {
        let t = n as f32 / 8000.0;
        (a1 * (tau * f1 * t).sin() + a2 * (tau * f2 * t).sin()) as i16
    }));
    out.extend(silence(60));
    out
}

/// Peak amplitude of a sine at `dbm0` in 16-bit PCM.
fn amplitude(dbm0: f32) -> f32 {
    32_768.0 / 1.4406 * 10_f32.powf(dbm0 / 20.0)
}

#[test]
fn duration_edges_at_every_alignment() {
    let a = amplitude(-10.0);
    for delay in (0..205).step_by(11) {
        assert_eq!(
            detect(&tones(852.0, a, 1477.0, a, 70, delay)),
            "9",
            "70 ms at offset {delay}"
        );
        assert_eq!(
            detect(&tones(852.0, a, 1477.0, a, 20, delay)),
            "",
            "20 ms at offset {delay}"
        );
    }
}

#[test]
fn level_twist_and_frequency_edges() {
    let (row, column) = frequencies('8');
    let a = amplitude(-8.0);
    assert_eq!(detect(&tones(row, a, column, a, 100, 0)), "8");
    assert_eq!(
        detect(&tones(row, amplitude(-28.0), column, amplitude(-28.0), 100, 0)),
        "8"
    );
    assert_eq!(
        detect(&tones(row, amplitude(-40.0), column, amplitude(-40.0), 100, 0)),
        "",
        "too quiet"
    );
    // Twist: 6 dB either way passes, 12 dB fails.
    assert_eq!(detect(&tones(row, a, column, a / 2.0, 100, 0)), "8");
    assert_eq!(detect(&tones(row, a / 2.0, column, a, 100, 0)), "8");
    assert_eq!(detect(&tones(row, a, column, a / 4.0, 100, 0)), "", "12 dB twist");
    assert_eq!(
        detect(&tones(row, a / 4.0, column, a, 100, 0)),
        "",
        "12 dB reverse twist"
    );
    // Frequency: 1.5 % off is accepted, 4 % off is not.
    assert_eq!(detect(&tones(row * 1.015, a, column * 0.985, a, 100, 0)), "8");
    assert_eq!(detect(&tones(row * 1.04, a, column, a, 100, 0)), "");
    assert_eq!(detect(&tones(row, a, column * 0.96, a, 100, 0)), "");
    // A single tone is no digit.
    assert_eq!(detect(&tones(row, a, column, 0.0, 200, 0)), "");
}

/// Deterministic uniform noise in [-1, 1) (xorshift32), so no test depends on luck.
fn noise_source(seed: u32) -> impl FnMut() -> f32 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32 - 0.5) * 2.0
    }
}

/// Adds white noise `snr_db` below the power of a tone pair of peak `a` each.
fn add_noise(audio: &[i16], a: f32, snr_db: f32, seed: u32) -> Vec<i16> {
    let mut noise = noise_source(seed);
    // The pair's power is a²; uniform noise of peak p has power p² / 3.
    let peak = (3.0 * a * a * 10_f32.powf(-snr_db / 10.0)).sqrt();
    audio
        .iter()
        .map(|&x| (f32::from(x) + peak * noise()) as i16)
        .collect()
}

#[test]
fn detection_rate_in_white_noise() {
    // All 16 keys, ten rounds each (160 digits, 80 ms on, 70 ms off), at -12 dBm0 per tone
    // with white noise 10 dB below the pair, through µ-law: every digit is found, in order.
    let a = amplitude(-12.0);
    let mut audio = Vec::new();
    let mut expected = String::new();
    for round in 0..10 {
        for key in KEYPAD.chars() {
            let (row, column) = frequencies(key);
            audio.extend(tones(row, a, column, a, 80, 80 + round));
            expected.push(key);
        }
    }
    for seed in [0x2545_F491, 0x9E37_79B9, 0x0BAD_CAFE] {
        let noisy = add_noise(&audio, a, 10.0, seed);
        let found = detect(&through_g711(&noisy, Law::Mu));
        assert_eq!(found, expected, "noise seed {seed:#x}");
    }
}

#[test]
fn no_false_digits_on_noise() {
    // Ten seconds of white noise at about -15 dBm0.
    let noise = add_noise(&silence(10_000), amplitude(-15.0), 3.0, 0x1234_5678);
    assert_eq!(detect(&noise), "");
    assert_eq!(detect(&through_g711(&noise, Law::A)), "");
}

/// Speech made by espeak-ng, resampled by sox to 8 kHz mono 16-bit.
fn speech(dir: &Path, voice: &str, text: &str) -> Vec<i16> {
    let raw = format!("{voice}-22k.wav");
    let wav = format!("{voice}.wav");
    run("espeak-ng", &["-v", voice, "-w", &raw, text], dir);
    run("sox", &[&raw, "-r", "8000", "-c", "1", "-b", "16", &wav], dir);
    read_telephone_wav(&dir.join(wav)).unwrap()
}

#[test]
fn no_false_digits_on_speech() {
    if !have("sox") || !have("espeak-ng") {
        eprintln!("SKIPPED no_false_digits_on_speech: sox or espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prompts = [
        (
            "en",
            "Welcome to customer service. For billing, press one. To speak to an agent, press zero. \
                Please hold while we connect your call; your call is important to us.",
        ),
        (
            "en-us",
            "Thank you for calling. Your estimated waiting time is four minutes. \
                   Seven, eight, nine, star, pound. Goodbye.",
        ),
        (
            "zh",
            "欢迎致电客户服务中心，请按一号键。查询账单请按二，人工服务请按零。您的来电对我们非常重要，请耐心等待。",
        ),
        ("yue", "多谢致电，请留低你嘅电话号码，我哋会尽快回复你。"),
    ];
    for (voice, text) in prompts {
        let audio = speech(dir.path(), voice, text);
        assert!(
            audio.len() > 8000 * 2,
            "{voice}: {} samples of speech",
            audio.len()
        );
        for (label, audio) in [
            ("linear", audio.clone()),
            ("µ-law", through_g711(&audio, Law::Mu)),
            ("A-law", through_g711(&audio, Law::A)),
        ] {
            assert_eq!(detect(&audio), "", "{voice} speech ({label}) gave false digits");
        }
        // And a digit keyed over the speech is still heard.
        let (row, column) = frequencies('7');
        let mut mixed = audio.clone();
        let key = tones(row, amplitude(-6.0), column, amplitude(-6.0), 120, 0);
        let quiet: Vec<i16> = audio.iter().map(|&x| x / 8).collect(); // speech 18 dB down
        mixed.truncate(0);
        mixed.extend(
            quiet
                .iter()
                .zip(key.iter().chain(std::iter::repeat(&0)))
                .map(|(&s, &k)| s.saturating_add(k)),
        );
        assert_eq!(detect(&mixed), "7", "{voice}: a digit over quiet speech");
    }
}

#[test]
fn no_false_digits_on_music_like_tones() {
    if !have("sox") {
        eprintln!("SKIPPED no_false_digits_on_music_like_tones: sox is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Chords that contain notes within 0.3 % of DTMF pairs (F5 ≈ 697, F#6 ≈ 1477,
    // A#5 ≈ 941, E6 ≈ 1336), each with other notes sounding; a bright chord with
    // harmonics; a plucked chord; and a siren sweeping across both groups over a steady chord.
    let pieces: [&[&str]; 6] = [
        &[
            "synth", "2", "pluck", "698.46", "pluck", "1479.98", "pluck", "880",
        ],
        &[
            "synth", "2", "sine", "698.46", "sine", "880", "sine", "1046.5", "sine", "1479.98",
        ],
        &[
            "synth", "2", "sine", "932.33", "sine", "1174.66", "sine", "1318.51", "sine", "587.33",
        ],
        &[
            "synth", "2", "sine", "698.46", "sine", "1396.91", "sine", "1479.98", "sine", "2959.96", "sine",
            "349.23",
        ],
        &[
            "synth", "2", "square", "220", "sine", "440", "triangle", "659.25", "sine", "1318.51",
        ],
        &["synth", "3", "sine", "500-1700", "sine", "392", "sine", "523.25"],
    ];
    let mut all = Vec::new();
    for (i, effects) in pieces.iter().enumerate() {
        let name = format!("music{i}.wav");
        let mut args = vec!["-n", "-r", "8000", "-b", "16", "-c", "1", name.as_str()];
        args.extend_from_slice(effects);
        run("sox", &args, d);
        let audio = read_telephone_wav(&d.join(&name)).unwrap();
        assert_eq!(detect(&audio), "", "music piece {i}: {effects:?}");
        assert_eq!(
            detect(&through_g711(&audio, Law::A)),
            "",
            "music piece {i} through A-law"
        );
        all.extend(audio);
    }
    // An arpeggio of notes of the C and F major scales, one note at a time with harmonics.
    let notes = [
        523.25, 587.33, 659.25, 698.46, 783.99, 880.0, 987.77, 1046.5, 1174.66, 1318.51, 1396.91, 1479.98,
    ];
    let tau = std::f32::consts::TAU;
    let arpeggio: Vec<i16> = notes
        .iter()
        .cycle()
        .take(48)
        .enumerate()
        .flat_map(|(i, &f)| {
            let prev = notes[(i + 5) % notes.len()];
            (0..1200).map(move |n| {
                let t = n as f32 / 8000.0;
                // The note with two harmonics, over the fading previous note.
                let v = 6000.0 * (tau * f * t).sin()
                    + 2500.0 * (tau * 2.0 * f * t).sin()
                    + 1200.0 * (tau * 3.0 * f * t).sin()
                    + 4000.0 * (-t * 8.0).exp() * (tau * prev * t).sin();
                v as i16
            })
        })
        .collect();
    assert_eq!(detect(&arpeggio), "", "arpeggio");
    assert!(!all.is_empty());
}

#[test]
fn config_is_checked() {
    let bad = DetectorConfig {
        min_tone_share: 1.5,
        ..DetectorConfig::default()
    };
    let err = DtmfDetector::with_config(&bad).unwrap_err().to_string();
    assert!(err.contains("1.5") && err.contains("at most 1"), "{err}");
    let bad = DetectorConfig {
        min_blocks: 0,
        ..DetectorConfig::default()
    };
    assert!(DtmfDetector::with_config(&bad).is_err());
    assert!(DtmfDetector::with_config(&DetectorConfig::default()).is_ok());
}
