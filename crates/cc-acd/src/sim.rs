//! A virtual-time discrete-event simulator that drives the real [`Router`].
//!
//! One queue of one tenant, `agents` agents ready from the start, Poisson arrivals at
//! `calls_per_hour` (optionally shaped by an hourly time-of-day profile), exponential or
//! log-normal handle times of mean `aht`, and optional exponential caller patience
//! (abandonment). Agents answer offers at once and have no wrap-up. Agent schedules
//! ([`SimConfig::schedule`]: how many are on shift each hour) and breaks
//! ([`SimConfig::breaks`]: a pause of a given length at a given interval) take agents
//! out through the router's own inputs (not-ready, logout, login, ready). Arrivals stop
//! after `hours`; the run continues until every contact has ended, so with no abandonment
//! every contact is answered and the service level is comparable with [`crate::erlang`].
//! Seeded and deterministic: the same configuration gives the same report.

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
    /// The distribution of handle times (mean `aht_s` either way).
    pub handle: HandleTimes,
    /// Time-of-day profile: arrival-rate multipliers for hour 0, 1, 2... of the run,
    /// repeating; empty means a flat rate. The rate in hour `h` is
    /// `calls_per_hour × profile[h % len]`.
    pub profile: Vec<f64>,
    /// Staffing by hour of the run (hour 0, 1, 2..., repeating): how many of the `agents`
    /// are on shift (at most `agents`); empty means all of them for the whole run. An agent
    /// whose shift ends during a contact stops taking new ones and logs out when it ends.
    pub schedule: Vec<u32>,
    /// Breaks of every agent on shift; `None` means none.
    pub breaks: Option<Breaks>,
}

/// Agents' breaks: each agent on shift pauses (not ready, reason `break`) for `length_s`
/// once every `every_s`, the agents' breaks spread evenly over the interval. An agent on a
/// contact when its break is due takes no new one and starts the break when it ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breaks {
    /// Seconds from one break's due time to the next.
    pub every_s: f64,
    /// Length of a break, seconds.
    pub length_s: f64,
}

/// The distribution of handle times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HandleTimes {
    /// Exponential (M/M/c: what Erlang C assumes).
    Exponential,
    /// Log-normal with this shape σ (of the underlying normal), scaled to the mean: real
    /// handle times usually look like this, with σ around 0.5–1.
    LogNormal {
        /// σ of the underlying normal distribution.
        sigma: f64,
    },
}

impl SimConfig {
    /// A flat-rate run with exponential handle times, no abandonment and a 20 s threshold.
    pub fn new(agents: u32, calls_per_hour: f64, aht_s: f64, hours: f64, seed: u64) -> Self {
        Self {
            agents,
            calls_per_hour,
            aht_s,
            hours,
            seed,
            patience_s: None,
            sl_threshold_s: 20.0,
            handle: HandleTimes::Exponential,
            profile: Vec::new(),
            schedule: Vec::new(),
            breaks: None,
        }
    }
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
    /// Time agents spent handling contacts / time agents were staffed (logged in and not
    /// on a break).
    pub occupancy: f64,
    /// Agent-hours staffed (logged in and not on a break).
    pub staffed_hours: f64,
    /// Offered traffic in Erlangs (`calls_per_hour × aht / 3600`).
    pub traffic_erlangs: f64,
    /// Erlang C's service level for the same inputs at the flat rate (no abandonment,
    /// exponential handle times assumed).
    pub erlang_c_service_level: f64,
    /// Erlang C's ASA, seconds (infinite when agents ≤ traffic).
    pub erlang_c_asa_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SimEvent {
    Arrival,
    /// The contact's handling by the agent ends.
    HandleEnd(u64, usize),
    Patience(u64),
    /// Hour `h` of the schedule starts.
    Shift(u64),
    BreakStart(usize),
    BreakEnd(usize),
}

fn exp(rng: &mut SeededRng, mean: f64) -> f64 {
    -(1.0 - rng.next_f64()).ln() * mean
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SeededRng) -> f64 {
    let u1 = 1.0 - rng.next_f64();
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn handle_time(rng: &mut SeededRng, config: &SimConfig) -> f64 {
    match config.handle {
        HandleTimes::Exponential => exp(rng, config.aht_s),
        HandleTimes::LogNormal { sigma } => {
            let mu = config.aht_s.ln() - sigma * sigma / 2.0;
            (mu + sigma * normal(rng)).exp()
        }
    }
}

/// The next arrival after `from` seconds into the run, by thinning a Poisson process at
/// the profile's peak rate.
fn next_arrival(rng: &mut SeededRng, config: &SimConfig, from: f64) -> f64 {
    let peak = config.profile.iter().copied().fold(0.0, f64::max);
    if config.profile.is_empty() || peak <= 0.0 {
        return from + exp(rng, 3600.0 / config.calls_per_hour);
    }
    let mut t = from;
    loop {
        t += exp(rng, 3600.0 / (config.calls_per_hour * peak));
        let hour = (t / 3600.0) as usize % config.profile.len();
        let rate = config.profile.get(hour).copied().unwrap_or(0.0);
        if rng.next_f64() * peak < rate {
            return t;
        }
    }
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
        if let HandleTimes::LogNormal { sigma } = self.handle
            && !(sigma.is_finite() && sigma > 0.0 && sigma <= 3.0)
        {
            return Err(Error::invalid(
                "lognormal sigma",
                sigma,
                "must be above 0 and at most 3",
            ));
        }
        if self.profile.len() > 24 * 366
            || self
                .profile
                .iter()
                .any(|m| !(m.is_finite() && (0.0..=100.0).contains(m)))
            || (!self.profile.is_empty() && self.profile.iter().all(|&m| m == 0.0))
        {
            return Err(Error::invalid(
                "profile",
                &self.profile,
                "hourly multipliers from 0 to 100, at least one above 0, at most a year of hours",
            ));
        }
        if self.schedule.len() > 24 * 366
            || (!self.schedule.is_empty() && self.schedule.iter().all(|&n| n == 0))
        {
            return Err(Error::invalid(
                "schedule",
                &self.schedule,
                "agents on shift per hour, at least one hour above 0, at most a year of hours",
            ));
        }
        if let Some(b) = self.breaks
            && !(b.every_s.is_finite()
                && b.length_s.is_finite()
                && b.length_s > 0.0
                && b.every_s > b.length_s
                && b.every_s <= 86_400.0)
        {
            return Err(Error::invalid(
                "breaks",
                b,
                "a length above 0 and an interval longer than the length, at most a day",
            ));
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

/// One simulated agent, as the simulator sees it.
#[derive(Debug)]
struct Seat {
    id: AgentId,
    on_shift: bool,
    on_break: bool,
    /// The contact in hand.
    busy: Option<u64>,
    /// Log out when the contact in hand ends (the shift is over).
    leave_after: bool,
    /// Start the break when the contact in hand ends.
    break_after: bool,
    /// Since when it has been staffed (logged in, not on a break).
    since: Option<Instant>,
}

/// The simulation's state beside the router.
struct Run<'a> {
    config: &'a SimConfig,
    router: Router,
    seats: Vec<Seat>,
    agenda: BTreeMap<(Instant, u64), SimEvent>,
    seq: u64,
    staffed_s: f64,
}

impl Run<'_> {
    fn at(&mut self, when: Instant, event: SimEvent) {
        self.seq += 1;
        self.agenda.insert((when, self.seq), event);
    }

    fn staff(&mut self, i: usize, now: Instant) {
        if let Some(seat) = self.seats.get_mut(i) {
            seat.since.get_or_insert(now);
        }
    }

    fn unstaff(&mut self, i: usize, now: Instant) {
        if let Some(since) = self.seats.get_mut(i).and_then(|s| s.since.take()) {
            self.staffed_s += now.saturating_duration_since(since).as_secs_f64();
        }
    }

    fn go_on_shift(&mut self, i: usize, now: Instant) -> Result<()> {
        let Some(seat) = self.seats.get_mut(i) else {
            return Ok(());
        };
        if seat.on_shift {
            return Ok(());
        }
        seat.on_shift = true;
        let id = seat.id.clone();
        if seat.leave_after {
            // Still on its last contact: it stays.
            seat.leave_after = false;
            if !seat.break_after {
                self.router.ready(&id, now)?;
            }
        } else {
            seat.on_break = false;
            self.router.login(&id, true, now)?;
            self.staff(i, now);
        }
        Ok(())
    }

    fn go_off_shift(&mut self, i: usize, now: Instant) -> Result<()> {
        let Some(seat) = self.seats.get_mut(i) else {
            return Ok(());
        };
        if !seat.on_shift {
            return Ok(());
        }
        seat.on_shift = false;
        let id = seat.id.clone();
        if seat.busy.is_some() {
            seat.leave_after = true;
            if !seat.break_after {
                self.router.not_ready(&id, "end of shift", now)?;
            }
        } else {
            seat.on_break = false;
            self.router.logout(&id, now)?;
            self.unstaff(i, now);
        }
        Ok(())
    }

    fn start_break(&mut self, i: usize, now: Instant) -> Result<()> {
        let Some(seat) = self.seats.get_mut(i) else {
            return Ok(());
        };
        if !seat.on_shift || seat.on_break || seat.break_after || seat.leave_after {
            return Ok(());
        }
        let id = seat.id.clone();
        self.router.not_ready(&id, "break", now)?;
        if seat.busy.is_some() {
            seat.break_after = true;
        } else {
            seat.on_break = true;
            self.unstaff(i, now);
            let length = self.config.breaks.map_or(0.0, |b| b.length_s);
            self.at(now + secs(length), SimEvent::BreakEnd(i));
        }
        Ok(())
    }

    fn end_break(&mut self, i: usize, now: Instant) -> Result<()> {
        let Some(seat) = self.seats.get_mut(i) else {
            return Ok(());
        };
        if !seat.on_break {
            return Ok(());
        }
        seat.on_break = false;
        if seat.on_shift {
            let id = seat.id.clone();
            self.router.ready(&id, now)?;
            self.staff(i, now);
        }
        Ok(())
    }

    fn handle_end(&mut self, n: u64, i: usize, now: Instant) -> Result<()> {
        self.router.complete(&format!("c{n}").parse()?, now)?;
        let Some(seat) = self.seats.get_mut(i) else {
            return Ok(());
        };
        seat.busy = None;
        let id = seat.id.clone();
        if seat.leave_after {
            seat.leave_after = false;
            seat.break_after = false;
            self.router.logout(&id, now)?;
            self.unstaff(i, now);
        } else if seat.break_after {
            seat.break_after = false;
            seat.on_break = true;
            self.unstaff(i, now);
            let length = self.config.breaks.map_or(0.0, |b| b.length_s);
            self.at(now + secs(length), SimEvent::BreakEnd(i));
        }
        Ok(())
    }
}

/// Runs a simulation on virtual time starting at `start` (any instant; nothing waits).
pub fn simulate(config: &SimConfig, start: Instant) -> Result<SimReport> {
    simulate_with_stats(config, start).map(|(report, _)| report)
}

/// [`simulate`], with the router's own statistics of the queue at the end.
fn simulate_with_stats(config: &SimConfig, start: Instant) -> Result<(SimReport, crate::QueueStats)> {
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
    let mut seats = Vec::new();
    for i in 0..config.agents {
        let id: AgentId = format!("agent-{i}").parse()?;
        router.add_agent(AgentProfile::new(id.clone()).serving(tenant.clone(), Vec::new()))?;
        seats.push(Seat {
            id,
            on_shift: false,
            on_break: false,
            busy: None,
            leave_after: false,
            break_after: false,
            since: None,
        });
    }
    let mut run = Run {
        config,
        router,
        seats,
        agenda: BTreeMap::new(),
        seq: 0,
        staffed_s: 0.0,
    };
    let on_shift = |hour: u64| -> usize {
        if config.schedule.is_empty() {
            return config.agents as usize;
        }
        let n = config.schedule.len() as u64;
        let staff = config.schedule.get((hour % n) as usize).copied().unwrap_or(0);
        staff.min(config.agents) as usize
    };
    for i in 0..on_shift(0) {
        run.go_on_shift(i, start)?;
    }
    if !config.schedule.is_empty() {
        run.at(start + secs(3600.0), SimEvent::Shift(1));
    }
    if let Some(b) = config.breaks {
        for i in 0..run.seats.len() {
            let offset = b.every_s * (i as f64 + 0.5) / f64::from(config.agents);
            run.at(start + secs(offset), SimEvent::BreakStart(i));
        }
    }
    let mut rng = SeededRng::new(config.seed);
    let arrivals_end_s = config.hours * 3600.0;
    let mut next_id = 0u64;
    let first = next_arrival(&mut rng, config, 0.0);
    if first < arrivals_end_s {
        run.at(start + secs(first), SimEvent::Arrival);
    }
    let mut busy_s = 0.0;
    let mut last = start;
    loop {
        let next_agenda = run.agenda.first_key_value().map(|(k, _)| k.0);
        let next_timer = run.router.poll_timeout();
        let now = match (next_agenda, next_timer) {
            (None, None) => break,
            (Some(a), Some(t)) => a.min(t),
            (Some(a), None) => a,
            (None, Some(t)) => t,
        };
        last = last.max(now);
        if next_timer.is_some_and(|t| t <= now) {
            run.router.handle_timeout(now);
        }
        // Schedules and breaks go on while arrivals may come or contacts remain.
        let going = |run: &Run<'_>, at: Instant| {
            at.saturating_duration_since(start).as_secs_f64() < arrivals_end_s || run.router.contacts() > 0
        };
        if next_agenda.is_some_and(|a| a <= now)
            && let Some(((at, _), event)) = run.agenda.pop_first()
        {
            match event {
                SimEvent::Arrival => {
                    let id: ContactId = format!("c{next_id}").parse()?;
                    let n = next_id;
                    next_id += 1;
                    let contact = Contact::new(id, tenant.clone(), Channel::Voice, Direction::Inbound);
                    run.router.enqueue(contact, &queue, at)?;
                    if let Some(p) = config.patience_s {
                        run.at(at + secs(exp(&mut rng, p)), SimEvent::Patience(n));
                    }
                    let offset = at.saturating_duration_since(start).as_secs_f64();
                    let next = next_arrival(&mut rng, config, offset);
                    if next < arrivals_end_s {
                        run.at(start + secs(next), SimEvent::Arrival);
                    }
                }
                SimEvent::HandleEnd(n, i) => run.handle_end(n, i, at)?,
                SimEvent::Patience(n) => {
                    let id: ContactId = format!("c{n}").parse()?;
                    if matches!(run.router.contact_status(&id), Ok((ContactStatus::Waiting, _))) {
                        run.router.abandon(&id, at)?;
                    }
                }
                SimEvent::Shift(hour) => {
                    let staff = on_shift(hour);
                    for i in (staff..run.seats.len()).rev() {
                        run.go_off_shift(i, at)?;
                    }
                    for i in 0..staff {
                        run.go_on_shift(i, at)?;
                    }
                    let next = at + secs(3600.0);
                    if going(&run, next) {
                        run.at(next, SimEvent::Shift(hour + 1));
                    }
                }
                SimEvent::BreakStart(i) => {
                    run.start_break(i, at)?;
                    let next = at + secs(config.breaks.map_or(0.0, |b| b.every_s));
                    if going(&run, next) {
                        run.at(next, SimEvent::BreakStart(i));
                    }
                }
                SimEvent::BreakEnd(i) => run.end_break(i, at)?,
            }
        }
        // Agents answer at once; a contact then lasts a drawn handle time.
        while let Some(cmd) = run.router.poll_command() {
            if let Command::Offer { contact, agent, .. } = cmd {
                run.router.accept(&contact, &agent, now)?;
                let handle = handle_time(&mut rng, config);
                busy_s += handle;
                let n: u64 = contact
                    .as_str()
                    .get(1..)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let i: usize = agent
                    .as_str()
                    .strip_prefix("agent-")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if let Some(seat) = run.seats.get_mut(i) {
                    seat.busy = Some(n);
                }
                run.at(now + secs(handle), SimEvent::HandleEnd(n, i));
            }
        }
    }
    for i in 0..run.seats.len() {
        run.unstaff(i, last);
    }
    let stats = run.router.queue_stats(&queue, last)?;
    let c = stats.counters;
    let offered = c.entered;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let traffic = config.calls_per_hour * config.aht_s / 3600.0;
    let staffed_s = run.staffed_s;
    let report = SimReport {
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
        staffed_hours: staffed_s / 3600.0,
        traffic_erlangs: traffic,
        erlang_c_service_level: erlang::service_level(
            traffic,
            config.agents,
            config.aht_s,
            config.sl_threshold_s,
        )?,
        erlang_c_asa_s: erlang::asa(traffic, config.agents, config.aht_s)?,
    };
    Ok((report, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mmc(seed: u64) -> SimConfig {
        // 10 Erlangs on 12 agents: Erlang C gives SL(20 s) ≈ 0.640 and ASA ≈ 40.4 s.
        SimConfig::new(12, 200.0, 180.0, 1000.0, seed)
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
        // Log-normal handle times keep the mean; a profile shapes arrivals by hour.
        let mut shaped = mmc(5);
        shaped.hours = 48.0;
        shaped.handle = HandleTimes::LogNormal { sigma: 0.8 };
        shaped.profile = vec![0.0, 2.0];
        let r = simulate(&shaped, Instant::now()).unwrap();
        let expected = 200.0 * 48.0; // half the hours at twice the rate
        assert!((r.offered as f64 - expected).abs() < expected * 0.05, "{r:?}");
        assert!((r.occupancy - 10.0 / 12.0).abs() < 0.05, "{r:?}");
        shaped.profile = vec![0.0];
        assert!(simulate(&shaped, Instant::now()).is_err());
        cfg.agents = 0;
        assert!(simulate(&cfg, Instant::now()).is_err());
        cfg.agents = 3;
        cfg.hours = 1e300;
        let err = simulate(&cfg, Instant::now()).unwrap_err().to_string();
        assert!(err.contains("hours") && err.contains("100,000"), "{err}");
        cfg.hours = f64::NAN;
        assert!(simulate(&cfg, Instant::now()).is_err());
    }

    #[test]
    fn schedules_take_agents_off_shift_and_the_run_still_ends() {
        // 10 Erlangs; 14 agents in even hours, 8 (overloaded) in odd ones: 11 on average.
        let mut full = mmc(21);
        full.hours = 40.0;
        let all = simulate(&full, Instant::now()).unwrap();
        let mut shifts = full.clone();
        shifts.agents = 14;
        shifts.schedule = vec![14, 8];
        let r = simulate(&shifts, Instant::now()).unwrap();
        assert_eq!(r, simulate(&shifts, Instant::now()).unwrap(), "seeded");
        // Agents leave mid-contact (after it ends) and come back; everyone is answered.
        assert_eq!(r.answered, r.offered, "{r:?}");
        assert!(r.offered > 7_000, "{r:?}");
        // 11 agents on average over 40 hours, plus the tail that clears the queue.
        assert!(r.staffed_hours > 439.0 && r.staffed_hours < 470.0, "{r:?}");
        assert!(all.staffed_hours > 479.0 && all.staffed_hours < 490.0, "{all:?}");
        assert!(r.service_level < all.service_level - 0.1, "{r:?} vs {all:?}");
        assert!(r.asa_s > all.asa_s * 2.0, "{r:?} vs {all:?}");
        let zero = SimConfig {
            schedule: vec![0, 0],
            ..full.clone()
        };
        assert!(simulate(&zero, Instant::now()).is_err());
    }

    #[test]
    fn breaks_take_a_share_of_staffed_time() {
        // 16 agents, 10 Erlangs; each pauses 15 minutes an hour: about 12 staffed.
        let mut cfg = SimConfig::new(16, 200.0, 180.0, 60.0, 4);
        let without = simulate(&cfg, Instant::now()).unwrap();
        cfg.breaks = Some(Breaks {
            every_s: 3600.0,
            length_s: 900.0,
        });
        let with = simulate(&cfg, Instant::now()).unwrap();
        assert_eq!(with.answered, with.offered, "{with:?}");
        assert!((without.occupancy - 10.0 / 16.0).abs() < 0.02, "{without:?}");
        assert!((with.occupancy - 10.0 / 12.0).abs() < 0.04, "{with:?}");
        let share = with.staffed_hours / without.staffed_hours;
        assert!((share - 0.75).abs() < 0.03, "{share} {with:?}");
        assert!(
            with.service_level < without.service_level,
            "{with:?} vs {without:?}"
        );
        cfg.breaks = Some(Breaks {
            every_s: 600.0,
            length_s: 600.0,
        });
        assert!(simulate(&cfg, Instant::now()).is_err());
    }

    #[test]
    fn the_routers_time_weighted_occupancy_matches_the_simulators_bookkeeping() {
        // The simulator counts busy and staffed time itself (staffed: on shift and not on
        // a break); the router integrates its agents' states on its clock. Same run, same
        // ratio: busy / (logged in − not ready).
        let mut cfg = SimConfig::new(16, 200.0, 180.0, 20.0, 5);
        cfg.breaks = Some(Breaks {
            every_s: 3600.0,
            length_s: 900.0,
        });
        cfg.schedule = vec![16, 12];
        let (report, stats) = simulate_with_stats(&cfg, Instant::now()).unwrap();
        let time = stats.agent_time;
        let router = time.occupancy_excluding_not_ready().unwrap();
        assert!(
            (router - report.occupancy).abs() < 0.005,
            "{router} vs {report:?} ({time:?})"
        );
        let working_h = time.staffed.saturating_sub(time.not_ready).as_secs_f64() / 3600.0;
        assert!(
            (working_h - report.staffed_hours).abs() / report.staffed_hours < 0.01,
            "{working_h} vs {report:?}"
        );
        assert!(
            stats.occupancy.unwrap() < router,
            "breaks count as staffed there: {stats:?}"
        );
    }
}
