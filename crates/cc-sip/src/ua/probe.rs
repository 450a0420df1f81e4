//! OPTIONS probes (RFC 3261 §11): a keep-alive and liveness check of a trunk, a gateway
//! or a phone. Any final response proves the peer is there (a 404 or 405 included, as
//! carriers answer OPTIONS in many ways); a timeout reports 408 and a transport error 503.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{ALLOW, Transport, UaEvent, UserAgent};
use crate::error::Error;
use crate::message::Message;
use crate::transaction::TransactionId;

/// The handle of one OPTIONS probe of a [`UserAgent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeId(pub(super) u64);

impl ProbeId {
    /// The number behind the id (unique within one [`UserAgent`]).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ProbeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "probe#{}", self.0)
    }
}

/// A probe on its way: its id and when it was sent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Probe {
    id: ProbeId,
    sent: Instant,
}

impl UserAgent {
    /// Sends OPTIONS for `target` (a SIP URI, the Request-URI) to `destination` over
    /// `transport`; [`UaEvent::ProbeAnswered`] reports the outcome.
    pub fn probe(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        target: &str,
        transport: Transport,
    ) -> Result<ProbeId, Error> {
        crate::Uri::parse(target)?;
        let via = self.via(transport);
        let host = self.config.local_addr.ip();
        let call_id = format!("{}{}@{host}", self.tx.new_tag(), self.tx.new_tag());
        let tag = self.tx.new_tag();
        let from = format!(
            "<{}>;tag={tag}",
            super::register::bare_uri(self.contact(transport))
        );
        let mut b = Message::request("OPTIONS", target)
            .header("Via", &via)
            .header("Max-Forwards", "70")
            .header("From", &from)
            .header("To", &format!("<{target}>"))
            .header("Call-ID", &call_id)
            .header("CSeq", "1 OPTIONS")
            .header("Accept", "application/sdp")
            .header("Allow", ALLOW);
        if let Some(ua) = &self.config.user_agent {
            b = b.header("User-Agent", ua);
        }
        let request = b.build()?;
        let tx = self
            .tx
            .send_request(now, destination, transport.reliable(), request)?;
        self.next_probe += 1;
        let id = ProbeId(self.next_probe);
        self.probes.insert(tx, Probe { id, sent: now });
        self.process(now);
        Ok(id)
    }

    /// A response to a probe; `false` when `tx` is not one.
    pub(super) fn on_probe_response(&mut self, now: Instant, tx: TransactionId, response: &Message) -> bool {
        let Some(probe) = self.probes.get(&tx).copied() else {
            return false;
        };
        let code = response.status_code().unwrap_or_default();
        if code >= 200 {
            self.probes.remove(&tx);
            self.events.push_back(UaEvent::ProbeAnswered {
                probe: probe.id,
                code,
                rtt: Some(now.saturating_duration_since(probe.sent)),
            });
        }
        true
    }

    /// A probe timed out (408) or could not be sent (503); `false` when `tx` is not one.
    pub(super) fn on_probe_failure(&mut self, tx: TransactionId, code: u16) -> bool {
        let Some(probe) = self.probes.remove(&tx) else {
            return false;
        };
        self.events.push_back(UaEvent::ProbeAnswered {
            probe: probe.id,
            code,
            rtt: None,
        });
        true
    }
}

/// Whether a probe's answer shows the peer alive: any final response but the ones the
/// agent made up itself (408 timeout, 503 transport error).
pub fn probe_alive(code: u16, rtt: Option<Duration>) -> bool {
    rtt.is_some() && code >= 200
}
