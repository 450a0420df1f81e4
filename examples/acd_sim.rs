//! A virtual-time simulation of one ACD queue driven through the real router.
//!
//! ```text
//! cargo run --release --example acd_sim -- --agents 12 --calls-per-hour 200 --aht 180 \
//!     --hours 100 --seed 7 [--patience 120] [--sl-threshold 20] [--json] \
//!     [--lognormal-sigma 0.8] [--profile 0.5,1,1.5,1] [--schedule 12,12,8] \
//!     [--break-every 7200 --break-length 900]
//! ```
//!
//! Poisson arrivals (flat, or shaped by an hourly profile), exponential or log-normal
//! handle times, optional exponential patience, agent schedules (agents on shift per hour)
//! and breaks; seeded and deterministic. Prints the simulated service level, ASA, abandon rate and occupancy beside
//! what Erlang C predicts for the same inputs; with `--json`, one JSON object.

use std::process::ExitCode;
use std::time::Instant;

use ccsdk::acd::sim::{Breaks, HandleTimes, SimConfig, simulate};
use clap::Parser;

/// Simulate one ACD queue on virtual time and compare with Erlang C.
#[derive(Debug, Parser)]
#[command(name = "acd_sim")]
struct Args {
    /// Agents (all ready for the whole run unless `--schedule` or breaks say otherwise).
    #[arg(long)]
    agents: u32,
    /// Mean arrivals per hour (Poisson).
    #[arg(long)]
    calls_per_hour: f64,
    /// Mean handle time in seconds (exponential).
    #[arg(long)]
    aht: f64,
    /// Hours of arrivals.
    #[arg(long)]
    hours: f64,
    /// Seed of every random draw.
    #[arg(long)]
    seed: u64,
    /// Mean caller patience in seconds (exponential); callers never hang up without it.
    #[arg(long)]
    patience: Option<f64>,
    /// Service-level threshold in seconds.
    #[arg(long, default_value_t = 20.0)]
    sl_threshold: f64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Log-normal handle times with this shape σ (same mean) instead of exponential ones.
    #[arg(long)]
    lognormal_sigma: Option<f64>,
    /// Time-of-day profile: comma-separated arrival-rate multipliers for hour 0, 1, 2...
    /// of the run, repeating (e.g. `0.5,1,1.5,1`).
    #[arg(long, value_delimiter = ',')]
    profile: Vec<f64>,
    /// Agents on shift for hour 0, 1, 2... of the run, repeating (e.g. `12,12,8`).
    #[arg(long, value_delimiter = ',')]
    schedule: Vec<u32>,
    /// Each agent on shift takes a break once every this many seconds.
    #[arg(long, requires = "break_length")]
    break_every: Option<f64>,
    /// Length of a break, seconds.
    #[arg(long, requires = "break_every")]
    break_length: Option<f64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = SimConfig {
        agents: args.agents,
        calls_per_hour: args.calls_per_hour,
        aht_s: args.aht,
        hours: args.hours,
        seed: args.seed,
        patience_s: args.patience,
        sl_threshold_s: args.sl_threshold,
        handle: args
            .lognormal_sigma
            .map_or(HandleTimes::Exponential, |sigma| HandleTimes::LogNormal { sigma }),
        profile: args.profile,
        schedule: args.schedule,
        breaks: args
            .break_every
            .zip(args.break_length)
            .map(|(every_s, length_s)| Breaks { every_s, length_s }),
    };
    // The simulation runs on virtual time; this instant is only its origin.
    let report = match simulate(&config, Instant::now()) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("acd_sim: {err}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string(&report) {
            Ok(json) => println!("{json}"),
            Err(err) => {
                eprintln!("acd_sim: {err}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!(
            "offered {}  answered {}  abandoned {} ({:.1} %)",
            report.offered,
            report.answered,
            report.abandoned,
            report.abandon_rate * 100.0
        );
        println!(
            "service level ({} s) {:.3}   Erlang C {:.3}",
            args.sl_threshold, report.service_level, report.erlang_c_service_level
        );
        println!(
            "ASA {:.1} s   Erlang C {:.1} s",
            report.asa_s, report.erlang_c_asa_s
        );
        println!(
            "occupancy {:.3}   traffic {:.2} Erlangs on {} agents ({:.1} agent-hours staffed)",
            report.occupancy, report.traffic_erlangs, args.agents, report.staffed_hours
        );
    }
    ExitCode::SUCCESS
}
