//! PostgreSQL storage, first block (issue 13): connecting, and the schema migrations.
//!
//! The steps in `migrations_pg/` are the PostgreSQL twins of `migrations/`: step N brings
//! a database to the equivalent of SQLite schema version N (tests/pg.rs compares the two).
//! There is no "whole schema for an empty database" shortcut here: an empty PostgreSQL
//! database simply runs every step.
//!
//! The version lives in the one-row table `orgreg_schema` (SQLite keeps it in
//! `PRAGMA user_version`). Each pending step runs in its own transaction that first takes
//! a transaction-scoped advisory lock, so orgreg processes starting together on one
//! database apply every step exactly once: the others wait, then see the step done.

use crate::error::{Error, Result};
use postgres::{Client, NoTls};

/// Append-only, one per SQLite step (same numbering, same count). Never edit a step.
pub const STEPS: &[&str] = &[
    include_str!("migrations_pg/0001_foundation.sql"),
    include_str!("migrations_pg/0002_invitations.sql"),
    include_str!("migrations_pg/0003_activity_surface.sql"),
    include_str!("migrations_pg/0004_list_indexes.sql"),
];

/// The advisory lock key every orgreg migration takes ("orgreg" in ASCII). Advisory
/// locks are per database, so orgregs on other databases of the cluster do not wait.
const LOCK_KEY: i64 = 0x6f72_6772_6567;

pub fn latest() -> i64 {
    STEPS.len() as i64
}

/// Opens a connection (no TLS). A malformed URL, a refused connection or a rejected
/// password comes back as one line naming the server (never the password).
pub fn connect(url: &str) -> Result<Client> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| Error::Internal(format!("invalid PostgreSQL URL: {}", one_line(&e))))?;
    config.connect(NoTls).map_err(|e| {
        Error::Internal(format!(
            "cannot connect to PostgreSQL at {}: {}",
            target(&config),
            one_line(&e)
        ))
    })
}

/// Brings the database to the latest schema version, one step per transaction; refuses
/// a database whose version is newer than this binary knows.
pub fn migrate(client: &mut Client) -> Result<()> {
    loop {
        let mut tx = client.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .map_err(db)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS orgreg_schema (version BIGINT NOT NULL);
             INSERT INTO orgreg_schema (version)
                 SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM orgreg_schema);",
        )
        .map_err(db)?;
        let rows = tx
            .query("SELECT version FROM orgreg_schema", &[])
            .map_err(db)?;
        if rows.len() != 1 {
            return Err(Error::Internal(format!(
                "orgreg_schema holds {} rows, expected exactly one",
                rows.len()
            )));
        }
        let version: i64 = rows[0].get(0);
        if version > latest() {
            // The same words as SQLite's refusal (store::migrate).
            return Err(Error::Internal(format!(
                "the database schema is version {version}, newer than this orgreg knows ({}); \
                 run a newer orgreg or restore a backup",
                latest()
            )));
        }
        if version == latest() {
            tx.commit().map_err(db)?;
            return Ok(());
        }
        let step = version as usize + 1;
        tx.batch_execute(STEPS[version as usize]).map_err(|e| {
            Error::Internal(format!("migration step {step} failed: {}", one_line(&e)))
        })?;
        tx.execute("UPDATE orgreg_schema SET version = $1", &[&(step as i64)])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        log::info!("PostgreSQL database migrated to schema version {step}");
    }
}

/// Any other database error: a bug or an outage, logged with its cause.
fn db(e: postgres::Error) -> Error {
    Error::Internal(format!("database: {}", one_line(&e)))
}

/// The error and its causes on one line; a server error as "SEVERITY: message".
fn one_line(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out = format!("{out}: {s}");
        }
        cause = c.source();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// user@host:port/dbname, for messages (the password is never shown).
fn target(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    )
}
