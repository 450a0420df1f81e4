//! The sans-IO router: inputs are method calls with `now`, outputs are drained.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use cc_core::{
    AbandonStage, AgentChange, AgentEvent, AgentId, AgentStatus, Channel, Contact, ContactChange,
    ContactEvent, ContactId, Dense, Destination, Disposition, EventBody, Interner, OfferOutcome, Priority,
    QueueId, SkillId, TenantId,
};

use crate::agent::{AgentProfile, AgentState, Presence, TaskState};
use crate::config::RouterConfig;
use crate::error::{Error, Result};
use crate::index::{AvailKey, Pools};
use crate::queue::{EscalationAction, Queue, QueueConfig, WaitKey};
use crate::stats::{QueueCounters, QueueStats};
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
    /// Tell the caller their place and estimated wait (sent on entering a queue).
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
    state: CState,
    timers: [Option<Instant>; 4],
}

#[derive(Debug)]
struct AgentSlot {
    state: AgentState,
    tenant_ids: Vec<TenantId>,
    /// Dense tenants served, sorted.
    tenants: Vec<u32>,
    /// (tenant, skill, level), sorted.
    skills: Vec<(u32, u32, u8)>,
    /// (channel index, pool, level in the pool's skill).
    memberships: Vec<(u8, u32, u8)>,
    avail: [Option<AvailKey>; 8],
    /// Queues this agent may serve (tenant served, queue skills held).
    queues: Vec<u32>,
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
/// - **setup**: [`Router::add_queue`], [`Router::add_agent`], [`Router::set_strategy`];
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
/// - **getters**: statistics and states.
///
/// After every input, drain commands and events, then re-arm the timer from
/// `poll_timeout`. The router never reads a clock; a `now` earlier than one already seen
/// counts as the one already seen. Every input first fires the timers already due at its
/// `now`, so an accept that arrives after its lease expired is refused exactly as if
/// `handle_timeout` had run in between.
///
/// Guarantees (checked by property tests): a contact is offered to at most one agent at a
/// time; no agent holds more than its capacity; every reservation ends by its lease
/// (`handle_timeout` at or after it withdraws the offer); a contact of tenant A is only
/// offered to agents serving A; after every input no waiting contact has an available,
/// eligible agent (except the one that just refused it).
#[derive(Debug)]
pub struct Router {
    config: RouterConfig,
    now: Option<Instant>,
    rng: SeededRng,
    tenants: Interner<TenantId>,
    tenant_queues: Vec<Vec<u32>>,
    tenant_logged_in: Vec<u32>,
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
}

impl Router {
    /// An empty router.
    pub fn new(config: RouterConfig) -> Self {
        Self {
            rng: SeededRng::new(config.seed),
            config,
            now: None,
            tenants: Interner::new(),
            tenant_queues: Vec::new(),
            tenant_logged_in: Vec::new(),
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
        }
    }

    // ----- setup ------------------------------------------------------------------------

    fn tenant(&mut self, tenant: &TenantId) -> Result<u32> {
        let t = self.tenants.intern(tenant.clone())?.raw();
        let n = self.tenants.len();
        self.tenant_queues.resize_with(n, Vec::new);
        self.tenant_logged_in.resize(n, 0);
        Ok(t)
    }

    fn dense_reqs(&mut self, reqs: &[cc_core::SkillRequirement]) -> Result<Vec<(u32, u8)>> {
        let mut out: Vec<(u32, u8)> = Vec::with_capacity(reqs.len());
        for r in reqs {
            let s = self.skills.intern(r.skill.clone())?.raw();
            match out.iter_mut().find(|x| x.0 == s) {
                Some(x) => x.1 = x.1.max(r.min_level.get()),
                None => out.push((s, r.min_level.get())),
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Adds a queue. Overflow targets that are queues must exist already and belong to the
    /// same tenant.
    pub fn add_queue(&mut self, config: QueueConfig) -> Result<()> {
        config.validate()?;
        if self.queue_ids.get(config.id.as_str()).is_some() {
            return Err(Error::DuplicateQueue(config.id.clone()));
        }
        for dest in config.destinations() {
            if let Destination::Queue { queue } = dest {
                let target = self
                    .queue_ids
                    .get(queue.as_str())
                    .and_then(|q| self.queues.get(q.index()))
                    .ok_or_else(|| Error::UnknownQueue(queue.clone()))?;
                if target.config.tenant != config.tenant {
                    return Err(Error::invalid(
                        "overflow destination",
                        queue,
                        "an overflow queue must belong to the same tenant; use an external destination to leave it",
                    ));
                }
            }
        }
        let tenant = self.tenant(&config.tenant)?;
        let skills = self.dense_reqs(&config.skills)?;
        let q = self.queue_ids.intern(config.id.clone())?.raw();
        let order = config.strategy.order();
        let strategy = config.strategy.build();
        self.queues.push(Queue {
            config,
            tenant,
            skills,
            classes: Vec::new(),
            by_arrival: BTreeSet::new(),
            waiting: 0,
            rr_cursor: u32::MAX,
            counters: QueueCounters::default(),
            strategy,
        });
        if let Some(list) = self.tenant_queues.get_mut(tenant as usize) {
            list.push(q);
        }
        for a in 0..self.agents.len() {
            self.link_agent_queue(a, q);
        }
        self.want_order(order);
        Ok(())
    }

    /// Adds queue `q` to agent `a`'s list when the agent serves its tenant and has every
    /// skill the queue itself requires (at some level: escalation may lower the levels).
    fn link_agent_queue(&mut self, a: usize, q: u32) {
        let (Some(agent), Some(queue)) = (self.agents.get_mut(a), self.queues.get(q as usize)) else {
            return;
        };
        let t = queue.tenant;
        if agent.tenants.binary_search(&t).is_ok() && queue.skills.iter().all(|&(s, _)| agent.level(t, s) > 0)
        {
            agent.queues.push(q);
        }
    }

    /// Replaces a queue's strategy with one of your own.
    pub fn set_strategy(&mut self, queue: &QueueId, strategy: Box<dyn RoutingStrategy>) -> Result<()> {
        let q = self.queue_index(queue)?;
        let order = strategy.order();
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.strategy = strategy;
        }
        self.want_order(order);
        Ok(())
    }

    /// Makes the pools keep `order`, refilling them if it is new.
    fn want_order(&mut self, order: AgentOrder) {
        if !self.pools.want(order) {
            return;
        }
        self.pools.clear();
        for (a, agent) in self.agents.iter().enumerate() {
            for &(ch, pool, level) in &agent.memberships {
                if let Some(k) = agent.avail.get(ch as usize).copied().flatten() {
                    self.pools.insert(pool, a as u32, level, k);
                }
            }
        }
    }

    /// Adds an agent (logged out). Skill levels are validated by [`cc_core::SkillLevel`].
    pub fn add_agent(&mut self, profile: AgentProfile) -> Result<()> {
        let AgentProfile {
            id,
            tenants: served,
            capacity,
        } = profile;
        if self.agent_ids.get(id.as_str()).is_some() {
            return Err(Error::DuplicateAgent(id.clone()));
        }
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
                let s = self.skills.intern(skill.clone())?.raw();
                skills.push((t, s, level.get()));
            }
        }
        tenants.sort_unstable();
        tenants.dedup();
        skills.sort_unstable();
        skills.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut memberships = Vec::new();
        for ch in Channel::ALL {
            if capacity.get(ch) == 0 {
                continue;
            }
            let c = ch.index() as u8;
            for &t in &tenants {
                memberships.push((c, self.pools.id(t, None, c), 0));
            }
            for &(t, s, l) in &skills {
                memberships.push((c, self.pools.id(t, Some(s), c), l));
            }
        }
        self.agent_ids.intern(id.clone())?;
        self.agents.push(AgentSlot {
            state: AgentState::new(id.clone(), capacity),
            tenant_ids: served.iter().map(|t| t.tenant.clone()).collect(),
            tenants,
            skills,
            memberships,
            avail: [None; 8],
            queues: Vec::new(),
        });
        let a = self.agents.len() - 1;
        for q in 0..self.queues.len() as u32 {
            self.link_agent_queue(a, q);
        }
        Ok(())
    }

    // ----- lookups ----------------------------------------------------------------------

    fn queue_index(&self, queue: &QueueId) -> Result<u32> {
        self.queue_ids
            .get(queue.as_str())
            .map(Dense::raw)
            .ok_or_else(|| Error::UnknownQueue(queue.clone()))
    }

    fn agent_index(&self, agent: &AgentId) -> Result<u32> {
        self.agent_ids
            .get(agent.as_str())
            .map(Dense::raw)
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
                        _ => self.fire_max_wait(s, now),
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
        aht.saturating_mul(q.waiting as u32 + 1) / staffed
    }

    fn stats_of(&self, qs: &[u32], now: Instant) -> QueueStats {
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
        let in_service = self
            .slots
            .iter()
            .flatten()
            .filter(|s| qs.contains(&s.queue) && s.state != CState::Waiting)
            .count();
        QueueStats::from_counters(counters, waiting, in_service, longest, ewt)
    }

    /// A snapshot of one queue's statistics at `now`.
    pub fn queue_stats(&self, queue: &QueueId, now: Instant) -> Result<QueueStats> {
        let q = self.queue_index(queue)?;
        Ok(self.stats_of(&[q], now))
    }

    /// The statistics of all queues of one tenant: never another tenant's contacts.
    pub fn tenant_stats(&self, tenant: &TenantId, now: Instant) -> Result<QueueStats> {
        let t = self
            .tenants
            .get(tenant.as_str())
            .ok_or_else(|| Error::UnknownTenant(tenant.clone()))?;
        let qs = self.tenant_queues.get(t.index()).map_or(&[][..], Vec::as_slice);
        Ok(self.stats_of(qs, now))
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

    // ----- timers -----------------------------------------------------------------------

    fn set_timer(&mut self, s: u32, kind: usize, at: Option<Instant>) {
        let Some(slot) = self.slots.get_mut(s as usize).and_then(Option::as_mut) else {
            return;
        };
        if let Some(old) = slot.timers[kind].take() {
            self.timers.remove(&(old, Timer::Contact(s, kind)));
        }
        if let Some(at) = at {
            slot.timers[kind] = Some(at);
            self.timers.insert((at, Timer::Contact(s, kind)));
        }
    }

    fn fire_wrap_up(&mut self, a: u32, now: Instant) {
        let Some(agent) = self.agents.get(a as usize) else {
            return;
        };
        let mut due = Vec::new();
        for t in agent.state.tasks() {
            if let TaskState::WrapUp { until } = t.state
                && until <= now
            {
                due.push(t.contact.clone());
            }
        }
        if due.is_empty() {
            return;
        }
        let _ = self.with_agent(a, now, None, |st| {
            for c in &due {
                st.end_wrap_up(c)?;
            }
            Ok(())
        });
        self.route_agent(a, now);
    }

    fn fire_lease(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        if let CState::Ringing { agent, .. } = slot.state {
            self.end_offer(s, agent, OfferOutcome::NoAnswer, now);
        }
    }

    fn fire_escalation(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        match slot.state {
            CState::Ringing { lease_until, .. } => {
                // Decide when the offer has ended one way or the other.
                self.set_timer(s, T_ESCALATE, Some(lease_until));
                return;
            }
            CState::Connected { .. } => return,
            CState::Waiting => {}
        }
        let (q, step) = (slot.queue, slot.next_step);
        let Some(action) = self
            .queues
            .get(q as usize)
            .and_then(|queue| queue.config.escalation.get(step))
            .map(|st| st.action.clone())
        else {
            return;
        };
        if let Some(slot) = self.slot_mut(s) {
            slot.next_step += 1;
        }
        self.schedule_escalation(s);
        match action {
            EscalationAction::CapLevel { level } => {
                self.unpark(s);
                if let Some(slot) = self.slot_mut(s) {
                    slot.level_cap = slot.level_cap.min(level.get());
                }
                self.reclass(s);
                self.park(s);
                self.route_contact(s, now);
            }
            EscalationAction::Overflow { to } => self.overflow(s, to, now),
        }
    }

    fn fire_aging(&mut self, s: u32, due: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let Some(aging) = self
            .queues
            .get(slot.queue as usize)
            .and_then(|q| q.config.aging.clone())
        else {
            return;
        };
        if matches!(slot.state, CState::Connected { .. }) {
            return;
        }
        let waiting = slot.state == CState::Waiting;
        if waiting {
            self.unpark(s);
        }
        let mut next = None;
        if let Some(slot) = self.slot_mut(s) {
            slot.priority = slot.priority.raised(aging.step).min(aging.max.max(slot.priority));
            if slot.priority < aging.max {
                next = Some(aging.every);
            }
        }
        if waiting {
            self.park(s);
        }
        if let Some(every) = next {
            self.set_timer(s, T_AGE, Some(due + every));
        }
    }

    fn fire_max_wait(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        if let CState::Ringing { lease_until, .. } = slot.state {
            self.set_timer(s, T_MAX_WAIT, Some(lease_until));
            return;
        }
        if slot.state != CState::Waiting {
            return;
        }
        let Some(queue) = self.queues.get(slot.queue as usize) else {
            return;
        };
        if let Some(to) = queue.config.overflow.max_wait.clone() {
            self.overflow(s, to, now);
        } else {
            let (contact, queue_id, q) = (slot.contact.id.clone(), queue.config.id.clone(), slot.queue);
            if let Some(queue) = self.queues.get_mut(q as usize) {
                queue.counters.rejected += 1;
            }
            self.commands.push_back(Command::Reject {
                contact,
                queue: queue_id,
                reason: "max_wait",
            });
            self.finish(
                s,
                Disposition::Rejected {
                    reason: "max_wait".to_owned(),
                },
            );
        }
    }

    fn schedule_escalation(&mut self, s: u32) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let at = self
            .queues
            .get(slot.queue as usize)
            .and_then(|q| q.config.escalation.get(slot.next_step))
            .map(|st| slot.queue_entered + st.after);
        self.set_timer(s, T_ESCALATE, at);
    }

    // ----- waiting sets -----------------------------------------------------------------

    fn key(slot: &Slot, s: u32) -> WaitKey {
        (Reverse(slot.priority), slot.arrival, slot.seq, s)
    }

    fn park(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        let key = Self::key(slot, s);
        if let Some(q) = self.queues.get_mut(slot.queue as usize)
            && let Some(class) = q.classes.get_mut(slot.class)
            && class.waiting.insert(key)
        {
            q.by_arrival.insert((slot.arrival, slot.seq));
            q.waiting += 1;
        }
    }

    fn unpark(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        let key = Self::key(slot, s);
        if let Some(q) = self.queues.get_mut(slot.queue as usize)
            && let Some(class) = q.classes.get_mut(slot.class)
            && class.waiting.remove(&key)
        {
            q.by_arrival.remove(&(slot.arrival, slot.seq));
            q.waiting -= 1;
        }
    }

    /// Recomputes the contact's class from its requirements and level cap (not parked).
    fn reclass(&mut self, s: u32) {
        let Some(slot) = self.slots.get_mut(s as usize).and_then(Option::as_mut) else {
            return;
        };
        let Some(q) = self.queues.get_mut(slot.queue as usize) else {
            return;
        };
        let cap = slot.level_cap;
        let mut reqs = [(0u32, 0u8); 16];
        let n = slot.base_reqs.len().min(reqs.len());
        for (dst, &(sk, l)) in reqs.iter_mut().zip(&slot.base_reqs) {
            *dst = (sk, l.min(cap));
        }
        slot.class = q.class_for(slot.contact.channel, &reqs[..n]);
    }

    // ----- agents -----------------------------------------------------------------------

    /// Applies `f` to an agent's state machine, then brings its pool entries and status
    /// event up to date. `reason` is reported with the status change.
    fn with_agent<R>(
        &mut self,
        a: u32,
        now: Instant,
        reason: Option<&str>,
        f: impl FnOnce(&mut AgentState) -> Result<R>,
    ) -> Result<R> {
        let Some(agent) = self.agents.get_mut(a as usize) else {
            return Err(Error::invalid("agent index", a, "an index issued by this router"));
        };
        let before = agent.state.status();
        let out = f(&mut agent.state)?;
        let after = agent.state.status();
        self.sync_pools(a, now);
        if self.config.events
            && let Some(agent) = self.agents.get(a as usize)
        {
            let reason = match agent.state.presence() {
                Presence::NotReady(r) if after == AgentStatus::NotReady => Some(r.clone()),
                _ => reason.map(str::to_owned),
            };
            if before != after {
                self.events.push_back(EventBody::Agent(AgentEvent {
                    agent: agent.state.id().clone(),
                    tenants: agent.tenant_ids.clone(),
                    change: AgentChange::Status {
                        from: before,
                        to: after,
                        reason,
                    },
                }));
            }
        }
        Ok(out)
    }

    /// Puts the agent in (or takes it out of) the pools of each channel, re-keying a
    /// channel whose load changed.
    fn sync_pools(&mut self, a: u32, now: Instant) {
        let Some(agent) = self.agents.get_mut(a as usize) else {
            return;
        };
        for ch in Channel::ALL {
            let i = ch.index();
            let available = agent.state.available(ch);
            let old = agent.avail[i];
            let used = agent.state.tasks().iter().filter(|t| t.channel == ch).count() as u32;
            // The load key: tasks on the channel first, then contacts answered. The key (and
            // its `since`) stays while neither changed.
            let load = (used << 24) | agent.state.handled().min(0xFF_FFFF);
            let unchanged = old.is_some_and(|k| k.load == load);
            if available && unchanged {
                continue;
            }
            if let Some(k) = old {
                for &(c, pool, level) in &agent.memberships {
                    if usize::from(c) == i {
                        self.pools.remove(pool, a, level, k);
                    }
                }
                agent.avail[i] = None;
            }
            if available {
                let k = AvailKey {
                    since: now,
                    load,
                    rand: self.rng.next_u64(),
                };
                for &(c, pool, level) in &agent.memberships {
                    if usize::from(c) == i {
                        self.pools.insert(pool, a, level, k);
                    }
                }
                agent.avail[i] = Some(k);
            }
        }
    }

    fn logged_in_delta(&mut self, a: u32, up: bool) {
        let Some(agent) = self.agents.get(a as usize) else {
            return;
        };
        for &t in &agent.tenants {
            if let Some(n) = self.tenant_logged_in.get_mut(t as usize) {
                *n = if up {
                    n.saturating_add(1)
                } else {
                    n.saturating_sub(1)
                };
            }
        }
    }

    /// LoggedOut → Ready (`ready`) or NotReady("login").
    pub fn login(&mut self, agent: &AgentId, ready: bool, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        self.with_agent(a, now, Some("login"), |s| s.login(ready))?;
        self.logged_in_delta(a, true);
        self.route_agent(a, now);
        Ok(())
    }

    /// NotReady → Ready.
    pub fn ready(&mut self, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        self.with_agent(a, now, None, AgentState::ready)?;
        self.route_agent(a, now);
        Ok(())
    }

    /// → NotReady(reason): lunch, training, meeting...
    pub fn not_ready(&mut self, agent: &AgentId, reason: &str, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        self.with_agent(a, now, Some(reason), |s| s.not_ready(reason))
    }

    /// → LoggedOut (no task may be in progress).
    pub fn logout(&mut self, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        self.with_agent(a, now, None, AgentState::logout)?;
        self.logged_in_delta(a, false);
        Ok(())
    }

    /// Supervisor: → Ready, cutting wrap-up short.
    pub fn force_ready(&mut self, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        self.with_agent(a, now, Some("forced_by_supervisor"), AgentState::force_ready)?;
        self.route_agent(a, now);
        Ok(())
    }

    /// Supervisor: → LoggedOut whatever the state. A ringing contact goes back to its
    /// place; a connected one is closed as answered.
    pub fn force_logout(&mut self, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        let tasks = self.with_agent(a, now, Some("forced_by_supervisor"), AgentState::force_logout)?;
        self.logged_in_delta(a, false);
        for task in tasks {
            let Some(&s) = self.by_contact.get(&task.contact) else {
                continue;
            };
            match task.state {
                TaskState::Reserved { .. } => {
                    self.commands.push_back(Command::CancelOffer {
                        contact: task.contact.clone(),
                        agent: agent.clone(),
                        outcome: OfferOutcome::Cancelled,
                    });
                    self.requeue(s, a, OfferOutcome::Cancelled, now);
                }
                TaskState::Busy => self.close_connected(s, now),
                TaskState::WrapUp { .. } => {}
            }
        }
        Ok(())
    }

    /// Ends the agent's wrap-up now (all of its wrap-ups).
    pub fn wrap_up_done(&mut self, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        let wraps: Vec<ContactId> = self
            .agents
            .get(a as usize)
            .map(|s| {
                s.state
                    .tasks()
                    .iter()
                    .filter(|t| matches!(t.state, TaskState::WrapUp { .. }))
                    .map(|t| t.contact.clone())
                    .collect()
            })
            .unwrap_or_default();
        if wraps.is_empty() {
            let state = self.agent_status(agent)?;
            return Err(Error::InvalidTransition {
                agent: agent.clone(),
                action: "end wrap-up",
                state,
                hint: "the agent is not wrapping up",
            });
        }
        self.with_agent(a, now, None, |st| {
            for c in &wraps {
                st.end_wrap_up(c)?;
            }
            Ok(())
        })?;
        self.route_agent(a, now);
        Ok(())
    }

    // ----- contacts ---------------------------------------------------------------------

    /// A contact enters a queue. Conditional overflow applies (no agent logged in, queue
    /// full, estimated wait too long); then it is offered at once if an agent is free.
    pub fn enqueue(&mut self, contact: Contact, queue: &QueueId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let q = self.queue_index(queue)?;
        let Some(qref) = self.queues.get(q as usize) else {
            return Err(Error::UnknownQueue(queue.clone()));
        };
        if contact.tenant != qref.config.tenant {
            return Err(Error::TenantMismatch {
                contact: contact.id.clone(),
                contact_tenant: contact.tenant.clone(),
                queue: queue.clone(),
                queue_tenant: qref.config.tenant.clone(),
            });
        }
        if self.by_contact.contains_key(&contact.id) {
            return Err(Error::DuplicateContact(contact.id.clone()));
        }
        let rules = &qref.config.overflow;
        let full = qref.config.max_waiting.is_some_and(|m| qref.waiting >= m);
        let mut overflow_to = None;
        if full {
            match &rules.queue_full {
                Some(to) => overflow_to = Some(to.clone()),
                None => {
                    return Err(Error::QueueFull {
                        queue: queue.clone(),
                        max: qref.config.max_waiting.unwrap_or(0),
                    });
                }
            }
        } else if let Some(to) = &rules.no_agents
            && self
                .tenant_logged_in
                .get(qref.tenant as usize)
                .copied()
                .unwrap_or(0)
                == 0
        {
            overflow_to = Some(to.clone());
        } else if let Some((limit, to)) = &rules.long_wait
            && self.estimated_wait(qref) > *limit
        {
            overflow_to = Some(to.clone());
        }
        let tenant = qref.tenant;
        let mut reqs = qref.skills.clone();
        let contact_reqs = self.dense_reqs(&contact.routing_skills())?;
        for (s, l) in contact_reqs {
            match reqs.iter_mut().find(|x| x.0 == s) {
                Some(x) => x.1 = x.1.max(l),
                None => reqs.push((s, l)),
            }
        }
        reqs.sort_unstable();
        if reqs.len() > 16 {
            return Err(Error::invalid(
                "skill requirements",
                reqs.len(),
                "a contact may need at most 16 skills (queue and contact together)",
            ));
        }
        let preferred = contact
            .preferred_agent
            .as_ref()
            .and_then(|p| self.agent_ids.get(p.as_str()))
            .map(Dense::raw);
        let s = if let Some(s) = self.free.pop() {
            s
        } else {
            self.slots.push(None);
            (self.slots.len() - 1) as u32
        };
        self.next_seq += 1;
        self.by_contact.insert(contact.id.clone(), s);
        let priority = contact.priority;
        if let Some(entry) = self.slots.get_mut(s as usize) {
            *entry = Some(Slot {
                contact,
                tenant,
                queue: q,
                arrival: now,
                queue_entered: now,
                seq: self.next_seq,
                priority,
                base_reqs: reqs,
                level_cap: u8::MAX,
                class: 0,
                next_step: 0,
                preferred,
                refused_by: None,
                callback: false,
                state: CState::Waiting,
                timers: [None; 4],
            });
        }
        self.reclass(s);
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.counters.entered += 1;
        }
        self.contact_event(
            s,
            ContactChange::Enqueued {
                queue: queue.clone(),
                priority,
            },
        );
        if let Some(to) = overflow_to {
            self.overflow(s, to, now);
            return Ok(());
        }
        self.enter_queue_timers(s, now);
        self.park(s);
        if let (Some(qref), Some(slot)) = (self.queues.get(q as usize), self.slot(s)) {
            self.commands.push_back(Command::Announce {
                contact: slot.contact.id.clone(),
                queue: queue.clone(),
                position: qref.waiting,
                estimated_wait: self.estimated_wait(qref),
            });
        }
        self.route_contact(s, now);
        Ok(())
    }

    fn enter_queue_timers(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let Some(q) = self.queues.get(slot.queue as usize) else {
            return;
        };
        let max_wait = q.config.max_wait.map(|d| now + d);
        let age = q
            .config
            .aging
            .as_ref()
            .filter(|a| slot.priority < a.max)
            .map(|a| now + a.every);
        let aging_running = slot.timers[T_AGE].is_some();
        self.set_timer(s, T_MAX_WAIT, max_wait);
        if !aging_running {
            self.set_timer(s, T_AGE, age);
        }
        self.schedule_escalation(s);
    }

    /// The agent accepted (answered) the contact offered to it: Reserved → Busy.
    pub fn accept(&mut self, contact: &ContactId, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let s = self.slot_index(contact)?;
        let a = self.agent_index(agent)?;
        self.check_ringing(s, a, contact, agent)?;
        self.with_agent(a, now, None, |st| st.accept(contact))?;
        for kind in 0..4 {
            self.set_timer(s, kind, None);
        }
        let Some(slot) = self.slot_mut(s) else {
            return Ok(());
        };
        slot.state = CState::Connected {
            agent: a,
            answered_at: now,
        };
        let (q, waited) = (slot.queue, now.saturating_duration_since(slot.arrival));
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.counters.answered += 1;
            queue.counters.answer_wait_ms += waited.as_millis() as u64;
            if waited <= queue.config.service_level_threshold {
                queue.counters.answered_in_sl += 1;
            }
        }
        self.contact_event(s, ContactChange::Answered { agent: agent.clone() });
        Ok(())
    }

    fn check_ringing(&self, s: u32, a: u32, contact: &ContactId, agent: &AgentId) -> Result<()> {
        let hint = match self.slot(s).map(|x| x.state) {
            Some(CState::Ringing { agent: r, .. }) if r == a => return Ok(()),
            Some(CState::Ringing { .. }) => "it is ringing at another agent",
            Some(CState::Waiting) => "it is waiting in its queue (the offer was withdrawn or expired)",
            Some(CState::Connected { .. }) => "it is already connected",
            None => "it has ended",
        };
        Err(Error::NotOffered {
            contact: contact.clone(),
            agent: agent.clone(),
            hint,
        })
    }

    /// The agent declined the offer: the contact goes back to its own place and the
    /// agent's missed-offer count grows (auto-pause may follow).
    pub fn reject(&mut self, contact: &ContactId, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let s = self.slot_index(contact)?;
        let a = self.agent_index(agent)?;
        self.check_ringing(s, a, contact, agent)?;
        self.end_offer(s, a, OfferOutcome::Rejected, now);
        Ok(())
    }

    /// Ends a ringing offer (reject or lease expiry): agent released, contact requeued.
    fn end_offer(&mut self, s: u32, a: u32, outcome: OfferOutcome, now: Instant) {
        if outcome == OfferOutcome::NoAnswer
            && let (Some(slot), Some(agent)) = (self.slot(s), self.agents.get(a as usize))
        {
            self.commands.push_back(Command::CancelOffer {
                contact: slot.contact.id.clone(),
                agent: agent.state.id().clone(),
                outcome,
            });
        }
        let Some(slot) = self.slot(s) else {
            return;
        };
        let contact = slot.contact.id.clone();
        let max = self
            .queues
            .get(slot.queue as usize)
            .and_then(|q| q.config.max_no_answers);
        let _ = self.with_agent(a, now, None, |st| st.release_offer(&contact, true, max));
        self.requeue(s, a, outcome, now);
        self.route_agent(a, now);
    }

    /// Puts a contact whose offer ended back in its place and looks for another agent.
    fn requeue(&mut self, s: u32, a: u32, outcome: OfferOutcome, now: Instant) {
        self.set_timer(s, T_LEASE, None);
        let Some(slot) = self.slot_mut(s) else {
            return;
        };
        slot.state = CState::Waiting;
        if outcome != OfferOutcome::Cancelled {
            slot.refused_by = Some(a);
        }
        if let Some(agent) = self.agents.get(a as usize).map(|x| x.state.id().clone()) {
            self.contact_event(s, ContactChange::OfferEnded { agent, outcome });
        }
        self.reclass(s);
        self.park(s);
        self.route_contact(s, now);
    }

    /// The customer hung up while waiting or ringing: the contact is removed everywhere
    /// at once (a ringing agent is released and told to stop).
    pub fn abandon(&mut self, contact: &ContactId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let s = self.slot_index(contact)?;
        let Some(slot) = self.slot(s) else {
            return Err(Error::UnknownContact(contact.clone()));
        };
        let (stage, ringing) = match slot.state {
            CState::Waiting => (AbandonStage::Queue, None),
            CState::Ringing { agent, .. } => (AbandonStage::Ringing, Some(agent)),
            CState::Connected { .. } => {
                return Err(Error::ContactState {
                    contact: contact.clone(),
                    action: "abandon",
                    state: "connected",
                    hint: "an answered contact ends with Router::complete",
                });
            }
        };
        let waited = now.saturating_duration_since(slot.arrival);
        let q = slot.queue;
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.counters.abandoned += 1;
            if waited <= queue.config.short_abandon {
                queue.counters.short_abandoned += 1;
            }
        }
        self.finish(
            s,
            Disposition::Abandoned {
                waited_ms: waited.as_millis() as u64,
                stage,
            },
        );
        if let Some(a) = ringing {
            if let Some(agent) = self.agents.get(a as usize).map(|x| x.state.id().clone()) {
                self.commands.push_back(Command::CancelOffer {
                    contact: contact.clone(),
                    agent,
                    outcome: OfferOutcome::Cancelled,
                });
            }
            let _ = self.with_agent(a, now, None, |st| st.release_offer(contact, false, None));
            self.route_agent(a, now);
        }
        Ok(())
    }

    /// The answered contact ended (hang-up): the agent goes to wrap-up (or straight back
    /// to work when the queue has none).
    pub fn complete(&mut self, contact: &ContactId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let s = self.slot_index(contact)?;
        match self.slot(s).map(|x| x.state) {
            Some(CState::Connected { .. }) => {}
            other => {
                return Err(Error::ContactState {
                    contact: contact.clone(),
                    action: "complete",
                    state: if other == Some(CState::Waiting) {
                        "waiting"
                    } else {
                        "ringing"
                    },
                    hint: "only an answered contact completes; use Router::abandon before answer",
                });
            }
        }
        self.close_connected(s, now);
        Ok(())
    }

    fn close_connected(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let CState::Connected {
            agent: a,
            answered_at,
        } = slot.state
        else {
            return;
        };
        let contact = slot.contact.id.clone();
        let q = slot.queue;
        let wrap = self
            .queues
            .get(q as usize)
            .map_or(Duration::ZERO, |x| x.config.wrap_up);
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.counters.completed += 1;
            queue.counters.handle_ms += now.saturating_duration_since(answered_at).as_millis() as u64;
        }
        self.finish(s, Disposition::Answered);
        let until = (!wrap.is_zero()).then(|| now + wrap);
        let busy = self.agents.get(a as usize).is_some_and(|x| {
            x.state
                .tasks()
                .iter()
                .any(|t| t.contact == contact && t.state == TaskState::Busy)
        });
        if busy {
            let _ = self.with_agent(a, now, None, |st| st.complete(&contact, until));
            if let Some(until) = until {
                self.timers.insert((until, Timer::WrapUp(a)));
            }
            self.route_agent(a, now);
        }
    }

    /// A waiting caller asks to be called back: the contact keeps its place and wait
    /// time; when it reaches an agent the router reserves the agent and orders
    /// [`Command::DialCallback`].
    pub fn request_callback(&mut self, contact: &ContactId, now: Instant) -> Result<()> {
        self.tick(now);
        let s = self.slot_index(contact)?;
        let Some(slot) = self.slot_mut(s) else {
            return Err(Error::UnknownContact(contact.clone()));
        };
        if slot.state != CState::Waiting || slot.callback {
            return Err(Error::ContactState {
                contact: contact.clone(),
                action: "request a callback",
                state: if slot.callback {
                    "a callback already"
                } else {
                    "ringing or connected"
                },
                hint: "only a waiting caller may ask for a callback, once",
            });
        }
        slot.callback = true;
        let q = slot.queue;
        if let Some(queue) = self.queues.get_mut(q as usize) {
            queue.counters.callbacks += 1;
        }
        self.contact_event(s, ContactChange::CallbackRequested);
        Ok(())
    }

    /// Removes a contact for good, with its last event.
    fn finish(&mut self, s: u32, disposition: Disposition) {
        self.unpark(s);
        for kind in 0..4 {
            self.set_timer(s, kind, None);
        }
        self.contact_event(s, ContactChange::Ended { disposition });
        if let Some(slot) = self.slots.get_mut(s as usize).and_then(Option::take) {
            self.by_contact.remove(&slot.contact.id);
            self.free.push(s);
        }
    }

    /// Sends a contact elsewhere: into another queue of its tenant (keeping its arrival
    /// time), or out of the router with [`Command::Overflow`].
    fn overflow(&mut self, s: u32, to: Destination, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let from = slot.queue;
        let target = match &to {
            Destination::Queue { queue } => self.queue_ids.get(queue.as_str()).map(Dense::raw).filter(|&t| {
                t != from
                    && self
                        .queues
                        .get(t as usize)
                        .is_some_and(|x| x.tenant == slot.tenant)
            }),
            _ => None,
        };
        let Some(from_id) = self.queues.get(from as usize).map(|x| x.config.id.clone()) else {
            return;
        };
        if let Some(queue) = self.queues.get_mut(from as usize) {
            queue.counters.overflowed += 1;
        }
        self.contact_event(
            s,
            ContactChange::Overflowed {
                from: from_id.clone(),
                to: to.clone(),
            },
        );
        let Some(t) = target else {
            if let Some(slot) = self.slot(s) {
                self.commands.push_back(Command::Overflow {
                    contact: slot.contact.id.clone(),
                    from: from_id,
                    to: to.clone(),
                });
            }
            self.finish(s, Disposition::Overflowed { to });
            return;
        };
        self.unpark(s);
        let target_skills = self
            .queues
            .get(t as usize)
            .map(|x| x.skills.clone())
            .unwrap_or_default();
        let contact_reqs = match self.slot(s) {
            Some(slot) => slot.contact.routing_skills(),
            None => return,
        };
        let Ok(contact_reqs) = self.dense_reqs(&contact_reqs) else {
            return;
        };
        let mut reqs = target_skills;
        for (sk, l) in contact_reqs {
            match reqs.iter_mut().find(|x| x.0 == sk) {
                Some(x) => x.1 = x.1.max(l),
                None => reqs.push((sk, l)),
            }
        }
        reqs.sort_unstable();
        reqs.truncate(16);
        if let Some(slot) = self.slot_mut(s) {
            slot.queue = t;
            slot.queue_entered = now;
            slot.next_step = 0;
            slot.level_cap = u8::MAX;
            slot.base_reqs = reqs;
        }
        self.reclass(s);
        if let Some(queue) = self.queues.get_mut(t as usize) {
            queue.counters.entered += 1;
        }
        let priority = self.slot(s).map_or(Priority::NORMAL, |x| x.priority);
        if let Destination::Queue { queue } = to {
            self.contact_event(s, ContactChange::Enqueued { queue, priority });
        }
        self.enter_queue_timers(s, now);
        self.park(s);
        self.route_contact(s, now);
    }

    // ----- decisions --------------------------------------------------------------------

    /// Finds an agent for a waiting contact and offers it. Allocates nothing.
    fn route_contact(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        if slot.state != CState::Waiting {
            return;
        }
        let Some(queue) = self.queues.get(slot.queue as usize) else {
            return;
        };
        let Some(class) = queue.classes.get(slot.class) else {
            return;
        };
        let channel = slot.contact.channel;
        let refused = slot.refused_by;
        let tenant = slot.tenant;
        // The preferred agent first.
        if let Some(p) = slot.preferred
            && Some(p) != refused
            && let Some(agent) = self.agents.get(p as usize)
            && agent.state.available(channel)
            && agent.eligible(tenant, &class.reqs)
        {
            self.offer(s, p, now);
            return;
        }
        let Some(pool) = self.pools.get(tenant, class.pool_skill, channel.index() as u8) else {
            return;
        };
        let order = queue.strategy.order();
        let window = queue.strategy.window().max(1);
        let pool_skill = class.pool_skill;
        let agents = &self.agents;
        let scratch = &mut self.scratch;
        scratch.clear();
        self.pools.visit(pool, order, queue.rr_cursor, |a| {
            if Some(a) == refused {
                return ControlFlow::Continue(());
            }
            let Some(agent) = agents.get(a as usize) else {
                return ControlFlow::Continue(());
            };
            if !agent.eligible(tenant, &class.reqs) {
                return ControlFlow::Continue(());
            }
            let key = agent.avail.get(channel.index()).copied().flatten();
            scratch.push(Candidate {
                agent: Dense::from_raw(a),
                level: pool_skill.map_or(0, |sk| agent.level(tenant, sk)),
                handled: agent.state.handled(),
                available_since: key.map_or(now, |k| k.since),
            });
            if scratch.len() >= window {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if self.scratch.is_empty() {
            return;
        }
        let q = slot.queue;
        let Some(queue) = self.queues.get_mut(q as usize) else {
            return;
        };
        let pick = queue.strategy.choose(&self.scratch);
        let chosen = self
            .scratch
            .get(pick)
            .or(self.scratch.first())
            .map(|c| c.agent.raw());
        if let Some(a) = chosen {
            if order == AgentOrder::RoundRobin {
                queue.rr_cursor = a;
            }
            self.offer(s, a, now);
        }
    }

    /// The best waiting contact agent `a` qualifies for on `ch`: the smallest key among
    /// the heads of the classes it qualifies for, in the queues it may serve. Allocates
    /// nothing and reads no contact beyond those heads (and contacts it refused itself).
    fn best_for_agent(&self, a: u32, ch: Channel) -> Option<WaitKey> {
        let agent = self.agents.get(a as usize)?;
        let mut best: Option<WaitKey> = None;
        for queue in agent.queues.iter().filter_map(|&q| self.queues.get(q as usize)) {
            let t = queue.tenant;
            for class in &queue.classes {
                if class.channel != ch || class.waiting.is_empty() || !agent.eligible(t, &class.reqs) {
                    continue;
                }
                let head = class.waiting.iter().find(|k| {
                    self.slots
                        .get(k.3 as usize)
                        .and_then(Option::as_ref)
                        .is_some_and(|x| x.refused_by != Some(a))
                });
                if let Some(&k) = head
                    && best.is_none_or(|b| k < b)
                {
                    best = Some(k);
                }
            }
        }
        best
    }

    /// The contact `agent` would be offered next on `channel` if it were available now
    /// (a read-only routing decision, e.g. for a wallboard's "next in line").
    pub fn next_contact_for(&self, agent: &AgentId, channel: Channel) -> Result<Option<&ContactId>> {
        let a = self.agent_index(agent)?;
        Ok(self
            .best_for_agent(a, channel)
            .and_then(|k| self.slot(k.3))
            .map(|slot| &slot.contact.id))
    }

    /// Offers the best waiting contacts to an agent while it has capacity.
    fn route_agent(&mut self, a: u32, now: Instant) {
        for ch in Channel::ALL {
            while self.agents.get(a as usize).is_some_and(|x| x.state.available(ch)) {
                // An offer that cannot be made (it never should) must not spin.
                if !self
                    .best_for_agent(a, ch)
                    .is_some_and(|k| self.offer(k.3, a, now))
                {
                    break;
                }
            }
        }
    }

    /// Reserves agent `a` for contact `s` and orders the offer. Returns whether it did.
    fn offer(&mut self, s: u32, a: u32, now: Instant) -> bool {
        let Some(slot) = self.slot(s) else {
            return false;
        };
        let Some(queue) = self.queues.get(slot.queue as usize) else {
            return false;
        };
        let lease_until = now + queue.config.ring_timeout;
        let (contact, channel) = (slot.contact.id.clone(), slot.contact.channel);
        if self
            .with_agent(a, now, None, |st| {
                st.reserve(contact.clone(), channel, lease_until)
            })
            .is_err()
        {
            return false;
        }
        self.unpark(s);
        let Some(slot) = self.slot_mut(s) else {
            return false;
        };
        slot.state = CState::Ringing {
            agent: a,
            lease_until,
        };
        let (q, callback) = (slot.queue, slot.callback);
        self.set_timer(s, T_LEASE, Some(lease_until));
        let Some(queue) = self.queues.get_mut(q as usize) else {
            return false;
        };
        queue.counters.offers += 1;
        let queue_id = queue.config.id.clone();
        let Some(agent) = self.agents.get(a as usize).map(|x| x.state.id().clone()) else {
            return false;
        };
        self.contact_event(s, ContactChange::Offered { agent: agent.clone() });
        self.commands.push_back(if callback {
            Command::DialCallback {
                contact,
                agent,
                queue: queue_id,
                lease_until,
            }
        } else {
            Command::Offer {
                contact,
                agent,
                queue: queue_id,
                lease_until,
            }
        });
        true
    }

    // ----- invariants (tests) -----------------------------------------------------------

    /// Checks every structural invariant; returns the first violation found.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) -> std::result::Result<(), String> {
        use std::collections::HashSet;
        let now = self.now;
        // Contacts: each in exactly one place.
        let mut seen_reserved = HashSet::new();
        for (s, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let q = &self.queues[slot.queue as usize];
            let key = Self::key(slot, s as u32);
            let parked = q.classes.iter().filter(|c| c.waiting.contains(&key)).count();
            match slot.state {
                CState::Waiting => {
                    if parked != 1 || !q.classes[slot.class].waiting.contains(&key) {
                        return Err(format!(
                            "waiting contact {} parked {parked} times",
                            slot.contact.id
                        ));
                    }
                }
                CState::Ringing { agent, lease_until } => {
                    if parked != 0 {
                        return Err(format!("ringing contact {} still parked", slot.contact.id));
                    }
                    if now.is_some_and(|n| lease_until < n) {
                        return Err(format!("contact {} ringing past its lease", slot.contact.id));
                    }
                    let ag = &self.agents[agent as usize];
                    let has = ag.state.tasks().iter().any(|t| {
                        t.contact == slot.contact.id && t.state == TaskState::Reserved { lease_until }
                    });
                    if !has {
                        return Err(format!(
                            "contact {} ringing at an agent not reserved for it",
                            slot.contact.id
                        ));
                    }
                    if ag.tenants.binary_search(&slot.tenant).is_err() {
                        return Err(format!("contact {} offered across tenants", slot.contact.id));
                    }
                }
                CState::Connected { agent, .. } => {
                    if parked != 0 {
                        return Err(format!("connected contact {} still parked", slot.contact.id));
                    }
                    let ag = &self.agents[agent as usize];
                    if !ag
                        .state
                        .tasks()
                        .iter()
                        .any(|t| t.contact == slot.contact.id && t.state == TaskState::Busy)
                    {
                        return Err(format!(
                            "contact {} connected to an agent not busy with it",
                            slot.contact.id
                        ));
                    }
                }
            }
        }
        // Agents: capacity, reservations point back, pools match availability.
        for (a, ag) in self.agents.iter().enumerate() {
            let mut real_time = 0;
            for ch in Channel::ALL {
                let used = ag.state.tasks().iter().filter(|t| t.channel == ch).count();
                if used > usize::from(self.agents[a].state_capacity(ch)) {
                    return Err(format!("agent {} over capacity on {ch}", ag.state.id()));
                }
                if ch.is_real_time() {
                    real_time += used;
                }
                let avail = ag.state.available(ch);
                if avail != ag.avail[ch.index()].is_some() {
                    return Err(format!("agent {} pool flag out of date on {ch}", ag.state.id()));
                }
                if let Some(k) = ag.avail[ch.index()] {
                    for &(c, pool, _) in &ag.memberships {
                        if usize::from(c) == ch.index() && !self.pools.contains(pool, a as u32, k) {
                            return Err(format!("agent {} missing from a pool", ag.state.id()));
                        }
                    }
                }
            }
            if real_time > 1 {
                return Err(format!(
                    "agent {} holds {real_time} real-time tasks",
                    ag.state.id()
                ));
            }
            for t in ag.state.tasks() {
                if let TaskState::Reserved { .. } | TaskState::Busy = t.state {
                    let Some(&s) = self.by_contact.get(&t.contact) else {
                        return Err(format!(
                            "agent {} holds ended contact {}",
                            ag.state.id(),
                            t.contact
                        ));
                    };
                    let points_back = match self.slots[s as usize].as_ref().map(|x| x.state) {
                        Some(CState::Ringing { agent, .. } | CState::Connected { agent, .. }) => {
                            agent == a as u32
                        }
                        _ => false,
                    };
                    if !points_back || !seen_reserved.insert(t.contact.clone()) {
                        return Err(format!(
                            "contact {} held twice or not by {}",
                            t.contact,
                            ag.state.id()
                        ));
                    }
                }
            }
        }
        // Maximality: no waiting contact has an available, eligible agent.
        for slot in self.slots.iter().flatten() {
            if slot.state != CState::Waiting {
                continue;
            }
            let reqs = &self.queues[slot.queue as usize].classes[slot.class].reqs;
            for (a, ag) in self.agents.iter().enumerate() {
                if Some(a as u32) != slot.refused_by
                    && ag.state.available(slot.contact.channel)
                    && ag.eligible(slot.tenant, reqs)
                {
                    return Err(format!(
                        "contact {} waits while agent {} is free",
                        slot.contact.id,
                        ag.state.id()
                    ));
                }
            }
        }
        // Counts add up per queue.
        for (q, queue) in self.queues.iter().enumerate() {
            let c = &queue.counters;
            let inside = self
                .slots
                .iter()
                .flatten()
                .filter(|s| s.queue == q as u32 && !matches!(s.state, CState::Connected { .. }))
                .count() as u64;
            if c.entered != c.answered + c.abandoned + c.overflowed + c.rejected + inside {
                return Err(format!(
                    "queue {} counts do not add up: {c:?}, {inside} inside",
                    queue.config.id
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
impl AgentSlot {
    fn state_capacity(&self, ch: Channel) -> u8 {
        self.state.capacity().get(ch)
    }
}
