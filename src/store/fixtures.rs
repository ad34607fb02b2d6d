//! Whole-registry reads and writes for `orgreg export` / `orgreg import` (fixtures).
//!
//! The records here are the fixture document's shape (see `registry::fixtures`, which
//! validates them): references between records are uuids, and the integer ids the
//! profiles show (`seq` of users and organizations) are carried explicitly. Export reads
//! every table in `seq` order; import writes users and organizations through the same
//! `insert` functions the API uses (so every derived column — `*_key`, `search_text` —
//! is kept exactly as they keep it), then puts back what an insert cannot set (`seq`,
//! `version`, timestamps, `created_by`/`modified_by`).

use super::db::{Db, Engine};
use super::{orgs, tokens, users};
use crate::error::Result;
use crate::model::{fold, User};
use crate::p;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashMap;

/// `Some(value)` for a present field (even `null`), so `Option<Option<T>>` tells an
/// absent field from an explicit `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRec {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub seq: Option<i64>,
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default = "empty_object")]
    pub metadata: serde_json::Value,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub is_staff: bool,
    #[serde(default)]
    pub is_service_account: bool,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
    /// The stored argon2id PHC string (`export --with-secrets`; accepted on import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Import only: a plain password, hashed with argon2id on import.
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    /// Import only: an API token (`org_` + 43 characters), stored as its SHA-256.
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRec {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub abbreviation: String,
    /// Owners' user uuids.
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgRec {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub seq: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub native_name: String,
    #[serde(default)]
    pub abbreviation: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub currency_code: Option<String>,
    /// A customer uuid.
    #[serde(default)]
    pub customer: Option<String>,
    /// The recorded owner (a user uuid); absent: the first active approved owner member.
    #[serde(default, deserialize_with = "present")]
    pub owner: Option<Option<String>>,
    #[serde(default = "empty_object")]
    pub metadata: serde_json::Value,
    #[serde(default = "yes")]
    pub accepts_join_requests: bool,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub modified_by: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRec {
    #[serde(default)]
    pub id: Option<String>,
    /// An organization uuid.
    pub organization: String,
    /// A user uuid.
    pub user: String,
    pub role: String,
    #[serde(default = "approved")]
    pub status: String,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRec {
    #[serde(default)]
    pub id: Option<String>,
    /// An organization uuid.
    pub organization: String,
    pub email: String,
    pub role: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default = "pending")]
    pub delivery_status: String,
    #[serde(default)]
    pub invited_by: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
    /// Import only: the invitation's token (`org_` + 43 characters), stored as its
    /// SHA-256; absent, a random one nobody knows (re-send makes a new one).
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}
fn yes() -> bool {
    true
}
fn approved() -> String {
    "approved".into()
}
fn pending() -> String {
    "pending".into()
}

/// The AUTOINCREMENT high-water marks: the next user or organization gets a `seq` above
/// these, so ids of deleted rows are never handed out again after a round trip.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sequences {
    #[serde(default)]
    pub organizations: Option<i64>,
    #[serde(default)]
    pub users: Option<i64>,
}

/// Whether the database holds no registry data (a new or empty database).
pub fn is_empty(c: &impl Db) -> Result<bool> {
    c.scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM customers) \
         AND NOT EXISTS (SELECT 1 FROM organizations) AND NOT EXISTS (SELECT 1 FROM memberships) \
         AND NOT EXISTS (SELECT 1 FROM invitations) AND NOT EXISTS (SELECT 1 FROM tokens)",
        &[],
    )
}

// ---- export ----

/// The high-water marks of the never-reused integer ids: SQLite's AUTOINCREMENT counters
/// (`sqlite_sequence`), PostgreSQL's identity sequences.
pub fn sequences(c: &impl Db) -> Result<Sequences> {
    let sql = match c.engine() {
        Engine::Sqlite => "SELECT seq FROM sqlite_sequence WHERE name = ?",
        Engine::Postgres => {
            "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(?, 'seq') AS regclass))"
        }
    };
    let get = |name: &str| -> Result<Option<i64>> {
        Ok(c.one(sql, &p![name], |r| r.get::<Option<i64>>(0))?
            .flatten())
    };
    Ok(Sequences {
        organizations: get("organizations")?,
        users: get("users")?,
    })
}

pub fn export_users(c: &impl Db, with_secrets: bool) -> Result<Vec<UserRec>> {
    let users = super::users::all(c, with_secrets)?;
    Ok(users
        .into_iter()
        .map(|(u, hash)| UserRec {
            id: Some(u.id),
            seq: Some(u.seq),
            username: u.username,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            company: u.company,
            job_title: u.job_title,
            avatar_url: u.avatar_url,
            preferred_language: u.preferred_language,
            metadata: u.metadata,
            is_active: u.is_active,
            is_staff: u.is_staff,
            is_service_account: u.is_service_account,
            version: Some(u.version),
            created: Some(u.created),
            modified: Some(u.modified),
            password_hash: hash,
            password: None,
            token: None,
        })
        .collect())
}

pub fn export_customers(c: &impl Db) -> Result<Vec<CustomerRec>> {
    c.all(
        "SELECT c.id, c.name, c.abbreviation, \
           (SELECT coalesce(json_group_array(u.id), '[]') FROM (SELECT u.id FROM customer_owners co \
             JOIN users u ON u.seq = co.user WHERE co.customer = c.seq ORDER BY u.seq) u), \
           c.version, c.created, c.modified FROM customers c ORDER BY c.seq",
        &[],
        |r| {
        let owners: String = r.get(3)?;
        Ok(CustomerRec {
            id: r.get(0)?,
            name: r.get(1)?,
            abbreviation: r.get(2)?,
            owners: serde_json::from_str(&owners).unwrap_or_default(),
            version: r.get(4)?,
            created: r.get(5)?,
            modified: r.get(6)?,
        })
    },
    )
}

pub fn export_orgs(c: &impl Db) -> Result<Vec<OrgRec>> {
    let id = |u: Option<crate::model::UserRef>| u.map(|u| u.id);
    Ok(super::orgs::all(c)?
        .into_iter()
        .map(|o| OrgRec {
            id: Some(o.id),
            seq: Some(o.seq),
            name: o.name,
            description: o.description,
            native_name: o.native_name,
            abbreviation: o.abbreviation,
            logo_url: o.logo_url,
            currency_code: o.currency_code,
            customer: o.customer,
            owner: Some(id(o.owner)),
            metadata: o.metadata,
            accepts_join_requests: o.accepts_join_requests,
            version: Some(o.version),
            created: Some(o.created),
            modified: Some(o.modified),
            created_by: id(o.created_by),
            modified_by: id(o.modified_by),
        })
        .collect())
}

pub fn export_memberships(c: &impl Db) -> Result<Vec<MemberRec>> {
    c.all(
        "SELECT m.id, o.id, u.id, m.role, m.status, m.is_active, ab.id, m.approved_at, m.version, \
         m.created, m.modified FROM memberships m JOIN organizations o ON o.seq = m.organization \
         JOIN users u ON u.seq = m.user LEFT JOIN users ab ON ab.seq = m.approved_by ORDER BY m.seq",
        &[],
        |r| {
        Ok(MemberRec {
            id: r.get(0)?,
            organization: r.get(1)?,
            user: r.get(2)?,
            role: r.get(3)?,
            status: r.get(4)?,
            is_active: r.get(5)?,
            approved_by: r.get(6)?,
            approved_at: r.get(7)?,
            version: r.get(8)?,
            created: r.get(9)?,
            modified: r.get(10)?,
        })
    },
    )
}

/// Open invitations (stored status `open`, expired or not), without their tokens.
pub fn export_invitations(c: &impl Db) -> Result<Vec<InviteRec>> {
    c.all(
        "SELECT i.id, o.id, i.email, i.role, i.first_name, i.last_name, i.preferred_language, \
         i.expires, i.delivery_status, ib.id, i.version, i.created, i.modified \
         FROM invitations i JOIN organizations o ON o.seq = i.organization \
         LEFT JOIN users ib ON ib.seq = i.invited_by WHERE i.status = 'open' ORDER BY i.seq",
        &[],
        |r| {
            Ok(InviteRec {
                id: r.get(0)?,
                organization: r.get(1)?,
                email: r.get(2)?,
                role: r.get(3)?,
                first_name: r.get(4)?,
                last_name: r.get(5)?,
                preferred_language: r.get(6)?,
                expires: r.get(7)?,
                delivery_status: r.get(8)?,
                invited_by: r.get(9)?,
                version: r.get(10)?,
                created: r.get(11)?,
                modified: r.get(12)?,
                token: None,
            })
        },
    )
}

// ---- import ----
//
// The records reaching these functions are validated and complete (every `Option` the
// registry fills is `Some`); `seqs` maps uuids to the `seq` each row was given.

/// Uuid → seq of the rows written so far.
#[derive(Default)]
pub struct Seqs {
    pub users: HashMap<String, i64>,
    pub customers: HashMap<String, i64>,
    pub orgs: HashMap<String, i64>,
}

impl Seqs {
    fn user(&self, id: &Option<String>) -> Option<i64> {
        id.as_ref().and_then(|i| self.users.get(i).copied())
    }
}

/// Writes a user through `users::insert`, then its `seq` and `version`.
pub fn insert_user(
    c: &impl Db,
    u: &UserRec,
    password_hash: Option<&str>,
    seqs: &mut Seqs,
) -> Result<()> {
    let id = u.id.clone().unwrap_or_default();
    let user = User {
        seq: 0,
        id: id.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        company: u.company.clone(),
        job_title: u.job_title.clone(),
        avatar_url: u.avatar_url.clone(),
        preferred_language: u.preferred_language.clone(),
        metadata: u.metadata.clone(),
        is_active: u.is_active,
        is_staff: u.is_staff,
        is_service_account: u.is_service_account,
        has_password: password_hash.is_some(),
        version: 1,
        created: u.created.clone().unwrap_or_default(),
        modified: u.modified.clone().unwrap_or_default(),
    };
    users::insert(c, &user, password_hash)?;
    let seq = u.seq.unwrap_or_default();
    c.exec(
        "UPDATE users SET seq = ?, version = ? WHERE id = ?",
        &p![seq, u.version.unwrap_or(1), id],
    )?;
    seqs.users.insert(id, seq);
    Ok(())
}

/// An API token for user `seq` (its digest and visible prefix), named `fixture`.
pub fn insert_token(c: &impl Db, user: i64, hash: &[u8], prefix: &str, at: &str) -> Result<()> {
    tokens::insert(
        c,
        &tokens::NewToken {
            id: &crate::model::new_id(),
            user,
            kind: "api",
            name: "fixture",
            prefix,
            hash,
            expires: None,
            at,
        },
    )?;
    Ok(())
}

pub fn insert_customer(c: &impl Db, r: &CustomerRec, seqs: &mut Seqs) -> Result<()> {
    let id = r.id.clone().unwrap_or_default();
    let seq: i64 = c.scalar(
        "INSERT INTO customers (id, name, abbreviation, version, created, modified) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        &p![
            id,
            r.name,
            r.abbreviation,
            r.version.unwrap_or(1),
            r.created,
            r.modified
        ],
    )?;
    for u in &r.owners {
        if let Some(user) = seqs.users.get(u) {
            c.exec(
                "INSERT INTO customer_owners (customer, \"user\") VALUES (?, ?)",
                &p![seq, *user],
            )?;
        }
    }
    seqs.customers.insert(id, seq);
    Ok(())
}

/// Writes an organization with its `seq`, version and timestamps. The row is what
/// `orgs::insert` writes (same derived columns, from the same `OrgRow`; a unit test
/// compares every column) but in one statement: `orgs::insert` reads the row back, which
/// costs more than the insert itself at 100k rows.
pub fn insert_org(c: &impl Db, r: &OrgRec, seqs: &mut Seqs) -> Result<()> {
    let id = r.id.clone().unwrap_or_default();
    let row = org_row(r, seqs);
    let seq = r.seq.unwrap_or_default();
    c.exec("INSERT INTO organizations (seq, id, name, name_key, description, native_name, \
         native_name_key, abbreviation, abbreviation_key, logo_url, currency_code, customer, owner, \
         metadata, accepts_join_requests, search_text, version, created, modified, created_by, \
         modified_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &p![
        seq,
        row.id,
        row.name,
        fold(&row.name),
        row.description,
        row.native_name,
        fold(&row.native_name),
        row.abbreviation,
        row.abbreviation.as_deref().map(fold),
        row.logo_url,
        row.currency_code,
        row.customer,
        row.owner,
        row.metadata.to_string(),
        row.accepts_join_requests,
        row.search_text(),
        r.version.unwrap_or(1),
        r.created,
        r.modified,
        seqs.user(&r.created_by),
        seqs.user(&r.modified_by),
    ])?;
    seqs.orgs.insert(id, seq);
    Ok(())
}

fn org_row(r: &OrgRec, seqs: &Seqs) -> orgs::OrgRow {
    let owner = r.owner.clone().flatten();
    orgs::OrgRow {
        id: r.id.clone().unwrap_or_default(),
        name: r.name.clone(),
        description: r.description.clone(),
        native_name: r.native_name.clone(),
        abbreviation: r.abbreviation.clone(),
        logo_url: r.logo_url.clone(),
        currency_code: r.currency_code.clone(),
        customer: r
            .customer
            .as_ref()
            .and_then(|c| seqs.customers.get(c).copied()),
        owner: seqs.user(&owner),
        metadata: r.metadata.clone(),
        accepts_join_requests: r.accepts_join_requests,
        at: r.created.clone().unwrap_or_default(),
        by: seqs.user(&r.created_by),
    }
}

pub fn insert_membership(c: &impl Db, m: &MemberRec, seqs: &Seqs) -> Result<()> {
    c.exec(
        "INSERT INTO memberships (id, organization, \"user\", role, status, is_active, approved_by, \
         approved_at, version, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &p![
            m.id,
            seqs.orgs.get(&m.organization),
            seqs.users.get(&m.user),
            m.role,
            m.status,
            m.is_active,
            seqs.user(&m.approved_by),
            m.approved_at,
            m.version.unwrap_or(1),
            m.created,
            m.modified
        ],
    )?;
    Ok(())
}

pub fn insert_invitation(c: &impl Db, i: &InviteRec, token_hash: &[u8], seqs: &Seqs) -> Result<()> {
    c.exec("INSERT INTO invitations (id, organization, email, email_key, role, first_name, last_name, \
         preferred_language, token_hash, expires, status, delivery_status, invited_by, version, \
         created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)", &p![
        i.id,
        seqs.orgs.get(&i.organization),
        i.email,
        crate::model::fold(&i.email),
        i.role,
        i.first_name,
        i.last_name,
        i.preferred_language,
        token_hash,
        i.expires,
        i.delivery_status,
        seqs.user(&i.invited_by),
        i.version.unwrap_or(1),
        i.created,
        i.modified
    ])?;
    Ok(())
}

/// Sets the high-water marks (never below the largest `seq` present). On PostgreSQL
/// every identity sequence is also moved past the rows imported with explicit keys, so
/// that the next insert does not collide with them (SQLite's plain integer keys take
/// max + 1 by themselves).
pub fn set_sequences(c: &impl Db, s: &Sequences) -> Result<()> {
    let marks = [("users", s.users), ("organizations", s.organizations)];
    match c.engine() {
        Engine::Sqlite => {
            for (table, value) in marks {
                let max: i64 =
                    c.scalar(&format!("SELECT coalesce(max(seq), 0) FROM {table}"), &[])?;
                let value = value.unwrap_or(max).max(max);
                c.exec("DELETE FROM sqlite_sequence WHERE name = ?", &p![table])?;
                if value > 0 {
                    c.exec(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                        &p![table, value],
                    )?;
                }
            }
        }
        Engine::Postgres => {
            for table in IDENTITY_TABLES {
                let max: i64 =
                    c.scalar(&format!("SELECT coalesce(max(seq), 0) FROM {table}"), &[])?;
                let mark = marks
                    .iter()
                    .find(|(t, _)| *t == table)
                    .and_then(|(_, v)| *v);
                let value = mark.unwrap_or(max).max(max);
                if value > 0 {
                    c.scalar::<i64>(
                        "SELECT setval(pg_get_serial_sequence(?, 'seq'), ?)",
                        &p![table, value],
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// The PostgreSQL tables whose `seq` is an identity column.
const IDENTITY_TABLES: [&str; 7] = [
    "users",
    "customers",
    "organizations",
    "memberships",
    "tokens",
    "activity",
    "invitations",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// Every column of an organization written by the import equals what `orgs::insert`
    /// writes for the same record (so a derived column added to one must be added to
    /// the other).
    #[test]
    fn imported_organizations_equal_inserted_ones_column_for_column() {
        let mut a = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&mut a).unwrap();
        let rec = OrgRec {
            id: Some("00000000-0000-4000-8000-000000000001".into()),
            seq: Some(1),
            name: "Ärger GmbH".into(),
            description: "Dé".into(),
            native_name: "ÄRGER".into(),
            abbreviation: Some("ÄG".into()),
            logo_url: Some("https://x/l.png".into()),
            currency_code: Some("EUR".into()),
            metadata: serde_json::json!({"b": 1, "a": [true]}),
            accepts_join_requests: false,
            version: Some(1),
            created: Some("2026-01-01T00:00:00.000Z".into()),
            modified: Some("2026-01-01T00:00:00.000Z".into()),
            ..OrgRec::default()
        };
        let seqs = Seqs::default();
        orgs::insert(&a, &org_row(&rec, &seqs)).unwrap();
        let mut b = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&mut b).unwrap();
        insert_org(&b, &rec, &mut Seqs::default()).unwrap();
        let all = |c: &Connection| -> Vec<String> {
            let mut s = c.prepare("SELECT * FROM organizations").unwrap();
            let n = s.column_count();
            let names: Vec<String> = s.column_names().map(|c| c.to_string()).collect();
            s.query_row([], |r| {
                Ok((0..n)
                    .map(|i| {
                        let v: rusqlite::types::Value = r.get(i).unwrap();
                        format!("{}={v:?}", names[i])
                    })
                    .collect())
            })
            .unwrap()
        };
        assert_eq!(all(&a), all(&b));
    }
}
