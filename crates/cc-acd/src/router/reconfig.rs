//! Configuration changes at run time: changing and removing agents, removing queues, safely.

use super::{
    AgentId, AgentProfile, AgentState, CState, Destination, Error, Instant, Presence, QueueId, Result, Router,
};

impl Router {
    /// Removes an agent from the configuration while the router runs.
    ///
    /// The agent must hold no contact (ringing, connected or in wrap-up): end those first,
    /// or use [`Router::force_logout`]; otherwise [`Error::InvalidTransition`] and nothing
    /// changes. A logged-in agent is logged out. Contacts waiting for it alone (it was
    /// their preferred agent) fall back to the queue's strategy at once; contacts naming
    /// it as preferred agent later simply go to others. Afterwards every input naming the
    /// agent fails with [`Error::UnknownAgent`], and statistics no longer count it. The
    /// same id may be added again with [`Router::add_agent`] (a new profile, logged out).
    pub fn remove_agent(&mut self, agent: &AgentId, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(agent)?;
        let Some(slot) = self.agents.get(a as usize) else {
            return Err(Error::UnknownAgent(agent.clone()));
        };
        if !slot.state.tasks().is_empty() {
            return Err(Error::InvalidTransition {
                agent: agent.clone(),
                action: "remove",
                state: slot.state.status(),
                hint: "the agent still holds a contact: let it end, or use Router::force_logout first",
            });
        }
        if slot.state.presence() != &Presence::LoggedOut {
            self.with_agent(a, now, Some("removed"), AgentState::logout)?;
            self.logged_in_delta(a, false);
        }
        self.release_sticky(a, now);
        let Some(slot) = self.agents.get_mut(a as usize) else {
            return Ok(());
        };
        slot.removed = true;
        let queues = std::mem::take(&mut slot.queues);
        slot.classes = Vec::new();
        let memberships = std::mem::take(&mut slot.memberships);
        let avail = slot.avail;
        for (c, node) in memberships {
            self.pools
                .free_node(node, avail.get(usize::from(c)).copied().flatten());
        }
        for q in queues {
            if let Some(queue) = self.queues.get_mut(q as usize) {
                queue.agents.retain(|&x| x != a);
            }
        }
        Ok(())
    }

    /// Changes an agent's profile (tenants, skills, capacity) while the router runs.
    ///
    /// The agent must hold no contact, as for [`Router::remove_agent`]; otherwise
    /// [`Error::InvalidTransition`] and nothing changes. It stays as it was (logged out,
    /// ready, or not ready with the same reason), with its counts of answered and missed
    /// offers started afresh and its idle time starting now. Contacts waiting for it alone
    /// fall back to the queue's strategy, as on a logout.
    pub fn update_agent(&mut self, profile: AgentProfile, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let a = self.agent_index(&profile.id)?;
        let Some(slot) = self.agents.get(a as usize) else {
            return Err(Error::UnknownAgent(profile.id.clone()));
        };
        if !slot.state.tasks().is_empty() {
            return Err(Error::InvalidTransition {
                agent: profile.id.clone(),
                action: "change the profile of",
                state: slot.state.status(),
                hint: "the agent still holds a contact: let it end, or use Router::force_logout first",
            });
        }
        if profile.tenants.is_empty() {
            return Err(Error::invalid(
                "agent tenants",
                profile.id.as_str(),
                "an agent must serve at least one tenant",
            ));
        }
        let presence = slot.state.presence().clone();
        let id = profile.id.clone();
        self.remove_agent(&id, now)?;
        self.add_agent(profile)?;
        match presence {
            Presence::LoggedOut => {}
            Presence::Ready => self.login(&id, true, now)?,
            Presence::NotReady(reason) => {
                self.login(&id, false, now)?;
                self.not_ready(&id, &reason, now)?;
            }
        }
        Ok(())
    }

    /// Removes a queue from the configuration while the router runs.
    ///
    /// Contacts waiting or ringing in it move to `to` first, exactly as
    /// [`Router::redirect`] moves them (ringing offers withdrawn, counted as overflowed);
    /// without a destination a queue that still holds such contacts is refused with
    /// [`Error::InvalidValue`], and so is a queue another queue still overflows or
    /// escalates into (update that queue first). Contacts already connected stay until
    /// they complete (their agents wrap up as the queue said). Afterwards every input naming
    /// the queue fails with [`Error::UnknownQueue`] and the tenant's statistics leave it
    /// out. The same id may be added again once its connected contacts have ended.
    ///
    /// Finding the contacts to move reads every contact the router holds: a configuration
    /// change, not a routing decision.
    pub fn remove_queue(&mut self, queue: &QueueId, to: Option<Destination>, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let q = self.queue_index(queue)?;
        if let Some(other) = self.queues.iter().enumerate().find(|&(i, x)| {
            i != q as usize
                && !x.removed
                && x.config
                    .destinations()
                    .any(|d| matches!(d, Destination::Queue { queue: t } if t == queue))
        }) {
            return Err(Error::invalid(
                "queue",
                (queue, &other.1.config.id),
                "the second queue still overflows or escalates into the first; update it first",
            ));
        }
        let inside: Vec<u32> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(s, x)| x.as_ref().map(|x| (s as u32, x)))
            .filter(|(_, x)| x.queue == q && !matches!(x.state, CState::Connected { .. }))
            .map(|(s, x)| (x.arrival, x.seq, s))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|(_, _, s)| s)
            .collect();
        if !inside.is_empty() {
            let Some(to) = to else {
                return Err(Error::invalid(
                    "queue",
                    (queue, inside.len()),
                    "the queue still holds waiting or ringing contacts: name a destination to move them to",
                ));
            };
            let tenant = self
                .queues
                .get(q as usize)
                .map(|x| x.config.tenant.clone())
                .ok_or_else(|| Error::UnknownQueue(queue.clone()))?;
            self.check_destination(&to, &tenant, queue)?;
            // In arrival order, so that they keep their order in a queue they move into.
            for s in inside {
                self.redirect_slot(s, to.clone(), now)?;
            }
        }
        let Some(removed) = self.queues.get_mut(q as usize) else {
            return Ok(());
        };
        removed.removed = true;
        let agents = std::mem::take(&mut removed.agents);
        let tenant = removed.tenant;
        for class in &removed.classes {
            if let Some(h) = self.heads.get_mut(class.gid as usize) {
                h.first = None;
            }
        }
        let heads = &self.heads;
        for a in agents {
            if let Some(agent) = self.agents.get_mut(a as usize) {
                agent.queues.retain(|&x| x != q);
                agent
                    .classes
                    .retain(|&(_, g)| heads.get(g as usize).is_some_and(|h| h.queue != q));
            }
        }
        if let Some(list) = self.tenant_queues.get_mut(tenant as usize) {
            list.retain(|&x| x != q);
        }
        Ok(())
    }
}
