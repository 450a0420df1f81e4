//! Routing decisions and full input cycles on the workload, in one router:
//! `blended_10k_agents_1k_queues_100k_waiting`.
//!
//! 10 tenants × 100 queues, 50 skills per tenant (each queue needs one), 1,000 agents per
//! tenant with 4 skills at random levels 1–10 and capacity 1 voice + 2 chats; every agent
//! on a voice call and 100,000 voice contacts waiting (minimum levels 1–5, priorities
//! 0–2). Chats arrive while agents still have chat capacity, so the queue's strategy
//! (longest idle, or skill-weighted = most skilled) chooses among the ~80 agents of the
//! tenant with the skill.
//!
//! Measured per strategy (`longest_idle`, `most_skilled`), each beside a naive scan
//! written here (the obvious loop over every agent, or every waiting contact, that a
//! simple implementation would do, on the same data):
//!
//! - `next_agent`: the contact-side decision alone (`Router::next_agent_for`, read only,
//!   resolving the contact's and queue's ids on each call), and `next_agent_query` the
//!   same decision on a query resolved once (`Router::route_query`, as the naive scan's
//!   cases hold dense tenant, skill and level), beside `chat_best_agent_naive_scan`;
//! - `chat_arrive_offer_abandon`: a full cycle: a chat arrives and is offered to the
//!   chosen agent (decision + reservation + index updates), then the customer leaves (the
//!   agent is released, index updates, and the agent looks for a waiting chat);
//! - `next_contact`: the agent-side decision alone (`Router::next_contact_for`) beside
//!   `next_contact_naive_scan`;
//! - `voice_complete_offer_accept_arrive`: an agent ends its call and is offered the best
//!   of the 100,000 waiting contacts (decision), answers it, and a new caller arrives and
//!   waits (decision: no agent free).
//!
//! Besides criterion's means it prints, per kind, a latency distribution (each input
//! timed alone with `Instant`, sorted: mean, p50, p99, p99.9, max), the rate of full
//! cycles (decisions with their index maintenance) per second on this one thread, the
//! ratio to the naive scan (medians and means of the same run), and memory per agent and
//! per waiting contact (the process's resident set before and after).
//!
//! Short runs: `cargo bench -p cc-acd --bench route_cycle -- --warm-up-time 1
//! --measurement-time 3`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use cc_acd::{
    AgentProfile, Capacity, Command, ContactStatus, QueueConfig, RouteQuery, Router, RouterConfig, SeededRng,
    StrategyKind,
};
use cc_core::{
    AgentId, Channel, Contact, ContactId, Direction, Priority, QueueId, SkillLevel, SkillRequirement,
    TenantId,
};
use criterion::{Criterion, criterion_group, criterion_main};

const TENANTS: usize = 10;
const QUEUES_PER_TENANT: usize = 100;
const SKILLS_PER_TENANT: usize = 50;
const AGENTS_PER_TENANT: usize = 1_000;
const SKILLS_PER_AGENT: usize = 4;
const WAITING: usize = 100_000;
const BLENDED: &str = "blended_10k_agents_1k_queues_100k_waiting";
/// Inputs timed one by one for each latency distribution.
const SAMPLES: usize = 200_000;

struct NaiveAgent {
    tenant: usize,
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

fn tenant_id(t: usize) -> TenantId {
    format!("t{t}").parse().expect("tenant")
}
fn skill_name(t: usize, s: usize) -> String {
    format!("t{t}-s{s}")
}
fn queue_id(t: usize, q: usize) -> QueueId {
    format!("t{t}-q{q}").parse().expect("queue")
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

struct Blended {
    router: Router,
    agents: Vec<AgentId>,
    /// The voice contact each agent holds (by agent index).
    holding: Vec<Option<ContactId>>,
    naive_agents: Vec<NaiveAgent>,
    naive_contacts: Vec<NaiveContact>,
    enqueued: u64,
    rng: SeededRng,
    now: Instant,
    bytes_per_agent: u64,
    bytes_per_waiting: u64,
}

/// A voice contact of a random queue with a random minimum level (1–5) and priority (0–2).
fn random_voice(rng: &mut SeededRng, n: u64) -> (Contact, QueueId, NaiveContact) {
    let t = (rng.next_u64() % TENANTS as u64) as usize;
    let q = (rng.next_u64() % QUEUES_PER_TENANT as u64) as usize;
    let skill = q % SKILLS_PER_TENANT;
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
    let t0 = Instant::now();
    let mut rng = SeededRng::new(42);
    let rss0 = rss_bytes();
    let mut router = Router::new(RouterConfig {
        seed: 1,
        events: false,
    });
    for t in 0..TENANTS {
        for q in 0..QUEUES_PER_TENANT {
            let mut cfg = QueueConfig::new(queue_id(t, q), tenant_id(t));
            cfg.strategy = strategy;
            cfg.skills = vec![SkillRequirement {
                skill: skill_name(t, q % SKILLS_PER_TENANT).parse().expect("skill"),
                min_level: SkillLevel::MIN,
            }];
            router.add_queue(cfg).expect("queue");
        }
    }
    let mut agents = Vec::new();
    let mut naive_agents = Vec::new();
    for t in 0..TENANTS {
        for i in 0..AGENTS_PER_TENANT {
            let skills: Vec<(usize, u8)> = (0..SKILLS_PER_AGENT)
                .map(|k| ((i + k * 13) % SKILLS_PER_TENANT, (rng.next_u64() % 10) as u8 + 1))
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
    let mut naive_contacts = Vec::new();
    let mut rss_busy = 0;
    loop {
        let busy = holding.iter().all(Option::is_some);
        if busy && rss_busy == 0 {
            rss_busy = rss_bytes();
        }
        let waiting = router.contacts() - holding.iter().filter(|h| h.is_some()).count();
        if waiting >= WAITING {
            break;
        }
        n += 1;
        now += Duration::from_micros(1);
        let (contact, queue, naive) = random_voice(&mut rng, n);
        router.enqueue(contact, &queue, now).expect("enqueue");
        accept_voice_offers(&mut router, &agent_index, &mut holding, now);
        naive_contacts.push(naive);
    }
    let rss_waiting = rss_bytes();
    if rss_busy == 0 {
        rss_busy = rss_agents;
    }
    let waiting = router.contacts() - agents.len();
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
        bytes_per_agent: rss_agents.saturating_sub(rss0) / (TENANTS * AGENTS_PER_TENANT) as u64,
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

/// A latency distribution.
#[derive(Clone, Copy)]
struct Dist {
    mean: Duration,
    p50: Duration,
}

/// Times `n` runs of `f` one by one (each returns its own measured time); prints mean,
/// p50, p99, p99.9, max and runs per second.
fn report_latency(name: &str, n: usize, mut f: impl FnMut() -> Duration) -> Dist {
    let mut times: Vec<Duration> = (0..n).map(|_| f()).collect();
    let total: Duration = times.iter().sum();
    times.sort_unstable();
    let at = |p: f64| times[((n as f64 * p) as usize).min(n - 1)];
    let mean = total / n as u32;
    println!(
        "latency {name}: n={n} mean={mean:?} p50={:?} p99={:?} p99.9={:?} max={:?} -> {:.0}/s (sum of timed runs)",
        at(0.50),
        at(0.99),
        at(0.999),
        times[n - 1],
        n as f64 / total.as_secs_f64()
    );
    Dist { mean, p50: at(0.50) }
}

/// Runs `f` `n` times untimed in between and prints the rate.
fn report_rate(name: &str, n: usize, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    let took = start.elapsed();
    println!(
        "rate {name}: {n} in {took:?} -> {:.0}/s on one thread ({:?} each)",
        n as f64 / took.as_secs_f64(),
        took / n as u32
    );
}

/// Runs `n` full cycles (chat: arrive, offer, abandon; voice: complete, offer, accept,
/// arrive), or as many as fit in `limit`; returns how many ran.
#[inline(never)]
fn spin_cycles(
    run: &mut Blended,
    cases: &[(Contact, QueueId, usize, usize, u8)],
    chat: bool,
    n: u64,
    limit: Option<Duration>,
) -> u64 {
    let id: ContactId = "bench-chat".parse().expect("contact");
    let agent_index: HashMap<AgentId, usize> = if chat {
        HashMap::new()
    } else {
        run.agents.iter().cloned().zip(0..).collect()
    };
    let n_agents = run.agents.len();
    let start = Instant::now();
    let (mut done, mut idx, mut now) = (0u64, 0usize, run.now);
    let spin = std::env::var("ROUTE_CYCLE_SPIN").unwrap_or_default();
    let query = spin.starts_with("query");
    let decide = query || spin.starts_with("decide");
    let queries: Vec<RouteQuery> = if query {
        cases
            .iter()
            .map(|(contact, queue, ..)| run.router.route_query(contact, queue).expect("query"))
            .collect()
    } else {
        Vec::new()
    };
    while done < n && limit.is_none_or(|l| done % 1024 != 0 || start.elapsed() < l) {
        now += Duration::from_micros(10);
        done += 1;
        if decide {
            idx = (idx + 1) % cases.len();
            let (contact, queue, ..) = &cases[idx];
            if query {
                black_box(
                    run.router
                        .next_agent_for_query(&queries[idx])
                        .ok()
                        .flatten()
                        .is_some(),
                );
            } else {
                black_box(run.router.next_agent_for(contact, queue).ok().flatten().is_some());
            }
        } else if chat {
            idx = (idx + 1) % cases.len();
            let (contact, queue, ..) = &cases[idx];
            run.router.enqueue(contact.clone(), queue, now).expect("enqueue");
            run.router.abandon(&id, now).expect("abandon");
            while run.router.poll_command().is_some() {}
        } else {
            let held = loop {
                idx = (idx + 7) % n_agents;
                if let Some(held) = run.holding[idx].take() {
                    break held;
                }
            };
            run.router.complete(&held, now).expect("complete");
            accept_voice_offers(&mut run.router, &agent_index, &mut run.holding, now);
            run.enqueued += 1;
            let (contact, queue, _) = random_voice(&mut run.rng, run.enqueued);
            run.router.enqueue(contact, &queue, now).expect("enqueue");
            accept_voice_offers(&mut run.router, &agent_index, &mut run.holding, now);
        }
    }
    run.now = now;
    done
}

fn blended(c: &mut Criterion) {
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
        let mut group = c.benchmark_group("route_cycle");
        // Chat cases: a chat of a random queue needing its skill at a random level 1–5.
        let id: ContactId = "bench-chat".parse().expect("contact");
        let mut cases: Vec<(Contact, QueueId, usize, usize, u8)> = Vec::new();
        for _ in 0..4096 {
            let tenant = (run.rng.next_u64() % TENANTS as u64) as usize;
            let queue_n = (run.rng.next_u64() % QUEUES_PER_TENANT as u64) as usize;
            let skill = queue_n % SKILLS_PER_TENANT;
            let level = (run.rng.next_u64() % 5) as u8 + 1;
            let contact = Contact::new(id.clone(), tenant_id(tenant), Channel::Chat, Direction::Inbound)
                .with_skill(
                    skill_name(tenant, skill).parse().expect("skill"),
                    SkillLevel::new(level).expect("level"),
                );
            cases.push((contact, queue_id(tenant, queue_n), tenant, skill, level));
        }

        // For profiling: `ROUTE_CYCLE_SPIN=chat` (or `voice`, `decide`, `query`) repeats
        // that cycle (or decision) for 5 s;
        // `chat:N` runs N cycles (in `spin_cycles`, e.g. for callgrind's
        // `--toggle-collect=*spin_cycles*`); `ROUTE_CYCLE_ONLY=longest_idle` skips the
        // other strategy.
        if std::env::var("ROUTE_CYCLE_ONLY").is_ok_and(|only| only != name) {
            continue;
        }
        if let Ok(spin) = std::env::var("ROUTE_CYCLE_SPIN") {
            let (kind, count) = spin.split_once(':').unwrap_or((spin.as_str(), ""));
            let start = Instant::now();
            let n = match count.parse::<u64>() {
                Ok(n) => spin_cycles(&mut run, &cases, kind == "chat", n, None),
                Err(_) => spin_cycles(
                    &mut run,
                    &cases,
                    kind == "chat",
                    u64::MAX,
                    Some(Duration::from_secs(5)),
                ),
            };
            println!("spin {kind} {name}: {n} cycles in {:?}", start.elapsed());
            continue;
        }

        // Contact side, read only, beside the naive scan (interleaved: one of each). The
        // naive scan's cases hold dense tenant, skill and level; so do the resolved
        // queries (`Router::route_query`, made once per case), while `next_agent_for`
        // resolves the contact's and queue's ids on every call.
        let queries: Vec<RouteQuery> = cases
            .iter()
            .map(|(contact, queue, ..)| run.router.route_query(contact, queue).expect("query"))
            .collect();
        let chats = vec![0u8; n_agents];
        let mut idx = 0usize;
        let mut naive_times = Vec::with_capacity(SAMPLES);
        let mut query_times = Vec::with_capacity(SAMPLES);
        let decision = {
            let router = &run.router;
            let naive_agents = &run.naive_agents;
            report_latency(&format!("{BLENDED}/next_agent_{name}"), SAMPLES, || {
                idx = (idx + 1) % cases.len();
                let (contact, queue, tenant, skill, level) = &cases[idx];
                if naive_times.len() < SAMPLES / 10 {
                    let start = Instant::now();
                    black_box(naive_best_chat_agent(
                        naive_agents,
                        &chats,
                        *tenant,
                        *skill,
                        *level,
                        by_level,
                    ));
                    naive_times.push(start.elapsed());
                }
                let start = Instant::now();
                black_box(
                    router
                        .next_agent_for_query(&queries[idx])
                        .ok()
                        .flatten()
                        .is_some(),
                );
                query_times.push(start.elapsed());
                let start = Instant::now();
                black_box(router.next_agent_for(contact, queue).ok().flatten().is_some());
                start.elapsed()
            })
        };
        let mut query_iter = query_times.into_iter();
        let query = report_latency(&format!("{BLENDED}/next_agent_query_{name}"), SAMPLES, || {
            query_iter.next().unwrap_or_default()
        });
        let mut naive_iter = naive_times.into_iter();
        let naive = report_latency(
            &format!("{BLENDED}/chat_best_agent_naive_scan_{name}"),
            SAMPLES / 10,
            || naive_iter.next().unwrap_or_default(),
        );
        println!(
            "ratio {BLENDED}/next_agent_{name}: naive scan / decision = {:.0}x (medians), {:.0}x (means)",
            naive.p50.as_secs_f64() / decision.p50.as_secs_f64(),
            naive.mean.as_secs_f64() / decision.mean.as_secs_f64()
        );
        println!(
            "ratio {BLENDED}/next_agent_query_{name}: naive scan / decision = {:.0}x (medians), {:.0}x (means)",
            naive.p50.as_secs_f64() / query.p50.as_secs_f64(),
            naive.mean.as_secs_f64() / query.mean.as_secs_f64()
        );
        group.bench_function(format!("next_agent_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 1) % cases.len();
                let (contact, queue, ..) = &cases[idx];
                black_box(run.router.next_agent_for(contact, queue).ok().flatten().is_some())
            });
        });
        group.bench_function(format!("next_agent_query_{name}/{BLENDED}"), |bench| {
            bench.iter(|| {
                idx = (idx + 1) % cases.len();
                black_box(
                    run.router
                        .next_agent_for_query(&queries[idx])
                        .ok()
                        .flatten()
                        .is_some(),
                )
            });
        });
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

        // Contact side in full: a chat arrives and is offered (decision, reservation and
        // index updates), then the customer leaves (release, index updates, the agent
        // looks for a waiting chat).
        let mut idx = 0usize;
        let mut now = run.now + Duration::from_secs(1);
        {
            let router = &mut run.router;
            let mut releases = Vec::with_capacity(SAMPLES);
            report_latency(&format!("{BLENDED}/chat_arrive_offer_{name}"), SAMPLES, || {
                idx = (idx + 1) % cases.len();
                let (contact, queue, ..) = &cases[idx];
                now += Duration::from_micros(10);
                let contact = contact.clone();
                let start = Instant::now();
                router.enqueue(contact, queue, now).expect("enqueue");
                let took = start.elapsed();
                let start = Instant::now();
                router.abandon(&id, now).expect("abandon");
                releases.push(start.elapsed());
                while router.poll_command().is_some() {}
                took
            });
            let mut releases = releases.into_iter();
            report_latency(&format!("{BLENDED}/chat_abandon_release_{name}"), SAMPLES, || {
                releases.next().unwrap_or_default()
            });
            report_rate(
                &format!("{BLENDED}/chat_arrive_offer_abandon_{name}"),
                SAMPLES,
                || {
                    idx = (idx + 1) % cases.len();
                    let (contact, queue, ..) = &cases[idx];
                    now += Duration::from_micros(10);
                    router.enqueue(contact.clone(), queue, now).expect("enqueue");
                    router.abandon(&id, now).expect("abandon");
                    while let Some(cmd) = router.poll_command() {
                        black_box(cmd);
                    }
                },
            );
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

        // Agent side, read only: which of the 100,000 waiting contacts an agent gets next.
        let mut idx = 0usize;
        {
            let (router, agents) = (&run.router, &run.agents);
            report_latency(&format!("{BLENDED}/next_contact_{name}"), SAMPLES, || {
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
            });
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

        // Agent side in full: an agent ends its call and is offered the best waiting
        // contact (decision), answers it, and a new caller arrives and waits (decision: no
        // agent free): three inputs, two decisions; 100,000 keep waiting.
        let agent_index: HashMap<AgentId, usize> = run.agents.iter().cloned().zip(0..).collect();
        let mut idx = 0usize;
        let mut step = |run: &mut Blended, timed: bool| -> (Duration, Duration) {
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
            let (contact, queue, _) = random_voice(&mut run.rng, run.enqueued);
            let start = timed.then(Instant::now);
            run.router.enqueue(contact, &queue, now).expect("enqueue");
            let arrive = start.map_or(Duration::ZERO, |t| t.elapsed());
            accept_voice_offers(&mut run.router, &agent_index, &mut run.holding, now);
            (complete, arrive)
        };
        let mut arrivals = Vec::with_capacity(SAMPLES);
        report_latency(&format!("{BLENDED}/voice_complete_offer_{name}"), SAMPLES, || {
            let (complete, arrive) = step(&mut run, true);
            arrivals.push(arrive);
            complete
        });
        let mut arrivals = arrivals.into_iter();
        report_latency(&format!("{BLENDED}/voice_arrive_wait_{name}"), SAMPLES, || {
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

criterion_group!(benches, blended);
criterion_main!(benches);
