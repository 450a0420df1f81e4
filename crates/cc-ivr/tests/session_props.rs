//! Properties of the interpreter on the IT hotline: no event sequence makes it panic, a
//! hung-up session stays over, and a caller who never presses a key is led to the end of
//! the flow in a bounded number of steps, whatever the host answers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cc_core::DtmfDigit;
use cc_ivr::{Action, Environment, Event, Program, QueueEvent, Resources, Session, SessionContext};
use proptest::prelude::*;

const HOTLINE: &str = include_str!("../../../examples/flows/it_hotline.flow");

fn session(program: &Arc<Program>, wall_hour: u32, blacklisted: bool) -> (Session, Instant) {
    let office = cc_ivr::Calendar::new(&cc_ivr::CalendarConfig {
        time_zone: "Asia/Shanghai".into(),
        hours: [("mon".to_owned(), vec!["09:00-18:00".to_owned()])].into(),
        holidays: vec!["2026-10-01..2026-10-07".into()],
        ..cc_ivr::CalendarConfig::default()
    })
    .expect("calendar");
    let caller = "+8613800138000";
    let resources = Arc::new(Resources {
        lists: HashMap::from([(
            "blacklist".to_owned(),
            if blacklisted {
                HashSet::from([caller.to_owned()])
            } else {
                HashSet::new()
            },
        )]),
        calendars: HashMap::from([("office".to_owned(), office)]),
    });
    let start = Instant::now();
    let wall = format!("2026-11-23T{wall_hour:02}:30:00+08:00[Asia/Shanghai]")
        .parse::<jiff::Zoned>()
        .expect("time")
        .timestamp();
    let s = Session::new(
        Arc::clone(program),
        SessionContext {
            caller: caller.into(),
            called: "+864001234567".into(),
            language: "zh-CN".into(),
            start,
            start_wall: wall,
            resources,
        },
    );
    (s, start)
}

#[derive(Debug, Clone)]
enum Step {
    Key(char),
    PlayDone,
    Hook(bool),
    Queue(u8),
    Transfer(bool),
    Callback(bool),
    Voicemail(bool),
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => proptest::sample::select(&['0', '1', '2', '3', '4', '5', '7', '9', '#', '*'][..]).prop_map(Step::Key),
        4 => Just(Step::PlayDone),
        1 => any::<bool>().prop_map(Step::Hook),
        1 => (0u8..3).prop_map(Step::Queue),
        1 => any::<bool>().prop_map(Step::Transfer),
        1 => any::<bool>().prop_map(Step::Callback),
        1 => any::<bool>().prop_map(Step::Voicemail),
        2 => (0u64..70_000).prop_map(Step::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_event_sequence_is_handled_and_hangup_ends_it(
        steps in proptest::collection::vec(step(), 0..80),
        hour in 0u32..24,
        blacklisted in any::<bool>(),
    ) {
        let program = Program::compile(HOTLINE, &Environment::default()).expect("compiles");
        let (mut s, mut now) = session(&program, hour, blacklisted);
        let mut last_hook = 0;
        for step in steps {
            while let Some(action) = s.poll_action() {
                if let Action::Hook { id, .. } = action {
                    last_hook = id;
                }
            }
            let event = match step {
                Step::Key(c) => Event::Digit(DtmfDigit::from_char(c).expect("key")),
                Step::PlayDone => Event::PlayDone,
                Step::Hook(ok) => Event::HookResult {
                    id: last_hook,
                    result: if ok { Ok("vip".into()) } else { Err("down".into()) },
                },
                Step::Queue(0) => Event::Queue(QueueEvent::Answered),
                Step::Queue(1) => Event::Queue(QueueEvent::AgentDone),
                Step::Queue(_) => Event::Queue(QueueEvent::GaveBack { reason: "overflow".into() }),
                Step::Transfer(ok) => Event::TransferResult(ok),
                Step::Callback(ok) => Event::CallbackResult(ok),
                Step::Voicemail(ok) => Event::VoicemailResult(ok),
                Step::Wait(ms) => {
                    now += Duration::from_millis(ms);
                    s.handle_timeout(now);
                    continue;
                }
            };
            s.handle_event(now, event);
            if let Some(deadline) = s.poll_timeout() {
                prop_assert!(deadline >= now, "timers are never in the past");
            }
        }
        s.handle_event(now, Event::Hangup);
        prop_assert!(s.is_finished());
        prop_assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn a_silent_caller_reaches_the_end(
        hour in 0u32..24,
        hook_ok in any::<bool>(),
        outcomes in proptest::collection::vec(any::<bool>(), 8),
    ) {
        let program = Program::compile(HOTLINE, &Environment::default()).expect("compiles");
        let (mut s, mut now) = session(&program, hour, false);
        let mut rounds = 0;
        while !s.is_finished() {
            rounds += 1;
            prop_assert!(rounds < 200, "the flow should end for a silent caller");
            let pick = |i: usize| outcomes[i % outcomes.len()];
            let mut answered = false;
            while let Some(action) = s.poll_action() {
                let reply = match action {
                    Action::Play { .. } => Some(Event::PlayDone),
                    Action::Hook { id, .. } => Some(Event::HookResult {
                        id,
                        result: if hook_ok { Ok("standard".into()) } else { Err("down".into()) },
                    }),
                    Action::Enqueue { .. } => Some(if pick(rounds) {
                        answered = true;
                        Event::Queue(QueueEvent::Answered)
                    } else {
                        Event::Queue(QueueEvent::GaveBack { reason: "timeout".into() })
                    }),
                    Action::Transfer { .. } => Some(Event::TransferResult(pick(rounds + 1))),
                    Action::Callback { .. } => Some(Event::CallbackResult(pick(rounds + 2))),
                    Action::Voicemail { .. } => Some(Event::VoicemailResult(pick(rounds + 3))),
                    _ => None,
                };
                if let Some(event) = reply {
                    s.handle_event(now, event);
                }
            }
            if answered {
                s.handle_event(now, Event::Queue(QueueEvent::AgentDone));
            } else if let Some(deadline) = s.poll_timeout() {
                now = deadline;
                s.handle_timeout(now);
            } else {
                // Every action was answered above, so a live session must have a timer.
                prop_assert!(s.is_finished(), "stuck: nothing to do, no timer, not finished");
            }
        }
    }
}
