use super::*;
use crate::transaction::TransactionLayer;

const VIA_A: &str = "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds";

fn invite(extra: &[(&str, &str)]) -> Message {
    let mut b = Message::request("INVITE", "sip:bob@biloxi.com")
        .header("Via", VIA_A)
        .header("Max-Forwards", "70")
        .header("To", "Bob <sip:bob@biloxi.com>")
        .header("From", "Alice <sip:alice@atlanta.com>;tag=1928301774")
        .header("Call-ID", "a84b4c76e66710@pc33.atlanta.com")
        .header("CSeq", "314159 INVITE")
        .header("Contact", "<sip:alice@pc33.atlanta.com>");
    for (n, v) in extra {
        b = b.header(n, v);
    }
    b.build().unwrap()
}

fn respond(req: &Message, code: u16, tag: &str, extra: &[(&str, &str)]) -> Message {
    let mut with: Vec<(&str, &str)> = extra.to_vec();
    for rr in req.header_values(crate::HeaderName::RecordRoute) {
        with.push(("Record-Route", rr));
    }
    crate::transaction::messages::response_to(req, code, "Reason", Some(tag), &with).unwrap()
}

#[test]
fn uac_dialog_from_provisional_then_confirmed() {
    let inv = invite(&[]);
    let ringing = respond(&inv, 180, "a6c85cf", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uac(&inv, &ringing).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    assert_eq!(d.role(), Role::Uac);
    assert_eq!(d.id().local_tag, "1928301774");
    assert_eq!(d.id().remote_tag, "a6c85cf");
    assert_eq!(d.local_seq(), Some(314_159));
    assert_eq!(d.remote_seq(), None);
    assert_eq!(d.local_uri(), "sip:alice@atlanta.com");
    assert_eq!(d.remote_uri(), "sip:bob@biloxi.com");
    assert_eq!(d.remote_target(), "sip:bob@192.0.2.4");
    assert!(!d.is_secure());
    let ok = respond(&inv, 200, "a6c85cf", &[("Contact", "<sip:bob@192.0.2.5>")]);
    d.on_response(&ok).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target(), "sip:bob@192.0.2.5");
}

#[test]
fn creation_refuses_bad_inputs() {
    let inv = invite(&[]);
    let trying = respond(&inv, 100, "x", &[]);
    assert!(Dialog::new_uac(&inv, &trying).is_err());
    let busy = respond(&inv, 486, "x", &[]);
    assert!(Dialog::new_uac(&inv, &busy).is_err());
    let no_contact = respond(&inv, 200, "x", &[]);
    assert!(Dialog::new_uac(&inv, &no_contact).is_err());
    let untagged = crate::transaction::messages::response_to(&inv, 200, "OK", None, &[]).unwrap();
    assert!(Dialog::new_uac(&inv, &untagged).is_err());
    assert!(matches!(
        Dialog::new_uac(&untagged, &untagged),
        Err(Error::Dialog { .. })
    ));
}

#[test]
fn uas_dialog_and_early_failure() {
    let inv = invite(&[]);
    let ringing = respond(&inv, 180, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uas(&inv, &ringing).unwrap();
    assert_eq!(d.role(), Role::Uas);
    assert_eq!(d.state(), DialogState::Early);
    assert_eq!(d.id().local_tag, "b1");
    assert_eq!(d.id().remote_tag, "1928301774");
    assert_eq!(d.remote_seq(), Some(314_159));
    assert_eq!(d.local_seq(), None);
    assert_eq!(d.remote_target(), "sip:alice@pc33.atlanta.com");
    assert_eq!(d.local_contact(), Some("sip:bob@192.0.2.4"));
    let decline = respond(&inv, 603, "b1", &[]);
    d.on_sent_response(&decline).unwrap();
    assert_eq!(d.state(), DialogState::Terminated);
    assert!(d.request("BYE", "SIP/2.0/UDP h;branch=z9hG4bKq").is_err());
}

#[test]
fn record_route_order_uac_reversed_uas_kept() {
    let rr = [("Record-Route", "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>")];
    let inv = invite(&rr);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let uac = Dialog::new_uac(&inv, &ok).unwrap();
    assert_eq!(
        uac.route_set(),
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    let uas = Dialog::new_uas(&inv, &ok).unwrap();
    assert_eq!(
        uas.route_set(),
        ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    );
}

#[test]
fn loose_routing_keeps_remote_target() {
    let inv = invite(&[("Record-Route", "<sip:p1.example.com;lr>")]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uac(&inv, &ok).unwrap();
    let bye = d
        .request("BYE", "SIP/2.0/UDP h;branch=z9hG4bK2")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(bye.request_uri_str(), Some("sip:bob@192.0.2.4"));
    let routes: Vec<&str> = bye.header_values(crate::HeaderName::Route).collect();
    assert_eq!(routes, ["<sip:p1.example.com;lr>"]);
}

#[test]
fn strict_route_fallback() {
    let inv = invite(&[(
        "Record-Route",
        "<sip:p2.example.com;lr>, <sip:p1.example.com;maddr=10.0.0.1;method=INVITE>",
    )]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uac(&inv, &ok).unwrap();
    let (uri, routes) = d.next_hop().unwrap();
    assert_eq!(uri, "sip:p1.example.com;maddr=10.0.0.1");
    assert_eq!(routes, ["<sip:p2.example.com;lr>", "<sip:bob@192.0.2.4>"]);
    let bye = d
        .request("BYE", "SIP/2.0/UDP h;branch=z9hG4bK2")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(bye.request_uri_str(), Some("sip:p1.example.com;maddr=10.0.0.1"));
    let sent: Vec<&str> = bye.header_values(crate::HeaderName::Route).collect();
    assert_eq!(sent, ["<sip:p2.example.com;lr>", "<sip:bob@192.0.2.4>"]);
}

#[test]
fn cseq_numbers_for_bye_reinvite_ack() {
    let inv = invite(&[]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uac(&inv, &ok).unwrap();
    let ack = d.ack("SIP/2.0/UDP h;branch=z9hG4bK3").unwrap().build().unwrap();
    assert_eq!(ack.cseq().unwrap().seq, 314_159);
    assert_eq!(ack.cseq().unwrap().method, "ACK");
    assert_eq!(ack.header(crate::HeaderName::Contact), None);
    let re = d
        .request("INVITE", "SIP/2.0/UDP h;branch=z9hG4bK4")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(re.cseq().unwrap().seq, 314_160);
    assert_eq!(
        re.header(crate::HeaderName::Contact),
        Some("<sip:alice@pc33.atlanta.com>")
    );
    let ack2 = d.ack("SIP/2.0/UDP h;branch=z9hG4bK5").unwrap().build().unwrap();
    assert_eq!(ack2.cseq().unwrap().seq, 314_160);
    let bye = d
        .request("BYE", "SIP/2.0/UDP h;branch=z9hG4bK6")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(bye.cseq().unwrap().seq, 314_161);
}

#[test]
fn uas_starts_local_cseq_at_one_and_ack_needs_invite() {
    let inv = invite(&[]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uas(&inv, &ok).unwrap();
    assert!(d.ack("SIP/2.0/UDP h;branch=z9hG4bK7").is_err());
    let bye = d
        .request("BYE", "SIP/2.0/UDP h;branch=z9hG4bK8")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(bye.cseq().unwrap().seq, 1);
    assert_eq!(bye.from_header().unwrap().tag(), Some("b1"));
    assert_eq!(bye.to_header().unwrap().tag(), Some("1928301774"));
}

fn in_dialog(method: &str, seq: u32, contact: Option<&str>) -> Message {
    let mut b = Message::request(method, "sip:bob@192.0.2.4")
        .header("Via", "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnew")
        .header("From", "<sip:alice@atlanta.com>;tag=1928301774")
        .header("To", "<sip:bob@biloxi.com>;tag=b1")
        .header("Call-ID", "a84b4c76e66710@pc33.atlanta.com")
        .header("CSeq", &format!("{seq} {method}"));
    if let Some(c) = contact {
        b = b.header("Contact", c);
    }
    b.build().unwrap()
}

#[test]
fn out_of_order_cseq_gets_500() {
    let inv = invite(&[]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uas(&inv, &ok).unwrap();
    let old = in_dialog("INFO", 314_158, None);
    match d.on_request(&old).unwrap() {
        Incoming::Reject(r) => {
            assert_eq!(r.status_code(), Some(500));
            assert_eq!(r.cseq().unwrap().seq, 314_158);
        }
        Incoming::Accept => panic!("a lower CSeq must be refused"),
    }
    assert_eq!(d.remote_seq(), Some(314_159));
    let ack = in_dialog("ACK", 314_159, None);
    assert_eq!(d.on_request(&ack).unwrap(), Incoming::Accept);
    let info = in_dialog("INFO", 314_160, None);
    assert_eq!(d.on_request(&info).unwrap(), Incoming::Accept);
    assert_eq!(d.remote_seq(), Some(314_160));
}

#[test]
fn reinvite_refreshes_target_both_ways() {
    let inv = invite(&[]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut uas = Dialog::new_uas(&inv, &ok).unwrap();
    let info = in_dialog("INFO", 314_160, Some("<sip:alice@198.51.100.1>"));
    uas.on_request(&info).unwrap();
    assert_eq!(uas.remote_target(), "sip:alice@pc33.atlanta.com");
    let re = in_dialog("INVITE", 314_161, Some("<sip:alice@198.51.100.1>"));
    assert_eq!(uas.on_request(&re).unwrap(), Incoming::Accept);
    assert_eq!(uas.remote_target(), "sip:alice@198.51.100.1");

    let mut uac = Dialog::new_uac(&inv, &ok).unwrap();
    let reinvite = uac
        .request("INVITE", "SIP/2.0/UDP h;branch=z9hG4bK9")
        .unwrap()
        .build()
        .unwrap();
    let ok2 = respond(&reinvite, 200, "b1", &[("Contact", "<sip:bob@203.0.113.7>")]);
    uac.on_response(&ok2).unwrap();
    assert_eq!(uac.remote_target(), "sip:bob@203.0.113.7");
    assert_eq!(uac.state(), DialogState::Confirmed);
}

#[test]
fn forking_gives_two_early_dialogs_one_confirmed() {
    let inv = invite(&[]);
    let mut set = DialogSet::new();
    let r1 = respond(&inv, 180, "fork1", &[("Contact", "<sip:bob@192.0.2.11>")]);
    let r2 = respond(&inv, 183, "fork2", &[("Contact", "<sip:bob@192.0.2.12>")]);
    let id1 = set.on_invite_response(&inv, &r1).unwrap().unwrap();
    let id2 = set.on_invite_response(&inv, &r2).unwrap().unwrap();
    assert_ne!(id1, id2);
    assert_eq!(set.len(), 2);
    assert_eq!(
        set.forks("a84b4c76e66710@pc33.atlanta.com", "1928301774").count(),
        2
    );
    let ok = respond(&inv, 200, "fork2", &[("Contact", "<sip:bob@192.0.2.12>")]);
    assert_eq!(set.on_invite_response(&inv, &ok).unwrap(), Some(id2.clone()));
    assert_eq!(set.get(&id2).map(Dialog::state), Some(DialogState::Confirmed));
    assert_eq!(set.get(&id1).map(Dialog::state), Some(DialogState::Early));
    let found = set.find_mut(&ok).map(|d| d.id().clone());
    assert_eq!(found, Some(id2));
    let trying = respond(&inv, 100, "", &[]);
    assert_eq!(set.on_invite_response(&inv, &trying).unwrap(), None);
}

#[test]
fn final_failure_ends_early_forks() {
    let inv = invite(&[]);
    let mut set = DialogSet::new();
    let r1 = respond(&inv, 180, "fork1", &[]);
    let id1 = set.on_invite_response(&inv, &r1).unwrap().unwrap();
    assert_eq!(
        set.get(&id1).map(Dialog::remote_target),
        Some("sip:bob@biloxi.com")
    );
    let busy = respond(&inv, 486, "other", &[]);
    assert_eq!(set.on_invite_response(&inv, &busy).unwrap(), None);
    assert_eq!(set.get(&id1).map(Dialog::state), Some(DialogState::Terminated));
    set.purge_terminated();
    assert!(set.is_empty());
}

#[test]
fn bye_and_its_response_end_the_dialog() {
    let mut layer = TransactionLayer::new(crate::transaction::Config::default());
    let inv = invite(&[]);
    let tag = layer.new_tag();
    let ok = respond(&inv, 200, &tag, &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut uac = Dialog::new_uac(&inv, &ok).unwrap();
    let mut uas = Dialog::new_uas(&inv, &ok).unwrap();
    let via = format!("SIP/2.0/UDP pc33.atlanta.com;branch={}", layer.new_branch());
    let bye = uac.request("BYE", &via).unwrap().build().unwrap();
    let mut set = DialogSet::new();
    set.insert(uas.clone());
    assert!(set.find_mut(&bye).is_some());
    assert_eq!(uas.on_request(&bye).unwrap(), Incoming::Accept);
    assert_eq!(uas.state(), DialogState::Terminated);
    let ok_bye = crate::transaction::messages::response_to(&bye, 200, "OK", None, &[]).unwrap();
    uac.on_response(&ok_bye).unwrap();
    assert_eq!(uac.state(), DialogState::Terminated);
}

#[test]
fn set_answers_481_outside_any_dialog() {
    let inv = invite(&[]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut set = DialogSet::new();
    set.insert(Dialog::new_uas(&inv, &ok).unwrap());
    assert_eq!(set.on_request(&inv).unwrap(), None);
    let info = in_dialog("INFO", 314_160, None);
    assert_eq!(set.on_request(&info).unwrap(), Some(Incoming::Accept));
    let stray = Message::request("BYE", "sip:bob@192.0.2.4")
        .header("Via", "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKs")
        .header("From", "<sip:alice@atlanta.com>;tag=1928301774")
        .header("To", "<sip:bob@biloxi.com>;tag=unknown")
        .header("Call-ID", "a84b4c76e66710@pc33.atlanta.com")
        .header("CSeq", "9 BYE")
        .build()
        .unwrap();
    match set.on_request(&stray).unwrap() {
        Some(Incoming::Reject(r)) => assert_eq!(r.status_code(), Some(481)),
        other => panic!("expected 481, got {other:?}"),
    }
    let bye = in_dialog("BYE", 314_161, None);
    assert_eq!(set.on_request(&bye).unwrap(), Some(Incoming::Accept));
    match set.on_request(&in_dialog("INFO", 314_162, None)).unwrap() {
        Some(Incoming::Reject(r)) => assert_eq!(r.status_code(), Some(481)),
        other => panic!("expected 481 after BYE, got {other:?}"),
    }
}

#[test]
fn messages_of_other_dialogs_are_errors() {
    let inv = invite(&[]);
    let ok = respond(&inv, 200, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut uac = Dialog::new_uac(&inv, &ok).unwrap();
    let other = respond(&inv, 200, "b2", &[("Contact", "<sip:bob@192.0.2.4>")]);
    assert!(uac.on_response(&other).is_err());
    let mut uas = Dialog::new_uas(&inv, &other).unwrap();
    assert!(uas.on_request(&in_dialog("INFO", 314_160, None)).is_err());
}

#[test]
fn request_uri_drops_uri_headers_and_method() {
    let inv = invite(&[]);
    let ok = respond(
        &inv,
        200,
        "b1",
        &[(
            "Contact",
            "<sip:bob@192.0.2.4;transport=tcp;method=INVITE?Subject=hi>",
        )],
    );
    let mut d = Dialog::new_uac(&inv, &ok).unwrap();
    assert_eq!(
        d.remote_target(),
        "sip:bob@192.0.2.4;transport=tcp;method=INVITE?Subject=hi"
    );
    let bye = d
        .request("BYE", "SIP/2.0/TCP h;branch=z9hG4bKr")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(bye.request_uri_str(), Some("sip:bob@192.0.2.4;transport=tcp"));
    Message::parse(bye.to_bytes()).unwrap().validate().unwrap();
}

#[test]
fn second_forked_2xx_makes_a_second_confirmed_dialog() {
    let inv = invite(&[]);
    let mut set = DialogSet::new();
    let ok1 = respond(&inv, 200, "f1", &[("Contact", "<sip:bob@192.0.2.11>")]);
    let ok2 = respond(&inv, 200, "f2", &[("Contact", "<sip:bob@192.0.2.12>")]);
    let id1 = set.on_invite_response(&inv, &ok1).unwrap().unwrap();
    let id2 = set.on_invite_response(&inv, &ok2).unwrap().unwrap();
    assert_ne!(id1, id2);
    let confirmed = set
        .forks("a84b4c76e66710@pc33.atlanta.com", "1928301774")
        .filter(|d| d.state() == DialogState::Confirmed)
        .count();
    assert_eq!(confirmed, 2);
}

#[test]
fn no_reinvite_in_an_early_dialog() {
    let inv = invite(&[]);
    let ringing = respond(&inv, 180, "b1", &[("Contact", "<sip:bob@192.0.2.4>")]);
    let mut d = Dialog::new_uac(&inv, &ringing).unwrap();
    assert!(d.request("INVITE", "SIP/2.0/UDP h;branch=z9hG4bKe").is_err());
    assert_eq!(d.local_seq(), Some(314_159));
    let update = d
        .request("UPDATE", "SIP/2.0/UDP h;branch=z9hG4bKu")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(update.cseq().unwrap().seq, 314_160);
}
