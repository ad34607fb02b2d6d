//! Queries on `tokens` (API tokens, login tokens and profile sessions). Only SHA-256
//! digests of secrets are stored or looked up.

use super::optional;
use crate::error::Result;
use crate::model::{Page, Token};
use rusqlite::{params, Connection, Row};

const COLS: &str = "t.id, t.kind, t.name, t.prefix, t.expires, t.revoked, t.last_used, t.created";

fn row(r: &Row) -> rusqlite::Result<Token> {
    Ok(Token {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        expires: r.get(4)?,
        revoked: r.get(5)?,
        last_used: r.get(6)?,
        created: r.get(7)?,
    })
}

pub struct NewToken<'a> {
    pub id: &'a str,
    pub user: i64,
    pub kind: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: &'a [u8],
    pub expires: Option<&'a str>,
    pub at: &'a str,
}

pub fn insert(c: &Connection, t: &NewToken) -> Result<Token> {
    c.prepare_cached(
        "INSERT INTO tokens (id, user, kind, name, prefix, hash, expires, revoked, created) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
    )?
    .execute(params![
        t.id, t.user, t.kind, t.name, t.prefix, t.hash, t.expires, t.at
    ])?;
    Ok(by_id(c, t.user, t.id)?.expect("row just inserted"))
}

/// A token of `user` by its id.
pub fn by_id(c: &Connection, user: i64, id: &str) -> Result<Option<Token>> {
    let sql = format!("SELECT {COLS} FROM tokens t WHERE t.user = ? AND t.id = ?");
    optional(c.prepare_cached(&sql)?.query_row(params![user, id], row))
}

/// A live token found by its digest.
pub struct LiveToken {
    /// The row's rowid (what the writer's change reports name).
    pub seq: i64,
    pub user: i64,
    pub id: String,
    pub kind: String,
    pub last_used: Option<String>,
    pub expires: Option<String>,
}

/// The live token with this digest. Expired and revoked tokens are not found.
pub fn lookup(c: &Connection, hash: &[u8], now: &str) -> Result<Option<LiveToken>> {
    optional(
        c.prepare_cached(
            "SELECT user, id, kind, last_used, seq, expires FROM tokens WHERE hash = ? \
             AND revoked = 0 \
             AND (expires IS NULL OR expires > ?)",
        )?
        .query_row(params![hash, now], |r| {
            Ok(LiveToken {
                user: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                last_used: r.get(3)?,
                seq: r.get(4)?,
                expires: r.get(5)?,
            })
        }),
    )
}

pub fn touch(c: &Connection, id: &str, at: &str) -> Result<()> {
    c.prepare_cached("UPDATE tokens SET last_used = ? WHERE id = ?")?
        .execute(params![at, id])?;
    Ok(())
}

pub fn revoke(c: &Connection, user: i64, id: &str) -> Result<bool> {
    let n = c
        .prepare_cached("UPDATE tokens SET revoked = 1 WHERE user = ? AND id = ? AND revoked = 0")?
        .execute(params![user, id])?;
    Ok(n == 1)
}

/// Revokes every token of a user (used when a user is deactivated).
pub fn revoke_all(c: &Connection, user: i64) -> Result<()> {
    c.prepare_cached("UPDATE tokens SET revoked = 1 WHERE user = ?")?
        .execute([user])?;
    Ok(())
}

/// The user's live API and login tokens (not revoked, not expired; profile sessions are
/// not listed), newest first.
pub fn list(c: &Connection, user: i64, now: &str, limit: i64, offset: i64) -> Result<Page<Token>> {
    const LIVE: &str =
        "user = ?1 AND kind != 'session' AND revoked = 0 AND (expires IS NULL OR expires > ?2)";
    let count: i64 = c
        .prepare_cached(&format!("SELECT count(*) FROM tokens WHERE {LIVE}"))?
        .query_row(params![user, now], |r| r.get(0))?;
    let sql =
        format!("SELECT {COLS} FROM tokens t WHERE {LIVE} ORDER BY t.seq DESC LIMIT ?3 OFFSET ?4");
    let items = c
        .prepare_cached(&sql)?
        .query_map(params![user, now, limit, offset], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Page { count, items })
}
