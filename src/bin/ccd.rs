//! `ccd`: the reference contact-center daemon.
//!
//! It assembles the SDK's layers into a running center from one TOML file: `ccd run`,
//! `ccd check`, `ccd demo`, and the flow tools under `ccd ivr`.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[path = "ccd/check.rs"]
mod check;
#[path = "ccd/demo.rs"]
mod demo;
#[path = "ccd/ivr.rs"]
mod ivr;
#[path = "ccd/run.rs"]
mod run;
use tracing_subscriber::EnvFilter;

/// The reference contact-center daemon of the ccsdk SDK.
#[derive(Debug, Parser)]
#[command(name = "ccd", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Log format: human-readable lines, or one JSON object per line for log collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,

    /// Log filter in `tracing` env-filter syntax (e.g. `info`, `cc_sip=debug,warn`).
    /// Defaults to the RUST_LOG environment variable, else `info`.
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version of ccd and of each SDK layer it links.
    Version,
    /// Check a center configuration and every flow it names; print each problem with its
    /// key path or `file:line:col`. Exit status 0 when there is no error, 1 otherwise.
    Check {
        /// The configuration file.
        config: std::path::PathBuf,
    },
    /// Run a center from a configuration file until SIGTERM or Ctrl-C (then stop
    /// gracefully: no new calls, live calls finish or are ended, records flushed).
    /// SIGHUP reloads the file without dropping calls.
    Run {
        /// The configuration file.
        config: std::path::PathBuf,
    },
    /// Run the built-in demo center with simulated callers and agents (real SIP and RTP
    /// on 127.0.0.1) and a live wallboard; print a summary at the end.
    Demo(demo::DemoArgs),
    /// Work with IVR flows: check them before they meet a caller.
    #[command(subcommand)]
    Ivr(ivr::IvrCommand),
}

fn init_logging(format: LogFormat, filter: Option<&str>) -> Result<(), String> {
    let filter = match filter {
        Some(directives) => {
            EnvFilter::try_new(directives).map_err(|e| format!("invalid --log {directives:?}: {e}"))?
        }
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|e| format!("cannot install the logger: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = init_logging(cli.log_format, cli.log.as_deref()) {
        eprintln!("ccd: {message}");
        return ExitCode::from(2);
    }
    match cli.command {
        Command::Version => {
            println!("ccd {}", env!("CARGO_PKG_VERSION"));
            for (layer, version) in ccsdk::LAYERS {
                println!("  {layer} {version}");
            }
            tracing::debug!("version printed");
            ExitCode::SUCCESS
        }
        Command::Ivr(command) => ivr::run(command),
        Command::Check { config } => check::run(&config),
        Command::Run { config } => run::run(&config),
        Command::Demo(args) => demo::run(&args),
    }
}
