//! Checks one raw SIP message read from a file: the contract used by the conformance
//! check.
//!
//! ```text
//! cargo run --release --example sip_parse -- FILE
//! ```
//!
//! Exit status 0 and a one-line summary on stdout when FILE holds a well-formed SIP
//! message; exit status 1 and a line naming what is wrong on stderr otherwise (also for a
//! missing argument or an unreadable file). No other exit status, no panic.

use std::io::Write;
use std::process::ExitCode;

fn run() -> Result<String, String> {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        return Err("usage: sip_parse FILE (exactly one file holding one raw SIP message)".to_owned());
    };
    ccsdk::sip::check_message_file(&path).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    // The library returns errors for bad input and does not panic; should a bug panic
    // anyway, the contract still holds: report it and exit 1.
    let outcome =
        std::panic::catch_unwind(run).unwrap_or_else(|_| Err("internal error while parsing".to_owned()));
    match outcome {
        Ok(summary) => {
            // A closed stdout must not turn into a panic or another exit status.
            let _ = writeln!(std::io::stdout(), "ok: {summary}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            let _ = writeln!(std::io::stderr(), "error: {reason}");
            ExitCode::from(1)
        }
    }
}
