//! PostgreSQL storage, first block (issue 13): connecting, and the schema migrations.
//!
//! The steps in `migrations_pg/` are the PostgreSQL twins of `migrations/`: step N brings
//! a database to the equivalent of SQLite schema version N (tests/pg/schema.rs compares the two).
//! There is no "whole schema for an empty database" shortcut here: an empty PostgreSQL
//! database simply runs every step.
//!
//! The version lives in the one-row table `orgreg_schema` (SQLite keeps it in
//! `PRAGMA user_version`). Each pending step runs in its own transaction that first takes
//! a transaction-scoped advisory lock, so orgreg processes starting together on one
//! database apply every step exactly once: the others wait, then see the step done.

use crate::error::{Error, Result};
use postgres::{Client, NoTls};

/// Append-only, one per SQLite step (same numbering, same count). Never edit a step.
pub const STEPS: &[&str] = &[
    include_str!("migrations_pg/0001_foundation.sql"),
    include_str!("migrations_pg/0002_invitations.sql"),
    include_str!("migrations_pg/0003_activity_surface.sql"),
    include_str!("migrations_pg/0004_list_indexes.sql"),
];

/// The advisory lock key every orgreg migration takes ("orgreg" in ASCII). Advisory
/// locks are per database, so orgregs on other databases of the cluster do not wait.
const LOCK_KEY: i64 = 0x6f72_6772_6567;

pub fn latest() -> i64 {
    STEPS.len() as i64
}

/// Opens a connection (no TLS). A malformed URL, a refused connection or a rejected
/// password comes back as one line naming the server (never the password).
pub fn connect(url: &str) -> Result<Client> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| Error::Internal(format!("invalid PostgreSQL URL: {}", one_line(&e))))?;
    let mut client = config.connect(NoTls).map_err(|e| {
        Error::Internal(format!(
            "cannot connect to PostgreSQL at {}: {}",
            target(&config),
            one_line(&e)
        ))
    })?;
    durable(&mut client)?;
    Ok(client)
}

/// A 2xx means the write is committed durably: a server (or role, or database) set to
/// `synchronous_commit = off` would acknowledge commits it may lose on a crash, so this
/// session turns it back on. Stricter settings (`remote_write`, `remote_apply`, a
/// synchronous standby under Patroni's `synchronous_mode`) are kept.
fn durable(c: &mut Client) -> Result<()> {
    let setting: String = c
        .query_one("SELECT current_setting('synchronous_commit')", &[])
        .map_err(db)?
        .get(0);
    if setting == "off" {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            log::warn!("the database sets synchronous_commit = off; orgreg's sessions turn it on")
        });
        c.batch_execute("SET synchronous_commit = on").map_err(db)?;
    }
    Ok(())
}

/// Brings the database to the latest schema version, one step per transaction; refuses
/// a database whose version is newer than this binary knows.
pub fn migrate(client: &mut Client) -> Result<()> {
    loop {
        let mut tx = client.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .map_err(db)?;
        // (No NOTICE "already exists" in the log on every start.)
        tx.batch_execute(
            "SET LOCAL client_min_messages = warning;
             CREATE TABLE IF NOT EXISTS orgreg_schema (version BIGINT NOT NULL);
             INSERT INTO orgreg_schema (version)
                 SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM orgreg_schema);",
        )
        .map_err(db)?;
        let rows = tx
            .query("SELECT version FROM orgreg_schema", &[])
            .map_err(db)?;
        if rows.len() != 1 {
            return Err(Error::Internal(format!(
                "orgreg_schema holds {} rows, expected exactly one",
                rows.len()
            )));
        }
        let version: i64 = rows[0].get(0);
        if version > latest() {
            // The same words as SQLite's refusal.
            return Err(super::migrate::newer_than_binary(version, latest()));
        }
        if version == latest() {
            tx.commit().map_err(db)?;
            return Ok(());
        }
        let step = version as usize + 1;
        tx.batch_execute(STEPS[version as usize]).map_err(|e| {
            Error::Internal(format!("migration step {step} failed: {}", one_line(&e)))
        })?;
        tx.execute("UPDATE orgreg_schema SET version = $1", &[&(step as i64)])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        log::info!("PostgreSQL database migrated to schema version {step}");
    }
}

/// Any other database error: an outage is 503 (`Unavailable`, answered with
/// Retry-After), anything else a bug logged with its cause.
pub(crate) fn db(e: postgres::Error) -> Error {
    classify(e, "")
}

/// Whether a PostgreSQL error says "not now" rather than "wrong": the connection is gone
/// or broken (a killed backend, a server restarting or shutting down, a network error),
/// the server is a read-only replica (after a failover, until the URL finds the new
/// primary), it has no connection slots left, or the transaction lost a serialization
/// race or a deadlock (a retry can succeed).
pub fn is_transient(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::T_R_DEADLOCK_DETECTED,
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::READ_ONLY_SQL_TRANSACTION,
                    SqlState::TOO_MANY_CONNECTIONS,
                ]
                .contains(code)
        }
        // No server error: I/O on the socket, a timeout.
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// A serialization failure or a deadlock: the transaction may be run again as a whole.
pub fn is_lost_race(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// `Unavailable` for a transient error (logged as a warning), `Internal` otherwise.
fn classify(e: postgres::Error, context: &str) -> Error {
    if is_lost_race(&e) {
        // Expected under concurrent writes; the store runs the write again.
        log::debug!("lost a serialization race: {}{context}", one_line(&e));
        Error::Unavailable
    } else if is_transient(&e) {
        log::warn!("database unavailable: {}{context}", one_line(&e));
        Error::Unavailable
    } else {
        Error::Internal(format!("database: {}{context}", one_line(&e)))
    }
}

/// The error and its causes on one line; a server error as "SEVERITY: message".
fn one_line(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out = format!("{out}: {s}");
        }
        cause = c.source();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// user@host:port/dbname, for messages (the password is never shown).
fn target(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                postgres::config::Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(p) => p.display().to_string(),
            };
            // libpq: one port for every host, or one per host.
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            format!("{host}:{port}")
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost:5432".to_string()
    } else {
        hosts.join(",")
    };
    format!(
        "{}@{hosts}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    )
}

/// The URL for logs: user, hosts and database, never the password.
pub fn describe(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => format!("postgresql://{}", target(&c)),
        Err(_) => "postgresql://(invalid URL)".into(),
    }
}

// ---------------------------------------------------------------------------------------
// The engine seam (store::db) on PostgreSQL

use super::db::{Db, Engine, Row, P};
use postgres::types::{IsNull, ToSql, Type};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Statements prepared on one connection, by translated SQL text (they live as long as
/// the session, across transactions).
pub type Statements = RefCell<HashMap<Arc<str>, postgres::Statement>>;

/// At most this many statements are kept per connection; a full cache starts over.
const MAX_STATEMENTS: usize = 512;

/// A transaction's statement cache: its own, or its pooled connection's.
enum Cache<'a> {
    Own(Statements),
    Shared(&'a Statements),
}

impl Cache<'_> {
    fn get(&self) -> &Statements {
        match self {
            Cache::Own(s) => s,
            Cache::Shared(s) => s,
        }
    }
}

/// A PostgreSQL transaction as a `Db`: every store function runs on it unchanged. The
/// store's SQL is translated to this dialect once per statement text (`dialect`) and
/// prepared once per connection (`with_statements`; `new` prepares once per transaction).
pub struct PgDb<'a> {
    tx: RefCell<postgres::Transaction<'a>>,
    prepared: Cache<'a>,
    /// A statement failed because the transaction lost a serialization race or a
    /// deadlock: the whole transaction may be run again.
    lost_race: std::cell::Cell<bool>,
}

impl<'a> PgDb<'a> {
    pub fn new(tx: postgres::Transaction<'a>) -> PgDb<'a> {
        PgDb {
            tx: RefCell::new(tx),
            prepared: Cache::Own(RefCell::default()),
            lost_race: std::cell::Cell::new(false),
        }
    }

    /// A transaction that prepares through (and adds to) its connection's `statements`:
    /// a statement is parsed once per connection, and PostgreSQL can settle on a generic
    /// plan for it after a few runs.
    pub fn with_statements(tx: postgres::Transaction<'a>, statements: &'a Statements) -> PgDb<'a> {
        PgDb {
            tx: RefCell::new(tx),
            prepared: Cache::Shared(statements),
            lost_race: std::cell::Cell::new(false),
        }
    }

    pub fn commit(self) -> Result<()> {
        self.tx.into_inner().commit().map_err(db)
    }

    /// Commits, keeping PostgreSQL's error (the store retries a lost race at COMMIT).
    pub fn commit_raw(self) -> std::result::Result<(), postgres::Error> {
        self.tx.into_inner().commit()
    }

    /// Whether a statement of this transaction lost a serialization race or a deadlock.
    pub fn lost_race(&self) -> bool {
        self.lost_race.get()
    }

    /// Notes a lost race, then classifies the error. A duplicate key outside
    /// `exec_unique` counts as a lost race too: the store checks for the row before
    /// inserting such keys, so the duplicate was committed by a concurrent transaction
    /// after this one's snapshot (SQLite's single writer never meets this). Run again,
    /// the check sees it.
    fn fail(&self, e: postgres::Error, sql: &str) -> Error {
        self.note(&e);
        if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
            self.lost_race.set(true);
            return Error::Unavailable;
        }
        stmt_err(e, sql)
    }

    fn note(&self, e: &postgres::Error) {
        if is_lost_race(e) {
            self.lost_race.set(true);
        }
    }

    pub fn rollback(self) -> Result<()> {
        self.tx.into_inner().rollback().map_err(db)
    }

    /// Runs `sql` by `run` inside a savepoint, a uniqueness violation answered as
    /// `exec_unique` says. On PostgreSQL a failed statement aborts the whole transaction,
    /// on SQLite only the statement; the savepoint keeps the transaction usable after a
    /// conflict, as on SQLite.
    fn in_savepoint<T>(
        &self,
        sql: &str,
        params: &[P],
        map: &[(&str, &str)],
        run: impl FnOnce(
            &mut postgres::Transaction<'_>,
            &postgres::Statement,
            &[&(dyn ToSql + Sync)],
        ) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        bindable(params)?;
        let st = self.statement(sql)?;
        let mut tx = self.tx.borrow_mut();
        let mut sp = tx.savepoint("orgreg_unique").map_err(db)?;
        match run(&mut sp, &st, &refs(params)) {
            Ok(v) => {
                sp.commit().map_err(db)?;
                Ok(v)
            }
            Err(e) => {
                self.note(&e);
                sp.rollback().map_err(db)?;
                Err(unique_violation(e, map, sql))
            }
        }
    }

    fn statement(&self, sql: &str) -> Result<postgres::Statement> {
        let sql = dialect(sql);
        if let Some(st) = self.prepared.get().borrow().get(&sql) {
            return Ok(st.clone());
        }
        let st = self.tx.borrow_mut().prepare(&sql).map_err(|e| {
            self.note(&e);
            classify(e, &format!(" in {sql}"))
        })?;
        let mut cache = self.prepared.get().borrow_mut();
        if cache.len() >= MAX_STATEMENTS {
            cache.clear();
        }
        cache.insert(sql, st.clone());
        Ok(st)
    }

    fn query(&self, sql: &str, params: &[P]) -> Result<Vec<postgres::Row>> {
        bindable(params)?;
        let st = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .query(&st, &refs(params))
            .map_err(|e| self.fail(e, sql))
    }
}

/// PostgreSQL text cannot hold a NUL. Writes refuse them and lists and paths answer them
/// before the store, so one reaching here is refused as bad input, never a 500.
fn bindable(params: &[P]) -> Result<()> {
    if params
        .iter()
        .any(|p| matches!(p, P::Text(t) if t.contains('\0')))
    {
        return Err(Error::BadRequest(
            "Text may not contain NUL characters (U+0000).".into(),
        ));
    }
    Ok(())
}

fn refs<'p>(params: &'p [P<'p>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn stmt_err(e: postgres::Error, sql: &str) -> Error {
    classify(e, &format!(" in {}", dialect(sql)))
}

impl Db for PgDb<'_> {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn exec(&self, sql: &str, params: &[P]) -> Result<usize> {
        bindable(params)?;
        let st = self.statement(sql)?;
        let n = self
            .tx
            .borrow_mut()
            .execute(&st, &refs(params))
            .map_err(|e| self.fail(e, sql))?;
        Ok(n as usize)
    }

    fn exec_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<usize> {
        self.in_savepoint(sql, params, map, |sp, st, ps| sp.execute(st, ps))
            .map(|n| n as usize)
    }

    fn insert_unique(&self, sql: &str, params: &[P], map: &[(&str, &str)]) -> Result<i64> {
        self.in_savepoint(sql, params, map, |sp, st, ps| {
            sp.query_one(st, ps)?.try_get(0)
        })
    }

    fn one<T>(
        &self,
        sql: &str,
        params: &[P],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.query(sql, params)?.first() {
            Some(r) => f(&Row::pg(r)).map(Some),
            None => Ok(None),
        }
    }

    fn all<T>(
        &self,
        sql: &str,
        params: &[P],
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.query(sql, params)?
            .iter()
            .map(|r| f(&Row::pg(r)))
            .collect()
    }
}

/// SQLSTATE 23505 as the same conflict `store::unique_violation` makes of SQLite's
/// "UNIQUE constraint failed: table.column": `map` names columns `table.column`, matched
/// against the error's table and its detail "Key (column, …)=(…) already exists.".
fn unique_violation(e: postgres::Error, map: &[(&str, &str)], sql: &str) -> Error {
    let Some(d) = e.as_db_error() else {
        return stmt_err(e, sql);
    };
    if *d.code() != postgres::error::SqlState::UNIQUE_VIOLATION {
        return stmt_err(e, sql);
    }
    let cols: Vec<&str> = d
        .detail()
        .and_then(|t| t.strip_prefix("Key ("))
        .and_then(|t| t.split_once(")=("))
        .map(|(cols, _)| cols.split(", ").map(|c| c.trim_matches('"')).collect())
        .unwrap_or_default();
    for (column, field) in map {
        let (table, col) = column.split_once('.').unwrap_or(("", column));
        if (table.is_empty() || d.table() == Some(table)) && cols.contains(&col) {
            return Error::conflict(field, format!("A record with this {field} already exists."));
        }
    }
    Error::state("A record with these values already exists.")
}

/// Binds a parameter as the type PostgreSQL inferred for it: an integer as BIGINT,
/// INTEGER or SMALLINT (refused when out of range) or a 0/1 BOOLEAN; text as any text
/// type; bytes as BYTEA; NULL as anything.
impl ToSql for P<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            P::Null => Ok(IsNull::Yes),
            P::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::BOOL if v == 0 || v == 1 => (v == 1).to_sql(ty, out),
                _ => Err(format!("an integer ({v}) bound to a {ty} parameter").into()),
            },
            P::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.to_sql(ty, out)
                }
                _ => Err(format!("text bound to a {ty} parameter").into()),
            },
            P::Bytes(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(format!("bytes bound to a {ty} parameter").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        // Which types a value binds as depends on the value: `to_sql` decides.
        true
    }

    postgres::types::to_sql_checked!();
}

/// The store's SQL (written for SQLite) in PostgreSQL's dialect, translated once per
/// statement text and cached:
/// - `?` and `?N` placeholders become `$N` (a plain `?` takes the number after the
///   largest so far, as in SQLite); never inside a string literal or quoted name;
/// - `instr(a.col, ?) > 0` → `a.col LIKE orgreg_like($n)` (served by pg_trgm), any other
///   `instr(a, b)` → `strpos(a, b)`; `char(10)` → `chr(10)`,
///   `json_group_array(` → `json_agg(`;
/// - `CAST(x AS INTEGER)` → `CAST(x AS BIGINT)` (SQLite integers are 64-bit),
///   `CAST(x AS BLOB)` → `CAST(x AS BYTEA)`.
///
/// `orgreg_fold` is a SQL function the migrations create (step 1).
pub fn dialect(sql: &str) -> Arc<str> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(sql) {
        return t.clone();
    }
    let t: Arc<str> = translate(sql).into();
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= 4096 {
        map.clear();
    }
    map.insert(sql.to_string(), t.clone());
    t
}

fn translate(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut code = String::new();
    let mut max = 0usize;
    let mut chars = sql.chars().peekable();
    let flush = |code: &mut String, out: &mut String| {
        out.push_str(&rewrite_code(code));
        code.clear();
    };
    while let Some(ch) = chars.next() {
        match ch {
            '\'' | '"' => {
                flush(&mut code, &mut out);
                out.push(ch);
                // To the closing quote; a doubled quote inside reopens at once.
                for c in chars.by_ref() {
                    out.push(c);
                    if c == ch {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    max + 1
                } else {
                    digits.parse().unwrap_or(0)
                };
                max = max.max(n);
                code.push_str(&format!("${n}"));
            }
            _ => code.push(ch),
        }
    }
    flush(&mut code, &mut out);
    out
}

/// `instr(<a.column>, $N) > 0` (a substring `search` on a stored, folded column) as
/// `<a.column> LIKE orgreg_like($N)`, which a pg_trgm index can serve; other `instr`
/// calls are left for the rename to `strpos`.
fn like_searches(code: &str) -> String {
    const HEAD: &str = "instr(";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find(HEAD) {
        out.push_str(&rest[..at]);
        let after = &rest[at + HEAD.len()..];
        let col_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let (col, tail) = after.split_at(col_len);
        let param = tail.strip_prefix(", $").map(|t| {
            let n = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            (&t[..n], &t[n..])
        });
        let whole = !out.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        match param {
            Some((n, t))
                if whole && col.contains('.') && !n.is_empty() && t.starts_with(") > 0") =>
            {
                out.push_str(&format!("{col} LIKE orgreg_like(${n})"));
                rest = &t[") > 0".len()..];
            }
            _ => {
                out.push_str(HEAD);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The function and type renames, on SQL outside literals.
fn rewrite_code(code: &str) -> String {
    let code = &like_searches(code);
    const RENAMES: &[(&str, &str)] = &[
        ("json_group_array(", "json_agg("),
        ("instr(", "strpos("),
        ("char(", "chr("),
        (" AS INTEGER)", " AS BIGINT)"),
        (" AS BLOB)", " AS BYTEA)"),
    ];
    let mut s = code.to_string();
    for (from, to) in RENAMES {
        if !s.contains(from) {
            continue;
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while let Some(at) = rest.find(from) {
            // A whole name: not the tail of a longer identifier.
            let whole = !from.starts_with(|c: char| c.is_alphanumeric())
                || !rest[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
            out.push_str(&rest[..at]);
            out.push_str(if whole { to } else { from });
            rest = &rest[at + from.len()..];
        }
        out.push_str(rest);
        s = out;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn translates_the_store_dialect() {
        assert_eq!(
            translate("SELECT instr(a, ?) FROM t WHERE x = '?' AND y = ? AND z = ?"),
            "SELECT strpos(a, $1) FROM t WHERE x = '?' AND y = $2 AND z = $3"
        );
        assert_eq!(
            translate("WHERE a = ?1 AND b = ?2 OR a = ?1 AND c = ?"),
            "WHERE a = $1 AND b = $2 OR a = $1 AND c = $3"
        );
        assert_eq!(
            translate("SELECT CAST(? AS INTEGER), CAST(? AS BLOB), a || char(10) || 'char(10)'"),
            "SELECT CAST($1 AS BIGINT), CAST($2 AS BYTEA), a || chr(10) || 'char(10)'"
        );
        assert_eq!(
            translate("SELECT coalesce(json_group_array(u.id), '[]'), myinstr(x), \"it's\" = ?"),
            "SELECT coalesce(json_agg(u.id), '[]'), myinstr(x), \"it's\" = $1"
        );
        // A search on a stored column becomes a LIKE the trigram index serves; a folded
        // expression or another function keeps strpos.
        assert_eq!(
            translate("WHERE TRUE AND instr(o.search_text, ?) > 0 AND instr(orgreg_fold(coalesce(o.description, '')), ?) > 0"),
            "WHERE TRUE AND o.search_text LIKE orgreg_like($1) AND strpos(orgreg_fold(coalesce(o.description, '')), $2) > 0"
        );
        assert_eq!(
            translate("SELECT myinstr(o.a, ?) > 0, instr(o.a, ?) >= 0"),
            "SELECT myinstr(o.a, $1) > 0, strpos(o.a, $2) >= 0"
        );
    }
}
