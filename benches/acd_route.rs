//! Benchmarks of one ACD routing decision. Workloads are in the names.
//!
//! The workload: one tenant, 20 skills, 20 queues (queue `qN` needs skill `sN`), 1,000
//! agents with 3 skills each at levels 1–10, and 10,000 waiting contacts spread over the
//! queues with their own minimum levels (1–5) and priorities (0–2).
//!
//! - `next_contact/...`: the agent-side decision alone (which waiting contact an agent
//!   gets), through `Router::next_contact_for`, beside a naive scan of every waiting
//!   contact (written here) for the same answer;
//! - `ready_offer_requeue/...`: a full input cycle: an agent becomes ready and is offered
//!   the best contact, then is forced out so the contact returns to its place;
//! - `arrive_offer_abandon/...`: the contact-side decision: a contact arrives with 1,000
//!   agents ready and is offered to the best one by longest-idle or most-skilled, then
//!   hangs up; beside a naive scan of every agent.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ccsdk::acd::{AgentProfile, QueueConfig, Router, RouterConfig, SeededRng, StrategyKind};
use ccsdk::core::{AgentId, Channel, Contact, ContactId, Direction, Priority, SkillLevel};
use criterion::{Criterion, criterion_group, criterion_main};

const SKILLS: usize = 20;
const AGENTS: usize = 1_000;
const WAITING: usize = 10_000;

struct NaiveAgent {
    ready: bool,
    idle_since: u64,
    skills: [(usize, u8); 3],
}

struct NaiveContact {
    priority: u8,
    arrival: u64,
    skill: usize,
    level: u8,
}

fn level(n: u64) -> SkillLevel {
    SkillLevel::new((n % 10) as u8 + 1).expect("1..=10")
}

fn agent_skills(i: usize, rng: &mut SeededRng) -> [(usize, u8); 3] {
    [i % SKILLS, (i + 7) % SKILLS, (i + 13) % SKILLS].map(|s| (s, level(rng.next_u64()).get()))
}

fn build(
    strategy: StrategyKind,
    waiting: usize,
    ready: bool,
) -> (Router, Vec<NaiveAgent>, Vec<NaiveContact>, Instant) {
    let t0 = Instant::now();
    let mut rng = SeededRng::new(42);
    let mut router = Router::new(RouterConfig {
        seed: 1,
        events: false,
    });
    let tenant = "acme".parse().expect("tenant");
    for s in 0..SKILLS {
        let mut q = QueueConfig::new(
            format!("q{s}").parse().expect("queue"),
            "acme".parse().expect("tenant"),
        );
        q.strategy = strategy;
        q.skills = vec![ccsdk::core::SkillRequirement {
            skill: format!("s{s}").parse().expect("skill"),
            min_level: SkillLevel::MIN,
        }];
        router.add_queue(q).expect("queue");
    }
    let mut naive_agents = Vec::new();
    for i in 0..AGENTS {
        let skills = agent_skills(i, &mut rng);
        let profile = AgentProfile::new(format!("a{i}").parse().expect("agent")).serving(
            "acme".parse().expect("tenant"),
            skills
                .iter()
                .map(|&(s, l)| {
                    (
                        format!("s{s}").parse().expect("skill"),
                        SkillLevel::new(l).expect("level"),
                    )
                })
                .collect(),
        );
        router.add_agent(profile).expect("agent");
        let id: AgentId = format!("a{i}").parse().expect("agent");
        router
            .login(&id, ready, t0 + Duration::from_millis(i as u64))
            .expect("login");
        naive_agents.push(NaiveAgent {
            ready,
            idle_since: i as u64,
            skills,
        });
    }
    let mut naive_contacts = Vec::new();
    for j in 0..waiting {
        let skill = j % SKILLS;
        let lvl = (rng.next_u64() % 5) as u8 + 1;
        let priority = (rng.next_u64() % 3) as u8;
        let contact = Contact::new(
            format!("c{j}").parse().expect("contact"),
            tenant_clone(&tenant),
            Channel::Voice,
            Direction::Inbound,
        )
        .with_priority(Priority(priority))
        .with_skill(
            format!("s{skill}").parse().expect("skill"),
            SkillLevel::new(lvl).expect("level"),
        );
        let queue = format!("q{skill}").parse().expect("queue");
        router
            .enqueue(contact, &queue, t0 + Duration::from_millis(2_000 + j as u64))
            .expect("enqueue");
        naive_contacts.push(NaiveContact {
            priority,
            arrival: j as u64,
            skill,
            level: lvl,
        });
    }
    while router.poll_command().is_some() {}
    (router, naive_agents, naive_contacts, t0)
}

fn tenant_clone(t: &ccsdk::core::TenantId) -> ccsdk::core::TenantId {
    t.clone()
}

/// The naive agent-side decision: scan every waiting contact for the best one (priority
/// first, then arrival) whose skill and level the agent has.
fn naive_next_contact(agent: &NaiveAgent, contacts: &[NaiveContact]) -> Option<usize> {
    let mut best: Option<(u8, u64, usize)> = None;
    for (i, c) in contacts.iter().enumerate() {
        if agent.skills.iter().any(|&(s, l)| s == c.skill && l >= c.level) {
            let better = best.is_none_or(|(p, a, _)| c.priority > p || (c.priority == p && c.arrival < a));
            if better {
                best = Some((c.priority, c.arrival, i));
            }
        }
    }
    best.map(|b| b.2)
}

/// The naive contact-side decision: scan every agent for the longest-idle ready one with
/// the skill at the level.
fn naive_best_agent(agents: &[NaiveAgent], skill: usize, min_level: u8) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    for (i, a) in agents.iter().enumerate() {
        if a.ready
            && a.skills.iter().any(|&(s, l)| s == skill && l >= min_level)
            && best.is_none_or(|(t, _)| a.idle_since < t)
        {
            best = Some((a.idle_since, i));
        }
    }
    best.map(|b| b.1)
}

fn agent_side(c: &mut Criterion) {
    let (mut router, naive_agents, naive_contacts, t0) = build(StrategyKind::LongestIdle, WAITING, false);
    let ids: Vec<AgentId> = (0..AGENTS)
        .map(|i| format!("a{i}").parse().expect("agent"))
        .collect();
    let mut group = c.benchmark_group("acd_route");
    let mut k = 0usize;
    group.bench_function("next_contact/1k_agents_10k_waiting_20_skills", |b| {
        b.iter(|| {
            k = (k + 1) % AGENTS;
            black_box(
                router
                    .next_contact_for(&ids[k], Channel::Voice)
                    .ok()
                    .flatten()
                    .is_some(),
            )
        });
    });
    let mut k = 0usize;
    group.bench_function("next_contact_naive_scan/1k_agents_10k_waiting_20_skills", |b| {
        b.iter(|| {
            k = (k + 1) % AGENTS;
            black_box(naive_next_contact(&naive_agents[k], &naive_contacts))
        });
    });
    let mut k = 0usize;
    let mut now = t0 + Duration::from_secs(60);
    group.bench_function("ready_offer_requeue/1k_agents_10k_waiting_20_skills", |b| {
        b.iter(|| {
            k = (k + 1) % AGENTS;
            now += Duration::from_millis(1);
            router.ready(&ids[k], now).expect("ready");
            router.force_logout(&ids[k], now).expect("force logout");
            router.login(&ids[k], false, now).expect("login");
            while let Some(cmd) = router.poll_command() {
                black_box(cmd);
            }
        });
    });
    group.finish();
}

fn contact_side(c: &mut Criterion) {
    let mut group = c.benchmark_group("acd_route");
    for (name, strategy) in [
        ("longest_idle", StrategyKind::LongestIdle),
        ("most_skilled", StrategyKind::MostSkilled),
    ] {
        let (mut router, _, _, t0) = build(strategy, 0, true);
        let mut rng = SeededRng::new(7);
        let id: ContactId = "bench-contact".parse().expect("contact");
        let queues: Vec<_> = (0..SKILLS)
            .map(|s| format!("q{s}").parse().expect("queue"))
            .collect();
        let contacts: Vec<Contact> = (0..SKILLS)
            .map(|s| {
                Contact::new(
                    id.clone(),
                    "acme".parse().expect("tenant"),
                    Channel::Voice,
                    Direction::Inbound,
                )
                .with_skill(
                    format!("s{s}").parse().expect("skill"),
                    SkillLevel::new(5).expect("level"),
                )
            })
            .collect();
        let mut now = t0 + Duration::from_secs(60);
        group.bench_function(
            format!("arrive_offer_abandon_{name}/1k_ready_agents_20_skills"),
            |b| {
                b.iter(|| {
                    let s = (rng.next_u64() % SKILLS as u64) as usize;
                    now += Duration::from_millis(1);
                    router
                        .enqueue(contacts[s].clone(), &queues[s], now)
                        .expect("enqueue");
                    router.abandon(&id, now).expect("abandon");
                    while let Some(cmd) = router.poll_command() {
                        black_box(cmd);
                    }
                });
            },
        );
    }
    let (_, naive_agents, _, _) = build(StrategyKind::LongestIdle, 0, true);
    let mut rng = SeededRng::new(7);
    group.bench_function("best_agent_naive_scan/1k_ready_agents_20_skills", |b| {
        b.iter(|| {
            let s = (rng.next_u64() % SKILLS as u64) as usize;
            black_box(naive_best_agent(&naive_agents, s, 5))
        });
    });
    group.finish();
}

criterion_group!(benches, agent_side, contact_side);
criterion_main!(benches);
