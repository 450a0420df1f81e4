//! The SDP parser: one pass over the lines (CRLF or LF), typed errors that name the line.
//!
//! Session-level lines may come in any order after `v=` (carriers do not all follow
//! RFC 8866's order), but `o=`, `s=`, `i=`, `u=`, `c=`, `z=` and `k=` at most once, and
//! `v=`, `o=` and `s=` must be present. A media section takes `i=`, `c=`, `b=`, `k=` and
//! `a=` lines. Unknown attributes are kept verbatim; unknown line types are rejected.
//! Fields of `o=`, `c=`, `t=`, `m=` and `a=rtcp` may be separated by runs of white space
//! and followed by trailing white space (seen from some gateways); they print back with
//! single spaces.

use super::data::{
    Attribute, Bandwidth, Connection, Direction, MediaDescription, Origin, Rtcp, RtpMap, SessionDescription,
    Timing,
};
use super::error::SdpError;
use crate::error::excerpt;

/// Bounds on what the parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdpLimits {
    /// Largest description in bytes (default 16,384).
    pub max_size: usize,
    /// Most media sections (default 16).
    pub max_media: usize,
    /// Most `a=` lines in the whole description (default 512).
    pub max_attributes: usize,
}

impl Default for SdpLimits {
    fn default() -> Self {
        Self {
            max_size: 16_384,
            max_media: 16,
            max_attributes: 512,
        }
    }
}

/// Parses a session description with the default [`SdpLimits`].
pub fn parse(input: &[u8]) -> Result<SessionDescription, SdpError> {
    parse_with(input, &SdpLimits::default())
}

/// Parses a session description under `limits`.
pub fn parse_with(input: &[u8], limits: &SdpLimits) -> Result<SessionDescription, SdpError> {
    if input.len() > limits.max_size {
        return Err(SdpError::TooLarge {
            size: input.len(),
            max: limits.max_size,
        });
    }
    let mut p = Parser::default();
    let mut attributes = 0usize;
    let mut rest = input;
    let mut line_no = 0usize;
    while !rest.is_empty() {
        line_no += 1;
        let (raw, next) = match memchr::memchr(b'\n', rest) {
            Some(nl) => (
                rest.get(..nl).unwrap_or_default(),
                rest.get(nl + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        rest = next;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw).map_err(|_| SdpError::NotUtf8 { line: line_no })?;
        if text.is_empty() {
            // Empty lines are accepted only at the end (some stacks add one).
            if rest.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                break;
            }
            return Err(bad(
                line_no,
                text,
                "a line of the form <type>=<value>; empty lines are not allowed",
            ));
        }
        let line = Line { no: line_no, text };
        let (kind, value) = line.split()?;
        if kind == b'a' {
            attributes += 1;
            if attributes > limits.max_attributes {
                return Err(SdpError::TooManyAttributes {
                    max: limits.max_attributes,
                });
            }
        }
        if kind == b'm' && p.media.len() >= limits.max_media {
            return Err(SdpError::TooManyMedia {
                max: limits.max_media,
            });
        }
        p.line(line, kind, value)?;
    }
    p.finish()
}

/// One line: its number and text (without the line end).
#[derive(Clone, Copy)]
struct Line<'a> {
    no: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    fn split(self) -> Result<(u8, &'a str), SdpError> {
        let bytes = self.text.as_bytes();
        match (bytes.first(), bytes.get(1)) {
            (Some(k), Some(b'=')) if k.is_ascii_lowercase() => {
                Ok((*k, self.text.get(2..).unwrap_or_default()))
            }
            _ => Err(self.err("a line of the form <type>=<value> with a lower-case type letter")),
        }
    }

    fn err(self, expected: impl Into<String>) -> SdpError {
        bad(self.no, self.text, expected)
    }
}

fn bad(line: usize, text: &str, expected: impl Into<String>) -> SdpError {
    SdpError::InvalidLine {
        line,
        content: excerpt(text),
        expected: expected.into(),
    }
}

#[derive(Default)]
struct Parser {
    seen_v: bool,
    origin: Option<Origin>,
    session_name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    timings: Vec<Timing>,
    time_zones: Option<String>,
    key: Option<String>,
    attributes: Vec<Attribute>,
    media: Vec<MediaDescription>,
}

fn once<T>(slot: &mut Option<T>, value: T, line: Line<'_>, what: &str) -> Result<(), SdpError> {
    if slot.is_some() {
        return Err(line.err(format!("at most one {what} line in this section")));
    }
    *slot = Some(value);
    Ok(())
}

impl Parser {
    fn line(&mut self, line: Line<'_>, kind: u8, value: &str) -> Result<(), SdpError> {
        if !self.seen_v {
            if kind != b'v' {
                return Err(line.err("v=0 as the first line"));
            }
            if value != "0" {
                return Err(line.err("v=0 (SDP version 0)"));
            }
            self.seen_v = true;
            return Ok(());
        }
        if kind == b'm' {
            self.media.push(parse_m(line, value)?);
            return Ok(());
        }
        if let Some(m) = self.media.last_mut() {
            return media_line(m, line, kind, value);
        }
        match kind {
            b'o' => once(&mut self.origin, parse_origin(line, value)?, line, "o=")?,
            b's' => once(&mut self.session_name, value.to_owned(), line, "s=")?,
            b'i' => once(&mut self.information, value.to_owned(), line, "i=")?,
            b'u' => once(&mut self.uri, value.to_owned(), line, "u=")?,
            b'e' => self.emails.push(value.to_owned()),
            b'p' => self.phones.push(value.to_owned()),
            b'c' => once(&mut self.connection, parse_c(line, value)?, line, "c=")?,
            b'b' => self.bandwidths.push(parse_b(line, value)?),
            b't' => self.timings.push(parse_t(line, value)?),
            b'r' => match self.timings.last_mut() {
                Some(t) => t.repeats.push(value.to_owned()),
                None => return Err(line.err("r= only after a t= line")),
            },
            b'z' => once(&mut self.time_zones, value.to_owned(), line, "z=")?,
            b'k' => once(&mut self.key, value.to_owned(), line, "k=")?,
            b'a' => self.attributes.push(parse_a(line, value)?),
            b'v' => return Err(line.err("one v= line, the first")),
            _ => {
                return Err(line
                    .err("a session-level line: o=, s=, i=, u=, e=, p=, c=, b=, t=, r=, z=, k=, a= or m="));
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<SessionDescription, SdpError> {
        if !self.seen_v {
            return Err(SdpError::MissingLine {
                what: "v=",
                why: "a session description starts with v=0",
            });
        }
        let origin = self.origin.ok_or(SdpError::MissingLine {
            what: "o=",
            why: "the origin line is mandatory at session level",
        })?;
        let session_name = self.session_name.ok_or(SdpError::MissingLine {
            what: "s=",
            why: "the session name line is mandatory at session level",
        })?;
        Ok(SessionDescription {
            origin,
            session_name,
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            timings: self.timings,
            time_zones: self.time_zones,
            key: self.key,
            attributes: self.attributes,
            media: self.media,
        })
    }
}

fn media_line(m: &mut MediaDescription, line: Line<'_>, kind: u8, value: &str) -> Result<(), SdpError> {
    match kind {
        b'i' => once(&mut m.information, value.to_owned(), line, "i=")?,
        b'c' => m.connections.push(parse_c(line, value)?),
        b'b' => m.bandwidths.push(parse_b(line, value)?),
        b'k' => once(&mut m.key, value.to_owned(), line, "k=")?,
        b'a' => m.attributes.push(parse_a(line, value)?),
        _ => return Err(line.err("a media-level line: i=, c=, b=, k=, a= or the next m=")),
    }
    Ok(())
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&b))
}

fn is_field(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() || b >= 0x80)
}

fn parse_origin(line: Line<'_>, value: &str) -> Result<Origin, SdpError> {
    const EXPECTED: &str =
        "o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>, e.g. o=- 1 1 IN IP4 192.0.2.1";
    let mut f = value.split_ascii_whitespace();
    let mut next = || f.next().filter(|s| is_field(s));
    let (Some(username), Some(id), Some(version), Some(net), Some(addr_type), Some(address), None) =
        (next(), next(), next(), next(), next(), next(), next())
    else {
        return Err(line.err(EXPECTED));
    };
    let session_version = version
        .parse::<u64>()
        .ok()
        .filter(|_| version.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| line.err("a session version of 1 to 20 digits in o="))?;
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(line.err("a numeric session id in o="));
    }
    Ok(Origin {
        username: username.to_owned(),
        session_id: id.to_owned(),
        session_version,
        net_type: net.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn connection_fields(net: &str, addr_type: &str, address: &str) -> Option<Connection> {
    (is_token(net) && is_token(addr_type) && is_field(address)).then(|| Connection {
        net_type: net.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_c(line: Line<'_>, value: &str) -> Result<Connection, SdpError> {
    let mut f = value.split_ascii_whitespace();
    let c = match (f.next(), f.next(), f.next(), f.next()) {
        (Some(n), Some(t), Some(a), None) => connection_fields(n, t, a),
        _ => None,
    };
    let c = c.ok_or_else(|| line.err("c=<nettype> <addrtype> <address>, e.g. c=IN IP4 192.0.2.1"))?;
    check_address(line, &c)?;
    Ok(c)
}

/// An `IP4`/`IP6` address must be one (multicast `/ttl` suffixes allowed); other address
/// types are kept as written.
fn check_address(line: Line<'_>, c: &Connection) -> Result<(), SdpError> {
    let host = c.address.split('/').next().unwrap_or_default();
    let ok = match c.addr_type.as_str() {
        "IP4" => host.parse::<std::net::Ipv4Addr>().is_ok() || is_hostname(host),
        "IP6" => host.parse::<std::net::Ipv6Addr>().is_ok() || is_hostname(host),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(line.err(format!(
            "an {} address or a host name, not {host:?}",
            if c.addr_type == "IP4" { "IPv4" } else { "IPv6" }
        )))
    }
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

fn parse_b(line: Line<'_>, value: &str) -> Result<Bandwidth, SdpError> {
    value
        .trim_end()
        .split_once(':')
        .filter(|(k, _)| is_token(k))
        .and_then(|(k, v)| {
            Some(Bandwidth {
                kind: k.to_owned(),
                value: digits(v)?,
            })
        })
        .ok_or_else(|| line.err("b=<bwtype>:<bandwidth>, e.g. b=AS:64"))
}

fn parse_t(line: Line<'_>, value: &str) -> Result<Timing, SdpError> {
    let mut f = value.split_ascii_whitespace();
    match (f.next().and_then(digits), f.next().and_then(digits), f.next()) {
        (Some(start), Some(stop), None) => Ok(Timing {
            start,
            stop,
            repeats: Vec::new(),
        }),
        _ => Err(line.err("t=<start> <stop> in decimal NTP seconds, e.g. t=0 0")),
    }
}

/// Decimal digits only (no sign, no spaces) that fit the type.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_m(line: Line<'_>, value: &str) -> Result<MediaDescription, SdpError> {
    const EXPECTED: &str = "m=<media> <port>[/<number>] <proto> <fmt> ..., e.g. m=audio 49170 RTP/AVP 0 8";
    let mut f = value.split_ascii_whitespace();
    let (Some(media), Some(port), Some(proto)) = (f.next(), f.next(), f.next()) else {
        return Err(line.err(EXPECTED));
    };
    if !is_token(media) {
        return Err(line.err(EXPECTED));
    }
    let (port, port_count) = match port.split_once('/') {
        Some((p, n)) => (p, Some(n)),
        None => (port, None),
    };
    let port = digits::<u16>(port).ok_or_else(|| line.err("a port number 0-65535 in m="))?;
    let port_count = match port_count {
        Some(n) => Some(digits::<u16>(n).ok_or_else(|| line.err("a port count 0-65535 after / in m="))?),
        None => None,
    };
    if proto.is_empty() || !proto.split('/').all(is_token) {
        return Err(line.err("a transport protocol such as RTP/AVP in m="));
    }
    let mut formats = Vec::new();
    for fmt in f {
        if !is_token(fmt) {
            return Err(line.err("formats separated by single spaces in m="));
        }
        formats.push(fmt.to_owned());
    }
    let mut m = MediaDescription::new(media, port, proto, formats);
    m.port_count = port_count;
    Ok(m)
}

fn parse_a(line: Line<'_>, value: &str) -> Result<Attribute, SdpError> {
    let (name, arg) = match value.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (value, None),
    };
    if !is_token(name) {
        return Err(line.err("a=<attribute> or a=<attribute>:<value> with a token name"));
    }
    let typed = |expected: &str| line.err(expected.to_owned());
    Ok(match (name, arg) {
        ("rtpmap", Some(v)) => Attribute::RtpMap(
            parse_rtpmap(v.trim_end()).ok_or_else(|| {
                typed("a=rtpmap:<payload type 0-127> <encoding>/<clock rate>[/<channels>], e.g. a=rtpmap:8 PCMA/8000")
            })?,
        ),
        ("fmtp", Some(v)) => {
            let (format, params) = v.split_once(' ').unwrap_or((v, ""));
            if !is_token(format) {
                return Err(typed("a=fmtp:<format> <parameters>, e.g. a=fmtp:101 0-16"));
            }
            Attribute::Fmtp {
                format: format.to_owned(),
                params: params.to_owned(),
            }
        }
        ("ptime", Some(v)) => Attribute::Ptime(
            digits(v.trim_end()).ok_or_else(|| typed("a=ptime:<milliseconds>, e.g. a=ptime:20"))?,
        ),
        ("maxptime", Some(v)) => Attribute::MaxPtime(
            digits(v.trim_end()).ok_or_else(|| typed("a=maxptime:<milliseconds>, e.g. a=maxptime:40"))?,
        ),
        ("rtcp", Some(v)) => Attribute::Rtcp(
            parse_rtcp(v.trim_end())
                .ok_or_else(|| typed("a=rtcp:<port> [<nettype> <addrtype> <address>], e.g. a=rtcp:40001"))?,
        ),
        ("mid", Some(v)) if is_field(v) => Attribute::Mid(v.to_owned()),
        ("mid", _) => return Err(typed("a=mid:<identification tag>")),
        ("rtcp-mux", None) => Attribute::RtcpMux,
        ("sendrecv" | "sendonly" | "recvonly" | "inactive", None) => {
            Attribute::Direction(Direction::from_name(name).unwrap_or_default())
        }
        ("rtpmap" | "fmtp" | "ptime" | "maxptime" | "rtcp", None) => {
            return Err(typed(&format!("a value after a={name}:")));
        }
        ("rtcp-mux" | "sendrecv" | "sendonly" | "recvonly" | "inactive", Some(_)) => {
            return Err(typed(&format!("a={name} without a value")));
        }
        (_, arg) => Attribute::Other {
            name: name.to_owned(),
            value: arg.map(str::to_owned),
        },
    })
}

fn parse_rtpmap(v: &str) -> Option<RtpMap> {
    let (pt, rest) = v.split_once(' ')?;
    let payload_type = digits::<u8>(pt).filter(|pt| *pt <= 127)?;
    let mut parts = rest.split('/');
    let encoding = parts.next().filter(|e| is_token(e))?;
    let clock_rate = digits(parts.next()?)?;
    let channels = match parts.next() {
        Some(ch) => Some(digits(ch)?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(RtpMap {
        payload_type,
        encoding: encoding.to_owned(),
        clock_rate,
        channels,
    })
}

fn parse_rtcp(value: &str) -> Option<Rtcp> {
    let mut fields = value.split_ascii_whitespace();
    let port = digits(fields.next()?)?;
    let connection = match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (None, ..) => None,
        (Some(net), Some(kind), Some(addr), None) => Some(connection_fields(net, kind, addr)?),
        _ => return None,
    };
    Some(Rtcp { port, connection })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARRIER: &str = "v=0\r\n\
        o=- 3735928559 3735928559 IN IP4 203.0.113.10\r\n\
        s=-\r\n\
        c=IN IP4 203.0.113.10\r\n\
        t=0 0\r\n\
        m=audio 40000 RTP/AVP 8 0 101\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\n\
        a=fmtp:101 0-15\r\n\
        a=ptime:20\r\n\
        a=sendrecv\r\n";

    #[test]
    fn parses_the_carrier_offer_and_prints_it_back() {
        let sdp = parse(CARRIER.as_bytes()).unwrap();
        assert_eq!(sdp.origin.session_version, 3_735_928_559);
        assert_eq!(sdp.connection.as_ref().unwrap().address, "203.0.113.10");
        let m = &sdp.media[0];
        assert_eq!(
            (m.media.as_str(), m.port, m.proto.as_str()),
            ("audio", 40000, "RTP/AVP")
        );
        assert_eq!(m.payload_types().collect::<Vec<_>>(), [8, 0, 101]);
        assert_eq!(m.rtpmap(101).unwrap().encoding, "telephone-event");
        assert_eq!(m.fmtp(101), Some("0-15"));
        assert_eq!(m.ptime(), Some(20));
        assert_eq!(m.direction(), Some(Direction::SendRecv));
        assert_eq!(sdp.to_string(), CARRIER);
    }

    #[test]
    fn accepts_lf_line_ends_and_a_trailing_empty_line() {
        let lf = CARRIER.replace("\r\n", "\n") + "\n";
        assert_eq!(parse(lf.as_bytes()).unwrap(), parse(CARRIER.as_bytes()).unwrap());
    }

    fn err(input: &str) -> SdpError {
        parse(input.as_bytes()).unwrap_err()
    }

    fn line_of(e: &SdpError) -> usize {
        match e {
            SdpError::InvalidLine { line, .. } => *line,
            other => panic!("not a line error: {other}"),
        }
    }

    #[test]
    fn errors_name_the_line() {
        let bad_port = CARRIER.replace("m=audio 40000", "m=audio 70000");
        let e = err(&bad_port);
        assert_eq!(line_of(&e), 6);
        assert!(e.to_string().contains("port number 0-65535"), "{e}");

        let bad_rtpmap = CARRIER.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU");
        let e = err(&bad_rtpmap);
        assert_eq!(line_of(&e), 8);
        assert!(e.to_string().contains("\"a=rtpmap:0 PCMU\""), "{e}");

        assert_eq!(line_of(&err("o=- 1 1 IN IP4 h\r\n")), 1);
        assert_eq!(line_of(&err("v=1\r\n")), 1);
        assert_eq!(line_of(&err(&CARRIER.replace("t=0 0", "t=zero"))), 5);
        assert_eq!(
            line_of(&err(
                &CARRIER.replace("c=IN IP4 203.0.113.10", "c=IN IP4 300.1.1.1")
            )),
            4
        );
        assert_eq!(line_of(&err(&format!("{CARRIER}s=again\r\n"))), 13);
        assert_eq!(line_of(&err(&CARRIER.replace("s=-\r\n", "s=-\r\ns=-\r\n"))), 4);
        assert_eq!(
            line_of(&err(&CARRIER.replace("a=ptime:20", "a=ptime:twenty"))),
            11
        );
        assert_eq!(
            line_of(&err(&CARRIER.replace("a=sendrecv", "a=sendrecv:yes"))),
            12
        );
        assert_eq!(line_of(&err(&CARRIER.replace("t=0 0\r\n", "t=0 0\r\n\r\n"))), 6);
        assert_eq!(line_of(&err(&CARRIER.replace("t=0 0", "T=0 0"))), 5);
        assert_eq!(
            err("v=0\r\ns=-\r\n"),
            SdpError::MissingLine {
                what: "o=",
                why: "the origin line is mandatory at session level"
            }
        );
        assert!(matches!(err(""), SdpError::MissingLine { what: "v=", .. }));
        assert!(matches!(
            err("v=0\r\no=- 1 1 IN IP4 h\r\n"),
            SdpError::MissingLine { what: "s=", .. }
        ));
        assert_eq!(
            parse(b"v=0\r\n\xff\r\n").unwrap_err(),
            SdpError::NotUtf8 { line: 2 }
        );
    }

    #[test]
    fn tolerates_extra_white_space_in_typed_lines() {
        let sloppy = CARRIER
            .replace("m=audio 40000 RTP/AVP 8 0 101", "m=audio  40000 RTP/AVP 8 0 101 ")
            .replace("c=IN IP4 203.0.113.10", "c=IN IP4 203.0.113.10\t")
            .replace("t=0 0", "t=0 0 ")
            .replace("a=ptime:20", "a=ptime:20 ");
        assert_eq!(parse(sloppy.as_bytes()).unwrap().to_string(), CARRIER);
        let b = CARRIER.replace("t=0 0", "b=AS:64 \r\nt=0 0");
        assert_eq!(parse(b.as_bytes()).unwrap().bandwidths[0].value, 64);
    }

    #[test]
    fn limits_are_enforced() {
        let limits = SdpLimits {
            max_size: 100,
            ..SdpLimits::default()
        };
        assert_eq!(
            parse_with(CARRIER.as_bytes(), &limits).unwrap_err(),
            SdpError::TooLarge {
                size: CARRIER.len(),
                max: 100
            }
        );
        let limits = SdpLimits {
            max_media: 1,
            ..SdpLimits::default()
        };
        let two = format!("{CARRIER}m=video 0 RTP/AVP 31\r\n");
        assert_eq!(
            parse_with(two.as_bytes(), &limits).unwrap_err(),
            SdpError::TooManyMedia { max: 1 }
        );
        let limits = SdpLimits {
            max_attributes: 5,
            ..SdpLimits::default()
        };
        assert_eq!(
            parse_with(CARRIER.as_bytes(), &limits).unwrap_err(),
            SdpError::TooManyAttributes { max: 5 }
        );
    }

    #[test]
    fn every_line_type_round_trips() {
        let full = "v=0\r\n\
            o=jdoe 2890844526 2890842807 IN IP6 2001:db8::10\r\n\
            s=SDP Seminar\r\n\
            i=A Seminar on the session description protocol\r\n\
            u=http://www.example.com/seminars/sdp.pdf\r\n\
            e=j.doe@example.com (Jane Doe)\r\n\
            p=+1 617 555-6011\r\n\
            c=IN IP6 2001:db8::10\r\n\
            b=CT:128\r\n\
            t=2873397496 2873404696\r\n\
            r=7d 1h 0 25h\r\n\
            z=2882844526 -1h 2898848070 0\r\n\
            k=prompt\r\n\
            a=recvonly\r\n\
            a=tool:x y\r\n\
            a=ice-lite\r\n\
            m=audio 49170/2 RTP/AVP 0\r\n\
            i=voice\r\n\
            c=IN IP4 233.252.0.1/127/2\r\n\
            b=AS:64\r\n\
            k=clear:x\r\n\
            a=rtcp:53020 IN IP4 126.16.64.4\r\n\
            a=maxptime:40\r\n\
            a=mid:a0\r\n\
            a=rtcp-mux\r\n\
            a=sendonly\r\n\
            m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n\
            a=fmtp:webrtc-datachannel\r\n";
        let sdp = parse(full.as_bytes()).unwrap();
        assert_eq!(sdp.to_string(), full);
        assert_eq!(sdp.direction(), Some(Direction::RecvOnly));
        assert_eq!(sdp.attribute("ice-lite"), Some(""));
        assert_eq!(sdp.attribute("tool"), Some("x y"));
        let m = &sdp.media[0];
        assert_eq!(sdp.media_direction(m), Direction::SendOnly);
        assert_eq!(sdp.media_direction(&sdp.media[1]), Direction::RecvOnly);
        assert_eq!(m.port_count, Some(2));
        assert_eq!(m.rtcp().unwrap().port, 53020);
        assert!(m.rtcp_mux());
        assert_eq!(m.mid(), Some("a0"));
        assert_eq!(m.maxptime(), Some(40));
        assert_eq!(sdp.media_connection(m).unwrap().address, "233.252.0.1/127/2");
        assert_eq!(sdp.timings[0].repeats, ["7d 1h 0 25h"]);
    }
}
