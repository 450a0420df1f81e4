//! Properties: parse(serialize(m)) == m for generated messages; typed values survive a
//! round trip; no input, however broken, makes any parser panic.

use cc_sip::{Frame, HeaderName, Limits, Message, frame_stream};
use proptest::prelude::*;

const CARRIER_INVITE: &[u8] = include_bytes!("data/carrier-invite.sip");
const WSINV: &[u8] = include_bytes!("torture/wsinv.dat");

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.!%*_+`'~-]{1,12}"
}

/// Header values: printable text (ASCII and some UTF-8) not starting or ending with space.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[!-~]", "[!-~][ -~é漢]{0,40}[!-~]",]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Via".to_owned()),
        Just("v".to_owned()),
        Just("From".to_owned()),
        Just("To".to_owned()),
        Just("i".to_owned()),
        Just("CSeq".to_owned()),
        Just("Contact".to_owned()),
        Just("Subject".to_owned()),
        Just("X-Custom".to_owned()),
        token().prop_filter("not Content-Length", |n| {
            HeaderName::from_name(n) != HeaderName::ContentLength
        }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    let start = prop_oneof![
        (token(), "[a-z0-9]{1,8}", "[a-z0-9.-]{1,12}[a-z]")
            .prop_map(|(m, u, h)| (Some((m, format!("sip:{u}@{h}"))), None)),
        (100u16..700, "[ -~]{0,20}").prop_map(|(c, r)| (None, Some((c, r)))),
    ];
    (
        start,
        proptest::collection::vec((header_name(), value()), 0..12),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_filter_map("buildable", |(start, headers, body)| {
            let mut b = match start {
                (Some((method, uri)), _) => Message::request(&method, &uri),
                (_, Some((code, reason))) => Message::response(code, &reason),
                _ => return None,
            };
            for (n, v) in &headers {
                b = b.header(n, v);
            }
            b.body(body).build().ok()
        })
}

/// Mutations of real messages: byte flips, insertions and truncations.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(CARRIER_INVITE.to_vec()), Just(WSINV.to_vec())],
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    )
        .prop_map(|(mut bytes, edits)| {
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => bytes.truncate(i),
                }
            }
            bytes
        })
}

/// Exercises every parser on `bytes`; only a panic can fail this.
fn poke(bytes: Vec<u8>) {
    let _ = frame_stream(&bytes, &Limits::default());
    let Ok(msg) = Message::parse(bytes) else { return };
    let _ = msg.validate();
    let _ = msg.summary();
    let _ = msg
        .request_uri()
        .map(|u| u.map(|u| u.as_sip().map(cc_sip::SipUriRef::to_core)));
    for via in msg.vias().flatten() {
        let _ = (via.branch(), via.received(), via.rport());
    }
    let _ = msg.from_header().map(|a| (a.tag(), a.display_name()));
    let _ = msg
        .to_header()
        .map(|a| a.uri.as_sip().map(cc_sip::SipUriRef::to_core));
    let _ = (
        msg.call_id(),
        msg.cseq(),
        msg.max_forwards(),
        msg.expires(),
        msg.content_type(),
    );
    for c in msg.contacts().flatten() {
        let _ = c.address().map(|a| (a.expires(), a.q()));
    }
    let _ = (
        msg.routes().count(),
        msg.record_routes().count(),
        msg.allow().count(),
    );
    for a in msg.authorization().flatten() {
        let _ = (a.nonce_count(), a.username());
    }
    let _ = (
        msg.reasons().count(),
        msg.refer_to(),
        msg.referred_by(),
        msg.replaces(),
    );
    let _ = (
        msg.rseq(),
        msg.rack(),
        msg.session_expires(),
        msg.supports("100rel"),
    );
    let again = Message::parse(msg.to_bytes());
    assert_eq!(
        again.as_ref().ok(),
        Some(&msg),
        "a parsed message must re-parse from its own bytes"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serialized_messages_parse_back_equal(m in message()) {
        let bytes = m.to_bytes();
        prop_assert_eq!(bytes.len(), m.encoded_len());
        let parsed = Message::parse(bytes.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&parsed, &m);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn typed_values_round_trip(
        branch in "z9hG4bK[A-Za-z0-9.-]{1,16}",
        tag in "[A-Za-z0-9]{1,10}",
        seq in 0u32..(1 << 31),
        method in "[A-Z]{3,9}",
        display in "[A-Za-z0-9 ,\"\\\\]{0,12}",
        port in 1u16..,
    ) {
        let quoted = format!("\"{}\"", display.replace('\\', "\\\\").replace('"', "\\\""));
        let m = Message::request(&method, "sip:bob@example.com")
            .header("Via", &format!("SIP/2.0/TCP [2001:db8::1]:{port};branch={branch};rport"))
            .header("From", &format!("{quoted} <sip:alice@example.com>;tag={tag}"))
            .header("To", "<sip:bob@example.com>")
            .header("Call-ID", &format!("{tag}@host"))
            .header("CSeq", &format!("{seq} {method}"))
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let m = Message::parse(m.to_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        m.validate().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let via = m.top_via().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(via.branch(), Some(branch.as_str()));
        prop_assert_eq!(via.port, Some(port));
        prop_assert_eq!(via.rport(), Some(None));
        let from = m.from_header().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(from.tag(), Some(tag.as_str()));
        let shown = from.display_name();
        prop_assert_eq!(shown.as_deref(), Some(display.as_str()));
        let cseq = m.cseq().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!((cseq.seq, cseq.method), (seq, method.as_str()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        poke(bytes);
    }

    #[test]
    fn sip_like_text_never_panics(text in "([A-Za-z:;,<>\"\\\\@=/ \t.\\[\\]0-9%?-]{0,30}\r\n){0,12}(\r\n)?[ -~]{0,20}") {
        poke(format!("INVITE sip:a@b SIP/2.0\r\n{text}").into_bytes());
        poke(text.into_bytes());
    }

    #[test]
    fn mutated_real_messages_never_panic(bytes in mutated()) {
        poke(bytes);
    }
}

#[test]
fn carrier_invite_reads_typed() {
    let m = Message::parse(CARRIER_INVITE).unwrap();
    m.validate().unwrap();
    assert_eq!(
        m.top_via().unwrap().branch(),
        Some("z9hG4bK-524287-1---a1b2c3d4e5f6a7b8")
    );
    assert_eq!(m.from_header().unwrap().tag(), Some("as6b8f1a2c"));
    assert_eq!(
        m.to_header().unwrap().uri.as_str(),
        "sip:4008001234@198.51.100.20;user=phone"
    );
    assert_eq!(m.call_id().unwrap(), "5f2d3c1a7e9b4d8f@203.0.113.10");
    assert_eq!(m.cseq().unwrap().seq, 102);
    assert_eq!(m.body().len(), 238);
    assert!(m.supports("replaces"));
    assert_eq!(m.allow().count(), 10);
    let core = m.to_header().unwrap().uri.as_sip().unwrap().to_core().unwrap();
    assert_eq!(core.param("user"), Some(Some("phone")));
    assert_eq!(
        frame_stream(CARRIER_INVITE, &Limits::default()),
        Ok(Frame::Complete {
            len: CARRIER_INVITE.len()
        })
    );
}
