//! Benchmarks of the player: one 20 ms frame (160 samples at 8 kHz) and resampling.
//!
//! Workloads are in the names: `player_next_frame/china_ringback_450hz_160_samples` makes
//! one frame of China's ringback (on part of the cadence) through `Player::next_frame`;
//! `player_next_frame/cached_prompt_8k_160_samples` copies one frame of a decoded, cached
//! prompt (queued looping so every iteration plays); `resample_16k_to_8k/320_in_160_out`
//! resamples 20 ms of 16 kHz audio to 8 kHz with the windowed-sinc filter.
//!
//! Measured on the shared 2-core build machine (bench profile, 3 s per bench, medians):
//! China ringback frame 586 ns, cached prompt frame 23 ns, 16 kHz to 8 kHz resampling of
//! 20 ms 12.4 µs (138 taps per output sample, scalar f32).

use std::hint::black_box;
use std::sync::Arc;

use ccsdk::media::player::prompt::PromptSet;
use ccsdk::media::player::resample::Resampler;
use ccsdk::media::player::tones::{Country, ToneKind, ToneSpec};
use ccsdk::media::player::{FRAME, Player};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn speechlike(len: usize, rate: f64) -> Vec<i16> {
    (0..len)
        .map(|i| {
            let t = i as f64 / rate;
            let v = 6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 3000.0 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin();
            v as i16
        })
        .collect()
}

fn player(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let lang = dir.path().join("zh-CN");
    if std::fs::create_dir_all(&lang).is_err()
        || ccsdk::media::wav::write_telephone_wav(&lang.join("welcome.wav"), &speechlike(16000, 8000.0))
            .is_err()
    {
        return;
    }
    let set = Arc::new(PromptSet::new(dir.path()));
    let mut group = c.benchmark_group("player_next_frame");
    group.throughput(Throughput::Elements(FRAME as u64));
    let mut frame = [0_i16; FRAME];

    let mut p = Player::new(set.clone());
    // Only the first second of the cadence is on: a 1 s on / 4 s off tone would bench
    // silence most of the time, so restart the tone each second.
    group.bench_function("china_ringback_450hz_160_samples", |b| {
        let mut n = 0;
        b.iter(|| {
            if n % 50 == 0 {
                p.stop();
                p.play_tone(ToneSpec::of(Country::China, ToneKind::Ringback), None);
            }
            n += 1;
            black_box(p.next_frame(black_box(&mut frame)))
        });
    });

    let mut p = Player::new(set.clone());
    let Ok(audio) = set.load("zh-CN", "welcome") else {
        return;
    };
    p.play_looping(audio);
    group.bench_function("cached_prompt_8k_160_samples", |b| {
        b.iter(|| black_box(p.next_frame(black_box(&mut frame))));
    });
    group.finish();

    let Ok(resampler) = Resampler::new(16000, 8000) else {
        return;
    };
    let input = speechlike(320, 16000.0);
    let mut out = [0_i16; FRAME];
    let mut group = c.benchmark_group("resample_16k_to_8k");
    group.throughput(Throughput::Elements(320));
    group.bench_function("320_in_160_out", |b| {
        b.iter(|| black_box(resampler.process_into(black_box(&input), &mut out)));
    });
    group.finish();
}

criterion_group!(benches, player);
criterion_main!(benches);
