//! Configuration changes at run time (removing agents and queues) and periodic
//! announcements.

use cc_core::{AgentStatus, Destination, OfferOutcome};

use super::*;
use crate::{ContactStatus, Error};

fn announces(cmds: &[Command]) -> Vec<(String, usize, Duration)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Command::Announce {
                contact,
                position,
                estimated_wait,
                ..
            } => Some((contact.to_string(), *position, *estimated_wait)),
            _ => None,
        })
        .collect()
}

#[test]
fn removing_an_agent_refuses_while_it_holds_a_contact_then_forgets_it() {
    let t0 = start();
    let mut r = router_with(|_| {});
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1001".into())]);
    // Ringing: refused, and nothing changed.
    assert!(matches!(
        r.remove_agent(&a("1001"), t0),
        Err(Error::InvalidTransition { action: "remove", .. })
    ));
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::Reserved);
    r.check_invariants().unwrap();
    // After a supervisor's force-logout the contact is back in its place; removal works.
    r.force_logout(&a("1001"), t0 + secs(1)).unwrap();
    drain(&mut r);
    r.remove_agent(&a("1001"), t0 + secs(1)).unwrap();
    r.check_invariants().unwrap();
    assert!(matches!(r.agent(&a("1001")), Err(Error::UnknownAgent(_))));
    assert!(matches!(
        r.login(&a("1001"), true, t0 + secs(2)),
        Err(Error::UnknownAgent(_))
    ));
    assert!(matches!(
        r.remove_agent(&a("1001"), t0 + secs(2)),
        Err(Error::UnknownAgent(_))
    ));
    let stats = r.queue_stats(&q("q1"), t0 + secs(2)).unwrap();
    assert_eq!(stats.agents.logged_in(), 0);
    // Another agent takes the waiting contact.
    r.login(&a("1002"), true, t0 + secs(2)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1002".into())]);
    // A logged-in agent with nothing in hand is logged out and removed; its id can
    // come back with a new profile.
    r.accept(&c("c1"), &a("1002"), t0 + secs(3)).unwrap();
    r.complete(&c("c1"), t0 + secs(4)).unwrap();
    r.remove_agent(&a("1002"), t0 + secs(5)).unwrap();
    r.check_invariants().unwrap();
    assert_eq!(
        r.queue_stats(&q("q1"), t0 + secs(5)).unwrap().agents.logged_in(),
        0
    );
    agent(&mut r, "1001", &[]);
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::LoggedOut);
    assert!(matches!(
        r.add_agent(AgentProfile::new(a("1001")).serving(t("acme"), vec![])),
        Err(Error::DuplicateAgent(_))
    ));
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(6)).unwrap();
    r.login(&a("1001"), true, t0 + secs(6)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c2".into(), "1001".into())]);
    r.check_invariants().unwrap();
}

#[test]
fn removing_a_preferred_agent_releases_the_contacts_waiting_for_it() {
    let t0 = start();
    let mut r = router_with(|q| q.preferred_wait = secs(60));
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.login(&a("1001"), false, t0).unwrap();
    r.login(&a("1002"), true, t0).unwrap();
    let mut sticky = voice("c1", "acme");
    sticky.preferred_agent = Some(a("1001"));
    r.enqueue(sticky, &q("q1"), t0).unwrap();
    // It waits for 1001 alone while 1002 is free.
    assert!(offers(&drain(&mut r)).is_empty());
    r.remove_agent(&a("1001"), t0 + secs(1)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1002".into())]);
    r.check_invariants().unwrap();
}

#[test]
fn removing_a_queue_moves_its_contacts_and_keeps_connected_ones() {
    let t0 = start();
    let mut r = Router::new(RouterConfig::default());
    r.add_queue(QueueConfig::new(q("old"), t("acme"))).unwrap();
    r.add_queue(QueueConfig::new(q("new"), t("acme"))).unwrap();
    let mut feeder = QueueConfig::new(q("feeder"), t("acme"));
    feeder.overflow.max_wait = Some(Destination::Queue { queue: q("old") });
    feeder.max_wait = Some(secs(60));
    r.add_queue(feeder).unwrap();
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.login(&a("1001"), true, t0).unwrap();
    r.login(&a("1002"), true, t0).unwrap();
    for (i, id) in ["c1", "c2", "c3", "c4"].iter().enumerate() {
        r.enqueue(voice(id, "acme"), &q("old"), t0 + secs(i as u64))
            .unwrap();
    }
    // c1 is answered, c2 rings, c3 and c4 wait.
    let cmds = drain(&mut r);
    assert_eq!(
        offers(&cmds),
        vec![("c1".into(), "1001".into()), ("c2".into(), "1002".into())]
    );
    r.accept(&c("c1"), &a("1001"), t0 + secs(5)).unwrap();
    // Another queue still overflows into it: refused, nothing changed.
    assert!(matches!(
        r.remove_queue(
            &q("old"),
            Some(Destination::Queue { queue: q("new") }),
            t0 + secs(6)
        ),
        Err(Error::InvalidValue { .. })
    ));
    r.update_queue(QueueConfig::new(q("feeder"), t("acme"))).unwrap();
    // Contacts inside and no destination: refused.
    assert!(matches!(
        r.remove_queue(&q("old"), None, t0 + secs(6)),
        Err(Error::InvalidValue { .. })
    ));
    // Into itself: refused.
    assert!(
        r.remove_queue(
            &q("old"),
            Some(Destination::Queue { queue: q("old") }),
            t0 + secs(6)
        )
        .is_err()
    );
    assert_eq!(r.contacts(), 4);
    r.check_invariants().unwrap();
    r.remove_queue(
        &q("old"),
        Some(Destination::Queue { queue: q("new") }),
        t0 + secs(6),
    )
    .unwrap();
    let cmds = drain(&mut r);
    // The ringing offer was withdrawn, and c2 went back to 1002 first: it keeps its
    // place (its arrival) in the new queue, ahead of c3 and c4.
    assert!(cmds.iter().any(|x| matches!(
        x,
        Command::CancelOffer { contact, outcome: OfferOutcome::Cancelled, .. } if contact == &c("c2")
    )));
    assert_eq!(offers(&cmds), vec![("c2".into(), "1002".into())]);
    for id in ["c2", "c3", "c4"] {
        assert_eq!(r.contact_status(&c(id)).unwrap().1, &q("new"));
    }
    assert_eq!(
        r.contact_status(&c("c1")).unwrap(),
        (ContactStatus::Connected, &q("old"))
    );
    assert!(matches!(
        r.queue_stats(&q("old"), t0),
        Err(Error::UnknownQueue(_))
    ));
    assert!(matches!(
        r.enqueue(voice("c5", "acme"), &q("old"), t0 + secs(7)),
        Err(Error::UnknownQueue(_))
    ));
    assert!(matches!(
        r.redirect(&c("c3"), Destination::Queue { queue: q("old") }, t0 + secs(7)),
        Err(Error::UnknownQueue(_))
    ));
    // The tenant's statistics leave it out: three entered the new queue.
    let tenant = r.tenant_stats(&t("acme"), t0 + secs(7)).unwrap();
    assert_eq!(tenant.counters.entered, 3);
    // It cannot come back while c1 is connected; once c1 ends it can.
    assert!(r.add_queue(QueueConfig::new(q("old"), t("acme"))).is_err());
    r.check_invariants().unwrap();
    r.complete(&c("c1"), t0 + secs(8)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c3".into(), "1001".into())]);
    r.add_queue(QueueConfig::new(q("old"), t("acme"))).unwrap();
    let fresh = r.queue_stats(&q("old"), t0 + secs(8)).unwrap();
    assert_eq!(fresh.counters.entered, 0);
    r.enqueue(voice("c6", "acme"), &q("old"), t0 + secs(9)).unwrap();
    assert_eq!(
        r.contact_status(&c("c6")).unwrap(),
        (ContactStatus::Waiting, &q("old"))
    );
    r.check_invariants().unwrap();
    // An empty queue goes without a destination; outside destinations work too.
    r.remove_queue(&q("feeder"), None, t0 + secs(10)).unwrap();
    r.check_invariants().unwrap();
}

#[test]
fn waiting_contacts_hear_their_place_and_wait_at_each_interval() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.announce_every = Some(secs(30));
        q.default_handle_time = secs(120);
        q.ring_timeout = secs(20);
    });
    agent(&mut r, "1001", &[]);
    agent(&mut r, "1002", &[]);
    r.login(&a("1001"), false, t0).unwrap();
    r.login(&a("1002"), false, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(10)).unwrap();
    r.enqueue(voice("c3", "acme"), &q("q1"), t0 + secs(20)).unwrap();
    let on_entry = announces(&drain(&mut r));
    assert_eq!(
        on_entry.iter().map(|x| (x.0.as_str(), x.1)).collect::<Vec<_>>(),
        vec![("c1", 1), ("c2", 2), ("c3", 3)]
    );
    assert_eq!(r.poll_timeout(), Some(t0 + secs(30)));
    r.handle_timeout(t0 + secs(29));
    assert!(announces(&drain(&mut r)).is_empty(), "not before the interval");
    r.handle_timeout(t0 + secs(30));
    // Two staffed agents, 120 s assumed handle time: place × 120 s / 2.
    assert_eq!(announces(&drain(&mut r)), vec![("c1".into(), 1, secs(60))]);
    // c1 is answered; the others move up.
    r.ready(&a("1001"), t0 + secs(35)).unwrap();
    r.accept(&c("c1"), &a("1001"), t0 + secs(36)).unwrap();
    drain(&mut r);
    r.handle_timeout(t0 + secs(40));
    assert_eq!(announces(&drain(&mut r)), vec![("c2".into(), 1, secs(60))]);
    r.handle_timeout(t0 + secs(50));
    assert_eq!(announces(&drain(&mut r)), vec![("c3".into(), 2, secs(120))]);
    // Every 30 s after: c2 at 70, c3 at 80.
    r.handle_timeout(t0 + secs(80));
    assert_eq!(
        announces(&drain(&mut r))
            .iter()
            .map(|x| x.0.as_str())
            .collect::<Vec<_>>(),
        vec!["c2", "c3"]
    );
    // A ringing contact hears nothing; the interval goes on.
    r.ready(&a("1002"), t0 + secs(85)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c2".into(), "1002".into())]);
    r.handle_timeout(t0 + secs(100));
    assert!(announces(&drain(&mut r)).is_empty());
    // Back in its place (one agent left logged in: place × 120 s).
    r.force_logout(&a("1002"), t0 + secs(101)).unwrap();
    drain(&mut r);
    r.handle_timeout(t0 + secs(110));
    assert_eq!(announces(&drain(&mut r)), vec![("c3".into(), 2, secs(240))]);
    r.handle_timeout(t0 + secs(130));
    assert_eq!(announces(&drain(&mut r)), vec![("c2".into(), 1, secs(120))]);
    // Turning announcements off stops them at the next due time.
    let mut cfg = QueueConfig::new(q("q1"), t("acme"));
    cfg.default_handle_time = secs(120);
    cfg.ring_timeout = secs(20);
    r.update_queue(cfg).unwrap();
    r.handle_timeout(t0 + secs(400));
    assert!(announces(&drain(&mut r)).is_empty());
    assert_eq!(r.poll_timeout(), None);
    r.check_invariants().unwrap();
    // A sub-second interval is refused.
    let mut bad = QueueConfig::new(q("q1"), t("acme"));
    bad.announce_every = Some(Duration::from_millis(500));
    assert!(matches!(
        r.update_queue(bad),
        Err(Error::InvalidValue {
            key: "announce_every",
            ..
        })
    ));
}

#[test]
fn an_agent_profile_changes_while_it_stays_logged_in() {
    let t0 = start();
    let mut r = router_with(|q| {
        q.skills = vec![cc_core::SkillRequirement {
            skill: sk("billing"),
            min_level: lv(5),
        }];
    });
    agent(&mut r, "1001", &[("billing", 3)]);
    r.login(&a("1001"), true, t0).unwrap();
    r.enqueue(voice("c1", "acme"), &q("q1"), t0).unwrap();
    assert!(offers(&drain(&mut r)).is_empty(), "level 3 is too low");
    // Trained up: level 8; it stays ready and takes the waiting contact at once.
    let better = AgentProfile::new(a("1001")).serving(t("acme"), vec![(sk("billing"), lv(8))]);
    r.update_agent(better.clone(), t0 + secs(1)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c1".into(), "1001".into())]);
    r.check_invariants().unwrap();
    // Ringing: refused, nothing changed.
    assert!(matches!(
        r.update_agent(better.clone(), t0 + secs(2)),
        Err(Error::InvalidTransition { .. })
    ));
    assert_eq!(r.agent_status(&a("1001")).unwrap(), AgentStatus::Reserved);
    r.accept(&c("c1"), &a("1001"), t0 + secs(2)).unwrap();
    r.complete(&c("c1"), t0 + secs(3)).unwrap();
    // Not ready keeps its reason; a profile with no tenant is refused whole.
    r.not_ready(&a("1001"), "training", t0 + secs(4)).unwrap();
    assert!(matches!(
        r.update_agent(AgentProfile::new(a("1001")), t0 + secs(5)),
        Err(Error::InvalidValue { .. })
    ));
    r.update_agent(
        AgentProfile::new(a("1001")).serving(t("acme"), vec![(sk("billing"), lv(2))]),
        t0 + secs(5),
    )
    .unwrap();
    assert_eq!(
        r.agent(&a("1001")).unwrap().presence(),
        &crate::Presence::NotReady("training".into())
    );
    r.ready(&a("1001"), t0 + secs(6)).unwrap();
    r.enqueue(voice("c2", "acme"), &q("q1"), t0 + secs(6)).unwrap();
    assert!(offers(&drain(&mut r)).is_empty(), "level 2 is too low again");
    r.update_agent(better, t0 + secs(7)).unwrap();
    assert_eq!(offers(&drain(&mut r)), vec![("c2".into(), "1001".into())]);
    assert!(matches!(
        r.update_agent(
            AgentProfile::new(a("nobody")).serving(t("acme"), vec![]),
            t0 + secs(8)
        ),
        Err(Error::UnknownAgent(_))
    ));
    r.check_invariants().unwrap();
}
