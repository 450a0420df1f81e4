//! The ordered sets of waiting contacts: park, unpark, reclassify.

use super::{Reverse, Router, Slot, WaitKey};

impl Router {
    pub(super) fn key(slot: &Slot, s: u32) -> WaitKey {
        (Reverse(slot.priority), slot.arrival, slot.seq, s)
    }

    pub(super) fn park(&mut self, s: u32) {
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

    pub(super) fn unpark(&mut self, s: u32) {
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
