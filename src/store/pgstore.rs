//! The PostgreSQL side of the store (docs/SCALING.md, step 3): a pool of connections,
//! reads in one read-only snapshot, and writes as SERIALIZABLE transactions run again
//! from the start when they lose a serialization race.
//!
//! Serializable transactions behave as if they ran one at a time, which is what SQLite's
//! single writer gives: every rule a write closure checks and then acts on (the last
//! owner, one organization per customer, the organization limit, single-use invitations)
//! holds however many orgreg processes write at once. A write closure may therefore run
//! more than once (`FnMut`); it must only touch the database through its transaction.
//!
//! `Store::Postgres` is this store (`--db postgres://…`).

use super::pg::{self, PgDb};
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How many times a write that lost a race is run in all before it is answered 503.
const ATTEMPTS: u32 = 32;
/// The longest pause before a write runs again, milliseconds: the pause is random up to
/// 2^(attempt - 1) ms, capped here, so that writers that keep colliding on the same rows
/// spread out instead of colliding again at once (12 owners stepping down at once lost 8
/// races in a row without it). The pauses of one write sum to about 1.6 s on average when
/// it loses all 32 attempts.
const MAX_PAUSE_MS: u64 = 100;
/// Idle connections the pool keeps.
const MAX_IDLE: usize = 32;

/// How many write transactions one process runs at once (`ORGREG_PG_WRITERS`, default
/// 8): a bound on the connections writes hold, and a knob for contention (concurrent
/// SERIALIZABLE writes that touch the same rows or index pages are run again; fewer at
/// once from one process collide less). Measured in benches/scaling.rs (docs/SCALING.md).
fn writers() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("ORGREG_PG_WRITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(8)
    })
}

struct Place<'a>(&'a PgStore);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        *self.0.writing.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.0.written.notify_one();
    }
}

/// A pooled connection with the statements prepared on it.
struct Pooled {
    client: postgres::Client,
    statements: pg::Statements,
}

pub struct PgStore {
    url: String,
    idle: Mutex<Vec<Pooled>>,
    /// Write transactions running in this process (see `WRITERS`).
    writing: Mutex<usize>,
    written: std::sync::Condvar,
    /// Write transactions committed since open.
    commits: AtomicU64,
}

impl PgStore {
    /// Connects (one clear line when it cannot) and brings the schema up to date.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut first = pg::connect(url)?;
        pg::migrate(&mut first)?;
        Ok(PgStore {
            url: url.to_string(),
            idle: Mutex::new(vec![Pooled {
                client: first,
                statements: Default::default(),
            }]),
            commits: AtomicU64::new(0),
            writing: Mutex::new(0),
            written: std::sync::Condvar::new(),
        })
    }

    /// Waits for one of the `WRITERS` places; the place is given back on drop.
    fn writer_place(&self) -> impl Drop + '_ {
        let mut n = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= writers() {
            n = self.written.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
        Place(self)
    }

    /// Write transactions committed since open.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Closes the idle connections.
    pub fn close(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// An idle connection that is still open, or a new one.
    fn client(&self) -> Result<Pooled> {
        loop {
            let popped = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match popped {
                Some(c) if !c.client.is_closed() => return Ok(c),
                Some(_) => continue, // broken: dropped
                None => {
                    return pg::connect(&self.url)
                        .map(|client| Pooled {
                            client,
                            statements: Default::default(),
                        })
                        .map_err(|e| {
                            match e {
                                Error::Internal(why) => {
                                    log::warn!("database unavailable: {why}")
                                }
                                other => log::warn!("database unavailable: {other}"),
                            }
                            Error::Unavailable
                        })
                }
            }
        }
    }

    fn put(&self, c: Pooled) {
        if c.client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(c);
        }
    }

    /// Runs `f` in one read-only snapshot. A connection found broken at its first
    /// statement is replaced once.
    pub fn read<T>(&self, mut f: impl FnMut(&PgDb) -> Result<T>) -> Result<T> {
        for attempt in 0..2 {
            let mut c = self.client()?;
            let out = {
                let Pooled { client, statements } = &mut c;
                let tx = client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start();
                match tx {
                    Ok(tx) => {
                        let db = PgDb::with_statements(tx, statements);
                        let out = f(&db);
                        // A read commits nothing; ending it cannot lose data.
                        let _ = db.rollback();
                        out
                    }
                    Err(e) => Err(pg::db(e)),
                }
            };
            let broken = c.client.is_closed();
            self.put(c);
            match out {
                Err(Error::Unavailable) if broken && attempt == 0 => continue,
                other => return other,
            }
        }
        Err(Error::Unavailable)
    }

    /// Runs `f` as one SERIALIZABLE transaction and commits it; a lost serialization race
    /// or deadlock runs it again (up to `ATTEMPTS` in all, then 503). `Ok` is returned
    /// only after PostgreSQL acknowledged the COMMIT. A connection lost before COMMIT is
    /// retried on a new one; one lost during COMMIT is not (the outcome is unknown): 503.
    pub fn write<T>(&self, mut f: impl FnMut(&PgDb) -> Result<T>) -> Result<T> {
        for attempt in 1..=ATTEMPTS {
            let place = self.writer_place();
            let mut c = self.client()?;
            let (out, failed) = write_once(&mut c, &mut f);
            drop(place);
            let broken = c.client.is_closed();
            self.put(c);
            let again = match failed {
                Failed::No => {
                    self.commits.fetch_add(1, Ordering::Relaxed);
                    false
                }
                // Nothing began: a broken pooled connection, a server not ready.
                Failed::AtStart { transient } => transient,
                // Nothing was committed: safe to run again.
                Failed::InBody { lost_race } => {
                    lost_race || (broken && matches!(out, Err(Error::Unavailable)))
                }
                // PostgreSQL refused the COMMIT for a lost race: nothing was committed.
                // Any other failure here leaves the outcome unknown: never run again.
                Failed::AtCommit { lost_race } => lost_race,
            };
            if again && attempt < ATTEMPTS {
                log::debug!("write attempt {attempt} lost a race or its connection; again");
                pause(attempt);
                continue;
            }
            if again {
                log::warn!("a write lost {ATTEMPTS} races in a row: 503");
                return Err(Error::Unavailable);
            }
            return out;
        }
        Err(Error::Unavailable)
    }
}

/// A PostgreSQL advisory lock held on a pooled connection of its own (see `PgStore::hold`);
/// released, and the connection returned, on drop. If this process dies, PostgreSQL
/// releases it with the session.
pub struct Held<'a> {
    store: &'a PgStore,
    client: Option<Pooled>,
    key: i64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(mut c) = self.client.take() {
            if c.client
                .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
                .is_ok()
            {
                self.store.put(c);
            }
        }
    }
}

impl PgStore {
    /// Waits (at most 60 s, then 503) for the cluster-wide advisory lock `key` and holds
    /// it until the returned value is dropped: one holder across every orgreg process on
    /// this database.
    pub fn hold(&self, key: i64) -> Result<Held<'_>> {
        let mut c = self.client()?;
        let locked = c
            .client
            .batch_execute("SET lock_timeout = '60s'")
            .and_then(|_| c.client.execute("SELECT pg_advisory_lock($1)", &[&key]));
        match locked {
            Ok(_) => Ok(Held {
                store: self,
                client: Some(c),
                key,
            }),
            Err(e) => {
                log::warn!("advisory lock {key}: {e}");
                Err(Error::Unavailable)
            }
        }
    }
}

/// A random pause after attempt `attempt` lost (see `MAX_PAUSE_MS`).
fn pause(attempt: u32) {
    use rand::Rng;
    let ceiling = (1u64 << (attempt - 1).min(16)).min(MAX_PAUSE_MS);
    let ms = rand::thread_rng().gen_range(0..=ceiling);
    std::thread::sleep(std::time::Duration::from_micros(
        ms * 1000 + rand::thread_rng().gen_range(0..1000),
    ));
}

/// Where one attempt of a write failed, if it did.
enum Failed {
    No,
    AtStart { transient: bool },
    InBody { lost_race: bool },
    AtCommit { lost_race: bool },
}

/// One SERIALIZABLE transaction on `c`: `f`, then COMMIT.
fn write_once<T>(c: &mut Pooled, f: &mut impl FnMut(&PgDb) -> Result<T>) -> (Result<T>, Failed) {
    let Pooled { client, statements } = c;
    let tx = match client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::Serializable)
        .start()
    {
        Ok(tx) => tx,
        Err(e) => {
            let transient = pg::is_transient(&e);
            return (Err(pg::db(e)), Failed::AtStart { transient });
        }
    };
    let db = PgDb::with_statements(tx, statements);
    match f(&db) {
        Ok(v) => match db.commit_raw() {
            Ok(()) => (Ok(v), Failed::No),
            Err(e) => {
                let lost_race = pg::is_lost_race(&e);
                (Err(pg::db(e)), Failed::AtCommit { lost_race })
            }
        },
        Err(e) => {
            let lost_race = db.lost_race();
            let _ = db.rollback();
            (Err(e), Failed::InBody { lost_race })
        }
    }
}
