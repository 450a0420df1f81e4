//! Benchmark of the N-party mixer: one `mix()` of a 20 ms frame (160 samples at 8 kHz).
//!
//! Workloads are in the names: `mixer_mix/3_parties_160_samples` mixes a 3-way call,
//! `30_parties` and `100_parties` conferences of normal parties, and
//! `30_parties_plus_listen_and_whisper` adds a listening and a whispering supervisor (32 in
//! all). Throughput is in participants, so criterion's "elem/s" is participant-frames per
//! second; the target is at most 1 µs per participant per frame (codecs excluded).
//!
//! Measured on the shared 2-core build machine (release, medians): 3 parties 130 ns
//! (43 ns/participant), 30 parties 1.39 µs (46 ns), 100 parties 5.7 µs (57 ns), 30 plus
//! listen and whisper 1.61 µs (50 ns per participant).
//!
//! `mixer_mix_mixed_rates/30_parties_at_8_16_48_khz_mixing_at_16_khz` mixes 30 parties, a
//! third each at 8, 16 and 48 kHz, at 16 kHz: the 20 parties not at the mixer's rate are
//! resampled in and out every frame (the resampling dominates). Measured (same machine,
//! release, median): 290 µs a frame, 9.7 µs per participant, 1.5 % of a core for the
//! conference; the same run gave 1.18 µs for 30 parties at one rate.

use std::hint::black_box;

use ccsdk::media::mixer::{Mixer, NPartyMixer, Role};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A speech-like frame that differs per participant.
fn fill(mixer: &mut NPartyMixer, id: ccsdk::media::mixer::ParticipantId, seed: usize) {
    if let Ok(input) = mixer.input_mut(id) {
        for (i, s) in input.iter_mut().enumerate() {
            let t = (i + seed * 37) as f64 / 8000.0;
            *s = (4000.0 * (std::f64::consts::TAU * (300.0 + seed as f64 * 17.0) * t).sin()) as i16;
        }
    }
}

fn mixer(c: &mut Criterion) {
    let mut group = c.benchmark_group("mixer_mix");
    for parties in [3_usize, 30, 100] {
        let mut m = NPartyMixer::new(8000).expect("8 kHz is supported");
        for seed in 0..parties {
            let id = m.join(Role::Normal).expect("join");
            fill(&mut m, id, seed);
        }
        group.throughput(Throughput::Elements(parties as u64));
        group.bench_function(format!("{parties}_parties_160_samples"), |b| {
            b.iter(|| {
                m.mix();
                black_box(&m);
            });
        });
    }
    let mut m = NPartyMixer::new(8000).expect("8 kHz is supported");
    let mut agent = None;
    for seed in 0..30 {
        let id = m.join(Role::Normal).expect("join");
        agent.get_or_insert(id);
        fill(&mut m, id, seed);
    }
    let listen = m.join(Role::ListenOnly).expect("join");
    fill(&mut m, listen, 30);
    if let Some(target) = agent {
        let whisper = m.join(Role::Whisper { target }).expect("join");
        fill(&mut m, whisper, 31);
    }
    group.throughput(Throughput::Elements(m.len() as u64));
    group.bench_function("30_parties_plus_listen_and_whisper_160_samples", |b| {
        b.iter(|| {
            m.mix();
            black_box(&m);
        });
    });
    group.finish();

    let mut group = c.benchmark_group("mixer_mix_mixed_rates");
    let mut m = NPartyMixer::new(16_000).expect("16 kHz is supported");
    for seed in 0..30_usize {
        let rate = [8000, 16_000, 48_000][seed % 3];
        let id = m.join_at(Role::Normal, rate).expect("join");
        fill(&mut m, id, seed);
    }
    group.throughput(Throughput::Elements(m.len() as u64));
    group.bench_function("30_parties_at_8_16_48_khz_mixing_at_16_khz", |b| {
        b.iter(|| {
            m.mix();
            black_box(&m);
        });
    });
    group.finish();
}

criterion_group!(benches, mixer);
criterion_main!(benches);
