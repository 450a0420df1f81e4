//! `ccd ivr ...`: work with IVR flows before they meet a caller.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ccsdk::ivr::{Environment, Severity, check, parse};
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
}

pub(crate) fn run(command: IvrCommand) -> ExitCode {
    match command {
        IvrCommand::Check { flow, env } => check_flow(&flow, env.as_deref()),
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
