//! Secrets at rest and in the log. A full scenario — users with passwords, logins (also a
//! failed one), API tokens (also with `Idempotency-Key`, as SDKs send on every POST), HTTP
//! Basic, invitations created, re-sent and accepted (by a signed-in user and anonymously
//! creating the account), organization create with an invitation, a password change, a
//! token revocation — and then:
//!
//! - every cell of every table is dumped and no API token, login token, invitation token or
//!   password appears in clear (nor the token's random bytes raw or in hex, nor any 16
//!   consecutive characters of a secret); tokens are 32-byte SHA-256 blobs, passwords
//!   `$argon2id$` PHC strings;
//! - the real binary, run with `RUST_LOG=debug` and `--invite-outbox`, never writes a
//!   token, a password or an `Authorization` value to its stdout/stderr.
//!
//! Short form: `cargo test --test api secrets`.

use crate::crash::{BinServer, BIN_ADMIN_TOKEN};
use crate::support::{basic, on_postgres, Server};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::time::Duration;

/// One secret the scenario produced or used.
#[derive(Clone, Debug)]
struct Secret {
    label: String,
    value: String,
}

#[derive(Default)]
struct Scenario {
    secrets: Vec<Secret>,
    /// Tokens that must be stored as SHA-256 (live or revoked).
    tokens: Vec<String>,
    /// Invitation tokens whose hash must be stored (the live one of each invitation).
    invitations: Vec<String>,
    /// Users who have a password.
    with_password: Vec<String>,
    without_password: Vec<String>,
    /// `Authorization` header values sent.
    auth_values: Vec<String>,
}

impl Scenario {
    fn secret(&mut self, label: &str, value: &str) {
        self.secrets.push(Secret {
            label: label.to_string(),
            value: value.to_string(),
        });
    }
}

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// Sends a request; panics on a transport error. `auth` is a whole Authorization value.
    fn send(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rq = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(a) = auth {
            rq = rq.set("Authorization", a);
        }
        for (k, v) in headers {
            rq = rq.set(k, v);
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
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let st = resp.status();
        let text = resp.into_string().unwrap_or_default();
        (st, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

#[track_caller]
fn want(what: &str, got: (u16, Value), status: u16) -> Value {
    assert_eq!(got.0, status, "{what}: {}", got.1);
    got.1
}

/// A password unique to this run (so a match cannot be a coincidence).
fn pw(who: &str) -> String {
    format!("{who}-Pw-{}", uuid::Uuid::new_v4().simple())
}

/// Runs the scenario against `base` as the admin with `admin_token`. `log_probes` adds
/// requests whose only purpose is to tempt the request log (made-up tokens, accept URLs
/// spelled differently).
fn scenario(base: &str, admin_token: &str, log_probes: bool) -> Scenario {
    let c = Client {
        base: base.to_string(),
        agent: crate::crash::bin_agent(Duration::from_secs(30)),
    };
    let mut sc = Scenario::default();
    let admin = bearer(admin_token);
    sc.secret("admin token", admin_token);
    sc.auth_values.push(admin.clone());

    let (pa, pb, pd, pa2, wrong) = (
        pw("alice"),
        pw("bob"),
        pw("dave"),
        pw("alice2"),
        pw("wrong"),
    );
    sc.secret("alice's password", &pa);
    sc.secret("bob's password", &pb);
    sc.secret("dave's password", &pd);
    sc.secret("alice's new password", &pa2);
    sc.secret("a wrong password", &wrong);
    let alice = want(
        "create alice",
        c.send(
            "POST",
            "/v1/users",
            Some(&admin),
            &[],
            Some(json!({"username": "alice", "email": "alice@example.com", "password": pa})),
        ),
        201,
    );
    want(
        "create bob",
        c.send(
            "POST",
            "/v1/users",
            Some(&admin),
            &[],
            Some(json!({"username": "bob", "email": "bob@example.com", "password": pb})),
        ),
        201,
    );
    want(
        "create carol",
        c.send(
            "POST",
            "/v1/users",
            Some(&admin),
            &[],
            Some(json!({"username": "carol", "email": "carol@example.com"})),
        ),
        201,
    );
    sc.with_password.extend(["alice".to_string(), "bob".into()]);
    sc.without_password.push("carol".into());

    // Logins, a failed one, and HTTP Basic.
    let ta = want(
        "login alice",
        c.send(
            "POST",
            "/v1/auth/login",
            None,
            &[],
            Some(json!({"username": "alice", "password": pa})),
        ),
        201,
    )["token"]
        .as_str()
        .unwrap()
        .to_string();
    let tb = want(
        "login bob",
        c.send(
            "POST",
            "/v1/auth/login",
            None,
            &[],
            Some(json!({"username": "bob", "password": pb})),
        ),
        201,
    )["token"]
        .as_str()
        .unwrap()
        .to_string();
    sc.secret("alice's login token", &ta);
    sc.secret("bob's login token", &tb);
    sc.tokens.extend([ta.clone(), tb.clone()]);
    let (a, b) = (bearer(&ta), bearer(&tb));
    sc.auth_values.extend([a.clone(), b.clone()]);
    want(
        "failed login",
        c.send(
            "POST",
            "/v1/auth/login",
            None,
            &[],
            Some(json!({"username": "alice", "password": wrong})),
        ),
        401,
    );
    let basic_bob = basic("bob", &pb);
    let basic_wrong = basic("bob", &wrong);
    sc.auth_values
        .extend([basic_bob.clone(), basic_wrong.clone()]);
    want(
        "Basic",
        c.send("GET", "/v1/me", Some(&basic_bob), &[], None),
        200,
    );
    want(
        "Basic again (cached)",
        c.send("GET", "/v1/me", Some(&basic_bob), &[], None),
        200,
    );
    want(
        "Basic, wrong password",
        c.send("GET", "/v1/me", Some(&basic_wrong), &[], None),
        401,
    );

    // API tokens: plain, and with an Idempotency-Key (retried once).
    let t1 = want(
        "token",
        c.send(
            "POST",
            "/v1/tokens",
            Some(&a),
            &[],
            Some(json!({"name": "ci"})),
        ),
        201,
    );
    let t1_secret = t1["token"].as_str().unwrap().to_string();
    let keyed = || {
        c.send(
            "POST",
            "/v1/tokens",
            Some(&a),
            &[("Idempotency-Key", "token-key-1")],
            Some(json!({"name": "sdk"})),
        )
    };
    let t2 = want("keyed token", keyed(), 201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let t2_again = want("keyed token, retried", keyed(), 201)["token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        t2, t2_again,
        "a retried keyed POST replays the first answer"
    );
    sc.secret("alice's API token", &t1_secret);
    sc.secret("alice's API token made with an Idempotency-Key", &t2);
    sc.tokens.extend([t1_secret.clone(), t2.clone()]);
    let t1_auth = bearer(&t1_secret);
    sc.auth_values.push(t1_auth.clone());
    want(
        "use the API token",
        c.send("GET", "/v1/me", Some(&t1_auth), &[], None),
        200,
    );

    // Invitations.
    let org = want(
        "org",
        c.send(
            "POST",
            "/v1/organizations",
            Some(&a),
            &[],
            Some(json!({"name": "Secret Org"})),
        ),
        201,
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let invite = |email: &str, key: Option<&str>| -> Value {
        let headers: Vec<(&str, &str)> = key
            .map(|k| vec![("Idempotency-Key", k)])
            .unwrap_or_default();
        want(
            &format!("invite {email}"),
            c.send(
                "POST",
                &format!("/v1/organizations/{org}/invitations"),
                Some(&a),
                &headers,
                Some(json!({"email": email, "role": "viewer"})),
            ),
            201,
        )
    };
    let i1 = invite("bob@example.com", None)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let i2 = invite("dave@example.com", Some("invite-key-1"))["token"]
        .as_str()
        .unwrap()
        .to_string();
    let i3v = invite("carol@example.com", None);
    let i3_old = i3v["token"].as_str().unwrap().to_string();
    let i3 = want(
        "resend",
        c.send(
            "POST",
            &format!(
                "/v1/organizations/{org}/invitations/{}/resend",
                i3v["id"].as_str().unwrap()
            ),
            Some(&a),
            &[],
            Some(json!({})),
        ),
        200,
    )["token"]
        .as_str()
        .unwrap()
        .to_string();
    let with_invite = want(
        "org with invite",
        c.send("POST", "/v1/organizations", Some(&a), &[("Idempotency-Key", "org-key-1")], Some(json!({"name": "Secret Org 2", "invite": {"email": "erin@example.com", "role": "admin"}}))),
        201,
    );
    let i4 = with_invite["invitation"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !i4.is_empty(),
        "create-with-invite returns the invitation token: {with_invite}"
    );
    for (l, v) in [
        ("invitation to bob", &i1),
        ("invitation to dave (Idempotency-Key)", &i2),
        ("invitation to carol (before re-send)", &i3_old),
        ("invitation to carol (re-sent)", &i3),
        ("invitation to erin (org create, Idempotency-Key)", &i4),
    ] {
        sc.secret(l, v);
    }
    sc.invitations
        .extend([i1.clone(), i2.clone(), i3.clone(), i4.clone()]);
    want(
        "bob accepts",
        c.send(
            "POST",
            &format!("/v1/invitations/{i1}/accept"),
            Some(&b),
            &[],
            Some(json!({})),
        ),
        200,
    );
    let dave = want(
        "dave accepts anonymously",
        c.send(
            "POST",
            &format!("/v1/invitations/{i2}/accept"),
            None,
            &[],
            Some(json!({"username": "dave", "password": pd})),
        ),
        200,
    );
    let td = dave["token"].as_str().unwrap_or_default().to_string();
    if !td.is_empty() {
        sc.secret("dave's token from accepting", &td);
        sc.tokens.push(td);
    }
    sc.with_password.push("dave".into());

    // A password change, then a login with it; a revocation.
    let alice_id = alice["id"].as_str().unwrap();
    want(
        "password change",
        c.send(
            "PATCH",
            &format!("/v1/users/{alice_id}"),
            Some(&a),
            &[],
            Some(json!({"password": pa2})),
        ),
        200,
    );
    let ta2 = want(
        "login with the new password",
        c.send(
            "POST",
            "/v1/auth/login",
            None,
            &[],
            Some(json!({"username": "alice", "password": pa2})),
        ),
        201,
    )["token"]
        .as_str()
        .unwrap()
        .to_string();
    sc.secret("alice's second login token", &ta2);
    sc.tokens.push(ta2);
    want(
        "revoke",
        c.send(
            "DELETE",
            &format!("/v1/tokens/{}", t1["id"].as_str().unwrap()),
            Some(&a),
            &[],
            None,
        ),
        204,
    );

    if log_probes {
        // A well-formed token nobody has.
        let fake = format!("org_{}", "Zx9".repeat(15));
        sc.secret("a made-up token", &fake);
        sc.auth_values.push(bearer(&fake));
        want(
            "made-up token",
            c.send("GET", "/v1/me", Some(&bearer(&fake)), &[], None),
            401,
        );
        want(
            "Token scheme",
            c.send("GET", "/v1/me", Some(&format!("Token {ta}")), &[], None),
            200,
        );
        // A token in a query string.
        want(
            "token in a query",
            c.send("GET", &format!("/v1/me?token={ta}"), Some(&a), &[], None),
            200,
        );
        // Accept URLs spelled differently but routed the same way.
        let i5 = invite("frank@example.com", None)["token"]
            .as_str()
            .unwrap()
            .to_string();
        let i6 = invite("grace@example.com", None)["token"]
            .as_str()
            .unwrap()
            .to_string();
        let i7 = invite("heidi@example.com", None)["token"]
            .as_str()
            .unwrap()
            .to_string();
        sc.secret("invitation to frank (accepted at /v1/%69nvitations/…)", &i5);
        sc.secret("invitation to grace (accepted at /v1/invitations//…)", &i6);
        sc.secret(
            "invitation to heidi (unknown route /v1/invitations/<token>)",
            &i7,
        );
        let (pf, pg) = (pw("frank"), pw("grace"));
        sc.secret("frank's password", &pf);
        sc.secret("grace's password", &pg);
        let r5 = c.send(
            "POST",
            &format!("/v1/%69nvitations/{i5}/accept"),
            None,
            &[],
            Some(json!({"username": "frank", "password": pf})),
        );
        let r6 = c.send(
            "POST",
            &format!("/v1/invitations//{i6}/accept"),
            None,
            &[],
            Some(json!({"username": "grace", "password": pg})),
        );
        for r in [&r5, &r6] {
            if let Some(t) = r.1["token"].as_str() {
                sc.secret("a token from accepting", t);
            }
        }
        c.send("GET", &format!("/v1/invitations/{i7}"), None, &[], None);
    }
    sc
}

/// Every cell of every table: (table, column, bytes).
fn dump(db: &std::path::Path) -> Vec<(String, String, Vec<u8>)> {
    if on_postgres() {
        return dump_pg(db.to_str().expect("URL"));
    }
    use rusqlite::types::ValueRef;
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
        .expect("open db");
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    };
    let mut out = vec![];
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let cols: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for (i, col) in cols.iter().enumerate() {
                let bytes = match r.get_ref(i).unwrap() {
                    ValueRef::Null => continue,
                    ValueRef::Integer(n) => n.to_string().into_bytes(),
                    ValueRef::Real(f) => f.to_string().into_bytes(),
                    ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
                };
                out.push((t.clone(), col.clone(), bytes));
            }
        }
    }
    out
}

/// `dump` on PostgreSQL: every column of every table in the schema, text as text and
/// BYTEA as its bytes.
fn dump_pg(url: &str) -> Vec<(String, String, Vec<u8>)> {
    let mut c = orgreg::store::pg::connect(url).expect("connect");
    let cols = c
        .query(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            &[],
        )
        .expect("columns");
    let mut out = vec![];
    for col in cols {
        let (t, name, ty): (String, String, String) = (col.get(0), col.get(1), col.get(2));
        let rows = if ty == "bytea" {
            c.query(&format!("SELECT \"{name}\" FROM \"{t}\""), &[])
                .expect("select")
                .iter()
                .filter_map(|r| r.get::<_, Option<Vec<u8>>>(0))
                .collect::<Vec<_>>()
        } else {
            c.query(&format!("SELECT CAST(\"{name}\" AS TEXT) FROM \"{t}\""), &[])
                .expect("select")
                .iter()
                .filter_map(|r| r.get::<_, Option<String>>(0).map(String::into_bytes))
                .collect()
        };
        out.extend(rows.into_iter().map(|b| (t.clone(), name.clone(), b)));
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The byte strings that must not appear for a secret: the secret; each 16-character
/// window of it; for a token, its random part decoded, raw and in hex.
fn forms(s: &str) -> Vec<(String, Vec<u8>)> {
    let mut v = vec![("in clear".to_string(), s.as_bytes().to_vec())];
    if let Some(body) = s.strip_prefix("org_") {
        if let Ok(raw) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body) {
            let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            v.push(("its random bytes, raw".into(), raw));
            v.push(("its random bytes in hex".into(), hex.into_bytes()));
        }
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() > 16 {
        for i in 0..=chars.len() - 16 {
            let w: String = chars[i..i + 16].iter().collect();
            v.push((format!("16 characters of it, {w:?}"), w.into_bytes()));
        }
    }
    v
}

#[test]
fn secrets_at_rest_are_stored_only_as_hashes() {
    let outbox = tempfile::NamedTempFile::new().unwrap();
    let path = outbox.path().to_path_buf();
    let s = Server::with(|c| c.invite_outbox = Some(path.clone()));
    let sc = scenario(&s.url, &s.admin, false);
    let cells = dump(&s.db);
    let mut problems = vec![];
    for secret in &sc.secrets {
        let forms = forms(&secret.value);
        for (t, col, cell) in &cells {
            // The strongest form found in this cell (the visible 10-character prefix in
            // tokens.prefix is shorter than any form, so it is allowed).
            if let Some((form, _)) = forms.iter().find(|(_, b)| contains(cell, b)) {
                problems.push(format!("{} ({form}) is stored in {t}.{col}", secret.label));
            }
        }
    }
    problems.sort();
    problems.dedup();
    // Tokens as 32-byte SHA-256 blobs.
    let token_hashes: HashSet<Vec<u8>> = cells
        .iter()
        .filter(|(t, c, _)| t == "tokens" && c == "hash")
        .map(|(_, _, b)| b.clone())
        .collect();
    for h in &token_hashes {
        if h.len() != 32 {
            problems.push(format!(
                "tokens.hash holds a {}-byte value (a SHA-256 is 32)",
                h.len()
            ));
        }
    }
    for t in &sc.tokens {
        if !token_hashes.contains(Sha256::digest(t.as_bytes()).as_slice()) {
            problems.push(format!("no SHA-256 of token {}… in tokens.hash", &t[..10]));
        }
    }
    let admin_hash = Sha256::digest(s.admin.as_bytes()).to_vec();
    if !token_hashes.contains(&admin_hash) {
        problems.push("the bootstrap admin token's SHA-256 is not in tokens.hash".into());
    }
    let inv_hashes: HashSet<Vec<u8>> = cells
        .iter()
        .filter(|(t, c, _)| t == "invitations" && c == "token_hash")
        .map(|(_, _, b)| b.clone())
        .collect();
    for h in &inv_hashes {
        if h.len() != 32 {
            problems.push(format!(
                "invitations.token_hash holds a {}-byte value",
                h.len()
            ));
        }
    }
    for i in &sc.invitations {
        if !inv_hashes.contains(Sha256::digest(i.as_bytes()).as_slice()) {
            problems.push(format!(
                "no SHA-256 of invitation token {}… in invitations.token_hash",
                &i[..10]
            ));
        }
    }
    // Passwords as argon2id PHC strings.
    // Through the store, on either engine.
    let store = orgreg::store::Store::open(s.db.to_str().unwrap(), orgreg::config::SyncMode::Normal)
        .expect("open the store");
    let hash_of = |u: &str| -> Option<String> {
        use orgreg::store::db::Db;
        store
            .read(|c| {
                c.one(
                    "SELECT password_hash FROM users WHERE username = ?",
                    &orgreg::p![u],
                    |r| r.get::<Option<String>>(0),
                )
            })
            .unwrap()
            .flatten()
    };
    for u in &sc.with_password {
        let h = hash_of(u);
        if !h.as_deref().is_some_and(|h| h.starts_with("$argon2id$")) {
            problems.push(format!(
                "users.password_hash of {u} is {h:?}, not a $argon2id$ PHC string"
            ));
        }
    }
    for u in &sc.without_password {
        let h = hash_of(u);
        if h.is_some() {
            problems.push(format!("{u} has no password but password_hash is {h:?}"));
        }
    }
    println!(
        "secrets at rest: {} secrets × forms checked against {} cells; {} problem(s)",
        sc.secrets.len(),
        cells.len(),
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "secrets at rest: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn secrets_never_reach_the_log() {
    let dir = tempfile::TempDir::new().unwrap();
    let outbox = dir.path().join("outbox.jsonl");
    let admin_password = pw("admin");
    let mut srv = BinServer::spawn(
        &dir.path().join("x.db"),
        &dir.path().join("server.log"),
        &["--invite-outbox", outbox.to_str().unwrap()],
        &[
            ("RUST_LOG", "debug"),
            ("ORGREG_ADMIN_PASSWORD", &admin_password),
        ],
    );
    let mut sc = scenario(&srv.url, BIN_ADMIN_TOKEN, true);
    sc.secret(
        "the admin password (ORGREG_ADMIN_PASSWORD)",
        &admin_password,
    );
    // The admin's password works (so it was taken), through Basic.
    let admin_basic = basic("admin", &admin_password);
    sc.auth_values.push(admin_basic.clone());
    let agent = crate::crash::bin_agent(Duration::from_secs(30));
    let st = agent
        .get(&format!("{}/v1/me", srv.url))
        .set("Authorization", &admin_basic)
        .call()
        .map(|r| r.status())
        .unwrap_or_else(|e| match e {
            ureq::Error::Status(s, _) => s,
            e => panic!("{e}"),
        });
    assert_eq!(st, 200, "Basic with ORGREG_ADMIN_PASSWORD");
    let stopped = srv.terminate(Duration::from_secs(10));
    assert!(stopped.is_some(), "the server stops on SIGTERM");
    let log = srv.log_text();
    let mut problems = vec![];
    if !log.contains("created staff user 'admin' with the token from ORGREG_ADMIN_TOKEN") {
        problems.push(
            "the log lacks \"created staff user 'admin' with the token from ORGREG_ADMIN_TOKEN\""
                .to_string(),
        );
    }
    if !log.contains("written to the outbox") {
        problems.push("invitations were not reported as written to the outbox".into());
    }
    if log.contains("accept at") {
        problems.push("an invitation link was logged although --invite-outbox is set".into());
    }
    let outbox_text = std::fs::read_to_string(&outbox).unwrap_or_default();
    if !sc
        .invitations
        .iter()
        .all(|i| outbox_text.contains(i.as_str()))
    {
        problems.push("the outbox does not hold every invitation link".into());
    }
    for (n, line) in log.lines().enumerate() {
        for secret in &sc.secrets {
            if let Some((form, _)) = forms(&secret.value)
                .iter()
                .find(|(_, b)| contains(line.as_bytes(), b))
            {
                problems.push(format!(
                    "log line {}: {} ({form}): {line}",
                    n + 1,
                    secret.label
                ));
            }
        }
        for a in &sc.auth_values {
            let value = a.split_once(' ').map(|p| p.1).unwrap_or(a);
            if line.contains(value) {
                problems.push(format!(
                    "log line {}: an Authorization value ({}…): {line}",
                    n + 1,
                    &a[..a.len().min(12)]
                ));
            }
        }
    }
    problems.dedup();
    println!(
        "secrets in the log: {} lines, {} secrets and {} Authorization values checked; {} problem(s)",
        log.lines().count(),
        sc.secrets.len(),
        sc.auth_values.len(),
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "secrets in the log: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
