//! Requests within a dialog: building ours (RFC 3261 §12.2.1.1) and checking the peer's
//! (§12.2.2).

use crate::builder::MessageBuilder;
use crate::error::Error;
use crate::headers::NameAddr;
use crate::message::Message;
use crate::parser::uri::Uri;
use crate::transaction::messages::response_to;

use super::{Dialog, DialogId, DialogState, contact_uri, dialog_error};

/// The largest CSeq number (2**31 - 1).
const MAX_SEQ: u32 = (1 << 31) - 1;

/// Methods whose requests and 2xx responses carry a Contact that replaces the remote
/// target (RFC 3261 §12.2, RFC 3311 UPDATE, RFC 6665 SUBSCRIBE/NOTIFY, RFC 3515 REFER).
pub(crate) fn is_target_refresh(method: &str) -> bool {
    matches!(method, "INVITE" | "UPDATE" | "SUBSCRIBE" | "NOTIFY" | "REFER")
}

/// What to do with an incoming in-dialog request, from [`Dialog::on_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// The request belongs to the dialog and was taken into account; hand it to the
    /// application.
    Accept,
    /// The request is refused: send this response (e.g. 500 for an out-of-order CSeq).
    Reject(Message),
}

/// Whether a route entry's URI carries `lr` (a loose router, RFC 3261 §16.12).
fn is_loose(entry: &str) -> Result<bool, Error> {
    let addr = NameAddr::parse(entry, "Route")?;
    Ok(addr.uri.as_sip().is_some_and(|u| u.param("lr").is_some()))
}

/// `uri` as a Request-URI: URI headers and the `method` parameter, which a Request-URI
/// may not carry (RFC 3261 §19.1.1), are stripped from a SIP URI.
fn as_request_uri(uri: &Uri<'_>) -> String {
    match uri {
        Uri::Sip(u) => {
            let raw = u.as_str();
            let base = raw.split_once('?').map_or(raw, |(b, _)| b);
            let mut parts = base.split(';');
            let mut out = parts.next().unwrap_or_default().to_owned();
            for p in parts {
                let name = p.split_once('=').map_or(p, |(n, _)| n);
                if !name.eq_ignore_ascii_case("method") {
                    out.push(';');
                    out.push_str(p);
                }
            }
            out
        }
        other => other.as_str().to_owned(),
    }
}

/// A route entry's URI as a Request-URI (strict routing).
fn request_uri_of(entry: &str) -> Result<String, Error> {
    Ok(as_request_uri(&NameAddr::parse(entry, "Route")?.uri))
}

/// The remote target as a Request-URI.
fn target_request_uri(target: &str) -> Result<String, Error> {
    Ok(as_request_uri(&Uri::parse(target)?))
}

impl Dialog {
    /// The Request-URI and Route header values of our next request (RFC 3261
    /// §12.2.1.1): with an empty route set or a loose first router, the remote target
    /// and the whole route set; with a strict first router, that router's URI and the
    /// rest of the route set followed by the remote target.
    pub fn next_hop(&self) -> Result<(String, Vec<String>), Error> {
        match self.route_set.first() {
            None => Ok((target_request_uri(&self.remote_target)?, Vec::new())),
            Some(first) if is_loose(first)? => {
                Ok((target_request_uri(&self.remote_target)?, self.route_set.clone()))
            }
            Some(first) => {
                let mut routes: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
                routes.push(format!("<{}>", self.remote_target));
                Ok((request_uri_of(first)?, routes))
            }
        }
    }

    /// Builds our next request `method` in the dialog (RFC 3261 §12.2.1.1) with the
    /// given Via value (its branch must be new): Request-URI and Route from
    /// [`Dialog::next_hop`], Max-Forwards, From and To with tags, Call-ID, the next CSeq
    /// number and, for target-refresh methods, our Contact. ACK and CANCEL reuse the
    /// number of our last INVITE ([`Dialog::ack`]); for CANCEL pass the Via of the INVITE
    /// being cancelled (or use the transaction layer's `cancel`). Add a body or more headers to the
    /// returned builder. INVITE in an early dialog is refused.
    pub fn request(&mut self, method: &str, via: &str) -> Result<MessageBuilder, Error> {
        if self.state == DialogState::Terminated {
            return Err(dialog_error(format!(
                "the dialog has ended; {method} cannot be sent in it"
            )));
        }
        if method == "INVITE" && self.state == DialogState::Early {
            return Err(dialog_error(
                "a re-INVITE needs a confirmed dialog (RFC 3261 §14.1); use UPDATE in an early one",
            ));
        }
        let seq = if method == "ACK" || method == "CANCEL" {
            self.invite_seq
                .ok_or_else(|| dialog_error(format!("{method} needs an INVITE sent in this dialog")))?
        } else {
            let next = match self.local_seq {
                Some(s) if s >= MAX_SEQ => {
                    return Err(dialog_error("the local CSeq has reached 2**31 - 1"));
                }
                Some(s) => s + 1,
                None => 1,
            };
            self.local_seq = Some(next);
            if method == "INVITE" {
                self.invite_seq = Some(next);
            }
            next
        };
        self.build(method, via, seq)
    }

    /// The ACK for a 2xx to our last INVITE (RFC 3261 §13.2.2.4): same CSeq number,
    /// method ACK, routed like any in-dialog request. Add the SDP answer to the builder
    /// when the 2xx carried an offer.
    pub fn ack(&mut self, via: &str) -> Result<MessageBuilder, Error> {
        self.request("ACK", via)
    }

    fn build(&self, method: &str, via: &str, seq: u32) -> Result<MessageBuilder, Error> {
        let (uri, routes) = self.next_hop()?;
        let to = if self.id.remote_tag.is_empty() {
            format!("<{}>", self.remote_uri)
        } else {
            format!("<{}>;tag={}", self.remote_uri, self.id.remote_tag)
        };
        let mut b = Message::request(method, &uri)
            .header("Via", via)
            .header("Max-Forwards", "70")
            .header("From", &format!("<{}>;tag={}", self.local_uri, self.id.local_tag))
            .header("To", &to)
            .header("Call-ID", &self.id.call_id)
            .header("CSeq", &format!("{seq} {method}"));
        for route in &routes {
            b = b.header("Route", route);
        }
        if is_target_refresh(method)
            && let Some(contact) = &self.local_contact
        {
            b = b.header("Contact", &format!("<{contact}>"));
        }
        Ok(b)
    }

    /// Checks a request the peer sent in this dialog (RFC 3261 §12.2.2). In a terminated
    /// dialog it is answered 481. A CSeq number below the remote one is answered 500 (ACK
    /// and CANCEL, which reuse the INVITE's number, are exempt); otherwise the remote CSeq
    /// is taken, a target-refresh request with a Contact replaces the remote target, and
    /// BYE ends the dialog. A request of another dialog is an error.
    pub fn on_request(&mut self, request: &Message) -> Result<Incoming, Error> {
        let method = request.method().ok_or_else(|| dialog_error("not a request"))?;
        if DialogId::of_incoming(request)? != self.id {
            return Err(dialog_error("the request belongs to another dialog"));
        }
        let seq = request.cseq()?.seq;
        if self.state == DialogState::Terminated {
            if method == "ACK" {
                return Ok(Incoming::Accept);
            }
            let response = response_to(request, 481, "Call/Transaction Does Not Exist", None, &[])?;
            return Ok(Incoming::Reject(response));
        }
        if method == "ACK" || method == "CANCEL" {
            return Ok(Incoming::Accept);
        }
        if self.remote_seq.is_some_and(|r| seq < r) {
            let response = response_to(request, 500, "Server Internal Error", None, &[])?;
            return Ok(Incoming::Reject(response));
        }
        self.remote_seq = Some(seq);
        if is_target_refresh(method)
            && let Some(target) = contact_uri(request)?
        {
            self.remote_target = target;
        }
        if method == "BYE" {
            self.state = DialogState::Terminated;
        }
        Ok(Incoming::Accept)
    }
}
