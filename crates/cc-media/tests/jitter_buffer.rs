//! The jitter buffer driven in virtual time: unit scenarios, a netem-like queue with
//! seeded delays, and properties over arbitrary arrival orders, losses and duplicates.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use cc_media::jitter::{JitterBuffer, JitterConfig, Pop, Push};
use proptest::prelude::*;

const SSRC: u32 = 0xA11CE;
const TICK: Duration = Duration::from_millis(20);

/// The payload of packet `k`: its number, repeated to a length that varies with it.
fn payload(k: u32) -> Vec<u8> {
    let len = 1 + (k as usize * 7) % 50;
    k.to_le_bytes().iter().copied().cycle().take(len).collect()
}

/// What a pop returned, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Frame {
        seq: u16,
        ts: u32,
        payload: Vec<u8>,
        discarded: u16,
    },
    Gap(u16),
    Empty,
}

fn pop(jb: &mut JitterBuffer, now: Instant) -> Got {
    match jb.pop(now) {
        Pop::Frame(f) => Got::Frame {
            seq: f.seq,
            ts: f.timestamp,
            payload: f.payload.to_vec(),
            discarded: f.discarded,
        },
        Pop::Gap { seq, .. } => Got::Gap(seq),
        Pop::Empty => Got::Empty,
    }
}

fn at(t0: Instant, tick: u32) -> Instant {
    t0 + TICK * tick
}

fn push(jb: &mut JitterBuffer, seq: u16, now: Instant) -> Push {
    let k = u32::from(seq);
    jb.push(SSRC, seq, k.wrapping_mul(160), false, &payload(k), now)
}

/// Pops until a frame or gap comes, at most 20 ticks from `tick`.
fn next_item(jb: &mut JitterBuffer, t0: Instant, tick: &mut u32) -> Got {
    for _ in 0..20 {
        *tick += 1;
        let got = pop(jb, at(t0, *tick));
        if got != Got::Empty {
            return got;
        }
    }
    Got::Empty
}

#[test]
fn in_order_across_the_wrap_after_the_initial_depth() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    assert_eq!(jb.target_depth(), 3);
    let mut played = Vec::new();
    let mut first_play = None;
    for tick in 0..30_u32 {
        let seq = 65_530_u16.wrapping_add(tick as u16);
        assert_eq!(push(&mut jb, seq, at(t0, tick)), Push::Accepted);
        if let Got::Frame { seq, payload: p, .. } = pop(&mut jb, at(t0, tick)) {
            first_play.get_or_insert(tick);
            assert_eq!(p, payload(u32::from(seq)));
            played.push(seq);
        }
    }
    // Three packets buffered before playout starts: the first plays at tick 2.
    assert_eq!(first_play, Some(2));
    let expected: Vec<u16> = (0..28).map(|i| 65_530_u16.wrapping_add(i)).collect();
    assert_eq!(played, expected);
    assert_eq!((jb.stats().gaps, jb.stats().late, jb.len()), (0, 0, 2));
}

#[test]
fn loss_is_a_gap_and_a_late_packet_grows_the_depth() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        initial_depth: 2,
        ..JitterConfig::default()
    });
    // Each arrives on time (so no jitter is measured); 12 is missing.
    for seq in [10, 11, 13, 14] {
        push(&mut jb, seq, at(t0, u32::from(seq) - 10));
    }
    let mut tick = 3;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(next_item(&mut jb, t0, &mut tick));
    }
    let seqs: Vec<_> = seen
        .iter()
        .map(|g| match g {
            Got::Frame { seq, .. } => (*seq, true),
            Got::Gap(seq) => (*seq, false),
            Got::Empty => (0, false),
        })
        .collect();
    assert_eq!(seqs, [(10, true), (11, true), (12, false), (13, true)]);

    // 12 turns up after its gap: late, dropped, and the target grows by one with a hold.
    let before = jb.target_depth();
    assert_eq!(push(&mut jb, 12, at(t0, tick)), Push::Late);
    assert_eq!(jb.target_depth(), before + 1);
    tick += 1;
    assert_eq!(pop(&mut jb, at(t0, tick)), Got::Empty);
    assert_eq!(jb.stats().holds, 1);
    assert!(matches!(
        next_item(&mut jb, t0, &mut tick),
        Got::Frame { seq: 14, .. }
    ));
    // A duplicate of something already played is late; of something buffered, a duplicate.
    assert_eq!(push(&mut jb, 14, at(t0, tick)), Push::Late);
    push(&mut jb, 15, at(t0, tick));
    assert_eq!(push(&mut jb, 15, at(t0, tick)), Push::Duplicate);
    assert_eq!(jb.stats().duplicates, 1);
}

#[test]
fn after_a_gap_the_next_packet_can_be_read_ahead_and_still_plays() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        initial_depth: 2,
        ..JitterConfig::default()
    });
    for seq in [20, 22, 23] {
        push(&mut jb, seq, at(t0, u32::from(seq) - 20));
    }
    let mut tick = 3;
    assert!(matches!(
        next_item(&mut jb, t0, &mut tick),
        Got::Frame { seq: 20, .. }
    ));
    let Pop::Gap { seq: 21, index } = jb.pop(at(t0, tick + 1)) else {
        panic!("21 should be a gap");
    };
    tick += 1;
    assert_eq!(jb.peek(index + 1), Some(&payload(22)[..]));
    assert_eq!(jb.peek(index), None, "the lost packet is not here");
    assert_eq!(jb.peek(index + 3), None, "nothing beyond what arrived");
    assert_eq!(
        next_item(&mut jb, t0, &mut tick),
        Got::Frame {
            seq: 22,
            ts: 22 * 160,
            payload: payload(22),
            discarded: 0
        }
    );
}

#[test]
fn reordering_inside_the_depth_is_repaired() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        initial_depth: 4,
        ..JitterConfig::default()
    });
    // 3 before 2 before 1 before 0: all arrive before playout starts.
    for (tick, seq) in [3_u16, 2, 1, 0, 5, 4, 6, 7].into_iter().enumerate() {
        push(&mut jb, seq, at(t0, tick as u32));
    }
    let mut tick = 8;
    let played: Vec<_> = (0..8)
        .map(|_| match next_item(&mut jb, t0, &mut tick) {
            Got::Frame { seq, .. } => seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(played, [0, 1, 2, 3, 4, 5, 6, 7]);

    // A new SSRC starts afresh, and its own early reordering is repaired too.
    for (i, seq) in [41_u16, 40, 43, 42].into_iter().enumerate() {
        let r = jb.push(0xD00D, seq, 0, false, &[seq as u8], at(t0, tick + i as u32));
        assert_eq!(r, if i == 0 { Push::Reset } else { Push::Accepted });
    }
    let played: Vec<_> = (0..4)
        .map(|_| match next_item(&mut jb, t0, &mut tick) {
            Got::Frame { seq, .. } => seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(played, [40, 41, 42, 43]);
}

#[test]
fn ssrc_change_and_sequence_restart_reset() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        initial_depth: 1,
        ..JitterConfig::default()
    });
    for seq in 0..5 {
        push(&mut jb, seq, t0);
    }
    assert_eq!(jb.push(0xB0B, 900, 0, true, &[1], t0), Push::Reset);
    assert_eq!((jb.len(), jb.stats().flushed, jb.stats().resets), (1, 5, 1));
    let mut tick = 0;
    assert!(matches!(
        next_item(&mut jb, t0, &mut tick),
        Got::Frame { seq: 900, ref payload, .. } if payload == &[1]
    ));
    // The same SSRC jumping far ahead of playout: a restart.
    assert_eq!(jb.push(0xB0B, 30_000, 0, false, &[2], t0), Push::Reset);
    assert!(matches!(
        next_item(&mut jb, t0, &mut tick),
        Got::Frame { seq: 30_000, .. }
    ));
    assert_eq!(jb.stats().resets, 2);
}

#[test]
fn timestamp_jump_is_counted_and_play_goes_on() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        initial_depth: 1,
        ..JitterConfig::default()
    });
    let mut tick = 0;
    for seq in 0..10_u16 {
        let ts = if seq < 5 {
            160 * u32::from(seq)
        } else {
            3_000_000_000 + 160 * u32::from(seq)
        };
        assert_eq!(
            jb.push(SSRC, seq, ts, false, &[seq as u8], at(t0, tick)),
            Push::Accepted
        );
        assert!(matches!(next_item(&mut jb, t0, &mut tick), Got::Frame { seq: s, .. } if s == seq));
    }
    assert_eq!((jb.stats().timestamp_jumps, jb.stats().resets), (1, 0));
    // The jump did not count as jitter.
    assert_eq!(jb.jitter(), 0);
}

#[test]
fn oversized_payload_is_refused() {
    let mut jb = JitterBuffer::new(JitterConfig {
        max_payload: 160,
        ..JitterConfig::default()
    });
    assert_eq!(
        jb.push(SSRC, 0, 0, false, &[0; 161], Instant::now()),
        Push::TooLarge
    );
    assert_eq!((jb.len(), jb.stats().too_large), (0, 1));
}

#[test]
fn depth_shrinks_slowly_after_calm() {
    let t0 = Instant::now();
    let config = JitterConfig {
        initial_depth: 8,
        shrink_after: 10,
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config);
    assert_eq!(jb.target_depth(), 8);
    // A perfectly regular stream: the lateness part decays one packet per 10 ticks, and
    // the excess packets are discarded one at a time.
    let mut discarded = 0;
    for tick in 0..200_u32 {
        push(&mut jb, tick as u16, at(t0, tick));
        if let Got::Frame { discarded: d, .. } = pop(&mut jb, at(t0, tick)) {
            discarded += u64::from(d);
        }
    }
    assert_eq!(jb.target_depth(), 1);
    assert_eq!(discarded, jb.stats().discarded);
    assert!(jb.len() <= 2, "{}", jb.len());
    assert_eq!(jb.stats().gaps, 0);
}

/// A netem-like link: each packet is delayed by a base latency plus seeded random jitter,
/// and some are dropped; deliveries come out in arrival order.
struct Netem {
    state: u64,
    queue: BTreeMap<(Duration, u32), u16>,
}

impl Netem {
    fn new(seed: u64) -> Self {
        Self {
            state: seed,
            queue: BTreeMap::new(),
        }
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11
    }

    /// Sends `seq` at `sent` with up to `jitter_ms` of extra delay and `loss_pct` loss.
    fn send(&mut self, seq: u16, sent: Duration, jitter_ms: u64, loss_pct: u64) {
        if self.rand() % 100 < loss_pct {
            return;
        }
        let delay = Duration::from_millis(30 + self.rand() % (jitter_ms + 1));
        self.queue.insert((sent + delay, u32::from(seq)), seq);
    }

    /// Packets that have arrived by `now`.
    fn deliver(&mut self, now: Duration) -> Vec<(Duration, u16)> {
        let later = self.queue.split_off(&(now + Duration::from_nanos(1), 0));
        let due = std::mem::replace(&mut self.queue, later);
        due.into_iter().map(|((t, _), seq)| (t, seq)).collect()
    }
}

/// Runs `ticks` 20 ms ticks of a stream through `net` into `jb`; returns (late, gaps).
fn run_link(
    jb: &mut JitterBuffer,
    net: &mut Netem,
    t0: Instant,
    from: u32,
    ticks: u32,
    jitter_ms: u64,
) -> (u64, u64) {
    let (late0, gaps0) = (jb.stats().late, jb.stats().gaps);
    for tick in from..from + ticks {
        let now = TICK * tick;
        net.send(tick as u16, now, jitter_ms, 1);
        for (arrival, seq) in net.deliver(now) {
            push(jb, seq, t0 + arrival);
        }
        let _ = jb.pop(t0 + now);
    }
    (jb.stats().late - late0, jb.stats().gaps - gaps0)
}

#[test]
fn adapts_to_a_jittery_link_then_calms_down() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        initial_depth: 1,
        shrink_after: 100,
        ..JitterConfig::default()
    });
    let mut net = Netem::new(0x5EED);
    // Up to 100 ms of jitter: the depth grows until late packets become rare.
    let (late_early, _) = run_link(&mut jb, &mut net, t0, 0, 500, 100);
    let grown = jb.target_depth();
    let (late_later, gaps_later) = run_link(&mut jb, &mut net, t0, 500, 1500, 100);
    assert!(grown >= 4, "target {grown}");
    assert!(late_early > 0);
    // 1 % loss over 1500 packets is about 15 gaps; lateness adds few once adapted.
    assert!(late_later <= 30, "late {late_later} of 1500");
    assert!(gaps_later <= 60, "gaps {gaps_later}");
    // A calm link: the target comes back down, slowly.
    run_link(&mut jb, &mut net, t0, 2000, 200, 0);
    let mid = jb.target_depth();
    assert!(mid < grown && mid > 1, "{grown} -> {mid}");
    run_link(&mut jb, &mut net, t0, 2200, 3000, 0);
    assert!(jb.target_depth() < grown, "{} -> {}", grown, jb.target_depth());
    assert!(
        mid > jb.target_depth(),
        "shrinks gradually: {mid} then {}",
        jb.target_depth()
    );
    assert!(jb.len() <= JitterConfig::default().capacity);
    assert_eq!(jb.stats().resets, 0);
    // The delay itself came down: what is buffered is near the target.
    assert!(
        jb.len() <= usize::from(jb.target_depth()) + 1,
        "{} buffered",
        jb.len()
    );
    assert!(jb.stats().discarded > 0);
}

/// One packet's fate in the property test.
#[derive(Debug, Clone)]
struct Fate {
    lost: bool,
    delay: u32,
    dups: Vec<u32>,
}

fn fates() -> impl Strategy<Value = Vec<Fate>> {
    proptest::collection::vec(
        (
            prop::bool::weighted(0.1),
            0_u32..8,
            proptest::collection::vec(0_u32..10, 0..2),
        )
            .prop_map(|(lost, delay, dups)| Fate { lost, delay, dups }),
        1..150,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn pops_in_order_once_each_with_exact_gaps(
        base in any::<u16>(),
        fates in fates(),
        capacity in 16_usize..64,
        max_depth in 2_u16..12,
        initial in 1_u16..6,
        shrink_after in 1_u32..30,
    ) {
        let t0 = Instant::now();
        let config = JitterConfig { capacity, max_depth, initial_depth: initial, shrink_after, ..JitterConfig::default() };
        let mut jb = JitterBuffer::new(config);

        // Arrivals per tick, in generation order.
        let mut arrivals: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (k, fate) in fates.iter().enumerate() {
            let k = k as u32;
            if !fate.lost {
                arrivals.entry(k + fate.delay).or_default().push(k);
            }
            for extra in &fate.dups {
                arrivals.entry(k + fate.delay + extra).or_default().push(k);
            }
        }
        let last_arrival = arrivals.keys().next_back().copied().unwrap_or(0);

        let seq_of = |k: u32| base.wrapping_add(k as u16);
        let k_of = |seq: u16| u32::from(seq.wrapping_sub(base));
        let mut accepted: HashSet<u32> = HashSet::new();
        let mut late: Vec<u32> = Vec::new();
        let mut items: Vec<(u32, &'static str)> = Vec::new();
        let mut gaps: HashSet<u32> = HashSet::new();
        let mut results: HashMap<u32, Vec<Push>> = HashMap::new();

        let mut tick = 0_u32;
        loop {
            for &k in arrivals.get(&tick).map_or(&[][..], |v| &v[..]) {
                let r = jb.push(SSRC, seq_of(k), k * 160, false, &payload(k), at(t0, tick) + Duration::from_millis(u64::from(k % 7)));
                prop_assert_ne!(r, Push::Reset);
                prop_assert_ne!(r, Push::TooLarge);
                match r {
                    Push::Accepted => { prop_assert!(accepted.insert(k), "{} accepted twice", k); }
                    Push::Late => late.push(k),
                    _ => {}
                }
                results.entry(k).or_default().push(r);
                prop_assert!(jb.len() <= capacity);
            }
            match pop(&mut jb, at(t0, tick) + Duration::from_millis(10)) {
                Got::Frame { seq, payload: p, discarded, ts } => {
                    let k = k_of(seq);
                    prop_assert!(accepted.contains(&k), "{} played but never accepted", k);
                    prop_assert_eq!(p, payload(k));
                    prop_assert_eq!(ts, k * 160);
                    for d in (1..=u32::from(discarded)).rev() {
                        prop_assert!(accepted.contains(&(k - d)), "{} discarded but never accepted", k - d);
                        items.push((k - d, "discarded"));
                    }
                    items.push((k, "frame"));
                }
                Got::Gap(seq) => {
                    let k = k_of(seq);
                    prop_assert!(!accepted.contains(&k), "gap for {} which was buffered", k);
                    gaps.insert(k);
                    items.push((k, "gap"));
                }
                Got::Empty => {}
            }
            prop_assert!(jb.len() <= capacity);
            tick += 1;
            if tick > last_arrival && jb.is_empty() {
                break;
            }
            prop_assert!(tick < last_arrival + 10_000, "never drained");
        }

        // One item per index, consecutive: in sequence order, nothing twice, nothing skipped.
        for pair in items.windows(2) {
            prop_assert_eq!(pair[1].0, pair[0].0 + 1, "{:?}", pair);
        }
        // Everything accepted came out, played or (to shrink) discarded.
        let out: HashSet<u32> = items.iter().filter(|(_, kind)| *kind != "gap").map(|(k, _)| *k).collect();
        prop_assert_eq!(&out, &accepted);
        // Gaps are exactly the indices in the played range never accepted.
        if let (Some(first), Some(last)) = (items.first(), items.last()) {
            for k in first.0..=last.0 {
                prop_assert_eq!(gaps.contains(&k), !accepted.contains(&k), "index {}", k);
            }
            // Late packets had had their turn, or came before playout began.
            for k in &late {
                prop_assert!(gaps.contains(k) || *k < first.0 || accepted.contains(k), "late {}", k);
            }
        }
    }
}
