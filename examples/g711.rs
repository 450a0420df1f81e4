//! G.711 files from the command line.
//!
//! ```text
//! cargo run --example g711 -- encode --law mu IN.wav OUT.raw   # IN: 8 kHz mono 16-bit WAV
//! cargo run --example g711 -- decode --law a IN.raw OUT.wav    # OUT: 8 kHz mono 16-bit WAV
//! ```
//!
//! Errors (bad arguments, a WAV in another format, unreadable files) print one message and
//! exit with status 2 (usage) or 1 (anything else).

use std::process::ExitCode;

use ccsdk::media::Error;
use ccsdk::media::g711_cli::{Command, USAGE, parse_args, run};

fn main() -> ExitCode {
    let invocation = match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(invocation)) => invocation,
        Err(err) => {
            eprintln!("g711: {err}");
            return ExitCode::from(2);
        }
    };
    match run(&invocation) {
        Ok(_) => ExitCode::SUCCESS,
        Err(err @ Error::Usage { .. }) => {
            eprintln!("g711: {err}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("g711: {err}");
            ExitCode::FAILURE
        }
    }
}
