//! Offer/answer in UPDATE (RFC 3311) between two agents.

use super::*;

fn held(sdp: &str) -> Bytes {
    Bytes::from(sdp.replace("sendrecv", "sendonly").replace("1 1 IN", "1 2 IN"))
}

#[test]
fn an_update_offer_in_a_confirmed_dialog_is_answered_by_the_application() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.a.update(net.now, a_leg, held(OFFER)).unwrap();
    assert!(
        net.a.update(net.now, a_leg, held(OFFER)).is_err(),
        "one offer at a time"
    );
    net.pump();
    assert_eq!(
        net.b_events,
        [UaEvent::Update {
            leg: b_leg,
            sdp: held(OFFER)
        }]
    );
    let answer = Bytes::from(ANSWER.replace("sendrecv", "recvonly"));
    net.b.answer(net.now, b_leg, Some(answer.clone())).unwrap();
    net.pump();
    assert_eq!(
        net.a_events,
        [UaEvent::UpdateAnswered {
            leg: a_leg,
            code: 200,
            sdp: Some(answer)
        }]
    );
    // A refused offer leaves the call up.
    net.b.update(net.now, b_leg, held(ANSWER)).unwrap();
    net.pump();
    net.a.reject(net.now, a_leg, 488, "Not Acceptable Here").unwrap();
    net.pump();
    assert_eq!(
        net.b_events.last(),
        Some(&UaEvent::UpdateAnswered {
            leg: b_leg,
            code: 488,
            sdp: None
        })
    );
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
}

#[test]
fn an_update_offer_in_an_early_dialog_changes_the_early_media() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.call();
    net.b.ringing(net.now, b_leg).unwrap();
    net.pump();
    net.b.update(net.now, b_leg, held(ANSWER)).unwrap();
    net.pump();
    assert!(net.a_events.contains(&UaEvent::Update {
        leg: a_leg,
        sdp: held(ANSWER)
    }));
    // The caller's answer goes to the UPDATE, not to the call.
    net.a
        .answer(net.now, a_leg, Some(Bytes::from_static(OFFER.as_bytes())))
        .unwrap();
    net.pump();
    assert_eq!(
        net.b_events.last(),
        Some(&UaEvent::UpdateAnswered {
            leg: b_leg,
            code: 200,
            sdp: Some(Bytes::from_static(OFFER.as_bytes()))
        })
    );
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Early));
}

#[test]
fn crossing_update_offers_get_491_and_a_second_pending_one_500() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.a.update(net.now, a_leg, held(OFFER)).unwrap();
    net.b.update(net.now, b_leg, held(ANSWER)).unwrap();
    net.pump();
    assert_eq!(net.sent(5060, "SIP/2.0 491"), 1, "{:?}", net.log);
    assert_eq!(net.sent(5070, "SIP/2.0 491"), 1, "{:?}", net.log);
    assert!(net.a_events.contains(&UaEvent::UpdateAnswered {
        leg: a_leg,
        code: 491,
        sdp: None
    }));
    // Bob leaves Alice's next offer unanswered; a second one from Alice's dialog
    // (sent below the API, which refuses it) gets 500 with Retry-After.
    net.a_events.clear();
    net.b_events.clear();
    net.a.update(net.now, a_leg, held(OFFER)).unwrap();
    net.pump();
    assert!(matches!(net.b_events.as_slice(), [UaEvent::Update { .. }]));
    let headers = [("Content-Type", "application/sdp".to_owned())];
    net.a
        .in_dialog_request(net.now, a_leg, "UPDATE", &headers, held(OFFER), Transport::Udp)
        .unwrap();
    net.pump();
    assert_eq!(net.sent(5070, "SIP/2.0 500"), 1, "{:?}", net.log);
}
