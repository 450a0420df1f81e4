//! What a running center tells its embedders: agent state changes, contacts that ended,
//! phones that registered — numbered, as JSON-ready values.

use serde::Serialize;
use tokio::sync::broadcast;

/// One event of a running center.
#[derive(Debug, Clone, Serialize)]
pub struct CenterEvent {
    /// 1, 2, 3... in the order the center published them; a gap means the subscriber
    /// fell behind and missed events.
    pub seq: u64,
    /// The tenant the event belongs to; `None` for center-wide events (registrations,
    /// agents serving several tenants).
    pub tenant: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub body: EventKind,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// An agent's status changed.
    Agent {
        /// The agent.
        agent: String,
        /// The new status (`ready`, `not_ready`, `reserved`, `busy`, `wrap_up`, `logged_out`).
        status: String,
        /// A reason, when one was given.
        reason: Option<String>,
    },
    /// A contact ended; its record is stored.
    ContactEnded {
        /// The contact.
        contact: String,
        /// The queue, if it reached one.
        queue: Option<String>,
        /// The agent who answered, if any.
        agent: Option<String>,
        /// `answered`, `abandoned`, `self_service`, `overflowed`, `voicemail`...
        disposition: String,
        /// Wait in the queue, ms.
        wait_ms: Option<u64>,
    },
    /// A supervisor joined a call (`on`, once their phone answered, with the mode) or left
    /// it (`off`).
    Supervision {
        /// The contact.
        contact: String,
        /// `on` or `off`.
        status: String,
        /// `listen`, `whisper` or `barge` while on.
        mode: Option<crate::control::SuperviseMode>,
    },
    /// A trunk's status changed: `registered` / `registration_failed` with the carrier,
    /// `up` / `down` by its OPTIONS keep-alive probes.
    Trunk {
        /// The trunk.
        trunk: String,
        /// The new status.
        status: String,
        /// The status code behind it, if any.
        code: Option<u16>,
    },
    /// A phone registered or refreshed its registration.
    Registered {
        /// The address-of-record.
        aor: String,
        /// The contact.
        contact: String,
    },
}

/// Numbers events and hands them to every subscriber.
pub(crate) struct Publisher {
    seq: u64,
    tx: broadcast::Sender<CenterEvent>,
}

impl Publisher {
    pub(crate) fn new() -> Self {
        Self {
            seq: 0,
            tx: broadcast::channel(1024).0,
        }
    }

    pub(crate) fn sender(&self) -> broadcast::Sender<CenterEvent> {
        self.tx.clone()
    }

    pub(crate) fn publish(&mut self, tenant: Option<String>, body: EventKind) {
        self.seq += 1;
        // Nobody listening is fine.
        let _ = self.tx.send(CenterEvent {
            seq: self.seq,
            tenant,
            body,
        });
    }
}
