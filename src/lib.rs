//! # ccsdk: an open SDK for contact-center engines
//!
//! This facade re-exports every layer of the SDK under one name, so an embedder depends
//! on one crate. Each layer is its own crate under `crates/`; see the README for the map.
//!
//! - [`core`]: the shared vocabulary (ids, contacts, records, events, time, the `Trunk` trait).
//! - [`sip`]: SIP messages: the zero-copy parser, typed header views, serializer and builder.
pub use cc_core as core;
pub use cc_sip as sip;
