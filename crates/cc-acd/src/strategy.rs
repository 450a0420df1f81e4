//! Routing strategies: how an agent is chosen for a contact.
//!
//! Strategies work on indexes. For every (tenant, skill, channel) the router keeps the
//! available agents in the orders queues use ([`AgentOrder`]: intrusive lists
//! for longest idle and most skilled, ordered sets for the others); a strategy names the
//! order it wants and may pick among the first few eligible candidates
//! ([`RoutingStrategy::window`]).
//! No decision scans all agents.
//!
//! Before any strategy, a contact's preferred agent (see
//! [`cc_core::Contact::preferred_agent`]) gets it when that agent is available and
//! eligible. When it is busy and the queue sets
//! [`preferred_wait`](crate::QueueConfig::preferred_wait), the contact waits for that agent
//! alone that long (a sticky agent), then falls back to the queue's strategy.

use std::fmt;
use std::time::Instant;

use cc_core::{AgentId, Dense};
use serde::{Deserialize, Serialize};

/// An order of available agents that the router indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentOrder {
    /// Available the longest first.
    LongestIdle,
    /// Highest level in the contact's first required skill first, ties to longest idle.
    MostSkilled,
    /// Fewest contacts in progress on the channel first, then fewest answered since
    /// login, ties to longest idle.
    LeastOccupied,
    /// By agent index, starting after the last agent this queue chose.
    RoundRobin,
    /// A uniformly random order, drawn from the router's seeded generator each time an
    /// agent becomes available.
    Random,
}

impl AgentOrder {
    /// Every order, in a stable sequence (bit `i` of an order mask is `ALL[i]`).
    pub const ALL: [AgentOrder; 5] = [
        AgentOrder::LongestIdle,
        AgentOrder::MostSkilled,
        AgentOrder::LeastOccupied,
        AgentOrder::RoundRobin,
        AgentOrder::Random,
    ];

    pub(crate) const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// An eligible, available agent, as offered to [`RoutingStrategy::choose`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The agent's dense index (see [`crate::Router::agent_id`]).
    pub agent: Dense<AgentId>,
    /// Its level in the contact's first required skill (0 when the contact needs none).
    pub level: u8,
    /// Contacts it answered since login (counted up to 16,777,215).
    pub handled: u32,
    /// Since when it has been available on this channel.
    pub available_since: Instant,
}

/// Chooses an agent for a contact. Implement it to plug in a strategy of your own with
/// [`crate::Router::set_strategy`].
pub trait RoutingStrategy: fmt::Debug + Send {
    /// A short name for logs.
    fn name(&self) -> &'static str;
    /// Which index the router walks to produce candidates, best first.
    fn order(&self) -> AgentOrder;
    /// How many eligible candidates to collect before [`choose`](Self::choose) (at least 1).
    fn window(&self) -> usize {
        1
    }
    /// Picks one of `candidates` (never empty, in [`order`](Self::order)); an index out
    /// of range means the first.
    fn choose(&mut self, candidates: &[Candidate]) -> usize {
        let _ = candidates;
        0
    }
    /// Ring-all: offer the contact to every candidate of the window at once; the first
    /// accept wins and the others are withdrawn as one. [`choose`](Self::choose) is not
    /// called.
    fn ring_all(&self) -> bool {
        false
    }
}

/// The built-in strategies, as named in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// The agent available the longest.
    LongestIdle,
    /// The most skilled agent (highest level), ties to the longest idle.
    MostSkilled,
    /// The least occupied agent: fewest contacts in progress, then fewest answered.
    LeastOccupied,
    /// Agents in turn, remembering the position per queue.
    RoundRobin,
    /// A random agent from the router's seeded generator.
    Random,
    /// Every eligible agent at once (up to [`RING_ALL_MAX`], longest idle first); the first
    /// accept wins and the others are withdrawn as one.
    RingAll,
}

/// Most agents one ring-all offer rings at once.
pub const RING_ALL_MAX: usize = 32;

impl StrategyKind {
    /// The built-in strategy object.
    pub fn build(self) -> Box<dyn RoutingStrategy> {
        Box::new(BuiltIn(self))
    }

    /// The index it walks.
    pub const fn order(self) -> AgentOrder {
        match self {
            StrategyKind::LongestIdle | StrategyKind::RingAll => AgentOrder::LongestIdle,
            StrategyKind::MostSkilled => AgentOrder::MostSkilled,
            StrategyKind::LeastOccupied => AgentOrder::LeastOccupied,
            StrategyKind::RoundRobin => AgentOrder::RoundRobin,
            StrategyKind::Random => AgentOrder::Random,
        }
    }
}

/// A built-in strategy: the first eligible agent of its order.
#[derive(Debug, Clone, Copy)]
struct BuiltIn(StrategyKind);

impl RoutingStrategy for BuiltIn {
    fn name(&self) -> &'static str {
        match self.0 {
            StrategyKind::LongestIdle => "longest_idle",
            StrategyKind::MostSkilled => "most_skilled",
            StrategyKind::LeastOccupied => "least_occupied",
            StrategyKind::RoundRobin => "round_robin",
            StrategyKind::Random => "random",
            StrategyKind::RingAll => "ring_all",
        }
    }
    fn order(&self) -> AgentOrder {
        self.0.order()
    }
    fn window(&self) -> usize {
        if self.0 == StrategyKind::RingAll {
            RING_ALL_MAX
        } else {
            1
        }
    }
    fn ring_all(&self) -> bool {
        self.0 == StrategyKind::RingAll
    }
}

/// A small seeded generator (SplitMix64): deterministic for a seed, enough for picking
/// agents and for simulations; not for secrets.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator for `seed`.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_roughly_uniform() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let mean = (0..10_000).map(|_| a.next_f64()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }

    #[test]
    fn kinds_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&StrategyKind::MostSkilled).unwrap(),
            "\"most_skilled\""
        );
        assert_eq!(StrategyKind::RoundRobin.build().name(), "round_robin");
        assert_eq!(StrategyKind::Random.build().order(), AgentOrder::Random);
    }
}
