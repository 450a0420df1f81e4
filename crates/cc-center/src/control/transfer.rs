//! Blind transfer by the agent (the phone's transfer key, a REFER): the agent hands the
//! customer to another queue of its tenant, to a number dialled over the trunk or to a SIP
//! address, and leaves. To a queue, the customer waits there with music (same priority and
//! attributes) for the next agent, and the flow carries on after that conversation; out,
//! the center dials the target and connects the customer when it answers. The contact
//! stays `answered` (the agent answered it); its record gains the legs.

use std::time::Instant;

use cc_core::{Address, AgentId, ContactId, Destination, Pii, QueueId, Transfer};

use super::call::Phase;
use super::{CallControl, Order};

/// Why an agent's transfer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// No such contact is in progress.
    #[error("no contact `{0}` is in progress")]
    NoContact(ContactId),
    /// The agent is not the one talking to the contact.
    #[error("`{agent}` is not talking to contact `{contact}`")]
    NotYourCall {
        /// The agent who asked.
        agent: AgentId,
        /// The contact.
        contact: ContactId,
    },
    /// A number needs a trunk, and the center has none.
    #[error("`{0}` is a number and the center has no trunk to dial it")]
    NoTrunk(String),
    /// The target is neither a number nor a SIP address.
    #[error("`{0}` is not a number or a sip: address")]
    BadTarget(String),
}

impl CallControl {
    /// The agent talking to `contact` transfers the customer to `target`: a queue of the
    /// contact's tenant (by id), a number (dialled over the trunk) or a `sip:` address. The
    /// agent's leg ends at once ([`Order::HangupAgent`], the agent goes to wrap-up) and the
    /// target is dialled ([`Order::Transfer`]; report the outcome with
    /// [`transfer_result`](Self::transfer_result) — a transfer out that does not connect ends
    /// the contact) or the customer waits in the queue. The record lists the transfer.
    pub fn agent_transfer(
        &mut self,
        now: Instant,
        contact: &ContactId,
        agent: &AgentId,
        target: &str,
    ) -> Result<(), TransferError> {
        let call = self
            .calls
            .get(contact)
            .ok_or_else(|| TransferError::NoContact(contact.clone()))?;
        if call.phase != Phase::Connected || call.agent.as_ref() != Some(agent) {
            return Err(TransferError::NotYourCall {
                agent: agent.clone(),
                contact: contact.clone(),
            });
        }
        self.transfer_call(now, contact, Some(agent), target)
    }

    /// A supervisor moves a connected call elsewhere (force transfer), as the agent's own
    /// transfer would; refused unless the supervisor `supervises` the contact's tenant.
    pub fn force_transfer(
        &mut self,
        now: Instant,
        contact: &ContactId,
        supervisor: &AgentId,
        target: &str,
    ) -> Result<(), String> {
        self.may_supervise(supervisor, contact)
            .map_err(|e| e.to_string())?;
        let connected = self
            .calls
            .get(contact)
            .is_some_and(|c| c.phase == Phase::Connected && c.agent.is_some());
        if !connected {
            return Err(super::SuperviseError::NotConnected(contact.clone()).to_string());
        }
        self.transfer_call(now, contact, None, target)
            .map_err(|e| e.to_string())
    }

    /// Carries out a checked transfer of a connected call; `by` is the agent, `None` for a
    /// supervisor.
    fn transfer_call(
        &mut self,
        now: Instant,
        contact: &ContactId,
        by: Option<&AgentId>,
        target: &str,
    ) -> Result<(), TransferError> {
        let wall = self.wall(now);
        let has_trunk = self.has_trunk;
        let trunk_host = self
            .trunk_host
            .clone()
            .unwrap_or_else(|| "trunk.invalid".to_owned());
        let call = self
            .calls
            .get_mut(contact)
            .ok_or_else(|| TransferError::NoContact(contact.clone()))?;
        let queue = target
            .parse::<QueueId>()
            .ok()
            .filter(|q| self.queue_tenants.get(q) == Some(&call.record.tenant));
        if let Some(queue) = queue {
            call.record.transfers.push(Transfer {
                at: wall,
                by: by.cloned(),
                to: Destination::Queue { queue: queue.clone() },
                attended: false,
            });
            return self.transfer_to_queue(now, contact, &queue);
        }
        let is_uri = target.starts_with("sip:") || target.starts_with("sips:");
        let is_number = !target.is_empty() && target.chars().all(|c| c.is_ascii_digit() || "+*#".contains(c));
        if !is_uri && !is_number {
            return Err(TransferError::BadTarget(target.to_owned()));
        }
        if is_number && !has_trunk {
            return Err(TransferError::NoTrunk(target.to_owned()));
        }
        let address = Address::parse(target)
            .or_else(|_| Address::parse(&format!("sip:{target}@{trunk_host}")))
            .map_err(|_| TransferError::BadTarget(target.to_owned()))?;
        call.record.transfers.push(Transfer {
            at: wall,
            by: by.cloned(),
            to: Destination::External {
                address: Pii::new(address),
            },
            attended: false,
        });
        call.end_leg("agent", wall, format!("transferred to {target}"));
        // The flow does not get the caller back (no survey after a transfer).
        call.session = None;
        call.agent_transferred = true;
        call.phase = Phase::Transferred;
        call.open_leg("external", target.to_owned(), wall);
        let _ = self.router.complete(contact, now);
        self.orders.push_back(Order::HangupAgent {
            contact: contact.clone(),
        });
        self.orders.push_back(Order::Transfer {
            contact: contact.clone(),
            uri: target.to_owned(),
        });
        self.pump(now);
        Ok(())
    }

    /// The agent's leg ends and the customer waits in `queue` (checked: the tenant's).
    fn transfer_to_queue(
        &mut self,
        now: Instant,
        contact: &ContactId,
        queue: &QueueId,
    ) -> Result<(), TransferError> {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(contact) else {
            return Err(TransferError::NoContact(contact.clone()));
        };
        call.end_leg("agent", wall, format!("transferred to queue {queue}"));
        call.agent = None;
        call.requeued = true;
        let (priority, attributes) = call.queued_with.clone().unwrap_or_default();
        let language = call.language.clone();
        let music = call.music.clone();
        let _ = self.router.complete(contact, now);
        self.orders.push_back(Order::HangupAgent {
            contact: contact.clone(),
        });
        match self.enqueue(now, contact, queue.as_str(), priority, &[], attributes, &language) {
            Ok(()) => {
                if let Some(key) = music {
                    self.orders.push_back(Order::Music {
                        contact: contact.clone(),
                        key,
                        language,
                    });
                }
            }
            Err(reason) => {
                // The agent is gone already; nobody is left to take the customer.
                tracing::warn!(%contact, %queue, %reason, "transfer to a queue refused");
                self.orders.push_back(Order::Hangup {
                    contact: contact.clone(),
                });
                self.finish(contact, wall, None, "transfer to a queue refused");
            }
        }
        self.pump(now);
        Ok(())
    }
}
