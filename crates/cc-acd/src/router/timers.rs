//! Timers: leases, wrap-up ends, escalation steps, priority aging, max wait.

use super::{
    CState, Command, Disposition, EscalationAction, Instant, OfferOutcome, Router, T_AGE, T_ANNOUNCE,
    T_ESCALATE, T_MAX_WAIT, TaskState, Timer,
};

impl Router {
    pub(super) fn set_timer(&mut self, s: u32, kind: usize, at: Option<Instant>) {
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

    pub(super) fn fire_wrap_up(&mut self, a: u32, now: Instant) {
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

    pub(super) fn fire_lease(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        if let CState::Ringing { agent, .. } = slot.state {
            // Ring-all companions are told now and freed after the contact is back in its
            // place, so that it cannot go to one of them ahead of better contacts.
            let (contact, q) = (slot.contact.id.clone(), slot.queue);
            let max = self.queues.get(q as usize).and_then(|x| x.config.max_no_answers);
            let companions = self
                .slot_mut(s)
                .map(|x| std::mem::take(&mut x.also))
                .unwrap_or_default();
            for &w in &companions {
                self.notify_withdrawn(s, w, OfferOutcome::NoAnswer);
            }
            self.end_offer(s, agent, OfferOutcome::NoAnswer, now);
            for &w in &companions {
                self.free_agent(w, &contact, true, max, now);
            }
            for w in companions {
                self.route_agent(w, now);
            }
        }
    }

    /// The wait for the preferred agent alone is over: any eligible agent may take it.
    pub(super) fn fire_sticky(&mut self, s: u32, now: Instant) {
        self.unstick(s);
        self.route_contact(s, now);
    }

    pub(super) fn fire_escalation(&mut self, s: u32, now: Instant) {
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

    pub(super) fn fire_aging(&mut self, s: u32, due: Instant) {
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

    pub(super) fn fire_max_wait(&mut self, s: u32, now: Instant) {
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

    /// Periodic announcement, due at `due`: a contact still waiting is told its place (by
    /// arrival among the contacts waiting in its queue) and estimated wait; the next one is
    /// armed one interval (the queue's current one) after `due`, or after `now` when the
    /// driver came so late that it would already be due. A ringing contact is told nothing
    /// this time.
    pub(super) fn fire_announce(&mut self, s: u32, due: Instant, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let Some(queue) = self.queues.get(slot.queue as usize) else {
            return;
        };
        let next = queue
            .config
            .announce_every
            .map(|d| if due + d > now { due + d } else { now + d });
        if next.is_none() {
            // Announcements were turned off since this one was armed.
            return;
        }
        match slot.state {
            CState::Connected { .. } => return,
            CState::Ringing { .. } => {}
            CState::Waiting => {
                // Counting those ahead costs O(place), not O(waiting); announcements are
                // seconds apart, not per decision.
                let position = queue.by_arrival.range(..(slot.arrival, slot.seq)).count() + 1;
                let estimated_wait = self.estimated_wait_at(queue, position);
                self.commands.push_back(Command::Announce {
                    contact: slot.contact.id.clone(),
                    queue: queue.config.id.clone(),
                    position,
                    estimated_wait,
                });
            }
        }
        self.set_timer(s, T_ANNOUNCE, next);
    }

    pub(super) fn schedule_escalation(&mut self, s: u32) {
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
}
