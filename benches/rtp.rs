//! Benchmarks of cc-media's RTP/RTCP paths: packet parsing and writing, RTCP compound
//! parsing, receive statistics and the jitter buffer.
//!
//! Workloads are in the names: `rtp_parse/172_bytes_pcmu` parses one 20 ms G.711 packet
//! (12-byte header, 160-byte payload) and reads its header fields and payload;
//! `rtp_write/172_bytes_pcmu` writes one; `rtcp_parse/compound_sr2_sdes_bye_124_bytes`
//! walks a 124-byte compound of an SR with two report blocks, a SDES CNAME and a BYE;
//! `receive_stats/1_packet` counts one in-order packet (A.1 + A.8);
//! `jitter_push_pop/1_packet_160_bytes_depth3` pushes one 160-byte packet and pops one
//! frame from a buffer held at its steady depth of 3 packets.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ccsdk::media::jitter::{JitterBuffer, JitterConfig, Pop};
use ccsdk::media::rtcp::{Bye, Compound, ReportBlock, RtcpPacket, Sdes, SenderInfo, SenderReport};
use ccsdk::media::rtp::{RtpHeader, RtpPacket};
use ccsdk::media::stats::ReceiveStats;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn header(seq: u16) -> RtpHeader {
    RtpHeader {
        payload_type: 0,
        marker: false,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 0x1234_5678,
    }
}

fn rtp(c: &mut Criterion) {
    let mut packet = [0_u8; 172];
    let len = header(1).write(&[], &[0xD5; 160], &mut packet).unwrap_or(0);
    assert_eq!(len, 172);

    let mut group = c.benchmark_group("rtp_parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function("172_bytes_pcmu", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&packet)).ok()?;
            Some((
                p.sequence(),
                p.timestamp(),
                p.ssrc(),
                p.marker(),
                p.payload().len(),
            ))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("rtp_write");
    group.throughput(Throughput::Elements(1));
    let payload = [0xD5_u8; 160];
    let mut out = [0_u8; 1500];
    let mut seq = 0_u16;
    group.bench_function("172_bytes_pcmu", |b| {
        b.iter(|| {
            seq = seq.wrapping_add(1);
            header(seq).write(&[], black_box(&payload), black_box(&mut out))
        });
    });
    group.finish();
}

fn rtcp(c: &mut Criterion) {
    let block = ReportBlock {
        ssrc: 1,
        fraction_lost: 3,
        cumulative_lost: 10,
        extended_highest_seq: 70_000,
        jitter: 40,
        last_sr: 0x1234_5678,
        delay_since_last_sr: 65_536,
    };
    let mut buf = [0_u8; 256];
    let mut len = SenderReport::write(&SenderInfo::default(), &[block, block], &mut buf).unwrap_or(0);
    len += Sdes::write_cname(2, "agent-0042@cc.example", &mut buf[len..]).unwrap_or(0);
    len += Bye::write(&[2], Some("hangup"), &mut buf[len..]).unwrap_or(0);
    assert_eq!(len, 124);
    let compound = &buf[..len];

    let mut group = c.benchmark_group("rtcp_parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function("compound_sr2_sdes_bye_124_bytes", |b| {
        b.iter(|| {
            let mut jitter = 0_u32;
            for packet in Compound::new(black_box(compound)) {
                match packet {
                    Ok(RtcpPacket::Sr(sr)) => jitter += sr.blocks.iter().map(|b| b.jitter).sum::<u32>(),
                    Ok(RtcpPacket::Sdes(s)) => jitter += s.chunks().filter_map(|c| c.cname()).count() as u32,
                    Ok(RtcpPacket::Bye(bye)) => jitter += bye.sources().len() as u32,
                    _ => {}
                }
            }
            jitter
        });
    });
    group.finish();
}

fn stats_and_jitter(c: &mut Criterion) {
    let t0 = Instant::now();
    let mut group = c.benchmark_group("receive_stats");
    group.throughput(Throughput::Elements(1));
    let mut stats = ReceiveStats::new(8000);
    let mut i = 0_u64;
    group.bench_function("1_packet", |b| {
        b.iter(|| {
            i += 1;
            let now = t0 + Duration::from_millis(20 * i);
            stats.on_rtp(7, i as u16, (i as u32).wrapping_mul(160), black_box(now))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("jitter_push_pop");
    group.throughput(Throughput::Elements(1));
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let payload = [0xD5_u8; 160];
    let mut i = 0_u64;
    group.bench_function("1_packet_160_bytes_depth3", |b| {
        b.iter(|| {
            i += 1;
            let now = t0 + Duration::from_millis(20 * i);
            jb.push(
                7,
                i as u16,
                (i as u32).wrapping_mul(160),
                false,
                black_box(&payload),
                now,
            );
            match jb.pop(now) {
                Pop::Frame(f) => f.payload.len(),
                Pop::Gap { .. } | Pop::Empty => 0,
            }
        });
    });
    group.finish();
}

criterion_group!(benches, rtp, rtcp, stats_and_jitter);
criterion_main!(benches);
