//! Supervisors on live calls: listen (hear both, heard by nobody), whisper (coach the
//! agent, unheard by the customer), barge (join the conversation), and force release.
//! A supervisor may act on the calls of the tenants it `supervises` only.

use std::time::Instant;

use cc_core::{AgentId, ContactId, TenantId};
use serde::{Deserialize, Serialize};

use super::call::Phase;
use super::{CallControl, Order};

/// How a supervisor takes part in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuperviseMode {
    /// Hears the customer and the agent; heard by nobody.
    Listen,
    /// Hears both; heard by the agent only.
    Whisper,
    /// Hears both; heard by both.
    Barge,
}

/// Why a supervisor's request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuperviseError {
    /// No such contact is in progress.
    #[error("no contact `{0}` is in progress")]
    NoContact(ContactId),
    /// The contact is not talking to an agent (still in the IVR or queue, or transferred).
    #[error("contact `{0}` is not talking to an agent")]
    NotConnected(ContactId),
    /// The agent supervises no tenant, or not this contact's.
    #[error("`{supervisor}` does not supervise tenant `{tenant}`")]
    NotAllowed {
        /// Who asked.
        supervisor: AgentId,
        /// The contact's tenant.
        tenant: TenantId,
    },
    /// Another supervisor is on the call.
    #[error("contact `{contact}` is supervised by `{by}`")]
    Busy {
        /// The contact.
        contact: ContactId,
        /// The supervisor on it.
        by: AgentId,
    },
    /// A supervisor cannot supervise the call it is taking.
    #[error("`{0}` is the agent of this call")]
    OwnCall(AgentId),
}

impl CallControl {
    pub(super) fn may_supervise(
        &self,
        supervisor: &AgentId,
        contact: &ContactId,
    ) -> Result<(), SuperviseError> {
        let call = self
            .calls
            .get(contact)
            .ok_or_else(|| SuperviseError::NoContact(contact.clone()))?;
        let tenant = &call.record.tenant;
        if !self
            .supervises
            .get(supervisor)
            .is_some_and(|t| t.contains(tenant))
        {
            return Err(SuperviseError::NotAllowed {
                supervisor: supervisor.clone(),
                tenant: tenant.clone(),
            });
        }
        Ok(())
    }

    /// The tenant of a contact in progress.
    pub fn tenant_of(&self, contact: &ContactId) -> Option<TenantId> {
        self.calls.get(contact).map(|c| c.record.tenant.clone())
    }

    /// A supervisor asks to join a connected call as `mode`, or — already on it — to
    /// change mode. The driver rings the supervisor's phone ([`Order::Supervise`]) or
    /// changes its part ([`Order::SuperviseMode`]). The contact record gets a
    /// `supervisor` leg.
    pub fn supervise(
        &mut self,
        now: Instant,
        contact: &ContactId,
        supervisor: &AgentId,
        mode: SuperviseMode,
    ) -> Result<(), SuperviseError> {
        self.may_supervise(supervisor, contact)?;
        let wall = self.wall(now);
        let target = self.seats.get(supervisor).cloned();
        let call = self
            .calls
            .get_mut(contact)
            .ok_or_else(|| SuperviseError::NoContact(contact.clone()))?;
        if call.phase != Phase::Connected {
            return Err(SuperviseError::NotConnected(contact.clone()));
        }
        if call.agent.as_ref() == Some(supervisor) {
            return Err(SuperviseError::OwnCall(supervisor.clone()));
        }
        match &mut call.supervisor {
            Some((by, current)) if by == supervisor => {
                *current = mode;
                self.orders.push_back(Order::SuperviseMode {
                    contact: contact.clone(),
                    mode,
                });
            }
            Some((by, _)) => {
                return Err(SuperviseError::Busy {
                    contact: contact.clone(),
                    by: by.clone(),
                });
            }
            None => {
                let target = target.ok_or_else(|| SuperviseError::NotAllowed {
                    supervisor: supervisor.clone(),
                    tenant: call.record.tenant.clone(),
                })?;
                call.supervisor = Some((supervisor.clone(), mode));
                call.open_leg("supervisor", supervisor.to_string(), wall);
                self.orders.push_back(Order::Supervise {
                    contact: contact.clone(),
                    supervisor: supervisor.clone(),
                    target,
                    mode,
                });
            }
        }
        Ok(())
    }

    /// The supervisor asks to leave the call (their phone is hung up).
    pub fn end_supervision(
        &mut self,
        contact: &ContactId,
        supervisor: &AgentId,
    ) -> Result<(), SuperviseError> {
        self.may_supervise(supervisor, contact)?;
        let on = self
            .calls
            .get(contact)
            .and_then(|c| c.supervisor.as_ref())
            .is_some_and(|(by, _)| by == supervisor);
        if on {
            self.orders.push_back(Order::EndSupervision {
                contact: contact.clone(),
            });
        }
        Ok(())
    }

    /// The supervisor's phone answered.
    pub fn supervisor_answered(&mut self, now: Instant, contact: &ContactId) {
        let wall = self.wall(now);
        if let Some(call) = self.calls.get_mut(contact)
            && let Some(leg) = call.live_leg("supervisor")
        {
            leg.answered_at = Some(wall);
        }
    }

    /// The supervisor's phone hung up, refused or could not be reached (`cause`).
    pub fn supervisor_gone(&mut self, now: Instant, contact: &ContactId, cause: &str) {
        let wall = self.wall(now);
        if let Some(call) = self.calls.get_mut(contact) {
            call.supervisor = None;
            call.end_leg("supervisor", wall, cause.to_owned());
        }
    }

    /// A supervisor ends a call (force release): every leg is hung up and the record says
    /// who released it.
    pub fn force_release(
        &mut self,
        now: Instant,
        contact: &ContactId,
        supervisor: &AgentId,
    ) -> Result<(), SuperviseError> {
        self.may_supervise(supervisor, contact)?;
        self.on_caller_gone(now, contact, &format!("released by {supervisor}"));
        self.pump(now);
        Ok(())
    }
}
