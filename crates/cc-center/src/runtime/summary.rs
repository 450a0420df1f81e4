//! Running totals of the center: what the wallboard shows and `ccd demo` prints.

use std::collections::BTreeMap;

use cc_core::{ContactRecord, Disposition};
use serde::Serialize;

use crate::store::LegRecord;

/// Totals since the center started, per tenant and overall.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Calls that reached a queue.
    pub offered: u64,
    /// Calls an agent answered.
    pub answered: u64,
    /// Calls whose caller hung up while waiting.
    pub abandoned: u64,
    /// Calls that ended in the IVR (self-service, blocked, voicemail...).
    pub ivr_only: u64,
    /// Calls sent outside (overflow to a partner, transfers).
    pub overflowed: u64,
    /// Callbacks dialled back to the customer.
    pub callbacks: u64,
    /// Answered within their queue's service-level threshold.
    pub answered_in_sl: u64,
    /// Sum of waits of answered calls, ms.
    pub wait_ms_answered: u64,
    /// Sum of handle times (talk + hold) of answered calls, ms.
    pub handle_ms: u64,
}

impl Totals {
    /// Adds a finished contact and its legs; `sl_ms` is its queue's service-level
    /// threshold.
    pub fn add(&mut self, record: &ContactRecord, legs: &[LegRecord], sl_ms: u64) {
        if legs.iter().any(|l| l.role == "callback") {
            self.callbacks += 1;
        }
        if record.queue.is_some() {
            self.offered += 1;
        }
        match &record.disposition {
            Some(Disposition::Answered) if record.queue.is_some() => {
                self.answered += 1;
                let wait = record.wait_ms().unwrap_or(0);
                self.wait_ms_answered += wait;
                if wait <= sl_ms {
                    self.answered_in_sl += 1;
                }
                self.handle_ms += record.handle_ms().unwrap_or(0);
            }
            Some(Disposition::Abandoned { .. }) if record.queue.is_some() => self.abandoned += 1,
            Some(Disposition::Overflowed { .. }) => self.overflowed += 1,
            _ if record.queue.is_none() => self.ivr_only += 1,
            _ => {}
        }
    }

    /// Share of offered calls answered within the threshold (0 with none offered).
    pub fn service_level(&self) -> f64 {
        if self.offered == 0 {
            0.0
        } else {
            self.answered_in_sl as f64 / self.offered as f64
        }
    }

    /// Average speed of answer, seconds.
    pub fn asa_s(&self) -> f64 {
        if self.answered == 0 {
            0.0
        } else {
            self.wait_ms_answered as f64 / self.answered as f64 / 1000.0
        }
    }

    /// Average handle time, seconds.
    pub fn aht_s(&self) -> f64 {
        if self.answered == 0 {
            0.0
        } else {
            self.handle_ms as f64 / self.answered as f64 / 1000.0
        }
    }
}

/// The center's totals, overall and per tenant, with the recordings made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// All tenants together.
    pub all: Totals,
    /// Per tenant.
    pub tenants: BTreeMap<String, Totals>,
    /// Paths of the recordings written.
    pub recordings: Vec<String>,
    /// Calls still in progress.
    pub live_calls: usize,
}
