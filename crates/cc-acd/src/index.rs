//! Indexes of available agents: for every (tenant, skill or none, channel) a pool holding
//! the agents available on that channel, in one ordered set per [`AgentOrder`] in use.

use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::time::Instant;

use crate::fasthash::FastMap;
use crate::strategy::AgentOrder;

/// The key an agent was inserted into its pools with (kept to remove it exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AvailKey {
    pub(crate) since: Instant,
    /// Tasks on the channel (high byte) and contacts answered (low 24 bits).
    pub(crate) load: u32,
    pub(crate) rand: u64,
}

/// The available agents of one (tenant, skill, channel), in one ordered set per order
/// kept. Every entry carries the agent's level in the pool's skill (last where it does not
/// rank), so that a decision can often tell eligibility without reading the agent.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: BTreeSet<(Instant, u32, u8)>,
    level: BTreeSet<(Reverse<u8>, Instant, u32)>,
    handled: BTreeSet<(u32, Instant, u32, u8)>,
    index: BTreeSet<(u32, u8)>,
    random: BTreeSet<(u64, u32, u8)>,
}

impl Pool {
    fn apply(&mut self, orders: u8, agent: u32, level: u8, k: AvailKey, insert: bool) {
        fn op<T: Ord>(set: &mut BTreeSet<T>, v: T, insert: bool) {
            if insert {
                set.insert(v);
            } else {
                set.remove(&v);
            }
        }
        if orders & AgentOrder::LongestIdle.bit() != 0 {
            op(&mut self.idle, (k.since, agent, level), insert);
        }
        if orders & AgentOrder::MostSkilled.bit() != 0 {
            op(&mut self.level, (Reverse(level), k.since, agent), insert);
        }
        if orders & AgentOrder::LeastOccupied.bit() != 0 {
            op(&mut self.handled, (k.load, k.since, agent, level), insert);
        }
        if orders & AgentOrder::RoundRobin.bit() != 0 {
            op(&mut self.index, (agent, level), insert);
        }
        if orders & AgentOrder::Random.bit() != 0 {
            op(&mut self.random, (k.rand, agent, level), insert);
        }
    }

    /// Whether every set the pool keeps (bit per order in `orders`) holds `agent` with the
    /// key and level it was inserted with.
    #[cfg(test)]
    pub(crate) fn contains(&self, orders: u8, agent: u32, level: u8, k: AvailKey) -> bool {
        let has = |order: AgentOrder, present: bool| orders & order.bit() == 0 || present;
        has(
            AgentOrder::LongestIdle,
            self.idle.contains(&(k.since, agent, level)),
        ) && has(
            AgentOrder::MostSkilled,
            self.level.contains(&(Reverse(level), k.since, agent)),
        ) && has(
            AgentOrder::LeastOccupied,
            self.handled.contains(&(k.load, k.since, agent, level)),
        ) && has(AgentOrder::RoundRobin, self.index.contains(&(agent, level)))
            && has(AgentOrder::Random, self.random.contains(&(k.rand, agent, level)))
    }
}

/// All pools, found by (tenant, skill, channel).
#[derive(Debug, Default)]
pub(crate) struct Pools {
    all: Vec<Pool>,
    by_key: FastMap<(u32, u32, u8), u32>,
    /// The orders some queue uses (bit per [`AgentOrder`]); only these sets are kept.
    orders: u8,
}

const NO_SKILL: u32 = u32::MAX;

impl Pools {
    /// Adds an order to those kept. Returns whether it was new (then the caller refills).
    pub(crate) fn want(&mut self, order: AgentOrder) -> bool {
        let new = self.orders & order.bit() == 0;
        self.orders |= order.bit();
        new
    }

    /// Empties every pool (before a refill with a new set of orders).
    pub(crate) fn clear(&mut self) {
        for p in &mut self.all {
            *p = Pool::default();
        }
    }

    pub(crate) fn id(&mut self, tenant: u32, skill: Option<u32>, channel: u8) -> u32 {
        let key = (tenant, skill.unwrap_or(NO_SKILL), channel);
        let next = self.all.len() as u32;
        let id = *self.by_key.entry(key).or_insert(next);
        if id == next {
            self.all.push(Pool::default());
        }
        id
    }

    pub(crate) fn get(&self, tenant: u32, skill: Option<u32>, channel: u8) -> Option<u32> {
        self.by_key
            .get(&(tenant, skill.unwrap_or(NO_SKILL), channel))
            .copied()
    }

    pub(crate) fn insert(&mut self, pool: u32, agent: u32, level: u8, k: AvailKey) {
        let orders = self.orders;
        if let Some(p) = self.all.get_mut(pool as usize) {
            p.apply(orders, agent, level, k, true);
        }
    }

    pub(crate) fn remove(&mut self, pool: u32, agent: u32, level: u8, k: AvailKey) {
        let orders = self.orders;
        if let Some(p) = self.all.get_mut(pool as usize) {
            p.apply(orders, agent, level, k, false);
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, pool: u32, agent: u32, level: u8, k: AvailKey) -> bool {
        self.all
            .get(pool as usize)
            .is_some_and(|p| p.contains(self.orders, agent, level, k))
    }

    /// Visits the pool's agents in `order`, best first, until `f` breaks; `f` gets the
    /// agent and its level in the pool's skill (0 in a pool of no skill). Round robin
    /// starts after `cursor` and wraps.
    pub(crate) fn visit(
        &self,
        pool: u32,
        order: AgentOrder,
        cursor: u32,
        mut f: impl FnMut(u32, u8) -> ControlFlow<()>,
    ) {
        let Some(p) = self.all.get(pool as usize) else {
            return;
        };
        let _ = match order {
            AgentOrder::LongestIdle => p.idle.iter().try_for_each(|&(_, a, l)| f(a, l)),
            AgentOrder::MostSkilled => p.level.iter().try_for_each(|&(Reverse(l), _, a)| f(a, l)),
            AgentOrder::LeastOccupied => p.handled.iter().try_for_each(|&(_, _, a, l)| f(a, l)),
            AgentOrder::Random => p.random.iter().try_for_each(|&(_, a, l)| f(a, l)),
            AgentOrder::RoundRobin => {
                let after = cursor
                    .checked_add(1)
                    .map_or(p.index.range((0, 0)..(0, 0)), |s| p.index.range((s, 0)..));
                after
                    .copied()
                    .chain(p.index.range(..=(cursor, u8::MAX)).copied())
                    .try_for_each(|(a, l)| f(a, l))
            }
        };
    }
}
