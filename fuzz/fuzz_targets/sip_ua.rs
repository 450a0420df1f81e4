//! Fuzzes the sans-IO user agent: a run of datagrams (split at `0xff` bytes) from two
//! sources, with time moving on between them, must never panic; every incoming call is
//! answered and hung up so that the answer, retransmission and BYE paths run too.
//!
//! `cargo +nightly fuzz run sip_ua` (seed corpus: `crates/cc-sip/tests/torture`).

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cc_sip::ua::{UaConfig, UaEvent, UserAgent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = ([127, 0, 0, 1], 5060).into();
    let peers: [SocketAddr; 2] = [([127, 0, 0, 1], 5070).into(), ([127, 0, 0, 1], 5080).into()];
    let mut ua = UserAgent::new(UaConfig::new(local));
    let mut now = Instant::now();
    for (i, datagram) in data.split(|b| *b == 0xff).enumerate() {
        let peer = peers[i % 2];
        if i % 3 == 2 {
            let _ = ua.handle_stream_message(now, peer, datagram.to_vec());
        } else {
            ua.handle_datagram(now, peer, datagram.to_vec());
        }
        while let Some(event) = ua.poll_event() {
            if let UaEvent::IncomingCall { leg, .. } | UaEvent::ReInvite { leg, .. } = event {
                let _ = ua.answer(now, leg, None);
                let _ = ua.hangup(now, leg);
            }
        }
        while ua.poll_transmit().is_some() {}
        now += Duration::from_millis(250);
        ua.handle_timeout(now);
    }
    if let Some(deadline) = ua.poll_timeout() {
        ua.handle_timeout(deadline + Duration::from_secs(64));
    }
});
