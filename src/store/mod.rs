//! Storage: opening SQLite connections with the right pragmas, the single writer, the
//! migration runner, and one module of hand-written queries per table. This layer knows
//! SQL and nothing of HTTP or of who may do what.
//!
//! Layout: reads borrow a connection from a small pool the store owns (opened on demand,
//! returned after use); every write goes through the one writer connection behind a
//! mutex, inside `BEGIN IMMEDIATE`. WAL lets reads proceed while the writer commits. No
//! connection leaves this module except inside `read` and `write`.

pub mod activity;
pub mod customers;
pub mod idempotency;
pub mod invitations;
pub mod list;
pub mod members;
pub mod migrate;
pub mod orgs;
pub mod stats;
pub mod tokens;
pub mod users;

use crate::config::SyncMode;
use crate::error::{Error, Result};
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The lowest bundled SQLite version accepted: 3.51.3 fixed a WAL-reset corruption bug
/// present since 3.7.0.
const MIN_SQLITE: i32 = 3_051_003;

pub struct Store {
    path: PathBuf,
    sync: SyncMode,
    /// Set for `:memory:`: the temporary file to remove at stop.
    temporary: bool,
    writer: Mutex<Connection>,
    /// Idle read connections; `read` takes one (or opens one) and puts it back.
    readers: Mutex<Vec<Connection>>,
}

/// How many idle read connections the pool keeps.
const MAX_IDLE_READERS: usize = 64;

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    /// `:memory:` opens a fresh temporary file that `close` removes.
    pub fn open(db: &str, sync: SyncMode) -> Result<Store> {
        if rusqlite::version_number() < MIN_SQLITE {
            return Err(Error::Internal(format!(
                "bundled SQLite {} is older than 3.51.3 (WAL-reset bug); rebuild",
                rusqlite::version()
            )));
        }
        let (path, temporary) = if db == ":memory:" {
            let p = std::env::temp_dir().join(format!("orgreg-mem-{}.db", crate::model::new_id()));
            (p, true)
        } else {
            (PathBuf::from(db), false)
        };
        let sync = if temporary { SyncMode::Normal } else { sync };
        let mut writer = open_connection(&path, sync, true)?;
        migrate::migrate(&mut writer)?;
        Ok(Store {
            path,
            sync,
            temporary,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A new read connection of its own (tools and tests; the server reads through `read`).
    pub fn reader(&self) -> Result<Connection> {
        open_connection(&self.path, self.sync, false)
    }

    /// Runs `f` on a read connection from the pool (opening one when none is idle). A
    /// connection left inside a transaction (a panic mid-read) is not reused.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => open_connection(&self.path, self.sync, false)?,
        };
        let out = f(&conn);
        if conn.is_autocommit() {
            let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < MAX_IDLE_READERS {
                pool.push(conn);
            }
        }
        out
    }

    /// `SELECT 1` on a read connection: the database answers.
    pub fn healthy(&self) -> bool {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .is_ok()
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer connection and
    /// commits if it returns Ok; any error rolls everything back.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let queued = stats::Waiting::enter();
        let mut conn = self.lock_writer();
        drop(queued);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        let commit = std::time::Instant::now();
        tx.commit()?;
        stats::committed(commit.elapsed());
        Ok(out)
    }

    /// The writer, recovered after a panic: a poisoned lock still holds a usable
    /// connection, and any transaction the panicking thread left open is rolled back.
    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        let guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if !guard.is_autocommit() {
            let _ = guard.execute_batch("ROLLBACK");
        }
        guard
    }

    /// Checkpoints the WAL and, for a throw-away database, removes its files.
    pub fn close(&self) {
        let conn = self.lock_writer();
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
            log::warn!("checkpoint at stop failed: {e}");
        }
        drop(conn);
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        if self.temporary {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = self.path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Opens one connection with the per-connection pragmas (they are not stored in the file):
/// WAL, foreign keys, busy timeout, synchronous.
pub fn open_connection(path: &std::path::Path, sync: SyncMode, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::Internal(format!("cannot open database {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(
        None,
        "synchronous",
        match sync {
            SyncMode::Full => "FULL",
            SyncMode::Normal => "NORMAL",
        },
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    // Full-Unicode lowercase, for case-insensitive matching beyond ASCII.
    conn.create_scalar_function(
        "orgreg_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            // Any type: lookups such as `id__icontains` fold integers too.
            use rusqlite::types::ValueRef;
            Ok(match ctx.get_raw(0) {
                ValueRef::Null => None,
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(f) => Some(f.to_string()),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Some(crate::model::fold(&String::from_utf8_lossy(t)))
                }
            })
        },
    )?;
    Ok(conn)
}

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
