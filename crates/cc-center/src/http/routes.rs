//! The routes and their handlers (see the module above for the table).

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use cc_core::{AgentId, ContactId, TenantId, Timestamp};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiState;
use super::auth::{Scope, scope};
use super::error::ApiError;
use crate::control::SuperviseMode;
use crate::runtime::CenterEvent;

pub(super) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/queues", get(queues))
        .route("/v1/contacts", get(contacts))
        .route("/v1/records", get(records))
        .route("/v1/records/{contact}", get(record))
        .route("/v1/recordings", get(recordings))
        .route("/v1/agents/{agent}/{action}", post(agent_action))
        .route("/v1/contacts/{contact}/transfer", post(transfer))
        .route("/v1/contacts/{contact}/{action}", post(contact_action))
        .route("/v1/events", get(events))
        .with_state(state)
}

type ApiResult = Result<Json<Value>, ApiError>;

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| ApiError::BadRequest(format!("{what} `{text}`: {e}")))
}

impl ApiState {
    fn scope(&self, headers: &HeaderMap) -> Result<Scope, ApiError> {
        scope(&self.config.http.keys, headers)
    }

    /// 404 unless the key may act on `agent` (a tenant key: agents serving or supervising
    /// its tenant).
    fn check_agent(&self, scope: &Scope, agent: &AgentId) -> Result<(), ApiError> {
        let config = self
            .config
            .agents
            .iter()
            .find(|a| &a.id == agent)
            .ok_or_else(|| ApiError::NotFound(format!("no agent `{agent}`")))?;
        let mine = match scope {
            Scope::Center => true,
            Scope::Tenant(t) => config.tenants.contains_key(t) || config.supervises.contains(t),
        };
        if mine {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("no agent `{agent}`")))
        }
    }
}

#[derive(Deserialize)]
struct TenantQuery {
    tenant: Option<String>,
}

impl TenantQuery {
    fn tenant(&self) -> Result<Option<TenantId>, ApiError> {
        self.tenant.as_deref().map(|t| parse("tenant", t)).transpose()
    }
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn queues(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<TenantQuery>) -> ApiResult {
    let scope = s.scope(&headers)?;
    let asked = q.tenant()?;
    // The operator without ?tenant= sees every queue and the center's totals.
    let only = match (&scope, asked) {
        (Scope::Center, None) => None,
        (scope, asked) => Some(scope.tenant(asked)?),
    };
    let snapshot = s.handle.snapshot().await.map_err(unavailable)?;
    let queues: Vec<_> = snapshot
        .queues
        .into_iter()
        .filter(|v| only.as_ref().is_none_or(|t| v.tenant == t.as_str()))
        .collect();
    let totals = match &only {
        None => snapshot.summary.all,
        Some(t) => snapshot
            .summary
            .tenants
            .get(t.as_str())
            .cloned()
            .unwrap_or_default(),
    };
    Ok(Json(json!({
        "queues": queues,
        "totals": totals,
        "service_level": totals.service_level(),
        "asa_s": totals.asa_s(),
        "aht_s": totals.aht_s(),
    })))
}

async fn contacts(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<TenantQuery>) -> ApiResult {
    let tenant = s.scope(&headers)?.tenant(q.tenant()?)?;
    let contacts = s.handle.contacts(&tenant).await.map_err(unavailable)?;
    Ok(Json(json!({ "tenant": tenant, "contacts": contacts })))
}

#[derive(Deserialize)]
struct RangeQuery {
    tenant: Option<String>,
    from: String,
    to: String,
}

async fn records(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<RangeQuery>) -> ApiResult {
    let asked = q.tenant.as_deref().map(|t| parse("tenant", t)).transpose()?;
    let tenant = s.scope(&headers)?.tenant(asked)?;
    let from: Timestamp = parse("from", &q.from)?;
    let to: Timestamp = parse("to", &q.to)?;
    let records = s.store.records(&tenant, from, to).await.map_err(unavailable)?;
    Ok(Json(json!({ "tenant": tenant, "records": records })))
}

async fn record(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(contact): Path<String>,
    Query(q): Query<TenantQuery>,
) -> ApiResult {
    let tenant = s.scope(&headers)?.tenant(q.tenant()?)?;
    let contact: ContactId = parse("contact", &contact)?;
    let record = s
        .store
        .record(&tenant, &contact)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| ApiError::NotFound(format!("no record `{contact}`")))?;
    let legs = s.store.legs(&tenant, &contact).await.map_err(unavailable)?;
    Ok(Json(json!({ "record": record, "legs": legs })))
}

async fn recordings(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<TenantQuery>,
) -> ApiResult {
    let tenant = s.scope(&headers)?.tenant(q.tenant()?)?;
    let recordings = s.store.recordings(&tenant).await.map_err(unavailable)?;
    Ok(Json(json!({ "tenant": tenant, "recordings": recordings })))
}

#[derive(Deserialize, Default)]
struct AgentBody {
    ready: Option<bool>,
    reason: Option<String>,
}

async fn agent_action(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path((agent, action)): Path<(String, String)>,
    body: Option<Json<AgentBody>>,
) -> ApiResult {
    let scope = s.scope(&headers)?;
    let agent: AgentId = parse("agent", &agent)?;
    s.check_agent(&scope, &agent)?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let result = match action.as_str() {
        "login" => s.handle.login(&agent, body.ready.unwrap_or(true)).await,
        "ready" => s.handle.ready(&agent).await,
        "not_ready" => {
            let reason = body.reason.unwrap_or_else(|| "not ready".to_owned());
            s.handle.not_ready(&agent, &reason).await
        }
        "logout" => s.handle.logout(&agent).await,
        other => return Err(ApiError::NotFound(format!("no agent action `{other}`"))),
    };
    result.map_err(ApiError::Conflict)?;
    Ok(Json(json!({ "agent": agent, "done": action })))
}

#[derive(Deserialize)]
struct SuperviseBody {
    supervisor: String,
    mode: Option<SuperviseMode>,
    target: Option<String>,
}

async fn contact_action(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path((contact, action)): Path<(String, String)>,
    Json(body): Json<SuperviseBody>,
) -> ApiResult {
    let scope = s.scope(&headers)?;
    let contact: ContactId = parse("contact", &contact)?;
    let supervisor: AgentId = parse("supervisor", &body.supervisor)?;
    s.check_agent(&scope, &supervisor)?;
    // A tenant key reaches its own contacts only.
    if let Scope::Tenant(t) = &scope {
        let mine = s.handle.contacts(t).await.map_err(unavailable)?;
        if !mine.contains(&contact) {
            return Err(ApiError::NotFound(format!("no contact `{contact}` in progress")));
        }
    }
    let result = match action.as_str() {
        "supervise" => {
            let mode = body
                .mode
                .ok_or_else(|| ApiError::BadRequest("`mode` is listen, whisper or barge".into()))?;
            s.handle.supervise(&supervisor, &contact, mode).await
        }
        "leave" => s.handle.end_supervision(&supervisor, &contact).await,
        "release" => s.handle.force_release(&supervisor, &contact).await,
        "force_transfer" => {
            let target = body.target.ok_or_else(|| {
                ApiError::BadRequest("`target` names a queue, a number or a sip: address".into())
            })?;
            s.handle.force_transfer(&supervisor, &contact, &target).await
        }
        other => return Err(ApiError::NotFound(format!("no contact action `{other}`"))),
    };
    result.map_err(ApiError::Conflict)?;
    Ok(Json(json!({ "contact": contact, "done": action })))
}

#[derive(Deserialize)]
struct TransferBody {
    agent: String,
    target: String,
}

async fn transfer(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(contact): Path<String>,
    Json(body): Json<TransferBody>,
) -> ApiResult {
    let scope = s.scope(&headers)?;
    let contact: ContactId = parse("contact", &contact)?;
    let agent: AgentId = parse("agent", &body.agent)?;
    s.check_agent(&scope, &agent)?;
    if let Scope::Tenant(t) = &scope {
        let mine = s.handle.contacts(t).await.map_err(unavailable)?;
        if !mine.contains(&contact) {
            return Err(ApiError::NotFound(format!("no contact `{contact}` in progress")));
        }
    }
    s.handle
        .transfer(&agent, &contact, &body.target)
        .await
        .map_err(ApiError::Conflict)?;
    Ok(Json(
        json!({ "contact": contact, "done": "transfer", "target": body.target }),
    ))
}

async fn events(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<TenantQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let scope = s.scope(&headers)?;
    let only = match (&scope, q.tenant()?) {
        (Scope::Center, None) => None,
        (scope, asked) => Some(scope.tenant(asked)?),
    };
    let receiver = s.handle.events();
    let config = s.config.clone();
    let stopped = s.stopped.clone();
    // An event belongs to a tenant when it names it, or names an agent of that tenant.
    let visible = move |e: &CenterEvent| -> bool {
        let Some(t) = &only else { return true };
        match (&e.tenant, &e.body) {
            (Some(tenant), _) => tenant == t.as_str(),
            (None, crate::runtime::EventKind::Agent { agent, .. }) => config
                .agents
                .iter()
                .any(|a| a.id.as_str() == agent && a.tenants.contains_key(t)),
            (None, _) => false,
        }
    };
    let stream = futures_util::stream::unfold(
        (receiver, stopped, visible),
        |(mut receiver, mut stopped, visible)| async move {
            loop {
                let next = tokio::select! {
                    next = receiver.recv() => Some(next),
                    _ = stopped.wait_for(|s| *s) => None,
                };
                match next? {
                    Ok(event) if visible(&event) => {
                        let data = serde_json::to_string(&event).unwrap_or_default();
                        let sse = Event::default().id(event.seq.to_string()).data(data);
                        return Some((Ok(sse), (receiver, stopped, visible)));
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "an event stream fell behind");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
