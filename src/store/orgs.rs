//! Queries on `organizations`. Visibility for a non-staff caller is expressed here as SQL
//! (active approved membership, or ownership of the organization's customer) because it
//! must be part of every list query; the rule itself is owned by registry::policy.

use super::db::{Db, Row};
use super::list::{self, Field};
use super::{json_col, INT_PARAM, TEXT_PARAM};
use crate::error::Result;
use crate::model::{fold, Org, Page, UserRef};
use crate::p;
use crate::query::{Kind, ListQuery};

const COLS: &str = "o.seq, o.id, o.name, o.description, o.native_name, o.abbreviation, \
    o.logo_url, o.currency_code, c.id, o.customer, o.metadata, o.accepts_join_requests, \
    (SELECT count(*) FROM memberships m WHERE m.organization = o.seq AND m.status = 'approved' AND m.is_active = 1), \
    o.version, o.created, o.modified, \
    ow.seq, ow.id, ow.username, ow.first_name, ow.last_name, \
    cb.seq, cb.id, cb.username, cb.first_name, cb.last_name, \
    mb.seq, mb.id, mb.username, mb.first_name, mb.last_name";

const FROM: &str = " FROM organizations o \
    LEFT JOIN customers c ON c.seq = o.customer \
    LEFT JOIN users ow ON ow.seq = o.owner \
    LEFT JOIN users cb ON cb.seq = o.created_by \
    LEFT JOIN users mb ON mb.seq = o.modified_by";

/// Visibility for a non-staff user `?`: active approved member, or customer owner.
const VISIBLE: &str = "(o.seq IN (SELECT m.organization FROM memberships m WHERE m.user = ?1v \
      AND m.status = 'approved' AND m.is_active = 1) \
    OR o.customer IN (SELECT co.customer FROM customer_owners co WHERE co.user = ?1v))";

pub const FIELDS: &[Field] = &[
    Field::key("name", "o.name_key"),
    Field::key("native_name", "o.native_name_key"),
    Field::key("abbreviation", "o.abbreviation_key"),
    Field::new("description", "o.description", Kind::Text),
    Field::reference(
        "customer",
        "o.customer",
        "SELECT seq FROM customers WHERE id = ?",
    ),
    Field::reference("owner", "o.owner", "SELECT seq FROM users WHERE id = ?"),
    Field::new("currency_code", "o.currency_code", Kind::Text),
    Field::new("created", "o.created", Kind::Time),
    Field::new("modified", "o.modified", Kind::Time),
    Field::new("id", "o.seq", Kind::Int),
    // The name as stored (case-sensitive exact match, as AWX's `name=` filter is).
    Field::new("name_exact", "o.name", Kind::Text),
    // Name and description together, for surfaces whose search covers exactly those (AWX).
    Field::new(
        "name_or_description",
        "(o.name || char(10) || o.description)",
        Kind::Text,
    ),
];

/// The trigram index over `search_text`, which holds the folded name, native name,
/// abbreviation and description, one per line.
pub const FTS: list::Fts = list::Fts {
    table: "organizations_fts",
    key: "o.seq",
    covers: &[
        "name",
        "native_name",
        "abbreviation",
        "description",
        "name_exact",
        "name_or_description",
    ],
};

fn user_ref(r: &Row, at: usize) -> Result<Option<UserRef>> {
    let seq: Option<i64> = r.get(at)?;
    Ok(match seq {
        None => None,
        Some(seq) => Some(UserRef {
            seq,
            id: r.get(at + 1)?,
            username: r.get(at + 2)?,
            first_name: r.get(at + 3)?,
            last_name: r.get(at + 4)?,
        }),
    })
}

fn row(r: &Row) -> Result<Org> {
    Ok(Org {
        seq: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        native_name: r.get(4)?,
        abbreviation: r.get(5)?,
        logo_url: r.get(6)?,
        currency_code: r.get(7)?,
        customer: r.get(8)?,
        customer_seq: r.get(9)?,
        metadata: json_col(r.get(10)?),
        accepts_join_requests: r.get(11)?,
        member_count: r.get(12)?,
        version: r.get(13)?,
        created: r.get(14)?,
        modified: r.get(15)?,
        owner: user_ref(r, 16)?,
        created_by: user_ref(r, 21)?,
        modified_by: user_ref(r, 26)?,
    })
}

pub fn by_id(c: &impl Db, id: &str) -> Result<Option<Org>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE o.id = {TEXT_PARAM}");
    c.one(&sql, &p![id], row)
}

pub fn by_seq(c: &impl Db, seq: i64) -> Result<Option<Org>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE o.seq = {INT_PARAM}");
    c.one(&sql, &p![seq], row)
}

pub fn by_name(c: &impl Db, name: &str) -> Result<Option<Org>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE o.name_key = {TEXT_PARAM}");
    c.one(&sql, &p![fold(name)], row)
}

/// The fields a create or update writes.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub native_name: String,
    pub abbreviation: Option<String>,
    pub logo_url: Option<String>,
    pub currency_code: Option<String>,
    pub customer: Option<i64>,
    pub owner: Option<i64>,
    pub metadata: serde_json::Value,
    pub accepts_join_requests: bool,
    pub at: String,
    pub by: Option<i64>,
}

impl OrgRow {
    pub fn from_org(o: &Org) -> OrgRow {
        OrgRow {
            id: o.id.clone(),
            name: o.name.clone(),
            description: o.description.clone(),
            native_name: o.native_name.clone(),
            abbreviation: o.abbreviation.clone(),
            logo_url: o.logo_url.clone(),
            currency_code: o.currency_code.clone(),
            customer: o.customer_seq,
            owner: o.owner.as_ref().map(|u| u.seq),
            metadata: o.metadata.clone(),
            accepts_join_requests: o.accepts_join_requests,
            at: o.modified.clone(),
            by: o.modified_by.as_ref().map(|u| u.seq),
        }
    }
    pub fn search_text(&self) -> String {
        fold(&format!(
            "{}\n{}\n{}\n{}",
            self.name,
            self.native_name,
            self.abbreviation.as_deref().unwrap_or(""),
            self.description
        ))
    }
}

const UNIQUE: &[(&str, &str)] = &[
    ("organizations.id", "id"),
    ("organizations.name_key", "name"),
    ("organizations.abbreviation_key", "abbreviation"),
];

/// Inserts `o`; its new `seq`.
fn insert_seq(c: &impl Db, o: &OrgRow) -> Result<i64> {
    c.insert_unique("INSERT INTO organizations (id, name, name_key, description, native_name, native_name_key, \
         abbreviation, abbreviation_key, logo_url, currency_code, customer, owner, metadata, \
         accepts_join_requests, search_text, version, created, modified, created_by, modified_by) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING seq", &p![
        o.id,
        o.name,
        fold(&o.name),
        o.description,
        o.native_name,
        fold(&o.native_name),
        o.abbreviation,
        o.abbreviation.as_deref().map(fold),
        o.logo_url,
        o.currency_code,
        o.customer,
        o.owner,
        o.metadata.to_string(),
        o.accepts_join_requests,
        o.search_text(),
        o.at,
        o.at,
        o.by,
        o.by,
    ], UNIQUE)
}

pub fn insert(c: &impl Db, o: &OrgRow) -> Result<Org> {
    let seq = insert_seq(c, o)?;
    Ok(by_seq(c, seq)?.expect("row just inserted"))
}

/// The rows a new organization refers to, as its record names them.
pub struct Refs {
    /// The customer's id.
    pub customer: Option<String>,
    pub owner: Option<UserRef>,
    /// Who creates it.
    pub by: Option<UserRef>,
}

/// Inserts `o` and returns its record without reading it back (`member_count` 0). On
/// PostgreSQL a read of the new row would lock the index pages where concurrent creates
/// insert too (SERIALIZABLE tracks reads per page), and those creates would collide.
pub fn insert_new(c: &impl Db, o: &OrgRow, refs: Refs) -> Result<Org> {
    let seq = insert_seq(c, o)?;
    Ok(Org {
        seq,
        id: o.id.clone(),
        name: o.name.clone(),
        description: o.description.clone(),
        native_name: o.native_name.clone(),
        abbreviation: o.abbreviation.clone(),
        logo_url: o.logo_url.clone(),
        currency_code: o.currency_code.clone(),
        customer: refs.customer,
        customer_seq: o.customer,
        owner: refs.owner,
        metadata: o.metadata.clone(),
        accepts_join_requests: o.accepts_join_requests,
        member_count: 0,
        version: 1,
        created: o.at.clone(),
        modified: o.at.clone(),
        created_by: refs.by.clone(),
        modified_by: refs.by,
    })
}

pub fn update(c: &impl Db, seq: i64, o: &OrgRow) -> Result<Org> {
    c.exec_unique("UPDATE organizations SET name = ?, name_key = ?, description = ?, native_name = ?, \
         native_name_key = ?, abbreviation = ?, abbreviation_key = ?, logo_url = ?, currency_code = ?, \
         customer = ?, owner = ?, metadata = ?, accepts_join_requests = ?, search_text = ?, \
         version = version + 1, modified = ?, modified_by = ? WHERE seq = ?", &p![
        o.name,
        fold(&o.name),
        o.description,
        o.native_name,
        fold(&o.native_name),
        o.abbreviation,
        o.abbreviation.as_deref().map(fold),
        o.logo_url,
        o.currency_code,
        o.customer,
        o.owner,
        o.metadata.to_string(),
        o.accepts_join_requests,
        o.search_text(),
        o.at,
        o.by,
        seq,
    ], UNIQUE)?;
    Ok(by_seq(c, seq)?.expect("row exists"))
}

/// Deletes the organization; memberships and invitations go with it (ON DELETE CASCADE).
pub fn delete(c: &impl Db, seq: i64) -> Result<()> {
    c.exec("DELETE FROM organizations WHERE seq = ?", &p![seq])?;
    Ok(())
}

/// How many organizations name `user` as owner.
pub fn owned_count(c: &impl Db, user: i64) -> Result<i64> {
    c.scalar(
        "SELECT count(*) FROM organizations WHERE owner = ?",
        &p![user],
    )
}

/// Whether `user` may see `org` without being staff: an active approved member or an
/// owner of its customer.
pub fn visible_to(c: &impl Db, org: i64, user: i64) -> Result<bool> {
    c.scalar("SELECT EXISTS (SELECT 1 FROM memberships WHERE organization = ?1 AND \"user\" = ?2 \
           AND status = 'approved' AND is_active = 1) \
         OR EXISTS (SELECT 1 FROM organizations o JOIN customer_owners co ON co.customer = o.customer \
           WHERE o.seq = ?1 AND co.user = ?2)", &p![org, user])
}

pub fn list(c: &impl Db, visible_to: Option<i64>, q: &ListQuery) -> Result<Page<Org>> {
    let (mut filter, mut params) = list::visibility(visible_to, &VISIBLE.replace("?1v", "?"));
    filter.push_str(&list::where_sql(q, FIELDS, "o.search_text", &mut params)?);
    list::fts_restrict(c, q, &FTS, &mut filter, &mut params)?;
    let order = list::order_sql(q, FIELDS, "", "o.seq")?;
    list::page(c, COLS, FROM, &filter, params, &order, q, row)
}

/// Points `owner` at the earliest remaining active owner member (or NULL): used when the
/// recorded owner stops being one.
pub fn repoint_owner(c: &impl Db, org: i64, at: &str) -> Result<bool> {
    let n = c.exec("UPDATE organizations SET owner = (SELECT m.user FROM memberships m WHERE m.organization = ?1 \
               AND m.role = 'owner' AND m.status = 'approved' AND m.is_active = 1 ORDER BY m.seq LIMIT 1), \
               version = version + 1, modified = ?2 \
             WHERE seq = ?1 AND (owner IS NULL OR owner NOT IN (SELECT m.user FROM memberships m \
               WHERE m.organization = ?1 AND m.role = 'owner' AND m.status = 'approved' AND m.is_active = 1))", &p![org, at])?;
    Ok(n == 1)
}

/// Every organization in creation order (exports).
pub fn all(c: &impl Db) -> Result<Vec<Org>> {
    let sql = format!("SELECT {COLS}{FROM} ORDER BY o.seq");
    c.all(&sql, &[], row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    /// The hot lookups run their cached statement again without SQLite re-preparing it
    /// (a bound parameter in the WHERE clause of a LEFT JOIN query otherwise expires it
    /// on every run), and still find the row through an index.
    #[test]
    fn lookups_stay_prepared_and_use_their_index() {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let db = dir.path().join("p.db");
        let db = db.to_str().expect("utf-8 path");
        let store = super::super::Store::open(db, crate::config::SyncMode::Normal).expect("open");
        let c = store.reader().expect("reader");
        for i in 0..5 {
            by_id(&c, &format!("id-{i}")).expect("by_id");
            by_seq(&c, i).expect("by_seq");
            super::super::members::get(&c, i, i).expect("member");
        }
        for sql in [
            format!("SELECT {COLS}{FROM} WHERE o.id = {TEXT_PARAM}"),
            format!("SELECT {COLS}{FROM} WHERE o.seq = {INT_PARAM}"),
        ] {
            let st = c.prepare_cached(&sql).expect("cached");
            assert_eq!(st.get_status(StatementStatus::RePrepare), 0, "{sql}");
            drop(st);
            let plan: Vec<String> = c
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("plan")
                .query_map(["x"], |r| r.get::<_, String>(3))
                .expect("rows")
                .collect::<rusqlite::Result<_>>()
                .expect("plan rows");
            let main = plan
                .iter()
                .find(|d| d.contains(" o "))
                .expect("a step on o");
            assert!(main.starts_with("SEARCH o USING"), "{sql}: {plan:?}");
        }
    }
}
