//! The one error type of cc-acd.
//!
//! Every message names the offending value and says what would have been right. An error
//! never leaves the router or an agent half-changed: the input is refused as a whole.

use cc_core::{AgentId, AgentStatus, ContactId, QueueId, TenantId};

/// What went wrong when configuring or driving the ACD.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A queue id that was never added.
    #[error("unknown queue {0:?}; add it with Router::add_queue before using it")]
    UnknownQueue(QueueId),
    /// An agent id that was never added.
    #[error("unknown agent {0:?}; add it with Router::add_agent before using it")]
    UnknownAgent(AgentId),
    /// A contact id the router does not hold (never enqueued, or already ended).
    #[error("unknown contact {0:?}; it was never enqueued or has already ended")]
    UnknownContact(ContactId),
    /// A tenant with no queue.
    #[error("unknown tenant {0:?}; add a queue of that tenant first")]
    UnknownTenant(TenantId),
    /// A contact needs a skill that no agent or queue was configured with.
    #[error(
        "contact {contact:?} needs skill {skill:?}, which no agent or queue has; check the \
         skill name, or add agents with it (languages are skills named lang:<tag>)"
    )]
    UnknownSkill {
        /// The skill.
        skill: cc_core::SkillId,
        /// The contact.
        contact: ContactId,
    },
    /// A queue id added twice.
    #[error("duplicate queue {0:?}; each queue id may be added once")]
    DuplicateQueue(QueueId),
    /// An agent id added twice.
    #[error("duplicate agent {0:?}; each agent id may be added once")]
    DuplicateAgent(AgentId),
    /// A contact id enqueued while the router still holds a contact with that id.
    #[error("duplicate contact {0:?}; the router already holds a contact with this id")]
    DuplicateContact(ContactId),
    /// A contact enqueued into a queue of another tenant.
    #[error(
        "contact {contact:?} belongs to tenant {contact_tenant:?} but queue {queue:?} belongs to \
         tenant {queue_tenant:?}; enqueue it in a queue of its own tenant"
    )]
    TenantMismatch {
        /// The contact.
        contact: ContactId,
        /// The contact's tenant.
        contact_tenant: TenantId,
        /// The queue.
        queue: QueueId,
        /// The queue's tenant.
        queue_tenant: TenantId,
    },
    /// An agent state change that the state machine does not allow from the current state.
    #[error("agent {agent:?} cannot {action} while {state:?}; {hint}")]
    InvalidTransition {
        /// The agent.
        agent: AgentId,
        /// What was asked, e.g. `log out`.
        action: &'static str,
        /// The agent's status when it was asked.
        state: AgentStatus,
        /// What would be allowed instead.
        hint: &'static str,
    },
    /// An accept or reject for a contact that is not offered to that agent.
    #[error("contact {contact:?} is not offered to agent {agent:?}; {hint}")]
    NotOffered {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// What state the contact is in instead.
        hint: &'static str,
    },
    /// A contact operation that its current state does not allow.
    #[error("contact {contact:?} cannot {action} while {state}; {hint}")]
    ContactState {
        /// The contact.
        contact: ContactId,
        /// What was asked.
        action: &'static str,
        /// Its state (`waiting`, `ringing`, `connected`).
        state: &'static str,
        /// What would be allowed instead.
        hint: &'static str,
    },
    /// A queue is full and has no overflow destination for that case.
    #[error("queue {queue:?} is full ({max} waiting); raise max_waiting or set overflow.queue_full")]
    QueueFull {
        /// The queue.
        queue: QueueId,
        /// Its `max_waiting`.
        max: usize,
    },
    /// A configuration or numeric input value is out of range.
    #[error("invalid {key} {value}: {expected}")]
    InvalidValue {
        /// The configuration key or parameter, e.g. `ring_timeout`.
        key: &'static str,
        /// The rejected value, as written.
        value: String,
        /// What would be right.
        expected: &'static str,
    },
    /// An error from the shared vocabulary (a bad id or skill level).
    #[error(transparent)]
    Core(#[from] cc_core::Error),
}

impl Error {
    /// Shorthand for [`Error::InvalidValue`].
    pub(crate) fn invalid(key: &'static str, value: impl std::fmt::Debug, expected: &'static str) -> Self {
        Error::InvalidValue {
            key,
            value: format!("{value:?}"),
            expected,
        }
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
