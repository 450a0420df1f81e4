//! Time: the convention every engine follows, and the clocks drivers use.
//!
//! **No core reads the clock.** Sans-IO engines (SIP transactions, the ACD router, the IVR
//! interpreter, the jitter buffer) take `now: Instant` as an argument of every input
//! method and report when they next need attention through `poll_timeout() ->
//! Option<Instant>`. An early `handle_timeout(now)` does nothing; a `now` earlier than one
//! already seen is treated as the one already seen. This makes engines deterministic:
//! tests and simulations run on virtual time, without sleeps.
//!
//! Where wall-clock time matters (records, events, calendars of business hours and
//! holidays) the driver passes a [`Timestamp`] (an instant in UTC) and, for calendars, a
//! [`TimeZone`]. The project's time-zone crate is [`jiff`], with the IANA database bundled
//! so that a center computes Beijing or New York office hours identically on every host.
//!
//! Drivers obtain both kinds of time from a [`Clock`]: [`SystemClock`] in production,
//! [`ManualClock`] in tests and simulators.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use jiff::Zoned;
pub use jiff::tz::TimeZone;
pub use jiff::{SignedDuration, Timestamp};

/// A source of monotonic and wall-clock time, read only by drivers.
pub trait Clock: Send + Sync {
    /// Monotonic time, for timers and leases.
    fn now(&self) -> Instant;
    /// Wall-clock time, for records and calendars.
    fn wall(&self) -> Timestamp;
}

/// The operating system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told to, keeping monotonic and wall time in step.
/// Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<(Instant, Timestamp)>>,
}

impl ManualClock {
    /// A clock standing at `start` (monotonic) and `wall` (wall clock).
    pub fn new(start: Instant, wall: Timestamp) -> Self {
        Self {
            inner: Arc::new(Mutex::new((start, wall))),
        }
    }

    /// Moves both clocks forward by `by`. Wall time saturates at jiff's maximum.
    pub fn advance(&self, by: Duration) {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0 += by;
        let span = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
        guard.1 = guard.1.checked_add(span).unwrap_or(Timestamp::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).0
    }
    fn wall(&self) -> Timestamp {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_both_times_together() {
        let start = Instant::now();
        let wall: Timestamp = "2026-11-22T09:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start, wall);
        let shared = clock.clone();
        clock.advance(Duration::from_secs(90));
        assert_eq!(shared.now() - start, Duration::from_secs(90));
        assert_eq!(shared.wall().to_string(), "2026-11-22T09:01:30Z");
        let beijing = shared.wall().to_zoned(TimeZone::get("Asia/Shanghai").unwrap());
        assert_eq!(beijing.hour(), 17);
    }
}
