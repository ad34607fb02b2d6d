//! The PostgreSQL schema against the SQLite one, and the PostgreSQL migration runner.
//!
//! Each test gets a database: `ORGREG_TEST_POSTGRES=<url>` if set (the tests then run one
//! at a time and WIPE everything the URL's role owns in that database first), else a
//! throw-away cluster of its own (initdb into a temp dir, started on a free 127.0.0.1
//! port, stopped and removed when the test ends). Without either the tests say so on one
//! line and pass.

use orgreg::config::SyncMode;
use orgreg::store::pg;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

const SKIP: &str = "skipped: no PostgreSQL (set ORGREG_TEST_POSTGRES or install postgresql)";

// ---------------------------------------------------------------------------------------
// The harness

/// A database for one test; dropping it stops its cluster (if it started one).
struct TestDb {
    url: String,
    cluster: Option<Cluster>,
    _serial: Option<MutexGuard<'static, ()>>,
}

impl TestDb {
    /// None (after printing the skip line) when no PostgreSQL is to be had.
    fn get() -> Option<TestDb> {
        if let Ok(url) = std::env::var("ORGREG_TEST_POSTGRES") {
            static SERIAL: Mutex<()> = Mutex::new(());
            let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
            let mut c = pg::connect(&url).expect("ORGREG_TEST_POSTGRES");
            // A clean slate: everything this role owns here goes.
            c.batch_execute("DROP OWNED BY CURRENT_USER")
                .expect("wipe the test database");
            return Some(TestDb {
                url,
                cluster: None,
                _serial: Some(guard),
            });
        }
        let bin = find_bin()?;
        let cluster = Cluster::start(&bin);
        Some(TestDb {
            url: cluster.url.clone(),
            cluster: Some(cluster),
            _serial: None,
        })
    }

    fn client(&self) -> postgres::Client {
        pg::connect(&self.url).expect("connect")
    }
}

/// The directory holding initdb, pg_ctl and postgres: initdb on PATH, else the newest
/// /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
fn find_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("initdb"))
            .find(|f| f.is_file())
    });
    let initdb = on_path.or_else(|| {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                let f = e.path().join("bin/initdb");
                f.is_file().then_some((v, f))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, f)| f)
    });
    match initdb {
        // Through symlinks (/usr/local/bin/initdb -> .../15/bin/initdb): pg_ctl and
        // postgres live beside the real one.
        Some(f) => Some(f.canonicalize().ok()?.parent()?.to_path_buf()),
        None => {
            // CI installs PostgreSQL (.ci/run): there, a missing server is a failure,
            // not a skip.
            assert!(
                std::env::var_os("ORGREG_REQUIRE_POSTGRES").is_none(),
                "ORGREG_REQUIRE_POSTGRES is set but no PostgreSQL was found"
            );
            println!("{SKIP}");
            None
        }
    }
}

/// A running throw-away cluster.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Some((uid, gid)) of the `postgres` OS user when running as root (PostgreSQL
    /// refuses to run as root).
    owner: Option<(u32, u32)>,
    url: String,
}

impl Cluster {
    fn start(bin: &Path) -> Cluster {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let owner = if unsafe { libc::geteuid() } == 0 {
            let pw = unsafe { libc::getpwnam(c"postgres".as_ptr()) };
            assert!(
                !pw.is_null(),
                "running as root: PostgreSQL needs the `postgres` OS user to run as"
            );
            let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
            chown(dir.path(), uid, gid);
            Some((uid, gid))
        } else {
            None
        };
        let superpw = secret();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, &superpw).expect("password file");
        if let Some((uid, gid)) = owner {
            chown(&pwfile, uid, gid);
        }
        let data = dir.path().join("data");
        let mut c = Cluster {
            bin: bin.to_path_buf(),
            owner,
            url: String::new(),
            dir,
        };
        c.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                format!("--pwfile={}", pwfile.display()).as_ref(),
                "--auth=scram-sha-256".as_ref(),
                "--encoding=UTF8".as_ref(),
                // SQLite compares TEXT bytewise; the C collation does the same.
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        // A free port: bind 0, note it, let go (a race with another process is possible
        // but unlikely; a start that loses it fails loudly).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            c.dir.path().display()
        );
        let log = c.dir.path().join("log");
        c.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                opts.as_ref(),
                "start".as_ref(),
            ],
        );
        let mut admin = pg::connect(&format!(
            "postgres://postgres:{superpw}@127.0.0.1:{port}/postgres"
        ))
        .expect("connect as the cluster's superuser");
        let pw = secret();
        admin
            .batch_execute(&format!(
                "CREATE ROLE orgreg LOGIN PASSWORD '{pw}' NOSUPERUSER NOCREATEDB NOCREATEROLE"
            ))
            .expect("create role");
        admin
            .batch_execute("CREATE DATABASE orgreg OWNER orgreg")
            .expect("create database");
        c.url = format!("postgres://orgreg:{pw}@127.0.0.1:{port}/orgreg");
        c
    }

    /// Runs one of the cluster's programs (as `postgres` when we are root); panics with
    /// its output when it fails.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> std::process::Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.owner.is_some() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            panic!(
                "{program} failed ({}):\n{}\n{}\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.owner.is_some() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .args(["-D".as_ref(), data.as_os_str()])
            .args(["stop", "-m", "immediate", "-w"])
            .output();
        // The TempDir removes itself after this.
    }
}

fn chown(path: &Path, uid: u32, gid: u32) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(
        unsafe { libc::chown(c.as_ptr(), uid, gid) },
        0,
        "chown {}",
        path.display()
    );
}

/// A random password (hex, so it needs no quoting in SQL or URLs).
fn secret() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Schema facts, normalised so both engines can be compared line by line.
//
// Per table: "table T"; "column T #i name type=… notnull=… pk=… default=…" in column
// order; "primary key T (cols)"; "unique T (cols)" for every other UNIQUE constraint or
// unique index; "index T name (cols)" for each named non-unique index (with "using AM"
// when not a b-tree, "partial" when it has a WHERE); "fk T (cols) -> T2 (cols) on delete
// … on update …".

type Facts = BTreeSet<String>;

fn sqlite_facts(conn: &rusqlite::Connection) -> Facts {
    let mut facts = Facts::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in &tables {
        facts.insert(format!("table {t}"));
        let cols: Vec<(String, String, bool, Option<String>, i64)> = conn
            .prepare(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) \
                 ORDER BY cid",
            )
            .unwrap()
            .query_map([t], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut pk: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.4 > 0)
            .map(|c| (c.4, c.0.clone()))
            .collect();
        pk.sort();
        // A single INTEGER PRIMARY KEY is the rowid: its value is generated, as an
        // identity column's is on PostgreSQL.
        let rowid_alias = pk.len() == 1
            && cols
                .iter()
                .any(|c| c.4 == 1 && c.1.eq_ignore_ascii_case("INTEGER"));
        for (i, (name, ty, notnull, default, p)) in cols.iter().enumerate() {
            let ty = match ty.to_ascii_uppercase().as_str() {
                "INTEGER" => "integer".to_string(),
                "TEXT" => "text".to_string(),
                "BLOB" => "blob".to_string(),
                other => format!("sqlite:{other}"),
            };
            let default = if rowid_alias && *p == 1 {
                "identity".to_string()
            } else {
                default.clone().unwrap_or_default()
            };
            // Primary-key columns are NOT NULL on PostgreSQL; here an INTEGER PRIMARY
            // KEY (the rowid) cannot be NULL either, it just is not declared so.
            let notnull = *notnull || *p > 0;
            facts.insert(format!(
                "column {t} #{i} {name} type={ty} notnull={notnull} pk={} default={default}",
                *p > 0
            ));
        }
        if !pk.is_empty() {
            let cols: Vec<_> = pk.into_iter().map(|(_, c)| c).collect();
            facts.insert(format!("primary key {t} ({})", cols.join(", ")));
        }
        let indexes: Vec<(String, bool, String, bool)> = conn
            .prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")
            .unwrap()
            .query_map([t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (name, unique, origin, partial) in indexes {
            let cols: Vec<String> = conn
                .prepare(
                    "SELECT coalesce(name, '(expr)') FROM pragma_index_info(?1) ORDER BY seqno",
                )
                .unwrap()
                .query_map([&name], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let cols = cols.join(", ");
            let partial = if partial { " partial" } else { "" };
            if origin == "pk" {
                continue; // the "primary key" fact above
            } else if unique {
                facts.insert(format!("unique {t} ({cols}){partial}"));
            } else {
                facts.insert(format!("index {t} {name} ({cols}){partial}"));
            }
        }
        let fks: Vec<(i64, String, String, Option<String>, String, String)> = conn
            .prepare(
                "SELECT id, \"table\", \"from\", \"to\", on_delete, on_update \
                 FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            )
            .unwrap()
            .query_map([t], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut ids: Vec<i64> = fks.iter().map(|f| f.0).collect();
        ids.dedup();
        for id in ids {
            let parts: Vec<_> = fks.iter().filter(|f| f.0 == id).collect();
            let from: Vec<_> = parts.iter().map(|f| f.2.clone()).collect();
            let to: Vec<_> = parts
                .iter()
                .map(|f| f.3.clone().unwrap_or("(primary key)".into()))
                .collect();
            facts.insert(format!(
                "fk {t} ({}) -> {} ({}) on delete {} on update {}",
                from.join(", "),
                parts[0].1,
                to.join(", "),
                parts[0].4.to_ascii_lowercase(),
                parts[0].5.to_ascii_lowercase()
            ));
        }
    }
    facts
}

fn pg_facts(c: &mut postgres::Client) -> Facts {
    let mut facts = Facts::new();
    let here = "relnamespace = current_schema()::regnamespace";
    for r in c
        .query(
            &format!("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND {here}"),
            &[],
        )
        .unwrap()
    {
        facts.insert(format!("table {}", r.get::<_, String>(0)));
    }
    // Columns, in order (dropped columns leave gaps in attnum: count the live ones).
    let rows = c
        .query(
            &format!(
                "SELECT t.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                        a.attnotnull, a.attidentity::text, pg_get_expr(d.adbin, d.adrelid), \
                        EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = t.oid \
                                AND x.indisprimary AND a.attnum = ANY (x.indkey::int2[])) \
                 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE t.relkind = 'r' AND t.{here} AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY t.relname, a.attnum"
            ),
            &[],
        )
        .unwrap();
    let mut last = String::new();
    let mut i = 0;
    for r in rows {
        let t: String = r.get(0);
        if t != last {
            last = t.clone();
            i = 0;
        }
        let name: String = r.get(1);
        let ty: String = r.get(2);
        let ty = match ty.as_str() {
            "bigint" => "integer".to_string(),
            "text" => "text".to_string(),
            "bytea" => "blob".to_string(),
            other => format!("pg:{other}"),
        };
        let notnull: bool = r.get(3);
        let identity: String = r.get(4);
        let default: Option<String> = r.get(5);
        let default = if !identity.is_empty() {
            "identity".to_string()
        } else {
            let d = default.unwrap_or_default();
            // 'v1'::text is SQLite's 'v1'.
            d.strip_suffix("::text")
                .or(d.strip_suffix("::bigint"))
                .unwrap_or(&d)
                .to_string()
        };
        let pk: bool = r.get(6);
        facts.insert(format!(
            "column {t} #{i} {name} type={ty} notnull={notnull} pk={pk} default={default}"
        ));
        i += 1;
    }
    let rows = c
        .query(
            &format!(
                "SELECT t.relname::text, i.relname::text, x.indisunique, x.indisprimary, \
                        am.amname::text, x.indpred IS NOT NULL, \
                        ARRAY(SELECT coalesce(a.attname::text, '(expr)') \
                              FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o) \
                              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n \
                              ORDER BY k.o) \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam \
                 WHERE t.relkind = 'r' AND t.{here}"
            ),
            &[],
        )
        .unwrap();
    for r in rows {
        let (t, name): (String, String) = (r.get(0), r.get(1));
        let (unique, primary): (bool, bool) = (r.get(2), r.get(3));
        let am: String = r.get(4);
        let partial = if r.get::<_, bool>(5) { " partial" } else { "" };
        let cols = r.get::<_, Vec<String>>(6).join(", ");
        let using = if am == "btree" {
            String::new()
        } else {
            format!(" using {am}")
        };
        if primary {
            facts.insert(format!("primary key {t} ({cols})"));
        } else if unique {
            facts.insert(format!("unique {t} ({cols}){using}{partial}"));
        } else {
            facts.insert(format!("index {t} {name} ({cols}){using}{partial}"));
        }
    }
    let rows = c
        .query(
            &format!(
                "SELECT t.relname::text, \
                        ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o) \
                              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n \
                              ORDER BY u.o), \
                        f.relname::text, \
                        ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o) \
                              JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n \
                              ORDER BY u.o), \
                        k.confdeltype::text, k.confupdtype::text \
                 FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
                 JOIN pg_class f ON f.oid = k.confrelid \
                 WHERE k.contype = 'f' AND t.{here}"
            ),
            &[],
        )
        .unwrap();
    let action = |a: String| match a.as_str() {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "?",
    };
    for r in rows {
        let t: String = r.get(0);
        let from = r.get::<_, Vec<String>>(1).join(", ");
        let f: String = r.get(2);
        let to = r.get::<_, Vec<String>>(3).join(", ");
        facts.insert(format!(
            "fk {t} ({from}) -> {f} ({to}) on delete {} on update {}",
            action(r.get(4)),
            action(r.get(5))
        ));
    }
    facts
}

/// The only differences allowed between the engines: (engine the fact exists on alone,
/// its prefix, why).
const ALLOWED: &[(&str, &str, &str)] = &[
    // Substring search: the shadow tables FTS5 keeps (_data, _idx, _docsize, _config),
    // with their columns and keys (listed first: the first matching prefix counts) ...
    ("sqlite", "table organizations_fts_", "FTS5 shadow tables"),
    (
        "sqlite",
        "column organizations_fts_",
        "FTS5 shadow table columns",
    ),
    (
        "sqlite",
        "primary key organizations_fts_",
        "FTS5 shadow table keys",
    ),
    ("sqlite", "table users_fts_", "FTS5 shadow tables"),
    ("sqlite", "column users_fts_", "FTS5 shadow table columns"),
    ("sqlite", "primary key users_fts_", "FTS5 shadow table keys"),
    // ... for SQLite's FTS5 trigram virtual tables (kept by triggers) ...
    (
        "sqlite",
        "table organizations_fts",
        "FTS5 virtual table; PG: organizations_search_trgm",
    ),
    (
        "sqlite",
        "column organizations_fts ",
        "its one column, search_text",
    ),
    (
        "sqlite",
        "table users_fts",
        "FTS5 virtual table; PG: users_search_trgm",
    ),
    ("sqlite", "column users_fts ", "its one column, search_text"),
    // ... are on PostgreSQL pg_trgm GIN indexes on the same column.
    (
        "pg",
        "index organizations organizations_search_trgm (search_text) using gin",
        "replaces organizations_fts",
    ),
    (
        "pg",
        "index users users_search_trgm (search_text) using gin",
        "replaces users_fts",
    ),
    // AUTOINCREMENT's high-water marks; PostgreSQL's identity sequences are no tables.
    (
        "sqlite",
        "table sqlite_sequence",
        "AUTOINCREMENT bookkeeping",
    ),
    (
        "sqlite",
        "column sqlite_sequence ",
        "AUTOINCREMENT bookkeeping",
    ),
    // The schema version: SQLite keeps it in PRAGMA user_version.
    (
        "pg",
        "table orgreg_schema",
        "the migration runner's version row",
    ),
    (
        "pg",
        "column orgreg_schema ",
        "the migration runner's version row",
    ),
];

fn sqlite_store() -> (tempfile::TempDir, orgreg::store::Store) {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("orgreg.db");
    let store = orgreg::store::Store::open(db.to_str().unwrap(), SyncMode::Full).expect("open");
    (dir, store)
}

// ---------------------------------------------------------------------------------------
// The tests

#[test]
fn schemas_are_equivalent() {
    let Some(db) = TestDb::get() else { return };
    let (_dir, store) = sqlite_store();
    let lite = sqlite_facts(&store.reader().unwrap());
    let mut c = db.client();
    pg::migrate(&mut c).expect("migrate");
    let post = pg_facts(&mut c);

    let allowed = |engine: &str, fact: &str| {
        ALLOWED
            .iter()
            .position(|(e, prefix, _)| *e == engine && fact.starts_with(prefix))
    };
    let mut used = vec![false; ALLOWED.len()];
    let mut problems = vec![];
    for (engine, mine, theirs) in [("sqlite", &lite, &post), ("pg", &post, &lite)] {
        for fact in mine.difference(theirs) {
            match allowed(engine, fact) {
                Some(i) => used[i] = true,
                None => problems.push(format!("only on {engine}: {fact}")),
            }
        }
    }
    for (i, (engine, prefix, _)) in ALLOWED.iter().enumerate() {
        if !used[i] {
            problems.push(format!(
                "allowed difference not seen (stale?): {engine}: {prefix}"
            ));
        }
    }
    // Sanity: the comparison saw the real schema.
    assert!(lite.contains("table organizations") && post.contains("table organizations"));
    assert!(lite.len() > 150, "{} SQLite facts", lite.len());
    assert!(
        problems.is_empty(),
        "the schemas differ:\n{}",
        problems.join("\n")
    );
}

#[test]
fn migrate_is_idempotent_and_refuses_newer() {
    let Some(db) = TestDb::get() else { return };
    let mut c = db.client();
    pg::migrate(&mut c).expect("first migrate");
    let version = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT version FROM orgreg_schema", &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(version(&mut c), pg::latest());
    assert_eq!(pg::latest(), orgreg::store::migrate::latest());
    let before = pg_facts(&mut c);
    pg::migrate(&mut c).expect("second migrate");
    let mut other = db.client();
    pg::migrate(&mut other).expect("migrate from another connection");
    assert_eq!(pg_facts(&mut c), before);
    assert_eq!(version(&mut c), pg::latest());
    let rows: i64 = c
        .query_one("SELECT count(*) FROM orgreg_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);

    // Several processes starting at once: each step is applied exactly once.
    c.batch_execute("DROP OWNED BY CURRENT_USER").unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| pg::migrate(&mut db.client()).expect("concurrent migrate"));
        }
    });
    assert_eq!(version(&mut c), pg::latest());
    assert_eq!(pg_facts(&mut c), before);

    let newer = pg::latest() + 1;
    c.execute("UPDATE orgreg_schema SET version = $1", &[&newer])
        .unwrap();
    let err = pg::migrate(&mut c).unwrap_err().to_string();
    assert!(err.contains("newer than this orgreg knows"), "{err}");
    // Word for word what SQLite says about the same version.
    let mut lite = rusqlite::Connection::open_in_memory().unwrap();
    lite.pragma_update(None, "user_version", newer).unwrap();
    let lite_err = orgreg::store::migrate::migrate(&mut lite)
        .unwrap_err()
        .to_string();
    assert_eq!(err, lite_err);
    assert_eq!(version(&mut c), newer, "a refused database is left alone");
}

#[test]
fn owner_role_is_not_superuser() {
    let Some(db) = TestDb::get() else { return };
    let mut c = db.client();
    let (user, superuser): (String, bool) = {
        let r = c
            .query_one(
                "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    if db.cluster.is_some() {
        assert_eq!(user, "orgreg");
    }
    assert!(!superuser, "{user} is a superuser");
    pg::migrate(&mut c).expect("migrate as a non-superuser owner");
    let trgm: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(trgm, 1);
}

#[test]
fn connect_errors_are_one_clear_line() {
    let Some(db) = TestDb::get() else { return };
    let mut bad = vec![
        "postgres://orgreg:x@127.0.0.1:notaport/orgreg".to_string(),
        // A port nobody listens on.
        format!(
            "postgres://orgreg:x@127.0.0.1:{}/orgreg",
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        ),
    ];
    if db.cluster.is_some() {
        // The right server, a wrong password.
        bad.push(db.url.replacen("orgreg:", "orgreg:wrong", 1));
    }
    for url in bad {
        let err = match pg::connect(&url) {
            Ok(_) => panic!("{url} connected"),
            Err(e) => e.to_string(),
        };
        assert!(!err.contains('\n'), "{err}");
        assert!(!err.contains("wrong"), "password shown: {err}");
        println!("{err}");
    }
}

// ---------------------------------------------------------------------------------------
// The store on both engines: one sequence of real store functions, run on SQLite and on
// PostgreSQL, must see the same things.

use orgreg::model::{Activity, MemberStatus, Role, User};
use orgreg::query::{Cond, ListQuery, Op, Val};
use orgreg::store::db::Db;
use orgreg::store::{activity, customers, idempotency, invitations, members, orgs, tokens, users};

const T0: &str = "2026-01-01T00:00:00.000Z";
const T1: &str = "2026-01-02T00:00:00.000Z";
const LATER: &str = "2026-06-01T00:00:00.000Z";
const CUSTOMER: &str = "20000000-0000-0000-0000-000000000001";

fn user(name: &str, email: Option<&str>, first: &str) -> User {
    let mut u = User::blank(name.into(), T0);
    u.id = format!(
        "00000000-0000-0000-0000-{:0>12}",
        name.len() * 1000 + first.len()
    );
    u.email = email.map(str::to_string);
    u.first_name = first.into();
    u
}

fn org_row(id: u32, name: &str, description: &str, abbreviation: Option<&str>) -> orgs::OrgRow {
    orgs::OrgRow {
        id: format!("10000000-0000-0000-0000-{id:012}"),
        name: name.into(),
        description: description.into(),
        native_name: String::new(),
        abbreviation: abbreviation.map(str::to_string),
        logo_url: None,
        currency_code: id.is_multiple_of(2).then(|| "EUR".to_string()),
        customer: None,
        owner: None,
        metadata: serde_json::json!({ "n": id }),
        accepts_join_requests: id != 3,
        at: T0.into(),
        by: None,
    }
}

fn q(conds: Vec<Cond>, search: &[&str], order: Vec<(&'static str, bool)>) -> ListQuery {
    ListQuery {
        conds,
        search: search.iter().map(|s| s.to_string()).collect(),
        order,
        limit: 20,
        offset: 0,
    }
}

fn cond(field: &'static str, op: Op, negate: bool) -> Cond {
    Cond { field, op, negate }
}

/// Runs the sequence on `c`, returning one line per thing seen ("what: {value:?}").
fn scenario(c: &impl Db) -> Vec<String> {
    let mut seen = vec![];
    let mut see = |what: &str, v: &dyn std::fmt::Debug| seen.push(format!("{what}: {v:?}"));
    let seqs = |us: Vec<User>| us.iter().map(|u| u.seq).collect::<Vec<_>>();

    // Users: insert, lookups (case-insensitive through the stored keys), a taken name.
    let ann = user("Ann", Some("Ann@Example.org"), "Ann");
    let ann = users::insert(c, &ann, Some("$hash")).unwrap();
    let bob = users::insert(c, &user("bob", None, "Bobby"), None).unwrap();
    let carl = user("Çarl", Some("carl@example.org"), "Carl");
    let carl = users::insert(c, &carl, None).unwrap();
    see("users", &(&ann, &bob, &carl));
    see("by_username", &users::by_username(c, "ANN").unwrap());
    see(
        "by_username ç",
        &users::by_username(c, "çARL").unwrap().map(|u| u.seq),
    );
    see(
        "by_email",
        &users::by_email(c, "ann@EXAMPLE.org")
            .unwrap()
            .map(|u| u.seq),
    );
    see("by_id", &users::by_id(c, &bob.id).unwrap().map(|u| u.seq));
    let hash = users::password_hash_by_username(c, "ann").unwrap();
    see("password", &hash.map(|(_, h)| h));
    see("staff_exists", &users::staff_exists(c).unwrap());
    let dup = users::insert(c, &user("ANN", None, "x"), None);
    see("dup username", &dup.map(|u| u.seq));
    let found = users::list(c, None, &q(vec![], &["bob"], vec![])).unwrap();
    see("users search", &seqs(found.items));

    // Tokens: insert, by id, lookup by digest (live only), list, revoke.
    let token = |id, kind, hash: &'static [u8], expires| tokens::NewToken {
        id,
        user: ann.seq,
        kind,
        name: id,
        prefix: "abc",
        hash,
        expires,
        at: T0,
    };
    let t1 = tokens::insert(c, &token("t1", "api", b"\x00hash1", Some(LATER))).unwrap();
    tokens::insert(c, &token("t2", "api", b"hash2", Some(T1))).unwrap();
    tokens::insert(c, &token("t3", "session", b"hash3", None)).unwrap();
    see("token", &t1);
    see("token by_id", &tokens::by_id(c, ann.seq, "t1").unwrap());
    let live = |h: &[u8], now| {
        let l = tokens::lookup(c, h, now).unwrap();
        l.map(|l| (l.user, l.id, l.kind, l.seq, l.last_used, l.expires))
    };
    see("lookup t1", &live(b"\x00hash1", T1));
    see("lookup t2 expired", &live(b"hash2", T1));
    see("lookup t3", &live(b"hash3", LATER));
    let page = tokens::list(c, ann.seq, T0, 10, 0).unwrap();
    see("tokens list", &(page.count, page.items));
    tokens::touch(c, "t1", T1).unwrap();
    see("touched", &live(b"\x00hash1", T1));
    let revoked = tokens::revoke(c, ann.seq, "t1").unwrap();
    see(
        "revoke twice",
        &(revoked, tokens::revoke(c, ann.seq, "t1").unwrap()),
    );
    see("revoked lookup", &live(b"\x00hash1", T1));
    see(
        "tokens after",
        &tokens::list(c, ann.seq, T0, 10, 0).unwrap().items,
    );

    // Organizations: insert, get, update, conflicts (and the transaction goes on).
    let acme = orgs::insert(c, &org_row(1, "Acme", "Makes widgets", Some("ACM"))).unwrap();
    let globex = org_row(2, "Globex Corp", "Also WIDGETS, and more", None);
    let globex = orgs::insert(c, &globex).unwrap();
    let initech = orgs::insert(c, &org_row(3, "Initech", "Software", Some("INI"))).unwrap();
    see("orgs", &(&acme, &globex, &initech));
    see(
        "org by_id",
        &orgs::by_id(c, &globex.id).unwrap().map(|o| o.seq),
    );
    see(
        "org by_seq",
        &orgs::by_seq(c, initech.seq).unwrap().map(|o| o.name),
    );
    see(
        "org by_name",
        &orgs::by_name(c, "aCmE").unwrap().map(|o| o.seq),
    );
    let mut row = orgs::OrgRow::from_org(&initech);
    row.description = "Software, TPS reports".into();
    row.at = T1.into();
    row.by = Some(bob.seq);
    row.owner = Some(ann.seq);
    see("org update", &orgs::update(c, initech.seq, &row).unwrap());
    let dup = orgs::insert(c, &org_row(4, "ACME", "", None));
    see("dup name", &dup.map(|o| o.seq));
    let dup = orgs::insert(c, &org_row(5, "Other", "", Some("acm")));
    see("dup abbreviation", &dup.map(|o| o.seq));
    let mut renamed = orgs::OrgRow::from_org(&globex);
    renamed.name = "initech".into();
    see(
        "dup on update",
        &orgs::update(c, globex.seq, &renamed).map(|o| o.seq),
    );
    let names: Vec<String> = orgs::all(c).unwrap().into_iter().map(|o| o.name).collect();
    see("orgs after conflicts", &names);

    // Memberships: insert, list (filters, rank order, search), counts.
    let member = |org, user, role, status, is_active| {
        let m = members::NewMember {
            org,
            user,
            role,
            status,
            is_active,
            approved_by: None,
            at: T0,
        };
        members::insert(c, &m).unwrap()
    };
    // Everything but the id, which is a fresh uuid on each engine.
    let shown = |ms: Vec<orgreg::model::Membership>| {
        ms.into_iter()
            .map(|m| {
                let (role, status) = (m.role.as_str(), m.status.as_str());
                let at = (m.approved_by, m.approved_at, m.created, m.modified);
                let who = (
                    m.seq,
                    m.organization,
                    m.organization_seq,
                    m.user,
                    m.user_seq,
                );
                (
                    who,
                    m.username,
                    m.email,
                    role,
                    status,
                    m.is_active,
                    m.version,
                    at,
                )
            })
            .collect::<Vec<_>>()
    };
    let first = member(acme.seq, ann.seq, Role::Owner, MemberStatus::Approved, true);
    see("member", &shown(vec![first]));
    member(acme.seq, bob.seq, Role::Viewer, MemberStatus::Pending, true);
    member(
        acme.seq,
        carl.seq,
        Role::Admin,
        MemberStatus::Approved,
        false,
    );
    member(
        globex.seq,
        bob.seq,
        Role::Owner,
        MemberStatus::Approved,
        true,
    );
    let mut see_members = |what: &str, q: ListQuery| {
        let p = members::list(c, acme.seq, &q).unwrap();
        see(what, &(p.count, shown(p.items)));
    };
    see_members("members", q(vec![], &[], vec![]));
    see_members(
        "members by rank",
        q(vec![], &[], vec![("role_rank", false)]),
    );
    let active = cond("is_active", Op::Eq(Val::Int(1)), false);
    see_members("members active", q(vec![active], &[], vec![]));
    see_members("members search", q(vec![], &["bob"], vec![]));
    let approved = cond("is_approved", Op::Eq(Val::Int(1)), false);
    let p = members::list_all(c, None, &q(vec![approved], &[], vec![])).unwrap();
    see("members all approved", &(p.count, shown(p.items)));
    see("member counts", &members::counts(c, acme.seq).unwrap());
    see(
        "owner count",
        &members::active_owner_count(c, acme.seq).unwrap(),
    );
    see("of_user", &shown(members::of_user(c, bob.seq).unwrap()));
    let visible = |org, user| orgs::visible_to(c, org, user).unwrap();
    see(
        "visible_to",
        &(visible(acme.seq, ann.seq), visible(acme.seq, bob.seq)),
    );
    see("sole owner", &users::sole_owner_of(c, ann.seq).unwrap());
    let share = |a, b| users::share_an_org(c, a, b).unwrap();
    see(
        "share",
        &(share(ann.seq, carl.seq), share(carl.seq, ann.seq)),
    );

    // Organization lists: filters, orders, search, paging, counts, visibility.
    let list = |visible: Option<i64>, q: &ListQuery| {
        let p = orgs::list(c, visible, q).unwrap();
        (
            p.count,
            p.items.into_iter().map(|o| o.name).collect::<Vec<_>>(),
        )
    };
    let text = |s: &str| Val::Text(s.into());
    let queries = [
        q(vec![], &[], vec![]),
        q(
            vec![cond("name", Op::IEq("GLOBEX corp".into()), false)],
            &[],
            vec![],
        ),
        q(vec![cond("name", Op::Eq(text("ACME")), false)], &[], vec![]),
        q(
            vec![cond("name_exact", Op::Eq(text("acme")), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("description", Op::IContains("widget".into()), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("description", Op::IContains("widget".into()), true)],
            &[],
            vec![],
        ),
        q(
            vec![cond("name", Op::StartsWith("IN".into()), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("currency_code", Op::Eq(text("EUR")), true)],
            &[],
            vec![],
        ),
        q(
            vec![cond("abbreviation", Op::IsNull(true), false)],
            &[],
            vec![],
        ),
        q(vec![cond("id", Op::In(vec![]), false)], &[], vec![]),
        q(vec![cond("id", Op::In(vec![]), true)], &[], vec![]),
        q(
            vec![cond("id", Op::In(vec![Val::Int(1), Val::Int(3)]), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("id", Op::Gt(Val::Int(1)), false)],
            &[],
            vec![("name", true)],
        ),
        q(
            vec![cond("modified", Op::Gte(text(T1)), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("owner", Op::Eq(text(&ann.id)), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond(
                "name_or_description",
                Op::IContains("corp\nalso".into()),
                false,
            )],
            &[],
            vec![],
        ),
        q(vec![], &[], vec![("abbreviation", false)]),
        q(vec![], &[], vec![("abbreviation", true)]),
        q(vec![], &[], vec![("currency_code", false), ("name", true)]),
        q(vec![], &["widgets"], vec![]),
        q(vec![], &["x c", "lob"], vec![]),
        q(
            vec![cond("id", Op::IContains("2".into()), false)],
            &[],
            vec![],
        ),
        q(
            vec![
                cond("id", Op::Lte(Val::Int(2)), false),
                cond("name", Op::In(vec![text("ACME"), text("initech")]), false),
            ],
            &[],
            vec![],
        ),
        q(vec![], &["tps"], vec![("modified", true)]),
        q(vec![], &["nothing like this"], vec![]),
    ];
    for (i, query) in queries.iter().enumerate() {
        see(&format!("orgs list {i}"), &list(None, query));
    }
    let mut paged = q(vec![], &[], vec![("name", false)]);
    paged.limit = 2;
    for offset in [0, 1, 2, 3] {
        paged.offset = offset;
        see(&format!("orgs page at {offset}"), &list(None, &paged));
    }
    let everything = q(vec![], &[], vec![]);
    for u in [&ann, &bob, &carl] {
        see(
            &format!("orgs visible to {}", u.username),
            &list(Some(u.seq), &everything),
        );
    }
    see("owned count", &orgs::owned_count(c, ann.seq).unwrap());

    // Customers (their owners come as a JSON array).
    let cu = customers::insert(c, CUSTOMER, "Big Co", "BC", T0).unwrap();
    customers::set_owners(c, cu, &[carl.seq, ann.seq, ann.seq]).unwrap();
    see("customer", &customers::by_seq(c, cu).unwrap());
    let owner = |u| customers::is_owner(c, cu, u).unwrap();
    see("customer owner", &(owner(ann.seq), owner(bob.seq)));
    let big = q(
        vec![cond("name", Op::IContains("BIG".into()), false)],
        &["bc"],
        vec![],
    );
    let p = customers::list(c, Some(ann.seq), &big).unwrap();
    see(
        "customers",
        &(
            p.count,
            p.items.into_iter().map(|c| c.name).collect::<Vec<_>>(),
        ),
    );
    let mut row = orgs::OrgRow::from_org(&globex);
    row.customer = Some(cu);
    orgs::update(c, globex.seq, &row).unwrap();
    let theirs = q(
        vec![cond("customer", Op::Eq(text(CUSTOMER)), false)],
        &[],
        vec![],
    );
    see(
        "orgs visible to customer owner",
        &list(Some(carl.seq), &theirs),
    );
    see("customer org count", &customers::org_count(c, cu).unwrap());
    let newest = q(vec![], &[], vec![("created", true)]);
    see(
        "users visible to bob",
        &seqs(users::list(c, Some(bob.seq), &newest).unwrap().items),
    );

    // Invitations (found by token digest) and the activity trail.
    let new = invitations::NewInvitation {
        id: "30000000-0000-0000-0000-000000000001",
        org: acme.seq,
        email: "New@Example.org",
        role: Role::Admin,
        first_name: "N",
        last_name: "",
        preferred_language: "",
        token_hash: b"\x00inv",
        expires: LATER,
        invited_by: Some(ann.seq),
        at: T0,
    };
    let inv = invitations::insert(c, &new).unwrap();
    see("invitation", &inv);
    see(
        "by_hash",
        &invitations::by_hash(c, b"\x00inv").unwrap().map(|i| i.seq),
    );
    let open = invitations::open_for_email(c, acme.seq, "new@example.ORG", T1).unwrap();
    see("invitation open", &open.map(|i| i.seq));
    let consume = || invitations::consume(c, inv.seq, bob.seq, T1).unwrap();
    see("consume twice", &(consume(), consume()));
    let by_email = q(
        vec![cond("email", Op::IEq("NEW@example.org".into()), false)],
        &[],
        vec![],
    );
    let p = invitations::list(c, acme.seq, Some("accepted"), T1, &by_email).unwrap();
    see(
        "invitations",
        &(
            p.count,
            p.items.into_iter().map(|i| i.status).collect::<Vec<_>>(),
        ),
    );
    for (i, action) in ["create", "update", "delete"].into_iter().enumerate() {
        let a = Activity {
            id: format!("40000000-0000-0000-0000-00000000000{i}"),
            at: format!("2026-01-0{}T00:00:00.000Z", i + 1),
            actor: Some(ann.id.clone()),
            action: action.into(),
            object_type: "organization".into(),
            object_id: Some(acme.id.clone()),
            organization: (i < 2).then(|| acme.id.clone()),
            changes: serde_json::json!({ "i": i }),
            request_id: None,
            surface: "v1".into(),
        };
        activity::insert(c, &a).unwrap();
    }
    let actions = q(
        vec![cond(
            "action",
            Op::In(vec![text("create"), text("update")]),
            false,
        )],
        &[],
        vec![],
    );
    let p = activity::list(c, Some(&acme.id), &actions).unwrap();
    see("activity", &(p.count, p.items));
    let last = |org: &str| activity::last_at(c, org).unwrap();
    see("activity last_at", &(last(&acme.id), last("none")));

    // Idempotency keys: put, put again (replaces), get within and past the window, purge.
    let stored = |status| idempotency::Stored {
        request_hash: vec![0, 1, 2, 255],
        status,
        headers: "{\"location\":\"/x\"}".into(),
        body: b"\x00body".to_vec(),
    };
    idempotency::put(c, ann.seq, "k1", &stored(201), T0).unwrap();
    idempotency::put(c, ann.seq, "k1", &stored(409), T1).unwrap();
    let got = |key, not_before| {
        let s = idempotency::get(c, ann.seq, key, not_before).unwrap();
        s.map(|s| (s.request_hash, s.status, s.headers, s.body))
    };
    see(
        "idempotency",
        &(got("k1", T0), got("k1", LATER), got("k2", T0)),
    );
    see("purge", &idempotency::purge(c, LATER).unwrap());
    seen
}

/// `orgreg_fold` on free text (not a stored `*_key`) is full-Unicode on SQLite, and on
/// PostgreSQL when it has ICU (lower() under "und-x-icu"); without ICU it is ASCII-only
/// (lower() under the C collation). Search terms and `*_key` columns are folded in Rust,
/// so they agree either way. Returns (rows
/// `description__icontains=ÉCOLE` finds, rows `search=ÉCOLE` finds, rows `name=ÉCOLE` finds).
fn non_ascii_folding(c: &impl Db) -> (i64, i64, i64) {
    orgs::insert(c, &org_row(9, "École", "UNE ÉCOLE", None)).unwrap();
    let count = |q: ListQuery| orgs::list(c, None, &q).unwrap().count;
    (
        count(q(
            vec![cond("description", Op::IContains("ÉCOLE".into()), false)],
            &[],
            vec![],
        )),
        count(q(vec![], &["ÉCOLE"], vec![])),
        count(q(
            vec![cond("name", Op::IEq("ÉCOLE".into()), false)],
            &[],
            vec![],
        )),
    )
}

#[test]
fn the_store_behaves_the_same_on_both_engines() {
    let Some(db) = TestDb::get() else { return };
    let (_dir, store) = sqlite_store();
    let lite = store.write(|tx| Ok(scenario(tx))).unwrap();

    let mut client = db.client();
    pg::migrate(&mut client).expect("migrate");
    let tx = pg::PgDb::new(client.transaction().unwrap());
    let post = scenario(&tx);
    tx.commit().unwrap();

    // A few facts that must hold, so that "equal" is not "equally broken".
    let has = |prefix: &str, part: &str| {
        lite.iter()
            .any(|l| l.starts_with(prefix) && l.contains(part))
    };
    assert!(has("dup name: ", "field: Some(\"name\")"), "{lite:#?}");
    assert!(has("dup abbreviation: ", "field: Some(\"abbreviation\")"));
    assert!(has("dup username: ", "field: Some(\"username\")"));
    assert!(has("orgs list 4: ", "(2, [\"Acme\", \"Globex Corp\"])"));
    assert!(has("customer: ", "owners: ["));
    for (i, (l, p)) in lite.iter().zip(&post).enumerate() {
        assert_eq!(l, p, "step {i} differs (left SQLite, right PostgreSQL)");
    }
    assert_eq!(lite.len(), post.len());

    let lite_folding = store.write(|tx| Ok(non_ascii_folding(tx))).unwrap();
    let tx = pg::PgDb::new(client.transaction().unwrap());
    let pg_folding = non_ascii_folding(&tx);
    tx.rollback().unwrap();
    assert_eq!(lite_folding, (1, 1, 1));
    let icu: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')",
            &[],
        )
        .unwrap()
        .get(0);
    if icu {
        assert_eq!(
            pg_folding, lite_folding,
            "with ICU, free text folds as on SQLite"
        );
    } else {
        assert_eq!(
            pg_folding,
            (0, 1, 1),
            "without ICU, PostgreSQL folds free text ASCII-only (migrations_pg/0001)"
        );
    }
    if std::env::var_os("ORGREG_TEST_SHOW").is_some() {
        println!("{}", post.join("\n"));
    }
}

/// `search` on PostgreSQL is a LIKE on the folded `search_text` (`orgreg_like` escapes the
/// term), which the pg_trgm GIN index can serve; `%`, `_` and `\` stay literal, as on
/// SQLite, and the answers agree with SQLite's.
#[test]
fn search_is_served_by_the_trigram_index_with_literal_wildcards() {
    let Some(db) = TestDb::get() else { return };
    let names = [
        "100% real_deal",
        "100 percent real deal",
        "back\\slash co",
        "plain org",
    ];
    let terms = ["0% r", "l_d", "%", "_", "\\s", "x%y", "real"];
    let run = |c: &dyn Fn(&ListQuery) -> (i64, Vec<String>)| -> Vec<(i64, Vec<String>)> {
        terms
            .iter()
            .map(|t| c(&q(vec![], &[t], vec![("name", false)])))
            .collect()
    };
    let seed = |c: &dyn Fn(u32, &str)| {
        for (i, n) in names.iter().enumerate() {
            c(i as u32 + 1, n);
        }
    };

    let (_dir, store) = sqlite_store();
    let lite = store
        .write(|tx| {
            seed(&|i, n| {
                orgs::insert(tx, &org_row(i, n, "", None)).unwrap();
            });
            Ok(run(&|q| {
                let p = orgs::list(tx, None, q).unwrap();
                (p.count, p.items.into_iter().map(|o| o.name).collect())
            }))
        })
        .unwrap();

    let mut client = db.client();
    pg::migrate(&mut client).expect("migrate");
    let tx = pg::PgDb::new(client.transaction().unwrap());
    seed(&|i, n| {
        orgs::insert(&tx, &org_row(i, n, "", None)).unwrap();
    });
    let post = run(&|q| {
        let p = orgs::list(&tx, None, q).unwrap();
        (p.count, p.items.into_iter().map(|o| o.name).collect())
    });
    tx.commit().unwrap();
    assert_eq!(lite, post, "SQLite left, PostgreSQL right, terms {terms:?}");
    assert_eq!(
        post[0],
        (1, vec!["100% real_deal".to_string()]),
        "`%` literal"
    );
    assert_eq!(post[1].0, 1, "`_` literal");
    assert_eq!(post[5].0, 0, "no row holds `x%y`");

    // The store's search predicate, as PostgreSQL runs it, can use the trigram index.
    let sql = pg::dialect("SELECT o.seq FROM organizations o WHERE instr(o.search_text, ?) > 0");
    client.batch_execute("SET enable_seqscan = off").unwrap();
    let plan: Vec<String> = client
        .query(&format!("EXPLAIN {sql}"), &[&"real"])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    assert!(
        plan.iter().any(|l| l.contains("organizations_search_trgm")),
        "{sql}\n{}",
        plan.join("\n")
    );
}

/// PostgreSQL errors that mean "not now" are `Unavailable` (503 with Retry-After), never
/// `Internal` (500): a backend killed mid-transaction, a read-only server (a replica
/// after a failover), a lost serialization race. A broken statement stays `Internal`.
#[test]
fn outages_and_lost_races_are_unavailable_not_internal() {
    use orgreg::error::Error;
    let Some(db) = TestDb::get() else { return };
    let mut admin = db.client();
    pg::migrate(&mut admin).expect("migrate");
    let count = |c: &pg::PgDb| c.scalar::<i64>("SELECT count(*) FROM organizations", &[]);

    // A killed backend: the next statement of its transaction.
    let mut victim = db.client();
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let tx = pg::PgDb::new(victim.transaction().unwrap());
    assert_eq!(count(&tx).unwrap(), 0);
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        matches!(count(&tx), Err(Error::Unavailable)),
        "killed backend"
    );
    drop(tx);

    // A read-only server: a write is refused as "not now".
    let mut ro = db.client();
    let mut t = ro.transaction().unwrap();
    t.batch_execute("SET TRANSACTION READ ONLY").unwrap();
    let tx = pg::PgDb::new(t);
    let r = orgs::insert(&tx, &org_row(1, "Read Only", "", None));
    assert!(matches!(r, Err(Error::Unavailable)), "read-only: {r:?}");
    drop(tx);

    // Two serializable transactions that each read what the other writes: one loses.
    let (mut a, mut b) = (db.client(), db.client());
    fn serializable(c: &mut postgres::Client) -> pg::PgDb<'_> {
        let mut t = c.transaction().unwrap();
        t.batch_execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            .unwrap();
        pg::PgDb::new(t)
    }
    let (ta, tb) = (serializable(&mut a), serializable(&mut b));
    assert_eq!(count(&ta).unwrap(), 0);
    assert_eq!(count(&tb).unwrap(), 0);
    orgs::insert(&ta, &org_row(2, "Racer A", "", None)).unwrap();
    let second = orgs::insert(&tb, &org_row(3, "Racer B", "", None)).and_then(|_| tb.commit());
    let first = ta.commit();
    let outcomes = [first, second];
    assert_eq!(
        outcomes.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one commits: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|r| matches!(r, Err(Error::Unavailable))),
        "the loser is Unavailable: {outcomes:?}"
    );

    // A statement PostgreSQL cannot run is a bug: Internal.
    let mut c = db.client();
    let tx = pg::PgDb::new(c.transaction().unwrap());
    let r = tx.scalar::<i64>("SELECT count(*) FROM no_such_table", &[]);
    assert!(matches!(r, Err(Error::Internal(_))), "{r:?}");
}

/// `PgStore` (docs/SCALING.md step 3): a write is a SERIALIZABLE transaction run again
/// when it loses a race, so a check-then-act rule holds under concurrent writers as it
/// does behind SQLite's single writer: 8 writers each add an organization only while
/// fewer than 3 exist, and exactly 3 exist afterwards.
#[test]
fn serializable_writes_keep_a_check_then_act_rule_under_races() {
    use orgreg::store::pgstore::PgStore;
    let Some(db) = TestDb::get() else { return };
    let store = std::sync::Arc::new(PgStore::open(&db.url).expect("open"));
    let racers: Vec<_> = (0..8u32)
        .map(|k| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.write(|tx| {
                    let n: i64 = tx.scalar(
                        "SELECT count(*) FROM organizations WHERE name LIKE 'Race %'",
                        &[],
                    )?;
                    // Every writer reads before any of them writes.
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    if n < 3 {
                        orgs::insert(tx, &org_row(100 + k, &format!("Race {k}"), "", None))?;
                    }
                    Ok(n < 3)
                })
            })
        })
        .collect();
    let outcomes: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    let stored: i64 = store
        .read(|tx| {
            tx.scalar(
                "SELECT count(*) FROM organizations WHERE name LIKE 'Race %'",
                &[],
            )
        })
        .unwrap();
    assert_eq!(stored, 3, "the rule held: {outcomes:?}");
    let added = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    assert_eq!(
        added, 3,
        "each stored row was acknowledged once: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(_) | Err(orgreg::error::Error::Unavailable))),
        "{outcomes:?}"
    );
}

/// A pooled connection whose backend was killed is dropped and replaced on its own: the
/// next read succeeds, on another backend.
#[test]
fn a_broken_pooled_connection_is_replaced() {
    use orgreg::store::pgstore::PgStore;
    let Some(db) = TestDb::get() else { return };
    let store = PgStore::open(&db.url).expect("open");
    let pid = || {
        store
            .read(|tx| tx.scalar::<i64>("SELECT pg_backend_pid()::bigint", &[]))
            .unwrap()
    };
    let before = pid();
    let mut admin = db.client();
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&(before as i32)])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let after = pid();
    assert_ne!(before, after);
    // Writes go on too.
    store
        .write(|tx| orgs::insert(tx, &org_row(7, "After The Kill", "", None)))
        .unwrap();
}
