//! Benchmarks of the IVR flow language: parsing and checking, and the interpreter.
//!
//! Workloads are in the names: `parse_check/1000_steps` parses and checks a generated flow
//! of 1,000 statements (menus, collects, lookups, queues, conditions and jumps);
//! `interpret/1000_steps` runs 1,000 arithmetic steps and a condition between two waits
//! (divide by the time for steps per second); `session_events/hotline_vip_call` drives a
//! whole VIP call of the IT hotline (23 events, from language menu to survey).

use std::fmt::Write as _;
use std::hint::black_box;

use std::sync::Arc;
use std::time::Instant;

use ccsdk::core::{DtmfDigit, Timestamp};
use ccsdk::ivr::{Environment, Event, Program, QueueEvent, Resources, Session, SessionContext, check, parse};
use criterion::{Criterion, criterion_group, criterion_main};

/// A flow of `steps` statements in blocks of ten, each block a realistic mix.
fn generated_flow(steps: usize) -> String {
    let mut body = String::new();
    for i in 0..steps / 10 {
        let _ = write!(
            body,
            "step{i}:\n    play \"welcome\" barge\n    menu prompt \"main_menu\" timeout 5s retries 2 {{\n        1 -> goto step{next}\n        2 -> set n = n + 1\n    }} else goto done\n    collect acct prompt \"enter\" min 4 max 8 retries 1 pattern \"[1-9]?*\" else goto done\n    lookup \"crm\" with caller into tier timeout 2s else {{ set tier = \"standard\" }}\n    if tier == \"vip\" and n > 3 {{\n        store \"tier\" = tier\n    }}\n    enqueue \"sales\" priority 5 timeout 60s else goto done\n    survey {{\n        question \"q\" scale 1 to 5 into n\n    }}\n",
            next = (i + 1) % (steps / 10)
        );
    }
    format!(
        "flow generated\nvar n: number = 0\nvar acct: string = \"\"\nvar tier: string = \"\"\nmain {{\n{body}done:\n    hangup\n}}\n"
    )
}

fn front_end(c: &mut Criterion) {
    let source = generated_flow(1_000);
    let env = Environment::unchecked();
    assert!(parse(&source).diagnostics.is_empty(), "the generated flow parses");
    c.bench_function("parse/1000_steps", |b| b.iter(|| parse(black_box(&source))));
    c.bench_function("parse_check/1000_steps", |b| {
        b.iter(|| {
            let parsed = parse(black_box(&source));
            parsed.flow.map(|flow| check(&flow, &env))
        });
    });
    let hotline = include_str!("../examples/flows/it_hotline.flow");
    c.bench_function("parse_check/it_hotline_110_lines", |b| {
        b.iter(|| parse(black_box(hotline)).flow.map(|flow| check(&flow, &env)));
    });
}

fn context(resources: &Arc<Resources>) -> SessionContext {
    SessionContext {
        caller: "+8613800138000".into(),
        called: "+864001234567".into(),
        language: "zh-CN".into(),
        start: Instant::now(),
        start_wall: Timestamp::from_second(1_795_400_000).unwrap_or(Timestamp::UNIX_EPOCH),
        resources: Arc::clone(resources),
    }
}

fn interpreter(c: &mut Criterion) {
    let mut source = String::from("flow steps\nvar n: number = 0\nmain {\n");
    for _ in 0..999 {
        source.push_str("    set n = n + 1\n");
    }
    source.push_str("    if n > 5 {\n        play \"done\"\n    }\n    hangup\n}\n");
    let program = Program::compile(&source, &Environment::default()).expect("compiles");
    let resources = Arc::new(Resources::default());
    c.bench_function("interpret/1000_steps", |b| {
        b.iter(|| Session::new(Arc::clone(&program), context(&resources)));
    });

    let hotline = Program::compile(
        include_str!("../examples/flows/it_hotline.flow"),
        &Environment::default(),
    )
    .expect("compiles");
    let mut lists = std::collections::HashMap::new();
    lists.insert("blacklist".to_owned(), std::collections::HashSet::new());
    let office = ccsdk::ivr::Calendar::new(&ccsdk::ivr::CalendarConfig {
        time_zone: "Asia/Shanghai".into(),
        hours: [
            ("mon".to_owned(), vec!["00:00-24:00".to_owned()]),
            ("tue".to_owned(), vec!["00:00-24:00".to_owned()]),
        ]
        .into(),
        ..ccsdk::ivr::CalendarConfig::default()
    })
    .expect("calendar");
    let resources = Arc::new(Resources {
        lists,
        calendars: [("office".to_owned(), office)].into(),
    });
    let key = |c| Event::Digit(DtmfDigit::from_char(c).unwrap_or_else(|_| unreachable!()));
    c.bench_function("session_events/hotline_vip_call", |b| {
        b.iter(|| {
            let mut s = Session::new(Arc::clone(&hotline), context(&resources));
            let now = Instant::now();
            s.handle_event(now, key('1'));
            let mut hook = 0;
            while let Some(action) = s.poll_action() {
                if let ccsdk::ivr::Action::Hook { id, .. } = action {
                    hook = id;
                }
            }
            s.handle_event(
                now,
                Event::HookResult {
                    id: hook,
                    result: Ok("vip".into()),
                },
            );
            s.handle_event(now, key('1'));
            s.handle_event(now, Event::Queue(QueueEvent::Answered));
            s.handle_event(now, Event::Queue(QueueEvent::AgentDone));
            s.handle_event(now, key('5'));
            s.handle_event(now, key('1'));
            s.handle_event(now, Event::PlayDone);
            while s.poll_action().is_some() {}
            s
        });
    });
}

criterion_group!(benches, front_end, interpreter);
criterion_main!(benches);
