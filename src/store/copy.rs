//! `orgreg migrate-db`: a SQLite database copied row for row into an empty PostgreSQL
//! database (docs/SCALING.md, "Moving a database").
//!
//! Every table of the schema is copied whole — users with their password hashes, API
//! tokens (as their digests), customers, organizations, memberships, invitations, the
//! activity log and the stored idempotent responses — with the same keys, so integer ids
//! (AWX, accounts) and uuids stay what clients know. The never-reused high-water marks
//! (SQLite's AUTOINCREMENT counters) become the identity sequences' values. The source is
//! read in one snapshot; the target is written in one transaction, all or nothing, and
//! the row counts of both are compared before it commits.

use super::db::{Db, P};
use super::{fixtures, Conn, Store};
use crate::error::{Error, Result};

/// The tables, parents before children (foreign keys).
pub const TABLES: [&str; 9] = [
    "users",
    "customers",
    "customer_owners",
    "organizations",
    "memberships",
    "tokens",
    "invitations",
    "activity",
    "idempotency_keys",
];

/// Rows per INSERT statement.
const BATCH: usize = 200;

/// One copied value.
enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    fn p(&self) -> P<'_> {
        match self {
            Cell::Null => P::Null,
            Cell::Int(v) => P::Int(*v),
            Cell::Text(v) => P::Text(v),
            Cell::Bytes(v) => P::Bytes(v),
        }
    }
}

/// Copies the SQLite database `from` into the empty PostgreSQL database `to`; the row
/// count of each table.
pub fn sqlite_to_postgres(from: &Store, to: &Store) -> Result<Vec<(&'static str, i64)>> {
    let (Some(src), Store::Postgres(_)) = (from.sqlite(), to) else {
        return Err(Error::BadRequest(
            "migrate-db copies a SQLite database into a PostgreSQL one".into(),
        ));
    };
    if !to.read(|c| fixtures::is_empty(c))? || to.read(|c| has_rows(c, "activity"))? {
        return Err(Error::BadRequest(
            "the target database is not empty (migrate-db copies into a new database)".into(),
        ));
    }
    let conn = src.reader()?;
    // One snapshot of the source, even while a server writes to it.
    let snap = conn.unchecked_transaction()?;
    to.write(|dst| {
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let n = copy_table(&snap, dst, table)?;
            let stored: i64 = dst.scalar(&format!("SELECT count(*) FROM {table}"), &[])?;
            if stored != n {
                return Err(Error::Internal(format!(
                    "{table}: {n} rows read, {stored} stored"
                )));
            }
            counts.push((table, n));
        }
        fixtures::set_sequences(dst, &fixtures::sequences(&*snap)?)?;
        Ok(counts)
    })
}

fn has_rows(c: &impl Db, table: &str) -> Result<bool> {
    c.scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
}

/// Copies one table in batches of `BATCH` rows; the number of rows.
fn copy_table(src: &rusqlite::Connection, dst: &Conn, table: &str) -> Result<i64> {
    let columns: Vec<String> = {
        let mut st = src.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut st = src.prepare(&format!("SELECT {list} FROM {table}"))?;
    let mut rows = st.query([])?;
    let mut batch: Vec<Cell> = Vec::with_capacity(BATCH * columns.len());
    let mut n = 0i64;
    while let Some(r) = rows.next()? {
        for (i, column) in columns.iter().enumerate() {
            use rusqlite::types::ValueRef;
            batch.push(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                ValueRef::Real(_) => {
                    return Err(Error::Internal(format!(
                        "{table}.{column}: a REAL value; the schema has none"
                    )))
                }
            });
        }
        n += 1;
        if batch.len() == BATCH * columns.len() {
            insert(dst, table, &list, columns.len(), &batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        insert(dst, table, &list, columns.len(), &batch)?;
    }
    Ok(n)
}

fn insert(dst: &Conn, table: &str, list: &str, width: usize, cells: &[Cell]) -> Result<()> {
    let row = format!("({})", vec!["?"; width].join(", "));
    let rows = vec![row; cells.len() / width].join(", ");
    let params: Vec<P> = cells.iter().map(Cell::p).collect();
    dst.exec(
        &format!("INSERT INTO {table} ({list}) VALUES {rows}"),
        &params,
    )?;
    Ok(())
}
