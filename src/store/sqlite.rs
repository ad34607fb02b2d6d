//! The SQLite engine: one file, the single writer with group commit, a pool of read
//! connections (see `write`). WAL lets reads proceed while the writer commits.

use super::{counts, migrate, Changed};
use crate::config::SyncMode;
use crate::error::{Error, Result};
use rusqlite::functions::FunctionFlags;
use rusqlite::hooks::Action;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

/// The lowest bundled SQLite version accepted: 3.51.3 fixed a WAL-reset corruption bug
/// present since 3.7.0.
const MIN_SQLITE: i32 = 3_051_003;

/// A batch commits once this many writes joined it, even with more waiting (bounds the
/// latency of its first member).
const MAX_BATCH: usize = 64;
/// ... or once it has been open this long.
const MAX_BATCH_AGE: Duration = Duration::from_millis(20);

type Subscriber = Box<dyn Fn(&[Changed]) + Send + Sync>;

pub struct Sqlite {
    path: PathBuf,
    sync: SyncMode,
    /// Set for `:memory:`: the temporary file to remove at stop.
    temporary: bool,
    writer: Mutex<Writer>,
    /// Threads inside `write` that have not yet run their closure (the writer's queue).
    queued: AtomicUsize,
    /// How long the last COMMIT took (its fsync under `synchronous=FULL`), microseconds.
    last_commit_micros: AtomicU64,
    /// Batches finished (committed or lost) since open.
    batches: AtomicU64,
    /// Outcomes of committed batches not yet collected by all their members.
    outcomes: Mutex<HashMap<u64, Outcome>>,
    committed: Condvar,
    /// Rows of watched tables written by the open batch (the update hook records them).
    changed: Arc<Mutex<Vec<Changed>>>,
    /// Called after every commit with the watched rows it wrote (see `on_commit`).
    subscribers: RwLock<Vec<Subscriber>>,
    /// Idle read connections; `read` takes one (or opens one) and puts it back.
    readers: Mutex<Vec<Connection>>,
    /// How many idle read connections the pool keeps (`warm_readers` sets it).
    max_idle: std::sync::atomic::AtomicUsize,
    /// Lists' counts between commits (see `counts`).
    counts: Arc<counts::Counts>,
}

/// The writer connection and the batch (transaction) open on it, if any.
struct Writer {
    conn: Connection,
    open: Option<Batch>,
    next_batch: u64,
}

struct Batch {
    id: u64,
    members: usize,
    started: Instant,
}

/// How a batch ended, kept until each member that waits for it has read it.
struct Outcome {
    error: Option<String>,
    waiting: usize,
}

/// The tables whose written rows `on_commit` subscribers hear about.
const WATCHED: [&str; 2] = ["users", "tokens"];

/// How many idle read connections the pool keeps unless told otherwise.
const MAX_IDLE_READERS: usize = 64;

impl Sqlite {
    /// Opens (creating if needed) the database and brings its schema up to date.
    /// `:memory:` opens a fresh temporary file that `close` removes.
    pub fn open(db: &str, sync: SyncMode) -> Result<Sqlite> {
        configure_sqlite();
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
        let changed: Arc<Mutex<Vec<Changed>>> = Arc::default();
        let sink = changed.clone();
        writer.update_hook(Some(move |_: Action, _: &str, table: &str, rowid: i64| {
            if let Some(t) = WATCHED.iter().find(|w| **w == table) {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((t, rowid));
            }
        }))?;
        Ok(Sqlite {
            path,
            sync,
            temporary,
            writer: Mutex::new(Writer {
                conn: writer,
                open: None,
                next_batch: 1,
            }),
            queued: AtomicUsize::new(0),
            last_commit_micros: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            outcomes: Mutex::new(HashMap::new()),
            committed: Condvar::new(),
            changed,
            subscribers: RwLock::new(Vec::new()),
            readers: Mutex::new(Vec::new()),
            max_idle: std::sync::atomic::AtomicUsize::new(MAX_IDLE_READERS),
            counts: Arc::default(),
        })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A new read connection of its own (tools and tests; the server reads through `read`).
    pub fn reader(&self) -> Result<Connection> {
        open_connection(&self.path, self.sync, false)
    }

    /// Opens `n` read connections up front and keeps at most `n` idle: a server that
    /// handles at most `n` requests at once then holds a fixed set of descriptors from
    /// start to stop (none opened under load, none left behind).
    pub fn warm_readers(&self, n: usize) -> Result<()> {
        let n = n.max(1);
        let mut fresh = Vec::with_capacity(n);
        for _ in 0..n {
            fresh.push(open_connection(&self.path, self.sync, false)?);
        }
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        pool.extend(fresh);
        pool.truncate(n);
        self.max_idle.store(n, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Runs `f` on a read connection from the pool (opening one when none is idle). A
    /// connection left inside a transaction (a panic mid-read) is not reused.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => open_connection(&self.path, self.sync, false)?,
        };
        let out = self.counts.serving(|| f(&conn));
        if conn.is_autocommit() {
            let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < self.max_idle.load(std::sync::atomic::Ordering::Relaxed) {
                pool.push(conn);
            }
        }
        out
    }

    /// `(queue depth, last commit latency in µs)`: the threads waiting to run a write on
    /// the writer, and how long the last COMMIT (its fsync) took. Two relaxed atomic
    /// loads, for metrics.
    pub fn writer_stats(&self) -> (usize, u64) {
        (
            self.queued.load(Ordering::Relaxed),
            self.last_commit_micros.load(Ordering::Relaxed),
        )
    }

    /// How many batches (transactions, so fsyncs) the writer has finished since open.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Calls `f` after every commit, before any of its writers returns, with the rows of
    /// the watched tables (`users`, `tokens`) it wrote, whether or not each write
    /// succeeded (a rolled-back write may be listed). Caches of those rows invalidate here.
    pub fn on_commit(&self, f: impl Fn(&[Changed]) + Send + Sync + 'static) {
        self.subscribers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(f));
    }

    /// Runs `f` as one durable write: it commits with `Ok`, and `Err` (or a panic) undoes
    /// everything it did and nothing else.
    ///
    /// Group commit: writes arriving while the writer is busy share one transaction and
    /// so one fsync. Each caller runs its own closure on its own thread, in turn, under
    /// the writer's lock, inside a `SAVEPOINT` of the batch's `BEGIN IMMEDIATE`
    /// transaction; a failing closure rolls back to its savepoint only. The caller that
    /// finishes while nobody else is queued (or when the batch is full or old) commits
    /// the batch; every member returns only once that COMMIT has returned, so a returned
    /// `Ok` is as durable as before (on disk under `synchronous=FULL`). If the commit
    /// fails, every member gets the error.
    pub fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.queue(1);
        let mut w = self.lock_writer();
        let batch = match &mut w.open {
            Some(b) => {
                b.members += 1;
                b.id
            }
            None => {
                if let Err(e) = w.conn.execute_batch("BEGIN IMMEDIATE") {
                    self.queue(-1);
                    return Err(e.into());
                }
                let id = w.next_batch;
                w.next_batch += 1;
                w.open = Some(Batch {
                    id,
                    members: 1,
                    started: Instant::now(),
                });
                id
            }
        };
        let mut panic = None;
        let out = match w
            .conn
            .prepare_cached("SAVEPOINT w")
            .and_then(|mut s| s.execute([]))
        {
            Err(e) => Err(Error::from(e)),
            Ok(_) => {
                let conn = &w.conn;
                let out = match catch_unwind(AssertUnwindSafe(|| counts::bypassing(|| f(conn)))) {
                    Ok(out) => out,
                    Err(p) => {
                        panic = Some(p);
                        Err(Error::Internal("write panicked".into()))
                    }
                };
                let end = if out.is_ok() {
                    "RELEASE w"
                } else {
                    "ROLLBACK TO w; RELEASE w"
                };
                match (conn.is_autocommit(), conn.execute_batch(end)) {
                    (false, Ok(())) => out,
                    (false, Err(e)) => {
                        let _ = conn.execute_batch("ROLLBACK TO w; RELEASE w");
                        out.and(Err(e.into()))
                    }
                    // SQLite rolled the whole transaction back (I/O error, full disk):
                    // the batch is lost; see below.
                    (true, _) => out.and(Err(Error::Internal(
                        "the write transaction was rolled back".into(),
                    ))),
                }
            }
        };
        let remaining = self.queue(-1);
        let b = w
            .open
            .as_ref()
            .expect("batch open while its member holds the writer");
        debug_assert_eq!(b.id, batch);
        let lost = w.conn.is_autocommit();
        let commit_now = lost
            || remaining == 0
            || b.members >= MAX_BATCH
            || b.started.elapsed() >= MAX_BATCH_AGE;
        let result = if commit_now {
            match self.finish_batch(w, lost) {
                Some(_) => out.and(Err(Error::Unavailable)),
                None => out,
            }
        } else {
            drop(w);
            match self.wait_for(batch) {
                Some(_) => out.and(Err(Error::Unavailable)),
                None => out,
            }
        };
        if let Some(p) = panic {
            resume_unwind(p);
        }
        result
    }

    /// Adjusts the queue depth by `d`; returns the new depth.
    fn queue(&self, d: isize) -> usize {
        if d > 0 {
            self.queued.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.queued.fetch_sub(1, Ordering::SeqCst) - 1
        }
    }

    /// Commits (or, when SQLite already rolled it back, abandons) the open batch, tells
    /// the subscribers, and publishes its outcome to the members waiting for it. Returns
    /// the error, if any.
    fn finish_batch(&self, mut w: MutexGuard<'_, Writer>, lost: bool) -> Option<String> {
        let batch = w.open.take().expect("an open batch");
        let error = if lost {
            Some("the write transaction was rolled back".to_string())
        } else {
            let t = Instant::now();
            let r = w.conn.execute_batch("COMMIT");
            // Before any member returns: no count read before this commit is served after.
            self.counts.bump();
            let micros = t.elapsed().as_micros() as u64;
            self.last_commit_micros.store(micros, Ordering::Relaxed);
            match r {
                Ok(()) => None,
                Err(e) => {
                    if !w.conn.is_autocommit() {
                        let _ = w.conn.execute_batch("ROLLBACK");
                    }
                    Some(format!("commit failed: {e}"))
                }
            }
        };
        if let Some(e) = &error {
            log::error!("write batch of {} lost: {e}", batch.members);
        }
        self.batches.fetch_add(1, Ordering::Relaxed);
        let changed = std::mem::take(&mut *self.changed.lock().unwrap_or_else(|p| p.into_inner()));
        drop(w);
        if !changed.is_empty() {
            for s in self
                .subscribers
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
            {
                s(&changed);
            }
        }
        if batch.members > 1 {
            self.outcomes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(
                    batch.id,
                    Outcome {
                        error: error.clone(),
                        waiting: batch.members - 1,
                    },
                );
            self.committed.notify_all();
        }
        error
    }

    /// Blocks until batch `id` has been committed; its error, if any.
    fn wait_for(&self, id: u64) -> Option<String> {
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(o) = outcomes.get_mut(&id) {
                o.waiting -= 1;
                let error = o.error.clone();
                if o.waiting == 0 {
                    outcomes.remove(&id);
                }
                return error;
            }
            outcomes = self
                .committed
                .wait(outcomes)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The writer, recovered after a panic outside a closure (closures' panics are
    /// caught): a poisoned lock still holds a usable connection; a batch it left open is
    /// abandoned (rolled back) and its waiting members told so.
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        match self.writer.lock() {
            Ok(g) => g,
            Err(p) => {
                let mut g = p.into_inner();
                self.writer.clear_poison();
                if g.open.is_some() {
                    if !g.conn.is_autocommit() {
                        let _ = g.conn.execute_batch("ROLLBACK");
                    }
                    let b = g.open.take().expect("open");
                    self.outcomes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(
                            b.id,
                            Outcome {
                                error: Some("the write transaction was abandoned".into()),
                                waiting: b.members,
                            },
                        );
                    self.committed.notify_all();
                } else if !g.conn.is_autocommit() {
                    let _ = g.conn.execute_batch("ROLLBACK");
                }
                g
            }
        }
    }

    /// Checkpoints the WAL and, for a throw-away database, removes its files.
    pub fn close(&self) {
        let w = self.lock_writer();
        if let Err(e) = w.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
            log::warn!("checkpoint at stop failed: {e}");
        }
        drop(w);
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

/// Process-wide SQLite settings, applied once before the first connection opens: memory
/// statistics off. With them on (the bundled build's default) every allocation SQLite
/// makes takes one global mutex, and concurrent readers queue on it (perf showed lock
/// waits dominating an authenticated GET under 8 clients).
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called before any connection of this process is
        // opened through this module, with an int argument as SQLITE_CONFIG_MEMSTATUS
        // takes. If SQLite was already initialised (a tool opened a connection first) it
        // answers SQLITE_MISUSE and changes nothing; that is harmless.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as libc::c_int)
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            log::debug!("SQLite memory statistics stay on (sqlite3_config: {rc})");
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{orgs, unique_violation, users};
    use std::sync::atomic::AtomicBool;

    fn store() -> (tempfile::TempDir, Sqlite) {
        let dir = tempfile::TempDir::new().unwrap();
        let db = dir.path().join("t.db");
        let s = Sqlite::open(db.to_str().unwrap(), SyncMode::Full).unwrap();
        s.write(|tx| {
            tx.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")?;
            Ok(())
        })
        .unwrap();
        (dir, s)
    }

    fn count(s: &Sqlite) -> i64 {
        s.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .unwrap()
    }

    /// Many threads write at once; every third write inserts a duplicate (a uniqueness
    /// conflict) after a row of its own, every seventh returns a rule refusal after
    /// writing, one panics. Each failing write undoes exactly itself; the others commit,
    /// get `Ok` with their own value, and share commits (fewer batches than writes).
    #[test]
    fn group_commit_isolates_failures_within_a_batch() {
        let (_dir, s) = store();
        s.write(|tx| Ok(tx.execute("INSERT INTO t (k, v) VALUES (0, 'taken')", [])?))
            .unwrap();
        let before = s.batches();
        let threads = 16;
        let per = 40;
        let ok = AtomicUsize::new(0);
        let panicked = AtomicBool::new(false);
        std::thread::scope(|sc| {
            for t in 0..threads {
                let (s, ok, panicked) = (&s, &ok, &panicked);
                sc.spawn(move || {
                    for i in 0..per {
                        let k = (t * per + i + 1) as i64;
                        let borrowed = format!("v{k}");
                        let r = catch_unwind(AssertUnwindSafe(|| {
                            s.write(|tx| {
                                tx.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, &borrowed))?;
                                if k % 3 == 0 {
                                    tx.execute("INSERT INTO t (k, v) VALUES (?, 'taken')", [-k])
                                        .map_err(|e| unique_violation(e, &[("t.v", "v")]))?;
                                }
                                if k % 7 == 0 {
                                    return Err(Error::Forbidden("refused".into()));
                                }
                                if k == 100 {
                                    panic!("closure panics");
                                }
                                Ok(k)
                            })
                        }));
                        match r {
                            Err(_) => {
                                assert_eq!(k, 100);
                                panicked.store(true, Ordering::SeqCst);
                            }
                            Ok(Ok(v)) => {
                                assert_eq!(v, k);
                                assert!(k % 3 != 0 && k % 7 != 0 && k != 100);
                                ok.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok(Err(Error::Conflict { .. })) => assert_eq!(k % 3, 0),
                            Ok(Err(Error::Forbidden(_))) => assert_eq!(k % 7, 0),
                            Ok(Err(e)) => panic!("write {k}: unexpected {e:?}"),
                        }
                    }
                });
            }
        });
        assert!(panicked.load(Ordering::SeqCst));
        let n = (threads * per) as i64;
        let expected = (1..=n)
            .filter(|k| k % 3 != 0 && k % 7 != 0 && *k != 100)
            .count();
        assert_eq!(ok.load(Ordering::SeqCst), expected);
        // Exactly the successful rows (and the first) are there, and only they.
        assert_eq!(count(&s), expected as i64 + 1);
        let bad: i64 = s
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM t WHERE k < 0 OR k % 3 = 0 AND k > 0 OR k % 7 = 0 AND k > 0 OR k = 100",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(bad, 0);
        let batches = s.batches() - before;
        assert!(
            batches < n as u64,
            "{n} concurrent writes took {batches} commits: no grouping"
        );
        assert_eq!(s.writer_stats().0, 0);
        // The writer is usable afterwards.
        s.write(|tx| Ok(tx.execute("INSERT INTO t (k, v) VALUES (-1, 'after')", [])?))
            .unwrap();
    }

    /// Subscribers hear the watched rows a commit wrote before the writer returns.
    #[test]
    fn on_commit_reports_watched_rows_before_returning() {
        let (_dir, s) = store();
        let seen: Arc<Mutex<Vec<Changed>>> = Arc::default();
        let sink = seen.clone();
        s.on_commit(move |rows| sink.lock().unwrap().extend_from_slice(rows));
        let now = crate::model::now();
        let user = s
            .write(|tx| users::insert(tx, &crate::model::User::blank("watched".into(), &now), None))
            .unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![("users", user.seq)]);
        s.write(|tx| Ok(tx.execute("INSERT INTO t (k, v) VALUES (1, 'x')", [])?))
            .unwrap();
        // Unwatched tables are not reported.
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    /// A write run from inside a read (the read's count cache on this thread) counts
    /// afresh: it sees its own insert at once.
    #[test]
    fn a_write_inside_a_read_never_uses_the_count_cache() {
        let (_dir, s) = store();
        let q = crate::query::ListQuery {
            limit: 20,
            ..Default::default()
        };
        let now = crate::model::now();
        s.read(|_| {
            s.write(|tx| {
                let before = orgs::list(tx, None, &q)?.count;
                orgs::insert(
                    tx,
                    &orgs::OrgRow {
                        id: crate::model::new_id(),
                        name: "Counted Inside".into(),
                        description: String::new(),
                        native_name: String::new(),
                        abbreviation: None,
                        logo_url: None,
                        currency_code: None,
                        customer: None,
                        owner: None,
                        metadata: serde_json::json!({}),
                        accepts_join_requests: true,
                        at: now.clone(),
                        by: None,
                    },
                )?;
                assert_eq!(orgs::list(tx, None, &q)?.count, before + 1);
                Ok(())
            })
        })
        .unwrap();
    }
}
