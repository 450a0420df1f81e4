//! The contact record (CDR): what happened to one contact, written by every layer and
//! read by reports, quality inspection and billing.
//!
//! Times are wall-clock [`Timestamp`]s (UTC instants) supplied by the driver; see
//! [`crate::time`]. Durations derived from them are in milliseconds.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::address::{Address, Party};
use crate::channel::{Channel, Direction};
use crate::contact::{Attributes, Contact};
use crate::id::{AgentId, CallId, ContactId, FlowId, QueueId, RecordingId, TenantId, TrunkId};
use crate::pii::Pii;

/// Where an overflowing or transferred contact went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Destination {
    /// Another queue of the center.
    Queue {
        /// The queue.
        queue: QueueId,
    },
    /// A specific agent.
    Agent {
        /// The agent.
        agent: AgentId,
    },
    /// Outside the center: an outsourcing partner, a branch office, a mobile number.
    External {
        /// Where.
        address: Pii<Address>,
    },
    /// An IVR flow (e.g. back to a menu, or to voicemail).
    Flow {
        /// The flow.
        flow: FlowId,
    },
}

/// At which stage a caller gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbandonStage {
    /// While in the IVR.
    Ivr,
    /// While waiting in a queue.
    Queue,
    /// While an agent's phone was ringing.
    Ringing,
}

/// How a contact ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Disposition {
    /// An agent answered it.
    Answered,
    /// The IVR served the caller fully (self-service), no agent needed.
    SelfService,
    /// The customer left before being answered.
    Abandoned {
        /// How long the customer waited in the queue, in milliseconds (0 if never queued).
        waited_ms: u64,
        /// Where the customer was when they left.
        stage: AbandonStage,
    },
    /// The contact left the queue for somewhere else (overflow, after-hours routing).
    Overflowed {
        /// Where it went.
        to: Destination,
    },
    /// The customer asked to be called back; the callback is its own contact.
    Callback {
        /// The callback contact, once created.
        callback: Option<ContactId>,
    },
    /// The customer left a voicemail.
    Voicemail {
        /// The voicemail recording, if one was kept.
        recording: Option<RecordingId>,
    },
    /// The center refused it (blacklist, closed with no route, queue full with no overflow).
    Rejected {
        /// Why, e.g. `blacklist`, `queue_full`.
        reason: String,
    },
    /// A technical failure ended it.
    Failed {
        /// What failed, e.g. `trunk: 503 Service Unavailable`.
        reason: String,
    },
}

/// The outcome of offering a contact to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferOutcome {
    /// The agent answered.
    Accepted,
    /// The agent declined.
    Rejected,
    /// The reservation lease ran out (the phone rang unanswered).
    NoAnswer,
    /// The customer hung up, or the router withdrew the offer.
    Cancelled,
    /// The agent's device could not be reached.
    Failed,
}

/// One offer of the contact to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Who was offered the contact.
    pub agent: AgentId,
    /// When the offer started.
    pub at: Timestamp,
    /// When it ended and how; `None` while it is still ringing.
    pub ended: Option<(Timestamp, OfferOutcome)>,
}

/// A period on hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldSpan {
    /// When hold began.
    pub start: Timestamp,
    /// When it ended; `None` while still on hold.
    pub end: Option<Timestamp>,
}

/// A transfer of the contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// When.
    pub at: Timestamp,
    /// The agent who transferred (`None` for a supervisor's force transfer or the system).
    pub by: Option<AgentId>,
    /// Where to.
    pub to: Destination,
    /// `true` for an attended (consultative) transfer, `false` for blind.
    pub attended: bool,
}

/// Quality of one received media stream, as measured by the media layer.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MediaQuality {
    /// Packets received.
    pub packets: u64,
    /// Packets lost (expected minus received, never negative).
    pub lost: u64,
    /// Interarrival jitter (RFC 3550 A.8), in milliseconds.
    pub jitter_ms: f32,
    /// Estimated mean opinion score, 1.0 to 4.5.
    pub mos: f32,
}

/// The record of one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// The contact.
    pub contact: ContactId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its channel.
    pub channel: Channel,
    /// Its direction.
    pub direction: Direction,
    /// Who called; `None` when withheld.
    pub caller: Option<Pii<Party>>,
    /// What was called.
    pub called: Option<Pii<Party>>,
    /// The trunk it came in on or went out through.
    pub trunk: Option<TrunkId>,
    /// Signalling ids of its call legs.
    pub calls: Vec<CallId>,
    /// The IVR flow that served it.
    pub flow: Option<FlowId>,
    /// The (last) queue it waited in.
    pub queue: Option<QueueId>,
    /// The agent who answered it (the last one, after transfers).
    pub agent: Option<AgentId>,
    /// When it reached the center.
    pub arrived_at: Timestamp,
    /// When the IVR started.
    pub ivr_started_at: Option<Timestamp>,
    /// When the IVR finished.
    pub ivr_ended_at: Option<Timestamp>,
    /// When it entered a queue (the first one).
    pub enqueued_at: Option<Timestamp>,
    /// Every offer to an agent, in order.
    pub offers: Vec<Offer>,
    /// When an agent answered.
    pub answered_at: Option<Timestamp>,
    /// Periods on hold.
    pub holds: Vec<HoldSpan>,
    /// Transfers, in order.
    pub transfers: Vec<Transfer>,
    /// When it ended; `None` while in progress.
    pub ended_at: Option<Timestamp>,
    /// How it ended; `None` while in progress.
    pub disposition: Option<Disposition>,
    /// Its recordings.
    pub recordings: Vec<RecordingId>,
    /// Values the IVR collected (menu choices, account numbers, survey scores).
    pub ivr_values: Attributes,
    /// Quality of the received media streams.
    pub media: Vec<MediaQuality>,
}

fn millis_between(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from(to.as_millisecond() - from.as_millisecond()).unwrap_or(0)
}

impl ContactRecord {
    /// Opens the record of a contact that arrived at `arrived_at`.
    pub fn open(contact: &Contact, arrived_at: Timestamp) -> Self {
        Self {
            contact: contact.id.clone(),
            tenant: contact.tenant.clone(),
            channel: contact.channel,
            direction: contact.direction,
            caller: contact.caller.clone(),
            called: contact.called.clone(),
            trunk: None,
            calls: Vec::new(),
            flow: None,
            queue: None,
            agent: None,
            arrived_at,
            ivr_started_at: None,
            ivr_ended_at: None,
            enqueued_at: None,
            offers: Vec::new(),
            answered_at: None,
            holds: Vec::new(),
            transfers: Vec::new(),
            ended_at: None,
            disposition: None,
            recordings: Vec::new(),
            ivr_values: Attributes::new(),
            media: Vec::new(),
        }
    }

    /// Closes the record.
    pub fn close(&mut self, at: Timestamp, disposition: Disposition) {
        self.ended_at = Some(at);
        self.disposition = Some(disposition);
    }

    /// Time in queue until answer or end (ms); `None` if never queued or still waiting.
    pub fn wait_ms(&self) -> Option<u64> {
        let start = self.enqueued_at?;
        let stop = self.answered_at.or(self.ended_at)?;
        Some(millis_between(start, stop))
    }

    /// Time on hold in all (ms), counting open holds up to the end of the contact.
    pub fn hold_ms(&self) -> u64 {
        self.holds
            .iter()
            .filter_map(|h| h.end.or(self.ended_at).map(|end| millis_between(h.start, end)))
            .sum()
    }

    /// Handle time from answer to end (ms), hold included; `None` if not answered or not
    /// ended. (Wrap-up belongs to the agent's time, not the contact's.)
    pub fn handle_ms(&self) -> Option<u64> {
        Some(millis_between(self.answered_at?, self.ended_at?))
    }

    /// Talk time: handle time less hold time (ms).
    pub fn talk_ms(&self) -> Option<u64> {
        self.handle_ms().map(|h| h.saturating_sub(self.hold_ms()))
    }

    /// Whether it was answered within `threshold_ms` of entering the queue (service level).
    pub fn answered_within(&self, threshold_ms: u64) -> bool {
        matches!(self.disposition, Some(Disposition::Answered))
            && self.wait_ms().is_some_and(|w| w <= threshold_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn record() -> ContactRecord {
        let contact = Contact::new(
            "c-1".parse().unwrap(),
            "acme".parse().unwrap(),
            Channel::Voice,
            Direction::Inbound,
        )
        .with_caller(Party::new(Address::parse("+8613800138000").unwrap()));
        ContactRecord::open(&contact, ts(0))
    }

    #[test]
    fn derived_durations_follow_the_timestamps() {
        let mut r = record();
        r.ivr_started_at = Some(ts(0));
        r.ivr_ended_at = Some(ts(20));
        r.enqueued_at = Some(ts(20));
        r.offers.push(Offer {
            agent: "1001".parse().unwrap(),
            at: ts(30),
            ended: Some((ts(35), OfferOutcome::Accepted)),
        });
        r.answered_at = Some(ts(35));
        r.holds.push(HoldSpan {
            start: ts(60),
            end: Some(ts(90)),
        });
        r.close(ts(335), Disposition::Answered);
        assert_eq!(r.wait_ms(), Some(15_000));
        assert_eq!(r.handle_ms(), Some(300_000));
        assert_eq!(r.hold_ms(), 30_000);
        assert_eq!(r.talk_ms(), Some(270_000));
        assert!(r.answered_within(20_000));
        assert!(!r.answered_within(10_000));
    }

    #[test]
    fn abandoned_record_round_trips_through_json() {
        let mut r = record();
        r.enqueued_at = Some(ts(5));
        r.ivr_values.insert("menu".into(), crate::Value::Number(2));
        r.close(
            ts(50),
            Disposition::Abandoned {
                waited_ms: 45_000,
                stage: AbandonStage::Queue,
            },
        );
        assert_eq!(r.wait_ms(), Some(45_000));
        assert_eq!(r.handle_ms(), None);
        assert!(!r.answered_within(60_000));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"kind\":\"abandoned\""), "{json}");
        let back: ContactRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn overflow_destination_serializes_with_its_kind() {
        let d = Disposition::Overflowed {
            to: Destination::External {
                address: Pii::new(Address::parse("sip:overflow@partner.example").unwrap()),
            },
        };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"overflowed","to":{"kind":"external","address":"sip:overflow@partner.example"}}"#
        );
    }
}
