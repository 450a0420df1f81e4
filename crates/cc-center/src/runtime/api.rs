//! The embedding API of a running center: agents, live statistics, stopping.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cc_core::{AgentId, ContactId, TenantId};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{Runtime, Summary};
use crate::control::SuperviseMode;

/// A request to the control task.
pub(crate) enum Request {
    Agent {
        agent: AgentId,
        change: AgentChange,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Supervise {
        supervisor: AgentId,
        contact: ContactId,
        action: SuperviseAction,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Transfer {
        agent: AgentId,
        contact: ContactId,
        target: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Snapshot(oneshot::Sender<Snapshot>),
    Contacts(TenantId, oneshot::Sender<Vec<ContactId>>),
    Registrations(String, oneshot::Sender<Vec<String>>),
    Reload(
        Box<crate::config::CenterConfig>,
        oneshot::Sender<Result<Vec<String>, Vec<crate::config::Problem>>>,
    ),
    Stop(Duration, oneshot::Sender<()>),
}

pub(crate) enum SuperviseAction {
    Join(SuperviseMode),
    Leave,
    Release,
    Transfer(String),
}

pub(crate) enum AgentChange {
    Login { ready: bool },
    Ready,
    NotReady(String),
    Logout,
}

/// One queue on the wallboard.
#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    /// The queue.
    pub queue: String,
    /// Its tenant.
    pub tenant: String,
    /// Contacts waiting.
    pub waiting: usize,
    /// Longest current wait, seconds.
    pub longest_wait_s: f64,
    /// Contacts with an agent now.
    pub in_service: usize,
    /// Agents ready now.
    pub agents_ready: u32,
    /// Agents ringing or talking.
    pub agents_busy: u32,
    /// Agents in after-call work.
    pub agents_wrap_up: u32,
    /// Agents logged in but not ready.
    pub agents_not_ready: u32,
}

/// The center at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Every queue.
    pub queues: Vec<QueueView>,
    /// Totals since start.
    pub summary: Summary,
}

/// A handle on a running center (cheap to clone, usable from any task).
#[derive(Clone)]
pub struct CenterHandle {
    tx: mpsc::Sender<Request>,
    events: broadcast::Sender<super::CenterEvent>,
    /// Subscribed before the center ran: the first subscriber gets it, and with it every
    /// event from number 1 (agents logged in at start included).
    first: std::sync::Arc<std::sync::Mutex<Option<broadcast::Receiver<super::CenterEvent>>>>,
    sip: SocketAddr,
    database: PathBuf,
    recordings: PathBuf,
    http: Option<SocketAddr>,
}

/// The center has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the center has stopped")]
pub struct Stopped;

impl CenterHandle {
    pub(crate) fn new(
        tx: mpsc::Sender<Request>,
        events: broadcast::Sender<super::CenterEvent>,
        sip: SocketAddr,
        database: PathBuf,
        recordings: PathBuf,
        http: Option<SocketAddr>,
    ) -> Self {
        let first = std::sync::Arc::new(std::sync::Mutex::new(Some(events.subscribe())));
        Self {
            tx,
            events,
            first,
            sip,
            database,
            recordings,
            http,
        }
    }

    /// A subscription to events from now on (never the first subscriber's).
    pub(crate) fn events(&self) -> broadcast::Receiver<super::CenterEvent> {
        self.events.subscribe()
    }

    /// The HTTP API's address, when `[http] listen` is set.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// Events: agent status changes, contacts that ended, registrations. The first
    /// subscriber receives every event from number 1 (it was subscribed before the center
    /// ran); later ones receive events from the moment they subscribe. A subscriber that
    /// falls more than 1,024 events behind misses the oldest (see
    /// [`CenterEvent::seq`](super::CenterEvent::seq)).
    pub fn subscribe(&self) -> broadcast::Receiver<super::CenterEvent> {
        let first = self.first.lock().ok().and_then(|mut f| f.take());
        first.unwrap_or_else(|| self.events.subscribe())
    }

    /// The SIP address the center listens on.
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip
    }

    /// The SQLite file the center writes by default (unused when `storage` names a
    /// PostgreSQL server).
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// The recordings folder.
    pub fn recordings(&self) -> &Path {
        &self.recordings
    }

    async fn agent(&self, agent: &AgentId, change: AgentChange) -> Result<(), String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Agent {
                agent: agent.clone(),
                change,
                reply,
            })
            .await
            .map_err(|_| Stopped.to_string())?;
        rx.await.map_err(|_| Stopped.to_string())?
    }

    /// Logs an agent in, ready or not.
    pub async fn login(&self, agent: &AgentId, ready: bool) -> Result<(), String> {
        self.agent(agent, AgentChange::Login { ready }).await
    }

    /// Makes an agent ready.
    pub async fn ready(&self, agent: &AgentId) -> Result<(), String> {
        self.agent(agent, AgentChange::Ready).await
    }

    /// Makes an agent not ready for `reason`.
    pub async fn not_ready(&self, agent: &AgentId, reason: &str) -> Result<(), String> {
        self.agent(agent, AgentChange::NotReady(reason.to_owned())).await
    }

    /// Logs an agent out.
    pub async fn logout(&self, agent: &AgentId) -> Result<(), String> {
        self.agent(agent, AgentChange::Logout).await
    }

    async fn supervise_request(
        &self,
        supervisor: &AgentId,
        contact: &ContactId,
        action: SuperviseAction,
    ) -> Result<(), String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Supervise {
                supervisor: supervisor.clone(),
                contact: contact.clone(),
                action,
                reply,
            })
            .await
            .map_err(|_| Stopped.to_string())?;
        rx.await.map_err(|_| Stopped.to_string())?
    }

    /// A supervisor joins a call between a customer and an agent — `listen` (heard by
    /// nobody), `whisper` (heard by the agent only) or `barge` (heard by both) — or, already
    /// on it, changes mode. The center calls the supervisor's phone (registered, fixed
    /// contact or remote seat) and mixes it in when it answers; the record gets a
    /// `supervisor` leg. Refused unless the agent `supervises` the contact's tenant and
    /// the contact is talking to an agent.
    pub async fn supervise(
        &self,
        supervisor: &AgentId,
        contact: &ContactId,
        mode: SuperviseMode,
    ) -> Result<(), String> {
        self.supervise_request(supervisor, contact, SuperviseAction::Join(mode))
            .await
    }

    /// The supervisor leaves the call: their phone is hung up; customer and agent talk on.
    pub async fn end_supervision(&self, supervisor: &AgentId, contact: &ContactId) -> Result<(), String> {
        self.supervise_request(supervisor, contact, SuperviseAction::Leave)
            .await
    }

    /// A supervisor ends a call (force release): every leg is hung up and the record says
    /// `released by <supervisor>`.
    pub async fn force_release(&self, supervisor: &AgentId, contact: &ContactId) -> Result<(), String> {
        self.supervise_request(supervisor, contact, SuperviseAction::Release)
            .await
    }

    /// The agent talking to `contact` transfers the customer (blind) to `target`: a number
    /// dialled over the trunk or a `sip:` address. The agent's phone is hung up at once;
    /// the customer is connected when the target answers (the call ends if it does not).
    /// What the phone's own transfer key (a REFER) does, from the API.
    pub async fn transfer(&self, agent: &AgentId, contact: &ContactId, target: &str) -> Result<(), String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Transfer {
                agent: agent.clone(),
                contact: contact.clone(),
                target: target.to_owned(),
                reply,
            })
            .await
            .map_err(|_| Stopped.to_string())?;
        rx.await.map_err(|_| Stopped.to_string())?
    }

    /// A supervisor moves a connected call elsewhere (force transfer): to a queue of the
    /// contact's tenant, a number over the trunk or a `sip:` address, as the agent's own
    /// transfer would (see [`transfer`](Self::transfer)).
    pub async fn force_transfer(
        &self,
        supervisor: &AgentId,
        contact: &ContactId,
        target: &str,
    ) -> Result<(), String> {
        self.supervise_request(supervisor, contact, SuperviseAction::Transfer(target.to_owned()))
            .await
    }

    /// Queues and totals now.
    pub async fn snapshot(&self) -> Result<Snapshot, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Snapshot(reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// A tenant's contacts in progress (never another tenant's).
    pub async fn contacts(&self, tenant: &TenantId) -> Result<Vec<ContactId>, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Contacts(tenant.clone(), reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// The contacts registered for an agent's SIP user (`user`, in the center's domain and
    /// in the domains of the tenants it serves), as the registrar holds them now.
    pub async fn registrations(&self, user: &str) -> Result<Vec<String>, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Registrations(user.to_owned(), reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// Applies a changed configuration without dropping calls (see
    /// [`CallControl::reload`](crate::control::CallControl::reload)). Refused with every
    /// problem when the new configuration has errors; otherwise returns what must wait
    /// for a restart (SIP and RTP addresses, removed queues and agents...).
    pub async fn reload(
        &self,
        config: crate::config::CenterConfig,
    ) -> Result<Vec<String>, Vec<crate::config::Problem>> {
        let (reply, rx) = oneshot::channel();
        let stopped = || {
            vec![crate::config::Problem {
                severity: cc_ivr::Severity::Error,
                place: "center".into(),
                message: Stopped.to_string(),
            }]
        };
        self.tx
            .send(Request::Reload(Box::new(config), reply))
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Stops gracefully: new calls are refused at once, live calls may finish for `drain`,
    /// then are ended; returns when the center has stopped and every record is written
    /// (await [`Center::wait`](super::Center::wait) for the totals).
    pub async fn stop(&self, drain: Duration) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::Stop(drain, reply)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

impl Runtime {
    /// The phones registered for `user` in every domain it may use, the center's first.
    pub(crate) async fn registered_contacts(&mut self, user: &str) -> Vec<String> {
        let mut contacts = Vec::new();
        for domain in super::directory::agent_domains(&self.config, user) {
            let aor = format!("sip:{user}@{domain}");
            contacts.extend(self.sip.lookup(&aor).await.unwrap_or_default());
        }
        contacts
    }

    pub(crate) async fn on_api(&mut self, request: Request) {
        let now = Instant::now();
        match request {
            Request::Agent { agent, change, reply } => {
                let action = match &change {
                    AgentChange::Login { .. } => "agent_login",
                    AgentChange::Ready => "agent_ready",
                    AgentChange::NotReady(_) => "agent_not_ready",
                    AgentChange::Logout => "agent_logout",
                };
                let _ = self.store_tx.send(super::writer::Job::Audit {
                    tenant: None,
                    at: cc_core::Timestamp::now(),
                    actor: "api".to_owned(),
                    action: action.to_owned(),
                    detail: agent.to_string(),
                });
                let result = match change {
                    AgentChange::Login { ready } => self.control.login(now, &agent, ready),
                    AgentChange::Ready => self.control.ready(now, &agent),
                    AgentChange::NotReady(reason) => self.control.not_ready(now, &agent, &reason),
                    AgentChange::Logout => self.control.logout(now, &agent),
                };
                let _ = reply.send(result.map_err(|e| e.to_string()));
            }
            Request::Supervise {
                supervisor,
                contact,
                action,
                reply,
            } => {
                // Before a force release ends the contact.
                let tenant = self.control.tenant_of(&contact);
                let (name, result) = match action {
                    SuperviseAction::Join(mode) => {
                        let name = match mode {
                            SuperviseMode::Listen => "supervisor_listen",
                            SuperviseMode::Whisper => "supervisor_whisper",
                            SuperviseMode::Barge => "supervisor_barge",
                        };
                        (name, self.control.supervise(now, &contact, &supervisor, mode))
                    }
                    SuperviseAction::Leave => (
                        "supervisor_leave",
                        self.control.end_supervision(&contact, &supervisor),
                    ),
                    SuperviseAction::Release => (
                        "force_release",
                        self.control.force_release(now, &contact, &supervisor),
                    ),
                    SuperviseAction::Transfer(target) => {
                        let result = self.control.force_transfer(now, &contact, &supervisor, &target);
                        let _ = reply.send(result.clone());
                        if result.is_ok() {
                            let _ = self.store_tx.send(super::writer::Job::Audit {
                                tenant,
                                at: cc_core::Timestamp::now(),
                                actor: supervisor.to_string(),
                                action: "force_transfer".to_owned(),
                                detail: format!("{contact} -> {target}"),
                            });
                        }
                        return;
                    }
                };
                if result.is_ok() {
                    let _ = self.store_tx.send(super::writer::Job::Audit {
                        tenant,
                        at: cc_core::Timestamp::now(),
                        actor: supervisor.to_string(),
                        action: name.to_owned(),
                        detail: contact.to_string(),
                    });
                }
                let _ = reply.send(result.map_err(|e| e.to_string()));
            }
            Request::Transfer {
                agent,
                contact,
                target,
                reply,
            } => {
                let tenant = self.control.tenant_of(&contact);
                let result = self.control.agent_transfer(now, &contact, &agent, &target);
                if result.is_ok() {
                    let _ = self.store_tx.send(super::writer::Job::Audit {
                        tenant,
                        at: cc_core::Timestamp::now(),
                        actor: agent.to_string(),
                        action: "transfer".to_owned(),
                        detail: format!("{contact} -> {target}"),
                    });
                }
                let _ = reply.send(result.map_err(|e| e.to_string()));
            }
            Request::Snapshot(reply) => {
                let _ = reply.send(self.snapshot(now));
            }
            Request::Contacts(tenant, reply) => {
                let _ = reply.send(self.control.contacts_of(&tenant));
            }
            Request::Reload(config, reply) => {
                let _ = reply.send(self.reload(*config, now));
            }
            Request::Registrations(user, reply) => {
                let _ = reply.send(self.registered_contacts(&user).await);
            }
            Request::Stop(drain, reply) => match &mut self.stopping {
                Some((_, waiters)) => waiters.push(reply),
                None => self.stopping = Some((now + drain, vec![reply])),
            },
        }
    }

    fn reload(
        &mut self,
        config: crate::config::CenterConfig,
        now: Instant,
    ) -> Result<Vec<String>, Vec<crate::config::Problem>> {
        let engines = config.engines()?;
        let mut deferred = self.control.reload(&config, engines, now);
        let old = &self.config;
        if config.sip.listen != old.sip.listen
            || config.sip.tcp != old.sip.tcp
            || config.sip.domain != old.sip.domain
        {
            deferred.push("[sip] changes wait for a restart".to_owned());
        }
        if config.rtp.bind != old.rtp.bind
            || config.rtp.port_min != old.rtp.port_min
            || config.rtp.port_max != old.rtp.port_max
        {
            deferred.push("[rtp] changes wait for a restart".to_owned());
        }
        let domains = |c: &crate::config::CenterConfig| super::directory::tenant_domains(c);
        let passwords = |c: &crate::config::CenterConfig| {
            c.agents
                .iter()
                .map(|a| {
                    (
                        a.sip_user().to_owned(),
                        a.password.clone(),
                        super::directory::agent_domains(c, a.sip_user()),
                    )
                })
                .collect::<Vec<_>>()
        };
        if domains(&config) != domains(old) || passwords(&config) != passwords(old) {
            deferred.push("SIP passwords and tenant domains wait for a restart".to_owned());
        }
        let http = |c: &crate::config::CenterConfig| {
            let keys: Vec<_> = c
                .http
                .keys
                .iter()
                .map(|k| (k.key.clone(), k.tenant.clone()))
                .collect();
            (c.http.listen, keys)
        };
        if http(&config) != http(old) {
            deferred.push("[http] changes wait for a restart".to_owned());
        }
        if config.data_dir() != old.data_dir() || config.center.storage != old.center.storage {
            deferred.push("data_dir and storage changes wait for a restart".to_owned());
        }
        let _ = self.store_tx.send(super::writer::Job::Audit {
            tenant: None,
            at: cc_core::Timestamp::now(),
            actor: "api".to_owned(),
            action: "reload".to_owned(),
            detail: deferred.join("; "),
        });
        self.config = std::sync::Arc::new(config);
        Ok(deferred)
    }

    fn snapshot(&self, now: Instant) -> Snapshot {
        let router = self.control.router();
        let queues = self
            .config
            .queues
            .iter()
            .filter_map(|q| {
                let stats = router.queue_stats(&q.id, now).ok()?;
                Some(QueueView {
                    queue: q.id.to_string(),
                    tenant: q.tenant.to_string(),
                    waiting: stats.waiting,
                    longest_wait_s: stats.longest_wait.as_secs_f64(),
                    in_service: stats.in_service,
                    agents_ready: stats.agents.ready,
                    agents_busy: stats.agents.busy + stats.agents.reserved,
                    agents_wrap_up: stats.agents.wrap_up,
                    agents_not_ready: stats.agents.not_ready,
                })
            })
            .collect();
        let mut summary = self.summary.clone();
        summary.live_calls = self.control.live_calls();
        Snapshot { queues, summary }
    }
}
