//! Benchmarks of ACD routing decisions. Workloads are in the names:
//!
//! - `1k_agents_10k_waiting_20_skills`: one tenant, 20 skills, 20 queues (queue `qN` needs
//!   skill `sN`), 1,000 agents with 3 skills each at levels 1–10, and 10,000 waiting
//!   contacts spread over the queues with their own minimum levels (1–5) and priorities
//!   (0–2);
//! - `10k_agents_1k_queues_100k_waiting`: the issue's workload, 10 tenants × 100 queues,
//!   50 skills per tenant (each queue needs one), 1,000 agents per tenant with 4 skills,
//!   100 waiting contacts per queue.
//!
//! Measured, per workload:
//! - `next_contact`: the agent-side decision alone (which waiting contact an agent gets),
//!   through `Router::next_contact_for`, beside `next_contact_naive_scan`, a scan of every
//!   waiting contact (written here) for the same answer;
//! - `ready_offer_requeue`: a full input cycle on the router: an agent becomes ready and
//!   is offered the best contact, then is forced out so the contact returns to its place
//!   (three inputs, two decisions);
//! - `arrive_offer_abandon_{longest_idle,most_skilled}` (workloads `1k_ready_agents_20_skills`
//!   and `10k_ready_agents_1k_queues`, the same agents and queues): with every agent ready
//!   and no contact waiting, a contact arrives and is offered to the best agent, then hangs up
//!   (two inputs); beside `best_agent_naive_scan`, a scan of every agent.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ccsdk::acd::{AgentProfile, QueueConfig, Router, RouterConfig, SeededRng, StrategyKind};
use ccsdk::core::{
    AgentId, Channel, Contact, ContactId, Direction, Priority, QueueId, SkillLevel, SkillRequirement,
    TenantId,
};
use criterion::{Criterion, criterion_group, criterion_main};

/// The shape of a workload.
#[derive(Clone, Copy)]
struct Workload {
    name: &'static str,
    /// The name with every agent ready and nobody waiting (contact-side benchmarks).
    ready_name: &'static str,
    tenants: usize,
    queues_per_tenant: usize,
    skills_per_tenant: usize,
    agents_per_tenant: usize,
    skills_per_agent: usize,
    waiting_per_queue: usize,
}

const SMALL: Workload = Workload {
    name: "1k_agents_10k_waiting_20_skills",
    ready_name: "1k_ready_agents_20_skills",
    tenants: 1,
    queues_per_tenant: 20,
    skills_per_tenant: 20,
    agents_per_tenant: 1_000,
    skills_per_agent: 3,
    waiting_per_queue: 500,
};

const ISSUE: Workload = Workload {
    name: "10k_agents_1k_queues_100k_waiting",
    ready_name: "10k_ready_agents_1k_queues",
    tenants: 10,
    queues_per_tenant: 100,
    skills_per_tenant: 50,
    agents_per_tenant: 1_000,
    skills_per_agent: 4,
    waiting_per_queue: 100,
};

struct NaiveAgent {
    tenant: usize,
    ready: bool,
    idle_since: u64,
    skills: Vec<(usize, u8)>,
}

struct NaiveContact {
    tenant: usize,
    priority: u8,
    arrival: u64,
    skill: usize,
    level: u8,
}

struct Built {
    router: Router,
    agents: Vec<AgentId>,
    naive_agents: Vec<NaiveAgent>,
    naive_contacts: Vec<NaiveContact>,
    t0: Instant,
}

fn tenant_id(t: usize) -> TenantId {
    format!("t{t}").parse().expect("tenant")
}
fn skill_name(t: usize, s: usize) -> String {
    format!("t{t}-s{s}")
}
fn queue_id(t: usize, q: usize) -> QueueId {
    format!("t{t}-q{q}").parse().expect("queue")
}

fn build(w: Workload, strategy: StrategyKind, with_waiting: bool, ready: bool) -> Built {
    let t0 = Instant::now();
    let mut rng = SeededRng::new(42);
    let mut router = Router::new(RouterConfig {
        seed: 1,
        events: false,
    });
    for t in 0..w.tenants {
        for q in 0..w.queues_per_tenant {
            let mut cfg = QueueConfig::new(queue_id(t, q), tenant_id(t));
            cfg.strategy = strategy;
            cfg.skills = vec![SkillRequirement {
                skill: skill_name(t, q % w.skills_per_tenant).parse().expect("skill"),
                min_level: SkillLevel::MIN,
            }];
            router.add_queue(cfg).expect("queue");
        }
    }
    let (mut agents, mut naive_agents) = (Vec::new(), Vec::new());
    let mut clock = 0u64;
    for t in 0..w.tenants {
        for i in 0..w.agents_per_tenant {
            let skills: Vec<(usize, u8)> = (0..w.skills_per_agent)
                .map(|k| {
                    (
                        (i + k * 13) % w.skills_per_tenant,
                        (rng.next_u64() % 10) as u8 + 1,
                    )
                })
                .collect();
            let id: AgentId = format!("t{t}-a{i}").parse().expect("agent");
            let profile = AgentProfile::new(id.clone()).serving(
                tenant_id(t),
                skills
                    .iter()
                    .map(|&(s, l)| {
                        (
                            skill_name(t, s).parse().expect("skill"),
                            SkillLevel::new(l).expect("level"),
                        )
                    })
                    .collect(),
            );
            router.add_agent(profile).expect("agent");
            clock += 1;
            router
                .login(&id, ready, t0 + Duration::from_millis(clock))
                .expect("login");
            naive_agents.push(NaiveAgent {
                tenant: t,
                ready,
                idle_since: clock,
                skills,
            });
            agents.push(id);
        }
    }
    let mut naive_contacts = Vec::new();
    if with_waiting {
        let mut n = 0u64;
        for _ in 0..w.waiting_per_queue {
            for t in 0..w.tenants {
                for q in 0..w.queues_per_tenant {
                    let skill = q % w.skills_per_tenant;
                    let level = (rng.next_u64() % 5) as u8 + 1;
                    let priority = (rng.next_u64() % 3) as u8;
                    n += 1;
                    let contact = Contact::new(
                        format!("c{n}").parse().expect("contact"),
                        tenant_id(t),
                        Channel::Voice,
                        Direction::Inbound,
                    )
                    .with_priority(Priority(priority))
                    .with_skill(
                        skill_name(t, skill).parse().expect("skill"),
                        SkillLevel::new(level).expect("level"),
                    );
                    router
                        .enqueue(
                            contact,
                            &queue_id(t, q),
                            t0 + Duration::from_secs(100) + Duration::from_micros(n),
                        )
                        .expect("enqueue");
                    naive_contacts.push(NaiveContact {
                        tenant: t,
                        priority,
                        arrival: n,
                        skill,
                        level,
                    });
                }
            }
        }
    }
    while router.poll_command().is_some() {}
    Built {
        router,
        agents,
        naive_agents,
        naive_contacts,
        t0,
    }
}

/// The naive agent-side decision: scan every waiting contact for the best one (priority
/// first, then arrival) of the agent's tenant whose skill and level the agent has.
fn naive_next_contact(agent: &NaiveAgent, contacts: &[NaiveContact]) -> Option<usize> {
    let mut best: Option<(u8, u64, usize)> = None;
    for (i, c) in contacts.iter().enumerate() {
        if c.tenant == agent.tenant
            && agent.skills.iter().any(|&(s, l)| s == c.skill && l >= c.level)
            && best.is_none_or(|(p, a, _)| c.priority > p || (c.priority == p && c.arrival < a))
        {
            best = Some((c.priority, c.arrival, i));
        }
    }
    best.map(|b| b.2)
}

/// The naive contact-side decision: scan every agent for the longest-idle ready one of the
/// tenant with the skill at the level.
fn naive_best_agent(agents: &[NaiveAgent], tenant: usize, skill: usize, min_level: u8) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    for (i, a) in agents.iter().enumerate() {
        if a.ready
            && a.tenant == tenant
            && a.skills.iter().any(|&(s, l)| s == skill && l >= min_level)
            && best.is_none_or(|(t, _)| a.idle_since < t)
        {
            best = Some((a.idle_since, i));
        }
    }
    best.map(|b| b.1)
}

fn agent_side(c: &mut Criterion) {
    for w in [SMALL, ISSUE] {
        let Built {
            mut router,
            agents,
            naive_agents,
            naive_contacts,
            t0,
        } = build(w, StrategyKind::LongestIdle, true, false);
        let n = agents.len();
        let mut group = c.benchmark_group("acd_route");
        let mut k = 0usize;
        group.bench_function(format!("next_contact/{}", w.name), |b| {
            b.iter(|| {
                k = (k + 7) % n;
                black_box(
                    router
                        .next_contact_for(&agents[k], Channel::Voice)
                        .ok()
                        .flatten()
                        .is_some(),
                )
            });
        });
        let mut k = 0usize;
        group.bench_function(format!("next_contact_naive_scan/{}", w.name), |b| {
            b.iter(|| {
                k = (k + 7) % n;
                black_box(naive_next_contact(&naive_agents[k], &naive_contacts))
            });
        });
        let mut k = 0usize;
        let mut now = t0 + Duration::from_secs(1_000);
        group.bench_function(format!("ready_offer_requeue/{}", w.name), |b| {
            b.iter(|| {
                k = (k + 7) % n;
                now += Duration::from_millis(1);
                router.ready(&agents[k], now).expect("ready");
                router.force_logout(&agents[k], now).expect("force logout");
                router.login(&agents[k], false, now).expect("login");
                while let Some(cmd) = router.poll_command() {
                    black_box(cmd);
                }
            });
        });
        group.finish();
    }
}

fn contact_side(c: &mut Criterion) {
    for w in [SMALL, ISSUE] {
        let mut group = c.benchmark_group("acd_route");
        for (name, strategy) in [
            ("longest_idle", StrategyKind::LongestIdle),
            ("most_skilled", StrategyKind::MostSkilled),
        ] {
            let Built { mut router, t0, .. } = build(w, strategy, false, true);
            let mut rng = SeededRng::new(7);
            let id: ContactId = "bench-contact".parse().expect("contact");
            let mut cases: Vec<(Contact, QueueId)> = Vec::new();
            for t in 0..w.tenants {
                for q in 0..w.queues_per_tenant {
                    let skill = skill_name(t, q % w.skills_per_tenant).parse().expect("skill");
                    let contact = Contact::new(id.clone(), tenant_id(t), Channel::Voice, Direction::Inbound)
                        .with_skill(skill, SkillLevel::new(5).expect("level"));
                    cases.push((contact, queue_id(t, q)));
                }
            }
            let mut now = t0 + Duration::from_secs(1_000);
            group.bench_function(format!("arrive_offer_abandon_{name}/{}", w.ready_name), |b| {
                b.iter(|| {
                    let (contact, queue) = &cases[(rng.next_u64() % cases.len() as u64) as usize];
                    now += Duration::from_millis(1);
                    router.enqueue(contact.clone(), queue, now).expect("enqueue");
                    router.abandon(&id, now).expect("abandon");
                    while let Some(cmd) = router.poll_command() {
                        black_box(cmd);
                    }
                });
            });
        }
        let Built { naive_agents, .. } = build(w, StrategyKind::LongestIdle, false, true);
        let mut rng = SeededRng::new(7);
        group.bench_function(format!("best_agent_naive_scan/{}", w.ready_name), |b| {
            b.iter(|| {
                let t = (rng.next_u64() % w.tenants as u64) as usize;
                let s = (rng.next_u64() % w.skills_per_tenant as u64) as usize;
                black_box(naive_best_agent(&naive_agents, t, s, 5))
            });
        });
        group.finish();
    }
}

criterion_group!(benches, agent_side, contact_side);
criterion_main!(benches);
