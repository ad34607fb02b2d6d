//! Queries on `tokens` (API tokens, login tokens and profile sessions). Only SHA-256
//! digests of secrets are stored or looked up.

use super::db::{expect, Db, Row};
use crate::error::Result;
use crate::model::{Page, Token};
use crate::p;

const COLS: &str = "t.id, t.kind, t.name, t.prefix, t.expires, t.revoked, t.last_used, t.created";

fn row(r: &Row) -> Result<Token> {
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

pub fn insert(c: &impl Db, t: &NewToken) -> Result<Token> {
    c.exec(
        "INSERT INTO tokens (id, \"user\", kind, name, prefix, hash, expires, revoked, created) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
        &p![t.id, t.user, t.kind, t.name, t.prefix, t.hash, t.expires, t.at],
    )?;
    expect(by_id(c, t.user, t.id)?, "token")
}

/// A token of `user` by its id.
pub fn by_id(c: &impl Db, user: i64, id: &str) -> Result<Option<Token>> {
    let sql = format!("SELECT {COLS} FROM tokens t WHERE t.user = ? AND t.id = ?");
    c.one(&sql, &p![user, id], row)
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
pub fn lookup(c: &impl Db, hash: &[u8], now: &str) -> Result<Option<LiveToken>> {
    c.one(
        "SELECT t.user, t.id, t.kind, t.last_used, t.seq, t.expires FROM tokens t \
         WHERE t.hash = ? AND t.revoked = 0 AND (t.expires IS NULL OR t.expires > ?)",
        &p![hash, now],
        |r| {
            Ok(LiveToken {
                user: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                last_used: r.get(3)?,
                seq: r.get(4)?,
                expires: r.get(5)?,
            })
        },
    )
}

pub fn touch(c: &impl Db, id: &str, at: &str) -> Result<()> {
    c.exec("UPDATE tokens SET last_used = ? WHERE id = ?", &p![at, id])?;
    Ok(())
}

pub fn revoke(c: &impl Db, user: i64, id: &str) -> Result<bool> {
    let n = c.exec(
        "UPDATE tokens SET revoked = 1 WHERE \"user\" = ? AND id = ? AND revoked = 0",
        &p![user, id],
    )?;
    Ok(n == 1)
}

/// Revokes every token of a user (used when a user is deactivated).
pub fn revoke_all(c: &impl Db, user: i64) -> Result<()> {
    c.exec(
        "UPDATE tokens SET revoked = 1 WHERE \"user\" = ?",
        &p![user],
    )?;
    Ok(())
}

/// The user's live API and login tokens (not revoked, not expired; profile sessions are
/// not listed), newest first.
pub fn list(c: &impl Db, user: i64, now: &str, limit: i64, offset: i64) -> Result<Page<Token>> {
    const LIVE: &str = "t.user = ? AND t.kind != 'session' AND t.revoked = 0 \
        AND (t.expires IS NULL OR t.expires > ?)";
    let count = c
        .one(
            &format!("SELECT count(*) FROM tokens t WHERE {LIVE}"),
            &p![user, now],
            |r| r.get(0),
        )?
        .unwrap_or(0);
    let sql =
        format!("SELECT {COLS} FROM tokens t WHERE {LIVE} ORDER BY t.seq DESC LIMIT ? OFFSET ?");
    let items = c.all(&sql, &p![user, now, limit, offset], row)?;
    Ok(Page { count, items })
}
