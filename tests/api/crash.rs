//! Crash safety: the real binary (`orgreg serve`, default `--sync full`) is killed with
//! SIGKILL at a random moment while four clients write concurrently; after a restart on the
//! same file every acknowledged write is there, nothing is there that no client sent, the
//! file passes `integrity_check` and `foreign_key_check`, and `/healthz` answers within 2 s.
//!
//! Short form: `cargo test --test api crash` (20 trials). Long form by hand:
//! `ORGREG_CRASH_TRIALS=200 cargo test --test api crash -- --nocapture`; replay a run
//! with `ORGREG_CRASH_SEED=<seed printed by the run>`.
//!
//! This module also holds the helpers the other reliability modules share (hostile,
//! slow_clients, secrets): a child-process server, raw HTTP with timeouts, /proc readings.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Shared helpers: the real binary as a child process.
// ---------------------------------------------------------------------------------------

/// The bootstrap admin token every child server gets through `ORGREG_ADMIN_TOKEN`.
pub const BIN_ADMIN_TOKEN: &str = "org_reliability_admin_token_0123456789abcdefghijklmnop";

/// `orgreg serve` running as a child process over `db`, its stdout and stderr appended to
/// `log`. Killed (SIGKILL) on drop.
pub struct BinServer {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
    pub log: PathBuf,
    /// From spawn to the first `/healthz` 200.
    pub ready_after: Duration,
}

impl BinServer {
    /// Starts `orgreg serve --db <db> --listen 127.0.0.1:<free port> <extra>` with
    /// `ORGREG_ADMIN_TOKEN` set (and `RUST_LOG=info` unless `envs` says otherwise) and waits
    /// for `/healthz` 200. The port is found by binding port 0 and letting go of it; if
    /// another process takes it meanwhile, the start is retried on a new one.
    pub fn spawn(db: &Path, log: &Path, extra: &[&str], envs: &[(&str, &str)]) -> BinServer {
        for attempt in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            match BinServer::try_spawn(db, log, addr, extra, envs) {
                Ok(s) => return s,
                Err(e) if attempt < 4 && e.contains("cannot listen") => continue,
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!()
    }

    fn try_spawn(
        db: &Path,
        log: &Path,
        addr: SocketAddr,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> Result<BinServer, String> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open server log");
        let err = out.try_clone().expect("clone log handle");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orgreg"));
        cmd.arg("serve")
            .arg("--db")
            .arg(db)
            .arg("--listen")
            .arg(addr.to_string())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        for (k, _) in std::env::vars() {
            if k.starts_with("ORGREG_") || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("ORGREG_ADMIN_TOKEN", BIN_ADMIN_TOKEN);
        cmd.env("RUST_LOG", "info");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let spawned = Instant::now();
        let child = cmd.spawn().expect("spawn orgreg serve");
        let mut s = BinServer {
            child,
            addr,
            url: format!("http://{addr}"),
            log: log.to_path_buf(),
            ready_after: Duration::ZERO,
        };
        loop {
            if let Ok(r) = try_raw(addr, HEALTHZ, Duration::from_millis(500)) {
                if r.status == 200 {
                    break;
                }
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                return Err(format!(
                    "orgreg serve exited ({status}) before answering /healthz; log:\n{}",
                    s.log_text()
                ));
            }
            if spawned.elapsed() > Duration::from_secs(20) {
                return Err(format!(
                    "/healthz not 200 within 20 s; log:\n{}",
                    s.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        s.ready_after = spawned.elapsed();
        Ok(s)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL (std's `Child::kill` on unix) and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait up to `within` for a clean exit; returns the exit status if it
    /// exited.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let t = Instant::now();
        while t.elapsed() < within {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn log_text(&self) -> String {
        std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// A value from /proc/<pid>/status (e.g. `VmRSS` in kB, `Threads`).
    pub fn status_value(&self, key: &str) -> Option<u64> {
        proc_status(self.pid(), key)
    }

    /// How many file descriptors the server holds.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

impl Drop for BinServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A number from `/proc/<pid>/status` (the first token after `key:`).
pub fn proc_status(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(&format!("{key}:")))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/// A response read off a raw socket, or how the connection ended without one.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// How a raw exchange ended when no full response head arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawFail {
    /// The server closed (EOF or reset) without answering; `bytes` it sent first.
    Closed(String),
    /// Nothing (or only part of a head) within the timeout.
    Timeout(String),
    /// Could not connect or write.
    Io(String),
}

impl std::fmt::Display for RawFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RawFail::Closed(b) => write!(f, "closed without a response (received {b:?})"),
            RawFail::Timeout(b) => write!(f, "no response within the timeout (received {b:?})"),
            RawFail::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// Connects, writes `bytes` (errors after a partial write are ignored: the server may
/// close early) and reads one response within `timeout`.
pub fn try_raw(addr: SocketAddr, bytes: &[u8], timeout: Duration) -> Result<Raw, RawFail> {
    let started = Instant::now();
    let mut s =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| RawFail::Io(e.to_string()))?;
    let _ = s.set_nodelay(true);
    s.set_write_timeout(Some(timeout)).ok();
    if let Err(e) = s.write_all(bytes) {
        // The server may have answered and shut its side already; try to read it.
        let r = read_raw(&mut s, started, timeout);
        return r.map_err(|_| RawFail::Io(format!("write failed: {e}")));
    }
    read_raw(&mut s, started, timeout)
}

/// Reads one response (head, then Content-Length bytes; or until close) within `timeout`
/// counted from `started`.
pub fn read_raw(s: &mut TcpStream, started: Instant, timeout: Duration) -> Result<Raw, RawFail> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let mut head_end: Option<usize> = None;
    loop {
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let cl = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + cl {
                break;
            }
        }
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            if head_end.is_some() {
                break;
            }
            return Err(RawFail::Timeout(preview(&buf)));
        }
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok();
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if head_end.is_some() {
                    break;
                }
                return Err(RawFail::Timeout(preview(&buf)));
            }
            Err(_) => break,
        }
        if head_end.is_none() {
            head_end = buf.windows(4).position(|w| w == b"\r\n\r\n");
        }
    }
    let Some(end) = head_end else {
        return Err(RawFail::Closed(preview(&buf)));
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0);
    Ok(Raw {
        status,
        head,
        body: buf[end + 4..].to_vec(),
        elapsed: started.elapsed(),
    })
}

fn preview(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned()
}

/// One JSON call through ureq: `Ok((status, body))` for any HTTP answer, `Err` for a
/// transport failure (refused, reset, timeout).
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let mut rq = agent.request(method, url);
    if !token.is_empty() {
        rq = rq.set("Authorization", &format!("Bearer {token}"));
    }
    let res = match body {
        Some(b) => rq
            .set("Content-Type", "application/json")
            .send_string(&b.to_string()),
        None => rq.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let status = resp.status();
    let text = resp.into_string().map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

pub fn bin_agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(2))
        .timeout(timeout)
        .redirects(0)
        .build()
}

/// Every item of a paged list (`page_size=200`), following `next`.
pub fn list_all(agent: &ureq::Agent, base: &str, path: &str, token: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{base}{path}{sep}page_size=200");
    let mut out = vec![];
    loop {
        let (st, body) =
            call(agent, "GET", &url, token, None).unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(st, 200, "GET {url}: {body}");
        out.extend(body["results"].as_array().cloned().unwrap_or_default());
        match body["next"].as_str() {
            Some(next) => url = format!("{base}{next}"),
            None => break,
        }
    }
    out
}

/// A small xorshift64 generator: reproducible from its printed seed.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn from_env_or_time(var: &str) -> XorShift {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            })
            .max(1);
        XorShift(seed)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// `PRAGMA integrity_check` rows and `PRAGMA foreign_key_check` rows of the file at `db`,
/// opened the way the server opens it (`Store::open`, which also recovers a hot WAL).
pub fn check_file(db: &Path) -> (Vec<String>, Vec<String>) {
    let store = orgreg::store::Store::open(
        db.to_str().expect("utf-8 path"),
        orgreg::config::SyncMode::Full,
    )
    .unwrap_or_else(|e| panic!("Store::open({}) after the crash: {e}", db.display()));
    let conn = store.reader().unwrap_or_else(|e| panic!("reader: {e}"));
    let mut ic = vec![];
    {
        let mut st = conn.prepare("PRAGMA integrity_check").expect("prepare");
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .expect("integrity_check");
        for r in rows {
            ic.push(r.expect("row"));
        }
    }
    let mut fk = vec![];
    {
        let mut st = conn.prepare("PRAGMA foreign_key_check").expect("prepare");
        let rows = st
            .query_map([], |r| {
                Ok(format!(
                    "{}:{:?}->{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, String>(2)?
                ))
            })
            .expect("foreign_key_check");
        for r in rows {
            fk.push(r.expect("row"));
        }
    }
    drop(conn);
    store.close();
    (ic, fk)
}

// ---------------------------------------------------------------------------------------
// The crash test.
// ---------------------------------------------------------------------------------------

/// What the clients sent and what was acknowledged, across all trials.
#[derive(Default)]
struct Book {
    org_attempted: HashSet<String>,
    /// name → id of every organization created with a 201.
    orgs: HashMap<String, String>,
    user_attempted: HashSet<String>,
    /// username → id of every user created with a 201.
    users: HashMap<String, String>,
    /// (org id, user id) sent / acknowledged.
    member_attempted: HashSet<(String, String)>,
    members: Vec<(String, String)>,
    /// org id → (acknowledged description, descriptions sent after it without an answer).
    desc: HashMap<String, (Option<String>, Vec<String>)>,
    /// How many members were verified by a GET so far.
    members_verified: usize,
    acked: usize,
    sent: usize,
    /// Answers that are bugs (any 5xx but 503) or unexpected.
    bad: Vec<String>,
    n503: usize,
    /// org ids that got member writes in the latest trial.
    touched: HashSet<String>,
    /// Organizations acknowledged since the last verification: (name, id).
    orgs_new: Vec<(String, String)>,
}

fn writer(
    url: String,
    trial: usize,
    w: usize,
    tag: String,
    book: Arc<Mutex<Book>>,
    deadline: Instant,
) {
    let agent = bin_agent(Duration::from_secs(10));
    let mut my_orgs: Vec<String> = vec![];
    let mut n = 0usize;
    let note = |book: &Arc<Mutex<Book>>, what: &str, st: u16, body: &Value| {
        let mut b = book.lock().unwrap();
        if st == 503 {
            b.n503 += 1;
        } else {
            b.bad
                .push(format!("trial {trial} writer {w}: {what} → {st} {body}"));
        }
    };
    while Instant::now() < deadline {
        n += 1;
        let op = if my_orgs.is_empty() { 0 } else { n % 3 };
        match op {
            0 => {
                let name = format!("crash-{tag}-t{trial}-w{w}-{n}");
                {
                    let mut b = book.lock().unwrap();
                    b.org_attempted.insert(name.clone());
                    b.sent += 1;
                }
                let body = json!({"name": name, "description": "", "metadata": {"n": n}});
                match call(
                    &agent,
                    "POST",
                    &format!("{url}/v1/organizations"),
                    BIN_ADMIN_TOKEN,
                    Some(&body),
                ) {
                    Ok((201, v)) => {
                        let id = v["id"].as_str().unwrap_or_default().to_string();
                        let mut b = book.lock().unwrap();
                        b.orgs.insert(name.clone(), id.clone());
                        b.orgs_new.push((name, id.clone()));
                        b.desc.insert(id.clone(), (Some(String::new()), vec![]));
                        b.acked += 1;
                        my_orgs.push(id);
                    }
                    Ok((st, v)) => note(&book, "create organization", st, &v),
                    Err(_) => return,
                }
            }
            1 => {
                let username = format!("cu{tag}t{trial}w{w}n{n}");
                {
                    let mut b = book.lock().unwrap();
                    b.user_attempted.insert(username.clone());
                    b.sent += 1;
                }
                let body = json!({"username": username, "first_name": "Crash"});
                let uid = match call(
                    &agent,
                    "POST",
                    &format!("{url}/v1/users"),
                    BIN_ADMIN_TOKEN,
                    Some(&body),
                ) {
                    Ok((201, v)) => {
                        let id = v["id"].as_str().unwrap_or_default().to_string();
                        let mut b = book.lock().unwrap();
                        b.users.insert(username, id.clone());
                        b.acked += 1;
                        id
                    }
                    Ok((st, v)) => {
                        note(&book, "create user", st, &v);
                        continue;
                    }
                    Err(_) => return,
                };
                let org = my_orgs[n % my_orgs.len()].clone();
                {
                    let mut b = book.lock().unwrap();
                    b.member_attempted.insert((org.clone(), uid.clone()));
                    b.touched.insert(org.clone());
                    b.sent += 1;
                }
                let body = json!({"user": uid, "role": "viewer"});
                match call(
                    &agent,
                    "POST",
                    &format!("{url}/v1/organizations/{org}/members"),
                    BIN_ADMIN_TOKEN,
                    Some(&body),
                ) {
                    Ok((201, _)) => {
                        let mut b = book.lock().unwrap();
                        b.members.push((org, uid));
                        b.acked += 1;
                    }
                    Ok((st, v)) => note(&book, "add member", st, &v),
                    Err(_) => return,
                }
            }
            _ => {
                let org = my_orgs[n % my_orgs.len()].clone();
                let d = format!("d-{tag}-t{trial}-w{w}-{n}");
                {
                    let mut b = book.lock().unwrap();
                    b.desc.entry(org.clone()).or_default().1.push(d.clone());
                    b.sent += 1;
                }
                let body = json!({"description": d});
                match call(
                    &agent,
                    "PATCH",
                    &format!("{url}/v1/organizations/{org}"),
                    BIN_ADMIN_TOKEN,
                    Some(&body),
                ) {
                    Ok((200, _)) => {
                        let mut b = book.lock().unwrap();
                        let e = b.desc.entry(org).or_default();
                        e.0 = Some(d);
                        e.1.clear();
                        b.acked += 1;
                    }
                    Ok((st, v)) => note(&book, "patch organization", st, &v),
                    Err(_) => return,
                }
            }
        }
    }
}

/// Checks the restarted server against the book; returns the problems found.
fn verify(srv: &BinServer, book: &mut Book, when: &str, all_members: bool) -> Vec<String> {
    let mut bad = vec![];
    let agent = bin_agent(Duration::from_secs(20));
    let orgs = list_all(&agent, &srv.url, "/v1/organizations", BIN_ADMIN_TOKEN);
    let mut by_name: HashMap<String, Value> = HashMap::new();
    for o in orgs {
        let name = o["name"].as_str().unwrap_or_default().to_string();
        if !book.org_attempted.contains(&name) {
            bad.push(format!(
                "{when}: organization {name:?} is present but no client sent it"
            ));
        }
        by_name.insert(name, o);
    }
    for (name, id) in &book.orgs {
        match by_name.get(name) {
            None => bad.push(format!(
                "{when}: acknowledged organization {name:?} ({id}) is missing"
            )),
            Some(o) if o["id"] != id.as_str() => bad.push(format!(
                "{when}: organization {name:?} has id {} but {id} was acknowledged",
                o["id"]
            )),
            Some(o) => {
                let present = o["description"].as_str().unwrap_or_default().to_string();
                if let Some((acked, pending)) = book.desc.get_mut(id) {
                    let ok =
                        acked.as_deref() == Some(present.as_str()) || pending.contains(&present);
                    if !ok {
                        bad.push(format!(
                            "{when}: organization {name:?} description {present:?}; acknowledged {acked:?}, unanswered {pending:?}"
                        ));
                    }
                    // What is on disk now is the baseline for later trials.
                    *acked = Some(present);
                    pending.clear();
                }
            }
        }
    }
    // Also one by one, by id and by name, for a sample of the newest.
    let new: Vec<(String, String)> = book.orgs_new.drain(..).collect();
    for (i, (name, id)) in new.iter().enumerate().step_by((new.len() / 20).max(1)) {
        let by = if i % 2 == 0 {
            id.clone()
        } else {
            crate::support::enc(name)
        };
        match call(
            &agent,
            "GET",
            &format!("{}/v1/organizations/{by}", srv.url),
            BIN_ADMIN_TOKEN,
            None,
        ) {
            Ok((200, o)) if o["id"] == id.as_str() && o["name"] == name.as_str() => {}
            other => bad.push(format!(
                "{when}: GET /v1/organizations/{by} (acknowledged {name:?}, {id}): {other:?}"
            )),
        }
    }
    let users = list_all(&agent, &srv.url, "/v1/users", BIN_ADMIN_TOKEN);
    let mut present_users: HashMap<String, String> = HashMap::new();
    for u in users {
        let name = u["username"].as_str().unwrap_or_default().to_string();
        if name != "admin" && !book.user_attempted.contains(&name) {
            bad.push(format!(
                "{when}: user {name:?} is present but no client sent it"
            ));
        }
        present_users.insert(name, u["id"].as_str().unwrap_or_default().to_string());
    }
    for (name, id) in &book.users {
        if present_users.get(name) != Some(id) {
            bad.push(format!(
                "{when}: acknowledged user {name:?} ({id}) is missing"
            ));
        }
    }
    let from = if all_members {
        0
    } else {
        book.members_verified
    };
    for (org, user) in &book.members[from..] {
        match call(
            &agent,
            "GET",
            &format!("{}/v1/organizations/{org}/members/{user}", srv.url),
            BIN_ADMIN_TOKEN,
            None,
        ) {
            Ok((200, m)) if m["role"] == "viewer" && m["status"] == "approved" => {}
            Ok((st, m)) => bad.push(format!(
                "{when}: acknowledged membership of {user} in {org}: GET → {st} {m}"
            )),
            Err(e) => bad.push(format!("{when}: GET membership: {e}")),
        }
    }
    book.members_verified = book.members.len();
    // No membership that no client sent, in the organizations written to last.
    let admin_id = present_users.get("admin").cloned().unwrap_or_default();
    for org in book.touched.drain() {
        let ms = list_all(
            &agent,
            &srv.url,
            &format!("/v1/organizations/{org}/members"),
            BIN_ADMIN_TOKEN,
        );
        for m in ms {
            let u = m["user"].as_str().unwrap_or_default().to_string();
            if u != admin_id && !book.member_attempted.contains(&(org.clone(), u.clone())) {
                bad.push(format!(
                    "{when}: member {u} of {org} is present but no client sent it"
                ));
            }
        }
    }
    bad
}

fn copy_and_check(db: &Path, dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let copy = dir.join("x.db");
    std::fs::copy(db, &copy).expect("copy db");
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    if wal.exists() {
        std::fs::copy(&wal, format!("{}-wal", copy.display())).expect("copy wal");
    }
    let (ic, fk) = check_file(&copy);
    let mut bad = vec![];
    if ic != ["ok"] {
        bad.push(format!("integrity_check after the crash: {ic:?}"));
    }
    if !fk.is_empty() {
        bad.push(format!("foreign_key_check after the crash: {fk:?}"));
    }
    let _ = std::fs::remove_dir_all(dir);
    bad
}

#[test]
fn crash_sigkill_during_concurrent_writes_keeps_every_acknowledged_write() {
    let trials: usize = std::env::var("ORGREG_CRASH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let mut rng = XorShift::from_env_or_time("ORGREG_CRASH_SEED");
    let seed = rng.0;
    println!("crash: seed {seed} (replay with ORGREG_CRASH_SEED={seed}), {trials} trials");
    let tag = format!("{:x}", seed % 0xffff);
    let dir = tempfile::TempDir::new().unwrap();
    let db = crate::support::new_db(dir.path(), "x.db");
    let book = Arc::new(Mutex::new(Book::default()));
    let mut problems: Vec<String> = vec![];
    let mut ready: Vec<Duration> = vec![];
    let started = Instant::now();
    for trial in 0..=trials {
        let log = dir.path().join(format!("server-{trial}.log"));
        let mut srv = BinServer::spawn(&db, &log, &["--threads", "8"], &[("RUST_LOG", "warn")]);
        ready.push(srv.ready_after);
        if srv.ready_after > Duration::from_secs(2) {
            problems.push(format!(
                "start {trial}: /healthz answered 200 only {:?} after the restart (limit 2 s)",
                srv.ready_after
            ));
        }
        {
            let mut b = book.lock().unwrap();
            let last = trial == trials;
            problems.extend(verify(&srv, &mut b, &format!("after crash {trial}"), last));
        }
        if trial == trials {
            // The final start only verifies; then a clean stop and a check of the real file.
            let st = srv.terminate(Duration::from_secs(10));
            if !st.is_some_and(|s| s.success()) {
                problems.push(format!("SIGTERM: clean exit expected, got {st:?}"));
            }
            break;
        }
        let kill_after = Duration::from_millis(rng.range(20, 1200));
        let deadline = Instant::now() + Duration::from_secs(30);
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (url, tag, book) = (srv.url.clone(), tag.clone(), book.clone());
                std::thread::spawn(move || writer(url, trial, w, tag, book, deadline))
            })
            .collect();
        std::thread::sleep(kill_after);
        srv.kill();
        for h in handles {
            h.join().expect("writer thread");
        }
        // The file itself (SQLite); PostgreSQL's files are its server's, and what counts
        // there is checked through the API by `verify` at the next start.
        if !crate::support::on_postgres() {
            problems.extend(
                copy_and_check(&db, &dir.path().join(format!("check-{trial}")))
                    .into_iter()
                    .map(|p| format!("crash {trial} (killed after {kill_after:?}): {p}")),
            );
        }
        if !problems.is_empty() {
            // Keep going: later trials show whether a problem persists.
            println!("crash {trial}: {} problem(s) so far", problems.len());
        }
    }
    let (ic, fk) = if crate::support::on_postgres() {
        (vec!["ok".to_string()], vec![])
    } else {
        check_file(&db)
    };
    if ic != ["ok"] || !fk.is_empty() {
        problems.push(format!(
            "final file: integrity_check {ic:?}, foreign_key_check {fk:?}"
        ));
    }
    let b = book.lock().unwrap();
    problems.extend(b.bad.iter().cloned());
    let max_ready = ready.iter().max().copied().unwrap_or_default();
    let mut sorted = ready.clone();
    sorted.sort();
    println!(
        "crash: {trials} SIGKILLs in {:.1?}; {} writes sent, {} acknowledged ({} organizations, {} users, {} memberships); \
         503s {}; restart→/healthz median {:?}, max {max_ready:?}; problems {}",
        started.elapsed(),
        b.sent,
        b.acked,
        b.orgs.len(),
        b.users.len(),
        b.members.len(),
        b.n503,
        sorted[sorted.len() / 2],
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "crash safety (seed {seed}): {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
