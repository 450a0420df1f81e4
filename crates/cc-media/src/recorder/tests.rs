use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cc_core::{AgentId, CallId, RecordingId, TenantId};
use sha2::{Digest, Sha256};

use super::{
    Layout, LocalStore, PausedSpan, Recorder, RecordingFormat, RecordingRequest, RecordingStore,
    read_ogg_opus,
};

fn request(tenant: &str, recording: &str, layout: Layout) -> RecordingRequest {
    let mut r = RecordingRequest::new(
        TenantId::new(tenant).unwrap(),
        CallId::new("call-1").unwrap(),
        RecordingId::new(recording).unwrap(),
        layout,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    );
    r.agent = Some(AgentId::new("1001").unwrap());
    r
}

fn read(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let samples = reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (spec, samples)
}

/// Frame `n` of a ramp that identifies where each sample came from.
fn frame(n: usize, base: i16) -> Vec<i16> {
    (0..160).map(|i| base + (n * 160 + i) as i16 % 1000).collect()
}

#[test]
fn stereo_puts_the_caller_left_and_the_agent_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut rec = Recorder::start(store, request("acme", "r1", Layout::Stereo)).unwrap();
    for n in 0..60 {
        rec.write_frame(&frame(n, 1000), &frame(n, -3000)).unwrap();
    }
    let meta = rec.stop().unwrap();
    assert_eq!(meta.duration, Duration::from_millis(1200));
    let (spec, samples) = read(&meta.location);
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 8000, 16)
    );
    assert_eq!(samples.len(), 60 * 160 * 2);
    for n in 0..60 {
        let (left, right) = (frame(n, 1000), frame(n, -3000));
        for i in 0..160 {
            let at = (n * 160 + i) * 2;
            assert_eq!((samples[at], samples[at + 1]), (left[i], right[i]));
        }
    }
    assert_eq!(meta.tenant.as_str(), "acme");
    assert_eq!(meta.call.as_str(), "call-1");
    assert_eq!(meta.agent.as_ref().map(AgentId::as_str), Some("1001"));
    assert_eq!(
        meta.started_at,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    );
    assert!(meta.paused.is_empty());
}

#[test]
fn mono_mixes_both_directions_saturating() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut rec = Recorder::start(store, request("acme", "mono", Layout::MonoMixed)).unwrap();
    rec.write_frame(&[100; 160], &[23; 160]).unwrap();
    rec.write_frame(&[30_000; 160], &[30_000; 160]).unwrap();
    rec.write_frame(&[-30_000; 160], &[-30_000; 160]).unwrap();
    let meta = rec.stop().unwrap();
    let (spec, samples) = read(&meta.location);
    assert_eq!(spec.channels, 1);
    assert_eq!(samples.len(), 480);
    assert!(samples[..160].iter().all(|&s| s == 123));
    assert!(samples[160..320].iter().all(|&s| s == i16::MAX));
    assert!(samples[320..].iter().all(|&s| s == i16::MIN));
}

#[test]
fn paused_spans_are_silence_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut rec = Recorder::start(store, request("acme", "pci", Layout::Stereo)).unwrap();
    let loud = [5000_i16; 160];
    for n in 0..100 {
        // 0-0.4 s audio, 0.4-1.0 s paused (a card number), 1.0-1.6 s audio, paused to the end.
        match n {
            20 | 80 => rec.pause(),
            50 => rec.resume(),
            _ => {}
        }
        if n == 21 {
            rec.pause(); // pausing twice changes nothing
        }
        rec.write_frame(&loud, &loud).unwrap();
    }
    assert!(rec.is_paused());
    let meta = rec.stop().unwrap();
    assert_eq!(
        meta.paused,
        vec![
            PausedSpan {
                start: Duration::from_millis(400),
                end: Duration::from_secs(1)
            },
            PausedSpan {
                start: Duration::from_millis(1600),
                end: Duration::from_secs(2)
            },
        ]
    );
    assert_eq!(meta.duration, Duration::from_secs(2));
    let (_, samples) = read(&meta.location);
    let at = |ms: usize| ms * 8 * 2;
    assert!(samples[..at(400)].iter().all(|&s| s == 5000));
    assert!(samples[at(400)..at(1000)].iter().all(|&s| s == 0));
    assert!(samples[at(1000)..at(1600)].iter().all(|&s| s == 5000));
    assert!(samples[at(1600)..].iter().all(|&s| s == 0));
}

#[test]
fn sha256_is_that_of_the_final_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut rec = Recorder::start(store, request("acme", "hash", Layout::Stereo)).unwrap();
    for n in 0..77 {
        rec.write_frame(&frame(n, 0), &frame(n, 7)).unwrap();
    }
    let meta = rec.stop().unwrap();
    let bytes = std::fs::read(&meta.location).unwrap();
    assert_eq!(bytes.len(), 44 + 77 * 160 * 4);
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    assert_eq!(meta.sha256, digest);
    assert_eq!(meta.sha256_hex().len(), 64);
    assert!(meta.sha256_hex().starts_with(&format!("{:02x}", digest[0])));
}

#[test]
fn local_store_keeps_tenants_apart_and_renames_on_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut a = Recorder::start(store.clone(), request("acme", "r1", Layout::Stereo)).unwrap();
    let mut b = Recorder::start(store.clone(), request("globex", "r1", Layout::Stereo)).unwrap();
    let part = dir.path().join("acme").join("r1.wav.part");
    assert!(part.exists(), "a recording in progress has its temporary name");
    a.write_frame(&[1; 160], &[1; 160]).unwrap();
    b.write_frame(&[2; 160], &[2; 160]).unwrap();
    let acme = TenantId::new("acme").unwrap();
    let globex = TenantId::new("globex").unwrap();
    assert!(
        store.list(&acme).unwrap().is_empty(),
        "unfinished recordings are not listed"
    );

    let meta = a.stop().unwrap();
    assert_eq!(meta.location, dir.path().join("acme").join("r1.wav"));
    assert!(!part.exists());
    assert_eq!(store.list(&acme).unwrap(), vec![RecordingId::new("r1").unwrap()]);
    assert!(store.list(&globex).unwrap().is_empty());
    assert!(store.list(&TenantId::new("initech").unwrap()).unwrap().is_empty());
    let meta_b = b.stop().unwrap();
    assert_eq!(meta_b.location, dir.path().join("globex").join("r1.wav"));
    let (_, samples) = read(&meta_b.location);
    assert!(
        samples.iter().all(|&s| s == 2),
        "each tenant's file holds its own audio"
    );

    // A second recording with a finished id is refused rather than overwriting it.
    assert!(Recorder::start(store.clone(), request("acme", "r1", Layout::Stereo)).is_err());
    // Ids that would leave the tenant's directory are refused.
    assert!(Recorder::start(store.clone(), request("..", "r2", Layout::Stereo)).is_err());
    assert!(Recorder::start(store, request("acme", "..", Layout::Stereo)).is_err());
}

#[test]
fn a_growing_recording_is_readable_up_to_the_last_header_update() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut req = request("acme", "live", Layout::Stereo);
    req.header_interval = Duration::from_millis(200);
    let mut rec = Recorder::start(store, req).unwrap();
    let part = dir.path().join("acme").join("live.wav.part");
    let (_, samples) = read(&part);
    assert!(samples.is_empty(), "a fresh recording is a valid, empty WAV");
    for n in 0..53 {
        rec.write_frame(&frame(n, 100), &frame(n, 200)).unwrap();
        // Read the file as it grows: always valid, never more than 200 ms behind.
        let (spec, samples) = read(&part);
        assert_eq!(spec.channels, 2);
        let written = (n + 1) * 160;
        let readable = samples.len() / 2;
        assert!(
            readable <= written && written - readable < 1600,
            "{readable} of {written}"
        );
        assert_eq!(readable % 1600, 0, "whole 200 ms updates");
    }
}

#[test]
fn a_recorder_dropped_without_stop_leaves_a_playable_part_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut rec = Recorder::start(store.clone(), request("acme", "crash", Layout::Stereo)).unwrap();
    for n in 0..33 {
        rec.write_frame(&frame(n, 10), &frame(n, 20)).unwrap();
    }
    drop(rec);
    let part = dir.path().join("acme").join("crash.wav.part");
    let (_, samples) = read(&part);
    assert_eq!(samples.len(), 33 * 160 * 2, "drop writes what was pending");
    assert_eq!(&samples[..2], &[10, 20]);
    assert!(store.list(&TenantId::new("acme").unwrap()).unwrap().is_empty());
}

#[test]
fn bad_frames_and_settings_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn RecordingStore> = Arc::new(LocalStore::new(dir.path()));
    let mut rec = Recorder::start(store.clone(), request("acme", "bad", Layout::Stereo)).unwrap();
    assert!(rec.write_frame(&[0; 160], &[0; 80]).is_err());
    let mut req = request("acme", "slow", Layout::Stereo);
    req.header_interval = Duration::from_secs(2);
    assert!(Recorder::start(store.clone(), req).is_err());
    let mut req = request("acme", "rate", Layout::Stereo);
    req.sample_rate = 0;
    assert!(Recorder::start(store, req).is_err());
}

/// `len` samples of a sine at `freq` Hz and `rate` Hz, amplitude 8000, from sample `from`.
fn sine(freq: f64, rate: u32, from: usize, len: usize) -> Vec<i16> {
    (from..from + len)
        .map(|n| (8000.0 * (std::f64::consts::TAU * freq * n as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

/// Share of the energy of `x` at `freq` (1.0 for a pure tone), by Goertzel.
fn tone_share(x: &[i16], freq: f64, rate: u32) -> f64 {
    let w = std::f64::consts::TAU * freq / f64::from(rate);
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let energy: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
    if energy == 0.0 {
        0.0
    } else {
        2.0 * power / (x.len() as f64 * energy)
    }
}

#[test]
fn ogg_opus_stereo_keeps_each_party_on_its_channel_and_its_exact_length() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut req = request("acme", "opus-stereo", Layout::Stereo);
    req.format = RecordingFormat::OggOpus;
    let mut rec = Recorder::start(store.clone(), req).unwrap();
    // 2.01 s: 100 frames of 20 ms and one of 10 ms (the last Opus frame is padded, and the
    // granule position trims the padding off again).
    for n in 0..100 {
        rec.write_frame(
            &sine(1000.0, 8000, n * 160, 160),
            &sine(450.0, 8000, n * 160, 160),
        )
        .unwrap();
    }
    rec.write_frame(&sine(1000.0, 8000, 16_000, 80), &sine(450.0, 8000, 16_000, 80))
        .unwrap();
    let meta = rec.stop().unwrap();
    assert_eq!(meta.format, RecordingFormat::OggOpus);
    assert_eq!(meta.duration, Duration::from_millis(2010));
    assert!(
        meta.location.ends_with("acme/opus-stereo.opus"),
        "{:?}",
        meta.location
    );
    let bytes = std::fs::read(&meta.location).unwrap();
    assert_eq!(&bytes[..4], b"OggS");
    assert_eq!(meta.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
    // Under a fifth of the WAV's size (WAV: 2 channels x 2 bytes x 8000 Hz x 2.01 s).
    assert!(bytes.len() < 64_320 / 5, "{} bytes", bytes.len());

    let audio = read_ogg_opus(&meta.location).unwrap();
    assert_eq!(
        (audio.channels, audio.sample_rate, audio.complete),
        (2, 8000, true)
    );
    assert_eq!(audio.samples.len(), 2 * 16_080, "pre-skip and padding trimmed");
    assert!(
        audio.comments.contains(&"TENANT=acme".to_owned()),
        "{:?}",
        audio.comments
    );
    assert!(audio.comments.contains(&"RECORDING=opus-stereo".to_owned()));
    let left: Vec<i16> = audio.samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = audio.samples.iter().skip(1).step_by(2).copied().collect();
    // Past the codec's start-up, each tone holds nearly all of its channel's energy.
    let (l, r) = (
        tone_share(&left[800..], 1000.0, 8000),
        tone_share(&right[800..], 450.0, 8000),
    );
    assert!(l > 0.95 && r > 0.95, "left 1 kHz {l:.3}, right 450 Hz {r:.3}");
    // And in time: the decoded tone lines up with the input (pre-skip honoured), within a
    // few samples of codec delay.
    let input = sine(1000.0, 8000, 0, 16_080);
    let corr = |lag: usize| -> f64 {
        left[4000..12_000]
            .iter()
            .zip(&input[4000 - lag..12_000 - lag])
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    };
    let best = (0..4).max_by(|&a, &b| corr(a).total_cmp(&corr(b))).unwrap();
    assert!(corr(best) > 0.9 * corr(best).abs(), "lag {best}");
    // libopus's own tool, where installed (opus-tools), reads the same length and tones.
    if std::process::Command::new("opusdec")
        .arg("--version")
        .output()
        .is_ok()
    {
        let wav = dir.path().join("opusdec.wav");
        let out = std::process::Command::new("opusdec")
            .args(["--quiet", "--rate", "8000"])
            .arg(&meta.location)
            .arg(&wav)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (spec, samples) = read(&wav);
        assert_eq!(
            (spec.channels, spec.sample_rate, samples.len()),
            (2, 8000, 2 * 16_080)
        );
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        assert!(tone_share(&left[800..], 1000.0, 8000) > 0.95);
    }
    assert_eq!(
        store.list(&TenantId::new("acme").unwrap()).unwrap(),
        [RecordingId::new("opus-stereo").unwrap()]
    );
}

#[test]
fn ogg_opus_mono_at_16_khz_mixes_both_directions_and_pauses_as_silence() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut req = request("acme", "opus-mono", Layout::MonoMixed);
    req.format = RecordingFormat::OggOpus;
    req.sample_rate = 16_000;
    let mut rec = Recorder::start(store, req).unwrap();
    for n in 0..150 {
        if n == 50 {
            rec.pause();
        }
        if n == 100 {
            rec.resume();
        }
        rec.write_frame(
            &sine(700.0, 16_000, n * 320, 320),
            &sine(2200.0, 16_000, n * 320, 320),
        )
        .unwrap();
    }
    let meta = rec.stop().unwrap();
    assert_eq!(
        meta.paused,
        [PausedSpan {
            start: Duration::from_secs(1),
            end: Duration::from_secs(2)
        }]
    );
    let audio = read_ogg_opus(&meta.location).unwrap();
    assert_eq!((audio.channels, audio.sample_rate), (1, 16_000));
    assert_eq!(audio.samples.len(), 48_000);
    let rms = |x: &[i16]| (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    let (talk, paused, after) = (
        &audio.samples[1600..15_000],
        &audio.samples[17_000..31_000],
        &audio.samples[33_600..],
    );
    assert!(rms(paused) < 50.0, "paused span rms {:.0}", rms(paused));
    for part in [talk, after] {
        let (a, b) = (tone_share(part, 700.0, 16_000), tone_share(part, 2200.0, 16_000));
        assert!(
            a > 0.4 && b > 0.4 && a + b > 0.95,
            "700 Hz {a:.3}, 2200 Hz {b:.3}"
        );
    }
}

#[test]
fn a_growing_ogg_opus_recording_is_readable_up_to_its_last_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path()));
    let mut req = request("acme", "opus-live", Layout::Stereo);
    req.format = RecordingFormat::OggOpus;
    req.header_interval = Duration::from_millis(200);
    let mut rec = Recorder::start(store, req).unwrap();
    let part = dir.path().join("acme").join("opus-live.opus.part");
    let fresh = read_ogg_opus(&part).unwrap();
    assert!(
        fresh.samples.is_empty() && !fresh.complete,
        "headers alone: a valid, empty stream"
    );
    for n in 0..53 {
        rec.write_frame(
            &sine(1000.0, 8000, n * 160, 160),
            &sine(450.0, 8000, n * 160, 160),
        )
        .unwrap();
        let audio = read_ogg_opus(&part).unwrap();
        let written = (n + 1) * 160;
        let readable = audio.samples.len() / 2;
        // Pages of 10 packets (200 ms), the newest packet held back: never more than
        // 220 ms behind.
        assert!(
            readable <= written && written - readable <= 1760,
            "{readable} of {written}"
        );
    }
    assert!(read_ogg_opus(&part).unwrap().samples.len() / 2 >= 53 * 160 - 1760);
    let mut req = request("acme", "opus-bad-rate", Layout::Stereo);
    req.format = RecordingFormat::OggOpus;
    req.sample_rate = 11_025;
    let store = Arc::new(LocalStore::new(dir.path()));
    assert!(Recorder::start(store, req).is_err());
    assert!(read_ogg_opus(&dir.path().join("nothing.opus")).is_err());
    std::fs::write(dir.path().join("junk.opus"), b"OggS not really").unwrap();
    assert!(read_ogg_opus(&dir.path().join("junk.opus")).is_err());
}
