//! Two transaction layers, a client and a server, exchange datagrams through an
//! in-memory network that loses, duplicates and delays them (seeded, so every run is the
//! same), on virtual time. Every transaction still completes, the server's TU sees each
//! request once, and both layers end empty.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cc_sip::Message;
use cc_sip::transaction::{Config, Event, TransactionId, TransactionLayer};

/// xorshift64*: a small seeded generator, enough for a network emulator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next() % (hi - lo + 1))
    }
}

/// The lossy network: datagrams ordered by delivery time (ties by sequence).
struct Netem {
    rng: Rng,
    loss: u64,
    duplicate: u64,
    queue: BTreeMap<(Instant, u64), (SocketAddr, SocketAddr, Bytes)>,
    seq: u64,
    sent: u64,
    lost: u64,
}

impl Netem {
    fn send(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, payload: &Bytes) {
        self.sent += 1;
        let copies = if self.rng.chance(self.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            if self.rng.chance(self.loss) {
                self.lost += 1;
                continue;
            }
            let at = now + self.rng.millis(5, 150);
            self.seq += 1;
            self.queue.insert((at, self.seq), (from, to, payload.clone()));
        }
    }
}

fn request(layer: &mut TransactionLayer, method: &str, n: u32) -> Message {
    let branch = layer.new_branch();
    let tag = layer.new_tag();
    Message::request(method, "sip:bob@10.0.0.2")
        .header("Via", &format!("SIP/2.0/UDP 10.0.0.1:5060;branch={branch}"))
        .header("Max-Forwards", "70")
        .header("From", &format!("<sip:alice@10.0.0.1>;tag={tag}"))
        .header("To", "<sip:bob@10.0.0.2>")
        .header("Call-ID", &format!("netem-{n}@10.0.0.1"))
        .header("CSeq", &format!("1 {method}"))
        .build()
        .unwrap()
}

struct Outcome {
    finals: HashMap<TransactionId, u16>,
    timeouts: usize,
    server_requests: HashMap<String, usize>,
    lost: u64,
    sent: u64,
}

fn run(seed: u64, loss: u64, count: u32) -> Outcome {
    let t0 = Instant::now();
    let a: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:5060".parse().unwrap();
    let mut client = TransactionLayer::new(Config {
        seed,
        ..Config::default()
    });
    let mut server = TransactionLayer::new(Config {
        seed: seed ^ 0xffff,
        ..Config::default()
    });
    let mut net = Netem {
        rng: Rng(seed | 1),
        loss,
        duplicate: 10,
        queue: BTreeMap::new(),
        seq: 0,
        sent: 0,
        lost: 0,
    };
    let mut out = Outcome {
        finals: HashMap::new(),
        timeouts: 0,
        server_requests: HashMap::new(),
        lost: 0,
        sent: 0,
    };
    let mut started = vec![];
    // Server TU answers INVITEs 300 ms late (so 100 Trying goes out), after a 180.
    let mut tu_due: Vec<(Instant, TransactionId, Message)> = vec![];
    for n in 0..count {
        let method = if n % 2 == 0 { "OPTIONS" } else { "INVITE" };
        let at = t0 + Duration::from_millis(u64::from(n) * 40);
        let req = request(&mut client, method, n);
        started.push((at, req));
    }
    started.reverse();
    let mut now = t0;
    let end = t0 + Duration::from_secs(300);
    while now < end {
        // Drain both layers into the network and run both TUs.
        loop {
            let mut busy = false;
            while let Some(t) = client.poll_transmit() {
                net.send(now, a, t.destination, &t.payload);
                busy = true;
            }
            while let Some(t) = server.poll_transmit() {
                net.send(now, b, t.destination, &t.payload);
                busy = true;
            }
            while let Some(e) = client.poll_event() {
                busy = true;
                match e {
                    Event::Response { id, response } => {
                        let code = response.status_code().unwrap();
                        if code >= 200 {
                            assert!(out.finals.insert(id, code).is_none(), "one final per transaction");
                        }
                    }
                    Event::Timeout { .. } => out.timeouts += 1,
                    _ => {}
                }
            }
            while let Some(e) = server.poll_event() {
                busy = true;
                if let Event::Request { id, request, .. } = e {
                    *out.server_requests
                        .entry(request.call_id().unwrap().to_owned())
                        .or_default() += 1;
                    if request.method() == Some("INVITE") {
                        let ringing = server.response_to(&request, 180, "Ringing").unwrap();
                        let tag = ringing.to_header().unwrap().tag().unwrap().to_owned();
                        tu_due.push((now + Duration::from_millis(300), id, ringing));
                        let busy_here =
                            TransactionLayer::response_with_tag(&request, 486, "Busy Here", &tag).unwrap();
                        tu_due.push((now + Duration::from_millis(600), id, busy_here));
                    } else {
                        let ok = server.response_to(&request, 200, "OK").unwrap();
                        server.send_response(now, id, &ok).unwrap();
                    }
                }
            }
            if !busy {
                break;
            }
        }
        // The next thing to happen.
        let next = [
            net.queue.keys().next().map(|k| k.0),
            client.poll_timeout(),
            server.poll_timeout(),
            started.last().map(|s| s.0),
            tu_due.iter().map(|d| d.0).min(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        now = next.max(now);
        if let Some(&(at, _)) = started.last()
            && at <= now
            && let Some((_, req)) = started.pop()
        {
            client.send_request(now, b, false, req).unwrap();
            continue;
        }
        if let Some(pos) = tu_due.iter().position(|d| d.0 <= now) {
            let (_, id, resp) = tu_due.swap_remove(pos);
            server.send_response(now, id, &resp).unwrap();
            continue;
        }
        if let Some((&key, _)) = net.queue.iter().next()
            && key.0 <= now
            && let Some((from, to, payload)) = net.queue.remove(&key)
        {
            if to == a {
                client.handle_datagram(now, from, payload);
            } else {
                server.handle_datagram(now, from, payload);
            }
            continue;
        }
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    assert!(client.is_empty(), "client transactions left: {}", client.len());
    assert!(server.is_empty(), "server transactions left: {}", server.len());
    assert_eq!(client.poll_timeout(), None);
    assert_eq!(server.poll_timeout(), None);
    out.lost = net.lost;
    out.sent = net.sent;
    out
}

#[test]
fn transactions_complete_through_a_lossy_network() {
    for seed in [1_u64, 7, 42, 1234, 99_991] {
        let out = run(seed, 20, 60);
        assert!(out.lost > 0, "the network lost something (seed {seed})");
        assert_eq!(out.timeouts, 0, "seed {seed}");
        assert_eq!(
            out.finals.len(),
            60,
            "seed {seed}: every transaction got its final response"
        );
        assert_eq!(out.finals.values().filter(|c| **c == 200).count(), 30);
        assert_eq!(out.finals.values().filter(|c| **c == 486).count(), 30);
        assert_eq!(out.server_requests.len(), 60);
        assert!(
            out.server_requests.values().all(|n| *n == 1),
            "seed {seed}: retransmissions reached the TU"
        );
        assert!(out.sent > 60 * 2, "retransmissions happened");
    }
}

#[test]
fn a_dead_network_times_every_transaction_out() {
    let out = run(5, 100, 10);
    assert_eq!(out.finals.len(), 0);
    assert_eq!(out.timeouts, 10);
}
