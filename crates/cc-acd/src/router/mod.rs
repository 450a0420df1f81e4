//! The sans-IO router: inputs are method calls with `now`, outputs are drained.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cc_core::{
    AbandonStage, AgentChange, AgentEvent, AgentId, AgentStatus, Channel, Contact, ContactChange,
    ContactEvent, ContactId, Dense, Destination, Disposition, EventBody, Interner, OfferOutcome, Priority,
    QueueId, SkillId, TenantId,
};

use crate::agent::{AgentProfile, AgentState, Presence, TaskState};
use crate::config::RouterConfig;
use crate::error::{Error, Result};
use crate::fasthash::FastMap;
use crate::index::{AvailKey, Pools};
use crate::queue::{EscalationAction, Queue, QueueConfig, WaitKey};
use crate::stats::{AgentCounts, AgentTime, QueueCounters, QueueStats, TimeAcc, TimeFlags};
use crate::strategy::{AgentOrder, Candidate, RoutingStrategy, SeededRng};

/// What the center must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Ring `agent` with `contact`; the agent is reserved until `lease_until`.
    Offer {
        /// The contact.
        contact: ContactId,
        /// The reserved agent.
        agent: AgentId,
        /// The queue it came from.
        queue: QueueId,
        /// When the reservation lapses unless accepted.
        lease_until: Instant,
    },
    /// A queued callback reached an agent: the agent is reserved; dial the customer and
    /// connect them, then report [`Router::accept`].
    DialCallback {
        /// The callback contact.
        contact: ContactId,
        /// The reserved agent.
        agent: AgentId,
        /// The queue.
        queue: QueueId,
        /// When the reservation lapses unless accepted.
        lease_until: Instant,
    },
    /// Stop ringing `agent` for `contact` (lease expired, or the customer hung up).
    CancelOffer {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// Why.
        outcome: OfferOutcome,
    },
    /// Send the contact elsewhere; the router no longer holds it.
    Overflow {
        /// The contact.
        contact: ContactId,
        /// The queue it leaves.
        from: QueueId,
        /// Where to.
        to: Destination,
    },
    /// End the contact: the queue refuses it (e.g. `max_wait` passed, no overflow set).
    Reject {
        /// The contact.
        contact: ContactId,
        /// The queue.
        queue: QueueId,
        /// Why, e.g. `max_wait`.
        reason: &'static str,
    },
    /// Tell the caller their place and estimated wait: sent on entering a queue, then
    /// every [`QueueConfig::announce_every`] while the contact waits there.
    Announce {
        /// The contact.
        contact: ContactId,
        /// The queue.
        queue: QueueId,
        /// 1-based place among the contacts waiting in the queue.
        position: usize,
        /// Estimated wait (see [`crate::stats`]).
        estimated_wait: Duration,
    },
}

/// Where a contact held by the router stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactStatus {
    /// Waiting in a queue.
    Waiting,
    /// Offered to an agent, ringing.
    Ringing,
    /// Answered, in progress.
    Connected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CState {
    Waiting,
    Ringing { agent: u32, lease_until: Instant },
    Connected { agent: u32, answered_at: Instant },
}

const T_LEASE: usize = 0;
const T_ESCALATE: usize = 1;
const T_AGE: usize = 2;
const T_MAX_WAIT: usize = 3;
const T_STICKY: usize = 4;
const T_ANNOUNCE: usize = 5;
const TIMER_KINDS: usize = 6;

/// No agent (an unset `refused_by` in a [`Head`]).
const NO_AGENT: u32 = u32::MAX;

/// The best waiting contact of one class, kept beside the class so that an agent-side
/// decision reads one small entry per class it qualifies for instead of each class's set.
#[derive(Debug, Clone, Copy)]
struct Head {
    queue: u32,
    class: u32,
    /// The class's first key and the agent that last refused that contact ([`NO_AGENT`]).
    first: Option<(WaitKey, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Contact(u32, usize),
    WrapUp(u32),
}

#[derive(Debug)]
struct Slot {
    contact: Contact,
    tenant: u32,
    queue: u32,
    arrival: Instant,
    queue_entered: Instant,
    seq: u64,
    priority: Priority,
    /// Requirements with their original levels (queue's merged with the contact's).
    base_reqs: Vec<(u32, u8)>,
    level_cap: u8,
    class: usize,
    next_step: usize,
    preferred: Option<u32>,
    refused_by: Option<u32>,
    callback: bool,
    /// Ring-all companions: the other agents ringing with the one in `CState::Ringing`.
    also: Vec<u32>,
    state: CState,
    timers: [Option<Instant>; TIMER_KINDS],
    /// While waiting for its preferred agent alone (until the sticky timer).
    sticky_for: Option<u32>,
    /// In its class's set (or its preferred agent's): see [`Router::park`].
    parked: bool,
}

#[derive(Debug)]
struct AgentSlot {
    state: AgentState,
    tenant_ids: Vec<TenantId>,
    /// Dense tenants served, sorted.
    tenants: Vec<u32>,
    /// (tenant, skill, level), sorted.
    skills: Vec<(u32, u32, u8)>,
    /// (channel index, node of its membership in a pool of that channel).
    memberships: Vec<(u8, u32)>,
    avail: [Option<AvailKey>; 8],
    /// Queues this agent may serve (tenant served, queue skills held).
    queues: Vec<u32>,
    /// Contacts waiting for this agent alone (it is their preferred agent), by wait key.
    sticky: BTreeSet<WaitKey>,
    /// The classes of its queues it is eligible for, on a channel where it has capacity:
    /// (channel index, number in the table of heads).
    classes: Vec<(u8, u32)>,
    /// Removed from the configuration (its index stays, for its id may come back).
    removed: bool,
}

impl AgentSlot {
    fn level(&self, tenant: u32, skill: u32) -> u8 {
        self.skills
            .binary_search_by(|&(t, s, _)| (t, s).cmp(&(tenant, skill)))
            .ok()
            .and_then(|i| self.skills.get(i))
            .map_or(0, |s| s.2)
    }

    fn eligible(&self, tenant: u32, reqs: &[(u32, u8)]) -> bool {
        self.tenants.binary_search(&tenant).is_ok() && reqs.iter().all(|&(s, l)| self.level(tenant, s) >= l)
    }
}

/// The sans-IO router: inputs are method calls with `now`, outputs are drained.
///
/// Methods fall in four groups, as in quinn's `Connection`:
///
/// - **setup**, also while running: [`Router::add_queue`], [`Router::update_queue`],
///   [`Router::remove_queue`], [`Router::add_agent`], [`Router::update_agent`],
///   [`Router::remove_agent`], [`Router::set_strategy`];
/// - **inputs** (each takes `now`): agent [`login`](Router::login) /
///   [`ready`](Router::ready) / [`not_ready`](Router::not_ready) /
///   [`logout`](Router::logout), supervisor [`force_ready`](Router::force_ready) /
///   [`force_logout`](Router::force_logout), contact [`enqueue`](Router::enqueue) /
///   [`accept`](Router::accept) / [`reject`](Router::reject) /
///   [`complete`](Router::complete) / [`abandon`](Router::abandon) /
///   [`request_callback`](Router::request_callback), [`wrap_up_done`](Router::wrap_up_done);
/// - **outputs**: [`poll_command`](Router::poll_command) (what the center must do),
///   [`poll_event`](Router::poll_event) (what happened), [`poll_timeout`](Router::poll_timeout)
///   (when to call [`handle_timeout`](Router::handle_timeout));
/// - **getters**: statistics and states, and the read-only routing decisions
///   [`next_agent_for`](Router::next_agent_for) (contact side) and
///   [`next_contact_for`](Router::next_contact_for) (agent side).
///
/// After every input, drain commands and events, then re-arm the timer from
/// `poll_timeout`. The router never reads a clock; a `now` earlier than one already seen
/// counts as the one already seen. Every input first fires the timers already due at its
/// `now`, so an accept that arrives after its lease expired is refused exactly as if
/// `handle_timeout` had run in between.
///
/// Guarantees (checked by property tests after every input): a contact is offered to at
/// most one agent at a time (a ring-all offer aside, withdrawn as one on the first
/// accept); no agent holds more than its capacity; no reservation outlives its lease
/// (`handle_timeout` at or after it withdraws the offer, and every input fires due timers
/// first); a contact of tenant A is only offered to agents serving A; contacts of equal
/// priority and eligibility are offered in arrival order, and a refused or expired offer
/// returns the contact to its own place; every contact ends exactly once; per queue,
/// entered = answered + abandoned + overflowed + rejected + still inside; and no waiting
/// contact has an available, eligible agent (bar the last one that refused it).
#[derive(Debug)]
pub struct Router {
    config: RouterConfig,
    /// This router among those of the process (a [`RouteQuery`] names the one it is for).
    instance: u64,
    now: Option<Instant>,
    rng: SeededRng,
    tenants: Interner<TenantId>,
    tenant_queues: Vec<Vec<u32>>,
    tenant_logged_in: Vec<u32>,
    /// Contacts waiting per tenant and channel (in classes or for a preferred agent).
    tenant_waiting: Vec<[u32; 8]>,
    /// Agent time integrated per tenant and per queue (see [`crate::stats`]).
    tenant_time: Vec<TimeAcc>,
    queue_time: Vec<TimeAcc>,
    skills: Interner<SkillId>,
    queue_ids: Interner<QueueId>,
    queues: Vec<Queue>,
    agent_ids: Interner<AgentId>,
    agents: Vec<AgentSlot>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_contact: HashMap<ContactId, u32>,
    next_seq: u64,
    pools: Pools,
    timers: BTreeSet<(Instant, Timer)>,
    commands: VecDeque<Command>,
    events: VecDeque<EventBody>,
    scratch: Vec<Candidate>,
    /// The head of every class of every queue, by class number.
    heads: Vec<Head>,
    /// The interners' maps again, with the fast hasher: ids are configuration, and these
    /// lookups happen on every input.
    queue_lookup: FastMap<QueueId, u32>,
    agent_lookup: FastMap<AgentId, u32>,
    skill_lookup: FastMap<SkillId, u32>,
    /// FIFO violations seen at the moment of an offer (tests only).
    #[cfg(test)]
    fifo_violations: Vec<String>,
}

impl Router {
    /// An empty router.
    pub fn new(config: RouterConfig) -> Self {
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        Self {
            rng: SeededRng::new(config.seed),
            config,
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
            now: None,
            tenants: Interner::new(),
            tenant_queues: Vec::new(),
            tenant_logged_in: Vec::new(),
            tenant_waiting: Vec::new(),
            tenant_time: Vec::new(),
            queue_time: Vec::new(),
            skills: Interner::new(),
            queue_ids: Interner::new(),
            queues: Vec::new(),
            agent_ids: Interner::new(),
            agents: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            by_contact: HashMap::new(),
            next_seq: 0,
            pools: Pools::default(),
            timers: BTreeSet::new(),
            commands: VecDeque::new(),
            events: VecDeque::new(),
            scratch: Vec::new(),
            heads: Vec::new(),
            queue_lookup: FastMap::default(),
            agent_lookup: FastMap::default(),
            skill_lookup: FastMap::default(),
            #[cfg(test)]
            fifo_violations: Vec::new(),
        }
    }

    // ----- setup ------------------------------------------------------------------------

    fn tenant(&mut self, tenant: &TenantId) -> Result<u32> {
        let t = self.tenants.intern(tenant.clone())?.raw();
        let n = self.tenants.len();
        self.tenant_queues.resize_with(n, Vec::new);
        self.tenant_logged_in.resize(n, 0);
        self.tenant_waiting.resize(n, [0; 8]);
        self.tenant_time.resize(n, TimeAcc::default());
        Ok(t)
    }

    /// Dense requirements, merged per skill (highest level wins) and sorted. Configuration
    /// (`contact: None`) may name new skills; a contact may only name skills some agent or
    /// queue was configured with, so outside input never grows the skill table.
    fn dense_reqs(
        &mut self,
        reqs: &[cc_core::SkillRequirement],
        contact: Option<&ContactId>,
    ) -> Result<Vec<(u32, u8)>> {
        let mut out: Vec<(u32, u8)> = Vec::with_capacity(reqs.len());
        for r in reqs {
            let s =
                match contact {
                    None => self.intern_skill(&r.skill)?,
                    Some(contact) => self.skill_lookup.get(r.skill.as_str()).copied().ok_or_else(|| {
                        Error::UnknownSkill {
                            skill: r.skill.clone(),
                            contact: contact.clone(),
                        }
                    })?,
                };
            match out.iter_mut().find(|x| x.0 == s) {
                Some(x) => x.1 = x.1.max(r.min_level.get()),
                None => out.push((s, r.min_level.get())),
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Adds a queue. Overflow targets that are queues must exist already and belong to the
    /// same tenant. The id of a removed queue may be added again once the contacts it
    /// still had connected have ended.
    pub fn add_queue(&mut self, config: QueueConfig) -> Result<()> {
        config.validate()?;
        let again = match self.queue_ids.get(config.id.as_str()) {
            None => None,
            Some(q) => match self.queues.get(q.index()) {
                Some(old) if old.removed && old.in_service == 0 => Some(q.raw()),
                Some(old) if old.removed => {
                    return Err(Error::invalid(
                        "queue",
                        &config.id,
                        "a removed queue comes back once its connected contacts have ended",
                    ));
                }
                _ => return Err(Error::DuplicateQueue(config.id.clone())),
            },
        };
        for dest in config.destinations() {
            self.check_destination(dest, &config.tenant, &config.id)?;
        }
        let tenant = self.tenant(&config.tenant)?;
        let skills = self.dense_reqs(&config.skills, None)?;
        let no_skill = skills.is_empty();
        let q = if let Some(q) = again {
            q
        } else {
            let q = self.queue_ids.intern(config.id.clone())?.raw();
            self.queue_lookup.insert(config.id.clone(), q);
            q
        };
        let order = config.strategy.order();
        let strategy = config.strategy.build();
        let queue = Queue {
            config,
            tenant,
            skills,
            classes: Vec::new(),
            class_index: FastMap::default(),
            by_arrival: BTreeSet::new(),
            waiting: 0,
            in_service: 0,
            rr_cursor: u32::MAX,
            counters: QueueCounters::default(),
            strategy,
            order,
            agents: Vec::new(),
            removed: false,
        };
        match self.queues.get_mut(q as usize) {
            Some(old) => *old = queue,
            None => self.queues.push(queue),
        }
        self.queue_time.resize(self.queues.len(), TimeAcc::default());
        if let Some(time) = self.queue_time.get_mut(q as usize) {
            *time = TimeAcc::default();
        }
        if let Some(list) = self.tenant_queues.get_mut(tenant as usize) {
            list.push(q);
        }
        for a in 0..self.agents.len() {
            self.link_agent_queue(a, q);
        }
        // A queue requiring no skill walks its tenant's pools of no skill: kept from now.
        let mut refill = false;
        if no_skill {
            for ch in Channel::ALL {
                refill |= self.pools.walk_no_skill(tenant, ch.index() as u8);
            }
        }
        refill |= self.pools.want(order);
        if refill {
            self.refill_pools();
        }
        Ok(())
    }

    /// Checks that a destination is usable from a queue of `tenant` named `from`: a queue
    /// destination must exist, be another queue, and belong to the same tenant.
    fn check_destination(&self, dest: &Destination, tenant: &TenantId, from: &QueueId) -> Result<()> {
        let Destination::Queue { queue } = dest else {
            return Ok(());
        };
        let target = self
            .queue_ids
            .get(queue.as_str())
            .and_then(|q| self.queues.get(q.index()))
            .filter(|q| !q.removed)
            .ok_or_else(|| Error::UnknownQueue(queue.clone()))?;
        if &target.config.tenant != tenant {
            return Err(Error::invalid(
                "overflow destination",
                queue,
                "an overflow queue must belong to the same tenant; use an external destination to leave it",
            ));
        }
        if queue == from {
            return Err(Error::invalid(
                "overflow destination",
                queue,
                "a queue cannot overflow into itself; name another queue or an external destination",
            ));
        }
        Ok(())
    }

    /// Changes a queue's configuration while the router runs. The id, tenant and skills
    /// stay (add a new queue for those); timers already running keep their times, and the
    /// new values apply from the next arrival, offer or completion.
    pub fn update_queue(&mut self, config: QueueConfig) -> Result<()> {
        config.validate()?;
        let q = self.queue_index(&config.id)?;
        let Some(queue) = self.queues.get(q as usize) else {
            return Err(Error::UnknownQueue(config.id.clone()));
        };
        if queue.config.tenant != config.tenant {
            return Err(Error::invalid(
                "tenant",
                &config.tenant,
                "a queue keeps its tenant; add a new queue for another tenant",
            ));
        }
        if queue.config.skills != config.skills {
            return Err(Error::invalid(
                "skills",
                config.skills.iter().map(|s| s.skill.as_str()).collect::<Vec<_>>(),
                "a queue keeps its skills; add a new queue for other skills",
            ));
        }
        for dest in config.destinations() {
            self.check_destination(dest, &config.tenant, &config.id)?;
        }
        let order = config.strategy.order();
        let rebuild = queue.config.strategy != config.strategy;
        if let Some(queue) = self.queues.get_mut(q as usize) {
            if rebuild {
                queue.strategy = config.strategy.build();
                queue.order = order;
            }
            queue.config = config;
        }
        self.want_order(order);
        Ok(())
    }

    /// Adds queue `q` to agent `a`'s list when the agent serves its tenant and has every
    /// skill the queue itself requires (at some level: escalation may lower the levels).
    fn link_agent_queue(&mut self, a: usize, q: u32) {
        let (Some(agent), Some(queue)) = (self.agents.get_mut(a), self.queues.get_mut(q as usize)) else {
            return;
        };
        let t = queue.tenant;
        if !agent.removed
            && !queue.removed
            && agent.tenants.binary_search(&t).is_ok()
            && queue.skills.iter().all(|&(s, _)| agent.level(t, s) > 0)
        {
            agent.queues.push(q);
            queue.agents.push(a as u32);
            let flags = TimeFlags::of(agent.state.status());
            if let (Some(now), Some(time)) = (self.now, self.queue_time.get_mut(q as usize))
                && flags != TimeFlags::default()
            {
                time.change(now, TimeFlags::default(), flags);
            }
            for class in &queue.classes {
                if agent.state.capacity().get(class.channel) > 0 && agent.eligible(t, &class.reqs) {
                    agent.classes.push((class.channel.index() as u8, class.gid));
                }
            }
        }
    }

    /// Numbers a class just created in queue `q` and adds it to the lists of the queue's
    /// agents that are eligible for it.
    fn new_class(&mut self, q: u32, c: usize) {
        let gid = self.heads.len() as u32;
        let Some(queue) = self.queues.get(q as usize) else {
            return;
        };
        let Some(class) = queue.classes.get(c) else {
            return;
        };
        self.heads.push(Head {
            queue: q,
            class: c as u32,
            first: None,
        });
        for &a in &queue.agents {
            if let Some(agent) = self.agents.get_mut(a as usize)
                && agent.state.capacity().get(class.channel) > 0
                && agent.eligible(queue.tenant, &class.reqs)
            {
                agent.classes.push((class.channel.index() as u8, gid));
            }
        }
    }

    /// Replaces a queue's strategy with one of your own.
    pub fn set_strategy(&mut self, queue: &QueueId, strategy: Box<dyn RoutingStrategy>) -> Result<()> {
        let q = self.queue_index(queue)?;
        let order = strategy.order();
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.strategy = strategy;
            queue.order = order;
        }
        self.want_order(order);
        Ok(())
    }

    /// Makes the pools keep `order`, refilling them if it is new.
    fn want_order(&mut self, order: AgentOrder) {
        if self.pools.want(order) {
            self.refill_pools();
        }
    }

    /// Empties the pools and puts every available agent back (after a change of the
    /// orders kept or of the pools walked), with loads recomputed for the orders kept.
    fn refill_pools(&mut self) {
        self.pools.clear();
        for agent in &mut self.agents {
            for ch in Channel::ALL {
                let i = ch.index();
                if let Some(k) = agent.avail.get_mut(i).and_then(Option::as_mut) {
                    let used = agent.state.tasks().iter().filter(|t| t.channel == ch).count() as u32;
                    k.load = self.pools.load_key(used, agent.state.handled());
                }
            }
        }
        // In key order, so that every node joins the tail of its lists.
        let mut keyed = Vec::new();
        for (a, agent) in self.agents.iter().enumerate() {
            for &(ch, node) in &agent.memberships {
                if let Some(k) = agent.avail.get(ch as usize).copied().flatten() {
                    keyed.push((k.since, a, node, k));
                }
            }
        }
        keyed.sort_unstable_by_key(|x| (x.0, x.1, x.2));
        for (_, _, node, k) in keyed {
            self.pools.insert(node, k);
        }
    }

    /// Adds an agent (logged out). Skill levels are validated by [`cc_core::SkillLevel`].
    pub fn add_agent(&mut self, profile: AgentProfile) -> Result<()> {
        let AgentProfile {
            id,
            tenants: served,
            capacity,
        } = profile;
        let again = match self.agent_ids.get(id.as_str()) {
            None => None,
            Some(a) if self.agents.get(a.index()).is_some_and(|x| x.removed) => Some(a.raw()),
            Some(_) => return Err(Error::DuplicateAgent(id.clone())),
        };
        if served.is_empty() {
            return Err(Error::invalid(
                "agent tenants",
                id.as_str(),
                "an agent must serve at least one tenant",
            ));
        }
        let mut tenants = Vec::new();
        let mut skills = Vec::new();
        for ts in &served {
            let t = self.tenant(&ts.tenant)?;
            tenants.push(t);
            for (skill, level) in &ts.skills {
                let s = self.intern_skill(skill)?;
                skills.push((t, s, level.get()));
            }
        }
        tenants.sort_unstable();
        tenants.dedup();
        skills.sort_unstable();
        skills.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let a = if let Some(a) = again {
            a
        } else {
            let a = self.agent_ids.intern(id.clone())?.raw();
            self.agent_lookup.insert(id.clone(), a);
            a
        };
        let mut memberships = Vec::new();
        for ch in Channel::ALL {
            if capacity.get(ch) == 0 {
                continue;
            }
            let c = ch.index() as u8;
            for &t in &tenants {
                let pool = self.pools.id(t, None, c);
                memberships.push((c, self.pools.node(pool, a, 0)));
            }
            for &(t, s, l) in &skills {
                let pool = self.pools.id(t, Some(s), c);
                memberships.push((c, self.pools.node(pool, a, l)));
            }
        }
        let slot = AgentSlot {
            state: AgentState::new(id.clone(), capacity),
            tenant_ids: served.iter().map(|t| t.tenant.clone()).collect(),
            tenants,
            skills,
            memberships,
            avail: [None; 8],
            queues: Vec::new(),
            sticky: BTreeSet::new(),
            classes: Vec::new(),
            removed: false,
        };
        match self.agents.get_mut(a as usize) {
            Some(old) => *old = slot,
            None => self.agents.push(slot),
        }
        let a = a as usize;
        for q in 0..self.queues.len() as u32 {
            self.link_agent_queue(a, q);
        }
        Ok(())
    }

    // ----- lookups ----------------------------------------------------------------------

    /// A skill's dense number, interned (configuration only).
    fn intern_skill(&mut self, skill: &SkillId) -> Result<u32> {
        let s = self.skills.intern(skill.clone())?.raw();
        self.skill_lookup.insert(skill.clone(), s);
        Ok(s)
    }

    fn queue_index(&self, queue: &QueueId) -> Result<u32> {
        self.queue_lookup
            .get(queue.as_str())
            .copied()
            .filter(|&q| self.queues.get(q as usize).is_some_and(|x| !x.removed))
            .ok_or_else(|| Error::UnknownQueue(queue.clone()))
    }

    fn agent_index(&self, agent: &AgentId) -> Result<u32> {
        self.agent_lookup
            .get(agent.as_str())
            .copied()
            .filter(|&a| self.agents.get(a as usize).is_some_and(|x| !x.removed))
            .ok_or_else(|| Error::UnknownAgent(agent.clone()))
    }

    fn slot_index(&self, contact: &ContactId) -> Result<u32> {
        self.by_contact
            .get(contact)
            .copied()
            .ok_or_else(|| Error::UnknownContact(contact.clone()))
    }

    fn slot(&self, s: u32) -> Option<&Slot> {
        self.slots.get(s as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, s: u32) -> Option<&mut Slot> {
        self.slots.get_mut(s as usize).and_then(Option::as_mut)
    }

    /// Advances the router's time to `now` (never backwards) and fires every timer due,
    /// so an input that arrives late sees the state the timers would have made.
    fn tick(&mut self, now: Instant) -> Instant {
        let now = self.now.map_or(now, |seen| seen.max(now));
        self.now = Some(now);
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            match timer {
                Timer::WrapUp(a) => self.fire_wrap_up(a, now),
                Timer::Contact(s, kind) => {
                    if let Some(slot) = self.slot_mut(s) {
                        slot.timers[kind] = None;
                    }
                    match kind {
                        T_LEASE => self.fire_lease(s, now),
                        T_ESCALATE => self.fire_escalation(s, now),
                        T_AGE => self.fire_aging(s, at),
                        T_MAX_WAIT => self.fire_max_wait(s, now),
                        T_ANNOUNCE => self.fire_announce(s, at, now),
                        _ => self.fire_sticky(s, now),
                    }
                }
            }
        }
        now
    }

    // ----- getters ----------------------------------------------------------------------

    /// The id of a dense agent index (as in [`Candidate::agent`]).
    pub fn agent_id(&self, agent: Dense<AgentId>) -> Option<&AgentId> {
        self.agent_ids.resolve(agent)
    }

    /// An agent's state machine.
    pub fn agent(&self, agent: &AgentId) -> Result<&AgentState> {
        let a = self.agent_index(agent)?;
        self.agents
            .get(a as usize)
            .map(|s| &s.state)
            .ok_or_else(|| Error::UnknownAgent(agent.clone()))
    }

    /// An agent's reported status.
    pub fn agent_status(&self, agent: &AgentId) -> Result<AgentStatus> {
        self.agent(agent).map(AgentState::status)
    }

    /// Where a contact stands, and in which queue.
    pub fn contact_status(&self, contact: &ContactId) -> Result<(ContactStatus, &QueueId)> {
        let slot = self
            .slot(self.slot_index(contact)?)
            .ok_or_else(|| Error::UnknownContact(contact.clone()))?;
        let status = match slot.state {
            CState::Waiting => ContactStatus::Waiting,
            CState::Ringing { .. } => ContactStatus::Ringing,
            CState::Connected { .. } => ContactStatus::Connected,
        };
        let queue = self
            .queues
            .get(slot.queue as usize)
            .map(|q| &q.config.id)
            .ok_or_else(|| Error::UnknownContact(contact.clone()))?;
        Ok((status, queue))
    }

    /// How many contacts the router holds (waiting, ringing or connected).
    pub fn contacts(&self) -> usize {
        self.by_contact.len()
    }

    fn estimated_wait(&self, q: &Queue) -> Duration {
        self.estimated_wait_at(q, q.waiting + 1)
    }

    /// The estimated wait of the contact at `position` (1-based) in queue `q`.
    fn estimated_wait_at(&self, q: &Queue, position: usize) -> Duration {
        let aht = q
            .counters
            .handle_ms
            .checked_div(q.counters.completed)
            .map_or(q.config.default_handle_time, Duration::from_millis);
        let staffed = self
            .tenant_logged_in
            .get(q.tenant as usize)
            .copied()
            .unwrap_or(0)
            .max(1);
        aht.saturating_mul(u32::try_from(position).unwrap_or(u32::MAX)) / staffed
    }

    fn stats_of(&self, qs: &[u32], now: Instant, agent_time: AgentTime) -> QueueStats {
        let mut counters = QueueCounters::default();
        let (mut waiting, mut longest, mut ewt) = (0, Duration::ZERO, Duration::ZERO);
        for q in qs.iter().filter_map(|&q| self.queues.get(q as usize)) {
            counters.add(&q.counters);
            waiting += q.waiting;
            if let Some(&(first, _)) = q.by_arrival.first() {
                longest = longest.max(now.saturating_duration_since(first));
            }
            ewt = ewt.max(self.estimated_wait(q));
        }
        let in_service = qs
            .iter()
            .filter_map(|&q| self.queues.get(q as usize))
            .map(|q| q.in_service)
            .sum();
        let mut agents = AgentCounts::default();
        for agent in &self.agents {
            if agent.queues.iter().any(|q| qs.contains(q)) {
                agents.count(agent.state.status());
            }
        }
        QueueStats::from_counters(counters, waiting, in_service, longest, ewt, agents, agent_time)
    }

    /// A snapshot of one queue's statistics at `now`.
    pub fn queue_stats(&self, queue: &QueueId, now: Instant) -> Result<QueueStats> {
        let q = self.queue_index(queue)?;
        let time = self
            .queue_time
            .get(q as usize)
            .map(|x| x.at(now))
            .unwrap_or_default();
        Ok(self.stats_of(&[q], now, time))
    }

    /// The statistics of all queues of one tenant: never another tenant's contacts.
    pub fn tenant_stats(&self, tenant: &TenantId, now: Instant) -> Result<QueueStats> {
        let t = self
            .tenants
            .get(tenant.as_str())
            .ok_or_else(|| Error::UnknownTenant(tenant.clone()))?;
        let qs = self.tenant_queues.get(t.index()).map_or(&[][..], Vec::as_slice);
        let time = self
            .tenant_time
            .get(t.index())
            .map(|x| x.at(now))
            .unwrap_or_default();
        Ok(self.stats_of(qs, now, time))
    }

    // ----- outputs ----------------------------------------------------------------------

    /// The next command for the center.
    #[must_use]
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// The next event (when events are enabled in [`RouterConfig`]).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<EventBody> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|&(at, _)| at)
    }

    /// Fires every timer due at `now`: reservation leases, wrap-up ends, escalation
    /// steps, priority aging and max-wait limits. An early call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
    }

    /// Moves the in-service count of contact `s`'s queue by one, up or down.
    fn count_in_service(&mut self, s: u32, up: bool) {
        let Some(q) = self.slot(s).map(|x| x.queue) else {
            return;
        };
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.in_service = if up {
                queue.in_service + 1
            } else {
                queue.in_service.saturating_sub(1)
            };
        }
    }

    fn contact_event(&mut self, s: u32, change: ContactChange) {
        if !self.config.events {
            return;
        }
        if let Some(slot) = self.slot(s) {
            let event = ContactEvent {
                tenant: slot.contact.tenant.clone(),
                contact: slot.contact.id.clone(),
                change,
            };
            self.events.push_back(EventBody::Contact(event));
        }
    }
}

mod agents;
mod contacts;
mod dispatch;
pub use dispatch::RouteQuery;
#[cfg(test)]
mod invariants;
mod reconfig;
mod timers;
mod waiting;
