//! RFC 3261 §17 timers: the configurable base values T1, T2, T4 and a [`TimerTable`]
//! per transaction (an array of deadlines indexed by [`Timer`]).

use std::time::{Duration, Instant};

/// The timers of RFC 3261 §17 (Table 4), RFC 6026's L and M, and the 200 ms timer after
/// which a server INVITE transaction sends 100 Trying on the TU's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Client INVITE: retransmit the request (unreliable transports).
    A,
    /// Client INVITE: give up waiting for any response (64*T1).
    B,
    /// Proceeding bound: a client INVITE gives up waiting for a final response after
    /// its last provisional one, a server transaction gives up waiting for its TU.
    C,
    /// Client INVITE: leave Completed (absorb retransmitted final responses).
    D,
    /// Client non-INVITE: retransmit the request (unreliable transports).
    E,
    /// Client non-INVITE: give up waiting for a final response (64*T1).
    F,
    /// Server INVITE: retransmit the final non-2xx response (unreliable transports).
    G,
    /// Server INVITE: give up waiting for the ACK (64*T1).
    H,
    /// Server INVITE: leave Confirmed (absorb retransmitted ACKs).
    I,
    /// Server non-INVITE: leave Completed (answer retransmitted requests).
    J,
    /// Client non-INVITE: leave Completed (absorb retransmitted responses).
    K,
    /// Server INVITE (RFC 6026): leave Accepted after a 2xx.
    L,
    /// Client INVITE (RFC 6026): leave Accepted after a 2xx.
    M,
    /// Server INVITE: send 100 Trying if the TU has not answered yet.
    Trying,
}

impl Timer {
    /// How many timers there are.
    pub const COUNT: usize = 14;

    /// Every timer, in the order of their slots.
    pub const ALL: [Self; Self::COUNT] = [
        Self::A,
        Self::B,
        Self::C,
        Self::D,
        Self::E,
        Self::F,
        Self::G,
        Self::H,
        Self::I,
        Self::J,
        Self::K,
        Self::L,
        Self::M,
        Self::Trying,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// The base values of the RFC 3261 timers. The defaults are the RFC's: T1 = 500 ms,
/// T2 = 4 s, T4 = 5 s, Timer D = 32 s, 100 Trying after 200 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate; the first retransmission interval.
    pub t1: Duration,
    /// Longest retransmission interval for non-INVITE requests and INVITE responses.
    pub t2: Duration,
    /// Longest time a message stays in the network.
    pub t4: Duration,
    /// Timer D on unreliable transports (at least 32 s per RFC 3261).
    pub timer_d: Duration,
    /// Delay before a server INVITE transaction sends 100 Trying for a silent TU.
    pub trying_delay: Duration,
    /// Timer C: how long an INVITE may stay in Proceeding without a final response
    /// (client: since the last provisional response; server: since the request, after
    /// which the layer answers 408 for a silent TU). Default 3 minutes.
    pub proceeding: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            trying_delay: Duration::from_millis(200),
            proceeding: Duration::from_secs(180),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, L and M.
    pub fn timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// The next retransmission interval after `current`: doubled, capped at T2.
    pub fn backoff(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }

    /// `value` on unreliable transports, zero on reliable ones (RFC 3261 Table 4).
    pub fn unreliable_only(value: Duration, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { value }
    }
}

/// The armed deadlines of one transaction, one slot per [`Timer`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerTable {
    slots: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    /// Arms `timer` to fire at `at` (replacing any earlier deadline).
    pub fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.slots.get_mut(timer.slot()) {
            *slot = Some(at);
        }
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        if let Some(slot) = self.slots.get_mut(timer.slot()) {
            *slot = None;
        }
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.slots = [None; Timer::COUNT];
    }

    /// The deadline of `timer`, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots.get(timer.slot()).copied().flatten()
    }

    /// The earliest armed deadline.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }

    /// Disarms and returns the earliest timer expired at `now`, if any.
    pub fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let (timer, _) = Timer::ALL
            .iter()
            .filter_map(|t| self.get(*t).filter(|at| *at <= now).map(|at| (*t, at)))
            .min_by_key(|(_, at)| *at)?;
        self.stop(timer);
        Some(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_fires_earliest_first_and_early_calls_do_nothing() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        t.set(Timer::B, t0 + Duration::from_secs(32));
        t.set(Timer::A, t0 + Duration::from_millis(500));
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(t.take_expired(t0), None);
        assert_eq!(t.take_expired(t0 + Duration::from_secs(40)), Some(Timer::A));
        assert_eq!(t.take_expired(t0 + Duration::from_secs(40)), Some(Timer::B));
        assert_eq!(t.next_timeout(), None);
    }

    #[test]
    fn backoff_doubles_up_to_t2() {
        let c = TimerConfig::default();
        let mut d = c.t1;
        let mut seen = vec![];
        for _ in 0..6 {
            seen.push(d.as_millis());
            d = c.backoff(d);
        }
        assert_eq!(seen, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(c.timeout(), Duration::from_secs(32));
    }
}
