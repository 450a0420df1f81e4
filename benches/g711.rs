//! Benchmarks of cc-media's per-frame hot paths: G.711 coding and in-band DTMF detection.
//!
//! Workloads are in the names: `ulaw_encode/160_samples` codes one 20 ms frame at 8 kHz,
//! `ulaw_encode/8000_samples` one second.

use std::hint::black_box;

use ccsdk::media::codec::{Codec, G711, Law};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A speech-like test signal: a sum of tones at a moderate level.
fn signal(len: usize) -> Vec<i16> {
    (0..len)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let v = 6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 3000.0 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin();
            v as i16
        })
        .collect()
}

fn g711(c: &mut Criterion) {
    for (law, name) in [(Law::Mu, "ulaw"), (Law::A, "alaw")] {
        for len in [160_usize, 8000] {
            let pcm = signal(len);
            let mut codec = G711::new(law);
            let mut payload = vec![0_u8; len];
            let mut group = c.benchmark_group(format!("{name}_encode"));
            group.throughput(Throughput::Elements(len as u64));
            group.bench_function(format!("{len}_samples"), |b| {
                b.iter(|| codec.encode(black_box(&pcm), black_box(&mut payload)));
            });
            group.finish();

            let mut back = vec![0_i16; len];
            let mut group = c.benchmark_group(format!("{name}_decode"));
            group.throughput(Throughput::Elements(len as u64));
            group.bench_function(format!("{len}_samples"), |b| {
                b.iter(|| codec.decode(black_box(&payload), black_box(&mut back)));
            });
            group.finish();
        }
    }
}

criterion_group!(benches, g711);
criterion_main!(benches);
