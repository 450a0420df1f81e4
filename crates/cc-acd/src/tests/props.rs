//! Property tests: random sequences of agent and contact operations, supervisor actions,
//! configuration changes and time advances, with every invariant checked after each step.

use std::collections::{HashMap, HashSet};

use cc_core::{
    Address, Channel, ContactChange, Destination, Direction, EventBody, Pii, Priority, SkillRequirement,
};
use proptest::prelude::*;

use super::*;
use crate::{Aging, Capacity, EscalationAction, EscalationStep, StrategyKind};

#[derive(Debug, Clone)]
enum Op {
    Login(usize, bool),
    Ready(usize),
    NotReady(usize),
    Logout(usize),
    ForceReady(usize),
    ForceLogout(usize),
    WrapUpDone(usize),
    Enqueue {
        queue: usize,
        chat: bool,
        skill: Option<u8>,
        yue: bool,
        priority: u8,
        preferred: Option<usize>,
    },
    Accept(usize),
    AcceptWrongAgent(usize, usize),
    Reject(usize),
    Abandon(usize),
    Complete(usize),
    Callback(usize),
    SetStrategy(usize, usize),
    UpdateQueue {
        ring: u64,
        wrap: u64,
    },
    Redirect(usize, bool),
    RemoveAgent(usize),
    AddAgentBack(usize),
    /// The agent's profile with its first skill's level raised or lowered.
    UpdateAgent(usize, u8),
    RemoveQueue(usize, Option<bool>),
    AddQueueBack(usize),
    Advance(u64),
}

const AGENTS: usize = 7;
const QUEUES: [&str; 3] = ["q1", "q2", "g1"];
const KINDS: [StrategyKind; 6] = [
    StrategyKind::LongestIdle,
    StrategyKind::MostSkilled,
    StrategyKind::LeastOccupied,
    StrategyKind::RoundRobin,
    StrategyKind::Random,
    StrategyKind::RingAll,
];

fn op() -> impl Strategy<Value = Op> {
    let agent = 0..AGENTS;
    let contact = 0usize..40;

    prop_oneof![
        3 => (agent.clone(), any::<bool>()).prop_map(|(a, r)| Op::Login(a, r)),
        2 => agent.clone().prop_map(Op::Ready),
        1 => agent.clone().prop_map(Op::NotReady),
        1 => agent.clone().prop_map(Op::Logout),
        1 => agent.clone().prop_map(Op::ForceReady),
        1 => agent.clone().prop_map(Op::ForceLogout),
        1 => agent.clone().prop_map(Op::WrapUpDone),
        3 => (0..3usize, any::<bool>(), proptest::option::of(1u8..=10), any::<bool>(), 0u8..4,
              proptest::option::of(0..AGENTS))
            .prop_map(|(queue, chat, skill, yue, priority, preferred)| Op::Enqueue {
                queue, chat, skill, yue, priority, preferred
            }),
        3 => contact.clone().prop_map(Op::Accept),
        1 => (contact.clone(), agent.clone()).prop_map(|(c, a)| Op::AcceptWrongAgent(c, a)),
        1 => contact.clone().prop_map(Op::Reject),
        1 => contact.clone().prop_map(Op::Abandon),
        2 => contact.clone().prop_map(Op::Complete),
        1 => contact.clone().prop_map(Op::Callback),
        1 => (0..3usize, 0..6usize).prop_map(|(q, k)| Op::SetStrategy(q, k)),
        1 => (1u64..30, 0u64..10).prop_map(|(ring, wrap)| Op::UpdateQueue { ring, wrap }),
        1 => (contact.clone(), any::<bool>()).prop_map(|(k, inside)| Op::Redirect(k, inside)),
        1 => agent.clone().prop_map(Op::RemoveAgent),
        1 => agent.clone().prop_map(Op::AddAgentBack),
        1 => (agent.clone(), 1u8..=10).prop_map(|(i, l)| Op::UpdateAgent(i, l)),
        1 => (0..3usize, proptest::option::of(any::<bool>())).prop_map(|(q, to)| Op::RemoveQueue(q, to)),
        1 => (0..3usize).prop_map(Op::AddQueueBack),
        3 => (0u64..40).prop_map(Op::Advance),
    ]
}

/// The queues, in the order they are added (`q2` first: `q1` escalates into it).
fn queue_configs() -> Vec<QueueConfig> {
    let mut q2 = QueueConfig::new(q("q2"), t("acme"));
    q2.strategy = StrategyKind::MostSkilled;
    q2.ring_timeout = secs(10);
    q2.wrap_up = secs(5);
    q2.max_no_answers = Some(2);
    q2.preferred_wait = secs(20);
    let mut q1 = QueueConfig::new(q("q1"), t("acme"));
    q1.skills = vec![SkillRequirement {
        skill: sk("billing"),
        min_level: lv(3),
    }];
    q1.aging = Some(Aging {
        every: secs(15),
        step: 1,
        max: Priority(6),
    });
    q1.escalation = vec![
        EscalationStep {
            after: secs(30),
            action: EscalationAction::CapLevel { level: lv(5) },
        },
        EscalationStep {
            after: secs(60),
            action: EscalationAction::CapLevel { level: lv(1) },
        },
        EscalationStep {
            after: secs(100),
            action: EscalationAction::Overflow {
                to: Destination::Queue { queue: q("q2") },
            },
        },
    ];
    q1.max_wait = Some(secs(150));
    let mut g1 = QueueConfig::new(q("g1"), t("globex"));
    g1.strategy = StrategyKind::RingAll;
    g1.max_waiting = Some(4);
    g1.max_wait = Some(secs(90));
    g1.overflow.queue_full = Some(Destination::External {
        address: Pii::new(Address::parse("+8675512345678").unwrap()),
    });
    g1.announce_every = Some(secs(20));
    vec![q2, q1, g1]
}

/// The agents' profiles, `a0`..`a6`.
fn profiles() -> Vec<AgentProfile> {
    let billing = |l: u8| (sk("billing"), lv(l));
    let yue = (sk("lang:yue"), lv(7));
    let profiles = [
        AgentProfile::new(a("a0")).serving(t("acme"), vec![billing(9), yue.clone()]),
        AgentProfile::new(a("a1")).serving(t("acme"), vec![billing(4)]),
        AgentProfile::new(a("a2"))
            .serving(t("acme"), vec![billing(6)])
            .with_capacity(Capacity::default().with(Channel::Chat, 3)),
        AgentProfile::new(a("a3")).serving(t("globex"), vec![billing(8)]),
        AgentProfile::new(a("a4"))
            .serving(t("acme"), vec![billing(2)])
            .serving(t("globex"), vec![yue.clone()]),
        AgentProfile::new(a("a5"))
            .serving(t("acme"), vec![yue])
            .with_capacity(Capacity::none().with(Channel::Chat, 2)),
        AgentProfile::new(a("a6")).serving(t("globex"), vec![billing(10)]),
    ];
    profiles.into()
}

fn build() -> Router {
    let mut r = Router::new(RouterConfig {
        seed: 9,
        events: true,
    });
    for cfg in queue_configs() {
        r.add_queue(cfg).unwrap();
    }
    for p in profiles() {
        r.add_agent(p).unwrap();
    }
    r
}

fn external() -> Destination {
    Destination::External {
        address: Pii::new(Address::parse("+8675512345678").unwrap()),
    }
}

/// The `k`-th ringing contact (in id order) and its agent.
fn pick(ringing: &HashMap<ContactId, AgentId>, k: usize) -> Option<(ContactId, AgentId)> {
    let mut all: Vec<_> = ringing.iter().collect();
    all.sort();
    let n = all.len();
    (n > 0).then(|| all[k % n]).map(|(c, a)| (c.clone(), a.clone()))
}

fn name(i: usize) -> AgentId {
    a(&format!("a{i}"))
}
fn cid(i: usize) -> ContactId {
    c(&format!("k{i}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn invariants_hold_over_random_operation_sequences(ops in proptest::collection::vec(op(), 1..120)) {
        let t0 = start();
        let mut now = t0;
        let mut r = build();
        let mut next_contact = 0usize;
        let mut tenant_of: HashMap<ContactId, TenantId> = HashMap::new();
        let mut ended: HashSet<ContactId> = HashSet::new();
        let mut ringing_at: HashMap<ContactId, AgentId> = HashMap::new();
        let serves = |agent: &AgentId, tenant: &TenantId| -> bool {
            let i: usize = agent.as_str()[1..].parse().unwrap();
            match i {
                3 | 6 => tenant.as_str() == "globex",
                4 => true,
                _ => tenant.as_str() == "acme",
            }
        };
        for op in ops {
            let timers_ran = matches!(op, Op::Advance(_));
            // Inputs may fail (invalid transitions, unknown contacts): they must then change
            // nothing that breaks the invariants. None may panic.
            let _ = match op {
                Op::Login(i, ready) => r.login(&name(i), ready, now),
                Op::Ready(i) => r.ready(&name(i), now),
                Op::NotReady(i) => r.not_ready(&name(i), "break", now),
                Op::Logout(i) => r.logout(&name(i), now),
                Op::ForceReady(i) => r.force_ready(&name(i), now),
                Op::ForceLogout(i) => r.force_logout(&name(i), now),
                Op::WrapUpDone(i) => r.wrap_up_done(&name(i), now),
                Op::Enqueue { queue, chat, skill, yue, priority, preferred } => {
                    let id = cid(next_contact);
                    next_contact += 1;
                    let tenant = t(if queue == 2 { "globex" } else { "acme" });
                    let channel = if chat { Channel::Chat } else { Channel::Voice };
                    let mut contact = Contact::new(id.clone(), tenant.clone(), channel, Direction::Inbound)
                        .with_priority(Priority(priority));
                    if let Some(l) = skill {
                        contact = contact.with_skill(sk("billing"), lv(l));
                    }
                    if yue {
                        contact = contact.with_language("yue".parse().unwrap());
                    }
                    contact.preferred_agent = preferred.map(name);
                    tenant_of.insert(id.clone(), tenant);
                    let res = r.enqueue(contact, &q(QUEUES[queue]), now);
                    if res.is_err() {
                        // Refused (its queue was removed): it never existed.
                        tenant_of.remove(&id);
                    }
                    res
                }
                Op::Accept(k) => match pick(&ringing_at, k) {
                    Some((contact, agent)) => r.accept(&contact, &agent, now),
                    None => r.accept(&cid(k), &name(0), now),
                },
                Op::AcceptWrongAgent(k, i) => r.accept(&cid(k % next_contact.max(1)), &name(i), now),
                Op::Reject(k) => match pick(&ringing_at, k) {
                    Some((contact, agent)) => r.reject(&contact, &agent, now),
                    None => r.reject(&cid(k), &name(1), now),
                },
                Op::Abandon(k) => r.abandon(&cid(k % next_contact.max(1)), now),
                Op::Complete(k) => r.complete(&cid(k % next_contact.max(1)), now),
                Op::Callback(k) => r.request_callback(&cid(k % next_contact.max(1)), now),
                Op::SetStrategy(qi, k) => r.set_strategy(&q(QUEUES[qi]), KINDS[k].build()),
                Op::UpdateQueue { ring, wrap } => {
                    let mut q2 = QueueConfig::new(q("q2"), t("acme"));
                    q2.ring_timeout = secs(ring);
                    q2.wrap_up = secs(wrap);
                    q2.max_no_answers = Some(2);
                    q2.preferred_wait = secs(wrap * 3);
                    q2.announce_every = (wrap % 2 == 0).then(|| secs(wrap + 5));
                    r.update_queue(q2)
                }
                Op::Redirect(k, inside) => {
                    let to = if inside {
                        Destination::Queue { queue: q("q2") }
                    } else {
                        Destination::External { address: Pii::new(Address::parse("+8675512345678").unwrap()) }
                    };
                    r.redirect(&cid(k % next_contact.max(1)), to, now)
                }
                Op::RemoveAgent(i) => r.remove_agent(&name(i), now),
                Op::AddAgentBack(i) => r.add_agent(profiles().swap_remove(i)),
                Op::UpdateAgent(i, level) => {
                    let mut p = profiles().swap_remove(i);
                    if let Some((_, l)) = p.tenants.first_mut().and_then(|t| t.skills.first_mut()) {
                        *l = lv(level);
                    }
                    r.update_agent(p, now)
                }
                Op::RemoveQueue(qi, to) => {
                    let to = to.map(|inside| if inside { Destination::Queue { queue: q("q2") } } else { external() });
                    r.remove_queue(&q(QUEUES[qi]), to, now)
                }
                Op::AddQueueBack(qi) => {
                    let cfg = queue_configs().into_iter().find(|x| x.id == q(QUEUES[qi])).unwrap();
                    r.add_queue(cfg)
                }
                Op::Advance(s) => {
                    now += secs(s);
                    r.handle_timeout(now);
                    Ok(())
                }
            };
            while let Some(cmd) = r.poll_command() {
                if let Command::Offer { contact, agent, lease_until, .. }
                | Command::DialCallback { contact, agent, lease_until, .. } = cmd
                {
                    prop_assert!(lease_until > now);
                    let tenant = &tenant_of[&contact];
                    prop_assert!(serves(&agent, tenant), "{contact} of {tenant} offered to {agent}");
                    // Aging and escalation inside one advance may reorder after an offer.
                    if !timers_ran
                        && let Err(violation) = r.check_fifo(&contact)
                    {
                        prop_assert!(false, "{}", violation);
                    }
                    ringing_at.insert(contact, agent);
                }
            }
            while let Some(event) = r.poll_event() {
                if let EventBody::Contact(e) = event {
                    prop_assert_eq!(&tenant_of[&e.contact], &e.tenant);
                    if let ContactChange::Ended { .. } = e.change {
                        prop_assert!(ended.insert(e.contact.clone()), "{} ended twice", e.contact);
                        prop_assert!(r.contact_status(&e.contact).is_err());
                    }
                }
            }
            ringing_at.retain(|contact, _| {
                matches!(r.contact_status(contact), Ok((crate::ContactStatus::Ringing, _)))
            });
            if let Err(violation) = r.check_invariants() {
                prop_assert!(false, "{}", violation);
            }
            // FIFO at every offer of this step, timer-driven ones included.
            let fifo = r.take_fifo_violations();
            prop_assert!(fifo.is_empty(), "{:?}", fifo);
            // No reservation survives its lease once time has reached it.
            if let Some(at) = r.poll_timeout() {
                prop_assert!(at > now, "a timer due at or before now was left unfired");
            }
        }
        // Every contact either ended exactly once or is still held.
        for id in tenant_of.keys() {
            prop_assert!(ended.contains(id) != r.contact_status(id).is_ok(), "{id} lost");
        }
    }
}

/// Seconds: mostly small, sometimes up to a year and a bit, sometimes anything.
fn dur() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0u64..100, 2 => 0u64..40_000_000, 1 => any::<u64>()]
}

proptest! {
    /// Any queue configuration is either refused with an error or runs without panics,
    /// however large or odd its numbers.
    #[test]
    fn odd_queue_configurations_never_panic(
        ring in dur(),
        wrap in dur(),
        every in dur(),
        step in any::<u8>(),
        max_prio in any::<u8>(),
        after in proptest::collection::vec(dur(), 0..4),
        max_waiting in proptest::option::of(prop_oneof![0usize..4, any::<usize>()]),
        max_wait in proptest::option::of(dur()),
        no_answers in proptest::option::of(any::<u32>()),
        advance in proptest::collection::vec(0u64..100_000, 1..8),
    ) {
        let t0 = start();
        let mut r = Router::new(RouterConfig::default());
        let mut cfg = QueueConfig::new(q("q1"), t("acme"));
        cfg.ring_timeout = secs(ring);
        cfg.wrap_up = secs(wrap);
        cfg.aging = Some(Aging { every: secs(every), step, max: Priority(max_prio) });
        cfg.escalation = after
            .iter()
            .map(|&s| EscalationStep { after: secs(s), action: EscalationAction::CapLevel { level: lv(1) } })
            .collect();
        cfg.max_waiting = max_waiting;
        cfg.max_wait = max_wait.map(secs);
        cfg.max_no_answers = no_answers;
        if r.add_queue(cfg).is_err() {
            return Ok(());
        }
        agent(&mut r, "1001", &[]);
        r.login(&a("1001"), true, t0).unwrap();
        let mut now = t0;
        for (i, s) in advance.into_iter().enumerate() {
            let _ = r.enqueue(voice(&format!("c{i}"), "acme"), &q("q1"), now);
            now += secs(s);
            r.handle_timeout(now);
            while r.poll_command().is_some() {}
            while r.poll_event().is_some() {}
            if let Err(violation) = r.check_invariants() {
                prop_assert!(false, "{}", violation);
            }
            // FIFO at every offer of this step, timer-driven ones included.
            let fifo = r.take_fifo_violations();
            prop_assert!(fifo.is_empty(), "{:?}", fifo);
        }
    }
}
