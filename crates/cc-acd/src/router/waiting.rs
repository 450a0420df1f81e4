//! The ordered sets of waiting contacts: park, unpark, reclassify.

use super::{CState, NO_AGENT, Reverse, Router, Slot, T_STICKY, WaitKey};

impl Router {
    pub(super) fn key(slot: &Slot, s: u32) -> WaitKey {
        (Reverse(slot.priority), slot.arrival, slot.seq, s)
    }

    pub(super) fn park(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        if slot.parked {
            return;
        }
        let key = Self::key(slot, s);
        let refused = slot.refused_by.unwrap_or(NO_AGENT);
        let inserted = if let Some(a) = slot.sticky_for {
            self.agents
                .get_mut(a as usize)
                .is_some_and(|x| x.sticky.insert(key))
        } else {
            let class = self
                .queues
                .get_mut(slot.queue as usize)
                .and_then(|q| q.classes.get_mut(slot.class));
            match class {
                Some(c) => {
                    let inserted = c.waiting.insert(key);
                    // A new first contact of its class becomes the class's head.
                    if inserted
                        && let Some(h) = self.heads.get_mut(c.gid as usize)
                        && h.first.is_none_or(|(k, _)| key < k)
                    {
                        h.first = Some((key, refused));
                    }
                    inserted
                }
                None => false,
            }
        };
        if inserted && let Some(slot) = self.slots.get_mut(s as usize).and_then(Option::as_mut) {
            slot.parked = true;
        }
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        if inserted && let Some(q) = self.queues.get_mut(slot.queue as usize) {
            q.by_arrival.insert((slot.arrival, slot.seq));
            q.waiting += 1;
        }
        if inserted
            && let Some(n) = self
                .tenant_waiting
                .get_mut(slot.tenant as usize)
                .and_then(|w| w.get_mut(slot.contact.channel.index()))
        {
            *n += 1;
        }
    }

    pub(super) fn unpark(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        if !slot.parked {
            return;
        }
        let key = Self::key(slot, s);
        let removed = if let Some(a) = slot.sticky_for {
            self.agents
                .get_mut(a as usize)
                .is_some_and(|x| x.sticky.remove(&key))
        } else {
            let class = self
                .queues
                .get_mut(slot.queue as usize)
                .and_then(|q| q.classes.get_mut(slot.class));
            match class {
                Some(c) => {
                    let removed = c.waiting.remove(&key);
                    // The head left: the next contact of the class takes its place.
                    if removed
                        && let Some(h) = self.heads.get_mut(c.gid as usize)
                        && h.first.is_some_and(|(k, _)| k == key)
                    {
                        let slots = &self.slots;
                        h.first = c.waiting.first().map(|&k| {
                            let refused = slots
                                .get(k.3 as usize)
                                .and_then(Option::as_ref)
                                .and_then(|x| x.refused_by);
                            (k, refused.unwrap_or(NO_AGENT))
                        });
                    }
                    removed
                }
                None => false,
            }
        };
        if removed && let Some(slot) = self.slots.get_mut(s as usize).and_then(Option::as_mut) {
            slot.parked = false;
        }
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        if removed && let Some(q) = self.queues.get_mut(slot.queue as usize) {
            q.by_arrival.remove(&(slot.arrival, slot.seq));
            q.waiting -= 1;
        }
        if removed
            && let Some(n) = self
                .tenant_waiting
                .get_mut(slot.tenant as usize)
                .and_then(|w| w.get_mut(slot.contact.channel.index()))
        {
            *n = n.saturating_sub(1);
        }
    }

    /// Ends a contact's wait for its preferred agent alone: it joins its class (if waiting)
    /// and its sticky timer stops. The caller routes it.
    pub(super) fn unstick(&mut self, s: u32) {
        if self.slot(s).is_none_or(|x| x.sticky_for.is_none()) {
            return;
        }
        let waiting = self.slot(s).is_some_and(|x| x.state == CState::Waiting);
        if waiting {
            self.unpark(s);
        }
        if let Some(slot) = self.slot_mut(s) {
            slot.sticky_for = None;
        }
        self.set_timer(s, T_STICKY, None);
        if waiting {
            self.park(s);
        }
    }

    /// Recomputes the contact's class from its requirements and level cap (not parked).
    pub(super) fn reclass(&mut self, s: u32) {
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
        let gid = self.heads.len() as u32;
        let (class, created) = q.class_for(slot.contact.channel, &reqs[..n], gid);
        slot.class = class;
        let queue = slot.queue;
        if created {
            self.new_class(queue, class);
        }
    }
}
