//! `Via` (RFC 3261 §20.42, rport per RFC 3581, IPv6 per RFC 5118).

use crate::error::{Error, bad_header};
use crate::message::Message;
use crate::parser::params::Params;
use crate::parser::text::{CommaSplit, is_lws, split_token, trim_lws_start};
use crate::parser::uri::split_host_port;

use super::HeaderName;

/// One Via entry: `SIP/2.0/UDP host:port;branch=...;received=...;rport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// The protocol name, normally `SIP`.
    pub protocol: &'a str,
    /// The protocol version, normally `2.0`.
    pub version: &'a str,
    /// The transport (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`...), as written.
    pub transport: &'a str,
    /// The sent-by host: domain, IPv4, or IPv6 reference in brackets.
    pub host: &'a str,
    /// The sent-by port, if written.
    pub port: Option<u16>,
    /// The parameters.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses one Via entry (one element of a comma list).
    pub fn parse(value: &'a str) -> Result<Self, Error> {
        let fail = |reason: &str| bad_header("Via", value, reason);
        let (protocol, rest) = split_token(trim_lws_start(value));
        let rest = expect_slash(rest).ok_or_else(|| fail("expected sent-protocol such as SIP/2.0/UDP"))?;
        let (version, rest) = split_token(rest);
        let rest = expect_slash(rest).ok_or_else(|| fail("expected sent-protocol such as SIP/2.0/UDP"))?;
        let (transport, rest) = split_token(rest);
        if protocol.is_empty() || version.is_empty() || transport.is_empty() {
            return Err(fail("expected sent-protocol such as SIP/2.0/UDP"));
        }
        if !rest.bytes().next().is_some_and(is_lws) {
            return Err(fail(
                "white space must separate the transport from the sent-by host",
            ));
        }
        let rest = trim_lws_start(rest);
        let end = rest
            .bytes()
            .position(|b| b == b';' || is_lws(b))
            .unwrap_or(rest.len());
        let (hostport, rest) = rest.split_at(end);
        let (host, port) = split_host_port(hostport).map_err(|r| fail(&r))?;
        let params = Params::parse(rest).map_err(|r| fail(&r))?;
        Ok(Self {
            protocol,
            version,
            transport,
            host,
            port,
            params,
        })
    }

    /// The `branch` parameter (the transaction id when it starts with `z9hG4bK`).
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// The `received` parameter: the source address a server saw.
    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received").flatten()
    }

    /// The `rport` parameter (RFC 3581): `Some(None)` when requested without a value,
    /// `Some(Some(port))` when filled in, `None` when absent or not a port number.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None => Some(None),
            Some(v) => v.parse().ok().map(Some),
        }
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.get("maddr").flatten()
    }
}

/// Skips `SWS "/" SWS`.
fn expect_slash(s: &str) -> Option<&str> {
    trim_lws_start(s).strip_prefix('/').map(trim_lws_start)
}

impl Message {
    /// Every Via entry in order, across header lines and comma lists.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, Error>> + '_ {
        self.header_values(HeaderName::Via)
            .flat_map(CommaSplit::new)
            .map(Via::parse)
    }

    /// The topmost Via entry.
    pub fn top_via(&self) -> Result<Via<'_>, Error> {
        self.vias()
            .next()
            .unwrap_or(Err(Error::MissingHeader { name: "Via" }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_via_with_spaces() {
        let v = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;rport;branch=390skdjuw").unwrap();
        assert_eq!((v.protocol, v.version, v.transport), ("SIP", "2.0", "UDP"));
        assert_eq!(v.host, "192.0.2.2");
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert_eq!(v.rport(), Some(None));
    }

    #[test]
    fn ipv6_sent_by_and_received() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3;received=[2001:db8::9:255];rport=5071",
        )
        .unwrap();
        assert_eq!(v.host, "[2001:db8::9:1]");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.received(), Some("[2001:db8::9:255]"));
        assert_eq!(v.rport(), Some(Some(5071)));
    }

    #[test]
    fn malformed_vias() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0 192.0.2.1",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP 2001:db8::1",
            "SIP/2.0/UDP host:port",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
