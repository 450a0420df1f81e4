//! Session timers (RFC 4028) on the legs of a [`UserAgent`].
//!
//! - Our INVITEs say `Supported: timer` and offer `Session-Expires` (and `Min-SE`) from
//!   [`SessionTimerConfig`]; a 422 is answered once by sending the INVITE again with the
//!   larger interval the 422's `Min-SE` asks for.
//! - An incoming INVITE (or refresh) whose `Session-Expires` is below our `Min-SE` gets
//!   422 with our `Min-SE`; otherwise our 2xx carries `Session-Expires` with the
//!   `refresher` (and `Require: timer` when the caller supports timers).
//! - The refresher sends a refresh at half the interval: UPDATE without a body when the
//!   peer allows UPDATE, else a re-INVITE with our last SDP. The other side, when no
//!   refresh comes by `interval - min(32, interval / 3)`, sends BYE and reports
//!   [`UaEvent::Ended`](super::UaEvent::Ended) with [`EndCause::SessionExpired`].
//! - A re-INVITE with `Session-Expires` whose SDP is the peer's last SDP unchanged is a
//!   refresh: the agent answers it with our last SDP and reports nothing; so is an
//!   UPDATE without a body. Any 2xx exchanged for a re-INVITE or UPDATE restarts the
//!   timer, with the interval and refresher its `Session-Expires` names.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{EndCause, Leg, Purpose, UserAgent, sdp_of};
use crate::headers::{HeaderName, Refresher};
use crate::message::Message;
use crate::transaction::TransactionId;

/// The smallest session interval RFC 4028 §4 allows, in seconds.
pub const MIN_SE_FLOOR: u32 = 90;

/// The session-timer settings of a [`UserAgent`] (RFC 4028).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// The `Session-Expires` our INVITEs offer, in seconds (raised to `min_se` when
    /// smaller); `None` offers none (an incoming session timer is still honoured).
    pub session_expires: Option<u32>,
    /// The smallest interval we accept: a request below it gets 422 with this `Min-SE`.
    /// Values below 90 (RFC 4028's floor) count as 90.
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    /// 1800 s offered, 90 s accepted.
    fn default() -> Self {
        Self {
            session_expires: Some(1800),
            min_se: MIN_SE_FLOOR,
        }
    }
}

impl SessionTimerConfig {
    /// Our effective Min-SE.
    pub fn min_se(&self) -> u32 {
        self.min_se.max(MIN_SE_FLOOR)
    }

    /// The interval our INVITEs offer, if any.
    pub fn offer(&self) -> Option<u32> {
        self.session_expires.map(|s| s.max(self.min_se()))
    }
}

/// The session timer of one leg.
#[derive(Debug, Default)]
pub(super) struct Session {
    /// The interval in seconds and whether we refresh; set once negotiated (an incoming
    /// leg: when the INVITE is accepted; running from our 2xx).
    pub(super) agreed: Option<(u32, bool)>,
    /// The peer listed `timer` in Supported or Require.
    pub(super) peer_supports: bool,
    /// The peer allows UPDATE: refreshes go as UPDATE.
    pub(super) update: bool,
    /// When we send the next refresh (we refresh).
    pub(super) refresh_at: Option<Instant>,
    /// When the session expires without a refresh.
    pub(super) expires_at: Option<Instant>,
    /// Our refresh in progress.
    pub(super) refresh_tx: Option<TransactionId>,
    /// Outgoing: the INVITE was sent again after a 422 (once only).
    pub(super) retried_422: bool,
}

impl Session {
    /// The earliest deadline of the timer.
    pub(super) fn next(&self) -> Option<Instant> {
        [self.refresh_at, self.expires_at].into_iter().flatten().min()
    }

    /// Starts (or restarts) the timer at `now`.
    fn start(&mut self, now: Instant) {
        let Some((interval, we_refresh)) = self.agreed else {
            return;
        };
        let secs = u64::from(interval);
        if we_refresh {
            // Checked: an interval of years (up to u32::MAX s) sets no deadline rather
            // than overflow the clock.
            self.refresh_at = now.checked_add(Duration::from_millis(secs * 500));
            self.expires_at = now.checked_add(Duration::from_secs(secs));
        } else {
            self.refresh_at = None;
            self.expires_at = now.checked_add(Duration::from_secs(secs - (secs / 3).min(32)));
        }
    }

    /// Stops the timer (the leg ended).
    pub(super) fn stop(&mut self) {
        self.refresh_at = None;
        self.expires_at = None;
    }

    /// The `Session-Expires` value of a response to a request whose sender is the
    /// refresher when `peer_refreshes`.
    fn response_value(interval: u32, peer_refreshes: bool) -> String {
        let refresher = if peer_refreshes {
            Refresher::Uac
        } else {
            Refresher::Uas
        };
        format!("{interval};refresher={}", refresher.as_str())
    }
}

/// How an incoming request's session timer was judged.
pub(super) enum Verdict {
    /// No Session-Expires.
    None,
    /// The interval and whether the request's sender refreshes (`None`: it left the
    /// choice to us).
    Accept(u32, Option<bool>),
    /// Answer with this code, reason and headers.
    Refuse(u16, &'static str, Vec<(&'static str, String)>),
}

/// `true` when `request` lists `timer` in Supported or Require.
fn supports_timer(msg: &Message) -> bool {
    msg.supports("timer")
}

/// `true` when `msg` allows UPDATE.
fn allows_update(msg: &Message) -> bool {
    msg.allow()
        .any(|m| m.is_ok_and(|m| m.eq_ignore_ascii_case("UPDATE")))
}

/// Judges the Session-Expires of an incoming INVITE or UPDATE against `min_se`.
fn judge(min_se: u32, request: &Message) -> Verdict {
    let se = match request.session_expires() {
        Ok(Some(se)) => se,
        Ok(None) => return Verdict::None,
        Err(_) => {
            return Verdict::Refuse(400, "Bad Session-Expires", Vec::new());
        }
    };
    if request.min_se().is_err() {
        return Verdict::Refuse(400, "Bad Min-SE", Vec::new());
    }
    if se.delta < min_se {
        return Verdict::Refuse(
            422,
            "Session Interval Too Small",
            vec![("Min-SE", min_se.to_string())],
        );
    }
    Verdict::Accept(se.delta, se.refresher.map(|r| r == Refresher::Uac))
}

impl UserAgent {
    /// Judges the Session-Expires of an incoming INVITE or UPDATE against our Min-SE.
    pub(super) fn judge_session(&self, request: &Message) -> Verdict {
        judge(self.config.session_timer.min_se(), request)
    }

    /// Answers an in-dialog refresh whose Session-Expires is malformed (400) or below our
    /// Min-SE (422 with our Min-SE); `true` when it was answered so.
    pub(super) fn refused_session(
        &mut self,
        now: Instant,
        tx: TransactionId,
        request: &Message,
        remote: std::net::SocketAddr,
    ) -> bool {
        let Verdict::Refuse(code, reason, headers) = self.judge_session(request) else {
            return false;
        };
        let extra: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.respond_with(now, tx, request, (code, reason), remote, &extra);
        true
    }

    /// The headers our INVITEs carry for session timers.
    pub(super) fn session_offer_headers(&self) -> Vec<(&'static str, String)> {
        let min_se = self.config.session_timer.min_se();
        match self.config.session_timer.offer() {
            Some(se) => vec![
                ("Session-Expires", se.max(min_se).to_string()),
                ("Min-SE", min_se.to_string()),
            ],
            None => Vec::new(),
        }
    }

    /// Records the session timer an incoming INVITE asked for on its new leg (accepted
    /// already by [`judge_session`](Self::judge_session)).
    pub(super) fn session_of_invite(request: &Message, verdict: &Verdict) -> Session {
        let peer_supports = supports_timer(request);
        let agreed = match *verdict {
            // The caller refreshes when it says so, or when it supports timers and left
            // the choice to us; a caller without timer support leaves it to us (§9).
            Verdict::Accept(interval, sender) => {
                let caller_refreshes = sender.unwrap_or(peer_supports);
                Some((interval, !caller_refreshes))
            }
            _ => None,
        };
        Session {
            agreed,
            peer_supports,
            update: allows_update(request),
            ..Session::default()
        }
    }

    /// The headers of our 2xx to the INVITE of incoming leg `leg` (Session-Expires with
    /// the refresher, Require: timer when the caller supports it), and the timer started.
    pub(super) fn session_answer(now: Instant, leg: &mut Leg) -> Vec<(&'static str, String)> {
        let Some((interval, we_refresh)) = leg.session.agreed else {
            return Vec::new();
        };
        leg.session.start(now);
        let mut headers = vec![("Session-Expires", Session::response_value(interval, !we_refresh))];
        if leg.session.peer_supports {
            headers.push(("Require", "timer".to_owned()));
        }
        headers
    }

    /// An incoming refresh (re-INVITE or UPDATE, judged acceptable) is being answered
    /// with 2xx on `leg`: the timer follows the request's Session-Expires (or keeps its
    /// interval) and restarts; returns the 2xx's headers.
    pub(super) fn session_refreshed(
        min_se: u32,
        now: Instant,
        leg: &mut Leg,
        request: &Message,
    ) -> Vec<(&'static str, String)> {
        let verdict = judge(min_se, request);
        let session = &mut leg.session;
        if supports_timer(request) {
            session.peer_supports = true;
        }
        session.agreed = match (verdict, session.agreed) {
            // The sender of the refresh refreshes unless it asks us to.
            (Verdict::Accept(interval, sender), _) => Some((interval, !sender.unwrap_or(true))),
            // Without Session-Expires the roles stay as they were.
            (_, agreed) => agreed,
        };
        let Some((interval, we_refresh)) = session.agreed else {
            return Vec::new();
        };
        session.start(now);
        let mut headers = vec![("Session-Expires", Session::response_value(interval, !we_refresh))];
        if session.peer_supports {
            headers.push(("Require", "timer".to_owned()));
        }
        headers
    }

    /// Our INVITE of outgoing leg `id` got a 2xx: the timer runs when it carries
    /// Session-Expires (we refresh unless it names the UAS).
    pub(super) fn session_answered(&mut self, now: Instant, id: super::LegId, response: &Message) {
        let Some(leg) = self.legs.get_mut(&id) else { return };
        leg.session.update = allows_update(response);
        leg.session.peer_supports = supports_timer(response);
        leg.session.agreed = match response.session_expires() {
            // A peer that picks less than RFC 4028's floor gets the floor.
            Ok(Some(se)) => Some((se.delta.max(MIN_SE_FLOOR), se.refresher != Some(Refresher::Uas))),
            _ => None,
        };
        leg.session.start(now);
        self.reschedule(id);
    }

    /// Our INVITE got 422: sends it once more with the interval its Min-SE asks for.
    /// `false` when that was done already (the call then fails with 422).
    pub(super) fn retry_after_422(&mut self, now: Instant, id: super::LegId, response: &Message) -> bool {
        let Some(leg) = self.legs.get(&id) else {
            return false;
        };
        if leg.session.retried_422 {
            return false;
        }
        let asked = response.min_se().ok().flatten().unwrap_or(0);
        let offered = leg.invite.session_expires().ok().flatten().map_or(0, |s| s.delta);
        let interval = asked.max(offered).max(self.config.session_timer.min_se());
        let transport = leg.transport;
        let via = self.via(transport);
        let min_se = interval.to_string();
        let replace = [("Session-Expires", interval.to_string()), ("Min-SE", min_se)];
        let Some(leg) = self.legs.get_mut(&id) else {
            return false;
        };
        let Ok(invite) = reissue_replacing(&leg.invite, &via, &replace) else {
            return false;
        };
        let Ok(tx) = self
            .tx
            .send_request(now, leg.remote, transport.reliable(), invite.clone())
        else {
            return false;
        };
        if let Some(did) = leg.dialog.take() {
            self.dialogs.remove(&did);
            self.by_dialog.remove(&did);
        }
        leg.invite = invite;
        leg.invite_tx = Some(tx);
        leg.session.retried_422 = true;
        leg.state = super::LegState::Calling;
        self.by_tx.insert(tx, (id, Purpose::Invite));
        true
    }

    /// The session timer of leg `id` at `now`: a refresh due is sent, an expired session
    /// is ended with BYE. Returns `true` when the leg ended.
    pub(super) fn session_timers(&mut self, now: Instant, id: super::LegId) -> bool {
        let Some(leg) = self.legs.get_mut(&id) else {
            return false;
        };
        if leg.session.expires_at.is_some_and(|t| t <= now) {
            leg.session.stop();
            let transport = leg.transport;
            let reason = [(
                "Reason",
                "SIP;cause=408;text=\"Session timer expired\"".to_owned(),
            )];
            if let Ok(tx) = self.in_dialog_request(now, id, "BYE", &reason, Bytes::new(), transport) {
                self.by_tx.insert(tx, (id, Purpose::Other));
            }
            self.end_remote(now, id, EndCause::SessionExpired);
            return true;
        }
        if leg.session.refresh_at.is_none_or(|t| t > now) {
            return false;
        }
        leg.session.refresh_at = None;
        let busy = leg.session.refresh_tx.is_some();
        let Some((interval, _)) = leg.session.agreed else {
            return false;
        };
        let (transport, update) = (leg.transport, leg.session.update);
        let reinvite_busy = leg.reinvite_tx.is_some() || leg.pending_reinvite.is_some();
        if busy || (!update && reinvite_busy) {
            // Try again shortly; the expiry stays as it was.
            leg.session.refresh_at = Some(now + Duration::from_secs(2));
            return false;
        }
        let headers = [
            ("Session-Expires", format!("{interval};refresher=uac")),
            ("Supported", "timer".to_owned()),
        ];
        let sent = if update {
            self.in_dialog_request(now, id, "UPDATE", &headers, Bytes::new(), transport)
        } else {
            let sdp = leg.local_sdp.clone();
            let mut headers = headers.to_vec();
            headers.push(("Allow", super::ALLOW.to_owned()));
            if sdp.is_some() {
                headers.push(("Content-Type", "application/sdp".to_owned()));
            }
            self.in_dialog_request(now, id, "INVITE", &headers, sdp.unwrap_or_default(), transport)
        };
        if let Ok(tx) = sent {
            self.by_tx.insert(tx, (id, Purpose::Refresh));
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.session.refresh_tx = Some(tx);
                if !update {
                    leg.reinvite_tx = Some(tx);
                }
            }
        }
        false
    }

    /// The final response to our refresh `tx` of leg `id`.
    pub(super) fn on_refresh_response(
        &mut self,
        now: Instant,
        id: super::LegId,
        tx: TransactionId,
        code: u16,
        response: &Message,
    ) {
        if code < 200 {
            return;
        }
        let is_invite = response.cseq().is_ok_and(|c| c.method == "INVITE");
        if is_invite {
            if let Some(leg) = self.legs.get_mut(&id)
                && leg.reinvite_tx == Some(tx)
            {
                // Ours, not the application's: no ReInviteAnswered.
                leg.reinvite_tx = None;
            }
            self.on_reinvite_response(now, id, tx, code, response);
        } else if let Some(d) = self
            .legs
            .get(&id)
            .and_then(|l| l.dialog.as_ref())
            .and_then(|d| self.dialogs.get_mut(d))
        {
            let _ = d.on_response(response);
        }
        let Some(leg) = self.legs.get_mut(&id) else { return };
        if leg.session.refresh_tx != Some(tx) {
            return;
        }
        leg.session.refresh_tx = None;
        match code {
            200..=299 => Self::session_confirmed(now, leg, response),
            422 => {
                // The peer wants a longer interval: take it and refresh again now.
                let asked = response.min_se().ok().flatten().unwrap_or(0);
                if let Some((interval, we)) = leg.session.agreed
                    && asked > interval
                {
                    leg.session.agreed = Some((asked, we));
                    leg.session.refresh_at = Some(now);
                }
            }
            408 | 481 if !is_invite => {
                // RFC 4028 §10 with RFC 3261 §12.2.1.2: the dialog is gone.
                self.send_bye(now, id);
                self.end_remote(now, id, EndCause::Timeout);
            }
            // Another failure: the expiry stays; the session ends then.
            _ => {}
        }
        self.reschedule(id);
    }

    /// A 2xx to a re-INVITE or UPDATE of ours on `leg` (a refresh, or the
    /// application's): the timer, if one runs, follows the 2xx's Session-Expires and
    /// restarts.
    pub(super) fn session_confirmed(now: Instant, leg: &mut Leg, response: &Message) {
        if leg.session.agreed.is_none() {
            return;
        }
        if let Ok(Some(se)) = response.session_expires() {
            let we = se.refresher != Some(Refresher::Uas);
            leg.session.agreed = Some((se.delta.max(MIN_SE_FLOOR), we));
        }
        leg.session.start(now);
    }

    /// An incoming re-INVITE on `leg` is a refresh: a session timer runs, the request
    /// carries Session-Expires and its SDP is the peer's last one unchanged.
    pub(super) fn is_refresh(leg: &Leg, request: &Message) -> bool {
        let sdp = sdp_of(request);
        leg.session.agreed.is_some()
            && request.session_expires().is_ok_and(|s| s.is_some())
            && sdp.is_some()
            && sdp == leg.remote_sdp
            && leg.local_sdp.is_some()
    }
}

/// `request` again with a new top Via, the next CSeq and the headers named in `replace`
/// set to the values given (those not present are added).
fn reissue_replacing(
    request: &Message,
    via: &str,
    replace: &[(&str, String)],
) -> Result<Message, crate::Error> {
    let method = request.method().unwrap_or_default();
    let uri = request.request_uri_str().unwrap_or_default();
    let cseq = request.cseq()?;
    let mut b = Message::request(method, uri).header("Via", via);
    let mut via_skipped = false;
    for h in request.headers() {
        match h.name {
            HeaderName::Via if !via_skipped => via_skipped = true,
            HeaderName::CSeq => b = b.header("CSeq", &format!("{} {}", cseq.seq + 1, cseq.method)),
            HeaderName::ContentLength => {}
            name if replace.iter().any(|(n, _)| HeaderName::from_name(n) == name) => {}
            _ => b = b.header(h.raw_name, h.value),
        }
    }
    for (name, value) in replace {
        b = b.header(name, value);
    }
    b.body(request.body_bytes()).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_non_refresher_gives_up_a_third_early_at_most_32_s() {
        let now = Instant::now();
        let mut s = Session {
            agreed: Some((90, false)),
            ..Session::default()
        };
        s.start(now);
        assert_eq!(s.expires_at, Some(now + Duration::from_secs(60)));
        s.agreed = Some((1800, false));
        s.start(now);
        assert_eq!(s.expires_at, Some(now + Duration::from_secs(1768)));
        s.agreed = Some((1800, true));
        s.start(now);
        assert_eq!(s.refresh_at, Some(now + Duration::from_secs(900)));
        assert_eq!(s.next(), Some(now + Duration::from_secs(900)));
    }

    #[test]
    fn an_interval_of_years_sets_no_deadline_instead_of_overflowing() {
        let now = Instant::now();
        let mut s = Session {
            agreed: Some((u32::MAX, true)),
            ..Session::default()
        };
        s.start(now);
        let mut s = Session {
            agreed: Some((u32::MAX, false)),
            ..Session::default()
        };
        s.start(now);
    }

    #[test]
    fn the_min_se_floor_is_90() {
        let c = SessionTimerConfig {
            session_expires: Some(60),
            min_se: 30,
        };
        assert_eq!((c.min_se(), c.offer()), (90, Some(90)));
    }
}
