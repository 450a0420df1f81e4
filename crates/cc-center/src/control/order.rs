//! What call control asks its driver to do.

use std::time::{Duration, Instant};

use cc_core::{AgentId, ContactId, ContactRecord, RecordingId, TenantId};
use cc_ivr::PlayPiece;

use crate::config::RecordLayout;
use crate::store::LegRecord;

/// How an agent is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentTarget {
    /// The phone registered with this SIP user name, else its fixed contact.
    Registered {
        /// The SIP user.
        user: String,
        /// The contact to use without a registration.
        fixed: Option<String>,
    },
    /// A remote seat: the agent's own number, dialled over a trunk.
    Pstn {
        /// The number.
        number: String,
        /// The trunk's id.
        trunk: String,
    },
}

/// An order to the driver. Orders for one contact come in the order they must be carried
/// out; a driver that cannot carry one out reports it back (e.g. `agent_failed`).
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// Call a supervisor's phone; once it answers, it joins the call as `mode` says
    /// (report [`CallControl::supervisor_answered`](super::CallControl::supervisor_answered)
    /// and [`supervisor_gone`](super::CallControl::supervisor_gone)).
    Supervise {
        /// The contact.
        contact: ContactId,
        /// The supervisor.
        supervisor: AgentId,
        /// How to reach the supervisor's phone.
        target: AgentTarget,
        /// Listen, whisper or barge.
        mode: super::SuperviseMode,
    },
    /// The supervisor already on the call changes how they take part.
    SuperviseMode {
        /// The contact.
        contact: ContactId,
        /// The new mode.
        mode: super::SuperviseMode,
    },
    /// Hang up the supervisor's phone; the caller and agent go on talking.
    EndSupervision {
        /// The contact.
        contact: ContactId,
    },
    /// Answer the caller (200 OK with media anchored on the center).
    Answer {
        /// The contact.
        contact: ContactId,
    },
    /// Play to the caller, then report `play_done` (unless stopped or replaced).
    Play {
        /// The contact.
        contact: ContactId,
        /// What.
        items: Vec<PlayPiece>,
        /// Language of prompt keys.
        language: String,
    },
    /// Loop a prompt as music on hold until something else is played or bridged.
    Music {
        /// The contact.
        contact: ContactId,
        /// The prompt key.
        key: String,
        /// Its language.
        language: String,
    },
    /// Tell a waiting caller their place and expected wait, then go back to the music.
    Announce {
        /// The contact.
        contact: ContactId,
        /// The language of the prompts.
        language: String,
        /// 1-based place in the queue, when the flow asked for it.
        position: Option<usize>,
        /// Expected wait, when the flow asked for it.
        wait: Option<Duration>,
        /// The music on hold to resume.
        music: Option<String>,
    },
    /// Stop what is playing to the caller.
    StopPlay {
        /// The contact.
        contact: ContactId,
    },
    /// Ring an agent for this contact; report `agent_answered` or `agent_failed`. The
    /// router withdraws the offer (a `CancelRing`) when `lease_until` passes.
    Ring {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// How to reach the agent.
        target: AgentTarget,
        /// When the reservation lapses.
        lease_until: Instant,
    },
    /// Stop ringing the agent.
    CancelRing {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// Connect the caller and the answered agent (stop whatever plays to the caller).
    Bridge {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// Record the bridged call; report the file with `recording_done`.
    Record {
        /// The contact.
        contact: ContactId,
        /// Its tenant (recordings are stored per tenant).
        tenant: TenantId,
        /// The recording's id.
        recording: RecordingId,
        /// Stereo or mixed.
        layout: RecordLayout,
    },
    /// Pause (`true`) or resume the recording.
    PauseRecording {
        /// The contact.
        contact: ContactId,
        /// Pause or resume.
        pause: bool,
    },
    /// Hang up the agent's leg (the caller stays).
    HangupAgent {
        /// The contact.
        contact: ContactId,
    },
    /// Connect the caller to a destination outside the center; report `transfer_result`.
    Transfer {
        /// The contact.
        contact: ContactId,
        /// A SIP URI.
        uri: String,
    },
    /// Record a voicemail from the caller; report `voicemail_result`.
    Voicemail {
        /// The contact.
        contact: ContactId,
        /// Its tenant.
        tenant: TenantId,
        /// The mailbox.
        mailbox: String,
        /// The recording's id.
        recording: RecordingId,
        /// Longest message.
        max: Duration,
        /// Beep first.
        beep: bool,
    },
    /// A callback's agent answered: dial the customer and bridge them to the agent;
    /// report `customer_answered` or `customer_failed`.
    DialCustomer {
        /// The contact.
        contact: ContactId,
        /// The customer's number.
        number: String,
        /// The agent waiting on the line.
        agent: AgentId,
    },
    /// Hang up the caller (and any other leg of the contact).
    Hangup {
        /// The contact.
        contact: ContactId,
    },
    /// The contact is over: store its record and legs; the driver may forget it.
    Finished {
        /// The record.
        record: Box<ContactRecord>,
        /// The legs.
        legs: Vec<LegRecord>,
    },
}

impl Order {
    /// The contact the order is about.
    pub fn contact(&self) -> &ContactId {
        match self {
            Order::Answer { contact }
            | Order::Supervise { contact, .. }
            | Order::SuperviseMode { contact, .. }
            | Order::EndSupervision { contact }
            | Order::Play { contact, .. }
            | Order::Music { contact, .. }
            | Order::Announce { contact, .. }
            | Order::StopPlay { contact }
            | Order::Ring { contact, .. }
            | Order::CancelRing { contact, .. }
            | Order::Bridge { contact, .. }
            | Order::Record { contact, .. }
            | Order::PauseRecording { contact, .. }
            | Order::HangupAgent { contact }
            | Order::Transfer { contact, .. }
            | Order::Voicemail { contact, .. }
            | Order::DialCustomer { contact, .. }
            | Order::Hangup { contact } => contact,
            Order::Finished { record, .. } => &record.contact,
        }
    }
}

/// Why an incoming call is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {reason}")]
pub struct Refusal {
    /// The SIP status to answer with.
    pub code: u16,
    /// Why.
    pub reason: String,
}
