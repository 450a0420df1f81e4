//! `ccd check CONFIG`: everything wrong with a configuration, before it meets a caller.

use std::path::Path;
use std::process::ExitCode;

use ccsdk::center::config::CenterConfig;
use ccsdk::ivr::Severity;

pub(crate) fn run(path: &Path) -> ExitCode {
    let config = match CenterConfig::load(path) {
        Ok(config) => config,
        Err(e) => {
            println!("{e}");
            println!("{}: 1 error(s)", path.display());
            return ExitCode::FAILURE;
        }
    };
    let problems = config.check();
    for p in &problems {
        println!("{p}");
    }
    let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
    println!(
        "{}: {errors} error(s), {} warning(s); {} tenant(s), {} queue(s), {} agent(s), {} flow(s)",
        path.display(),
        problems.len() - errors,
        config.tenants.len(),
        config.queues.len(),
        config.agents.len(),
        config.flows.len()
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
