//! The center's HTTP API (axum), on when `[http] listen` is set.
//!
//! Every route but `/health` takes `Authorization: Bearer KEY` with a key from
//! `[[http.keys]]`. A key with a `tenant` sees and acts on that tenant only — its queues,
//! contacts, records, recordings, agents and events — and is refused (403) or told "not
//! found" (404) for anything of another tenant's. A key without one is the operator's and
//! names the tenant with `?tenant=ID` where a route is about one.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | `{"status":"ok"}`, no key needed |
//! | `GET /v1/queues` | live queues (waiting, longest wait, agents by state) and totals |
//! | `GET /v1/contacts` | contacts in progress |
//! | `GET /v1/records?from=TS&to=TS` | stored contact records that arrived in `[from, to)` (RFC 3339) |
//! | `GET /v1/records/{contact}` | one record with its legs |
//! | `GET /v1/recordings` | the recordings index |
//! | `POST /v1/agents/{agent}/login` | body `{"ready": true}` (optional) |
//! | `POST /v1/agents/{agent}/ready`, `/logout` | |
//! | `POST /v1/agents/{agent}/not_ready` | body `{"reason": "lunch"}` |
//! | `POST /v1/contacts/{contact}/supervise` | body `{"supervisor": "8001", "mode": "listen" \| "whisper" \| "barge"}` |
//! | `POST /v1/contacts/{contact}/leave`, `/release` | body `{"supervisor": "8001"}` |
//! | `POST /v1/contacts/{contact}/force_transfer` | body `{"supervisor": "8001", "target": "acme_support"}` |
//! | `POST /v1/contacts/{contact}/transfer` | body `{"agent": "1001", "target": "95555"}` (blind; a number over the trunk or a `sip:` address) |
//! | `GET /v1/events` | server-sent events (`data:` JSON of [`CenterEvent`](crate::runtime::CenterEvent)) |
//!
//! Errors are `{"error": "..."}` with 400, 401, 403, 404, 409 (the center refused in its
//! current state) or 503 (stopped, database failed).

mod auth;
mod error;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::CenterConfig;
use crate::runtime::CenterHandle;
use crate::store::Store;

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) handle: CenterHandle,
    pub(crate) store: Store,
    pub(crate) config: Arc<CenterConfig>,
    /// Turns `true` when the center has stopped: event streams end, the server closes.
    pub(crate) stopped: watch::Receiver<bool>,
}

/// Binds the API's address.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves until the center stops.
pub(crate) async fn serve(listener: TcpListener, state: ApiState) {
    let mut stopped = state.stopped.clone();
    let app = routes::router(state);
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "the HTTP API stopped");
    }
}
