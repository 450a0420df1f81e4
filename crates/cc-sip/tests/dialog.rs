//! RFC 3261 §12 dialogs through the public API: the classic call flow (INVITE, 180, 200,
//! ACK, BYE, 200) seen from both sides, every message built with the builder, sent over
//! the wire form and checked field by field; and a property: building requests in any
//! valid dialog never panics and gives valid messages.

use cc_sip::dialog::{Dialog, DialogSet, DialogState, Incoming, Role};
use cc_sip::{HeaderName, Message};
use proptest::prelude::*;

const CALL_ID: &str = "a84b4c76e66710@pc33.atlanta.com";

/// Sends `msg` over the "wire": serialized, parsed again and validated.
fn wire(msg: &Message) -> Message {
    let back = Message::parse(msg.to_bytes()).expect("parses");
    back.validate().expect("valid");
    back
}

fn alice_invite() -> Message {
    Message::request("INVITE", "sip:bob@biloxi.com")
        .header("Via", "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds")
        .header("Max-Forwards", "70")
        .header("To", "Bob <sip:bob@biloxi.com>")
        .header("From", "Alice <sip:alice@atlanta.com>;tag=1928301774")
        .header("Call-ID", CALL_ID)
        .header("CSeq", "314159 INVITE")
        .header("Contact", "<sip:alice@pc33.atlanta.com>")
        .header("Record-Route", "<sip:ss2.biloxi.example.com;lr>")
        .header("Record-Route", "<sip:ss1.atlanta.example.com;lr>")
        .build()
        .expect("INVITE builds")
}

/// Bob's answer to the INVITE: Via, From, Call-ID, CSeq and Record-Route copied, To with
/// Bob's tag, Bob's Contact.
fn bob_answer(invite: &Message, code: u16, reason: &str) -> Message {
    let mut b = Message::response(code, reason);
    for via in invite.header_values(HeaderName::Via) {
        b = b.header("Via", via);
    }
    for rr in invite.header_values(HeaderName::RecordRoute) {
        b = b.header("Record-Route", rr);
    }
    b.header("From", invite.header(HeaderName::From).unwrap_or_default())
        .header("To", "Bob <sip:bob@biloxi.com>;tag=a6c85cf")
        .header("Call-ID", CALL_ID)
        .header("CSeq", "314159 INVITE")
        .header("Contact", "<sip:bob@192.0.2.4>")
        .build()
        .expect("response builds")
}

fn answer_request(req: &Message) -> Message {
    let mut b = Message::response(200, "OK");
    for via in req.header_values(HeaderName::Via) {
        b = b.header("Via", via);
    }
    b.header("From", req.header(HeaderName::From).unwrap_or_default())
        .header("To", req.header(HeaderName::To).unwrap_or_default())
        .header("Call-ID", req.call_id().unwrap_or_default())
        .header("CSeq", req.header(HeaderName::CSeq).unwrap_or_default())
        .build()
        .expect("200 builds")
}

fn routes(msg: &Message) -> Vec<&str> {
    msg.header_values(HeaderName::Route).collect()
}

#[test]
fn classic_call_flow_from_both_sides() {
    // Alice sends the INVITE; Bob receives it.
    let invite = wire(&alice_invite());

    // Bob rings: both sides hold an early dialog.
    let ringing = wire(&bob_answer(&invite, 180, "Ringing"));
    let mut bob = Dialog::new_uas(&invite, &ringing).expect("UAS dialog");
    let mut alice = Dialog::new_uac(&invite, &ringing).expect("UAC dialog");
    assert_eq!(bob.state(), DialogState::Early);
    assert_eq!(alice.state(), DialogState::Early);
    assert_eq!(bob.role(), Role::Uas);
    assert_eq!(alice.role(), Role::Uac);
    assert_eq!(alice.id().call_id, CALL_ID);
    assert_eq!(alice.id().local_tag, "1928301774");
    assert_eq!(alice.id().remote_tag, "a6c85cf");
    assert_eq!(bob.id().local_tag, "a6c85cf");
    assert_eq!(bob.id().remote_tag, "1928301774");
    assert_eq!(
        alice.route_set(),
        [
            "<sip:ss1.atlanta.example.com;lr>",
            "<sip:ss2.biloxi.example.com;lr>"
        ]
    );
    assert_eq!(
        bob.route_set(),
        [
            "<sip:ss2.biloxi.example.com;lr>",
            "<sip:ss1.atlanta.example.com;lr>"
        ]
    );
    assert_eq!(alice.remote_target(), "sip:bob@192.0.2.4");
    assert_eq!(bob.remote_target(), "sip:alice@pc33.atlanta.com");

    // Bob answers: both sides confirm.
    let ok = wire(&bob_answer(&invite, 200, "OK"));
    bob.on_sent_response(&ok).expect("UAS 200");
    alice.on_response(&ok).expect("UAC 200");
    assert_eq!(bob.state(), DialogState::Confirmed);
    assert_eq!(alice.state(), DialogState::Confirmed);

    // Alice ACKs the 2xx in the dialog.
    let ack = wire(
        &alice
            .ack("SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds9")
            .and_then(cc_sip::MessageBuilder::build)
            .expect("ACK"),
    );
    assert_eq!(ack.method(), Some("ACK"));
    assert_eq!(ack.request_uri_str(), Some("sip:bob@192.0.2.4"));
    assert_eq!(
        routes(&ack),
        [
            "<sip:ss1.atlanta.example.com;lr>",
            "<sip:ss2.biloxi.example.com;lr>"
        ]
    );
    assert_eq!(ack.cseq().map(|c| (c.seq, c.method)).ok(), Some((314_159, "ACK")));
    assert_eq!(ack.call_id().ok(), Some(CALL_ID));
    assert_eq!(ack.from_header().ok().and_then(|f| f.tag()), Some("1928301774"));
    assert_eq!(ack.to_header().ok().and_then(|t| t.tag()), Some("a6c85cf"));
    assert_eq!(ack.max_forwards().ok().flatten(), Some(70));
    assert_eq!(
        ack.top_via().ok().and_then(|v| v.branch()),
        Some("z9hG4bKnashds9")
    );
    let mut bobs = DialogSet::new();
    bobs.insert(bob.clone());
    assert_eq!(
        bobs.find_mut(&ack).map(|d| d.id().clone()),
        Some(bob.id().clone())
    );
    assert_eq!(bob.on_request(&ack).expect("ACK in dialog"), Incoming::Accept);

    // Alice hangs up.
    let bye = wire(
        &alice
            .request("BYE", "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds10")
            .and_then(cc_sip::MessageBuilder::build)
            .expect("BYE"),
    );
    assert_eq!(bye.request_uri_str(), Some("sip:bob@192.0.2.4"));
    assert_eq!(
        routes(&bye),
        [
            "<sip:ss1.atlanta.example.com;lr>",
            "<sip:ss2.biloxi.example.com;lr>"
        ]
    );
    assert_eq!(bye.cseq().map(|c| (c.seq, c.method)).ok(), Some((314_160, "BYE")));
    assert_eq!(
        bye.from_header().ok().map(|f| f.uri.as_str()),
        Some("sip:alice@atlanta.com")
    );
    assert_eq!(
        bye.to_header().ok().map(|t| t.uri.as_str()),
        Some("sip:bob@biloxi.com")
    );
    assert_eq!(bye.header(HeaderName::Contact), None);
    assert_eq!(bob.on_request(&bye).expect("BYE in dialog"), Incoming::Accept);
    assert_eq!(bob.state(), DialogState::Terminated);
    assert_eq!(bob.remote_seq(), Some(314_160));

    let bye_ok = wire(&answer_request(&bye));
    alice.on_response(&bye_ok).expect("200 to BYE");
    assert_eq!(alice.state(), DialogState::Terminated);
}

#[test]
fn callee_hangs_up() {
    let invite = wire(&alice_invite());
    let ok = wire(&bob_answer(&invite, 200, "OK"));
    let mut bob = Dialog::new_uas(&invite, &ok).expect("UAS dialog");
    let mut alice = Dialog::new_uac(&invite, &ok).expect("UAC dialog");
    let bye = wire(
        &bob.request("BYE", "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKbob1")
            .and_then(cc_sip::MessageBuilder::build)
            .expect("BYE"),
    );
    assert_eq!(bye.request_uri_str(), Some("sip:alice@pc33.atlanta.com"));
    assert_eq!(
        routes(&bye),
        [
            "<sip:ss2.biloxi.example.com;lr>",
            "<sip:ss1.atlanta.example.com;lr>"
        ]
    );
    assert_eq!(bye.cseq().map(|c| c.seq).ok(), Some(1));
    assert_eq!(bye.from_header().ok().and_then(|f| f.tag()), Some("a6c85cf"));
    assert_eq!(bye.to_header().ok().and_then(|t| t.tag()), Some("1928301774"));
    assert_eq!(
        bye.from_header().ok().map(|f| f.uri.as_str()),
        Some("sip:bob@biloxi.com")
    );
    let mut alices = DialogSet::new();
    alices.insert(alice.clone());
    assert!(alices.find_mut(&bye).is_some());
    assert_eq!(alice.on_request(&bye).expect("BYE"), Incoming::Accept);
    assert_eq!(alice.state(), DialogState::Terminated);
    bob.on_response(&wire(&answer_request(&bye))).expect("200 to BYE");
    assert_eq!(bob.state(), DialogState::Terminated);
}

const METHODS: [&str; 8] = [
    "BYE", "INVITE", "ACK", "INFO", "UPDATE", "OPTIONS", "REFER", "NOTIFY",
];

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,15}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9]{0,10}(\\.[a-z][a-z0-9]{0,6}){0,2}",
        (0u8..=255, 0u8..=255).prop_map(|(a, b)| format!("10.0.{a}.{b}")),
        Just("[2001:db8::1]".to_owned()),
    ]
}

fn route() -> impl Strategy<Value = String> {
    (host(), any::<bool>(), proptest::option::of(1u16..)).prop_map(|(h, lr, port)| {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let lr = if lr { ";lr" } else { "" };
        format!("<sip:{h}{port}{lr}>")
    })
}

proptest! {
    #[test]
    fn in_dialog_requests_never_panic(
        call_id in token(),
        local_tag in token(),
        remote_tag in token(),
        user in "[a-z]{1,8}",
        target in host(),
        secure in any::<bool>(),
        seq in prop_oneof![0u32..10, (1u32 << 31) - 3..(1u32 << 31)],
        record_routes in proptest::collection::vec(route(), 0..4),
        uas in any::<bool>(),
        methods in proptest::collection::vec(0usize..METHODS.len(), 1..8),
    ) {
        let scheme = if secure { "sips" } else { "sip" };
        let mut inv = Message::request("INVITE", &format!("{scheme}:{user}@{target}"))
            .header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp")
            .header("From", &format!("<sip:a@example.com>;tag={local_tag}"))
            .header("To", &format!("<{scheme}:{user}@{target}>"))
            .header("Call-ID", &call_id)
            .header("CSeq", &format!("{seq} INVITE"))
            .header("Contact", "<sip:a@192.0.2.1>");
        for rr in &record_routes {
            inv = inv.header("Record-Route", rr);
        }
        let inv = inv.build().expect("INVITE builds");
        let mut ok = Message::response(200, "OK")
            .header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp")
            .header("From", &format!("<sip:a@example.com>;tag={local_tag}"))
            .header("To", &format!("<{scheme}:{user}@{target}>;tag={remote_tag}"))
            .header("Call-ID", &call_id)
            .header("CSeq", &format!("{seq} INVITE"))
            .header("Contact", &format!("<{scheme}:{user}@{target}>"));
        for rr in &record_routes {
            ok = ok.header("Record-Route", rr);
        }
        let ok = ok.build().expect("200 builds");
        let mut dialog = if uas { Dialog::new_uas(&inv, &ok) } else { Dialog::new_uac(&inv, &ok) }
            .expect("dialog");
        prop_assert_eq!(dialog.is_secure(), secure);
        prop_assert_eq!(dialog.route_set().len(), record_routes.len());
        for m in methods {
            let method = METHODS[m];
            let before = dialog.local_seq();
            match dialog.request(method, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKq").and_then(cc_sip::MessageBuilder::build) {
                Ok(msg) => {
                    let back = Message::parse(msg.to_bytes()).expect("parses");
                    back.validate().expect("valid");
                    prop_assert_eq!(back.method(), Some(method));
                    let n = back.cseq().expect("CSeq").seq;
                    if method == "ACK" {
                        prop_assert_eq!(before, dialog.local_seq());
                    } else {
                        prop_assert_eq!(Some(n), dialog.local_seq());
                        prop_assert!(before.is_none_or(|b| n == b + 1));
                    }
                    let route_count = back.header_values(HeaderName::Route).count();
                    prop_assert!(route_count >= record_routes.len());
                }
                Err(e) => {
                    // Only ACK without an INVITE of ours and CSeq exhaustion fail.
                    let at_max = before == Some((1u32 << 31) - 1);
                    prop_assert!(method == "ACK" || at_max, "{method}: {e}");
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn incoming_cseq_ordering(seqs in proptest::collection::vec(0u32..20, 1..12), contacts in proptest::collection::vec(any::<bool>(), 12)) {
        let invite = alice_invite();
        let ok = bob_answer(&invite, 200, "OK");
        let mut alice = Dialog::new_uac(&invite, &ok).expect("UAC dialog");
        let mut highest: Option<u32> = None;
        let mut target = alice.remote_target().to_owned();
        for (i, seq) in seqs.into_iter().enumerate() {
            let refresh = contacts.get(i).copied().unwrap_or_default();
            let contact = format!("<sip:bob@198.51.100.{i}>");
            let mut b = Message::request(if refresh { "UPDATE" } else { "INFO" }, "sip:alice@pc33.atlanta.com")
                .header("Via", "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKx")
                .header("From", "<sip:bob@biloxi.com>;tag=a6c85cf")
                .header("To", "<sip:alice@atlanta.com>;tag=1928301774")
                .header("Call-ID", CALL_ID)
                .header("CSeq", &format!("{seq} {}", if refresh { "UPDATE" } else { "INFO" }));
            if refresh {
                b = b.header("Contact", &contact);
            }
            let req = b.build().expect("request builds");
            match alice.on_request(&req).expect("in dialog") {
                Incoming::Accept => {
                    prop_assert!(highest.is_none_or(|h| seq >= h));
                    highest = Some(seq);
                    if refresh {
                        target = format!("sip:bob@198.51.100.{i}");
                    }
                }
                Incoming::Reject(r) => {
                    prop_assert!(highest.is_some_and(|h| seq < h));
                    prop_assert_eq!(r.status_code(), Some(500));
                }
            }
            prop_assert_eq!(alice.remote_seq(), highest);
            prop_assert_eq!(alice.remote_target(), target.as_str());
        }
    }
}
