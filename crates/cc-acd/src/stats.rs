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

use std::time::Duration;

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
}

impl QueueStats {
    pub(crate) fn from_counters(
        counters: QueueCounters,
        waiting: usize,
        in_service: usize,
        longest_wait: Duration,
        estimated_wait: Duration,
        agents: AgentCounts,
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
        }
    }
}
