//! Offer/answer (RFC 3264) for one audio stream: answering a remote offer from local
//! capabilities, reading the remote answer to our offer, and the versioned SDP of one
//! session (re-offers, hold and resume).
//!
//! The contact center carries one audio stream per call leg. An answer accepts the first
//! offered audio stream over `RTP/AVP` or `RTP/AVPF` that shares a codec with us and
//! rejects every other stream with port 0 (same count and order of `m=` lines). Secure
//! profiles (`RTP/SAVP`, `UDP/TLS/RTP/SAVPF`...) are rejected: there is no SRTP here yet.

use std::net::{IpAddr, SocketAddr};

use super::data::{
    Attribute, Connection, Direction, MediaDescription, Origin, RtpMap, SessionDescription, Timing,
};
use super::error::SdpError;
use super::{SdpAnswer, SdpOffer};

/// The transport profiles an answer accepts.
const PROTOS: [&str; 2] = ["RTP/AVP", "RTP/AVPF"];

/// Packet duration used when neither side states one (RFC 3551 default for G.711).
pub const DEFAULT_PTIME: u32 = 20;

/// A codec we can send and receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// The encoding name (`PCMA`, `opus`, `telephone-event`), matched case-insensitively.
    pub name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels (1 unless stated, 2 for opus).
    pub channels: u16,
    /// The payload type we use in our own offers (static ones for G.711).
    pub payload_type: u8,
    /// The `a=fmtp` parameters we write for it, if any.
    pub fmtp: Option<String>,
}

impl Codec {
    /// A codec with no format parameters.
    pub fn new(name: &str, clock_rate: u32, channels: u16, payload_type: u8) -> Self {
        Self {
            name: name.to_owned(),
            clock_rate,
            channels,
            payload_type,
            fmtp: None,
        }
    }

    /// G.711 µ-law, static payload type 0.
    pub fn pcmu() -> Self {
        Self::new("PCMU", 8000, 1, 0)
    }

    /// G.711 A-law, static payload type 8.
    pub fn pcma() -> Self {
        Self::new("PCMA", 8000, 1, 8)
    }

    /// Opus at 48 kHz stereo (RFC 7587), offered as payload type 111.
    pub fn opus() -> Self {
        Self::new("opus", 48000, 2, 111)
    }

    /// RFC 4733 DTMF events 0-16 at `clock_rate`, offered as payload type 101.
    pub fn telephone_event(clock_rate: u32) -> Self {
        Self {
            fmtp: Some("0-16".to_owned()),
            ..Self::new("telephone-event", clock_rate, 1, 101)
        }
    }

    /// Whether this is RFC 4733 `telephone-event`.
    pub fn is_telephone_event(&self) -> bool {
        self.name.eq_ignore_ascii_case("telephone-event")
    }

    fn matches(&self, name: &str, clock_rate: u32, channels: u16) -> bool {
        self.name.eq_ignore_ascii_case(name) && self.clock_rate == clock_rate && self.channels == channels
    }
}

/// What we can do for an audio stream: our address and port, codecs in our order of
/// preference (telephone-event among them), packetization and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Where we receive RTP.
    pub address: IpAddr,
    /// Our RTP port.
    pub port: u16,
    /// Our codecs, most preferred first, `telephone-event` entries included.
    pub codecs: Vec<Codec>,
    /// The packet duration we want to receive, written as `a=ptime` when no offer says.
    pub ptime: Option<u32>,
    /// What we are willing to do (`sendrecv` normally).
    pub direction: Direction,
    /// Whether we accept RTP and RTCP on one port (RFC 5761).
    pub rtcp_mux: bool,
    /// Choose the codec in the offerer's order instead of ours.
    pub prefer_offer_order: bool,
}

impl LocalMedia {
    /// Capabilities at `address:port`: PCMA, PCMU, opus/48000/2 and telephone-event/8000
    /// (0-16), 20 ms, `sendrecv`, no RTCP multiplexing, our order preferred.
    pub fn new(address: IpAddr, port: u16) -> Self {
        Self {
            address,
            port,
            codecs: vec![
                Codec::pcma(),
                Codec::pcmu(),
                Codec::opus(),
                Codec::telephone_event(8000),
            ],
            ptime: Some(DEFAULT_PTIME),
            direction: Direction::SendRecv,
            rtcp_mux: false,
            prefer_offer_order: false,
        }
    }
}

/// The codec both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCodec {
    /// The payload type, as the offer numbered it.
    pub payload_type: u8,
    /// The encoding name as the remote side wrote it.
    pub name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels.
    pub channels: u16,
}

/// The outcome of offer/answer for the audio stream: where to send what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Index of the audio `m=` line in the offer and the answer.
    pub index: usize,
    /// The remote RTP address; `None` when the remote side holds with `c=0.0.0.0` or
    /// gives a host name instead of an address.
    pub remote_rtp: Option<SocketAddr>,
    /// The remote RTCP address: the RTP address under `rtcp-mux`, else `a=rtcp`, else the
    /// RTP port plus one.
    pub remote_rtcp: Option<SocketAddr>,
    /// The codec to send and expect.
    pub codec: NegotiatedCodec,
    /// The payload type of telephone-event, when both sides support it.
    pub telephone_event: Option<u8>,
    /// The packet duration to send with, in milliseconds.
    pub ptime: u32,
    /// Our direction: whether we send and whether we receive.
    pub direction: Direction,
    /// Whether RTP and RTCP share a port.
    pub rtcp_mux: bool,
}

/// The static audio payload types of RFC 3551 that may appear without `a=rtpmap`.
fn static_payload(pt: u8) -> Option<(&'static str, u32, u16)> {
    Some(match pt {
        0 => ("PCMU", 8000, 1),
        3 => ("GSM", 8000, 1),
        4 => ("G723", 8000, 1),
        8 => ("PCMA", 8000, 1),
        9 => ("G722", 8000, 1),
        13 => ("CN", 8000, 1),
        18 => ("G729", 8000, 1),
        _ => return None,
    })
}

/// Name, clock rate and channels of `pt` in `m`: its `a=rtpmap`, else the static table.
fn describe(m: &MediaDescription, pt: u8) -> Option<(&str, u32, u16)> {
    match m.rtpmap(pt) {
        Some(map) => Some((map.encoding.as_str(), map.clock_rate, map.channels.unwrap_or(1))),
        None => static_payload(pt),
    }
}

fn is_te(name: &str) -> bool {
    name.eq_ignore_ascii_case("telephone-event")
}

fn socket(c: Option<&Connection>, port: u16) -> Option<SocketAddr> {
    let ip = c?.ip().filter(|ip| !ip.is_unspecified())?;
    Some(SocketAddr::new(ip, port))
}

fn remote_rtcp(m: &MediaDescription, rtp: Option<SocketAddr>, mux: bool) -> Option<SocketAddr> {
    if mux {
        return rtp;
    }
    match m.rtcp() {
        Some(r) => match &r.connection {
            Some(c) => socket(Some(c), r.port),
            None => rtp.map(|a| SocketAddr::new(a.ip(), r.port)),
        },
        None => rtp.and_then(|a| Some(SocketAddr::new(a.ip(), a.port().checked_add(1)?))),
    }
}

/// The chosen codec and telephone-event of an offered audio section.
struct Choice {
    codec: NegotiatedCodec,
    local: usize,
    te: Option<(u8, usize)>,
}

fn choose(m: &MediaDescription, local: &LocalMedia) -> Option<Choice> {
    // Offered payload types we support: (offer position, pt, index into local codecs).
    let mut candidates: Vec<(usize, u8, usize)> = Vec::new();
    for (pos, pt) in m.payload_types().enumerate() {
        let Some((name, rate, ch)) = describe(m, pt) else {
            continue;
        };
        if is_te(name) {
            continue;
        }
        if let Some(i) = local
            .codecs
            .iter()
            .position(|c| !c.is_telephone_event() && c.matches(name, rate, ch))
        {
            candidates.push((pos, pt, i));
        }
    }
    let &(_, pt, local_index) = if local.prefer_offer_order {
        candidates.iter().min_by_key(|c| c.0)
    } else {
        candidates.iter().min_by_key(|c| (c.2, c.0))
    }?;
    let (name, clock_rate, channels) = describe(m, pt)?;
    // telephone-event at the codec's clock rate if offered, else at any rate we share.
    let te_options = m.payload_types().filter_map(|pt| {
        let (name, rate, _) = describe(m, pt)?;
        if !is_te(name) {
            return None;
        }
        let i = local
            .codecs
            .iter()
            .position(|c| c.is_telephone_event() && c.clock_rate == rate)?;
        Some((pt, i, rate))
    });
    let mut te = None;
    for (pt, i, rate) in te_options {
        if rate == clock_rate {
            te = Some((pt, i));
            break;
        }
        te = te.or(Some((pt, i)));
    }
    Some(Choice {
        codec: NegotiatedCodec {
            payload_type: pt,
            name: name.to_owned(),
            clock_rate,
            channels,
        },
        local: local_index,
        te,
    })
}

fn rejected(m: &MediaDescription) -> MediaDescription {
    let mut r = MediaDescription::new(&m.media, 0, &m.proto, m.formats.clone());
    if let Some(mid) = m.mid() {
        r.attributes.push(Attribute::Mid(mid.to_owned()));
    }
    r
}

fn rtpmap(pt: u8, name: &str, clock_rate: u32, channels: u16) -> Attribute {
    Attribute::RtpMap(RtpMap {
        payload_type: pt,
        encoding: name.to_owned(),
        clock_rate,
        channels: (channels != 1).then_some(channels),
    })
}

fn fmtp(pt: u8, params: &str) -> Attribute {
    Attribute::Fmtp {
        format: pt.to_string(),
        params: params.to_owned(),
    }
}

fn skeleton(local: &LocalMedia, media: Vec<MediaDescription>) -> SessionDescription {
    SessionDescription {
        origin: Origin {
            username: "-".to_owned(),
            session_id: "0".to_owned(),
            session_version: 0,
            net_type: "IN".to_owned(),
            addr_type: String::new(),
            address: String::new(),
        },
        session_name: "-".to_owned(),
        information: None,
        uri: None,
        emails: Vec::new(),
        phones: Vec::new(),
        connection: Some(Connection::from_ip(local.address)),
        bandwidths: Vec::new(),
        timings: vec![Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        }],
        time_zones: None,
        key: None,
        attributes: Vec::new(),
        media,
    }
}

/// Builds the answer to `offer` from `local` (without origin: [`SdpSession`] stamps it).
fn build_answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedMedia), SdpError> {
    let mut media = Vec::with_capacity(offer.media.len());
    let mut negotiated = None;
    let mut why = Vec::new();
    for (index, m) in offer.media.iter().enumerate() {
        if negotiated.is_some() || m.port == 0 || m.media != "audio" {
            media.push(rejected(m));
            continue;
        }
        if !PROTOS.contains(&m.proto.as_str()) {
            why.push(format!(
                "audio over {} (only RTP/AVP and RTP/AVPF are supported)",
                m.proto
            ));
            media.push(rejected(m));
            continue;
        }
        let Some(choice) = choose(m, local) else {
            let offered: Vec<String> = m
                .payload_types()
                .map(|pt| describe(m, pt).map_or_else(|| pt.to_string(), |(n, r, _)| format!("{n}/{r}")))
                .collect();
            why.push(format!("no common codec in [{}]", offered.join(", ")));
            media.push(rejected(m));
            continue;
        };
        let connection = offer
            .media_connection(m)
            .ok_or(SdpError::MissingConnection { index })?;
        let hold = connection.is_hold();
        let mut offer_dir = offer.media_direction(m);
        if hold {
            offer_dir = Direction::from_flags(offer_dir.sends(), false);
        }
        let direction = Direction::answer(offer_dir, local.direction);
        let mut ptime = m.ptime().or(local.ptime).unwrap_or(DEFAULT_PTIME);
        if let Some(max) = m.maxptime().filter(|max| *max > 0) {
            ptime = ptime.min(max);
        }
        let rtcp_mux = local.rtcp_mux && m.rtcp_mux();

        let mut formats = vec![choice.codec.payload_type.to_string()];
        let c = &choice.codec;
        let mut attributes = vec![rtpmap(c.payload_type, &c.name, c.clock_rate, c.channels)];
        if let Some(p) = local.codecs.get(choice.local).and_then(|c| c.fmtp.as_deref()) {
            attributes.push(fmtp(c.payload_type, p));
        }
        if let Some((pt, i)) = choice.te {
            formats.push(pt.to_string());
            let (name, rate, _) = describe(m, pt).unwrap_or(("telephone-event", c.clock_rate, 1));
            attributes.push(rtpmap(pt, name, rate, 1));
            let events = local.codecs.get(i).and_then(|c| c.fmtp.as_deref()).or(m.fmtp(pt));
            if let Some(events) = events {
                attributes.push(fmtp(pt, events));
            }
        }
        attributes.push(Attribute::Ptime(ptime));
        if let Some(mid) = m.mid() {
            attributes.push(Attribute::Mid(mid.to_owned()));
        }
        if rtcp_mux {
            attributes.push(Attribute::RtcpMux);
        }
        attributes.push(Attribute::Direction(direction));
        let mut answer = MediaDescription::new("audio", local.port, &m.proto, formats);
        answer.attributes = attributes;
        media.push(answer);

        let rtp = socket(Some(connection), m.port);
        negotiated = Some(NegotiatedMedia {
            index,
            remote_rtp: rtp,
            remote_rtcp: remote_rtcp(m, rtp, rtcp_mux),
            codec: choice.codec,
            telephone_event: choice.te.map(|(pt, _)| pt),
            ptime,
            direction,
            rtcp_mux,
        });
    }
    let negotiated = negotiated.ok_or_else(|| SdpError::NoCommonMedia {
        reason: if why.is_empty() {
            "the offer has no active audio stream".to_owned()
        } else {
            why.join("; ")
        },
    })?;
    Ok((skeleton(local, media), negotiated))
}

/// Builds our offer from `local` (without origin): one audio stream with every codec.
fn build_offer(local: &LocalMedia) -> SessionDescription {
    let mut formats = Vec::with_capacity(local.codecs.len());
    let mut attributes = Vec::with_capacity(local.codecs.len() * 2 + 3);
    for c in &local.codecs {
        formats.push(c.payload_type.to_string());
        attributes.push(rtpmap(c.payload_type, &c.name, c.clock_rate, c.channels));
        if let Some(p) = &c.fmtp {
            attributes.push(fmtp(c.payload_type, p));
        }
    }
    if let Some(p) = local.ptime {
        attributes.push(Attribute::Ptime(p));
    }
    if local.rtcp_mux {
        attributes.push(Attribute::RtcpMux);
    }
    attributes.push(Attribute::Direction(local.direction));
    let mut m = MediaDescription::new("audio", local.port, "RTP/AVP", formats);
    m.attributes = attributes;
    skeleton(local, vec![m])
}

/// Reads the remote `answer` to our `offer`: checks it (same number and types of media
/// sections, only offered payload types) and says where to send what.
///
/// An answer whose direction exceeds the offer's (say `sendrecv` to our `sendonly`) is
/// read as the most it may mean, not rejected.
pub fn negotiated_from_answer(offer: &SdpOffer, answer: &SdpAnswer) -> Result<NegotiatedMedia, SdpError> {
    let (offer, answer) = (offer.as_sdp(), answer.as_sdp());
    if offer.media.len() != answer.media.len() {
        return Err(SdpError::MediaCountMismatch {
            offer: offer.media.len(),
            answer: answer.media.len(),
        });
    }
    let mut found = None;
    for (index, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        if o.media != a.media {
            return Err(SdpError::MediaTypeMismatch {
                index,
                offer: o.media.clone(),
                answer: a.media.clone(),
            });
        }
        if a.port == 0 {
            continue;
        }
        if let Some(f) = a.formats.iter().find(|f| !o.formats.contains(f)) {
            return Err(SdpError::CodecNotOffered {
                index,
                payload_type: f.clone(),
            });
        }
        if found.is_none() && o.port != 0 && a.media == "audio" {
            found = Some((index, o, a));
        }
    }
    let Some((index, o, a)) = found else {
        return Err(SdpError::NoCommonMedia {
            reason: "the answer rejected every audio stream".to_owned(),
        });
    };
    let describe_either = |pt: u8| describe(a, pt).or_else(|| describe(o, pt));
    let codec = a
        .payload_types()
        .find_map(|pt| {
            let (name, clock_rate, channels) = describe_either(pt)?;
            (!is_te(name) && !name.eq_ignore_ascii_case("CN")).then(|| NegotiatedCodec {
                payload_type: pt,
                name: name.to_owned(),
                clock_rate,
                channels,
            })
        })
        .ok_or_else(|| SdpError::NoCommonMedia {
            reason: format!(
                "answer media section {index} names no known audio codec in [{}]",
                a.formats.join(" ")
            ),
        })?;
    let telephone_event = a
        .payload_types()
        .find(|pt| describe_either(*pt).is_some_and(|(name, ..)| is_te(name)));
    let connection = answer
        .media_connection(a)
        .ok_or(SdpError::MissingConnection { index })?;
    let hold = connection.is_hold();
    let mut answer_dir = answer.media_direction(a);
    if hold {
        answer_dir = Direction::from_flags(answer_dir.sends(), false);
    }
    let direction = Direction::answer(answer_dir, offer.media_direction(o));
    let rtcp_mux = o.rtcp_mux() && a.rtcp_mux();
    let rtp = socket(Some(connection), a.port);
    Ok(NegotiatedMedia {
        index,
        remote_rtp: rtp,
        remote_rtcp: remote_rtcp(a, rtp, rtcp_mux),
        codec,
        telephone_event,
        ptime: a.ptime().or(o.ptime()).unwrap_or(DEFAULT_PTIME),
        direction,
        rtcp_mux,
    })
}

/// The SDP side of one call leg: a fixed origin whose version goes up by one each time
/// the description we send changes (RFC 3264 §8), and stays when it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpSession {
    origin: Origin,
    last: Option<SessionDescription>,
}

impl SdpSession {
    /// A session with origin `- <session_id> <session_id> IN IP4|IP6 <address>` (the
    /// first version equals the id, as many stacks do).
    pub fn new(session_id: u64, address: IpAddr) -> Self {
        let c = Connection::from_ip(address);
        Self {
            origin: Origin {
                username: "-".to_owned(),
                session_id: session_id.to_string(),
                session_version: session_id,
                net_type: c.net_type,
                addr_type: c.addr_type,
                address: c.address,
            },
            last: None,
        }
    }

    /// The origin the next description will carry if it is unchanged.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Gives `sdp` our origin, bumping the version if it differs from the last one sent.
    fn stamp(&mut self, mut sdp: SessionDescription) -> SessionDescription {
        sdp.origin = self.origin.clone();
        if let Some(last) = &self.last
            && *last != sdp
        {
            self.origin.session_version = self.origin.session_version.wrapping_add(1);
            sdp.origin.session_version = self.origin.session_version;
        }
        self.last = Some(sdp.clone());
        sdp
    }

    /// An offer (initial or re-offer) of one audio stream with all of `local`'s codecs.
    pub fn offer(&mut self, local: &LocalMedia) -> SdpOffer {
        SdpOffer(self.stamp(build_offer(local)))
    }

    /// A re-offer putting the peer on hold from our `current` direction:
    /// `sendrecv` → `sendonly`, `recvonly` (we are held) → `inactive`.
    pub fn hold(&mut self, local: &LocalMedia, current: Direction) -> SdpOffer {
        let local = LocalMedia {
            direction: current.hold(),
            ..local.clone()
        };
        self.offer(&local)
    }

    /// A re-offer taking the peer off hold: `sendonly` → `sendrecv`, `inactive` →
    /// `recvonly` (we are still held).
    pub fn resume(&mut self, local: &LocalMedia, current: Direction) -> SdpOffer {
        let local = LocalMedia {
            direction: current.resume(),
            ..local.clone()
        };
        self.offer(&local)
    }

    /// The answer to a remote `offer` (initial or re-offer): the same number and order
    /// of `m=` lines, the first usable audio stream accepted with one codec (and
    /// telephone-event when both have it), every other stream rejected with port 0.
    ///
    /// Fails with [`SdpError::NoCommonMedia`] (send 488) when no audio stream fits.
    pub fn answer(
        &mut self,
        offer: &SdpOffer,
        local: &LocalMedia,
    ) -> Result<(SdpAnswer, NegotiatedMedia), SdpError> {
        let (sdp, negotiated) = build_answer(offer.as_sdp(), local)?;
        Ok((SdpAnswer(self.stamp(sdp)), negotiated))
    }
}
