//! Writing your own routing strategy.
//!
//! A strategy names the index the router walks (`order`), how many eligible candidates to
//! look at (`window`), and picks one (`choose`). This one looks at the five agents idle the
//! longest and takes the most skilled of them: a compromise between fairness (idle time)
//! and quality (skill level) that no built-in strategy makes.
//!
//! ```text
//! cargo run --example acd_custom_strategy
//! ```

use std::time::{Duration, Instant};

use ccsdk::acd::{
    AgentOrder, AgentProfile, Candidate, Command, QueueConfig, Router, RouterConfig, RoutingStrategy,
};
use ccsdk::core::{Channel, Contact, Direction, SkillLevel, SkillRequirement};

/// The most skilled of the five longest-idle eligible agents.
#[derive(Debug)]
struct BestOfLongestIdle;

impl RoutingStrategy for BestOfLongestIdle {
    fn name(&self) -> &'static str {
        "best_of_5_longest_idle"
    }

    fn order(&self) -> AgentOrder {
        AgentOrder::LongestIdle
    }

    fn window(&self) -> usize {
        5
    }

    fn choose(&mut self, candidates: &[Candidate]) -> usize {
        // Highest level; among equals the earliest in the window, i.e. the longest idle.
        let mut best = 0;
        for (i, c) in candidates.iter().enumerate() {
            if candidates.get(best).is_some_and(|b| c.level > b.level) {
                best = i;
            }
        }
        best
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Virtual time: the router never reads the clock, so any origin will do.
    let t0 = Instant::now();
    let mut router = Router::new(RouterConfig::default());
    let mut queue = QueueConfig::new("support".parse()?, "acme".parse()?);
    queue.skills = vec![SkillRequirement {
        skill: "support".parse()?,
        min_level: SkillLevel::MIN,
    }];
    router.add_queue(queue)?;
    router.set_strategy(&"support".parse()?, Box::new(BestOfLongestIdle))?;

    // Seven agents log in one second apart; levels vary.
    for (i, level) in [3u8, 6, 9, 2, 7, 10, 8].into_iter().enumerate() {
        let id = format!("agent-{i}").parse()?;
        router.add_agent(AgentProfile::new(id).serving(
            "acme".parse()?,
            vec![("support".parse()?, SkillLevel::new(level)?)],
        ))?;
        router.login(
            &format!("agent-{i}").parse()?,
            true,
            t0 + Duration::from_secs(i as u64),
        )?;
    }

    let contact = Contact::new(
        "call-1".parse()?,
        "acme".parse()?,
        Channel::Voice,
        Direction::Inbound,
    );
    router.enqueue(contact, &"support".parse()?, t0 + Duration::from_secs(60))?;
    while let Some(command) = router.poll_command() {
        if let Command::Offer { contact, agent, .. } = command {
            // agent-0..agent-4 are the five longest idle; agent-2 (level 9) is the best of them.
            println!("{contact} -> {agent}");
        }
    }
    Ok(())
}
