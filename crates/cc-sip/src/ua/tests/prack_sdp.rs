//! Offer/answer in PRACK (RFC 3262 §5): an INVITE without SDP, a reliable 183 that
//! offers, the answer in the PRACK.

use super::*;

#[test]
fn a_reliable_offer_is_answered_in_the_prack() {
    let mut net = Net::new();
    let mut call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    call.headers.push(("Require".into(), "100rel".into()));
    call.prack_answer = true;
    let a_leg = net.a.invite(net.now, call).unwrap();
    net.pump();
    let Some(UaEvent::IncomingCall {
        leg: b_leg,
        sdp: None,
        ..
    }) = net.b_events.pop()
    else {
        panic!("{:?}", net.b_events)
    };
    net.b
        .progress(net.now, b_leg, 183, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert_eq!(
        net.a_events,
        [UaEvent::Progress {
            leg: a_leg,
            code: 183,
            sdp: Some(Bytes::from_static(ANSWER.as_bytes()))
        }]
    );
    assert_eq!(net.sent(5060, "PRACK"), 0, "the PRACK waits for the answer");
    // The 183 is retransmitted meanwhile and absorbed.
    net.run(Duration::from_millis(700));
    assert_eq!(net.a_events.len(), 1);
    net.a
        .prack(net.now, a_leg, Bytes::from_static(OFFER.as_bytes()))
        .unwrap();
    assert!(net.a.prack(net.now, a_leg, Bytes::new()).is_err(), "once");
    net.pump();
    assert_eq!(net.sent(5060, "PRACK"), 1);
    assert_eq!(
        net.b_events,
        [UaEvent::PrackSdp {
            leg: b_leg,
            sdp: Bytes::from_static(OFFER.as_bytes())
        }]
    );
    // The 200 repeats the offer already answered; the agent acknowledges it at once.
    net.b
        .answer(net.now, b_leg, Some(Bytes::from_static(ANSWER.as_bytes())))
        .unwrap();
    net.pump();
    assert!(matches!(net.a_events.last(), Some(UaEvent::Answered { .. })));
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
    assert_eq!(net.sent(5060, "ACK"), 1);
}
