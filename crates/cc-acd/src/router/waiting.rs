//! The ordered sets of waiting contacts: park, unpark, reclassify.

use super::{CState, Reverse, Router, Slot, T_STICKY, WaitKey};

impl Router {
    pub(super) fn key(slot: &Slot, s: u32) -> WaitKey {
        (Reverse(slot.priority), slot.arrival, slot.seq, s)
    }

    pub(super) fn park(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        let key = Self::key(slot, s);
        let inserted = match slot.sticky_for {
            Some(a) => self
                .agents
                .get_mut(a as usize)
                .is_some_and(|x| x.sticky.insert(key)),
            None => self
                .queues
                .get_mut(slot.queue as usize)
                .and_then(|q| q.classes.get_mut(slot.class))
                .is_some_and(|c| c.waiting.insert(key)),
        };
        if inserted && let Some(q) = self.queues.get_mut(slot.queue as usize) {
            q.by_arrival.insert((slot.arrival, slot.seq));
            q.waiting += 1;
        }
    }

    pub(super) fn unpark(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize).and_then(Option::as_ref) else {
            return;
        };
        let key = Self::key(slot, s);
        let removed = match slot.sticky_for {
            Some(a) => self
                .agents
                .get_mut(a as usize)
                .is_some_and(|x| x.sticky.remove(&key)),
            None => self
                .queues
                .get_mut(slot.queue as usize)
                .and_then(|q| q.classes.get_mut(slot.class))
                .is_some_and(|c| c.waiting.remove(&key)),
        };
        if removed && let Some(q) = self.queues.get_mut(slot.queue as usize) {
            q.by_arrival.remove(&(slot.arrival, slot.seq));
            q.waiting -= 1;
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
        slot.class = q.class_for(slot.contact.channel, &reqs[..n]);
    }
}
