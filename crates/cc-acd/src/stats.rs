//! Live statistics, kept incrementally per queue and summed per tenant.
//!
//! The estimated wait time of a queue is `(waiting + 1) × AHT / staffed`, where AHT is
//! the mean handle time of contacts answered in the queue so far (the configured default
//! until the first one) and `staffed` the number of logged-in agents serving the queue's
//! tenant (at least 1). It is the expected time for the contacts ahead to drain through
//! the agents, ignoring skills: a cheap, monotone estimate, good for announcements and
//! the long-wait overflow rule, not a forecast. A periodic announcement
//! ([`QueueConfig::announce_every`](crate::QueueConfig::announce_every)) gives the caller
//! the same estimate for its own place: `place × AHT / staffed`, the place counted by
//! arrival among the contacts waiting in the queue.
//!
//! ## Occupancy over time
//!
//! Besides the snapshot of agents by status ([`AgentCounts`], whose
//! [`occupancy`](AgentCounts::occupancy) is the share engaged *now*), every queue and
//! tenant integrates its agents' time on the router's clock ([`AgentTime`]):
//!
//! - *staffed*: logged in (any status but logged out);
//! - *busy*: holding at least one contact, ringing (reserved), connected or in wrap-up;
//! - *not ready*: paused (not ready) with no contact.
//!
//! A queue counts the agents that may serve it (as [`QueueStats::agents`] does); a tenant
//! counts the agents serving it, each once however many of its queues they serve (a
//! shared-seat agent counts fully in each of its tenants). The integrals move only when an
//! agent crosses one of those lines (logs in or out, takes its first contact, ends its last
//! one, pauses or resumes), at the `now` of that input, so they cost O(queues of the agent)
//! per such change and nothing per routing decision. [`QueueStats::occupancy`] is busy time
//! / staffed time since the router started (or since the queue was added), up to the
//! `now` of the snapshot; [`AgentTime::occupancy_excluding_not_ready`] leaves paused time
//! out of the denominator, as workforce reports that count breaks apart do.

use std::time::{Duration, Instant};

use cc_core::AgentStatus;
use serde::Serialize;

/// Counters of one queue since the router started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounters {
    /// Contacts that entered the queue (arrivals and overflows in).
    pub entered: u64,
    /// Offers made (a contact may be offered several times).
    pub offers: u64,
    /// Contacts answered by an agent.
    pub answered: u64,
    /// Answered within the service-level threshold.
    pub answered_in_sl: u64,
    /// Contacts that hung up while waiting or ringing.
    pub abandoned: u64,
    /// Abandoned within the short-abandon threshold.
    pub short_abandoned: u64,
    /// Contacts sent elsewhere (overflow or escalation to another queue or outside).
    pub overflowed: u64,
    /// Contacts refused (max wait passed with no overflow destination).
    pub rejected: u64,
    /// Contacts turned into queued callbacks (they stay waiting).
    pub callbacks: u64,
    /// Sum of waits until answer, in milliseconds.
    pub answer_wait_ms: u64,
    /// Sum of handle times (answer to completion), in milliseconds.
    pub handle_ms: u64,
    /// Contacts completed after answer.
    pub completed: u64,
}

impl QueueCounters {
    /// Adds another queue's counters (for tenant totals).
    pub fn add(&mut self, o: &QueueCounters) {
        self.entered += o.entered;
        self.offers += o.offers;
        self.answered += o.answered;
        self.answered_in_sl += o.answered_in_sl;
        self.abandoned += o.abandoned;
        self.short_abandoned += o.short_abandoned;
        self.overflowed += o.overflowed;
        self.rejected += o.rejected;
        self.callbacks += o.callbacks;
        self.answer_wait_ms += o.answer_wait_ms;
        self.handle_ms += o.handle_ms;
        self.completed += o.completed;
    }
}

/// Agents by status (those who may serve the queue, or who serve the tenant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AgentCounts {
    /// Not logged in.
    pub logged_out: u32,
    /// Ready and idle.
    pub ready: u32,
    /// Paused.
    pub not_ready: u32,
    /// Ringing.
    pub reserved: u32,
    /// Handling a contact.
    pub busy: u32,
    /// In after-contact work.
    pub wrap_up: u32,
}

impl AgentCounts {
    /// Counts one agent of `status`.
    pub fn count(&mut self, status: AgentStatus) {
        let slot = match status {
            AgentStatus::LoggedOut => &mut self.logged_out,
            AgentStatus::Ready => &mut self.ready,
            AgentStatus::NotReady => &mut self.not_ready,
            AgentStatus::Reserved => &mut self.reserved,
            AgentStatus::Busy => &mut self.busy,
            AgentStatus::WrapUp => &mut self.wrap_up,
        };
        *slot += 1;
    }

    /// Agents logged in (every status but logged out).
    pub fn logged_in(&self) -> u32 {
        self.ready + self.not_ready + self.reserved + self.busy + self.wrap_up
    }

    /// Occupancy now: agents engaged with contacts (reserved, busy, wrap-up) / logged in.
    pub fn occupancy(&self) -> Option<f64> {
        let n = self.logged_in();
        (n > 0).then(|| f64::from(self.reserved + self.busy + self.wrap_up) / f64::from(n))
    }
}

/// Agent time integrated on the router's clock (see [the module documentation](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AgentTime {
    /// Agent time logged in.
    pub staffed: Duration,
    /// Agent time holding at least one contact (reserved, busy or wrap-up).
    pub busy: Duration,
    /// Agent time paused (not ready) with no contact.
    pub not_ready: Duration,
}

impl AgentTime {
    /// Busy time / staffed time (`None` before any agent time was staffed).
    pub fn occupancy(&self) -> Option<f64> {
        (!self.staffed.is_zero()).then(|| self.busy.as_secs_f64() / self.staffed.as_secs_f64())
    }

    /// Busy time / (staffed time − not-ready time): occupancy of the time agents were
    /// available or working (`None` when there was none).
    pub fn occupancy_excluding_not_ready(&self) -> Option<f64> {
        let working = self.staffed.saturating_sub(self.not_ready);
        (!working.is_zero()).then(|| self.busy.as_secs_f64() / working.as_secs_f64())
    }
}

/// Which of the integrated states an agent is in (see [`TimeAcc`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimeFlags {
    pub(crate) staffed: bool,
    pub(crate) busy: bool,
    pub(crate) not_ready: bool,
}

impl TimeFlags {
    /// The flags of an agent reporting `status`.
    pub(crate) fn of(status: AgentStatus) -> Self {
        Self {
            staffed: status != AgentStatus::LoggedOut,
            busy: matches!(
                status,
                AgentStatus::Reserved | AgentStatus::Busy | AgentStatus::WrapUp
            ),
            not_ready: status == AgentStatus::NotReady,
        }
    }
}

/// The running integral of one queue's or tenant's agent time: how many agents are in
/// each state now, and the agent-nanoseconds accumulated up to `last`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeAcc {
    staffed_n: u32,
    busy_n: u32,
    not_ready_n: u32,
    last: Option<Instant>,
    staffed_ns: u128,
    busy_ns: u128,
    not_ready_ns: u128,
}

impl TimeAcc {
    fn advance(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let dt = now.saturating_duration_since(last).as_nanos();
            self.staffed_ns += dt * u128::from(self.staffed_n);
            self.busy_ns += dt * u128::from(self.busy_n);
            self.not_ready_ns += dt * u128::from(self.not_ready_n);
        }
        self.last = Some(self.last.map_or(now, |l| l.max(now)));
    }

    /// One agent's flags change from `from` to `to` at `now`.
    pub(crate) fn change(&mut self, now: Instant, from: TimeFlags, to: TimeFlags) {
        self.advance(now);
        let step = |n: &mut u32, was: bool, is: bool| match (was, is) {
            (false, true) => *n += 1,
            (true, false) => *n = n.saturating_sub(1),
            _ => {}
        };
        step(&mut self.staffed_n, from.staffed, to.staffed);
        step(&mut self.busy_n, from.busy, to.busy);
        step(&mut self.not_ready_n, from.not_ready, to.not_ready);
    }

    /// The integrals up to `now` (or up to the last change, if later).
    pub(crate) fn at(&self, now: Instant) -> AgentTime {
        let mut x = *self;
        x.advance(now);
        let d = |ns: u128| Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX));
        AgentTime {
            staffed: d(x.staffed_ns),
            busy: d(x.busy_ns),
            not_ready: d(x.not_ready_ns),
        }
    }
}

/// A snapshot of one queue, or of all queues of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStats {
    /// The counters.
    pub counters: QueueCounters,
    /// Contacts waiting now (ringing ones excluded).
    pub waiting: usize,
    /// Contacts ringing or connected now.
    pub in_service: usize,
    /// The longest current wait.
    pub longest_wait: Duration,
    /// Answered within threshold / entered (`None` before the first contact).
    pub service_level: Option<f64>,
    /// Average speed of answer.
    pub asa: Option<Duration>,
    /// Average handle time.
    pub aht: Option<Duration>,
    /// Estimated wait of a contact arriving now (see the module documentation).
    pub estimated_wait: Duration,
    /// Agents by status.
    pub agents: AgentCounts,
    /// Agent time integrated since the start (see [the module documentation](self)).
    pub agent_time: AgentTime,
    /// Time-weighted occupancy: busy time / staffed time (`None` before any staffed
    /// time). [`AgentCounts::occupancy`] is the same ratio for this instant alone.
    pub occupancy: Option<f64>,
}

impl QueueStats {
    pub(crate) fn from_counters(
        counters: QueueCounters,
        waiting: usize,
        in_service: usize,
        longest_wait: Duration,
        estimated_wait: Duration,
        agents: AgentCounts,
        agent_time: AgentTime,
    ) -> Self {
        let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        let mean = |total: u64, n: u64| (n > 0).then(|| Duration::from_millis(total / n));
        Self {
            service_level: ratio(counters.answered_in_sl, counters.entered),
            asa: mean(counters.answer_wait_ms, counters.answered),
            aht: mean(counters.handle_ms, counters.completed),
            counters,
            waiting,
            in_service,
            longest_wait,
            estimated_wait,
            agents,
            occupancy: agent_time.occupancy(),
            agent_time,
        }
    }
}
