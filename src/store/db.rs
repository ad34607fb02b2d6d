//! The engine seam (docs/SCALING.md, step 2): what a store function needs from a database
//! connection, in orgreg's own terms, so that one function serves SQLite today and
//! PostgreSQL next.
//!
//! A store function takes `c: &impl Db` and writes its SQL once, with `?` placeholders in
//! the order of its parameters, and runs it with `exec`, `one` or `all` (named apart from
//! rusqlite's own methods). Parameters are `P` values (`p!(a, b, …)` builds the array),
//! rows are read through `Row` by position. The SQLite implementation is
//! rusqlite's own connection with its statement cache, so the fast path stays as it was.
//! Store modules move onto this seam one at a time (`tokens` first); the others still
//! take `&rusqlite::Connection`, which implements `Db`, so callers do not change.

use crate::error::{Error, Result};

/// A value bound to a statement parameter.
#[derive(Debug, Clone, Copy)]
pub enum P<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl From<i64> for P<'_> {
    fn from(v: i64) -> Self {
        P::Int(v)
    }
}

/// Booleans are stored as 0/1 integers on every engine.
impl From<bool> for P<'_> {
    fn from(v: bool) -> Self {
        P::Int(i64::from(v))
    }
}

impl<'a> From<&'a str> for P<'a> {
    fn from(v: &'a str) -> Self {
        P::Text(v)
    }
}

impl<'a> From<&'a String> for P<'a> {
    fn from(v: &'a String) -> Self {
        P::Text(v)
    }
}

impl<'a> From<&'a [u8]> for P<'a> {
    fn from(v: &'a [u8]) -> Self {
        P::Bytes(v)
    }
}

impl<'a, T: Into<P<'a>>> From<Option<T>> for P<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(P::Null, Into::into)
    }
}

/// `[P; n]` from expressions that convert into `P`.
#[macro_export]
macro_rules! p {
    ($($v:expr),* $(,)?) => { [$($crate::store::db::P::from($v)),*] };
}

/// One result row, read by column position.
pub trait Row {
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>>;
    /// A 0/1 integer column.
    fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.int(i)? != 0)
    }
}

/// What a store function needs from a connection or transaction.
pub trait Db {
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn exec(&self, sql: &str, params: &[P]) -> Result<usize>;
    /// The first row of a query, mapped by `f`, or `None` when it has none.
    fn one<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>>;
    /// Every row of a query, mapped by `f`.
    fn all<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>>;
}

// ---------------------------------------------------------------- SQLite

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            P::Null => ValueRef::Null,
            P::Int(v) => ValueRef::Integer(v),
            P::Text(v) => ValueRef::Text(v.as_bytes()),
            P::Bytes(v) => ValueRef::Blob(v),
        }))
    }
}

impl Row for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        Ok(self.get(i)?)
    }
}

impl Db for rusqlite::Connection {
    fn exec(&self, sql: &str, params: &[P]) -> Result<usize> {
        Ok(self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter()))?)
    }

    fn one<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        match rows.next()? {
            Some(r) => f(r).map(Some),
            None => Ok(None),
        }
    }

    fn all<T>(
        &self,
        sql: &str,
        params: &[P],
        mut f: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            out.push(f(r)?);
        }
        Ok(out)
    }
}

/// A row that must exist (just inserted or updated in the same transaction).
pub fn expect<T>(v: Option<T>, what: &str) -> Result<T> {
    v.ok_or_else(|| Error::Internal(format!("{what}: row not found in its own transaction")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_binds_and_reads_every_kind() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.exec(
            "CREATE TABLE t (i INTEGER, s TEXT, b BLOB, f INTEGER, n TEXT)",
            &[],
        )
        .unwrap();
        let none: Option<&str> = None;
        let bytes: &[u8] = b"\x00\x01";
        let n = c
            .exec(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                &crate::p!(7i64, "seven", bytes, true, none),
            )
            .unwrap();
        assert_eq!(n, 1);
        let got = c
            .one(
                "SELECT i, s, f, n, i + 1 FROM t WHERE s = ?",
                &crate::p!("seven"),
                |r| {
                    Ok((
                        r.int(0)?,
                        r.text(1)?,
                        r.bool(2)?,
                        r.opt_text(3)?,
                        r.opt_int(4)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(got, Some((7, "seven".into(), true, None, Some(8))));
        let missing = c
            .one("SELECT i FROM t WHERE s = ?", &crate::p!("eight"), |r| {
                r.int(0)
            })
            .unwrap();
        assert_eq!(missing, None);
        let all = c.all("SELECT s FROM t", &[], |r| r.text(0)).unwrap();
        assert_eq!(all, vec!["seven".to_string()]);
        // A NULL read as a non-optional value is an error, not a default.
        assert!(c.one("SELECT n FROM t", &[], |r| r.text(0)).is_err());
    }
}
