//! Call-leg pairing for a back-to-back user agent, sans-IO.
//!
//! A [`B2bua`] knows pairs of legs of one [`UserAgent`](crate::ua::UserAgent): an
//! inbound leg (a caller's INVITE) and the outbound leg placed for it. Fed with every
//! [`UaEvent`] ([`B2bua::handle_event`]), it issues the [`Command`]s that carry the call
//! across ([`B2bua::poll_command`]); the application runs them with
//! [`UserAgent::execute`](crate::ua::UserAgent::execute) or the endpoint handle:
//!
//! | on the outbound leg | on the inbound leg |
//! |---|---|
//! | 180 / 181 / 182 (`Ringing`) | 180 (once) |
//! | 183 and other 1xx (`Progress`) | the same code, SDP carried |
//! | 2xx (`Answered`) | 200 with the SDP |
//! | final failure (`Failed`) | the same final code and reason |
//!
//! and either way: BYE (or timeout) on one leg hangs up the other, a late offer (an
//! INVITE without SDP) is bridged by carrying the callee's offer in our 200 and the
//! caller's answer from its ACK into the callee's ACK (or, for a reliable provisional
//! that offers, from the caller's PRACK into ours), a CANCEL of the
//! inbound INVITE cancels the outbound one, a re-INVITE (hold) is re-sent on the other
//! leg and its answer returned, so is an UPDATE offer (RFC 3311), INFO DTMF is
//! repeated on the other leg, and a REFER
//! from either side is carried out by the B2BUA itself (see [`transfer`]): it calls the
//! target, moves the other side over with a re-INVITE, notifies the referrer and hangs
//! it up.
//!
//! SDP goes through unchanged, or through a caller-supplied rewrite
//! ([`B2bua::with_sdp_rewrite`]) when the center anchors media on its own RTP ports.
//!
//! ```
//! use std::time::Instant;
//! use cc_sip::b2bua::B2bua;
//! use cc_sip::ua::{Transport, UaConfig, UaEvent, UserAgent};
//!
//! let now = Instant::now();
//! let mut ua = UserAgent::new(UaConfig::new("127.0.0.1:5060".parse().unwrap()));
//! let mut b2b = B2bua::new();
//! // A caller's INVITE reaches the agent...
//! let invite = "INVITE sip:100@127.0.0.1 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1\r\n\
//!     From: <sip:caller@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\n\
//!     Call-ID: doc1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:5999>\r\n\
//!     Content-Length: 0\r\n\r\n";
//! ua.handle_datagram(now, "127.0.0.1:5999".parse().unwrap(), invite.as_bytes().to_vec());
//! let incoming = ua.poll_event().unwrap();
//! // ...and is relayed to the target as a second dialog.
//! let target = "127.0.0.1:5070".parse().unwrap();
//! let (inbound, call) = b2b.outgoing_call(&incoming, target, Transport::Udp).unwrap();
//! let outbound = ua.invite(now, call)?;
//! b2b.bridge(inbound, outbound);
//! // Events of either leg now turn into commands for the other.
//! b2b.handle_event(&UaEvent::Ringing { leg: outbound });
//! while let Some(command) = b2b.poll_command() {
//!     if ua.execute(now, command.clone()).is_err() {
//!         b2b.command_failed(&command);
//!     }
//! }
//! # Ok::<(), cc_sip::Error>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::parser::uri::Uri;
use crate::ua::{Command, LegId, OutgoingCall, Transport, UaEvent};

pub mod transfer;

pub use transfer::TransferCall;

/// Which leg of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The caller's leg (we are its UAS).
    Inbound,
    /// The leg we placed (we are its UAC).
    Outbound,
}

/// Rewrites an SDP body on its way to the leg of the given side (the leg id is that
/// leg's).
pub type SdpRewrite = Box<dyn FnMut(Side, LegId, &Bytes) -> Bytes + Send>;

#[derive(Debug, Clone, Copy)]
struct Peer {
    other: LegId,
    side: Side,
    /// The peer leg sent us a re-INVITE that waits for the other leg's answer.
    reinvite_waiting: bool,
    /// The peer leg sent us an UPDATE offer that waits for the other leg's answer.
    update_waiting: bool,
    ringing_sent: bool,
}

/// Counters of the pairing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct B2buaStats {
    /// Pairs bridged.
    pub bridged: u64,
    /// Pairs whose outbound leg answered.
    pub answered: u64,
    /// Pairs whose outbound leg failed.
    pub failed: u64,
    /// Pairs cancelled by the caller before the answer.
    pub cancelled: u64,
    /// Answered pairs hung up by either side.
    pub completed: u64,
    /// Transfers carried out (a REFER's target answered and took the referrer's place).
    pub transferred: u64,
}

/// Pairs of legs and the commands that carry a call across them. See the
/// [module docs](self).
pub struct B2bua {
    peers: HashMap<LegId, Peer>,
    commands: VecDeque<Command>,
    rewrite: Option<SdpRewrite>,
    stats: B2buaStats,
    /// Transfers in progress, by their new leg.
    transfers: HashMap<LegId, transfer::Transfer>,
    /// Calls to place for transfers.
    transfer_calls: VecDeque<TransferCall>,
    /// The caller id (From) of inbound legs, for the calls transfers place.
    callers: HashMap<LegId, String>,
}

impl fmt::Debug for B2bua {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("B2bua")
            .field("pairs", &(self.peers.len() / 2))
            .field("commands", &self.commands)
            .field("rewrite", &self.rewrite.is_some())
            .field("stats", &self.stats)
            .field("transfers", &self.transfers)
            .field("transfer_calls", &self.transfer_calls)
            .field("callers", &self.callers.len())
            .finish()
    }
}

impl Default for B2bua {
    fn default() -> Self {
        Self::new()
    }
}

impl B2bua {
    /// A pairing that passes SDP through unchanged.
    pub fn new() -> Self {
        Self {
            peers: HashMap::new(),
            commands: VecDeque::new(),
            rewrite: None,
            stats: B2buaStats::default(),
            transfers: HashMap::new(),
            transfer_calls: VecDeque::new(),
            callers: HashMap::new(),
        }
    }

    /// A pairing that rewrites every SDP body with `rewrite(side, leg, sdp)` before it
    /// goes to `leg` on `side` (the offer of the outbound INVITE included, when built by
    /// [`B2bua::outgoing_call`]).
    pub fn with_sdp_rewrite(rewrite: impl FnMut(Side, LegId, &Bytes) -> Bytes + Send + 'static) -> Self {
        Self {
            rewrite: Some(Box::new(rewrite)),
            ..Self::new()
        }
    }

    /// The counters.
    pub fn stats(&self) -> B2buaStats {
        self.stats
    }

    /// How many pairs are bridged now.
    pub fn len(&self) -> usize {
        self.peers.len() / 2
    }

    /// `true` when no pair is bridged.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The other leg of `leg`'s pair, and `leg`'s side.
    pub fn peer(&self, leg: LegId) -> Option<(LegId, Side)> {
        self.peers.get(&leg).map(|p| (p.other, p.side))
    }

    /// The call to place for an [`UaEvent::IncomingCall`]: same From (caller id), To and
    /// user part of the Request-URI, host and port replaced by `destination`, the offer
    /// passed through (or rewritten). Returns the inbound leg with it; `None` for other
    /// events.
    pub fn outgoing_call(
        &mut self,
        incoming: &UaEvent,
        destination: SocketAddr,
        transport: Transport,
    ) -> Option<(LegId, OutgoingCall)> {
        let UaEvent::IncomingCall {
            leg,
            request_uri,
            from,
            to,
            sdp,
            ..
        } = incoming
        else {
            return None;
        };
        let user = match Uri::parse(request_uri) {
            Ok(Uri::Sip(u)) => u.user.map(str::to_owned),
            _ => None,
        };
        let mut uri = match user {
            Some(user) => format!("sip:{user}@{destination}"),
            None => format!("sip:{destination}"),
        };
        if transport == Transport::Tcp {
            uri.push_str(";transport=tcp");
        }
        self.callers.insert(*leg, from.clone());
        let mut call = OutgoingCall::new(&uri, from, to, destination);
        call.transport = transport;
        call.sdp = sdp.as_ref().map(|s| self.sdp(Side::Outbound, *leg, s));
        Some((*leg, call))
    }

    /// Pairs `inbound` (a caller's leg) with `outbound` (the leg placed for it).
    pub fn bridge(&mut self, inbound: LegId, outbound: LegId) {
        self.stats.bridged += 1;
        self.peers.insert(
            inbound,
            Peer {
                other: outbound,
                side: Side::Inbound,
                reinvite_waiting: false,
                update_waiting: false,
                ringing_sent: false,
            },
        );
        self.peers.insert(
            outbound,
            Peer {
                other: inbound,
                side: Side::Outbound,
                reinvite_waiting: false,
                update_waiting: false,
                ringing_sent: false,
            },
        );
    }

    /// Forgets the pair of `leg` (both legs).
    pub fn unbridge(&mut self, leg: LegId) {
        if let Some(p) = self.peers.remove(&leg) {
            self.peers.remove(&p.other);
            self.callers.remove(&p.other);
        }
        self.callers.remove(&leg);
    }

    /// Tells the pairing that `command` could not be carried out. A re-INVITE that the
    /// other leg cannot take (one of its own is in progress, RFC 3261 §14.1) is refused
    /// on the leg that sent it with 491 Request Pending; other failures need nothing.
    pub fn command_failed(&mut self, command: &Command) {
        let (Command::ReInvite { leg, .. } | Command::Update { leg, .. }) = command else {
            return;
        };
        let update = matches!(command, Command::Update { .. });
        let Some(peer) = self.peers.get(leg).copied() else {
            return;
        };
        let waiting = |p: &&mut Peer| {
            if update {
                p.update_waiting
            } else {
                p.reinvite_waiting
            }
        };
        if let Some(p) = self.peers.get_mut(&peer.other).filter(waiting) {
            if update {
                p.update_waiting = false;
            } else {
                p.reinvite_waiting = false;
            }
            self.commands.push_back(Command::Reject {
                leg: peer.other,
                code: 491,
                reason: "Request Pending".to_owned(),
            });
        }
    }

    /// The next command to run.
    #[must_use]
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    fn sdp(&mut self, side: Side, leg: LegId, sdp: &Bytes) -> Bytes {
        match &mut self.rewrite {
            Some(f) => f(side, leg, sdp),
            None => sdp.clone(),
        }
    }

    fn sdp_opt(&mut self, side: Side, leg: LegId, sdp: Option<&Bytes>) -> Option<Bytes> {
        sdp.map(|s| self.sdp(side, leg, s))
    }

    /// Takes one event of the user agent. Returns `true` when it concerned a bridged leg
    /// (commands may then be waiting), `false` when the application should handle it
    /// (a new call, a registration, a leg of no pair).
    pub fn handle_event(&mut self, event: &UaEvent) -> bool {
        if let Some(handled) = self.transfer_event(event) {
            return handled;
        }
        let leg = match event {
            UaEvent::Ringing { leg }
            | UaEvent::Progress { leg, .. }
            | UaEvent::Answered { leg, .. }
            | UaEvent::Failed { leg, .. }
            | UaEvent::Ended { leg, .. }
            | UaEvent::ReInvite { leg, .. }
            | UaEvent::ReInviteAnswered { leg, .. }
            | UaEvent::AckSdp { leg, .. }
            | UaEvent::Update { leg, .. }
            | UaEvent::UpdateAnswered { leg, .. }
            | UaEvent::PrackSdp { leg, .. }
            | UaEvent::Dtmf { leg, .. } => *leg,
            _ => return false,
        };
        let Some(peer) = self.peers.get(&leg).copied() else {
            return false;
        };
        let other = peer.other;
        let other_side = match peer.side {
            Side::Inbound => Side::Outbound,
            Side::Outbound => Side::Inbound,
        };
        match event {
            UaEvent::Ringing { .. } if peer.side == Side::Outbound && !peer.ringing_sent => {
                if let Some(p) = self.peers.get_mut(&leg) {
                    p.ringing_sent = true;
                }
                self.commands.push_back(Command::Ringing { leg: other });
            }
            UaEvent::Progress { code, sdp, .. } if peer.side == Side::Outbound => {
                let sdp = self.sdp_opt(other_side, other, sdp.as_ref());
                self.commands.push_back(Command::Progress {
                    leg: other,
                    code: *code,
                    sdp,
                });
            }
            UaEvent::Answered { sdp, .. } if peer.side == Side::Outbound => {
                self.stats.answered += 1;
                let sdp = self.sdp_opt(other_side, other, sdp.as_ref());
                self.commands.push_back(Command::Answer { leg: other, sdp });
            }
            UaEvent::Failed { code, reason, .. } => {
                self.stats.failed += 1;
                self.unbridge(leg);
                if peer.side == Side::Outbound {
                    let code = if (300..=699).contains(code) { *code } else { 500 };
                    self.commands.push_back(Command::Reject {
                        leg: other,
                        code,
                        reason: reason.clone(),
                    });
                } else {
                    self.commands.push_back(Command::Hangup { leg: other });
                }
            }
            UaEvent::Ended { cause, .. } => {
                if *cause == crate::ua::EndCause::RemoteCancel {
                    self.stats.cancelled += 1;
                } else {
                    self.stats.completed += 1;
                }
                self.unbridge(leg);
                self.commands.push_back(Command::Hangup { leg: other });
            }
            UaEvent::ReInvite { sdp, .. } => {
                if let Some(p) = self.peers.get_mut(&leg) {
                    p.reinvite_waiting = true;
                }
                let sdp = self.sdp_opt(other_side, other, sdp.as_ref());
                self.commands.push_back(Command::ReInvite { leg: other, sdp });
            }
            UaEvent::ReInviteAnswered { code, sdp, .. } => {
                let waiting = self.peers.get_mut(&other).filter(|p| p.reinvite_waiting);
                if let Some(p) = waiting {
                    p.reinvite_waiting = false;
                    let command = if (200..300).contains(code) {
                        let sdp = self.sdp_opt(other_side, other, sdp.as_ref());
                        Command::Answer { leg: other, sdp }
                    } else {
                        Command::Reject {
                            leg: other,
                            code: *code,
                            reason: "Re-INVITE refused by the other leg".to_owned(),
                        }
                    };
                    self.commands.push_back(command);
                }
            }
            UaEvent::PrackSdp { sdp, .. } if peer.side == Side::Inbound => {
                // The caller answered the callee's reliable early offer in its PRACK:
                // the answer goes in our PRACK to the callee.
                let sdp = self.sdp(other_side, other, sdp);
                self.commands.push_back(Command::Prack { leg: other, sdp });
            }
            UaEvent::Update { sdp, .. } => {
                if let Some(p) = self.peers.get_mut(&leg) {
                    p.update_waiting = true;
                }
                let sdp = self.sdp(other_side, other, sdp);
                self.commands.push_back(Command::Update { leg: other, sdp });
            }
            UaEvent::UpdateAnswered { code, sdp, .. } => {
                let waiting = self.peers.get_mut(&other).filter(|p| p.update_waiting);
                if let Some(p) = waiting {
                    p.update_waiting = false;
                    let command = if (200..300).contains(code) {
                        let sdp = self.sdp_opt(other_side, other, sdp.as_ref());
                        Command::Answer { leg: other, sdp }
                    } else {
                        Command::Reject {
                            leg: other,
                            code: if (300..=699).contains(code) { *code } else { 500 },
                            reason: "UPDATE refused by the other leg".to_owned(),
                        }
                    };
                    self.commands.push_back(command);
                }
            }
            UaEvent::AckSdp { sdp, .. } if peer.side == Side::Inbound => {
                // Late offer: the caller's answer goes into the callee's ACK.
                let sdp = self.sdp(other_side, other, sdp);
                self.commands.push_back(Command::Ack { leg: other, sdp });
            }
            UaEvent::Dtmf { digit, .. } => {
                self.commands.push_back(Command::Dtmf {
                    leg: other,
                    digit: *digit,
                });
            }
            _ => {}
        }
        true
    }
}

#[cfg(test)]
mod tests;
