//! Records a generated stereo tone through the real recorder, in real time, until killed.
//!
//! ```text
//! cargo run --example record_tone -- OUT.wav            # until killed (kill -9 is fine)
//! cargo run --example record_tone -- OUT.wav --for 3    # or stop cleanly after 3 s
//! ```
//!
//! The left channel (the "caller") carries 440 Hz, the right (the "agent") 660 Hz, at 8 kHz.
//! Frames of 20 ms are written at real-time pace: frame `k` is written once
//! `start + (k + 1) × 20 ms` has passed, so the pace does not drift however long each step
//! takes. The recorder rewrites the WAV header every 500 ms, so after `kill -9` OUT.wav is a
//! playable WAV missing at most the last half second. The file is written in place through a
//! one-file [`RecordingStore`] (no temporary name), which shows how to plug in a store.
//!
//! Once recording, it prints `recording OUT.wav` on stdout; with `--for` it prints the
//! metadata at the end. Exit status 2 for bad arguments, 1 for I/O errors.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ccsdk::core::{CallId, RecordingId, TenantId};
use ccsdk::media::Error;
use ccsdk::media::recorder::{FileSink, Layout, Recorder, RecordingRequest, RecordingSink, RecordingStore};

const USAGE: &str = "usage: record_tone OUT.wav [--for SECONDS]";
const RATE: usize = 8000;
const FRAME: usize = RATE / 50;

/// A store that writes one recording to a given path, in place.
struct OneFile(PathBuf);

impl RecordingStore for OneFile {
    fn create(&self, _: &TenantId, _: &RecordingId) -> Result<Box<dyn RecordingSink>, Error> {
        Ok(Box::new(FileSink::create(&self.0)?))
    }

    fn finish(
        &self,
        _: &TenantId,
        _: &RecordingId,
        mut sink: Box<dyn RecordingSink>,
    ) -> Result<PathBuf, Error> {
        sink.sync().map_err(|source| Error::Io {
            path: self.0.clone(),
            source,
        })?;
        Ok(self.0.clone())
    }
}

/// One second of a sine at a whole number of Hz: the table repeats exactly.
fn tone(hz: f64, amplitude: f64) -> Vec<i16> {
    (0..RATE)
        .map(|n| (amplitude * (std::f64::consts::TAU * hz * n as f64 / RATE as f64).sin()) as i16)
        .collect()
}

fn parse(args: &[String]) -> Option<(PathBuf, Option<Duration>)> {
    match args {
        [out] => Some((PathBuf::from(out), None)),
        [out, flag, secs] if flag == "--for" => {
            let secs: f64 = secs.parse().ok()?;
            (secs.is_finite() && secs > 0.0)
                .then(|| (PathBuf::from(out), Some(Duration::from_secs_f64(secs))))
        }
        _ => None,
    }
}

fn record(out: &Path, limit: Option<Duration>) -> Result<(), Error> {
    let ids = (|| {
        Ok::<_, ccsdk::core::Error>((
            TenantId::new("demo")?,
            CallId::new("record-tone")?,
            RecordingId::new("record-tone")?,
        ))
    })();
    let (tenant, call, recording) = ids.map_err(|e| Error::InvalidSetting {
        name: "id",
        value: e.to_string(),
        expected: "a valid id",
    })?;
    let request = RecordingRequest::new(tenant, call, recording, Layout::Stereo, SystemTime::now());
    let mut recorder = Recorder::start(Arc::new(OneFile(out.to_owned())), request)?;
    let (left, right) = (tone(440.0, 8000.0), tone(660.0, 8000.0));

    println!("recording {}", out.display());
    let _ = std::io::stdout().flush();

    let start = Instant::now();
    let frame_time = Duration::from_millis(20);
    let mut k: u32 = 0;
    loop {
        let due = start + frame_time * (k + 1);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let at = (k as usize * FRAME) % RATE;
        let (Some(l), Some(r)) = (left.get(at..at + FRAME), right.get(at..at + FRAME)) else {
            break;
        };
        recorder.write_frame(l, r)?;
        k += 1;
        if limit.is_some_and(|limit| frame_time * k >= limit) {
            break;
        }
    }
    let meta = recorder.stop()?;
    println!(
        "{}: {:.2} s, sha256 {}",
        meta.location.display(),
        meta.duration.as_secs_f64(),
        meta.sha256_hex()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, limit)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match record(&out, limit) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("record_tone: {err}");
            ExitCode::FAILURE
        }
    }
}
