//! # cc-center: the assembled contact center
//!
//! The layers below (SIP, media, ACD, IVR) know nothing of each other; this crate makes
//! them a center:
//!
//! - [`config`]: one TOML file describes tenants, access numbers, trunks, flows, calendars,
//!   lists, queues, agents, prompts and the recording policy; [`config::CenterConfig::check`]
//!   reports every problem with its key path or `file:line:col`.
//! - [`control`]: call control, sans-IO: IVR sessions and the ACD router turned into
//!   orders for a driver (answer, play, ring an agent, bridge, record, hang up, store).
//! - [`demo`]: the built-in demo center (configuration, flows, generated prompts).
//! - `http`: the HTTP API a running center serves when `[http] listen` is set (tenant-scoped
//!   API keys; queues, contacts, records, recordings, agent states, supervision, events).
//! - [`runtime`]: the center on real SIP and RTP: [`runtime::Center`] drives call control
//!   with cc-sip's endpoint and cc-media's engine and writes records to the store.
//! - [`sim`]: simulated phones (real SIP user agents sending real RTP) for the demo and
//!   end-to-end tests.
//! - [`store`]: contact records, agent state history, the recordings index and the audit
//!   log in SQLite (WAL) or PostgreSQL, migrations, every query scoped to one tenant.

pub mod config;
pub mod control;
pub mod demo;
mod http;
pub mod runtime;
pub mod sim;
mod sip_text;
pub mod store;

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
