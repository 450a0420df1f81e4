//! # ccsdk: an open SDK for contact-center engines
//!
//! This facade re-exports every layer of the SDK under one name, so an embedder depends
//! on one crate. Each layer is its own crate under `crates/`; see the README for the map.
//!
//! - [`core`]: the shared vocabulary (ids, contacts, records, events, time, the `Trunk` trait).
//! - [`sip`]: SIP messages (zero-copy parser, typed headers, builder) and SDP offer/answer.
//! - [`media`]: RTP/RTCP, receive statistics, jitter buffer, G.711, RFC 4733 and in-band DTMF.
//! - [`acd`]: automatic call distribution: the sans-IO router, queues, agents, strategies, Erlang C.
//! - [`ivr`]: the IVR flow language (parser, checker, calendars, interpreter, flow tests).
//! - [`center`]: the assembled center: configuration, storage, call control.

pub use cc_acd as acd;
pub use cc_center as center;
pub use cc_core as core;
pub use cc_ivr as ivr;
pub use cc_media as media;
pub use cc_sip as sip;

/// Each SDK layer linked into this build, with its version, for `ccd version` and bug
/// reports.
pub const LAYERS: &[(&str, &str)] = &[
    ("cc-core", cc_core::VERSION),
    ("cc-sip", cc_sip::VERSION),
    ("cc-media", cc_media::VERSION),
    ("cc-acd", cc_acd::VERSION),
    ("cc-ivr", cc_ivr::VERSION),
    ("cc-center", cc_center::VERSION),
];

/// The README's code blocks, compiled as doc tests so the front page never lies.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
