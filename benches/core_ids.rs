//! Benchmarks of cc-core's hot-path vocabulary: id validation and dense-index lookup.
//!
//! Workloads are in the names: `intern_lookup/10k_agents` looks up one id among 10,000.

use std::hint::black_box;

use ccsdk::core::{AgentId, Interner, PhoneNumber, SipUri};
use criterion::{Criterion, criterion_group, criterion_main};

fn ids(c: &mut Criterion) {
    c.bench_function("agent_id_validate/1_id_8_bytes", |b| {
        b.iter(|| AgentId::new(black_box("agent-42")));
    });

    let mut agents = Interner::new();
    for i in 0..10_000 {
        agents
            .intern(AgentId::new(format!("agent-{i}")).expect("valid id"))
            .expect("room for 10k ids");
    }
    c.bench_function("intern_lookup/10k_agents", |b| {
        b.iter(|| agents.get(black_box("agent-7777")));
    });
    let dense = agents.get("agent-7777").expect("interned");
    c.bench_function("intern_resolve/10k_agents", |b| {
        b.iter(|| agents.resolve(black_box(dense)));
    });
}

fn addresses(c: &mut Criterion) {
    c.bench_function("e164_parse/1_number_13_digits", |b| {
        b.iter(|| PhoneNumber::parse_e164(black_box("+86 138 0013 8000")));
    });
    c.bench_function("sip_uri_parse/1_uri_with_2_params", |b| {
        b.iter(|| {
            SipUri::parse(black_box(
                "sip:+8613800138000@carrier.example.net:5060;user=phone;transport=udp",
            ))
        });
    });
}

criterion_group!(benches, ids, addresses);
criterion_main!(benches);
