//! Storage: the engines (SQLite by default, PostgreSQL for several processes on one
//! database), the migration runners, and one module of hand-written queries per table.
//! This layer knows SQL and nothing of HTTP or of who may do what.
//!
//! `Store` is the one door: `read` runs a closure on a connection (SQLite: from a pool;
//! PostgreSQL: in a read-only snapshot), `write` runs a closure as one durable
//! transaction (SQLite: on the single writer with group commit, `sqlite`; PostgreSQL: a
//! SERIALIZABLE transaction run again when it loses a race, `pgstore`). Closures receive a
//! `Conn` and use it only through `db::Db`, so every store function serves both engines.
//! No connection leaves this module except inside `read` and `write`.

pub mod activity;
pub mod copy;
pub mod counts;
pub mod customers;
pub mod db;
pub mod fixtures;
pub mod idempotency;
pub mod invitations;
pub mod list;
pub mod members;
pub mod migrate;
pub mod orgs;
pub mod pg;
pub mod pgstore;
pub mod sqlite;
pub mod stats;
pub mod tokens;
pub mod users;

use crate::config::SyncMode;
use crate::error::{Error, Result};
use db::{Col, Db, Engine, Row, P};
use pg::PgDb;
use pgstore::PgStore;
pub use sqlite::open_connection;
use sqlite::Sqlite;

/// A row written in a watched table: (table, rowid).
pub type Changed = (&'static str, i64);

/// Whether `--db` names a PostgreSQL database (a `postgres://` or `postgresql://` URL)
/// rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// `--db` for logs: a SQLite path as given, a PostgreSQL URL without its password.
pub fn describe(db: &str) -> String {
    if is_postgres_url(db) {
        pg::describe(db)
    } else {
        db.to_string()
    }
}

/// The storage engine a registry runs on.
#[allow(clippy::large_enum_variant)] // one per process
pub enum Store {
    Sqlite(Sqlite),
    Postgres(PgStore),
}

/// What `read` and `write` closures receive: a connection of either engine, used through
/// `db::Db`.
pub enum Conn<'a, 't> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a PgDb<'t>),
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date. A
    /// `postgres://` URL opens PostgreSQL; anything else is a SQLite path, and `:memory:`
    /// a fresh temporary file that `close` removes.
    pub fn open(db: &str, sync: SyncMode) -> Result<Store> {
        if is_postgres_url(db) {
            Ok(Store::Postgres(PgStore::open(db)?))
        } else {
            Ok(Store::Sqlite(Sqlite::open(db, sync)?))
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Store::Sqlite(_) => Engine::Sqlite,
            Store::Postgres(_) => Engine::Postgres,
        }
    }

    /// The engine's name in `/healthz` and `/metrics`.
    pub fn engine_name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgresql",
        }
    }

    /// The SQLite engine, for what only it has (the file, backup, its counters).
    pub fn sqlite(&self) -> Option<&Sqlite> {
        match self {
            Store::Sqlite(s) => Some(s),
            Store::Postgres(_) => None,
        }
    }

    /// A SQLite read connection of its own (tools and tests that inspect the file); an
    /// error on PostgreSQL.
    pub fn reader(&self) -> Result<rusqlite::Connection> {
        match self {
            Store::Sqlite(s) => s.reader(),
            Store::Postgres(_) => Err(Error::Internal("not a SQLite database".into())),
        }
    }

    /// Runs `f` on a read connection. On PostgreSQL `f` sees one snapshot, and may run
    /// twice when its pooled connection turned out broken.
    pub fn read<T>(&self, mut f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        match self {
            Store::Sqlite(s) => s.read(|c| f(&Conn::Sqlite(c))),
            Store::Postgres(s) => s.read(|c| f(&Conn::Postgres(c))),
        }
    }

    /// Holds the lock named `name` across every process on this database until the
    /// returned value is dropped (PostgreSQL: an advisory lock; `None` on SQLite, where
    /// one process serves a file and an in-process lock is enough).
    pub fn hold(&self, name: &[u8]) -> Result<Option<pgstore::Held<'_>>> {
        match self {
            Store::Sqlite(_) => Ok(None),
            Store::Postgres(s) => {
                use sha2::Digest;
                let d = sha2::Sha256::digest(name);
                let key = i64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
                s.hold(key).map(Some)
            }
        }
    }

    /// Runs `f` on a read connection inside one transaction, so that its several
    /// statements see one consistent state (an export). PostgreSQL's reads are one
    /// snapshot already.
    pub fn snapshot<T>(&self, mut f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        match self {
            Store::Sqlite(s) => s.read(|c| {
                let tx = c.unchecked_transaction()?;
                let out = f(&Conn::Sqlite(&tx))?;
                tx.commit()?;
                Ok(out)
            }),
            Store::Postgres(s) => s.read(|c| f(&Conn::Postgres(c))),
        }
    }

    /// Runs `f` as one durable write: `Ok` is returned only once it is committed, and
    /// `Err` undoes everything it did. On PostgreSQL `f` may run more than once (a lost
    /// serialization race runs it again from the start), so it must act only through its
    /// connection.
    pub fn write<T>(&self, mut f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        match self {
            Store::Sqlite(s) => s.write(|c| f(&Conn::Sqlite(c))),
            Store::Postgres(s) => s.write(|c| f(&Conn::Postgres(c))),
        }
    }

    /// Opens `n` read connections up front (see `Sqlite::warm_readers`; on PostgreSQL
    /// the pool fills as it is used).
    pub fn warm_readers(&self, n: usize) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.warm_readers(n),
            Store::Postgres(_) => Ok(()),
        }
    }

    /// The storage state for `/healthz`: `"ok"` when the database answers (on
    /// PostgreSQL: a primary that takes writes), else what is wrong (`"unavailable"`,
    /// `"read-only"`: a replica, as right after a failover).
    pub fn health(&self) -> &'static str {
        let sql = match self.engine() {
            Engine::Sqlite => "SELECT 0",
            Engine::Postgres => "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END",
        };
        match self.read(|c| c.scalar::<i64>(sql, &[])) {
            Ok(0) => "ok",
            Ok(_) => "read-only",
            Err(_) => "unavailable",
        }
    }

    /// Calls `f` after every commit with the watched rows it wrote (SQLite only: a
    /// PostgreSQL database has other writers, so caches of those rows stay off there).
    pub fn on_commit(&self, f: impl Fn(&[Changed]) + Send + Sync + 'static) {
        if let Store::Sqlite(s) = self {
            s.on_commit(f)
        }
    }

    /// Whether other processes may write the same database, so that a cache kept in
    /// this process is never trusted (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// `(queue depth, last commit latency in µs)` of SQLite's writer; zeros on
    /// PostgreSQL.
    pub fn writer_stats(&self) -> (usize, u64) {
        self.sqlite().map(|s| s.writer_stats()).unwrap_or((0, 0))
    }

    /// Write transactions committed (or lost) since open.
    pub fn batches(&self) -> u64 {
        match self {
            Store::Sqlite(s) => s.batches(),
            Store::Postgres(s) => s.commits(),
        }
    }

    /// Checkpoints SQLite's WAL and removes a throw-away database; closes PostgreSQL's
    /// idle connections.
    pub fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close(),
            Store::Postgres(s) => s.close(),
        }
    }
}

impl Db for Conn<'_, '_> {
    fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    fn exec(&self, sql: &str, params: &[P]) -> Result<usize> {
        match self {
            Conn::Sqlite(c) => c.exec(sql, params),
            Conn::Postgres(c) => c.exec(sql, params),
        }
    }

    fn one<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Conn::Sqlite(c) => c.one(sql, params, f),
            Conn::Postgres(c) => c.one(sql, params, f),
        }
    }

    fn all<T>(&self, sql: &str, params: &[P], f: impl FnMut(&Row) -> Result<T>) -> Result<Vec<T>> {
        match self {
            Conn::Sqlite(c) => c.all(sql, params, f),
            Conn::Postgres(c) => c.all(sql, params, f),
        }
    }

    fn exec_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<usize> {
        match self {
            Conn::Sqlite(c) => c.exec_unique(sql, params, map),
            Conn::Postgres(c) => c.exec_unique(sql, params, map),
        }
    }

    fn insert_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<i64> {
        match self {
            Conn::Sqlite(c) => c.insert_unique(sql, params, map),
            Conn::Postgres(c) => c.insert_unique(sql, params, map),
        }
    }

    fn scalar<T: Col>(&self, sql: &str, params: &[P]) -> Result<T> {
        match self {
            Conn::Sqlite(c) => c.scalar(sql, params),
            Conn::Postgres(c) => c.scalar(sql, params),
        }
    }
}

/// A bound parameter wrapped in a cast. SQLite expires and re-prepares a cached statement
/// on every run when a parameter compared in the WHERE clause of a query with a LEFT JOIN
/// is bound anew (the planner may use the value to simplify the join); a cast keeps the
/// plan (and the index) without that. Measured with `StatementStatus::RePrepare`.
pub const TEXT_PARAM: &str = "CAST(? AS TEXT)";
pub const INT_PARAM: &str = "CAST(? AS INTEGER)";

/// Turns a UNIQUE-constraint failure into a 409 naming `field`; anything else passes on.
pub fn unique_violation(e: rusqlite::Error, map: &[(&str, &str)]) -> Error {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("UNIQUE") {
            for (column, field) in map {
                if msg.contains(column) {
                    return Error::conflict(
                        field,
                        format!("A record with this {field} already exists."),
                    );
                }
            }
            return Error::state("A record with these values already exists.");
        }
    }
    Error::from(e)
}

/// `Option` for a query that may find no row; any other error is kept.
pub fn optional<T>(r: rusqlite::Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn json_col(s: String) -> serde_json::Value {
    serde_json::from_str(&s).unwrap_or(serde_json::Value::Object(Default::default()))
}
