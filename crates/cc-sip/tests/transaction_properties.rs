//! Properties of the transaction layer under random inputs on virtual time: nothing
//! panics, and once the TU has answered what it was given, every transaction ends within
//! 64*T1 of the last input (Timer C set to 64*T1 here, so that a client INVITE left in
//! Proceeding is bounded the same way).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cc_sip::Message;
use cc_sip::transaction::{Config, Event, TimerConfig, TransactionId, TransactionLayer};
use proptest::prelude::*;

const METHODS: [&str; 6] = ["INVITE", "OPTIONS", "ACK", "CANCEL", "BYE", "REGISTER"];
const BRANCHES: [&str; 4] = ["z9hG4bKa", "z9hG4bKb", "z9hG4bKc", "legacy1"];
const CODES: [u16; 8] = [100, 180, 200, 202, 404, 486, 487, 503];

#[derive(Debug, Clone)]
enum Op {
    /// A request from the network.
    Request { method: usize, branch: usize, port: u16 },
    /// A response from the network.
    Response {
        code: usize,
        branch: usize,
        method: usize,
    },
    /// Random bytes from the network.
    Garbage(Vec<u8>),
    /// The TU starts a client transaction.
    Send {
        method: usize,
        branch: usize,
        reliable: bool,
    },
    /// The TU answers a server transaction it was given.
    Answer { pick: usize, code: usize },
    /// The TU cancels a client transaction it started.
    Cancel { pick: usize },
    /// The driver reports a transport error.
    TransportError { pick: usize },
    /// Time passes (timers fire as they fall due).
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..METHODS.len(), 0..BRANCHES.len(), 5060_u16..5062)
            .prop_map(|(method, branch, port)| Op::Request { method, branch, port }),
        (0..CODES.len(), 0..BRANCHES.len(), 0..METHODS.len())
            .prop_map(|(code, branch, method)| Op::Response { code, branch, method }),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Op::Garbage),
        (0..METHODS.len(), 0..BRANCHES.len(), any::<bool>()).prop_map(|(method, branch, reliable)| {
            Op::Send {
                method,
                branch,
                reliable,
            }
        }),
        (any::<usize>(), 0..CODES.len()).prop_map(|(pick, code)| Op::Answer { pick, code }),
        any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        any::<usize>().prop_map(|pick| Op::TransportError { pick }),
        (0_u64..40_000).prop_map(Op::Advance),
    ]
}

fn message(method: &str, cseq_method: &str, branch: &str, port: u16, code: Option<u16>) -> Option<Message> {
    let b = match code {
        Some(code) => Message::response(code, "Any"),
        None => Message::request(method, "sip:x@192.0.2.2"),
    };
    let to = if code.is_some_and(|c| c > 100) {
        "<sip:x@192.0.2.2>;tag=t1"
    } else {
        "<sip:x@192.0.2.2>"
    };
    b.header("Via", &format!("SIP/2.0/UDP 192.0.2.1:{port};branch={branch}"))
        .header("From", "<sip:a@192.0.2.1>;tag=f1")
        .header("To", to)
        .header("Call-ID", "prop@192.0.2.1")
        .header("CSeq", &format!("1 {cseq_method}"))
        .build()
        .ok()
}

/// Fires due timers up to `until`.
fn advance(layer: &mut TransactionLayer, until: Instant) {
    while let Some(at) = layer.poll_timeout() {
        if at > until {
            break;
        }
        layer.handle_timeout(at);
    }
}

struct Harness {
    layer: TransactionLayer,
    now: Instant,
    server: Vec<(TransactionId, Message)>,
    client: Vec<TransactionId>,
}

impl Harness {
    fn drain(&mut self) {
        while self.layer.poll_transmit().is_some() {}
        while let Some(e) = self.layer.poll_event() {
            if let Event::Request { id, request, .. } = e {
                self.server.push((id, request));
            }
        }
    }

    fn apply(&mut self, op: &Op, peer: SocketAddr) {
        let now = self.now;
        match op {
            Op::Request { method, branch, port } => {
                let m = METHODS[*method];
                if let Some(msg) = message(m, m, BRANCHES[*branch], *port, None) {
                    self.layer.handle_message(now, peer, false, msg);
                }
            }
            Op::Response { code, branch, method } => {
                let m = METHODS[*method];
                if let Some(msg) = message(m, m, BRANCHES[*branch], 5060, Some(CODES[*code])) {
                    self.layer.handle_message(now, peer, false, msg);
                }
            }
            Op::Garbage(bytes) => self.layer.handle_datagram(now, peer, bytes.clone()),
            Op::Send {
                method,
                branch,
                reliable,
            } => {
                let m = METHODS[*method];
                if let Some(msg) = message(m, m, BRANCHES[*branch], 5060, None)
                    && let Ok(id) = self.layer.send_request(now, peer, *reliable, msg)
                {
                    self.client.push(id);
                }
            }
            Op::Answer { pick, code } => {
                if !self.server.is_empty() {
                    let (id, req) = &self.server[pick % self.server.len()];
                    if let Ok(resp) = TransactionLayer::response_with_tag(req, CODES[*code], "Any", "t1") {
                        let _ = self.layer.send_response(now, *id, &resp);
                    }
                }
            }
            Op::Cancel { pick } => {
                if !self.client.is_empty() {
                    let id = self.client[pick % self.client.len()];
                    if let Ok(c) = self.layer.cancel(now, id) {
                        self.client.push(c);
                    }
                }
            }
            Op::TransportError { pick } => {
                let all: Vec<TransactionId> = self
                    .client
                    .iter()
                    .copied()
                    .chain(self.server.iter().map(|s| s.0))
                    .collect();
                if !all.is_empty() {
                    self.layer.handle_transport_error(all[pick % all.len()]);
                }
            }
            Op::Advance(ms) => {
                self.now += Duration::from_millis(*ms);
                advance(&mut self.layer, self.now);
            }
        }
        self.drain();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_never_panic_and_everything_ends_within_64_t1(ops in proptest::collection::vec(op(), 1..60)) {
        let timers = TimerConfig { proceeding: TimerConfig::default().timeout(), ..TimerConfig::default() };
        let limit = timers.timeout();
        let mut h = Harness {
            layer: TransactionLayer::new(Config { timers, max_transactions: 8, ..Config::default() }),
            now: Instant::now(),
            server: vec![],
            client: vec![],
        };
        let peer: SocketAddr = "192.0.2.2:5060".parse().unwrap();
        for op in &ops {
            h.apply(op, peer);
        }
        // The TU answers everything it was given with a final response: the last input.
        let pending: Vec<(TransactionId, Message)> = h.server.clone();
        for (id, req) in pending {
            if let Ok(resp) = TransactionLayer::response_with_tag(&req, 486, "Busy Here", "t1") {
                let _ = h.layer.send_response(h.now, id, &resp);
            }
        }
        h.drain();
        let last_input = h.now;
        advance(&mut h.layer, last_input + limit);
        h.drain();
        prop_assert!(h.layer.is_empty(), "{} transactions outlived 64*T1", h.layer.len());
        prop_assert_eq!(h.layer.poll_timeout(), None);
    }
}

const SEEDS: [&str; 3] = [
    "INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKm\r\n\
     Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.1>;tag=f\r\nTo: <sip:bob@192.0.2.2>\r\n\
     Call-ID: m@192.0.2.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    "CANCEL sip:bob@192.0.2.2 SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKm\r\n\
     f: <sip:a@192.0.2.1>;tag=f\r\nt: <sip:bob@192.0.2.2>\r\ni: m@192.0.2.1\r\nCSeq: 1 CANCEL\r\n\r\n",
    "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKm\r\n\
     From: <sip:a@192.0.2.1>;tag=f\r\nTo: <sip:bob@192.0.2.2>;tag=t\r\nCall-ID: m@192.0.2.1\r\n\
     CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Valid messages with random bytes overwritten, cut or inserted never panic the
    /// layer, and whatever they start ends once the TU has answered.
    #[test]
    fn mutated_datagrams_never_panic(
        edits in proptest::collection::vec((0..3_usize, any::<prop::sample::Index>(), any::<u8>(), 0..3_u8), 1..8),
    ) {
        let mut layer = TransactionLayer::new(Config::default());
        let t0 = Instant::now();
        let peer: SocketAddr = "192.0.2.1:5060".parse().unwrap();
        let mut server = vec![];
        for (seed, at, byte, kind) in edits {
            let mut bytes = SEEDS[seed].as_bytes().to_vec();
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, byte),
            }
            layer.handle_datagram(t0, peer, bytes);
            while layer.poll_transmit().is_some() {}
            while let Some(e) = layer.poll_event() {
                if let Event::Request { id, request, .. } = e {
                    server.push((id, request));
                }
            }
        }
        for (id, req) in &server {
            if let Ok(resp) = TransactionLayer::response_with_tag(req, 500, "Server Error", "t") {
                let _ = layer.send_response(t0, *id, &resp);
            }
        }
        advance(&mut layer, t0 + Duration::from_secs(64));
        prop_assert!(layer.is_empty());
        let stats = layer.stats();
        prop_assert!(stats.malformed <= stats.received);
    }
}
