//! Memory per agent and per waiting contact, read from the process's resident set (Linux).
//! Ignored by default: run with `cargo test -p cc-acd --test footprint -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use cc_acd::{AgentProfile, QueueConfig, Router, RouterConfig};
use cc_core::{Channel, Contact, Direction, SkillLevel, SkillRequirement};

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
#[ignore = "measures memory; run on demand"]
fn bytes_per_agent_and_per_waiting_contact() {
    let t0 = Instant::now();
    let mut r = Router::new(RouterConfig {
        seed: 1,
        events: false,
    });
    for q in 0..100 {
        let mut cfg = QueueConfig::new(format!("q{q}").parse().unwrap(), "acme".parse().unwrap());
        cfg.skills = vec![SkillRequirement {
            skill: format!("s{}", q % 50).parse().unwrap(),
            min_level: SkillLevel::MIN,
        }];
        r.add_queue(cfg).unwrap();
    }
    let before = rss_bytes().unwrap();
    let agents = 10_000;
    for i in 0..agents {
        let skills = (0..4)
            .map(|k| {
                (
                    format!("s{}", (i + k * 13) % 50).parse().unwrap(),
                    SkillLevel::new(5).unwrap(),
                )
            })
            .collect();
        let id = format!("a{i}").parse().unwrap();
        r.add_agent(AgentProfile::new(id).serving("acme".parse().unwrap(), skills))
            .unwrap();
        r.login(&format!("a{i}").parse().unwrap(), false, t0).unwrap();
    }
    let after_agents = rss_bytes().unwrap();
    let contacts = 100_000;
    for n in 0..contacts {
        let q = n % 100;
        let contact = Contact::new(
            format!("c{n}").parse().unwrap(),
            "acme".parse().unwrap(),
            Channel::Voice,
            Direction::Inbound,
        )
        .with_skill(
            format!("s{}", q % 50).parse().unwrap(),
            SkillLevel::new(3).unwrap(),
        );
        r.enqueue(
            contact,
            &format!("q{q}").parse().unwrap(),
            t0 + Duration::from_micros(n as u64),
        )
        .unwrap();
        while r.poll_command().is_some() {}
    }
    let after_contacts = rss_bytes().unwrap();
    let per_agent = (after_agents - before) / agents as u64;
    let per_contact = (after_contacts - after_agents) / contacts as u64;
    println!(
        "about {per_agent} bytes per agent (4 skills, logged in), {per_contact} bytes per waiting contact"
    );
    assert_eq!(r.contacts(), contacts);
}
