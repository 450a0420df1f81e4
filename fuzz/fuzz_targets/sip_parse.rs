//! Fuzzes the SIP message parser and every typed accessor: no input may panic, and a
//! parsed message must re-parse equal from its own serialization.
//!
//! `cargo +nightly fuzz run sip_parse` (seed corpus: `crates/cc-sip/tests/torture`).

#![no_main]

use cc_sip::{Limits, Message, frame_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = frame_stream(data, &Limits::default());
    let Ok(msg) = Message::parse(data.to_vec()) else {
        return;
    };
    let _ = msg.validate();
    let _ = msg.summary();
    if let Some(Ok(uri)) = msg.request_uri() {
        let _ = uri.as_sip().map(cc_sip::SipUriRef::to_core);
    }
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
    for contact in msg.contacts().flatten() {
        let _ = contact.address().map(|a| (a.expires(), a.q()));
    }
    let _ = (
        msg.routes().count(),
        msg.record_routes().count(),
        msg.allow().count(),
    );
    for auth in msg.authorization().chain(msg.www_authenticate()).flatten() {
        let _ = (auth.nonce_count(), auth.username(), auth.realm());
    }
    let _ = (
        msg.reasons().count(),
        msg.refer_to(),
        msg.referred_by(),
        msg.replaces(),
    );
    let _ = (msg.rseq(), msg.rack(), msg.session_expires(), msg.min_se());
    let _ = (msg.event(), msg.subscription_state());
    if let Ok(Some(refer)) = msg.refer() {
        let _ = (refer.target(), refer.replaces());
    }
    let _ = cc_sip::sipfrag::StatusFrag::parse(msg.body());
    let again = Message::parse(msg.to_bytes());
    assert_eq!(
        again.ok().as_ref(),
        Some(&msg),
        "a parsed message must re-parse from its own bytes"
    );
});
