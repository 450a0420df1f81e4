//! A recorder writing Ogg/Opus in real time is killed with SIGKILL; the file it leaves
//! behind plays up to its last page. The child is this test binary itself, running the
//! ignored test `child_records_until_killed`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cc_core::{CallId, RecordingId, TenantId};
use cc_media::recorder::{Layout, LocalStore, Recorder, RecordingFormat, RecordingRequest, read_ogg_opus};

const CHILD: &str = "child_records_until_killed";
const DIR_VAR: &str = "CC_MEDIA_RECORD_CHILD_DIR";

fn sine(freq: f64, from: usize, len: usize) -> Vec<i16> {
    (from..from + len)
        .map(|n| (8000.0 * (std::f64::consts::TAU * freq * n as f64 / 8000.0).sin()) as i16)
        .collect()
}

fn tone_share(x: &[i16], freq: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / 8000.0;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let energy: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
    2.0 * power / (x.len() as f64 * energy.max(1.0))
}

/// Records a stereo tone (1 kHz caller, 450 Hz agent) as Ogg/Opus into the directory in
/// `CC_MEDIA_RECORD_CHILD_DIR`, one 20 ms frame every 20 ms, for at most a minute.
#[test]
#[ignore = "the child process of an_ogg_opus_recorder_killed_by_sigkill_leaves_a_playable_file"]
fn child_records_until_killed() {
    let dir = PathBuf::from(std::env::var_os(DIR_VAR).expect("run by the parent test"));
    let store = Arc::new(LocalStore::new(dir));
    let mut request = RecordingRequest::new(
        TenantId::new("acme").unwrap(),
        CallId::new("killed-call").unwrap(),
        RecordingId::new("killed").unwrap(),
        Layout::Stereo,
        SystemTime::now(),
    );
    request.format = RecordingFormat::OggOpus;
    let mut recorder = Recorder::start(store, request).unwrap();
    let start = Instant::now();
    for n in 0..3000 {
        let due = start + Duration::from_millis(20 * n as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        recorder
            .write_frame(&sine(1000.0, n * 160, 160), &sine(450.0, n * 160, 160))
            .unwrap();
    }
}

fn wait_for(path: &Path, within: Duration) -> Instant {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            return Instant::now();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("{} did not appear", path.display());
}

#[test]
fn an_ogg_opus_recorder_killed_by_sigkill_leaves_a_playable_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([CHILD, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(DIR_VAR, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let part = dir.path().join("acme").join("killed.opus.part");
    let started = wait_for(&part, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(2300));
    // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no end-of-stream page.
    child.kill().unwrap();
    let lived = started.elapsed();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child was killed, not finished: {status:?}"
    );

    let audio = read_ogg_opus(&part).unwrap();
    assert!(!audio.complete, "no end-of-stream page after SIGKILL");
    assert_eq!((audio.channels, audio.sample_rate), (2, 8000));
    let kept = Duration::from_secs_f64(audio.samples.len() as f64 / 2.0 / 8000.0);
    // At most a page (500 ms) and the frame held back are lost; nothing is invented (the
    // start is seen by polling, a few ms late).
    assert!(
        kept + Duration::from_secs(1) >= lived && kept <= lived + Duration::from_millis(50),
        "kept {kept:?} of {lived:?} recorded"
    );
    let left: Vec<i16> = audio.samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = audio.samples.iter().skip(1).step_by(2).copied().collect();
    let (l, r) = (tone_share(&left[800..], 1000.0), tone_share(&right[800..], 450.0));
    assert!(l > 0.95 && r > 0.95, "left 1 kHz {l:.3}, right 450 Hz {r:.3}");
    // libopus's own tool, where installed (opus-tools), plays it too.
    if Command::new("opusdec").arg("--version").output().is_ok() {
        let out = Command::new("opusdec")
            .args(["--quiet", "--rate", "8000"])
            .arg(&part)
            .arg(dir.path().join("killed.wav"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let decoded = hound::WavReader::open(dir.path().join("killed.wav"))
            .unwrap()
            .duration();
        assert!(
            u64::from(decoded) + 8000 >= lived.as_millis() as u64 * 8,
            "opusdec: {decoded} samples"
        );
    }
}
