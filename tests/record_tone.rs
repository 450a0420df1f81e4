//! The contract of `examples/record_tone.rs`: record in real time, be killed with SIGKILL,
//! and leave a WAV that sox plays, 8 kHz stereo, within 1 s of the time recorded, with
//! 440 Hz on the left and 660 Hz on the right.
//!
//! `cargo test` builds the examples before running tests; when only this test target was
//! built, the test builds the example itself (`cargo build --example record_tone`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `target/<profile>/examples/record_tone`, next to this test's `deps` folder; built if
/// missing.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lies in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("record_tone{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo)
            .args(["build", "--example", "record_tone", "--manifest-path"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .spawn()
            .expect("cargo runs");
        let status = wait_bounded(&mut build, Duration::from_secs(900)).expect("build finishes");
        assert!(status.success(), "cargo build --example record_tone failed");
    }
    assert!(path.exists(), "{} is missing after building", path.display());
    path
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn have_sox() -> bool {
    Command::new("sox")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `sox ... stat` reports on stderr.
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Sign changes per second and RMS of one channel.
fn crossings_and_rms(samples: &[i16]) -> (f64, f64) {
    let changes = samples.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    let secs = samples.len() as f64 / 8000.0;
    let power = samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64;
    (changes as f64 / secs, power.sqrt())
}

#[test]
fn killed_recording_is_a_playable_wav_of_the_recorded_time() {
    if !have_sox() {
        eprintln!("sox is not installed; skipping (scripts/test.sh installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("tone.wav");
    let out_str = out.to_str().expect("a UTF-8 temporary path");

    let mut child = Command::new(example())
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the example starts");
    // Wait (bounded) for the line that says recording began.
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("record_tone did not start recording within 60 s");
    };
    let started = Instant::now();
    assert!(line.starts_with("recording "), "unexpected first line {line:?}");

    std::thread::sleep(Duration::from_millis(2500));
    let recorded = started.elapsed().as_secs_f64();
    child.kill().expect("SIGKILL is delivered");
    let status = child.wait().expect("the child is reaped");
    assert!(!status.success(), "killed, not exited");

    // sox reads it as 8 kHz stereo 16-bit, and its length is within 1 s of the time recorded.
    assert_eq!(run("soxi", &["-r", out_str]).trim(), "8000");
    assert_eq!(run("soxi", &["-c", out_str]).trim(), "2");
    assert_eq!(run("soxi", &["-b", out_str]).trim(), "16");
    let duration: f64 = run("soxi", &["-D", out_str])
        .trim()
        .parse()
        .expect("soxi -D prints seconds");
    assert!(
        (duration - recorded).abs() <= 1.0 && duration > 0.0,
        "file holds {duration} s, {recorded} s were recorded"
    );
    let stat = run("sox", &[out_str, "-n", "stat"]);
    let length: f64 = stat
        .lines()
        .find_map(|l| l.strip_prefix("Length (seconds):"))
        .and_then(|v| v.trim().parse().ok())
        .expect("sox stat reports the length");
    assert!(
        (length - duration).abs() < 0.01,
        "sox stat {length} s, soxi {duration} s"
    );

    // Left carries 440 Hz (880 sign changes a second), right 660 Hz (1320), both at the
    // tone's level (amplitude 8000, RMS about 5657).
    let reader = hound::WavReader::open(&out).expect("a WAV file");
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("whole samples");
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    let (left_rate, left_rms) = crossings_and_rms(&left);
    let (right_rate, right_rms) = crossings_and_rms(&right);
    assert!(
        (left_rate - 880.0).abs() < 20.0,
        "left: {left_rate} sign changes/s"
    );
    assert!(
        (right_rate - 1320.0).abs() < 20.0,
        "right: {right_rate} sign changes/s"
    );
    eprintln!(
        "recorded {recorded:.3} s, file {duration:.3} s; left {left_rate:.0}/s RMS {left_rms:.0}, \
         right {right_rate:.0}/s RMS {right_rms:.0}"
    );
    for rms in [left_rms, right_rms] {
        assert!((rms - 5657.0).abs() < 100.0, "RMS {rms}");
    }
}

#[test]
fn bounded_run_stops_cleanly_and_bad_arguments_fail() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("short.wav");
    let mut child = Command::new(example())
        .arg(&out)
        .args(["--for", "0.3"])
        .stdout(Stdio::null())
        .spawn()
        .expect("the example starts");
    let status = wait_bounded(&mut child, Duration::from_secs(60)).expect("it stops by itself");
    assert!(status.success());
    let reader = hound::WavReader::open(&out).expect("a WAV file");
    assert_eq!((reader.spec().channels, reader.duration()), (2, 2400));

    let status = Command::new(example()).output().expect("the example runs").status;
    assert_eq!(status.code(), Some(2));
    let status = Command::new(example())
        .args(["x.wav", "--for", "soon"])
        .output()
        .expect("the example runs")
        .status;
    assert_eq!(status.code(), Some(2));
}
