//! Load benchmark: `cargo bench --bench load [-- --orgs N --secs S --clients C]`
//! (results in docs/PERFORMANCE.md). Environment twins: `ORGREG_BENCH_ORGS` (default
//! 10000, up to 1,000,000), `ORGREG_BENCH_SECS` (default 5 per scenario),
//! `ORGREG_BENCH_CLIENTS` (default 8 readers; writers use 16), `ORGREG_BENCH_THREADS`
//! (server workers, default orgreg's own), `ORGREG_BENCH_BIN` (another orgreg binary to
//! measure, e.g. an older build for a before/after).
//!
//! 1. Fills a database in-process, fast: the store's own insert functions (so every
//!    derived column and index is what the server writes) in transactions of 10,000
//!    organizations, each with an owner and a second member.
//! 2. Runs the release binary (`target/release/orgreg serve`) as a separate process, so
//!    its peak RSS (VmHWM, reset before each scenario) is the server's own.
//! 3. Drives keep-alive clients (a minimal HTTP/1.1 client on raw sockets, TCP_NODELAY)
//!    for a fixed time per scenario; prints req/s, p50, p99, p99.9, errors, peak RSS.
//! 4. Measures the ceilings in the same run: a bare tiny_http server answering a fixed
//!    body of the size of an organization, with the same worker count (reads); the same
//!    server answering the filtered 20-row page from its own rusqlite connections
//!    (pages); and one rusqlite writer inserting an organization into orgreg's schema,
//!    one commit each, `synchronous=FULL` (writes; also into a two-index table, for
//!    reference). Every figure is printed also as a ratio to its ceiling.
//! 5. With more than 10,000 organizations, measures lookup, list and search at 10,000
//!    too and prints the p99 ratio (N / 10k).
//! 6. Measures the authenticated GET against the bare tiny_http in 3 alternating rounds
//!    (medians), with its own client and with `wrk` when installed.
//!
//! `--dir DIR` (`ORGREG_BENCH_DIR`) keeps the filled databases for later runs (each run
//! works on a copy); `ORGREG_BENCH_FILL_ONLY=1` fills and stops.

use orgreg::config::{OrgCreate, SyncMode};
use orgreg::model::{self, MemberStatus, Role, User};
use orgreg::registry::{auth, Registry, Settings};
use orgreg::store::{self, Store};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "org_bench_admin_token_0123456789abcdefghijklmnopq";

struct Args {
    orgs: usize,
    secs: u64,
    clients: usize,
    writers: usize,
    threads: usize,
    bin: PathBuf,
    /// Where the filled databases live; kept and reused when set (`--dir`, `ORGREG_BENCH_DIR`).
    keep: Option<PathBuf>,
}

fn args() -> Args {
    let env = |n: &str, d: usize| {
        std::env::var(n)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mut a = Args {
        orgs: env("ORGREG_BENCH_ORGS", 10_000),
        secs: env("ORGREG_BENCH_SECS", 5) as u64,
        clients: env("ORGREG_BENCH_CLIENTS", 8),
        writers: env("ORGREG_BENCH_WRITERS", 16),
        threads: env("ORGREG_BENCH_THREADS", orgreg::config::default_threads()),
        bin: std::env::var("ORGREG_BENCH_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_orgreg"))),
        keep: std::env::var("ORGREG_BENCH_DIR").ok().map(PathBuf::from),
    };
    // `cargo bench` adds `--bench`; anything unknown is ignored.
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        if argv[i] == "--dir" && i + 1 < argv.len() {
            a.keep = Some(PathBuf::from(&argv[i + 1]));
            i += 2;
            continue;
        }
        let v = argv.get(i + 1).and_then(|v| v.parse::<usize>().ok());
        match (argv[i].as_str(), v) {
            ("--orgs", Some(v)) => a.orgs = v,
            ("--secs", Some(v)) => a.secs = v as u64,
            ("--clients", Some(v)) => a.clients = v,
            ("--writers", Some(v)) => a.writers = v,
            ("--threads", Some(v)) => a.threads = v,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a.orgs = a.orgs.clamp(100, 1_000_000);
    a
}

// ---------------------------------------------------------------- the fill

struct Filled {
    orgs: Vec<String>,
    users: Vec<String>,
}

fn user(username: String, staff: bool) -> User {
    let now = model::now();
    User {
        seq: 0,
        id: model::new_id(),
        username,
        email: None,
        first_name: String::new(),
        last_name: String::new(),
        company: String::new(),
        job_title: String::new(),
        avatar_url: None,
        preferred_language: String::new(),
        metadata: serde_json::json!({}),
        is_active: true,
        is_staff: staff,
        is_service_account: false,
        has_password: false,
        version: 1,
        created: now.clone(),
        modified: now,
    }
}

/// The filled database at `db`, copied to `work` for this run to change: reused when a
/// previous run (`--dir`) left it there, filled otherwise.
fn filled(db: &Path, n: usize, work: &Path) -> Filled {
    let f = filled_at(db, n);
    if db != work {
        std::fs::copy(db, work).expect("copy the filled database");
    }
    f
}

fn filled_at(db: &Path, n: usize) -> Filled {
    if !db.exists() {
        return fill(db, n);
    }
    let c = rusqlite::Connection::open(db).unwrap();
    let ids = |sql: &str| -> Vec<String> {
        let mut st = c.prepare(sql).unwrap();
        let v = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        v
    };
    let f = Filled {
        orgs: ids("SELECT id FROM organizations WHERE name LIKE 'Bench Org %' ORDER BY seq"),
        users: ids("SELECT id FROM users WHERE username LIKE 'bench-user-%' ORDER BY seq"),
    };
    assert_eq!(f.orgs.len(), n, "{} holds another fill", db.display());
    println!("reusing {} ({n} organizations)", db.display());
    f
}

/// `n` organizations (each with an owner and a member among n/50 users) and the admin
/// token, written through the store's insert functions in big transactions.
fn fill(db: &Path, n: usize) -> Filled {
    let t = Instant::now();
    let st = Store::open(db.to_str().unwrap(), SyncMode::Normal).expect("open");
    let reg = Registry::new(
        st,
        Settings {
            org_create: OrgCreate::Users,
            max_owned_orgs: None,
            public_url: None,
        },
    );
    auth::bootstrap(&reg, Some(TOKEN), None).expect("bootstrap");
    let admin = reg
        .store
        .read(|c| store::users::by_username(c, "admin"))
        .unwrap()
        .unwrap();
    let nusers = (n / 50).clamp(100, 20_000);
    let users: Vec<User> = reg
        .store
        .write(|tx| {
            (0..nusers)
                .map(|i| store::users::insert(tx, &user(format!("bench-user-{i:05}"), false), None))
                .collect()
        })
        .expect("users");
    let mut orgs = Vec::with_capacity(n);
    let at = model::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let ids = reg
            .store
            .write(|tx| {
                let mut ids = vec![];
                for &i in chunk {
                    let owner = &users[i % nusers];
                    let other = &users[(i * 7 + 1) % nusers];
                    let org = store::orgs::insert(
                        tx,
                        &store::orgs::OrgRow {
                            id: model::new_id(),
                            name: format!("Bench Org {i:07}"),
                            description: format!(
                                "seeded organization number {i} of the load bench"
                            ),
                            native_name: String::new(),
                            abbreviation: None,
                            logo_url: None,
                            currency_code: None,
                            customer: None,
                            owner: Some(owner.seq),
                            metadata: serde_json::json!({}),
                            accepts_join_requests: true,
                            at: at.clone(),
                            by: Some(admin.seq),
                        },
                    )?;
                    for (u, role) in [(owner, Role::Owner), (other, Role::Viewer)] {
                        if role == Role::Viewer && u.seq == owner.seq {
                            continue;
                        }
                        store::members::insert(
                            tx,
                            &store::members::NewMember {
                                org: org.seq,
                                user: u.seq,
                                role,
                                status: MemberStatus::Approved,
                                is_active: true,
                                approved_by: Some(admin.seq),
                                at: &at,
                            },
                        )?;
                    }
                    ids.push(org.id);
                }
                Ok(ids)
            })
            .expect("fill");
        orgs.extend(ids);
    }
    reg.store.close();
    println!(
        "filled {n} organizations, {} memberships, {nusers} users in {:.1} s ({})",
        orgs.len() * 2,
        t.elapsed().as_secs_f64(),
        db.display()
    );
    Filled {
        orgs,
        users: users.into_iter().map(|u| u.id).collect(),
    }
}

// ---------------------------------------------------------------- the server process

struct Server {
    child: Child,
    addr: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `bin serve` on `db`; returns it with the time to its first authenticated 200.
    fn start(bin: &Path, db: &Path, threads: usize, sample_org: &str) -> (Server, Duration) {
        let addr = format!("127.0.0.1:{}", free_port());
        let t = Instant::now();
        let child = Command::new(bin)
            .args(["serve", "--db", db.to_str().unwrap(), "--listen", &addr])
            .args(["--threads", &threads.to_string(), "--sync", "full"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let s = Server { child, addr };
        let path = format!("/v1/organizations/{sample_org}");
        loop {
            if let Ok(mut c) = Client::connect(&s.addr) {
                if c.call("GET", &path, None).is_ok_and(|st| st == 200) {
                    break;
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "server did not answer"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        (s, t.elapsed())
    }

    fn status(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Peak RSS since the last reset, MB.
    fn peak_mb(&self) -> f64 {
        self.status("VmHWM:")
    }

    fn rss_mb(&self) -> f64 {
        self.status("VmRSS:")
    }

    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `orgreg_writer_commits_total` from `/metrics`: transactions committed so far.
    fn commits(&self) -> f64 {
        let mut c = Client::connect(&self.addr).unwrap();
        c.call("GET", "/metrics", None).unwrap();
        String::from_utf8_lossy(c.body())
            .lines()
            .find_map(|l| l.strip_prefix("orgreg_writer_commits_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

// ---------------------------------------------------------------- a minimal client

struct Client {
    s: TcpStream,
    buf: Vec<u8>,
    host: String,
}

impl Client {
    fn connect(addr: &str) -> std::io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client {
            s,
            buf: Vec::with_capacity(16 * 1024),
            host: addr.to_string(),
        })
    }

    /// One request on the kept-alive connection; the status.
    fn call(&mut self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<u16> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n",
            self.host
        );
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        } else {
            req.push_str("\r\n");
        }
        self.s.write_all(req.as_bytes())?;
        self.read_response()
    }

    fn read_response(&mut self) -> std::io::Result<u16> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = self.s.read(&mut chunk)?;
            if n == 0 {
                return Err(bad("closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("head"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("status"))?;
        let mut len = None;
        let mut chunked = false;
        for line in head.lines() {
            let l = line.to_ascii_lowercase();
            if let Some(v) = l.strip_prefix("content-length:") {
                len = v.trim().parse::<usize>().ok();
            } else if l.starts_with("transfer-encoding:") && l.contains("chunked") {
                chunked = true;
            }
        }
        if chunked {
            // Read until the last chunk's terminator.
            while !self.buf[head_end..].ends_with(b"0\r\n\r\n") {
                let n = self.s.read(&mut chunk)?;
                if n == 0 {
                    return Err(bad("closed"));
                }
                self.buf.extend_from_slice(&chunk[..n]);
            }
        } else {
            let want = head_end + len.unwrap_or(0);
            while self.buf.len() < want {
                let n = self.s.read(&mut chunk)?;
                if n == 0 {
                    return Err(bad("closed"));
                }
                self.buf.extend_from_slice(&chunk[..n]);
            }
        }
        Ok(status)
    }

    fn body(&self) -> &[u8] {
        let p = self
            .buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |p| p + 4);
        &self.buf[p..]
    }
}

// ---------------------------------------------------------------- scenarios

#[derive(Clone, Copy, Default)]
struct Stats {
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    errors: usize,
    peak_mb: f64,
}

/// A request: method, path, body.
type Req = (&'static str, String, Option<String>);

/// `clients` keep-alive connections to `addr` for `secs`, each sending `req(i)`; 2xx is
/// success.
fn drive(addr: &str, clients: usize, secs: u64, req: &(dyn Fn(usize) -> Req + Sync)) -> Stats {
    let counter = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut lat: Vec<u32> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                let (counter, errors) = (&counter, &errors);
                s.spawn(move || {
                    let mut c = Client::connect(addr).expect("connect");
                    let mut lat = Vec::with_capacity(200_000);
                    while Instant::now() < deadline {
                        let i = counter.fetch_add(1, Ordering::Relaxed);
                        let (m, p, b) = req(i);
                        let t = Instant::now();
                        match c.call(m, &p, b.as_deref()) {
                            Ok(st) if (200..300).contains(&st) => {}
                            Ok(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                c = Client::connect(addr).expect("reconnect");
                            }
                        }
                        lat.push(t.elapsed().as_micros() as u32);
                    }
                    lat
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let took = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    Stats {
        rps: lat.len() as f64 / took,
        p50: pct(0.50),
        p99: pct(0.99),
        p999: pct(0.999),
        errors: errors.load(Ordering::Relaxed),
        peak_mb: 0.0,
    }
}

fn header() {
    println!(
        "{:<44} {:>3} {:>9} {:>6} {:>7} {:>7} {:>8} {:>6} {:>6}  ceiling",
        "scenario", "cl", "req/s", "p50", "p99", "p99.9", "errors", "rss", "×ceil"
    );
}

fn line(name: &str, clients: usize, s: &Stats, ceiling: Option<(&str, f64)>) {
    let (ratio, cname) = match ceiling {
        Some((n, c)) if c > 0.0 => (format!("{:.3}", s.rps / c), n),
        _ => ("-".into(), ""),
    };
    println!(
        "{name:<44} {clients:>3} {:>9.0} {:>6.2} {:>7.2} {:>7.2} {:>8} {:>6.1} {:>6}  {cname}",
        s.rps, s.p50, s.p99, s.p999, s.errors, s.peak_mb, ratio
    );
}

/// Runs a scenario against the server process, with its peak RSS.
fn run(
    srv: &Server,
    name: &str,
    clients: usize,
    secs: u64,
    ceiling: Option<(&str, f64)>,
    req: &(dyn Fn(usize) -> Req + Sync),
) -> Stats {
    srv.reset_peak();
    let mut s = drive(&srv.addr, clients, secs, req);
    s.peak_mb = srv.peak_mb();
    line(name, clients, &s, ceiling);
    s
}

// ---------------------------------------------------------------- ceilings

/// A bare tiny_http server with `threads` workers answering `body`, until dropped.
struct Tiny {
    server: std::sync::Arc<tiny_http::Server>,
    stop: std::sync::Arc<AtomicBool>,
    workers: Vec<std::thread::JoinHandle<()>>,
    addr: String,
}

impl Tiny {
    fn start(threads: usize, body: Vec<u8>) -> Tiny {
        Tiny::with(threads, move || {
            let body = body.clone();
            move |_: &str| body.clone()
        })
    }

    /// `threads` workers, each answering with its own handler from `make` (which may hold
    /// per-thread state such as a database connection).
    fn with<H: FnMut(&str) -> Vec<u8> + 'static>(
        threads: usize,
        make: impl Fn() -> H + Send + Sync + 'static,
    ) -> Tiny {
        // TCP_NODELAY on the listener, inherited by accepted sockets (as orgreg's own
        // listener does): tiny_http writes a larger response's head and body separately,
        // which Nagle's algorithm and a delayed ACK would hold for 40 ms.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let one: libc::c_int = 1;
        // SAFETY: a valid socket descriptor and a c_int option value of the given size.
        let rc = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&listener),
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                &one as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "TCP_NODELAY on the ceiling's listener");
        let server = std::sync::Arc::new(tiny_http::Server::from_listener(listener, None).unwrap());
        let addr = server.server_addr().to_ip().unwrap().to_string();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let make = std::sync::Arc::new(make);
        let workers = (0..threads)
            .map(|_| {
                let (server, stop, make) = (server.clone(), stop.clone(), make.clone());
                std::thread::spawn(move || {
                    let mut handle = make();
                    let ct =
                        tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
                    while !stop.load(Ordering::Relaxed) {
                        if let Ok(Some(r)) = server.recv_timeout(Duration::from_millis(100)) {
                            let body = handle(r.url());
                            let _ = r.respond(
                                tiny_http::Response::from_data(body).with_header(ct.clone()),
                            );
                        }
                    }
                })
            })
            .collect();
        Tiny {
            server,
            stop,
            workers,
            addr,
        }
    }
}

impl Drop for Tiny {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.server.unblock();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn tiny_ceiling(threads: usize, body: Vec<u8>, clients: usize, secs: u64) -> Stats {
    let t = Tiny::start(threads, body);
    drive(&t.addr, clients, secs, &|_| ("GET", "/fixed".into(), None))
}

/// The bare page ceiling: tiny_http with the same workers, each with its own read-only
/// rusqlite connection on the filled database, answering the bench's filtered, ordered
/// page (`accepts_join_requests`, `-name`, 20 rows at `page=N`) from the name index as
/// JSON objects of every stored column (about the API's body size), without a count,
/// joins or authentication.
fn page_ceiling(db: &Path, threads: usize, clients: usize, secs: u64) -> Stats {
    let db = db.to_path_buf();
    let t = Tiny::with(threads, move || {
        let c = rusqlite::Connection::open_with_flags(
            &db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .unwrap();
        move |url: &str| {
            let page: i64 = url
                .split("page=")
                .nth(1)
                .and_then(|v| v.split('&').next()?.parse().ok())
                .unwrap_or(1);
            let mut st = c
                .prepare_cached(
                    "SELECT * FROM organizations WHERE accepts_join_requests = 1 \
                     ORDER BY name DESC, seq DESC LIMIT 20 OFFSET ?",
                )
                .unwrap();
            let names: Vec<String> = st.column_names().map(|n| n.to_string()).collect();
            let rows: Vec<serde_json::Value> = st
                .query_map([(page - 1) * 20], |r| {
                    let mut o = serde_json::Map::new();
                    for (i, n) in names.iter().enumerate() {
                        let v = match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Integer(v) => v.into(),
                            rusqlite::types::ValueRef::Text(t) => {
                                String::from_utf8_lossy(t).into_owned().into()
                            }
                            _ => serde_json::Value::Null,
                        };
                        o.insert(n.clone(), v);
                    }
                    Ok(serde_json::Value::Object(o))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            serde_json::to_vec(&serde_json::json!({ "results": rows })).unwrap()
        }
    });
    drive(&t.addr, clients, secs, &|i| {
        ("GET", format!("/page?page={}", 1 + i % 20), None)
    })
}

/// `wrk` (if installed) on `url` with the admin token: requests/s.
fn wrk(url: &str, clients: usize, secs: u64) -> Option<f64> {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{clients}"), &format!("-d{secs}s")])
        .args(["-H", &format!("Authorization: Bearer {TOKEN}"), url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// One writer inserting organization-shaped rows, one `BEGIN IMMEDIATE … COMMIT` each,
/// WAL and `synchronous=FULL`, for `secs`.
fn insert_ceiling(dir: &Path, secs: u64) -> Stats {
    let c = rusqlite::Connection::open(dir.join("ceiling.db")).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE o (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
           name_key TEXT NOT NULL UNIQUE, description TEXT NOT NULL, search_text TEXT NOT NULL,
           metadata TEXT NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL);
         CREATE INDEX o_created ON o(created);",
    )
    .unwrap();
    let mut lat = vec![];
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        let t = Instant::now();
        let name = format!("Ceiling Org {i:08}");
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        c.prepare_cached(
            "INSERT INTO o (id, name, name_key, description, search_text, metadata, created, modified) \
             VALUES (?, ?, ?, '', ?, '{}', ?, ?)",
        )
        .unwrap()
        .execute(rusqlite::params![
            model::new_id(),
            name,
            name.to_lowercase(),
            name.to_lowercase(),
            model::now(),
            model::now()
        ])
        .unwrap();
        c.execute_batch("COMMIT").unwrap();
        lat.push(t.elapsed().as_micros() as u32);
        i += 1;
    }
    loop_stats(lat, start.elapsed().as_secs_f64())
}

/// The median of a few figures.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Stats of a one-thread loop: latencies in µs over `took` seconds.
fn loop_stats(mut lat: Vec<u32>, took: f64) -> Stats {
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    Stats {
        rps: lat.len() as f64 / took,
        p50: pct(0.5),
        p99: pct(0.99),
        p999: pct(0.999),
        errors: 0,
        peak_mb: 0.0,
    }
}

/// The same ceiling on orgreg's own schema: one writer inserting an organization through
/// the store's insert (its table, indexes, trigram index and read-back) in one
/// `BEGIN IMMEDIATE … COMMIT` each, WAL and `synchronous=FULL`, for `secs`. This is the
/// bare cost of "the same insert"; the server adds authentication, validation, the owner's
/// membership, the audit row and the HTTP exchange.
fn schema_insert_ceiling(dir: &Path, secs: u64) -> Stats {
    let db = dir.join("ceiling-schema.db");
    Store::open(db.to_str().unwrap(), SyncMode::Full)
        .expect("schema")
        .close();
    let c = store::open_connection(&db, SyncMode::Full, false).unwrap();
    let mut lat = vec![];
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        let t = Instant::now();
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        store::orgs::insert(
            &c,
            &store::orgs::OrgRow {
                id: model::new_id(),
                name: format!("Ceiling Org {i:08}"),
                description: String::new(),
                native_name: String::new(),
                abbreviation: None,
                logo_url: None,
                currency_code: None,
                customer: None,
                owner: None,
                metadata: serde_json::json!({}),
                accepts_join_requests: true,
                at: model::now(),
                by: None,
            },
        )
        .unwrap();
        c.execute_batch("COMMIT").unwrap();
        lat.push(t.elapsed().as_micros() as u32);
        i += 1;
    }
    loop_stats(lat, start.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------- main

/// The read scenarios measured at both sizes: lookup, filtered ordered page, search page.
fn scale_scenarios(
    srv: &Server,
    f: &Filled,
    a: &Args,
    (read_ceiling, page_ceiling): (f64, f64),
    tag: &str,
) -> [Stats; 3] {
    let orgs = &f.orgs;
    let n = orgs.len();
    let ceil = Some(("tiny_http", read_ceiling));
    let pceil = Some(("sqlite page", page_ceiling));
    let lookup = run(
        srv,
        &format!("GET /v1/organizations/{{id}} [{tag}]"),
        a.clients,
        a.secs,
        ceil,
        &|i| {
            (
                "GET",
                format!("/v1/organizations/{}", orgs[(i * 7919) % n]),
                None,
            )
        },
    );
    let page = run(
        srv,
        &format!("filtered, ordered 20-row page [{tag}]"),
        a.clients,
        a.secs,
        pceil,
        &|i| {
            (
                "GET",
                format!(
                    "/v1/organizations?page_size=20&page={}&order_by=-name&accepts_join_requests=true",
                    1 + i % 20
                ),
                None,
            )
        },
    );
    // `number K` (K in 100..=999) is a substring of the descriptions of organization K
    // and of those whose number starts with K: 11 of 10,000, 1,111 of 1,000,000.
    let search = run(
        srv,
        &format!("search= 20-row page, ordered [{tag}]"),
        a.clients,
        a.secs,
        pceil,
        &|i| {
            (
                "GET",
                format!(
                    "/v1/organizations?page_size=20&search=number+{}&order_by=name",
                    100 + (i * 31) % 900
                ),
                None,
            )
        },
    );
    [lookup, page, search]
}

fn main() {
    let a = args();
    let tmp = tempfile::TempDir::new().unwrap();
    let data = a.keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&data).unwrap();
    println!(
        "orgreg load bench: {} organizations, {} s per scenario, {} read clients, {} write clients, {} server workers, {} cores, binary {}",
        a.orgs,
        a.secs,
        a.clients,
        a.writers,
        a.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        a.bin.display()
    );

    // The ceilings first (no server process running).
    let big_db = data.join(format!("bench-{}.db", a.orgs));
    if std::env::var_os("ORGREG_BENCH_FILL_ONLY").is_some() {
        filled_at(&big_db, a.orgs);
        if a.orgs > 10_000 {
            filled_at(&data.join("bench-10000.db"), 10_000);
        }
        return;
    }
    let big = filled(&big_db, a.orgs, &tmp.path().join("work.db"));
    let big_db = tmp.path().join("work.db");
    let (srv, first) = Server::start(&a.bin, &big_db, a.threads, &big.orgs[0]);
    let body_len = {
        let mut c = Client::connect(&srv.addr).unwrap();
        c.call("GET", &format!("/v1/organizations/{}", big.orgs[0]), None)
            .unwrap();
        c.body().len()
    };
    drop(srv);
    let tiny = tiny_ceiling(a.threads, vec![b'x'; body_len], a.clients, a.secs);
    let simple = insert_ceiling(tmp.path(), a.secs);
    let ins = schema_insert_ceiling(tmp.path(), a.secs);
    let pages = page_ceiling(&big_db, a.threads, a.clients, a.secs);
    println!();
    header();
    line(
        &format!("CEILING bare tiny_http, {body_len} B body"),
        a.clients,
        &tiny,
        None,
    );
    line(
        "CEILING bare rusqlite insert, FULL, 1 writer",
        1,
        &simple,
        None,
    );
    line("CEILING same, orgreg's organizations table", 1, &ins, None);
    line(
        "CEILING bare tiny_http + rusqlite 20-row page",
        a.clients,
        &pages,
        None,
    );
    let ceilings = (tiny.rps, pages.rps);

    // Small database first, for the scale ratios.
    let small = if a.orgs > 10_000 {
        let db = data.join("bench-10000.db");
        let work = tmp.path().join("work-10000.db");
        let f = filled(&db, 10_000, &work);
        let db = work;
        let (srv, _) = Server::start(&a.bin, &db, a.threads, &f.orgs[0]);
        let s = scale_scenarios(&srv, &f, &a, ceilings, "10k");
        Some(s)
    } else {
        None
    };

    let (srv, first2) = Server::start(&a.bin, &big_db, a.threads, &big.orgs[0]);
    let idle = srv.rss_mb();
    let tag = format!("{}", a.orgs);
    let rc = Some(("tiny_http", tiny.rps));
    let pc = Some(("sqlite page", pages.rps));
    let wc = Some(("table insert", ins.rps));
    let large = scale_scenarios(&srv, &big, &a, ceilings, &tag);
    // The authenticated GET against the bare tiny_http, in 3 alternating rounds with
    // medians (one run of each side moves by ±30% on a shared VM): the bench's own client,
    // and `wrk` from outside when it is installed.
    let get_ratio = {
        let t = Tiny::start(a.threads, vec![b'x'; body_len]);
        let orgs = &big.orgs;
        let n = orgs.len();
        let (mut ours, mut bare, mut w_ours, mut w_bare) = (vec![], vec![], vec![], vec![]);
        for _ in 0..3 {
            bare.push(
                drive(&t.addr, a.clients, a.secs, &|_| {
                    ("GET", "/fixed".into(), None)
                })
                .rps,
            );
            ours.push(
                drive(&srv.addr, a.clients, a.secs, &|i| {
                    (
                        "GET",
                        format!("/v1/organizations/{}", orgs[(i * 7919) % n]),
                        None,
                    )
                })
                .rps,
            );
            let o = wrk(
                &format!("http://{}/v1/organizations/{}", srv.addr, orgs[0]),
                a.clients,
                a.secs,
            );
            let b = wrk(&format!("http://{}/fixed", t.addr), a.clients, a.secs);
            if let (Some(o), Some(b)) = (o, b) {
                w_ours.push(o);
                w_bare.push(b);
            }
        }
        let (o, b) = (median(&mut ours), median(&mut bare));
        println!(
            "{:<44} {:>3} {o:>9.0}   (medians of 3 alternating rounds; bare tiny_http {b:.0} req/s; ratio {:.3})",
            "GET /v1/organizations/{id}, alternating",
            a.clients,
            o / b
        );
        if !w_ours.is_empty() {
            let (o, b) = (median(&mut w_ours), median(&mut w_bare));
            println!(
                "{:<44} {:>3} {o:>9.0}   (wrk, medians of 3 alternating rounds; bare tiny_http {b:.0} req/s; ratio {:.3})",
                "wrk GET /v1/organizations/{id}",
                a.clients,
                o / b
            );
        }
        o / b
    };
    let orgs = &big.orgs;
    let users = &big.users;
    let n = orgs.len();
    run(
        &srv,
        "GET members page (20 rows)",
        a.clients,
        a.secs,
        rc,
        &|i| {
            (
                "GET",
                format!(
                    "/v1/organizations/{}/members?page_size=20",
                    orgs[(i * 7919) % n]
                ),
                None,
            )
        },
    );
    run(
        &srv,
        "AWX GET /api/v2/organizations/",
        a.clients,
        a.secs,
        pc,
        &|i| {
            (
                "GET",
                format!("/api/v2/organizations/?page_size=20&page={}", 1 + i % 20),
                None,
            )
        },
    );
    run(
        &srv,
        "ZenML GET /organizations",
        a.clients,
        a.secs,
        pc,
        &|i| {
            (
                "GET",
                format!("/organizations?limit=20&offset={}", (i % 20) * 20),
                None,
            )
        },
    );
    let created = AtomicUsize::new(0);
    let commits_before = srv.commits();
    let post = run(
        &srv,
        "POST /v1/organizations (FULL)",
        a.writers,
        a.secs,
        wc,
        &|_| {
            let k = created.fetch_add(1, Ordering::Relaxed);
            (
                "POST",
                "/v1/organizations".into(),
                Some(format!(
                    r#"{{"name": "Bench New {k:08} {}"}}"#,
                    std::process::id()
                )),
            )
        },
    );
    let per_commit = post.rps * a.secs as f64 / (srv.commits() - commits_before).max(1.0);
    run(
        &srv,
        "PATCH /v1/organizations/{id} (FULL)",
        a.writers,
        a.secs,
        wc,
        &|i| {
            (
                "PATCH",
                format!("/v1/organizations/{}", orgs[(i * 104_729) % n]),
                Some(format!(r#"{{"description": "patched {i}"}}"#)),
            )
        },
    );
    let added = AtomicUsize::new(0);
    run(&srv, "POST member (FULL)", a.writers, a.secs, wc, &|_| {
        // A user not yet a member: org k, a user far from its two members.
        let k = added.fetch_add(1, Ordering::Relaxed);
        let org = &orgs[(k * 7919 + 3) % n];
        let u = &users[(k * 13 + users.len() / 2) % users.len()];
        (
            "POST",
            format!("/v1/organizations/{org}/members"),
            Some(format!(r#"{{"user": "{u}", "role": "viewer"}}"#)),
        )
    });
    let mixed = AtomicUsize::new(0);
    run(
        &srv,
        "90/10 GET by id / POST mix",
        a.writers,
        a.secs,
        rc,
        &|i| {
            if i % 10 == 9 {
                let k = mixed.fetch_add(1, Ordering::Relaxed);
                (
                    "POST",
                    "/v1/organizations".into(),
                    Some(format!(
                        r#"{{"name": "Bench Mix {k:08} {}"}}"#,
                        std::process::id()
                    )),
                )
            } else {
                (
                    "GET",
                    format!("/v1/organizations/{}", orgs[(i * 7919) % n]),
                    None,
                )
            }
        },
    );
    println!();
    println!(
        "server: first authenticated 200 {:.0} ms after start on the existing {}-organization database (first start {:.0} ms); idle RSS {:.1} MB",
        first2.as_secs_f64() * 1000.0,
        a.orgs,
        first.as_secs_f64() * 1000.0,
        idle
    );
    println!(
        "durable creates, {} clients: {:.2}× the one-writer FULL insert ceiling on orgreg's table ({:.2}× on a two-index table), p99 {:.1} ms",
        a.writers,
        post.rps / ins.rps,
        post.rps / simple.rps,
        post.p99
    );
    println!(
        "group commit: {per_commit:.1} creates per commit (fsync) with {} writers",
        a.writers
    );
    println!(
        "authenticated GET: {get_ratio:.3}× the tiny_http ceiling (medians of 3 alternating rounds; {:.3}× against the single ceiling run above)",
        large[0].rps / tiny.rps
    );
    println!(
        "filtered, ordered page: {:.2}× and search page: {:.2}× the bare SQLite page ceiling",
        large[1].rps / pages.rps,
        large[2].rps / pages.rps
    );
    if let Some(small) = small {
        for (name, s, l) in [
            ("lookup", &small[0], &large[0]),
            ("filtered page", &small[1], &large[1]),
            ("search page", &small[2], &large[2]),
        ] {
            println!(
                "scale {name}: p99 {:.2} ms at 10k, {:.2} ms at {}: ratio {:.2}",
                s.p99,
                l.p99,
                a.orgs,
                l.p99 / s.p99.max(0.001)
            );
        }
    }
}
