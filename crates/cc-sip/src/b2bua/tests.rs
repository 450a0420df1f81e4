//! Caller -> B2BUA -> callee: three user agents in memory.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::ua::{EndCause, UaConfig, UserAgent};

const OFFER: &[u8] =
    b"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
const ANSWER: &[u8] =
    b"v=0\r\no=c 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

const CALLER: usize = 0;
const MIDDLE: usize = 1;
const CALLEE: usize = 2;
/// The target of a transfer (5090).
const TARGET: usize = 3;

struct Net {
    uas: [UserAgent; 4],
    b2b: B2bua,
    now: Instant,
    /// The events of the caller, the callee and the transfer target.
    events: [Vec<UaEvent>; 3],
    /// The callee's inbound leg once it is offered.
    callee_leg: Option<LegId>,
    caller_leg: Option<LegId>,
}

impl Net {
    fn new(b2b: B2bua) -> Self {
        let ua = |port: u16, seed: u64| {
            let mut c = UaConfig::new(addr(port));
            c.transaction.seed = seed;
            UserAgent::new(c)
        };
        Self {
            uas: [ua(5060, 1), ua(5070, 2), ua(5080, 3), ua(5090, 4)],
            b2b,
            now: Instant::now(),
            events: [Vec::new(), Vec::new(), Vec::new()],
            callee_leg: None,
            caller_leg: None,
        }
    }

    fn index(port: u16) -> usize {
        usize::from((port - 5060) / 10)
    }

    /// Moves messages and runs the B2BUA until nothing moves.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..4 {
                while let Some(t) = self.uas[i].poll_transmit() {
                    moved = true;
                    let from = addr(5060 + 10 * i as u16);
                    let to = Self::index(t.destination.port());
                    self.uas[to].handle_datagram(self.now, from, t.payload);
                }
            }
            while let Some(e) = self.uas[MIDDLE].poll_event() {
                moved = true;
                if self.b2b.handle_event(&e) {
                    continue;
                }
                if let Some((inbound, call)) = self.b2b.outgoing_call(&e, addr(5080), Transport::Udp) {
                    let outbound = self.uas[MIDDLE].invite(self.now, call).unwrap();
                    self.b2b.bridge(inbound, outbound);
                }
            }
            while let Some(c) = self.b2b.poll_command() {
                moved = true;
                if self.uas[MIDDLE].execute(self.now, c.clone()).is_err() {
                    self.b2b.command_failed(&c);
                }
            }
            while let Some(t) = self.b2b.poll_transfer() {
                moved = true;
                match self.uas[MIDDLE].invite(self.now, t.call) {
                    Ok(leg) => self.b2b.transfer_started(t.referrer, leg),
                    Err(_) => self.b2b.transfer_failed(t.referrer),
                }
            }
            while let Some(e) = self.uas[TARGET].poll_event() {
                self.events[2].push(e);
            }
            while let Some(e) = self.uas[CALLER].poll_event() {
                self.events[0].push(e);
            }
            while let Some(e) = self.uas[CALLEE].poll_event() {
                if let UaEvent::IncomingCall { leg, .. } = &e {
                    self.callee_leg = Some(*leg);
                }
                self.events[1].push(e);
            }
            if !moved {
                break;
            }
        }
    }

    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.pump();
            let next = self.uas.iter_mut().filter_map(UserAgent::poll_timeout).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    for ua in &mut self.uas {
                        ua.handle_timeout(self.now);
                    }
                }
                _ => break,
            }
        }
        self.now = end;
        self.pump();
    }

    fn dial(&mut self) -> (LegId, LegId) {
        let mut call = OutgoingCall::new(
            "sip:100@127.0.0.1:5070",
            "\"Caller\" <sip:13800000000@127.0.0.1>",
            "<sip:100@127.0.0.1>",
            addr(5070),
        );
        call.sdp = Some(Bytes::from_static(OFFER));
        let caller = self.uas[CALLER].invite(self.now, call).unwrap();
        self.caller_leg = Some(caller);
        self.pump();
        let callee = self.callee_leg.expect("the call reached the callee");
        (caller, callee)
    }

    fn connected(&mut self) -> (LegId, LegId) {
        let (caller, callee) = self.dial();
        self.uas[CALLEE].ringing(self.now, callee).unwrap();
        self.pump();
        assert_eq!(self.events[0].pop(), Some(UaEvent::Ringing { leg: caller }));
        self.uas[CALLEE]
            .answer(self.now, callee, Some(Bytes::from_static(ANSWER)))
            .unwrap();
        self.pump();
        (caller, callee)
    }
}

#[test]
fn a_call_is_relayed_with_its_sdp_and_ended_by_the_caller() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.dial();
    match &net.events[1][0] {
        UaEvent::IncomingCall {
            from,
            request_uri,
            sdp,
            ..
        } => {
            assert_eq!(from, "\"Caller\" <sip:13800000000@127.0.0.1>", "caller id kept");
            assert_eq!(request_uri, "sip:100@127.0.0.1:5080");
            assert_eq!(sdp.as_deref(), Some(OFFER));
        }
        other => panic!("{other:?}"),
    }
    net.events[1].clear();
    net.uas[CALLEE].ringing(net.now, callee).unwrap();
    net.pump();
    assert_eq!(net.events[0].pop(), Some(UaEvent::Ringing { leg: caller }));
    net.uas[CALLEE]
        .answer(net.now, callee, Some(Bytes::from_static(ANSWER)))
        .unwrap();
    net.pump();
    assert_eq!(
        net.events[0].pop(),
        Some(UaEvent::Answered {
            leg: caller,
            sdp: Some(Bytes::from_static(ANSWER))
        })
    );
    assert_eq!(net.b2b.len(), 1);
    net.uas[CALLER].hangup(net.now, caller).unwrap();
    net.pump();
    assert_eq!(
        net.events[1].pop(),
        Some(UaEvent::Ended {
            leg: callee,
            cause: EndCause::RemoteBye
        })
    );
    assert!(net.b2b.is_empty());
    let stats = net.b2b.stats();
    assert_eq!((stats.bridged, stats.answered, stats.completed), (1, 1, 1));
    net.run(Duration::from_secs(40));
    assert_eq!(net.uas[MIDDLE].stats().legs, 0, "both middle legs are forgotten");
}

#[test]
fn the_callee_hanging_up_ends_the_caller() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.connected();
    net.events[0].clear();
    net.uas[CALLEE].hangup(net.now, callee).unwrap();
    net.pump();
    assert_eq!(
        net.events[0].pop(),
        Some(UaEvent::Ended {
            leg: caller,
            cause: EndCause::RemoteBye
        })
    );
}

#[test]
fn a_cancelled_caller_cancels_the_callee() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.dial();
    net.uas[CALLEE].ringing(net.now, callee).unwrap();
    net.pump();
    net.uas[CALLER].hangup(net.now, caller).unwrap();
    net.pump();
    assert_eq!(
        net.events[1].pop(),
        Some(UaEvent::Ended {
            leg: callee,
            cause: EndCause::RemoteCancel
        })
    );
    assert_eq!(net.events[0], vec![UaEvent::Ringing { leg: caller }]);
    assert_eq!(net.b2b.stats().cancelled, 1);
}

#[test]
fn the_callee_failure_code_reaches_the_caller() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.dial();
    net.uas[CALLEE].reject(net.now, callee, 486, "Busy Here").unwrap();
    net.pump();
    assert_eq!(
        net.events[0].pop(),
        Some(UaEvent::Failed {
            leg: caller,
            code: 486,
            reason: "Busy Here".into()
        })
    );
    assert!(net.b2b.is_empty());
}

#[test]
fn hold_and_dtmf_go_across() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.connected();
    net.events = [Vec::new(), Vec::new(), Vec::new()];
    let hold = Bytes::from_static(b"v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n");
    let held = Bytes::from_static(b"v=0\r\no=c 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=recvonly\r\n");
    net.uas[CALLER]
        .reinvite(net.now, caller, Some(hold.clone()))
        .unwrap();
    net.pump();
    assert_eq!(
        net.events[1].pop(),
        Some(UaEvent::ReInvite {
            leg: callee,
            sdp: Some(hold)
        })
    );
    net.uas[CALLEE]
        .answer(net.now, callee, Some(held.clone()))
        .unwrap();
    net.pump();
    assert_eq!(
        net.events[0].pop(),
        Some(UaEvent::ReInviteAnswered {
            leg: caller,
            code: 200,
            sdp: Some(held)
        })
    );
    net.uas[CALLER].send_info_dtmf(net.now, caller, '7', 100).unwrap();
    net.uas[CALLEE].send_info_dtmf(net.now, callee, '*', 100).unwrap();
    net.pump();
    assert_eq!(
        net.events[1].pop(),
        Some(UaEvent::Dtmf {
            leg: callee,
            digit: '7'
        })
    );
    assert_eq!(
        net.events[0].pop(),
        Some(UaEvent::Dtmf {
            leg: caller,
            digit: '*'
        })
    );
}

#[test]
fn sdp_is_rewritten_by_the_closure_both_ways() {
    let b2b = B2bua::with_sdp_rewrite(|side, _leg, sdp| {
        let text = String::from_utf8_lossy(sdp);
        let port = if side == Side::Outbound { "7000" } else { "7002" };
        Bytes::from(text.replace("4000", port).replace("6000", port))
    });
    let mut net = Net::new(b2b);
    let (caller, _) = net.dial();
    match &net.events[1][0] {
        UaEvent::IncomingCall { sdp, .. } => {
            assert!(String::from_utf8_lossy(sdp.as_ref().unwrap()).contains("m=audio 7000 "));
        }
        other => panic!("{other:?}"),
    }
    let callee = net.callee_leg.unwrap();
    net.uas[CALLEE]
        .answer(net.now, callee, Some(Bytes::from_static(ANSWER)))
        .unwrap();
    net.pump();
    match net.events[0].pop() {
        Some(UaEvent::Answered { leg, sdp: Some(sdp) }) => {
            assert_eq!(leg, caller);
            assert!(String::from_utf8_lossy(&sdp).contains("m=audio 7002 "));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_reinvite_that_crosses_one_of_the_other_leg_gets_491() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.connected();
    net.events = [Vec::new(), Vec::new(), Vec::new()];
    // Both ends send a re-INVITE at once: the middle forwards the caller's to the callee
    // leg, where the callee's own re-INVITE is already pending.
    net.uas[CALLEE]
        .reinvite(net.now, callee, Some(Bytes::from_static(ANSWER)))
        .unwrap();
    net.uas[CALLER]
        .reinvite(net.now, caller, Some(Bytes::from_static(OFFER)))
        .unwrap();
    // Deliver the callee's re-INVITE to the middle first, holding the middle's output.
    let from_callee = net.uas[CALLEE].poll_transmit().unwrap();
    net.uas[MIDDLE].handle_datagram(net.now, addr(5080), from_callee.payload);
    while let Some(e) = net.uas[MIDDLE].poll_event() {
        assert!(net.b2b.handle_event(&e));
    }
    while let Some(c) = net.b2b.poll_command() {
        net.uas[MIDDLE].execute(net.now, c).unwrap();
    }
    net.pump();
    let refused = net.events[0]
        .iter()
        .chain(net.events[1].iter())
        .filter(|e| matches!(e, UaEvent::ReInviteAnswered { code: 491, .. }))
        .count();
    assert!(refused >= 1, "a glare is answered 491: {:?}", net.events);
    assert_eq!(
        net.uas[CALLER].leg_state(caller),
        Some(crate::ua::LegState::Confirmed)
    );
    assert_eq!(
        net.uas[CALLEE].leg_state(callee),
        Some(crate::ua::LegState::Confirmed)
    );
}

#[test]
fn a_reinvite_the_other_leg_cannot_take_is_refused_with_491() {
    let (inbound, outbound) = (LegId::from_raw(1), LegId::from_raw(2));
    let mut b2b = B2bua::new();
    b2b.bridge(inbound, outbound);
    assert!(b2b.handle_event(&UaEvent::ReInvite {
        leg: outbound,
        sdp: None
    }));
    let command = b2b.poll_command().unwrap();
    assert_eq!(
        command,
        Command::ReInvite {
            leg: inbound,
            sdp: None
        }
    );
    b2b.command_failed(&command);
    assert_eq!(
        b2b.poll_command(),
        Some(Command::Reject {
            leg: outbound,
            code: 491,
            reason: "Request Pending".into()
        })
    );
    // Once refused, a late answer from the other leg is not relayed.
    b2b.handle_event(&UaEvent::ReInviteAnswered {
        leg: inbound,
        code: 200,
        sdp: None,
    });
    assert_eq!(b2b.poll_command(), None);
    // Events of unknown legs are the application's.
    assert!(!b2b.handle_event(&UaEvent::Ringing {
        leg: LegId::from_raw(9)
    }));
}

#[test]
fn a_late_offer_is_bridged_through_both_acks() {
    let mut net = Net::new(B2bua::new());
    let call = OutgoingCall::new(
        "sip:100@127.0.0.1:5070",
        "<sip:c@127.0.0.1>",
        "<sip:100@127.0.0.1>",
        addr(5070),
    );
    let caller = net.uas[CALLER].invite(net.now, call).unwrap();
    net.pump();
    let callee = net.callee_leg.expect("the call reached the callee");
    assert!(matches!(
        &net.events[1][0],
        UaEvent::IncomingCall { sdp: None, .. }
    ));
    net.uas[CALLEE]
        .answer(net.now, callee, Some(Bytes::from_static(ANSWER)))
        .unwrap();
    net.pump();
    assert_eq!(
        net.events[0].pop(),
        Some(UaEvent::Answered {
            leg: caller,
            sdp: Some(Bytes::from_static(ANSWER))
        })
    );
    net.uas[CALLER]
        .ack(net.now, caller, Bytes::from_static(OFFER))
        .unwrap();
    net.pump();
    assert_eq!(
        net.events[1].pop(),
        Some(UaEvent::AckSdp {
            leg: callee,
            sdp: Bytes::from_static(OFFER)
        })
    );
    net.run(Duration::from_secs(3));
    assert_eq!(
        net.uas[MIDDLE].stats().retransmitted_2xx,
        0,
        "every 200 was acknowledged at once"
    );
    assert_eq!(net.uas[CALLEE].stats().retransmitted_2xx, 0);
}

mod transfer;

#[test]
fn an_update_offer_is_carried_to_the_other_leg_and_its_answer_back() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.connected();
    net.events = [Vec::new(), Vec::new(), Vec::new()];
    let hold = Bytes::from_static(b"v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n");
    net.uas[CALLER].update(net.now, caller, hold.clone()).unwrap();
    net.pump();
    assert_eq!(
        net.events[1],
        [UaEvent::Update {
            leg: callee,
            sdp: hold
        }]
    );
    let held = Bytes::from_static(b"v=0\r\no=c 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=recvonly\r\n");
    net.uas[CALLEE]
        .answer(net.now, callee, Some(held.clone()))
        .unwrap();
    net.pump();
    assert_eq!(
        net.events[0],
        [UaEvent::UpdateAnswered {
            leg: caller,
            code: 200,
            sdp: Some(held)
        }]
    );
}
