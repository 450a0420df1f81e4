//! A virtual-time discrete-event simulator that drives the real [`Router`].
//!
//! One queue of one tenant, `agents` agents ready from the start, Poisson arrivals at
//! `calls_per_hour`, exponential handle times of mean `aht`, and optional exponential
//! caller patience (abandonment). Agents answer offers at once and have no wrap-up. Arrivals
//! stop after `hours`; the run continues until every contact has ended, so with no
//! abandonment every contact is answered and the service level is comparable with
//! [`crate::erlang`]. Seeded and deterministic: the same configuration gives the same report.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cc_core::{AgentId, Channel, Contact, ContactId, Direction, QueueId, TenantId};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::{AgentProfile, Command, ContactStatus, QueueConfig, Router, RouterConfig, SeededRng, erlang};

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Agents, all ready for the whole run.
    pub agents: u32,
    /// Mean arrivals per hour (Poisson).
    pub calls_per_hour: f64,
    /// Mean handle time in seconds (exponential).
    pub aht_s: f64,
    /// Hours of arrivals.
    pub hours: f64,
    /// Seed of the arrival, handle-time and patience draws.
    pub seed: u64,
    /// Mean caller patience in seconds (exponential); `None` means callers never hang up.
    pub patience_s: Option<f64>,
    /// Service-level threshold in seconds.
    pub sl_threshold_s: f64,
}

/// What came out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// Contacts that arrived.
    pub offered: u64,
    /// Contacts answered.
    pub answered: u64,
    /// Contacts that hung up before answer.
    pub abandoned: u64,
    /// Answered within the threshold / offered.
    pub service_level: f64,
    /// Average speed of answer, seconds.
    pub asa_s: f64,
    /// Abandoned / offered.
    pub abandon_rate: f64,
    /// Time agents spent handling contacts / time agents were staffed.
    pub occupancy: f64,
    /// Offered traffic in Erlangs (`calls_per_hour × aht / 3600`).
    pub traffic_erlangs: f64,
    /// Erlang C's service level for the same inputs (no abandonment assumed).
    pub erlang_c_service_level: f64,
    /// Erlang C's ASA, seconds (infinite when agents ≤ traffic).
    pub erlang_c_asa_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SimEvent {
    Arrival,
    HandleEnd(u64),
    Patience(u64),
}

fn exp(rng: &mut SeededRng, mean: f64) -> f64 {
    -(1.0 - rng.next_f64()).ln() * mean
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

impl SimConfig {
    fn validate(&self) -> Result<()> {
        let positive = |key: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(key, v, "must be a finite number above 0"))
            }
        };
        if self.agents == 0 {
            return Err(Error::invalid("agents", self.agents, "at least 1 agent"));
        }
        positive("calls_per_hour", self.calls_per_hour)?;
        positive("aht", self.aht_s)?;
        positive("hours", self.hours)?;
        if let Some(p) = self.patience_s {
            positive("patience", p)?;
        }
        let day = 86_400.0;
        let bounded = [
            (
                "calls_per_hour",
                self.calls_per_hour,
                1e7,
                "at most 10,000,000 calls per hour",
            ),
            ("aht", self.aht_s, day, "at most a day (86,400 s)"),
            ("hours", self.hours, 100_000.0, "at most 100,000 hours"),
            (
                "patience",
                self.patience_s.unwrap_or(1.0),
                day,
                "at most a day (86,400 s)",
            ),
            (
                "sl_threshold",
                self.sl_threshold_s,
                day,
                "at most a day (86,400 s)",
            ),
        ];
        if let Some((key, v, _, expected)) = bounded.into_iter().find(|(_, v, max, _)| v > max) {
            return Err(Error::invalid(key, v, expected));
        }
        if self.agents > 100_000 {
            return Err(Error::invalid("agents", self.agents, "at most 100,000 agents"));
        }
        if !(self.sl_threshold_s.is_finite() && self.sl_threshold_s >= 0.0) {
            return Err(Error::invalid(
                "sl_threshold",
                self.sl_threshold_s,
                "must be a finite, non-negative number of seconds",
            ));
        }
        Ok(())
    }
}

/// Runs a simulation on virtual time starting at `start` (any instant; nothing waits).
pub fn simulate(config: &SimConfig, start: Instant) -> Result<SimReport> {
    config.validate()?;
    let tenant: TenantId = "sim".parse()?;
    let queue: QueueId = "sim".parse()?;
    let mut router = Router::new(RouterConfig {
        seed: config.seed,
        events: false,
    });
    let mut qc = QueueConfig::new(queue.clone(), tenant.clone());
    qc.service_level_threshold = secs(config.sl_threshold_s);
    router.add_queue(qc)?;
    for i in 0..config.agents {
        let id: AgentId = format!("agent-{i}").parse()?;
        router.add_agent(AgentProfile::new(id.clone()).serving(tenant.clone(), Vec::new()))?;
        router.login(&id, true, start)?;
    }
    let mut rng = SeededRng::new(config.seed);
    let mean_gap = 3600.0 / config.calls_per_hour;
    let arrivals_end = start + secs(config.hours * 3600.0);
    let mut agenda: BTreeMap<(Instant, u64), SimEvent> = BTreeMap::new();
    let mut seq = 0u64;
    let mut next_id = 0u64;
    agenda.insert((start + secs(exp(&mut rng, mean_gap)), seq), SimEvent::Arrival);
    let mut busy_s = 0.0;
    let mut last = start;
    loop {
        let next_agenda = agenda.first_key_value().map(|(k, _)| k.0);
        let next_timer = router.poll_timeout();
        let now = match (next_agenda, next_timer) {
            (None, None) => break,
            (Some(a), Some(t)) => a.min(t),
            (Some(a), None) => a,
            (None, Some(t)) => t,
        };
        last = last.max(now);
        if next_timer.is_some_and(|t| t <= now) {
            router.handle_timeout(now);
        }
        if next_agenda.is_some_and(|a| a <= now)
            && let Some(((at, _), event)) = agenda.pop_first()
        {
            match event {
                SimEvent::Arrival => {
                    let id: ContactId = format!("c{next_id}").parse()?;
                    let n = next_id;
                    next_id += 1;
                    let contact = Contact::new(id, tenant.clone(), Channel::Voice, Direction::Inbound);
                    router.enqueue(contact, &queue, at)?;
                    if let Some(p) = config.patience_s {
                        seq += 1;
                        agenda.insert((at + secs(exp(&mut rng, p)), seq), SimEvent::Patience(n));
                    }
                    let next = at + secs(exp(&mut rng, mean_gap));
                    if next < arrivals_end {
                        seq += 1;
                        agenda.insert((next, seq), SimEvent::Arrival);
                    }
                }
                SimEvent::HandleEnd(n) => {
                    router.complete(&format!("c{n}").parse()?, at)?;
                }
                SimEvent::Patience(n) => {
                    let id: ContactId = format!("c{n}").parse()?;
                    if matches!(router.contact_status(&id), Ok((ContactStatus::Waiting, _))) {
                        router.abandon(&id, at)?;
                    }
                }
            }
        }
        // Agents answer at once; a contact then lasts an exponential handle time.
        while let Some(cmd) = router.poll_command() {
            if let Command::Offer { contact, agent, .. } = cmd {
                router.accept(&contact, &agent, now)?;
                let handle = exp(&mut rng, config.aht_s);
                busy_s += handle;
                let n: u64 = contact
                    .as_str()
                    .get(1..)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                seq += 1;
                agenda.insert((now + secs(handle), seq), SimEvent::HandleEnd(n));
            }
        }
    }
    let stats = router.queue_stats(&queue, last)?;
    let c = stats.counters;
    let offered = c.entered;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let traffic = config.calls_per_hour * config.aht_s / 3600.0;
    let staffed_s = f64::from(config.agents) * last.saturating_duration_since(start).as_secs_f64();
    Ok(SimReport {
        offered,
        answered: c.answered,
        abandoned: c.abandoned,
        service_level: ratio(c.answered_in_sl, offered),
        asa_s: if c.answered == 0 {
            0.0
        } else {
            c.answer_wait_ms as f64 / 1000.0 / c.answered as f64
        },
        abandon_rate: ratio(c.abandoned, offered),
        occupancy: if staffed_s > 0.0 { busy_s / staffed_s } else { 0.0 },
        traffic_erlangs: traffic,
        erlang_c_service_level: erlang::service_level(
            traffic,
            config.agents,
            config.aht_s,
            config.sl_threshold_s,
        )?,
        erlang_c_asa_s: erlang::asa(traffic, config.agents, config.aht_s)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mmc(seed: u64) -> SimConfig {
        // 10 Erlangs on 12 agents: Erlang C gives SL(20 s) ≈ 0.640 and ASA ≈ 40.4 s.
        SimConfig {
            agents: 12,
            calls_per_hour: 200.0,
            aht_s: 180.0,
            hours: 1000.0,
            seed,
            patience_s: None,
            sl_threshold_s: 20.0,
        }
    }

    #[test]
    fn mmc_matches_erlang_c_on_a_long_run() {
        let report = simulate(&mmc(11), Instant::now()).unwrap();
        assert_eq!(
            report.answered, report.offered,
            "no abandonment: everyone is answered"
        );
        assert!(report.offered > 190_000, "{report:?}");
        // Over seeds 1–7 at 2,000 hours the SL stayed within 0.005 and the ASA within 3 %
        // of Erlang C; at 1,000 hours these bounds are about four standard deviations.
        assert!(
            (report.service_level - report.erlang_c_service_level).abs() < 0.02,
            "{report:?}"
        );
        let asa_err = (report.asa_s - report.erlang_c_asa_s).abs() / report.erlang_c_asa_s;
        assert!(asa_err < 0.08, "{report:?}");
        assert!((report.occupancy - 10.0 / 12.0).abs() < 0.015, "{report:?}");
    }

    #[test]
    fn seeded_runs_repeat_and_patience_abandons() {
        let mut cfg = mmc(3);
        cfg.hours = 5.0;
        cfg.patience_s = Some(60.0);
        let a = simulate(&cfg, Instant::now()).unwrap();
        let b = simulate(&cfg, Instant::now()).unwrap();
        assert_eq!(a, b);
        assert!(a.abandoned > 0 && a.abandon_rate > 0.0, "{a:?}");
        assert_eq!(a.answered + a.abandoned, a.offered);
        cfg.agents = 0;
        assert!(simulate(&cfg, Instant::now()).is_err());
        cfg.agents = 3;
        cfg.hours = 1e300;
        let err = simulate(&cfg, Instant::now()).unwrap_err().to_string();
        assert!(err.contains("hours") && err.contains("100,000"), "{err}");
        cfg.hours = f64::NAN;
        assert!(simulate(&cfg, Instant::now()).is_err());
    }
}
