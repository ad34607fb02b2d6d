//! Queries on `customers` and `customer_owners`.

use super::db::{Db, Row, V};
use super::list::{self, Field};
use crate::error::Result;
use crate::model::{Customer, Page};
use crate::p;
use crate::query::{Kind, ListQuery};

const COLS: &str = "c.seq, c.id, c.name, c.abbreviation, c.version, c.created, c.modified, \
    (SELECT coalesce(json_group_array(u.id), '[]') FROM (SELECT u.id FROM customer_owners co \
      JOIN users u ON u.seq = co.user WHERE co.customer = c.seq ORDER BY u.seq) u)";

pub const FIELDS: &[Field] = &[
    Field::new("name", "c.name", Kind::FoldedText),
    Field::new("abbreviation", "c.abbreviation", Kind::FoldedText),
    Field::new("created", "c.created", Kind::Time),
];

fn row(r: &Row) -> Result<Customer> {
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

pub fn by_id(c: &impl Db, id: &str) -> Result<Option<Customer>> {
    let sql = format!("SELECT {COLS} FROM customers c WHERE c.id = ?");
    c.one(&sql, &p![id], row)
}

pub fn by_seq(c: &impl Db, seq: i64) -> Result<Option<Customer>> {
    let sql = format!("SELECT {COLS} FROM customers c WHERE c.seq = ?");
    c.one(&sql, &p![seq], row)
}

pub fn is_owner(c: &impl Db, customer: i64, user: i64) -> Result<bool> {
    c.scalar(
        "SELECT EXISTS (SELECT 1 FROM customer_owners WHERE customer = ? AND \"user\" = ?)",
        &p![customer, user],
    )
}

pub fn insert(c: &impl Db, id: &str, name: &str, abbreviation: &str, at: &str) -> Result<i64> {
    c.scalar(
        "INSERT INTO customers (id, name, abbreviation, version, created, modified) \
         VALUES (?, ?, ?, 1, ?, ?) RETURNING seq",
        &p![id, name, abbreviation, at, at],
    )
}

pub fn update(c: &impl Db, seq: i64, name: &str, abbreviation: &str, at: &str) -> Result<()> {
    c.exec("UPDATE customers SET name = ?, abbreviation = ?, version = version + 1, modified = ? WHERE seq = ?", &p![name, abbreviation, at, seq])?;
    Ok(())
}

/// Replaces the owner set with `owners` (user seqs).
pub fn set_owners(c: &impl Db, customer: i64, owners: &[i64]) -> Result<()> {
    c.exec(
        "DELETE FROM customer_owners WHERE customer = ?",
        &p![customer],
    )?;
    for u in owners {
        c.exec(
            "INSERT INTO customer_owners (customer, \"user\") VALUES (?, ?) ON CONFLICT DO NOTHING",
            &p![customer, *u],
        )?;
    }
    Ok(())
}

pub fn delete(c: &impl Db, seq: i64) -> Result<()> {
    c.exec("DELETE FROM customers WHERE seq = ?", &p![seq])?;
    Ok(())
}

pub fn org_count(c: &impl Db, seq: i64) -> Result<i64> {
    c.scalar(
        "SELECT count(*) FROM organizations WHERE customer = ?",
        &p![seq],
    )
}

/// Lists customers; `owned_by` restricts to the customers a non-staff user owns.
pub fn list(c: &impl Db, owned_by: Option<i64>, q: &ListQuery) -> Result<Page<Customer>> {
    let mut params: Vec<V> = vec![];
    let mut filter = String::from(" WHERE TRUE");
    if let Some(me) = owned_by {
        params.push(V::Int(me));
        filter.push_str(" AND c.seq IN (SELECT customer FROM customer_owners WHERE \"user\" = ?)");
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
