//! Indexes of available agents: for every (tenant, skill or none, channel) a pool holding
//! the agents available on that channel, in the orders some queue uses.
//!
//! Every membership of an agent in a pool (one per channel it has capacity on, times its
//! tenants and skills) is a *node* of a slab, allocated when the agent is added. The two
//! orders the usual strategies walk are lists of entries with lazy deletion:
//!
//! - longest idle: one list per pool ordered by `(available since, agent)`;
//! - most skilled: one list per level (0–10) per pool, each ordered the same way, walked
//!   from level 10 down (a bit mask skips empty levels).
//!
//! An agent becomes available at the router's clock, which never goes backwards, so its
//! entry goes to the back of each list (a key that is not the largest, as in a refill,
//! goes to its place by binary search, which keeps the exact order). Leaving a pool
//! (reserved, paused, or re-keyed because its load changed) only bumps the node's
//! generation: entries of an older generation are stale, skipped by walks, dropped when
//! they reach the front (after each routing walk, and on insertion) or by a compaction
//! when a list grows past twice its length at the last one. So a reservation touches no
//! pool at all, and a release appends at the back of each of the agent's pools, where an
//! ordered set paid a logarithmic search with node shifting per pool on both, and an
//! intrusive list a visit to each neighbour. The other orders (least occupied, round
//! robin, random) rank by keys that do not grow with time and keep ordered sets, only
//! while some queue uses them.

use std::collections::{BTreeSet, VecDeque};
use std::ops::ControlFlow;
use std::time::Instant;

use crate::fasthash::FastMap;
use crate::strategy::AgentOrder;

/// The key an agent was made available with (kept to remove it exactly from the sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AvailKey {
    pub(crate) since: Instant,
    /// Tasks on the channel (high byte) and contacts answered (low 24 bits).
    pub(crate) load: u32,
    pub(crate) rand: u64,
}

/// Levels kept apart in the most-skilled lists (0 = a pool of no skill; skills 1–10).
const LEVELS: usize = 11;

/// One agent's membership in one pool.
#[derive(Debug, Clone, Copy)]
struct Node {
    agent: u32,
    pool: u32,
    /// Bumped whenever the membership leaves its pool: entries made before are stale.
    epoch: u32,
    /// The agent's level in the pool's skill (0 in a pool of no skill).
    level: u8,
    /// In its pool now.
    linked: bool,
}

/// One entry of a pool's list: a node that joined at `since` with `load`, valid while
/// the node's generation is still `epoch`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    since: Instant,
    /// The node's agent when the entry was made (a node freed and reused by another
    /// agent keeps its stale entries in order).
    agent: u32,
    node: u32,
    epoch: u32,
    load: u32,
}

/// A list of entries ordered by `(since, agent)`, stale ones left in place until they
/// reach the front or a compaction.
#[derive(Debug, Default)]
struct List {
    entries: VecDeque<Entry>,
    /// Compact when longer than this (twice the length after the last compaction, and
    /// some): stale entries stay at most about as many as live ones, amortised O(1).
    compact_at: usize,
}

/// The available agents of one (tenant, skill, channel).
#[derive(Debug, Default)]
struct Pool {
    idle: List,
    /// Bit `l` set when `levels[l]` holds entries (perhaps only stale ones).
    level_mask: u16,
    levels: [List; LEVELS],
    handled: BTreeSet<(u32, Instant, u32, u8)>,
    index: BTreeSet<(u32, u8)>,
    random: BTreeSet<(u64, u32, u8)>,
}

impl List {
    /// Adds an entry at its place (the back, unless a later key is there).
    fn push(&mut self, nodes: &[Node], e: Entry) {
        let key = (e.since, e.agent);
        if self.entries.back().is_none_or(|b| (b.since, b.agent) <= key) {
            self.entries.push_back(e);
        } else {
            let at = self.entries.partition_point(|x| (x.since, x.agent) <= key);
            self.entries.insert(at, e);
        }
        // Walks that only read (a what-if) cannot drop what they skip: keep the front
        // clean here too, so that a pool no routing walk visits lately stays cheap to read.
        self.prune_front(nodes);
        if self.entries.len() > self.compact_at {
            self.entries.retain(|x| valid(nodes, x));
            self.compact_at = 2 * self.entries.len() + 16;
        }
    }

    /// Drops stale entries at the front.
    fn prune_front(&mut self, nodes: &[Node]) {
        while self.entries.front().is_some_and(|x| !valid(nodes, x)) {
            self.entries.pop_front();
        }
    }
}

/// Whether an entry is still its node's.
fn valid(nodes: &[Node], e: &Entry) -> bool {
    nodes
        .get(e.node as usize)
        .is_some_and(|n| n.linked && n.epoch == e.epoch)
}

/// An available agent met in a pool walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    pub(crate) agent: u32,
    /// Its level in the pool's skill (0 in a pool of no skill).
    pub(crate) level: u8,
    /// The key's `since` and `load` where the order keeps them (all but round robin and
    /// random), so that a candidate is described without reading the agent.
    pub(crate) key: Option<(Instant, u32)>,
}

/// Calls `f` on each valid entry of a list, in order, until it breaks.
fn walk<F: FnMut(Member) -> ControlFlow<()>>(nodes: &[Node], list: &List, f: &mut F) -> ControlFlow<()> {
    for e in &list.entries {
        let Some(n) = nodes.get(e.node as usize) else {
            continue;
        };
        if n.linked && n.epoch == e.epoch {
            f(Member {
                agent: n.agent,
                level: n.level,
                key: Some((e.since, e.load)),
            })?;
        }
    }
    ControlFlow::Continue(())
}

/// All pools, found by (tenant, skill, channel), and the nodes of their members.
#[derive(Debug, Default)]
pub(crate) struct Pools {
    all: Vec<Pool>,
    by_key: FastMap<(u32, u32, u8), u32>,
    nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    /// The orders some queue uses (bit per [`AgentOrder`]); only these are kept.
    orders: u8,
}

const NO_SKILL: u32 = u32::MAX;

impl Pools {
    /// Adds an order to those kept. Returns whether it was new (then the caller refills
    /// with [`clear`](Self::clear) and [`insert`](Self::insert), best in key order).
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
        for n in &mut self.nodes {
            n.linked = false;
            n.epoch = n.epoch.wrapping_add(1);
        }
    }

    /// The pool of (tenant, skill, channel), created if new.
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

    /// A node for `agent`'s membership in `pool` at `level` (not yet available).
    pub(crate) fn node(&mut self, pool: u32, agent: u32, level: u8) -> u32 {
        let fresh = |epoch| Node {
            agent,
            pool,
            epoch,
            level: level.min(LEVELS as u8 - 1),
            linked: false,
        };
        if let Some(n) = self.free_nodes.pop() {
            if let Some(x) = self.nodes.get_mut(n as usize) {
                // A new generation: entries of the node's last owner stay stale.
                *x = fresh(x.epoch.wrapping_add(1));
            }
            n
        } else {
            self.nodes.push(fresh(0));
            (self.nodes.len() - 1) as u32
        }
    }

    /// Gives back a node of an agent removed (taken out of its pool first).
    pub(crate) fn free_node(&mut self, n: u32, k: Option<AvailKey>) {
        if let Some(k) = k {
            self.remove(n, k);
        }
        if (n as usize) < self.nodes.len() {
            self.free_nodes.push(n);
        }
    }

    /// Puts node `n` (an agent now available) in its pool, keyed by `k`.
    pub(crate) fn insert(&mut self, n: u32, k: AvailKey) {
        let orders = self.orders;
        let Some(node) = self.nodes.get_mut(n as usize) else {
            return;
        };
        if node.linked {
            return;
        }
        node.linked = true;
        let Node {
            agent,
            level,
            pool,
            epoch,
            ..
        } = *node;
        let Some(p) = self.all.get_mut(pool as usize) else {
            return;
        };
        let e = Entry {
            since: k.since,
            agent,
            node: n,
            epoch,
            load: k.load,
        };
        if orders & AgentOrder::LongestIdle.bit() != 0 {
            p.idle.push(&self.nodes, e);
        }
        if orders & AgentOrder::MostSkilled.bit() != 0
            && let Some(list) = p.levels.get_mut(level as usize)
        {
            list.push(&self.nodes, e);
            p.level_mask |= 1 << level;
        }
        if orders & AgentOrder::LeastOccupied.bit() != 0 {
            p.handled.insert((k.load, k.since, agent, level));
        }
        if orders & AgentOrder::RoundRobin.bit() != 0 {
            p.index.insert((agent, level));
        }
        if orders & AgentOrder::Random.bit() != 0 {
            p.random.insert((k.rand, agent, level));
        }
    }

    /// Takes node `n` out of its pool; `k` is the key it was inserted with. For the lists
    /// this only makes its entries stale (no pool is touched); the ordered sets of the
    /// other orders, when kept, remove it.
    pub(crate) fn remove(&mut self, n: u32, k: AvailKey) {
        let orders = self.orders;
        let Some(node) = self.nodes.get_mut(n as usize) else {
            return;
        };
        if !node.linked {
            return;
        }
        node.linked = false;
        node.epoch = node.epoch.wrapping_add(1);
        let sets = AgentOrder::LeastOccupied.bit() | AgentOrder::RoundRobin.bit() | AgentOrder::Random.bit();
        if orders & sets == 0 {
            return;
        }
        let (agent, level, pool) = (node.agent, node.level, node.pool);
        let Some(p) = self.all.get_mut(pool as usize) else {
            return;
        };
        if orders & AgentOrder::LeastOccupied.bit() != 0 {
            p.handled.remove(&(k.load, k.since, agent, level));
        }
        if orders & AgentOrder::RoundRobin.bit() != 0 {
            p.index.remove(&(agent, level));
        }
        if orders & AgentOrder::Random.bit() != 0 {
            p.random.remove(&(k.rand, agent, level));
        }
    }

    /// Drops the stale entries at the front of the pool's lists (after a walk, so that
    /// the next one does not meet them again).
    pub(crate) fn prune(&mut self, pool: u32, order: AgentOrder) {
        let Some(p) = self.all.get_mut(pool as usize) else {
            return;
        };
        match order {
            AgentOrder::LongestIdle => p.idle.prune_front(&self.nodes),
            AgentOrder::MostSkilled => {
                for (l, list) in p.levels.iter_mut().enumerate() {
                    if p.level_mask & (1 << l) != 0 {
                        list.prune_front(&self.nodes);
                        if list.entries.is_empty() {
                            p.level_mask &= !(1 << l);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether every order kept holds node `n` with the key it was inserted with.
    #[cfg(test)]
    pub(crate) fn contains(&self, n: u32, agent: u32, k: AvailKey) -> bool {
        let Some(node) = self.nodes.get(n as usize) else {
            return false;
        };
        let Some(p) = self.all.get(node.pool as usize) else {
            return false;
        };
        let level = node.level;
        let in_list = |list: &List| {
            list.entries
                .iter()
                .filter(|e| e.node == n && valid(&self.nodes, e))
                .map(|e| (e.since, e.load))
                .eq([(k.since, k.load)])
        };
        let has = |order: AgentOrder, present: bool| self.orders & order.bit() == 0 || present;
        node.agent == agent
            && node.linked
            && has(AgentOrder::LongestIdle, in_list(&p.idle))
            && has(
                AgentOrder::MostSkilled,
                p.levels.get(level as usize).is_some_and(in_list),
            )
            && has(
                AgentOrder::LeastOccupied,
                p.handled.contains(&(k.load, k.since, agent, level)),
            )
            && has(AgentOrder::RoundRobin, p.index.contains(&(agent, level)))
            && has(AgentOrder::Random, p.random.contains(&(k.rand, agent, level)))
    }

    /// Checks every list: ordered by `(since, agent)`, entries of its own pool (and
    /// level), no node valid twice, and no more entries than the compaction allows
    /// (tests only).
    #[cfg(test)]
    pub(crate) fn check_lists(&self) -> Result<(), String> {
        let check = |pool: u32, list: &List, level: Option<u8>| -> Result<(), String> {
            let mut last: Option<(Instant, u32)> = None;
            let mut seen = std::collections::HashSet::new();
            for e in &list.entries {
                let Some(n) = self.nodes.get(e.node as usize) else {
                    return Err(format!("entry of unknown node {}", e.node));
                };
                if last.is_some_and(|l| l > (e.since, e.agent)) {
                    return Err(format!("pool {pool} list out of order at node {}", e.node));
                }
                last = Some((e.since, e.agent));
                if valid(&self.nodes, e) {
                    if n.pool != pool || n.agent != e.agent || level.is_some_and(|l| l != n.level) {
                        return Err(format!("node {} listed in another pool or level", e.node));
                    }
                    if !seen.insert(e.node) {
                        return Err(format!("node {} valid twice in pool {pool}", e.node));
                    }
                }
            }
            if list.entries.len() > list.compact_at.max(16) {
                return Err(format!("pool {pool} list past its compaction mark"));
            }
            Ok(())
        };
        for (i, p) in self.all.iter().enumerate() {
            check(i as u32, &p.idle, None)?;
            for (l, list) in p.levels.iter().enumerate() {
                check(i as u32, list, Some(l as u8))?;
                if !list.entries.is_empty() && p.level_mask & (1 << l) == 0 {
                    return Err(format!("pool {i} level {l} not in its mask"));
                }
            }
        }
        Ok(())
    }

    /// Visits the pool's agents in `order`, best first, until `f` breaks. Round robin
    /// starts after `cursor` and wraps.
    pub(crate) fn visit(
        &self,
        pool: u32,
        order: AgentOrder,
        cursor: u32,
        mut f: impl FnMut(Member) -> ControlFlow<()>,
    ) {
        let Some(p) = self.all.get(pool as usize) else {
            return;
        };
        let nodes = &self.nodes;
        let _ = match order {
            AgentOrder::LongestIdle => walk(nodes, &p.idle, &mut f),
            AgentOrder::MostSkilled => {
                let mut mask = p.level_mask;
                let mut flow = ControlFlow::Continue(());
                while mask != 0 && flow.is_continue() {
                    let level = 15 - mask.leading_zeros() as usize;
                    mask &= !(1 << level);
                    if let Some(list) = p.levels.get(level) {
                        flow = walk(nodes, list, &mut f);
                    }
                }
                flow
            }
            AgentOrder::LeastOccupied => p.handled.iter().try_for_each(|&(load, since, agent, level)| {
                f(Member {
                    agent,
                    level,
                    key: Some((since, load)),
                })
            }),
            AgentOrder::Random => p.random.iter().try_for_each(|&(_, agent, level)| {
                f(Member {
                    agent,
                    level,
                    key: None,
                })
            }),
            AgentOrder::RoundRobin => {
                let after = cursor
                    .checked_add(1)
                    .map_or(p.index.range((0, 0)..(0, 0)), |s| p.index.range((s, 0)..));
                after
                    .copied()
                    .chain(p.index.range(..=(cursor, u8::MAX)).copied())
                    .try_for_each(|(agent, level)| {
                        f(Member {
                            agent,
                            level,
                            key: None,
                        })
                    })
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(t0: Instant, ms: u64) -> AvailKey {
        AvailKey {
            since: t0 + Duration::from_millis(ms),
            load: 0,
            rand: ms,
        }
    }

    fn order(p: &Pools, pool: u32, order: AgentOrder) -> Vec<(u32, u8)> {
        let mut out = Vec::new();
        p.visit(pool, order, 0, |m| {
            out.push((m.agent, m.level));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn lists_keep_idle_and_level_order_under_any_insert_order() {
        let t0 = Instant::now();
        let mut p = Pools::default();
        p.want(AgentOrder::LongestIdle);
        p.want(AgentOrder::MostSkilled);
        let pool = p.id(0, Some(1), 0);
        // Agent a at level levels[a], available since since_ms[a] (ties on 20 ms).
        let levels = [3u8, 7, 7, 1, 10, 3];
        let since_ms = [50u64, 20, 20, 5, 60, 20];
        let nodes: Vec<u32> = levels
            .iter()
            .enumerate()
            .map(|(a, &l)| p.node(pool, a as u32, l))
            .collect();
        // Inserted out of key order: later ones walk back to their place.
        for a in [4usize, 2, 0, 5, 1, 3] {
            p.insert(nodes[a], key(t0, since_ms[a]));
        }
        p.check_lists().unwrap();
        let idle: Vec<u32> = order(&p, pool, AgentOrder::LongestIdle)
            .iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(idle, vec![3, 1, 2, 5, 0, 4], "by (since, agent)");
        let ranked = order(&p, pool, AgentOrder::MostSkilled);
        assert_eq!(ranked, vec![(4, 10), (1, 7), (2, 7), (5, 3), (0, 3), (3, 1)]);
        for a in 0..6 {
            assert!(p.contains(nodes[a], a as u32, key(t0, since_ms[a])));
        }
        // Out of the middle, the head and the tail; a level emptied leaves the mask.
        p.remove(nodes[2], key(t0, 20));
        p.remove(nodes[3], key(t0, 5));
        p.remove(nodes[4], key(t0, 60));
        p.check_lists().unwrap();
        let idle: Vec<u32> = order(&p, pool, AgentOrder::LongestIdle)
            .iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(idle, vec![1, 5, 0]);
        assert_eq!(
            order(&p, pool, AgentOrder::MostSkilled),
            vec![(1, 7), (5, 3), (0, 3)]
        );
        // Back at a later time: the tail.
        p.insert(nodes[3], key(t0, 70));
        assert_eq!(order(&p, pool, AgentOrder::LongestIdle).last(), Some(&(3, 1)));
        // A second insert or remove changes nothing.
        p.insert(nodes[3], key(t0, 80));
        p.remove(nodes[2], key(t0, 20));
        p.check_lists().unwrap();
        assert_eq!(order(&p, pool, AgentOrder::LongestIdle).len(), 4);
        // A freed node is reused.
        p.remove(nodes[3], key(t0, 70));
        p.free_node(nodes[3], None);
        assert_eq!(p.node(pool, 9, 2), nodes[3]);
        // A break stops the walk.
        let mut seen = 0;
        p.visit(pool, AgentOrder::MostSkilled, 0, |_| {
            seen += 1;
            ControlFlow::Break(())
        });
        assert_eq!(seen, 1);
    }
}
