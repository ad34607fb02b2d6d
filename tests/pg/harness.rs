//! The test database: a throw-away cluster or `ORGREG_TEST_POSTGRES`.

use orgreg::config::SyncMode;
use orgreg::store::pg;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

pub(crate) const SKIP: &str =
    "skipped: no PostgreSQL (set ORGREG_TEST_POSTGRES or install postgresql)";

// ---------------------------------------------------------------------------------------
// The harness

/// A database for one test; dropping it stops its cluster (if it started one).
pub(crate) struct TestDb {
    pub(crate) url: String,
    pub(crate) cluster: Option<Cluster>,
    _serial: Option<MutexGuard<'static, ()>>,
}

impl TestDb {
    /// None (after printing the skip line) when no PostgreSQL is to be had.
    pub(crate) fn get() -> Option<TestDb> {
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

    pub(crate) fn client(&self) -> postgres::Client {
        pg::connect(&self.url).expect("connect")
    }
}

/// The directory holding initdb, pg_ctl and postgres: initdb on PATH, else the newest
/// /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
pub(crate) fn find_bin() -> Option<PathBuf> {
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
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Some((uid, gid)) of the `postgres` OS user when running as root (PostgreSQL
    /// refuses to run as root).
    owner: Option<(u32, u32)>,
    pub(crate) url: String,
    /// The cluster's superuser (creates databases for the API suite).
    pub(crate) admin_url: String,
}

impl Cluster {
    /// A cluster for tests: fsync off (its data is thrown away).
    pub(crate) fn start(bin: &Path) -> Cluster {
        Cluster::start_with(bin, "-c fsync=off")
    }

    /// A cluster with `extra` server options (`""`: PostgreSQL's durable defaults, as the
    /// scaling bench needs).
    pub(crate) fn start_with(bin: &Path, extra: &str) -> Cluster {
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
            admin_url: String::new(),
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
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 {extra}",
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
        c.admin_url = format!("postgres://postgres:{superpw}@127.0.0.1:{port}/postgres");
        let mut admin = pg::connect(&c.admin_url).expect("connect as the cluster's superuser");
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

impl Cluster {
    /// Leaves the cluster running until process `pid` has exited, then stops and removes
    /// it (a cluster kept in a static outlives every test; statics are never dropped).
    #[allow(dead_code)] // used by the API suite (tests/api/support.rs)
    pub(crate) fn stop_after(self, pid: u32) {
        let data = self.dir.path().join("data");
        let pg_ctl = self.bin.join("pg_ctl");
        let as_owner = if self.owner.is_some() {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {as_owner}'{}' -D '{}' stop -m immediate -w >/dev/null 2>&1; rm -rf '{}'",
            pg_ctl.display(),
            data.display(),
            self.dir.path().display()
        );
        // Never waited for: it must outlive this process.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the cluster's watchdog");
        std::mem::forget(self);
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

pub(crate) fn chown(path: &Path, uid: u32, gid: u32) {
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
pub(crate) fn secret() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sqlite_store() -> (tempfile::TempDir, orgreg::store::Store) {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("orgreg.db");
    let store = orgreg::store::Store::open(db.to_str().unwrap(), SyncMode::Full).expect("open");
    (dir, store)
}

/// Where the API suite (`api_pg`) and the scaling bench make databases of their own: a
/// server reached by a URL allowed to create databases, and the URL (without the
/// database name) of the role that owns them.
#[allow(dead_code)] // each user takes part
pub(crate) struct Databases {
    admin_url: String,
    owner_base: String,
    owner: Option<&'static str>,
}

#[allow(dead_code)]
impl Databases {
    /// The server at `url` (its role creates and owns the databases), or else a
    /// throw-away cluster started with server options `extra`, left running until this
    /// process exits; `None` (after the skip line) when there is no PostgreSQL.
    pub(crate) fn get(url: Option<String>, extra: &str) -> Option<Databases> {
        if let Some(url) = url {
            let base = url
                .rsplit_once('/')
                .expect("a URL with a database")
                .0
                .to_string();
            return Some(Databases {
                admin_url: url,
                owner_base: base,
                owner: None,
            });
        }
        let cluster = Cluster::start_with(&find_bin()?, extra);
        let d = Databases {
            admin_url: cluster.admin_url.clone(),
            owner_base: cluster.url.rsplit_once('/').expect("URL").0.to_string(),
            owner: Some("orgreg"),
        };
        cluster.stop_after(std::process::id());
        Some(d)
    }

    /// A new, empty database `name` (one of that name is dropped first); its URL.
    pub(crate) fn create(&self, name: &str) -> String {
        let mut admin = pg::connect(&self.admin_url).expect("connect to create a database");
        let owner = self
            .owner
            .map(|o| format!(" OWNER {o}"))
            .unwrap_or_default();
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .and_then(|_| admin.batch_execute(&format!("CREATE DATABASE {name}{owner}")))
            .expect("create a database");
        format!("{}/{name}", self.owner_base)
    }

    /// Drops the database of `url` (made by `create`), if it can.
    pub(crate) fn drop(&self, url: &str) {
        let Some((_, name)) = url.rsplit_once('/') else {
            return;
        };
        if let Ok(mut admin) = pg::connect(&self.admin_url) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
