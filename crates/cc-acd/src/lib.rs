//! # cc-acd: automatic call distribution
//!
//! The ACD decides which agent gets which contact. It is a sans-IO [`Router`]: inputs are
//! method calls that take `now`, outputs are drained with [`Router::poll_command`] and
//! [`Router::poll_event`], and [`Router::poll_timeout`] / [`Router::handle_timeout`] drive
//! reservation leases, wrap-up, escalation, aging and max-wait limits. No clock, no I/O, no
//! threads, so tests and simulations run on virtual time.
//!
//! - [`agent`]: the agent state machine (LoggedOut → Ready | NotReady → Reserved → Busy →
//!   WrapUp → Ready) with per-channel capacity and auto-pause;
//! - [`queue`]: queue configuration (strategy, service level, limits, ring timeout,
//!   wrap-up, aging, timed escalation, conditional overflow);
//! - [`strategy`]: the [`RoutingStrategy`] trait and the built-in strategies, all walking
//!   indexes of available agents;
//! - [`stats`]: live statistics per queue and tenant;
//! - [`erlang`]: Erlang C (probability of wait, service level, ASA, staffing);
//! - [`sim`]: a seeded virtual-time simulator driving the real router (the `acd_sim` example).
//!
//! ## Driving the router
//!
//! A driver (the center, a simulator, a C program) owns the clock and the I/O. After every
//! input it drains [`Router::poll_command`] (offers to ring, offers to withdraw, overflows,
//! callbacks to dial, announcements) and [`Router::poll_event`] (numbered and published by
//! the center), then arms one timer at [`Router::poll_timeout`] and calls
//! [`Router::handle_timeout`] when it fires. An input that arrives late first fires the
//! timers already due, so a lost accept or hang-up can never leave an agent reserved: the
//! lease withdraws the offer and the contact returns to its own place.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use cc_acd::{AgentProfile, Command, QueueConfig, Router, RouterConfig};
//! use cc_core::{Channel, Contact, Direction, SkillLevel};
//!
//! let t0 = Instant::now();
//! let mut router = Router::new(RouterConfig::default());
//! router.add_queue(QueueConfig::new("sales".parse()?, "acme".parse()?))?;
//! router.add_agent(
//!     AgentProfile::new("1001".parse()?)
//!         .serving("acme".parse()?, vec![("lang:yue".parse()?, SkillLevel::new(8)?)]),
//! )?;
//! router.login(&"1001".parse()?, true, t0)?;
//! let contact = Contact::new("c-1".parse()?, "acme".parse()?, Channel::Voice, Direction::Inbound)
//!     .with_language("yue".parse()?);
//! router.enqueue(contact, &"sales".parse()?, t0)?;
//! let offer = std::iter::from_fn(|| router.poll_command())
//!     .find(|c| matches!(c, Command::Offer { .. }));
//! assert!(matches!(offer, Some(Command::Offer { lease_until, .. }) if lease_until == t0 + Duration::from_secs(15)));
//!
//! // Nobody answers: at the lease the offer is withdrawn and the contact waits again.
//! assert_eq!(router.poll_timeout(), Some(t0 + Duration::from_secs(15)));
//! router.handle_timeout(t0 + Duration::from_secs(15));
//! assert!(matches!(router.poll_command(), Some(Command::CancelOffer { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod agent;
mod config;
pub mod erlang;
mod error;
mod fasthash;
mod index;
pub mod queue;
mod router;
pub mod sim;
pub mod stats;
pub mod strategy;

pub use agent::{AgentProfile, AgentState, Capacity, Presence, Task, TaskState, TenantSkills};
pub use config::RouterConfig;
pub use error::{Error, Result};
pub use queue::{Aging, EscalationAction, EscalationStep, OverflowRules, QueueConfig};
pub use router::{Command, ContactStatus, RouteQuery, Router};
pub use stats::{AgentCounts, AgentTime, QueueCounters, QueueStats};
pub use strategy::{AgentOrder, Candidate, RoutingStrategy, SeededRng, StrategyKind};

#[cfg(test)]
mod tests;

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
