//! RFC 4733 telephone-events end to end: the sender's packet series through the receiver,
//! with duplicates, loss, reordering of late packets, timestamp wrap and long events.

use cc_core::DtmfDigit;
use cc_media::Error;
use cc_media::dtmf::sender::OutgoingEvent;
use cc_media::dtmf::{DigitEvent, DtmfSender, EventReceiver, TelephoneEvent};
use proptest::prelude::*;

fn digit(c: char) -> DtmfDigit {
    DtmfDigit::from_char(c).unwrap()
}

fn packets(c: char, timestamp: u32, ms: u32) -> Vec<OutgoingEvent> {
    DtmfSender::new(8000)
        .unwrap()
        .packets(digit(c), timestamp, ms)
        .unwrap()
        .collect()
}

fn feed(receiver: &mut EventReceiver, packets: &[OutgoingEvent]) {
    for p in packets {
        receiver.handle(p.timestamp, p.marker, &p.payload).unwrap();
    }
}

fn drain(receiver: &mut EventReceiver) -> Vec<DigitEvent> {
    std::iter::from_fn(|| receiver.poll_event()).collect()
}

fn began(c: char, timestamp: u32) -> DigitEvent {
    DigitEvent::Began {
        digit: digit(c),
        timestamp,
        volume: 10,
    }
}

fn ended(c: char, timestamp: u32, duration: u32, end_seen: bool) -> DigitEvent {
    DigitEvent::Ended {
        digit: digit(c),
        timestamp,
        duration,
        end_seen,
    }
}

#[test]
fn sender_series_shape() {
    let p = packets('#', 100, 200);
    // 1600 units: start + updates at 400, 800, 1200, then three end packets.
    assert_eq!(p.len(), 4 + 3);
    assert!(p[0].marker && p.iter().skip(1).all(|p| !p.marker));
    assert!(p.iter().all(|p| p.timestamp == 100));
    let parsed: Vec<TelephoneEvent> = p
        .iter()
        .map(|p| TelephoneEvent::parse(&p.payload).unwrap())
        .collect();
    assert_eq!(
        parsed.iter().map(|e| e.duration).collect::<Vec<_>>(),
        [0, 400, 800, 1200, 1600, 1600, 1600]
    );
    assert_eq!(parsed.iter().filter(|e| e.end).count(), 3);
    assert!(parsed.iter().all(|e| e.event == 11 && e.volume == 10));
    assert_eq!(
        p.iter().map(|p| p.send_at).collect::<Vec<_>>(),
        [0, 400, 800, 1200, 1600, 2000, 2400]
    );
}

#[test]
fn sender_rejects_bad_settings() {
    let s = DtmfSender::new(8000).unwrap();
    assert!(matches!(
        s.with_volume(64),
        Err(Error::EventVolume { volume: 64 })
    ));
    let err = s.packets(digit('1'), 0, 9000).unwrap_err().to_string();
    assert!(err.contains("72000") && err.contains("65535"), "{err}");
    assert!(s.packets(digit('1'), 0, 0).is_err());
    assert!(
        s.with_update_interval_ms(5)
            .unwrap_err()
            .to_string()
            .contains("10 to 1000 ms")
    );
    assert!(DtmfSender::new(0).is_err());
    let fast = s.with_update_interval_ms(20).unwrap().with_volume(0).unwrap();
    assert_eq!(fast.packets(digit('1'), 0, 100).unwrap().len(), 5 + 3);
}

#[test]
fn one_digit_once_with_redundant_ends() {
    let mut r = EventReceiver::new();
    feed(&mut r, &packets('5', 7, 100));
    assert_eq!(drain(&mut r), [began('5', 7), ended('5', 7, 800, true)]);
    assert_eq!((r.stats().digits, r.stats().duplicates), (1, 2));
    assert_eq!(r.in_progress(), None);
}

#[test]
fn every_packet_twice_is_still_one_digit() {
    let mut r = EventReceiver::new();
    for p in packets('9', 0, 150) {
        feed(&mut r, &[p, p]);
    }
    assert_eq!(drain(&mut r), [began('9', 0), ended('9', 0, 1200, true)]);
}

#[test]
fn lost_end_packets_end_the_digit_when_the_next_begins() {
    let mut r = EventReceiver::new();
    let first = packets('1', 0, 100);
    feed(&mut r, &first[..first.len() - 3]);
    assert_eq!(r.in_progress(), Some(digit('1')));
    feed(&mut r, &packets('2', 2000, 100));
    assert_eq!(
        drain(&mut r),
        [
            began('1', 0),
            ended('1', 0, 400, false),
            began('2', 2000),
            ended('2', 2000, 800, true)
        ]
    );
}

#[test]
fn end_pending_ends_a_digit_whose_ends_were_lost() {
    let mut r = EventReceiver::new();
    let p = packets('*', 0, 100);
    feed(&mut r, &p[..2]);
    r.end_pending();
    r.end_pending();
    assert_eq!(drain(&mut r), [began('*', 0), ended('*', 0, 400, false)]);
    // A late end packet of the same event is a duplicate now, not a second digit.
    feed(&mut r, &p[2..]);
    assert_eq!(drain(&mut r), []);
}

#[test]
fn same_digit_twice_is_two_digits() {
    let mut r = EventReceiver::new();
    feed(&mut r, &packets('3', 0, 100));
    feed(&mut r, &packets('3', 1600, 100));
    assert_eq!(r.stats().digits, 2);
}

#[test]
fn timestamp_wrap_and_late_packets() {
    let mut r = EventReceiver::new();
    let start = u32::MAX - 200;
    let first = packets('4', start, 100);
    let second_start = start.wrapping_add(1600);
    let second = packets('6', second_start, 100);
    feed(&mut r, &first);
    feed(&mut r, &second[..2]);
    // A late duplicate of the first digit, after the second began, is stale.
    feed(&mut r, &first[1..2]);
    feed(&mut r, &second[2..]);
    assert_eq!(
        drain(&mut r),
        [
            began('4', start),
            ended('4', start, 800, true),
            began('6', second_start),
            ended('6', second_start, 800, true)
        ]
    );
    assert_eq!(r.stats().stale, 1);
}

#[test]
fn lost_start_or_only_an_end_packet() {
    let mut r = EventReceiver::new();
    let p = packets('0', 0, 100);
    feed(&mut r, &p[1..]);
    feed(&mut r, &packets('8', 2000, 100)[3..4]);
    assert_eq!(
        drain(&mut r),
        [
            began('0', 0),
            ended('0', 0, 800, true),
            began('8', 2000),
            ended('8', 2000, 800, true)
        ]
    );
}

#[test]
fn long_event_in_segments_is_one_digit() {
    // RFC 4733 §2.5.1.3: an event longer than 65535 units continues with a new timestamp
    // and no marker.
    let mut r = EventReceiver::new();
    let seg = |d: u16, end: bool| {
        TelephoneEvent {
            event: 1,
            end,
            volume: 10,
            duration: d,
        }
        .build()
        .unwrap()
    };
    r.handle(1000, true, &seg(0, false)).unwrap();
    r.handle(1000, false, &seg(40_000, false)).unwrap();
    r.handle(1000, false, &seg(65_535, false)).unwrap();
    r.handle(1000 + 65_535, false, &seg(400, false)).unwrap();
    r.handle(1000 + 65_535, false, &seg(4000, true)).unwrap();
    assert_eq!(
        drain(&mut r),
        [began('1', 1000), ended('1', 1000, 65_535 + 4000, true)]
    );
}

#[test]
fn bad_and_foreign_payloads() {
    let mut r = EventReceiver::new();
    assert!(matches!(
        r.handle(0, true, &[1, 2, 3]),
        Err(Error::EventPayloadLength { len: 3 })
    ));
    assert!(r.handle(0, true, &[]).is_err());
    r.handle(0, true, &[16, 0x0A, 0, 0]).unwrap(); // hook flash: not a digit
    assert_eq!(drain(&mut r), []);
    let s = r.stats();
    assert_eq!((s.packets, s.malformed, s.other_events, s.digits), (3, 2, 1, 0));
}

/// A digit to send: event code, duration, gap after it.
fn digits() -> impl Strategy<Value = Vec<(u8, u32, u32)>> {
    proptest::collection::vec((0_u8..16, 40_u32..400, 0_u32..300), 1..8)
}

/// Sends `digits` back to back from `base`, returning per packet (digit index, packet).
fn series(base: u32, digits: &[(u8, u32, u32)]) -> Vec<(usize, OutgoingEvent)> {
    let sender = DtmfSender::new(8000).unwrap();
    let mut at = base;
    let mut all = Vec::new();
    for (i, &(code, ms, gap)) in digits.iter().enumerate() {
        let d = DtmfDigit::from_event_code(code).unwrap();
        all.extend(sender.packets(d, at, ms).unwrap().map(|p| (i, p)));
        at = at.wrapping_add((ms + gap) * 8 + 2400);
    }
    all
}

proptest! {
    #[test]
    fn any_duplicates_and_losses_yield_each_digit_once(
        base in any::<u32>(),
        digits in digits(),
        dups in proptest::collection::vec((any::<prop::sample::Index>(), 0_usize..12), 0..30),
        drops in proptest::collection::vec(any::<bool>(), 0..60),
    ) {
        let all = series(base, &digits);
        // Keep each packet unless dropped, but always keep at least one per digit.
        let mut kept: Vec<(usize, usize, OutgoingEvent)> = Vec::new(); // (order key, digit, packet)
        for (n, &(i, p)) in all.iter().enumerate() {
            let last_of_digit = all.get(n + 1).is_none_or(|&(j, _)| j != i);
            let have_one = kept.iter().any(|&(_, j, _)| j == i);
            if !drops.get(n).copied().unwrap_or(false) || (last_of_digit && !have_one) {
                kept.push((2 * n, i, p));
            }
        }
        // Duplicates of any packet, arriving at or after the original.
        let originals = kept.clone();
        for (index, delay) in dups {
            let &(key, i, p) = index.get(&originals);
            kept.push((key + 2 * delay + 1, i, p));
        }
        kept.sort_by_key(|&(key, _, _)| key);

        let mut r = EventReceiver::new();
        for &(_, _, p) in &kept {
            r.handle(p.timestamp, p.marker, &p.payload).unwrap();
        }
        r.end_pending();
        let events = drain(&mut r);
        let expected: Vec<DtmfDigit> = digits.iter().map(|&(c, _, _)| DtmfDigit::from_event_code(c).unwrap()).collect();
        let began: Vec<DtmfDigit> = events.iter().filter_map(|e| match e { DigitEvent::Began { digit, .. } => Some(*digit), DigitEvent::Ended { .. } => None }).collect();
        let ended: Vec<DtmfDigit> = events.iter().filter_map(|e| match e { DigitEvent::Ended { digit, .. } => Some(*digit), DigitEvent::Began { .. } => None }).collect();
        prop_assert_eq!(&began, &expected);
        prop_assert_eq!(&ended, &expected);
        // Each Ended follows its Began.
        for pair in events.chunks(2) {
            let is_pair = matches!(pair, [DigitEvent::Began { digit: a, .. }, DigitEvent::Ended { digit: b, .. }] if a == b);
            prop_assert!(is_pair, "{:?}", pair);
        }
    }

    #[test]
    fn without_loss_durations_are_exact(base in any::<u32>(), digits in digits()) {
        let mut r = EventReceiver::new();
        for (_, p) in series(base, &digits) {
            r.handle(p.timestamp, p.marker, &p.payload).unwrap();
        }
        let durations: Vec<u32> = drain(&mut r).iter().filter_map(|e| match e {
            DigitEvent::Ended { duration, end_seen: true, .. } => Some(*duration),
            _ => None,
        }).collect();
        prop_assert_eq!(durations, digits.iter().map(|&(_, ms, _)| ms * 8).collect::<Vec<_>>());
    }

    #[test]
    fn receiver_never_panics_on_garbage(packets in proptest::collection::vec((any::<u32>(), any::<bool>(), proptest::collection::vec(any::<u8>(), 0..6)), 0..50)) {
        let mut r = EventReceiver::new();
        for (ts, marker, payload) in packets {
            let _ = r.handle(ts, marker, &payload);
        }
        r.end_pending();
        let events = drain(&mut r);
        let began = events.iter().filter(|e| matches!(e, DigitEvent::Began { .. })).count();
        prop_assert_eq!(began, events.len() - began);
    }
}
