//! Transfer through the B2BUA: a REFER from one side of a pair (the referrer) has the
//! B2BUA call the Refer-To target itself and move the other side (the kept leg) over.
//!
//! 1. [`UaEvent::Refer`] on a bridged leg (the agent has answered 202 and notified
//!    `100 Trying`): a call to the target is queued ([`B2bua::poll_transfer`]); the
//!    driver places it with [`UserAgent::invite`](crate::ua::UserAgent::invite) and
//!    tells [`B2bua::transfer_started`] (or [`B2bua::transfer_failed`]). The call goes
//!    without SDP (late offer) and with the Refer-To's Replaces, if any, as a header.
//! 2. The target rings: `180 Ringing` is notified to the referrer. It answers with its
//!    offer: the kept leg is re-INVITEd with that offer.
//! 3. The kept leg answers: its answer goes in the ACK to the target, the referrer is
//!    notified `200 OK` and hung up, and the kept leg is paired with the new one.
//!
//! Failures are notified to the referrer with their code; the call between the referrer
//! and the kept leg stays up (the new leg is hung up). A referrer that hangs up during
//! the transfer does not end the kept leg; a kept leg that hangs up ends the new one.
//!
//! An incoming INVITE with Replaces (RFC 3891, [`UaEvent::Replaces`] naming a bridged
//! leg) is the other half of an attended transfer: its offer re-INVITEs the replaced
//! leg's peer, whose answer answers the new leg; the replaced leg is hung up and the
//! new leg paired in its place. (The relay then places no call for it.)

use std::net::SocketAddr;

use super::{B2bua, Peer, Side};
use crate::parser::uri::Uri;
use crate::ua::{Command, LegId, OutgoingCall, Transport, UaEvent};

/// A call the driver should place for a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferCall {
    /// The leg whose peer sent the REFER.
    pub referrer: LegId,
    /// The call to the Refer-To target.
    pub call: OutgoingCall,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The new leg is being set up.
    Calling,
    /// The new leg answered; the kept leg's re-INVITE is out.
    Reinviting,
}

/// One transfer in progress, keyed by its new leg.
#[derive(Debug, Clone, Copy)]
pub(super) struct Transfer {
    referrer: LegId,
    kept: LegId,
    kept_side: Side,
    stage: Stage,
    /// The referrer's peer hung up meanwhile.
    referrer_gone: bool,
    ringing_sent: bool,
    /// An incoming INVITE with Replaces (RFC 3891) takes the referrer's place: the
    /// new leg is ours to answer, and there is no subscription to notify.
    replacing: bool,
}

/// The socket address of a SIP URI whose host is an IP literal (no DNS here).
fn destination(uri: &str) -> Option<(SocketAddr, Transport)> {
    let Ok(Uri::Sip(sip)) = Uri::parse(uri) else {
        return None;
    };
    let host = sip.host.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = host.parse().ok()?;
    let transport = match sip.transport() {
        Some(t) if t.eq_ignore_ascii_case("tcp") => Transport::Tcp,
        _ => Transport::Udp,
    };
    Some((SocketAddr::new(ip, sip.port.unwrap_or(5060)), transport))
}

impl B2bua {
    /// The next call to place for a transfer: place it, then call
    /// [`transfer_started`](Self::transfer_started) with its leg (or
    /// [`transfer_failed`](Self::transfer_failed)).
    #[must_use]
    pub fn poll_transfer(&mut self) -> Option<TransferCall> {
        self.transfer_calls.pop_front()
    }

    /// The call of [`poll_transfer`](Self::poll_transfer) for `referrer` was placed as
    /// leg `new`.
    pub fn transfer_started(&mut self, referrer: LegId, new: LegId) {
        let Some(peer) = self.peers.get(&referrer).copied() else {
            // The pair ended meanwhile: nobody to move over.
            self.commands.push_back(Command::Hangup { leg: new });
            return;
        };
        let kept_side = match peer.side {
            Side::Inbound => Side::Outbound,
            Side::Outbound => Side::Inbound,
        };
        self.transfers.insert(
            new,
            Transfer {
                referrer,
                kept: peer.other,
                kept_side,
                stage: Stage::Calling,
                referrer_gone: false,
                ringing_sent: false,
                replacing: false,
            },
        );
    }

    /// The call of [`poll_transfer`](Self::poll_transfer) for `referrer` could not be
    /// placed: the referrer hears 503.
    pub fn transfer_failed(&mut self, referrer: LegId) {
        self.notify(referrer, 503, "Service Unavailable");
    }

    fn notify(&mut self, referrer: LegId, code: u16, reason: &str) {
        self.commands.push_back(Command::ReferProgress {
            leg: referrer,
            code,
            reason: reason.to_owned(),
        });
    }

    /// Takes the events that belong to transfers; `Some(handled)` when the event was one
    /// (`handle_event` returns it), `None` to go on with the pairing.
    pub(super) fn transfer_event(&mut self, event: &UaEvent) -> Option<bool> {
        match event {
            UaEvent::Replaces { leg, replaced } => {
                let peer = self.peers.get(replaced).copied()?;
                self.transfers.insert(
                    *leg,
                    Transfer {
                        referrer: *replaced,
                        kept: peer.other,
                        kept_side: other(peer.side),
                        stage: Stage::Calling,
                        referrer_gone: false,
                        ringing_sent: true,
                        replacing: true,
                    },
                );
                Some(true)
            }
            UaEvent::IncomingCall { leg, sdp, .. } if self.transfers.contains_key(leg) => {
                let t = self.transfers.get_mut(leg)?;
                if let Some(sdp) = sdp {
                    // The new caller's offer goes to the leg it will talk to.
                    t.stage = Stage::Reinviting;
                    let (kept, side) = (t.kept, t.kept_side);
                    let sdp = self.sdp(side, kept, sdp);
                    self.commands.push_back(Command::ReInvite {
                        leg: kept,
                        sdp: Some(sdp),
                    });
                } else {
                    self.transfers.remove(leg);
                    self.commands.push_back(Command::Reject {
                        leg: *leg,
                        code: 488,
                        reason: "An Offer Is Needed To Replace A Call".to_owned(),
                    });
                }
                Some(true)
            }
            UaEvent::Refer {
                leg,
                target,
                replaces,
                ..
            } if self.peers.contains_key(leg) => {
                self.start_transfer(*leg, target, replaces.as_deref());
                Some(true)
            }
            UaEvent::Ringing { leg } | UaEvent::Progress { leg, .. } if self.transfers.contains_key(leg) => {
                let t = self.transfers.get_mut(leg)?;
                if !t.ringing_sent && !t.referrer_gone {
                    t.ringing_sent = true;
                    let referrer = t.referrer;
                    self.notify(referrer, 180, "Ringing");
                }
                Some(true)
            }
            UaEvent::Answered { leg, sdp } if self.transfers.contains_key(leg) => {
                let t = self.transfers.get_mut(leg)?;
                if let Some(sdp) = sdp {
                    t.stage = Stage::Reinviting;
                    let (kept, side) = (t.kept, t.kept_side);
                    let sdp = self.sdp(side, kept, sdp);
                    self.commands.push_back(Command::ReInvite {
                        leg: kept,
                        sdp: Some(sdp),
                    });
                } else {
                    // No offer to carry to the kept leg.
                    let t = *t;
                    self.transfers.remove(leg);
                    self.commands.push_back(Command::Hangup { leg: *leg });
                    self.abandon(t, 488, "Not Acceptable Here");
                }
                Some(true)
            }
            UaEvent::Failed { leg, code, reason } if self.transfers.contains_key(leg) => {
                let t = self.transfers.remove(leg)?;
                self.abandon(t, *code, reason);
                Some(true)
            }
            UaEvent::Ended { leg, .. } if self.transfers.contains_key(leg) => {
                let t = self.transfers.remove(leg)?;
                if t.stage == Stage::Reinviting {
                    // The kept leg's re-INVITE answer has nowhere to go now.
                    if let Some(p) = self.peers.get_mut(&t.kept) {
                        p.reinvite_waiting = false;
                    }
                }
                self.abandon(t, 487, "Request Terminated");
                Some(true)
            }
            UaEvent::ReInviteAnswered { leg, code, sdp } => {
                let (&new, _) = self
                    .transfers
                    .iter()
                    .find(|(_, t)| t.kept == *leg && t.stage == Stage::Reinviting)?;
                let t = self.transfers.remove(&new)?;
                match sdp {
                    Some(sdp) if (200..300).contains(code) => {
                        let sdp = self.sdp(other(t.kept_side), new, sdp);
                        if t.replacing {
                            self.commands.push_back(Command::Answer {
                                leg: new,
                                sdp: Some(sdp),
                            });
                            if !t.referrer_gone {
                                self.commands.push_back(Command::Hangup { leg: t.referrer });
                            }
                        } else {
                            self.commands.push_back(Command::Ack { leg: new, sdp });
                            if !t.referrer_gone {
                                self.notify(t.referrer, 200, "OK");
                                self.commands.push_back(Command::Hangup { leg: t.referrer });
                            }
                        }
                        self.peers.remove(&t.referrer);
                        self.pair(t.kept, t.kept_side, new);
                        self.stats.transferred += 1;
                    }
                    _ if t.replacing => {
                        self.commands.push_back(Command::Reject {
                            leg: new,
                            code: 488,
                            reason: "Not Acceptable Here".to_owned(),
                        });
                    }
                    _ => {
                        self.commands.push_back(Command::Hangup { leg: new });
                        self.abandon(t, 488, "Not Acceptable Here");
                    }
                }
                Some(true)
            }
            UaEvent::Ended { leg, .. } => {
                // The kept leg hung up: the new one goes too (the pairing then hangs up
                // the referrer as for any pair).
                let kept: Vec<LegId> = self
                    .transfers
                    .iter()
                    .filter(|(_, t)| t.kept == *leg)
                    .map(|(n, _)| *n)
                    .collect();
                for new in kept {
                    self.transfers.remove(&new);
                    self.commands.push_back(Command::Hangup { leg: new });
                }
                // The referrer hung up: the kept leg waits for the transfer.
                let mut referrer = false;
                for t in self.transfers.values_mut().filter(|t| t.referrer == *leg) {
                    t.referrer_gone = true;
                    referrer = true;
                }
                if referrer {
                    self.peers.remove(leg);
                    return Some(true);
                }
                None
            }
            _ => None,
        }
    }

    /// Queues the call to `target` for the REFER that came on `referrer`.
    fn start_transfer(&mut self, referrer: LegId, target: &str, replaces: Option<&str>) {
        let busy = self
            .transfers
            .values()
            .any(|t| t.referrer == referrer || t.kept == referrer);
        let Some((dest, transport)) = destination(target).filter(|_| !busy) else {
            let (code, reason) = if busy {
                (491, "Request Pending")
            } else {
                (404, "Not Found")
            };
            self.notify(referrer, code, reason);
            return;
        };
        let kept = self.peers.get(&referrer).map(|p| p.other);
        let from = kept
            .and_then(|k| self.callers.get(&k).cloned())
            .unwrap_or_else(|| format!("<sip:b2bua@{}>", dest.ip()));
        let mut call = OutgoingCall::new(target, &from, target, dest);
        call.transport = transport;
        if let Some(r) = replaces {
            call.headers.push(("Replaces".to_owned(), r.to_owned()));
        }
        self.transfer_calls.push_back(TransferCall { referrer, call });
    }

    /// A transfer failed with `code`: the referrer hears it; if the referrer has gone
    /// the kept leg is hung up.
    fn abandon(&mut self, t: Transfer, code: u16, reason: &str) {
        if t.replacing && !t.referrer_gone {
            // The caller of the replacing INVITE gave up: the call stays as it was.
            return;
        }
        if t.referrer_gone {
            self.peers.remove(&t.kept);
            self.commands.push_back(Command::Hangup { leg: t.kept });
        } else {
            let code = if (300..=699).contains(&code) { code } else { 500 };
            self.notify(t.referrer, code, reason);
        }
    }

    /// Pairs `kept` (on `side`) with `new`, without counting a new bridge.
    fn pair(&mut self, kept: LegId, side: Side, new: LegId) {
        let peer = |other, side| Peer {
            other,
            side,
            reinvite_waiting: false,
            update_waiting: false,
            ringing_sent: true,
        };
        self.peers.insert(kept, peer(new, side));
        self.peers.insert(new, peer(kept, other(side)));
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Inbound => Side::Outbound,
        Side::Outbound => Side::Inbound,
    }
}
