//! Fixtures and online backup (issue 14, points 1 and 2), through the real binary:
//! `orgreg export` / `orgreg import` / `orgreg serve --fixtures` / `orgreg backup`.

use crate::support::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `orgreg ARGS`; returns (success, stdout, stderr).
pub(crate) fn run(args: &[&str]) -> (bool, String, String) {
    let out = orgreg_cmd().args(args).output().expect("run orgreg");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (status, JSON body) of one request with an optional bearer token.
fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = agent().request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let r = match body {
        Some(b) => req
            .set("Content-Type", "application/json")
            .send_string(&b.to_string()),
        None => req.call(),
    };
    let (status, resp) = match r {
        Ok(r) => (r.status(), r),
        Err(ureq::Error::Status(s, r)) => (s, r),
        Err(e) => return (0, json!({"transport": e.to_string()})),
    };
    let text = resp.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) fn export(db: &Path, extra: &[&str]) -> String {
    let mut args = vec!["export", "--db", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (ok, out, err) = run(&args);
    assert!(ok, "export succeeds: {err}");
    out
}

fn import(file: &Path, db: &Path) -> (bool, String) {
    let (ok, _, err) = run(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    (ok, err)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A registry with every kind of object: users (one deleted, so the users sequence runs
/// ahead of the largest id), a customer with owners, organizations (one updated, so its
/// version is 2), memberships approved / pending / rejected / inactive, an open
/// invitation and a revoked one (not exported).
fn populate(s: &Server) {
    let (a, a_tok) = s.create_user("fx-alice");
    let (b, _) = s.create_user("fx-bob");
    let (c, c_tok) = s.create_user("fx-carol");
    let (d, d_tok) = s.create_user("fx-dave");
    let (e, _) = s.create_user("fx-erin");
    let (f, _) = s.create_user("fx-gone");
    s.patch(
        &format!("/v1/users/{a}"),
        &s.admin,
        json!({"first_name": "Alice", "metadata": {"z": 1, "a": [1, 2.5, "é"]}}),
    )
    .ok(200);
    s.delete(&format!("/v1/users/{f}"), &s.admin).ok(204);
    let cust = s.create_customer(json!({"name": "FX Customer", "owners": [a, b]}));
    let org = s.create_org_with(
        &a_tok,
        json!({"name": "FX Round Trip", "description": "first", "metadata": {"k": "v"}}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.patch(
        &format!("/v1/organizations/{org}"),
        &a_tok,
        json!({"description": "second"}),
    )
    .ok(200);
    let cust_org = s.create_org_with(
        &s.admin,
        json!({"name": "FX Customer Org", "customer": cust["id"], "owner": a}),
    );
    assert!(cust_org["id"].is_string());
    s.create_org(&a_tok, "FX Ünïcode Org");
    let members = format!("/v1/organizations/{org}/members");
    s.post(&members, &a_tok, json!({"user": b, "role": "admin"}))
        .ok(201);
    s.post(&members, &c_tok, json!({"user": c})).ok(201); // pending
    s.post(&members, &d_tok, json!({"user": d})).ok(201);
    s.post(&format!("{members}/{d}/reject"), &a_tok, json!({}))
        .ok(200); // rejected
    s.post(&members, &a_tok, json!({"user": e, "role": "viewer"}))
        .ok(201);
    s.patch(
        &format!("{members}/{e}"),
        &a_tok,
        json!({"is_active": false}),
    )
    .ok(200); // inactive
    let invites = format!("/v1/organizations/{org}/invitations");
    s.post(
        &invites,
        &a_tok,
        json!({"email": "open@example.com", "role": "contributor"}),
    )
    .ok(201);
    let revoked = s.post(&invites, &a_tok, json!({"email": "gone@example.com"}));
    revoked.ok(201);
    s.delete(
        &format!("{invites}/{}", revoked["id"].as_str().unwrap()),
        &a_tok,
    )
    .ok(204);
}

#[test]
fn fixtures_export_import_export_is_byte_identical() {
    let s = Server::start();
    populate(&s);
    let first = export(&s.db, &[]);
    assert_eq!(first, export(&s.db, &[]), "two exports are byte-identical");
    let doc: Value = serde_json::from_str(&first).unwrap();
    assert!(!first.contains("password_hash"), "no secrets by default");
    assert!(!first.contains("token"), "no tokens: {first}");
    let statuses: Vec<(String, bool)> = doc["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["status"].as_str().unwrap().to_string(),
                m["is_active"] == true,
            )
        })
        .collect();
    for want in [
        ("approved", true),
        ("pending", true),
        ("rejected", true),
        ("approved", false),
    ] {
        assert!(
            statuses.contains(&(want.0.to_string(), want.1)),
            "{want:?} in {statuses:?}"
        );
    }
    assert_eq!(doc["invitations"].as_array().unwrap().len(), 1, "open only");
    assert_eq!(doc["invitations"][0]["email"], "open@example.com");
    let users = doc["users"].as_array().unwrap();
    let max_user = users
        .iter()
        .map(|u| u["seq"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(doc["sequences"]["users"].as_i64().unwrap() > max_user);
    assert!(doc["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["version"] == 2));
    assert_eq!(doc["customers"][0]["owners"].as_array().unwrap().len(), 2);

    let dir = tempfile::TempDir::new().unwrap();
    let file = write(dir.path(), "export.json", &first);
    let fresh = new_db(dir.path(), "fresh.db");
    let (ok, err) = import(&file, &fresh);
    assert!(ok, "import into a new database: {err}");
    assert_eq!(
        export(&fresh, &[]),
        first,
        "export → import → export is byte-identical"
    );

    // With secrets: password hashes travel too, and the imported users can sign in.
    let secret = export(&s.db, &["--with-secrets"]);
    assert!(secret.contains("\"password_hash\": \"$argon2"));
    let file = write(dir.path(), "secret.json", &secret);
    let db2 = new_db(dir.path(), "secret.db");
    assert!(import(&file, &db2).0);
    assert_eq!(export(&db2, &["--with-secrets"]), secret);
    let mut p = Proc::serve(&db2, &[], &[]);
    let (st, _) = call(
        "POST",
        &format!("{}/v1/auth/login", p.url),
        None,
        Some(json!({"username": "fx-alice", "password": PASSWORD})),
    );
    assert_eq!(st, 201);
    p.terminate(Duration::from_secs(10));
}

#[test]
fn fixtures_import_refuses_a_database_that_is_not_empty() {
    let s = Server::start();
    let text = export(&s.db, &[]);
    let dir = tempfile::TempDir::new().unwrap();
    let file = write(dir.path(), "f.json", &text);
    let (ok, err) = import(&file, &s.db);
    assert!(!ok);
    assert!(err.contains("not empty"), "{err}");
}

const T_ROOT: &str = "org_R00tR00tR00tR00tR00tR00tR00tR00tR00tR00tR00";
const T_ADA: &str = "org_AdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaA";

fn stub_fixture() -> Value {
    json!({
        "users": [
            {"id": "00000000-0000-4000-8000-000000000001", "seq": 1, "username": "root",
             "is_staff": true, "token": T_ROOT},
            {"id": "00000000-0000-4000-8000-000000000002", "seq": 2, "username": "ada",
             "email": "ada@example.com", "password": "lovelace-1843", "token": T_ADA}
        ],
        "organizations": [
            {"id": "00000000-0000-4000-8000-0000000000a1", "seq": 42, "name": "Engines"}
        ],
        "memberships": [
            {"organization": "00000000-0000-4000-8000-0000000000a1",
             "user": "00000000-0000-4000-8000-000000000002", "role": "owner"}
        ],
        "invitations": [
            {"organization": "00000000-0000-4000-8000-0000000000a1",
             "email": "bob@example.com", "role": "viewer"}
        ]
    })
}

#[test]
fn fixtures_serve_loads_before_bootstrap_with_known_credentials() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = write(dir.path(), "stub.json", &stub_fixture().to_string());
    let mut p = Proc::serve(
        Path::new(":memory:"),
        &["--fixtures", file.to_str().unwrap()],
        &[],
    );
    let get = |path: &str, token: &str| call("GET", &format!("{}{path}", p.url), Some(token), None);
    let (st, me) = get("/v1/me", T_ROOT);
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["username"], "root");
    let (st, org) = get(
        "/v1/organizations/00000000-0000-4000-8000-0000000000a1",
        T_ADA,
    );
    assert_eq!(st, 200, "{org}");
    assert_eq!(org["member_count"], 1);
    // The integer id the profiles show survives.
    let (st, awx) = get("/api/v2/organizations/42/", T_ADA);
    assert_eq!(st, 200, "{awx}");
    assert_eq!(awx["id"], 42);
    let (st, _) = call(
        "POST",
        &format!("{}/v1/auth/login", p.url),
        None,
        Some(json!({"username": "ada", "password": "lovelace-1843"})),
    );
    assert_eq!(st, 201, "password works");
    let (st, inv) = get(
        "/v1/organizations/00000000-0000-4000-8000-0000000000a1/invitations",
        T_ADA,
    );
    assert_eq!(st, 200);
    assert_eq!(inv["count"], 1, "{inv}");
    // The file's staff user is the admin: no bootstrap user, no printed token.
    let (_, users) = get("/v1/users", T_ROOT);
    assert_eq!(users["count"], 2, "{users}");
    p.terminate(Duration::from_secs(10));
    assert!(!p.stdout().contains("created staff user"), "{}", p.stdout());

    // A database that is not empty: refused, the server does not start.
    let db = new_db(dir.path(), "full.db");
    assert!(import(&file, &db).0);
    let mut child = orgreg_cmd()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--fixtures")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(20)).expect("exits");
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn fixtures_every_bad_record_is_named_and_nothing_is_written() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut doc = stub_fixture();
    let org = "00000000-0000-4000-8000-0000000000a1";
    let members = doc["memberships"].as_array_mut().unwrap();
    for i in 0..5 {
        members.push(json!({"organization": org, "user": format!("00000000-0000-4000-8000-00000000010{i}"), "role": "viewer"}));
    }
    // /memberships/5: names a user the document does not have.
    doc["memberships"][3]["user"] = json!("00000000-0000-4000-8000-000000000002"); // dup pair
    doc["memberships"][1]["role"] = json!("king");
    doc["users"][1]["is_staff"] = json!("yes"); // wrong type
    doc["users"]
        .as_array_mut()
        .unwrap()
        .push(json!({"username": "ROOT", "colour": "red"})); // unknown field
    doc["users"]
        .as_array_mut()
        .unwrap()
        .push(json!({"username": "Root"})); // duplicate name
    doc["organizations"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": org, "name": "Other"})); // duplicate id
    doc["invitations"][0]["token"] = json!("not-a-token");
    let file = write(dir.path(), "bad.json", &doc.to_string());
    let db = dir.path().join("bad.db");
    let (ok, err) = import(&file, &db);
    assert!(!ok, "refused");
    assert!(!err.contains("panicked"), "{err}");
    for pointer in [
        "/users/1:",
        "/users/2:",
        "/users/3:",
        "/organizations/1:",
        "/memberships/1:",
        "/memberships/2:",
        "/memberships/3:",
        "/memberships/4:",
        "/memberships/5:",
        "/invitations/0:",
    ] {
        assert!(err.contains(pointer), "{pointer} named in:\n{err}");
    }
    assert!(!err.contains("/memberships/0:"), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(err.contains("already used by /users/0"), "{err}");
    assert!(!db.exists(), "a new database file is not left behind");

    // Malformed JSON, a non-object, an unknown section: named, non-zero.
    for (text, want) in [
        ("{\"users\": [", "malformed JSON"),
        ("[]", "must be a JSON object"),
        ("{\"groups\": []}", "/groups: unknown field"),
        ("{\"users\": {}}", "/users: must be an array"),
    ] {
        let f = write(dir.path(), "m.json", text);
        let (ok, err) = import(&f, &db);
        assert!(!ok, "{text}");
        assert!(err.contains(want), "{text}: {err}");
    }

    // The same database takes a good file afterwards: nothing was written before.
    let good = write(dir.path(), "good.json", &stub_fixture().to_string());
    let (ok, err) = import(&good, &db);
    assert!(ok, "{err}");
}

// ---- backup ----

/// A fixture of `n` organizations, each with its owner membership.
fn big_fixture(n: usize) -> String {
    let mut orgs = Vec::with_capacity(n);
    let mut members = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("00000000-0000-4000-8000-{i:012x}");
        orgs.push(
            json!({"id": id, "name": format!("bulk org {i}"), "description": "x".repeat(64)}),
        );
        members.push(json!({"organization": id, "user": "00000000-0000-4000-9000-000000000001", "role": "owner"}));
    }
    json!({
        "users": [{"id": "00000000-0000-4000-9000-000000000001", "username": "bulk", "is_staff": true, "token": T_ROOT}],
        "organizations": orgs,
        "memberships": members,
    })
    .to_string()
}

#[test]
fn backup_under_concurrent_writes_holds_every_acknowledged_write() {
    if sqlite_only("`orgreg backup` copies a SQLite file") {
        return;
    }
    let dir = tempfile::TempDir::new().unwrap();
    let db = new_db(dir.path(), "live.db");
    let file = write(dir.path(), "big.json", &big_fixture(20_000));
    let (ok, err) = import(&file, &db);
    assert!(ok, "{err}");
    let mut p = Proc::serve(&db, &[], &[]);
    let url = p.url.clone();

    // Writers: create organizations until told to stop; record every acknowledged name
    // and every failure or slow answer.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let slowest = Arc::new(Mutex::new(Duration::ZERO));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (stop, acked, failures, slowest, url) = (
                stop.clone(),
                acked.clone(),
                failures.clone(),
                slowest.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let name = format!("live w{w} n{i}");
                    i += 1;
                    let t = Instant::now();
                    let r = call(
                        "POST",
                        &format!("{url}/v1/organizations"),
                        Some(T_ROOT),
                        Some(json!({"name": name})),
                    );
                    let took = t.elapsed();
                    {
                        let mut s = slowest.lock().unwrap();
                        *s = (*s).max(took);
                    }
                    match r {
                        (201, _) => acked.lock().unwrap().push((Instant::now(), name)),
                        (st, body) => failures
                            .lock()
                            .unwrap()
                            .push(format!("{name}: {st} {body}")),
                    }
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 50 {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Everything acknowledged up to here must be in the copy.
    let before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .map(|(_, n)| n.clone())
        .collect();
    let out = dir.path().join("copy.db");
    let started = Instant::now();
    let (ok, _, err) = run(&[
        "backup",
        "--db",
        db.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    let took = started.elapsed();
    assert!(ok, "backup succeeds: {err}");
    let during = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t > started && *t < started + took)
        .count();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    assert!(
        failures.lock().unwrap().is_empty(),
        "{:?}",
        failures.lock().unwrap()
    );
    let slowest = *slowest.lock().unwrap();
    assert!(slowest < Duration::from_secs(2), "a write took {slowest:?}");
    eprintln!(
        "backup took {took:?}; {during} writes acknowledged while it ran; slowest write {slowest:?}"
    );

    // One self-contained file that passes the checks and holds every acknowledged write.
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = out.clone().into_os_string();
        side.push(suffix);
        assert!(!Path::new(&side).exists(), "no {suffix} beside the copy");
    }
    let c = rusqlite::Connection::open(&out).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    let ic: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ic, "ok");
    let fk: i64 = c
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    let mut missing = vec![];
    for name in &before {
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM organizations WHERE name = ?",
                [name],
                |r| r.get(0),
            )
            .unwrap();
        if n != 1 {
            missing.push(name.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing: {missing:?}"
    );
    let bulk: i64 = c
        .query_row(
            "SELECT count(*) FROM organizations WHERE name LIKE 'bulk org %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bulk, 20_000);
    drop(c);
    p.terminate(Duration::from_secs(10));

    // The copy serves: a server over it answers with the acknowledged data.
    let mut q = Proc::serve(&out, &[], &[]);
    let (_, r) = call(
        "GET",
        &format!("{}/v1/organizations?search=live&page_size=1", q.url),
        Some(T_ROOT),
        None,
    );
    assert!(r["count"].as_u64().unwrap() as usize >= before.len(), "{r}");
    q.terminate(Duration::from_secs(10));

    // A backup never overwrites.
    let (ok, _, err) = run(&[
        "backup",
        "--db",
        db.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
}
