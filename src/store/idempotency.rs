//! Queries on `idempotency_keys`: the first response to a keyed POST, kept 24 hours.

use super::db::Db;
use crate::error::Result;
use crate::p;

pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

pub fn get(c: &impl Db, user: i64, key: &str, not_before: &str) -> Result<Option<Stored>> {
    c.one(
        "SELECT request_hash, status, headers, body FROM idempotency_keys \
         WHERE \"user\" = ? AND key = ? AND created >= ?",
        &p![user, key, not_before],
        |r| {
            Ok(Stored {
                request_hash: r.get(0)?,
                status: r.get(1)?,
                headers: r.get(2)?,
                body: r.get(3)?,
            })
        },
    )
}

pub fn put(c: &impl Db, user: i64, key: &str, s: &Stored, at: &str) -> Result<()> {
    c.exec(
        "INSERT INTO idempotency_keys (\"user\", key, request_hash, status, headers, body, created) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (\"user\", key) DO UPDATE SET request_hash = excluded.request_hash, \
         status = excluded.status, headers = excluded.headers, body = excluded.body, \
         created = excluded.created",
        &p![
            user,
            key,
            s.request_hash.as_slice(),
            i64::from(s.status),
            &s.headers,
            s.body.as_slice(),
            at
        ],
    )?;
    Ok(())
}

/// Forgets keys older than `before`.
pub fn purge(c: &impl Db, before: &str) -> Result<usize> {
    c.exec(
        "DELETE FROM idempotency_keys WHERE created < ?",
        &p![before],
    )
}
