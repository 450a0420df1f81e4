//! Router-wide configuration.

use serde::{Deserialize, Serialize};

/// Settings of the whole router (queues and agents have their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterConfig {
    /// Seed of the generator behind the random strategy: the same seed and the same inputs
    /// give the same decisions.
    pub seed: u64,
    /// Whether to queue [`cc_core::EventBody`]s for [`crate::Router::poll_event`]. Turn off
    /// when nobody drains them (simulations, benchmarks).
    pub events: bool,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            seed: 0x5EED,
            events: true,
        }
    }
}
