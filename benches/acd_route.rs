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
//!
//! And the issue's workload in one router, `blended_10k_agents_1k_queues_100k_waiting`
//! (see [`blended`]): 10 tenants × 100 queues, 50 skills per tenant (each queue needs one),
//! 1,000 agents per tenant with 4 skills at random levels 1–10 and capacity 1 voice +
//! 2 chats; every agent on a voice call and 100,000 voice contacts waiting (minimum levels
//! 1–5, priorities 0–2); chats arrive while agents still have chat capacity, so the
//! queue's strategy (longest idle or skill-weighted = most skilled) chooses among the
//! ~80 agents with the skill. Decisions are measured alone (read only:
//! `Router::next_agent_for` for a chat, `Router::next_contact_for` for an agent) and in full
//! input cycles (with the reservation and index updates that follow), each beside a naive
//! scan written here. Besides criterion's means it prints, per decision kind, a
//! latency distribution (each decision timed alone with `Instant`, sorted: p50, p99,
//! p99.9, max), decisions per second, and memory per agent and per waiting contact (the
//! process's resident set before and after).

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::collections::HashMap;

use ccsdk::acd::{
    AgentProfile, Capacity, Command, ContactStatus, QueueConfig, Router, RouterConfig, SeededRng,
    StrategyKind,
};
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

/// The resident set of this process (Linux), in bytes.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// The issue's workload with every agent on a voice call and 100,000 voice contacts
/// waiting; agents keep two chat slots each.
struct Blended {
    router: Router,
    agents: Vec<AgentId>,
    /// The voice contact each agent holds (by agent index).
    holding: Vec<Option<ContactId>>,
    naive_agents: Vec<NaiveAgent>,
    naive_contacts: Vec<NaiveContact>,
    /// Voice contacts enqueued so far (for fresh ids).
    enqueued: u64,
    rng: SeededRng,
    now: Instant,
    bytes_per_agent: u64,
    bytes_per_waiting: u64,
}

const BLENDED: &str = "blended_10k_agents_1k_queues_100k_waiting";

/// A voice contact of a random queue with a random minimum level (1–5) and priority (0–2).
fn random_voice(w: Workload, rng: &mut SeededRng, n: u64) -> (Contact, QueueId, NaiveContact) {
    let t = (rng.next_u64() % w.tenants as u64) as usize;
    let q = (rng.next_u64() % w.queues_per_tenant as u64) as usize;
    let skill = q % w.skills_per_tenant;
    let level = (rng.next_u64() % 5) as u8 + 1;
    let priority = (rng.next_u64() % 3) as u8;
    let contact = Contact::new(
        format!("v{n}").parse().expect("contact"),
        tenant_id(t),
        Channel::Voice,
        Direction::Inbound,
    )
    .with_priority(Priority(priority))
    .with_skill(
        skill_name(t, skill).parse().expect("skill"),
        SkillLevel::new(level).expect("level"),
    );
    let naive = NaiveContact {
        tenant: t,
        priority,
        arrival: n,
        skill,
        level,
    };
    (contact, queue_id(t, q), naive)
}

/// Drains the router's commands, accepting every voice offer (the agent then holds it).
fn accept_voice_offers(
    router: &mut Router,
    agent_index: &HashMap<AgentId, usize>,
    holding: &mut [Option<ContactId>],
    now: Instant,
) {
    while let Some(cmd) = router.poll_command() {
        if let Command::Offer { contact, agent, .. } = cmd {
            router.accept(&contact, &agent, now).expect("accept");
            holding[agent_index[&agent]] = Some(contact);
        }
    }
}

fn build_blended(strategy: StrategyKind) -> Blended {
    let w = ISSUE;
    let t0 = Instant::now();
    let mut rng = SeededRng::new(42);
    let rss0 = rss_bytes();
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
    let mut agents = Vec::new();
    let mut naive_agents = Vec::new();
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
            let profile = AgentProfile::new(id.clone())
                .serving(
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
                )
                .with_capacity(Capacity::default().with(Channel::Chat, 2));
            router.add_agent(profile).expect("agent");
            router
                .login(&id, true, t0 + Duration::from_millis(agents.len() as u64))
                .expect("login");
            naive_agents.push(NaiveAgent {
                tenant: t,
                ready: true,
                idle_since: agents.len() as u64,
                skills,
            });
            agents.push(id);
        }
    }
    let rss_agents = rss_bytes();
    let agent_index: HashMap<AgentId, usize> = agents.iter().cloned().zip(0..).collect();
    let mut holding = vec![None; agents.len()];
    let mut now = t0 + Duration::from_secs(100);
    let mut n = 0u64;
    // Voice contacts arrive until every agent is on a call (those that find an agent are
    // answered), then until 100,000 wait.
    let waiting_target = (w.tenants * w.queues_per_tenant * w.waiting_per_queue) as u64;
    let mut naive_contacts = Vec::new();
    let mut rss_busy = 0;
    loop {
        let busy = holding.iter().all(Option::is_some);
        if busy && rss_busy == 0 {
            rss_busy = rss_bytes();
        }
        let waiting = router.contacts() as u64 - holding.iter().filter(|h| h.is_some()).count() as u64;
        if waiting >= waiting_target {
            break;
        }
        n += 1;
        now += Duration::from_micros(1);
        let (contact, queue, naive) = random_voice(w, &mut rng, n);
        router.enqueue(contact, &queue, now).expect("enqueue");
        accept_voice_offers(&mut router, &agent_index, &mut holding, now);
        naive_contacts.push(naive);
    }
    let rss_waiting = rss_bytes();
    if rss_busy == 0 {
        rss_busy = rss_agents;
    }
    let waiting = router.contacts() - agents.len();
    // Contacts answered are left out of the naive list (they no longer wait).
    naive_contacts.retain(|c| {
        let id: ContactId = format!("v{}", c.arrival).parse().expect("contact");
        matches!(router.contact_status(&id), Ok((ContactStatus::Waiting, _)))
    });
    Blended {
        router,
        agents,
        holding,
        naive_agents,
        naive_contacts,
        enqueued: n,
        rng,
        now,
        bytes_per_agent: rss_agents.saturating_sub(rss0) / w.tenants as u64 / w.agents_per_tenant as u64,
        bytes_per_waiting: rss_waiting.saturating_sub(rss_busy) / waiting as u64,
    }
}

/// The naive contact-side decision for a chat: scan every agent for one of the tenant with
/// a chat slot free and the skill at the level; the longest idle, or (`by_level`) the
/// highest level, ties to the longest idle.
fn naive_best_chat_agent(
    agents: &[NaiveAgent],
    chats: &[u8],
    tenant: usize,
    skill: usize,
    min_level: u8,
    by_level: bool,
) -> Option<usize> {
    let mut best: Option<(u8, u64, usize)> = None;
    for (i, a) in agents.iter().enumerate() {
        if a.tenant != tenant || chats[i] >= 2 {
            continue;
        }
        let Some(&(_, level)) = a.skills.iter().find(|&&(s, l)| s == skill && l >= min_level) else {
            continue;
        };
        let rank = if by_level { 10 - level } else { 0 };
        if best.is_none_or(|(r, t, _)| (rank, a.idle_since) < (r, t)) {
            best = Some((rank, a.idle_since, i));
        }
    }
    best.map(|b| b.2)
}

/// Times `n` runs of `f` one by one; prints p50/p99/p99.9/max and runs per second.
fn report_latency(name: &str, n: usize, mut f: impl FnMut() -> Duration) {
    let mut times: Vec<Duration> = (0..n).map(|_| f()).collect();
    let total: Duration = times.iter().sum();
    times.sort_unstable();
    let at = |p: f64| times[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "latency {name}: n={n} p50={:?} p99={:?} p99.9={:?} max={:?} -> {:.0} decisions/s (sum of timed decisions)",
        at(0.50),
        at(0.99),
        at(0.999),
        times[n - 1],
        n as f64 / total.as_secs_f64()
    );
}

/// The issue's workload in one router: see the module's documentation.
fn blended(c: &mut Criterion) {
    let w = ISSUE;
    for (name, strategy, by_level) in [
        ("longest_idle", StrategyKind::LongestIdle, false),
        ("most_skilled", StrategyKind::MostSkilled, true),
    ] {
        let mut run = build_blended(strategy);
        if name == "longest_idle" {
            println!(
                "memory {BLENDED}: about {} bytes per agent (4 skills, 1 voice + 2 chats, logged in), {} bytes per waiting contact (resident set before and after; {} contacts held, {} agents)",
                run.bytes_per_agent,
                run.bytes_per_waiting,
                run.router.contacts(),
                run.agents.len()
            );
        }
        let n_agents = run.agents.len();
        let mut group = c.benchmark_group("acd_route");
        // Chat cases: a chat of a random queue needing its skill at a random level 1–5.
        let id: ContactId = "bench-chat".parse().expect("contact");
        let mut cases: Vec<(Contact, QueueId, usize, usize, u8)> = Vec::new();
        for _ in 0..4096 {
            let tenant = (run.rng.next_u64() % w.tenants as u64) as usize;
            let queue_n = (run.rng.next_u64() % w.queues_per_tenant as u64) as usize;
            let skill = queue_n % w.skills_per_tenant;
            let level = (run.rng.next_u64() % 5) as u8 + 1;
            let contact = Contact::new(id.clone(), tenant_id(tenant), Channel::Chat, Direction::Inbound)
                .with_skill(
                    skill_name(tenant, skill).parse().expect("skill"),
                    SkillLevel::new(level).expect("level"),
                );
            cases.push((contact, queue_id(tenant, queue_n), tenant, skill, level));
        }
        // Contact side, read only: the agent the strategy picks for a chat (no reservation).
        let mut idx = 0usize;
        {
            let router = &run.router;
            report_latency(&format!("{BLENDED}/next_agent_read_only_{name}"), 200_000, || {
                idx = (idx + 1) % cases.len();
                let (contact, queue, ..) = &cases[idx];
                let start = Instant::now();
                black_box(router.next_agent_for(contact, queue).ok().flatten().is_some());
                start.elapsed()
            });
        }
        group.bench_function(format!("next_agent_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 1) % cases.len();
                let (contact, queue, ..) = &cases[idx];
                black_box(run.router.next_agent_for(contact, queue).ok().flatten().is_some())
            });
        });
        // Contact side: a chat arrives and the strategy picks an agent (offer), then the
        // customer leaves (the agent is released): two inputs, one decision.
        let mut idx = 0usize;
        let mut now = run.now + Duration::from_secs(1);
        {
            let router = &mut run.router;
            report_latency(&format!("{BLENDED}/chat_arrive_offer_{name}"), 200_000, || {
                idx = (idx + 1) % cases.len();
                let (contact, queue, ..) = &cases[idx];
                now += Duration::from_micros(10);
                let start = Instant::now();
                router.enqueue(contact.clone(), queue, now).expect("enqueue");
                let took = start.elapsed();
                router.abandon(&id, now).expect("abandon");
                while router.poll_command().is_some() {}
                took
            });
        }
        group.bench_function(format!("chat_arrive_offer_abandon_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 1) % cases.len();
                let (contact, queue, ..) = &cases[idx];
                now += Duration::from_micros(10);
                run.router.enqueue(contact.clone(), queue, now).expect("enqueue");
                run.router.abandon(&id, now).expect("abandon");
                while let Some(cmd) = run.router.poll_command() {
                    black_box(cmd);
                }
            });
        });
        let chats = vec![0u8; n_agents];
        let mut idx = 0usize;
        group.bench_function(format!("chat_best_agent_naive_scan_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 1) % cases.len();
                let &(_, _, tenant, skill, level) = &cases[idx];
                black_box(naive_best_chat_agent(
                    &run.naive_agents,
                    &chats,
                    tenant,
                    skill,
                    level,
                    by_level,
                ))
            });
        });
        // Agent side, read only: which of the 100,000 waiting contacts an agent gets next.
        let mut idx = 0usize;
        {
            let (router, agents) = (&run.router, &run.agents);
            report_latency(
                &format!("{BLENDED}/next_contact_read_only_{name}"),
                200_000,
                || {
                    idx = (idx + 7) % n_agents;
                    let start = Instant::now();
                    black_box(
                        router
                            .next_contact_for(&agents[idx], Channel::Voice)
                            .ok()
                            .flatten()
                            .is_some(),
                    );
                    start.elapsed()
                },
            );
        }
        group.bench_function(format!("next_contact_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 7) % n_agents;
                black_box(
                    run.router
                        .next_contact_for(&run.agents[idx], Channel::Voice)
                        .ok()
                        .flatten()
                        .is_some(),
                )
            });
        });
        let mut idx = 0usize;
        group.bench_function(format!("next_contact_naive_scan_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 7) % n_agents;
                black_box(naive_next_contact(&run.naive_agents[idx], &run.naive_contacts))
            });
        });
        // Agent side, in full: an agent ends its call and is offered the best waiting
        // contact (decision), answers it, and a new caller arrives and waits (decision: no
        // agent free): three inputs, two decisions; 100,000 keep waiting.
        let agent_index: HashMap<AgentId, usize> = run.agents.iter().cloned().zip(0..).collect();
        let mut idx = 0usize;
        let mut step = |run: &mut Blended, timed: bool| -> (Duration, Duration) {
            // The next agent on a call (one whose call ended with nobody left for it is
            // skipped).
            let held = loop {
                idx = (idx + 7) % n_agents;
                if let Some(held) = run.holding[idx].take() {
                    break held;
                }
            };
            now += Duration::from_micros(10);
            let start = timed.then(Instant::now);
            run.router.complete(&held, now).expect("complete");
            let complete = start.map_or(Duration::ZERO, |t| t.elapsed());
            accept_voice_offers(&mut run.router, &agent_index, &mut run.holding, now);
            run.enqueued += 1;
            let (contact, queue, _) = random_voice(w, &mut run.rng, run.enqueued);
            let start = timed.then(Instant::now);
            run.router.enqueue(contact, &queue, now).expect("enqueue");
            let arrive = start.map_or(Duration::ZERO, |t| t.elapsed());
            accept_voice_offers(&mut run.router, &agent_index, &mut run.holding, now);
            (complete, arrive)
        };
        let mut arrivals = Vec::with_capacity(200_000);
        report_latency(&format!("{BLENDED}/voice_complete_offer_{name}"), 200_000, || {
            let (complete, arrive) = step(&mut run, true);
            arrivals.push(arrive);
            complete
        });
        let mut arrivals = arrivals.into_iter();
        report_latency(&format!("{BLENDED}/voice_arrive_wait_{name}"), 200_000, || {
            arrivals.next().unwrap_or_default()
        });
        group.bench_function(
            format!("voice_complete_offer_accept_arrive_{name}/{BLENDED}"),
            |bench| {
                bench.iter(|| black_box(step(&mut run, false)));
            },
        );
        println!(
            "{BLENDED}/{name}: {} contacts held after the run ({} waiting)",
            run.router.contacts(),
            run.router.contacts() - n_agents
        );
        group.finish();
    }
}

// `blended` first: its memory figures are read from the resident set, which only grows
// while the heap is fresh (later builds reuse memory freed by earlier ones).
criterion_group!(benches, blended, agent_side, contact_side);
criterion_main!(benches);
