//! The engine seam (docs/SCALING.md, step 2): what a store function needs from a database
//! connection, in orgreg's own terms, so that one function serves SQLite today and
//! PostgreSQL next.
//!
//! A store function takes `c: &impl Db` and writes its SQL once, with `?` placeholders in
//! the order of its parameters, and runs it with `exec`, `one` or `all` (named apart from
//! rusqlite's own methods). Parameters are `P` values (`p!(a, b, …)` builds the array;
//! `V` is the owned kind lists collect), rows are read with `Row::get` by position. The SQLite implementation is
//! rusqlite's own connection with its statement cache, so the fast path stays as it was.
//! The PostgreSQL implementation is `store::pg::PgDb`, a transaction that translates the
//! SQL once per statement text (`store::pg::dialect`). The SQL is therefore written in
//! the part of SQLite's dialect PostgreSQL also accepts or that `dialect` rewrites:
//! `TRUE`/`FALSE` rather than `1`/`0` as conditions, `"user"` quoted where unqualified,
//! an alias on every subquery in FROM, stored booleans compared as 0/1 integers.

use crate::error::{Error, Result};

/// A value bound to a statement parameter.
#[derive(Debug, Clone, Copy)]
pub enum P<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// A value that binds as a parameter (`p!` borrows each of its arguments through this).
pub trait ToP {
    fn p(&self) -> P<'_>;
}

impl ToP for i64 {
    fn p(&self) -> P<'_> {
        P::Int(*self)
    }
}

impl ToP for u16 {
    fn p(&self) -> P<'_> {
        P::Int(i64::from(*self))
    }
}

/// Booleans are stored as 0/1 integers on every engine.
impl ToP for bool {
    fn p(&self) -> P<'_> {
        P::Int(i64::from(*self))
    }
}

impl ToP for str {
    fn p(&self) -> P<'_> {
        P::Text(self)
    }
}

impl ToP for String {
    fn p(&self) -> P<'_> {
        P::Text(self)
    }
}

impl ToP for [u8] {
    fn p(&self) -> P<'_> {
        P::Bytes(self)
    }
}

impl ToP for Vec<u8> {
    fn p(&self) -> P<'_> {
        P::Bytes(self)
    }
}

impl<T: ToP + ?Sized> ToP for &T {
    fn p(&self) -> P<'_> {
        (**self).p()
    }
}

impl<T: ToP> ToP for Option<T> {
    fn p(&self) -> P<'_> {
        self.as_ref().map_or(P::Null, |v| v.p())
    }
}

impl ToP for V {
    fn p(&self) -> P<'_> {
        P::from(self)
    }
}

/// An owned parameter value, for statements whose parameters are collected as they are
/// built (lists).
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Int(i64),
    Text(String),
}

impl<'a> From<&'a V> for P<'a> {
    fn from(v: &'a V) -> Self {
        match v {
            V::Null => P::Null,
            V::Int(i) => P::Int(*i),
            V::Text(s) => P::Text(s),
        }
    }
}

/// The borrowed parameters of owned values.
pub fn ps(vs: &[V]) -> Vec<P<'_>> {
    vs.iter().map(P::from).collect()
}

/// `[P; n]` borrowing each argument (anything `ToP`; temporaries live to the end of the
/// statement that uses the array).
#[macro_export]
macro_rules! p {
    ($($v:expr),* $(,)?) => { [$($crate::store::db::ToP::p(&$v)),*] };
}

/// One result row, read by column position with `get` (any `Col` type: integers,
/// strings, bytes, booleans stored as 0/1, and their `Option`s for NULLs).
pub struct Row<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Pg(&'a postgres::Row),
}

impl<'a> Row<'a> {
    pub(crate) fn pg(r: &'a postgres::Row) -> Row<'a> {
        Row {
            inner: Inner::Pg(r),
        }
    }

    pub fn get<T: Col>(&self, i: usize) -> Result<T> {
        match self.inner {
            Inner::Sqlite(r) => T::sqlite(r, i),
            Inner::Pg(r) => T::pg(r, i),
        }
    }
}

/// A type a column can be read as, on each engine. Booleans are stored as 0/1 integers
/// on both; PostgreSQL also yields real booleans (`EXISTS`, `x IS NOT NULL`), so `bool`
/// reads either there. Integers read BIGINT, INTEGER or SMALLINT (`count(*)` is BIGINT).
/// Strings read any text type, and JSON (`json_agg`).
pub trait Col: Sized {
    fn sqlite(r: &rusqlite::Row, i: usize) -> Result<Self>;
    fn pg(r: &postgres::Row, i: usize) -> Result<Self>;
}

/// The PostgreSQL readings behind `Col`: each accepts the types its Rust type may come
/// from and converts.
mod pgread {
    use postgres::types::{FromSql, Type};
    type E = Box<dyn std::error::Error + Sync + Send>;

    pub struct Int(pub i64);
    impl<'a> FromSql<'a> for Int {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, E> {
            Ok(Int(match *ty {
                Type::INT8 => i64::from_sql(ty, raw)?,
                Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
                Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
                _ => i64::from(bool::from_sql(ty, raw)?),
            }))
        }
        fn accepts(ty: &Type) -> bool {
            matches!(*ty, Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL)
        }
    }

    pub struct Bool(pub bool);
    impl<'a> FromSql<'a> for Bool {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, E> {
            Ok(Bool(match *ty {
                Type::BOOL => bool::from_sql(ty, raw)?,
                _ => Int::from_sql(ty, raw)?.0 != 0,
            }))
        }
        fn accepts(ty: &Type) -> bool {
            Int::accepts(ty)
        }
    }

    pub struct Text(pub String);
    impl<'a> FromSql<'a> for Text {
        fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, E> {
            // The binary form of every accepted type is the UTF-8 text itself.
            Ok(Text(std::str::from_utf8(raw)?.to_string()))
        }
        fn accepts(ty: &Type) -> bool {
            matches!(
                *ty,
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON
            )
        }
    }

    pub struct Bytes(pub Vec<u8>);
    impl<'a> FromSql<'a> for Bytes {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, E> {
            Ok(Bytes(Vec::<u8>::from_sql(ty, raw)?))
        }
        fn accepts(ty: &Type) -> bool {
            *ty == Type::BYTEA
        }
    }
}

/// A column PostgreSQL could not read as the asked type: a bug, not an outage.
fn pg_err(e: postgres::Error) -> Error {
    Error::Internal(format!("database: reading a column: {e}"))
}

/// `Col` for `$t` and `Option<$t>`: SQLite through rusqlite's own reading, PostgreSQL
/// through the `pgread` type `$w`, converted by `$f`.
macro_rules! col {
    ($t:ty, $w:ty, $f:expr) => {
        impl Col for $t {
            fn sqlite(r: &rusqlite::Row, i: usize) -> Result<Self> {
                Ok(r.get::<_, $t>(i)?)
            }
            fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
                let f: fn($w) -> Result<$t> = $f;
                f(r.try_get::<_, $w>(i).map_err(pg_err)?)
            }
        }
        impl Col for Option<$t> {
            fn sqlite(r: &rusqlite::Row, i: usize) -> Result<Self> {
                Ok(r.get::<_, Option<$t>>(i)?)
            }
            fn pg(r: &postgres::Row, i: usize) -> Result<Self> {
                let f: fn($w) -> Result<$t> = $f;
                r.try_get::<_, Option<$w>>(i)
                    .map_err(pg_err)?
                    .map(f)
                    .transpose()
            }
        }
    };
}

col!(i64, pgread::Int, |v| Ok(v.0));
col!(u16, pgread::Int, |v| u16::try_from(v.0).map_err(|_| {
    Error::Internal(format!("{} is out of range for u16", v.0))
}));
col!(bool, pgread::Bool, |v| Ok(v.0));
col!(String, pgread::Text, |v| Ok(v.0));
col!(Vec<u8>, pgread::Bytes, |v| Ok(v.0));

/// The database engine behind a `Db`, for the few places whose SQL has no portable
/// form (the FTS5 lookup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// What a store function needs from a connection or transaction.
pub trait Db {
    /// Which engine runs the SQL.
    fn engine(&self) -> Engine;
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn exec(&self, sql: &str, params: &[P]) -> Result<usize>;
    /// The first row of a query, mapped by `f`, or `None` when it has none.
    fn one<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>>;
    /// Every row of a query, mapped by `f`.
    fn all<T>(&self, sql: &str, params: &[P], f: impl FnMut(&Row) -> Result<T>) -> Result<Vec<T>>;
    /// `exec`, with a uniqueness violation answered as a conflict on the public field
    /// that `map` pairs with the violated column (`("o.name_key", "name")`; see
    /// `store::unique_violation`).
    fn exec_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<usize>;
    /// `exec_unique` for an `INSERT … RETURNING <integer>`: the returned integer (a new
    /// row's `seq`, known without reading the row back).
    fn insert_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<i64>;
    /// The first column of the first row (a count, a max): a query that must give a row.
    fn scalar<T: Col>(&self, sql: &str, params: &[P]) -> Result<T> {
        self.one(sql, params, |r| r.get(0))?
            .ok_or_else(|| Error::Internal(format!("no row from {sql}")))
    }
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

impl rusqlite::ToSql for V {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            V::Null => ValueRef::Null,
            V::Int(v) => ValueRef::Integer(*v),
            V::Text(v) => ValueRef::Text(v.as_bytes()),
        }))
    }
}

impl Db for rusqlite::Connection {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn exec(&self, sql: &str, params: &[P]) -> Result<usize> {
        Ok(self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter()))?)
    }

    fn exec_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<usize> {
        self.prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| super::unique_violation(e, map))
    }

    fn insert_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<i64> {
        self.prepare_cached(sql)?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))
            .map_err(|e| super::unique_violation(e, map))
    }

    fn one<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        match rows.next()? {
            Some(r) => f(&Row {
                inner: Inner::Sqlite(r),
            })
            .map(Some),
            None => Ok(None),
        }
    }

    fn all<T>(
        &self,
        sql: &str,
        params: &[P],
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            out.push(f(&Row {
                inner: Inner::Sqlite(r),
            })?);
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
        type Got = (i64, String, bool, Option<String>, Option<i64>);
        let got: Option<Got> = c
            .one(
                "SELECT i, s, f, n, i + 1 FROM t WHERE s = ?",
                &crate::p!("seven"),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(got, Some((7, "seven".into(), true, None, Some(8))));
        let missing: Option<i64> = c
            .one("SELECT i FROM t WHERE s = ?", &crate::p!("eight"), |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(missing, None);
        let all = c
            .all("SELECT s FROM t", &[], |r| r.get::<String>(0))
            .unwrap();
        assert_eq!(all, vec!["seven".to_string()]);
        // A NULL read as a non-optional value is an error, not a default.
        assert!(c
            .one("SELECT n FROM t", &[], |r| r.get::<String>(0))
            .is_err());
    }
}
