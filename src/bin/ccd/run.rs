//! `ccd run CONFIG`: a center until SIGTERM or Ctrl-C.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ccsdk::center::config::CenterConfig;
use ccsdk::center::runtime::Center;

pub(crate) fn run(path: &Path) -> ExitCode {
    let config = match CenterConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ccd: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ccd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let drain = config.center.drain.0;
        let center = match Center::start(config).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("ccd: {e}");
                return ExitCode::FAILURE;
            }
        };
        let handle = center.handle();
        let http = handle.http_addr().map_or_else(|| "off".to_owned(), |a| a.to_string());
        tracing::info!(sip = %handle.sip_addr(), %http, database = %handle.database().display(), "center running");
        run_until_stopped(path, &handle).await;
        tracing::info!(
            drain_s = drain.as_secs(),
            "stopping: no new calls; live calls may finish"
        );
        handle.stop(drain).await;
        let summary = center.wait().await;
        tracing::info!(
            offered = summary.all.offered,
            answered = summary.all.answered,
            abandoned = summary.all.abandoned,
            "center stopped; every record is written"
        );
        ExitCode::SUCCESS
    })
}

/// Reloads the configuration on SIGHUP until SIGTERM or SIGINT arrives.
async fn run_until_stopped(path: &Path, handle: &ccsdk::center::runtime::CenterHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut hup) = signal(SignalKind::hangup()) {
            loop {
                tokio::select! {
                    () = wait_for_stop_signal() => return,
                    _ = hup.recv() => reload(path, handle).await,
                }
            }
        }
    }
    wait_for_stop_signal().await;
}

async fn reload(path: &Path, handle: &ccsdk::center::runtime::CenterHandle) {
    let config = match CenterConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "reload refused; the running configuration stays");
            return;
        }
    };
    match handle.reload(config).await {
        Ok(deferred) => {
            tracing::info!("configuration reloaded; live calls continue");
            for note in deferred {
                tracing::warn!(%note, "not applied until a restart");
            }
        }
        Err(problems) => {
            for p in problems {
                tracing::error!(%p, "reload refused; the running configuration stays");
            }
        }
    }
}

/// SIGTERM or SIGINT (Ctrl-C).
pub(crate) async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    // A second signal while draining is not awaited: the drain time bounds the stop.
    let _ = Duration::ZERO;
}
