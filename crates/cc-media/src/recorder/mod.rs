//! Call recording: a crash-safe [`Recorder`] of WAV or Ogg/Opus files and the
//! [`RecordingStore`] it writes to.
//!
//! A recording is stereo (caller left, agent right) or mono (both mixed, saturating), 16-bit
//! PCM WAV at the call's rate or, with [`RecordingFormat::OggOpus`], Opus in Ogg pages (see
//! [`ogg_opus`] for its layout and crash safety). The driver feeds it the two directions of the call frame by frame,
//! in real time. [`Recorder::pause`] and [`Recorder::resume`] bracket what must not be kept
//! (PCI-DSS: card numbers): while paused, frames are written as silence, so the timeline of
//! the file stays that of the call, and the span is listed in the [`RecordingMetadata`].
//!
//! # Crash safety
//!
//! A WAV file states the length of its audio twice in its 44-byte header (the RIFF size and
//! the `data` size). Writers that fill them in only when the recording ends (hound's
//! `WavWriter::finalize`, Asterisk, FreeSWITCH) leave a file whose header says "no audio"
//! when the process is killed. This writer therefore writes the header itself: the audio of
//! each interval (500 ms by default, [`RecordingRequest::header_interval`]) is appended, then
//! both sizes are rewritten to cover it (seek, write, seek back) and the sink is flushed. The
//! data reaches the kernel before the header claims it, so after `kill -9` the file is a
//! valid WAV holding everything up to the last update: at most one interval is lost. (A
//! power loss also needs `fsync`, which the store does when the recording finishes.) Hound
//! cannot rewrite its header before `finalize`, so it is not used here; tests read the
//! files back with hound and sox.
//!
//! Dropping a recorder without [`Recorder::stop`] writes what it holds and updates the
//! header once more, but leaves the recording unfinished in its store (for [`LocalStore`], a
//! `.part` file).

pub mod ogg_opus;
mod store;

#[cfg(test)]
mod tests;

pub use ogg_opus::{OggOpusAudio, RecordingFormat, read_ogg_opus};
pub use store::{FileSink, LocalStore, PART_SUFFIX, RecordingSink, RecordingStore};

use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cc_core::{AgentId, CallId, RecordingId, TenantId};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use ogg_opus::OggOpusWriter;
use store::io_error;

/// The size of the WAV header this recorder writes.
pub const WAV_HEADER_LEN: u64 = 44;

/// The most bytes of audio a WAV file can describe (its RIFF size is 32 bits).
const MAX_DATA_LEN: u64 = u32::MAX as u64 - (WAV_HEADER_LEN - 8);

/// How the two directions of a call are laid out in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Two channels: the caller left, the agent right.
    Stereo,
    /// One channel: caller and agent mixed (saturating).
    MonoMixed,
}

impl Layout {
    /// Channels in the file.
    pub fn channels(self) -> u16 {
        match self {
            Layout::Stereo => 2,
            Layout::MonoMixed => 1,
        }
    }
}

/// What to record and how.
#[derive(Clone, Debug)]
pub struct RecordingRequest {
    /// The tenant the recording belongs to.
    pub tenant: TenantId,
    /// The call recorded.
    pub call: CallId,
    /// The agent on the call, if any.
    pub agent: Option<AgentId>,
    /// The recording's id (its file name in [`LocalStore`]).
    pub recording: RecordingId,
    /// Stereo or mono.
    pub layout: Layout,
    /// WAV or Ogg/Opus.
    pub format: RecordingFormat,
    /// Samples per second per channel (8000 for G.711).
    pub sample_rate: u32,
    /// Wall-clock time of the first frame (the recorder reads no clock).
    pub started_at: SystemTime,
    /// How often the header is rewritten (WAV) or a page closed (Ogg/Opus): at most this
    /// much audio is lost on a crash (and one 20 ms frame more for Ogg/Opus).
    pub header_interval: Duration,
}

impl RecordingRequest {
    /// A request for an 8 kHz WAV recording with no agent and 500 ms header updates.
    pub fn new(
        tenant: TenantId,
        call: CallId,
        recording: RecordingId,
        layout: Layout,
        started_at: SystemTime,
    ) -> Self {
        Self {
            tenant,
            call,
            agent: None,
            recording,
            layout,
            format: RecordingFormat::Wav,
            sample_rate: 8000,
            started_at,
            header_interval: Duration::from_millis(500),
        }
    }
}

/// A span of the recording written as silence, as offsets from its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PausedSpan {
    /// Where the silence starts.
    pub start: Duration,
    /// Where it ends.
    pub end: Duration,
}

/// What is known of a finished recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingMetadata {
    /// The recording's id.
    pub recording: RecordingId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The call recorded.
    pub call: CallId,
    /// The agent on the call, if any.
    pub agent: Option<AgentId>,
    /// Stereo or mono.
    pub layout: Layout,
    /// WAV or Ogg/Opus.
    pub format: RecordingFormat,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Wall-clock time of the first frame.
    pub started_at: SystemTime,
    /// How much audio the file holds.
    pub duration: Duration,
    /// Spans written as silence (pause to resume, or to the end).
    pub paused: Vec<PausedSpan>,
    /// SHA-256 of the final file, header included.
    pub sha256: [u8; 32],
    /// Where the store put the file.
    pub location: PathBuf,
}

impl RecordingMetadata {
    /// The SHA-256 in lowercase hexadecimal, as `sha256sum` prints it.
    pub fn sha256_hex(&self) -> String {
        use std::fmt::Write as _;
        self.sha256.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

/// Writes one recording (see the [module docs](self)).
///
/// ```
/// use std::sync::Arc;
/// use std::time::SystemTime;
/// use cc_core::{CallId, RecordingId, TenantId};
/// use cc_media::recorder::{Layout, LocalStore, Recorder, RecordingRequest};
///
/// let dir = tempfile::tempdir()?;
/// let store = Arc::new(LocalStore::new(dir.path()));
/// let request = RecordingRequest::new(
///     TenantId::new("acme")?,
///     CallId::new("c1")?,
///     RecordingId::new("r1")?,
///     Layout::Stereo,
///     SystemTime::now(),
/// );
/// let mut recorder = Recorder::start(store, request)?;
/// recorder.write_frame(&[100; 160], &[-100; 160])?;
/// let meta = recorder.stop()?;
/// assert_eq!(meta.duration.as_millis(), 20);
/// assert!(meta.location.ends_with("acme/r1.wav"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Recorder {
    store: Arc<dyn RecordingStore>,
    sink: Option<Box<dyn RecordingSink>>,
    request: RecordingRequest,
    /// Audio bytes the header already covers.
    data_len: u64,
    /// Audio bytes written since the last header update, not yet in the sink.
    pending: Vec<u8>,
    /// Header update threshold, in bytes of audio.
    interval_bytes: usize,
    /// Samples per channel recorded so far (header-covered and pending).
    samples: u64,
    paused_since: Option<u64>,
    paused: Vec<(u64, u64)>,
    /// The Ogg/Opus encoder and pages, for [`RecordingFormat::OggOpus`].
    ogg: Option<Box<OggOpusWriter>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("request", &self.request)
            .field("samples", &self.samples)
            .field("paused_since", &self.paused_since)
            .finish_non_exhaustive()
    }
}

/// The 44-byte header of 16-bit PCM WAV with `data_len` bytes of audio.
fn wav_header(channels: u16, sample_rate: u32, data_len: u32) -> [u8; 44] {
    let block_align = channels * 2;
    let byte_rate = sample_rate * u32::from(block_align);
    let mut h = [0_u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(data_len + 36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16_u32.to_le_bytes());
    h[20..22].copy_from_slice(&1_u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16_u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

impl Recorder {
    /// Starts a recording: opens its sink in `store` and writes an empty, valid WAV header.
    pub fn start(store: Arc<dyn RecordingStore>, request: RecordingRequest) -> Result<Self> {
        if !(1000..=192_000).contains(&request.sample_rate) {
            return Err(Error::InvalidSetting {
                name: "recording sample rate",
                value: request.sample_rate.to_string(),
                expected: "1000 to 192000 Hz",
            });
        }
        if request.header_interval.is_zero() || request.header_interval > Duration::from_secs(1) {
            return Err(Error::InvalidSetting {
                name: "recording header interval",
                value: format!("{:?}", request.header_interval),
                expected: "more than 0 and at most 1 s",
            });
        }
        let frame_bytes = 2 * usize::from(request.layout.channels());
        let per_second = request.sample_rate as usize * frame_bytes;
        let interval_bytes = ((per_second as u128 * request.header_interval.as_nanos() / 1_000_000_000)
            as usize)
            .max(frame_bytes);
        let mut ogg = match request.format {
            RecordingFormat::Wav => None,
            RecordingFormat::OggOpus => {
                let serial = request.recording.as_str().bytes().fold(0x811c_9dc5_u32, |h, b| {
                    (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
                });
                Some(Box::new(OggOpusWriter::new(&request, serial)?))
            }
        };
        let mut sink = store.create_as(&request.tenant, &request.recording, request.format)?;
        let path = sink.location().to_owned();
        let header = match ogg.as_mut() {
            None => wav_header(request.layout.channels(), request.sample_rate, 0).to_vec(),
            Some(w) => std::mem::take(w.take_output()),
        };
        sink.write_all(&header)
            .and_then(|()| sink.flush())
            .map_err(|e| io_error(&path, e))?;
        Ok(Self {
            store,
            sink: Some(sink),
            request,
            data_len: 0,
            // Room for one interval plus a generous frame, so frames never reallocate.
            pending: Vec::with_capacity(interval_bytes + per_second / 10),
            interval_bytes,
            samples: 0,
            paused_since: None,
            paused: Vec::new(),
            ogg,
        })
    }

    /// The request this recording was started with.
    pub fn request(&self) -> &RecordingRequest {
        &self.request
    }

    /// Whether the recording is paused.
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// How much audio was recorded so far (paused spans included).
    pub fn duration(&self) -> Duration {
        self.offset(self.samples)
    }

    fn offset(&self, samples: u64) -> Duration {
        let nanos = u128::from(samples) * 1_000_000_000 / u128::from(self.request.sample_rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Records one frame of each direction (equal lengths); while paused, silence instead.
    pub fn write_frame(&mut self, caller: &[i16], agent: &[i16]) -> Result<()> {
        if caller.len() != agent.len() {
            return Err(Error::FrameLength {
                got: agent.len(),
                expected: caller.len(),
                what: "recorder (agent frame against caller frame)",
            });
        }
        if let Some(w) = self.ogg.as_mut() {
            let frame = self.paused_since.is_none().then_some((caller, agent));
            w.push(frame, caller.len(), self.request.layout)?;
            self.samples += caller.len() as u64;
            return self.write_pages();
        }
        let bytes = caller.len() * 2 * usize::from(self.request.layout.channels());
        let total = self.data_len + (self.pending.len() + bytes) as u64;
        if total > MAX_DATA_LEN {
            return Err(Error::RecordingFull {
                recording: self.request.recording.to_string(),
                bytes: self.data_len + self.pending.len() as u64,
            });
        }
        let paused = self.paused_since.is_some();
        match (self.request.layout, paused) {
            (_, true) => self.pending.resize(self.pending.len() + bytes, 0),
            (Layout::Stereo, false) => {
                for (&l, &r) in caller.iter().zip(agent) {
                    self.pending.extend_from_slice(&l.to_le_bytes());
                    self.pending.extend_from_slice(&r.to_le_bytes());
                }
            }
            (Layout::MonoMixed, false) => {
                for (&l, &r) in caller.iter().zip(agent) {
                    self.pending.extend_from_slice(&l.saturating_add(r).to_le_bytes());
                }
            }
        }
        self.samples += caller.len() as u64;
        if self.pending.len() >= self.interval_bytes {
            self.commit()?;
        }
        Ok(())
    }

    /// Writes the Ogg pages completed since the last call, and flushes.
    fn write_pages(&mut self) -> Result<()> {
        let (Some(sink), Some(w)) = (self.sink.as_mut(), self.ogg.as_mut()) else {
            return Ok(());
        };
        let out = w.take_output();
        if out.is_empty() {
            return Ok(());
        }
        let path = sink.location().to_owned();
        let result = sink.write_all(out).and_then(|()| sink.flush());
        out.clear();
        result.map_err(|e| io_error(&path, e))
    }

    /// Writes the pending audio, then rewrites the header sizes to cover it, and flushes.
    fn commit(&mut self) -> Result<()> {
        if self.ogg.is_some() {
            return self.write_pages();
        }
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        let new_len = self.data_len + self.pending.len() as u64;
        let data_len = u32::try_from(new_len).map_err(|_| Error::RecordingFull {
            recording: self.request.recording.to_string(),
            bytes: new_len,
        })?;
        let end = WAV_HEADER_LEN + new_len;
        let path = sink.location().to_owned();
        let result = (|| {
            sink.seek(SeekFrom::Start(WAV_HEADER_LEN + self.data_len))?;
            sink.write_all(&self.pending)?;
            sink.seek(SeekFrom::Start(4))?;
            sink.write_all(&(data_len + 36).to_le_bytes())?;
            sink.seek(SeekFrom::Start(40))?;
            sink.write_all(&data_len.to_le_bytes())?;
            sink.seek(SeekFrom::Start(end))?;
            sink.flush()
        })();
        result.map_err(|e| io_error(&path, e))?;
        self.data_len = new_len;
        self.pending.clear();
        Ok(())
    }

    /// Stops keeping audio: frames are written as silence until [`Recorder::resume`].
    /// Pausing a paused recording changes nothing.
    pub fn pause(&mut self) {
        if self.paused_since.is_none() {
            self.paused_since = Some(self.samples);
        }
    }

    /// Keeps audio again; the span since [`Recorder::pause`] goes into the metadata.
    /// Resuming a recording that is not paused changes nothing.
    pub fn resume(&mut self) {
        if let Some(since) = self.paused_since.take()
            && self.samples > since
        {
            self.paused.push((since, self.samples));
        }
    }

    /// Ends the recording: writes the rest, hashes the file, and has the store finish it.
    pub fn stop(mut self) -> Result<RecordingMetadata> {
        self.resume();
        if let Some(w) = self.ogg.as_mut() {
            w.finish()?;
        }
        self.commit()?;
        let Some(mut sink) = self.sink.take() else {
            return Err(Error::InvalidSetting {
                name: "recorder",
                value: "stopped".to_owned(),
                expected: "a recording that is still open",
            });
        };
        let path = sink.location().to_owned();
        let sha256 = hash(sink.as_mut()).map_err(|e| io_error(&path, e))?;
        let location = self
            .store
            .finish(&self.request.tenant, &self.request.recording, sink)?;
        let paused = self
            .paused
            .iter()
            .map(|&(start, end)| PausedSpan {
                start: self.offset(start),
                end: self.offset(end),
            })
            .collect();
        let request = self.request.clone();
        Ok(RecordingMetadata {
            recording: request.recording,
            tenant: request.tenant,
            call: request.call,
            agent: request.agent,
            layout: request.layout,
            format: request.format,
            sample_rate: request.sample_rate,
            started_at: request.started_at,
            duration: self.duration(),
            paused,
            sha256,
            location,
        })
    }
}

fn hash(sink: &mut dyn RecordingSink) -> std::io::Result<[u8; 32]> {
    sink.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = sink.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hasher.finalize().into())
}

impl Drop for Recorder {
    /// Best effort: what is pending is written and the header updated; errors are ignored
    /// (the file stays valid up to the previous update).
    fn drop(&mut self) {
        if self.sink.is_some()
            && let Some(w) = self.ogg.as_mut()
        {
            let _ = w.finish();
        }
        let _ = self.commit();
    }
}
