//! Routing decisions: an agent for a contact, a contact for an agent, the offer.

use cc_core::{SkillLevel, SkillRequirement};

use crate::index::HANDLED_BITS;

use super::{
    AgentId, AgentOrder, CState, Candidate, Channel, Command, Contact, ContactChange, ContactId, ControlFlow,
    Dense, Error, Instant, NO_AGENT, Queue, QueueId, Result, Router, T_LEASE, WaitKey,
};

impl Router {
    /// Finds an agent for a waiting contact and offers it. Allocates nothing.
    pub(super) fn route_contact(&mut self, s: u32, now: Instant) {
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
        if slot.sticky_for.is_some() {
            // Waiting for its preferred agent alone, until the sticky timer.
            return;
        }
        let Some(pool) = self.pools.get(tenant, class.pool_skill, channel.index() as u8) else {
            return;
        };
        let order = queue.order;
        let window = queue.strategy.window().max(1);
        let pool_skill = class.pool_skill;
        let agents = &self.agents;
        let keys_hold_handled = self.pools.keys_hold_handled();
        let scratch = &mut self.scratch;
        scratch.clear();
        let reqs = class.reqs.as_slice();
        self.pools.visit(pool, order, queue.rr_cursor, |m| {
            let a = m.agent;
            if Some(a) == refused {
                return ControlFlow::Continue(());
            }
            // The pool tells eligibility for one requirement, and the walk gives the
            // candidate's key: then the agent itself is not read here.
            let eligible = eligible_in_pool(reqs, m.level)
                .unwrap_or_else(|| agents.get(a as usize).is_some_and(|x| x.eligible(tenant, reqs)));
            if !eligible {
                return ControlFlow::Continue(());
            }
            let candidate = if let Some((since, load)) = m.key {
                // Contacts answered: from the key where it holds them, else from the agent
                // only where the strategy chooses among several (with one candidate the
                // count cannot change the choice, and the walk reads no agent).
                let handled = if keys_hold_handled {
                    load & HANDLED_BITS
                } else if window > 1 {
                    agents.get(a as usize).map_or(0, |x| x.state.handled())
                } else {
                    0
                };
                Candidate {
                    agent: Dense::from_raw(a),
                    level: if pool_skill.is_some() { m.level } else { 0 },
                    handled,
                    available_since: since,
                }
            } else {
                let Some(agent) = agents.get(a as usize) else {
                    return ControlFlow::Continue(());
                };
                let key = agent.avail.get(channel.index()).copied().flatten();
                Candidate {
                    agent: Dense::from_raw(a),
                    level: pool_skill.map_or(0, |sk| agent.level(tenant, sk)),
                    handled: agent.state.handled(),
                    available_since: key.map_or(now, |k| k.since),
                }
            };
            scratch.push(candidate);
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
        if queue.strategy.ring_all() {
            self.ring_all(s, now);
            return;
        }
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
    /// the heads of the classes it is eligible for (a list kept per agent), read from the
    /// table of heads. Allocates nothing and reads no contact set, unless the head of a
    /// class is a contact this agent refused (then that class's set, from its head).
    pub(super) fn best_for_agent(&self, a: u32, ch: Channel) -> Option<WaitKey> {
        let agent = self.agents.get(a as usize)?;
        // Nothing of the channel waits for the agent's tenants: no class to read.
        let nothing = |t: &u32| {
            self.tenant_waiting
                .get(*t as usize)
                .is_none_or(|w| w.get(ch.index()).is_none_or(|&n| n == 0))
        };
        if agent.tenants.iter().all(nothing) {
            return None;
        }
        // Contacts waiting for this agent alone (it is their preferred agent).
        let mut best: Option<WaitKey> = if agent.sticky.is_empty() {
            None
        } else {
            agent
                .sticky
                .iter()
                .find(|k| self.slot(k.3).is_some_and(|x| x.contact.channel == ch))
                .copied()
        };
        let ch = ch.index() as u8;
        for &(c, g) in &agent.classes {
            if c != ch {
                continue;
            }
            let Some(head) = self.heads.get(g as usize) else {
                continue;
            };
            let Some((k, refused)) = head.first else {
                continue;
            };
            if best.is_some_and(|b| b <= k) {
                continue;
            }
            let k = if refused == a {
                // The agent refused this class's first contact: the next one it did not.
                let class = self
                    .queues
                    .get(head.queue as usize)
                    .and_then(|q| q.classes.get(head.class as usize));
                let next = class.and_then(|c| {
                    c.waiting.iter().copied().find(|k| {
                        self.slots
                            .get(k.3 as usize)
                            .and_then(Option::as_ref)
                            .is_some_and(|x| x.refused_by != Some(a))
                    })
                });
                match next {
                    Some(k) if best.is_none_or(|b| k < b) => k,
                    _ => continue,
                }
            } else {
                k
            };
            best = Some(k);
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

    /// The agent `contact` would be offered if it entered `queue` now (a read-only routing
    /// decision: a what-if for an IVR or a wallboard, and the contact-side decision alone,
    /// without the reservation that follows it).
    ///
    /// As on arrival: its preferred agent when available and eligible, else the first
    /// eligible agent of the queue's index order (longest idle, most skilled, ...), walked
    /// from the pool of the first required skill. A strategy that picks among a window of
    /// candidates ([`crate::RoutingStrategy::window`] above 1) is not asked here: the answer
    /// is the first candidate of its order (for ring-all, the first agent rung). `None`
    /// when no eligible agent is available. Allocates nothing for a contact without a
    /// language (the `lang:` skill name is built for one with).
    ///
    /// The same as [`route_query`](Self::route_query) then
    /// [`next_agent_for_query`](Self::next_agent_for_query): a caller asking again for the
    /// same contact keeps the query and skips resolving its ids.
    pub fn next_agent_for(&self, contact: &Contact, queue: &QueueId) -> Result<Option<&AgentId>> {
        let (q, qref) = self.queue_of(contact, queue)?;
        let mut reqs = [(0u32, 0u8); MAX_REQS];
        let n = self.merged_reqs(&qref.skills, contact, &mut reqs)?;
        let reqs = reqs.get(..n).unwrap_or_default();
        let preferred = self.preferred_of(contact);
        Ok(self.decide(q, qref.tenant, contact.channel, preferred, NO_POOL, reqs))
    }

    /// The queue `queue` (its index and itself), if it exists and is of `contact`'s tenant.
    fn queue_of(&self, contact: &Contact, queue: &QueueId) -> Result<(u32, &Queue)> {
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
        Ok((q, qref))
    }

    /// The dense preferred agent of `contact` ([`NO_AGENT`] for none or an unknown one).
    fn preferred_of(&self, contact: &Contact) -> u32 {
        contact
            .preferred_agent
            .as_ref()
            .and_then(|p| self.agent_lookup.get(p.as_str()))
            .copied()
            .unwrap_or(NO_AGENT)
    }

    /// Resolves what a routing decision for `contact` in `queue` needs once: the queue,
    /// tenant and skills as dense indices (the contact's requirements merged with the
    /// queue's), the preferred agent, and the pool to walk. The query stays valid while
    /// the router lives (a queue's tenant and skills never change; a removed queue makes
    /// [`next_agent_for_query`](Self::next_agent_for_query) answer
    /// [`Error::UnknownQueue`]). Typed errors as for
    /// [`next_agent_for`](Self::next_agent_for): unknown queue or skill, a contact of
    /// another tenant, too many skills.
    pub fn route_query(&self, contact: &Contact, queue: &QueueId) -> Result<RouteQuery> {
        let (q, qref) = self.queue_of(contact, queue)?;
        let mut reqs = [(0u32, 0u8); MAX_REQS];
        let n = self.merged_reqs(&qref.skills, contact, &mut reqs)?;
        let (tenant, channel) = (qref.tenant, contact.channel);
        let first = reqs.get(..n).and_then(<[_]>::first).map(|r| r.0);
        let pool = self
            .pools
            .get(tenant, first, channel.index() as u8)
            .unwrap_or(NO_POOL);
        Ok(RouteQuery {
            router: self.instance,
            queue: q,
            tenant,
            channel,
            preferred: self.preferred_of(contact),
            pool,
            n: n as u8,
            reqs,
        })
    }

    /// [`next_agent_for`](Self::next_agent_for) for a query already resolved with
    /// [`route_query`](Self::route_query): reads no id and hashes nothing (bar the
    /// pool's lookup when no pool of its skill existed at resolution). A query of another
    /// router is refused ([`Error::InvalidValue`]).
    pub fn next_agent_for_query(&self, query: &RouteQuery) -> Result<Option<&AgentId>> {
        if query.router != self.instance {
            return Err(Error::invalid(
                "route query",
                query.queue,
                "a query made by this router (Router::route_query)",
            ));
        }
        if let Some(qref) = self.queues.get(query.queue as usize)
            && qref.removed
        {
            return Err(Error::UnknownQueue(qref.config.id.clone()));
        }
        let reqs = query.reqs.get(..usize::from(query.n)).unwrap_or_default();
        Ok(self.decide(
            query.queue,
            query.tenant,
            query.channel,
            query.preferred,
            query.pool,
            reqs,
        ))
    }

    /// The contact-side decision on dense inputs: the preferred agent when available and
    /// eligible, else the first eligible agent of queue `q`'s order in `pool` (looked up
    /// when [`NO_POOL`]).
    #[inline]
    fn decide(
        &self,
        q: u32,
        tenant: u32,
        channel: Channel,
        preferred: u32,
        pool: u32,
        reqs: &[(u32, u8)],
    ) -> Option<&AgentId> {
        let qref = self.queues.get(q as usize)?;
        if let Some(agent) = self.agents.get(preferred as usize)
            && agent.state.available(channel)
            && agent.eligible(tenant, reqs)
        {
            return Some(agent.state.id());
        }
        let pool = if pool == NO_POOL {
            self.pools
                .get(tenant, reqs.first().map(|r| r.0), channel.index() as u8)?
        } else {
            pool
        };
        let mut found = None;
        self.pools.visit(pool, qref.order, qref.rr_cursor, |m| {
            let a = m.agent;
            let eligible = eligible_in_pool(reqs, m.level).unwrap_or_else(|| {
                self.agents
                    .get(a as usize)
                    .is_some_and(|x| x.eligible(tenant, reqs))
            });
            if eligible {
                found = Some(a);
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        found.and_then(|a| self.agent_ids.resolve(Dense::from_raw(a)))
    }

    /// The requirements of `contact` in a queue requiring `queue_skills`: merged per
    /// skill (highest level wins), sorted, written to `out`; returns how many. Allocates
    /// nothing for a contact without a language (the `lang:` skill name is built for one
    /// with). Unknown skills and more than [`MAX_REQS`] are typed errors.
    pub(super) fn merged_reqs(
        &self,
        queue_skills: &[(u32, u8)],
        contact: &Contact,
        out: &mut [(u32, u8); MAX_REQS],
    ) -> Result<usize> {
        let mut n = 0;
        let language = contact.language.as_ref().map(|l| SkillRequirement {
            skill: l.skill(),
            min_level: SkillLevel::MIN,
        });
        let own = contact.skills.iter().chain(language.as_ref()).map(|r| {
            self.skill_lookup
                .get(r.skill.as_str())
                .map(|&s| (s, r.min_level.get()))
                .ok_or_else(|| Error::UnknownSkill {
                    skill: r.skill.clone(),
                    contact: contact.id.clone(),
                })
        });
        for req in queue_skills.iter().copied().map(Ok).chain(own) {
            let (sk, l) = req?;
            match out[..n].iter_mut().find(|x| x.0 == sk) {
                Some(x) => x.1 = x.1.max(l),
                None if n < MAX_REQS => {
                    out[n] = (sk, l);
                    n += 1;
                }
                None => {
                    return Err(Error::invalid(
                        "skill requirements",
                        n + 1,
                        "a contact may need at most 16 skills (queue and contact together)",
                    ));
                }
            }
        }
        out[..n].sort_unstable();
        Ok(n)
    }

    /// Offers the best waiting contacts to an agent while it has capacity.
    pub(super) fn route_agent(&mut self, a: u32, now: Instant) {
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

    /// Offers contact `s` to every candidate in `scratch` at once (ring-all).
    fn ring_all(&mut self, s: u32, now: Instant) {
        let mut primary = None;
        for i in 0..self.scratch.len() {
            let Some(a) = self.scratch.get(i).map(|c| c.agent.raw()) else {
                break;
            };
            match primary {
                None => {
                    if self.offer(s, a, now) {
                        primary = Some(a);
                    }
                }
                Some(_) => self.add_companion(s, a, now),
            }
        }
    }

    /// Rings agent `a` too for contact `s`, already ringing (same lease).
    fn add_companion(&mut self, s: u32, a: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let CState::Ringing { lease_until, .. } = slot.state else {
            return;
        };
        let (contact, channel, q, callback) = (
            slot.contact.id.clone(),
            slot.contact.channel,
            slot.queue,
            slot.callback,
        );
        if self
            .with_agent(a, now, None, |st| {
                st.reserve(contact.clone(), channel, lease_until)
            })
            .is_err()
        {
            return;
        }
        if let Some(slot) = self.slot_mut(s) {
            slot.also.push(a);
        }
        self.announce_offer(s, a, q, contact, lease_until, callback);
    }

    /// Counts the offer and emits its event and command.
    fn announce_offer(
        &mut self,
        s: u32,
        a: u32,
        q: u32,
        contact: ContactId,
        lease_until: Instant,
        callback: bool,
    ) {
        let Some(queue) = self.queues.get_mut(q as usize) else {
            return;
        };
        queue.counters.offers += 1;
        let queue_id = queue.config.id.clone();
        let Some(agent) = self.agents.get(a as usize).map(|x| x.state.id().clone()) else {
            return;
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
    }

    /// Reserves agent `a` for contact `s` and orders the offer. Returns whether it did.
    pub(super) fn offer(&mut self, s: u32, a: u32, now: Instant) -> bool {
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
        #[cfg(test)]
        self.note_fifo(s, a);
        self.unpark(s);
        let Some(slot) = self.slot_mut(s) else {
            return false;
        };
        slot.state = CState::Ringing {
            agent: a,
            lease_until,
        };
        let (q, callback) = (slot.queue, slot.callback);
        self.count_in_service(s, true);
        self.set_timer(s, T_LEASE, Some(lease_until));
        self.announce_offer(s, a, q, contact, lease_until, callback);
        true
    }
}

/// A contact-side routing decision resolved once ([`Router::route_query`]): dense queue,
/// tenant, channel, merged skill requirements, preferred agent and pool, for
/// [`Router::next_agent_for_query`]. Small and `Copy`; holds no id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteQuery {
    router: u64,
    queue: u32,
    tenant: u32,
    channel: Channel,
    preferred: u32,
    pool: u32,
    n: u8,
    reqs: [(u32, u8); MAX_REQS],
}

/// No pool of the query's (tenant, skill, channel) when it was resolved.
const NO_POOL: u32 = u32::MAX;

/// Most skill requirements of one contact (queue and contact together).
pub(super) const MAX_REQS: usize = 16;

/// Whether an agent met in a pool (of the tenant, and of the first required skill, at
/// `level`) is eligible for `reqs`, when the pool alone tells: no requirement, or only the
/// pool's skill. `None` when the agent's other skills must be read.
fn eligible_in_pool(reqs: &[(u32, u8)], level: u8) -> Option<bool> {
    match reqs {
        [] => Some(true),
        [(_, min)] => Some(level >= *min),
        _ => None,
    }
}
