//! One media worker thread: the sessions it owns, their sockets in one `mio` poller, and
//! the loop that reads packets, relays or transcodes them, plays and records on 20 ms
//! deadlines, and runs the commands the handles queue.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

use super::events::{Responder, lock};
use super::ports::PortLease;
use super::stream::{OutStream, Stamp};
use super::{
    AudioCodec, ConferenceRole, DtmfSource, PayloadFormat, SessionConfig, SessionEvent, SessionId,
    SessionShared, SessionStats,
};
use crate::codec::{Codec, G711, L16, Law, Opus, OpusConfig, Resampled};
use crate::dtmf::{DigitEvent, DtmfDetector, DtmfSender, EventReceiver};
use crate::error::{Error, Result};
use crate::jitter::{JitterBuffer, JitterConfig, Pop};
use crate::mixer::{Mixer, NPartyMixer, ParticipantId, Role};
use crate::player::prompt::{PromptAudio, PromptSet};
use crate::player::tones::ToneSpec;
use crate::player::{FRAME, PlayState, Player};
use crate::recorder::{Recorder, RecordingMetadata, RecordingRequest, RecordingStore};
use crate::rtcp::{Bye, Compound, ReceiverReport, ReportBlocks, RtcpPacket, Sdes, SenderInfo, SenderReport};
use crate::rtp::{RtpErrorCounts, RtpHeader, RtpPacket};
use crate::stats::mos::{self, CodecImpairment};
use crate::stats::{ReceiveStats, ntp_time};
use cc_core::DtmfDigit;

/// The token of the worker's waker; sessions use `2 * slot` (RTP) and `2 * slot + 1` (RTCP).
const WAKER: Token = Token(usize::MAX);
/// One frame of generated audio.
const TICK: Duration = Duration::from_millis(20);
/// Behind by more than this, a clock skips ahead instead of catching up.
const MAX_LAG: Duration = Duration::from_millis(100);
/// The longest a worker sleeps without looking at its timers.
const MAX_SLEEP: Duration = Duration::from_millis(250);
/// Largest datagram sent.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams (or GRO bundles) read by one `recvmmsg`.
const BATCH: usize = quinn_udp::BATCH_SIZE;
/// Room for one received GRO bundle: the kernel coalesces at most 64 KiB.
const SLOT: usize = 1 << 16;
/// Receive buffer asked of the kernel for each RTP socket (it caps it at `rmem_max`).
const RECV_BUFFER: usize = 1 << 20;
/// Most 8 kHz samples one packet decodes to (120 ms).
const MAX_PCM: usize = 960;
/// Most lost packets in a row that are concealed; a longer gap is a silence or a restart.
const MAX_CONCEALED: u16 = 4;
/// Room for the concealed packets and the packet after them.
const PCM_BUF: usize = MAX_PCM * (MAX_CONCEALED as usize + 1);
/// Largest encoded payload: 60 ms of L16 at 16 kHz (an Opus packet is at most 1275).
const MAX_PAYLOAD: usize = 1920;
/// Packets a session's jitter buffer holds: room for a burst of a second of 20 ms packets.
const JITTER_SLOTS: usize = 64;
/// The jitter buffer's greatest target depth (200 ms of 20 ms packets): the most delay it
/// adds to what is decoded.
const JITTER_MAX_DEPTH: u16 = 10;

/// How often a message may be passed on after a moving session before it gives up.
const MAX_HOPS: u8 = 32;

/// A worker's inbox: the channel and the waker that interrupts its poll.
#[derive(Clone)]
pub(crate) struct WorkerLink {
    tx: mpsc::Sender<WorkerMsg>,
    waker: Arc<Waker>,
}

impl WorkerLink {
    /// Sends `msg`, or hands it back when the worker has stopped.
    fn send_back(&self, msg: WorkerMsg) -> Option<WorkerMsg> {
        match self.tx.send(msg) {
            Ok(()) => {
                let _ = self.waker.wake();
                None
            }
            Err(mpsc::SendError(msg)) => Some(msg),
        }
    }

    pub(crate) fn send(&self, msg: WorkerMsg) -> Result<()> {
        self.tx.send(msg).map_err(|_| Error::EngineStopped)?;
        self.waker.wake().map_err(|source| Error::Socket {
            what: "waking a media worker",
            addr: None,
            source,
        })
    }
}

/// What the engine and other workers ask of a worker.
pub(crate) enum WorkerMsg {
    /// Take this session (new, or moving here), then handle `then`.
    Adopt(Box<Session>, Option<Box<WorkerMsg>>),
    /// The session has commands queued.
    Notify(SessionId),
    /// Bridge two sessions (moving `b` here first if needed).
    Bridge {
        a: Arc<SessionShared>,
        b: Arc<SessionShared>,
        reply: BridgeTicket,
        hops: u8,
    },
    /// Hand `session` to worker `to`, then have `to` handle `then`.
    Migrate {
        session: Arc<SessionShared>,
        to: usize,
        then: Box<WorkerMsg>,
        hops: u8,
    },
    /// Add `session` to conference `conf` (mixed on worker `home`) with `role`, moving it
    /// there first if needed; or change its role.
    ConfJoin {
        conf: u64,
        home: usize,
        session: Arc<SessionShared>,
        role: ConferenceRole,
        reply: BridgeTicket,
        hops: u8,
    },
    /// End the bridge of `a`.
    Unbridge {
        a: Arc<SessionShared>,
        reply: Responder<()>,
        hops: u8,
    },
    /// Stop the thread.
    Shutdown,
}

impl WorkerMsg {
    /// Answers the request inside `self` with `err`, if it carries one.
    fn fail(self, err: Error) {
        match self {
            WorkerMsg::Bridge { reply, .. } | WorkerMsg::ConfJoin { reply, .. } => reply.send(Err(err)),
            WorkerMsg::Unbridge { reply, .. } => reply.send(Err(err)),
            WorkerMsg::Migrate { then, .. } | WorkerMsg::Adopt(_, Some(then)) => then.fail(err),
            _ => {}
        }
    }
}

/// Bridge requests run one at a time, engine-wide: a bridge may move a session from one
/// worker to another, and two bridges moving the same sessions at once could chase each
/// other around the workers. Bridging is rare next to packets, so one at a time costs
/// nothing that matters, and each request completes in at most a few messages.
#[derive(Default)]
pub(crate) struct BridgeQueue {
    state: Mutex<(VecDeque<WorkerMsg>, bool)>,
}

impl BridgeQueue {
    /// Runs `msg` (a [`WorkerMsg::Bridge`]) now, or after those before it.
    pub(crate) fn submit(&self, msg: WorkerMsg, links: &[WorkerLink]) {
        {
            let mut state = lock(&self.state);
            if state.1 {
                state.0.push_back(msg);
                return;
            }
            state.1 = true;
        }
        dispatch_bridge(msg, links);
    }

    /// The running request finished: starts the next.
    fn done(&self, links: &[WorkerLink]) {
        let next = {
            let mut state = lock(&self.state);
            let next = state.0.pop_front();
            state.1 = next.is_some();
            next
        };
        if let Some(msg) = next {
            dispatch_bridge(msg, links);
        }
    }
}

/// Sends a bridge request to the worker of its first session, a conference join to the
/// conference's worker.
fn dispatch_bridge(msg: WorkerMsg, links: &[WorkerLink]) {
    let owner = match &msg {
        WorkerMsg::Bridge { a, .. } => *lock(&a.worker),
        WorkerMsg::ConfJoin { home, .. } => *home,
        _ => return,
    };
    if let Some(link) = links.get(owner) {
        // A failed send drops the message; its ticket then starts the next request.
        let _ = link.send(msg);
    }
}

/// The answer slot of a bridge request; answering it, or dropping it unanswered (the
/// engine stopped), lets the next bridge request run.
pub(crate) struct BridgeTicket {
    reply: Option<Responder<()>>,
    queue: Arc<BridgeQueue>,
    links: Arc<[WorkerLink]>,
}

impl BridgeTicket {
    pub(crate) fn new(reply: Responder<()>, queue: Arc<BridgeQueue>, links: Arc<[WorkerLink]>) -> Self {
        Self {
            reply: Some(reply),
            queue,
            links,
        }
    }

    pub(crate) fn send(mut self, result: Result<()>) {
        if let Some(r) = self.reply.take() {
            r.send(result);
        }
    }
}

impl Drop for BridgeTicket {
    fn drop(&mut self) {
        drop(self.reply.take());
        self.queue.done(&self.links);
    }
}

/// A request from a session's handles, queued in the session's own channel.
pub(crate) enum Command {
    SetRemote(Option<SocketAddr>, PayloadFormat),
    Play(Vec<Play>),
    StopPlay,
    StartRecording(Arc<dyn RecordingStore>, Box<RecordingRequest>, Responder<()>),
    PauseRecording,
    ResumeRecording,
    StopRecording(Responder<RecordingMetadata>),
    Stats(Responder<SessionStats>),
    SendDtmf(Vec<DtmfDigit>, u32, Responder<()>),
    LeaveConference(u64, Responder<()>),
    Close(Option<Responder<SessionStats>>),
}

/// A play item with its prompts loaded.
#[derive(Debug)]
pub(crate) enum Play {
    Audio(PromptAudio),
    Loop(PromptAudio),
    Tone(ToneSpec, Option<Duration>),
    Silence(Duration),
}

/// The negotiated format and its codec (decoding what arrives, encoding what is sent).
struct Format {
    pf: PayloadFormat,
    codec: Box<dyn Codec>,
}

fn make_codec(pf: &PayloadFormat) -> Result<Box<dyn Codec>> {
    Ok(match pf.codec {
        AudioCodec::Pcmu => Box::new(G711::new(Law::Mu)),
        AudioCodec::Pcma => Box::new(G711::new(Law::A)),
        AudioCodec::Opus { .. } => Box::new(Opus::new(OpusConfig {
            sample_rate: 8000,
            payload_type: pf.payload_type,
            ..OpusConfig::default()
        })?),
        AudioCodec::L16 { rate: 8000 } => Box::new(L16::new(8000, pf.payload_type)?),
        AudioCodec::L16 { rate } => Box::new(Resampled::new(
            Box::new(L16::new(rate, pf.payload_type)?),
            rate,
            8000,
        )?),
    })
}

/// The jitter buffer of a session receiving `pf`: 20 to 200 ms deep, starting at 40 ms,
/// with 64 slots (a burst of more than a second is kept); a slot holds the largest packet
/// of the codec a peer sends in practice (60 ms of G.711 — phones and carriers use 10 to
/// 60 —, an Opus packet, 60 ms of L16), so that a recorded G.711 call's buffer takes
/// 30 KiB rather than 60: the memory of a busy center is mostly these buffers.
fn jitter_config(pf: &PayloadFormat) -> JitterConfig {
    let max_payload = match pf.codec {
        AudioCodec::Pcmu | AudioCodec::Pcma => 480,
        AudioCodec::Opus { .. } => crate::codec::opus::MAX_PACKET,
        AudioCodec::L16 { rate } => (rate as usize / 1000) * 2 * 60,
    };
    JitterConfig {
        capacity: JITTER_SLOTS,
        max_payload: max_payload.min(MAX_PAYLOAD),
        min_depth: 1,
        max_depth: JITTER_MAX_DEPTH,
        initial_depth: 2,
        frame: pf.ptime,
        clock_rate: pf.codec.clock_rate(),
        ..JitterConfig::default()
    }
}

/// 8 kHz samples waiting, bounded so that pushing never allocates.
struct PcmQueue {
    q: VecDeque<i16>,
    cap: usize,
    /// For the recorder: whether reading has started (two frames were buffered).
    primed: bool,
}

impl PcmQueue {
    fn new(cap: usize) -> Self {
        Self {
            q: VecDeque::with_capacity(cap),
            cap,
            primed: false,
        }
    }

    /// Appends, dropping the oldest samples when full.
    fn push(&mut self, samples: &[i16]) {
        let samples = samples
            .get(samples.len().saturating_sub(self.cap)..)
            .unwrap_or(samples);
        let over = (self.q.len() + samples.len()).saturating_sub(self.cap);
        self.q.drain(..over);
        self.q.extend(samples);
    }

    /// Takes exactly `out.len()` samples if there are that many.
    fn pop_exact(&mut self, out: &mut [i16]) -> bool {
        let n = out.len();
        if self.q.len() < n {
            return false;
        }
        for (o, s) in out.iter_mut().zip(self.q.drain(..n)) {
            *o = s;
        }
        true
    }

    /// The recorder's read: a small playout delay of two frames absorbs arrival jitter;
    /// an underrun pads with silence and waits for two frames again; a backlog beyond
    /// eight frames is cut back to two.
    fn pop_frame(&mut self, out: &mut [i16]) {
        let n = out.len();
        if !self.primed {
            if self.q.len() >= 2 * n {
                self.primed = true;
            } else {
                out.fill(0);
                return;
            }
        }
        if self.q.len() > 8 * n {
            let cut = self.q.len() - 2 * n;
            self.q.drain(..cut);
        }
        let take = n.min(self.q.len());
        for (o, s) in out.iter_mut().zip(self.q.drain(..take)) {
            *o = s;
        }
        if let Some(rest) = out.get_mut(take..) {
            rest.fill(0);
        }
        if take < n {
            self.primed = false;
        }
    }

    fn clear(&mut self) {
        self.q.clear();
    }
}

/// Ticks of silence between two digits sent (100 ms).
const DTMF_GAP_TICKS: u32 = 5;

/// The digit being sent as telephone-events.
struct DtmfOut {
    packets: Vec<crate::dtmf::OutgoingEvent>,
    next: usize,
    /// The event's RTP timestamp.
    start: u32,
    /// Clock ticks since it started.
    elapsed: u32,
}

/// A running recording: what was received (left) and sent (right), clocked every 20 ms.
struct Recording {
    recorder: Recorder,
    rx: PcmQueue,
    tx: PcmQueue,
    /// Decodes relayed packets (already in this session's codec) for the right channel.
    out_decoder: Option<Box<dyn Codec>>,
}

#[derive(Default)]
struct Counters {
    packets_received: u64,
    bytes_received: u64,
    packets_sent: u64,
    bytes_sent: u64,
    send_errors: u64,
    bad: RtpErrorCounts,
    unknown_payload: u64,
    foreign: u64,
    decode_errors: u64,
    rtcp: u64,
    bad_rtcp: u64,
    relayed: u64,
    transcoded: u64,
}

/// One session's state, owned by one worker at a time.
pub(crate) struct Session {
    shared: Arc<SessionShared>,
    cmds: mpsc::Receiver<Command>,
    // The sockets before the lease: fields drop in order, so the port is closed before it
    // returns to the pool.
    rtp: UdpSocket,
    rtcp: UdpSocket,
    /// Batched receive on `rtp`.
    udp: quinn_udp::UdpSocketState,
    _lease: PortLease,
    symmetric: bool,
    rtp_timeout: Duration,
    /// Mean time between RTCP reports; zero for none.
    rtcp_interval: Duration,
    next_rtcp: Instant,
    /// Where RTCP goes: learned from the peer's RTCP, else the remote's port + 1.
    rtcp_remote: Option<SocketAddr>,
    rtcp_sent: u64,
    /// Packets sent as of the last report (a sender report is due when this moved).
    reported_packets: u64,
    rtt: Option<Duration>,
    cname: String,
    remote: Option<SocketAddr>,
    latched: bool,
    format: Option<Format>,
    out: OutStream,
    stats: Option<ReceiveStats>,
    dtmf: EventReceiver,
    detector: Option<DtmfDetector>,
    player: Player,
    playing: bool,
    /// PCM waiting to be encoded into packets of this session's ptime.
    tx_fifo: PcmQueue,
    peer: Option<usize>,
    /// The conference this session is in.
    conf: Option<Membership>,
    recording: Option<Recording>,
    /// Puts received audio back in order before it is decoded (for a transcode, the
    /// recording or the detector; relayed packets never wait in it). Made when first
    /// needed, dropped when the codec changes.
    jitter: Option<JitterBuffer>,
    /// When the jitter buffer is next read.
    jitter_next: Instant,
    /// Gaps concealed in a row.
    rx_gaps: u16,
    /// Sequence number and timestamp of the newest audio packet, from which a
    /// telephone-event's place on the audio clock is reckoned.
    rx_last_audio: Option<(u16, u32)>,
    /// Samples the last received packet decoded to (the size of a concealed packet).
    rx_frame: usize,
    /// Digits waiting to be sent, and how long each is held, in ms.
    dtmf_queue: VecDeque<(DtmfDigit, u32)>,
    dtmf_out: Option<DtmfOut>,
    /// Ticks to wait before the next digit.
    dtmf_gap: u32,
    last_rtp_at: Instant,
    timed_out: bool,
    c: Counters,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.events.close();
    }
}

impl Session {
    pub(crate) fn new(
        shared: Arc<SessionShared>,
        cmds: mpsc::Receiver<Command>,
        (rtp, rtcp, lease): (std::net::UdpSocket, std::net::UdpSocket, PortLease),
        config: &SessionConfig,
        rtp_timeout: Duration,
        rtcp_interval: Duration,
    ) -> Result<Self> {
        let nonblocking = |s: &std::net::UdpSocket| {
            s.set_nonblocking(true).map_err(|source| Error::Socket {
                what: "making a media socket non-blocking",
                addr: s.local_addr().ok(),
                source,
            })
        };
        nonblocking(&rtp)?;
        nonblocking(&rtcp)?;
        let udp = quinn_udp::UdpSocketState::new((&rtp).into()).map_err(|source| Error::Socket {
            what: "setting up batched receive on an RTP socket",
            addr: rtp.local_addr().ok(),
            source,
        })?;
        // Room for bursts; a failure (a kernel that refuses) leaves the default.
        let _ = socket2::SockRef::from(&rtp).set_recv_buffer_size(RECV_BUFFER);
        let random = RandomState::new().hash_one((shared.id, Instant::now()));
        let local = rtp.local_addr().map_err(|source| Error::Socket {
            what: "reading an RTP socket's address",
            addr: None,
            source,
        })?;
        let now = Instant::now();
        Ok(Self {
            cmds,
            rtp: UdpSocket::from_std(rtp),
            rtcp: UdpSocket::from_std(rtcp),
            udp,
            _lease: lease,
            symmetric: config.symmetric_rtp,
            rtp_timeout,
            rtcp_interval,
            next_rtcp: now + rtcp_interval / 2,
            rtcp_remote: None,
            rtcp_sent: 0,
            reported_packets: 0,
            rtt: None,
            cname: format!("cc-media-{}@{}", shared.id, local.ip()),
            remote: None,
            latched: false,
            format: None,
            out: OutStream::new(
                random as u32,
                (random >> 32) as u16,
                (random >> 48) as u32 * 7919,
                8000,
            ),
            stats: None,
            dtmf: EventReceiver::new(),
            detector: config.inband_dtmf.then(DtmfDetector::new),
            player: Player::new(Arc::new(PromptSet::new("."))),
            playing: false,
            tx_fifo: PcmQueue::new(MAX_PCM * 2),
            peer: None,
            conf: None,
            recording: None,
            jitter: None,
            jitter_next: now,
            rx_gaps: 0,
            rx_last_audio: None,
            rx_frame: FRAME,
            dtmf_queue: VecDeque::new(),
            dtmf_out: None,
            dtmf_gap: 0,
            last_rtp_at: now,
            timed_out: false,
            c: Counters::default(),
            shared,
        })
    }

    fn event(&self, e: SessionEvent) {
        self.shared.events.push(e);
    }

    fn snapshot(&self) -> SessionStats {
        let quality = self.stats.as_ref().map_or_else(
            || cc_core::MediaQuality {
                mos: mos::mos(0.0, 0.0, CodecImpairment::G711_PLC) as f32,
                ..cc_core::MediaQuality::default()
            },
            |s| s.media_quality(CodecImpairment::G711_PLC, Duration::ZERO),
        );
        SessionStats {
            packets_received: self.c.packets_received,
            bytes_received: self.c.bytes_received,
            packets_sent: self.c.packets_sent,
            bytes_sent: self.c.bytes_sent,
            send_errors: self.c.send_errors,
            bad_packets: self.c.bad.total(),
            unknown_payload: self.c.unknown_payload,
            foreign_packets: self.c.foreign,
            decode_errors: self.c.decode_errors,
            rtcp_packets: self.c.rtcp,
            bad_rtcp: self.c.bad_rtcp,
            relayed: self.c.relayed,
            transcoded: self.c.transcoded,
            rtcp_sent: self.rtcp_sent,
            rtt: self.rtt,
            quality,
            recording: None,
        }
    }

    /// Encodes and sends every whole packet of PCM waiting in the transmit queue.
    fn flush_pcm(&mut self, bufs: &mut Buffers, now: Instant) {
        let Some(format) = self.format.as_mut() else {
            self.tx_fifo.clear();
            return;
        };
        let n = format.pf.frame_samples().min(bufs.frame.len());
        let ticks = format.pf.frame_ticks();
        let pt = format.pf.payload_type;
        let Some(frame) = bufs.frame.get_mut(..n) else {
            return;
        };
        while self.tx_fifo.pop_exact(frame) {
            let Some(format) = self.format.as_mut() else {
                return;
            };
            let Ok(len) = format.codec.encode(frame, &mut bufs.payload[..]) else {
                self.c.decode_errors += 1;
                continue;
            };
            if let Some(rec) = self.recording.as_mut() {
                rec.tx.push(frame);
            }
            let Stamp {
                seq,
                timestamp,
                marker,
            } = self.out.next_local(ticks, now);
            let header = RtpHeader {
                payload_type: pt,
                marker,
                sequence: seq,
                timestamp,
                ssrc: self.out.ssrc(),
            };
            let payload = bufs.payload.get(..len).unwrap_or_default();
            if let Ok(total) = header.write(&[], payload, &mut bufs.out[..]) {
                let data = bufs.out.get(..total).unwrap_or_default();
                let Some(remote) = self.remote else { continue };
                match self.rtp.send_to(data, remote) {
                    Ok(sent) => {
                        self.c.packets_sent += 1;
                        self.c.bytes_sent += sent as u64;
                    }
                    Err(_) => self.c.send_errors += 1,
                }
            }
        }
    }

    /// Reads an RTCP compound packet from `from`: sender reports for LSR/DLSR, report
    /// blocks on our stream for the round-trip time. Malformed packets are counted (what
    /// came before the malformed part is used).
    fn on_rtcp(&mut self, data: &[u8], from: SocketAddr, now: Instant) {
        self.c.rtcp += 1;
        let ours = self.out.ssrc();
        let blocks_on_us =
            |stats: &mut Option<ReceiveStats>, rtt: &mut Option<Duration>, blocks: ReportBlocks<'_>| {
                for block in blocks.iter().filter(|b| b.ssrc == ours) {
                    if let Some(st) = stats.as_mut()
                        && let Some(r) = st.on_report_block(&block, ntp_time(SystemTime::now()))
                    {
                        *rtt = Some(r);
                    }
                }
            };
        for packet in Compound::new(data) {
            match packet {
                Ok(RtcpPacket::Sr(sr)) => {
                    if let Some(st) = self.stats.as_mut() {
                        st.on_sender_report(&sr.info, now);
                    }
                    blocks_on_us(&mut self.stats, &mut self.rtt, sr.blocks);
                }
                Ok(RtcpPacket::Rr(rr)) => blocks_on_us(&mut self.stats, &mut self.rtt, rr.blocks),
                Ok(_) => {}
                Err(_) => {
                    self.c.bad_rtcp += 1;
                    return;
                }
            }
        }
        // Symmetric RTCP: a well-formed report from the remote's host says where its RTCP
        // port really is.
        if self.symmetric && self.remote.is_some_and(|r| r.ip() == from.ip()) {
            self.rtcp_remote = Some(from);
        }
    }

    /// Sends a report (SR when we sent RTP since the last one, else RR; with a report
    /// block when we receive) and our CNAME, then `bye` if asked; schedules the next report
    /// at a random 0.5 to 1.5 intervals (RFC 3550 §6.3.1).
    fn send_rtcp(&mut self, now: Instant, buf: &mut [u8], bye: bool) {
        let jitter = RandomState::new().hash_one((self.shared.id, now)) % 1000;
        self.next_rtcp = now + self.rtcp_interval / 2 + self.rtcp_interval.mul_f64(jitter as f64 / 1000.0);
        let Some(dest) = self.rtcp_remote.or_else(|| {
            self.remote
                .map(|r| SocketAddr::new(r.ip(), r.port().wrapping_add(1)))
        }) else {
            return;
        };
        let ssrc = self.out.ssrc();
        let block = self.stats.as_mut().and_then(|s| s.report_block(now));
        let blocks = block.as_slice();
        let report = if self.c.packets_sent > self.reported_packets {
            let info = SenderInfo {
                ssrc,
                ntp_time: ntp_time(SystemTime::now()),
                rtp_time: self.out.rtp_time(now),
                packet_count: self.c.packets_sent as u32,
                octet_count: self.c.bytes_sent.saturating_sub(12 * self.c.packets_sent) as u32,
            };
            SenderReport::write(&info, blocks, buf)
        } else {
            ReceiverReport::write(ssrc, blocks, buf)
        };
        self.reported_packets = self.c.packets_sent;
        let Ok(mut len) = report else { return };
        if let Ok(n) = Sdes::write_cname(ssrc, &self.cname, buf.get_mut(len..).unwrap_or_default()) {
            len += n;
        }
        if bye && let Ok(n) = Bye::write(&[ssrc], None, buf.get_mut(len..).unwrap_or_default()) {
            len += n;
        }
        if self
            .rtcp
            .send_to(buf.get(..len).unwrap_or_default(), dest)
            .is_ok()
        {
            self.rtcp_sent += 1;
        }
    }

    /// Whether digits are being sent or wait to be.
    fn dtmf_active(&self) -> bool {
        self.dtmf_out.is_some() || !self.dtmf_queue.is_empty() || self.dtmf_gap > 0
    }

    /// Sends the telephone-event packets due at this tick of the worker's clock, starting
    /// the next queued digit when the last one (and the gap after it) is over.
    fn dtmf_tick(&mut self, now: Instant) {
        let Some((te, clock, frame)) = self.format.as_ref().and_then(|f| {
            Some((
                f.pf.telephone_event_pt?,
                f.pf.codec.clock_rate(),
                f.pf.frame_ticks(),
            ))
        }) else {
            self.dtmf_queue.clear();
            self.dtmf_out = None;
            self.dtmf_gap = 0;
            return;
        };
        if self.dtmf_out.is_none() {
            if self.dtmf_gap > 0 {
                self.dtmf_gap -= 1;
                return;
            }
            let Some((digit, ms)) = self.dtmf_queue.pop_front() else {
                return;
            };
            let start = self.out.event_start(frame, now);
            let Ok(packets) = DtmfSender::new(clock).and_then(|d| d.packets(digit, start, ms)) else {
                return;
            };
            self.dtmf_out = Some(DtmfOut {
                packets: packets.collect(),
                next: 0,
                start,
                elapsed: 0,
            });
        }
        let Some(out) = self.dtmf_out.as_mut() else { return };
        let mut buf = [0_u8; 16];
        while let Some(p) = out.packets.get(out.next).filter(|p| p.send_at <= out.elapsed) {
            let Stamp {
                seq,
                timestamp,
                marker,
            } = self.out.next_event(out.start, p.send_at, p.marker, now);
            let header = RtpHeader {
                payload_type: te,
                marker,
                sequence: seq,
                timestamp,
                ssrc: self.out.ssrc(),
            };
            if let (Ok(len), Some(remote)) = (header.write(&[], &p.payload, &mut buf), self.remote) {
                match self.rtp.send_to(buf.get(..len).unwrap_or_default(), remote) {
                    Ok(n) => {
                        self.c.packets_sent += 1;
                        self.c.bytes_sent += n as u64;
                    }
                    Err(_) => self.c.send_errors += 1,
                }
            }
            out.next += 1;
        }
        out.elapsed += clock / 50;
        if out.next >= out.packets.len() {
            self.dtmf_out = None;
            self.dtmf_gap = DTMF_GAP_TICKS;
        }
    }

    /// Plays one frame.
    fn play_frame(&mut self, bufs: &mut Buffers, now: Instant) {
        let mut frame = [0_i16; FRAME];
        match self.player.next_frame(&mut frame) {
            PlayState::Playing => {
                // While a telephone-event goes out, the audio under it is not sent
                // (RFC 4733 §2.5.1.1 leaves it to the sender; receivers then need not
                // decide which to believe).
                if self.remote.is_some() && self.format.is_some() && self.dtmf_out.is_none() {
                    self.tx_fifo.push(&frame);
                    self.flush_pcm(bufs, now);
                } else if let Some(rec) = self.recording.as_mut() {
                    rec.tx.push(&frame);
                }
            }
            PlayState::Done => {
                self.playing = false;
                self.event(SessionEvent::PlayFinished { interrupted: false });
            }
        }
    }

    /// Reads the jitter buffer once into `pcm`: the next packet decoded, a gap concealed
    /// (the codec's concealment, Opus FEC from the packet after it when that is here, for
    /// up to [`MAX_CONCEALED`] in a row; silence after), a telephone-event's place as
    /// silence. The samples go to the detector and the recording; returns how many there
    /// are and whether they go on to a transcoding peer (not when they stand for a digit
    /// or a long gap), or `None` when there is nothing this tick.
    fn pop_audio(&mut self, pcm: &mut [i16], now: Instant) -> Option<(usize, bool)> {
        let (Some(jb), Some(format)) = (self.jitter.as_mut(), self.format.as_mut()) else {
            return None;
        };
        let each = self.rx_frame.clamp(1, MAX_PCM);
        let (n, pass) = match jb.pop(now) {
            Pop::Empty => return None,
            Pop::Frame(f) if f.payload.is_empty() => {
                self.rx_gaps = 0;
                pcm.get_mut(..each)?.fill(0);
                (each, false)
            }
            Pop::Frame(f) => {
                self.rx_gaps = 0;
                let Ok(n) = format.codec.decode(f.payload, pcm) else {
                    self.c.decode_errors += 1;
                    return None;
                };
                self.rx_frame = n;
                (n, true)
            }
            Pop::Gap { index, .. } => {
                let out = pcm.get_mut(..each)?;
                self.rx_gaps = self.rx_gaps.saturating_add(1);
                if self.rx_gaps <= MAX_CONCEALED {
                    if let Ok(n) = format.codec.conceal(jb.peek(index + 1), out) {
                        (n, true)
                    } else {
                        self.c.decode_errors += 1;
                        out.fill(0);
                        (each, false)
                    }
                } else {
                    out.fill(0);
                    (each, false)
                }
            }
        };
        let samples = pcm.get(..n)?;
        if let Some(det) = self.detector.as_mut() {
            det.process(samples);
            while let Some(d) = det.poll_digit() {
                self.shared.events.push(SessionEvent::Dtmf {
                    digit: d.digit,
                    source: DtmfSource::InBand,
                });
            }
        }
        if let Some(rec) = self.recording.as_mut() {
            rec.rx.push(samples);
        }
        Some((n, pass))
    }

    /// Writes one recording frame.
    fn record_frame(&mut self) {
        let Some(rec) = self.recording.as_mut() else {
            return;
        };
        let mut left = [0_i16; FRAME];
        let mut right = [0_i16; FRAME];
        rec.rx.pop_frame(&mut left);
        rec.tx.pop_frame(&mut right);
        if let Err(e) = rec.recorder.write_frame(&left, &right) {
            self.recording = None;
            self.event(SessionEvent::RecordingFailed {
                reason: e.to_string(),
            });
        }
    }

    fn set_remote(&mut self, remote: Option<SocketAddr>, pf: PayloadFormat, now: Instant) -> Result<()> {
        let same_codec = self.format.as_ref().is_some_and(|f| f.pf.codec == pf.codec);
        if same_codec {
            if let Some(f) = self.format.as_mut() {
                f.pf = pf;
            }
        } else {
            let codec = make_codec(&pf)?;
            let clock_before = self.format.as_ref().map(|f| f.pf.codec.clock_rate());
            self.format = Some(Format { pf, codec });
            self.out.set_clock_rate(pf.codec.clock_rate());
            if self.stats.is_none() || clock_before != Some(pf.codec.clock_rate()) {
                self.stats = Some(ReceiveStats::new(pf.codec.clock_rate()));
            }
            self.tx_fifo.clear();
            self.jitter = None;
            self.rx_last_audio = None;
            if let Some(rec) = self.recording.as_mut() {
                rec.out_decoder = make_codec(&pf).ok();
            }
        }
        self.remote = remote;
        self.latched = false;
        self.last_rtp_at = now;
        self.timed_out = false;
        Ok(())
    }

    fn start_recording(&mut self, store: Arc<dyn RecordingStore>, request: RecordingRequest) -> Result<()> {
        if self.recording.is_some() {
            return Err(Error::SessionState {
                session: self.shared.id.0,
                what: "a recording is already running; stop it first",
            });
        }
        if request.sample_rate != 8000 {
            return Err(Error::InvalidSetting {
                name: "engine recording sample rate",
                value: request.sample_rate.to_string(),
                expected: "8000 Hz (the engine's audio rate)",
            });
        }
        let recorder = Recorder::start(store, request)?;
        let out_decoder = self.format.as_ref().and_then(|f| make_codec(&f.pf).ok());
        self.recording = Some(Recording {
            recorder,
            // Both sides are fed on the worker's clock (decoded from the jitter buffer, or
            // as sent), one frame a tick like the recorder takes them: 200 ms of slack.
            rx: PcmQueue::new(FRAME * 10),
            tx: PcmQueue::new(FRAME * 10),
            out_decoder,
        });
        Ok(())
    }

    /// Takes the running recording out of the session.
    fn take_recording(&mut self) -> Result<Recorder> {
        self.recording
            .take()
            .map(|r| r.recorder)
            .ok_or(Error::SessionState {
                session: self.shared.id.0,
                what: "no recording is running",
            })
    }
}

/// The worker's reusable buffers: nothing is allocated per packet.
struct Buffers {
    /// [`BATCH`] receive slots of [`SLOT`] bytes.
    batch: Box<[u8]>,
    meta: [quinn_udp::RecvMeta; BATCH],
    out: Box<[u8; MAX_DATAGRAM]>,
    payload: Box<[u8; MAX_PAYLOAD]>,
    pcm: Box<[i16; PCM_BUF]>,
    frame: Box<[i16; MAX_PCM]>,
}

impl Buffers {
    fn new() -> Self {
        Self {
            batch: vec![0; BATCH * SLOT].into_boxed_slice(),
            meta: [quinn_udp::RecvMeta::default(); BATCH],
            out: Box::new([0; MAX_DATAGRAM]),
            payload: Box::new([0; MAX_PAYLOAD]),
            pcm: Box::new([0; PCM_BUF]),
            frame: Box::new([0; MAX_PCM]),
        }
    }
}

/// Most bytes one GSO send carries (the kernel's limit for a UDP datagram it segments).
const GSO_BYTES: usize = 65_000;
/// Most datagrams one GSO send carries.
const GSO_SEGMENTS: usize = 64;

/// Relayed packets of one receive batch waiting to leave one session's socket for one
/// address in a single `sendmsg` with UDP GSO (the kernel cuts it into datagrams of
/// `segment` bytes; only the last may be shorter). Sent when the next packet does not fit
/// (another socket, address or size) and at the end of every receive batch, so packets
/// leave in the order they came.
struct TxBatch {
    buf: Box<[u8]>,
    len: usize,
    count: usize,
    segment: usize,
    slot: usize,
    dest: SocketAddr,
    /// The last packet was shorter than `segment`: nothing more may follow it.
    closed: bool,
}

impl TxBatch {
    fn new() -> Self {
        Self {
            buf: vec![0; GSO_BYTES].into_boxed_slice(),
            len: 0,
            count: 0,
            segment: 0,
            slot: 0,
            dest: SocketAddr::from(([0, 0, 0, 0], 0)),
            closed: false,
        }
    }

    /// Queues `data` from session `slot` to `dest`, sending what was queued first if it
    /// cannot go in the same `sendmsg`.
    fn push(&mut self, sessions: &mut [Option<Box<Session>>], slot: usize, dest: SocketAddr, data: &[u8]) {
        let max = sessions
            .get(slot)
            .and_then(|s| s.as_deref())
            .map_or(1, |s| s.udp.max_gso_segments().min(GSO_SEGMENTS));
        if self.count > 0
            && (self.slot != slot
                || self.dest != dest
                || self.closed
                || data.len() > self.segment
                || self.len + data.len() > GSO_BYTES
                || self.count >= max)
        {
            self.flush(sessions);
        }
        if self.count == 0 {
            self.slot = slot;
            self.dest = dest;
            self.segment = data.len();
        }
        let Some(room) = self.buf.get_mut(self.len..self.len + data.len()) else {
            return;
        };
        room.copy_from_slice(data);
        self.len += data.len();
        self.count += 1;
        self.closed = data.len() < self.segment;
    }

    /// Sends what is queued: one GSO `sendmsg`, or one datagram at a time where GSO fails.
    fn flush(&mut self, sessions: &mut [Option<Box<Session>>]) {
        if self.count == 0 {
            return;
        }
        let contents = self.buf.get(..self.len).unwrap_or_default();
        if let Some(s) = sessions.get_mut(self.slot).and_then(|s| s.as_deref_mut()) {
            let transmit = quinn_udp::Transmit {
                destination: self.dest,
                ecn: None,
                contents,
                segment_size: (self.count > 1).then_some(self.segment),
                src_ip: None,
            };
            if s.udp.try_send((&s.rtp).into(), &transmit).is_ok() {
                s.c.packets_sent += self.count as u64;
                s.c.bytes_sent += self.len as u64;
            } else {
                for datagram in contents.chunks(self.segment.max(1)) {
                    match s.rtp.send_to(datagram, self.dest) {
                        Ok(n) => {
                            s.c.packets_sent += 1;
                            s.c.bytes_sent += n as u64;
                        }
                        Err(_) => s.c.send_errors += 1,
                    }
                }
            }
        }
        self.len = 0;
        self.count = 0;
        self.closed = false;
    }
}

/// What a received audio packet turns into at the bridge peer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    /// No peer, or the peer cannot take it (no remote or format yet, or it plays).
    Drop,
    /// Same codec: header rewritten, payload untouched.
    Relay,
    /// Different codecs: decode here, encode there.
    Transcode,
}

/// A media worker.
pub(crate) struct Worker {
    index: usize,
    poll: Poll,
    rx: mpsc::Receiver<WorkerMsg>,
    sessions: Vec<Option<Box<Session>>>,
    free: Vec<usize>,
    by_id: HashMap<SessionId, usize>,
    bufs: Buffers,
    tx: TxBatch,
    next_deadline: Instant,
    /// The next tick of the 20 ms clock.
    grid: Instant,
    /// Whether some session played or recorded at the last tick.
    active: bool,
    /// The conferences mixed here, by number.
    conferences: HashMap<u64, Conf>,
}

/// A session's place in a conference.
struct Membership {
    /// The conference's number.
    id: u64,
    /// Its participant in the conference's mixer.
    pid: ParticipantId,
    /// Decoded audio waiting for the next mix (packets of any length in, 20 ms out).
    input: PcmQueue,
}

/// A conference mixed on this worker: its mixer and its members' slots.
struct Conf {
    mixer: NPartyMixer,
    members: Vec<(usize, ParticipantId)>,
}

impl Worker {
    pub(crate) fn new(index: usize) -> Result<(Worker, WorkerLink)> {
        let sys = |what| {
            move |source| Error::Socket {
                what,
                addr: None,
                source,
            }
        };
        let poll = Poll::new().map_err(sys("creating a media worker's poller"))?;
        let waker = Waker::new(poll.registry(), WAKER).map_err(sys("creating a media worker's waker"))?;
        let (tx, rx) = mpsc::channel();
        Ok((
            Worker {
                index,
                poll,
                rx,
                sessions: Vec::new(),
                free: Vec::new(),
                by_id: HashMap::new(),
                bufs: Buffers::new(),
                tx: TxBatch::new(),
                next_deadline: Instant::now(),
                grid: Instant::now(),
                active: false,
                conferences: HashMap::new(),
            },
            WorkerLink {
                tx,
                waker: Arc::new(waker),
            },
        ))
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The loop: wait for packets, messages or the next deadline; handle them.
    pub(crate) fn run(mut self, links: &[WorkerLink], loads: &[AtomicUsize]) {
        let mut events = Events::with_capacity(256);
        loop {
            let now = Instant::now();
            let timeout = self.next_deadline.saturating_duration_since(now).min(MAX_SLEEP);
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != ErrorKind::Interrupted
            {
                return;
            }
            for event in &events {
                let token = event.token();
                if token == WAKER {
                    continue;
                }
                if token.0 % 2 == 0 {
                    self.read_rtp(token.0 / 2);
                } else {
                    self.read_rtcp(token.0 / 2);
                }
            }
            loop {
                match self.rx.try_recv() {
                    Ok(WorkerMsg::Shutdown) | Err(mpsc::TryRecvError::Disconnected) => return,
                    Ok(msg) => self.on_message(msg, links, loads),
                    Err(mpsc::TryRecvError::Empty) => break,
                }
            }
            let now = Instant::now();
            if now >= self.next_deadline {
                self.tick(now);
            }
        }
    }

    fn session(&mut self, slot: usize) -> Option<&mut Session> {
        self.sessions.get_mut(slot).and_then(|s| s.as_deref_mut())
    }

    /// Runs the worker's 20 ms clock: every session that plays gets a frame and every
    /// recording a frame on each tick of one grid of absolute deadlines (so nothing drifts,
    /// and waking once serves all sessions); RTP timeouts are checked. Behind by more than
    /// [`MAX_LAG`], the grid skips ahead instead of bursting. With nothing playing or
    /// recording, the worker sleeps until the next RTP timeout (at most [`MAX_SLEEP`]).
    fn tick(&mut self, now: Instant) {
        // Idle until now, or too far behind: the clock starts afresh.
        if (!self.active && self.grid < now) || now > self.grid + MAX_LAG {
            self.grid = now;
        }
        while self.grid <= now {
            let at = self.grid;
            for slot in 0..self.sessions.len() {
                self.read_jitter(slot, at, now);
                let Some(s) = self.sessions.get_mut(slot).and_then(|s| s.as_deref_mut()) else {
                    continue;
                };
                if s.dtmf_active() {
                    s.dtmf_tick(now);
                }
                if s.playing {
                    s.play_frame(&mut self.bufs, now);
                }
                if s.recording.is_some() {
                    s.record_frame();
                }
            }
            self.mix_conferences(now);
            self.grid += TICK;
        }
        let mut next = now + MAX_SLEEP;
        let mut active = false;
        for s in self.sessions.iter_mut().flatten() {
            active |= s.playing
                || s.recording.is_some()
                || s.dtmf_active()
                || s.jitter.as_ref().is_some_and(|j| !j.is_empty());
            if !s.rtcp_interval.is_zero() && s.remote.is_some() {
                if now >= s.next_rtcp {
                    s.send_rtcp(now, &mut self.bufs.out[..], false);
                }
                next = next.min(s.next_rtcp);
            }
            if !s.timed_out {
                let at = s.last_rtp_at + s.rtp_timeout;
                if now >= at {
                    s.timed_out = true;
                    s.event(SessionEvent::RtpTimeout);
                } else {
                    next = next.min(at);
                }
            }
        }
        active |= !self.conferences.is_empty();
        self.active = active;
        self.next_deadline = if active { self.grid } else { next };
    }

    /// Reads the jitter buffer of `slot` for the grid tick `at`, one packet's time at a
    /// time (the length of the packets received), and hands the audio to a transcoding
    /// peer.
    fn read_jitter(&mut self, slot: usize, at: Instant, now: Instant) {
        let route = self.route(slot);
        let Self { sessions, bufs, .. } = self;
        loop {
            let Some(s) = sessions.get_mut(slot).and_then(|s| s.as_deref_mut()) else {
                return;
            };
            if s.jitter.is_none() {
                return;
            }
            // Idle, or far behind: the reading clock starts afresh.
            if s.jitter_next + MAX_LAG < at {
                s.jitter_next = at;
            }
            if s.jitter_next > at {
                return;
            }
            s.jitter_next += Duration::from_micros(s.rx_frame.clamp(80, MAX_PCM) as u64 * 125);
            let Some((n, pass)) = s.pop_audio(&mut bufs.pcm[..], now) else {
                continue;
            };
            if let Some(m) = s.conf.as_mut() {
                // Silence standing for a digit or a long gap keeps the mix's time.
                m.input.push(bufs.pcm.get(..n).unwrap_or_default());
                continue;
            }
            if route != Route::Transcode || !pass {
                continue;
            }
            let Some(peer_slot) = s.peer else { continue };
            let Ok([Some(s), Some(p)]) = sessions.get_disjoint_mut([slot, peer_slot]) else {
                continue;
            };
            // While the peer sends digits of its own, nothing else goes out on its stream.
            if !p.dtmf_active() {
                p.tx_fifo.push(bufs.pcm.get(..n).unwrap_or_default());
                p.flush_pcm(bufs, now);
                s.c.transcoded += 1;
            }
        }
    }

    /// Mixes one frame of every conference: each member's waiting audio goes in, and
    /// what it hears is encoded and sent (unless it plays, or sends digits, itself).
    fn mix_conferences(&mut self, now: Instant) {
        let Self {
            sessions,
            bufs,
            conferences,
            ..
        } = self;
        for conf in conferences.values_mut() {
            for &(slot, pid) in &conf.members {
                let Some(m) = sessions
                    .get_mut(slot)
                    .and_then(|s| s.as_deref_mut())
                    .and_then(|s| s.conf.as_mut())
                else {
                    continue;
                };
                if let Ok(input) = conf.mixer.input_mut(pid) {
                    m.input.pop_frame(input);
                }
            }
            conf.mixer.mix();
            for &(slot, pid) in &conf.members {
                let Some(s) = sessions.get_mut(slot).and_then(|s| s.as_deref_mut()) else {
                    continue;
                };
                let Ok(out) = conf.mixer.output(pid) else {
                    continue;
                };
                if s.playing || s.dtmf_active() || s.remote.is_none() || s.format.is_none() {
                    continue;
                }
                s.tx_fifo.push(out);
                s.flush_pcm(bufs, now);
            }
        }
    }

    /// Handles a conference join on the conference's worker: moves the session here
    /// first if it is elsewhere, then adds it (or changes its role).
    #[allow(clippy::too_many_arguments)]
    fn conf_join(
        &mut self,
        conf: u64,
        home: usize,
        session: Arc<SessionShared>,
        role: ConferenceRole,
        reply: BridgeTicket,
        hops: u8,
        links: &[WorkerLink],
    ) {
        let again = |session: Arc<SessionShared>, reply: BridgeTicket| WorkerMsg::ConfJoin {
            conf,
            home,
            session,
            role,
            reply,
            hops: hops + 1,
        };
        let Some(slot) = self.slot_of(session.id) else {
            let owner = *lock(&session.worker);
            if session.closed.load(Ordering::Acquire) || hops > MAX_HOPS {
                reply.send(Err(Error::SessionClosed {
                    session: session.id.0,
                }));
            } else if owner == self.index {
                // On its way here: try again behind its Adopt.
                let msg = again(Arc::clone(&session), reply);
                forward(&session, msg, hops, links);
            } else if let Some(link) = links.get(owner) {
                let then = Box::new(again(Arc::clone(&session), reply));
                let _ = link.send(WorkerMsg::Migrate {
                    session,
                    to: home,
                    then,
                    hops: 0,
                });
            }
            return;
        };
        let role = match role {
            ConferenceRole::Normal => Role::Normal,
            ConferenceRole::ListenOnly => Role::ListenOnly,
            ConferenceRole::Barge => Role::Barge,
            ConferenceRole::Whisper { to } => {
                let target = self
                    .slot_of(to)
                    .filter(|_| to != session.id)
                    .and_then(|t| self.sessions.get(t))
                    .and_then(|t| t.as_deref())
                    .and_then(|t| t.conf.as_ref())
                    .filter(|m| m.id == conf)
                    .map(|m| m.pid);
                let Some(target) = target else {
                    reply.send(Err(Error::SessionState {
                        session: session.id.0,
                        what: "a whisper's target must be another member of the conference",
                    }));
                    return;
                };
                Role::Whisper { target }
            }
        };
        self.unlink(slot);
        let member = self
            .session(slot)
            .and_then(|s| s.conf.as_ref())
            .map(|m| (m.id, m.pid));
        match member {
            Some((id, pid)) if id == conf => {
                let result = self
                    .conferences
                    .get_mut(&conf)
                    .map_or(Ok(()), |c| c.mixer.set_role(pid, role));
                reply.send(result);
                return;
            }
            Some(_) => self.conf_leave(slot),
            None => {}
        }
        let entry = match self.conferences.entry(conf) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => match NPartyMixer::new(8000) {
                Ok(mixer) => v.insert(Conf {
                    mixer,
                    members: Vec::new(),
                }),
                Err(e) => {
                    reply.send(Err(e));
                    return;
                }
            },
        };
        let pid = match entry.mixer.join(role) {
            Ok(pid) => pid,
            Err(e) => {
                reply.send(Err(e));
                return;
            }
        };
        entry.members.push((slot, pid));
        if let Some(s) = self.session(slot) {
            s.tx_fifo.clear();
            s.conf = Some(Membership {
                id: conf,
                pid,
                input: PcmQueue::new(FRAME * 10),
            });
        }
        self.next_deadline = Instant::now();
        reply.send(Ok(()));
    }

    /// Takes the session of `slot` out of its conference, if any (the conference ends
    /// with its last member).
    fn conf_leave(&mut self, slot: usize) {
        let Some(m) = self.session(slot).and_then(|s| s.conf.take()) else {
            return;
        };
        if let Some(c) = self.conferences.get_mut(&m.id) {
            let _ = c.mixer.leave(m.pid);
            c.members.retain(|&(member, _)| member != slot);
            if c.members.is_empty() {
                self.conferences.remove(&m.id);
            }
        }
        if let Some(s) = self.session(slot) {
            s.tx_fifo.clear();
        }
    }

    fn read_rtcp(&mut self, slot: usize) {
        let Some(s) = self.sessions.get_mut(slot).and_then(|s| s.as_deref_mut()) else {
            return;
        };
        loop {
            match s.rtcp.recv_from(&mut self.bufs.batch[..]) {
                Ok((len, from)) => {
                    let data = self.bufs.batch.get(..len).unwrap_or_default();
                    s.on_rtcp(data, from, Instant::now());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Reads the RTP socket of `slot` until it is empty (the poller is edge-triggered), up
    /// to [`BATCH`] datagrams per system call (`recvmmsg`, and GRO bundles where the
    /// kernel coalesced a flow's datagrams).
    fn read_rtp(&mut self, slot: usize) {
        loop {
            let Some(s) = self.sessions.get_mut(slot).and_then(|s| s.as_deref_mut()) else {
                return;
            };
            let mut chunks = self.bufs.batch.chunks_mut(SLOT);
            let mut iovs: [std::io::IoSliceMut<'_>; BATCH] =
                std::array::from_fn(|_| std::io::IoSliceMut::new(chunks.next().unwrap_or_default()));
            let got = match s.udp.recv((&s.rtp).into(), &mut iovs, &mut self.bufs.meta) {
                Ok(got) => got,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // WouldBlock: drained. ECONNREFUSED and the like (an ICMP error for an
                // earlier send) say nothing about this socket's input: drained as well.
                Err(_) => return,
            };
            for i in 0..got.min(BATCH) {
                let meta = self.bufs.meta[i];
                let stride = meta.stride.max(1);
                let mut offset = 0;
                while offset < meta.len.min(SLOT) {
                    let len = stride.min(meta.len - offset);
                    self.on_rtp(slot, meta.addr, i * SLOT + offset, len, Instant::now());
                    offset += stride;
                }
            }
            self.tx.flush(&mut self.sessions);
        }
    }

    /// One datagram on a session's RTP port.
    fn on_rtp(&mut self, slot: usize, from: SocketAddr, start: usize, len: usize, now: Instant) {
        let route = self.route(slot);
        let Self {
            sessions,
            bufs,
            tx,
            next_deadline,
            active,
            ..
        } = self;
        let Some(s) = sessions.get_mut(slot).and_then(|s| s.as_deref_mut()) else {
            return;
        };
        let data = bufs.batch.get(start..start + len).unwrap_or_default();
        // RTCP multiplexed on the RTP port (RFC 5761): packet types 200 to 204.
        if len >= 8 && data[0] >> 6 == 2 && (200..=204).contains(&data[1]) {
            s.on_rtcp(data, from, now);
            return;
        }
        let (pt, marker, seq, ts, ssrc, payload_start, payload_len) = match RtpPacket::parse(data) {
            Ok(p) => (
                p.payload_type(),
                p.marker(),
                p.sequence(),
                p.timestamp(),
                p.ssrc(),
                len - p.padding() - p.payload().len(),
                p.payload().len(),
            ),
            Err(e) => {
                s.c.bad.record(&e);
                return;
            }
        };
        if s.symmetric {
            if !s.latched {
                s.latched = true;
                if s.remote != Some(from) {
                    let before = s.remote.replace(from);
                    s.event(SessionEvent::RemoteChanged {
                        from: before,
                        to: from,
                    });
                }
            } else if s.remote != Some(from) {
                s.c.foreign += 1;
                return;
            }
        }
        let Some(format) = s.format.as_mut() else {
            s.c.unknown_payload += 1;
            return;
        };
        let is_event = format.pf.telephone_event_pt == Some(pt);
        if !is_event && pt != format.pf.payload_type {
            s.c.unknown_payload += 1;
            return;
        }
        s.c.packets_received += 1;
        s.c.bytes_received += len as u64;
        s.last_rtp_at = now;
        s.timed_out = false;
        if let Some(stats) = s.stats.as_mut() {
            stats.on_rtp(ssrc, seq, ts, now);
        }
        let payload_range = payload_start..payload_start + payload_len;
        let payload = data.get(payload_range.clone()).unwrap_or_default();
        let mut ended = None;
        if is_event {
            if s.dtmf.handle(ts, marker, payload).is_err() {
                s.c.decode_errors += 1;
            }
            while let Some(e) = s.dtmf.poll_event() {
                match e {
                    DigitEvent::Began { digit, .. } => s.shared.events.push(SessionEvent::Dtmf {
                        digit,
                        source: DtmfSource::Rfc4733,
                    }),
                    DigitEvent::Ended { digit, duration, .. } => {
                        let clock = u64::from(format.pf.codec.clock_rate().max(1));
                        let ms = (u64::from(duration) * 1000 / clock).clamp(40, 8000) as u32;
                        ended = Some((digit, ms));
                    }
                }
            }
            // The event holds its place in the audio's sequence numbers (played as
            // silence), so that the jitter buffer does not take it for a loss; its
            // timestamp is where the audio clock would be, not the event's start.
            if let Some(jb) = s.jitter.as_mut() {
                let at = s.rx_last_audio.map_or(ts, |(last_seq, last_ts)| {
                    let steps = i64::from(seq.wrapping_sub(last_seq) as i16);
                    let per = (s.rx_frame as u64 * u64::from(format.pf.codec.clock_rate()) / 8000) as i64;
                    last_ts.wrapping_add((steps * per) as u32)
                });
                jb.push(ssrc, seq, at, marker, &[], now);
            }
        } else if s.detector.is_some()
            || s.recording.is_some()
            || s.conf.is_some()
            || route == Route::Transcode
        {
            // Decoded audio waits in the jitter buffer, read on the worker's clock: put
            // back in order, duplicates dropped, gaps concealed.
            let pf = format.pf;
            let jb = s
                .jitter
                .get_or_insert_with(|| JitterBuffer::new(jitter_config(&pf)));
            jb.push(ssrc, seq, ts, marker, payload, now);
            if s.rx_last_audio
                .is_none_or(|(last, _)| seq.wrapping_sub(last).wrapping_sub(1) < 0x8000)
            {
                s.rx_last_audio = Some((seq, ts));
            }
            if !*active {
                *next_deadline = (*next_deadline).min(now);
            }
        }
        if route == Route::Drop {
            return;
        }
        let Some(peer_slot) = s.peer else { return };
        let Ok([Some(s), Some(p)]) = sessions.get_disjoint_mut([slot, peer_slot]) else {
            return;
        };
        let Some(pf) = p.format.as_ref().map(|f| f.pf) else {
            return;
        };
        // While the peer sends digits of its own, nothing else goes out on its stream.
        let peer_busy = p.dtmf_active();
        if route == Route::Relay && !peer_busy {
            let out_pt = if is_event {
                match pf.telephone_event_pt {
                    Some(te) => te,
                    None => return,
                }
            } else {
                pf.payload_type
            };
            let stamp = p.out.relay(ssrc, seq, ts, marker, now);
            let data = bufs.batch.get_mut(start..start + len).unwrap_or_default();
            if data.len() < 12 {
                return;
            }
            data[1] = (u8::from(stamp.marker) << 7) | out_pt;
            data[2..4].copy_from_slice(&stamp.seq.to_be_bytes());
            data[4..8].copy_from_slice(&stamp.timestamp.to_be_bytes());
            data[8..12].copy_from_slice(&p.out.ssrc().to_be_bytes());
            s.c.relayed += 1;
            let Some(dest) = p.remote else { return };
            if !is_event && let Some(rec) = p.recording.as_mut() {
                let payload = data.get(payload_range).unwrap_or_default();
                if let Some(dec) = rec.out_decoder.as_mut()
                    && let Ok(n) = dec.decode(payload, &mut bufs.frame[..])
                {
                    rec.tx.push(bufs.frame.get(..n).unwrap_or_default());
                }
            }
            tx.push(sessions, peer_slot, dest, data);
        } else if route == Route::Transcode && is_event {
            // Telephone-events cannot be relayed onto another clock: each digit is sent
            // anew on the peer's stream once it has ended here (its length known).
            if let Some(digit) = ended
                && pf.telephone_event_pt.is_some()
            {
                p.dtmf_queue.push_back(digit);
                *next_deadline = (*next_deadline).min(now);
            }
        }
    }

    /// How audio received on `slot` reaches its peer now.
    fn route(&self, slot: usize) -> Route {
        let Some(s) = self.sessions.get(slot).and_then(|s| s.as_deref()) else {
            return Route::Drop;
        };
        let Some(p) = s
            .peer
            .and_then(|p| self.sessions.get(p))
            .and_then(|p| p.as_deref())
        else {
            return Route::Drop;
        };
        match (s.format.as_ref(), p.format.as_ref()) {
            (Some(a), Some(b)) if p.remote.is_some() && !p.playing => {
                if a.pf.codec.relays_to(b.pf.codec) {
                    Route::Relay
                } else {
                    Route::Transcode
                }
            }
            _ => Route::Drop,
        }
    }

    fn slot_of(&self, id: SessionId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// Ends the bridge of `slot`, if any.
    fn unlink(&mut self, slot: usize) {
        let peer = self.session(slot).and_then(|s| s.peer.take());
        if let Some(p) = peer.and_then(|p| self.session(p)) {
            p.peer = None;
            p.tx_fifo.clear();
        }
    }

    /// Takes `session`: registers its sockets and runs what it has queued.
    /// Its load was counted by whoever sent it here (the engine at open, the worker it left).
    fn adopt(&mut self, mut session: Box<Session>) -> Option<usize> {
        let slot = self.free.pop().unwrap_or(self.sessions.len());
        let registry = self.poll.registry();
        let registered = registry
            .register(&mut session.rtp, Token(2 * slot), Interest::READABLE)
            .and_then(|()| registry.register(&mut session.rtcp, Token(2 * slot + 1), Interest::READABLE));
        if registered.is_err() {
            // The poller refused the sockets: the session cannot work; dropping it closes
            // its events and fails its pending replies.
            self.free.push(slot);
            return None;
        }
        self.by_id.insert(session.shared.id, slot);
        if slot == self.sessions.len() {
            self.sessions.push(Some(session));
        } else if let Some(place) = self.sessions.get_mut(slot) {
            *place = Some(session);
        }
        self.next_deadline = Instant::now();
        Some(slot)
    }

    /// Removes the session of `slot` from this worker (unbridged, sockets deregistered).
    fn remove(&mut self, slot: usize, loads: &[AtomicUsize]) -> Option<Box<Session>> {
        self.conf_leave(slot);
        self.unlink(slot);
        let mut session = self.sessions.get_mut(slot).and_then(Option::take)?;
        let registry = self.poll.registry();
        let _ = registry.deregister(&mut session.rtp);
        let _ = registry.deregister(&mut session.rtcp);
        self.by_id.remove(&session.shared.id);
        self.free.push(slot);
        if let Some(l) = loads.get(self.index) {
            l.fetch_sub(1, Ordering::Relaxed);
        }
        Some(session)
    }

    fn on_message(&mut self, msg: WorkerMsg, links: &[WorkerLink], loads: &[AtomicUsize]) {
        match msg {
            WorkerMsg::Adopt(session, then) => {
                if let Some(slot) = self.adopt(session) {
                    self.run_commands(slot, loads);
                    self.read_rtp(slot);
                    if let Some(then) = then {
                        self.on_message(*then, links, loads);
                    }
                } else if let Some(then) = then {
                    then.fail(Error::EngineStopped);
                }
            }
            WorkerMsg::Notify(id) => {
                if let Some(slot) = self.slot_of(id) {
                    self.run_commands(slot, loads);
                }
            }
            WorkerMsg::Bridge { a, b, reply, hops } => self.bridge(a, b, reply, hops, links),
            WorkerMsg::ConfJoin {
                conf,
                home,
                session,
                role,
                reply,
                hops,
            } => self.conf_join(conf, home, session, role, reply, hops, links),
            WorkerMsg::Migrate {
                session,
                to,
                then,
                hops,
            } => {
                if let Some(slot) = self.slot_of(session.id) {
                    let Some(moving) = self.remove(slot, loads) else {
                        return;
                    };
                    // The new owner is recorded and the session queued to it under one
                    // lock: whoever reads the owner afterwards sends behind the Adopt.
                    // A message that could not be sent (the engine is stopping) is dropped
                    // only after the lock is released: dropping it may start the next
                    // bridge request, which takes such locks.
                    let unsent = {
                        let mut owner = lock(&session.worker);
                        *owner = to;
                        if let Some(l) = loads.get(to) {
                            l.fetch_add(1, Ordering::Relaxed);
                        }
                        links
                            .get(to)
                            .and_then(|link| link.send_back(WorkerMsg::Adopt(moving, Some(then))))
                    };
                    drop(unsent);
                } else {
                    let shared = Arc::clone(&session);
                    let msg = WorkerMsg::Migrate {
                        session,
                        to,
                        then,
                        hops: hops + 1,
                    };
                    forward(&shared, msg, hops, links);
                }
            }
            WorkerMsg::Unbridge { a, reply, hops } => {
                if let Some(slot) = self.slot_of(a.id) {
                    self.unlink(slot);
                    reply.send(Ok(()));
                } else {
                    forward(
                        &a,
                        WorkerMsg::Unbridge {
                            a: Arc::clone(&a),
                            reply,
                            hops: hops + 1,
                        },
                        hops,
                        links,
                    );
                }
            }
            WorkerMsg::Shutdown => {}
        }
    }

    fn bridge(
        &mut self,
        a: Arc<SessionShared>,
        b: Arc<SessionShared>,
        reply: BridgeTicket,
        hops: u8,
        links: &[WorkerLink],
    ) {
        let Some(sa) = self.slot_of(a.id) else {
            let msg = WorkerMsg::Bridge {
                a: Arc::clone(&a),
                b,
                reply,
                hops: hops + 1,
            };
            forward(&a, msg, hops, links);
            return;
        };
        let Some(sb) = self.slot_of(b.id) else {
            let owner = *lock(&b.worker);
            if b.closed.load(Ordering::Acquire) || hops > MAX_HOPS {
                reply.send(Err(Error::SessionClosed { session: b.id.0 }));
            } else if owner == self.index {
                // On its way here: try again behind its Adopt.
                let msg = WorkerMsg::Bridge {
                    a,
                    b: Arc::clone(&b),
                    reply,
                    hops: hops + 1,
                };
                forward(&b, msg, hops, links);
            } else if let Some(link) = links.get(owner) {
                let then = Box::new(WorkerMsg::Bridge {
                    a,
                    b: Arc::clone(&b),
                    reply,
                    hops: hops + 1,
                });
                let _ = link.send(WorkerMsg::Migrate {
                    session: b,
                    to: self.index,
                    then,
                    hops: 0,
                });
            }
            return;
        };
        self.unlink(sa);
        self.unlink(sb);
        self.conf_leave(sa);
        self.conf_leave(sb);
        if let Some(s) = self.session(sa) {
            s.peer = Some(sb);
        }
        if let Some(s) = self.session(sb) {
            s.peer = Some(sa);
        }
        reply.send(Ok(()));
    }

    /// Runs the commands queued for the session of `slot`.
    fn run_commands(&mut self, slot: usize, loads: &[AtomicUsize]) {
        loop {
            let Some(s) = self.session(slot) else { return };
            let Ok(cmd) = s.cmds.try_recv() else { return };
            let now = Instant::now();
            match cmd {
                Command::SetRemote(remote, pf) => {
                    if s.set_remote(remote, pf, now).is_err() {
                        s.c.decode_errors += 1;
                    }
                    self.next_deadline = now;
                }
                Command::Play(items) => {
                    for item in items {
                        match item {
                            Play::Audio(a) => s.player.play_audio(a),
                            Play::Loop(a) => s.player.play_looping(a),
                            Play::Tone(spec, d) => s.player.play_tone(spec, d),
                            Play::Silence(d) => s.player.play_silence(d),
                        }
                    }
                    if !s.playing && !s.player.is_idle() {
                        s.playing = true;
                    }
                    self.next_deadline = now;
                }
                Command::StopPlay => {
                    let was = s.playing && !s.player.is_idle();
                    s.player.stop();
                    if s.playing {
                        s.playing = false;
                        s.tx_fifo.clear();
                        s.event(SessionEvent::PlayFinished { interrupted: was });
                    }
                }
                Command::StartRecording(store, request, reply) => {
                    reply.send(s.start_recording(store, *request));
                    self.next_deadline = now;
                }
                Command::PauseRecording => {
                    if let Some(r) = s.recording.as_mut() {
                        r.recorder.pause();
                    }
                }
                Command::ResumeRecording => {
                    if let Some(r) = s.recording.as_mut() {
                        r.recorder.resume();
                    }
                }
                Command::StopRecording(reply) => match s.take_recording() {
                    Ok(recorder) => finish_recording(recorder, move |meta| reply.send(meta)),
                    Err(e) => reply.send(Err(e)),
                },
                Command::Stats(reply) => reply.send(Ok(s.snapshot())),
                Command::SendDtmf(digits, ms, reply) => {
                    if s.format.as_ref().and_then(|f| f.pf.telephone_event_pt).is_none() {
                        reply.send(Err(Error::SessionState {
                            session: s.shared.id.0,
                            what: "no telephone-event payload type was negotiated (set_remote)",
                        }));
                    } else {
                        s.dtmf_queue.extend(digits.into_iter().map(|d| (d, ms)));
                        reply.send(Ok(()));
                        self.next_deadline = now;
                    }
                }
                Command::LeaveConference(id, reply) => {
                    if s.conf.as_ref().is_some_and(|m| m.id == id) {
                        self.conf_leave(slot);
                    }
                    reply.send(Ok(()));
                }
                Command::Close(reply) => {
                    if let Some(mut session) = self.remove(slot, loads) {
                        if !session.rtcp_interval.is_zero() && session.remote.is_some() {
                            session.send_rtcp(now, &mut self.bufs.out[..], true);
                        }
                        let mut stats = session.snapshot();
                        let recording = session.take_recording().ok();
                        drop(session);
                        match recording {
                            Some(recorder) => finish_recording(recorder, move |meta| {
                                stats.recording = meta.ok();
                                if let Some(r) = reply {
                                    r.send(Ok(stats));
                                }
                            }),
                            None => {
                                if let Some(r) = reply {
                                    r.send(Ok(stats));
                                }
                            }
                        }
                    }
                    return;
                }
            }
        }
    }
}

/// Sends `msg` on to the worker that owns `session` now, or fails it when the session
/// is gone.
///
/// A session that is not here, not closed, and recorded as ours is on its way here:
/// its Adopt is already in our queue (see the move in `Migrate`), so the message is
/// queued again behind it.
fn forward(session: &SessionShared, msg: WorkerMsg, hops: u8, links: &[WorkerLink]) {
    let owner = *lock(&session.worker);
    if session.closed.load(Ordering::Acquire) || hops > MAX_HOPS {
        msg.fail(Error::SessionClosed {
            session: session.id.0,
        });
    } else if let Some(link) = links.get(owner) {
        let _ = link.send(msg);
    }
}

/// Stops `recorder` off the worker thread (it writes the rest, hashes the whole file and
/// has the store finish it: for an hour of call, over 100 MB read back), then hands the
/// result to `done`. Should no thread be available, the worker does it itself.
fn finish_recording<F>(recorder: Recorder, done: F)
where
    F: FnOnce(Result<RecordingMetadata>) + Send + 'static,
{
    let job = Arc::new(Mutex::new(Some((recorder, done))));
    let theirs = Arc::clone(&job);
    let spawned = std::thread::Builder::new()
        .name("cc-media-recording".into())
        .spawn(move || run_recording_job(&theirs));
    if spawned.is_err() {
        run_recording_job(&job);
    }
}

fn run_recording_job<F: FnOnce(Result<RecordingMetadata>)>(job: &Mutex<Option<(Recorder, F)>>) {
    let taken = lock(job).take();
    if let Some((recorder, done)) = taken {
        done(recorder.stop());
    }
}
