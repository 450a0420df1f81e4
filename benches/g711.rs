//! Benchmarks of cc-media's per-frame hot paths: G.711 coding and in-band DTMF detection.
//!
//! Workloads are in the names: `ulaw_encode/160_samples` codes one 20 ms frame at 8 kHz,
//! `ulaw_encode/8000_samples` one second; `dtmf_detect/160_samples_speechlike` runs the
//! Goertzel detector over one 20 ms frame of a two-tone signal that is no digit, and
//! `dtmf_detect/160_samples_key` over a frame of a keyed digit.

use std::hint::black_box;

use ccsdk::media::codec::{Codec, G711, Law};
use ccsdk::media::dtmf::DtmfDetector;
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

/// Two tones at `f1` and `f2` Hz.
fn two_tones(f1: f64, f2: f64, len: usize) -> Vec<i16> {
    let tau = std::f64::consts::TAU;
    (0..len)
        .map(|i| {
            let t = i as f64 / 8000.0;
            (6000.0 * ((tau * f1 * t).sin() + (tau * f2 * t).sin())) as i16
        })
        .collect()
}

fn dtmf(c: &mut Criterion) {
    let mut group = c.benchmark_group("dtmf_detect");
    group.throughput(Throughput::Elements(160));
    for (name, audio) in [
        ("160_samples_speechlike", signal(8000)),
        ("160_samples_key", two_tones(852.0, 1477.0, 8000)),
    ] {
        let mut detector = DtmfDetector::new();
        let mut frames = audio.chunks_exact(160).cycle();
        group.bench_function(name, |b| {
            b.iter(|| {
                if let Some(frame) = frames.next() {
                    detector.process(black_box(frame));
                }
                detector.poll_digit()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, g711, dtmf);
criterion_main!(benches);
