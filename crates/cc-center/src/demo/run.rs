//! `ccd demo`: the demo center with simulated callers and agents on 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use cc_media::engine::{EngineConfig, MediaEngine};
use serde::Serialize;
use tokio::time::Instant;

use crate::config::CenterConfig;
use crate::runtime::{Center, Snapshot, StartError};
use crate::sim::{AgentBehavior, CallerScript, DtmfMode, SimAgent, SimCaller};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where configuration, prompts, database and recordings go.
    pub data_dir: PathBuf,
    /// How long callers keep coming.
    pub duration: Duration,
    /// Seconds between new calls, on average.
    pub call_every: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("ccd-demo"),
            duration: Duration::from_secs(60),
            call_every: Duration::from_millis(1_500),
        }
    }
}

/// What the demo did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// Calls that reached a queue.
    pub offered: u64,
    /// Calls an agent answered.
    pub answered: u64,
    /// Callers who hung up while waiting.
    pub abandoned: u64,
    /// Calls that ended in the IVR.
    pub ivr_only: u64,
    /// Callbacks requested.
    pub callbacks: u64,
    /// Share of offered calls answered within the service-level threshold (0 to 1).
    pub service_level: f64,
    /// Average speed of answer, seconds.
    pub asa_s: f64,
    /// Average handle time, seconds.
    pub aht_s: f64,
    /// Calls the simulated callers placed.
    pub calls_placed: u64,
    /// Agents' phones that registered (with digest authentication) before calls began.
    pub registered_phones: usize,
    /// Recordings written.
    pub recordings: Vec<String>,
    /// The database.
    pub database: String,
    /// The configuration the demo ran (check it with `ccd check`).
    pub config: String,
    /// How the prompts were made: `speech` (espeak-ng), `tones`, or `existing`.
    pub prompts: String,
}

/// Runs the demo; `tick` is called about once a second with the live snapshot and the
/// time left.
pub async fn run(
    options: &DemoOptions,
    mut tick: impl FnMut(&Snapshot, Duration),
) -> Result<DemoReport, StartError> {
    let (config_path, prompts) = super::write(&options.data_dir.join("demo"))?;
    let mut config =
        CenterConfig::load(&config_path).map_err(|e| StartError::Io(std::io::Error::other(e.to_string())))?;
    config.center.data_dir = std::path::absolute(&options.data_dir)?;

    // The phones of the eight agents and of the callers.
    let phones = MediaEngine::start(EngineConfig {
        workers: 1,
        ..EngineConfig::new(LOCAL, 28_000, 29_999)
    })?;
    let mut agents = Vec::new();
    for (i, agent) in config.agents.iter().enumerate() {
        let behavior = AgentBehavior {
            answer_after: Duration::from_millis(600 + 250 * (i as u64 % 4)),
            talk_for: Duration::from_secs(6 + 3 * (i as u64 % 3)),
            busy: false,
            pitch: 4 + i % 4,
        };
        let phone = SimAgent::spawn(agent.sip_user(), LOCAL, phones.clone(), behavior).await?;
        agents.push((
            agent.sip_user().to_owned(),
            agent.password.clone().unwrap_or_default(),
            phone,
        ));
    }
    let center = match Center::start(config.clone()).await {
        Ok(c) => c,
        // The demo's usual SIP port is taken (another demo?): any free port will do.
        Err(StartError::Sip(_)) => {
            config.sip.listen = SocketAddr::new(LOCAL, 0);
            Center::start(config.clone()).await?
        }
        Err(e) => return Err(e),
    };
    let handle = center.handle();
    let sip = handle.sip_addr();
    // The agents' phones register with digest authentication, as desk phones do.
    let mut registered = 0;
    for (user, password, phone) in &agents {
        if let Err(e) = phone.register(sip, &config.sip.domain, password).await {
            tracing::warn!(%user, error = %e, "a demo phone did not register");
            continue;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if handle.registrations(user).await.is_ok_and(|c| !c.is_empty()) {
                registered += 1;
                break;
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // The two technical-support agents start in training: the first support callers
    // wait, and one of them asks to be called back.
    let trainees: Vec<cc_core::AgentId> = ["1003", "9001"].iter().filter_map(|a| a.parse().ok()).collect();
    for a in &trainees {
        let _ = handle.not_ready(a, "training").await;
    }
    let back = handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(12)).await;
        for a in &trainees {
            let _ = back.ready(a).await;
        }
    });

    let start = Instant::now();
    let end = start + options.duration;
    let mut calls = tokio::task::JoinSet::new();
    let mut placed = 0u64;
    let mut next_call = start;
    let mut next_tick = start;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now >= next_call {
            placed += 1;
            let n = placed;
            let phones = phones.clone();
            calls.spawn(async move { simulated_call(n, sip, phones).await });
            // Arrivals vary between half and one and a half times the mean gap.
            let jitter = (n * 7919 % 11) as f64 / 10.0;
            next_call = now + options.call_every.mul_f64(0.5 + jitter);
        }
        if now >= next_tick {
            if let Ok(snapshot) = handle.snapshot().await {
                tick(&snapshot, end.saturating_duration_since(now));
            }
            next_tick = now + Duration::from_secs(1);
        }
        tokio::time::sleep_until(next_call.min(next_tick).min(end)).await;
    }
    // Callers already in line finish (bounded), then the center stops.
    let _ = tokio::time::timeout(Duration::from_secs(25), async {
        while calls.join_next().await.is_some() {}
    })
    .await;
    calls.abort_all();
    handle.stop(Duration::from_secs(3)).await;
    let summary = center.wait().await;
    for (_, _, phone) in agents {
        phone.stop().await;
    }
    let t = &summary.all;
    Ok(DemoReport {
        offered: t.offered,
        answered: t.answered,
        abandoned: t.abandoned,
        ivr_only: t.ivr_only,
        callbacks: t.callbacks,
        service_level: t.service_level(),
        asa_s: t.asa_s(),
        aht_s: t.aht_s(),
        calls_placed: placed,
        registered_phones: registered,
        recordings: summary.recordings,
        database: path_text(handle.database()),
        config: path_text(&config_path),
        prompts: match prompts {
            super::PromptSource::Speech => "speech",
            super::PromptSource::Tones => "tones",
            super::PromptSource::Existing => "existing",
        }
        .to_owned(),
    })
}

fn path_text(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_owned())
        .display()
        .to_string()
}

/// One simulated caller: most press 1 (sales) or 2 (support) for ACME or just wait for
/// Globex; every seventh gives up after a short wait; the second asks for a callback
/// while support is still in training.
async fn simulated_call(n: u64, center: SocketAddr, phones: MediaEngine) {
    let user = format!("1380013{n:04}");
    let Ok(mut caller) = SimCaller::new(&user, LOCAL, phones).await else {
        return;
    };
    let acme = !n.is_multiple_of(3);
    let did = if acme { "4001000001" } else { "4001000002" };
    let mut keys = Vec::new();
    if acme {
        keys.push((
            Duration::from_millis(1_200),
            if n.is_multiple_of(2) { '1' } else { '2' },
        ));
    }
    let callback = n == 2;
    if callback {
        keys = vec![(Duration::from_millis(1_200), '2'), (Duration::from_secs(2), '1')];
    }
    let patience = if n.is_multiple_of(7) {
        Duration::from_secs(6)
    } else {
        Duration::from_secs(40)
    };
    let script = CallerScript {
        dtmf: DtmfMode::Info,
        keys,
        hang_up_after: patience,
        pitch: (n % 4) as usize,
    };
    let _ = caller.call(center, did, &script, Duration::from_secs(60)).await;
    if callback {
        // Wait for the center to call back, talk, and let the agent end the call.
        let _ = caller
            .answer_next(Duration::from_secs(30), Duration::from_secs(30))
            .await;
    }
    caller.stop().await;
}
