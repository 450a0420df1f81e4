//! SIP and media events turned into call-control inputs.

use std::time::Instant;

use bytes::Bytes;
use cc_core::{ContactId, DtmfDigit, OfferOutcome};
use cc_media::engine::{SessionConfig, SessionEvent};
use cc_sip::ua::{LegId, UaEvent};

use super::lines::{Line, Role};
use super::{Runtime, media};
use crate::sip_text::{uri_of, user_of};

impl Runtime {
    pub(super) async fn on_sip(&mut self, event: UaEvent) {
        let now = Instant::now();
        if self.on_trunk_event(&event) {
            return;
        }
        match event {
            UaEvent::IncomingCall {
                leg,
                request_uri,
                from,
                sdp,
                ..
            } => self.on_incoming(now, leg, &request_uri, &from, sdp).await,
            UaEvent::Answered { leg, sdp } => self.on_answered(now, leg, sdp).await,
            UaEvent::Failed { leg, code, .. } => self.on_failed(now, leg, code).await,
            UaEvent::Ended { leg, .. } => self.on_ended(now, leg).await,
            UaEvent::ReInvite { leg, sdp } => self.on_reinvite(leg, sdp).await,
            UaEvent::Dtmf { leg, digit } => {
                if let Some((contact, Role::Caller)) = self.legs.get(&leg).cloned()
                    && let Some(d) = DtmfDigit::from_char(digit).ok()
                {
                    self.control.caller_digit(now, &contact, d);
                }
            }
            UaEvent::Refer {
                leg,
                target,
                replaces,
                ..
            } => self.on_refer(now, leg, &target, replaces.is_some()).await,
            UaEvent::Registered { aor, contact } => {
                tracing::info!(%aor, %contact, "phone registered");
                self.publisher
                    .publish(None, super::events::EventKind::Registered { aor, contact });
            }
            UaEvent::Unregistered { aor, contact } => {
                tracing::info!(%aor, %contact, "phone unregistered");
            }
            _ => {}
        }
    }

    async fn on_incoming(
        &mut self,
        now: Instant,
        leg: LegId,
        request_uri: &str,
        from: &str,
        sdp: Option<Bytes>,
    ) {
        if self.stopping.is_some() {
            let _ = self.sip.reject(leg, 503, "Service Unavailable").await;
            return;
        }
        let Some(offer) = sdp else {
            let _ = self.sip.reject(leg, 488, "Not Acceptable Here").await;
            return;
        };
        let session = SessionConfig {
            inband_dtmf: self.config.rtp.inband_dtmf,
            ..SessionConfig::default()
        };
        let media = match self.media.open_session(session) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "no media for an incoming call");
                let _ = self.sip.reject(leg, 503, "Service Unavailable").await;
                return;
            }
        };
        let id = self.next_session_id();
        let (answer, negotiated) = match media::answer_offer(&offer, media.local_rtp_addr(), id) {
            Ok(x) => x,
            Err(reason) => {
                tracing::info!(%reason, "incoming SDP refused");
                drop(media.close());
                let _ = self.sip.reject(leg, 488, "Not Acceptable Here").await;
                return;
            }
        };
        if let Err(e) = media.set_remote(negotiated.remote, negotiated.format) {
            tracing::warn!(error = %e, "cannot set the caller's media");
        }
        let did = user_of(request_uri);
        let caller_uri = uri_of(from);
        match self.control.incoming(now, did, caller_uri) {
            Ok(contact) => {
                self.forward_events(&contact, Role::Caller, &media);
                self.legs.insert(leg, (contact.clone(), Role::Caller));
                self.lines.insert(
                    contact,
                    Line {
                        caller: Some(leg),
                        caller_media: Some(media),
                        caller_user: user_of(from).to_owned(),
                        answer_sdp: Some(answer),
                        prompt_pending: false,
                        agent: None,
                        outside: None,
                        supervision: None,
                        recording: None,
                        voicemail: None,
                        quality: Vec::new(),
                    },
                );
            }
            Err(refusal) => {
                drop(media.close());
                let _ = self.sip.reject(leg, refusal.code, &refusal.reason).await;
            }
        }
    }

    async fn on_answered(&mut self, now: Instant, leg: LegId, sdp: Option<Bytes>) {
        let Some((contact, role)) = self.legs.get(&leg).cloned() else {
            // A leg we no longer want answered after all (a cancel crossed the 200).
            let _ = self.sip.hangup(leg).await;
            return;
        };
        if let Role::Supervisor(_) = role {
            self.supervisor_answered(now, &contact, sdp).await;
            return;
        }
        let Some(line) = self.lines.get_mut(&contact) else {
            return;
        };
        let peer = match &role {
            Role::Agent(_) => line.agent.as_mut().map(|(_, p)| p),
            Role::Outside | Role::Customer => line.outside.as_mut().map(|(_, p)| p),
            Role::Caller | Role::Supervisor(_) => None,
        };
        if let Some(peer) = peer {
            peer.answered = true;
            match sdp.as_deref().map(|a| media::read_answer(&peer.offer, a)) {
                Some(Ok(n)) => {
                    if let Err(e) = peer.media.set_remote(n.remote, n.format) {
                        tracing::warn!(error = %e, %contact, "cannot set the answered leg's media");
                    }
                }
                Some(Err(reason)) => tracing::warn!(%reason, %contact, "unusable SDP answer"),
                None => tracing::warn!(%contact, "answer without SDP"),
            }
        }
        match role {
            Role::Agent(agent) => self.control.agent_answered(now, &contact, &agent),
            Role::Outside => {
                if let (Some(a), Some((_, b))) = (&line.caller_media, &line.outside) {
                    let _ = a.stop_play();
                    if let Err(e) = self.media.bridge(a, &b.media).await {
                        tracing::warn!(error = %e, %contact, "cannot bridge the transfer");
                    }
                }
                self.control.transfer_result(now, &contact, true);
            }
            Role::Customer => self.control.customer_answered(now, &contact),
            Role::Caller | Role::Supervisor(_) => {}
        }
    }

    async fn on_failed(&mut self, now: Instant, leg: LegId, code: u16) {
        let Some((contact, role)) = self.legs.get(&leg).cloned() else {
            return;
        };
        if let Role::Supervisor(_) = role {
            self.end_supervision(now, &contact, &code.to_string(), false)
                .await;
            return;
        }
        self.legs.remove(&leg);
        let Some(line) = self.lines.get_mut(&contact) else {
            return;
        };
        match role {
            Role::Agent(agent) => {
                if let Some((_, peer)) = line.agent.take_if(|(a, _)| a == &agent) {
                    drop(peer.media.close());
                }
                let outcome = match code {
                    486 | 600 | 603 => OfferOutcome::Rejected,
                    408 | 480 | 487 => OfferOutcome::NoAnswer,
                    _ => OfferOutcome::Failed,
                };
                self.control.agent_failed(now, &contact, &agent, outcome);
            }
            Role::Outside => {
                if let Some((_, peer)) = line.outside.take() {
                    drop(peer.media.close());
                }
                self.control.transfer_result(now, &contact, false);
            }
            Role::Customer => {
                if let Some((_, peer)) = line.outside.take() {
                    drop(peer.media.close());
                }
                self.control.customer_failed(now, &contact);
            }
            Role::Caller => self.control.caller_hangup(now, &contact),
            Role::Supervisor(_) => {}
        }
    }

    async fn on_ended(&mut self, now: Instant, leg: LegId) {
        let Some((contact, role)) = self.legs.get(&leg).cloned() else {
            return;
        };
        if let Role::Supervisor(_) = role {
            self.end_supervision(now, &contact, "bye", false).await;
            return;
        }
        if matches!(role, Role::Agent(_)) {
            // The supervisor leaves with the agent.
            self.end_supervision(now, &contact, "agent left", true).await;
        }
        self.legs.remove(&leg);
        let Some(line) = self.lines.get_mut(&contact) else {
            return;
        };
        match role {
            Role::Caller => {
                line.caller = None;
                self.control.caller_hangup(now, &contact);
            }
            Role::Agent(agent) => {
                let answered = line
                    .agent
                    .as_ref()
                    .is_some_and(|(a, p)| a == &agent && p.answered);
                if answered {
                    // The conversation is over: the recording ends with it.
                    self.stop_recording(&contact).await;
                    if let Some(line) = self.lines.get_mut(&contact)
                        && let Some((_, peer)) = line.agent.take()
                    {
                        let _ = self.media.unbridge(&peer.media).await;
                        line.close_keeping_quality(peer.media).await;
                    }
                    self.control.agent_hangup(now, &contact);
                } else {
                    if let Some((_, peer)) = line.agent.take_if(|(a, _)| a == &agent) {
                        drop(peer.media.close());
                    }
                    self.control
                        .agent_failed(now, &contact, &agent, OfferOutcome::Failed);
                }
            }
            // The far side of a transfer or a callback hung up: the contact is over.
            Role::Outside | Role::Customer => {
                if let Some((_, peer)) = line.outside.take() {
                    drop(peer.media.close());
                }
                self.control.caller_hangup(now, &contact);
            }
            Role::Supervisor(_) => {}
        }
    }

    /// A phone's REFER: an agent's blind transfer of the customer. Accepted transfers are
    /// notified `200 OK` at once (the center carries them out as the transferee), others
    /// `603 Declined` (attended transfers, REFERs of callers, targets the center cannot
    /// dial).
    async fn on_refer(&mut self, now: Instant, leg: LegId, target: &str, attended: bool) {
        let verdict = match self.legs.get(&leg).cloned() {
            Some((contact, Role::Agent(agent))) if !attended => {
                let to = self.transfer_target(target);
                self.control
                    .agent_transfer(now, &contact, &agent, &to)
                    .map_err(|e| e.to_string())
                    .inspect(|()| tracing::info!(%contact, %agent, %to, "agent transferred the customer"))
            }
            Some(_) if attended => Err("attended transfer is not supported yet".to_owned()),
            _ => Err("only an agent may transfer its call".to_owned()),
        };
        let (code, reason) = match &verdict {
            Ok(()) => (200, "OK"),
            Err(why) => {
                tracing::info!(%target, %why, "transfer declined");
                (603, "Declined")
            }
        };
        if let Err(e) = self.sip.refer_progress(leg, code, reason).await {
            tracing::debug!(error = %e, "cannot notify the transfer's progress");
        }
    }

    /// What a Refer-To names: a user part at the center (its domain, a tenant's, or its own
    /// address) is a number to dial over the trunk; anything else is dialled as given.
    fn transfer_target(&self, target: &str) -> String {
        let uri = uri_of(target);
        let Some(rest) = uri.strip_prefix("sip:").or_else(|| uri.strip_prefix("sips:")) else {
            return uri.to_owned();
        };
        let Some((user, host)) = rest.split_once('@') else {
            return uri.to_owned();
        };
        let host = host.split([';', '?']).next().unwrap_or(host);
        let sip = self.sip.local_addr();
        let ours = host.eq_ignore_ascii_case(&self.config.sip.domain)
            || self
                .config
                .tenants
                .iter()
                .any(|t| t.domain.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(host)))
            || host == sip.to_string()
            || host == sip.ip().to_string();
        if ours { user.to_owned() } else { uri.to_owned() }
    }

    /// Hold, resume or a media change: answer from the same media session.
    async fn on_reinvite(&mut self, leg: LegId, sdp: Option<Bytes>) {
        let Some((contact, role)) = self.legs.get(&leg).cloned() else {
            let _ = self.sip.reject(leg, 481, "Call/Transaction Does Not Exist").await;
            return;
        };
        let id = self.next_session_id();
        let media = self.lines.get(&contact).and_then(|line| match role {
            Role::Caller => line.caller_media.as_ref(),
            Role::Agent(_) => line.agent.as_ref().map(|(_, p)| &p.media),
            Role::Outside | Role::Customer => line.outside.as_ref().map(|(_, p)| &p.media),
            Role::Supervisor(_) => line.supervision.as_ref().map(|s| &s.peer.media),
        });
        let Some(media) = media else {
            let _ = self.sip.reject(leg, 481, "Call/Transaction Does Not Exist").await;
            return;
        };
        let Some(offer) = sdp else {
            let _ = self.sip.reject(leg, 488, "Not Acceptable Here").await;
            return;
        };
        match media::answer_offer(&offer, media.local_rtp_addr(), id) {
            Ok((answer, n)) => {
                let _ = media.set_remote(n.remote, n.format);
                let _ = self.sip.answer(leg, Some(answer)).await;
            }
            Err(_) => {
                let _ = self.sip.reject(leg, 488, "Not Acceptable Here").await;
            }
        }
    }

    pub(super) async fn on_media(&mut self, contact: ContactId, role: Role, event: SessionEvent) {
        let now = Instant::now();
        match (role, event) {
            (Role::Caller, SessionEvent::Dtmf { digit, .. }) => {
                self.control.caller_digit(now, &contact, digit);
            }
            (Role::Caller, SessionEvent::PlayFinished { interrupted }) => {
                if let Some(line) = self.lines.get_mut(&contact)
                    && !interrupted
                    && std::mem::take(&mut line.prompt_pending)
                {
                    self.control.play_done(now, &contact);
                }
            }
            (Role::Caller, SessionEvent::RtpTimeout) => {
                tracing::info!(%contact, "no RTP from the caller: ending the call");
                if let Some(leg) = self.lines.get_mut(&contact).and_then(|l| l.caller.take()) {
                    self.legs.remove(&leg);
                    let _ = self.sip.hangup(leg).await;
                }
                self.control.caller_hangup(now, &contact);
            }
            (_, SessionEvent::RecordingFailed { reason }) => {
                tracing::error!(%contact, %reason, "recording failed");
            }
            _ => {}
        }
    }
}
