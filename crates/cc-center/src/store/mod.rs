//! Storage: contact records (per contact and per leg), agent state history, the recordings
//! index and the audit log, in SQLite (the embedded default) or PostgreSQL (by URL, feature
//! `postgres`), through sqlx's `Any` driver: one code path, the same SQL text on both.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`, PostgreSQL with its default durable
//! commits: once [`Store::save_record`] returns, the record survives a crash of the process
//! or the machine. Every read takes the tenant and returns only that tenant's rows — there is
//! no query across tenants.

mod schema;

use std::path::Path;

use cc_core::{ContactId, ContactRecord, Disposition, RecordingId, TenantId, Timestamp};
use serde::Serialize;
use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, Connection, Executor, Row};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be read back.
    #[error("stored {what} is unreadable: {why}")]
    Corrupt {
        /// Which row.
        what: String,
        /// Why.
        why: String,
    },
    /// The URL names a database this build does not support.
    #[error("unsupported storage URL `{0}`; use {SUPPORTED}")]
    Unsupported(String),
}

/// One leg of a contact: the caller's, an agent's, an outside party's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegRecord {
    /// The contact.
    pub contact: ContactId,
    /// Its tenant.
    pub tenant: TenantId,
    /// 0 for the caller's leg, then in order of creation.
    pub leg: u32,
    /// `caller`, `agent`, `external`, `callback`.
    pub role: String,
    /// Who (number, agent id or URI).
    pub party: Option<String>,
    /// Created.
    pub started_at: Timestamp,
    /// Answered.
    pub answered_at: Option<Timestamp>,
    /// Ended.
    pub ended_at: Option<Timestamp>,
    /// Why it ended (`bye`, `cancel`, `486`, `timeout`...).
    pub end_cause: Option<String>,
}

/// One entry of the recordings index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordingEntry {
    /// The recording.
    pub recording: RecordingId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The contact recorded.
    pub contact: ContactId,
    /// The file.
    pub path: String,
    /// `stereo` or `mixed`.
    pub layout: String,
    /// When it started.
    pub started_at: Timestamp,
    /// Audio length.
    pub duration_ms: u64,
    /// File size.
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// The storage URLs this build opens, for messages.
#[cfg(feature = "postgres")]
pub(crate) const SUPPORTED: &str = "sqlite://PATH or postgres://USER@HOST/DB";
#[cfg(not(feature = "postgres"))]
pub(crate) const SUPPORTED: &str = "sqlite://PATH (this build has no PostgreSQL: feature `postgres`)";

/// Which database a [`Store`] writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a storage URL names, or `None` when this build does not support it.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if cfg!(feature = "postgres")
            && (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// The center's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Timestamps are stored as fixed-width UTC text (nanoseconds always written), so text
/// order is time order on every backend.
fn ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}
fn ts_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(ts)
}

fn disposition_name(d: &Disposition) -> &'static str {
    match d {
        Disposition::Answered => "answered",
        Disposition::SelfService => "self_service",
        Disposition::Abandoned { .. } => "abandoned",
        Disposition::Overflowed { .. } => "overflowed",
        Disposition::Callback { .. } => "callback",
        Disposition::Voicemail { .. } => "voicemail",
        Disposition::Rejected { .. } => "rejected",
        _ => "other",
    }
}

impl Store {
    /// Opens the database at `url` — `sqlite://PATH` (created if missing) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB` (the database must exist) — and applies the
    /// migrations it lacks.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        match Backend::of_url(url) {
            Some(Backend::Sqlite) => {
                let rest = url
                    .strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"));
                match rest {
                    Some(path) if !path.is_empty() => Self::open_file(Path::new(path)).await,
                    _ => Err(StoreError::Unsupported(url.to_owned())),
                }
            }
            Some(Backend::Postgres) => Self::connect(url, Backend::Postgres, 8).await,
            None => Err(StoreError::Unsupported(url.to_owned())),
        }
    }

    /// Opens (creating if needed) an SQLite file.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        Self::connect(&sqlite_url(path), Backend::Sqlite, 4).await
    }

    async fn connect(url: &str, backend: Backend, connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let options: AnyConnectOptions = url.parse()?;
        // One direct connection first: a wrong address or password fails now with the
        // server's reason, instead of after the pool's acquire timeout.
        AnyConnection::connect_with(&options).await?.close().await?;
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL + FULL: a committed record survives a crash; readers do not
                        // block the writer.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Self { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// Which database this store writes to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // Two centers starting on one database migrate one after the other.
            sqlx::raw_sql("SELECT pg_advisory_xact_lock(7262737)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::raw_sql(schema::MIGRATIONS_TABLE).execute(&mut *tx).await?;
        for &(version, description, sqlite) in schema::SQLITE {
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => sqlite.to_owned(),
                Backend::Postgres => schema::postgres(sqlite),
            };
            sqlx::raw_sql(&sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)")
                .bind(version)
                .bind(description)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Saves (or replaces) a contact record and its legs in one transaction.
    pub async fn save_record(&self, record: &ContactRecord, legs: &[LegRecord]) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
            what: format!("record {}", record.contact),
            why: e.to_string(),
        })?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO contact_records (contact, tenant, channel, direction, caller, called, flow, queue, agent, \
             arrived_at, enqueued_at, answered_at, ended_at, disposition, wait_ms, talk_ms, handle_ms, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (contact) DO UPDATE SET tenant = excluded.tenant, channel = excluded.channel, \
             direction = excluded.direction, caller = excluded.caller, called = excluded.called, \
             flow = excluded.flow, queue = excluded.queue, agent = excluded.agent, \
             arrived_at = excluded.arrived_at, enqueued_at = excluded.enqueued_at, \
             answered_at = excluded.answered_at, ended_at = excluded.ended_at, \
             disposition = excluded.disposition, wait_ms = excluded.wait_ms, \
             talk_ms = excluded.talk_ms, handle_ms = excluded.handle_ms, record = excluded.record",
        )
        .bind(record.contact.as_str())
        .bind(record.tenant.as_str())
        .bind(record.channel.to_string())
        .bind(record.direction.to_string())
        .bind(record.caller.as_ref().map(|p| p.0.to_string()))
        .bind(record.called.as_ref().map(|p| p.0.to_string()))
        .bind(record.flow.as_ref().map(ToString::to_string))
        .bind(record.queue.as_ref().map(ToString::to_string))
        .bind(record.agent.as_ref().map(ToString::to_string))
        .bind(ts(record.arrived_at))
        .bind(ts_opt(record.enqueued_at))
        .bind(ts_opt(record.answered_at))
        .bind(ts_opt(record.ended_at))
        .bind(record.disposition.as_ref().map(disposition_name))
        .bind(record.wait_ms().map(|v| v as i64))
        .bind(record.talk_ms().map(|v| v as i64))
        .bind(record.handle_ms().map(|v| v as i64))
        .bind(json)
        .execute(&mut *tx)
        .await?;
        for leg in legs {
            sqlx::query(
                "INSERT INTO legs (contact, tenant, leg, role, party, started_at, answered_at, ended_at, end_cause) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (contact, leg) DO UPDATE SET tenant = excluded.tenant, role = excluded.role, \
                 party = excluded.party, started_at = excluded.started_at, \
                 answered_at = excluded.answered_at, ended_at = excluded.ended_at, \
                 end_cause = excluded.end_cause",
            )
            .bind(leg.contact.as_str())
            .bind(leg.tenant.as_str())
            .bind(i64::from(leg.leg))
            .bind(&leg.role)
            .bind(&leg.party)
            .bind(ts(leg.started_at))
            .bind(ts_opt(leg.answered_at))
            .bind(ts_opt(leg.ended_at))
            .bind(&leg.end_cause)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's contact record, or `None` (also when the contact is another tenant's).
    pub async fn record(
        &self,
        tenant: &TenantId,
        contact: &ContactId,
    ) -> Result<Option<ContactRecord>, StoreError> {
        let row = sqlx::query("SELECT record FROM contact_records WHERE tenant = $1 AND contact = $2")
            .bind(tenant.as_str())
            .bind(contact.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| decode_record(&r.get::<String, _>(0), contact.as_str()))
            .transpose()
    }

    /// A tenant's contact records that arrived in `[from, to)`, oldest first.
    pub async fn records(
        &self,
        tenant: &TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<ContactRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT contact, record FROM contact_records WHERE tenant = $1 AND arrived_at >= $2 AND arrived_at < $3 ORDER BY arrived_at, contact",
        )
        .bind(tenant.as_str())
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| decode_record(&r.get::<String, _>(1), &r.get::<String, _>(0)))
            .collect()
    }

    /// A tenant's legs of one contact, in order.
    pub async fn legs(&self, tenant: &TenantId, contact: &ContactId) -> Result<Vec<LegRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT leg, role, party, started_at, answered_at, ended_at, end_cause FROM legs WHERE tenant = $1 AND contact = $2 ORDER BY leg",
        )
        .bind(tenant.as_str())
        .bind(contact.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LegRecord {
                    contact: contact.clone(),
                    tenant: tenant.clone(),
                    leg: u32::try_from(r.get::<i64, _>(0)).unwrap_or(u32::MAX),
                    role: r.get(1),
                    party: r.get(2),
                    started_at: parse_ts(&r.get::<String, _>(3))?,
                    answered_at: r
                        .get::<Option<String>, _>(4)
                        .as_deref()
                        .map(parse_ts)
                        .transpose()?,
                    ended_at: r
                        .get::<Option<String>, _>(5)
                        .as_deref()
                        .map(parse_ts)
                        .transpose()?,
                    end_cause: r.get(6),
                })
            })
            .collect()
    }

    /// Appends an agent state change to the history.
    pub async fn agent_state(
        &self,
        agent: &str,
        state: &str,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO agent_states (agent, state, reason, at) VALUES ($1, $2, $3, $4)")
            .bind(agent)
            .bind(state)
            .bind(reason)
            .bind(ts(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// An agent's state history, oldest first: `(state, reason, at)`.
    pub async fn agent_history(
        &self,
        agent: &str,
    ) -> Result<Vec<(String, Option<String>, Timestamp)>, StoreError> {
        let rows = sqlx::query("SELECT state, reason, at FROM agent_states WHERE agent = $1 ORDER BY id")
            .bind(agent)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.get(0), r.get(1), parse_ts(&r.get::<String, _>(2))?)))
            .collect()
    }

    /// Adds a finished recording to the index.
    pub async fn add_recording(&self, entry: &RecordingEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO recordings (recording, tenant, contact, path, layout, started_at, duration_ms, bytes, sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (recording) DO UPDATE SET tenant = excluded.tenant, contact = excluded.contact, \
             path = excluded.path, layout = excluded.layout, started_at = excluded.started_at, \
             duration_ms = excluded.duration_ms, bytes = excluded.bytes, sha256 = excluded.sha256",
        )
        .bind(entry.recording.as_str())
        .bind(entry.tenant.as_str())
        .bind(entry.contact.as_str())
        .bind(&entry.path)
        .bind(&entry.layout)
        .bind(ts(entry.started_at))
        .bind(entry.duration_ms as i64)
        .bind(entry.bytes as i64)
        .bind(&entry.sha256)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A tenant's recordings, oldest first.
    pub async fn recordings(&self, tenant: &TenantId) -> Result<Vec<RecordingEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT recording, contact, path, layout, started_at, duration_ms, bytes, sha256 FROM recordings \
             WHERE tenant = $1 ORDER BY started_at, recording",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| recording_row(tenant, r)).collect()
    }

    /// A tenant's recordings that started before `before`, oldest first, at most `limit`:
    /// what its retention period has expired.
    pub async fn recordings_before(
        &self,
        tenant: &TenantId,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<RecordingEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT recording, contact, path, layout, started_at, duration_ms, bytes, sha256 FROM recordings \
             WHERE tenant = $1 AND started_at < $2 ORDER BY started_at, recording LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(ts(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| recording_row(tenant, r)).collect()
    }

    /// Removes a tenant's recording from the index (the file is the caller's); `false` when
    /// there was none.
    pub async fn remove_recording(
        &self,
        tenant: &TenantId,
        recording: &RecordingId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM recordings WHERE tenant = $1 AND recording = $2")
            .bind(tenant.as_str())
            .bind(recording.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Appends to the audit log (`tenant` is `None` for center-wide actions).
    pub async fn audit(
        &self,
        tenant: Option<&TenantId>,
        at: Timestamp,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit (tenant, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(tenant.map(TenantId::as_str))
            .bind(ts(at))
            .bind(actor)
            .bind(action)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts a tenant's stored contact records.
    pub async fn count_records(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_records WHERE tenant = $1")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The `sqlite://` URL of a file path: `%`, `?` and `#` are escaped (sqlx decodes the path
/// part), and `mode=rwc` creates the file when missing.
fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            c => url.push(c),
        }
    }
    url.push_str("?mode=rwc");
    url
}

fn recording_row(tenant: &TenantId, r: &sqlx::any::AnyRow) -> Result<RecordingEntry, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt {
        what: "recording".into(),
        why,
    };
    Ok(RecordingEntry {
        recording: r
            .get::<String, _>(0)
            .parse()
            .map_err(|e: cc_core::Error| corrupt(e.to_string()))?,
        tenant: tenant.clone(),
        contact: r
            .get::<String, _>(1)
            .parse()
            .map_err(|e: cc_core::Error| corrupt(e.to_string()))?,
        path: r.get(2),
        layout: r.get(3),
        started_at: parse_ts(&r.get::<String, _>(4))?,
        duration_ms: r.get::<i64, _>(5).max(0) as u64,
        bytes: r.get::<i64, _>(6).max(0) as u64,
        sha256: r.get(7),
    })
}

fn parse_ts(text: &str) -> Result<Timestamp, StoreError> {
    text.parse::<Timestamp>().map_err(|e| StoreError::Corrupt {
        what: format!("timestamp `{text}`"),
        why: e.to_string(),
    })
}

fn decode_record(json: &str, contact: &str) -> Result<ContactRecord, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what: format!("record {contact}"),
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
