//! One call's state inside call control.

use std::time::Instant;

use cc_core::{AgentId, ContactRecord};
use cc_ivr::Session;

use crate::store::LegRecord;

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// The IVR has the caller.
    Ivr,
    /// Waiting in a queue (an agent may be ringing).
    Queued,
    /// Talking to an agent.
    Connected,
    /// Sent outside the center; the center only relays until someone hangs up.
    Transferred,
    /// The caller left and waits for a callback in the queue.
    CallbackWaiting,
    /// A callback's agent answered; the customer is being dialled.
    DialingCustomer,
}

impl Call {
    /// Starts a leg of the contact (`agent`, `external`, `callback`) toward `party`.
    pub(super) fn open_leg(&mut self, role: &str, party: String, wall: cc_core::Timestamp) {
        let leg = self.legs.len() as u32;
        self.legs.push(LegRecord {
            contact: self.record.contact.clone(),
            tenant: self.record.tenant.clone(),
            leg,
            role: role.to_owned(),
            party: Some(party),
            started_at: wall,
            answered_at: None,
            ended_at: None,
            end_cause: None,
        });
    }

    /// The latest leg of `role` still open.
    pub(super) fn live_leg(&mut self, role: &str) -> Option<&mut LegRecord> {
        self.legs
            .iter_mut()
            .rev()
            .find(|l| l.role == role && l.ended_at.is_none())
    }

    /// Ends the latest open leg of `role`, if any, at `wall` for `cause`.
    pub(super) fn end_leg(&mut self, role: &str, wall: cc_core::Timestamp, cause: String) {
        if let Some(leg) = self.live_leg(role) {
            leg.ended_at = Some(wall);
            leg.end_cause = Some(cause);
        }
    }
}

/// One contact in progress.
pub(super) struct Call {
    /// The IVR session; `None` once the flow no longer has the caller.
    pub(super) session: Option<Session>,
    pub(super) record: ContactRecord,
    pub(super) legs: Vec<LegRecord>,
    /// Reached by a unified number: the tenant is settled by the queue.
    pub(super) unified: bool,
    pub(super) language: String,
    /// The language was chosen (by the access number or the caller in the flow), so
    /// routing requires it; the center's default language alone does not.
    pub(super) language_chosen: bool,
    pub(super) phase: Phase,
    /// The agent ringing or connected.
    pub(super) agent: Option<AgentId>,
    /// The number to call back.
    pub(super) callback_number: Option<String>,
    /// What the flow asked to be told while queued: (position, expected wait).
    pub(super) announce: (bool, bool),
    /// The queue's music on hold.
    pub(super) music: Option<String>,
    /// The flow left the queue; the place is given up unless a callback keeps it.
    pub(super) leaving: bool,
    /// The session's next timer, as registered in the deadline set.
    pub(super) deadline: Option<Instant>,
    /// A supervisor on the call (ringing or on), and how.
    pub(super) supervisor: Option<(AgentId, super::SuperviseMode)>,
    /// The agent transferred the customer out: the contact stays `answered`.
    pub(super) agent_transferred: bool,
    /// The flow's last enqueue: priority and attributes, kept for a transfer to a queue.
    pub(super) queued_with: Option<(u8, Vec<(String, cc_core::Value)>)>,
    /// An agent moved the customer to another queue: the flow, which waits for the end
    /// of the conversation, is not told of the next answer.
    pub(super) requeued: bool,
}
