//! Events the center publishes: what happens to contacts and agents, in one numbered
//! stream. Consumers (wallboards, CRMs, the C and Python callbacks) detect gaps by the
//! sequence number.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::channel::{Channel, Direction};
use crate::contact::Priority;
use crate::id::{AgentId, ContactId, FlowId, QueueId, RecordingId, TenantId};
use crate::record::{Destination, Disposition, OfferOutcome};

/// One published event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the stream: 1, 2, 3... without gaps.
    pub seq: u64,
    /// Wall-clock time of the event.
    pub at: Timestamp,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    /// Whether a viewer of `tenant` may see this event: contact events of that tenant, and
    /// events of agents who serve it.
    pub fn visible_to(&self, tenant: &TenantId) -> bool {
        match &self.body {
            EventBody::Contact(e) => &e.tenant == tenant,
            EventBody::Agent(e) => e.tenants.contains(tenant),
        }
    }
}

/// Contact or agent event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// Something happened to a contact.
    Contact(ContactEvent),
    /// Something happened to an agent.
    Agent(AgentEvent),
}

/// A change of one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactEvent {
    /// The contact's tenant.
    pub tenant: TenantId,
    /// The contact.
    pub contact: ContactId,
    /// What changed.
    pub change: ContactChange,
}

/// What changed for a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContactChange {
    /// It reached the center.
    Arrived {
        /// Its channel.
        channel: Channel,
        /// Its direction.
        direction: Direction,
    },
    /// An IVR flow started serving it.
    IvrStarted {
        /// The flow.
        flow: FlowId,
    },
    /// It entered a queue.
    Enqueued {
        /// The queue.
        queue: QueueId,
        /// Its priority there.
        priority: Priority,
    },
    /// It was offered to an agent (the agent is reserved and ringing).
    Offered {
        /// The agent.
        agent: AgentId,
    },
    /// An offer ended without an answer.
    OfferEnded {
        /// The agent.
        agent: AgentId,
        /// Why.
        outcome: OfferOutcome,
    },
    /// An agent answered.
    Answered {
        /// The agent.
        agent: AgentId,
    },
    /// It was put on hold.
    Held,
    /// It was taken off hold.
    Resumed,
    /// It was transferred.
    Transferred {
        /// Where to.
        to: Destination,
    },
    /// It left its queue for another destination.
    Overflowed {
        /// The queue it left.
        from: QueueId,
        /// Where it went.
        to: Destination,
    },
    /// Recording started.
    RecordingStarted {
        /// The recording.
        recording: RecordingId,
    },
    /// Recording paused (e.g. while a card number is spoken).
    RecordingPaused,
    /// Recording resumed.
    RecordingResumed,
    /// The customer asked for a callback.
    CallbackRequested,
    /// It ended.
    Ended {
        /// How.
        disposition: Disposition,
    },
}

/// A change of one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentEvent {
    /// The agent.
    pub agent: AgentId,
    /// The tenants the agent serves (one for a dedicated seat, several for a shared one).
    pub tenants: Vec<TenantId>,
    /// What changed.
    pub change: AgentChange,
}

/// An agent's presence, as events report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Not logged in.
    LoggedOut,
    /// Waiting for contacts.
    Ready,
    /// Logged in but not taking contacts (break, lunch, training...).
    NotReady,
    /// Reserved for a contact that is being offered.
    Reserved,
    /// Handling a contact.
    Busy,
    /// After-contact work.
    WrapUp,
}

/// What changed for an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentChange {
    /// The agent's status changed.
    Status {
        /// The previous status.
        from: AgentStatus,
        /// The new status.
        to: AgentStatus,
        /// A reason code (not-ready reason, `forced_by_supervisor`, `no_answer`...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// Numbers events as they are published.
#[derive(Debug, Default, Clone)]
pub struct EventSequencer {
    last: u64,
}

impl EventSequencer {
    /// A sequencer whose first event gets number 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// A sequencer continuing after `last` (e.g. restored from storage).
    pub fn resume_after(last: u64) -> Self {
        Self { last }
    }

    /// Stamps the next event.
    pub fn stamp(&mut self, at: Timestamp, body: EventBody) -> Event {
        self.last += 1;
        Event {
            seq: self.last,
            at,
            body,
        }
    }

    /// The number of the last stamped event (0 if none).
    pub fn last(&self) -> u64 {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(s: &str) -> TenantId {
        s.parse().unwrap()
    }

    #[test]
    fn events_are_numbered_without_gaps_and_serialize_flat() {
        let mut seq = EventSequencer::new();
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let e1 = seq.stamp(
            at,
            EventBody::Contact(ContactEvent {
                tenant: tenant("acme"),
                contact: "c-1".parse().unwrap(),
                change: ContactChange::Enqueued {
                    queue: "sales".parse().unwrap(),
                    priority: Priority(3),
                },
            }),
        );
        let e2 = seq.stamp(
            at,
            EventBody::Agent(AgentEvent {
                agent: "1001".parse().unwrap(),
                tenants: vec![tenant("acme"), tenant("globex")],
                change: AgentChange::Status {
                    from: AgentStatus::Ready,
                    to: AgentStatus::Reserved,
                    reason: None,
                },
            }),
        );
        assert_eq!((e1.seq, e2.seq, seq.last()), (1, 2, 2));
        let json = serde_json::to_string(&e1).unwrap();
        assert_eq!(
            json,
            r#"{"seq":1,"at":"2027-01-15T08:00:00Z","kind":"contact","tenant":"acme","contact":"c-1","change":{"type":"enqueued","queue":"sales","priority":3}}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e1);
        let back: Event = serde_json::from_str(&serde_json::to_string(&e2).unwrap()).unwrap();
        assert_eq!(back, e2);
    }

    #[test]
    fn tenants_see_only_their_own_contacts_and_agents() {
        let mut seq = EventSequencer::resume_after(41);
        let at = Timestamp::UNIX_EPOCH;
        let contact = seq.stamp(
            at,
            EventBody::Contact(ContactEvent {
                tenant: tenant("acme"),
                contact: "c-9".parse().unwrap(),
                change: ContactChange::Held,
            }),
        );
        assert_eq!(contact.seq, 42);
        assert!(contact.visible_to(&tenant("acme")));
        assert!(!contact.visible_to(&tenant("globex")));
        let agent = seq.stamp(
            at,
            EventBody::Agent(AgentEvent {
                agent: "7".parse().unwrap(),
                tenants: vec![tenant("globex")],
                change: AgentChange::Status {
                    from: AgentStatus::LoggedOut,
                    to: AgentStatus::Ready,
                    reason: None,
                },
            }),
        );
        assert!(agent.visible_to(&tenant("globex")));
        assert!(!agent.visible_to(&tenant("acme")));
    }
}
