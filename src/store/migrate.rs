//! Schema versions: `PRAGMA user_version` counts applied steps. An empty database gets
//! `schema.sql` whole; an older one runs the missing steps of the append-only list; a
//! database newer than this binary refuses to start.

use crate::error::{Error, Result};
use rusqlite::Connection;

/// The current schema, applied whole to an empty database.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Append-only: step N brings a database from version N-1 to N. Never edit a step.
pub const STEPS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_invitations.sql"),
    include_str!("migrations/0003_activity_surface.sql"),
    include_str!("migrations/0004_list_indexes.sql"),
];

pub fn latest() -> i64 {
    STEPS.len() as i64
}

/// The refusal to open a database whose schema is newer than this binary (both engines).
pub fn newer_than_binary(version: i64, known: i64) -> Error {
    Error::Internal(format!(
        "the database schema is version {version}, newer than this orgreg knows ({known}); \
         run a newer orgreg or restore a backup"
    ))
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > latest() {
        return Err(newer_than_binary(version, latest()));
    }
    if version == latest() {
        return Ok(());
    }
    let empty: bool = conn.query_row(
        "SELECT count(*) = 0 FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if version == 0 && empty {
        tx.execute_batch(SCHEMA)?;
    } else {
        for (i, step) in STEPS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(step)
                .map_err(|e| Error::Internal(format!("migration step {} failed: {e}", i + 1)))?;
            log::info!("database migrated to schema version {}", i + 1);
        }
    }
    tx.pragma_update(None, "user_version", latest())?;
    tx.commit()?;
    Ok(())
}

/// Applies the steps up to `upto` only (tests build old databases with it).
pub fn migrate_to(conn: &mut Connection, upto: usize) -> Result<()> {
    let tx = conn.transaction()?;
    for step in &STEPS[..upto] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", upto as i64)?;
    tx.commit()?;
    Ok(())
}

/// A normalised description of the schema: every object's SQL plus each table's columns.
pub fn describe(conn: &Connection) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (ty, name, sql) = row?;
        // Whitespace is not schema: `ALTER TABLE ... ADD COLUMN` splices its text in
        // before the closing parenthesis, so spacing around punctuation is folded too.
        let sql: String = sql
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ,", ",")
            .replace(" )", ")")
            .replace("( ", "(");
        out.push(format!("{ty} {name}: {sql}"));
        if ty == "table" {
            let mut cols = conn.prepare(&format!("PRAGMA table_xinfo(\"{name}\")"))?;
            let list = cols.query_map([], |r| {
                Ok(format!(
                    "  {} {} notnull={} default={:?} pk={}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?
                ))
            })?;
            for c in list {
                out.push(c?);
            }
        }
    }
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    out.push(format!("user_version {v}"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem() -> Connection {
        Connection::open_in_memory().expect("in-memory database")
    }

    #[test]
    fn fresh_and_migrated_databases_are_identical() {
        let mut fresh = mem();
        migrate(&mut fresh).unwrap();
        let mut stepped = mem();
        migrate_to(&mut stepped, STEPS.len()).unwrap();
        assert_eq!(describe(&fresh).unwrap(), describe(&stepped).unwrap());
        assert_eq!(
            fresh
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            latest()
        );
    }

    #[test]
    fn every_older_version_migrates_to_the_current_schema() {
        let mut fresh = mem();
        migrate(&mut fresh).unwrap();
        for upto in 1..STEPS.len() {
            let mut old = mem();
            migrate_to(&mut old, upto).unwrap();
            old.execute_batch(
                "INSERT INTO users (id, username, username_key, created, modified) \
                 VALUES ('u1', 'Ada', 'ada', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            )
            .unwrap();
            migrate(&mut old).unwrap();
            assert_eq!(
                describe(&old).unwrap(),
                describe(&fresh).unwrap(),
                "from version {upto}"
            );
            let kept: String = old
                .query_row("SELECT username FROM users WHERE id = 'u1'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(kept, "Ada");
        }
    }

    #[test]
    fn a_newer_database_refuses_to_open() {
        let mut c = mem();
        c.execute_batch("PRAGMA user_version = 999").unwrap();
        let err = migrate(&mut c).unwrap_err();
        assert!(
            err.to_string().contains("newer than this orgreg knows"),
            "{err}"
        );
    }
}
