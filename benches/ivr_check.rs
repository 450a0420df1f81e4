//! Benchmarks of the IVR flow language front end: parsing and checking.
//!
//! Workloads are in the names: `parse_check/1000_steps` parses and checks a generated flow
//! of 1,000 statements (menus, collects, lookups, queues, conditions and jumps).

use std::fmt::Write as _;
use std::hint::black_box;

use ccsdk::ivr::{Environment, check, parse};
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

criterion_group!(benches, front_end);
criterion_main!(benches);
