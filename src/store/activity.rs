//! Queries on `activity`, the audit trail. Rows hold uuids, not foreign keys, so the
//! record of a deleted object outlives it.

use super::db::{Db, Row, V};
use super::list::{self, Field};
use crate::error::Result;
use crate::model::{Activity, Page};
use crate::p;
use crate::query::{Kind, ListQuery};

const COLS: &str = "a.seq, a.id, a.at, a.actor, a.action, a.object_type, a.object_id, a.organization, a.changes, a.request_id, a.surface";

pub const FIELDS: &[Field] = &[
    Field::new("action", "a.action", Kind::Text),
    Field::new("object_type", "a.object_type", Kind::Text),
    Field::new("object_id", "a.object_id", Kind::Text),
    Field::new("actor", "a.actor", Kind::Text),
    Field::new("organization", "a.organization", Kind::Text),
    Field::new("at", "a.at", Kind::Time),
];

fn row(r: &Row) -> Result<Activity> {
    let changes: String = r.get(8)?;
    Ok(Activity {
        id: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        action: r.get(4)?,
        object_type: r.get(5)?,
        object_id: r.get(6)?,
        organization: r.get(7)?,
        changes: super::json_col(changes),
        request_id: r.get(9)?,
        surface: r.get(10)?,
    })
}

pub fn insert(c: &impl Db, a: &Activity) -> Result<()> {
    c.exec("INSERT INTO activity (id, at, actor, action, object_type, object_id, organization, changes, request_id, surface) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &p![
        a.id,
        a.at,
        a.actor,
        a.action,
        a.object_type,
        a.object_id,
        a.organization,
        a.changes.to_string(),
        a.request_id,
        a.surface
    ])?;
    Ok(())
}

/// Newest first; `organization` restricts to one organization's feed.
pub fn list(c: &impl Db, organization: Option<&str>, q: &ListQuery) -> Result<Page<Activity>> {
    let mut params: Vec<V> = vec![];
    let mut filter = String::from(" WHERE TRUE");
    if let Some(org) = organization {
        params.push(V::Text(org.to_string()));
        filter.push_str(" AND a.organization = ?");
    }
    filter.push_str(&list::where_sql(q, FIELDS, "a.action", &mut params)?);
    list::page(
        c,
        COLS,
        " FROM activity a",
        &filter,
        params,
        " ORDER BY a.seq DESC",
        q,
        row,
    )
}

/// The time of the newest activity row of an organization.
pub fn last_at(c: &impl Db, organization: &str) -> Result<Option<String>> {
    c.scalar(
        "SELECT max(at) FROM activity WHERE organization = ?",
        &p![organization],
    )
}
