//! The types of a session description and how each is written (`Display`).
//!
//! The types are owned (SDP is small, and answers are built rather than received), keep
//! the order of attributes, and keep attributes they do not know verbatim, so that a
//! parsed description prints back to an equal one.

use std::fmt;
use std::net::IpAddr;

/// A session description (RFC 8866 §5): session-level lines, then media sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`: who made the session and its version.
    pub origin: Origin,
    /// `s=`: the session name (`-` or a space when there is none).
    pub session_name: String,
    /// `i=`: session information.
    pub information: Option<String>,
    /// `u=`: a URI with more about the session.
    pub uri: Option<String>,
    /// `e=` lines: e-mail addresses.
    pub emails: Vec<String>,
    /// `p=` lines: phone numbers.
    pub phones: Vec<String>,
    /// `c=`: the session-level connection, used by media sections without their own.
    pub connection: Option<Connection>,
    /// `b=` lines at session level.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines, each with its `r=` repeat lines.
    pub timings: Vec<Timing>,
    /// `z=`: time-zone adjustments, verbatim.
    pub time_zones: Option<String>,
    /// `k=`: an encryption key line (obsolete), verbatim.
    pub key: Option<String>,
    /// `a=` lines at session level, in order.
    pub attributes: Vec<Attribute>,
    /// The media sections (`m=` and the lines after it), in order.
    pub media: Vec<MediaDescription>,
}

/// The `o=` line: `username sess-id sess-version nettype addrtype address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The user name, `-` when there is none.
    pub username: String,
    /// The session id (digits, kept as written).
    pub session_id: String,
    /// The session version; incremented whenever the description changes (RFC 3264 §8).
    pub session_version: u64,
    /// The network type, `IN`.
    pub net_type: String,
    /// The address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address of the machine that made the session.
    pub address: String,
}

/// A `c=` line: `nettype addrtype connection-address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The network type, `IN`.
    pub net_type: String,
    /// The address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address as written, with any `/ttl` or `/count` suffix of multicast.
    pub address: String,
}

impl Connection {
    /// An `IN IP4` or `IN IP6` connection to `ip`.
    pub fn from_ip(ip: IpAddr) -> Self {
        Self {
            net_type: "IN".to_owned(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.to_owned(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP address, when it is one (multicast suffixes dropped);
    /// `None` for host names.
    pub fn ip(&self) -> Option<IpAddr> {
        let addr = self.address.split('/').next().unwrap_or_default();
        addr.parse().ok()
    }

    /// Whether this is the RFC 2543 way of putting a call on hold: `c=IN IP4 0.0.0.0`
    /// (or the unspecified IPv6 address), meaning "do not send media to me".
    pub fn is_hold(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// A `b=` line: `bwtype:bandwidth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The modifier: `AS`, `CT`, `TIAS`, `RS`, `RR`...
    pub kind: String,
    /// The value (kilobits per second for `AS` and `CT`).
    pub value: u64,
}

/// A `t=` line with its `r=` repeat lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// Start time (NTP seconds; 0 for an unbounded session).
    pub start: u64,
    /// Stop time (NTP seconds; 0 for an unbounded session).
    pub stop: u64,
    /// `r=` lines, verbatim.
    pub repeats: Vec<String>,
}

/// A media section: the `m=` line and the lines after it up to the next `m=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// The media type: `audio`, `video`, `application`...
    pub media: String,
    /// The transport port; 0 marks a rejected or disabled stream.
    pub port: u16,
    /// The `/number` of ports after the port, when written.
    pub port_count: Option<u16>,
    /// The transport protocol: `RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `UDP/TLS/RTP/SAVPF`...
    pub proto: String,
    /// The formats: RTP payload type numbers for RTP protocols.
    pub formats: Vec<String>,
    /// `i=`: media title.
    pub information: Option<String>,
    /// `c=` lines of this section (several only for multicast layers).
    pub connections: Vec<Connection>,
    /// `b=` lines of this section.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=`: an encryption key line (obsolete), verbatim.
    pub key: Option<String>,
    /// `a=` lines of this section, in order.
    pub attributes: Vec<Attribute>,
}

/// Which way media flows, from the point of view of the description's author
/// (RFC 3264 §5.1, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv`: both ways (the default when none is written).
    #[default]
    SendRecv,
    /// `a=sendonly`: the author sends and does not want to receive.
    SendOnly,
    /// `a=recvonly`: the author receives and will not send.
    RecvOnly,
    /// `a=inactive`: neither way.
    Inactive,
}

impl Direction {
    /// The direction with these capabilities.
    pub fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// Whether the author sends media.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether the author receives media.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same flow seen from the other side: `sendonly` ↔ `recvonly`.
    pub fn reversed(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// The direction of an answer to an offer with direction `offer`, by an answerer
    /// willing to do `local` (RFC 3264 §6.1): the answerer sends only if the offerer
    /// receives, and receives only if the offerer sends.
    pub fn answer(offer: Self, local: Self) -> Self {
        Self::from_flags(
            offer.receives() && local.sends(),
            offer.sends() && local.receives(),
        )
    }

    /// The direction of a re-offer putting the peer on hold: stop receiving
    /// (`sendrecv` → `sendonly`, `recvonly` → `inactive`).
    pub fn hold(self) -> Self {
        Self::from_flags(self.sends(), false)
    }

    /// The direction of a re-offer taking the peer off hold: receive again
    /// (`sendonly` → `sendrecv`, `inactive` → `recvonly`).
    pub fn resume(self) -> Self {
        Self::from_flags(self.sends(), true)
    }

    /// The attribute name: `sendrecv`, `sendonly`, `recvonly` or `inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction named by an attribute, if it is one of the four.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// The RTP payload type, 0 to 127.
    pub payload_type: u8,
    /// The encoding name as written (`PCMA`, `opus`, `telephone-event`); compare it
    /// case-insensitively.
    pub encoding: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters (audio channels), when written.
    pub channels: Option<u16>,
}

/// `a=rtcp:<port> [nettype addrtype address]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when it differs from the media's.
    pub connection: Option<Connection>,
}

/// One `a=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// `a=rtpmap`.
    RtpMap(RtpMap),
    /// `a=fmtp:<format> <parameters>`.
    Fmtp {
        /// The format (payload type) the parameters apply to.
        format: String,
        /// The parameters, verbatim (`0-16`, `minptime=10;useinbandfec=1`).
        params: String,
    },
    /// `a=ptime:<ms>`: packet duration the author wants to receive.
    Ptime(u32),
    /// `a=maxptime:<ms>`.
    MaxPtime(u32),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`.
    Direction(Direction),
    /// `a=rtcp`.
    Rtcp(Rtcp),
    /// `a=rtcp-mux` (RFC 5761).
    RtcpMux,
    /// `a=mid:<id>` (RFC 5888).
    Mid(String),
    /// Any other attribute, verbatim: `a=<name>` or `a=<name>:<value>`.
    Other {
        /// The attribute name.
        name: String,
        /// The text after the colon, when there is a colon.
        value: Option<String>,
    },
}

impl MediaDescription {
    /// A media section with no lines after `m=`.
    pub fn new(media: &str, port: u16, proto: &str, formats: Vec<String>) -> Self {
        Self {
            media: media.to_owned(),
            port,
            port_count: None,
            proto: proto.to_owned(),
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// The formats that are RTP payload type numbers, in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse::<u8>().ok())
    }

    /// The `a=rtpmap` line of `payload_type`.
    pub fn rtpmap(&self, payload_type: u8) -> Option<&RtpMap> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::RtpMap(m) if m.payload_type == payload_type => Some(m),
            _ => None,
        })
    }

    /// The `a=fmtp` parameters of `payload_type`.
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp { format, params } if format.parse::<u8>() == Ok(payload_type) => {
                Some(params.as_str())
            }
            _ => None,
        })
    }

    /// `a=ptime`, when present.
    pub fn ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Ptime(p) => Some(*p),
            _ => None,
        })
    }

    /// `a=maxptime`, when present.
    pub fn maxptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxPtime(p) => Some(*p),
            _ => None,
        })
    }

    /// The direction attribute of this section, when it has one.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// `a=rtcp`, when present.
    pub fn rtcp(&self) -> Option<&Rtcp> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Rtcp(r) => Some(r),
            _ => None,
        })
    }

    /// Whether `a=rtcp-mux` is present.
    pub fn rtcp_mux(&self) -> bool {
        self.attributes.iter().any(|a| matches!(a, Attribute::RtcpMux))
    }

    /// `a=mid`, when present.
    pub fn mid(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Mid(m) => Some(m.as_str()),
            _ => None,
        })
    }

    /// The value of the first attribute `name` kept verbatim ([`Attribute::Other`]):
    /// `Some("")` for a flag such as `a=ice-lite`, `Some(v)` for `a=name:v`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        other_attribute(&self.attributes, name)
    }

    /// Replaces the direction attribute (or adds one at the end).
    pub fn set_direction(&mut self, direction: Direction) {
        set_direction(&mut self.attributes, direction);
    }
}

impl SessionDescription {
    /// The session-level direction attribute, when there is one.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// The direction of media section `media`: its own attribute, else the session's,
    /// else `sendrecv` (RFC 8866 §6.7).
    pub fn media_direction(&self, media: &MediaDescription) -> Direction {
        media.direction().or_else(|| self.direction()).unwrap_or_default()
    }

    /// The connection of media section `media`: its first `c=`, else the session's.
    pub fn media_connection<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// The value of the first session-level attribute `name` kept verbatim
    /// ([`Attribute::Other`]), as [`MediaDescription::attribute`].
    pub fn attribute(&self, name: &str) -> Option<&str> {
        other_attribute(&self.attributes, name)
    }
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

fn set_direction(attributes: &mut Vec<Attribute>, direction: Direction) {
    attributes.retain(|a| !matches!(a, Attribute::Direction(_)));
    attributes.push(Attribute::Direction(direction));
}

fn other_attribute<'a>(attributes: &'a [Attribute], name: &str) -> Option<&'a str> {
    attributes.iter().find_map(|a| match a {
        Attribute::Other { name: n, value } if n == name => Some(value.as_deref().unwrap_or("")),
        _ => None,
    })
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username, self.session_id, self.session_version, self.net_type, self.addr_type, self.address
        )
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.payload_type, self.encoding, self.clock_rate)?;
        if let Some(ch) = self.channels {
            write!(f, "/{ch}")?;
        }
        Ok(())
    }
}

/// Writes the text after `a=`.
impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RtpMap(m) => write!(f, "rtpmap:{m}"),
            Self::Fmtp { format, params } if params.is_empty() => write!(f, "fmtp:{format}"),
            Self::Fmtp { format, params } => write!(f, "fmtp:{format} {params}"),
            Self::Ptime(p) => write!(f, "ptime:{p}"),
            Self::MaxPtime(p) => write!(f, "maxptime:{p}"),
            Self::Direction(d) => f.write_str(d.as_str()),
            Self::Rtcp(Rtcp {
                port,
                connection: None,
            }) => write!(f, "rtcp:{port}"),
            Self::Rtcp(Rtcp {
                port,
                connection: Some(c),
            }) => write!(f, "rtcp:{port} {c}"),
            Self::RtcpMux => f.write_str("rtcp-mux"),
            Self::Mid(m) => write!(f, "mid:{m}"),
            Self::Other { name, value: None } => f.write_str(name),
            Self::Other { name, value: Some(v) } => write!(f, "{name}:{v}"),
        }
    }
}

fn lines<T: fmt::Display>(f: &mut fmt::Formatter<'_>, kind: char, items: &[T]) -> fmt::Result {
    for item in items {
        write!(f, "{kind}={item}\r\n")?;
    }
    Ok(())
}

fn line<T: fmt::Display>(f: &mut fmt::Formatter<'_>, kind: char, item: Option<&T>) -> fmt::Result {
    match item {
        Some(item) => write!(f, "{kind}={item}\r\n"),
        None => Ok(()),
    }
}

/// Writes the section from its `m=` line, every line ending with CRLF.
impl fmt::Display for MediaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.formats {
            write!(f, " {fmt}")?;
        }
        f.write_str("\r\n")?;
        line(f, 'i', self.information.as_ref())?;
        lines(f, 'c', &self.connections)?;
        lines(f, 'b', &self.bandwidths)?;
        line(f, 'k', self.key.as_ref())?;
        lines(f, 'a', &self.attributes)
    }
}

/// Writes the description in RFC 8866 order, every line ending with CRLF.
impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\no={}\r\ns={}\r\n", self.origin, self.session_name)?;
        line(f, 'i', self.information.as_ref())?;
        line(f, 'u', self.uri.as_ref())?;
        lines(f, 'e', &self.emails)?;
        lines(f, 'p', &self.phones)?;
        line(f, 'c', self.connection.as_ref())?;
        lines(f, 'b', &self.bandwidths)?;
        for t in &self.timings {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            lines(f, 'r', &t.repeats)?;
        }
        line(f, 'z', self.time_zones.as_ref())?;
        line(f, 'k', self.key.as_ref())?;
        lines(f, 'a', &self.attributes)?;
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_matrix() {
        use Direction::{Inactive, RecvOnly, SendOnly, SendRecv};
        // (offer, local, answer): RFC 3264 §6.1.
        let table = [
            (SendRecv, SendRecv, SendRecv),
            (SendOnly, SendRecv, RecvOnly),
            (RecvOnly, SendRecv, SendOnly),
            (Inactive, SendRecv, Inactive),
            (SendRecv, SendOnly, SendOnly),
            (SendRecv, RecvOnly, RecvOnly),
            (SendRecv, Inactive, Inactive),
            (SendOnly, SendOnly, Inactive),
            (RecvOnly, RecvOnly, Inactive),
            (SendOnly, RecvOnly, RecvOnly),
            (RecvOnly, SendOnly, SendOnly),
            (Inactive, Inactive, Inactive),
        ];
        for (offer, local, answer) in table {
            assert_eq!(Direction::answer(offer, local), answer, "{offer} x {local}");
        }
    }

    #[test]
    fn hold_and_resume() {
        use Direction::{Inactive, RecvOnly, SendOnly, SendRecv};
        let table = [
            (SendRecv, SendOnly, SendRecv),
            (RecvOnly, Inactive, RecvOnly),
            (SendOnly, SendOnly, SendRecv),
            (Inactive, Inactive, RecvOnly),
        ];
        for (now, held, resumed) in table {
            assert_eq!(now.hold(), held, "hold from {now}");
            assert_eq!(held.resume(), resumed, "resume from {held}");
        }
        assert_eq!(SendOnly.reversed(), RecvOnly);
        assert_eq!(Inactive.reversed(), Inactive);
    }

    #[test]
    fn hold_addresses() {
        let c = |a: &str| Connection {
            net_type: "IN".into(),
            addr_type: "IP4".into(),
            address: a.into(),
        };
        assert!(c("0.0.0.0").is_hold());
        assert!(c("::").is_hold());
        assert!(!c("203.0.113.10").is_hold());
        assert!(!c("media.example.com").is_hold());
        assert_eq!(c("233.252.0.1/127/3").ip(), "233.252.0.1".parse().ok());
    }
}
