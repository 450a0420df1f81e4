//! Call control on virtual time with the demo center: a scripted driver plays prompts
//! instantly and reports what the test tells it to.

use std::time::{Duration, Instant};

use cc_core::{AgentId, ContactId, Disposition, DtmfDigit, OfferOutcome, TenantId};

use super::*;

struct Sim {
    cc: CallControl,
    now: Instant,
    log: Vec<Order>,
    _dir: tempfile::TempDir,
}

impl Sim {
    fn demo() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = crate::demo::write(dir.path()).unwrap();
        let config = CenterConfig::load(&path).unwrap();
        let engines = config.engines().unwrap();
        let now = Instant::now();
        // Monday 23 November 2026, 10:00 in Beijing.
        let cc = CallControl::new(&config, engines, now, "2026-11-23T02:00:00Z".parse().unwrap());
        let mut sim = Self {
            cc,
            now,
            log: Vec::new(),
            _dir: dir,
        };
        sim.drain();
        sim
    }

    /// Takes the orders, playing every prompt at once (the driver reports `play_done`).
    fn drain(&mut self) -> Vec<Order> {
        let mut out = Vec::new();
        while let Some(order) = self.cc.poll_order() {
            if let Order::Play { contact, .. } = &order {
                let contact = contact.clone();
                out.push(order);
                self.cc.play_done(self.now, &contact);
                continue;
            }
            out.push(order);
        }
        self.log.extend(out.iter().cloned());
        out
    }

    fn advance(&mut self, by: Duration) -> Vec<Order> {
        let until = self.now + by;
        let mut out = Vec::new();
        while let Some(at) = self.cc.poll_timeout().filter(|&at| at <= until) {
            self.now = self.now.max(at);
            self.cc.handle_timeout(self.now);
            out.extend(self.drain());
        }
        self.now = until;
        out
    }

    fn press(&mut self, contact: &ContactId, key: char) -> Vec<Order> {
        self.cc
            .caller_digit(self.now, contact, DtmfDigit::from_char(key).unwrap());
        self.drain()
    }

    fn not_ready(&mut self, agents: &[&str]) {
        for a in agents {
            self.cc.not_ready(self.now, &agent(a), "lunch").unwrap();
        }
        self.drain();
    }
}

fn agent(id: &str) -> AgentId {
    id.parse().unwrap()
}

fn rung(orders: &[Order]) -> Vec<AgentId> {
    orders
        .iter()
        .filter_map(|o| match o {
            Order::Ring { agent, .. } => Some(agent.clone()),
            _ => None,
        })
        .collect()
}

fn finished(orders: &[Order]) -> Option<(&cc_core::ContactRecord, &[LegRecord])> {
    orders.iter().find_map(|o| match o {
        Order::Finished { record, legs } => Some((record.as_ref(), legs.as_slice())),
        _ => None,
    })
}

const ACME: &str = "4001000001";
const CALLER: &str = "sip:13800138000@127.0.0.1";

#[test]
fn a_call_walks_ivr_queue_agent_and_leaves_a_record() {
    let mut sim = Sim::demo();
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    let orders = sim.drain();
    assert!(matches!(orders[0], Order::Answer { .. }), "{orders:?}");
    assert!(
        orders
            .iter()
            .any(|o| matches!(o, Order::Play { items, .. } if format!("{items:?}").contains("main_menu")))
    );

    sim.advance(Duration::from_secs(2));
    let orders = sim.press(&c, '1');
    assert!(
        orders
            .iter()
            .any(|o| matches!(o, Order::Music { key, .. } if key == "hold_music")),
        "{orders:?}"
    );
    let ringing = rung(&orders);
    assert_eq!(ringing.len(), 1, "{orders:?}");
    let a = ringing[0].clone();
    assert!(
        matches!(&orders.last(), Some(Order::Ring { target: AgentTarget::Registered { user, .. }, .. }) if user == a.as_str())
    );

    sim.advance(Duration::from_secs(3));
    sim.cc.agent_answered(sim.now, &c, &a);
    let orders = sim.drain();
    assert!(
        matches!(&orders[0], Order::Bridge { agent, .. } if agent == &a),
        "{orders:?}"
    );
    assert!(
        orders
            .iter()
            .any(|o| matches!(o, Order::Record { tenant, .. } if tenant.as_str() == "acme"))
    );

    sim.advance(Duration::from_secs(60));
    sim.cc.agent_hangup(sim.now, &c);
    let orders = sim.drain();
    // The flow says goodbye, then hangs up; the record is complete.
    assert!(
        orders.iter().any(|o| matches!(o, Order::Hangup { .. })),
        "{orders:?}"
    );
    let (record, legs) = finished(&orders).expect("record stored");
    assert_eq!(record.disposition, Some(Disposition::Answered));
    assert_eq!(
        record.queue.as_ref().map(cc_core::QueueId::as_str),
        Some("acme_sales")
    );
    assert_eq!(record.agent.as_ref(), Some(&a));
    assert_eq!(record.wait_ms(), Some(3_000));
    assert_eq!(record.talk_ms(), Some(60_000));
    assert_eq!(legs.len(), 2);
    assert_eq!(legs[1].role, "agent");
    assert!(legs.iter().all(|l| l.ended_at.is_some()));
    assert_eq!(sim.cc.live_calls(), 0);
    // The agent is in wrap-up, then ready again.
    sim.advance(Duration::from_secs(5));
    assert_eq!(
        sim.cc
            .router()
            .queue_stats(&"acme_sales".parse().unwrap(), sim.now)
            .unwrap()
            .waiting,
        0
    );
}

#[test]
fn ring_timeout_reoffers_to_another_agent_and_the_caller_keeps_its_place() {
    let mut sim = Sim::demo();
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    let first = rung(&sim.press(&c, '1'))[0].clone();
    // Nobody answers for the 8 s ring timeout.
    let orders = sim.advance(Duration::from_secs(9));
    assert!(
        orders
            .iter()
            .any(|o| matches!(o, Order::CancelRing { agent, .. } if agent == &first)),
        "{orders:?}"
    );
    let second = rung(&orders);
    assert_eq!(second.len(), 1, "{orders:?}");
    assert_ne!(second[0], first);
    sim.cc.agent_answered(sim.now, &c, &second[0]);
    let orders = sim.drain();
    assert!(matches!(&orders[0], Order::Bridge { .. }), "{orders:?}");
    // A late answer from the first phone is refused and hung up.
    sim.cc.agent_answered(sim.now, &c, &first);
    assert!(matches!(sim.drain().as_slice(), [Order::HangupAgent { .. }]));
}

#[test]
fn a_refusing_phone_passes_the_call_on() {
    let mut sim = Sim::demo();
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    let first = rung(&sim.press(&c, '1'))[0].clone();
    sim.cc.agent_failed(sim.now, &c, &first, OfferOutcome::Rejected);
    let next = rung(&sim.drain());
    assert_eq!(next.len(), 1);
    assert_ne!(next[0], first);
}

#[test]
fn a_caller_who_hangs_up_while_queued_is_an_abandon() {
    let mut sim = Sim::demo();
    sim.not_ready(&["1001", "1002", "1003", "9001", "9002"]);
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    let orders = sim.press(&c, '1');
    assert!(rung(&orders).is_empty());
    // The flow asked for position announcements: the caller hears they are first.
    assert!(
        orders.iter().any(|o| matches!(o, Order::Announce { position: Some(1), wait: None, music: Some(m), .. } if m == "hold_music")),
        "{orders:?}"
    );
    sim.advance(Duration::from_secs(12));
    sim.cc.caller_hangup(sim.now, &c);
    let orders = sim.drain();
    let (record, _) = finished(&orders).expect("record");
    assert_eq!(
        record.disposition,
        Some(Disposition::Abandoned {
            waited_ms: 12_000,
            stage: cc_core::AbandonStage::Queue
        })
    );
    assert!(sim.cc.contact_status(&c).is_none());
    // The agents come back: nothing is offered for the caller who left.
    sim.cc.ready(sim.now, &agent("1001")).unwrap();
    assert!(rung(&sim.drain()).is_empty());
}

#[test]
fn blacklisted_callers_hear_a_message_and_are_released() {
    let mut sim = Sim::demo();
    sim.cc
        .incoming(sim.now, ACME, "sip:13900000000@127.0.0.1")
        .unwrap();
    let orders = sim.drain();
    assert!(
        orders
            .iter()
            .any(|o| matches!(o, Order::Play { items, .. } if format!("{items:?}").contains("blocked")))
    );
    let (record, _) = finished(&orders).expect("record");
    assert_eq!(record.disposition, Some(Disposition::SelfService));
}

#[test]
fn unknown_numbers_are_refused() {
    let mut sim = Sim::demo();
    let err = sim.cc.incoming(sim.now, "999", CALLER).unwrap_err();
    assert_eq!(err.code, 404);
}

#[test]
fn tenants_see_only_their_own_contacts() {
    let mut sim = Sim::demo();
    let a = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    let g = sim
        .cc
        .incoming(sim.now, "4001000002", "sip:+14155550100@127.0.0.1")
        .unwrap();
    sim.drain();
    let acme: TenantId = "acme".parse().unwrap();
    let globex: TenantId = "globex".parse().unwrap();
    assert_eq!(sim.cc.contacts_of(&acme), vec![a]);
    assert_eq!(sim.cc.contacts_of(&globex), vec![g]);
}

#[test]
fn a_callback_keeps_the_place_then_rings_the_agent_and_dials_the_customer() {
    let mut sim = Sim::demo();
    sim.not_ready(&["1001", "1002", "1003", "9001", "9002"]);
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    sim.press(&c, '1');
    sim.advance(Duration::from_secs(5));
    let orders = sim.press(&c, '1');
    // The flow confirms and hangs up; the contact stays in the queue.
    assert!(
        orders.iter().any(|o| matches!(o, Order::Hangup { .. })),
        "{orders:?}"
    );
    assert!(finished(&orders).is_none());
    assert_eq!(sim.cc.live_calls(), 1);

    sim.advance(Duration::from_secs(30));
    sim.cc.ready(sim.now, &agent("1002")).unwrap();
    let orders = sim.drain();
    assert_eq!(rung(&orders), vec![agent("1002")], "{orders:?}");
    sim.cc.agent_answered(sim.now, &c, &agent("1002"));
    let orders = sim.drain();
    assert!(
        matches!(&orders[0], Order::DialCustomer { number, .. } if number == CALLER),
        "{orders:?}"
    );
    sim.cc.customer_answered(sim.now, &c);
    assert!(matches!(sim.drain()[0], Order::Bridge { .. }));
    sim.advance(Duration::from_secs(40));
    sim.cc.agent_hangup(sim.now, &c);
    let orders = sim.drain();
    let (record, _) = finished(&orders).expect("record");
    assert_eq!(record.disposition, Some(Disposition::Answered));
    assert_eq!(record.agent, Some(agent("1002")));
}

#[test]
fn many_calls_settle_with_every_agent_free_again() {
    let mut sim = Sim::demo();
    let mut calls = Vec::new();
    for i in 0..40 {
        let caller = format!("sip:1380000{i:04}@127.0.0.1");
        let did = if i % 2 == 0 { ACME } else { "4001000002" };
        calls.push(sim.cc.incoming(sim.now, did, &caller).unwrap());
        sim.drain();
    }
    for c in &calls {
        sim.press(c, '2');
    }
    // Agents answer whatever rings, talk 30 s, hang up; repeat until every call is done.
    let mut rounds = 0;
    while sim.cc.live_calls() > 0 {
        rounds += 1;
        assert!(rounds < 500, "did not settle; {} live", sim.cc.live_calls());
        let ringing: Vec<(ContactId, AgentId)> = sim
            .log
            .drain(..)
            .filter_map(|o| match o {
                Order::Ring { contact, agent, .. } => Some((contact, agent)),
                _ => None,
            })
            .collect();
        for (c, a) in &ringing {
            sim.cc.agent_answered(sim.now, c, a);
        }
        sim.drain();
        sim.advance(Duration::from_secs(30));
        for (c, _) in &ringing {
            sim.cc.agent_hangup(sim.now, c);
        }
        sim.drain();
        sim.advance(Duration::from_secs(5));
    }
    for q in ["acme_sales", "acme_support", "globex_care"] {
        assert_eq!(
            sim.cc
                .router()
                .queue_stats(&q.parse().unwrap(), sim.now)
                .unwrap()
                .waiting,
            0,
            "{q}"
        );
    }
}

#[test]
fn reloading_adds_numbers_and_agents_without_touching_a_live_call() {
    let mut sim = Sim::demo();
    let live = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    let first = rung(&sim.press(&live, '1'))[0].clone();

    // A new access number on the ACME flow and a new agent, written into the demo's file.
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = crate::demo::write(dir.path()).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[[number]]\ndid = \"4001000009\"\ntenant = \"acme\"\nflow = \"acme_hotline\"\n");
    text.push_str("\n[[agent]]\nid = \"1009\"\npassword = \"x\"\ntenants = { acme = { sales = 9 } }\nauto_login = true\n");
    std::fs::write(&path, text).unwrap();
    let config = CenterConfig::load(&path).unwrap();
    let engines = config.engines().unwrap();
    let deferred = sim.cc.reload(&config, engines, sim.now);
    assert!(deferred.is_empty(), "{deferred:?}");

    // The live call goes on where it was.
    sim.cc.agent_answered(sim.now, &live, &first);
    assert!(matches!(sim.drain()[0], Order::Bridge { .. }));
    // The new number answers.
    let c = sim.cc.incoming(sim.now, "4001000009", CALLER).unwrap();
    sim.drain();
    assert!(!rung(&sim.press(&c, '1')).is_empty());
    // Removing a queue is deferred to a restart, not done under live calls.
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "id = \"globex_care\"\ntenant = \"globex\"\nstrategy",
        "id = \"globex_care2\"\ntenant = \"globex\"\nstrategy",
    );
    let text = text.replace("enqueue \"globex_care\"", "enqueue \"globex_care2\"");
    std::fs::write(&path, &text).unwrap();
    std::fs::write(
        dir.path().join("globex_care.flow"),
        crate::demo::FLOWS[1]
            .1
            .replace("\"globex_care\"", "\"globex_care2\""),
    )
    .unwrap();
    let config = CenterConfig::load(&path).unwrap();
    let engines = config.engines().unwrap();
    let deferred = sim.cc.reload(&config, engines, sim.now);
    assert!(
        deferred.iter().any(|d| d.contains("globex_care was removed")),
        "{deferred:?}"
    );
}

#[test]
fn stopping_ends_every_contact_including_a_callback_not_yet_made() {
    let mut sim = Sim::demo();
    sim.not_ready(&["1001", "1002", "1003", "9001", "9002"]);
    // One caller waits for a callback, another is still in the queue.
    let waiting_callback = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    sim.press(&waiting_callback, '1');
    sim.press(&waiting_callback, '1');
    let queued = sim
        .cc
        .incoming(sim.now, ACME, "sip:13800000077@127.0.0.1")
        .unwrap();
    sim.drain();
    sim.press(&queued, '1');
    sim.advance(Duration::from_secs(3));
    assert_eq!(sim.cc.live_calls(), 2);

    sim.cc.end_all(sim.now);
    let orders = sim.drain();
    let ended: Vec<_> = orders
        .iter()
        .filter_map(|o| match o {
            Order::Finished { record, .. } => Some((record.contact.clone(), record.disposition.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(ended.len(), 2, "{orders:?}");
    assert!(
        ended.contains(&(
            waiting_callback.clone(),
            Some(Disposition::Callback { callback: None })
        )),
        "{ended:?}"
    );
    assert!(
        ended
            .iter()
            .any(|(c, d)| c == &queued && matches!(d, Some(Disposition::Abandoned { .. }))),
        "{ended:?}"
    );
    assert_eq!(sim.cc.live_calls(), 0);
    assert!(sim.cc.contact_status(&waiting_callback).is_none());
    // Agents coming back find nothing to ring.
    sim.cc.ready(sim.now, &agent("1001")).unwrap();
    assert!(rung(&sim.drain()).is_empty());
}

#[test]
fn an_agent_transfer_and_supervision_follow_the_rules() {
    let mut sim = Sim::demo();
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    sim.advance(Duration::from_secs(2));
    let orders = sim.press(&c, '1');
    let a = rung(&orders)[0].clone();
    let other = agent(if a.as_str() == "1001" { "1002" } else { "1001" });

    // Before the agent answers: neither a transfer nor a supervisor.
    assert!(matches!(
        sim.cc.agent_transfer(sim.now, &c, &a, "sip:partner@192.0.2.9"),
        Err(TransferError::NotYourCall { .. })
    ));
    assert!(matches!(
        sim.cc
            .supervise(sim.now, &c, &agent("1001"), SuperviseMode::Listen),
        Err(SuperviseError::NotConnected(_) | SuperviseError::OwnCall(_))
    ));
    sim.cc.agent_answered(sim.now, &c, &a);
    sim.drain();

    // Only acme's supervisor (1001 in the demo), never on its own call.
    assert!(matches!(
        sim.cc
            .supervise(sim.now, &c, &agent("2001"), SuperviseMode::Listen),
        Err(SuperviseError::NotAllowed { .. })
    ));
    if a.as_str() == "1001" {
        assert!(matches!(
            sim.cc.supervise(sim.now, &c, &a, SuperviseMode::Barge),
            Err(SuperviseError::OwnCall(_))
        ));
    }

    // The demo has no trunk: numbers cannot go out; a sip: address can. Only the agent on
    // the call may transfer it.
    assert!(matches!(
        sim.cc.agent_transfer(sim.now, &c, &a, "95555"),
        Err(TransferError::NoTrunk(_))
    ));
    assert!(matches!(
        sim.cc.agent_transfer(sim.now, &c, &a, "hello"),
        Err(TransferError::BadTarget(_))
    ));
    assert!(matches!(
        sim.cc
            .agent_transfer(sim.now, &c, &other, "sip:partner@192.0.2.9"),
        Err(TransferError::NotYourCall { .. })
    ));
    // A supervisor may force it, but only acme's (1001 supervises acme in the demo).
    assert!(
        sim.cc
            .force_transfer(sim.now, &c, &agent("2001"), "sip:partner@192.0.2.9")
            .unwrap_err()
            .contains("does not supervise")
    );
    sim.cc
        .agent_transfer(sim.now, &c, &a, "sip:partner@192.0.2.9")
        .unwrap();
    let orders = sim.drain();
    assert!(matches!(&orders[0], Order::HangupAgent { .. }), "{orders:?}");
    assert!(
        matches!(&orders[1], Order::Transfer { uri, .. } if uri == "sip:partner@192.0.2.9"),
        "{orders:?}"
    );
    sim.advance(Duration::from_secs(4));
    sim.cc.transfer_result(sim.now, &c, true);
    sim.advance(Duration::from_secs(30));
    sim.cc.caller_hangup(sim.now, &c);
    let orders = sim.drain();
    let (record, legs) = finished(&orders).expect("record stored");
    assert_eq!(record.disposition, Some(Disposition::Answered));
    let roles: Vec<&str> = legs.iter().map(|l| l.role.as_str()).collect();
    assert_eq!(roles, ["caller", "agent", "external"]);
    assert!(legs[2].answered_at.is_some());
    assert!(matches!(
        &record.transfers[..],
        [cc_core::Transfer {
            to: cc_core::Destination::External { .. },
            attended: false,
            ..
        }]
    ));
}

#[test]
fn a_supervisor_forces_a_transfer_to_another_queue() {
    let mut sim = Sim::demo();
    // The demo's supervisor (1001) takes no calls meanwhile.
    sim.not_ready(&["1001"]);
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    sim.advance(Duration::from_secs(2));
    let orders = sim.press(&c, '1');
    let a = rung(&orders)[0].clone();
    sim.cc.agent_answered(sim.now, &c, &a);
    sim.drain();
    let supervisor = agent("1001");
    assert_ne!(a, supervisor);
    sim.cc
        .force_transfer(sim.now, &c, &supervisor, "acme_support")
        .unwrap();
    let orders = sim.drain();
    assert!(matches!(&orders[0], Order::HangupAgent { .. }), "{orders:?}");
    sim.advance(Duration::from_secs(1));
    sim.cc.caller_hangup(sim.now, &c);
    let orders = sim.drain();
    let (record, _) = finished(&orders).expect("record stored");
    assert_eq!(record.transfers.len(), 1);
    assert_eq!(
        record.transfers[0].by, None,
        "a supervisor's transfer names no agent"
    );
}

#[test]
fn an_agent_transfers_the_customer_to_another_queue() {
    let mut sim = Sim::demo();
    let c = sim.cc.incoming(sim.now, ACME, CALLER).unwrap();
    sim.drain();
    sim.advance(Duration::from_secs(2));
    let orders = sim.press(&c, '1');
    let first = rung(&orders)[0].clone();
    sim.cc.agent_answered(sim.now, &c, &first);
    sim.drain();
    sim.advance(Duration::from_secs(20));

    // Another tenant's queue is no queue here: it reads as a bad target.
    assert!(matches!(
        sim.cc.agent_transfer(sim.now, &c, &first, "globex_care"),
        Err(TransferError::BadTarget(_))
    ));
    sim.cc
        .agent_transfer(sim.now, &c, &first, "acme_support")
        .unwrap();
    let orders = sim.drain();
    assert!(matches!(&orders[0], Order::HangupAgent { .. }), "{orders:?}");
    assert!(
        orders.iter().any(|o| matches!(o, Order::Music { .. })),
        "{orders:?}"
    );
    let second = rung(&orders);
    assert_eq!(second.len(), 1, "{orders:?}");
    assert_ne!(second[0], first);
    sim.advance(Duration::from_secs(3));
    sim.cc.agent_answered(sim.now, &c, &second[0]);
    let orders = sim.drain();
    assert!(
        matches!(&orders[0], Order::Bridge { agent, .. } if agent == &second[0]),
        "{orders:?}"
    );
    sim.advance(Duration::from_secs(30));
    sim.cc.agent_hangup(sim.now, &c);
    // The flow carries on after the second conversation, as after any, to its goodbye.
    let mut orders = sim.drain();
    orders.extend(sim.advance(Duration::from_secs(60)));
    let (record, legs) = finished(&orders).expect("record stored");
    assert_eq!(record.disposition, Some(Disposition::Answered));
    assert_eq!(
        record.queue.as_ref().map(cc_core::QueueId::as_str),
        Some("acme_support")
    );
    let agents: Vec<(&str, Option<&str>)> = legs
        .iter()
        .filter(|l| l.role == "agent")
        .map(|l| (l.party.as_deref().unwrap(), l.end_cause.as_deref()))
        .collect();
    assert_eq!(agents.len(), 2, "{legs:#?}");
    assert_eq!(
        agents[0],
        (first.as_str(), Some("transferred to queue acme_support"))
    );
    assert_eq!(agents[1].0, second[0].as_str());
    assert_eq!(sim.cc.live_calls(), 0);
}
