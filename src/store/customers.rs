//! Queries on `customers` and `customer_owners`.

use super::list::{self, Field};
use super::optional;
use crate::error::Result;
use crate::model::{Customer, Page};
use crate::query::{Kind, ListQuery};
use rusqlite::types::Value as Sql;
use rusqlite::{params, Connection, Row};

const COLS: &str = "c.seq, c.id, c.name, c.abbreviation, c.version, c.created, c.modified, \
    (SELECT coalesce(json_group_array(u.id), '[]') FROM (SELECT u.id FROM customer_owners co \
      JOIN users u ON u.seq = co.user WHERE co.customer = c.seq ORDER BY u.seq) u)";

pub const FIELDS: &[Field] = &[
    Field::new("name", "c.name", Kind::FoldedText),
    Field::new("abbreviation", "c.abbreviation", Kind::FoldedText),
    Field::new("created", "c.created", Kind::Time),
];

fn row(r: &Row) -> rusqlite::Result<Customer> {
    let owners: String = r.get(7)?;
    Ok(Customer {
        seq: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        abbreviation: r.get(3)?,
        version: r.get(4)?,
        created: r.get(5)?,
        modified: r.get(6)?,
        owners: serde_json::from_str(&owners).unwrap_or_default(),
    })
}

pub fn by_id(c: &Connection, id: &str) -> Result<Option<Customer>> {
    let sql = format!("SELECT {COLS} FROM customers c WHERE c.id = ?");
    optional(c.prepare_cached(&sql)?.query_row([id], row))
}

pub fn by_seq(c: &Connection, seq: i64) -> Result<Option<Customer>> {
    let sql = format!("SELECT {COLS} FROM customers c WHERE c.seq = ?");
    optional(c.prepare_cached(&sql)?.query_row([seq], row))
}

pub fn is_owner(c: &Connection, customer: i64, user: i64) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM customer_owners WHERE customer = ? AND user = ?)",
    )?
    .query_row([customer, user], |r| r.get(0))?)
}

pub fn insert(c: &Connection, id: &str, name: &str, abbreviation: &str, at: &str) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO customers (id, name, abbreviation, version, created, modified) VALUES (?, ?, ?, 1, ?, ?)",
    )?
    .execute(params![id, name, abbreviation, at, at])?;
    Ok(c.last_insert_rowid())
}

pub fn update(c: &Connection, seq: i64, name: &str, abbreviation: &str, at: &str) -> Result<()> {
    c.prepare_cached(
        "UPDATE customers SET name = ?, abbreviation = ?, version = version + 1, modified = ? WHERE seq = ?",
    )?
    .execute(params![name, abbreviation, at, seq])?;
    Ok(())
}

/// Replaces the owner set with `owners` (user seqs).
pub fn set_owners(c: &Connection, customer: i64, owners: &[i64]) -> Result<()> {
    c.prepare_cached("DELETE FROM customer_owners WHERE customer = ?")?
        .execute([customer])?;
    let mut ins =
        c.prepare_cached("INSERT OR IGNORE INTO customer_owners (customer, user) VALUES (?, ?)")?;
    for u in owners {
        ins.execute([customer, *u])?;
    }
    Ok(())
}

pub fn delete(c: &Connection, seq: i64) -> Result<()> {
    c.prepare_cached("DELETE FROM customers WHERE seq = ?")?
        .execute([seq])?;
    Ok(())
}

pub fn org_count(c: &Connection, seq: i64) -> Result<i64> {
    Ok(
        c.prepare_cached("SELECT count(*) FROM organizations WHERE customer = ?")?
            .query_row([seq], |r| r.get(0))?,
    )
}

/// Lists customers; `owned_by` restricts to the customers a non-staff user owns.
pub fn list(c: &Connection, owned_by: Option<i64>, q: &ListQuery) -> Result<Page<Customer>> {
    let mut params: Vec<Sql> = vec![];
    let mut filter = String::from(" WHERE 1");
    if let Some(me) = owned_by {
        params.push(Sql::Integer(me));
        filter.push_str(" AND c.seq IN (SELECT customer FROM customer_owners WHERE user = ?)");
    }
    filter.push_str(&list::where_sql(
        q,
        FIELDS,
        "orgreg_fold(c.name || char(10) || c.abbreviation)",
        &mut params,
    )?);
    let order = list::order_sql(q, FIELDS, "", "c.seq")?;
    list::page(
        c,
        COLS,
        " FROM customers c",
        &filter,
        params,
        &order,
        q,
        row,
    )
}
