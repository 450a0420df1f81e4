//! The client INVITE transaction (RFC 3261 §17.1.1, with RFC 6026's Accepted state).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Action;
use super::messages::ack_for;
use super::timer::{Timer, TimerConfig, TimerTable};
use crate::message::Message;

/// The states of a client INVITE transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientInviteState {
    /// The INVITE is sent (and retransmitted on UDP); no response yet.
    Calling,
    /// A provisional response arrived.
    Proceeding,
    /// A non-2xx final response arrived and was acknowledged; retransmissions of it are
    /// acknowledged again until timer D.
    Completed,
    /// A 2xx arrived (RFC 6026); its retransmissions go to the TU until timer M.
    Accepted,
    /// Finished.
    Terminated,
}

/// A client INVITE transaction.
#[derive(Debug)]
pub(crate) struct ClientInvite {
    pub(crate) state: ClientInviteState,
    pub(crate) request: Message,
    bytes: Bytes,
    ack: Option<Bytes>,
    pub(crate) timers: TimerTable,
    interval: Duration,
    cfg: TimerConfig,
    reliable: bool,
}

impl ClientInvite {
    /// Sends `request` and arms timers A (unreliable only) and B.
    pub(crate) fn start(
        now: Instant,
        request: Message,
        cfg: TimerConfig,
        reliable: bool,
        out: &mut Vec<Action>,
    ) -> Self {
        let bytes = request.to_bytes();
        out.push(Action::Send(bytes.clone(), false));
        let mut timers = TimerTable::default();
        if !reliable {
            timers.set(Timer::A, now + cfg.t1);
        }
        timers.set(Timer::B, now + cfg.timeout());
        Self {
            state: ClientInviteState::Calling,
            request,
            bytes,
            ack: None,
            timers,
            interval: cfg.t1,
            cfg,
            reliable,
        }
    }

    /// A response matched this transaction.
    pub(crate) fn on_response(&mut self, now: Instant, response: Message, out: &mut Vec<Action>) {
        let code = response.status_code().unwrap_or(0);
        match (self.state, code) {
            (ClientInviteState::Calling | ClientInviteState::Proceeding, 100..=199) => {
                self.state = ClientInviteState::Proceeding;
                self.timers.stop(Timer::A);
                self.timers.stop(Timer::B);
                self.timers.set(Timer::C, now + self.cfg.proceeding);
                out.push(Action::Response(response));
            }
            (ClientInviteState::Calling | ClientInviteState::Proceeding, 200..=299) => {
                self.state = ClientInviteState::Accepted;
                self.timers.stop_all();
                self.timers.set(Timer::M, now + self.cfg.timeout());
                out.push(Action::Response(response));
            }
            (ClientInviteState::Calling | ClientInviteState::Proceeding, _) => {
                self.timers.stop_all();
                self.ack = ack_for(&self.request, &response).ok().map(|m| m.to_bytes());
                if let Some(ack) = &self.ack {
                    out.push(Action::Send(ack.clone(), false));
                }
                out.push(Action::Response(response));
                if self.reliable {
                    self.state = ClientInviteState::Terminated;
                } else {
                    self.state = ClientInviteState::Completed;
                    self.timers.set(Timer::D, now + self.cfg.timer_d);
                }
            }
            (ClientInviteState::Completed, 300..) => {
                if let Some(ack) = &self.ack {
                    out.push(Action::Send(ack.clone(), true));
                }
            }
            (ClientInviteState::Accepted, 200..=299) => out.push(Action::Response(response)),
            _ => {}
        }
    }

    /// `timer` expired at `now`.
    pub(crate) fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut Vec<Action>) {
        match (self.state, timer) {
            (ClientInviteState::Calling, Timer::A) => {
                // RFC 3261 §17.1.1.2: the INVITE interval doubles with no T2 cap.
                self.interval = self.interval.saturating_mul(2);
                self.timers.set(Timer::A, now + self.interval);
                out.push(Action::Send(self.bytes.clone(), true));
            }
            (ClientInviteState::Calling, Timer::B) | (ClientInviteState::Proceeding, Timer::C) => {
                self.terminate();
                out.push(Action::Timeout);
            }
            (ClientInviteState::Completed, Timer::D) | (ClientInviteState::Accepted, Timer::M) => {
                self.terminate();
            }
            _ => {}
        }
    }

    /// Leaves for Terminated and disarms every timer.
    pub(crate) fn terminate(&mut self) {
        self.state = ClientInviteState::Terminated;
        self.timers.stop_all();
    }
}
