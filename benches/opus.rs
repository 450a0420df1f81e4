//! Opus per 20 ms frame through our [`Codec`] against raw audiopus, in the same group.
//!
//! Workloads are in the names: group `opus_encode_decode_20ms_16000hz` encodes and then
//! decodes one 20 ms frame of a speech-like two-tone signal at 16 kHz, mono, 32 kbit/s,
//! complexity 5, FEC on for 10 % loss, DTX off; `cc_media_codec` goes through
//! `ccsdk::media::codec::Opus`, `raw_audiopus` calls an identically configured audiopus
//! encoder and decoder directly. The target is our overhead at most 10 %.

use std::hint::black_box;

use audiopus::coder::{Decoder, Encoder};
use audiopus::{Application, Bitrate, Channels, SampleRate};
use ccsdk::media::codec::opus::MAX_PACKET;
use ccsdk::media::codec::{Codec, Opus, OpusConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A speech-like test signal: a sum of tones at a moderate level.
fn signal(rate: u32, len: usize) -> Vec<i16> {
    (0..len)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let v = 6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 3000.0 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin();
            v as i16
        })
        .collect()
}

fn opus(c: &mut Criterion) {
    for (rate, audiopus_rate) in [
        (8_000_u32, SampleRate::Hz8000),
        (16_000, SampleRate::Hz16000),
        (48_000, SampleRate::Hz48000),
    ] {
        let config = OpusConfig {
            sample_rate: rate,
            ..OpusConfig::default()
        };
        let frame = (rate / 50) as usize;
        let pcm = signal(rate, frame);
        let mut payload = vec![0_u8; MAX_PACKET];
        let mut back = vec![0_i16; frame];

        let mut group = c.benchmark_group(format!("opus_encode_decode_20ms_{rate}hz"));
        group.throughput(Throughput::Elements(frame as u64));

        let Ok(mut ours) = Opus::new(config) else {
            return;
        };
        group.bench_function("cc_media_codec", |b| {
            b.iter(|| {
                let n = ours.encode(black_box(&pcm), black_box(&mut payload)).unwrap_or(0);
                ours.decode(black_box(&payload[..n]), black_box(&mut back))
            });
        });

        let Ok(mut encoder) = Encoder::new(audiopus_rate, Channels::Mono, Application::Voip) else {
            return;
        };
        let configured = encoder
            .set_complexity(config.complexity)
            .and_then(|()| encoder.set_bitrate(Bitrate::BitsPerSecond(config.bitrate as i32)))
            .and_then(|()| encoder.set_inband_fec(config.fec))
            .and_then(|()| encoder.set_packet_loss_perc(config.expected_loss_percent))
            .and_then(|()| encoder.set_encoder_ctl_request(4016, i32::from(config.dtx)));
        let Ok(mut decoder) = Decoder::new(audiopus_rate, Channels::Mono) else {
            return;
        };
        if configured.is_err() {
            return;
        }
        group.bench_function("raw_audiopus", |b| {
            b.iter(|| {
                let n = encoder
                    .encode(black_box(&pcm), black_box(&mut payload))
                    .unwrap_or(0);
                decoder.decode(Some(black_box(&payload[..n])), black_box(&mut back[..]), false)
            });
        });
        group.finish();
    }
}

criterion_group!(benches, opus);
criterion_main!(benches);
