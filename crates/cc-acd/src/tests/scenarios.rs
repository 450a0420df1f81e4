//! One scenario per feature.

use std::time::Duration;

use cc_core::{Address, AgentStatus, Channel, Destination, OfferOutcome, Pii, Priority};

use super::*;
use crate::agent::AUTO_PAUSE_REASON;
use crate::{
    AgentTime, Aging, Capacity, ContactStatus, Error, EscalationAction, EscalationStep, Presence,
    RoutingStrategy, StrategyKind,
};

fn external() -> Destination {
    Destination::External {
        address: Pii::new(Address::parse("+8675512345678").unwrap()),
    }
}

#[test]
fn offer_accept_complete_wrap_up_then_next() {
    let t0 = start();
    let mut r = router_with(|q| q.wrap_up = secs(30));
    agent(&mut r, "1001", &[]);
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0).unwrap();
    let cmds = drain(&mut r);
    assert_eq!(offers(&cmds), vec![("c1".into(), "1001".into())]);
    assert!(
        cmds.iter()
            .any(|x| matches!(x, Command::Announce { contact, position: 1, .. } if contact == &c("c2")))
    );
    assert_eq!(r.poll_timeout(), Some(t0 + secs(15)));
    r.accept(&c("c1"), &a("1001"), t0 + secs(3)).unwrap();
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::Busy);
    r.complete(&c("c1"), t0 + secs(63)).unwrap();
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::WrapUp);
    assert!(offers(&drain(&mut r)).is_empty());
    assert_eq!(r.poll_timeout(), Some(t0 + secs(93)));
    r.handle_timeout(t0 + secs(92));
    assert_eq!(
        r.agent_status(&a("1001")).unwrap(),
        AgentStatus::WrapUp,
        "early call does nothing"
    );
    r.handle_timeout(t0 + secs(93));
    assert_eq!(offers(&drain(&mut r)), vec![("c2".into(), "1001".into())]);
    let stats = r.queue_stats(&q("q1"), t0 + secs(93)).unwrap();
    assert_eq!(stats.counters.answered, 1);
    assert_eq!(stats.counters.answered_in_sl, 1);
    assert_eq!(stats.aht, Some(secs(60)));
    assert_eq!(stats.asa, Some(secs(3)));
    r.check_invariants().unwrap();
}

#[test]
fn lease_expiry_puts_the_contact_back_in_its_place_and_auto_pauses() {
    let t0 = start();
    let mut r = router_with(|q| q.max_no_answers = Some(1));
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(1)).unwrap();
    r.login(&a("1001"), true, t0 + secs(2)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1001".into())]);
    // The accept is lost: the lease expires.
    r.handle_timeout(t0 + secs(17));
    let cmds = drain(&mut r);
    assert!(cmds.contains(&Command::CancelOffer {
        contact: c("c1"),
        agent: a("1001"),
        outcome: OfferOutcome::NoAnswer
    }));
    assert_eq!(
        r.agent(&a("1001")).unwrap().presence(),
        &Presence::NotReady(AUTO_PAUSE_REASON.into())
    );
    // c1 is still ahead of c2.
    r.login(&a("1002"), true, t0 + secs(18)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1002".into())]);
    r.check_invariants().unwrap();
}

#[test]
fn a_rejected_contact_goes_to_another_agent_before_later_arrivals() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(1)).unwrap();
    drain(&mut r);
    r.reject(&c("c1"), &a("1001"), t0 + secs(2)).unwrap();
    // 1001 is ready again but does not get c1 back; it gets c2.
    assert_eq!(offers(&drain(&mut r)), vec![("c2".into(), "1001".into())]);
    r.login(&a("1002"), true, t0 + secs(3)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1002".into())]);
    assert!(matches!(
        r.accept(&c("c1"), &a("1001"), t0),
        Err(Error::NotOffered { .. })
    ));
    r.check_invariants().unwrap();
}

fn strategy_pick(kind: StrategyKind, setup: impl FnOnce(&mut Router, std::time::Instant)) -> String {
    let t0 = start();
    let mut r = router_with(|q| {
        q.strategy = kind;
        q.skills = vec![cc_core::SkillRequirement {
            skill: sk("billing"),
            min_level: lv(1),
        }];
    });
    agent(&mut r, "a", &[("billing", 3)]);
    agent(&mut r, "b", &[("billing", 9)]);
    agent(&mut r, "c", &[("billing", 5)]);
    setup(&mut r, t0);
    drain(&mut r);
    r.enqueue(voice("x", "acme"), &q("q1"), t0 + secs(100)).unwrap();
    offers(&drain(&mut r)).pop().unwrap().1
}

#[test]
fn built_in_strategies_pick_by_their_index() {
    let login_in_order = |r: &mut Router, t0: std::time::Instant| {
        for (i, id) in ["c", "a", "b"].into_iter().enumerate() {
            r.login(&a(id), true, t0 + secs(i as u64)).unwrap();
        }
    };
    assert_eq!(strategy_pick(StrategyKind::LongestIdle, login_in_order), "c");
    assert_eq!(strategy_pick(StrategyKind::MostSkilled, login_in_order), "b");
    // Least occupied: c and a each answered one contact; b none.
    let busy_ones = |r: &mut Router, t0: std::time::Instant| {
        r.login(&a("c"), true, t0).unwrap();
        r.login(&a("a"), true, t0 + secs(1)).unwrap();
        for (i, (id, ag)) in [("w1", "c"), ("w2", "a")].into_iter().enumerate() {
            let at = t0 + secs(2 + i as u64);
            r.enqueue(voice(id, "acme"), &q("q1"), at).unwrap();
            let (cid, aid) = offers(&drain(r)).pop().unwrap();
            assert_eq!(aid, ag);
            r.accept(&c(&cid), &a(&aid), at).unwrap();
            r.complete(&c(&cid), at + secs(1)).unwrap();
        }
        r.login(&a("b"), true, t0 + secs(50)).unwrap();
    };
    assert_eq!(strategy_pick(StrategyKind::LeastOccupied, busy_ones), "b");
    assert_eq!(strategy_pick(StrategyKind::LongestIdle, busy_ones), "c");
}

#[test]
fn round_robin_remembers_its_position() {
    let t0 = start();
    let mut r = router_with(|q| q.strategy = StrategyKind::RoundRobin);
    for id in ["a1", "a2", "a3"] {
        agent(&mut r, id, &[]);
        r.login(&a(id), true, t0).unwrap();
    }
    let mut picked = Vec::new();
    for i in 0..6 {
        let id = format!("c{i}");
        r.enqueue(voice(&id, "acme"), &q("q1"), t0).unwrap();
        let (_, ag) = offers(&drain(&mut r)).pop().unwrap();
        r.abandon(&c(&id), t0).unwrap();
        drain(&mut r);
        picked.push(ag);
    }
    assert_eq!(picked, ["a1", "a2", "a3", "a1", "a2", "a3"]);
}

#[test]
fn random_is_seeded_and_deterministic() {
    let run = |seed: u64| {
        let t0 = start();
        let mut r = Router::new(RouterConfig { seed, events: false });
        let mut cfg = QueueConfig::new(q("q1"), t("acme"));
        cfg.strategy = StrategyKind::Random;
        r.add_queue(cfg).unwrap();
        for i in 0..20 {
            agent(&mut r, &format!("a{i}"), &[]);
            r.login(&a(&format!("a{i}")), true, t0).unwrap();
        }
        let mut picked = Vec::new();
        for i in 0..10 {
            let id = format!("c{i}");
            r.enqueue(voice(&id, "acme"), &q("q1"), t0).unwrap();
            picked.push(offers(&drain(&mut r)).pop().unwrap().1);
            r.abandon(&c(&id), t0).unwrap();
        }
        picked
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn preferred_agent_first_then_strategy() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "a1", &[]);
    agent(&mut r, "a2", &[]);
    r.login(&a("a1"), true, t0).unwrap();
    r.login(&a("a2"), true, t0 + secs(1)).unwrap();
    let mut contact = voice("c1", "acme");
    contact.preferred_agent = Some(a("a2"));
    r.enqueue(contact, &q("q1"), t0 + secs(2)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "a2".into())]);
    // Preferred agent busy: the strategy decides.
    let mut contact = voice("c2", "acme");
    contact.preferred_agent = Some(a("a2"));
    r.enqueue(contact, &q("q1"), t0 + secs(3)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c2".into(), "a1".into())]);
}

#[derive(Debug)]
struct HighestLevelFromThree;
impl RoutingStrategy for HighestLevelFromThree {
    fn name(&self) -> &'static str {
        "custom"
    }
    fn order(&self) -> crate::AgentOrder {
        crate::AgentOrder::LongestIdle
    }
    fn window(&self) -> usize {
        3
    }
    fn choose(&mut self, candidates: &[crate::Candidate]) -> usize {
        (0..candidates.len())
            .max_by_key(|&i| candidates[i].level)
            .unwrap_or(0)
    }
}

#[test]
fn a_custom_strategy_chooses_among_a_window() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.skills = vec![cc_core::SkillRequirement {
            skill: sk("billing"),
            min_level: lv(1),
        }];
    });
    r.set_strategy(&q("q1"), Box::new(HighestLevelFromThree)).unwrap();
    for (i, (id, l)) in [("a", 2), ("b", 7), ("c", 4), ("d", 10)].into_iter().enumerate() {
        agent(&mut r, id, &[("billing", l)]);
        r.login(&a(id), true, t0 + secs(i as u64)).unwrap();
    }
    r.enqueue(voice("x", "acme"), &q("q1"), t0 + secs(9)).unwrap();
    // The three longest idle are a, b, c; the best of those is b ("d" is outside the window).
    assert_eq!(offers(&drain(&mut r)), vec![("x".into(), "b".into())]);
}

#[test]
fn escalation_widens_the_eligible_set_step_by_step() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.escalation = vec![
            EscalationStep {
                after: secs(30),
                action: EscalationAction::CapLevel { level: lv(8) },
            },
            EscalationStep {
                after: secs(60),
                action: EscalationAction::CapLevel { level: lv(5) },
            },
            EscalationStep {
                after: secs(90),
                action: EscalationAction::Overflow { to: external() },
            },
        ];
    });
    agent(&mut r, "expert", &[("billing", 8)]);
    agent(&mut r, "junior", &[("billing", 5)]);
    r.login(&a("junior"), true, t0).unwrap();
    let contact = voice("c1", "acme").with_skill(sk("billing"), lv(10));
    r.enqueue(contact, &q("q1"), t0).unwrap();
    assert!(offers(&drain(&mut r)).is_empty());
    r.login(&a("expert"), true, t0 + secs(1)).unwrap();
    r.not_ready(&a("expert"), "meeting", t0 + secs(2)).unwrap();
    assert!(offers(&drain(&mut r)).is_empty(), "level 8 < 10");
    r.handle_timeout(t0 + secs(30));
    assert!(offers(&drain(&mut r)).is_empty(), "expert paused, junior only 5");
    r.handle_timeout(t0 + secs(60));
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "junior".into())]);

    // A second contact nobody takes overflows outside at 90 s.
    r.accept(&c("c1"), &a("junior"), t0 + secs(61)).unwrap();
    let contact = voice("c2", "acme").with_skill(sk("billing"), lv(10));
    r.enqueue(contact, &q("q1"), t0 + secs(61)).unwrap();
    r.handle_timeout(t0 + secs(151));
    let cmds = drain(&mut r);
    assert!(cmds.iter().any(
        |x| matches!(x, Command::Overflow { contact, to, .. } if contact == &c("c2") && to == &external())
    ));
    assert!(r.contact_status(&c("c2")).is_err());
    let stats = r.queue_stats(&q("q1"), t0 + secs(151)).unwrap();
    assert_eq!(stats.counters.overflowed, 1);
    r.check_invariants().unwrap();
}

#[test]
fn overflow_into_another_queue_keeps_the_wait_and_tenant() {
    let t0 = start();
    let mut r = Router::new(RouterConfig::default());
    r.add_queue(QueueConfig::new(q("backup"), t("acme"))).unwrap();
    let mut main = QueueConfig::new(q("main"), t("acme"));
    main.escalation = vec![EscalationStep {
        after: secs(20),
        action: EscalationAction::Overflow {
            to: Destination::Queue { queue: q("backup") },
        },
    }];
    main.skills = vec![cc_core::SkillRequirement {
        skill: sk("vip"),
        min_level: lv(1),
    }];
    r.add_queue(main.clone()).unwrap();
    assert!(matches!(r.add_queue(main), Err(Error::DuplicateQueue(_))));
    let mut other = QueueConfig::new(q("other"), t("globex"));
    other.overflow.no_agents = Some(Destination::Queue { queue: q("main") });
    assert!(r.add_queue(other).is_err(), "overflow across tenants is refused");

    agent(&mut r, "plain", &[]);
    r.login(&a("plain"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("main"), t0).unwrap();
    assert!(offers(&drain(&mut r)).is_empty());
    r.handle_timeout(t0 + secs(20));
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "plain".into())]);
    r.accept(&c("c1"), &a("plain"), t0 + secs(21)).unwrap();
    let backup = r.queue_stats(&q("backup"), t0 + secs(21)).unwrap();
    assert_eq!(backup.counters.answered, 1);
    assert_eq!(
        backup.counters.answered_in_sl, 0,
        "21 s counted from the first arrival"
    );
    r.check_invariants().unwrap();
}

#[test]
fn conditional_overflow_on_arrival() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.max_waiting = Some(1);
        q.overflow.no_agents = Some(external());
    });
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    assert!(
        drain(&mut r)
            .iter()
            .any(|x| matches!(x, Command::Overflow { .. })),
        "no agent logged in"
    );
    agent(&mut r, "1001", &[]);
    r.login(&a("1001"), false, t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0).unwrap();
    let err = r.enqueue(voice("c3", "acme"), &q("q1"), t0).unwrap_err();
    assert!(matches!(err, Error::QueueFull { max: 1, .. }), "{err}");
    assert!(err.to_string().contains("max_waiting"));

    let mut r = router_with(|q| {
        q.overflow.long_wait = Some((secs(300), external()));
        q.default_handle_time = secs(200);
    });
    agent(&mut r, "1001", &[]);
    r.login(&a("1001"), false, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap(); // EWT 200 s
    r.enqueue(voice("c2", "acme"), &q("q1"), t0).unwrap(); // EWT 400 s > 300
    let cmds = drain(&mut r);
    assert!(
        cmds.iter()
            .any(|x| matches!(x, Command::Overflow { contact, .. } if contact == &c("c2")))
    );
    assert_eq!(r.contacts(), 1);
    r.check_invariants().unwrap();
}

#[test]
fn max_wait_rejects_without_a_destination() {
    let t0 = start();
    let mut r = router_with(|q| q.max_wait = Some(secs(60)));
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    r.handle_timeout(t0 + secs(60));
    assert!(drain(&mut r).iter().any(|x| matches!(
        x,
        Command::Reject {
            reason: "max_wait",
            ..
        }
    )));
    assert_eq!(r.queue_stats(&q("q1"), t0).unwrap().counters.rejected, 1);
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn callback_keeps_its_place_and_dials_after_reserving() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "1001", &[]);
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(5)).unwrap();
    r.request_callback(&c("c1"), t0 + secs(60)).unwrap();
    assert!(r.request_callback(&c("c1"), t0 + secs(61)).is_err());
    r.login(&a("1001"), true, t0 + secs(300)).unwrap();
    let cmds = drain(&mut r);
    let dial: Vec<_> = cmds
        .iter()
        .filter(|x| !matches!(x, Command::Announce { .. }))
        .collect();
    assert!(
        matches!(&dial[..], [Command::DialCallback { contact, .. }] if contact == &c("c1")),
        "{cmds:?}"
    );
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::Reserved);
    r.accept(&c("c1"), &a("1001"), t0 + secs(310)).unwrap();
    let stats = r.queue_stats(&q("q1"), t0 + secs(310)).unwrap();
    assert_eq!(
        stats.asa,
        Some(secs(310)),
        "the wait counts from the first arrival"
    );
    assert_eq!(stats.counters.callbacks, 1);
}

#[test]
fn shared_seats_serve_two_tenants_and_dedicated_ones_only_theirs() {
    let t0 = start();
    let mut r = Router::new(RouterConfig::default());
    r.add_queue(QueueConfig::new(q("acme-q"), t("acme"))).unwrap();
    r.add_queue(QueueConfig::new(q("globex-q"), t("globex"))).unwrap();
    r.add_agent(AgentProfile::new(a("dedicated")).serving(t("acme"), vec![]))
        .unwrap();
    r.add_agent(
        AgentProfile::new(a("shared"))
            .serving(t("acme"), vec![])
            .serving(t("globex"), vec![]),
    )
    .unwrap();
    r.login(&a("dedicated"), true, t0).unwrap();
    r.enqueue(voice("g1", "globex"), &q("globex-q"), t0).unwrap();
    assert!(
        offers(&drain(&mut r)).is_empty(),
        "dedicated acme seat never gets globex"
    );
    r.login(&a("shared"), true, t0 + secs(1)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("g1".into(), "shared".into())]);
    let err = r.enqueue(voice("x", "globex"), &q("acme-q"), t0).unwrap_err();
    assert!(matches!(err, Error::TenantMismatch { .. }), "{err}");
    let acme = r.tenant_stats(&t("acme"), t0 + secs(1)).unwrap();
    let globex = r.tenant_stats(&t("globex"), t0 + secs(1)).unwrap();
    assert_eq!((acme.counters.entered, globex.counters.entered), (0, 1));
    r.check_invariants().unwrap();
}

#[test]
fn priority_first_and_aging_lets_old_contacts_through() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.aging = Some(Aging {
            every: secs(10),
            step: 1,
            max: Priority(5),
        });
    });
    agent(&mut r, "1001", &[]);
    r.enqueue(voice("old", "acme"), &q("q1"), t0).unwrap();
    r.enqueue(
        voice("vip", "acme").with_priority(Priority(3)),
        &q("q1"),
        t0 + secs(1),
    )
    .unwrap();
    r.handle_timeout(t0 + secs(40)); // old: priority 4; vip: 3 + 3 = 5 (capped)
    r.enqueue(
        voice("new", "acme").with_priority(Priority(4)),
        &q("q1"),
        t0 + secs(40),
    )
    .unwrap();
    r.login(&a("1001"), true, t0 + secs(40)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("vip".into(), "1001".into())]);
    r.abandon(&c("vip"), t0 + secs(41)).unwrap();
    // old (4, earlier) before new (4, later).
    assert_eq!(offers(&drain(&mut r)), vec![("old".into(), "1001".into())]);
}

#[test]
fn chat_agents_take_up_to_three_at_once() {
    let t0 = start();
    let mut r = router_with(|_| {});
    r.add_agent(
        AgentProfile::new(a("chatter"))
            .serving(t("acme"), vec![])
            .with_capacity(Capacity::none().with(Channel::Chat, 3)),
    )
    .unwrap();
    r.login(&a("chatter"), true, t0).unwrap();
    for i in 0..4 {
        let contact = Contact::new(
            c(&format!("chat{i}")),
            t("acme"),
            Channel::Chat,
            Direction::Inbound,
        );
        r.enqueue(contact, &q("q1"), t0).unwrap();
    }
    r.enqueue(voice("v1", "acme"), &q("q1"), t0).unwrap();
    assert_eq!(offers(&drain(&mut r)).len(), 3);
    r.accept(&c("chat0"), &a("chatter"), t0).unwrap();
    r.complete(&c("chat0"), t0 + secs(5)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("chat3".into(), "chatter".into())]);
    assert_eq!(r.contact_status(&c("v1")).unwrap().0, ContactStatus::Waiting);
    r.check_invariants().unwrap();
}

#[test]
fn supervisor_force_logout_returns_the_ringing_contact() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    drain(&mut r);
    r.force_logout(&a("1001"), t0 + secs(1)).unwrap();
    assert!(drain(&mut r).iter().any(|x| matches!(
        x,
        Command::CancelOffer {
            outcome: OfferOutcome::Cancelled,
            ..
        }
    )));
    assert_eq!(r.contact_status(&c("c1")).unwrap().0, ContactStatus::Waiting);
    r.login(&a("1002"), true, t0 + secs(2)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1002".into())]);
    r.force_ready(&a("1001"), t0).unwrap_err();
    r.check_invariants().unwrap();
}

#[test]
fn bad_input_is_a_typed_error() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "1001", &[]);
    assert!(matches!(
        r.enqueue(voice("c1", "acme"), &q("nope"), t0),
        Err(Error::UnknownQueue(_))
    ));
    assert!(matches!(
        r.login(&a("ghost"), true, t0),
        Err(Error::UnknownAgent(_))
    ));
    assert!(matches!(
        r.abandon(&c("ghost"), t0),
        Err(Error::UnknownContact(_))
    ));
    assert!(matches!(
        r.add_agent(AgentProfile::new(a("1001")).serving(t("acme"), vec![])),
        Err(Error::DuplicateAgent(_))
    ));
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    assert!(matches!(
        r.enqueue(voice("c1", "acme"), &q("q1"), t0),
        Err(Error::DuplicateContact(_))
    ));
    assert!(matches!(
        r.ready(&a("1001"), t0),
        Err(Error::InvalidTransition { .. })
    ));
    assert!(matches!(
        r.complete(&c("c1"), t0),
        Err(Error::ContactState { .. })
    ));
    assert!(cc_core::SkillLevel::new(11).is_err());
    let typo = voice("c9", "acme").with_skill(sk("biling"), lv(3));
    let err = r.enqueue(typo, &q("q1"), t0).unwrap_err();
    assert!(matches!(err, Error::UnknownSkill { .. }), "{err}");
    assert!(err.to_string().contains("\"biling\""), "{err}");
    let french = voice("c10", "acme").with_language("fr".parse().unwrap());
    assert!(matches!(
        r.enqueue(french, &q("q1"), t0),
        Err(Error::UnknownSkill { .. })
    ));
    assert!(
        r.contact_status(&c("c9")).is_err(),
        "a refused contact is not held"
    );
    let bad: std::result::Result<crate::AgentProfile, _> =
        serde_json::from_str(r#"{"id":"x","tenants":[{"tenant":"acme","skills":[["billing",11]]}]}"#);
    assert!(bad.is_err(), "levels above 10 are refused when reading a profile");
    let mut cfg = QueueConfig::new(q("q2"), t("acme"));
    cfg.ring_timeout = secs(0);
    let err = r.add_queue(cfg.clone()).unwrap_err().to_string();
    assert!(
        err.contains("ring_timeout") && err.contains("above zero"),
        "{err}"
    );
    cfg.ring_timeout = std::time::Duration::MAX;
    let err = r.add_queue(cfg).unwrap_err().to_string();
    assert!(err.contains("ring_timeout") && err.contains("a year"), "{err}");
    assert!(matches!(
        r.add_agent(AgentProfile::new(a("nobody"))),
        Err(Error::InvalidValue { .. })
    ));
}

#[test]
fn redirect_obeys_the_center_and_withdraws_a_ringing_offer() {
    let t0 = start();
    let mut r = Router::new(RouterConfig::default());
    r.add_queue(QueueConfig::new(q("night"), t("acme"))).unwrap();
    r.add_queue(QueueConfig::new(q("day"), t("acme"))).unwrap();
    r.add_queue(QueueConfig::new(q("g"), t("globex"))).unwrap();
    r.add_agent(AgentProfile::new(a("1001")).serving(t("acme"), vec![]))
        .unwrap();
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("day"), t0).unwrap();
    drain(&mut r);
    // Closed hours: the center orders c1 out, while it rings.
    r.redirect(&c("c1"), external(), t0 + secs(1)).unwrap();
    let cmds = drain(&mut r);
    assert!(cmds.iter().any(|x| matches!(
        x,
        Command::CancelOffer {
            outcome: OfferOutcome::Cancelled,
            ..
        }
    )));
    assert!(
        cmds.iter()
            .any(|x| matches!(x, Command::Overflow { to, .. } if to == &external()))
    );
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::Ready);
    assert_eq!(
        r.agent(&a("1001")).unwrap().no_answers(),
        0,
        "not the agent's miss"
    );
    // Into another queue of the tenant: allowed; into another tenant's or itself: refused.
    r.not_ready(&a("1001"), "lunch", t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("day"), t0).unwrap();
    assert!(
        r.redirect(&c("c2"), Destination::Queue { queue: q("g") }, t0)
            .is_err()
    );
    assert!(
        r.redirect(&c("c2"), Destination::Queue { queue: q("day") }, t0)
            .is_err()
    );
    r.redirect(&c("c2"), Destination::Queue { queue: q("night") }, t0)
        .unwrap();
    assert_eq!(r.contact_status(&c("c2")).unwrap().1, &q("night"));
    let day = r.queue_stats(&q("day"), t0).unwrap();
    assert_eq!((day.counters.entered, day.counters.overflowed), (2, 2));
    r.check_invariants().unwrap();
}

#[test]
fn queue_configuration_changes_apply_to_the_next_offer() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "1001", &[]);
    let mut cfg = QueueConfig::new(q("q1"), t("acme"));
    cfg.ring_timeout = secs(5);
    cfg.strategy = StrategyKind::MostSkilled;
    r.update_queue(cfg.clone()).unwrap();
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    let cmds = drain(&mut r);
    assert!(
        cmds.iter()
            .any(|x| matches!(x, Command::Offer { lease_until, .. } if *lease_until == t0 + secs(5)))
    );
    cfg.tenant = t("globex");
    assert!(r.update_queue(cfg.clone()).is_err());
    cfg.tenant = t("acme");
    cfg.skills = vec![cc_core::SkillRequirement {
        skill: sk("billing"),
        min_level: lv(1),
    }];
    assert!(r.update_queue(cfg).is_err());
    let stats = r.queue_stats(&q("q1"), t0).unwrap();
    assert_eq!((stats.agents.reserved, stats.agents.logged_in()), (1, 1));
    assert_eq!(stats.agents.occupancy(), Some(1.0));
}

#[test]
fn ring_all_rings_everyone_and_the_first_accept_wins() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.strategy = StrategyKind::RingAll;
        q.max_no_answers = Some(1);
    });
    for id in ["a1", "a2", "a3"] {
        agent(&mut r, id, &[]);
        r.login(&a(id), true, t0).unwrap();
    }
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    let mut rung: Vec<_> = offers(&drain(&mut r)).into_iter().map(|(_, ag)| ag).collect();
    rung.sort();
    assert_eq!(rung, ["a1", "a2", "a3"]);
    r.check_invariants().unwrap();
    // One declines: the others keep ringing.
    r.reject(&c("c1"), &a("a1"), t0 + secs(1)).unwrap();
    assert_eq!(r.contact_status(&c("c1")).unwrap().0, ContactStatus::Ringing);
    r.check_invariants().unwrap();
    // The first accept wins; the rest are withdrawn as one.
    r.accept(&c("c1"), &a("a3"), t0 + secs(2)).unwrap();
    let cmds = drain(&mut r);
    let withdrawn: Vec<_> = cmds
        .iter()
        .filter_map(|x| match x {
            Command::CancelOffer {
                agent,
                outcome: OfferOutcome::Cancelled,
                ..
            } => Some(agent.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(withdrawn, ["a2"]);
    assert_eq!(r.agent_status(&a("a2")).unwrap(), AgentStatus::Ready);
    assert_eq!(r.agent(&a("a2")).unwrap().no_answers(), 0);
    assert!(matches!(
        r.accept(&c("c1"), &a("a2"), t0 + secs(2)),
        Err(Error::NotOffered { .. })
    ));
    r.check_invariants().unwrap();

    // Nobody answers: every ringer is told, counted as a miss, and the contact returns.
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(3)).unwrap();
    assert_eq!(
        offers(&drain(&mut r)).len(),
        1,
        "a1 is auto-paused, a3 busy: only a2"
    );
    r.ready(&a("a1"), t0 + secs(4)).unwrap();
    r.handle_timeout(t0 + secs(18));
    let cmds = drain(&mut r);
    assert!(cmds.iter().any(|x| matches!(
        x,
        Command::CancelOffer {
            outcome: OfferOutcome::NoAnswer,
            ..
        }
    )));
    r.check_invariants().unwrap();
}

#[test]
fn read_only_decisions_match_the_offers_made() {
    let t0 = start();
    let mut r = router_with(|q| q.strategy = StrategyKind::MostSkilled);
    agent(&mut r, "lo", &[("billing", 3)]);
    agent(&mut r, "hi", &[("billing", 9)]);
    r.enqueue(voice("c1", "acme").with_skill(sk("billing"), lv(2)), &q("q1"), t0)
        .unwrap();
    r.enqueue(voice("c2", "acme").with_skill(sk("billing"), lv(5)), &q("q1"), t0)
        .unwrap();
    assert_eq!(
        r.next_contact_for(&a("lo"), Channel::Voice).unwrap(),
        Some(&c("c1"))
    );
    r.login(&a("lo"), false, t0).unwrap();
    r.login(&a("hi"), false, t0).unwrap();
    // Simulate the decision before making it: both ready, c1 goes to the most skilled.
    r.ready(&a("lo"), t0).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "lo".into())]);
    assert_eq!(
        r.next_contact_for(&a("hi"), Channel::Voice).unwrap(),
        Some(&c("c2"))
    );
    assert!(r.next_contact_for(&a("nope"), Channel::Voice).is_err());
}

#[test]
fn a_sticky_contact_waits_for_its_preferred_agent_then_falls_back() {
    let t0 = start();
    let mut r = router_with(|q| q.preferred_wait = secs(30));
    agent(&mut r, "owner", &[]);
    agent(&mut r, "other", &[]);
    r.login(&a("owner"), true, t0).unwrap();
    r.enqueue(voice("busy-maker", "acme"), &q("q1"), t0).unwrap();
    r.accept(&c("busy-maker"), &a("owner"), t0).unwrap();
    r.login(&a("other"), false, t0).unwrap();
    let mut vip = voice("vip", "acme");
    vip.preferred_agent = Some(a("owner"));
    r.enqueue(vip, &q("q1"), t0 + secs(1)).unwrap();
    r.enqueue(voice("plain", "acme"), &q("q1"), t0 + secs(2)).unwrap();
    drain(&mut r);
    // Another agent frees up: it takes the later contact; the sticky one waits for its owner.
    r.ready(&a("other"), t0 + secs(3)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("plain".into(), "other".into())]);
    r.check_invariants().unwrap();
    // The owner finishes within the wait: it gets its customer.
    r.complete(&c("busy-maker"), t0 + secs(10)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("vip".into(), "owner".into())]);
    r.check_invariants().unwrap();

    // Second round: the owner stays busy past the wait; any agent then takes it.
    r.accept(&c("vip"), &a("owner"), t0 + secs(11)).unwrap();
    r.accept(&c("plain"), &a("other"), t0 + secs(11)).unwrap();
    r.complete(&c("plain"), t0 + secs(12)).unwrap();
    drain(&mut r);
    let mut again = voice("again", "acme");
    again.preferred_agent = Some(a("owner"));
    r.enqueue(again, &q("q1"), t0 + secs(20)).unwrap();
    assert!(
        offers(&drain(&mut r)).is_empty(),
        "other is ready but the contact sticks to owner"
    );
    r.check_invariants().unwrap();
    r.handle_timeout(t0 + secs(50));
    assert_eq!(offers(&drain(&mut r)), vec![("again".into(), "other".into())]);
    r.check_invariants().unwrap();
}

#[test]
fn the_read_only_contact_side_decision_names_the_agent_offered() {
    for kind in [
        StrategyKind::LongestIdle,
        StrategyKind::MostSkilled,
        StrategyKind::LeastOccupied,
        StrategyKind::RoundRobin,
        StrategyKind::Random,
        StrategyKind::RingAll,
    ] {
        let t0 = start();
        let mut r = router_with(|q| q.strategy = kind);
        for (i, level) in [3u8, 9, 6, 9, 1].into_iter().enumerate() {
            let id = format!("a{i}");
            agent(&mut r, &id, &[("billing", level)]);
            r.login(&a(&id), true, t0 + secs(i as u64)).unwrap();
        }
        for n in 0..6u64 {
            let now = t0 + secs(10 + n);
            let contact = voice(&format!("c{n}"), "acme").with_skill(sk("billing"), lv(5));
            let predicted = r
                .next_agent_for(&contact, &q("q1"))
                .unwrap()
                .map(ToString::to_string);
            r.enqueue(contact, &q("q1"), now).unwrap();
            let offered = offers(&drain(&mut r)).first().map(|x| x.1.clone());
            assert_eq!(predicted, offered, "{kind:?}, contact {n}");
            assert!(predicted.is_none() || n < 3, "only three agents have level 5");
        }
        r.check_invariants().unwrap();
    }
    let mut r = router_with(|_| {});
    agent(&mut r, "a0", &[("billing", 3)]);
    agent(&mut r, "a1", &[("billing", 3)]);
    r.login(&a("a0"), true, start()).unwrap();
    r.login(&a("a1"), true, start() + secs(1)).unwrap();
    // The preferred agent first; unknown queue, another tenant, unknown skill: typed errors.
    let mut contact = voice("p", "acme");
    contact.preferred_agent = Some(a("a1"));
    assert_eq!(r.next_agent_for(&contact, &q("q1")).unwrap(), Some(&a("a1")));
    assert!(matches!(
        r.next_agent_for(&contact, &q("nope")),
        Err(Error::UnknownQueue(_))
    ));
    assert!(matches!(
        r.next_agent_for(&voice("x", "globex"), &q("q1")),
        Err(Error::TenantMismatch { .. })
    ));
    assert!(matches!(
        r.next_agent_for(&voice("x", "acme").with_skill(sk("unheard"), lv(1)), &q("q1")),
        Err(Error::UnknownSkill { .. })
    ));
    assert_eq!(
        r.next_agent_for(&voice("x", "acme").with_skill(sk("billing"), lv(4)), &q("q1"))
            .unwrap(),
        None
    );
}

#[test]
fn occupancy_integrates_busy_over_staffed_time_per_queue_and_tenant() {
    let t0 = start();
    let mut r = router_with(|q| q.wrap_up = secs(10));
    let mut other = QueueConfig::new(q("q2"), t("globex"));
    other.wrap_up = Duration::ZERO;
    r.add_queue(other).unwrap();
    agent(&mut r, "a1", &[]);
    agent(&mut r, "a2", &[]);
    r.add_agent(AgentProfile::new(a("g1")).serving(t("globex"), vec![]))
        .unwrap();
    let none = r.queue_stats(&q("q1"), t0).unwrap();
    assert_eq!((none.agent_time, none.occupancy), (AgentTime::default(), None));
    // a1 and a2 staffed from 0; a1 rings at 10 s, answers at 12 s, hangs up at 70 s, wraps
    // up until 80 s; a2 is not ready until 2 s and from 3 s to 30 s, and logs out at 40 s;
    // g1 (another tenant) is staffed from 5 s.
    r.login(&a("a1"), true, t0).unwrap();
    r.login(&a("a2"), false, t0).unwrap();
    r.not_ready(&a("a2"), "lunch", t0 + secs(1)).unwrap();
    r.ready(&a("a2"), t0 + secs(2)).unwrap();
    r.not_ready(&a("a2"), "meeting", t0 + secs(3)).unwrap();
    r.login(&a("g1"), true, t0 + secs(5)).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0 + secs(10)).unwrap();
    let offered = offers(&drain(&mut r));
    assert_eq!(offered, [("c1".to_owned(), "a1".to_owned())]);
    r.accept(&c("c1"), &a("a1"), t0 + secs(12)).unwrap();
    r.ready(&a("a2"), t0 + secs(30)).unwrap();
    r.logout(&a("a2"), t0 + secs(40)).unwrap();
    r.complete(&c("c1"), t0 + secs(70)).unwrap();
    // Mid-way, the open intervals count up to `now`.
    let mid = r.queue_stats(&q("q1"), t0 + secs(50)).unwrap().agent_time;
    assert_eq!(mid.staffed, secs(50 + 40));
    assert_eq!(mid.busy, secs(40));
    assert_eq!(mid.not_ready, secs(2 + 27));
    r.handle_timeout(t0 + secs(80));
    let at = t0 + secs(100);
    let stats = r.queue_stats(&q("q1"), at).unwrap();
    let want = AgentTime {
        staffed: secs(100 + 40),
        busy: secs(80 - 10),
        not_ready: secs(2 + 27),
    };
    assert_eq!(stats.agent_time, want);
    assert_eq!(stats.occupancy, Some(70.0 / 140.0));
    assert_eq!(
        stats.agent_time.occupancy_excluding_not_ready(),
        Some(70.0 / 111.0)
    );
    // The tenant counts the same agents once; another tenant only its own.
    assert_eq!(r.tenant_stats(&t("acme"), at).unwrap().agent_time, want);
    let globex = r.tenant_stats(&t("globex"), at).unwrap();
    assert_eq!(
        globex.agent_time,
        AgentTime {
            staffed: secs(95),
            busy: Duration::ZERO,
            not_ready: Duration::ZERO,
        }
    );
    assert_eq!(globex.occupancy, Some(0.0));
    // A queue added later counts its agents from the router's last input on (80 s: a1).
    r.add_queue(QueueConfig::new(q("q3"), t("acme"))).unwrap();
    let late = r.queue_stats(&q("q3"), at + secs(20)).unwrap().agent_time;
    assert_eq!((late.staffed, late.busy), (secs(40), Duration::ZERO));
    r.check_invariants().unwrap();
}

#[test]
fn a_route_query_resolved_once_answers_as_next_agent_for() {
    let t0 = start();
    let mut r = router_with(|q| q.strategy = StrategyKind::MostSkilled);
    let contact = voice("c", "acme").with_skill(sk("billing"), lv(5));
    // Resolved before any agent has the skill (no pool yet): found on each decision.
    agent(&mut r, "x", &[("other", 5)]);
    assert!(matches!(
        r.route_query(&voice("c", "acme").with_skill(sk("billing"), lv(5)), &q("q1")),
        Err(Error::UnknownSkill { .. })
    ));
    agent(&mut r, "a0", &[("billing", 4)]);
    let early = r.route_query(&contact, &q("q1")).unwrap();
    assert_eq!(r.next_agent_for_query(&early).unwrap(), None);
    for (i, level) in [6u8, 9, 7].into_iter().enumerate() {
        let id = format!("a{}", i + 1);
        agent(&mut r, &id, &[("billing", level)]);
        r.login(&a(&id), true, t0 + secs(i as u64)).unwrap();
    }
    r.login(&a("a0"), true, t0).unwrap();
    let query = r.route_query(&contact, &q("q1")).unwrap();
    for query in [early, query] {
        assert_eq!(r.next_agent_for_query(&query).unwrap(), Some(&a("a2")));
    }
    assert_eq!(
        r.next_agent_for(&contact, &q("q1")).unwrap(),
        r.next_agent_for_query(&query).unwrap()
    );
    // The preferred agent, when available and eligible.
    let mut preferring = contact.clone();
    preferring.preferred_agent = Some(a("a3"));
    let preferring = r.route_query(&preferring, &q("q1")).unwrap();
    assert_eq!(r.next_agent_for_query(&preferring).unwrap(), Some(&a("a3")));
    // The answer follows the agents' states.
    r.enqueue(contact, &q("q1"), t0 + secs(10)).unwrap();
    drain(&mut r);
    assert_eq!(r.next_agent_for_query(&query).unwrap(), Some(&a("a3")));
    // Another router's query, and a removed queue: typed errors.
    let other = router_with(|_| {});
    assert!(matches!(
        other.next_agent_for_query(&query),
        Err(Error::InvalidValue { .. })
    ));
    let mut r = router_with(|_| {});
    agent(&mut r, "a0", &[("billing", 4)]);
    let query = r.route_query(&voice("d", "acme"), &q("q1")).unwrap();
    r.remove_queue(&q("q1"), None, start()).unwrap();
    assert!(matches!(
        r.next_agent_for_query(&query),
        Err(Error::UnknownQueue(_))
    ));
}

#[test]
fn pools_kept_only_when_walked_come_back_in_order_when_a_queue_needs_them() {
    // Tenant acme starts with a queue requiring a skill: its pools of no skill are not
    // kept. Agents answer contacts (their answered counts differ), then a queue requiring
    // no skill (least occupied) and one of no skill (longest idle) arrive: both route as
    // if their pools had always been kept.
    let t0 = start();
    let mut r = router_with(|q| {
        q.skills = vec![cc_core::SkillRequirement {
            skill: sk("billing"),
            min_level: lv(1),
        }];
    });
    for (i, id) in ["a0", "a1", "a2"].into_iter().enumerate() {
        agent(&mut r, id, &[("billing", 5)]);
        if i < 2 {
            r.login(&a(id), true, t0 + secs(i as u64)).unwrap();
        }
    }
    // a0 answers two contacts, a1 one, then a2 logs in: idle order a1, a0, a2.
    for (n, who) in ["a0", "a1", "a0"].into_iter().enumerate() {
        let now = t0 + secs(10 + 10 * n as u64);
        let id = format!("b{n}");
        r.enqueue(voice(&id, "acme"), &q("q1"), now).unwrap();
        let offered = offers(&drain(&mut r));
        assert_eq!(offered, vec![(id.clone(), who.to_owned())], "contact {n}");
        r.accept(&c(&id), &a(who), now).unwrap();
        r.complete(&c(&id), now + secs(1)).unwrap();
        drain(&mut r);
        r.check_invariants().unwrap();
    }
    r.login(&a("a2"), true, t0 + secs(40)).unwrap();
    let mut least = QueueConfig::new(q("least"), t("acme"));
    least.strategy = StrategyKind::LeastOccupied;
    r.add_queue(least).unwrap();
    r.check_invariants().unwrap();
    let plain = QueueConfig::new(q("plain"), t("acme"));
    r.add_queue(plain).unwrap();
    r.check_invariants().unwrap();
    let now = t0 + secs(100);
    assert_eq!(
        r.next_agent_for(&voice("x", "acme"), &q("plain")).unwrap(),
        Some(&a("a1")),
        "longest idle over the pool of no skill"
    );
    r.enqueue(voice("l0", "acme"), &q("least"), now).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("l0".to_owned(), "a2".to_owned())]);
    r.enqueue(voice("l1", "acme"), &q("least"), now).unwrap();
    assert_eq!(
        offers(&drain(&mut r)),
        vec![("l1".to_owned(), "a1".to_owned())],
        "fewest answered first"
    );
    r.enqueue(voice("p0", "acme"), &q("plain"), now).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("p0".to_owned(), "a0".to_owned())]);
    r.check_invariants().unwrap();
}
