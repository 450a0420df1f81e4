//! Feature `rsip`: our messages to `rsip::SipMessage` and back. Requests and responses
//! with the headers of a carrier call and SDP bodies survive the round trip, rsip's
//! typed views read what we wrote, what rsip cannot hold is a typed error, and no
//! generated or torture message makes either way panic.
#![cfg(feature = "rsip")]

use cc_sip::rsip::RsipError;
use cc_sip::{HeaderName, Message};
use proptest::prelude::*;
use rsip::prelude::*;

const SDP: &str = "v=0\r\no=- 4711 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
                   m=audio 30000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

fn invite() -> Message {
    Message::request("INVITE", "sip:+861012345678@gw.example.com:5060;user=phone")
        .header("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1;rport")
        .header("Max-Forwards", "70")
        .header(
            "From",
            "\"Carrier\" <sip:+8613800000000@carrier.example>;tag=9fxced76sl",
        )
        .header("To", "<sip:+861012345678@gw.example.com>")
        .header("Call-ID", "3848276298220188511@192.0.2.10")
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:carrier@192.0.2.10:5060>")
        .header("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK")
        .header("Supported", "100rel, timer")
        .header("P-Asserted-Identity", "<sip:+8613800000000@carrier.example>")
        .header("User-Agent", "carrier-sbc/1.0")
        .header("Content-Type", "application/sdp")
        .body(SDP)
        .build()
        .expect("a valid INVITE")
}

fn ok_with_sdp() -> Message {
    Message::response(200, "OK")
        .header(
            "Via",
            "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1;rport=5060",
        )
        .header(
            "From",
            "\"Carrier\" <sip:+8613800000000@carrier.example>;tag=9fxced76sl",
        )
        .header("To", "<sip:+861012345678@gw.example.com>;tag=cc-1")
        .header("Call-ID", "3848276298220188511@192.0.2.10")
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:cc@198.51.100.2:5060>")
        .header("Server", "ccsdk")
        .header("Content-Type", "application/sdp")
        .body(SDP)
        .build()
        .expect("a valid 200")
}

/// Start line, header names (classified, so that compact forms match long ones; the
/// written name for unknown headers) and values, and body are the same.
fn assert_same(a: &Message, b: &Message) {
    assert_eq!(a.method(), b.method());
    assert_eq!(a.request_uri_str(), b.request_uri_str());
    assert_eq!(a.status_code(), b.status_code());
    let names = |m: &Message| -> Vec<(HeaderName, String, String)> {
        m.headers()
            .map(|h| {
                let raw = if h.name == HeaderName::Other {
                    h.raw_name.to_ascii_lowercase()
                } else {
                    String::new()
                };
                (h.name, raw, h.value.to_owned())
            })
            .collect()
    };
    assert_eq!(names(a), names(b));
    assert_eq!(a.body(), b.body());
}

#[test]
fn an_invite_with_sdp_goes_to_rsip_and_back() {
    let ours = invite();
    let theirs = rsip::SipMessage::try_from(&ours).unwrap();
    let rsip::SipMessage::Request(request) = &theirs else {
        panic!("a request");
    };
    assert_eq!(request.method, rsip::Method::Invite);
    assert_eq!(request.body, SDP.as_bytes());
    // rsip's typed views read what we wrote.
    assert_eq!(
        request.call_id_header().unwrap().value(),
        "3848276298220188511@192.0.2.10"
    );
    assert_eq!(request.cseq_header().unwrap().typed().unwrap().seq, 1);
    assert_eq!(
        request
            .via_header()
            .unwrap()
            .typed()
            .unwrap()
            .branch()
            .map(ToString::to_string),
        Some("z9hG4bK-524287-1".to_owned())
    );
    assert_eq!(
        request
            .from_header()
            .unwrap()
            .tag()
            .unwrap()
            .map(|t| t.to_string()),
        Some("9fxced76sl".to_owned())
    );
    assert!(
        request
            .headers
            .iter()
            .any(|h| matches!(h, rsip::Header::Other(n, _) if n == "P-Asserted-Identity"))
    );
    let back = Message::try_from(&theirs).unwrap();
    back.validate().unwrap();
    assert_same(&ours, &back);
}

#[test]
fn responses_go_to_rsip_and_back() {
    let ours = ok_with_sdp();
    let theirs = rsip::SipMessage::try_from(&ours).unwrap();
    let rsip::SipMessage::Response(response) = &theirs else {
        panic!("a response");
    };
    assert_eq!(response.status_code, rsip::StatusCode::OK);
    let back = Message::try_from(theirs).unwrap();
    assert_same(&ours, &back);
    assert_eq!(back.reason_phrase(), Some("OK"));

    // A code rsip knows: its own phrase comes back, in words.
    let busy = Message::response(486, "Occupied")
        .header("Via", "SIP/2.0/TCP h;branch=z9hG4bK1")
        .build()
        .unwrap();
    let back = Message::try_from(rsip::SipMessage::try_from(&busy).unwrap()).unwrap();
    assert_eq!(
        (back.status_code(), back.reason_phrase()),
        (Some(486), Some("Busy Here"))
    );
    // A code it does not know keeps ours.
    let custom = Message::response(499, "Custom Reason").build().unwrap();
    let back = Message::try_from(rsip::SipMessage::try_from(&custom).unwrap()).unwrap();
    assert_eq!(
        (back.status_code(), back.reason_phrase()),
        (Some(499), Some("Custom Reason"))
    );
}

#[test]
fn compact_names_become_long_names_rsip_knows() {
    let ours = Message::parse(
        "BYE sip:bob@192.0.2.7 SIP/2.0\r\n\
         v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\n\
         f: <sip:alice@example.com>;tag=1\r\n\
         t: <sip:bob@example.com>;tag=2\r\n\
         i: c2@192.0.2.1\r\n\
         CSeq: 2 BYE\r\n\
         l: 0\r\n\r\n",
    )
    .unwrap();
    let theirs = rsip::SipMessage::try_from(&ours).unwrap();
    assert_eq!(theirs.call_id_header().unwrap().value(), "c2@192.0.2.1");
    assert!(theirs.via_header().is_ok());
    let back = Message::try_from(&theirs).unwrap();
    assert_eq!(back.header(HeaderName::CallId), Some("c2@192.0.2.1"));
    assert_eq!(back.headers().next().map(|h| h.raw_name), Some("Via"));
    assert_same(&ours, &back);
}

#[test]
fn what_rsip_cannot_hold_is_a_typed_error() {
    let extension = Message::request("PING", "sip:bob@example.com").build().unwrap();
    assert_eq!(
        rsip::SipMessage::try_from(&extension).unwrap_err(),
        RsipError::UnsupportedMethod {
            method: "PING".to_owned()
        }
    );
    let lower = Message::request("invite", "sip:bob@example.com").build().unwrap();
    assert!(matches!(
        rsip::SipMessage::try_from(&lower),
        Err(RsipError::UnsupportedMethod { .. })
    ));
    let tel = Message::request("INVITE", "tel:+86-10-1234-5678")
        .build()
        .unwrap();
    match rsip::SipMessage::try_from(&tel) {
        Ok(rsip::SipMessage::Request(r)) => assert!(r.uri.to_string().contains("1234")),
        Ok(other) => panic!("a request, not {other:?}"),
        Err(e) => assert!(matches!(e, RsipError::Uri { .. }), "{e}"),
    }
    // The other way: Content-Length that lies about the body.
    let mut request = match rsip::SipMessage::try_from(&invite()).unwrap() {
        rsip::SipMessage::Request(r) => r,
        rsip::SipMessage::Response(_) => unreachable!(),
    };
    request.body.truncate(3);
    let error = Message::try_from(rsip::SipMessage::Request(request)).unwrap_err();
    assert!(matches!(error, RsipError::Invalid(_)), "{error}");
    assert!(error.to_string().contains("Content-Length"), "{error}");
}

#[test]
fn messages_made_with_rsip_convert_to_ours() {
    let request = rsip::Request {
        method: rsip::Method::Register,
        uri: rsip::Uri::try_from("sip:registrar.example.com").unwrap(),
        version: rsip::Version::V2,
        headers: vec![
            rsip::headers::Via::new("SIP/2.0/TLS 192.0.2.5:5061;branch=z9hG4bKr1").into(),
            rsip::headers::From::new("<sip:agent7@example.com>;tag=a7").into(),
            rsip::headers::To::new("<sip:agent7@example.com>").into(),
            rsip::headers::CallId::new("reg-7@192.0.2.5").into(),
            rsip::headers::CSeq::new("1 REGISTER").into(),
            rsip::headers::Contact::new("<sip:agent7@192.0.2.5:5061;transport=tls>").into(),
            rsip::headers::Expires::new("300").into(),
            rsip::Header::Other("X-Tenant".into(), "acme".into()),
            rsip::headers::ContentLength::new("0").into(),
        ]
        .into(),
        body: Vec::new(),
    };
    let ours = Message::try_from(rsip::SipMessage::Request(request)).unwrap();
    ours.validate().unwrap();
    assert_eq!(ours.method(), Some("REGISTER"));
    assert_eq!(ours.top_via().unwrap().transport, "TLS");
    assert_eq!(ours.header_values_named("X-Tenant").next(), Some("acme"));
    assert_eq!(ours.contacts().count(), 1);
}

#[test]
fn torture_messages_convert_or_fail_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torture");
    let mut converted = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let Ok(ours) = Message::parse(bytes) else { continue };
        if let Ok(theirs) = rsip::SipMessage::try_from(&ours) {
            converted += 1;
            let _ = Message::try_from(&theirs);
        }
    }
    assert!(converted > 10, "most torture messages convert ({converted})");
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("INVITE".to_owned()),
        Just("ACK".to_owned()),
        Just("BYE".to_owned()),
        Just("OPTIONS".to_owned()),
        Just("PRACK".to_owned()),
        Just("REGISTER".to_owned()),
        "[A-Za-z]{1,10}",
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Via".to_owned()),
        Just("v".to_owned()),
        Just("From".to_owned()),
        Just("t".to_owned()),
        Just("Call-ID".to_owned()),
        Just("CSeq".to_owned()),
        Just("m".to_owned()),
        Just("Record-Route".to_owned()),
        Just("Content-Type".to_owned()),
        Just("X-Custom".to_owned()),
        "[A-Za-z][A-Za-z0-9-]{0,12}".prop_filter("not Content-Length", |n| {
            HeaderName::from_name(n) != HeaderName::ContentLength
        }),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof!["[!-~]", "[!-~][ -~é漢]{0,40}[!-~]"]
}

fn message() -> impl Strategy<Value = Option<Message>> {
    let start = prop_oneof![
        (
            method(),
            "[a-z0-9+.-]{1,10}",
            "[a-z0-9.-]{0,12}[a-z]",
            proptest::option::of(1000_u16..)
        )
            .prop_map(|(m, user, host, port)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                (Some((m, format!("sip:{user}@{host}{port}"))), None)
            }),
        (100_u16..700, "[!-~]([ -~]{0,18}[!-~])?").prop_map(|(c, r)| (None, Some((c, r)))),
    ];
    (
        start,
        proptest::collection::vec((header_name(), value()), 0..8),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(start, headers, body)| {
            let mut builder = match start {
                (Some((m, uri)), _) => Message::request(&m, &uri),
                (_, Some((code, reason))) => Message::response(code, &reason),
                _ => return None,
            };
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            builder.body(body).build().ok()
        })
}

proptest! {
    #[test]
    fn conversion_never_panics_and_keeps_what_rsip_holds(msg in message()) {
        let Some(ours) = msg else { return Ok(()) };
        let Ok(theirs) = rsip::SipMessage::try_from(&ours) else { return Ok(()) };
        let back = Message::try_from(&theirs);
        let back = back.map_err(|e| TestCaseError::fail(format!("{e} for {ours}")))?;
        prop_assert_eq!(back.method(), ours.method());
        prop_assert_eq!(back.status_code(), ours.status_code());
        prop_assert_eq!(back.body(), ours.body());
        let values = |m: &Message| m.headers().map(|h| (h.name, h.value.to_owned())).collect::<Vec<_>>();
        prop_assert_eq!(values(&back), values(&ours));
    }

    #[test]
    fn arbitrary_parsed_bytes_never_make_a_conversion_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut text = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        text.extend_from_slice(&bytes);
        if let Ok(ours) = Message::parse(text)
            && let Ok(theirs) = rsip::SipMessage::try_from(&ours)
        {
            let _ = Message::try_from(&theirs);
        }
    }
}
