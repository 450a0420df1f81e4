//! The media engine: the driver that puts the sans-IO parts of this crate on real UDP
//! sockets. A center anchors each call leg's media in a [`MediaSession`]: it plays prompts
//! and tones to it, hears its DTMF, bridges it to another session (relaying RTP untouched
//! when both legs use the same codec, transcoding when they do not) or puts it in a
//! conference, and records it.
//!
//! ```no_run
//! use std::net::{IpAddr, Ipv4Addr};
//! use std::time::Duration;
//! use cc_media::engine::{
//!     EngineConfig, MediaEngine, PayloadFormat, PlayItem, SessionConfig, SessionEvent,
//! };
//! use cc_media::player::tones::{Country, ToneKind, ToneSpec};
//!
//! let engine = MediaEngine::start(EngineConfig::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 20_000, 20_999))?;
//! let caller = engine.open_session(SessionConfig::default())?;
//! // Put caller.local_rtp_addr() in the SDP answer; the offer gave the far end:
//! caller.set_remote("192.0.2.10:4000".parse::<std::net::SocketAddr>()?, PayloadFormat::pcmu())?;
//! caller.play([PlayItem::Tone {
//!     spec: ToneSpec::of(Country::China, ToneKind::Ringback),
//!     duration: Some(Duration::from_secs(3)),
//! }])?;
//! let events = caller.events();
//! while let Some(event) = events.next_timeout(Duration::from_secs(5)) {
//!     if let SessionEvent::Dtmf { digit, .. } = event {
//!         println!("caller pressed {digit}");
//!     }
//! }
//! let stats = caller.close().wait()?;
//! println!("{} packets in, MOS {:.1}", stats.packets_received, stats.quality.mos);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Threads, not a runtime
//!
//! [`EngineConfig::workers`] plain threads each poll the sockets of their sessions (one
//! `epoll` set per thread, through `mio`) and own those sessions outright: a packet is
//! read, inspected, rewritten and sent by one thread with no lock, no task wake-up and no
//! allocation. A tokio runtime would add a task switch per packet and push the crate's
//! hot path behind an executor it does not control; the center stays async all the same,
//! because nothing here blocks its runtime: commands are queued to the worker and answered
//! through [`Reply`] (awaitable or waitable) and events come through [`SessionEvents`]
//! (awaitable or waitable).
//!
//! Sessions are spread over the workers by load. The two sessions of a bridge must share a
//! worker (a relayed packet is then one thread's work from socket to socket), so
//! [`MediaEngine::bridge`] moves the second session to the first one's worker when they
//! differ; commands sent meanwhile wait in the session's own queue and follow it. Bridge
//! requests run one at a time engine-wide (each takes a few messages between workers), so
//! two bridges never chase the same session around the workers.
//!
//! A [`Conference`] ([`MediaEngine::conference`]) is mixed on one worker, which each
//! session that [`joins`](Conference::join) moves to (joins queue with the bridge
//! requests). Every 20 ms the worker mixes what each member sent (decoded through its
//! jitter buffer, at 8 kHz) with the built-in [`NPartyMixer`](crate::mixer::NPartyMixer),
//! mix-minus with supervisor roles ([`ConferenceRole`]), and sends each member what it
//! hears in its own codec. The mix runs while the conference has members, silence
//! included.
//!
//! # Timing
//!
//! Generated audio (the player) and the recorders run on one 20 ms clock per worker: a
//! grid of absolute deadlines (`t0 + k × 20 ms`), never `sleep(20 ms)` added up, so frames
//! do not drift however late a wake-up is, and one wake-up serves every session of the
//! worker. A worker that fell more than 100 ms behind skips ahead instead of bursting; an
//! idle worker sleeps until its next RTP timeout and starts the clock afresh when something
//! plays. Relayed and transcoded packets go out as they arrive.
//!
//! # Socket I/O
//!
//! RTP sockets are read with `quinn-udp`: one `recvmmsg` takes up to 32 datagrams (and GRO
//! bundles, where the kernel coalesced a flow's datagrams, are split at their stride) into
//! one set of buffers per worker. Each relayed packet is rewritten in place (payload type,
//! sequence, timestamp, SSRC), then the relayed packets of one receive batch that leave
//! the same socket for the same address with the same size go out in one `sendmsg` with
//! UDP GSO (the kernel cuts them into datagrams; one packet alone goes as a plain
//! datagram; where GSO fails, each is sent on its own). Batches are flushed at the end of
//! every receive batch, so packets leave in the order they came. `socket2` raises each RTP
//! socket's receive buffer to 1 MiB (within the kernel's `rmem_max`) to ride out bursts.
//!
//! Measured with the `rtp_relay` bench (one bridged PCMU pair on one worker, loopback, 64
//! packets in flight; medians of five rounds of 400,000 packets; each variant run twice,
//! interleaved, on a 2-core machine other builds were loading): packets relayed per second
//! of the worker thread's CPU time were 425k and 714k with `recvfrom` + `sendto` per
//! packet, 455k and 727k with `recvmmsg` + `sendto`, and 800k both times with `recvmmsg` +
//! GSO, which is therefore what the engine does. End to end the bench moved 250k to 460k
//! packets/s whatever the variant: the sending and receiving test sockets, on the same two
//! cores, were the limit. At call rates (50 packets/s per leg) a socket seldom holds more
//! than one datagram when read, and both batches degrade to single datagrams.
//!
//! # Audio rate
//!
//! Every PCM producer and consumer here works at 8 kHz: G.711, the [`Player`](crate::player::Player),
//! the in-band DTMF detector and the recorder. Opus legs are encoded and decoded at 8 kHz
//! PCM; libopus resamples internally, and its packets decode at any rate, so an Opus leg
//! bridged to another Opus leg (the wideband case) is relayed untouched and never
//! narrowed, and an Opus leg bridged to G.711 loses nothing G.711 could carry. L16 at
//! 16 kHz is resampled to and from 8 kHz ([`Resampled`](crate::codec::Resampled)); two
//! L16 legs of the same rate relay untouched, so wideband L16 stays wideband between them.

//! # Limits
//!
//! - The two sessions of a bridge must belong to the same engine.
//! - RFC 4733 events are relayed as they are across a bridge of one codec, and re-sent as
//!   new events (once each digit ended) across a transcoding bridge; comfort noise (PT 13)
//!   and other payload types not negotiated are dropped and counted.
//! - Received audio that is decoded (for a transcode, a recording or in-band detection)
//!   first waits in a [`JitterBuffer`](crate::jitter::JitterBuffer) read on the worker's
//!   20 ms clock: reordered packets are put back in order, duplicates dropped, up to four
//!   lost packets in a row concealed (Opus FEC from the next packet when it is here, else
//!   PLC; G.711 silence) and longer gaps left silent. It adds 20 to 200 ms (40 ms at the
//!   start, more as jitter is measured). Relayed packets never wait in it and are not
//!   touched, so the far end's jitter buffer sees the truth.
//! - RTCP goes to the remote's port + 1 (or where the peer's RTCP comes from); RTCP
//!   multiplexed on the RTP port is read, never sent. Each leg of a bridge terminates its
//!   own RTCP.
//! - A session is in one bridge or one conference at a time: bridging it takes it out of
//!   its conference, joining a conference ends its bridge.
//! - Recordings are 8 kHz (WAV, or Ogg/Opus with
//!   [`RecordingFormat::OggOpus`](crate::recorder::RecordingFormat)); their file writes (a header update every 500 ms) happen on the
//!   worker, their final hashing on a thread of its own.
//! - Session events queue without a bound; an owner that never reads them keeps them.

mod events;
mod ports;
mod stream;
mod worker;

pub use events::{NextEvent, Reply, SessionEvents};

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use cc_core::{DtmfDigit, MediaQuality, TenantId};

use crate::error::{Error, Result};
use crate::player::prompt::{PromptAudio, PromptSet};
use crate::player::say::{self, Language};
use crate::player::tones::ToneSpec;
use crate::recorder::{RecordingMetadata, RecordingRequest, RecordingStore};
use events::{EventQueue, lock, reply_pair};
use ports::PortPool;
use worker::{BridgeQueue, BridgeTicket, Command, WorkerLink, WorkerMsg};

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The address every session's sockets are bound to (the one put in SDP).
    pub bind_ip: IpAddr,
    /// Lowest port of the RTP range.
    pub port_min: u16,
    /// Highest port of the RTP range; a session takes an even port `p` for RTP and `p + 1`
    /// for RTCP, both within the range.
    pub port_max: u16,
    /// Worker threads (at least 1).
    pub workers: usize,
    /// How long a session may receive no RTP before [`SessionEvent::RtpTimeout`]; a
    /// session may set its own in [`SessionConfig::rtp_timeout`].
    pub rtp_timeout: Duration,
    /// Mean time between the RTCP reports each session sends (SR or RR, with SDES CNAME,
    /// to the remote's port + 1 or where the peer's RTCP comes from; BYE at close); zero
    /// sends none. Received reports give the round-trip time.
    pub rtcp_interval: Duration,
    /// Where [`PlayItem::Prompt`] and the spoken items find their prompts; `None` allows
    /// only tones, silence and audio given as samples.
    pub prompts: Option<Arc<PromptSet>>,
}

impl EngineConfig {
    /// Sessions on `bind_ip` with ports from `port_min` to `port_max`, one worker per CPU,
    /// an RTP timeout of 30 s, RTCP every 5 s and no prompt set.
    pub fn new(bind_ip: IpAddr, port_min: u16, port_max: u16) -> Self {
        Self {
            bind_ip,
            port_min,
            port_max,
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            rtp_timeout: Duration::from_secs(30),
            rtcp_interval: Duration::from_secs(5),
            prompts: None,
        }
    }
}

/// How one session behaves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The tenant the session serves (kept for the owner, [`MediaSession::tenant`];
    /// recordings name theirs in their request).
    pub tenant: Option<TenantId>,
    /// Symmetric RTP (RFC 4961, the "comedia" behaviour behind NAT): the source address of
    /// the first packet received becomes the remote address, and packets from any other
    /// address are then dropped and counted. Each [`MediaSession::set_remote`] learns
    /// afresh. Off: the remote is what `set_remote` said and packets are taken from
    /// anywhere.
    pub symmetric_rtp: bool,
    /// Look for DTMF keyed in the received audio (Goertzel, on the decoded 8 kHz audio of
    /// any codec), besides RFC 4733 events. A far end that sends a key both ways is
    /// reported twice, once per [`DtmfSource`]; turn this on for legs that do not
    /// negotiate telephone-event.
    pub inband_dtmf: bool,
    /// This session's RTP timeout, instead of [`EngineConfig::rtp_timeout`].
    pub rtp_timeout: Option<Duration>,
}

impl Default for SessionConfig {
    /// No tenant, symmetric RTP on, in-band DTMF off, the engine's RTP timeout.
    fn default() -> Self {
        Self {
            tenant: None,
            symmetric_rtp: true,
            inband_dtmf: false,
            rtp_timeout: None,
        }
    }
}

/// An audio codec a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus; `rate` is the sample rate negotiated for it (8000, 16000 or 48000: SDP's
    /// `maxplaybackrate`, 48000 when not said). The RTP clock is 48 kHz whatever the rate
    /// (RFC 7587); see the [module docs](self) on rates.
    Opus {
        /// 8000, 16000 or 48000.
        rate: u32,
    },
    /// L16: linear 16-bit PCM, big-endian (RFC 3551), mono, on a dynamic payload type;
    /// resampled to and from the engine's 8 kHz where `rate` is 16 kHz.
    L16 {
        /// 8000 or 16000 (also the RTP clock rate).
        rate: u32,
    },
}

impl AudioCodec {
    /// The RTP clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
            AudioCodec::Opus { .. } => crate::codec::opus::RTP_CLOCK_RATE,
            AudioCodec::L16 { rate } => rate,
        }
    }

    /// Whether packets of `self` can be relayed to a leg speaking `other` untouched.
    pub fn relays_to(self, other: AudioCodec) -> bool {
        matches!(
            (self, other),
            (AudioCodec::Pcmu, AudioCodec::Pcmu)
                | (AudioCodec::Pcma, AudioCodec::Pcma)
                | (AudioCodec::Opus { .. }, AudioCodec::Opus { .. })
        ) || matches!((self, other), (AudioCodec::L16 { rate: a }, AudioCodec::L16 { rate: b }) if a == b)
    }
}

/// What was negotiated for a session's RTP: what it sends and what it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadFormat {
    /// The audio payload type (0 PCMU, 8 PCMA, dynamic 96 to 127 for Opus and L16).
    pub payload_type: u8,
    /// The codec.
    pub codec: AudioCodec,
    /// The payload type of `telephone-event` (RFC 4733), if negotiated; at the codec's
    /// clock rate.
    pub telephone_event_pt: Option<u8>,
    /// Audio per packet sent: 10 to 60 ms in steps of 10 for G.711 and L16; 20 ms for Opus.
    /// Received packets may be of any length.
    pub ptime: Duration,
}

impl PayloadFormat {
    /// PCMU (payload type 0), telephone-event 101, 20 ms.
    pub fn pcmu() -> Self {
        Self {
            payload_type: 0,
            codec: AudioCodec::Pcmu,
            telephone_event_pt: Some(101),
            ptime: Duration::from_millis(20),
        }
    }

    /// PCMA (payload type 8), telephone-event 101, 20 ms.
    pub fn pcma() -> Self {
        Self {
            payload_type: 8,
            codec: AudioCodec::Pcma,
            ..Self::pcmu()
        }
    }

    /// L16 at `rate` (8000 or 16000 Hz) with payload type `payload_type`, no
    /// telephone-event, 20 ms.
    pub fn l16(rate: u32, payload_type: u8) -> Self {
        Self {
            payload_type,
            codec: AudioCodec::L16 { rate },
            telephone_event_pt: None,
            ptime: Duration::from_millis(20),
        }
    }

    /// Opus at 48 kHz with payload type `payload_type`, no telephone-event, 20 ms.
    pub fn opus(payload_type: u8) -> Self {
        Self {
            payload_type,
            codec: AudioCodec::Opus { rate: 48_000 },
            telephone_event_pt: None,
            ptime: Duration::from_millis(20),
        }
    }

    /// Checks the format; the error names the bad field and its value.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, value: String, expected: &'static str| {
            Err(Error::InvalidSetting {
                name,
                value,
                expected,
            })
        };
        if self.payload_type > 127 {
            return bad("payload type", self.payload_type.to_string(), "0 to 127");
        }
        let ms = self.ptime.as_millis();
        match self.codec {
            AudioCodec::Pcmu | AudioCodec::Pcma => {
                if !self.ptime.as_nanos().is_multiple_of(10_000_000) || !(10..=60).contains(&ms) {
                    return bad(
                        "G.711 ptime",
                        format!("{:?}", self.ptime),
                        "10 to 60 ms in steps of 10 ms",
                    );
                }
            }
            AudioCodec::Opus { rate } => {
                if !matches!(rate, 8000 | 16_000 | 48_000) {
                    return bad("Opus rate", rate.to_string(), "8000, 16000 or 48000 Hz");
                }
                if !(96..=127).contains(&self.payload_type) {
                    return bad(
                        "Opus payload type",
                        self.payload_type.to_string(),
                        "a dynamic payload type, 96 to 127",
                    );
                }
                if self.ptime != Duration::from_millis(20) {
                    return bad(
                        "Opus ptime",
                        format!("{:?}", self.ptime),
                        "20 ms (packets of any length are received)",
                    );
                }
            }
            AudioCodec::L16 { rate } => {
                if !matches!(rate, 8000 | 16_000) {
                    return bad("L16 rate", rate.to_string(), "8000 or 16000 Hz");
                }
                if !(96..=127).contains(&self.payload_type) {
                    return bad(
                        "L16 payload type",
                        self.payload_type.to_string(),
                        "a dynamic payload type, 96 to 127",
                    );
                }
                if !self.ptime.as_nanos().is_multiple_of(10_000_000) || !(10..=60).contains(&ms) {
                    return bad(
                        "L16 ptime",
                        format!("{:?}", self.ptime),
                        "10 to 60 ms in steps of 10 ms",
                    );
                }
            }
        }
        if let Some(te) = self.telephone_event_pt
            && (te > 127 || te == self.payload_type)
        {
            return bad(
                "telephone-event payload type",
                te.to_string(),
                "0 to 127, not the audio payload type (96 to 127 usually)",
            );
        }
        Ok(())
    }

    /// 8 kHz samples in one packet's audio.
    pub(crate) fn frame_samples(&self) -> usize {
        (self.ptime.as_millis() * 8) as usize
    }

    /// RTP clock ticks of one packet's audio.
    pub(crate) fn frame_ticks(&self) -> u32 {
        (self.ptime.as_micros() * u128::from(self.codec.clock_rate()) / 1_000_000) as u32
    }
}

/// Something to play to a session. Prompts are loaded (and checked) when queued, by
/// [`MediaSession::play`], on the caller's thread (from the prompt set's cache after the
/// first time), never on a media worker.
#[derive(Debug, Clone)]
pub enum PlayItem {
    /// A prompt of the engine's prompt set.
    Prompt {
        /// The language folder, e.g. `zh-CN`.
        language: String,
        /// The prompt's key (file name without extension).
        key: String,
    },
    /// A prompt looped without a gap until [`MediaSession::stop_play`] (music on hold).
    MusicOnHold {
        /// The language folder.
        language: String,
        /// The prompt's key.
        key: String,
    },
    /// Decoded 8 kHz mono audio.
    Audio(PromptAudio),
    /// Decoded 8 kHz mono audio, looped until stopped.
    Loop(PromptAudio),
    /// A tone for a duration, or until stopped.
    Tone {
        /// The frequencies and cadence.
        spec: ToneSpec,
        /// How long, or `None` for until stopped.
        duration: Option<Duration>,
    },
    /// Silence.
    Silence(Duration),
    /// A number read out.
    Number {
        /// The language.
        language: Language,
        /// The number.
        n: u64,
    },
    /// Digits read one by one.
    Digits {
        /// The language.
        language: Language,
        /// The digits.
        digits: String,
    },
    /// An amount of money, in cents.
    Money {
        /// The language.
        language: Language,
        /// The amount in cents.
        cents: u64,
    },
}

/// Where a DTMF digit was heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// An RFC 4733 telephone-event (reported once per key press, duplicates and redundant
    /// end packets suppressed).
    Rfc4733,
    /// Tones in the audio, found by the Goertzel detector.
    InBand,
}

/// What a session tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// A key was pressed (reported when it begins).
    Dtmf {
        /// The key.
        digit: DtmfDigit,
        /// How it arrived.
        source: DtmfSource,
    },
    /// The play queue ran empty: `interrupted` when [`MediaSession::stop_play`] emptied it
    /// while something played.
    PlayFinished {
        /// Whether it was stopped rather than played out.
        interrupted: bool,
    },
    /// No RTP arrived for the RTP timeout, counted from the session's opening, its last
    /// [`MediaSession::set_remote`] or its last accepted RTP packet, whichever is latest
    /// (reported once until RTP comes again).
    RtpTimeout,
    /// Symmetric RTP learned a remote address from the first packet.
    RemoteChanged {
        /// The address before (from `set_remote`), if any.
        from: Option<SocketAddr>,
        /// The address learned.
        to: SocketAddr,
    },
    /// A recording stopped because it could not be written; its file is valid up to its
    /// last header update.
    RecordingFailed {
        /// Why.
        reason: String,
    },
}

/// What a session saw, sent and dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStats {
    /// RTP packets accepted (audio and telephone-events).
    pub packets_received: u64,
    /// Their bytes (whole datagrams).
    pub bytes_received: u64,
    /// RTP packets sent (generated, relayed or transcoded).
    pub packets_sent: u64,
    /// Their bytes.
    pub bytes_sent: u64,
    /// Datagrams that were not RTP (too short, wrong version, truncated fields).
    pub bad_packets: u64,
    /// RTP packets with a payload type not negotiated, or before any format was set.
    pub unknown_payload: u64,
    /// Packets from an address other than the learned remote (symmetric RTP).
    pub foreign_packets: u64,
    /// Packets that could not be sent (socket buffer full, unreachable network).
    pub send_errors: u64,
    /// Packets that could not be decoded (corrupt Opus, for example).
    pub decode_errors: u64,
    /// RTCP compound packets received on the RTCP port, or multiplexed on the RTP port.
    pub rtcp_packets: u64,
    /// Of those, the malformed ones.
    pub bad_rtcp: u64,
    /// RTCP compound packets sent.
    pub rtcp_sent: u64,
    /// The round-trip time from the last report block on our stream (RFC 3550 §6.4.1).
    pub rtt: Option<Duration>,
    /// Packets of this session relayed untouched to its bridge peer.
    pub relayed: u64,
    /// Packets of this session decoded and re-encoded for its bridge peer.
    pub transcoded: u64,
    /// Loss, jitter and MOS of the received stream (RFC 3550 statistics; the MOS uses
    /// G.711 with concealment as the codec impairment for every codec).
    pub quality: MediaQuality,
    /// The recording stopped by [`MediaSession::close`], if one was running.
    pub recording: Option<RecordingMetadata>,
}

/// A session's number, unique within the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// What the workers and the handles of a session share.
#[derive(Debug)]
pub(crate) struct SessionShared {
    pub(crate) id: SessionId,
    /// The worker that owns the session; changed only by that worker, under this lock, when
    /// the session moves (see [`MediaEngine::bridge`]).
    pub(crate) worker: Mutex<usize>,
    pub(crate) events: Arc<EventQueue>,
    /// Set when the session is dropped by its worker (closed, or the engine stopped).
    pub(crate) closed: AtomicBool,
}

struct EngineInner {
    config: EngineConfig,
    links: Arc<[WorkerLink]>,
    loads: Arc<[AtomicUsize]>,
    ports: Arc<PortPool>,
    bridges: Arc<BridgeQueue>,
    next_id: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl EngineInner {
    fn send(&self, worker: usize, msg: WorkerMsg) -> Result<()> {
        self.links.get(worker).ok_or(Error::EngineStopped)?.send(msg)
    }
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        for link in self.links.iter() {
            let _ = link.send(WorkerMsg::Shutdown);
        }
        for t in lock(&self.threads).drain(..) {
            let _ = t.join();
        }
    }
}

/// The media engine: worker threads, the port range, and the sessions on them. Cheap to
/// clone (all clones are the same engine); the threads stop when the last clone and the
/// last session handle are dropped, or at [`shutdown`](Self::shutdown).
#[derive(Clone)]
pub struct MediaEngine {
    inner: Arc<EngineInner>,
}

impl std::fmt::Debug for MediaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaEngine")
            .field("bind_ip", &self.inner.config.bind_ip)
            .field("workers", &self.inner.links.len())
            .field("free_ports", &self.inner.ports.available())
            .finish_non_exhaustive()
    }
}

impl MediaEngine {
    /// Starts the worker threads. Fails on a bad port range, no workers, or a thread or
    /// poller the system refuses.
    pub fn start(config: EngineConfig) -> Result<MediaEngine> {
        if config.workers == 0 || config.workers > 1024 {
            return Err(Error::InvalidSetting {
                name: "media workers",
                value: config.workers.to_string(),
                expected: "1 to 1024 threads",
            });
        }
        if config.rtp_timeout.is_zero() {
            return Err(Error::InvalidSetting {
                name: "RTP timeout",
                value: format!("{:?}", config.rtp_timeout),
                expected: "more than zero, e.g. 30 s",
            });
        }
        let ports = PortPool::new(config.port_min, config.port_max)?;
        let mut pending = Vec::with_capacity(config.workers);
        for index in 0..config.workers {
            pending.push(worker::Worker::new(index)?);
        }
        let links: Arc<[WorkerLink]> = pending.iter().map(|(_, link)| link.clone()).collect();
        let loads: Arc<[AtomicUsize]> = (0..config.workers).map(|_| AtomicUsize::new(0)).collect();
        let mut threads = Vec::with_capacity(config.workers);
        for (w, _) in pending {
            let links = Arc::clone(&links);
            let loads = Arc::clone(&loads);
            let thread = std::thread::Builder::new()
                .name(format!("cc-media-{}", w.index()))
                .spawn(move || w.run(&links, &loads))
                .map_err(|source| Error::Socket {
                    what: "spawning a media worker thread",
                    addr: None,
                    source,
                })?;
            threads.push(thread);
        }
        Ok(MediaEngine {
            inner: Arc::new(EngineInner {
                config,
                links,
                loads,
                ports,
                bridges: Arc::new(BridgeQueue::default()),
                next_id: AtomicU64::new(1),
                threads: Mutex::new(threads),
            }),
        })
    }

    /// The configuration the engine was started with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// RTP ports (pairs) free now.
    pub fn free_ports(&self) -> usize {
        self.inner.ports.available()
    }

    /// Sessions open now, over all workers.
    pub fn sessions(&self) -> usize {
        self.inner.loads.iter().map(|l| l.load(Ordering::Relaxed)).sum()
    }

    /// Opens a session: binds the next free port pair and hands the session to the least
    /// loaded worker. Fails with [`Error::PortsExhausted`] when the range is used up.
    pub fn open_session(&self, config: SessionConfig) -> Result<MediaSession> {
        let inner = &self.inner;
        let sockets = inner.ports.bind(inner.config.bind_ip)?;
        let local = sockets.0.local_addr().map_err(|source| Error::Socket {
            what: "reading the RTP socket's address",
            addr: None,
            source,
        })?;
        let worker = inner
            .loads
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| l.load(Ordering::Relaxed))
            .map_or(0, |(i, _)| i);
        // Counted now, not when the worker adopts it, so that sessions opened in a burst
        // spread; the worker uncounts it when it closes or moves.
        if let Some(l) = inner.loads.get(worker) {
            l.fetch_add(1, Ordering::Relaxed);
        }
        let id = SessionId(inner.next_id.fetch_add(1, Ordering::Relaxed));
        let shared = Arc::new(SessionShared {
            id,
            worker: Mutex::new(worker),
            events: Arc::new(EventQueue::default()),
            closed: AtomicBool::new(false),
        });
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let timeout = config.rtp_timeout.unwrap_or(inner.config.rtp_timeout);
        let session = worker::Session::new(
            Arc::clone(&shared),
            cmd_rx,
            sockets,
            &config,
            timeout,
            inner.config.rtcp_interval,
        )?;
        inner.send(worker, WorkerMsg::Adopt(Box::new(session), None))?;
        Ok(MediaSession {
            handle: Arc::new(Handle {
                shared,
                cmd_tx,
                local,
                tenant: config.tenant,
                engine: Arc::clone(inner),
            }),
        })
    }

    /// Bridges `a` and `b` (two sessions of this engine): what each receives is sent to the other, relayed without
    /// decoding when both speak the same codec, transcoded otherwise. A session's own
    /// playback takes precedence over its peer's audio while it plays. Any earlier bridge of
    /// either session ends first. Moves `b` to `a`'s worker when they differ.
    pub fn bridge(&self, a: &MediaSession, b: &MediaSession) -> Reply<()> {
        let (tx, reply) = reply_pair();
        if a.id() == b.id() {
            tx.send(Err(Error::InvalidSetting {
                name: "bridge",
                value: a.id().to_string(),
                expected: "two different sessions",
            }));
            return reply;
        }
        let ticket = BridgeTicket::new(tx, Arc::clone(&self.inner.bridges), Arc::clone(&self.inner.links));
        let msg = WorkerMsg::Bridge {
            a: Arc::clone(&a.handle.shared),
            b: Arc::clone(&b.handle.shared),
            reply: ticket,
            hops: 0,
        };
        self.inner.bridges.submit(msg, &self.inner.links);
        reply
    }

    /// A new conference: sessions that [`Conference::join`] it hear the mix of the others
    /// (the built-in [`NPartyMixer`](crate::mixer::NPartyMixer) at 8 kHz, mix-minus, with
    /// supervisor roles). It is mixed on one worker, which its members move to.
    pub fn conference(&self) -> Conference {
        let inner = &self.inner;
        let home = inner
            .loads
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| l.load(Ordering::Relaxed))
            .map_or(0, |(i, _)| i);
        Conference {
            id: inner.next_id.fetch_add(1, Ordering::Relaxed),
            home,
            engine: Arc::clone(inner),
        }
    }

    /// Ends the bridge `session` is in (nothing happens when it is in none).
    pub fn unbridge(&self, session: &MediaSession) -> Reply<()> {
        let (tx, reply) = reply_pair();
        let worker = *lock(&session.handle.shared.worker);
        let _ = self.inner.send(
            worker,
            WorkerMsg::Unbridge {
                a: Arc::clone(&session.handle.shared),
                reply: tx,
                hops: 0,
            },
        );
        reply
    }

    /// Stops the workers now: every session still open is dropped (its recording kept as
    /// written so far), and session handles answer [`Error::EngineStopped`].
    pub fn shutdown(&self) {
        for link in self.inner.links.iter() {
            let _ = link.send(WorkerMsg::Shutdown);
        }
        for t in lock(&self.inner.threads).drain(..) {
            let _ = t.join();
        }
    }
}

/// How a session takes part in a [`Conference`] (the mixer's
/// [`Role`](crate::mixer::Role), with sessions for participants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConferenceRole {
    /// Hears the others, heard by all of them.
    #[default]
    Normal,
    /// A supervisor listening in: hears the normal and barging members, heard by nobody.
    ListenOnly,
    /// A supervisor coaching one member (the agent): hears the normal and barging
    /// members, heard by `to` only (who must already be a member).
    Whisper {
        /// The member who hears the whisper.
        to: SessionId,
    },
    /// A supervisor who barged in: heard by all, like a normal member.
    Barge,
}

/// A conference of sessions on one engine (see [`MediaEngine::conference`]).
///
/// Each member's received audio is decoded (through its jitter buffer) into the mix every
/// 20 ms, and what the member hears is encoded in its own codec and sent to its remote. A
/// member's own playback takes precedence over the mix while it plays; its recording
/// records what it receives (left) and the mix it is sent (right). A member leaves with
/// [`Conference::leave`], or when it is bridged, closed, or joins another conference.
/// Dropping the handle leaves the members where they are.
pub struct Conference {
    id: u64,
    home: usize,
    engine: Arc<EngineInner>,
}

impl std::fmt::Debug for Conference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conference")
            .field("id", &self.id)
            .field("worker", &self.home)
            .finish_non_exhaustive()
    }
}

impl Conference {
    /// The conference's number (unique in the engine, shared with session numbers).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Adds `session` to the conference with `role`, or changes its role when it is a
    /// member already. Ends its bridge, if any, and moves it to the conference's worker.
    /// Fails when a whisper's target is not a member.
    pub fn join(&self, session: &MediaSession, role: ConferenceRole) -> Reply<()> {
        let (tx, reply) = reply_pair();
        let ticket = BridgeTicket::new(
            tx,
            Arc::clone(&self.engine.bridges),
            Arc::clone(&self.engine.links),
        );
        let msg = WorkerMsg::ConfJoin {
            conf: self.id,
            home: self.home,
            session: Arc::clone(&session.handle.shared),
            role,
            reply: ticket,
            hops: 0,
        };
        self.engine.bridges.submit(msg, &self.engine.links);
        reply
    }

    /// Takes `session` out of the conference (nothing happens when it is not in it).
    pub fn leave(&self, session: &MediaSession) -> Reply<()> {
        let (tx, reply) = reply_pair();
        // A command that cannot be queued drops its responder, which answers the reply.
        let _ = session.handle.command(Command::LeaveConference(self.id, tx));
        reply
    }
}

struct Handle {
    shared: Arc<SessionShared>,
    cmd_tx: mpsc::Sender<Command>,
    local: SocketAddr,
    tenant: Option<TenantId>,
    engine: Arc<EngineInner>,
}

impl Handle {
    /// Queues `cmd` in the session's own queue, then wakes the worker that owns it. The
    /// owner is read under the same lock a moving session's worker takes to change it, so a
    /// command is either seen by the old worker before the move or found by the new one.
    fn command(&self, cmd: Command) -> Result<()> {
        let worker = {
            let guard = lock(&self.shared.worker);
            self.cmd_tx.send(cmd).map_err(|_| Error::SessionClosed {
                session: self.shared.id.0,
            })?;
            *guard
        };
        self.engine.send(worker, WorkerMsg::Notify(self.shared.id))
    }
}

impl Drop for Handle {
    /// The last handle gone closes the session.
    fn drop(&mut self) {
        let _ = self.command(Command::Close(None));
    }
}

/// A handle on one session: `Send + Sync`, cheap to clone (clones share the session). The
/// session closes at [`close`](Self::close) or when its last handle is dropped.
///
/// Methods queue a command for the session's worker and return at once; those with an
/// answer return a [`Reply`] to wait for or await.
#[derive(Clone)]
pub struct MediaSession {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("id", &self.handle.shared.id)
            .field("local", &self.handle.local)
            .finish_non_exhaustive()
    }
}

impl MediaSession {
    /// The session's number.
    pub fn id(&self) -> SessionId {
        self.handle.shared.id
    }

    /// The tenant given in [`SessionConfig::tenant`].
    pub fn tenant(&self) -> Option<&TenantId> {
        self.handle.tenant.as_ref()
    }

    /// The local RTP address (RTCP is on the next port).
    pub fn local_rtp_addr(&self) -> SocketAddr {
        self.handle.local
    }

    /// The session's events. All clones read the same queue.
    pub fn events(&self) -> SessionEvents {
        SessionEvents::new(Arc::clone(&self.handle.shared.events))
    }

    /// Sets where to send and what was negotiated. `remote` may be `None` when it is to be
    /// learned from the first packet ([`SessionConfig::symmetric_rtp`]); with symmetric RTP
    /// a given remote is used until the first packet shows the real one.
    pub fn set_remote(&self, remote: impl Into<Option<SocketAddr>>, format: PayloadFormat) -> Result<()> {
        format.validate()?;
        self.handle.command(Command::SetRemote(remote.into(), format))
    }

    /// Queues `items` to play after whatever plays now. Prompts are loaded here first: a
    /// missing one fails the call and nothing of it is queued.
    pub fn play(&self, items: impl IntoIterator<Item = PlayItem>) -> Result<()> {
        let prompts = self.handle.engine.config.prompts.as_deref();
        let mut resolved = Vec::new();
        for item in items {
            resolve(prompts, item, &mut resolved)?;
        }
        self.handle.command(Command::Play(resolved))
    }

    /// Sends `digits` as RFC 4733 telephone-events, each held for `duration` (40 ms to
    /// 8 s) with 100 ms between digits, after any digits still queued. The answer comes
    /// when they are queued; it is an error when the format set with
    /// [`set_remote`](Self::set_remote) has no telephone-event payload type. Audio played
    /// meanwhile is not sent while an event is, nor is the bridge peer's.
    pub fn send_dtmf(&self, digits: &str, duration: Duration) -> Reply<()> {
        let (tx, reply) = reply_pair();
        let parsed: std::result::Result<Vec<DtmfDigit>, _> =
            digits.chars().map(DtmfDigit::from_char).collect();
        let ms = duration.as_millis();
        match parsed {
            Err(_) => tx.send(Err(Error::InvalidSetting {
                name: "DTMF digits",
                value: digits.to_owned(),
                expected: "keys 0-9, *, #, A-D",
            })),
            Ok(_) if !(40..=8000).contains(&ms) => tx.send(Err(Error::InvalidSetting {
                name: "DTMF duration",
                value: format!("{duration:?}"),
                expected: "40 ms to 8 s",
            })),
            Ok(list) => {
                let _ = self.handle.command(Command::SendDtmf(list, ms as u32, tx));
            }
        }
        reply
    }

    /// Empties the play queue at once (barge-in); the peer's audio, if bridged, is heard
    /// again.
    pub fn stop_play(&self) -> Result<()> {
        self.handle.command(Command::StopPlay)
    }

    /// Starts recording the session into `store`: left (caller) the audio this session
    /// receives, right (agent) the audio it sends, which is the bridge peer's audio when
    /// bridged (and the prompts while something plays). Recording decodes both directions;
    /// only recorded sessions pay for that. The request's sample rate must be 8000 and the
    /// layout may be stereo or mono. One recording per session at a time.
    pub fn start_recording(&self, store: Arc<dyn RecordingStore>, request: RecordingRequest) -> Reply<()> {
        let (tx, reply) = reply_pair();
        let _ = self
            .handle
            .command(Command::StartRecording(store, Box::new(request), tx));
        reply
    }

    /// Writes silence instead of audio until [`resume_recording`](Self::resume_recording).
    pub fn pause_recording(&self) -> Result<()> {
        self.handle.command(Command::PauseRecording)
    }

    /// Keeps audio again.
    pub fn resume_recording(&self) -> Result<()> {
        self.handle.command(Command::ResumeRecording)
    }

    /// Stops the recording and gives its metadata (the file hashed and finished by its store).
    pub fn stop_recording(&self) -> Reply<RecordingMetadata> {
        let (tx, reply) = reply_pair();
        let _ = self.handle.command(Command::StopRecording(tx));
        reply
    }

    /// The statistics so far.
    pub fn stats(&self) -> Reply<SessionStats> {
        let (tx, reply) = reply_pair();
        let _ = self.handle.command(Command::Stats(tx));
        reply
    }

    /// Closes the session: ends its bridge, stops its recording, closes its sockets and
    /// gives the ports back. The answer holds the final statistics. Closing twice answers
    /// [`Error::SessionClosed`].
    pub fn close(&self) -> Reply<SessionStats> {
        let (tx, reply) = reply_pair();
        if let Err(e) = self.handle.command(Command::Close(Some(tx))) {
            let (tx, reply) = reply_pair();
            tx.send(Err(e));
            return reply;
        }
        reply
    }
}

/// Turns a play item into what the worker plays, loading prompts.
fn resolve(prompts: Option<&PromptSet>, item: PlayItem, out: &mut Vec<worker::Play>) -> Result<()> {
    let need = |what: &str| -> Result<&PromptSet> {
        prompts.ok_or_else(|| Error::InvalidSetting {
            name: "prompt set",
            value: format!("none (playing {what})"),
            expected: "EngineConfig::prompts set to a prompt set",
        })
    };
    let load_keys = |language: Language, keys: &[&str], out: &mut Vec<worker::Play>| -> Result<()> {
        let set = need("spoken items")?;
        let audio = keys
            .iter()
            .map(|k| set.load(language.folder(), k))
            .collect::<Result<Vec<_>>>()?;
        out.extend(audio.into_iter().map(worker::Play::Audio));
        Ok(())
    };
    match item {
        PlayItem::Prompt { language, key } => {
            out.push(worker::Play::Audio(need("a prompt")?.load(&language, &key)?));
        }
        PlayItem::MusicOnHold { language, key } => {
            out.push(worker::Play::Loop(need("music on hold")?.load(&language, &key)?));
        }
        PlayItem::Audio(a) => out.push(worker::Play::Audio(a)),
        PlayItem::Loop(a) => out.push(worker::Play::Loop(a)),
        PlayItem::Tone { spec, duration } => out.push(worker::Play::Tone(spec, duration)),
        PlayItem::Silence(d) => out.push(worker::Play::Silence(d)),
        PlayItem::Number { language, n } => load_keys(language, &say::number(language, n), out)?,
        PlayItem::Digits { language, digits } => load_keys(language, &say::digits(language, &digits)?, out)?,
        PlayItem::Money { language, cents } => load_keys(language, &say::money(language, cents), out)?,
    }
    Ok(())
}
