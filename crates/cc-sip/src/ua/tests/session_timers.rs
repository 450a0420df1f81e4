//! Session timers (RFC 4028) on virtual time: two agents, and one agent against a
//! scripted peer at 127.0.0.1:5999.

use super::*;

/// Everything `ua` sends while virtual time runs from `*now` to `until`.
fn advance(ua: &mut UserAgent, now: &mut Instant, until: Instant) -> Vec<Message> {
    let mut out = drain(ua);
    while let Some(t) = ua.poll_timeout() {
        if t > until {
            break;
        }
        *now = (*now).max(t);
        ua.handle_timeout(*now);
        out.extend(drain(ua));
    }
    *now = until;
    out
}

fn agent(port: u16, seed: u64) -> UserAgent {
    let mut config = UaConfig::new(addr(port));
    config.transaction.seed = seed;
    UserAgent::new(config)
}

/// An INVITE from the scripted peer with `Session-Expires: se` and `Allow: allow`.
fn peer_invite(se: &str, allow: &str) -> Vec<u8> {
    format!(
        "INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKst1\r\n\
         From: <sip:p@127.0.0.1>;tag=p1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: st1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:p@127.0.0.1:5999>\r\nSupported: timer\r\nRequire: timer\r\n\
         Session-Expires: {se}\r\nAllow: {allow}\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{OFFER}",
        OFFER.len()
    )
    .into_bytes()
}

/// An in-dialog request of the scripted peer (CSeq `seq`) toward our tag `tag`.
fn peer_request(method: &str, seq: u32, tag: &str, extra: &str, body: &str) -> Vec<u8> {
    let cseq_method = if method == "ACK" { "ACK" } else { method };
    format!(
        "{method} sip:cc@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKst{method}{seq}\r\n\
         From: <sip:p@127.0.0.1>;tag=p1\r\nTo: <sip:bob@127.0.0.1>;tag={tag}\r\nCall-ID: st1\r\n\
         CSeq: {seq} {cseq_method}\r\nContact: <sip:p@127.0.0.1:5999>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn first_with(out: &[Message], pred: impl Fn(&Message) -> bool) -> Option<&Message> {
    out.iter().find(|m| pred(m))
}

fn is_response(m: &Message, code: u16, method: &str) -> bool {
    m.status_code() == Some(code) && m.cseq().is_ok_and(|c| c.method == method)
}

/// The scripted peer calls our agent with `se` and `allow`; the agent answers and the
/// peer acknowledges. Returns the agent, the leg, our To tag and the 200.
fn answered_by_agent(now: Instant, se: &str, allow: &str) -> (UserAgent, LegId, String, Message) {
    let mut ua = agent(5070, 7);
    ua.handle_datagram(now, addr(5999), peer_invite(se, allow));
    let Some(UaEvent::IncomingCall { leg, .. }) = ua.poll_event() else {
        panic!("an incoming call")
    };
    ua.answer(now, leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    let out = drain(&mut ua);
    let ok = first_with(&out, |m| is_response(m, 200, "INVITE"))
        .expect("200")
        .clone();
    let tag = ok.to_header().unwrap().tag().unwrap().to_owned();
    ua.handle_datagram(now, addr(5999), peer_request("ACK", 1, &tag, "", ""));
    assert_eq!(ua.leg_state(leg), Some(LegState::Confirmed));
    (ua, leg, tag, ok)
}

#[test]
fn an_invite_requiring_timer_is_answered_with_session_expires_and_the_refresher() {
    let now = Instant::now();
    let (_, _, _, ok) = answered_by_agent(now, "90;refresher=uac", ALLOW);
    let se = ok.session_expires().unwrap().unwrap();
    assert_eq!((se.delta, se.refresher), (90, Some(crate::Refresher::Uac)));
    assert!(ok.require().any(|t| t.is_ok_and(|t| t == "timer")));
}

#[test]
fn the_non_refresher_sends_bye_when_no_refresh_comes() {
    let start = Instant::now();
    let mut now = start;
    let (mut ua, leg, _, _) = answered_by_agent(now, "90;refresher=uac", ALLOW);
    // 90 - min(32, 90 / 3) = 60 s.
    let out = advance(&mut ua, &mut now, start + Duration::from_millis(59_900));
    assert!(first_with(&out, |m| m.method() == Some("BYE")).is_none());
    assert_eq!(ua.poll_event(), None);
    let out = advance(&mut ua, &mut now, start + Duration::from_secs(61));
    let bye = first_with(&out, |m| m.method() == Some("BYE")).expect("BYE at 60 s");
    assert!(bye.header(HeaderName::Reason).is_some_and(|r| r.contains("408")));
    assert_eq!(
        ua.poll_event(),
        Some(UaEvent::Ended {
            leg,
            cause: EndCause::SessionExpired
        })
    );
}

#[test]
fn a_refresh_received_restarts_the_timer() {
    let start = Instant::now();
    let mut now = start;
    let (mut ua, leg, tag, _) = answered_by_agent(now, "90;refresher=uac", ALLOW);
    let _ = advance(&mut ua, &mut now, start + Duration::from_secs(40));
    // A re-INVITE with the same SDP is a refresh: answered here, not reported.
    let extra = "Session-Expires: 90;refresher=uac\r\nSupported: timer\r\nContent-Type: application/sdp\r\n";
    ua.handle_datagram(now, addr(5999), peer_request("INVITE", 2, &tag, extra, OFFER));
    let out = drain(&mut ua);
    let ok = first_with(&out, |m| is_response(m, 200, "INVITE")).expect("200 to the refresh");
    assert_eq!(ok.body(), ANSWER.as_bytes());
    assert_eq!(ok.session_expires().unwrap().map(|s| s.delta), Some(90));
    assert_eq!(ua.poll_event(), None, "a refresh is not a ReInvite");
    ua.handle_datagram(now, addr(5999), peer_request("ACK", 2, &tag, "", ""));
    // The first expiry (60 s) passes.
    let out = advance(&mut ua, &mut now, start + Duration::from_secs(80));
    assert!(first_with(&out, |m| m.method() == Some("BYE")).is_none());
    // An UPDATE without body refreshes as well.
    let extra = "Session-Expires: 90;refresher=uac\r\n";
    ua.handle_datagram(now, addr(5999), peer_request("UPDATE", 3, &tag, extra, ""));
    let out = drain(&mut ua);
    let ok = first_with(&out, |m| is_response(m, 200, "UPDATE")).expect("200 to UPDATE");
    assert!(ok.body().is_empty());
    assert_eq!(
        ok.session_expires().unwrap().and_then(|s| s.refresher),
        Some(crate::Refresher::Uac)
    );
    let out = advance(&mut ua, &mut now, start + Duration::from_secs(139));
    assert!(first_with(&out, |m| m.method() == Some("BYE")).is_none());
    let out = advance(&mut ua, &mut now, start + Duration::from_secs(141));
    assert!(first_with(&out, |m| m.method() == Some("BYE")).is_some());
    assert!(matches!(
        ua.poll_event(),
        Some(UaEvent::Ended { leg: l, cause: EndCause::SessionExpired }) if l == leg
    ));
}

#[test]
fn an_interval_below_our_min_se_gets_422_with_min_se() {
    let now = Instant::now();
    let mut ua = agent(5070, 7);
    ua.handle_datagram(now, addr(5999), peer_invite("60", ALLOW));
    let out = drain(&mut ua);
    let refusal = first_with(&out, |m| m.status_code() == Some(422)).expect("422");
    assert_eq!(refusal.min_se().unwrap(), Some(90));
    assert_eq!(ua.poll_event(), None);
    // A malformed value is a 400 that names the header.
    let mut ua = agent(5070, 7);
    ua.handle_datagram(now, addr(5999), peer_invite("soon", ALLOW));
    let out = drain(&mut ua);
    let bad = first_with(&out, |m| m.status_code() == Some(400)).expect("400");
    assert!(
        bad.reason_phrase().is_some_and(|r| r.contains("Session-Expires")),
        "{bad:?}"
    );
}

#[test]
fn the_refresher_re_invites_with_the_same_sdp_when_the_peer_has_no_update() {
    let start = Instant::now();
    let mut now = start;
    let (mut ua, leg, _, ok) = answered_by_agent(now, "90;refresher=uas", "INVITE, ACK, BYE");
    assert_eq!(
        ok.session_expires().unwrap().and_then(|s| s.refresher),
        Some(crate::Refresher::Uas)
    );
    let out = advance(&mut ua, &mut now, start + Duration::from_millis(44_900));
    assert!(first_with(&out, |m| m.method() == Some("INVITE")).is_none());
    let out = advance(&mut ua, &mut now, start + Duration::from_secs(46));
    let refresh = first_with(&out, |m| m.method() == Some("INVITE"))
        .expect("a refresh at 45 s")
        .clone();
    assert_eq!(refresh.body(), ANSWER.as_bytes(), "the same SDP");
    let se = refresh.session_expires().unwrap().unwrap();
    assert_eq!((se.delta, se.refresher), (90, Some(crate::Refresher::Uac)));
    // The peer's 200, with its SDP again.
    let h = |n| refresh.header(n).unwrap_or_default();
    let bytes = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\n\
         Contact: <sip:p@127.0.0.1:5999>\r\nSession-Expires: 90;refresher=uac\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{OFFER}",
        h(HeaderName::Via),
        h(HeaderName::From),
        h(HeaderName::To),
        h(HeaderName::CallId),
        h(HeaderName::CSeq),
        OFFER.len()
    );
    ua.handle_datagram(now, addr(5999), bytes);
    let out = drain(&mut ua);
    assert!(
        first_with(&out, |m| m.method() == Some("ACK")).is_some(),
        "the 2xx is acknowledged"
    );
    assert_eq!(ua.poll_event(), None, "our refresh is not reported");
    // The next refresh comes 45 s after this one, and the call stays up.
    let out = advance(&mut ua, &mut now, start + Duration::from_secs(92));
    assert!(first_with(&out, |m| m.method() == Some("INVITE")).is_some());
    assert_eq!(ua.leg_state(leg), Some(LegState::Confirmed));
}

#[test]
fn between_two_agents_the_caller_refreshes_with_update_at_half_the_interval() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.run(Duration::from_secs(899));
    assert_eq!(net.sent(5060, "UPDATE"), 0);
    net.run(Duration::from_secs(2));
    assert_eq!(net.sent(5060, "UPDATE"), 1, "{:?}", net.log);
    assert_eq!(net.sent(5070, "SIP/2.0 200 OK"), 2, "200 to INVITE and UPDATE");
    // Each refresh restarts Bob's expiry: an hour later the call is still up.
    net.run(Duration::from_secs(3600));
    assert!(net.sent(5060, "UPDATE") >= 4, "{:?}", net.log);
    assert_eq!(net.sent(5070, "BYE"), 0);
    assert!(net.a_events.is_empty() && net.b_events.is_empty());
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
}

#[test]
fn a_422_is_answered_once_with_the_larger_min_se() {
    let mut net = Net::new();
    let mut config = UaConfig::new(addr(5070));
    config.transaction.seed = 2;
    config.session_timer.min_se = 3600;
    net.b = UserAgent::new(config);
    let (a_leg, _) = net.established();
    assert_eq!(net.sent(5070, "SIP/2.0 422"), 1, "{:?}", net.log);
    assert_eq!(net.sent(5060, "INVITE"), 2);
    // Alice (the caller, refresher) refreshes at 1800 s.
    net.run(Duration::from_secs(1801));
    assert_eq!(net.sent(5060, "UPDATE"), 1, "{:?}", net.log);
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
}

#[test]
fn a_second_422_fails_the_call() {
    let now = Instant::now();
    let mut ua = agent(5060, 3);
    let call = OutgoingCall::new(
        "sip:p@127.0.0.1:5999",
        "sip:a@127.0.0.1",
        "sip:p@127.0.0.1",
        addr(5999),
    );
    let leg = ua.invite(now, call).unwrap();
    for round in 0..2 {
        let invite = drain(&mut ua)
            .into_iter()
            .find(|m| m.method() == Some("INVITE"))
            .expect("INVITE");
        assert!(invite.supports("timer"));
        let offered = invite.session_expires().unwrap().unwrap().delta;
        assert_eq!(offered, if round == 0 { 1800 } else { 7200 });
        let reply = UserAgent::simple_response(
            &invite,
            422,
            "Session Interval Too Small",
            "p9",
            addr(5060),
            &[("Min-SE", "7200")],
        )
        .unwrap();
        ua.handle_datagram(now, addr(5999), reply.to_bytes());
    }
    let events: Vec<_> = std::iter::from_fn(|| ua.poll_event()).collect();
    assert_eq!(
        events,
        [UaEvent::Failed {
            leg,
            code: 422,
            reason: "Session Interval Too Small".into()
        }]
    );
}

#[test]
fn an_application_re_invite_answered_with_session_expires_restarts_the_timer() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    // At 800 s Alice re-INVITEs (hold); Bob's 2xx carries Session-Expires, so the
    // session is refreshed as well (RFC 4028 §7.4).
    net.run(Duration::from_secs(800));
    let hold = OFFER.replace("sendrecv", "sendonly").replace("1 1 IN", "1 2 IN");
    net.a.reinvite(net.now, a_leg, Some(Bytes::from(hold))).unwrap();
    net.pump();
    assert!(matches!(net.b_events.pop(), Some(UaEvent::ReInvite { .. })));
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert!(matches!(
        net.a_events.pop(),
        Some(UaEvent::ReInviteAnswered { code: 200, .. })
    ));
    // The refresh that was due at 900 s now comes at 800 + 900 s.
    net.run(Duration::from_secs(850));
    assert_eq!(net.sent(5060, "UPDATE"), 0, "{:?}", net.log);
    net.run(Duration::from_secs(100));
    assert_eq!(net.sent(5060, "UPDATE"), 1, "{:?}", net.log);
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
}

#[test]
fn a_re_invite_without_session_expires_leaves_the_refresher_as_it_was() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.run(Duration::from_secs(100));
    // Bob (not the refresher) re-INVITEs without Session-Expires; Alice answers.
    let changed = ANSWER.replace("1 1 IN", "1 2 IN");
    net.b
        .reinvite(net.now, b_leg, Some(Bytes::from(changed)))
        .unwrap();
    net.pump();
    assert!(matches!(net.a_events.pop(), Some(UaEvent::ReInvite { .. })));
    net.a
        .answer(net.now, a_leg, Some(Bytes::from_static(OFFER.as_bytes())))
        .unwrap();
    net.pump();
    // Alice still refreshes; nobody's session expires.
    net.run(Duration::from_secs(2000));
    assert!(net.sent(5060, "UPDATE") >= 2, "{:?}", net.log);
    assert_eq!(net.sent(5060, "BYE") + net.sent(5070, "BYE"), 0, "{:?}", net.log);
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
}
