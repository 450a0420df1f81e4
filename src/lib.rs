//! # ccsdk: an open SDK for contact-center engines
//!
//! This facade re-exports every layer of the SDK under one name, so an embedder depends
//! on one crate. Each layer is its own crate under `crates/`; see the README for the map.
//!
//! - [`core`]: the shared vocabulary (ids, contacts, records, events, time, the `Trunk` trait).
//! - [`media`]: RTP/RTCP, receive statistics, the jitter buffer, codecs (G.711 µ-law/A-law),
//!   RFC 4733 telephone-events, in-band DTMF detection.
pub use cc_core as core;
pub use cc_media as media;
