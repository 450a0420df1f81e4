//! Fuzzes the RFC 4733 telephone-event parser and the receiver behind it.
//!
//! Run with `cargo +nightly fuzz run telephone_event` in this folder. The input is cut
//! into packets: 4 bytes of RTP timestamp, 1 byte whose low bit is the marker and whose
//! upper bits give the payload length (0–7), then the payload.
#![no_main]

use cc_media::dtmf::{DigitEvent, EventReceiver, TelephoneEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The parser alone: accepts exactly 4 bytes, and what it accepts rebuilds to the
    // same bytes (reserved bit aside).
    if let Ok(event) = TelephoneEvent::parse(data) {
        let built = event.build().expect("a parsed volume fits the field");
        assert_eq!(built[0], data[0]);
        assert_eq!(built[1], data[1] & !0x40);
        assert_eq!(built[2..], data[2..4]);
    }

    // The receiver on a packet stream.
    let mut receiver = EventReceiver::new();
    let mut rest = data;
    while let [t0, t1, t2, t3, flags, tail @ ..] = rest {
        let len = usize::from(flags >> 1) % 8;
        let (payload, next) = tail.split_at(len.min(tail.len()));
        let _ = receiver.handle(u32::from_be_bytes([*t0, *t1, *t2, *t3]), flags & 1 == 1, payload);
        rest = next;
    }
    receiver.end_pending();
    let mut open = 0_i32;
    while let Some(event) = receiver.poll_event() {
        open += match event {
            DigitEvent::Began { .. } => 1,
            DigitEvent::Ended { .. } => -1,
        };
        assert!((0..=1).contains(&open), "Began and Ended alternate");
    }
    assert_eq!(open, 0, "every digit ended");
});
