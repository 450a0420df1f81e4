//! Structural invariants, checked by the tests after every step.

use super::*;

impl Router {
    /// Checks every structural invariant; returns the first violation found.
    pub(crate) fn check_invariants(&self) -> std::result::Result<(), String> {
        use std::collections::HashSet;
        let now = self.now;
        self.pools.check_lists()?;
        let mut waiting = vec![[0u32; 8]; self.tenant_waiting.len()];
        for slot in self.slots.iter().flatten() {
            if slot.state == CState::Waiting {
                waiting[slot.tenant as usize][slot.contact.channel.index()] += 1;
            }
            if slot.parked != (slot.state == CState::Waiting) {
                return Err(format!("contact {} parked flag out of date", slot.contact.id));
            }
        }
        if waiting != self.tenant_waiting {
            return Err(format!(
                "waiting per tenant and channel {:?}, counted {waiting:?}",
                self.tenant_waiting
            ));
        }
        // Contacts: each in exactly one place.
        let mut seen_reserved = HashSet::new();
        for (s, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let q = &self.queues[slot.queue as usize];
            let key = Self::key(slot, s as u32);
            let parked = q.classes.iter().filter(|c| c.waiting.contains(&key)).count();
            match slot.state {
                CState::Waiting if slot.sticky_for.is_some() => {
                    let p = slot.sticky_for.unwrap_or_default();
                    if parked != 0 || !self.agents[p as usize].sticky.contains(&key) {
                        return Err(format!(
                            "sticky contact {} not parked at its agent",
                            slot.contact.id
                        ));
                    }
                }
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
                    for &ringer in std::iter::once(&agent).chain(&slot.also) {
                        let ag = &self.agents[ringer as usize];
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
                    if slot
                        .sticky_for
                        .is_some_and(|p| p != agent || !slot.also.is_empty())
                    {
                        return Err(format!(
                            "sticky contact {} rings beyond its preferred agent",
                            slot.contact.id
                        ));
                    }
                    if slot.also.contains(&agent) {
                        return Err(format!("contact {} rings twice at one agent", slot.contact.id));
                    }
                }
                CState::Connected { agent, .. } => {
                    if parked != 0 || !slot.also.is_empty() {
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
                    for &(c, node) in &ag.memberships {
                        if usize::from(c) == ch.index() && !self.pools.contains(node, a as u32, k) {
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
                    let slot = self.slots[s as usize].as_ref();
                    let points_back = match slot.map(|x| x.state) {
                        Some(CState::Ringing { agent, .. }) => {
                            agent == a as u32 || slot.is_some_and(|x| x.also.contains(&(a as u32)))
                        }
                        Some(CState::Connected { agent, .. }) => agent == a as u32,
                        _ => false,
                    };
                    // Held by one agent only, ring-all groups aside (every member rings).
                    let group = slot.is_some_and(|x| !x.also.is_empty());
                    if !points_back || (!seen_reserved.insert(t.contact.clone()) && !group) {
                        return Err(format!(
                            "contact {} held twice or not by {}",
                            t.contact,
                            ag.state.id()
                        ));
                    }
                }
            }
        }
        // Sticky sets hold exactly the waiting contacts sticky to their agent.
        for (a, ag) in self.agents.iter().enumerate() {
            for k in &ag.sticky {
                let ok = self.slots[k.3 as usize]
                    .as_ref()
                    .is_some_and(|x| x.state == CState::Waiting && x.sticky_for == Some(a as u32));
                if !ok {
                    return Err(format!("agent {} holds a stale sticky contact", ag.state.id()));
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
                    && slot.sticky_for.is_none_or(|p| p == a as u32)
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
        // The table of heads: every class's entry holds its first contact and who refused
        // it; every agent lists exactly the classes of its queues it is eligible for.
        for (qi, queue) in self.queues.iter().enumerate() {
            for (ci, class) in queue.classes.iter().enumerate() {
                let Some(h) = self.heads.get(class.gid as usize) else {
                    return Err(format!("class {ci} of queue {} has no head", queue.config.id));
                };
                let first = class.waiting.first().map(|&k| {
                    let refused = self.slots[k.3 as usize].as_ref().and_then(|x| x.refused_by);
                    (k, refused.unwrap_or(NO_AGENT))
                });
                if h.queue != qi as u32 || h.class != ci as u32 || h.first != first {
                    return Err(format!(
                        "head of class {ci} of queue {} out of date: {:?} != {first:?}",
                        queue.config.id, h.first
                    ));
                }
            }
        }
        for (a, ag) in self.agents.iter().enumerate() {
            let mut want = Vec::new();
            for &q in &ag.queues {
                let queue = &self.queues[q as usize];
                if queue.removed || !queue.agents.contains(&(a as u32)) {
                    return Err(format!(
                        "agent {} linked to queue {} one way",
                        ag.state.id(),
                        queue.config.id
                    ));
                }
                for class in &queue.classes {
                    if ag.state.capacity().get(class.channel) > 0 && ag.eligible(queue.tenant, &class.reqs) {
                        want.push(class.gid);
                    }
                }
            }
            let mut have: Vec<u32> = ag.classes.iter().map(|x| x.1).collect();
            want.sort_unstable();
            have.sort_unstable();
            if want != have {
                return Err(format!(
                    "agent {} lists classes {have:?}, eligible for {want:?}",
                    ag.state.id()
                ));
            }
            if ag.removed && (ag.state.presence() != &Presence::LoggedOut || !ag.state.tasks().is_empty()) {
                return Err(format!("removed agent {} still works", ag.state.id()));
            }
        }
        for queue in &self.queues {
            if queue.removed && (queue.waiting != 0 || !queue.agents.is_empty()) {
                return Err(format!(
                    "removed queue {} still has contacts waiting or agents",
                    queue.config.id
                ));
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
            let in_service = self
                .slots
                .iter()
                .flatten()
                .filter(|s| s.queue == q as u32 && s.state != CState::Waiting)
                .count();
            if in_service != queue.in_service {
                return Err(format!(
                    "queue {} in-service count {} != {in_service}",
                    queue.config.id, queue.in_service
                ));
            }
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

impl AgentSlot {
    fn state_capacity(&self, ch: Channel) -> u8 {
        self.state.capacity().get(ch)
    }
}

impl Router {
    /// Records a FIFO violation if waiting contact `s`, about to be offered to agent `a`,
    /// has a contact of its class (same priority or higher, same channel and
    /// requirements) waiting ahead of it that `a` did not refuse, unless `a` is its
    /// preferred agent. Called by every offer, so timer-driven offers are checked too.
    pub(crate) fn note_fifo(&mut self, s: u32, a: u32) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        if slot.state != CState::Waiting || slot.preferred == Some(a) || slot.sticky_for.is_some() {
            return;
        }
        let key = Self::key(slot, s);
        let class = &self.queues[slot.queue as usize].classes[slot.class];
        let ahead = class
            .waiting
            .range(..key)
            .find(|k| self.slot(k.3).map(|x| x.refused_by) != Some(Some(a)));
        if let Some(k) = ahead {
            let violation = format!(
                "{} offered while {k:?} waits ahead of it in its class",
                slot.contact.id
            );
            self.fifo_violations.push(violation);
        }
    }

    /// The FIFO violations recorded since the last call.
    pub(crate) fn take_fifo_violations(&mut self) -> Vec<String> {
        std::mem::take(&mut self.fifo_violations)
    }

    /// FIFO within equal priority and eligibility: `contact`, just offered to `agent`, had
    /// no contact of its class ahead of it still waiting (bar those `agent` refused), unless
    /// it went to its preferred agent.
    pub(crate) fn check_fifo(&self, contact: &ContactId) -> std::result::Result<(), String> {
        let Some(&s) = self.by_contact.get(contact) else {
            return Ok(());
        };
        let Some(slot) = self.slot(s) else {
            return Ok(());
        };
        let CState::Ringing { agent, .. } = slot.state else {
            return Ok(());
        };
        if slot.preferred == Some(agent) {
            return Ok(());
        }
        let key = Self::key(slot, s);
        let class = &self.queues[slot.queue as usize].classes[slot.class];
        for k in class.waiting.range(..key) {
            let ahead = self.slot(k.3).map(|x| x.refused_by);
            if ahead != Some(Some(agent)) {
                return Err(format!(
                    "{contact} offered while {k:?} waits ahead of it in its class"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod checks {
    use crate::tests::{a, agent, c, drain, offers, q, router_with, start, voice};

    /// The FIFO check is not vacuous: an offer made out of order is caught.
    #[test]
    fn an_offer_out_of_arrival_order_is_caught() {
        let t0 = start();
        let mut r = router_with(|_| {});
        agent(&mut r, "1001", &[]);
        agent(&mut r, "1002", &[]);
        r.login(&a("1001"), true, t0).unwrap();
        r.login(&a("1002"), false, t0).unwrap();
        for id in ["c1", "c2", "c3"] {
            r.enqueue(voice(id, "acme"), &q("q1"), t0).unwrap();
        }
        assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1001".into())]);
        assert!(r.take_fifo_violations().is_empty());
        // Make 1002 ready behind the router's back and hand it c3 while c2 waits ahead.
        let a2 = r.agent_index(&a("1002")).unwrap();
        r.agents[a2 as usize].state.ready().unwrap();
        let s3 = r.slot_index(&c("c3")).unwrap();
        assert!(r.offer(s3, a2, t0));
        let caught = r.take_fifo_violations();
        assert_eq!(caught.len(), 1, "{caught:?}");
        assert!(caught[0].starts_with("c3 offered while"), "{caught:?}");
    }
}
