//! The command line: --help texts, `orgreg serve` as a real process (listen URL in the log,
//! bootstrap admin token printed once, one log line per request, clean SIGTERM), and
//! `orgreg token create`.

use crate::support::*;
use serde_json::json;
use std::time::Duration;

/// (flag, env twin, the default as the help should show it).
const FLAGS: &[(&str, &str, &str)] = &[
    ("--db", "ORGREG_DB", "./orgreg.db"),
    ("--listen", "ORGREG_LISTEN", "127.0.0.1:8080"),
    ("--threads", "ORGREG_THREADS", "default"),
    ("--max-body", "ORGREG_MAX_BODY", "1048576"),
    ("--profiles", "ORGREG_PROFILES", "all"),
    ("--sync", "ORGREG_SYNC", "full"),
    ("--org-create", "ORGREG_ORG_CREATE", "users"),
    ("--max-owned-orgs", "ORGREG_MAX_OWNED_ORGS", "unlimited"),
    ("--keep-alive-timeout", "ORGREG_KEEP_ALIVE_TIMEOUT", "75"),
    ("--max-connections", "ORGREG_MAX_CONNECTIONS", "1024"),
];

fn help(args: &[&str]) -> String {
    let out = orgreg_cmd().args(args).output().expect("run orgreg");
    assert!(
        out.status.success(),
        "orgreg {args:?} exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 help")
}

/// The help paragraph of one flag: from its `--flag <` up to the next flag.
fn paragraph<'a>(text: &'a str, flag: &str) -> Option<&'a str> {
    let start = text.find(&format!("{flag} "))?;
    let rest = &text[start + flag.len()..];
    let end = rest
        .find("\n      --")
        .or_else(|| rest.find("\n  -"))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn assert_lists_every_flag(text: &str, which: &str) {
    let mut missing = vec![];
    for (flag, env, default) in FLAGS {
        match paragraph(text, flag) {
            None => missing.push(format!("{flag} (absent)")),
            Some(p) => {
                if !p.contains(&format!("[env: {env}")) {
                    missing.push(format!("{flag}: env twin {env}"));
                }
                if !p.to_lowercase().contains(&default.to_lowercase()) {
                    missing.push(format!("{flag}: default {default:?}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "`{which}` is missing: {missing:#?}\n--- help ---\n{text}"
    );
}

#[test]
fn serve_help_lists_every_flag_with_env_and_default() {
    let text = help(&["serve", "--help"]);
    assert_lists_every_flag(&text, "orgreg serve --help");
}

#[test]
fn top_level_help_lists_every_flag_with_env_and_default() {
    let text = help(&["--help"]);
    assert!(text.contains("serve") && text.contains("token"), "{text}");
    assert_lists_every_flag(&text, "orgreg --help");
}

#[test]
fn serve_rejects_bad_flag_values() {
    for args in [
        &["serve", "--org-create", "everyone"][..],
        &["serve", "--sync", "sometimes"],
        &["serve", "--max-body", "0"],
    ] {
        let out = orgreg_cmd()
            .args(args)
            .arg("--db")
            .arg(":memory:")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} must fail");
        assert_ne!(out.status.code(), Some(0));
        assert!(!out.stderr.is_empty(), "{args:?} explains itself on stderr");
    }
}

#[test]
fn serve_binary_runs_with_admin_token_logs_each_request_once_and_stops_on_sigterm() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = new_db(dir.path(), "bin.db");
    let mut p = Proc::serve(
        &db,
        &["--threads", "2"],
        &[("ORGREG_ADMIN_TOKEN", ADMIN_TOKEN)],
    );
    let (status, body) = p.get("/healthz", "", "cli-health-1");
    assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
    let (status, me) = p.get("/v1/me", ADMIN_TOKEN, "cli-me-1");
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "admin");
    assert_eq!(me["is_staff"], true);
    let (status, _) = p.get("/v1/nowhere", ADMIN_TOKEN, "cli-404-1");
    assert_eq!(status, 404);
    // A request refused before its body is read is logged too.
    let addr = p.url.trim_start_matches("http://").to_string();
    let r = raw_request(
        addr.parse().unwrap(),
        b"POST /v1/organizations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\nX-Request-Id: cli-413-1\r\n\r\n",
    );
    assert_eq!(r.status, 413);

    let exit = p.terminate(Duration::from_secs(10));
    assert_eq!(
        exit.code(),
        Some(0),
        "SIGTERM is a clean stop: {exit:?}\n{}",
        p.stderr()
    );

    let log = p.stderr();
    for id in ["cli-health-1", "cli-me-1", "cli-404-1", "cli-413-1"] {
        let n = log.lines().filter(|l| l.contains(id)).count();
        assert_eq!(n, 1, "one log line for request {id}:\n{log}");
    }
    let line = log.lines().find(|l| l.contains("cli-404-1")).unwrap();
    assert!(
        line.contains("404"),
        "the log line names the status: {line}"
    );
    assert!(
        !log.contains(ADMIN_TOKEN) && !p.stdout().contains(ADMIN_TOKEN),
        "the token is never printed or logged"
    );
    assert!(
        !p.stdout().contains("org_"),
        "no random token was printed: {}",
        p.stdout()
    );
}

fn tokens_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| w.starts_with("org_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn first_start_prints_an_admin_token_once_and_a_second_start_does_not() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = new_db(dir.path(), "boot.db");
    let mut p = Proc::serve(&db, &[], &[]);
    // Readiness is read from the log (stderr); stdout is read by its own thread, which
    // may not have caught up yet: give it a bounded moment.
    let waited = std::time::Instant::now();
    let mut printed = tokens_in(&p.stdout());
    while printed.is_empty() && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
        printed = tokens_in(&p.stdout());
    }
    assert_eq!(
        printed.len(),
        1,
        "exactly one token on stdout: {}",
        p.stdout()
    );
    let token = printed[0].clone();
    assert!(is_token(&json!(token)), "{token}");
    let (status, me) = p.get("/v1/me", &token, "");
    assert_eq!(status, 200);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["is_staff"], true);
    assert_eq!(p.terminate(Duration::from_secs(10)).code(), Some(0));
    assert!(
        !p.stderr().contains(&token),
        "the token is not written to the log"
    );

    let mut p2 = Proc::serve(&db, &[], &[]);
    let (status, _) = p2.get("/v1/me", &token, "");
    assert_eq!(status, 200, "the first token still works");
    assert_eq!(p2.terminate(Duration::from_secs(10)).code(), Some(0));
    // After the exit all of stdout has been read.
    assert!(
        tokens_in(&p2.stdout()).is_empty(),
        "no token on the second start: {}",
        p2.stdout()
    );
}

#[test]
fn token_create_prints_a_working_token() {
    let s = Server::start();
    let (uid, _) = s.create_user("offline");
    let out = orgreg_cmd()
        .args(["token", "create", "--user", "offline", "--db"])
        .arg(&s.db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(is_token(&json!(token)), "stdout is the token: {token:?}");
    let me = s.get("/v1/me", &token);
    me.ok(200);
    assert_eq!(me["id"], uid.as_str());
    let list = s.get("/v1/tokens", &token);
    assert!(
        list.results().iter().any(|t| t["name"] == "cli"),
        "{}",
        list.text
    );

    // An unknown user fails and prints no token.
    let out = orgreg_cmd()
        .args(["token", "create", "--user", "nobody", "--db"])
        .arg(&s.db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}

/// A PostgreSQL database that cannot serve stops `orgreg serve` at start with one clear
/// line and exit code 1, never printing the password: a malformed URL, a refused
/// connection, and on PostgreSQL a wrong password and a database of a newer schema.
#[test]
fn serve_refuses_an_unusable_postgres_database_with_one_line() {
    let fails = |url: &str, expect: &str| {
        let out = orgreg_cmd()
            .args(["serve", "--listen", "127.0.0.1:0", "--db", url])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{url}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line for {url}: {err}");
        assert!(
            lines[0].starts_with("orgreg: ") && lines[0].contains(expect),
            "{url}: expected {expect:?} in {err}"
        );
        assert!(!err.contains("s3cret-pw"), "the password is never printed: {err}");
    };
    fails("postgres://u:s3cret-pw@127.0.0.1:notaport/db", "invalid PostgreSQL URL");
    // `ORGREG_DB` takes a URL as `--db` does.
    let out = orgreg_cmd()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("ORGREG_DB", "postgresql://u:s3cret-pw@127.0.0.1:notaport/db")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("invalid PostgreSQL URL") && !err.contains("s3cret-pw"), "{err}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fails(
        &format!("postgres://u:s3cret-pw@127.0.0.1:{port}/db?connect_timeout=2"),
        "cannot connect to PostgreSQL at u@127.0.0.1:",
    );
    if !on_postgres() {
        return;
    }
    let url = fresh_database();
    let (head, tail) = url.split_once('@').unwrap();
    let user = head.rsplit_once(':').unwrap().0;
    fails(&format!("{user}:s3cret-pw@{tail}"), "password authentication failed");
    let store = orgreg::store::Store::open(&url, orgreg::config::SyncMode::Full).unwrap();
    store.close();
    orgreg::store::pg::connect(&url)
        .unwrap()
        .batch_execute("UPDATE orgreg_schema SET version = version + 1")
        .unwrap();
    fails(&url, "newer than this orgreg knows");
}
