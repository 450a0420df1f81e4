//! Router tests: scenarios per feature and property tests over random operation sequences.

mod props;
mod reconfig;
mod scenarios;

use std::time::{Duration, Instant};

use cc_core::{AgentId, Channel, Contact, ContactId, Direction, QueueId, SkillId, SkillLevel, TenantId};

use crate::{AgentProfile, Command, QueueConfig, Router, RouterConfig};

pub(crate) fn t(s: &str) -> TenantId {
    s.parse().unwrap()
}
pub(crate) fn q(s: &str) -> QueueId {
    s.parse().unwrap()
}
pub(crate) fn a(s: &str) -> AgentId {
    s.parse().unwrap()
}
pub(crate) fn c(s: &str) -> ContactId {
    s.parse().unwrap()
}
pub(crate) fn sk(s: &str) -> SkillId {
    s.parse().unwrap()
}
pub(crate) fn lv(n: u8) -> SkillLevel {
    SkillLevel::new(n).unwrap()
}
pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(crate) fn voice(id: &str, tenant: &str) -> Contact {
    Contact::new(c(id), t(tenant), Channel::Voice, Direction::Inbound)
}

/// A router with one queue `q1` of tenant `acme` using `config` tweaks.
pub(crate) fn router_with(f: impl FnOnce(&mut QueueConfig)) -> Router {
    let mut r = Router::new(RouterConfig::default());
    let mut cfg = QueueConfig::new(q("q1"), t("acme"));
    f(&mut cfg);
    r.add_queue(cfg).unwrap();
    r
}

pub(crate) fn agent(r: &mut Router, id: &str, skills: &[(&str, u8)]) {
    let skills = skills.iter().map(|&(s, l)| (sk(s), lv(l))).collect();
    r.add_agent(AgentProfile::new(a(id)).serving(t("acme"), skills))
        .unwrap();
}

/// Drains the commands, returning them.
pub(crate) fn drain(r: &mut Router) -> Vec<Command> {
    while r.poll_event().is_some() {}
    std::iter::from_fn(|| r.poll_command()).collect()
}

/// The (contact, agent) pairs offered among `cmds`.
pub(crate) fn offers(cmds: &[Command]) -> Vec<(String, String)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Command::Offer { contact, agent, .. } | Command::DialCallback { contact, agent, .. } => {
                Some((contact.to_string(), agent.to_string()))
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn start() -> Instant {
    Instant::now()
}
