//! Supervisors on the wire: their phone is called like an agent's; once it answers, the
//! customer, the agent and the supervisor are mixed in one of the engine's conferences
//! with the supervisor's role (listen-only, whisper to the agent, barge). When the
//! supervisor leaves, the customer and the agent go back to a plain bridge.

use std::time::Instant;

use bytes::Bytes;
use cc_core::{AgentId, ContactId};
use cc_media::engine::ConferenceRole;

use super::lines::{Peer, Role, Supervision};
use super::{Runtime, media};
use crate::control::{AgentTarget, SuperviseMode};

impl Runtime {
    /// The conference role of a supervisor in `mode`, beside the agent session `agent`.
    fn supervisor_role(mode: SuperviseMode, agent: cc_media::engine::SessionId) -> ConferenceRole {
        match mode {
            SuperviseMode::Listen => ConferenceRole::ListenOnly,
            SuperviseMode::Whisper => ConferenceRole::Whisper { to: agent },
            SuperviseMode::Barge => ConferenceRole::Barge,
        }
    }

    /// Rings the supervisor's phone for `contact`.
    pub(super) async fn ring_supervisor(
        &mut self,
        now: Instant,
        contact: ContactId,
        supervisor: AgentId,
        target: AgentTarget,
        mode: SuperviseMode,
    ) {
        let placed = match self.reach(&target).await {
            Some((uri, destination)) => {
                let caller_user = self
                    .lines
                    .get(&contact)
                    .map(|l| l.caller_user.clone())
                    .unwrap_or_default();
                self.place_call(
                    &contact,
                    &uri,
                    destination,
                    &caller_user,
                    Role::Supervisor(supervisor.clone()),
                )
                .await
            }
            None => None,
        };
        match (placed, self.lines.get_mut(&contact)) {
            (Some((leg, media, offer)), Some(line)) => {
                line.supervision = Some(Supervision {
                    peer: Peer {
                        leg,
                        media,
                        offer,
                        answered: false,
                    },
                    mode,
                    conference: None,
                });
            }
            (Some((leg, media, _)), None) => {
                self.legs.remove(&leg);
                let _ = self.sip.hangup(leg).await;
                drop(media.close());
            }
            (None, _) => {
                tracing::info!(%supervisor, %contact, "supervisor's phone is not reachable");
                self.control.supervisor_gone(now, &contact, "unreachable");
            }
        }
    }

    /// The supervisor's phone answered: mix the three.
    pub(super) async fn supervisor_answered(
        &mut self,
        now: Instant,
        contact: &ContactId,
        sdp: Option<Bytes>,
    ) {
        let Some(line) = self.lines.get_mut(contact) else {
            return;
        };
        let (Some(customer), Some((_, agent)), Some(sup)) = (
            line.customer_media().cloned(),
            line.agent.as_ref(),
            line.supervision.as_mut(),
        ) else {
            return;
        };
        sup.peer.answered = true;
        match sdp.as_deref().map(|a| media::read_answer(&sup.peer.offer, a)) {
            Some(Ok(n)) => {
                if let Err(e) = sup.peer.media.set_remote(n.remote, n.format) {
                    tracing::warn!(error = %e, %contact, "cannot set the supervisor's media");
                }
            }
            Some(Err(reason)) => tracing::warn!(%reason, %contact, "unusable SDP answer from the supervisor"),
            None => tracing::warn!(%contact, "supervisor answered without SDP"),
        }
        let conference = self.media.conference();
        let role = Self::supervisor_role(sup.mode, agent.media.id());
        let joined = async {
            conference.join(&customer, ConferenceRole::Normal).await?;
            conference.join(&agent.media, ConferenceRole::Normal).await?;
            conference.join(&sup.peer.media, role).await
        }
        .await;
        match joined {
            Ok(()) => {
                sup.conference = Some(conference);
                let mode = sup.mode;
                self.control.supervisor_answered(now, contact);
                self.publish_supervision(contact, Some(mode));
            }
            Err(e) => {
                tracing::warn!(error = %e, %contact, "cannot mix the supervisor in");
                self.end_supervision(now, contact, "media failed", true).await;
            }
        }
    }

    /// The supervisor already on the call changes mode.
    pub(super) async fn change_supervise_mode(&mut self, contact: &ContactId, mode: SuperviseMode) {
        let Some(line) = self.lines.get_mut(contact) else {
            return;
        };
        let (Some((_, agent)), Some(sup)) = (line.agent.as_ref(), line.supervision.as_mut()) else {
            return;
        };
        sup.mode = mode;
        if let Some(conference) = &sup.conference {
            match conference
                .join(&sup.peer.media, Self::supervisor_role(mode, agent.media.id()))
                .await
            {
                Ok(()) => self.publish_supervision(contact, Some(mode)),
                Err(e) => tracing::warn!(error = %e, %contact, "cannot change the supervisor's mode"),
            }
        }
    }

    /// Ends the supervision of `contact` (hanging up the supervisor's phone when
    /// `hang_up`): the customer and the agent, if both are still there, are bridged again.
    pub(super) async fn end_supervision(
        &mut self,
        now: Instant,
        contact: &ContactId,
        cause: &str,
        hang_up: bool,
    ) {
        let Some(line) = self.lines.get_mut(contact) else {
            return;
        };
        let Some(sup) = line.supervision.take() else {
            return;
        };
        if self.legs.remove(&sup.peer.leg).is_some() && hang_up {
            let _ = self.sip.hangup(sup.peer.leg).await;
        }
        if let Some(conference) = &sup.conference {
            let _ = conference.leave(&sup.peer.media).await;
            let customer = line.customer_media().cloned();
            let agent = line.agent.as_ref().map(|(_, p)| p.media.clone());
            if let Some(m) = &customer {
                let _ = conference.leave(m).await;
            }
            if let Some(m) = &agent {
                let _ = conference.leave(m).await;
            }
            if let (Some(c), Some(a)) = (customer, agent)
                && let Err(e) = self.media.bridge(&c, &a).await
            {
                tracing::warn!(error = %e, %contact, "cannot bridge again after the supervisor left");
            }
        }
        if let Some(line) = self.lines.get_mut(contact) {
            line.close_keeping_quality(sup.peer.media).await;
        }
        if sup.conference.is_some() {
            self.publish_supervision(contact, None);
        }
        self.control.supervisor_gone(now, contact, cause);
    }

    /// A `supervision` event for the contact's tenant: `on` with the mode, or `off`.
    fn publish_supervision(&mut self, contact: &ContactId, mode: Option<SuperviseMode>) {
        let tenant = self.control.tenant_of(contact).map(|t| t.to_string());
        self.publisher.publish(
            tenant,
            super::events::EventKind::Supervision {
                contact: contact.to_string(),
                status: if mode.is_some() { "on" } else { "off" }.to_owned(),
                mode,
            },
        );
    }

    /// Where an agent's (or supervisor's) phone is reached: its registration in any of its
    /// domains, else its fixed contact, or its number over its trunk.
    pub(super) async fn reach(&mut self, target: &AgentTarget) -> Option<(String, std::net::SocketAddr)> {
        let uri: Option<String> = match target {
            AgentTarget::Registered { user, fixed } => {
                let bound = self.registered_contacts(user).await;
                bound.into_iter().next().or_else(|| fixed.clone())
            }
            AgentTarget::Pstn { number, trunk } => self
                .config
                .trunks
                .iter()
                .find(|t| &t.id == trunk)
                .map(|t| format!("sip:{number}@{}", t.host)),
        };
        let uri = crate::sip_text::uri_of(&uri?).to_owned();
        let destination = super::orders::destination_of(&uri)?;
        Some((uri, destination))
    }
}
