//! REFER, its NOTIFYs (RFC 3515) and INVITE with Replaces (RFC 3891) between two agents.

use super::*;

const CAROL: &str = "sip:carol@127.0.0.1:5080";

/// Alice's INVITE to Bob carrying `replaces`; returns Bob's events and answers.
fn invite_replacing(net: &mut Net, replaces: &str) -> LegId {
    let mut call = OutgoingCall::new(
        "sip:bob@127.0.0.1:5070",
        "sip:alice@127.0.0.1",
        "sip:bob@127.0.0.1",
        addr(5070),
    );
    call.sdp = Some(Bytes::from_static(OFFER.as_bytes()));
    call.headers.push(("Replaces".into(), replaces.into()));
    call.headers.push(("Require".into(), "replaces".into()));
    let leg = net.a.invite(net.now, call).unwrap();
    net.pump();
    leg
}

#[test]
fn a_blind_transfer_is_accepted_and_its_progress_notified() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.a.refer(net.now, a_leg, CAROL, None).unwrap();
    net.pump();
    assert_eq!(
        net.b_events,
        [UaEvent::Refer {
            leg: b_leg,
            target: CAROL.into(),
            replaces: None,
            referred_by: Some("sip:alice@127.0.0.1".into()),
        }]
    );
    assert_eq!(net.sent(5070, "SIP/2.0 202 Accepted"), 1);
    assert_eq!(
        net.a_events,
        [
            UaEvent::ReferAnswered {
                leg: a_leg,
                code: 202
            },
            UaEvent::ReferNotify {
                leg: a_leg,
                code: 100,
                reason: "Trying".into(),
                terminated: false
            }
        ]
    );
    net.a_events.clear();
    net.b.refer_progress(net.now, b_leg, 180, "Ringing").unwrap();
    net.b.refer_progress(net.now, b_leg, 200, "OK").unwrap();
    net.pump();
    assert_eq!(
        net.a_events,
        [
            UaEvent::ReferNotify {
                leg: a_leg,
                code: 180,
                reason: "Ringing".into(),
                terminated: false
            },
            UaEvent::ReferNotify {
                leg: a_leg,
                code: 200,
                reason: "OK".into(),
                terminated: true
            }
        ]
    );
    assert_eq!(
        net.sent(5060, "SIP/2.0 200 OK"),
        3,
        "each NOTIFY answered: {:?}",
        net.log
    );
    assert!(
        net.b.refer_progress(net.now, b_leg, 200, "OK").is_err(),
        "the subscription has ended"
    );
    // The call itself is untouched.
    assert_eq!(net.a.leg_state(a_leg), Some(LegState::Confirmed));
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
}

#[test]
fn an_attended_transfer_embeds_replaces_that_the_target_can_match() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    let replaces = net.a.replaces_for(a_leg).unwrap();
    net.a.refer(net.now, a_leg, CAROL, Some(&replaces)).unwrap();
    net.pump();
    assert!(matches!(
        net.b_events.as_slice(),
        [UaEvent::Refer { replaces: Some(r), target, .. }] if *r == replaces && target == CAROL
    ));
    // The same value in an INVITE to Bob names Bob's leg.
    net.b_events.clear();
    let _ = invite_replacing(&mut net, &replaces);
    match net.b_events.as_slice() {
        [
            UaEvent::Replaces { leg: new, replaced },
            UaEvent::IncomingCall { leg, .. },
        ] => {
            assert_eq!((leg, *replaced), (new, b_leg));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn replaces_that_match_nothing_get_481_and_early_only_on_a_confirmed_call_486() {
    let mut net = Net::new();
    let (a_leg, _) = net.established();
    let replaces = net.a.replaces_for(a_leg).unwrap();
    net.b_events.clear();
    let _ = invite_replacing(&mut net, "nothing@here;to-tag=x;from-tag=y");
    assert_eq!(net.sent(5070, "SIP/2.0 481"), 1, "{:?}", net.log);
    let _ = invite_replacing(&mut net, &format!("{replaces};early-only"));
    assert_eq!(net.sent(5070, "SIP/2.0 486"), 1, "{:?}", net.log);
    assert!(net.b_events.is_empty(), "{:?}", net.b_events);
    assert_eq!(
        net.a_events
            .iter()
            .filter(|e| matches!(e, UaEvent::Failed { .. }))
            .count(),
        2
    );
}

#[test]
fn a_refer_outside_a_dialog_or_without_refer_to_gets_400_with_the_reason() {
    let now = Instant::now();
    let mut ua = UserAgent::new(UaConfig::new(addr(5070)));
    let refer = "REFER sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKr1\r\n\
                 From: <sip:x@127.0.0.1>;tag=r1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: refer1\r\n\
                 CSeq: 1 REFER\r\nContact: <sip:x@127.0.0.1:5999>\r\nRefer-To: <sip:carol@127.0.0.1>\r\n\
                 Content-Length: 0\r\n\r\n";
    let reply = reply_to(&mut ua, now, refer.as_bytes().to_vec());
    assert_eq!(reply.status_code(), Some(400));
    assert_eq!(
        reply.reason_phrase(),
        Some("REFER Outside A Dialog Is Not Supported")
    );

    let mut net = Net::new();
    let (a_leg, _) = net.established();
    let tx = net
        .a
        .in_dialog_request(net.now, a_leg, "REFER", &[], Bytes::new(), Transport::Udp)
        .unwrap();
    net.a.by_tx.insert(tx, (a_leg, Purpose::Refer));
    net.pump();
    assert_eq!(net.sent(5070, "SIP/2.0 400 Missing Refer-To"), 1, "{:?}", net.log);
    assert_eq!(
        net.a_events,
        [UaEvent::ReferAnswered {
            leg: a_leg,
            code: 400
        }]
    );
    assert!(net.b_events.is_empty());
}

#[test]
fn a_notify_of_another_package_gets_489_and_a_broken_sipfrag_400() {
    let mut net = Net::new();
    let (_, b_leg) = net.established();
    let notify = |net: &mut Net, event: &str, body: &'static str| {
        let headers = [
            ("Event", event.to_owned()),
            ("Subscription-State", "active;expires=60".to_owned()),
            ("Content-Type", "message/sipfrag".to_owned()),
        ];
        net.b
            .in_dialog_request(
                net.now,
                b_leg,
                "NOTIFY",
                &headers,
                Bytes::from_static(body.as_bytes()),
                Transport::Udp,
            )
            .unwrap();
        net.pump();
    };
    notify(&mut net, "presence", "SIP/2.0 200 OK\r\n");
    assert_eq!(net.sent(5060, "SIP/2.0 489 Bad Event"), 1, "{:?}", net.log);
    notify(&mut net, "refer", "not a status line");
    assert_eq!(net.sent(5060, "SIP/2.0 400 Bad sipfrag Body"), 1, "{:?}", net.log);
    assert!(net.a_events.is_empty(), "{:?}", net.a_events);
}

#[test]
fn a_refer_never_reported_on_ends_its_subscription_after_60_s() {
    let mut net = Net::new();
    let (a_leg, b_leg) = net.established();
    net.a.refer(net.now, a_leg, CAROL, None).unwrap();
    net.pump();
    net.b.refer_progress(net.now, b_leg, 180, "Ringing").unwrap();
    net.run(Duration::from_secs(59));
    assert!(
        !net.a_events
            .iter()
            .any(|e| matches!(e, UaEvent::ReferNotify { terminated: true, .. }))
    );
    net.run(Duration::from_secs(2));
    assert_eq!(
        net.a_events.last(),
        Some(&UaEvent::ReferNotify {
            leg: a_leg,
            code: 180,
            reason: "Ringing".into(),
            terminated: true
        })
    );
    assert!(net.b.refer_progress(net.now, b_leg, 200, "OK").is_err());
    assert_eq!(net.b.leg_state(b_leg), Some(LegState::Confirmed));
}
