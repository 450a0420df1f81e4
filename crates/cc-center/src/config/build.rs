//! From a checked configuration to the engines: the router, the IVR resources and programs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cc_acd::{
    AgentProfile, Capacity, EscalationAction, EscalationStep, OverflowRules, QueueConfig, Router,
    RouterConfig,
};
use cc_core::{Address, Destination, Pii, SkillRequirement};
use cc_ivr::{Environment, Program, Resources};

use super::{CenterConfig, DestinationSpec, QueueSection};

/// The engines a configuration describes.
pub struct Engines {
    /// The ACD, with every queue and agent (agents logged out unless `auto_login`;
    /// supervisors who serve no tenant are not in it).
    pub router: Router,
    /// Lists and calendars flows consult.
    pub resources: Arc<Resources>,
    /// Compiled flows by id.
    pub programs: HashMap<String, Arc<Program>>,
}

/// Turns `queue:ID`, `agent:ID`, `external:ID` or `flow:ID` into a destination.
pub(crate) fn destination(config: &CenterConfig, spec: &DestinationSpec) -> Result<Destination, String> {
    let (kind, id) = spec.split_once(':').ok_or_else(|| {
        format!("`{spec}` is not a destination; write queue:ID, agent:ID, external:ID or flow:ID")
    })?;
    let bad = |e: cc_core::Error| e.to_string();
    Ok(match kind {
        "queue" => Destination::Queue {
            queue: id.parse().map_err(bad)?,
        },
        "agent" => Destination::Agent {
            agent: id.parse().map_err(bad)?,
        },
        "flow" => Destination::Flow {
            flow: id.parse().map_err(bad)?,
        },
        "external" => {
            let e = config
                .externals
                .iter()
                .find(|e| e.id == id)
                .ok_or_else(|| format!("unknown external `{id}`"))?;
            Destination::External {
                address: Pii::new(Address::parse(&e.uri).map_err(bad)?),
            }
        }
        _ => {
            return Err(format!(
                "`{kind}` is not a destination kind; use queue, agent, external or flow"
            ));
        }
    })
}

/// The router's view of an `[[agent]]`.
pub(crate) fn agent_profile(a: &super::AgentConfig) -> AgentProfile {
    let mut profile = AgentProfile::new(a.id.clone());
    for (tenant, skills) in &a.tenants {
        profile = profile.serving(
            tenant.clone(),
            skills.iter().map(|(s, l)| (s.clone(), *l)).collect(),
        );
    }
    if let Some(cap) = &a.capacity {
        profile = profile.with_capacity(cap.iter().fold(Capacity::none(), |c, (ch, n)| c.with(*ch, *n)));
    }
    profile
}

/// The router's view of a `[[queue]]`.
pub(crate) fn queue_config(config: &CenterConfig, q: &QueueSection) -> Result<QueueConfig, String> {
    let mut c = QueueConfig::new(q.id.clone(), q.tenant.clone());
    if let Some(s) = q.strategy {
        c.strategy = s;
    }
    c.skills = q
        .skills
        .iter()
        .map(|(skill, &min_level)| SkillRequirement {
            skill: skill.clone(),
            min_level,
        })
        .collect();
    let set = |slot: &mut std::time::Duration, v: Option<super::Seconds>| {
        if let Some(v) = v {
            *slot = v.0;
        }
    };
    set(&mut c.service_level_threshold, q.service_level);
    set(&mut c.short_abandon, q.short_abandon);
    set(&mut c.ring_timeout, q.ring_timeout);
    set(&mut c.wrap_up, q.wrap_up);
    set(&mut c.default_handle_time, q.default_handle_time);
    c.max_waiting = q.max_waiting;
    c.max_wait = q.max_wait.map(|s| s.0);
    c.max_no_answers = q.max_no_answers;
    let dest = |spec: &Option<DestinationSpec>| spec.as_ref().map(|s| destination(config, s)).transpose();
    let o = &q.overflow;
    c.overflow = OverflowRules {
        no_agents: dest(&o.no_agents)?,
        queue_full: dest(&o.queue_full)?,
        max_wait: dest(&o.max_wait)?,
        long_wait: match (o.long_wait_after, dest(&o.long_wait)?) {
            (Some(after), Some(to)) => Some((after.0, to)),
            _ => None,
        },
    };
    c.escalation = q
        .escalation
        .iter()
        .map(|step| {
            let action = match (&step.level, &step.to) {
                (Some(level), None) => EscalationAction::CapLevel { level: *level },
                (None, Some(to)) => EscalationAction::Overflow {
                    to: destination(config, to)?,
                },
                _ => return Err("give exactly one of `level` or `to`".to_owned()),
            };
            Ok(EscalationStep {
                after: step.after.0,
                action,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(c)
}

impl CenterConfig {
    /// Builds the engines; fails with every problem when the configuration has errors.
    pub fn engines(&self) -> Result<Engines, Vec<super::Problem>> {
        let problems = self.check();
        if problems.iter().any(|p| p.severity == cc_ivr::Severity::Error) {
            return Err(problems);
        }
        let fail = |place: String, message: String| {
            vec![super::Problem {
                severity: cc_ivr::Severity::Error,
                place,
                message,
            }]
        };
        let mut router = Router::new(RouterConfig::default());
        for (i, q) in self.queues.iter().enumerate() {
            let c = queue_config(self, q).map_err(|e| fail(format!("queue[{i}]"), e))?;
            router
                .add_queue(c)
                .map_err(|e| fail(format!("queue[{i}]"), e.to_string()))?;
        }
        // A supervisor who takes no calls is no agent of the router.
        for (i, a) in self
            .agents
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.tenants.is_empty())
        {
            let profile = agent_profile(a);
            router
                .add_agent(profile)
                .map_err(|e| fail(format!("agent[{i}]"), e.to_string()))?;
        }
        let mut resources = Resources::default();
        for (i, c) in self.calendars.iter().enumerate() {
            let cal = c
                .build()
                .map_err(|e| fail(format!("calendar[{i}].{}", e.field), e.message))?;
            resources.calendars.insert(c.id.clone(), cal);
        }
        for (i, l) in self.lists.iter().enumerate() {
            let mut entries: HashSet<String> = l.entries.iter().cloned().collect();
            if let Some(file) = &l.file {
                let text = std::fs::read_to_string(self.resolve(file))
                    .map_err(|e| fail(format!("list[{i}].file"), e.to_string()))?;
                entries.extend(
                    text.lines()
                        .map(|line| line.split('#').next().unwrap_or("").trim())
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned),
                );
            }
            resources.lists.insert(l.id.clone(), entries);
        }
        let mut programs = HashMap::new();
        for (i, f) in self.flows.iter().enumerate() {
            let path = self.resolve(&f.file);
            let source = std::fs::read_to_string(&path).map_err(|e| {
                fail(
                    format!("flow[{i}].file"),
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            // The checks ran above against the full environment; compile without repeating them.
            let program = Program::compile(&source, &Environment::default()).map_err(|e| {
                e.errors
                    .into_iter()
                    .map(|d| {
                        let (line, col) = cc_ivr::line_col(&source, d.span.start);
                        super::Problem {
                            severity: d.severity,
                            place: format!("{}:{line}:{col}", path.display()),
                            message: d.message,
                        }
                    })
                    .collect::<Vec<_>>()
            })?;
            programs.insert(f.id.clone(), program);
        }
        Ok(Engines {
            router,
            resources: Arc::new(resources),
            programs,
        })
    }
}
