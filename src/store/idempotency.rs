//! Queries on `idempotency_keys`: the first response to a keyed POST, kept 24 hours.

use super::optional;
use crate::error::Result;
use rusqlite::{params, Connection};

pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

pub fn get(c: &Connection, user: i64, key: &str, not_before: &str) -> Result<Option<Stored>> {
    optional(
        c.prepare_cached(
            "SELECT request_hash, status, headers, body FROM idempotency_keys \
             WHERE user = ? AND key = ? AND created >= ?",
        )?
        .query_row(params![user, key, not_before], |r| {
            Ok(Stored {
                request_hash: r.get(0)?,
                status: r.get(1)?,
                headers: r.get(2)?,
                body: r.get(3)?,
            })
        }),
    )
}

pub fn put(c: &Connection, user: i64, key: &str, s: &Stored, at: &str) -> Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO idempotency_keys (user, key, request_hash, status, headers, body, created) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![user, key, s.request_hash, s.status, s.headers, s.body, at])?;
    Ok(())
}

/// Forgets keys older than `before`.
pub fn purge(c: &Connection, before: &str) -> Result<usize> {
    Ok(
        c.prepare_cached("DELETE FROM idempotency_keys WHERE created < ?")?
            .execute([before])?,
    )
}
