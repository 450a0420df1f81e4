//! Queue configuration and the waiting contacts of one queue.
//!
//! Waiting contacts are grouped into *classes*: contacts with the same channel and the same
//! effective skill requirements. Each class keeps an ordered set keyed by
//! `(priority descending, arrival)`, so the best contact an agent can serve is the head of
//! one of the few classes it qualifies for: no scan of waiting contacts.

use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cc_core::{Channel, Destination, Priority, QueueId, SkillLevel, SkillRequirement, TenantId};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::QueueCounters;
use crate::strategy::StrategyKind;

/// Priority aging: a waiting contact's priority grows by `step` every `every`, up to `max`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aging {
    /// How often priority grows.
    pub every: Duration,
    /// By how much each time.
    pub step: u8,
    /// The ceiling aging stops at.
    pub max: Priority,
}

/// What an escalation step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EscalationAction {
    /// Widen the eligible set: every required skill level is capped at `level` (level 1
    /// means any agent with the skill).
    CapLevel {
        /// The highest level still required.
        level: SkillLevel,
    },
    /// Leave for another destination: another queue of the same tenant (the contact keeps
    /// its original arrival time), or anything outside (the router orders an overflow).
    Overflow {
        /// Where to.
        to: Destination,
    },
}

/// One timed escalation step: `after` this long in the queue, do `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    /// Time since the contact entered the queue.
    pub after: Duration,
    /// What to do.
    pub action: EscalationAction,
}

/// Conditional overflow: where a contact goes instead of waiting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverflowRules {
    /// On arrival, when no agent serving the tenant is logged in.
    #[serde(default)]
    pub no_agents: Option<Destination>,
    /// On arrival, when `max_waiting` contacts already wait (without it: [`Error::QueueFull`]).
    #[serde(default)]
    pub queue_full: Option<Destination>,
    /// On arrival, when the estimated wait is above the given time.
    #[serde(default)]
    pub long_wait: Option<(Duration, Destination)>,
    /// When `max_wait` passes (without it the contact ends as rejected, `max_wait`).
    #[serde(default)]
    pub max_wait: Option<Destination>,
}

/// The configuration of one queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// The queue.
    pub id: QueueId,
    /// Its tenant.
    pub tenant: TenantId,
    /// How an agent is chosen for a contact.
    pub strategy: StrategyKind,
    /// Skills every contact of this queue needs (merged with the contact's own).
    #[serde(default)]
    pub skills: Vec<SkillRequirement>,
    /// Answered within this counts toward the service level.
    pub service_level_threshold: Duration,
    /// Short abandons (within this) are counted apart.
    pub short_abandon: Duration,
    /// Most contacts waiting at once.
    #[serde(default)]
    pub max_waiting: Option<usize>,
    /// Longest time a contact may wait.
    #[serde(default)]
    pub max_wait: Option<Duration>,
    /// How long an offer rings before the reservation lease expires.
    pub ring_timeout: Duration,
    /// After-contact work time.
    pub wrap_up: Duration,
    /// Missed offers in a row before an agent is auto-paused.
    #[serde(default)]
    pub max_no_answers: Option<u32>,
    /// Priority aging.
    #[serde(default)]
    pub aging: Option<Aging>,
    /// Timed escalation steps, in increasing `after` order.
    #[serde(default)]
    pub escalation: Vec<EscalationStep>,
    /// Conditional overflow.
    #[serde(default)]
    pub overflow: OverflowRules,
    /// Handle time assumed for the estimated wait until contacts have been handled.
    pub default_handle_time: Duration,
    /// How long a contact with a preferred agent waits for that agent alone when it is
    /// busy (sticky agent); then any agent may take it. Zero: the preferred agent gets it
    /// only when available on arrival.
    #[serde(default)]
    pub preferred_wait: Duration,
    /// Repeat the [`Command::Announce`](crate::Command::Announce) of place and estimated
    /// wait to every contact waiting in this queue at this interval (the first one is sent
    /// on entry). Unset: only on entry.
    #[serde(default)]
    pub announce_every: Option<Duration>,
}

impl QueueConfig {
    /// A queue with common defaults: longest-idle, 20 s service level, 5 s short abandon,
    /// 15 s ring timeout, no wrap-up, 180 s assumed handle time, no limits.
    pub fn new(id: QueueId, tenant: TenantId) -> Self {
        Self {
            id,
            tenant,
            strategy: StrategyKind::LongestIdle,
            skills: Vec::new(),
            service_level_threshold: Duration::from_secs(20),
            short_abandon: Duration::from_secs(5),
            max_waiting: None,
            max_wait: None,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::ZERO,
            max_no_answers: None,
            aging: None,
            escalation: Vec::new(),
            overflow: OverflowRules::default(),
            default_handle_time: Duration::from_secs(180),
            preferred_wait: Duration::ZERO,
            announce_every: None,
        }
    }

    /// Longest duration any setting may hold (a year): times are added to `Instant`s, and
    /// a bound keeps that arithmetic far from overflow.
    pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

    /// Checks values that would make the router misbehave.
    pub fn validate(&self) -> Result<()> {
        let mut durations = vec![
            ("service_level_threshold", self.service_level_threshold),
            ("short_abandon", self.short_abandon),
            ("ring_timeout", self.ring_timeout),
            ("wrap_up", self.wrap_up),
            ("default_handle_time", self.default_handle_time),
            ("preferred_wait", self.preferred_wait),
        ];
        durations.extend(self.max_wait.map(|d| ("max_wait", d)));
        durations.extend(self.announce_every.map(|d| ("announce_every", d)));
        durations.extend(self.aging.as_ref().map(|a| ("aging.every", a.every)));
        durations.extend(
            self.overflow
                .long_wait
                .as_ref()
                .map(|(d, _)| ("overflow.long_wait", *d)),
        );
        durations.extend(self.escalation.iter().map(|s| ("escalation.after", s.after)));
        if let Some((key, d)) = durations.into_iter().find(|(_, d)| *d > Self::MAX_DURATION) {
            return Err(Error::invalid(key, d, "must be at most a year (366 days)"));
        }
        if self.ring_timeout.is_zero() {
            return Err(Error::invalid(
                "ring_timeout",
                self.ring_timeout,
                "must be above zero, e.g. 15 s, or offers would expire at once",
            ));
        }
        if let Some(aging) = &self.aging
            && (aging.every.is_zero() || aging.step == 0)
        {
            return Err(Error::invalid(
                "aging",
                aging,
                "every must be above zero and step at least 1",
            ));
        }
        if self.escalation.windows(2).any(|w| w[0].after > w[1].after) {
            return Err(Error::invalid(
                "escalation",
                self.escalation.iter().map(|s| s.after).collect::<Vec<_>>(),
                "steps must be listed in increasing `after` order",
            ));
        }
        if self.announce_every.is_some_and(|d| d < Duration::from_secs(1)) {
            return Err(Error::invalid(
                "announce_every",
                self.announce_every,
                "must be at least one second, e.g. 30 s, or unset to announce on entry only",
            ));
        }
        if self.max_waiting == Some(0) {
            return Err(Error::invalid(
                "max_waiting",
                0,
                "must be at least 1, or unset for no limit",
            ));
        }
        Ok(())
    }

    /// Every destination this configuration may send a contact to.
    pub(crate) fn destinations(&self) -> impl Iterator<Item = &Destination> {
        let o = &self.overflow;
        o.no_agents
            .iter()
            .chain(o.queue_full.iter())
            .chain(o.long_wait.iter().map(|(_, d)| d))
            .chain(o.max_wait.iter())
            .chain(self.escalation.iter().filter_map(|s| match &s.action {
                EscalationAction::Overflow { to } => Some(to),
                EscalationAction::CapLevel { .. } => None,
            }))
    }
}

/// The order of waiting contacts: priority descending, then arrival, then a sequence
/// number that makes keys unique.
pub(crate) type WaitKey = (Reverse<Priority>, Instant, u64, u32);

/// Contacts with one channel and one set of effective requirements.
#[derive(Debug)]
pub(crate) struct Class {
    pub(crate) channel: Channel,
    /// (dense skill, minimum level), sorted by skill.
    pub(crate) reqs: Vec<(u32, u8)>,
    /// The pool routing walks: its first requirement's skill, or none.
    pub(crate) pool_skill: Option<u32>,
    pub(crate) waiting: BTreeSet<WaitKey>,
    /// Its number among all classes of the router (its entry in the table of heads).
    pub(crate) gid: u32,
}

/// A queue at run time.
#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) config: QueueConfig,
    pub(crate) tenant: u32,
    /// Dense skills of `config.skills`, with levels.
    pub(crate) skills: Vec<(u32, u8)>,
    pub(crate) classes: Vec<Class>,
    /// Classes by a fingerprint of (channel, requirements), so that finding a contact's
    /// class reads one entry instead of comparing each class's requirements.
    pub(crate) class_index: crate::fasthash::FastMap<u64, usize>,
    /// Waiting contacts by arrival, for the longest wait.
    pub(crate) by_arrival: BTreeSet<(Instant, u64)>,
    pub(crate) waiting: usize,
    /// Contacts of this queue ringing or connected.
    pub(crate) in_service: usize,
    pub(crate) rr_cursor: u32,
    pub(crate) counters: QueueCounters,
    pub(crate) strategy: Box<dyn crate::strategy::RoutingStrategy>,
    /// `strategy.order()`, kept beside it (read on every decision).
    pub(crate) order: crate::strategy::AgentOrder,
    /// Agents that may serve this queue (the reverse of each agent's queue list).
    pub(crate) agents: Vec<u32>,
    /// Removed from the configuration: kept only for its contacts still connected.
    pub(crate) removed: bool,
}

impl Queue {
    /// The class for `channel` + `reqs`, and whether it was created (then numbered `gid`).
    pub(crate) fn class_for(&mut self, channel: Channel, reqs: &[(u32, u8)], gid: u32) -> (usize, bool) {
        let print = fingerprint(channel, reqs);
        if let Some(&i) = self.class_index.get(&print)
            && self
                .classes
                .get(i)
                .is_some_and(|c| c.channel == channel && c.reqs == reqs)
        {
            return (i, false);
        }
        // A fingerprint shared by two classes (never seen) falls back to the scan.
        if let Some(i) = self
            .classes
            .iter()
            .position(|c| c.channel == channel && c.reqs == reqs)
        {
            return (i, false);
        }
        self.class_index.entry(print).or_insert(self.classes.len());
        self.classes.push(Class {
            channel,
            reqs: reqs.to_vec(),
            pool_skill: reqs.first().map(|r| r.0),
            waiting: BTreeSet::new(),
            gid,
        });
        (self.classes.len() - 1, true)
    }
}

/// A 64-bit fingerprint of a class's channel and requirements.
fn fingerprint(channel: Channel, reqs: &[(u32, u8)]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<crate::fasthash::FastHasher>::default().hash_one((channel.index(), reqs))
}
