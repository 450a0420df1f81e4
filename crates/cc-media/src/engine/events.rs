//! Small channels that work from blocking code and from async code alike, without a runtime:
//! [`SessionEvents`] (a session's event queue) and [`Reply`] (one answer from a worker).
//!
//! Both are a `Mutex`-guarded slot with a `Condvar` for blocking waiters and a stored
//! [`Waker`] for an async waiter. The worker thread only ever pushes and notifies; it never
//! waits on the owner.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::SessionEvent;
use crate::error::{Error, Result};

/// Locks `m`, taking the data of a poisoned lock as it is: the data guarded here (a queue,
/// an answer slot) stays consistent whatever panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Queue {
    events: VecDeque<SessionEvent>,
    closed: bool,
    waker: Option<Waker>,
}

/// The shared end of a session's event queue.
#[derive(Debug, Default)]
pub(crate) struct EventQueue {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl EventQueue {
    /// Appends an event and wakes whoever waits.
    pub(crate) fn push(&self, event: SessionEvent) {
        let waker = {
            let mut q = lock(&self.queue);
            if q.closed {
                return;
            }
            q.events.push_back(event);
            q.waker.take()
        };
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Ends the stream: waiters get `None` once the queued events are read.
    pub(crate) fn close(&self) {
        let waker = {
            let mut q = lock(&self.queue);
            q.closed = true;
            q.waker.take()
        };
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The events of one [`MediaSession`](super::MediaSession), oldest first.
///
/// Usable from blocking code ([`try_next`](Self::try_next), [`next_timeout`](Self::next_timeout))
/// and from async code ([`next`](Self::next), which never blocks the runtime's thread). Every
/// clone reads from the same queue: each event goes to one reader. The stream ends (`None`)
/// after the session was closed and its last events were read.
#[derive(Debug, Clone)]
pub struct SessionEvents {
    shared: Arc<EventQueue>,
}

impl SessionEvents {
    pub(crate) fn new(shared: Arc<EventQueue>) -> Self {
        Self { shared }
    }

    /// The next event if one is queued, without waiting.
    pub fn try_next(&self) -> Option<SessionEvent> {
        lock(&self.shared.queue).events.pop_front()
    }

    /// Waits up to `timeout` for the next event (blocking the calling thread). `None` when
    /// the time ran out or the session is closed and its events were read.
    pub fn next_timeout(&self, timeout: Duration) -> Option<SessionEvent> {
        let deadline = Instant::now() + timeout;
        let mut q = lock(&self.shared.queue);
        loop {
            if let Some(e) = q.events.pop_front() {
                return Some(e);
            }
            if q.closed {
                return None;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            q = self
                .shared
                .ready
                .wait_timeout(q, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// The next event, awaited: `None` once the session is closed and its events were read.
    pub fn next(&self) -> NextEvent<'_> {
        NextEvent { events: self }
    }
}

/// The future of [`SessionEvents::next`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct NextEvent<'a> {
    events: &'a SessionEvents,
}

impl Future for NextEvent<'_> {
    type Output = Option<SessionEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut q = lock(&self.events.shared.queue);
        if let Some(e) = q.events.pop_front() {
            return Poll::Ready(Some(e));
        }
        if q.closed {
            return Poll::Ready(None);
        }
        q.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[derive(Debug)]
struct Slot<T> {
    value: Option<Result<T>>,
    /// The worker dropped its end without answering (the engine stopped).
    dropped: bool,
    waker: Option<Waker>,
}

#[derive(Debug)]
struct ReplyShared<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
}

/// The worker's end of a [`Reply`].
#[derive(Debug)]
pub(crate) struct Responder<T> {
    shared: Option<Arc<ReplyShared<T>>>,
}

impl<T> Responder<T> {
    /// Answers; the waiter wakes.
    pub(crate) fn send(mut self, value: Result<T>) {
        if let Some(shared) = self.shared.take() {
            Self::finish(&shared, Some(value));
        }
    }

    fn finish(shared: &ReplyShared<T>, value: Option<Result<T>>) {
        let waker = {
            let mut slot = lock(&shared.slot);
            match value {
                Some(v) => slot.value = Some(v),
                None => slot.dropped = true,
            }
            slot.waker.take()
        };
        shared.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Responder<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            Self::finish(&shared, None);
        }
    }
}

/// One answer from a media worker: [`wait`](Self::wait) for it from blocking code, or
/// `.await` it from async code (it never blocks the runtime's thread). Workers answer within
/// microseconds; stopping a recording (which hashes its file) is finished on a thread of
/// its own, so the answer may take longer but the worker's calls do not wait for it.
#[derive(Debug)]
#[must_use = "the answer carries the result of the request"]
pub struct Reply<T> {
    shared: Arc<ReplyShared<T>>,
}

pub(crate) fn reply_pair<T>() -> (Responder<T>, Reply<T>) {
    let shared = Arc::new(ReplyShared {
        slot: Mutex::new(Slot {
            value: None,
            dropped: false,
            waker: None,
        }),
        ready: Condvar::new(),
    });
    (
        Responder {
            shared: Some(Arc::clone(&shared)),
        },
        Reply { shared },
    )
}

impl<T> Reply<T> {
    /// Blocks the calling thread until the answer comes.
    pub fn wait(self) -> Result<T> {
        let mut slot = lock(&self.shared.slot);
        loop {
            if let Some(v) = slot.value.take() {
                return v;
            }
            if slot.dropped {
                return Err(Error::EngineStopped);
            }
            slot = self
                .shared
                .ready
                .wait(slot)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl<T> Future for Reply<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.shared.slot);
        if let Some(v) = slot.value.take() {
            return Poll::Ready(v);
        }
        if slot.dropped {
            return Poll::Ready(Err(Error::EngineStopped));
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SessionEvent;

    #[test]
    fn reply_answers_a_blocking_waiter_across_threads() {
        let (tx, rx) = reply_pair::<u32>();
        let t = std::thread::spawn(move || tx.send(Ok(7)));
        assert_eq!(rx.wait().ok(), Some(7));
        t.join().ok();
    }

    #[test]
    fn a_dropped_responder_reads_as_engine_stopped() {
        let (tx, rx) = reply_pair::<u32>();
        drop(tx);
        assert!(matches!(rx.wait(), Err(Error::EngineStopped)));
    }

    #[test]
    fn events_come_in_order_and_end_after_close() {
        let q = Arc::new(EventQueue::default());
        let events = SessionEvents::new(Arc::clone(&q));
        q.push(SessionEvent::RtpTimeout);
        q.push(SessionEvent::PlayFinished { interrupted: false });
        q.close();
        q.push(SessionEvent::RtpTimeout);
        assert_eq!(events.try_next(), Some(SessionEvent::RtpTimeout));
        assert_eq!(
            events.next_timeout(Duration::from_millis(1)),
            Some(SessionEvent::PlayFinished { interrupted: false })
        );
        assert_eq!(events.next_timeout(Duration::from_secs(5)), None);
    }

    #[test]
    fn next_timeout_gives_up_when_nothing_comes() {
        let events = SessionEvents::new(Arc::new(EventQueue::default()));
        assert_eq!(events.next_timeout(Duration::from_millis(20)), None);
    }
}
