//! Contact inputs: enqueue, accept, reject, abandon, complete, callback, overflow.

use super::{
    AbandonStage, AgentId, CState, Command, Contact, ContactChange, ContactId, Dense, Destination,
    Disposition, Duration, Error, Instant, OfferOutcome, Priority, QueueId, Result, Router, Slot, T_AGE,
    T_ANNOUNCE, T_LEASE, T_MAX_WAIT, T_STICKY, TIMER_KINDS, TaskState, Timer, WaitKey,
};

impl Router {
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
        let mut merged = [(0u32, 0u8); super::dispatch::MAX_REQS];
        let n = self.merged_reqs(&qref.skills, &contact, &mut merged)?;
        let reqs = merged.get(..n).unwrap_or_default().to_vec();
        let preferred = contact
            .preferred_agent
            .as_ref()
            .and_then(|p| self.agent_lookup.get(p.as_str()))
            .copied();
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
                also: Vec::new(),
                state: CState::Waiting,
                timers: [None; TIMER_KINDS],
                sticky_for: None,
                parked: false,
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
        self.stick_to_preferred(s, now);
        // Its place and estimated wait as the last one waiting.
        if let (Some(qref), Some(slot)) = (self.queues.get(q as usize), self.slot(s)) {
            let position = qref.waiting + 1;
            self.commands.push_back(Command::Announce {
                contact: slot.contact.id.clone(),
                queue: queue.clone(),
                position,
                estimated_wait: self.estimated_wait_at(qref, position + 1),
            });
        }
        // Routed before it is parked: no waiting contact has an available agent eligible
        // for it, so an agent free now passes nobody over, and a contact offered at once
        // never enters (and leaves) its class's ordered set. One that finds no agent waits.
        self.route_contact(s, now);
        if self.slot(s).is_some_and(|x| x.state == CState::Waiting) {
            self.park(s);
        }
        Ok(())
    }

    /// When the contact's preferred agent could serve it but is not available, and the
    /// queue has a `preferred_wait`, the contact waits for that agent alone until then.
    /// Called before parking.
    fn stick_to_preferred(&mut self, s: u32, now: Instant) {
        let Some(slot) = self.slot(s) else {
            return;
        };
        let Some(p) = slot.preferred else {
            return;
        };
        let Some(wait) = self
            .queues
            .get(slot.queue as usize)
            .map(|q| q.config.preferred_wait)
            .filter(|w| !w.is_zero())
        else {
            return;
        };
        let reqs = self
            .queues
            .get(slot.queue as usize)
            .and_then(|q| q.classes.get(slot.class))
            .map(|c| c.reqs.as_slice())
            .unwrap_or_default();
        let stick = self.agents.get(p as usize).is_some_and(|agent| {
            agent.state.presence() != &crate::agent::Presence::LoggedOut
                && !agent.state.available(slot.contact.channel)
                && agent.eligible(slot.tenant, reqs)
        });
        if stick {
            if let Some(slot) = self.slot_mut(s) {
                slot.sticky_for = Some(p);
            }
            self.set_timer(s, T_STICKY, Some(now + wait));
        }
    }

    /// Releases every contact waiting for agent `a` alone (it logged out) to any agent.
    pub(super) fn release_sticky(&mut self, a: u32, now: Instant) {
        let keys: Vec<WaitKey> = self
            .agents
            .get(a as usize)
            .map(|x| x.sticky.iter().copied().collect())
            .unwrap_or_default();
        for k in keys {
            self.unstick(k.3);
            self.route_contact(k.3, now);
        }
    }

    pub(super) fn enter_queue_timers(&mut self, s: u32, now: Instant) {
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
        let announce = q.config.announce_every.map(|d| now + d);
        self.set_timer(s, T_MAX_WAIT, max_wait);
        self.set_timer(s, T_ANNOUNCE, announce);
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
        // Ring-all: the first accept wins; the others are withdrawn as one.
        self.make_primary(s, a);
        let companions = self.withdraw_companions(s, OfferOutcome::Cancelled, now);
        for kind in 0..TIMER_KINDS {
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
        for w in companions {
            self.route_agent(w, now);
        }
        Ok(())
    }

    /// Makes `a` the primary ringing agent of a ring-all group.
    pub(super) fn make_primary(&mut self, s: u32, a: u32) {
        let Some(slot) = self.slot_mut(s) else {
            return;
        };
        if let CState::Ringing { agent, lease_until } = slot.state
            && agent != a
            && let Some(i) = slot.also.iter().position(|&x| x == a)
        {
            slot.also[i] = agent;
            slot.state = CState::Ringing {
                agent: a,
                lease_until,
            };
        }
    }

    /// Ends the offer at every ring-all companion (all ringing agents but the primary):
    /// each is told to stop ([`Command::CancelOffer`]) and released, counting a miss for
    /// `NoAnswer`. Returns them, for the caller to route once the contact has moved on.
    pub(super) fn withdraw_companions(&mut self, s: u32, outcome: OfferOutcome, now: Instant) -> Vec<u32> {
        let Some(slot) = self.slot_mut(s) else {
            return Vec::new();
        };
        let companions = std::mem::take(&mut slot.also);
        let (contact, q) = (slot.contact.id.clone(), slot.queue);
        let max = self.queues.get(q as usize).and_then(|q| q.config.max_no_answers);
        for &w in &companions {
            self.release_one(s, w, &contact, outcome, max, now);
        }
        companions
    }

    /// Releases agent `w` from its reservation for `contact`, with the stop command and
    /// the event.
    fn release_one(
        &mut self,
        s: u32,
        w: u32,
        contact: &ContactId,
        outcome: OfferOutcome,
        max: Option<u32>,
        now: Instant,
    ) {
        self.notify_withdrawn(s, w, outcome);
        let missed = matches!(outcome, OfferOutcome::Rejected | OfferOutcome::NoAnswer);
        self.free_agent(w, contact, missed, max, now);
    }

    /// Tells agent `w` to stop ringing for contact `s` (unless it declined itself) and
    /// records the end of its offer.
    pub(super) fn notify_withdrawn(&mut self, s: u32, w: u32, outcome: OfferOutcome) {
        let Some(agent) = self.agents.get(w as usize).map(|x| x.state.id().clone()) else {
            return;
        };
        if outcome != OfferOutcome::Rejected
            && let Some(slot) = self.slot(s)
        {
            self.commands.push_back(Command::CancelOffer {
                contact: slot.contact.id.clone(),
                agent: agent.clone(),
                outcome,
            });
        }
        self.contact_event(s, ContactChange::OfferEnded { agent, outcome });
    }

    /// Frees agent `w`'s reservation for `contact` (a miss when `missed`).
    pub(super) fn free_agent(
        &mut self,
        w: u32,
        contact: &ContactId,
        missed: bool,
        max: Option<u32>,
        now: Instant,
    ) {
        let _ = self.with_agent(w, now, None, |st| st.release_offer(contact, missed, max));
    }

    /// Takes agent `a` out of a ring-all group while others still ring. Returns `false`
    /// (changing nothing) when `a` rings alone.
    pub(super) fn leave_group(&mut self, s: u32, a: u32, outcome: OfferOutcome, now: Instant) -> bool {
        let Some(slot) = self.slot_mut(s) else {
            return false;
        };
        let CState::Ringing { agent, lease_until } = slot.state else {
            return false;
        };
        if slot.also.is_empty() {
            return false;
        }
        if agent == a {
            if let Some(next) = slot.also.pop() {
                slot.state = CState::Ringing {
                    agent: next,
                    lease_until,
                };
            }
        } else {
            slot.also.retain(|&x| x != a);
        }
        let (contact, q) = (slot.contact.id.clone(), slot.queue);
        let max = self.queues.get(q as usize).and_then(|q| q.config.max_no_answers);
        self.release_one(s, a, &contact, outcome, max, now);
        true
    }

    pub(super) fn check_ringing(&self, s: u32, a: u32, contact: &ContactId, agent: &AgentId) -> Result<()> {
        let hint = match self.slot(s).map(|x| x.state) {
            Some(CState::Ringing { agent: r, .. }) if r == a => return Ok(()),
            Some(CState::Ringing { .. }) if self.slot(s).is_some_and(|x| x.also.contains(&a)) => {
                return Ok(());
            }
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
        if self.leave_group(s, a, OfferOutcome::Rejected, now) {
            self.route_agent(a, now);
        } else {
            self.end_offer(s, a, OfferOutcome::Rejected, now);
        }
        Ok(())
    }

    /// Ends a ringing offer (reject or lease expiry): agent released, contact requeued.
    pub(super) fn end_offer(&mut self, s: u32, a: u32, outcome: OfferOutcome, now: Instant) {
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
    pub(super) fn requeue(&mut self, s: u32, a: u32, outcome: OfferOutcome, now: Instant) {
        self.set_timer(s, T_LEASE, None);
        let Some(slot) = self.slot_mut(s) else {
            return;
        };
        slot.state = CState::Waiting;
        slot.sticky_for = None;
        if outcome != OfferOutcome::Cancelled {
            slot.refused_by = Some(a);
        }
        self.count_in_service(s, false);
        self.set_timer(s, T_STICKY, None);
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
        let companions = self.withdraw_companions(s, OfferOutcome::Cancelled, now);
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
        for w in companions {
            self.route_agent(w, now);
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

    pub(super) fn close_connected(&mut self, s: u32, now: Instant) {
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

    /// Sends a waiting or ringing contact elsewhere on the center's order (closed hours, a
    /// supervisor's move): a ringing offer is withdrawn first ([`Command::CancelOffer`]),
    /// then the contact moves as an overflow would (into another queue of its tenant, or
    /// out with [`Command::Overflow`]).
    pub fn redirect(&mut self, contact: &ContactId, to: Destination, now: Instant) -> Result<()> {
        let now = self.tick(now);
        let s = self.slot_index(contact)?;
        self.redirect_slot(s, to, now)
    }

    /// [`Router::redirect`] of contact `s`, after the clock has ticked.
    pub(super) fn redirect_slot(&mut self, s: u32, to: Destination, now: Instant) -> Result<()> {
        let Some(contact) = self.slot(s).map(|x| x.contact.id.clone()) else {
            return Err(Error::invalid("contact slot", s, "a contact the router holds"));
        };
        let contact = &contact;
        let Some(slot) = self.slot(s) else {
            return Err(Error::UnknownContact(contact.clone()));
        };
        let from = self
            .queues
            .get(slot.queue as usize)
            .map(|q| q.config.id.clone())
            .ok_or_else(|| Error::UnknownContact(contact.clone()))?;
        self.check_destination(&to, &slot.contact.tenant, &from)?;
        let ringing = match slot.state {
            CState::Waiting => None,
            CState::Ringing { agent, .. } => Some(agent),
            CState::Connected { .. } => {
                return Err(Error::ContactState {
                    contact: contact.clone(),
                    action: "be redirected",
                    state: "connected",
                    hint: "an answered contact is transferred by the center, not routed",
                });
            }
        };
        // Every ringer is told to stop now but freed only after the contact has moved,
        // so that the move cannot hand one of them this contact ahead of better ones.
        let companions = self
            .slot_mut(s)
            .map(|x| std::mem::take(&mut x.also))
            .unwrap_or_default();
        if ringing.is_some() {
            self.set_timer(s, T_LEASE, None);
            if let Some(slot) = self.slot_mut(s) {
                slot.state = CState::Waiting;
            }
            self.count_in_service(s, false);
            self.park(s);
        }
        for &w in ringing.iter().chain(&companions) {
            self.notify_withdrawn(s, w, OfferOutcome::Cancelled);
        }
        self.overflow(s, to, now);
        for &w in ringing.iter().chain(&companions) {
            self.free_agent(w, contact, false, None, now);
        }
        for a in ringing.into_iter().chain(companions) {
            self.route_agent(a, now);
        }
        Ok(())
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
    pub(super) fn finish(&mut self, s: u32, disposition: Disposition) {
        if self.slot(s).is_some_and(|x| x.state != CState::Waiting) {
            self.count_in_service(s, false);
        }
        self.unpark(s);
        for kind in 0..TIMER_KINDS {
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
    pub(super) fn overflow(&mut self, s: u32, to: Destination, now: Instant) {
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
        if let Some(slot) = self.slot_mut(s) {
            slot.sticky_for = None;
        }
        self.set_timer(s, T_STICKY, None);
        let target_skills = self
            .queues
            .get(t as usize)
            .map(|x| x.skills.clone())
            .unwrap_or_default();
        let contact_reqs = match self.slot(s) {
            Some(slot) => slot.contact.routing_skills(),
            None => return,
        };
        let Ok(contact_reqs) = self.dense_reqs(&contact_reqs, None) else {
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
}
