//! The database schema, as ordered migrations applied at open, in each backend's dialect.
//!
//! The two dialects differ only where SQL does: SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT`
//! row ids against PostgreSQL's `BIGSERIAL`, and 64-bit `BIGINT` counters in PostgreSQL
//! (its `INTEGER` is 32 bits); [`postgres`] makes the one from the other. Every query the
//! store runs is the same text on both.

/// The table of applied migrations (the same text on both backends).
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations \
     (version BIGINT PRIMARY KEY, description TEXT NOT NULL)";

/// `(version, description, SQL)` for SQLite, applied in order, each once.
pub(crate) const SQLITE: &[(i64, &str, &str)] = &[(
    1,
    "contact records, legs, agent states, recordings, audit",
    r"
CREATE TABLE contact_records (
    contact      TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    channel      TEXT NOT NULL,
    direction    TEXT NOT NULL,
    caller       TEXT,
    called       TEXT,
    flow         TEXT,
    queue        TEXT,
    agent        TEXT,
    arrived_at   TEXT NOT NULL,
    enqueued_at  TEXT,
    answered_at  TEXT,
    ended_at     TEXT,
    disposition  TEXT,
    wait_ms      INTEGER,
    talk_ms      INTEGER,
    handle_ms    INTEGER,
    record       TEXT NOT NULL
);
CREATE INDEX contact_records_tenant_time ON contact_records (tenant, arrived_at);
CREATE INDEX contact_records_tenant_queue ON contact_records (tenant, queue, arrived_at);

CREATE TABLE legs (
    contact      TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    leg          INTEGER NOT NULL,
    role         TEXT NOT NULL,
    party        TEXT,
    started_at   TEXT NOT NULL,
    answered_at  TEXT,
    ended_at     TEXT,
    end_cause    TEXT,
    PRIMARY KEY (contact, leg)
);
CREATE INDEX legs_tenant ON legs (tenant, contact);

CREATE TABLE agent_states (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    agent        TEXT NOT NULL,
    state        TEXT NOT NULL,
    reason       TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX agent_states_agent ON agent_states (agent, at);

CREATE TABLE recordings (
    recording    TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    contact      TEXT NOT NULL,
    path         TEXT NOT NULL,
    layout       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    sha256       TEXT NOT NULL
);
CREATE INDEX recordings_tenant ON recordings (tenant, contact);

CREATE TABLE audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX audit_tenant ON audit (tenant, at);
",
)];

/// A migration in PostgreSQL's dialect: the SQLite text with row ids as `BIGSERIAL` and
/// every `INTEGER` column 64 bits wide (`BIGINT`). One schema text keeps the two in step.
pub(crate) fn postgres(sql: &str) -> String {
    sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
        .replace("INTEGER", "BIGINT")
}
