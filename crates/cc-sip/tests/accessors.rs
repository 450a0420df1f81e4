//! Typed accessors on whole messages: the values a B2BUA and a registrar read.

use cc_sip::{Contact, Error, HeaderName, Message, Uri};

fn msg(text: &str) -> Message {
    let m = Message::parse(text.replace('\n', "\r\n")).unwrap();
    m.validate().unwrap();
    m
}

#[test]
fn register_with_digest_and_contacts() {
    let m = msg(r#"REGISTER sips:ss2.biloxi.example.com SIP/2.0
Via: SIP/2.0/TLS client.biloxi.example.com:5061;branch=z9hG4bKnashd92
Max-Forwards: 70
From: Bob <sips:bob@biloxi.example.com>;tag=ja743ks76zlflH
To: Bob <sips:bob@biloxi.example.com>
Call-ID: 1j9FpLxk3uxtm8tn@biloxi.example.com
CSeq: 2 REGISTER
Contact: <sips:bob@client.biloxi.example.com>;expires=3600;q=0.8, "Desk" <sip:bob@[2001:db8::5]>;q=1
m: <sip:bob@192.0.2.4>
Authorization: Digest username="bob", realm="atlanta.example.com",
 nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="",
 uri="sips:ss2.biloxi.example.com", qop=auth, nc=00000001, cnonce="0a4f113b",
 response="dfe56131d1958046689d83306477ecc", algorithm=SHA-256
Expires: 7200
Supported: path, outbound
l: 0

"#);
    assert_eq!(m.method(), Some("REGISTER"));
    assert_eq!(m.max_forwards().unwrap(), Some(70));
    assert_eq!(m.expires().unwrap(), Some(7200));
    let contacts: Vec<Contact<'_>> = m.contacts().collect::<Result<_, _>>().unwrap();
    assert_eq!(contacts.len(), 3);
    let first = contacts[0].address().unwrap();
    assert_eq!((first.expires(), first.q()), (Some(3600), Some(800)));
    let desk = contacts[1].address().unwrap();
    assert_eq!(desk.display_name().as_deref(), Some("Desk"));
    assert_eq!(desk.uri.as_sip().unwrap().host, "[2001:db8::5]");
    let auth = m.authorization().next().unwrap().unwrap();
    assert_eq!(auth.username().as_deref(), Some("bob"));
    assert_eq!(auth.algorithm().as_deref(), Some("SHA-256"));
    assert_eq!(auth.nonce_count(), Some(1));
    assert_eq!(
        m.supported().collect::<Result<Vec<_>, _>>().unwrap(),
        vec!["path", "outbound"]
    );
    assert!(!m.supports("100rel"));
    let Some(Ok(Uri::Sip(ruri))) = m.request_uri() else {
        panic!("not a SIP URI")
    };
    assert!(ruri.secure);
}

#[test]
fn unregister_all_with_wildcard() {
    let m = msg("REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1
From: <sip:bob@example.com>;tag=1
To: <sip:bob@example.com>
Call-ID: x@y
CSeq: 3 REGISTER
Contact: *
Expires: 0
Content-Length: 0

");
    assert_eq!(m.contacts().next().unwrap().unwrap(), Contact::Wildcard);
    assert_eq!(m.expires().unwrap(), Some(0));
}

#[test]
fn refer_with_replaces_and_routes() {
    let m = msg("REFER sip:agent@pbx.example.com SIP/2.0
Via: SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK2;rport=5062;received=2001:db8::9
Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Route: <sip:p3.example.com;lr>
Record-Route: <sip:rr.example.com;lr>
From: <sip:a@example.com>;tag=f
To: <sip:agent@pbx.example.com>;tag=t
Call-ID: refer-1@example.com
CSeq: 7 REFER
r: <sip:c@example.com?Replaces=12345%40pbx%3Bto-tag%3D1%3Bfrom-tag%3D2>
b: \"Supervisor\" <sip:sup@example.com>
Replaces: 12345@pbx.example.com;to-tag=1;from-tag=2
Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\", Q.850;cause=16
Require: replaces
Content-Length: 0

");
    let via = m.top_via().unwrap();
    assert_eq!(via.rport(), Some(Some(5062)));
    assert_eq!(via.received(), Some("2001:db8::9"));
    let routes: Vec<_> = m.routes().map(|r| r.unwrap().uri.as_str()).collect();
    assert_eq!(
        routes,
        [
            "sip:p1.example.com;lr",
            "sip:p2.example.com;lr",
            "sip:p3.example.com;lr"
        ]
    );
    assert_eq!(m.record_routes().count(), 1);
    let refer_to = m.refer_to().unwrap().unwrap();
    let target = refer_to.uri.as_sip().unwrap();
    assert_eq!(target.header_pairs().next().unwrap().0, "Replaces");
    assert_eq!(
        m.referred_by().unwrap().unwrap().display_name().as_deref(),
        Some("Supervisor")
    );
    let r = m.replaces().unwrap().unwrap();
    assert_eq!(
        (r.call_id, r.to_tag, r.from_tag, r.early_only),
        ("12345@pbx.example.com", "1", "2", false)
    );
    let reasons: Vec<_> = m.reasons().map(Result::unwrap).collect();
    assert_eq!(reasons[0].cause(), Some(200));
    assert_eq!(reasons[0].text().as_deref(), Some("Call completed elsewhere"));
    assert_eq!(reasons[1].protocol, "Q.850");
    assert!(m.supports("replaces"));
}

#[test]
fn reliable_provisional_and_prack() {
    let m = msg("PRACK sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK3
From: <sip:a@example.com>;tag=f
To: <sip:b@example.com>;tag=t
Call-ID: prack@x
CSeq: 2 PRACK
RAck: 776656 1 INVITE
Content-Type: application/sdp; charset=utf-8
Content-Length: 4

v=0
");
    let rack = m.rack().unwrap().unwrap();
    assert_eq!((rack.rseq, rack.cseq, rack.method), (776_656, 1, "INVITE"));
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("application", "sdp"));
    assert_eq!(ct.params.get("charset"), Some(Some("utf-8")));
    assert_eq!(m.content_length().unwrap(), Some(4));
    assert_eq!(m.body(), b"v=0\r");
}

#[test]
fn challenges_in_responses() {
    let m = msg(r#"SIP/2.0 407 Proxy Authentication Required
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK4
From: <sip:a@example.com>;tag=f
To: <sip:b@example.com>;tag=t
Call-ID: auth@x
CSeq: 1 INVITE
Proxy-Authenticate: Digest realm="example.com", qop="auth", nonce="abc", stale=FALSE, algorithm=MD5
WWW-Authenticate: Digest realm="example.com", nonce="def", algorithm=SHA-256
Allow: INVITE, ACK, CANCEL, BYE
Content-Length: 0

"#);
    assert_eq!(m.status_code(), Some(407));
    assert_eq!(m.reason_phrase(), Some("Proxy Authentication Required"));
    let c = m.proxy_authenticate().next().unwrap().unwrap();
    assert_eq!(c.realm().as_deref(), Some("example.com"));
    assert!(!c.stale());
    assert_eq!(
        m.www_authenticate()
            .next()
            .unwrap()
            .unwrap()
            .algorithm()
            .as_deref(),
        Some("SHA-256")
    );
    assert_eq!(m.allow().count(), 4);
    assert_eq!(m.header_values_named("proxy-authenticate").count(), 1);
}

#[test]
fn extension_headers_by_name_and_missing_ones() {
    let m = msg("OPTIONS sip:b@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK5
From: <sip:a@example.com>;tag=f
To: <sip:b@example.com>
Call-ID: opt@x
CSeq: 1 OPTIONS
X-Tenant: acme
x-tenant: second
k: timer
Content-Length: 0

");
    assert_eq!(
        m.header_values_named("X-TENANT").collect::<Vec<_>>(),
        ["acme", "second"]
    );
    assert_eq!(m.header_values_named("Supported").collect::<Vec<_>>(), ["timer"]);
    assert_eq!(m.header(HeaderName::Supported), Some("timer"));
    assert_eq!(m.max_forwards().unwrap(), None);
    assert!(m.rack().unwrap().is_none());
    assert!(matches!(m.session_expires(), Ok(None)));
}

#[test]
fn missing_mandatory_headers_are_named() {
    let m = Message::parse("OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n\r\n")
        .unwrap();
    assert!(matches!(
        m.from_header(),
        Err(Error::MissingHeader { name: "From" })
    ));
    assert!(matches!(m.validate(), Err(Error::MissingHeader { name: "To" })));
}
