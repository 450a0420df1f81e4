//! The center running for real: call control driven by SIP (cc-sip's endpoint) and RTP
//! (cc-media's engine), records written to the store.
//!
//! [`Center::start`] binds the SIP endpoint (with the registrar for agents' phones),
//! starts the media engine and the storage writer, and runs call control on one task:
//! every SIP event, media event, timer and API request is an input; every
//! [`Order`](crate::control::Order) is carried out on the lines. [`CenterHandle`] logs
//! agents in and out, reads live statistics and stops the center gracefully.

mod api;
mod directory;
mod events;
mod lines;
pub(crate) mod media;
mod orders;
mod recover;
mod retention;
mod sip_events;
mod summary;
mod supervise;
mod trunks;
mod writer;

pub use api::{CenterHandle, QueueView, Snapshot};
pub use events::{CenterEvent, EventKind};
pub use summary::{Summary, Totals};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use cc_core::{ContactId, Timestamp};
use cc_media::engine::{EngineConfig, MediaEngine, SessionEvent};
use cc_media::player::prompt::PromptSet;
use cc_media::recorder::LocalStore;
use cc_sip::auth::{Algorithm, DigestServer};
use cc_sip::registrar::{Registrar, RegistrarConfig};
use cc_sip::transport::{Endpoint, EndpointConfig, EndpointHandle};
use cc_sip::ua::{LegId, UaEvent};
use tokio::sync::{mpsc, oneshot};

use crate::config::{CenterConfig, DigestAlgorithm};
use crate::control::CallControl;
use crate::store::Store;
use lines::{Line, Role};

/// Why the center could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration has errors (each listed).
    #[error("the configuration has errors:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<crate::config::Problem>),
    /// The data directory or database could not be opened.
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
    /// SIP could not bind.
    #[error("SIP: {0}")]
    Sip(#[from] cc_sip::Error),
    /// The media engine could not start.
    #[error("media: {0}")]
    Media(#[from] cc_media::Error),
    /// A file or folder could not be made.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// An input of the control task that is not a SIP event.
#[derive(Debug)]
enum Input {
    Media {
        contact: ContactId,
        role: Role,
        event: SessionEvent,
    },
    VoicemailTimeUp {
        contact: ContactId,
    },
}

/// A running center.
pub struct Center {
    handle: CenterHandle,
    task: tokio::task::JoinHandle<Summary>,
}

impl Center {
    /// Starts a center on the current tokio runtime.
    pub async fn start(config: CenterConfig) -> Result<Self, StartError> {
        let engines = config.engines().map_err(StartError::Config)?;
        let data_dir = config.data_dir();
        std::fs::create_dir_all(&data_dir)?;
        let db_path = data_dir.join("ccd.db");
        let store = match &config.center.storage {
            Some(url) => Store::open(url).await?,
            None => Store::open_file(&db_path).await?,
        };
        let recordings_dir = data_dir.join("recordings");
        let recordings = Arc::new(LocalStore::new(recordings_dir.clone()));

        let epoch = Instant::now();
        let secret = random_secret();
        let algorithms: Vec<Algorithm> = config
            .sip
            .digest
            .iter()
            .map(|a| match a {
                DigestAlgorithm::Sha256 => Algorithm::Sha256,
                DigestAlgorithm::Md5 => Algorithm::Md5,
            })
            .collect();
        let digest = |domain: &str| DigestServer::new(domain, &secret, epoch).with_algorithms(&algorithms);
        let mut registrar = Registrar::new(&config.sip.domain, &secret, epoch, RegistrarConfig::default())
            .with_digest(digest(&config.sip.domain));
        for domain in directory::tenant_domains(&config) {
            registrar = registrar.with_domain(&domain, digest(&domain));
        }
        let mut sip_config = EndpointConfig::new(config.sip.listen)
            .with_registrar(registrar, directory::AgentDirectory::new(&config));
        if config.sip.tcp {
            sip_config = sip_config.with_tcp();
        }
        let (sip, sip_events) = Endpoint::bind(sip_config).await?;

        let mut engine_config = EngineConfig::new(config.rtp.bind, config.rtp.port_min, config.rtp.port_max);
        if config.rtp.workers > 0 {
            engine_config.workers = config.rtp.workers;
        }
        engine_config.rtp_timeout = config.rtp.timeout.0;
        engine_config.prompts = config
            .prompts
            .root
            .as_ref()
            .map(|root| Arc::new(PromptSet::new(config.resolve(root))));
        let media = MediaEngine::start(engine_config)?;

        let (store_tx, store_rx) = mpsc::unbounded_channel();
        for entry in recover::recover(&recordings_dir) {
            tracing::warn!(path = %entry.path, duration_ms = entry.duration_ms, "recovered a recording a crash left unfinished");
            let _ = store_tx.send(writer::Job::Audit {
                tenant: Some(entry.tenant.clone()),
                at: Timestamp::now(),
                actor: "ccd".to_owned(),
                action: "recording_recovered".to_owned(),
                detail: entry.recording.to_string(),
            });
            let _ = store_tx.send(writer::Job::Recording(entry));
        }
        let api_store = store.clone();
        let writer = tokio::spawn(writer::run(store, store_rx));
        let (api_tx, api_rx) = mpsc::channel(64);
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let control = CallControl::new(&config, engines, now, Timestamp::now());
        let sip_addr = sip.local_addr();
        let publisher = events::Publisher::new();
        let event_tx = publisher.sender();
        let config = Arc::new(config);
        let runtime = Runtime {
            control,
            sip,
            media,
            store_tx,
            recordings,
            lines: HashMap::new(),
            legs: HashMap::new(),
            input_tx,
            config: config.clone(),
            stopping: None,
            summary: Summary::default(),
            session_seq: 0,
            publisher,
            trunks: trunks::Trunks::default(),
        };
        let http = match config.http.listen {
            Some(addr) => Some(crate::http::bind(addr).await?),
            None => None,
        };
        let http_addr = http.as_ref().and_then(|l| l.local_addr().ok());
        // The handle subscribes before the center runs, so its first subscriber misses
        // nothing.
        let handle = CenterHandle::new(api_tx, event_tx, sip_addr, db_path, recordings_dir, http_addr);
        let (stopped_tx, stopped) = tokio::sync::watch::channel(false);
        if let Some(listener) = http {
            let state = crate::http::ApiState {
                handle: handle.clone(),
                store: api_store,
                config,
                stopped,
            };
            tokio::spawn(crate::http::serve(listener, state));
        }
        let task = tokio::spawn(async move {
            let summary = runtime.run(sip_events, input_rx, api_rx).await;
            let _ = writer.await;
            let _ = stopped_tx.send(true);
            summary
        });
        Ok(Self { handle, task })
    }

    /// A handle for agents, statistics and stopping.
    pub fn handle(&self) -> CenterHandle {
        self.handle.clone()
    }

    /// Waits until the center has stopped (after [`CenterHandle::stop`]); returns its
    /// totals. Every record has been written when this returns.
    pub async fn wait(self) -> Summary {
        self.task.await.unwrap_or_default()
    }
}

/// The control task's state.
struct Runtime {
    control: CallControl,
    sip: EndpointHandle,
    media: MediaEngine,
    store_tx: mpsc::UnboundedSender<writer::Job>,
    recordings: Arc<LocalStore>,
    lines: HashMap<ContactId, Line>,
    legs: HashMap<LegId, (ContactId, Role)>,
    input_tx: mpsc::UnboundedSender<Input>,
    config: Arc<CenterConfig>,
    /// Set by a stop request: refuse new calls; when the deadline passes, end live ones.
    stopping: Option<(Instant, Vec<oneshot::Sender<()>>)>,
    summary: Summary,
    session_seq: u64,
    publisher: events::Publisher,
    trunks: trunks::Trunks,
}

impl Runtime {
    async fn run(
        mut self,
        mut sip_events: mpsc::Receiver<UaEvent>,
        mut inputs: mpsc::UnboundedReceiver<Input>,
        mut api: mpsc::Receiver<api::Request>,
    ) -> Summary {
        // The first tick comes at once: a center started after a long stop purges first.
        let mut retention = tokio::time::interval(retention::SWEEP_EVERY);
        retention.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.start_trunks(Instant::now()).await;
        loop {
            let deadline = [
                self.control.poll_timeout(),
                self.stopping.as_ref().map(|s| s.0),
                self.trunk_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = sip_events.recv() => match event {
                    Some(event) => self.on_sip(event).await,
                    None => break,
                },
                Some(input) = inputs.recv() => self.on_input(input).await,
                Some(request) = api.recv() => self.on_api(request).await,
                _ = retention.tick() => {
                    for (tenant, before) in retention::cutoffs(&self.config, Timestamp::now()) {
                        let _ = self.store_tx.send(writer::Job::Purge { tenant, before });
                    }
                }
                () = sleep => {
                    let now = Instant::now();
                    self.control.handle_timeout(now);
                    self.probe_trunks(now).await;
                    if self.stopping.as_ref().is_some_and(|s| s.0 <= now) {
                        self.end_all().await;
                        // Everything is ended and written: nothing may keep the stop waiting.
                        self.execute_orders().await;
                        break;
                    }
                }
            }
            self.execute_orders().await;
            self.record_events();
            if self.stopping.is_some() && self.lines.is_empty() && self.control.live_calls() == 0 {
                break;
            }
        }
        self.shutdown().await
    }

    async fn on_input(&mut self, input: Input) {
        match input {
            Input::Media { contact, role, event } => self.on_media(contact, role, event).await,
            Input::VoicemailTimeUp { contact } => self.finish_voicemail(&contact).await,
        }
    }

    /// Agent state changes go to the history table.
    fn record_events(&mut self) {
        while let Some(event) = self.control.poll_event() {
            if let cc_core::EventBody::Agent(a) = &event {
                #[allow(irrefutable_let_patterns)]
                let cc_core::AgentChange::Status { to, reason, .. } = &a.change else {
                    continue;
                };
                let state = serde_json::to_value(to)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let tenant = match a.tenants.as_slice() {
                    [one] => Some(one.to_string()),
                    _ => None,
                };
                self.publisher.publish(
                    tenant,
                    events::EventKind::Agent {
                        agent: a.agent.to_string(),
                        status: state.clone(),
                        reason: reason.clone(),
                    },
                );
                let _ = self.store_tx.send(writer::Job::AgentState {
                    agent: a.agent.to_string(),
                    state,
                    reason: reason.clone(),
                    at: Timestamp::now(),
                });
            }
        }
    }

    /// Ends every live call (the drain time of a stop ran out): hangs up every leg, then
    /// call control ends what it still holds (callbacks not yet made), so every record is
    /// written.
    async fn end_all(&mut self) {
        let now = Instant::now();
        let legs: Vec<LegId> = self.legs.keys().copied().collect();
        for leg in legs {
            let _ = self.sip.hangup(leg).await;
        }
        self.control.end_all(now);
        self.execute_orders().await;
        // Lines with no record left (none expected) are closed too: the center is stopping.
        for (_, line) in self.lines.drain() {
            line.close_all();
        }
        self.legs.clear();
    }

    async fn shutdown(mut self) -> Summary {
        for (_, line) in self.lines.drain() {
            line.close_all();
        }
        self.sip.shutdown().await;
        self.media.shutdown();
        self.summary.live_calls = 0;
        if let Some((_, waiters)) = self.stopping.take() {
            for w in waiters {
                let _ = w.send(());
            }
        }
        drop(self.store_tx);
        self.summary
    }

    fn next_session_id(&mut self) -> u64 {
        self.session_seq += 1;
        self.session_seq
    }

    fn forward_events(&self, contact: &ContactId, role: Role, session: &cc_media::engine::MediaSession) {
        let events = session.events();
        let tx = self.input_tx.clone();
        let contact = contact.clone();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let input = Input::Media {
                    contact: contact.clone(),
                    role: role.clone(),
                    event,
                };
                if tx.send(input).is_err() {
                    break;
                }
            }
        });
    }
}

/// 32 bytes for keying digest nonces: std seeds every `RandomState` from the operating
/// system's random source, so four of them give unpredictable bits without another crate.
fn random_secret() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(u64::from(std::process::id()));
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonce_secrets_differ_between_calls() {
        let (a, b) = (super::random_secret(), super::random_secret());
        assert_ne!(a, b);
        assert_ne!(a, [0; 32]);
    }
}
