//! The server INVITE transaction (RFC 3261 §17.2.1, with RFC 6026's Accepted state).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Action;
use super::messages::response_to;
use super::timer::{Timer, TimerConfig, TimerTable};
use crate::message::Message;

/// The states of a server INVITE transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerInviteState {
    /// The INVITE went to the TU; provisional responses may be sent.
    Proceeding,
    /// A non-2xx final response was sent (and is retransmitted on UDP) until the ACK.
    Completed,
    /// The ACK arrived; retransmitted ACKs are absorbed until timer I.
    Confirmed,
    /// A 2xx was sent (RFC 6026); the TU retransmits it, retransmitted INVITEs are
    /// absorbed until timer L.
    Accepted,
    /// Finished.
    Terminated,
}

/// A server INVITE transaction.
#[derive(Debug)]
pub(crate) struct ServerInvite {
    pub(crate) state: ServerInviteState,
    pub(crate) request: Message,
    /// The last response sent, and its To tag (for the 200 to a CANCEL).
    last: Option<Bytes>,
    pub(crate) to_tag: Option<String>,
    pub(crate) timers: TimerTable,
    interval: Duration,
    cfg: TimerConfig,
    reliable: bool,
}

impl ServerInvite {
    /// A transaction for a received INVITE: 100 Trying is due after the configured delay
    /// unless the TU answers first; timer C bounds a silent TU.
    pub(crate) fn new(now: Instant, request: Message, cfg: TimerConfig, reliable: bool) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Trying, now + cfg.trying_delay);
        timers.set(Timer::C, now + cfg.proceeding);
        Self {
            state: ServerInviteState::Proceeding,
            request,
            last: None,
            to_tag: None,
            timers,
            interval: cfg.t1,
            cfg,
            reliable,
        }
    }

    /// A retransmission of the INVITE, or its ACK, matched this transaction.
    pub(crate) fn on_request(&mut self, now: Instant, request: Message, out: &mut Vec<Action>) {
        let is_ack = request.method() == Some("ACK");
        match (self.state, is_ack) {
            (ServerInviteState::Proceeding | ServerInviteState::Completed, false) => {
                if let Some(last) = &self.last {
                    out.push(Action::Send(last.clone(), true));
                }
            }
            (ServerInviteState::Completed, true) => {
                self.timers.stop_all();
                if self.reliable {
                    self.state = ServerInviteState::Terminated;
                } else {
                    self.state = ServerInviteState::Confirmed;
                    self.timers.set(Timer::I, now + self.cfg.t4);
                }
            }
            // An RFC 2543 ACK for a 2xx shares the INVITE's key; it belongs to the TU.
            (ServerInviteState::Accepted, true) => out.push(Action::Ack(request)),
            _ => {}
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
        let bytes = response.to_bytes();
        match (self.state, code) {
            (ServerInviteState::Proceeding, 100..=199) => {
                self.timers.stop(Timer::Trying);
            }
            (ServerInviteState::Proceeding, 200..=299) => {
                self.timers.stop_all();
                self.state = ServerInviteState::Accepted;
                self.timers.set(Timer::L, now + self.cfg.timeout());
            }
            (ServerInviteState::Proceeding, _) => {
                self.timers.stop_all();
                self.state = ServerInviteState::Completed;
                if !self.reliable {
                    self.timers.set(Timer::G, now + self.cfg.t1);
                }
                self.timers.set(Timer::H, now + self.cfg.timeout());
            }
            // RFC 6026: the TU retransmits its 2xx through the Accepted transaction.
            (ServerInviteState::Accepted, 200..=299) => {}
            _ => return Err("the INVITE transaction has sent its final response"),
        }
        if self.to_tag.is_none() {
            self.to_tag = response.to_header().ok().and_then(|t| t.tag().map(str::to_owned));
        }
        out.push(Action::Send(bytes.clone(), false));
        self.last = Some(bytes);
        Ok(())
    }

    /// `timer` expired at `now`.
    pub(crate) fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut Vec<Action>) {
        match (self.state, timer) {
            (ServerInviteState::Proceeding, Timer::Trying) => {
                if let Ok(trying) = response_to(&self.request, 100, "Trying", None, &[]) {
                    let bytes = trying.to_bytes();
                    out.push(Action::Send(bytes.clone(), false));
                    self.last = Some(bytes);
                }
            }
            (ServerInviteState::Proceeding, Timer::C) => {
                // The TU never answered: end the caller's wait with 408.
                out.push(Action::Timeout);
                let tag = self.to_tag.clone().unwrap_or_else(|| "cc-timeout".to_owned());
                match response_to(&self.request, 408, "Request Timeout", Some(&tag), &[]) {
                    Ok(resp) => {
                        let _ = self.send_response(now, &resp, out);
                    }
                    Err(_) => self.terminate(),
                }
            }
            (ServerInviteState::Completed, Timer::G) => {
                self.interval = self.cfg.backoff(self.interval);
                self.timers.set(Timer::G, now + self.interval);
                if let Some(last) = &self.last {
                    out.push(Action::Send(last.clone(), true));
                }
            }
            (ServerInviteState::Completed, Timer::H) => {
                self.terminate();
                out.push(Action::Timeout);
            }
            (ServerInviteState::Confirmed, Timer::I) | (ServerInviteState::Accepted, Timer::L) => {
                self.terminate();
            }
            _ => {}
        }
    }

    /// Leaves for Terminated and disarms every timer.
    pub(crate) fn terminate(&mut self) {
        self.state = ServerInviteState::Terminated;
        self.timers.stop_all();
    }
}
