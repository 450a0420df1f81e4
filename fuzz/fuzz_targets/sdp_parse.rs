//! Fuzzes the SDP parser and offer/answer: no input may panic, a parsed description must
//! re-parse equal from its own text, and answering it (or reading it as an answer to our
//! offer) must return a value or an error.
//!
//! `cargo +nightly fuzz run sdp_parse` (seed: the body of
//! `crates/cc-sip/tests/data/carrier-invite.sip`).

#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use cc_sip::sdp::{LocalMedia, SdpAnswer, SdpOffer, SdpSession, negotiated_from_answer, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = parse(data) else {
        return;
    };
    let again = parse(sdp.to_string().as_bytes());
    assert_eq!(
        again.as_ref(),
        Ok(&sdp),
        "a parsed description must re-parse from its own text"
    );
    for m in &sdp.media {
        let _ = (sdp.media_direction(m), sdp.media_connection(m).map(|c| c.is_hold()));
    }
    let local = LocalMedia::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 30000);
    let mut session = SdpSession::new(1, local.address);
    if let Ok((answer, _)) = session.answer(&SdpOffer(sdp.clone()), &local) {
        assert_eq!(parse(answer.to_string().as_bytes()).as_ref(), Ok(answer.as_sdp()));
    }
    let ours = session.offer(&local);
    let _ = negotiated_from_answer(&ours, &SdpAnswer(sdp));
});
