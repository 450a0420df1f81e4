//! Reloading the configuration while calls go on.

use std::collections::HashMap;
use std::time::Instant;

use cc_core::{AgentId, QueueId, TenantId};

use super::{AgentTarget, CallControl, NumberRoute};
use crate::config::{CenterConfig, Engines, HookConfig, RecordingSection, build};

/// The lookup tables call control keeps from the configuration.
pub(super) struct Tables {
    pub(super) numbers: HashMap<String, NumberRoute>,
    pub(super) hooks: HashMap<String, HookConfig>,
    pub(super) externals: HashMap<String, String>,
    pub(super) mailboxes: HashMap<String, TenantId>,
    pub(super) queue_tenants: HashMap<QueueId, TenantId>,
    pub(super) seats: HashMap<AgentId, AgentTarget>,
    /// Supervisor → the tenants it supervises.
    pub(super) supervises: HashMap<AgentId, Vec<TenantId>>,
    pub(super) recording: RecordingSection,
    /// A trunk exists, so numbers can be dialled out.
    pub(super) has_trunk: bool,
    /// The first trunk's address: numbers are dialled out there.
    pub(super) trunk_host: Option<String>,
}

impl Tables {
    pub(super) fn of(config: &CenterConfig) -> Self {
        let default_language = config
            .prompts
            .default_language
            .clone()
            .unwrap_or_else(|| "zh-CN".to_owned());
        let numbers = config
            .numbers
            .iter()
            .map(|n| {
                let route = NumberRoute {
                    tenant: n.tenant.clone(),
                    flow: n.flow.clone(),
                    language: n.language.clone().unwrap_or_else(|| default_language.clone()),
                    language_chosen: n.language.is_some(),
                };
                (n.did.clone(), route)
            })
            .collect();
        let seats = config
            .agents
            .iter()
            .map(|a| {
                let target = match (&a.pstn, &a.trunk) {
                    (Some(number), Some(trunk)) => AgentTarget::Pstn {
                        number: number.clone(),
                        trunk: trunk.clone(),
                    },
                    _ => AgentTarget::Registered {
                        user: a.sip_user().to_owned(),
                        fixed: a.contact.clone(),
                    },
                };
                (a.id.clone(), target)
            })
            .collect();
        Self {
            numbers,
            hooks: config.hooks.iter().map(|h| (h.id.clone(), h.clone())).collect(),
            externals: config
                .externals
                .iter()
                .map(|e| (e.id.clone(), e.uri.clone()))
                .collect(),
            mailboxes: config
                .mailboxes
                .iter()
                .map(|m| (m.id.clone(), m.tenant.clone()))
                .collect(),
            queue_tenants: config
                .queues
                .iter()
                .map(|q| (q.id.clone(), q.tenant.clone()))
                .collect(),
            seats,
            supervises: config
                .agents
                .iter()
                .filter(|a| !a.supervises.is_empty())
                .map(|a| (a.id.clone(), a.supervises.clone()))
                .collect(),
            recording: config.recording.clone(),
            has_trunk: !config.trunks.is_empty(),
            trunk_host: config.trunks.first().map(|t| t.host.to_string()),
        }
    }
}

impl CallControl {
    /// Applies a changed (checked) configuration without dropping a call: new calls meet
    /// the new numbers, flows, lists, calendars, hooks and recording policy; calls in
    /// progress keep the flow they started with. Queues and agents are added; a queue's
    /// settings change from its next arrival or offer. Returns what could not change
    /// while running (a removed queue or agent, a queue's tenant or skills, an agent's
    /// tenants and skills): those wait for a restart.
    pub fn reload(&mut self, config: &CenterConfig, engines: Engines, now: Instant) -> Vec<String> {
        let mut deferred = Vec::new();
        for q in &config.queues {
            let Ok(queue) = build::queue_config(config, q) else {
                deferred.push(format!("queue {}: invalid", q.id));
                continue;
            };
            let result = if self.queue_tenants.contains_key(&q.id) {
                self.router.update_queue(queue)
            } else {
                self.router.add_queue(queue)
            };
            if let Err(e) = result {
                deferred.push(format!("queue {}: {e}", q.id));
            }
        }
        for id in self.queue_tenants.keys() {
            if !config.queues.iter().any(|q| &q.id == id) {
                deferred.push(format!("queue {id} was removed: it stays until a restart"));
            }
        }
        for a in &config.agents {
            if self.seats.contains_key(&a.id) || a.tenants.is_empty() {
                continue;
            }
            match self.router.add_agent(build::agent_profile(a)) {
                Ok(()) if a.auto_login => {
                    let _ = self.router.login(&a.id, true, now);
                }
                Ok(()) => {}
                Err(e) => deferred.push(format!("agent {}: {e}", a.id)),
            }
        }
        for id in self.seats.keys() {
            if !config.agents.iter().any(|a| &a.id == id) {
                deferred.push(format!(
                    "agent {id} was removed: log it out; it stays until a restart"
                ));
            }
        }
        let mut tables = Tables::of(config);
        // Removed queues and agents stay known, so their live calls end normally.
        for (id, tenant) in &self.queue_tenants {
            tables
                .queue_tenants
                .entry(id.clone())
                .or_insert_with(|| tenant.clone());
        }
        for (id, target) in &self.seats {
            tables.seats.entry(id.clone()).or_insert_with(|| target.clone());
        }
        self.programs = engines.programs;
        self.resources = engines.resources;
        self.numbers = tables.numbers;
        self.hooks = tables.hooks;
        self.externals = tables.externals;
        self.mailboxes = tables.mailboxes;
        self.queue_tenants = tables.queue_tenants;
        self.seats = tables.seats;
        self.supervises = tables.supervises;
        self.recording = tables.recording;
        self.has_trunk = tables.has_trunk;
        self.trunk_host = tables.trunk_host;
        self.pump(now);
        deferred
    }
}
