//! SIP message parsing: cc-sip against rsip 0.4 on the same bytes, in the same groups.
//!
//! Workload: `carrier-invite.sip`, a 904-byte INVITE as a carrier's SBC sends it (14
//! headers, 238-byte SDP offer), the anchor file of the `sip-parse` measurement.
//!
//! - `parse/carrier_invite_904B/*`: parse the message;
//! - `parse_typed/carrier_invite_904B/*`: parse, then read Via branch, From tag, To URI,
//!   Call-ID and CSeq as typed values (what a B2BUA needs for every message);
//! - `serialize/carrier_invite_904B/*`: write a parsed message back to bytes;
//! - `sdp_parse/carrier_offer_238B/cc_sip`: parse the INVITE's SDP body (one audio
//!   stream, 3 payload types, 6 attributes) into a `SessionDescription`;
//! - `sdp_answer/carrier_offer_238B_4_local_codecs/*`: answer that parsed offer from
//!   local capabilities PCMA, PCMU, opus, telephone-event (`answer`), and the same
//!   followed by writing the answer's text (`answer_and_print`).

use std::hint::black_box;

use bytes::Bytes;
use ccsdk::sip::Message;
use ccsdk::sip::sdp::{LocalMedia, SdpOffer, SdpSession};
use criterion::{Criterion, criterion_group, criterion_main};
use rsip::prelude::*;

const CARRIER_INVITE: &[u8] = include_bytes!("../crates/cc-sip/tests/data/carrier-invite.sip");
const WORKLOAD: &str = "carrier_invite_904B";

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.bench_function(format!("{WORKLOAD}/cc_sip"), |b| {
        b.iter(|| Message::parse(Bytes::from_static(black_box(CARRIER_INVITE))).is_ok());
    });
    group.bench_function(format!("{WORKLOAD}/rsip"), |b| {
        b.iter(|| rsip::SipMessage::try_from(black_box(CARRIER_INVITE)).is_ok());
    });
    group.finish();
}

/// Reads the five typed values without allocating; the lengths keep the compiler from
/// skipping the work.
fn cc_sip_typed(bytes: &'static [u8]) -> Option<usize> {
    let m = Message::parse(Bytes::from_static(bytes)).ok()?;
    let branch = m.top_via().ok()?.branch()?.len();
    let tag = m.from_header().ok()?.tag()?.len();
    let to = m.to_header().ok()?.uri.as_str().len();
    let call_id = m.call_id().ok()?.len();
    let cseq = m.cseq().ok()?.seq as usize;
    Some(branch + tag + to + call_id + cseq)
}

fn rsip_typed(bytes: &'static [u8]) -> Option<usize> {
    let m = rsip::SipMessage::try_from(bytes).ok()?;
    let branch = m.via_header().ok()?.typed().ok()?.branch()?.value().len();
    let tag = m.from_header().ok()?.typed().ok()?.tag()?.value().len();
    let to = m.to_header().ok()?.typed().ok()?.params.len();
    let call_id = m.call_id_header().ok()?.value().len();
    let cseq = m.cseq_header().ok()?.typed().ok()?.seq as usize;
    Some(branch + tag + to + call_id + cseq)
}

fn parse_typed(c: &mut Criterion) {
    assert_eq!(
        cc_sip_typed(CARRIER_INVITE).is_some(),
        rsip_typed(CARRIER_INVITE).is_some()
    );
    let mut group = c.benchmark_group("parse_typed");
    group.bench_function(format!("{WORKLOAD}/cc_sip"), |b| {
        b.iter(|| cc_sip_typed(black_box(CARRIER_INVITE)));
    });
    group.bench_function(format!("{WORKLOAD}/rsip"), |b| {
        b.iter(|| rsip_typed(black_box(CARRIER_INVITE)));
    });
    group.finish();
}

fn serialize(c: &mut Criterion) {
    let ours = Message::parse(Bytes::from_static(CARRIER_INVITE)).ok();
    let theirs = rsip::SipMessage::try_from(CARRIER_INVITE).ok();
    let mut group = c.benchmark_group("serialize");
    group.bench_function(format!("{WORKLOAD}/cc_sip"), |b| {
        b.iter(|| black_box(ours.as_ref()).map(Message::to_bytes));
    });
    group.bench_function(format!("{WORKLOAD}/rsip"), |b| {
        b.iter(|| black_box(theirs.as_ref()).map(ToString::to_string));
    });
    group.finish();
}

fn sdp(c: &mut Criterion) {
    let Ok(msg) = Message::parse(Bytes::from_static(CARRIER_INVITE)) else {
        return;
    };
    let body = msg.body();
    assert_eq!(body.len(), 238);
    let mut group = c.benchmark_group("sdp_parse");
    group.bench_function("carrier_offer_238B/cc_sip", |b| {
        b.iter(|| SdpOffer::parse(black_box(body)).is_ok());
    });
    group.finish();

    let Ok(offer) = SdpOffer::parse(body) else {
        return;
    };
    let local = LocalMedia::new([198, 51, 100, 20].into(), 30000);
    let mut session = SdpSession::new(4242, local.address);
    assert!(session.answer(&offer, &local).is_ok());
    let mut group = c.benchmark_group("sdp_answer");
    group.bench_function("carrier_offer_238B_4_local_codecs/answer", |b| {
        b.iter(|| session.answer(black_box(&offer), &local).is_ok());
    });
    group.bench_function("carrier_offer_238B_4_local_codecs/answer_and_print", |b| {
        b.iter(|| {
            session
                .answer(black_box(&offer), &local)
                .map(|(answer, _)| answer.to_string().len())
        });
    });
    group.finish();
}

criterion_group!(benches, parse, parse_typed, serialize, sdp);
criterion_main!(benches);
