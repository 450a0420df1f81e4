//! Blind transfer through the B2BUA: the callee REFERs the call to a target at 5090.

use super::*;

const TARGET_URI: &str = "sip:carol@127.0.0.1:5090";
const TARGET_OFFER: &[u8] =
    b"v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0\r\n";
const CALLER_ANSWER: &[u8] =
    b"v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

fn target_leg(net: &Net) -> LegId {
    net.events[2]
        .iter()
        .find_map(|e| match e {
            UaEvent::IncomingCall { leg, .. } => Some(*leg),
            _ => None,
        })
        .expect("the target was called")
}

/// Connected, then the callee REFERs to the target, which is called (no SDP) and rings.
fn referred(net: &mut Net) -> (LegId, LegId, LegId) {
    let (caller, callee) = net.connected();
    net.events = [Vec::new(), Vec::new(), Vec::new()];
    net.uas[CALLEE].refer(net.now, callee, TARGET_URI, None).unwrap();
    net.pump();
    let target = target_leg(net);
    match &net.events[2][0] {
        UaEvent::IncomingCall { sdp, from, .. } => {
            assert_eq!(*sdp, None, "the target is asked for an offer");
            assert_eq!(from, "\"Caller\" <sip:13800000000@127.0.0.1>", "the caller's id");
        }
        other => panic!("{other:?}"),
    }
    net.uas[TARGET].ringing(net.now, target).unwrap();
    net.pump();
    (caller, callee, target)
}

#[test]
fn a_refer_from_the_callee_moves_the_caller_to_the_target() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee, target) = referred(&mut net);
    net.uas[TARGET]
        .answer(net.now, target, Some(Bytes::from_static(TARGET_OFFER)))
        .unwrap();
    net.pump();
    // The caller is re-INVITEd with the target's offer and answers it.
    assert_eq!(
        net.events[0],
        [UaEvent::ReInvite {
            leg: caller,
            sdp: Some(Bytes::from_static(TARGET_OFFER))
        }]
    );
    net.uas[CALLER]
        .answer(net.now, caller, Some(Bytes::from_static(CALLER_ANSWER)))
        .unwrap();
    net.pump();
    // The answer reaches the target in the ACK.
    assert!(net.events[2].contains(&UaEvent::AckSdp {
        leg: target,
        sdp: Bytes::from_static(CALLER_ANSWER)
    }));
    // The referrer heard 202, 100, 180, 200 and was hung up.
    assert_eq!(
        net.events[1],
        [
            UaEvent::ReferAnswered {
                leg: callee,
                code: 202
            },
            UaEvent::ReferNotify {
                leg: callee,
                code: 100,
                reason: "Trying".into(),
                terminated: false
            },
            UaEvent::ReferNotify {
                leg: callee,
                code: 180,
                reason: "Ringing".into(),
                terminated: false
            },
            UaEvent::ReferNotify {
                leg: callee,
                code: 200,
                reason: "OK".into(),
                terminated: true
            },
            UaEvent::Ended {
                leg: callee,
                cause: EndCause::RemoteBye
            },
        ]
    );
    assert_eq!(net.b2b.stats().transferred, 1);
    assert_eq!(net.b2b.len(), 1);
    // The caller and the target are paired: the caller's BYE reaches the target.
    net.uas[CALLER].hangup(net.now, caller).unwrap();
    net.pump();
    assert_eq!(
        net.events[2].last(),
        Some(&UaEvent::Ended {
            leg: target,
            cause: EndCause::RemoteBye
        })
    );
    assert!(net.b2b.is_empty());
    net.run(Duration::from_secs(10));
    for ua in &net.uas {
        assert_eq!(ua.stats().legs, 0, "every leg ended and was forgotten");
    }
}

#[test]
fn a_target_that_refuses_leaves_the_call_up_and_the_referrer_hears_why() {
    let mut net = Net::new(B2bua::new());
    let (caller, callee, target) = referred(&mut net);
    net.uas[TARGET].reject(net.now, target, 486, "Busy Here").unwrap();
    net.pump();
    assert_eq!(
        net.events[1].last(),
        Some(&UaEvent::ReferNotify {
            leg: callee,
            code: 486,
            reason: "Busy Here".into(),
            terminated: true
        })
    );
    assert_eq!(net.b2b.stats().transferred, 0);
    assert_eq!(net.b2b.peer(caller).map(|(_, side)| side), Some(Side::Inbound));
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
fn a_target_that_is_not_an_address_is_refused_in_the_notify() {
    let mut net = Net::new(B2bua::new());
    let (_, callee) = net.connected();
    net.events = [Vec::new(), Vec::new(), Vec::new()];
    net.uas[CALLEE]
        .refer(net.now, callee, "sip:carol@example.com", None)
        .unwrap();
    net.pump();
    assert!(net.events[2].is_empty(), "nobody is called");
    assert_eq!(
        net.events[1].last(),
        Some(&UaEvent::ReferNotify {
            leg: callee,
            code: 404,
            reason: "Not Found".into(),
            terminated: true
        })
    );
}

#[test]
fn an_invite_with_replaces_takes_the_place_of_the_leg_it_names() {
    // The target at 5090 calls the middle with Replaces naming the callee's leg there
    // (the second half of an attended transfer): the caller is moved to the target.
    let mut net = Net::new(B2bua::new());
    let (caller, callee) = net.connected();
    net.events = [Vec::new(), Vec::new(), Vec::new()];
    let replaces = net.uas[CALLEE].replaces_for(callee).unwrap();
    let mut call = OutgoingCall::new(
        "sip:100@127.0.0.1:5070",
        "sip:carol@127.0.0.1",
        "sip:100@127.0.0.1",
        addr(5070),
    );
    call.sdp = Some(Bytes::from_static(TARGET_OFFER));
    call.headers.push(("Replaces".into(), replaces));
    let target = net.uas[TARGET].invite(net.now, call).unwrap();
    net.pump();
    assert_eq!(
        net.events[0],
        [UaEvent::ReInvite {
            leg: caller,
            sdp: Some(Bytes::from_static(TARGET_OFFER))
        }],
        "the caller gets the new party's offer; nobody else is called"
    );
    net.uas[CALLER]
        .answer(net.now, caller, Some(Bytes::from_static(CALLER_ANSWER)))
        .unwrap();
    net.pump();
    assert!(net.events[2].contains(&UaEvent::Answered {
        leg: target,
        sdp: Some(Bytes::from_static(CALLER_ANSWER))
    }));
    assert_eq!(
        net.events[1].last(),
        Some(&UaEvent::Ended {
            leg: callee,
            cause: EndCause::RemoteBye
        }),
        "the replaced leg is hung up"
    );
    assert_eq!(net.b2b.stats().transferred, 1);
    net.uas[TARGET].hangup(net.now, target).unwrap();
    net.pump();
    assert_eq!(
        net.events[0].last(),
        Some(&UaEvent::Ended {
            leg: caller,
            cause: EndCause::RemoteBye
        })
    );
    assert!(net.b2b.is_empty());
}
