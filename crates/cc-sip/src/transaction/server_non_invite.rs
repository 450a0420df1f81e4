//! The server non-INVITE transaction (RFC 3261 §17.2.2).

use std::time::Instant;

use bytes::Bytes;

use super::Action;
use super::timer::{Timer, TimerConfig, TimerTable};
use crate::message::Message;

/// The states of a server non-INVITE transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerNonInviteState {
    /// The request went to the TU; retransmissions are absorbed.
    Trying,
    /// A provisional response was sent; retransmissions get it again.
    Proceeding,
    /// The final response was sent; retransmissions get it again until timer J.
    Completed,
    /// Finished.
    Terminated,
}

/// A server non-INVITE transaction.
#[derive(Debug)]
pub(crate) struct ServerNonInvite {
    pub(crate) state: ServerNonInviteState,
    pub(crate) request: Message,
    last: Option<Bytes>,
    pub(crate) timers: TimerTable,
    cfg: TimerConfig,
    reliable: bool,
}

impl ServerNonInvite {
    /// A transaction for a received request. Timer C (64*T1) bounds a silent TU: by then
    /// the client has given up (timer F).
    pub(crate) fn new(now: Instant, request: Message, cfg: TimerConfig, reliable: bool) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::C, now + cfg.timeout());
        Self {
            state: ServerNonInviteState::Trying,
            request,
            last: None,
            timers,
            cfg,
            reliable,
        }
    }

    /// A retransmission of the request matched this transaction.
    pub(crate) fn on_request(&mut self, out: &mut Vec<Action>) {
        if matches!(
            self.state,
            ServerNonInviteState::Proceeding | ServerNonInviteState::Completed
        ) && let Some(last) = &self.last
        {
            out.push(Action::Send(last.clone(), true));
        }
    }

    /// The TU sends `response` on this transaction.
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        response: &Message,
        out: &mut Vec<Action>,
    ) -> Result<(), &'static str> {
        let code = response.status_code().ok_or("a response, not a request")?;
        if !matches!(
            self.state,
            ServerNonInviteState::Trying | ServerNonInviteState::Proceeding
        ) {
            return Err("the transaction has sent its final response");
        }
        let bytes = response.to_bytes();
        out.push(Action::Send(bytes.clone(), false));
        self.last = Some(bytes);
        if code < 200 {
            self.state = ServerNonInviteState::Proceeding;
        } else {
            self.timers.stop_all();
            if self.reliable {
                self.state = ServerNonInviteState::Terminated;
            } else {
                self.state = ServerNonInviteState::Completed;
                self.timers.set(Timer::J, now + self.cfg.timeout());
            }
        }
        Ok(())
    }

    /// `timer` expired.
    pub(crate) fn on_timer(&mut self, timer: Timer, out: &mut Vec<Action>) {
        match (self.state, timer) {
            (ServerNonInviteState::Trying | ServerNonInviteState::Proceeding, Timer::C) => {
                self.terminate();
                out.push(Action::Timeout);
            }
            (ServerNonInviteState::Completed, Timer::J) => self.terminate(),
            _ => {}
        }
    }

    /// Leaves for Terminated and disarms every timer.
    pub(crate) fn terminate(&mut self) {
        self.state = ServerNonInviteState::Terminated;
        self.timers.stop_all();
    }
}
