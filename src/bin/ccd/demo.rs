//! `ccd demo`: the built-in demo center, a live wallboard, a summary.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ccsdk::center::demo::{DemoOptions, run as run_demo};
use ccsdk::center::runtime::Snapshot;
use clap::Args;

/// Options of `ccd demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How long simulated callers keep calling, in seconds.
    #[arg(long, default_value_t = 60, value_name = "N")]
    seconds: u64,
    /// Print the summary as JSON (keys `offered`, `answered`, `abandoned`,
    /// `service_level`, `asa_s`, `aht_s`, `recordings`, `database`...) instead of the wallboard.
    #[arg(long)]
    json: bool,
    /// Where the configuration, prompts, database and recordings go.
    #[arg(long, default_value = "ccd-demo", value_name = "DIR")]
    data_dir: PathBuf,
}

pub(crate) fn run(args: &DemoArgs) -> ExitCode {
    let options = DemoOptions {
        data_dir: args.data_dir.clone(),
        duration: Duration::from_secs(args.seconds),
        ..DemoOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ccd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = args.json;
    let live = !json && std::io::stdout().is_terminal();
    let report = runtime.block_on(run_demo(&options, |snapshot, left| {
        if !json {
            wallboard(snapshot, left, live);
        }
    }));
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ccd: the demo could not run: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("ccd: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!();
        println!("Demo over: {} calls placed", report.calls_placed);
        println!(
            "  offered {}  answered {}  abandoned {}  ended in the IVR {}  callbacks {}",
            report.offered, report.answered, report.abandoned, report.ivr_only, report.callbacks
        );
        println!(
            "  service level {:.0}%  ASA {:.1} s  AHT {:.1} s",
            report.service_level * 100.0,
            report.asa_s,
            report.aht_s
        );
        println!("  database   {}", report.database);
        println!("  config     {} (prompts: {})", report.config, report.prompts);
        println!("  recordings {}", report.recordings.len());
        for r in &report.recordings {
            println!("    {r}");
        }
    }
    ExitCode::SUCCESS
}

/// The wallboard: redrawn in place on a terminal, one block per second otherwise.
fn wallboard(s: &Snapshot, left: Duration, live: bool) {
    let mut out = String::new();
    if live {
        out.push_str("\x1b[2J\x1b[H");
    }
    let t = &s.summary.all;
    let _ = writeln!(
        out,
        "ccd demo — {} s left   live calls {}   offered {}  answered {}  abandoned {}  SL {:.0}%  ASA {:.1} s",
        left.as_secs(),
        s.summary.live_calls,
        t.offered,
        t.answered,
        t.abandoned,
        t.service_level() * 100.0,
        t.asa_s()
    );
    out.push_str("queue          tenant   waiting  longest  talking  ready  busy  wrap-up  not-ready\n");
    for q in &s.queues {
        let _ = writeln!(
            out,
            "{:<14} {:<8} {:>7} {:>7.0}s {:>8} {:>6} {:>5} {:>8} {:>10}",
            q.queue,
            q.tenant,
            q.waiting,
            q.longest_wait_s,
            q.in_service,
            q.agents_ready,
            q.agents_busy,
            q.agents_wrap_up,
            q.agents_not_ready
        );
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}
