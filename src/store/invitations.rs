//! Queries on `invitations`: the table exists (schema step 2); the operations arrive with
//! the invitations API.

use crate::error::Result;
use rusqlite::Connection;

/// Open (not accepted, not revoked, not yet expired) invitations of an organization.
pub fn open_count(c: &Connection, org: i64, now: &str) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT count(*) FROM invitations WHERE organization = ? AND status = 'open' AND expires > ?",
    )?
    .query_row(rusqlite::params![org, now], |r| r.get(0))?)
}
