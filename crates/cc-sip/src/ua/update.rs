//! Offer/answer in UPDATE (RFC 3311) on the legs of a [`UserAgent`].
//!
//! - [`UserAgent::update`] sends an SDP offer in UPDATE, in an early or a confirmed
//!   dialog; the answer comes as [`UaEvent::UpdateAnswered`].
//! - An UPDATE with an offer comes as [`UaEvent::Update`]; the application answers it
//!   with [`UserAgent::answer`] (a 200 with the SDP answer) or refuses it with
//!   [`UserAgent::reject`]. An UPDATE without a body is answered by the agent (a session
//!   refresh, RFC 4028).
//! - One offer at a time per leg (RFC 3311 §5.2): an offer that crosses one of ours
//!   gets 491; one that arrives while the peer's previous offer is unanswered gets 500
//!   with Retry-After.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::{LegId, LegState, Purpose, UaEvent, UserAgent, sdp_of, state_error, unknown};
use crate::error::Error;
use crate::message::Message;
use crate::transaction::TransactionId;

impl UserAgent {
    /// Sends UPDATE with the SDP offer `sdp` on a leg in an early or confirmed dialog.
    /// The answer comes as [`UaEvent::UpdateAnswered`].
    pub fn update(&mut self, now: Instant, leg: LegId, sdp: Bytes) -> Result<(), Error> {
        let l = self.legs.get(&leg).ok_or_else(|| unknown(leg))?;
        if !matches!(
            l.state,
            LegState::Early | LegState::Answered | LegState::Confirmed
        ) || l.dialog.is_none()
        {
            return Err(state_error(
                leg,
                "send UPDATE",
                "the leg has no early or confirmed dialog",
            ));
        }
        if l.update_tx.is_some()
            || l.reinvite_tx.is_some()
            || l.pending_update.is_some()
            || l.pending_reinvite.is_some()
        {
            return Err(state_error(
                leg,
                "send UPDATE",
                "another offer is in progress (RFC 3311 §5.1)",
            ));
        }
        let transport = l.transport;
        let headers = [("Content-Type", "application/sdp".to_owned())];
        let tx = self.in_dialog_request(now, leg, "UPDATE", &headers, sdp.clone(), transport)?;
        self.by_tx.insert(tx, (leg, Purpose::Update));
        if let Some(l) = self.legs.get_mut(&leg) {
            l.update_tx = Some(tx);
            l.local_sdp = Some(sdp);
        }
        self.process(now);
        Ok(())
    }

    /// An UPDATE with a body on leg `leg`: glare checks, then [`UaEvent::Update`].
    /// Returns `false` when the UPDATE has no body (the caller answers it as a refresh).
    pub(super) fn on_update_offer(
        &mut self,
        now: Instant,
        tx: TransactionId,
        leg: LegId,
        request: &Message,
        remote: SocketAddr,
    ) -> bool {
        let Some(sdp) = sdp_of(request) else {
            return false;
        };
        let Some(l) = self.legs.get_mut(&leg) else {
            return true;
        };
        if l.update_tx.is_some() || l.reinvite_tx.is_some() {
            self.respond(now, tx, request, 491, "Request Pending", remote);
            return true;
        }
        if l.pending_update.is_some() || l.pending_reinvite.is_some() {
            let retry = self.config.transaction.retry_after.to_string();
            self.respond_with(
                now,
                tx,
                request,
                (500, "Server Internal Error"),
                remote,
                &[("Retry-After", &retry)],
            );
            return true;
        }
        l.pending_update = Some((tx, request.clone()));
        self.events.push_back(UaEvent::Update { leg, sdp });
        true
    }

    /// Answers the peer's pending UPDATE offer on `leg` with 200 and `sdp`; `false` when
    /// none is pending.
    pub(super) fn answer_update(
        &mut self,
        now: Instant,
        leg: LegId,
        sdp: Option<&Bytes>,
    ) -> Result<bool, Error> {
        let min_se = self.config.session_timer.min_se();
        let Some(l) = self.legs.get_mut(&leg) else {
            return Ok(false);
        };
        let Some((tx, request)) = l.pending_update.take() else {
            return Ok(false);
        };
        let timer = Self::session_refreshed(min_se, now, l, &request);
        l.remote_sdp = sdp_of(&request);
        if let Some(sdp) = sdp {
            l.local_sdp = Some(sdp.clone());
        }
        let (tag, peer) = (l.local_tag.clone(), (l.transport, l.remote));
        let extra: Vec<(&str, &str)> = timer.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = self.response_for_with(&request, (200, "OK"), &tag, peer, sdp, &extra)?;
        self.tx.send_response(now, tx, &response)?;
        self.reschedule(leg);
        self.process(now);
        Ok(true)
    }

    /// Refuses the peer's pending UPDATE offer on `leg` with `code`; `false` when none is
    /// pending.
    pub(super) fn reject_update(
        &mut self,
        now: Instant,
        leg: LegId,
        code: u16,
        reason: &str,
    ) -> Result<bool, Error> {
        let Some(l) = self.legs.get_mut(&leg) else {
            return Ok(false);
        };
        let Some((tx, request)) = l.pending_update.take() else {
            return Ok(false);
        };
        let (tag, peer) = (l.local_tag.clone(), (l.transport, l.remote));
        let response = self.response_for(&request, code, reason, &tag, peer, None)?;
        self.tx.send_response(now, tx, &response)?;
        self.process(now);
        Ok(true)
    }

    /// A response to our UPDATE `tx` on `leg`.
    pub(super) fn on_update_response(
        &mut self,
        now: Instant,
        leg: LegId,
        tx: TransactionId,
        code: u16,
        response: &Message,
    ) {
        if let Some(d) = self
            .legs
            .get(&leg)
            .and_then(|l| l.dialog.as_ref())
            .and_then(|d| self.dialogs.get_mut(d))
        {
            let _ = d.on_response(response);
        }
        if code < 200 {
            return;
        }
        let Some(l) = self.legs.get_mut(&leg) else { return };
        if l.update_tx != Some(tx) {
            return;
        }
        l.update_tx = None;
        let sdp = sdp_of(response);
        if (200..300).contains(&code) {
            if sdp.is_some() {
                l.remote_sdp.clone_from(&sdp);
            }
            Self::session_confirmed(now, l, response);
        }
        self.events.push_back(UaEvent::UpdateAnswered { leg, code, sdp });
        self.reschedule(leg);
    }

    /// Our UPDATE `tx` on `leg` got no answer (timeout or transport error).
    pub(super) fn on_update_failure(&mut self, leg: LegId, tx: TransactionId, code: u16) {
        let Some(l) = self.legs.get_mut(&leg) else { return };
        if l.update_tx == Some(tx) {
            l.update_tx = None;
            self.events
                .push_back(UaEvent::UpdateAnswered { leg, code, sdp: None });
        }
    }
}
