//! One routing decision through the C ABI against the same decision in Rust.
//!
//! Workload `1k_ready_agents_1_queue`: one tenant, one longest-idle queue, 1,000 agents all
//! ready, nobody waiting. One iteration is the cycle `arrive_offer_abandon`: a contact
//! arrives and is offered to the best agent (the decision), the offer is polled, then the
//! contact hangs up and the cancel is drained, so every iteration starts from the same
//! state. `abi` makes those calls through `cc_router_*` (ids as (ptr, len) strings, times in
//! milliseconds, the command copied into a `cc_command`); `rust` calls `cc_acd::Router`
//! directly. The difference is the ABI's cost (id parsing and validation, the panic
//! boundary, command strings).

#![allow(unsafe_code, missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use cc_acd::{AgentProfile, Command, QueueConfig, Router, RouterConfig};
use cc_core::{Channel, Contact, ContactId, Direction, QueueId, TenantId};
use cc_ffi::{
    cc_command, cc_command_kind, cc_contact, cc_result, cc_router, cc_router_abandon, cc_router_agent_login,
    cc_router_enqueue, cc_router_free, cc_router_new, cc_router_poll_command, cc_str,
};
use criterion::{Criterion, criterion_group, criterion_main};

const AGENTS: usize = 1_000;

fn config() -> String {
    let mut text = String::from("[[queue]]\nid = \"sales\"\ntenant = \"acme\"\n");
    for a in 0..AGENTS {
        let _ = writeln!(text, "[[agent]]\nid = \"a{a}\"\ntenants = {{ acme = {{}} }}");
    }
    text
}

fn s(text: &'static str) -> cc_str {
    cc_str {
        ptr: text.as_ptr().cast(),
        len: text.len(),
    }
}

fn abi(c: &mut Criterion) {
    let text = config();
    let mut router: *mut cc_router = std::ptr::null_mut();
    // SAFETY: `text` is readable for its length; `router` is a writable pointer.
    let r = unsafe { cc_router_new(text.as_ptr().cast(), text.len(), &raw mut router) };
    assert_eq!(r, cc_result::CC_OK);
    for a in 0..AGENTS {
        let id = format!("a{a}");
        // SAFETY: `router` is live; `id` is readable for its length.
        let r = unsafe { cc_router_agent_login(router, id.as_ptr().cast(), id.len(), 0) };
        assert_eq!(r, cc_result::CC_OK);
    }
    let contact = cc_contact {
        id: s("c-1"),
        queue: s("sales"),
        channel: 0,
        priority: 0,
        language: s(""),
        skills: s(""),
        preferred_agent: s(""),
    };
    let mut cmd = cc_command {
        kind: cc_command_kind::CC_COMMAND_NONE,
        contact: s(""),
        agent: s(""),
        queue: s(""),
        text: s(""),
        lease_until_ms: 0,
        position: 0,
        estimated_wait_ms: 0,
    };
    let mut now = 1;
    let mut cycle = |now: u64| {
        // SAFETY: `router` is live and used by this thread alone; `contact`'s strings are
        // static; `cmd` is writable.
        unsafe {
            assert_eq!(
                cc_router_enqueue(router, &raw const contact, now),
                cc_result::CC_OK
            );
            let mut offered = false;
            loop {
                assert_eq!(cc_router_poll_command(router, &raw mut cmd), cc_result::CC_OK);
                match cmd.kind {
                    cc_command_kind::CC_COMMAND_NONE => break,
                    cc_command_kind::CC_COMMAND_OFFER => offered = true,
                    _ => {}
                }
            }
            assert!(offered);
            assert_eq!(
                cc_router_abandon(router, "c-1".as_ptr().cast(), 3, now),
                cc_result::CC_OK
            );
            while cc_router_poll_command(router, &raw mut cmd) == cc_result::CC_OK
                && cmd.kind != cc_command_kind::CC_COMMAND_NONE
            {}
        }
        black_box(&cmd);
    };
    cycle(now);
    c.bench_function("arrive_offer_abandon/1k_ready_agents_1_queue/abi", |b| {
        b.iter(|| {
            now += 1;
            cycle(now);
        });
    });
    // SAFETY: `router` came from `cc_router_new` and is freed once.
    unsafe { cc_router_free(router) };
}

fn rust(c: &mut Criterion) {
    let mut router = Router::new(RouterConfig {
        events: false,
        ..RouterConfig::default()
    });
    let (queue, tenant): (QueueId, TenantId) = ("sales".parse().unwrap(), "acme".parse().unwrap());
    router
        .add_queue(QueueConfig::new(queue.clone(), tenant.clone()))
        .unwrap();
    let t0 = Instant::now();
    for a in 0..AGENTS {
        let id = format!("a{a}").parse().unwrap();
        router
            .add_agent(AgentProfile::new(id).serving(tenant.clone(), Vec::new()))
            .unwrap();
    }
    for a in 0..AGENTS {
        router.login(&format!("a{a}").parse().unwrap(), true, t0).unwrap();
    }
    let id: ContactId = "c-1".parse().unwrap();
    let mut ms = 1;
    let mut cycle = |now: Instant| {
        let contact = Contact::new(id.clone(), tenant.clone(), Channel::Voice, Direction::Inbound);
        router.enqueue(contact, &queue, now).unwrap();
        let mut offered = false;
        while let Some(cmd) = router.poll_command() {
            offered |= matches!(cmd, Command::Offer { .. });
            black_box(&cmd);
        }
        assert!(offered);
        router.abandon(&id, now).unwrap();
        while let Some(cmd) = router.poll_command() {
            black_box(&cmd);
        }
    };
    cycle(t0 + Duration::from_millis(ms));
    c.bench_function("arrive_offer_abandon/1k_ready_agents_1_queue/rust", |b| {
        b.iter(|| {
            ms += 1;
            cycle(t0 + Duration::from_millis(ms));
        });
    });
}

criterion_group!(benches, abi, rust);
criterion_main!(benches);
