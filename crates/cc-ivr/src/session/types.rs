//! What a session exchanges with its host: the context it starts from, the events it is
//! fed and the actions it asks for.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use cc_core::{DtmfDigit, Timestamp, Value};
use serde::Serialize;

use crate::calendar::Calendar;

/// Lists and calendars that flows consult, shared by all sessions of a center.
#[derive(Debug, Default, Clone)]
pub struct Resources {
    /// Named number lists (blacklist, VIP list...).
    pub lists: HashMap<String, HashSet<String>>,
    /// Named business-hours calendars.
    pub calendars: HashMap<String, Calendar>,
}

/// Who called, when, and what the flow may consult.
#[derive(Debug, Clone)]
pub struct SessionContext {
    /// The caller's number (text, as the trunk gave it).
    pub caller: String,
    /// The number dialled.
    pub called: String,
    /// The starting language (e.g. the access number's default).
    pub language: String,
    /// Monotonic time at which the session starts.
    pub start: Instant,
    /// Wall-clock time at `start`; calendars judge `start_wall + (now - start)`.
    pub start_wall: Timestamp,
    /// Lists and calendars.
    pub resources: Arc<Resources>,
}

/// What the host tells a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The caller pressed a key.
    Digit(DtmfDigit),
    /// The last `Play` finished (or was stopped).
    PlayDone,
    /// A hook answered (`Ok(text)`) or failed; `id` is the one from [`Action::Hook`].
    HookResult {
        /// The request.
        id: u32,
        /// The answer.
        result: Result<String, String>,
    },
    /// News from the queue.
    Queue(QueueEvent),
    /// The transfer failed (`false`) or connected (`true`: the flow ends).
    TransferResult(bool),
    /// The callback was registered (`true`) or not.
    CallbackResult(bool),
    /// The voicemail was recorded (`true`) or not.
    VoicemailResult(bool),
    /// The host's own timer fired (for hosts that run timers themselves): the same as
    /// [`Session::handle_timeout`](super::Session::handle_timeout) at `now`.
    Timeout,
    /// The caller hung up.
    Hangup,
}

/// What the queue reports to a waiting caller's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueEvent {
    /// An agent answered: the caller is talking to the agent.
    Answered,
    /// The agent hung up and the caller is still on the line.
    AgentDone,
    /// The queue gives the caller back (timeout, overflow, closed).
    GaveBack {
        /// Why.
        reason: String,
    },
}

/// One piece of a prompt sequence, resolved to values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PlayPiece {
    /// A prompt key in the session language.
    Prompt(String),
    /// A sound file.
    File(String),
    /// A number as a quantity.
    Number(i64),
    /// Digits one by one.
    Digits(String),
    /// A date.
    Date(String),
    /// Money in cents.
    Money(i64),
}

/// Where a transfer goes, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "to", rename_all = "snake_case")]
pub enum TransferTo {
    /// A phone number.
    Number(String),
    /// An agent.
    Agent(String),
    /// A named external destination.
    External(String),
}

/// What a session asks the host to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Play, then report `PlayDone`.
    Play {
        /// What to play.
        items: Vec<PlayPiece>,
        /// The language of prompt keys.
        language: String,
        /// Whether a key stops it.
        barge: bool,
    },
    /// Stop the current playback (a key barged in); report `PlayDone` is not needed.
    StopPlay,
    /// Ask a hook; report `HookResult` with this id.
    Hook {
        /// Request id.
        id: u32,
        /// Hook name.
        hook: String,
        /// Arguments.
        args: Vec<Value>,
        /// How long the session waits (ms).
        timeout_ms: u64,
    },
    /// The session language changed (prompts, and routing skill `lang:<tag>`).
    SetLanguage {
        /// The tag.
        language: String,
    },
    /// Keep a value with the contact record.
    SetAttribute {
        /// Name.
        name: String,
        /// Value.
        value: Value,
    },
    /// Put the caller in a queue; report `Queue` events.
    Enqueue {
        /// Queue.
        queue: String,
        /// Priority 0-255.
        priority: u8,
        /// Skills with minimum levels (1 when not given).
        skills: Vec<(String, u8)>,
        /// Attributes.
        attributes: Vec<(String, Value)>,
        /// The session language (routing adds `lang:<tag>`).
        language: String,
        /// Music on hold.
        music: Option<String>,
        /// Position announcement interval (ms).
        announce_position_ms: Option<u64>,
        /// Wait announcement interval (ms).
        announce_wait_ms: Option<u64>,
    },
    /// Take the caller out of the queue (timeout or a key).
    LeaveQueue,
    /// Transfer; report `TransferResult`.
    Transfer {
        /// Destination.
        to: TransferTo,
    },
    /// Register a callback; report `CallbackResult`.
    Callback {
        /// Queue.
        queue: String,
        /// `None`: confirm the caller's number; `Some(prompt)`: ask for one.
        ask: Option<String>,
    },
    /// Record a voicemail; report `VoicemailResult`.
    Voicemail {
        /// Mailbox.
        mailbox: String,
        /// Greeting.
        greeting: Option<String>,
        /// Longest message (ms).
        max_ms: u64,
        /// Beep first.
        beep: bool,
    },
    /// Pause or resume the recording.
    Record {
        /// Pause (else resume).
        pause: bool,
    },
    /// End the call.
    Hangup,
    /// The flow broke at run time (reason given); the call is ended.
    Failed {
        /// What went wrong.
        reason: String,
    },
}
