//! Two user agents against each other in memory, with virtual time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::auth::{ClientRequest, answer_challenge};
use crate::registrar::RegistrarConfig;

const OFFER: &str = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                     m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
const ANSWER: &str = "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                      m=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n";

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Decides whether the network drops a message: (sender, text).
type DropRule = Box<dyn FnMut(SocketAddr, &str) -> bool>;

/// Alice (5060) and Bob (5070) joined by a lossless in-memory network that can hold or
/// drop messages.
struct Net {
    a: UserAgent,
    b: UserAgent,
    now: Instant,
    a_events: Vec<UaEvent>,
    b_events: Vec<UaEvent>,
    /// Every payload delivered, as (from, to, first line).
    log: Vec<(SocketAddr, SocketAddr, String)>,
    /// Drops a transmit when it returns true.
    drop: DropRule,
}

fn first_line(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    text.lines().next().unwrap_or_default().to_owned()
}

impl Net {
    fn new() -> Self {
        let mut ca = UaConfig::new(addr(5060));
        ca.transaction.seed = 1;
        let mut cb = UaConfig::new(addr(5070));
        cb.transaction.seed = 2;
        Self {
            a: UserAgent::new(ca),
            b: UserAgent::new(cb),
            now: Instant::now(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            log: Vec::new(),
            drop: Box::new(|_, _| false),
        }
    }

    /// Delivers messages until none are left.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.a.poll_transmit() {
                moved = true;
                let line = first_line(&t.payload);
                if (self.drop)(addr(5060), &String::from_utf8_lossy(&t.payload)) {
                    continue;
                }
                assert_eq!(t.destination, addr(5070), "{line}");
                self.log.push((addr(5060), addr(5070), line));
                self.b.handle_datagram(self.now, addr(5060), t.payload);
            }
            while let Some(t) = self.b.poll_transmit() {
                moved = true;
                let line = first_line(&t.payload);
                if (self.drop)(addr(5070), &String::from_utf8_lossy(&t.payload)) {
                    continue;
                }
                assert_eq!(t.destination, addr(5060), "{line}");
                self.log.push((addr(5070), addr(5060), line));
                self.a.handle_datagram(self.now, addr(5070), t.payload);
            }
            while let Some(e) = self.a.poll_event() {
                self.a_events.push(e);
            }
            while let Some(e) = self.b.poll_event() {
                self.b_events.push(e);
            }
            if !moved {
                break;
            }
        }
    }

    /// Lets virtual time run for `d`, firing timers in order.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.pump();
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.a.handle_timeout(self.now);
                    self.b.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = end;
        self.pump();
    }

    fn sent(&self, from: u16, prefix: &str) -> usize {
        self.log
            .iter()
            .filter(|(f, _, l)| f.port() == from && l.starts_with(prefix))
            .count()
    }

    /// Alice calls Bob with an offer; returns (alice's leg, bob's leg).
    fn call(&mut self) -> (LegId, LegId) {
        let mut call = OutgoingCall::new(
            "sip:bob@127.0.0.1:5070",
            "\"Alice\" <sip:alice@127.0.0.1>",
            "sip:bob@127.0.0.1",
            addr(5070),
        );
        call.sdp = Some(Bytes::from_static(OFFER.as_bytes()));
        call.headers
            .push(("P-Asserted-Identity".into(), "<sip:+8610123@127.0.0.1>".into()));
        let a_leg = self.a.invite(self.now, call).unwrap();
        self.pump();
        let b_leg = match self.b_events.pop() {
            Some(UaEvent::IncomingCall {
                leg,
                sdp,
                from,
                source,
                request_uri,
                ..
            }) => {
                assert_eq!(sdp.as_deref(), Some(OFFER.as_bytes()));
                assert_eq!(from, "\"Alice\" <sip:alice@127.0.0.1>");
                assert_eq!(source, addr(5060));
                assert_eq!(request_uri, "sip:bob@127.0.0.1:5070");
                leg
            }
            other => panic!("expected IncomingCall, got {other:?}"),
        };
        (a_leg, b_leg)
    }

    /// A call answered and acknowledged.
    fn established(&mut self) -> (LegId, LegId) {
        let (a_leg, b_leg) = self.call();
        self.b.ringing(self.now, b_leg).unwrap();
        self.pump();
        assert_eq!(self.a_events.pop(), Some(UaEvent::Ringing { leg: a_leg }));
        self.b
            .answer(self.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
            .unwrap();
        self.pump();
        assert_eq!(
            self.a_events.pop(),
            Some(UaEvent::Answered {
                leg: a_leg,
                sdp: Some(Bytes::from_static(ANSWER.as_bytes()))
            })
        );
        assert_eq!(self.a.leg_state(a_leg), Some(LegState::Confirmed));
        assert_eq!(self.b.leg_state(b_leg), Some(LegState::Confirmed));
        (a_leg, b_leg)
    }
}

#[test]
fn a_call_is_set_up_answered_and_ended_by_the_caller() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    assert_eq!(net.sent(5060, "ACK"), 1);
    net.a.hangup(net.now, a_leg).unwrap();
    net.pump();
    assert_eq!(
        net.b_events.pop(),
        Some(UaEvent::Ended {
            leg: b_leg,
            cause: EndCause::RemoteBye
        })
    );
    assert!(net.a_events.is_empty(), "{:?}", net.a_events);
    assert!(
        net.log
            .iter()
            .any(|(f, _, l)| f.port() == 5070 && l == "SIP/2.0 200 OK")
    );
    // No 2xx retransmission after the ACK; both legs are forgotten after the linger.
    net.run(Duration::from_secs(4));
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Ended));
    net.run(Duration::from_secs(40));
    assert_eq!(net.sent(5070, "SIP/2.0 200 OK"), 2, "{:?}", net.log);
    assert_eq!(net.a.leg_state(a_leg), None);
    assert_eq!(net.b.leg_state(b_leg), None);
    assert_eq!(net.a.stats().legs, 0);
    assert_eq!(net.b.stats().answered, 1);
}

#[test]
fn the_callee_hangs_up_with_bye() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.b.hangup(net.now, b_leg).unwrap();
    net.pump();
    assert_eq!(
        net.a_events.pop(),
        Some(UaEvent::Ended {
            leg: a_leg,
            cause: EndCause::RemoteBye
        })
    );
    assert_eq!(net.sent(5070, "BYE "), 1);
    assert!(net.b.hangup(net.now, b_leg).is_err());
}

#[test]
fn cancel_before_answer_ends_both_legs_with_487() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.call();
    net.b.ringing(net.now, b_leg).unwrap();
    net.pump();
    assert_eq!(net.a_events.pop(), Some(UaEvent::Ringing { leg: a_leg }));
    net.a.hangup(net.now, a_leg).unwrap();
    net.pump();
    assert_eq!(
        net.b_events.pop(),
        Some(UaEvent::Ended {
            leg: b_leg,
            cause: EndCause::RemoteCancel
        })
    );
    assert_eq!(net.sent(5060, "CANCEL "), 1);
    assert_eq!(net.sent(5070, "SIP/2.0 487"), 1);
    assert_eq!(net.sent(5060, "ACK "), 1, "the 487 is acknowledged");
    assert!(
        net.a_events.is_empty(),
        "our own CANCEL reports no failure: {:?}",
        net.a_events
    );
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Ended));
    assert!(net.b.answer(net.now, b_leg, None).is_err());
}

#[test]
fn a_200_that_crosses_the_cancel_is_acknowledged_and_followed_by_bye() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.call();
    net.b.ringing(net.now, b_leg).unwrap();
    net.pump();
    assert_eq!(net.a_events.pop(), Some(UaEvent::Ringing { leg: a_leg }));
    // Alice cancels, but the CANCEL is in flight while Bob answers.
    net.a.hangup(net.now, a_leg).unwrap();
    let cancel = net.a.poll_transmit().unwrap();
    assert!(cancel.payload.starts_with(b"CANCEL "));
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.b.handle_datagram(net.now, addr(5060), cancel.payload);
    net.pump();
    assert!(net.a_events.is_empty(), "{:?}", net.a_events);
    assert_eq!(net.sent(5060, "ACK "), 1);
    assert_eq!(net.sent(5060, "BYE "), 1);
    assert_eq!(
        net.b_events.pop(),
        Some(UaEvent::Ended {
            leg: b_leg,
            cause: EndCause::RemoteBye
        })
    );
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Ended));
}

#[test]
fn retransmitted_invites_are_absorbed() {
    let mut net = Net::new();
    // Bob does not answer for 2 s: Alice's timer A retransmits until the 100 Trying.
    net.drop = Box::new(|from, text| from.port() == 5070 && text.starts_with("SIP/2.0 100"));
    let (_, b_leg) = net.call();
    net.run(Duration::from_secs(2));
    assert!(net.sent(5060, "INVITE ") >= 3, "{:?}", net.log);
    let calls = net
        .b_events
        .iter()
        .filter(|e| matches!(e, UaEvent::IncomingCall { .. }))
        .count();
    assert_eq!(
        calls, 0,
        "the only IncomingCall was taken by call(): {:?}",
        net.b_events
    );
    assert_eq!(net.b.stats().incoming_calls, 1);
    net.b.answer(net.now, b_leg, None).unwrap();
    net.pump();
    assert!(matches!(net.a_events.pop(), Some(UaEvent::Answered { .. })));
}

#[test]
fn a_lost_ack_makes_the_callee_retransmit_its_200() {
    let mut net = Net::new();
    let mut dropped = 0;
    net.drop = Box::new(move |from, text| {
        if from.port() == 5060 && text.starts_with("ACK ") && dropped == 0 {
            dropped += 1;
            return true;
        }
        false
    });
    let (a_leg, b_leg) = net.call();
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert!(matches!(net.a_events.pop(), Some(UaEvent::Answered { .. })));
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Answered));
    net.run(Duration::from_millis(600));
    assert_eq!(
        net.sent(5070, "SIP/2.0 200 OK"),
        2,
        "T1 later the 200 goes again: {:?}",
        net.log
    );
    assert_eq!(net.sent(5060, "ACK "), 1, "the second ACK arrived");
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
    assert_eq!(net.b.stats().retransmitted_2xx, 1);
    net.run(Duration::from_secs(5));
    assert_eq!(net.sent(5070, "SIP/2.0 200 OK"), 2, "no more retransmissions");
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
}

#[test]
fn no_ack_at_all_ends_the_call_after_64_t1_with_bye() {
    let mut net = Net::new();
    net.drop = Box::new(|from, text| from.port() == 5060 && text.starts_with("ACK "));
    let (a_leg, b_leg) = net.call();
    net.b.answer(net.now, b_leg, None).unwrap();
    net.run(Duration::from_secs(40));
    assert!(net.sent(5070, "SIP/2.0 200 OK") >= 7, "{:?}", net.log);
    assert!(net.b_events.contains(&UaEvent::Ended {
        leg: b_leg,
        cause: EndCause::Timeout
    }));
    assert_eq!(net.sent(5070, "BYE "), 1);
    assert!(net.a_events.contains(&UaEvent::Ended {
        leg: a_leg,
        cause: EndCause::RemoteBye
    }));
}

#[test]
fn a_reinvite_puts_the_call_on_hold_and_the_answer_comes_back() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    let hold = OFFER.replace("sendrecv", "sendonly").replace("1 1 IN", "1 2 IN");
    net.a
        .reinvite(net.now, a_leg, Some(Bytes::from(hold.clone())))
        .unwrap();
    assert!(
        net.a.reinvite(net.now, a_leg, None).is_err(),
        "one re-INVITE at a time"
    );
    net.pump();
    assert_eq!(
        net.b_events.pop(),
        Some(UaEvent::ReInvite {
            leg: b_leg,
            sdp: Some(Bytes::from(hold))
        })
    );
    let held = ANSWER.replace("sendrecv", "recvonly");
    net.b
        .answer(net.now, b_leg, Some(Bytes::from(held.clone())))
        .unwrap();
    net.pump();
    assert_eq!(
        net.a_events.pop(),
        Some(UaEvent::ReInviteAnswered {
            leg: a_leg,
            code: 200,
            sdp: Some(Bytes::from(held))
        })
    );
    assert_eq!(net.sent(5060, "ACK "), 2);
    // The 200 to the re-INVITE is not retransmitted once acknowledged.
    net.run(Duration::from_secs(3));
    assert_eq!(net.sent(5070, "SIP/2.0 200 OK"), 2, "{:?}", net.log);
    // A refused re-INVITE leaves the call up.
    net.b
        .reinvite(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert!(matches!(net.a_events.pop(), Some(UaEvent::ReInvite { leg, .. }) if leg == a_leg));
    net.a.reject(net.now, a_leg, 488, "Not Acceptable Here").unwrap();
    net.pump();
    assert!(matches!(
        net.b_events.pop(),
        Some(UaEvent::ReInviteAnswered { code: 488, .. })
    ));
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
}

#[test]
fn info_carries_dtmf_and_options_gets_200_with_allow() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.a.send_info_dtmf(net.now, a_leg, '5', 160).unwrap();
    net.a.send_info_dtmf(net.now, a_leg, '#', 160).unwrap();
    assert!(net.a.send_info_dtmf(net.now, a_leg, 'x', 160).is_err());
    net.pump();
    assert_eq!(
        net.b_events,
        vec![
            UaEvent::Dtmf {
                leg: b_leg,
                digit: '5'
            },
            UaEvent::Dtmf {
                leg: b_leg,
                digit: '#'
            }
        ]
    );
    // An out-of-dialog OPTIONS keep-alive.
    let options = Message::request("OPTIONS", "sip:127.0.0.1:5070")
        .header("Via", "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKopt1;rport")
        .header("From", "<sip:probe@127.0.0.1>;tag=p1")
        .header("To", "<sip:127.0.0.1:5070>")
        .header("Call-ID", "opt1")
        .header("CSeq", "1 OPTIONS")
        .build()
        .unwrap();
    net.b.handle_datagram(net.now, addr(5999), options.to_bytes());
    let reply = net.b.poll_transmit().unwrap();
    let reply = Message::parse(reply.payload).unwrap();
    assert_eq!(reply.status_code(), Some(200));
    assert_eq!(reply.header(HeaderName::Allow), Some(ALLOW));
    let via = reply.top_via().unwrap();
    assert_eq!(via.rport(), Some(Some(5999)));
    assert_eq!(via.received(), Some("127.0.0.1"));
}

#[test]
fn requests_of_unknown_dialogs_get_481() {
    let mut net = Net::new();
    let bye = Message::request("BYE", "sip:cc@127.0.0.1:5070")
        .header("Via", "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbye1")
        .header("From", "<sip:x@127.0.0.1>;tag=x1")
        .header("To", "<sip:cc@127.0.0.1>;tag=nosuch")
        .header("Call-ID", "gone")
        .header("CSeq", "2 BYE")
        .build()
        .unwrap();
    net.b.handle_datagram(net.now, addr(5999), bye.to_bytes());
    let reply = Message::parse(net.b.poll_transmit().unwrap().payload).unwrap();
    assert_eq!(reply.status_code(), Some(481));
    assert!(net.b.poll_event().is_none());
}

fn invite_text(branch: &str, extra: &str) -> Vec<u8> {
    format!(
        "INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch={branch}\r\n\
         From: <sip:x@127.0.0.1>;tag=m1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: merged1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:x@127.0.0.1:5999>\r\n{extra}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn reply_to(ua: &mut UserAgent, now: Instant, bytes: Vec<u8>) -> Message {
    ua.handle_datagram(now, addr(5999), bytes);
    Message::parse(ua.poll_transmit().expect("a response").payload).unwrap()
}

#[test]
fn the_section_8_2_checks_refuse_what_we_cannot_take() {
    let mut net = Net::new();
    let now = net.now;
    let ua = &mut net.b;
    let bad_scheme = String::from_utf8(invite_text("z9hG4bKs1", ""))
        .unwrap()
        .replace("INVITE sip:bob@127.0.0.1:5070", "INVITE urn:service:sos");
    assert_eq!(
        reply_to(ua, now, bad_scheme.into_bytes()).status_code(),
        Some(416)
    );
    let required = reply_to(ua, now, invite_text("z9hG4bKs2", "Require: 100rel, foo\r\n"));
    assert_eq!(required.status_code(), Some(420));
    // 100rel is supported (RFC 3262); only the other extension is named.
    assert_eq!(required.header_values_named("Unsupported").next(), Some("foo"));
    let text = String::from_utf8(invite_text("z9hG4bKs3", "Content-Type: text/plain\r\n"))
        .unwrap()
        .replace("Content-Length: 0\r\n\r\n", "Content-Length: 2\r\n\r\nhi");
    let media = reply_to(ua, now, text.into_bytes());
    assert_eq!(media.status_code(), Some(415));
    assert_eq!(
        media.header_values_named("Accept").next(),
        Some("application/sdp")
    );
    assert!(ua.poll_event().is_none(), "no call was offered");
    // The same INVITE by two paths (two branches): the second copy is a merged request.
    ua.handle_datagram(now, addr(5999), invite_text("z9hG4bKm1", ""));
    assert!(matches!(ua.poll_event(), Some(UaEvent::IncomingCall { .. })));
    while ua.poll_transmit().is_some() {}
    let merged = reply_to(ua, now, invite_text("z9hG4bKm2", ""));
    assert_eq!(merged.status_code(), Some(482));
    assert!(ua.poll_event().is_none());
    assert_eq!(ua.stats().incoming_calls, 1);
}

#[test]
fn a_late_offer_is_answered_in_the_ack() {
    let mut net = Net::new();
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    let a_leg = net.a.invite(net.now, call).unwrap();
    net.pump();
    let Some(UaEvent::IncomingCall {
        leg: b_leg,
        sdp: None,
        ..
    }) = net.b_events.pop()
    else {
        panic!("an INVITE without SDP: {:?}", net.b_events);
    };
    // Bob offers in his 200; Alice's agent waits for her answer before it acknowledges.
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(OFFER.as_bytes())))
        .unwrap();
    net.pump();
    assert_eq!(
        net.a_events.pop(),
        Some(UaEvent::Answered {
            leg: a_leg,
            sdp: Some(Bytes::from_static(OFFER.as_bytes()))
        })
    );
    net.run(Duration::from_millis(700));
    assert_eq!(net.sent(5060, "ACK "), 0);
    assert_eq!(net.sent(5070, "SIP/2.0 200 OK"), 2, "Bob retransmits meanwhile");
    assert!(
        net.a_events.is_empty(),
        "a retransmitted 2xx is no second answer: {:?}",
        net.a_events
    );
    net.a
        .ack(net.now, a_leg, Bytes::from_static(ANSWER.as_bytes()))
        .unwrap();
    assert!(net.a.ack(net.now, a_leg, Bytes::new()).is_err(), "one ACK");
    net.pump();
    assert_eq!(
        net.b_events.pop(),
        Some(UaEvent::AckSdp {
            leg: b_leg,
            sdp: Bytes::from_static(ANSWER.as_bytes())
        })
    );
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
    // An ordinary call is acknowledged by the agent, and ack() is refused.
    let (a2, _) = net.established();
    assert!(net.a.ack(net.now, a2, Bytes::new()).is_err());
}

#[test]
fn a_rejected_call_fails_with_the_code() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.call();
    net.b.reject(net.now, b_leg, 486, "Busy Here").unwrap();
    net.pump();
    assert_eq!(
        net.a_events.pop(),
        Some(UaEvent::Failed {
            leg: a_leg,
            code: 486,
            reason: "Busy Here".into()
        })
    );
    assert_eq!(net.b.stats().incoming_calls, 1);
    assert_eq!(net.a.stats().failed, 1);
}

#[test]
fn an_unanswered_incoming_leg_hung_up_gets_487() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.call();
    net.b.hangup(net.now, b_leg).unwrap();
    net.pump();
    assert!(matches!(
        net.a_events.pop(),
        Some(UaEvent::Failed { leg, code: 487, .. }) if leg == a_leg
    ));
}

#[test]
fn an_incoming_call_never_answered_ends_with_timer_c() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.call();
    net.b.ringing(net.now, b_leg).unwrap();
    net.pump();
    net.run(Duration::from_secs(181));
    assert!(net.b_events.contains(&UaEvent::Ended {
        leg: b_leg,
        cause: EndCause::Timeout
    }));
    assert!(net.a_events.contains(&UaEvent::Failed {
        leg: a_leg,
        code: 408,
        reason: "Request Timeout".into()
    }));
    net.run(Duration::from_secs(40));
    assert_eq!(net.b.stats().legs, 0, "the unanswered leg is forgotten");
}

#[test]
fn an_unreachable_callee_times_out_with_408() {
    let mut net = Net::new();
    net.drop = Box::new(|from, _| from.port() == 5060);
    let call = OutgoingCall::new("sip:bob@127.0.0.1:5070", "sip:a@h", "sip:b@h", addr(5070));
    let leg = net.a.invite(net.now, call).unwrap();
    net.run(Duration::from_secs(40));
    assert!(matches!(
        net.a_events.pop(),
        Some(UaEvent::Failed { leg: l, code: 408, .. }) if l == leg
    ));
}

#[test]
fn a_phone_registers_through_a_challenge_and_is_then_called() {
    let mut net = Net::new();
    let registrar = Registrar::new("127.0.0.1", b"secret", net.now, RegistrarConfig::default());
    net.b
        .attach_registrar(registrar, |user: &str| (user == "alice").then(|| "pw".to_owned()));
    let register = |cseq: u32, auth: Option<&str>| {
        let mut b = Message::request("REGISTER", "sip:127.0.0.1")
            .header(
                "Via",
                &format!("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKreg{cseq}"),
            )
            .header("From", "<sip:alice@127.0.0.1>;tag=r1")
            .header("To", "<sip:alice@127.0.0.1>")
            .header("Call-ID", "reg1")
            .header("CSeq", &format!("{cseq} REGISTER"))
            .header("Contact", "<sip:alice@127.0.0.1:5060>")
            .header("Expires", "600");
        if let Some(auth) = auth {
            b = b.header("Authorization", auth);
        }
        b.build().unwrap()
    };
    net.b
        .handle_datagram(net.now, addr(5060), register(1, None).to_bytes());
    let challenge = Message::parse(net.b.poll_transmit().unwrap().payload).unwrap();
    assert_eq!(challenge.status_code(), Some(401));
    let www = challenge.header(HeaderName::WwwAuthenticate).unwrap();
    let auth = answer_challenge(
        &crate::Auth::parse(www, "WWW-Authenticate").unwrap(),
        &ClientRequest {
            username: "alice",
            password: "pw",
            method: "REGISTER",
            uri: "sip:127.0.0.1",
            cnonce: "c0ffee",
            nc: 1,
        },
    )
    .unwrap();
    net.b
        .handle_datagram(net.now, addr(5060), register(2, Some(&auth)).to_bytes());
    let ok = Message::parse(net.b.poll_transmit().unwrap().payload).unwrap();
    assert_eq!(ok.status_code(), Some(200));
    assert_eq!(
        net.b.poll_event(),
        Some(UaEvent::Registered {
            aor: "sip:alice@127.0.0.1".into(),
            contact: "sip:alice@127.0.0.1:5060".into()
        })
    );
    let contacts = net.b.lookup(net.now, "sip:alice@127.0.0.1");
    assert_eq!(contacts, vec!["sip:alice@127.0.0.1:5060".to_owned()]);
    // The center calls the registered phone at its contact.
    let call = OutgoingCall::new(
        &contacts[0],
        "sip:center@127.0.0.1",
        "sip:alice@127.0.0.1",
        addr(5060),
    );
    let leg = net.b.invite(net.now, call).unwrap();
    net.pump();
    assert!(matches!(
        net.a_events.pop(),
        Some(UaEvent::IncomingCall { request_uri, .. }) if request_uri == "sip:alice@127.0.0.1:5060"
    ));
    assert_eq!(net.b.leg_state(leg), Some(LegState::Calling));
    // The binding lapses after 600 s.
    net.run(Duration::from_secs(601));
    assert!(net.b_events.contains(&UaEvent::Unregistered {
        aor: "sip:alice@127.0.0.1".into(),
        contact: "sip:alice@127.0.0.1:5060".into()
    }));
    assert!(net.b.lookup(net.now, "sip:alice@127.0.0.1").is_empty());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKp1;rport\r\n\
        From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: p1\r\nCSeq: 1 INVITE\r\n\
        Contact: <sip:a@127.0.0.1:5999>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn arbitrary_datagrams_never_panic(
            datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8),
            cut in 0usize..INVITE.len(),
            flip in any::<(usize, u8)>(),
        ) {
            let mut ua = UserAgent::new(UaConfig::new(addr(5070)));
            let now = Instant::now();
            for d in datagrams {
                ua.handle_datagram(now, addr(5999), d.clone());
                let _ = ua.handle_stream_message(now, addr(5999), d);
            }
            let mut mutated = INVITE.as_bytes().to_vec();
            mutated.truncate(cut.max(1));
            let i = flip.0 % mutated.len();
            mutated[i] ^= flip.1;
            ua.handle_datagram(now, addr(5999), mutated);
            ua.handle_datagram(now, addr(5999), INVITE.as_bytes().to_vec());
            while let Some(e) = ua.poll_event() {
                if let UaEvent::IncomingCall { leg, .. } = e {
                    let _ = ua.answer(now, leg, None);
                    let _ = ua.hangup(now, leg);
                }
            }
            ua.handle_timeout(now + Duration::from_secs(100));
            while ua.poll_transmit().is_some() {}
        }
    }
}

/// The messages `ua` wants to send now, parsed.
fn drain(ua: &mut UserAgent) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(t) = ua.poll_transmit() {
        out.push(Message::parse(t.payload).unwrap());
    }
    out
}

/// A challenge (401 with WWW-Authenticate or 407 with Proxy-Authenticate) to `request`
/// from `server`, as Bob at 5070 would send it.
fn challenge_for(
    server: &mut crate::auth::DigestServer,
    now: Instant,
    request: &Message,
    code: u16,
) -> Bytes {
    let (header, reason) = if code == 401 {
        ("WWW-Authenticate", "Unauthorized")
    } else {
        ("Proxy-Authenticate", "Proxy Authentication Required")
    };
    let values = server.challenge(now, false);
    let extra: Vec<(&str, &str)> = values.iter().map(|v| (header, v.as_str())).collect();
    UserAgent::simple_response(request, code, reason, "chal", addr(5060), &extra)
        .unwrap()
        .buffer()
        .clone()
}

fn challenged_call(alg: crate::auth::Algorithm, code: u16) {
    use crate::auth::{DigestServer, Verdict};
    let mut net = Net::new();
    let mut server = DigestServer::new("carrier.example", b"secret", net.now).with_algorithms(&[alg]);
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    )
    .with_credentials(Credentials::new("alice", "pw"));
    let a_leg = net.a.invite(net.now, call).unwrap();
    let first = drain(&mut net.a);
    assert_eq!(first.len(), 1);
    let challenge = challenge_for(&mut server, net.now, &first[0], code);
    net.a.handle_datagram(net.now, addr(5070), challenge);
    let out = drain(&mut net.a);
    assert_eq!(out.len(), 2, "ACK for the challenge, then the INVITE again");
    assert_eq!(out[0].method(), Some("ACK"));
    assert_eq!(out[0].cseq().unwrap().seq, 1);
    let again = &out[1];
    assert_eq!(again.method(), Some("INVITE"));
    assert_eq!(again.cseq().unwrap().seq, 2, "a new CSeq");
    assert_eq!(
        again.call_id().unwrap(),
        first[0].call_id().unwrap(),
        "the same Call-ID"
    );
    assert_eq!(
        again.from_header().unwrap().tag(),
        first[0].from_header().unwrap().tag()
    );
    assert_ne!(
        again.top_via().unwrap().branch(),
        first[0].top_via().unwrap().branch(),
        "a new transaction"
    );
    let credentials = if code == 401 {
        assert_eq!(again.proxy_authorization().count(), 0);
        again.authorization().next().unwrap().unwrap()
    } else {
        assert_eq!(again.authorization().count(), 0);
        again.proxy_authorization().next().unwrap().unwrap()
    };
    assert_eq!(credentials.algorithm().as_deref(), Some(alg.name()));
    assert_eq!(credentials.qop().as_deref(), Some("auth"));
    assert_eq!(credentials.nonce_count(), Some(1));
    assert_eq!(credentials.uri().as_deref(), Some("sip:bob@127.0.0.1:5070"));
    let verdict = server.verify(net.now, &credentials, "INVITE", |u| {
        (u == "alice").then(|| "pw".to_owned())
    });
    assert_eq!(
        verdict,
        Verdict::Authenticated {
            username: "alice".to_owned()
        }
    );
    // Bob takes the authenticated INVITE and answers; the call is up.
    net.b.handle_datagram(net.now, addr(5060), again.buffer().clone());
    net.pump();
    let Some(UaEvent::IncomingCall { leg: b_leg, .. }) = net.b_events.pop() else {
        panic!("bob got no call: {:?}", net.b_events)
    };
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert!(matches!(net.a_events.pop(), Some(UaEvent::Answered { leg, .. }) if leg == a_leg));
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    assert_eq!(net.a.stats().auth_retries, 1);
    // The BYE goes in the dialog of the second INVITE (CSeq above 2).
    net.a.hangup(net.now, a_leg).unwrap();
    net.pump();
    assert_eq!(
        net.b_events.pop(),
        Some(UaEvent::Ended {
            leg: b_leg,
            cause: EndCause::RemoteBye
        })
    );
}

#[test]
fn a_407_is_answered_with_proxy_authorization_md5() {
    challenged_call(crate::auth::Algorithm::Md5, 407);
}

#[test]
fn a_401_is_answered_with_authorization_sha256() {
    challenged_call(crate::auth::Algorithm::Sha256, 401);
}

#[test]
fn sha256_is_chosen_when_both_are_offered() {
    use crate::auth::{Algorithm, DigestServer};
    let mut net = Net::new();
    let mut server = DigestServer::new("carrier.example", b"secret", net.now)
        .with_algorithms(&[Algorithm::Md5, Algorithm::Sha256]);
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    )
    .with_credentials(Credentials::new("alice", "pw"));
    net.a.invite(net.now, call).unwrap();
    let first = drain(&mut net.a);
    let challenge = challenge_for(&mut server, net.now, &first[0], 401);
    assert_eq!(
        Message::parse(challenge.clone())
            .unwrap()
            .www_authenticate()
            .count(),
        2
    );
    net.a.handle_datagram(net.now, addr(5070), challenge);
    let out = drain(&mut net.a);
    let credentials = out[1].authorization().next().unwrap().unwrap();
    assert_eq!(credentials.algorithm().as_deref(), Some("SHA-256"));
}

#[test]
fn wrong_credentials_fail_the_call_after_one_retry() {
    use crate::auth::{Algorithm, DigestServer};
    let mut net = Net::new();
    let mut server =
        DigestServer::new("carrier.example", b"secret", net.now).with_algorithms(&[Algorithm::Md5]);
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    )
    .with_credentials(Credentials::new("alice", "wrong"));
    let leg = net.a.invite(net.now, call).unwrap();
    let first = drain(&mut net.a);
    let challenge = challenge_for(&mut server, net.now, &first[0], 407);
    net.a.handle_datagram(net.now, addr(5070), challenge);
    let out = drain(&mut net.a);
    // The server refuses and challenges again (not stale): the call fails with 407.
    let challenge = challenge_for(&mut server, net.now, &out[1], 407);
    net.a.handle_datagram(net.now, addr(5070), challenge);
    let out = drain(&mut net.a);
    assert_eq!(out.len(), 1, "only the ACK: {out:?}");
    assert_eq!(out[0].method(), Some("ACK"));
    assert!(matches!(
        net.a.poll_event(),
        Some(UaEvent::Failed { leg: l, code: 407, .. }) if l == leg
    ));
    assert_eq!(net.a.stats().auth_retries, 1);
}

#[test]
fn a_challenge_without_credentials_fails_the_call() {
    use crate::auth::DigestServer;
    let mut net = Net::new();
    let mut server = DigestServer::new("carrier.example", b"secret", net.now);
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    let leg = net.a.invite(net.now, call).unwrap();
    let first = drain(&mut net.a);
    let challenge = challenge_for(&mut server, net.now, &first[0], 401);
    net.a.handle_datagram(net.now, addr(5070), challenge);
    assert_eq!(drain(&mut net.a).len(), 1);
    assert!(matches!(net.a.poll_event(), Some(UaEvent::Failed { leg: l, code: 401, .. }) if l == leg));
}

/// Net with Bob as a registrar for 127.0.0.1 knowing alice / pw.
fn net_with_registrar() -> Net {
    let mut net = Net::new();
    let registrar = Registrar::new("127.0.0.1", b"secret", net.now, RegistrarConfig::default());
    net.b
        .attach_registrar(registrar, |user: &str| (user == "alice").then(|| "pw".to_owned()));
    net
}

fn alice_registration(expires: u32, password: &str) -> RegisterRequest {
    RegisterRequest::new(addr(5070), "sip:alice@127.0.0.1", expires)
        .with_credentials(Credentials::new("alice", password))
}

#[test]
fn an_outbound_registration_is_challenged_refreshed_with_counted_nonces_and_removed() {
    let mut net = net_with_registrar();
    let t0 = net.now;
    let reg = net.a.register(net.now, alice_registration(240, "pw")).unwrap();
    net.pump();
    assert_eq!(net.sent(5070, "SIP/2.0 401"), 1);
    assert_eq!(
        net.a_events,
        vec![UaEvent::OutboundRegistered {
            registration: reg,
            expires: 240
        }]
    );
    assert_eq!(
        net.b.lookup(net.now, "sip:alice@127.0.0.1"),
        vec!["sip:cc@127.0.0.1:5060".to_owned()]
    );
    assert_eq!(
        net.a.registration_state(reg),
        Some(RegistrationState::Registered {
            expires: 240,
            refresh_at: t0 + Duration::from_secs(120)
        })
    );
    // Refreshes at half the expiry reuse the nonce with the next count: no new challenge
    // while the nonce lives (300 s).
    net.run(Duration::from_secs(121));
    assert_eq!(net.sent(5060, "REGISTER"), 3);
    assert_eq!(net.sent(5070, "SIP/2.0 401"), 1, "the refresh reused the nonce");
    assert_eq!(net.a_events.len(), 2);
    net.run(Duration::from_secs(120));
    assert_eq!(net.sent(5060, "REGISTER"), 4);
    assert_eq!(net.sent(5070, "SIP/2.0 401"), 1);
    // The next refresh (t = 360 s) finds the nonce expired: the registrar says stale and
    // the agent answers the fresh challenge.
    net.run(Duration::from_secs(120));
    assert_eq!(net.sent(5070, "SIP/2.0 401"), 2);
    assert_eq!(net.sent(5060, "REGISTER"), 6);
    assert_eq!(
        net.a_events
            .iter()
            .filter(|e| matches!(e, UaEvent::OutboundRegistered { .. }))
            .count(),
        4
    );
    assert!(
        !net.b_events
            .iter()
            .any(|e| matches!(e, UaEvent::Unregistered { .. })),
        "the binding never lapsed: {:?}",
        net.b_events
    );
    assert_eq!(net.a.stats().auth_retries, 2);
    // Unregister: Expires 0, the binding goes, the registration is forgotten.
    net.a.unregister(net.now, reg).unwrap();
    net.pump();
    assert_eq!(
        net.a_events.last(),
        Some(&UaEvent::OutboundUnregistered { registration: reg })
    );
    assert!(net.b.lookup(net.now, "sip:alice@127.0.0.1").is_empty());
    assert_eq!(net.a.registration_state(reg), None);
    net.run(Duration::from_secs(600));
    assert_eq!(net.sent(5060, "REGISTER"), 7, "nothing more after unregistering");
}

#[test]
fn the_refresh_carries_nonce_count_2_and_the_same_call_id() {
    let mut net = net_with_registrar();
    net.a.register(net.now, alice_registration(240, "pw")).unwrap();
    // REGISTER, 401, REGISTER with nc=1, 200.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let out = drain(&mut net.a);
        for m in &out {
            net.b.handle_datagram(net.now, addr(5060), m.buffer().clone());
        }
        seen.extend(out);
        for m in drain(&mut net.b) {
            net.a.handle_datagram(net.now, addr(5070), m.buffer().clone());
        }
    }
    net.now += Duration::from_secs(120);
    net.a.handle_timeout(net.now);
    let refresh = drain(&mut net.a).pop().unwrap();
    assert_eq!(seen.len(), 2);
    let creds = seen[1].authorization().next().unwrap().unwrap();
    assert_eq!(creds.nonce_count(), Some(1));
    let again = refresh.authorization().next().unwrap().unwrap();
    assert_eq!(again.nonce_count(), Some(2));
    assert_eq!(again.nonce(), creds.nonce());
    assert_ne!(again.cnonce(), creds.cnonce());
    assert_eq!(refresh.call_id().unwrap(), seen[0].call_id().unwrap());
    assert_eq!(refresh.cseq().unwrap().seq, 3);
    assert_eq!(refresh.expires().unwrap(), Some(240));
}

#[test]
fn a_wrong_password_fails_the_registration_and_it_is_retried_later() {
    let mut net = net_with_registrar();
    let reg = net.a.register(net.now, alice_registration(600, "wrong")).unwrap();
    net.pump();
    assert_eq!(
        net.sent(5060, "REGISTER"),
        2,
        "one answer to the challenge, no more"
    );
    assert_eq!(
        net.a_events,
        vec![UaEvent::OutboundRegistrationFailed {
            registration: reg,
            code: 401
        }]
    );
    assert!(matches!(
        net.a.registration_state(reg),
        Some(RegistrationState::Failed { code: 401, .. })
    ));
    net.run(Duration::from_secs(59));
    assert_eq!(net.sent(5060, "REGISTER"), 2);
    net.run(Duration::from_secs(2));
    assert_eq!(net.sent(5060, "REGISTER"), 4, "retried after 60 s");
    assert_eq!(net.a_events.len(), 2);
}

#[test]
fn interval_too_brief_is_asked_again_with_min_expires() {
    let mut net = net_with_registrar();
    let reg = net.a.register(net.now, alice_registration(30, "pw")).unwrap();
    net.pump();
    assert_eq!(net.sent(5070, "SIP/2.0 423"), 1);
    assert_eq!(
        net.a_events,
        vec![UaEvent::OutboundRegistered {
            registration: reg,
            expires: 60
        }]
    );
}

#[test]
fn an_unreachable_registrar_fails_with_408_and_is_retried() {
    let mut net = net_with_registrar();
    net.drop = Box::new(|from, _| from == addr(5060));
    let mut request = alice_registration(600, "pw");
    request.retry_after = Duration::from_secs(10);
    let reg = net.a.register(net.now, request).unwrap();
    net.run(Duration::from_secs(33));
    assert_eq!(
        net.a_events,
        vec![UaEvent::OutboundRegistrationFailed {
            registration: reg,
            code: 408
        }]
    );
    net.drop = Box::new(|_, _| false);
    net.run(Duration::from_secs(11));
    assert_eq!(net.a_events.len(), 2, "{:?}", net.a_events);
    assert!(matches!(
        net.a_events[1],
        UaEvent::OutboundRegistered { expires: 600, .. }
    ));
}

#[test]
fn a_registration_needs_a_sip_address_of_record() {
    let mut net = net_with_registrar();
    let request = RegisterRequest::new(addr(5070), "tel:+861012345", 600);
    assert!(matches!(
        net.a.register(net.now, request),
        Err(Error::InvalidPart {
            part: "address-of-record",
            ..
        })
    ));
    assert!(net.a.poll_transmit().is_none());
    assert!(matches!(
        net.a.unregister(net.now, RegistrationId(9)),
        Err(Error::UnknownRegistration { .. })
    ));
}

fn options_from(port: u16, n: u32, agent: &str) -> Bytes {
    Bytes::from(format!(
        "OPTIONS sip:cc@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKopt{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:x@127.0.0.1>;tag=o{n}\r\nTo: <sip:cc@127.0.0.1>\r\n\
         Call-ID: opt{n}@x\r\nCSeq: 1 OPTIONS\r\nUser-Agent: {agent}\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn guarded(protection: crate::protection::Protection) -> UserAgent {
    let mut config = UaConfig::new(addr(5070));
    config.transaction.seed = 7;
    config.protection = protection;
    UserAgent::new(config)
}

#[test]
fn a_flooding_source_is_banned_and_let_back_after_the_ban() {
    use crate::protection::{Protection, RateLimit};
    let mut ua = guarded(Protection {
        rate_limit: Some(RateLimit {
            requests: 10,
            window: Duration::from_secs(1),
            ban: Duration::from_secs(30),
        }),
        ..Protection::default()
    });
    let t0 = Instant::now();
    let flooder = SocketAddr::from(([192, 0, 2, 66], 5060));
    let phone = SocketAddr::from(([192, 0, 2, 7], 5060));
    let mut answered = 0;
    for n in 0..50 {
        ua.handle_datagram(
            t0 + Duration::from_millis(n * 10),
            flooder,
            options_from(5060, n as u32, "flood"),
        );
        answered += drain(&mut ua).len();
    }
    assert_eq!(answered, 10, "the first 10 are answered, the rest dropped");
    // Another source is served meanwhile.
    ua.handle_datagram(
        t0 + Duration::from_secs(1),
        phone,
        options_from(5060, 100, "phone"),
    );
    assert_eq!(drain(&mut ua).len(), 1);
    // Still banned at 29 s, served again after 30 s.
    ua.handle_datagram(
        t0 + Duration::from_secs(29),
        flooder,
        options_from(5060, 101, "flood"),
    );
    assert!(drain(&mut ua).is_empty());
    ua.handle_datagram(
        t0 + Duration::from_secs(31),
        flooder,
        options_from(5060, 102, "flood"),
    );
    assert_eq!(drain(&mut ua).len(), 1);
    let stats = ua.stats().protection;
    assert_eq!(stats.bans, 1);
    assert_eq!(stats.dropped_banned, 41);
}

#[test]
fn a_scanner_gets_no_answer_at_all() {
    let mut ua = guarded(crate::protection::Protection::default());
    let now = Instant::now();
    ua.handle_datagram(now, addr(5060), options_from(5060, 1, "friendly-scanner"));
    ua.handle_datagram(now, addr(5060), options_from(5060, 2, "sipvicious"));
    assert!(drain(&mut ua).is_empty());
    ua.handle_datagram(now, addr(5060), options_from(5060, 3, "Grandstream GXP1625"));
    assert_eq!(drain(&mut ua).len(), 1);
    assert_eq!(ua.stats().protection.dropped_scanners, 2);
    assert_eq!(
        ua.stats().transactions.received,
        1,
        "scanners never reach the transaction layer"
    );
}

#[test]
fn transactions_per_source_are_capped_until_they_end() {
    use crate::protection::Protection;
    let mut ua = guarded(Protection {
        max_transactions_per_source: Some(3),
        trusted: vec![SocketAddr::from(([10, 0, 0, 1], 5060)).ip()],
        ..Protection::default()
    });
    let t0 = Instant::now();
    let src = SocketAddr::from(([192, 0, 2, 7], 5060));
    let codes = |ua: &mut UserAgent| {
        drain(ua)
            .iter()
            .map(|m| m.status_code().unwrap())
            .collect::<Vec<_>>()
    };
    for n in 0..5 {
        ua.handle_datagram(t0, src, options_from(5060, n, "phone"));
    }
    assert_eq!(codes(&mut ua), vec![200, 200, 200, 503, 503]);
    assert_eq!(ua.stats().protection.rejected_transactions, 2);
    // A trusted source is not capped.
    for n in 10..20 {
        ua.handle_datagram(
            t0,
            SocketAddr::from(([10, 0, 0, 1], 5060)),
            options_from(5060, n, "sbc"),
        );
    }
    assert_eq!(codes(&mut ua), vec![200; 10]);
    // Timer J (64·T1) ends the completed transactions; the source is served again.
    ua.handle_timeout(t0 + Duration::from_secs(33));
    ua.handle_datagram(t0 + Duration::from_secs(33), src, options_from(5060, 30, "phone"));
    assert_eq!(codes(&mut ua), vec![200]);
}

#[test]
fn dialogs_per_source_are_capped_and_freed_when_calls_end() {
    use crate::protection::Protection;
    let mut net = Net::new();
    let mut config = UaConfig::new(addr(5070));
    config.protection = Protection {
        max_dialogs_per_source: Some(2),
        ..Protection::default()
    };
    net.b = UserAgent::new(config);
    let (a1, _) = net.call();
    let (_a2, _) = net.call();
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    let a3 = net.a.invite(net.now, call.clone()).unwrap();
    net.pump();
    assert!(matches!(
        net.a_events.pop(),
        Some(UaEvent::Failed { leg, code: 503, .. }) if leg == a3
    ));
    assert_eq!(net.b.stats().protection.rejected_dialogs, 1);
    // The first call ends (CANCEL before answer): a new call from the source is taken.
    net.a.hangup(net.now, a1).unwrap();
    net.run(Duration::from_secs(1));
    assert!(net.b_events.iter().any(|e| matches!(
        e,
        UaEvent::Ended {
            cause: EndCause::RemoteCancel,
            ..
        }
    )));
    net.a.invite(net.now, call).unwrap();
    net.pump();
    assert!(matches!(net.b_events.pop(), Some(UaEvent::IncomingCall { .. })));
}

/// A reliable provisional response (`code`, RSeq `rseq`) to `invite` from Bob, with
/// the dialog tag `b1`.
fn reliable_provisional(invite: &Message, code: u16, rseq: u32) -> Bytes {
    let extra = [
        ("Require", "100rel"),
        ("RSeq", &*rseq.to_string()),
        ("Contact", "<sip:bob@127.0.0.1:5070>"),
    ];
    UserAgent::simple_response(invite, code, "Session Progress", "b1", addr(5060), &extra)
        .unwrap()
        .buffer()
        .clone()
}

#[test]
fn reliable_provisionals_are_pracked_once_each() {
    let mut net = Net::new();
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    let leg = net.a.invite(net.now, call).unwrap();
    let invite = drain(&mut net.a).pop().unwrap();
    assert!(invite.supports("100rel"), "the INVITE offers 100rel");
    assert!(invite.header(HeaderName::Allow).unwrap().contains("PRACK"));
    net.a
        .handle_datagram(net.now, addr(5070), reliable_provisional(&invite, 183, 7));
    let out = drain(&mut net.a);
    assert_eq!(out.len(), 1);
    let prack = &out[0];
    assert_eq!(prack.method(), Some("PRACK"));
    assert_eq!(prack.header(HeaderName::RAck), Some("7 1 INVITE"));
    assert_eq!(prack.cseq().unwrap().seq, 2);
    assert_eq!(
        prack.to_header().unwrap().tag(),
        Some("b1"),
        "in the early dialog"
    );
    assert_eq!(
        prack.request_uri_str(),
        Some("sip:bob@127.0.0.1:5070"),
        "to the remote target"
    );
    assert!(matches!(
        net.a.poll_event(),
        Some(UaEvent::Progress { code: 183, .. })
    ));
    // The same 183 again (the UAS has not seen our PRACK yet): no second PRACK, no event.
    net.a
        .handle_datagram(net.now, addr(5070), reliable_provisional(&invite, 183, 7));
    assert!(drain(&mut net.a).is_empty());
    assert_eq!(net.a.poll_event(), None);
    // The next reliable provisional gets its own PRACK.
    net.a
        .handle_datagram(net.now, addr(5070), reliable_provisional(&invite, 180, 8));
    let out = drain(&mut net.a);
    assert_eq!(out[0].header(HeaderName::RAck), Some("8 1 INVITE"));
    assert_eq!(out[0].cseq().unwrap().seq, 3);
    assert_eq!(net.a.poll_event(), Some(UaEvent::Ringing { leg }));
    assert_eq!(net.a.stats().pracks_sent, 2);
    // An unreliable provisional gets no PRACK.
    let plain = UserAgent::simple_response(&invite, 180, "Ringing", "b1", addr(5060), &[]).unwrap();
    net.a.handle_datagram(net.now, addr(5070), plain.buffer().clone());
    assert!(drain(&mut net.a).is_empty());
}

/// Alice calls Bob with `Require: 100rel`; returns (alice's leg, bob's leg).
fn call_requiring_100rel(net: &mut Net) -> (LegId, LegId) {
    let mut call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    call.sdp = Some(Bytes::from_static(OFFER.as_bytes()));
    call.headers.push(("Require".into(), "100rel".into()));
    let a_leg = net.a.invite(net.now, call).unwrap();
    net.pump();
    let Some(UaEvent::IncomingCall { leg: b_leg, .. }) = net.b_events.pop() else {
        panic!(
            "no 420 for Require: 100rel: {:?} {:?}",
            net.b_events, net.a_events
        )
    };
    (a_leg, b_leg)
}

#[test]
fn an_invite_requiring_100rel_gets_reliable_provisionals_one_at_a_time() {
    let mut net = Net::new();
    let (a_leg, b_leg) = call_requiring_100rel(&mut net);
    // Two provisionals at once: the 183 waits for the PRACK of the 180.
    net.b.ringing(net.now, b_leg).unwrap();
    net.b
        .progress(net.now, b_leg, 183, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    let out = drain(&mut net.b);
    assert_eq!(out.len(), 1, "only the 180 goes before its PRACK: {out:?}");
    // (The 180 was dropped above: its retransmission at T1 carries it.)
    net.run(Duration::from_millis(600));
    assert_eq!(
        net.sent(5060, "PRACK"),
        2,
        "one PRACK for each reliable provisional"
    );
    assert_eq!(net.sent(5070, "SIP/2.0 183"), 1);
    assert_eq!(
        net.a_events,
        vec![
            UaEvent::Ringing { leg: a_leg },
            UaEvent::Progress {
                leg: a_leg,
                code: 183,
                sdp: Some(Bytes::from_static(ANSWER.as_bytes()))
            }
        ]
    );
    // Both acknowledged: no more retransmissions.
    let provisionals = net.sent(5070, "SIP/2.0 18");
    net.run(Duration::from_secs(5));
    assert_eq!(net.sent(5070, "SIP/2.0 18"), provisionals, "{:?}", net.log);
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
}

#[test]
fn a_reliable_provisional_never_pracked_ends_the_call_with_504() {
    let mut net = Net::new();
    let (a_leg, b_leg) = call_requiring_100rel(&mut net);
    net.drop = Box::new(|_, text| text.starts_with("PRACK"));
    net.b.ringing(net.now, b_leg).unwrap();
    net.run(Duration::from_secs(33));
    assert!(
        net.sent(5070, "SIP/2.0 180") >= 6,
        "retransmitted until 64·T1: {:?}",
        net.log
    );
    assert_eq!(net.sent(5070, "SIP/2.0 504"), 1);
    assert!(net.b_events.contains(&UaEvent::Ended {
        leg: b_leg,
        cause: EndCause::Timeout
    }));
    assert!(
        matches!(net.a_events.last(), Some(UaEvent::Failed { code: 504, .. })),
        "{:?}",
        net.a_events
    );
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Ended));
}

#[test]
fn a_prack_that_matches_nothing_gets_481_and_supported_100rel_changes_nothing() {
    let mut net = Net::new();
    // Supported (not Require): plain provisionals, no RSeq.
    let (_, b_leg) = net.call();
    net.b.ringing(net.now, b_leg).unwrap();
    let ringing = drain(&mut net.b).pop().unwrap();
    assert_eq!(ringing.rseq().unwrap(), None);
    assert!(
        !ringing
            .header_values(HeaderName::Require)
            .any(|v| v.contains("100rel"))
    );
    net.a
        .handle_datagram(net.now, addr(5070), ringing.buffer().clone());
    net.pump();
    assert_eq!(net.sent(5060, "PRACK"), 0);
    // A PRACK in the early dialog that acknowledges nothing.
    let Some(d) = net.a.legs.values().find_map(|l| l.dialog.clone()) else {
        panic!("alice has an early dialog")
    };
    let via = net.a.via(Transport::Udp);
    let prack = net.a.dialogs.get_mut(&d).unwrap().request("PRACK", &via).unwrap();
    let prack = prack.header("RAck", "1 1 INVITE").build().unwrap();
    let reply = reply_to(&mut net.b, net.now, prack.to_bytes().to_vec());
    assert_eq!(reply.status_code(), Some(481));
}

#[test]
fn challenged_in_dialog_requests_are_sent_again_with_credentials_once() {
    use crate::auth::{Algorithm, DigestServer, Verdict};
    let mut net = Net::new();
    let mut server =
        DigestServer::new("carrier.example", b"secret", net.now).with_algorithms(&[Algorithm::Sha256]);
    let call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    )
    .with_credentials(Credentials::new("alice", "pw"));
    let a_leg = net.a.invite(net.now, call).unwrap();
    net.pump();
    let Some(UaEvent::IncomingCall { leg: b_leg, .. }) = net.b_events.pop() else {
        panic!("no call")
    };
    net.b.answer(net.now, b_leg, None).unwrap();
    net.pump();
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    // INFO challenged with 401: sent again with Authorization and the dialog's next CSeq.
    net.a.send_info_dtmf(net.now, a_leg, '5', 160).unwrap();
    let info = drain(&mut net.a).pop().unwrap();
    assert_eq!(info.cseq().unwrap().seq, 2);
    let challenge = challenge_for(&mut server, net.now, &info, 401);
    net.a.handle_datagram(net.now, addr(5070), challenge);
    let out = drain(&mut net.a);
    assert_eq!(out.len(), 1, "{out:?}");
    let again = &out[0];
    assert_eq!(again.method(), Some("INFO"));
    assert_eq!(again.cseq().unwrap().seq, 3);
    assert_eq!(again.body(), info.body());
    let creds = again.authorization().next().unwrap().unwrap();
    let verdict = server.verify(net.now, &creds, "INFO", |u| {
        (u == "alice").then(|| "pw".to_owned())
    });
    assert_eq!(
        verdict,
        Verdict::Authenticated {
            username: "alice".to_owned()
        }
    );
    net.b.handle_datagram(net.now, addr(5060), again.buffer().clone());
    net.pump();
    assert!(net.b_events.contains(&UaEvent::Dtmf {
        leg: b_leg,
        digit: '5'
    }));
    // BYE challenged with 407: once again with Proxy-Authorization, not a third time.
    net.a.hangup(net.now, a_leg).unwrap();
    let bye = drain(&mut net.a).pop().unwrap();
    assert_eq!(bye.cseq().unwrap().seq, 4);
    net.a.handle_datagram(
        net.now,
        addr(5070),
        challenge_for(&mut server, net.now, &bye, 407),
    );
    let out = drain(&mut net.a);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].method(), Some("BYE"));
    assert_eq!(out[0].cseq().unwrap().seq, 5);
    assert_eq!(out[0].proxy_authorization().count(), 1);
    net.a.handle_datagram(
        net.now,
        addr(5070),
        challenge_for(&mut server, net.now, &out[0], 407),
    );
    assert!(
        drain(&mut net.a).is_empty(),
        "the same challenge is not answered twice"
    );
    assert_eq!(net.a.stats().auth_retries, 2);
}

#[test]
fn a_registrar_that_forgot_its_nonces_gets_a_fresh_answer_on_refresh() {
    let mut net = net_with_registrar();
    let reg = net.a.register(net.now, alice_registration(240, "pw")).unwrap();
    net.pump();
    assert_eq!(net.a_events.len(), 1);
    // The registrar restarts with another secret: the reused nonce is unknown to it, so
    // it challenges afresh (not stale); the refresh answers that challenge.
    let mut config = UaConfig::new(addr(5070));
    config.transaction.seed = 9;
    net.b = UserAgent::new(config);
    let registrar = Registrar::new(
        "127.0.0.1",
        b"another secret",
        net.now,
        RegistrarConfig::default(),
    );
    net.b
        .attach_registrar(registrar, |user: &str| (user == "alice").then(|| "pw".to_owned()));
    net.run(Duration::from_secs(121));
    assert_eq!(net.sent(5070, "SIP/2.0 401"), 2);
    assert_eq!(net.sent(5060, "REGISTER"), 4);
    assert_eq!(
        net.a_events.last(),
        Some(&UaEvent::OutboundRegistered {
            registration: reg,
            expires: 240
        })
    );
    assert_eq!(
        net.b.lookup(net.now, "sip:alice@127.0.0.1"),
        vec!["sip:cc@127.0.0.1:5060".to_owned()]
    );
}

mod prack_sdp;
mod session_timers;
mod transfer;
mod update;

#[test]
fn an_options_probe_is_answered_or_times_out() {
    let mut net = Net::new();
    let probe = net
        .a
        .probe(net.now, addr(5070), "sip:127.0.0.1:5070", Transport::Udp)
        .unwrap();
    net.pump();
    assert_eq!(net.sent(5060, "OPTIONS sip:127.0.0.1:5070"), 1);
    assert_eq!(net.sent(5070, "SIP/2.0 200"), 1);
    assert!(
        matches!(
            net.a_events.as_slice(),
            [UaEvent::ProbeAnswered { probe: p, code: 200, rtt: Some(_) }] if *p == probe
        ),
        "{:?}",
        net.a_events
    );
    assert!(probe_alive(200, Some(Duration::ZERO)));

    // A peer that never answers: 408 after timer F, and not alive.
    net.a_events.clear();
    net.drop = Box::new(|from, _| from == addr(5060));
    let lost = net
        .a
        .probe(net.now, addr(5070), "sip:127.0.0.1:5070", Transport::Udp)
        .unwrap();
    net.run(Duration::from_secs(33));
    assert_eq!(
        net.a_events,
        vec![UaEvent::ProbeAnswered {
            probe: lost,
            code: 408,
            rtt: None
        }]
    );
    assert!(!probe_alive(408, None));
    assert!(
        net.a
            .probe(net.now, addr(5070), "not a uri", Transport::Udp)
            .is_err()
    );
}
