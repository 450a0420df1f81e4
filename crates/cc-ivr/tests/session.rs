//! The interpreter on the IT hotline and on small flows, driven on virtual time: what a
//! caller hears and what the center is asked to do, step by step.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cc_core::{DtmfDigit, Value};
use cc_ivr::{
    Action, Calendar, CalendarConfig, Environment, Event, Op, PlayPiece, Program, QueueEvent, Resources,
    Session, SessionContext, TransferTo,
};

const HOTLINE: &str = include_str!("../../../examples/flows/it_hotline.flow");

fn resources() -> Arc<Resources> {
    let office = Calendar::new(&CalendarConfig {
        time_zone: "Asia/Shanghai".into(),
        hours: ["mon", "tue", "wed", "thu", "fri"]
            .into_iter()
            .map(|d| (d.to_owned(), vec!["09:00-18:00".to_owned()]))
            .collect(),
        holidays: vec!["2026-10-01..2026-10-07".into()],
        ..CalendarConfig::default()
    })
    .expect("calendar");
    Arc::new(Resources {
        lists: HashMap::from([
            (
                "blacklist".to_owned(),
                HashSet::from(["+8613900000000".to_owned()]),
            ),
            ("vip".to_owned(), HashSet::new()),
        ]),
        calendars: HashMap::from([("office".to_owned(), office)]),
    })
}

fn hotline() -> Arc<Program> {
    Program::compile(HOTLINE, &Environment::default()).expect("the hotline compiles")
}

/// A caller on a flow, on virtual time.
struct Call {
    session: Session,
    now: Instant,
}

impl Call {
    fn new(program: Arc<Program>, caller: &str, wall: &str) -> Self {
        let now = Instant::now();
        let session = Session::new(
            program,
            SessionContext {
                caller: caller.into(),
                called: "+864001234567".into(),
                language: "zh-CN".into(),
                start: now,
                start_wall: format!("{wall}[Asia/Shanghai]")
                    .parse::<jiff::Zoned>()
                    .expect("wall time")
                    .timestamp(),
                resources: resources(),
            },
        );
        Self { session, now }
    }

    fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.session.poll_action()).collect()
    }

    /// The next action, which must exist.
    fn next(&mut self) -> Action {
        self.session.poll_action().expect("an action")
    }

    fn expect_prompts(&mut self, prompts: &[&str]) {
        match self.next() {
            Action::Play { items, .. } => {
                let got: Vec<String> = items
                    .into_iter()
                    .map(|i| match i {
                        PlayPiece::Prompt(p) => p,
                        other => format!("{other:?}"),
                    })
                    .collect();
                assert_eq!(got, prompts);
            }
            other => panic!("expected Play {prompts:?}, got {other:?}"),
        }
    }

    fn send(&mut self, event: Event) {
        self.session.handle_event(self.now, event);
    }

    fn key(&mut self, c: char) {
        self.send(Event::Digit(DtmfDigit::from_char(c).expect("key")));
    }

    fn played(&mut self) {
        self.send(Event::PlayDone);
    }

    /// Moves time to the session's next deadline and fires it.
    fn wait_timeout(&mut self) {
        let deadline = self.session.poll_timeout().expect("a pending timer");
        assert!(deadline >= self.now);
        self.now = deadline;
        self.session.handle_timeout(self.now);
    }

    fn advance(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
        self.session.handle_timeout(self.now);
    }
}

/// A weekday in office hours, not a holiday: Monday 23 November 2026, 10:00 Beijing.
const OPEN: &str = "2026-11-23T10:00:00";

/// Through the language menu (key 1 = 中文) into the open-hours CRM lookup.
fn to_crm_lookup(call: &mut Call) -> u32 {
    call.expect_prompts(&["choose_language"]);
    call.key('1');
    assert_eq!(call.next(), Action::StopPlay);
    assert_eq!(
        call.next(),
        Action::SetLanguage {
            language: "zh-CN".into()
        }
    );
    match call.next() {
        Action::Hook {
            id,
            hook,
            args,
            timeout_ms,
        } => {
            assert_eq!(hook, "crm_tier");
            assert_eq!(args, vec![Value::Text("+8613800138000".into())]);
            assert_eq!(timeout_ms, 2_000);
            id
        }
        other => panic!("expected the CRM lookup, got {other:?}"),
    }
}

/// Through the CRM lookup (answered with `answer`) and the welcome prompt, to the start of
/// the main menu's prompt.
fn to_main_menu(call: &mut Call, answer: Result<&str, &str>) {
    let id = to_crm_lookup(call);
    call.send(Event::HookResult {
        id,
        result: answer.map(str::to_owned).map_err(str::to_owned),
    });
    let _ = call.actions();
    call.played();
}

#[test]
fn blacklisted_callers_hear_one_prompt_and_are_hung_up() {
    let mut call = Call::new(hotline(), "+8613900000000", OPEN);
    call.expect_prompts(&["blocked"]);
    call.played();
    assert_eq!(call.actions(), vec![Action::Hangup]);
    assert!(call.session.is_finished());
}

#[test]
fn a_vip_is_queued_first_talks_to_an_agent_and_answers_the_survey() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    let id = to_crm_lookup(&mut call);
    call.send(Event::HookResult {
        id,
        result: Ok("vip".into()),
    });
    assert_eq!(
        call.next(),
        Action::SetAttribute {
            name: "tier".into(),
            value: Value::Text("vip".into())
        }
    );
    call.expect_prompts(&["welcome"]);
    // The caller knows the menu and presses 1 during the welcome: it barges in and is
    // kept for the menu.
    call.key('1');
    assert_eq!(call.next(), Action::StopPlay);
    match call.next() {
        Action::Enqueue {
            queue,
            priority,
            skills,
            attributes,
            language,
            ..
        } => {
            assert_eq!(queue, "vip");
            assert_eq!(priority, 9);
            assert_eq!(skills, vec![("lang:zh-CN".to_owned(), 1)]);
            assert_eq!(attributes, vec![("tier".to_owned(), Value::Text("vip".into()))]);
            assert_eq!(language, "zh-CN");
        }
        other => panic!("expected Enqueue, got {other:?}"),
    }
    assert!(call.session.poll_timeout().is_some(), "60 s queue limit armed");
    call.send(Event::Queue(QueueEvent::Answered));
    assert_eq!(call.session.poll_timeout(), None, "no limit while talking");
    call.advance(600_000);
    assert!(call.actions().is_empty());
    call.send(Event::Queue(QueueEvent::AgentDone));
    call.expect_prompts(&["survey_satisfaction"]);
    call.key('4');
    assert_eq!(call.next(), Action::StopPlay);
    call.expect_prompts(&["survey_resolved"]);
    call.played();
    call.key('1');
    assert_eq!(
        call.actions()[..3],
        [
            Action::SetAttribute {
                name: "satisfaction".into(),
                value: Value::Number(4)
            },
            Action::SetAttribute {
                name: "resolved".into(),
                value: Value::Number(1)
            },
            Action::Play {
                items: vec![PlayPiece::Prompt("thanks_goodbye".into())],
                language: "zh-CN".into(),
                barge: false
            },
        ]
    );
    call.played();
    assert_eq!(call.actions(), vec![Action::Hangup]);
    assert!(call.session.is_finished());
}

#[test]
fn a_slow_crm_falls_back_to_standard_and_a_late_answer_is_ignored() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    let id = to_crm_lookup(&mut call);
    call.wait_timeout();
    assert_eq!(
        call.next(),
        Action::SetAttribute {
            name: "tier".into(),
            value: Value::Text("standard".into())
        }
    );
    call.send(Event::HookResult {
        id,
        result: Ok("vip".into()),
    });
    assert_eq!(call.session.var("tier"), Some(&Value::Text("standard".into())));
    call.expect_prompts(&["welcome"]);
}

#[test]
fn the_queue_hands_over_to_the_partner_after_60_seconds() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    to_main_menu(&mut call, Err("crm down"));
    call.expect_prompts(&["main_menu"]);
    call.key('3');
    assert_eq!(call.next(), Action::StopPlay);
    assert!(matches!(call.next(), Action::Enqueue { ref queue, .. } if queue == "support"));
    call.advance(59_999);
    assert!(call.actions().is_empty());
    call.advance(1);
    assert_eq!(call.next(), Action::LeaveQueue);
    assert_eq!(
        call.next(),
        Action::Transfer {
            to: TransferTo::External("partner".into())
        }
    );
    call.send(Event::TransferResult(true));
    assert!(call.session.is_finished());
}

#[test]
fn key_1_in_the_queue_books_a_callback() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    to_main_menu(&mut call, Ok("standard"));
    call.expect_prompts(&["main_menu"]);
    call.played();
    call.key('1');
    assert!(matches!(call.next(), Action::Enqueue { ref queue, .. } if queue == "presales"));
    call.key('9');
    assert!(call.actions().is_empty(), "9 is not a queue key");
    call.key('1');
    assert_eq!(call.next(), Action::LeaveQueue);
    assert_eq!(
        call.next(),
        Action::Callback {
            queue: "presales".into(),
            ask: None
        }
    );
    call.send(Event::CallbackResult(true));
    call.expect_prompts(&["callback_registered", "goodbye"]);
    call.played();
    // Back in main after the menu: hang up.
    assert_eq!(call.actions(), vec![Action::Hangup]);
}

#[test]
fn menu_retries_then_gives_up() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    to_main_menu(&mut call, Ok("standard"));
    // Attempt 1: wrong key → invalid handler → attempt 2: silence → timeout handler →
    // attempt 3: wrong key → attempt 4: silence → out of retries (3) → operator_busy.
    call.expect_prompts(&["main_menu"]);
    call.played();
    call.key('7');
    call.expect_prompts(&["invalid_choice"]);
    call.played();
    call.expect_prompts(&["main_menu"]);
    call.played();
    call.wait_timeout();
    call.expect_prompts(&["no_input"]);
    call.played();
    call.expect_prompts(&["main_menu"]);
    call.played();
    call.key('8');
    call.expect_prompts(&["invalid_choice"]);
    call.played();
    call.expect_prompts(&["main_menu"]);
    call.played();
    call.wait_timeout();
    call.expect_prompts(&["all_busy_goodbye"]);
    call.played();
    assert_eq!(call.actions(), vec![Action::Hangup]);
}

#[test]
fn after_sales_collects_an_order_number_with_validation() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    to_main_menu(&mut call, Ok("standard"));
    call.expect_prompts(&["main_menu"]);
    call.key('2');
    assert_eq!(call.next(), Action::StopPlay);
    call.expect_prompts(&["enter_order_number"]);
    // Attempt 1: a leading zero fails the pattern [1-9]?*, and the prompt plays again.
    for c in "01234567#".chars() {
        call.key(c);
    }
    assert_eq!(call.next(), Action::StopPlay);
    call.expect_prompts(&["enter_order_number"]);
    // Attempt 2: three digits, then too slow: fewer than 8 digits.
    call.key('1');
    call.key('2');
    call.key('3');
    assert_eq!(call.next(), Action::StopPlay);
    call.wait_timeout();
    call.expect_prompts(&["enter_order_number"]);
    // Attempt 3 (retries 2): silence after the prompt. Out of attempts.
    call.played();
    call.wait_timeout();
    call.expect_prompts(&["order_not_recognised"]);
    call.played();
    call.expect_prompts(&["main_menu"]);
    call.key('2');
    let _ = call.actions();
    // 12 digits end the input without a terminator.
    for c in "123456789012".chars() {
        call.key(c);
    }
    assert_eq!(
        call.session.var("account"),
        Some(&Value::Text("123456789012".into()))
    );
    let actions = call.actions();
    assert!(actions.contains(&Action::SetAttribute {
        name: "order".into(),
        value: Value::Text("123456789012".into())
    }));
    assert!(matches!(actions.last(), Some(Action::Enqueue { queue, .. }) if queue == "aftersales"));
}

#[test]
fn holidays_and_after_hours_go_to_voicemail() {
    // National Day: the holiday greeting, then voicemail.
    let mut call = Call::new(hotline(), "+8613800138000", "2026-10-02T10:00:00");
    call.expect_prompts(&["choose_language"]);
    call.key('2');
    assert_eq!(call.next(), Action::StopPlay);
    assert_eq!(
        call.next(),
        Action::SetLanguage {
            language: "en".into()
        }
    );
    call.expect_prompts(&["holiday_greeting"]);
    call.played();
    match call.next() {
        Action::Voicemail {
            mailbox,
            greeting,
            max_ms,
            beep,
        } => {
            assert_eq!(mailbox, "after_hours");
            assert_eq!(greeting.as_deref(), Some("closed_leave_message"));
            assert_eq!((max_ms, beep), (120_000, true));
        }
        other => panic!("expected Voicemail, got {other:?}"),
    }
    call.send(Event::VoicemailResult(true));
    call.expect_prompts(&["message_saved", "goodbye"]);
    call.played();
    assert_eq!(call.actions(), vec![Action::Hangup]);

    // Monday 20:00: closed, not a holiday; the language menu times out twice → 中文.
    let mut call = Call::new(hotline(), "+8613800138000", "2026-11-23T20:00:00");
    call.expect_prompts(&["choose_language"]);
    call.played();
    call.wait_timeout();
    call.expect_prompts(&["no_input"]);
    call.played();
    call.expect_prompts(&["choose_language"]);
    call.played();
    call.wait_timeout();
    call.expect_prompts(&["no_input"]);
    call.played();
    call.expect_prompts(&["choose_language"]);
    call.played();
    call.wait_timeout();
    assert_eq!(
        call.next(),
        Action::SetLanguage {
            language: "zh-CN".into()
        }
    );
    assert!(matches!(call.next(), Action::Voicemail { .. }));
    call.send(Event::VoicemailResult(false));
    call.expect_prompts(&["goodbye"]);
    call.played();
    assert_eq!(call.actions(), vec![Action::Hangup]);
}

#[test]
fn a_caller_hanging_up_ends_the_session_at_any_step() {
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    let _ = to_crm_lookup(&mut call);
    call.send(Event::Hangup);
    assert!(call.session.is_finished());
    assert_eq!(call.session.poll_timeout(), None);
    call.key('1');
    assert!(call.actions().is_empty());
}

#[test]
fn runaway_code_is_stopped_by_the_step_guard() {
    let mut program = (*Program::compile("flow f\nmain {\n  hangup\n}\n", &Environment::default())
        .expect("compiles"))
    .clone();
    program.bodies[0].ops = vec![Op::Jump(1), Op::Jump(0)];
    let mut call = Call::new(Arc::new(program), "+8613800138000", OPEN);
    match call.next() {
        Action::Failed { reason } => assert!(reason.contains("10000 steps"), "{reason}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(call.next(), Action::Hangup);
    assert!(call.session.is_finished());
}

#[test]
fn versions_follow_content_and_programs_serialize() {
    let a = hotline();
    let b = hotline();
    assert_eq!(a.version, b.version);
    assert_eq!(a.version.len(), 16);
    let changed = Program::compile(
        &HOTLINE.replace("timeout 60s", "timeout 90s"),
        &Environment::default(),
    )
    .expect("compiles");
    assert_ne!(a.version, changed.version);
    let json = serde_json::to_string(&*a).expect("serializes");
    let back: Program = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, *a);
    // A session keeps the program it started with.
    let call = Call::new(Arc::clone(&a), "+8613800138000", OPEN);
    assert_eq!(call.session.version(), a.version);
}

#[test]
fn flows_with_errors_do_not_compile() {
    let env = Environment {
        queues: Some(BTreeSet::from(["sales".to_owned()])),
        ..Environment::default()
    };
    let err = Program::compile("flow f\nmain {\n  enqueue \"salse\" else hangup\n}\n", &env).unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert!(err.to_string().contains("unknown queue \"salse\""), "{err}");
}

#[test]
fn a_live_session_is_small() {
    assert!(
        std::mem::size_of::<Session>() <= 512,
        "{}",
        std::mem::size_of::<Session>()
    );
    // A caller waiting in the VIP queue, deep in a sub-flow: under 2 KB.
    let mut call = Call::new(hotline(), "+8613800138000", OPEN);
    let id = to_crm_lookup(&mut call);
    call.send(Event::HookResult {
        id,
        result: Ok("vip".into()),
    });
    let _ = call.actions();
    call.key('1');
    let actions = call.actions();
    assert!(
        matches!(actions.last(), Some(Action::Enqueue { .. })),
        "{actions:?}"
    );
    let bytes = call.session.approx_bytes();
    assert!(bytes <= 2_048, "{bytes} bytes");
    println!("a caller in the VIP queue holds {bytes} bytes");
}

#[test]
fn a_host_timer_event_fires_like_handle_timeout() {
    let mut call = Call::new(hotline(), "+8613800138000", "2026-11-23T20:00:00");
    call.expect_prompts(&["choose_language"]);
    call.played();
    let deadline = call.session.poll_timeout().expect("menu timer");
    call.send(Event::Timeout);
    assert!(call.actions().is_empty(), "early: nothing happens");
    call.now = deadline;
    call.send(Event::Timeout);
    call.expect_prompts(&["no_input"]);
}
