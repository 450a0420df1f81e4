//! `ccd ivr ...`: work with IVR flows before they meet a caller.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ccsdk::ivr::{Environment, Program, Severity, check, parse, testing};
use clap::Subcommand;

/// IVR flow commands.
#[derive(Debug, Subcommand)]
pub(crate) enum IvrCommand {
    /// Parse and check a flow; print every diagnostic as `file:line:col: error: ...`.
    /// Exit status 0 when there is no error (warnings allowed), 1 otherwise.
    Check {
        /// The flow file.
        flow: PathBuf,
        /// A TOML file naming what the flow may use: queues, prompts, lists, calendars,
        /// hooks, external destinations, mailboxes, and `prompt_dirs` (folders whose
        /// `.wav` files are the prompts on disk). Without it only the flow itself is checked.
        #[arg(long, value_name = "ENV.toml")]
        env: Option<PathBuf>,
    },
    /// Run a flow's test script: scripted callers (caller number, time of call, keys with
    /// timing, hook replies) and the actions each expects. Prints pass/fail per case and
    /// the steps and branches exercised. Exit status 0 when every case passes (and the
    /// coverage floor, if given, is met), 1 otherwise.
    Test {
        /// The flow file.
        flow: PathBuf,
        /// The test script (see `examples/flows/it_hotline.test`).
        script: PathBuf,
        /// Fail unless at least this share of branches (in percent) is exercised.
        #[arg(long, value_name = "PERCENT")]
        min_branch_coverage: Option<f64>,
    },
}

pub(crate) fn run(command: IvrCommand) -> ExitCode {
    match command {
        IvrCommand::Check { flow, env } => check_flow(&flow, env.as_deref()),
        IvrCommand::Test {
            flow,
            script,
            min_branch_coverage,
        } => test_flow(&flow, &script, min_branch_coverage),
    }
}

fn test_flow(flow_path: &Path, script_path: &Path, min_branch_coverage: Option<f64>) -> ExitCode {
    let read = |path: &Path, what: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
    };
    let (source, script) = match (read(flow_path, "flow"), read(script_path, "test script")) {
        (Ok(source), Ok(script)) => (source, script),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("ccd: {e}");
            return ExitCode::FAILURE;
        }
    };
    let name = flow_path.display().to_string();
    let program = match Program::compile(&source, &Environment::default()) {
        Ok(program) => program,
        Err(err) => {
            for d in &err.errors {
                print!("{}", d.render(&name, &source));
            }
            println!("{name}: {} error(s); fix them before testing", err.errors.len());
            return ExitCode::FAILURE;
        }
    };
    let report = match testing::run(&program, &script) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("ccd: {}:{e}", script_path.display());
            return ExitCode::FAILURE;
        }
    };
    for case in &report.cases {
        match &case.failure {
            None => println!("pass  {}", case.name),
            Some(why) => println!("FAIL  {}\n      {}:{why}", case.name, script_path.display()),
        }
    }
    let passed = report.cases.iter().filter(|c| c.failure.is_none()).count();
    println!("{passed} passed, {} failed", report.cases.len() - passed);
    print!(
        "coverage of {name} (version {}): {}",
        program.version, report.coverage
    );
    let coverage = &report.coverage;
    let branch_pct = if coverage.branches_total == 0 {
        100.0
    } else {
        coverage.branches_covered as f64 * 100.0 / coverage.branches_total as f64
    };
    let floor_met = min_branch_coverage.is_none_or(|floor| branch_pct + 1e-9 >= floor);
    if !floor_met {
        println!(
            "branch coverage {branch_pct:.1}% is below the floor of {:.1}%",
            min_branch_coverage.unwrap_or_default()
        );
    }
    if report.passed() && floor_met {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_flow(path: &Path, env_path: Option<&Path>) -> ExitCode {
    let env = match env_path.map(load_environment).transpose() {
        Ok(env) => env.unwrap_or_default(),
        Err(message) => {
            eprintln!("ccd: {message}");
            return ExitCode::FAILURE;
        }
    };
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("ccd: cannot read flow {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let name = path.display().to_string();
    let parse = parse(&source);
    let mut diagnostics = parse.diagnostics;
    if let Some(flow) = &parse.flow {
        diagnostics.extend(check(flow, &env));
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    for d in &diagnostics {
        print!("{}", d.render(&name, &source));
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    println!("{name}: {errors} error(s), {warnings} warning(s)");
    tracing::debug!(errors, warnings, "flow checked");
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Reads an environment file. `prompt_dirs` (relative to the file) adds the stem of every
/// `.wav` file below those folders to `prompts`.
fn load_environment(path: &Path) -> Result<Environment, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read environment {}: {e}", path.display()))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let dirs: Vec<String> = match table.remove("prompt_dirs") {
        None => Vec::new(),
        Some(value) => value.try_into().map_err(|e| {
            format!(
                "{}: prompt_dirs: {e}; expected a list of folder paths",
                path.display()
            )
        })?,
    };
    let mut env: Environment = table.try_into().map_err(|e| format!("{}: {e}", path.display()))?;
    if !dirs.is_empty() {
        let base = path.parent().unwrap_or(Path::new("."));
        let prompts = env.prompts.get_or_insert_with(BTreeSet::new);
        for dir in dirs {
            let dir = base.join(dir);
            collect_wav_stems(&dir, prompts, 0)
                .map_err(|e| format!("prompt_dirs: {}: {e}", dir.display()))?;
        }
    }
    Ok(env)
}

/// Adds the stems of `.wav` files in `dir` and its sub-folders (one per language,
/// e.g. `prompts/zh-CN/welcome.wav`), two levels deep at most.
fn collect_wav_stems(dir: &Path, out: &mut BTreeSet<String>, depth: u32) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if depth < 2 {
                collect_wav_stems(&path, out, depth + 1)?;
            }
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"))
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            out.insert(stem.to_owned());
        }
    }
    Ok(())
}
