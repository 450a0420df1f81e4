//! Call transfer on the legs of a [`UserAgent`]: REFER and its NOTIFYs (RFC 3515) and
//! INVITE with Replaces (RFC 3891).
//!
//! - A REFER in a confirmed dialog is answered 202 Accepted, the implicit subscription
//!   gets `NOTIFY` with `SIP/2.0 100 Trying` at once, and the application hears
//!   [`UaEvent::Refer`]; it reports how the referred call goes with
//!   [`UserAgent::refer_progress`] (a NOTIFY each, the final one ending the
//!   subscription). A REFER outside a dialog, or without a usable Refer-To, gets 400
//!   with the reason.
//! - [`UserAgent::refer`] sends REFER in a confirmed dialog (a blind transfer, or an
//!   attended one with [`UserAgent::replaces_for`] embedded); its final response comes
//!   as [`UaEvent::ReferAnswered`], each NOTIFY of its subscription is answered 200 and
//!   reported as [`UaEvent::ReferNotify`] with the sipfrag's status.
//! - An INVITE with Replaces that names a confirmed dialog of ours (Call-ID, our tag as
//!   `to-tag`, the peer's as `from-tag`) comes as [`UaEvent::Replaces`] naming the leg
//!   to hang up, followed by [`UaEvent::IncomingCall`]; no such dialog gives 481,
//!   `early-only` against a confirmed dialog 486, an ended one 603.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::{LegId, LegState, Purpose, UaEvent, UserAgent, state_error, unknown};
use crate::dialog::DialogId;
use crate::error::Error;
use crate::headers::{SubState, refer_to_value};
use crate::message::Message;
use crate::sipfrag::{self, StatusFrag};
use crate::transaction::TransactionId;

/// How long the implicit subscription of a REFER lasts, in seconds (RFC 3515 leaves it
/// to the notifier; the final NOTIFY ends it anyway).
const REFER_EXPIRES: u32 = 60;

/// The implicit subscription of a peer's REFER that we notify.
#[derive(Debug)]
pub(super) struct ReferSub {
    /// The REFER's CSeq number, the `id` of our NOTIFYs' Event.
    id: u32,
    /// When the subscription ends without a final status (a NOTIFY with
    /// `terminated;reason=timeout` then goes).
    pub(super) expires: Instant,
    /// The last status notified.
    last: (u16, String),
}

/// What an INVITE's Replaces header found.
pub(super) enum ReplacesMatch {
    /// No Replaces header.
    None,
    /// It names this leg.
    Leg(LegId),
    /// Refuse the INVITE with this code and reason.
    Refuse(u16, &'static str),
}

impl UserAgent {
    /// Sends REFER on confirmed leg `leg`: the peer is asked to call `target` (a URI
    /// without headers), replacing the dialog `replaces` (a Replaces value such as
    /// [`UserAgent::replaces_for`] gives) when set. `Referred-By` is our URI in the
    /// dialog. The answer comes as [`UaEvent::ReferAnswered`], progress as
    /// [`UaEvent::ReferNotify`].
    pub fn refer(
        &mut self,
        now: Instant,
        leg: LegId,
        target: &str,
        replaces: Option<&str>,
    ) -> Result<(), Error> {
        let l = self.legs.get(&leg).ok_or_else(|| unknown(leg))?;
        if l.state != LegState::Confirmed {
            return Err(state_error(leg, "send REFER", "the leg is not confirmed"));
        }
        if target.contains(['<', '>', '?']) || target.trim().is_empty() {
            return Err(state_error(
                leg,
                "send REFER",
                "the target must be a URI without angle brackets or headers",
            ));
        }
        let referred_by = l
            .dialog
            .as_ref()
            .and_then(|d| self.dialogs.get(d))
            .map(|d| format!("<{}>", d.local_uri()));
        let transport = l.transport;
        let mut headers = vec![("Refer-To", refer_to_value(target, replaces))];
        if let Some(by) = referred_by {
            headers.push(("Referred-By", by));
        }
        let tx = self.in_dialog_request(now, leg, "REFER", &headers, Bytes::new(), transport)?;
        self.by_tx.insert(tx, (leg, Purpose::Refer));
        self.process(now);
        Ok(())
    }

    /// Reports how the call asked for by the peer's REFER on `leg` goes: a NOTIFY with
    /// `SIP/2.0 <code> <reason>`; a final `code` (200 to 699) ends the subscription
    /// (`Subscription-State: terminated;reason=noresource`).
    pub fn refer_progress(&mut self, now: Instant, leg: LegId, code: u16, reason: &str) -> Result<(), Error> {
        if !(100..=699).contains(&code) {
            return Err(state_error(leg, "send NOTIFY", "the code must be 100 to 699"));
        }
        let l = self.legs.get(&leg).ok_or_else(|| unknown(leg))?;
        let Some(id) = l.refer_in.as_ref().map(|r| r.id) else {
            return Err(state_error(
                leg,
                "send NOTIFY",
                "no REFER of the peer is in progress",
            ));
        };
        if l.state != LegState::Confirmed {
            return Err(state_error(leg, "send NOTIFY", "the leg is not confirmed"));
        }
        let state = if code >= 200 {
            "terminated;reason=noresource".to_owned()
        } else {
            format!("active;expires={REFER_EXPIRES}")
        };
        self.send_refer_notify(now, leg, id, (code, reason), state)?;
        if let Some(l) = self.legs.get_mut(&leg) {
            if code >= 200 {
                l.refer_in = None;
            } else if let Some(sub) = &mut l.refer_in {
                sub.last = (code, reason.to_owned());
            }
        }
        self.process(now);
        Ok(())
    }

    /// The Replaces value that names leg `leg`'s dialog for its peer (RFC 3891: the
    /// peer's tag as `to-tag`, ours as `from-tag`), for an attended transfer's REFER.
    pub fn replaces_for(&self, leg: LegId) -> Option<String> {
        let did = self.legs.get(&leg)?.dialog.as_ref()?;
        Some(format!(
            "{};to-tag={};from-tag={}",
            did.call_id, did.remote_tag, did.local_tag
        ))
    }

    fn send_refer_notify(
        &mut self,
        now: Instant,
        leg: LegId,
        id: u32,
        (code, reason): (u16, &str),
        state: String,
    ) -> Result<(), Error> {
        let transport = self.legs.get(&leg).ok_or_else(|| unknown(leg))?.transport;
        let headers = [
            ("Event", format!("refer;id={id}")),
            ("Subscription-State", state),
            ("Content-Type", sipfrag::CONTENT_TYPE.to_owned()),
        ];
        let body = Bytes::from(sipfrag::status_body(code, reason));
        let tx = self.in_dialog_request(now, leg, "NOTIFY", &headers, body, transport)?;
        self.by_tx.insert(tx, (leg, Purpose::Notify));
        Ok(())
    }

    /// A REFER in the dialog of `leg`.
    pub(super) fn on_refer(
        &mut self,
        now: Instant,
        tx: TransactionId,
        leg: LegId,
        request: &Message,
        remote: SocketAddr,
    ) {
        let refer = match request.refer() {
            Ok(Some(r)) => r,
            Ok(None) => {
                self.respond(now, tx, request, 400, "Missing Refer-To", remote);
                return;
            }
            Err(_) => {
                self.respond(now, tx, request, 400, "Bad Refer-To", remote);
                return;
            }
        };
        let Ok(referred_by) = request.referred_by() else {
            self.respond(now, tx, request, 400, "Bad Referred-By", remote);
            return;
        };
        let Some(l) = self.legs.get(&leg) else { return };
        if l.state != LegState::Confirmed {
            self.respond(now, tx, request, 481, "Call/Transaction Does Not Exist", remote);
            return;
        }
        let (tag, peer) = (l.local_tag.clone(), (l.transport, l.remote));
        let Ok(response) = self.response_for(request, 202, "Accepted", &tag, peer, None) else {
            return;
        };
        let _ = self.tx.send_response(now, tx, &response);
        let id = request.cseq().map(|c| c.seq).unwrap_or_default();
        let event = UaEvent::Refer {
            leg,
            target: refer.target().to_owned(),
            replaces: refer.replaces().ok().flatten(),
            referred_by: referred_by.map(|b| b.uri.as_str().to_owned()),
        };
        if let Some(l) = self.legs.get_mut(&leg) {
            l.refer_in = Some(ReferSub {
                id,
                expires: now + std::time::Duration::from_secs(u64::from(REFER_EXPIRES)),
                last: (100, "Trying".to_owned()),
            });
        }
        // RFC 3515 §2.4.4: the first NOTIFY goes at once.
        let state = format!("active;expires={REFER_EXPIRES}");
        let _ = self.send_refer_notify(now, leg, id, (100, "Trying"), state);
        self.reschedule(leg);
        self.events.push_back(event);
    }

    /// A NOTIFY in the dialog of `leg`: 200 and [`UaEvent::ReferNotify`] for the refer
    /// package, 489 for another package, 400 for a broken one.
    pub(super) fn on_notify(
        &mut self,
        now: Instant,
        tx: TransactionId,
        leg: LegId,
        request: &Message,
        remote: SocketAddr,
    ) {
        let event = request.event();
        let is_refer = matches!(&event, Ok(Some(e)) if e.is_refer());
        if !is_refer {
            let (code, reason) = match event {
                Ok(Some(_)) => (489, "Bad Event"),
                _ => (400, "Missing Or Bad Event"),
            };
            self.respond_with(
                now,
                tx,
                request,
                (code, reason),
                remote,
                &[("Allow-Events", "refer")],
            );
            return;
        }
        let Ok(Some(state)) = request.subscription_state() else {
            self.respond(now, tx, request, 400, "Missing Or Bad Subscription-State", remote);
            return;
        };
        let terminated = state.state == SubState::Terminated;
        let Ok(frag) = StatusFrag::parse(request.body()) else {
            self.respond(now, tx, request, 400, "Bad sipfrag Body", remote);
            return;
        };
        let frag = (frag.code, frag.reason.to_owned());
        let Some(l) = self.legs.get(&leg) else { return };
        let (tag, peer) = (l.local_tag.clone(), (l.transport, l.remote));
        if let Ok(response) = self.response_for(request, 200, "OK", &tag, peer, None) {
            let _ = self.tx.send_response(now, tx, &response);
        }
        self.events.push_back(UaEvent::ReferNotify {
            leg,
            code: frag.0,
            reason: frag.1,
            terminated,
        });
    }

    /// The subscription of the peer's REFER on `leg` expires at `now` without a final
    /// status: a last NOTIFY (`terminated;reason=timeout`, the last status) ends it.
    pub(super) fn refer_timers(&mut self, now: Instant, leg: LegId) {
        let Some(l) = self.legs.get_mut(&leg) else { return };
        if l.refer_in.as_ref().is_none_or(|r| r.expires > now) {
            return;
        }
        let Some(sub) = l.refer_in.take() else { return };
        let live = l.state == LegState::Confirmed;
        if live {
            let (code, reason) = (sub.last.0, sub.last.1.as_str());
            let _ = self.send_refer_notify(
                now,
                leg,
                sub.id,
                (code, reason),
                "terminated;reason=timeout".to_owned(),
            );
        }
    }

    /// The final response to our REFER on `leg`.
    pub(super) fn on_refer_response(&mut self, leg: LegId, code: u16) {
        if code >= 200 {
            self.events.push_back(UaEvent::ReferAnswered { leg, code });
        }
    }

    /// Matches the Replaces header of a new INVITE against our dialogs.
    pub(super) fn match_replaces(&self, request: &Message) -> ReplacesMatch {
        let replaces = match request.replaces() {
            Ok(Some(r)) => r,
            Ok(None) => return ReplacesMatch::None,
            Err(_) => return ReplacesMatch::Refuse(400, "Bad Replaces"),
        };
        let did = DialogId {
            call_id: replaces.call_id.to_owned(),
            local_tag: replaces.to_tag.to_owned(),
            remote_tag: replaces.from_tag.to_owned(),
        };
        let Some((&id, leg)) = self
            .by_dialog
            .get(&did)
            .and_then(|id| self.legs.get_key_value(id))
        else {
            return ReplacesMatch::Refuse(481, "Call/Transaction Does Not Exist");
        };
        match leg.state {
            LegState::Ended | LegState::Cancelling => ReplacesMatch::Refuse(603, "Declined"),
            LegState::Confirmed | LegState::Answered if replaces.early_only => {
                ReplacesMatch::Refuse(486, "Busy Here")
            }
            LegState::Confirmed | LegState::Answered => ReplacesMatch::Leg(id),
            // An early dialog is replaced only where we sent its INVITE (RFC 3891 §3).
            LegState::Calling | LegState::Early if leg.uac => ReplacesMatch::Leg(id),
            LegState::Calling | LegState::Early => {
                ReplacesMatch::Refuse(481, "Call/Transaction Does Not Exist")
            }
        }
    }
}
