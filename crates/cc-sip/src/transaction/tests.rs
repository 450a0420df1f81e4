//! State-machine tests on virtual time: every timer, the retransmission schedules,
//! absorption of retransmissions, CANCEL and ACK matching, 100 Trying timing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;

fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 7], 5060))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn request(method: &str, branch: &str) -> Message {
    let text = format!(
        "{method} sip:bob@192.0.2.9 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.7:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@192.0.2.7>;tag=fa\r\n\
         To: <sip:bob@192.0.2.9>\r\n\
         Call-ID: call-1@192.0.2.7\r\n\
         CSeq: 1 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    Message::parse(text).unwrap()
}

fn response(req: &Message, code: u16, to_tag: Option<&str>) -> Message {
    messages::response_to(req, code, "Reason", to_tag, &[]).unwrap()
}

/// Everything sent and every event, drained.
fn drain(l: &mut TransactionLayer) -> (Vec<Transmit>, Vec<Event>) {
    let mut tx = vec![];
    while let Some(t) = l.poll_transmit() {
        tx.push(t);
    }
    let mut ev = vec![];
    while let Some(e) = l.poll_event() {
        ev.push(e);
    }
    (tx, ev)
}

/// Runs timers up to `until`; returns (offset from `t0`, transmit) for each send.
fn run_until(
    l: &mut TransactionLayer,
    t0: Instant,
    until: Instant,
) -> (Vec<(Duration, Transmit)>, Vec<Event>) {
    let mut sent = vec![];
    let mut events = vec![];
    while let Some(at) = l.poll_timeout() {
        if at > until {
            break;
        }
        l.handle_timeout(at);
        let (tx, ev) = drain(l);
        sent.extend(tx.into_iter().map(|t| (at - t0, t)));
        events.extend(ev);
    }
    (sent, events)
}

fn offsets(sent: &[(Duration, Transmit)]) -> Vec<u128> {
    sent.iter().map(|(d, _)| d.as_millis()).collect()
}

fn starts(t: &Transmit, prefix: &str) -> bool {
    t.payload.starts_with(prefix.as_bytes())
}

#[test]
fn client_non_invite_retransmits_doubling_to_t2_then_timer_f() {
    let mut l = TransactionLayer::new(Config::default());
    let t0 = Instant::now();
    let id = l
        .send_request(t0, peer(), false, request("OPTIONS", "z9hG4bKn1"))
        .unwrap();
    let (tx, _) = drain(&mut l);
    assert_eq!(tx.len(), 1);
    assert_eq!(
        l.state(id),
        Some(State::ClientNonInvite(ClientNonInviteState::Trying))
    );
    let (sent, events) = run_until(&mut l, t0, t0 + Duration::from_secs(40));
    // E: 0.5, 1, 2, 4, 4, 4... until F at 64*T1 = 32 s.
    assert_eq!(
        offsets(&sent),
        [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(events, [Event::Timeout { id }, Event::Terminated { id }]);
    assert!(l.is_empty());
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn client_non_invite_proceeding_retransmits_every_t2_and_completed_absorbs() {
    let mut l = TransactionLayer::new(Config::default());
    let t0 = Instant::now();
    let req = request("REGISTER", "z9hG4bKn2");
    let id = l.send_request(t0, peer(), false, req.clone()).unwrap();
    drain(&mut l);
    l.handle_message(t0 + ms(100), peer(), false, response(&req, 100, None));
    let (_, ev) = drain(&mut l);
    assert!(matches!(ev.as_slice(), [Event::Response { .. }]));
    assert_eq!(
        l.state(id),
        Some(State::ClientNonInvite(ClientNonInviteState::Proceeding))
    );
    // First E was armed in Trying (0.5 s); after that, T2 apart.
    let (sent, _) = run_until(&mut l, t0, t0 + ms(9000));
    assert_eq!(offsets(&sent), [500, 4500, 8500]);
    let ok = response(&req, 200, Some("tb"));
    l.handle_message(t0 + ms(9000), peer(), false, ok.clone());
    let (_, ev) = drain(&mut l);
    assert!(matches!(ev.as_slice(), [Event::Response { .. }]));
    assert_eq!(
        l.state(id),
        Some(State::ClientNonInvite(ClientNonInviteState::Completed))
    );
    // A retransmitted 200 is absorbed; timer K (T4 = 5 s) ends the transaction.
    l.handle_message(t0 + ms(9100), peer(), false, ok);
    assert_eq!(drain(&mut l), (vec![], vec![]));
    let (sent, ev) = run_until(&mut l, t0, t0 + ms(14_000));
    assert!(sent.is_empty());
    assert_eq!(ev, [Event::Terminated { id }]);
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn reliable_transports_never_retransmit_and_skip_the_wait_states() {
    let mut l = TransactionLayer::new(Config::default());
    let t0 = Instant::now();
    let req = request("OPTIONS", "z9hG4bKr1");
    let id = l.send_request(t0, peer(), true, req.clone()).unwrap();
    let (tx, _) = drain(&mut l);
    assert!(tx.iter().all(|t| t.reliable));
    assert_eq!(
        l.poll_timeout(),
        Some(t0 + Duration::from_secs(32)),
        "only timer F"
    );
    l.handle_message(t0 + ms(10), peer(), true, response(&req, 200, Some("x")));
    let (_, ev) = drain(&mut l);
    assert_eq!(ev.last(), Some(&Event::Terminated { id }), "K is zero");
    // Server side: J is zero.
    let mut s = TransactionLayer::new(Config::default());
    s.handle_message(t0, peer(), true, req.clone());
    let (_, ev) = drain(&mut s);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!("{ev:?}")
    };
    s.send_response(t0, id, &response(&req, 200, Some("y"))).unwrap();
    let (_, ev) = drain(&mut s);
    assert_eq!(ev, [Event::Terminated { id }]);
}

#[test]
fn client_invite_timer_a_doubles_without_cap_and_timer_b_times_out() {
    let mut l = TransactionLayer::new(Config::default());
    let t0 = Instant::now();
    let id = l
        .send_request(t0, peer(), false, request("INVITE", "z9hG4bKi1"))
        .unwrap();
    drain(&mut l);
    let (sent, events) = run_until(&mut l, t0, t0 + Duration::from_secs(40));
    assert_eq!(offsets(&sent), [500, 1500, 3500, 7500, 15_500, 31_500]);
    assert_eq!(events, [Event::Timeout { id }, Event::Terminated { id }]);
}

#[test]
fn client_invite_acks_non_2xx_on_the_same_branch_and_reacks_retransmissions() {
    let mut l = TransactionLayer::new(Config::default());
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKi2");
    let id = l.send_request(t0, peer(), false, req.clone()).unwrap();
    drain(&mut l);
    l.handle_message(t0 + ms(50), peer(), false, response(&req, 180, Some("tb")));
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty());
    assert!(matches!(ev.as_slice(), [Event::Response { .. }]));
    // No retransmissions in Proceeding.
    let (sent, _) = run_until(&mut l, t0, t0 + ms(5000));
    assert!(sent.is_empty());
    let busy = response(&req, 486, Some("tb"));
    l.handle_message(t0 + ms(5000), peer(), false, busy.clone());
    let (tx, ev) = drain(&mut l);
    assert_eq!(tx.len(), 1);
    let ack = Message::parse(tx[0].payload.clone()).unwrap();
    ack.validate().unwrap();
    assert_eq!(ack.method(), Some("ACK"));
    assert_eq!(ack.top_via().unwrap().branch(), Some("z9hG4bKi2"));
    assert_eq!(ack.to_header().unwrap().tag(), Some("tb"));
    assert_eq!(ack.cseq().unwrap().seq, 1);
    assert!(
        matches!(ev.as_slice(), [Event::Response { response, .. }] if response.status_code() == Some(486))
    );
    assert_eq!(
        l.state(id),
        Some(State::ClientInvite(ClientInviteState::Completed))
    );
    l.handle_message(t0 + ms(5500), peer(), false, busy);
    let (tx, ev) = drain(&mut l);
    assert_eq!(tx.len(), 1, "the retransmitted 486 is acknowledged again");
    assert_eq!(tx[0].payload, ack.to_bytes());
    assert!(ev.is_empty(), "and not passed up");
    // Timer D: 32 s.
    let (_, ev) = run_until(&mut l, t0, t0 + ms(37_000));
    assert_eq!(ev, [Event::Terminated { id }]);
    assert_eq!(l.stats().retransmissions, 1);
}

#[test]
fn client_invite_accepts_2xx_and_passes_retransmissions_up_until_timer_m() {
    let mut l = TransactionLayer::new(Config::default());
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKi3");
    let id = l.send_request(t0, peer(), false, req.clone()).unwrap();
    drain(&mut l);
    let ok = response(&req, 200, Some("tb"));
    l.handle_message(t0 + ms(100), peer(), false, ok.clone());
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty(), "the ACK for a 2xx belongs to the TU");
    assert_eq!(ev.len(), 1);
    assert_eq!(
        l.state(id),
        Some(State::ClientInvite(ClientInviteState::Accepted))
    );
    l.handle_message(t0 + ms(600), peer(), false, ok);
    let (_, ev) = drain(&mut l);
    assert!(matches!(ev.as_slice(), [Event::Response { .. }]));
    let (_, ev) = run_until(&mut l, t0, t0 + ms(32_100));
    assert_eq!(ev, [Event::Terminated { id }]);
}

#[test]
fn server_invite_sends_100_trying_after_200ms_only_for_a_silent_tu() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs1");
    // Silent TU: 100 at 200 ms.
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, req.clone());
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty());
    assert!(matches!(ev.as_slice(), [Event::Request { .. }]));
    assert_eq!(l.poll_timeout(), Some(t0 + ms(200)));
    let (sent, _) = run_until(&mut l, t0, t0 + ms(300));
    assert_eq!(offsets(&sent), [200]);
    assert!(starts(&sent[0].1, "SIP/2.0 100 Trying"));
    // A retransmitted INVITE gets the last provisional response again.
    l.handle_message(t0 + ms(500), peer(), false, req.clone());
    let (tx, ev) = drain(&mut l);
    assert!(ev.is_empty(), "retransmissions are not passed up");
    assert_eq!(tx.len(), 1);
    assert!(starts(&tx[0], "SIP/2.0 100 Trying"));

    // A TU that rings within 200 ms: no 100.
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, req.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!()
    };
    l.send_response(t0 + ms(150), id, &response(&req, 180, Some("tb")))
        .unwrap();
    let (tx, _) = drain(&mut l);
    assert!(starts(&tx[0], "SIP/2.0 180"));
    let (sent, _) = run_until(&mut l, t0, t0 + ms(1000));
    assert!(sent.is_empty());
}

#[test]
fn server_invite_retransmits_non_2xx_on_timer_g_until_the_ack_then_timer_i() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs2");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, req.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!()
    };
    l.send_response(t0 + ms(10), id, &response(&req, 486, Some("tb")))
        .unwrap();
    drain(&mut l);
    assert_eq!(
        l.state(id),
        Some(State::ServerInvite(ServerInviteState::Completed))
    );
    let (sent, _) = run_until(&mut l, t0, t0 + ms(12_000));
    // G: T1 doubling to T2 from 10 ms.
    assert_eq!(offsets(&sent), [510, 1510, 3510, 7510, 11_510]);
    assert!(sent.iter().all(|(_, t)| starts(t, "SIP/2.0 486")));
    // A retransmitted INVITE gets the 486 at once.
    l.handle_message(t0 + ms(12_000), peer(), false, req.clone());
    let (tx, _) = drain(&mut l);
    assert_eq!(tx.len(), 1);
    // The ACK (To tag of our response, same branch) confirms.
    let ack = messages::ack_for(&req, &response(&req, 486, Some("tb"))).unwrap();
    l.handle_message(t0 + ms(12_100), peer(), false, ack.clone());
    assert_eq!(drain(&mut l), (vec![], vec![]));
    assert_eq!(
        l.state(id),
        Some(State::ServerInvite(ServerInviteState::Confirmed))
    );
    l.handle_message(t0 + ms(12_200), peer(), false, ack);
    assert_eq!(drain(&mut l), (vec![], vec![]), "retransmitted ACKs are absorbed");
    let (sent, ev) = run_until(&mut l, t0, t0 + ms(17_100));
    assert!(sent.is_empty());
    assert_eq!(ev, [Event::Terminated { id }], "timer I = T4");
}

#[test]
fn server_invite_timer_h_fires_without_an_ack() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs3");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, req.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!()
    };
    l.send_response(t0, id, &response(&req, 603, Some("tb"))).unwrap();
    drain(&mut l);
    let (_, ev) = run_until(&mut l, t0, t0 + Duration::from_secs(33));
    assert_eq!(ev, [Event::Timeout { id }, Event::Terminated { id }]);
    assert!(l.send_response(t0, id, &response(&req, 200, None)).is_err());
}

#[test]
fn server_invite_2xx_is_accepted_and_the_tu_retransmits_it_until_timer_l() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs4");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, req.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!()
    };
    let ok = response(&req, 200, Some("tb"));
    l.send_response(t0, id, &ok.clone()).unwrap();
    assert_eq!(
        l.state(id),
        Some(State::ServerInvite(ServerInviteState::Accepted))
    );
    l.handle_message(t0 + ms(100), peer(), false, req.clone());
    let (tx, ev) = drain(&mut l);
    assert_eq!(tx.len(), 1, "only the TU's own 2xx");
    assert!(ev.is_empty(), "a retransmitted INVITE is absorbed");
    l.send_response(t0 + ms(500), id, &ok).unwrap();
    assert_eq!(drain(&mut l).0.len(), 1);
    let (_, ev) = run_until(&mut l, t0, t0 + ms(32_000));
    assert_eq!(ev, [Event::Terminated { id }]);
}

#[test]
fn server_non_invite_absorbs_then_answers_retransmissions_until_timer_j() {
    let t0 = Instant::now();
    let req = request("OPTIONS", "z9hG4bKs5");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, req.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, remote, .. }) = ev.first().cloned() else {
        panic!()
    };
    assert_eq!(remote, peer());
    l.handle_message(t0 + ms(500), peer(), false, req.clone());
    assert_eq!(drain(&mut l), (vec![], vec![]), "absorbed in Trying");
    l.send_response(t0 + ms(600), id, &response(&req, 200, Some("tb")))
        .unwrap();
    let (tx, _) = drain(&mut l);
    assert_eq!(tx[0].destination, peer());
    l.handle_message(t0 + ms(1500), peer(), false, req.clone());
    let (tx, ev) = drain(&mut l);
    assert!(ev.is_empty());
    assert!(starts(&tx[0], "SIP/2.0 200"));
    assert!(l.send_response(t0, id, &response(&req, 500, None)).is_err());
    let (_, ev) = run_until(&mut l, t0, t0 + ms(32_599));
    assert!(ev.is_empty());
    let (_, ev) = run_until(&mut l, t0, t0 + ms(32_600));
    assert_eq!(ev, [Event::Terminated { id }]);
}

#[test]
fn a_silent_tu_is_bounded_by_timer_c() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, request("OPTIONS", "z9hG4bKc1"));
    l.handle_message(t0, peer(), false, request("INVITE", "z9hG4bKc2"));
    drain(&mut l);
    let (sent, ev) = run_until(&mut l, t0, t0 + Duration::from_secs(400));
    // OPTIONS: timer C (64*T1); INVITE: timer C (3 min) sends 408, then timer H finds no ACK.
    assert_eq!(
        ev.iter().filter(|e| matches!(e, Event::Timeout { .. })).count(),
        3
    );
    assert!(
        sent.iter()
            .any(|(d, t)| d.as_secs() == 180 && starts(t, "SIP/2.0 408"))
    );
    assert!(l.is_empty());
}

#[test]
fn cancel_matches_the_invite_and_gets_200_with_its_to_tag() {
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKx1");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, invite.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!()
    };
    l.send_response(t0, id, &response(&invite, 180, Some("tb")))
        .unwrap();
    drain(&mut l);
    let cancel = messages::cancel_for(&invite).unwrap();
    l.handle_message(t0 + ms(100), peer(), false, cancel.clone());
    let (tx, ev) = drain(&mut l);
    assert_eq!(tx.len(), 1);
    let ok = Message::parse(tx[0].payload.clone()).unwrap();
    assert_eq!(ok.status_code(), Some(200));
    assert_eq!(ok.cseq().unwrap().method, "CANCEL");
    assert_eq!(ok.to_header().unwrap().tag(), Some("tb"));
    assert!(matches!(ev.as_slice(), [Event::Cancelled { invite: i, .. }] if *i == id));
    // The TU answers the INVITE with 487.
    l.send_response(t0 + ms(100), id, &response(&invite, 487, Some("tb")))
        .unwrap();
    // A CANCEL for an unknown INVITE gets 481, and its retransmission 481 again.
    let stray = messages::cancel_for(&request("INVITE", "z9hG4bKnone")).unwrap();
    drain(&mut l);
    l.handle_message(t0, peer(), false, stray.clone());
    l.handle_message(t0 + ms(500), peer(), false, stray);
    let (tx, ev) = drain(&mut l);
    assert_eq!(tx.len(), 2);
    assert!(tx.iter().all(|t| starts(t, "SIP/2.0 481")));
    assert!(ev.is_empty());
    assert_eq!(l.stats().stray_cancels, 1);
}

#[test]
fn client_cancel_waits_for_a_provisional_and_shares_the_branch() {
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKx2");
    let mut l = TransactionLayer::new(Config::default());
    let id = l.send_request(t0, peer(), false, invite.clone()).unwrap();
    drain(&mut l);
    let cancel = l.cancel(t0 + ms(10), id).unwrap();
    assert_eq!(
        l.state(cancel),
        Some(State::ClientNonInvite(ClientNonInviteState::Waiting))
    );
    assert!(
        drain(&mut l).0.is_empty(),
        "no CANCEL before a provisional response"
    );
    assert!(l.cancel(t0, id).is_err(), "once");
    l.handle_message(t0 + ms(100), peer(), false, response(&invite, 180, Some("tb")));
    let (tx, _) = drain(&mut l);
    assert_eq!(tx.len(), 1);
    let c = Message::parse(tx[0].payload.clone()).unwrap();
    assert_eq!(c.method(), Some("CANCEL"));
    assert_eq!(c.top_via().unwrap().branch(), Some("z9hG4bKx2"));
    let cancel_req = l.request(cancel).unwrap().clone();
    l.handle_message(
        t0 + ms(200),
        peer(),
        false,
        response(&cancel_req, 200, Some("tb")),
    );
    let (_, ev) = drain(&mut l);
    assert!(matches!(ev.as_slice(), [Event::Response { id: c, .. }] if *c == cancel));
    l.handle_message(t0 + ms(300), peer(), false, response(&invite, 487, Some("tb")));
    let (tx, ev) = drain(&mut l);
    assert!(starts(&tx[0], "ACK "));
    assert!(matches!(ev.as_slice(), [Event::Response { id: i, .. }] if *i == id));

    // A CANCEL still waiting when a final response arrives is dropped unsent.
    let invite = request("INVITE", "z9hG4bKx3");
    let id = l.send_request(t0, peer(), false, invite.clone()).unwrap();
    let cancel = l.cancel(t0, id).unwrap();
    drain(&mut l);
    l.handle_message(t0 + ms(100), peer(), false, response(&invite, 200, Some("tb")));
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty());
    assert!(ev.contains(&Event::Terminated { id: cancel }));
}

#[test]
fn stray_messages_go_to_the_tu_or_get_the_rfc_answer() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config::default());
    let invite = request("INVITE", "z9hG4bKy1");
    let ack = messages::ack_for(&invite, &response(&invite, 200, Some("t"))).unwrap();
    l.handle_message(t0, peer(), false, ack);
    l.handle_message(t0, peer(), false, response(&invite, 200, Some("t")));
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty());
    assert!(matches!(
        ev.as_slice(),
        [Event::Ack { .. }, Event::StrayResponse { .. }]
    ));
    assert!(l.is_empty());
}

#[test]
fn malformed_requests_get_400_naming_the_problem_and_garbage_is_counted() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config::default());
    let bad = request("OPTIONS", "z9hG4bKm1")
        .to_string()
        .replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    l.handle_datagram(t0, peer(), bad.into_bytes());
    let (tx, ev) = drain(&mut l);
    assert!(ev.is_empty());
    let resp = Message::parse(tx[0].payload.clone()).unwrap();
    assert_eq!(resp.status_code(), Some(400));
    assert!(resp.reason_phrase().unwrap().contains("CSeq method"), "{resp}");
    assert!(resp.to_header().unwrap().tag().is_some());
    // The parser gives up on a bad header line; the raw lines still address a 400.
    let broken = request("OPTIONS", "z9hG4bKm2")
        .to_string()
        .replace("Max-Forwards: 70\r\n", "Max-Forwards 70\r\n");
    l.handle_datagram(t0, peer(), broken.into_bytes());
    let (tx, _) = drain(&mut l);
    let resp = Message::parse(tx[0].payload.clone()).unwrap();
    assert_eq!(resp.status_code(), Some(400));
    assert!(
        resp.reason_phrase().unwrap().contains("Max-Forwards 70"),
        "{resp}"
    );
    let v3 = request("OPTIONS", "z9hG4bKm3")
        .to_string()
        .replace("SIP/2.0\r\n", "SIP/3.0\r\n");
    l.handle_datagram(t0, peer(), v3.into_bytes());
    let (tx, _) = drain(&mut l);
    assert!(
        starts(&tx[0], "SIP/2.0 505 Version Not Supported"),
        "{:?}",
        tx[0].payload
    );
    l.handle_datagram(t0, peer(), &b"\x00\xffnot sip at all"[..]);
    l.handle_datagram(t0, peer(), &b"\r\n\r\n"[..]);
    let (tx, ev) = drain(&mut l);
    assert!(tx.is_empty() && ev.is_empty());
    let s = l.stats();
    assert_eq!((s.received, s.malformed, s.bad_requests_answered), (4, 4, 3));
    assert!(l.is_empty());
}

#[test]
fn a_full_layer_answers_503_with_retry_after() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config {
        max_transactions: 1,
        retry_after: 7,
        ..Config::default()
    });
    l.handle_message(t0, peer(), false, request("OPTIONS", "z9hG4bKf1"));
    l.handle_message(t0, peer(), false, request("OPTIONS", "z9hG4bKf2"));
    let (tx, ev) = drain(&mut l);
    assert_eq!(ev.len(), 1);
    let resp = Message::parse(tx[0].payload.clone()).unwrap();
    assert_eq!(resp.status_code(), Some(503));
    assert_eq!(resp.header_values_named("Retry-After").next(), Some("7"));
    assert!(matches!(
        l.send_request(t0, peer(), false, request("OPTIONS", "z9hG4bKf3")),
        Err(Error::TooManyTransactions { max: 1 })
    ));
    assert_eq!(l.stats().rejected_full, 1);
}

#[test]
fn transport_errors_end_the_transaction_and_stale_ids_are_refused() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config::default());
    let req = request("OPTIONS", "z9hG4bKe1");
    let id = l.send_request(t0, peer(), false, req.clone()).unwrap();
    assert!(matches!(
        l.send_request(t0, peer(), false, req.clone()),
        Err(Error::DuplicateBranch { .. })
    ));
    drain(&mut l);
    l.handle_transport_error(id);
    let (_, ev) = drain(&mut l);
    assert_eq!(ev, [Event::TransportError { id }, Event::Terminated { id }]);
    // The slot is reused under a new generation; the old id stays dead.
    let id2 = l
        .send_request(t0, peer(), false, request("OPTIONS", "z9hG4bKe2"))
        .unwrap();
    assert_ne!(id, id2);
    assert_eq!(l.state(id), None);
    assert!(matches!(
        l.send_response(t0, id, &response(&req, 200, None)),
        Err(Error::UnknownTransaction { .. })
    ));
    assert!(
        l.send_response(t0, id2, &response(&req, 200, None)).is_err(),
        "client side"
    );
    assert!(l.cancel(t0, id2).is_err(), "not an INVITE");
    assert!(l.new_branch().starts_with(MAGIC_COOKIE));
    assert_ne!(l.new_tag(), l.new_tag());
}

#[test]
fn rfc2543_peers_are_matched_without_a_cookie() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config::default());
    let invite = request("INVITE", "old1");
    l.handle_message(t0, peer(), false, invite.clone());
    let (_, ev) = drain(&mut l);
    let Some(Event::Request { id, .. }) = ev.first().cloned() else {
        panic!()
    };
    l.send_response(t0, id, &response(&invite, 404, Some("tb")))
        .unwrap();
    drain(&mut l);
    let ack = messages::ack_for(&invite, &response(&invite, 404, Some("tb"))).unwrap();
    l.handle_message(t0 + ms(50), peer(), false, ack);
    assert_eq!(
        l.state(id),
        Some(State::ServerInvite(ServerInviteState::Confirmed))
    );
}

#[test]
fn the_deadline_heap_stays_proportional_to_live_transactions() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(Config::default());
    for n in 0..20_000_u32 {
        let now = t0 + ms(u64::from(n));
        let options = request("OPTIONS", &format!("z9hG4bKh{n}"));
        // Over TCP the answered transaction ends at once; its timer C deadline (32 s)
        // would stay in the heap.
        l.handle_message(now, peer(), true, options.clone());
        let Some(Event::Request { id, .. }) = l.poll_event() else {
            panic!()
        };
        l.send_response(now, id, &response(&options, 200, Some("tb")))
            .unwrap();
        l.handle_timeout(now);
        drain(&mut l);
    }
    assert!(l.is_empty());
    assert!(
        l.deadlines.len() <= 1025,
        "{} deadlines for none live",
        l.deadlines.len()
    );
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn reliable_invite_transactions_skip_a_g_d_and_i() {
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKt1");
    // Client: no timer A; a 486 is acknowledged and the transaction ends (D is zero).
    let mut c = TransactionLayer::new(Config::default());
    let id = c.send_request(t0, peer(), true, invite.clone()).unwrap();
    drain(&mut c);
    assert_eq!(
        c.poll_timeout(),
        Some(t0 + Duration::from_secs(32)),
        "only timer B"
    );
    c.handle_message(t0 + ms(5), peer(), true, response(&invite, 486, Some("tb")));
    let (tx, ev) = drain(&mut c);
    assert!(starts(&tx[0], "ACK "));
    assert_eq!(ev.last(), Some(&Event::Terminated { id }));
    // Server: no timer G; the ACK ends the transaction (I is zero).
    let mut s = TransactionLayer::new(Config::default());
    s.handle_message(t0, peer(), true, invite.clone());
    let Some(Event::Request { id, .. }) = s.poll_event() else {
        panic!()
    };
    let busy = response(&invite, 486, Some("tb"));
    s.send_response(t0, id, &busy).unwrap();
    drain(&mut s);
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + Duration::from_secs(32)),
        "only timer H"
    );
    s.handle_message(
        t0 + ms(5),
        peer(),
        true,
        messages::ack_for(&invite, &busy).unwrap(),
    );
    assert_eq!(drain(&mut s).1, [Event::Terminated { id }]);
}

#[test]
fn a_cancel_after_the_final_response_gets_200_but_no_event() {
    let t0 = Instant::now();
    let invite = request("INVITE", "z9hG4bKt2");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, invite.clone());
    let Some(Event::Request { id, .. }) = l.poll_event() else {
        panic!()
    };
    l.send_response(t0, id, &response(&invite, 486, Some("tb")))
        .unwrap();
    drain(&mut l);
    l.handle_message(t0 + ms(10), peer(), false, messages::cancel_for(&invite).unwrap());
    let (tx, ev) = drain(&mut l);
    let ok = Message::parse(tx[0].payload.clone()).unwrap();
    assert_eq!(ok.status_code(), Some(200));
    assert_eq!(ok.to_header().unwrap().tag(), Some("tb"));
    assert!(ev.is_empty());
    assert!(
        l.cancel(t0, id).is_err(),
        "server transactions are not cancelled by the TU"
    );
}

#[test]
fn an_rfc2543_ack_for_a_2xx_goes_to_the_tu() {
    let t0 = Instant::now();
    let invite = request("INVITE", "old2");
    let mut l = TransactionLayer::new(Config::default());
    l.handle_message(t0, peer(), false, invite.clone());
    let Some(Event::Request { id, .. }) = l.poll_event() else {
        panic!()
    };
    let ok = response(&invite, 200, Some("tb"));
    l.send_response(t0, id, &ok).unwrap();
    drain(&mut l);
    l.handle_message(
        t0 + ms(10),
        peer(),
        false,
        messages::ack_for(&invite, &ok).unwrap(),
    );
    let (_, ev) = drain(&mut l);
    assert!(matches!(ev.as_slice(), [Event::Ack { .. }]), "{ev:?}");
    assert_eq!(
        l.state(id),
        Some(State::ServerInvite(ServerInviteState::Accepted))
    );
}
