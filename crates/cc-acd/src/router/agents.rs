//! Agent inputs, and keeping the pools of available agents in step with each agent.

use crate::stats::TimeFlags;

use super::{
    AgentChange, AgentEvent, AgentId, AgentState, AgentStatus, AvailKey, Channel, Command, ContactId, Error,
    EventBody, Instant, OfferOutcome, Presence, Result, Router, TaskState,
};

impl Router {
    /// Applies `f` to an agent's state machine, then brings its pool entries and status
    /// event up to date. `reason` is reported with the status change.
    pub(super) fn with_agent<R>(
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
        if before != after {
            self.integrate_time(a, now, before, after);
        }
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
    pub(super) fn sync_pools(&mut self, a: u32, now: Instant) {
        let Some(agent) = self.agents.get_mut(a as usize) else {
            return;
        };
        for ch in Channel::ALL {
            let i = ch.index();
            let available = agent.state.available(ch);
            let old = agent.avail[i];
            let used = agent.state.tasks().iter().filter(|t| t.channel == ch).count() as u32;
            // The load key: tasks on the channel first, then contacts answered where an
            // order ranks by it (least occupied). The key (and its `since`) stays while
            // neither changed: an answer re-keys no channel unless that order is kept.
            let load = self.pools.load_key(used, agent.state.handled());
            let unchanged = old.is_some_and(|k| k.load == load);
            if available && unchanged {
                continue;
            }
            if let Some(k) = old {
                for &(c, node) in &agent.memberships {
                    if usize::from(c) == i {
                        self.pools.remove(node, k);
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
                for &(c, node) in &agent.memberships {
                    if usize::from(c) == i {
                        self.pools.insert(node, k);
                    }
                }
                agent.avail[i] = Some(k);
            }
        }
    }

    /// Moves the agent-time integrals of the agent's queues and tenants when its status
    /// crosses a line they count (see [`crate::stats`]).
    fn integrate_time(&mut self, a: u32, now: Instant, before: AgentStatus, after: AgentStatus) {
        let (from, to) = (TimeFlags::of(before), TimeFlags::of(after));
        if from == to {
            return;
        }
        let Some(agent) = self.agents.get(a as usize) else {
            return;
        };
        for &q in &agent.queues {
            if let Some(time) = self.queue_time.get_mut(q as usize) {
                time.change(now, from, to);
            }
        }
        for &t in &agent.tenants {
            if let Some(time) = self.tenant_time.get_mut(t as usize) {
                time.change(now, from, to);
            }
        }
    }

    pub(super) fn logged_in_delta(&mut self, a: u32, up: bool) {
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
        self.release_sticky(a, now);
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
                    // One of a ring-all group just leaves it (told to stop there);
                    // a lone offer returns the contact to its place.
                    if !self.leave_group(s, a, OfferOutcome::Cancelled, now) {
                        self.commands.push_back(Command::CancelOffer {
                            contact: task.contact.clone(),
                            agent: agent.clone(),
                            outcome: OfferOutcome::Cancelled,
                        });
                        self.requeue(s, a, OfferOutcome::Cancelled, now);
                    }
                }
                TaskState::Busy => self.close_connected(s, now),
                TaskState::WrapUp { .. } => {}
            }
        }
        self.release_sticky(a, now);
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
}
