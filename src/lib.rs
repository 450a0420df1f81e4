//! # ccsdk: an open SDK for contact-center engines
//!
//! This facade re-exports every layer of the SDK under one name, so an embedder depends
//! on one crate. Each layer is its own crate under `crates/`; see the README for the map.
//!
//! - [`core`]: the shared vocabulary (ids, contacts, records, events, time, the `Trunk` trait).
//! - [`acd`]: automatic call distribution: the sans-IO router, queues, agents, strategies, Erlang C.
pub use cc_acd as acd;
pub use cc_core as core;
