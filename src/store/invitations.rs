//! Queries on `invitations`. Tokens are stored only as SHA-256 digests; an invitation is
//! consumed by one conditional UPDATE (exactly one row changes, or it was already used).

use super::db::{Db, Row, V};
use super::list::{self, Field};
use crate::error::Result;
use crate::model::{Invitation, Page, Role};
use crate::p;
use crate::query::{Kind, ListQuery};

const COLS: &str = "i.seq, i.id, o.id, i.organization, i.email, i.role, i.first_name, i.last_name, \
    i.preferred_language, i.expires, i.status, i.delivery_status, ib.id, ab.id, i.version, i.created, i.modified";
const FROM: &str = " FROM invitations i JOIN organizations o ON o.seq = i.organization \
    LEFT JOIN users ib ON ib.seq = i.invited_by LEFT JOIN users ab ON ab.seq = i.accepted_by";

pub const FIELDS: &[Field] = &[
    Field::key("email", "i.email_key"),
    Field::new(
        "role",
        "i.role",
        Kind::Enum(&["owner", "admin", "contributor", "accounting", "viewer"]),
    ),
    Field::new("created", "i.created", Kind::Time),
];

fn row(r: &Row) -> Result<Invitation> {
    let role: String = r.get(5)?;
    Ok(Invitation {
        seq: r.get(0)?,
        id: r.get(1)?,
        organization: r.get(2)?,
        organization_seq: r.get(3)?,
        email: r.get(4)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        first_name: r.get(6)?,
        last_name: r.get(7)?,
        preferred_language: r.get(8)?,
        expires: r.get(9)?,
        status: r.get(10)?,
        delivery_status: r.get(11)?,
        invited_by: r.get(12)?,
        accepted_by: r.get(13)?,
        version: r.get(14)?,
        created: r.get(15)?,
        modified: r.get(16)?,
    })
}

pub fn by_id(c: &impl Db, org: i64, id: &str) -> Result<Option<Invitation>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE i.organization = ? AND i.id = ?");
    c.one(&sql, &p![org, id], row)
}

pub fn by_hash(c: &impl Db, hash: &[u8]) -> Result<Option<Invitation>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE i.token_hash = CAST(? AS BLOB)");
    c.one(&sql, &p![hash], row)
}

/// An open, unexpired invitation of `org` for this email, if any.
pub fn open_for_email(c: &impl Db, org: i64, email: &str, now: &str) -> Result<Option<Invitation>> {
    let sql = format!(
        "SELECT {COLS}{FROM} WHERE i.organization = ? AND i.email_key = ? AND i.status = 'open' AND i.expires > ?"
    );
    c.one(&sql, &p![org, crate::model::fold(email), now], row)
}

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub org: i64,
    pub email: &'a str,
    pub role: Role,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub preferred_language: &'a str,
    pub token_hash: &'a [u8],
    pub expires: &'a str,
    pub invited_by: Option<i64>,
    pub at: &'a str,
}

pub fn insert(c: &impl Db, n: &NewInvitation) -> Result<Invitation> {
    c.exec("INSERT INTO invitations (id, organization, email, email_key, role, first_name, last_name, \
         preferred_language, token_hash, expires, status, delivery_status, invited_by, version, created, modified) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 'pending', ?, 1, ?, ?)", &p![
        n.id,
        n.org,
        n.email,
        crate::model::fold(n.email),
        n.role.as_str(),
        n.first_name,
        n.last_name,
        n.preferred_language,
        n.token_hash,
        n.expires,
        n.invited_by,
        n.at,
        n.at
    ])?;
    Ok(by_id(c, n.org, n.id)?.expect("row just inserted"))
}

pub fn set_delivery(c: &impl Db, seq: i64, status: &str) -> Result<()> {
    c.exec(
        "UPDATE invitations SET delivery_status = ? WHERE seq = ?",
        &p![status, seq],
    )?;
    Ok(())
}

/// Replaces the token (re-send): the old token stops working.
pub fn rotate(c: &impl Db, seq: i64, hash: &[u8], expires: &str, at: &str) -> Result<()> {
    c.exec(
        "UPDATE invitations SET token_hash = ?, expires = ?, delivery_status = 'pending', \
         version = version + 1, modified = ? WHERE seq = ? AND status = 'open'",
        &p![hash, expires, at, seq],
    )?;
    Ok(())
}

/// open → revoked; false if it was not open.
pub fn revoke(c: &impl Db, seq: i64, at: &str) -> Result<bool> {
    let n = c.exec(
        "UPDATE invitations SET status = 'revoked', version = version + 1, modified = ? \
             WHERE seq = ? AND status = 'open'",
        &p![at, seq],
    )?;
    Ok(n == 1)
}

/// open and unexpired → accepted, in one statement; false if someone else got there first.
pub fn consume(c: &impl Db, seq: i64, user: i64, at: &str) -> Result<bool> {
    let n = c.exec("UPDATE invitations SET status = 'accepted', accepted_by = ?, version = version + 1, modified = ? \
             WHERE seq = ? AND status = 'open' AND expires > ?", &p![user, at, seq, at])?;
    Ok(n == 1)
}

/// Open (not accepted, not revoked, not yet expired) invitations of an organization.
pub fn open_count(c: &impl Db, org: i64, now: &str) -> Result<i64> {
    c.scalar("SELECT count(*) FROM invitations WHERE organization = ? AND status = 'open' AND expires > ?", &p![org, now])
}

/// Lists an organization's invitations; `status` filters by the effective status.
pub fn list(
    c: &impl Db,
    org: i64,
    status: Option<&str>,
    now: &str,
    q: &ListQuery,
) -> Result<Page<Invitation>> {
    let mut params: Vec<V> = vec![V::Int(org)];
    let mut filter = String::from(" WHERE i.organization = ?");
    match status {
        Some("open") => {
            filter.push_str(" AND i.status = 'open' AND i.expires > ?");
            params.push(V::Text(now.to_string()));
        }
        Some("expired") => {
            filter.push_str(" AND i.status = 'open' AND i.expires <= ?");
            params.push(V::Text(now.to_string()));
        }
        Some(s) => {
            filter.push_str(" AND i.status = ?");
            params.push(V::Text(s.to_string()));
        }
        None => {}
    }
    filter.push_str(&list::where_sql(q, FIELDS, "i.email_key", &mut params)?);
    let order = list::order_sql(q, FIELDS, "i.seq DESC", "i.seq")?;
    list::page(c, COLS, FROM, &filter, params, &order, q, row)
}
