//! The client non-INVITE transaction (RFC 3261 §17.1.2).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Action;
use super::timer::{Timer, TimerConfig, TimerTable};
use crate::message::Message;

/// The states of a client non-INVITE transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientNonInviteState {
    /// A CANCEL waiting for its INVITE's first provisional response before it is sent
    /// (RFC 3261 §9.1).
    Waiting,
    /// The request is sent (and retransmitted on UDP); no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived; its retransmissions are absorbed until timer K.
    Completed,
    /// Finished.
    Terminated,
}

/// A client non-INVITE transaction.
#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    pub(crate) state: ClientNonInviteState,
    pub(crate) request: Message,
    bytes: Bytes,
    pub(crate) timers: TimerTable,
    interval: Duration,
    cfg: TimerConfig,
    reliable: bool,
}

impl ClientNonInvite {
    /// A transaction for `request`, in Waiting until [`ClientNonInvite::send`].
    pub(crate) fn new(request: Message, cfg: TimerConfig, reliable: bool) -> Self {
        Self {
            state: ClientNonInviteState::Waiting,
            bytes: request.to_bytes(),
            request,
            timers: TimerTable::default(),
            interval: cfg.t1,
            cfg,
            reliable,
        }
    }

    /// Sends the request and arms timers E (unreliable only) and F.
    pub(crate) fn send(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.state != ClientNonInviteState::Waiting {
            return;
        }
        self.state = ClientNonInviteState::Trying;
        out.push(Action::Send(self.bytes.clone(), false));
        if !self.reliable {
            self.timers.set(Timer::E, now + self.cfg.t1);
        }
        self.timers.set(Timer::F, now + self.cfg.timeout());
    }

    /// A response matched this transaction.
    pub(crate) fn on_response(&mut self, now: Instant, response: Message, out: &mut Vec<Action>) {
        let code = response.status_code().unwrap_or(0);
        match (self.state, code) {
            (ClientNonInviteState::Trying | ClientNonInviteState::Proceeding, 100..=199) => {
                self.state = ClientNonInviteState::Proceeding;
                out.push(Action::Response(response));
            }
            (ClientNonInviteState::Trying | ClientNonInviteState::Proceeding, 200..) => {
                self.timers.stop_all();
                out.push(Action::Response(response));
                if self.reliable {
                    self.state = ClientNonInviteState::Terminated;
                } else {
                    self.state = ClientNonInviteState::Completed;
                    self.timers.set(Timer::K, now + self.cfg.t4);
                }
            }
            _ => {}
        }
    }

    /// `timer` expired at `now`.
    pub(crate) fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut Vec<Action>) {
        match (self.state, timer) {
            (ClientNonInviteState::Trying | ClientNonInviteState::Proceeding, Timer::E) => {
                self.interval = if self.state == ClientNonInviteState::Trying {
                    self.cfg.backoff(self.interval)
                } else {
                    self.cfg.t2
                };
                self.timers.set(Timer::E, now + self.interval);
                out.push(Action::Send(self.bytes.clone(), true));
            }
            (ClientNonInviteState::Trying | ClientNonInviteState::Proceeding, Timer::F) => {
                self.terminate();
                out.push(Action::Timeout);
            }
            (ClientNonInviteState::Completed, Timer::K) => self.terminate(),
            _ => {}
        }
    }

    /// Leaves for Terminated and disarms every timer.
    pub(crate) fn terminate(&mut self) {
        self.state = ClientNonInviteState::Terminated;
        self.timers.stop_all();
    }
}
