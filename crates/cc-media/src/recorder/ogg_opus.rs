//! Ogg/Opus recordings (RFC 7845): the page writer behind [`RecordingFormat::OggOpus`]
//! and [`read_ogg_opus`], which decodes such a file back to PCM.
//!
//! # Layout
//!
//! Page 0 holds `OpusHead` (channels, pre-skip, the input rate, channel mapping family 0),
//! page 1 holds `OpusTags` (vendor `cc-media` and the tenant, call and recording ids), and
//! every later page holds the 20 ms Opus packets of one header interval (500 ms by
//! default). Granule positions count 48 kHz samples decoded, pre-skip included; the last
//! page (end-of-stream flag set) trims the padding of the final frame.
//!
//! # Crash safety
//!
//! Ogg pages are self-delimiting and checksummed: each page is written whole and the sink
//! flushed when it closes, so after `kill -9` the file is a playable Ogg/Opus stream up to
//! its last complete page (at most one header interval and one 20 ms frame are lost); a
//! page cut short by the kill is skipped by readers (its checksum fails or its data ends).
//!
//! # Memory
//!
//! The encoder, its PCM frame and the page buffer are allocated when the recording starts;
//! the `ogg` crate's writer takes each packet as an owned buffer (one small allocation per
//! 20 ms frame, freed when its page is written).

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use audiopus::coder::{Decoder, Encoder};
use audiopus::{Application, Bitrate, Channels, SampleRate};
use ogg::writing::{PacketWriteEndInfo, PacketWriter};

use super::{Layout, RecordingRequest};
use crate::codec::opus::MAX_PACKET;
use crate::error::{Error, Result};

/// Opus packets last 20 ms here.
const FRAME_MS: u32 = 20;
/// 48 kHz samples in one packet (granule positions count at 48 kHz).
const GRANULE_PER_FRAME: u64 = 960;
/// Bits per second per channel.
const BITS_PER_CHANNEL: i32 = 24_000;
/// The vendor named in `OpusTags`.
const VENDOR: &str = concat!("cc-media ", env!("CARGO_PKG_VERSION"));

/// What a recording file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecordingFormat {
    /// 16-bit PCM WAV (the header rewritten as the audio grows); `.wav`.
    #[default]
    Wav,
    /// Opus in Ogg pages (RFC 7845), 20 ms packets, at the request's rate (8, 12, 16, 24
    /// or 48 kHz); `.opus`. About a tenth of the size of WAV for speech.
    OggOpus,
}

impl RecordingFormat {
    /// The file name extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            RecordingFormat::Wav => "wav",
            RecordingFormat::OggOpus => "opus",
        }
    }
}

fn opus_rate(rate: u32) -> Result<SampleRate> {
    Ok(match rate {
        8_000 => SampleRate::Hz8000,
        12_000 => SampleRate::Hz12000,
        16_000 => SampleRate::Hz16000,
        24_000 => SampleRate::Hz24000,
        48_000 => SampleRate::Hz48000,
        other => {
            return Err(Error::InvalidSetting {
                name: "Ogg/Opus recording sample rate",
                value: other.to_string(),
                expected: "8000, 12000, 16000, 24000 or 48000 Hz",
            });
        }
    })
}

fn opus_err(operation: &'static str) -> impl FnOnce(audiopus::Error) -> Error {
    move |source| Error::Opus { operation, source }
}

/// Encodes a recording's frames into Ogg/Opus pages; the caller writes out what
/// [`OggOpusWriter::take_output`] hands back.
pub(crate) struct OggOpusWriter {
    encoder: Encoder,
    channels: usize,
    rate: u32,
    /// Samples per channel in one 20 ms frame.
    frame: usize,
    /// The frame being filled, interleaved.
    pcm: Vec<i16>,
    packet: Box<[u8; MAX_PACKET]>,
    pages: PacketWriter<'static, Vec<u8>>,
    serial: u32,
    /// The newest packet, held back so that the last one can end the stream.
    held: Option<Vec<u8>>,
    /// Packets encoded (the held one included).
    packets: u64,
    /// Samples per channel given to the writer (not counting the final padding).
    samples: u64,
    /// Pre-skip, in 48 kHz samples.
    pre_skip: u16,
    /// Packets per page, and those in the page being filled.
    per_page: u64,
    in_page: u64,
}

impl std::fmt::Debug for OggOpusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OggOpusWriter")
            .field("channels", &self.channels)
            .field("rate", &self.rate)
            .field("packets", &self.packets)
            .finish_non_exhaustive()
    }
}

impl OggOpusWriter {
    /// A writer for `request`, with its two header pages already waiting in the output.
    pub(crate) fn new(request: &RecordingRequest, serial: u32) -> Result<Self> {
        let rate = opus_rate(request.sample_rate)?;
        let channels = usize::from(request.layout.channels());
        let opus_channels = match request.layout {
            Layout::Stereo => Channels::Stereo,
            Layout::MonoMixed => Channels::Mono,
        };
        let mut encoder =
            Encoder::new(rate, opus_channels, Application::Voip).map_err(opus_err("configure"))?;
        // 24 kbit/s a channel: wideband speech stays clear, and the two parties of a stereo
        // recording stay apart (at lower rates Opus codes stereo as a mid signal plus
        // intensity, and each party leaks into the other's channel).
        encoder
            .set_bitrate(Bitrate::BitsPerSecond(BITS_PER_CHANNEL * channels as i32))
            .map_err(opus_err("configure"))?;
        let lookahead = encoder.lookahead().map_err(opus_err("configure"))?;
        let pre_skip =
            u16::try_from(u64::from(lookahead) * 48_000 / u64::from(request.sample_rate)).unwrap_or(u16::MAX);
        let frame = (request.sample_rate * FRAME_MS / 1000) as usize;
        let interval_ms = request.header_interval.as_millis().max(u128::from(FRAME_MS));
        let per_page = u64::try_from(interval_ms / u128::from(FRAME_MS))
            .unwrap_or(1)
            .max(1);
        let mut w = Self {
            encoder,
            channels,
            rate: request.sample_rate,
            frame,
            pcm: Vec::with_capacity(frame * channels),
            packet: Box::new([0; MAX_PACKET]),
            pages: PacketWriter::new(Vec::with_capacity(64 * 1024)),
            serial,
            held: None,
            packets: 0,
            samples: 0,
            pre_skip,
            per_page,
            in_page: 0,
        };
        let head = w.head();
        w.write(head, PacketWriteEndInfo::EndPage, 0)?;
        let tags = tags(request);
        w.write(tags, PacketWriteEndInfo::EndPage, 0)?;
        Ok(w)
    }

    /// The 19-byte `OpusHead` packet (RFC 7845 §5.1).
    fn head(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(19);
        h.extend_from_slice(b"OpusHead");
        h.push(1);
        h.push(self.channels as u8);
        h.extend_from_slice(&self.pre_skip.to_le_bytes());
        h.extend_from_slice(&self.rate.to_le_bytes());
        h.extend_from_slice(&0_i16.to_le_bytes());
        h.push(0);
        h
    }

    fn write(&mut self, packet: Vec<u8>, end: PacketWriteEndInfo, granule: u64) -> Result<()> {
        self.pages
            .write_packet(Cow::Owned(packet), self.serial, end, granule)
            .map_err(|e| Error::Io {
                path: "Ogg page buffer".into(),
                source: e,
            })
    }

    /// Adds one frame of each direction (equal lengths; `None`: silence of that length).
    pub(crate) fn push(&mut self, frame: Option<(&[i16], &[i16])>, len: usize, layout: Layout) -> Result<()> {
        for i in 0..len {
            let (l, r) = frame.map_or((0, 0), |(c, a)| {
                (c.get(i).copied().unwrap_or(0), a.get(i).copied().unwrap_or(0))
            });
            match layout {
                Layout::Stereo => {
                    self.pcm.push(l);
                    self.pcm.push(r);
                }
                Layout::MonoMixed => self.pcm.push(l.saturating_add(r)),
            }
            self.samples += 1;
            if self.pcm.len() == self.frame * self.channels {
                self.encode_frame()?;
            }
        }
        Ok(())
    }

    /// Encodes the full frame in `pcm` and queues the packet (the one held before goes
    /// into its page, which closes after `per_page` packets).
    fn encode_frame(&mut self) -> Result<()> {
        let n = self
            .encoder
            .encode(&self.pcm, &mut self.packet[..])
            .map_err(opus_err("encode"))?;
        self.pcm.clear();
        let packet = self.packet.get(..n).unwrap_or_default().to_vec();
        if let Some(prev) = self.held.replace(packet) {
            self.in_page += 1;
            let end = if self.in_page >= self.per_page {
                self.in_page = 0;
                PacketWriteEndInfo::EndPage
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            // The held packet is number `packets` (counting from 1).
            self.write(prev, end, self.packets * GRANULE_PER_FRAME)?;
        }
        self.packets += 1;
        Ok(())
    }

    /// Ends the stream: pads the last frame with silence (and adds frames until the
    /// decoded length covers the pre-skip), then writes the last page with the granule
    /// position that trims the padding.
    pub(crate) fn finish(&mut self) -> Result<()> {
        let real = self.samples;
        let wanted = u64::from(self.pre_skip) + real * 48_000 / u64::from(self.rate);
        while !self.pcm.is_empty() || self.packets * GRANULE_PER_FRAME < wanted {
            self.pcm.resize(self.frame * self.channels, 0);
            self.encode_frame()?;
        }
        self.samples = real;
        if let Some(last) = self.held.take() {
            self.write(last, PacketWriteEndInfo::EndStream, wanted)?;
        }
        Ok(())
    }

    /// The bytes of the pages completed since the last call; empty when none closed.
    pub(crate) fn take_output(&mut self) -> &mut Vec<u8> {
        self.pages.inner_mut()
    }
}

/// The `OpusTags` packet (RFC 7845 §5.2): the vendor, then the recording's ids as
/// comments.
fn tags(request: &RecordingRequest) -> Vec<u8> {
    let comments = [
        format!("TENANT={}", request.tenant),
        format!("CALL={}", request.call),
        format!("RECORDING={}", request.recording),
    ];
    let mut t = Vec::with_capacity(64);
    t.extend_from_slice(b"OpusTags");
    t.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
    t.extend_from_slice(VENDOR.as_bytes());
    t.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for c in &comments {
        t.extend_from_slice(&(c.len() as u32).to_le_bytes());
        t.extend_from_slice(c.as_bytes());
    }
    t
}

/// An Ogg/Opus file decoded: interleaved 16-bit PCM at the rate it was recorded at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OggOpusAudio {
    /// 1 or 2.
    pub channels: u16,
    /// The input rate from `OpusHead` (the rate decoded to).
    pub sample_rate: u32,
    /// The comments of `OpusTags`, as `KEY=value`.
    pub comments: Vec<String>,
    /// Whether the last page carried the end-of-stream flag (a recording that was
    /// stopped, not killed).
    pub complete: bool,
    /// The samples, interleaved, pre-skip and end padding removed.
    pub samples: Vec<i16>,
}

/// Decodes the Ogg/Opus file at `path` (mono or stereo, channel mapping family 0, rates of
/// 8, 12, 16, 24 or 48 kHz) with libopus. A file cut short (a writer killed mid-page)
/// yields what its complete pages hold.
pub fn read_ogg_opus(path: &Path) -> Result<OggOpusAudio> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    read_ogg_opus_from(std::io::BufReader::new(file), path)
}

fn read_ogg_opus_from<R: Read + std::io::Seek>(reader: R, path: &Path) -> Result<OggOpusAudio> {
    let bad = |reason: String| Error::OggOpus {
        path: path.to_owned(),
        reason,
    };
    let mut pages = ogg::PacketReader::new(reader);
    let next = |pages: &mut ogg::PacketReader<R>| match pages.read_packet() {
        Ok(p) => Ok(p),
        // A page cut short at the end of the file: the stream ends before it.
        Err(ogg::OggReadError::ReadError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(ogg::OggReadError::HashMismatch(..)) => Ok(None),
        Err(e) => Err(bad(format!("Ogg: {e}"))),
    };
    let head = next(&mut pages)?.ok_or_else(|| bad("the file holds no Ogg packet".into()))?;
    let h = &head.data;
    if h.len() < 19 || &h[..8] != b"OpusHead" {
        return Err(bad("the first packet is not OpusHead".into()));
    }
    let channels = h[9];
    if !(1..=2).contains(&channels) || h[18] != 0 {
        return Err(bad(format!(
            "{channels} channels with mapping family {}; only mono or stereo in family 0 are read",
            h[18]
        )));
    }
    let pre_skip = u64::from(u16::from_le_bytes([h[10], h[11]]));
    let sample_rate = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
    let rate = opus_rate(sample_rate).map_err(|_| bad(format!("input rate {sample_rate} Hz")))?;
    let tags = next(&mut pages)?.ok_or_else(|| bad("OpusTags is missing".into()))?;
    let comments = parse_tags(&tags.data).ok_or_else(|| bad("the second packet is not OpusTags".into()))?;

    let opus_channels = if channels == 2 {
        Channels::Stereo
    } else {
        Channels::Mono
    };
    let mut decoder = Decoder::new(rate, opus_channels).map_err(opus_err("configure"))?;
    let ch = usize::from(channels);
    let mut samples = Vec::new();
    let mut frame = vec![0_i16; 5760 * ch];
    let mut end_granule = None;
    let mut complete = false;
    while let Some(packet) = next(&mut pages)? {
        let n = decoder
            .decode(Some(&packet.data[..]), &mut frame[..], false)
            .map_err(opus_err("decode"))?;
        samples.extend_from_slice(frame.get(..n * ch).unwrap_or_default());
        if packet.last_in_page() {
            end_granule = Some(packet.absgp_page());
        }
        if packet.last_in_stream() {
            complete = true;
            break;
        }
    }
    // The granule position of the last page says how much is audio (48 kHz units, the
    // pre-skip included); the rest of the last frame is padding.
    let scale = |g: u64| usize::try_from(g * u64::from(sample_rate) / 48_000).unwrap_or(usize::MAX);
    let skip = scale(pre_skip) * ch;
    let end = end_granule
        .map_or(samples.len(), |g| scale(g) * ch)
        .min(samples.len());
    let samples = samples.get(skip.min(end)..end).unwrap_or_default().to_vec();
    Ok(OggOpusAudio {
        channels: u16::from(channels),
        sample_rate,
        comments,
        complete,
        samples,
    })
}

/// The comments of an `OpusTags` packet, or `None` when it is not one.
fn parse_tags(t: &[u8]) -> Option<Vec<String>> {
    let rest = t.strip_prefix(b"OpusTags")?;
    let take = |rest: &mut &[u8]| -> Option<Vec<u8>> {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let (s, tail) = tail.split_at_checked(len)?;
        *rest = tail;
        Some(s.to_vec())
    };
    let mut rest = rest;
    take(&mut rest)?;
    let (count, tail) = rest.split_first_chunk::<4>()?;
    rest = tail;
    let count = u32::from_le_bytes(*count);
    let mut comments = Vec::new();
    for _ in 0..count {
        comments.push(String::from_utf8_lossy(&take(&mut rest)?).into_owned());
    }
    Some(comments)
}
