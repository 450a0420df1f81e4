//! RFC 3261 §12 dialogs, sans-IO: the state two user agents share between an INVITE and
//! its BYE.
//!
//! - A UAC creates a [`Dialog`] with [`Dialog::new_uac`] from its INVITE and a 1xx (with a
//!   To tag) or 2xx response; a UAS with [`Dialog::new_uas`] from the INVITE it received and
//!   the response it sends (§12.1). Early dialogs become confirmed on a 2xx
//!   ([`Dialog::on_response`], [`Dialog::on_sent_response`]).
//! - [`Dialog::request`] builds in-dialog requests (§12.2.1.1): Request-URI and Route from
//!   the remote target and the route set (loose routing, or the strict-route fallback),
//!   From/To with tags, Call-ID, CSeq, Contact; [`Dialog::ack`] the ACK for a 2xx.
//! - [`Dialog::on_request`] checks an incoming in-dialog request (§12.2.2): a CSeq below
//!   the remote one gets a 500, target-refresh requests update the remote target, BYE ends
//!   the dialog.
//! - [`DialogSet`] finds the dialog of a message by (Call-ID, local tag, remote tag), and
//!   keeps the several early dialogs a forked INVITE creates.
//!
//! ```
//! use cc_sip::Message;
//! use cc_sip::dialog::{Dialog, DialogState};
//!
//! let invite = Message::request("INVITE", "sip:bob@example.com")
//!     .header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1")
//!     .header("From", "<sip:alice@example.com>;tag=a1")
//!     .header("To", "<sip:bob@example.com>")
//!     .header("Call-ID", "c1@192.0.2.1")
//!     .header("CSeq", "1 INVITE")
//!     .header("Contact", "<sip:alice@192.0.2.1>")
//!     .build()?;
//! let ok = Message::response(200, "OK")
//!     .header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1")
//!     .header("From", "<sip:alice@example.com>;tag=a1")
//!     .header("To", "<sip:bob@example.com>;tag=b1")
//!     .header("Call-ID", "c1@192.0.2.1")
//!     .header("CSeq", "1 INVITE")
//!     .header("Contact", "<sip:bob@192.0.2.2>")
//!     .build()?;
//! let mut dialog = Dialog::new_uac(&invite, &ok)?;
//! assert_eq!(dialog.state(), DialogState::Confirmed);
//! let bye = dialog.request("BYE", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2")?.build()?;
//! assert_eq!(bye.request_uri_str(), Some("sip:bob@192.0.2.2"));
//! assert_eq!(bye.cseq()?.seq, 2);
//! # Ok::<(), cc_sip::Error>(())
//! ```

mod request;
mod set;
#[cfg(test)]
mod tests;

pub use request::Incoming;
pub use set::DialogSet;

use crate::error::Error;
use crate::headers::NameAddr;
use crate::message::Message;
use crate::parser::uri::Uri;

/// Where a dialog is in its life (RFC 3261 §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// Created by a provisional response; a 2xx confirms it, a final non-2xx ends it.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Ended (BYE, or a final non-2xx for an early dialog).
    Terminated,
}

/// Which side of the dialog-creating INVITE we were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the INVITE.
    Uac,
    /// We received the INVITE.
    Uas,
}

/// The dialog identifier (RFC 3261 §12): Call-ID, local tag and remote tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag (From tag of our requests).
    pub local_tag: String,
    /// The peer's tag; empty when an old (RFC 2543) peer sent none.
    pub remote_tag: String,
}

impl DialogId {
    /// The id of the dialog an incoming `msg` belongs to, as seen by us: for a request
    /// the local tag is in To and the remote tag in From; for a response the other way
    /// round. A missing remote tag reads as empty; a missing local tag is an error.
    pub fn of_incoming(msg: &Message) -> Result<Self, Error> {
        let call_id = msg.call_id()?.to_owned();
        let from = msg.from_header()?;
        let to = msg.to_header()?;
        let (local, remote) = if msg.is_request() { (to, from) } else { (from, to) };
        let local_tag = local
            .tag()
            .ok_or_else(|| dialog_error("the message carries no tag of ours, so it is in no dialog"))?;
        Ok(Self {
            call_id,
            local_tag: local_tag.to_owned(),
            remote_tag: remote.tag().unwrap_or_default().to_owned(),
        })
    }
}

/// The state of one dialog (RFC 3261 §12): id, sequence numbers, URIs, remote target,
/// route set and secure flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    role: Role,
    state: DialogState,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    invite_seq: Option<u32>,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    local_contact: Option<String>,
    route_set: Vec<String>,
    secure: bool,
}

pub(crate) fn dialog_error(reason: impl Into<String>) -> Error {
    Error::Dialog {
        reason: reason.into(),
    }
}

/// The first Contact address of `msg`, as its URI text.
fn contact_uri(msg: &Message) -> Result<Option<String>, Error> {
    match msg.contacts().next() {
        None => Ok(None),
        Some(contact) => Ok(contact?.address().map(|a| a.uri.as_str().to_owned())),
    }
}

/// A Route / Record-Route entry kept as `<URI>;params`.
fn route_entry(addr: &NameAddr<'_>) -> String {
    format!("<{}>{}", addr.uri.as_str(), addr.params.as_str().trim())
}

fn record_route_set(msg: &Message) -> Result<Vec<String>, Error> {
    msg.record_routes().map(|r| r.map(|a| route_entry(&a))).collect()
}

/// `true` when `uri` is a SIPS URI.
fn is_sips(uri: &str) -> bool {
    matches!(Uri::parse(uri), Ok(Uri::Sip(u)) if u.secure)
}

/// `101..=299`: the responses that create a dialog (with a To tag).
fn creates_dialog(code: u16) -> bool {
    (101..=299).contains(&code)
}

fn state_for(code: u16) -> DialogState {
    if code >= 200 {
        DialogState::Confirmed
    } else {
        DialogState::Early
    }
}

fn check_invite(request: &Message) -> Result<u32, Error> {
    if request.method() != Some("INVITE") {
        return Err(dialog_error("dialogs are created by INVITE and its responses"));
    }
    Ok(request.cseq()?.seq)
}

impl Dialog {
    /// The UAC's dialog (RFC 3261 §12.1.2) from the INVITE we sent and a response to it:
    /// 101 to 199 with a To tag (early) or 2xx (confirmed). The route set is the
    /// response's Record-Route in reverse order, the remote target its Contact (for a
    /// provisional response without Contact, the Request-URI).
    pub fn new_uac(request: &Message, response: &Message) -> Result<Self, Error> {
        let seq = check_invite(request)?;
        let code = response
            .status_code()
            .ok_or_else(|| dialog_error("the second message must be a response"))?;
        if !creates_dialog(code) {
            return Err(dialog_error(format!(
                "a {code} response creates no dialog; 101 to 299 do"
            )));
        }
        let call_id = request.call_id()?;
        if response.call_id()? != call_id {
            return Err(dialog_error("the response's Call-ID differs from the request's"));
        }
        if response.cseq()?.seq != seq {
            return Err(dialog_error("the response's CSeq differs from the request's"));
        }
        let from = request.from_header()?;
        let to = response.to_header()?;
        let local_tag = from
            .tag()
            .ok_or_else(|| dialog_error("our INVITE has no From tag"))?;
        let remote_tag = to
            .tag()
            .ok_or_else(|| dialog_error("the response has no To tag"))?;
        let request_uri = request.request_uri_str().unwrap_or_default();
        let remote_target = match contact_uri(response)? {
            Some(uri) => uri,
            None if code < 200 => request_uri.to_owned(),
            None => return Err(dialog_error("a 2xx to INVITE must carry a Contact")),
        };
        let mut route_set = record_route_set(response)?;
        route_set.reverse();
        Ok(Self {
            id: DialogId {
                call_id: call_id.to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag: remote_tag.to_owned(),
            },
            role: Role::Uac,
            state: state_for(code),
            local_seq: Some(seq),
            remote_seq: None,
            invite_seq: Some(seq),
            local_uri: from.uri.as_str().to_owned(),
            remote_uri: to.uri.as_str().to_owned(),
            remote_target,
            local_contact: contact_uri(request)?,
            route_set,
            secure: is_sips(request_uri),
        })
    }

    /// The UAS's dialog (RFC 3261 §12.1.1) from the INVITE we received and the response
    /// we send to it (101 to 299, with our To tag). The route set is the request's
    /// Record-Route in order, the remote target its Contact.
    pub fn new_uas(request: &Message, response: &Message) -> Result<Self, Error> {
        let seq = check_invite(request)?;
        let code = response
            .status_code()
            .ok_or_else(|| dialog_error("the second message must be a response"))?;
        if !creates_dialog(code) {
            return Err(dialog_error(format!(
                "a {code} response creates no dialog; 101 to 299 do"
            )));
        }
        let from = request.from_header()?;
        let to = response.to_header()?;
        let local_tag = to
            .tag()
            .ok_or_else(|| dialog_error("our response has no To tag"))?;
        let remote_target =
            contact_uri(request)?.ok_or_else(|| dialog_error("an INVITE must carry a Contact"))?;
        let request_uri = request.request_uri_str().unwrap_or_default();
        Ok(Self {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag: from.tag().unwrap_or_default().to_owned(),
            },
            role: Role::Uas,
            state: state_for(code),
            local_seq: None,
            remote_seq: Some(seq),
            invite_seq: None,
            local_uri: to.uri.as_str().to_owned(),
            remote_uri: from.uri.as_str().to_owned(),
            remote_target,
            local_contact: contact_uri(response)?,
            route_set: record_route_set(request)?,
            secure: is_sips(request_uri),
        })
    }

    /// The dialog identifier.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// Which side of the INVITE we were.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Early, confirmed or terminated.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// The last CSeq number we used, if any.
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// The highest CSeq number the peer used, if any.
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// Our URI (From of our requests).
    pub fn local_uri(&self) -> &str {
        &self.local_uri
    }

    /// The peer's URI (To of our requests).
    pub fn remote_uri(&self) -> &str {
        &self.remote_uri
    }

    /// Where our requests go: the peer's last Contact.
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// Our Contact URI, sent in target-refresh requests.
    pub fn local_contact(&self) -> Option<&str> {
        self.local_contact.as_deref()
    }

    /// Sets our Contact URI (for the next target-refresh request).
    pub fn set_local_contact(&mut self, uri: &str) {
        self.local_contact = Some(uri.to_owned());
    }

    /// The route set, each entry `<URI>;params`, in the order our requests visit them.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// `true` when the dialog was created with a SIPS Request-URI.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Ends the dialog; no more requests are built in it.
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// A response the UAC received in this dialog (RFC 3261 §12.1.2, §12.2.1.2,
    /// §13.2.2.4, §15): a 2xx to INVITE confirms an early dialog (route set recomputed,
    /// remote target refreshed from Contact), a 2xx to a re-INVITE or UPDATE refreshes the
    /// target, a final non-2xx to the creating INVITE ends an early dialog, 481 and 408
    /// end the dialog, and a final response to BYE ends it. A response of another dialog
    /// is an error.
    pub fn on_response(&mut self, response: &Message) -> Result<(), Error> {
        let code = response
            .status_code()
            .ok_or_else(|| dialog_error("not a response"))?;
        if DialogId::of_incoming(response)? != self.id {
            return Err(dialog_error("the response belongs to another dialog"));
        }
        let cseq = response.cseq()?;
        let method = cseq.method;
        if code < 200 {
            return Ok(());
        }
        if matches!(code, 408 | 481) || method == "BYE" {
            self.state = DialogState::Terminated;
            return Ok(());
        }
        if (200..300).contains(&code) {
            if method == "INVITE" && self.state == DialogState::Early && self.role == Role::Uac {
                let mut routes = record_route_set(response)?;
                routes.reverse();
                self.route_set = routes;
                self.state = DialogState::Confirmed;
            }
            if request::is_target_refresh(method)
                && let Some(target) = contact_uri(response)?
            {
                self.remote_target = target;
            }
        } else if method == "INVITE" && self.state == DialogState::Early && Some(cseq.seq) == self.invite_seq
        {
            self.state = DialogState::Terminated;
        }
        Ok(())
    }

    /// A response the UAS sends to the dialog-creating INVITE: 2xx confirms the early
    /// dialog, a final non-2xx ends it.
    pub fn on_sent_response(&mut self, response: &Message) -> Result<(), Error> {
        let code = response
            .status_code()
            .ok_or_else(|| dialog_error("not a response"))?;
        if self.state == DialogState::Early {
            if (200..300).contains(&code) {
                self.state = DialogState::Confirmed;
            } else if code >= 300 {
                self.state = DialogState::Terminated;
            }
        }
        Ok(())
    }
}
