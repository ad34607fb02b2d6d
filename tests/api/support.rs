//! Shared test support: a real server on port 0 over a fresh temporary database, an HTTP
//! client that never treats 4xx/5xx as errors, a raw-TCP client for malformed requests,
//! and fixtures that go through the public API only.

#![allow(dead_code)]

use orgreg::config::Config;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// The bootstrap admin's token in every test server (`Config.admin_token`).
pub const ADMIN_TOKEN: &str = "org_test_admin_token_0123456789abcdefghijklmnopqrstuvwxyz";
/// The password fixtures give users.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running orgreg over its own temporary database; stopped on drop.
pub struct Server {
    pub url: String,
    pub addr: SocketAddr,
    /// The bootstrap admin's token.
    pub admin: String,
    /// What `--db` names: the database file, or on `api_pg` its PostgreSQL URL (see
    /// `new_db`).
    pub db: PathBuf,
    db_url: String,
    running: Option<orgreg::Running>,
    agent: ureq::Agent,
    dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server with the test defaults (`Config::for_tests`, test routes on).
    pub fn start() -> Server {
        Server::with(|_| {})
    }

    /// A server whose Config the caller adjusts first.
    pub fn with(adjust: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let db = new_db(dir.path(), "orgreg.db");
        let db = db.to_str().expect("utf-8 temp path").to_string();
        Server::in_dir(dir, db, adjust)
    }

    /// Stops this server and starts another over the same database file.
    pub fn restart(mut self, adjust: impl FnOnce(&mut Config)) -> Server {
        if let Some(r) = self.running.take() {
            r.stop();
        }
        let dir = self.dir.take().expect("the temp dir");
        let db = std::mem::take(&mut self.db_url);
        Server::in_dir(dir, db, adjust)
    }

    fn in_dir(dir: tempfile::TempDir, db_url: String, adjust: impl FnOnce(&mut Config)) -> Server {
        let db = PathBuf::from(&db_url);
        let mut cfg = Config::for_tests(&db_url);
        cfg.admin_token = Some(ADMIN_TOKEN.into());
        adjust(&mut cfg);
        let admin = cfg.admin_token.clone().unwrap_or_default();
        let running = orgreg::start(cfg).expect("orgreg::start");
        let addr = running.addr;
        Server {
            url: running.url(),
            addr,
            admin,
            db,
            db_url,
            running: Some(running),
            agent: agent(),
            dir: Some(dir),
        }
    }

    /// A request builder for `method` on `path` (path + query, starting with `/`).
    pub fn call(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            server: self,
            method: method.to_string(),
            path: path.to_string(),
            headers: vec![],
            body: None,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Resp {
        self.call("GET", path).auth(token).send()
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("POST", path).auth(token).json(body).send()
    }

    pub fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("PATCH", path).auth(token).json(body).send()
    }

    pub fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("PUT", path).auth(token).json(body).send()
    }

    pub fn delete(&self, path: &str, token: &str) -> Resp {
        self.call("DELETE", path).auth(token).send()
    }

    /// Sends `bytes` as-is on a new connection and reads one response.
    pub fn raw(&self, bytes: &[u8]) -> RawResp {
        raw_request(self.addr, bytes)
    }

    // ---- fixtures (through the API only) ----

    /// A new non-staff user with [`PASSWORD`], logged in: (id, token).
    pub fn create_user(&self, username: &str) -> (String, String) {
        let u = self.new_user(json!({"username": username, "password": PASSWORD}));
        let token = self.login(username, PASSWORD);
        (u["id"].as_str().expect("user id").to_string(), token)
    }

    /// Creates a user as staff from `body` (201 asserted); returns the user object.
    pub fn new_user(&self, body: Value) -> Value {
        let r = self.post("/v1/users", &self.admin, body);
        assert_eq!(r.status, 201, "creating a user fixture: {}", r.text);
        r.body
    }

    /// A login token for `username` (201 asserted).
    pub fn login(&self, username: &str, password: &str) -> String {
        let r = self.post(
            "/v1/auth/login",
            "",
            json!({"username": username, "password": password}),
        );
        assert_eq!(r.status, 201, "login fixture: {}", r.text);
        r.body["token"].as_str().expect("token").to_string()
    }

    /// Creates an organization named `name` as `token`'s user; returns its id.
    pub fn create_org(&self, token: &str, name: &str) -> String {
        let o = self.create_org_with(token, json!({"name": name}));
        o["id"].as_str().expect("org id").to_string()
    }

    /// Creates an organization from `body` (201 asserted); returns the object.
    pub fn create_org_with(&self, token: &str, body: Value) -> Value {
        let r = self.post("/v1/organizations", token, body);
        assert_eq!(
            r.status, 201,
            "creating an organization fixture: {}",
            r.text
        );
        r.body
    }

    /// Creates a customer as staff (201 asserted); returns the object.
    pub fn create_customer(&self, body: Value) -> Value {
        let r = self.post("/v1/customers", &self.admin, body);
        assert_eq!(r.status, 201, "creating a customer fixture: {}", r.text);
        r.body
    }

    /// Makes `a` and `b` co-members without a membership API: `a` creates an
    /// organization and transfers its ownership to `b` (PATCH owner), which adds `b` as an
    /// owner member while `a` stays one. Returns the organization id.
    pub fn co_members(&self, a_token: &str, b_id: &str, org_name: &str) -> String {
        let org = self.create_org(a_token, org_name);
        let r = self.patch(
            &format!("/v1/organizations/{org}"),
            a_token,
            json!({"owner": b_id}),
        );
        assert_eq!(
            r.status, 200,
            "transferring ownership to make co-members: {}",
            r.text
        );
        assert_eq!(
            r.body["member_count"], 2,
            "both users are members now: {}",
            r.text
        );
        org
    }

    /// The global activity feed (as staff) for `query` (without `?`), newest first.
    pub fn activity(&self, query: &str) -> Vec<Value> {
        let r = self.get(&format!("/v1/activity?page_size=200&{query}"), &self.admin);
        assert_eq!(r.status, 200, "reading activity: {}", r.text);
        r.body["results"].as_array().expect("results").clone()
    }

    /// Activity rows written by the request with this X-Request-Id.
    pub fn activity_of_request(&self, request_id: &str) -> Vec<Value> {
        self.activity("")
            .into_iter()
            .filter(|a| a["request_id"] == request_id)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
        if on_postgres() && !self.db_url.is_empty() {
            drop_database(&self.db_url);
        }
    }
}

// ---- the engine -------------------------------------------------------------------

/// Whether this binary's servers run on PostgreSQL (`api_pg`) rather than SQLite (`api`).
pub fn on_postgres() -> bool {
    env!("CARGO_CRATE_NAME") == "api_pg"
}

/// True (after saying so) on PostgreSQL, for a test of what only SQLite has: its file,
/// `backup`, trials that kill the process over the file.
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        println!("skipped on PostgreSQL (SQLite only): {what}");
    }
    on_postgres()
}

/// Where `api_pg` makes its databases: `ORGREG_TEST_POSTGRES` (a role that may create
/// databases) or one throw-away cluster for the whole test process. Without PostgreSQL the
/// binary says so and ends, passing (`find_bin` panics when PostgreSQL is required).
fn pg() -> &'static crate::pgharness::Databases {
    static PG: std::sync::OnceLock<crate::pgharness::Databases> = std::sync::OnceLock::new();
    PG.get_or_init(|| {
        let url = std::env::var("ORGREG_TEST_POSTGRES").ok();
        crate::pgharness::Databases::get(url, "-c fsync=off").unwrap_or_else(|| {
            // Past the harness's output capture, which exiting would lose.
            use std::io::Write;
            let _ = writeln!(std::io::stdout(), "api_pg: every test skipped (no PostgreSQL)");
            std::process::exit(0)
        })
    })
}

/// A new database for a server or command this test starts itself: the file `name` in
/// `dir` on SQLite; on `api_pg` the URL of a fresh PostgreSQL database, held in a
/// `PathBuf` so that callers pass it to `--db` as they pass a file.
pub fn new_db(dir: &std::path::Path, name: &str) -> PathBuf {
    if on_postgres() {
        PathBuf::from(fresh_database())
    } else {
        dir.join(name)
    }
}

/// A new, empty database owned by the test role; its URL.
pub fn fresh_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    pg().create(&format!("orgreg_t{}_{n}", std::process::id()))
}

fn drop_database(url: &str) {
    pg().drop(url);
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .redirects(0)
        .build()
}

/// A request under construction.
pub struct Call<'a> {
    server: &'a Server,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Call<'_> {
    /// `Authorization: Bearer <token>`; an empty token sends no header.
    pub fn auth(self, token: &str) -> Self {
        if token.is_empty() {
            self
        } else {
            self.header("Authorization", &format!("Bearer {token}"))
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, v: Value) -> Self {
        self.header("Content-Type", "application/json")
            .bytes(v.to_string().into_bytes())
    }

    /// A body as-is (set Content-Type yourself).
    pub fn bytes(mut self, b: Vec<u8>) -> Self {
        self.body = Some(b);
        self
    }

    pub fn send(self) -> Resp {
        let url = format!("{}{}", self.server.url, self.path);
        let mut rq = self.server.agent.request(&self.method, &url);
        for (k, v) in &self.headers {
            rq = rq.set(k, v);
        }
        let result = match &self.body {
            Some(b) => rq.send_bytes(b),
            None => rq.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{} {}: transport error: {e}", self.method, self.path),
        };
        Resp::from_ureq(resp)
    }
}

/// A response: status, headers (names lower-cased), text and parsed JSON (Null if none).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub body: Value,
}

impl Resp {
    fn from_ureq(r: ureq::Response) -> Resp {
        let status = r.status();
        let mut headers = vec![];
        for name in r.headers_names() {
            for v in r.all(&name) {
                headers.push((name.to_ascii_lowercase(), v.to_string()));
            }
        }
        let text = r.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The field names in a problem's `errors`, sorted.
    pub fn error_fields(&self) -> Vec<String> {
        let mut v: Vec<String> = self.body["errors"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The `results` of a page envelope.
    pub fn results(&self) -> Vec<Value> {
        self.body["results"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no results in {}", self.text))
    }

    /// The values of `key` in each of `results`, as strings.
    pub fn result_strs(&self, key: &str) -> Vec<String> {
        self.results()
            .iter()
            .map(|r| r[key].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Asserts a JSON success response with this status.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Resp {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        if !self.text.is_empty() {
            assert_eq!(self.content_type(), JSON, "content type of a JSON response");
        }
        self
    }

    /// Asserts an RFC 9457 problem with this status (and the request id in the body).
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Resp {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "an error is application/problem+json, got {:?} ({})",
            self.content_type(),
            self.text
        );
        assert_eq!(
            self.body["status"], status,
            "problem body status: {}",
            self.text
        );
        assert!(
            self.body["title"].is_string(),
            "problem title: {}",
            self.text
        );
        assert!(
            self.body["detail"].is_string(),
            "problem detail: {}",
            self.text
        );
        assert!(self.body["type"].is_string(), "problem type: {}", self.text);
        let rid = self
            .header("x-request-id")
            .expect("X-Request-Id on every response");
        assert_eq!(
            self.body["request_id"], rid,
            "problem carries the request id"
        );
        self
    }

    /// Asserts a 400 whose `errors` names exactly `fields`.
    #[track_caller]
    pub fn invalid(&self, fields: &[&str]) -> &Resp {
        self.problem(400);
        let mut want: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(
            self.error_fields(),
            want,
            "fields named in errors: {}",
            self.text
        );
        for (k, msgs) in self.body["errors"].as_object().expect("errors") {
            let msgs = msgs
                .as_array()
                .unwrap_or_else(|| panic!("errors.{k} is a list: {}", self.text));
            assert!(
                !msgs.is_empty()
                    && msgs
                        .iter()
                        .all(|m| m.as_str().is_some_and(|s| !s.is_empty()))
            );
        }
        self
    }
}

impl std::ops::Index<&str> for Resp {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        &self.body[key]
    }
}

pub const JSON: &str = "application/json; charset=utf-8";

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResp {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Connects, writes `bytes`, reads one response.
pub fn raw_request(addr: SocketAddr, bytes: &[u8]) -> RawResp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).expect("write request");
    read_response(&mut s)
}

/// Reads one HTTP/1.1 response (headers, then Content-Length bytes or until close).
/// A reset after the response has arrived ends the read without error.
pub fn read_response(s: &mut TcpStream) -> RawResp {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut head_end = None;
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
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => {
                if head_end.is_some() {
                    break;
                }
                panic!("reading a raw response failed before its head arrived: {e} (got {buf:?})");
            }
        }
        if head_end.is_none() {
            head_end = buf.windows(4).position(|w| w == b"\r\n\r\n");
        }
    }
    let end = head_end.unwrap_or_else(|| {
        panic!(
            "no complete response head in {:?}",
            String::from_utf8_lossy(&buf)
        )
    });
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = String::from_utf8_lossy(&buf[end + 4..]).to_string();
    RawResp {
        status,
        headers,
        body,
    }
}

// ---- value checks ----

/// Canonical dashed lower-case UUID.
pub fn is_uuid(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit() && !c.is_ascii_uppercase()
            }
        })
}

/// RFC 3339 UTC with milliseconds: `2026-11-23T10:04:05.123Z`.
pub fn is_timestamp(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// `org_` followed by at least 43 URL-safe characters.
pub fn is_token(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    s.strip_prefix("org_").is_some_and(|rest| {
        rest.len() >= 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Percent-encodes a query or path component.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Authorization: Basic` value for a username and password.
pub fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64(format!("{username}:{password}").as_bytes())
    )
}

fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The object without `request_id` (to compare two problems).
pub fn without_request_id(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("request_id");
    }
    v
}

/// A unique X-Request-Id for a test step.
pub fn rid(tag: &str) -> String {
    format!("t-{tag}-{}", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{t:x}{:x}", N.fetch_add(1, Ordering::SeqCst))
}

// ---- the real binary ----

/// The `orgreg` binary built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_orgreg");

/// A `Command` for the binary with no inherited `ORGREG_*` variables and `RUST_LOG=info`.
pub fn orgreg_cmd() -> std::process::Command {
    let mut c = std::process::Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("ORGREG_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "info");
    c
}

/// Waits for a child to exit, at most `limit`; None if it is still running.
pub fn wait_bounded(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `orgreg serve` running as a child process, its output collected line by line.
pub struct Proc {
    child: Option<std::process::Child>,
    pub url: String,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    stdout_done: Option<std::thread::JoinHandle<()>>,
    stderr_done: Option<std::thread::JoinHandle<()>>,
}

impl Proc {
    /// Starts `orgreg serve --db DB --listen 127.0.0.1:0 ARGS` with `envs`, waits for the
    /// "listening on URL" log line, then polls /healthz (bounded) until it answers 200.
    pub fn serve(db: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Proc {
        use std::io::BufRead;
        use std::process::Stdio;
        let mut cmd = orgreg_cmd();
        cmd.arg("serve")
            .arg("--db")
            .arg(db)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn orgreg");
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let out = child.stdout.take().unwrap();
        let so = stdout.clone();
        let stdout_done = std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                so.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let err = child.stderr.take().unwrap();
        let se = stderr.clone();
        let stderr_done = std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                se.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let mut url = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while url.is_none() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        url = rest.split_whitespace().next().map(str::to_string);
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "orgreg did not log 'listening on URL'; stderr:\n{}",
                        stderr.lock().unwrap()
                    );
                }
            }
        }
        let url = url.unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let mut p = Proc {
            child: Some(child),
            url,
            stdout,
            stderr,
            stdout_done: Some(stdout_done),
            stderr_done: Some(stderr_done),
        };
        let a = agent();
        let mut healthy = false;
        for _ in 0..100 {
            if matches!(a.get(&format!("{}/healthz", p.url)).call(), Ok(r) if r.status() == 200) {
                healthy = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !healthy {
            p.kill();
            panic!("/healthz never answered 200");
        }
        p
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGTERM, then wait (bounded); returns the exit status.
    pub fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.pid().to_string();
        let st = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -TERM {pid}");
        let mut child = self.child.take().unwrap();
        match wait_bounded(&mut child, limit) {
            Some(status) => {
                // The output threads end with the pipes.
                if let Some(h) = self.stdout_done.take() {
                    let _ = h.join();
                }
                if let Some(h) = self.stderr_done.take() {
                    let _ = h.join();
                }
                status
            }
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("orgreg did not exit within {limit:?} of SIGTERM");
            }
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// GET with an optional bearer token and X-Request-Id: (status, body).
    pub fn get(&self, path: &str, token: &str, request_id: &str) -> (u16, Value) {
        let mut rq = agent().get(&format!("{}{path}", self.url));
        if !token.is_empty() {
            rq = rq.set("Authorization", &format!("Bearer {token}"));
        }
        if !request_id.is_empty() {
            rq = rq.set("X-Request-Id", request_id);
        }
        let r = match rq.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = r.status();
        let body =
            serde_json::from_str(&r.into_string().unwrap_or_default()).unwrap_or(Value::Null);
        (status, body)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Given `asc` (a list ordered by `key` ascending, ties in creation order), the `name`s in
/// the order `order_by=-key` must give: `key` descending, ties still in creation order.
pub fn expected_desc(asc: &[Value], key: &str, name: &str) -> Vec<String> {
    let mut v: Vec<(String, usize, String)> = asc
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                o[key].as_str().unwrap_or("").to_string(),
                i,
                o[name].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v.into_iter().map(|(_, _, n)| n).collect()
}

/// Epoch milliseconds of an RFC 3339 UTC timestamp with milliseconds (`...T..:..:...mmmZ`).
pub fn ts_ms(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("a timestamp, got {v}"));
    assert!(is_timestamp(v), "timestamp shape: {s}");
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + n(11, 13)) * 60 + n(14, 16)) * 60_000 + n(17, 19) * 1000 + n(20, 23)
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

// ---- several processes on one database (tests/api/multiprocess.rs) ----

/// True (after saying so) on SQLite, for a test of what only PostgreSQL has: several
/// orgreg processes writing to one database.
pub fn postgres_only(what: &str) -> bool {
    if !on_postgres() {
        println!("skipped on SQLite (PostgreSQL only): {what}");
    }
    !on_postgres()
}

/// One request to the server at `base` (a `Proc`'s url) on its own connection: `auth` is
/// the whole Authorization value (none when empty), `body` is sent as JSON.
pub fn request_at(base: &str, method: &str, path: &str, auth: &str, body: Option<&Value>) -> Resp {
    let mut rq = agent().request(method, &format!("{base}{path}"));
    if !auth.is_empty() {
        rq = rq.set("Authorization", auth);
    }
    let result = match body {
        Some(b) => rq
            .set("Content-Type", "application/json")
            .send_bytes(b.to_string().as_bytes()),
        None => rq.call(),
    };
    match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => Resp::from_ureq(r),
        Err(e) => panic!("{method} {base}{path}: transport error: {e}"),
    }
}
