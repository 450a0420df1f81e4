//! Indexes of available agents: for every (tenant, skill or none, channel) a pool holding
//! the agents available on that channel, in the orders some queue uses.
//!
//! Every membership of an agent in a pool (one per channel it has capacity on, times its
//! tenants and skills) is a *node* of a slab, allocated when the agent is added. The two
//! orders the usual strategies walk are intrusive doubly linked lists through the nodes:
//!
//! - longest idle: one list per pool ordered by `(available since, agent)`;
//! - most skilled: one list per level (0–10) per pool, each ordered the same way, walked
//!   from level 10 down (a bit mask skips empty levels).
//!
//! An agent becomes available at the router's clock, which never goes backwards, so it
//! joins the tail of its lists: linking and unlinking cost O(1) with no allocation and no
//! rebalancing, where an ordered set paid O(log n) with node shifting for each of the
//! agent's pools on every reservation and release. (A key that is not the largest, as
//! after a refill, walks back from the tail to its place, which keeps the exact order.)
//! The other orders (least occupied, round robin, random) rank by keys that do not grow
//! with time and keep ordered sets, only while some queue uses them.
//!
//! Only what some walk reads is kept: a key's load holds the contacts answered only while
//! the least-occupied order is kept (so an answer re-keys no channel otherwise), and a
//! tenant's pools of no skill fill only once one of its queues requires no skill (until
//! then a per-node flag, read before the node, keeps their nodes out of every list).

use std::collections::BTreeSet;
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

/// The bits of a key's load that count contacts answered (the rest counts tasks).
pub(crate) const HANDLED_BITS: u32 = 0xFF_FFFF;

/// No node (end of a list).
const NIL: u32 = u32::MAX;
/// Levels kept apart in the most-skilled lists (0 = a pool of no skill; skills 1–10).
const LEVELS: usize = 11;

/// Links of one node in one list.
#[derive(Debug, Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
}

const UNLINKED: Link = Link { prev: NIL, next: NIL };

/// Ends of one list.
#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List { head: NIL, tail: NIL };

/// One agent's membership in one pool.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// When it joined its lists (`None` until it first does).
    since: Option<Instant>,
    /// The load of the key it joined with.
    load: u32,
    agent: u32,
    pool: u32,
    /// The agent's level in the pool's skill (0 in a pool of no skill).
    level: u8,
    linked: bool,
    idle: Link,
    rank: Link,
}

/// The available agents of one (tenant, skill, channel).
#[derive(Debug)]
struct Pool {
    /// Whether some routing walk may visit it: a pool of a skill always; a tenant's pool
    /// of no skill only once the tenant has a queue requiring no skill (a contact's
    /// requirements are merged with its queue's). Until then its nodes join no list.
    walked: bool,
    idle: List,
    levels: [List; LEVELS],
    /// Bit `l` set when `levels[l]` is not empty.
    level_mask: u16,
    handled: BTreeSet<(u32, Instant, u32, u8)>,
    index: BTreeSet<(u32, u8)>,
    random: BTreeSet<(u64, u32, u8)>,
}

impl Default for Pool {
    fn default() -> Self {
        Self {
            walked: true,
            idle: EMPTY,
            levels: [EMPTY; LEVELS],
            level_mask: 0,
            handled: BTreeSet::new(),
            index: BTreeSet::new(),
            random: BTreeSet::new(),
        }
    }
}

/// Which of a node's two link pairs a list goes through.
#[derive(Clone, Copy)]
enum Via {
    Idle,
    Rank,
}

impl Node {
    fn link(&mut self, via: Via) -> &mut Link {
        match via {
            Via::Idle => &mut self.idle,
            Via::Rank => &mut self.rank,
        }
    }

    fn get(&self, via: Via) -> Link {
        match via {
            Via::Idle => self.idle,
            Via::Rank => self.rank,
        }
    }
}

/// Links node `n` into `list` at its place by `(since, agent)`: at the tail unless a node
/// there ranks after it (then walking back to its place).
#[inline]
fn link(nodes: &mut [Node], list: &mut List, n: u32, via: Via) {
    let Some(&node) = nodes.get(n as usize) else {
        return;
    };
    let key = (node.since, node.agent);
    let mut after = list.tail;
    while let Some(p) = nodes.get(after as usize)
        && (p.since, p.agent) > key
    {
        after = p.get(via).prev;
    }
    let before = match nodes.get(after as usize) {
        Some(p) => p.get(via).next,
        None => list.head,
    };
    if let Some(x) = nodes.get_mut(n as usize) {
        *x.link(via) = Link {
            prev: after,
            next: before,
        };
    }
    match nodes.get_mut(after as usize) {
        Some(p) => p.link(via).next = n,
        None => list.head = n,
    }
    match nodes.get_mut(before as usize) {
        Some(x) => x.link(via).prev = n,
        None => list.tail = n,
    }
}

/// Unlinks node `n` from `list`.
#[inline]
fn unlink(nodes: &mut [Node], list: &mut List, n: u32, via: Via) {
    let Some(l) = nodes
        .get_mut(n as usize)
        .map(|x| std::mem::replace(x.link(via), UNLINKED))
    else {
        return;
    };
    match nodes.get_mut(l.prev as usize) {
        Some(p) => p.link(via).next = l.next,
        None => list.head = l.next,
    }
    match nodes.get_mut(l.next as usize) {
        Some(x) => x.link(via).prev = l.prev,
        None => list.tail = l.prev,
    }
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

/// Calls `f` on each node of a list from `head` on, until it breaks.
fn walk<F: FnMut(Member) -> ControlFlow<()>>(
    nodes: &[Node],
    head: u32,
    via: Via,
    f: &mut F,
) -> ControlFlow<()> {
    let mut at = head;
    while let Some(x) = nodes.get(at as usize) {
        f(Member {
            agent: x.agent,
            level: x.level,
            key: x.since.map(|s| (s, x.load)),
        })?;
        at = x.get(via).next;
    }
    ControlFlow::Continue(())
}

/// All pools, found by (tenant, skill, channel), and the nodes of their members.
#[derive(Debug, Default)]
pub(crate) struct Pools {
    all: Vec<Pool>,
    by_key: FastMap<(u32, u32, u8), u32>,
    nodes: Vec<Node>,
    /// Per node, whether its pool is walked (read before the node, so that an agent's
    /// memberships in pools no walk visits cost no cache line of their own).
    walked: Vec<bool>,
    free_nodes: Vec<u32>,
    /// The orders some queue uses (bit per [`AgentOrder`]); only these are kept.
    orders: u8,
}

const NO_SKILL: u32 = u32::MAX;

impl Pools {
    /// Adds an order to those kept. Returns whether it was new (then the caller refills
    /// with [`clear`](Self::clear) and [`insert`](Self::insert), in any order).
    pub(crate) fn want(&mut self, order: AgentOrder) -> bool {
        let new = self.orders & order.bit() == 0;
        self.orders |= order.bit();
        new
    }

    /// The load of an availability key for `used` tasks on the channel and `handled`
    /// contacts answered: the tasks in the high byte, and the contacts answered below only
    /// while the least-occupied order (which ranks by them) is kept.
    pub(crate) fn load_key(&self, used: u32, handled: u32) -> u32 {
        let handled = if self.orders & AgentOrder::LeastOccupied.bit() != 0 {
            handled.min(HANDLED_BITS)
        } else {
            0
        };
        (used << 24) | handled
    }

    /// Whether the keys hold the contacts answered (see [`load_key`](Self::load_key)).
    pub(crate) fn keys_hold_handled(&self) -> bool {
        self.orders & AgentOrder::LeastOccupied.bit() != 0
    }

    /// Marks the pool of no skill of (tenant, channel) as walked (a queue of the tenant
    /// requires no skill). Returns whether it was not (then the caller refills, as after
    /// [`want`](Self::want)).
    pub(crate) fn walk_no_skill(&mut self, tenant: u32, channel: u8) -> bool {
        let id = self.id(tenant, None, channel);
        match self.all.get_mut(id as usize) {
            Some(p) if !p.walked => {
                p.walked = true;
                for (x, w) in self.nodes.iter().zip(&mut self.walked) {
                    if x.pool == id {
                        *w = true;
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Empties every pool (before a refill with a new set of orders).
    pub(crate) fn clear(&mut self) {
        for p in &mut self.all {
            *p = Pool {
                walked: p.walked,
                ..Pool::default()
            };
        }
        for n in &mut self.nodes {
            n.linked = false;
            n.idle = UNLINKED;
            n.rank = UNLINKED;
        }
    }

    /// The pool of (tenant, skill, channel), created if new.
    pub(crate) fn id(&mut self, tenant: u32, skill: Option<u32>, channel: u8) -> u32 {
        let key = (tenant, skill.unwrap_or(NO_SKILL), channel);
        let next = self.all.len() as u32;
        let id = *self.by_key.entry(key).or_insert(next);
        if id == next {
            self.all.push(Pool {
                walked: skill.is_some(),
                ..Pool::default()
            });
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
        let node = Node {
            since: None,
            load: 0,
            agent,
            pool,
            level: level.min(LEVELS as u8 - 1),
            linked: false,
            idle: UNLINKED,
            rank: UNLINKED,
        };
        let walked = self.all.get(pool as usize).is_some_and(|p| p.walked);
        if let Some(n) = self.free_nodes.pop() {
            if let Some(x) = self.nodes.get_mut(n as usize) {
                *x = node;
            }
            if let Some(w) = self.walked.get_mut(n as usize) {
                *w = walked;
            }
            n
        } else {
            self.nodes.push(node);
            self.walked.push(walked);
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
        if !self.walked.get(n as usize).is_some_and(|&w| w) {
            return;
        }
        let Some(node) = self.nodes.get_mut(n as usize) else {
            return;
        };
        if node.linked {
            return;
        }
        node.linked = true;
        node.since = Some(k.since);
        node.load = k.load;
        let (agent, level, pool) = (node.agent, node.level, node.pool);
        let Some(p) = self.all.get_mut(pool as usize) else {
            return;
        };
        if orders & AgentOrder::LongestIdle.bit() != 0 {
            link(&mut self.nodes, &mut p.idle, n, Via::Idle);
        }
        if orders & AgentOrder::MostSkilled.bit() != 0 {
            if let Some(list) = p.levels.get_mut(level as usize) {
                link(&mut self.nodes, list, n, Via::Rank);
            }
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

    /// Takes node `n` out of its pool; `k` is the key it was inserted with.
    pub(crate) fn remove(&mut self, n: u32, k: AvailKey) {
        let orders = self.orders;
        if !self.walked.get(n as usize).is_some_and(|&w| w) {
            return;
        }
        let Some(node) = self.nodes.get_mut(n as usize) else {
            return;
        };
        if !node.linked {
            return;
        }
        node.linked = false;
        let (agent, level, pool) = (node.agent, node.level, node.pool);
        let Some(p) = self.all.get_mut(pool as usize) else {
            return;
        };
        if orders & AgentOrder::LongestIdle.bit() != 0 {
            unlink(&mut self.nodes, &mut p.idle, n, Via::Idle);
        }
        if orders & AgentOrder::MostSkilled.bit() != 0
            && let Some(list) = p.levels.get_mut(level as usize)
        {
            unlink(&mut self.nodes, list, n, Via::Rank);
            if list.head == NIL {
                p.level_mask &= !(1 << level);
            }
        }
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

    /// Whether every order kept holds node `n` with the key it was inserted with.
    #[cfg(test)]
    pub(crate) fn contains(&self, n: u32, agent: u32, k: AvailKey) -> bool {
        let Some(node) = self.nodes.get(n as usize) else {
            return false;
        };
        let Some(p) = self.all.get(node.pool as usize) else {
            return false;
        };
        if !p.walked {
            return node.agent == agent && !node.linked;
        }
        let level = node.level;
        let in_list = |list: &List, via: Via| {
            let mut at = list.head;
            while let Some(x) = self.nodes.get(at as usize) {
                if at == n {
                    return true;
                }
                at = x.get(via).next;
            }
            false
        };
        let has = |order: AgentOrder, present: bool| self.orders & order.bit() == 0 || present;
        node.agent == agent
            && node.linked
            && node.since == Some(k.since)
            && has(AgentOrder::LongestIdle, in_list(&p.idle, Via::Idle))
            && has(
                AgentOrder::MostSkilled,
                p.levels
                    .get(level as usize)
                    .is_some_and(|l| in_list(l, Via::Rank)),
            )
            && has(
                AgentOrder::LeastOccupied,
                p.handled.contains(&(k.load, k.since, agent, level)),
            )
            && has(AgentOrder::RoundRobin, p.index.contains(&(agent, level)))
            && has(AgentOrder::Random, p.random.contains(&(k.rand, agent, level)))
    }

    /// Checks every list: links agree both ways, ends are right, order is by
    /// `(since, agent)`, and only linked nodes are in lists (tests only).
    #[cfg(test)]
    pub(crate) fn check_lists(&self) -> Result<(), String> {
        let walk = |list: &List, via: Via, level: Option<u8>| -> Result<usize, String> {
            let (mut at, mut prev, mut n) = (list.head, NIL, 0usize);
            let mut last: Option<(Option<Instant>, u32)> = None;
            while let Some(x) = self.nodes.get(at as usize) {
                if x.get(via).prev != prev || !x.linked {
                    return Err(format!("pool list broken at node {at}"));
                }
                if level.is_some_and(|l| l != x.level) {
                    return Err(format!("node {at} in the list of another level"));
                }
                if last.is_some_and(|l| l > (x.since, x.agent)) {
                    return Err(format!("pool list out of order at node {at}"));
                }
                last = Some((x.since, x.agent));
                (prev, at, n) = (at, x.get(via).next, n + 1);
            }
            if list.tail != prev {
                return Err("pool list tail wrong".to_owned());
            }
            Ok(n)
        };
        for p in &self.all {
            let mut ranked = 0;
            if self.orders & AgentOrder::LongestIdle.bit() != 0 {
                walk(&p.idle, Via::Idle, None)?;
            }
            if self.orders & AgentOrder::MostSkilled.bit() != 0 {
                for (l, list) in p.levels.iter().enumerate() {
                    let n = walk(list, Via::Rank, Some(l as u8))?;
                    if (n > 0) != (p.level_mask & (1 << l) != 0) {
                        return Err(format!("level mask wrong at level {l}"));
                    }
                    ranked += n;
                }
                let _ = ranked;
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
            AgentOrder::LongestIdle => walk(nodes, p.idle.head, Via::Idle, &mut f),
            AgentOrder::MostSkilled => {
                let mut mask = p.level_mask;
                let mut flow = ControlFlow::Continue(());
                while mask != 0 && flow.is_continue() {
                    let level = 15 - mask.leading_zeros() as usize;
                    mask &= !(1 << level);
                    if let Some(list) = p.levels.get(level) {
                        flow = walk(nodes, list.head, Via::Rank, &mut f);
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
