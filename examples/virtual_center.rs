//! A small center on virtual time, with no network: callers walk the IT hotline's IVR flow
//! (`examples/flows/it_hotline.flow`), the IVR puts them in the ACD's queues, agents answer,
//! talk and hang up, callers answer the survey, and each call leaves a contact record.
//!
//! It shows how the sans-IO layers fit together — the shape `cc-center` drives with real SIP
//! and RTP: a session's actions become router inputs, router commands become agent offers,
//! and both run on one clock that the driver owns.
//!
//! `cargo run --example virtual_center -- [CALLS]` (default 12) prints one line per call
//! and a summary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ccsdk::acd::{AgentProfile, Command, QueueConfig, Router, RouterConfig};
use ccsdk::core::{
    Address, Channel, Contact, ContactId, ContactRecord, Destination, Direction, Disposition, DtmfDigit,
    Language, Pii, Priority, SignedDuration, SkillLevel, Timestamp, Value,
};
use ccsdk::ivr::{
    Action, Calendar, CalendarConfig, Environment, Event, Program, QueueEvent, Resources, Session,
    SessionContext,
};

type BoxError = Box<dyn std::error::Error>;

/// Something scheduled to happen to a call at a virtual time.
#[derive(Debug, Clone)]
enum Due {
    /// The call reaches the center: its IVR session starts.
    Arrive(usize),
    /// The caller's next input reaches the IVR session.
    Session(usize, Event),
    /// The agent picks up the offered call.
    Accept(usize, String),
    /// The agent hangs up after talking.
    AgentHangsUp(usize),
}

struct Call {
    /// Starts when the call arrives.
    session: Option<Session>,
    caller: String,
    start_wall: Timestamp,
    record: ContactRecord,
    contact: ContactId,
    /// Menu key this caller wants (1 pre-sales, 2 after-sales, 3 support).
    choice: char,
    agent: Option<String>,
}

fn main() -> Result<(), BoxError> {
    let calls: usize = std::env::args().nth(1).map_or(Ok(12), |n| n.parse())?;
    let program = Program::compile(include_str!("flows/it_hotline.flow"), &Environment::default())
        .map_err(|e| e.to_string())?;
    let office = Calendar::new(&CalendarConfig {
        time_zone: "Asia/Shanghai".into(),
        hours: ["mon", "tue", "wed", "thu", "fri"]
            .into_iter()
            .map(|d| (d.to_owned(), vec!["09:00-18:00".to_owned()]))
            .collect(),
        ..CalendarConfig::default()
    })?;
    let resources = Arc::new(Resources {
        lists: HashMap::from([(
            "blacklist".to_owned(),
            HashSet::from(["+8613900000000".to_owned()]),
        )]),
        calendars: HashMap::from([("office".to_owned(), office)]),
    });

    // The ACD: the hotline's four queues, five agents with languages and skills.
    let tenant: ccsdk::core::TenantId = "acme".parse()?;
    let mut router = Router::new(RouterConfig::default());
    for queue in ["presales", "aftersales", "support", "vip"] {
        router.add_queue(QueueConfig::new(queue.parse()?, tenant.clone()))?;
    }
    let t0 = Instant::now();
    for (id, tech) in [("1001", 8), ("1002", 3), ("1003", 6), ("1004", 2), ("1005", 9)] {
        let skills = vec![
            ("lang:zh-CN".parse()?, SkillLevel::new(9)?),
            ("lang:en".parse()?, SkillLevel::new(6)?),
            ("tech".parse()?, SkillLevel::new(tech)?),
        ];
        router.add_agent(AgentProfile::new(id.parse()?).serving(tenant.clone(), skills))?;
        router.login(&id.parse()?, true, t0)?;
    }

    // Monday 23 November 2026, 10:00 in Beijing: the center is open.
    let wall0: Timestamp = "2026-11-23T02:00:00Z".parse()?;
    let mut now = t0;
    let mut due: BTreeMap<(Instant, u64), Due> = BTreeMap::new();
    let mut seq = 0u64;
    let mut schedule = |due: &mut BTreeMap<(Instant, u64), Due>, at: Instant, what: Due| {
        seq += 1;
        due.insert((at, seq), what);
    };
    let mut active: Vec<Call> = Vec::new();
    let mut by_contact: HashMap<ContactId, usize> = HashMap::new();

    for i in 0..calls {
        let start = t0 + Duration::from_secs(20 * i as u64);
        let caller = format!("+86138{:08}", 10_000 + i);
        let contact: ContactId = format!("c-{i:04}").parse()?;
        let wall = wall0.checked_add(SignedDuration::from_secs(20 * i as i64))?;
        let mut record = ContactRecord::open(
            &Contact::new(
                contact.clone(),
                tenant.clone(),
                Channel::Voice,
                Direction::Inbound,
            ),
            wall,
        );
        record.ivr_started_at = Some(wall);
        by_contact.insert(contact.clone(), i);
        schedule(&mut due, start, Due::Arrive(i));
        active.push(Call {
            session: None,
            caller,
            start_wall: wall,
            record,
            contact,
            choice: ['1', '3', '1', '3', '1'][i % 5],
            agent: None,
        });
    }

    // Drive everything until no call has anything left to do.
    let mut steps = 0;
    loop {
        steps += 1;
        if steps > 1_000_000 {
            return Err("the virtual center did not settle".into());
        }
        // Drain what the sessions asked for.
        for i in 0..active.len() {
            while let Some(action) = active[i].session.as_mut().and_then(Session::poll_action) {
                let wall = wall_at(wall0, t0, now)?;
                handle_action(
                    i,
                    action,
                    now,
                    wall,
                    &mut active,
                    &mut router,
                    &mut due,
                    &mut schedule,
                )?;
            }
        }
        // Drain what the router decided.
        while let Some(command) = router.poll_command() {
            if let Command::Offer { contact, agent, .. } = command
                && let Some(&i) = by_contact.get(&contact)
            {
                // Agents pick up after 4 seconds.
                schedule(
                    &mut due,
                    now + Duration::from_secs(4),
                    Due::Accept(i, agent.to_string()),
                );
            }
        }
        // The next thing to happen: a scheduled input, a session timer or a router timer.
        let next_due = due.keys().next().map(|(at, _)| *at);
        let next_session = active
            .iter()
            .filter_map(|c| c.session.as_ref().and_then(Session::poll_timeout))
            .min();
        let next_router = router.poll_timeout();
        let Some(next) = [next_due, next_session, next_router].into_iter().flatten().min() else {
            break;
        };
        now = now.max(next);
        router.handle_timeout(now);
        for session in active.iter_mut().filter_map(|c| c.session.as_mut()) {
            session.handle_timeout(now);
        }
        while let Some(entry) = due.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let what = entry.remove();
            match what {
                Due::Arrive(i) => {
                    let call = &mut active[i];
                    call.session = Some(Session::new(
                        Arc::clone(&program),
                        SessionContext {
                            caller: call.caller.clone(),
                            called: "+864001234567".into(),
                            language: "zh-CN".into(),
                            start: now,
                            start_wall: call.start_wall,
                            resources: Arc::clone(&resources),
                        },
                    ));
                }
                Due::Session(i, event) => {
                    if let Some(session) = &mut active[i].session {
                        session.handle_event(now, event);
                    }
                }
                Due::Accept(i, agent) => {
                    let call = &mut active[i];
                    // The caller may have left the queue while the agent's phone rang.
                    if router.accept(&call.contact, &agent.parse()?, now).is_err() {
                        continue;
                    }
                    call.record.answered_at = Some(wall_at(wall0, t0, now)?);
                    call.record.agent = Some(agent.parse()?);
                    call.agent = Some(agent);
                    if let Some(session) = &mut call.session {
                        session.handle_event(now, Event::Queue(QueueEvent::Answered));
                    }
                    // A conversation of 1 to 3 minutes.
                    let talk = Duration::from_secs(60 + 30 * (i as u64 % 5));
                    schedule(&mut due, now + talk, Due::AgentHangsUp(i));
                }
                Due::AgentHangsUp(i) => {
                    let call = &mut active[i];
                    router.complete(&call.contact, now)?;
                    if let Some(session) = &mut call.session {
                        session.handle_event(now, Event::Queue(QueueEvent::AgentDone));
                    }
                }
            }
        }
    }

    // Report.
    let mut answered = 0;
    let mut waits = Vec::new();
    for call in &active {
        let r = &call.record;
        if matches!(r.disposition, Some(Disposition::Answered)) {
            answered += 1;
        }
        if let Some(w) = r.wait_ms() {
            waits.push(w);
        }
        println!(
            "{}  queue {:<10} agent {:<5} wait {:>5.1}s  talk {:>5.1}s  tier {:<8} survey {}/{}  {}",
            r.contact,
            r.queue.as_ref().map_or("-", |q| q.as_str()),
            call.agent.as_deref().unwrap_or("-"),
            r.wait_ms().unwrap_or(0) as f64 / 1000.0,
            r.talk_ms().unwrap_or(0) as f64 / 1000.0,
            r.ivr_values.get("tier").map_or("-".to_owned(), Value::to_string),
            r.ivr_values
                .get("satisfaction")
                .map_or("-".to_owned(), Value::to_string),
            r.ivr_values
                .get("resolved")
                .map_or("-".to_owned(), Value::to_string),
            r.disposition.as_ref().map_or("in progress", disposition_name),
        );
    }
    let asa = waits.iter().sum::<u64>() as f64 / waits.len().max(1) as f64 / 1000.0;
    println!(
        "{answered} of {} calls answered, average speed of answer {asa:.1} s",
        active.len()
    );
    Ok(())
}

fn disposition_name(d: &Disposition) -> &'static str {
    match d {
        Disposition::Answered => "answered",
        Disposition::Abandoned { .. } => "abandoned",
        Disposition::Overflowed { .. } => "overflowed to the partner",
        Disposition::SelfService => "self-service",
        _ => "other",
    }
}

fn wall_at(wall0: Timestamp, t0: Instant, now: Instant) -> Result<Timestamp, BoxError> {
    let elapsed = SignedDuration::try_from(now - t0)?;
    Ok(wall0.checked_add(elapsed)?)
}

/// Carries out one IVR action: the caller's side is scripted, queueing goes to the router.
#[allow(clippy::too_many_arguments)]
fn handle_action(
    i: usize,
    action: Action,
    now: Instant,
    wall: Timestamp,
    active: &mut [Call],
    router: &mut Router,
    due: &mut BTreeMap<(Instant, u64), Due>,
    schedule: &mut impl FnMut(&mut BTreeMap<(Instant, u64), Due>, Instant, Due),
) -> Result<(), BoxError> {
    let call = &mut active[i];
    let key = |c: char| DtmfDigit::from_char(c).map(Event::Digit);
    match action {
        Action::Play { items, .. } => {
            // Prompts take 2 s each; the caller answers menus and the survey as they hear them.
            let first = items.first().map(|p| format!("{p:?}")).unwrap_or_default();
            let at = now + Duration::from_secs(2 * items.len() as u64);
            schedule(due, at, Due::Session(i, Event::PlayDone));
            let press = if first.contains("choose_language") {
                Some('1')
            } else if first.contains("main_menu") {
                Some(call.choice)
            } else if first.contains("survey_satisfaction") {
                Some(['5', '4', '3'][i % 3])
            } else if first.contains("survey_resolved") {
                Some('1')
            } else {
                None
            };
            if let Some(c) = press {
                schedule(due, now + Duration::from_millis(1_500), Due::Session(i, key(c)?));
            }
        }
        Action::Hook { id, .. } => {
            // The CRM answers in 300 ms; every fourth caller is a VIP.
            let tier = if i.is_multiple_of(4) { "vip" } else { "standard" };
            let reply = Event::HookResult {
                id,
                result: Ok(tier.to_owned()),
            };
            schedule(due, now + Duration::from_millis(300), Due::Session(i, reply));
        }
        Action::SetAttribute { name, value } => {
            call.record.ivr_values.insert(name, value);
        }
        Action::Enqueue {
            queue,
            priority,
            skills,
            attributes,
            language,
            ..
        } => {
            let mut contact = Contact::new(
                call.contact.clone(),
                call.record.tenant.clone(),
                Channel::Voice,
                Direction::Inbound,
            )
            .with_language(Language::new(&language)?)
            .with_priority(Priority(priority));
            for (skill, level) in skills {
                contact = contact.with_skill(skill.parse()?, SkillLevel::new(level)?);
            }
            for (name, value) in attributes {
                contact = contact.with_attribute(name, value);
            }
            let queue = queue.parse()?;
            router.enqueue(contact, &queue, now)?;
            call.record.ivr_ended_at.get_or_insert(wall);
            call.record.enqueued_at = Some(wall);
            call.record.queue = Some(queue);
        }
        Action::LeaveQueue => {
            let _ = router.abandon(&call.contact, now);
        }
        Action::Transfer { .. } => {
            schedule(due, now, Due::Session(i, Event::TransferResult(true)));
            let partner = Address::parse("sip:overflow@partner.example")?;
            call.record.close(
                wall,
                Disposition::Overflowed {
                    to: Destination::External {
                        address: Pii::new(partner),
                    },
                },
            );
        }
        Action::Callback { .. } => schedule(due, now, Due::Session(i, Event::CallbackResult(true))),
        Action::Voicemail { .. } => schedule(due, now, Due::Session(i, Event::VoicemailResult(true))),
        Action::Hangup => {
            if call.record.disposition.is_none() {
                let disposition = if call.record.answered_at.is_some() {
                    Disposition::Answered
                } else {
                    Disposition::SelfService
                };
                call.record.close(wall, disposition);
            }
        }
        Action::Failed { reason } => return Err(format!("call {i}: the flow failed: {reason}").into()),
        Action::StopPlay | Action::SetLanguage { .. } | Action::Record { .. } => {}
    }
    Ok(())
}
