//! Who may register where: the center's SIP domain serves every agent; a tenant with its
//! own `domain` is its own digest realm, open to the agents that serve or supervise that
//! tenant only.

use std::collections::HashMap;

use cc_sip::registrar::UserDirectory;

use crate::config::CenterConfig;

/// The SIP domains an agent's phone may register in: the center's first, then those of the
/// tenants it serves or supervises.
pub(crate) fn agent_domains(config: &CenterConfig, user: &str) -> Vec<String> {
    let mut domains = vec![config.sip.domain.clone()];
    for agent in config.agents.iter().filter(|a| a.sip_user() == user) {
        for tenant in agent.tenants.keys().chain(&agent.supervises) {
            let domain = config
                .tenants
                .iter()
                .find(|t| &t.id == tenant)
                .and_then(|t| t.domain.clone());
            if let Some(d) = domain
                && !domains.iter().any(|k| k.eq_ignore_ascii_case(&d))
            {
                domains.push(d);
            }
        }
    }
    domains
}

/// The tenants' own domains (each once, the center's excluded).
pub(crate) fn tenant_domains(config: &CenterConfig) -> Vec<String> {
    let mut domains: Vec<String> = Vec::new();
    for d in config.tenants.iter().filter_map(|t| t.domain.clone()) {
        if !d.eq_ignore_ascii_case(&config.sip.domain) && !domains.iter().any(|k| k.eq_ignore_ascii_case(&d))
        {
            domains.push(d);
        }
    }
    domains
}

/// Passwords by SIP user, each with the domains the user may register in.
pub(crate) struct AgentDirectory {
    users: HashMap<String, (String, Vec<String>)>,
}

impl AgentDirectory {
    /// The agents of `config` that have a password.
    pub(crate) fn new(config: &CenterConfig) -> Self {
        let users = config
            .agents
            .iter()
            .filter_map(|a| {
                let password = a.password.clone()?;
                let user = a.sip_user().to_owned();
                let domains = agent_domains(config, &user);
                Some((user, (password, domains)))
            })
            .collect();
        Self { users }
    }
}

impl UserDirectory for AgentDirectory {
    fn password(&self, user: &str) -> Option<String> {
        self.users.get(user).map(|(p, _)| p.clone())
    }

    fn password_in(&self, domain: &str, user: &str) -> Option<String> {
        let (password, domains) = self.users.get(user)?;
        domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
            .then(|| password.clone())
    }
}
