//! Small rules found by fuzzing: strict paging and ordering parameters, clamped page
//! sizes, Basic lock-out outside login, the `/v1/me` ETag, and the last active staff user.

use crate::support::*;
use serde_json::json;

#[test]
fn paging_rejects_empty_values_and_clamps_any_large_page_size() {
    let s = Server::start();
    s.get("/v1/organizations?page=", &s.admin)
        .invalid(&["page"]);
    s.get("/v1/organizations?page_size=", &s.admin)
        .invalid(&["page_size"]);
    s.get("/v1/organizations?page_size=0", &s.admin)
        .invalid(&["page_size"]);
    s.get("/v1/organizations?page_size=-3", &s.admin)
        .invalid(&["page_size"]);
    let big = s.get(
        "/v1/organizations?page_size=99999999999999999999999",
        &s.admin,
    );
    big.ok(200);
    s.get("/v1/organizations?order_by=", &s.admin)
        .invalid(&["order_by"]);
    s.get("/v1/organizations?order_by=name,,created", &s.admin)
        .invalid(&["order_by"]);
    s.get("/v1/organizations?order_by=%20name", &s.admin)
        .invalid(&["order_by"]);
    s.get("/v1/organizations?order_by=name,-created", &s.admin)
        .ok(200);
}

#[test]
fn basic_lockout_outside_login_is_401_with_retry_after() {
    let s = Server::start();
    s.new_user(json!({"username": "locked", "password": PASSWORD}));
    for _ in 0..10 {
        let r = s
            .call("GET", "/v1/me")
            .header("Authorization", &basic("locked", "wrong-password"))
            .send();
        r.problem(401);
    }
    let r = s
        .call("GET", "/v1/me")
        .header("Authorization", &basic("locked", PASSWORD))
        .send();
    r.problem(401);
    assert!(
        r.header("retry-after")
            .is_some_and(|v| v.parse::<u64>().is_ok()),
        "{:?}",
        r.headers
    );
    // The login route itself says 429.
    let l = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "locked", "password": PASSWORD}),
    );
    l.problem(429);
}

#[test]
fn me_honours_if_none_match_and_changes_with_memberships() {
    let s = Server::start();
    let (_, t) = s.create_user("etag-me");
    let first = s.get("/v1/me", &t);
    let etag = first.header("etag").expect("ETag").to_string();
    let again = s
        .call("GET", "/v1/me")
        .auth(&t)
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(again.status, 304);
    s.create_org(&t, "Changes Me");
    let after = s
        .call("GET", "/v1/me")
        .auth(&t)
        .header("If-None-Match", &etag)
        .send();
    after.ok(200);
    assert_ne!(after.header("etag"), Some(etag.as_str()));
}

#[test]
fn the_last_active_staff_user_cannot_be_removed_or_demoted() {
    let s = Server::start();
    let me = s.get("/v1/me", &s.admin);
    let id = me["id"].as_str().unwrap().to_string();
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_staff": false}),
    )
    .problem(409);
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_active": false}),
    )
    .problem(409);
    s.delete(&format!("/v1/users/{id}"), &s.admin).problem(409);
    assert_eq!(s.get("/v1/me", &s.admin)["is_staff"], true);
    // With a second staff user, the first may step down.
    s.new_user(json!({"username": "second-staff", "password": PASSWORD, "is_staff": true}));
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_staff": false}),
    )
    .ok(200);
}

#[test]
fn an_update_that_changes_nothing_keeps_the_version_and_writes_no_activity() {
    let s = Server::start();
    let o = s.create_org_with(&s.admin, json!({"name": "Still", "description": "same"}));
    let id = o["id"].as_str().unwrap();
    let before = s.get(&format!("/v1/organizations/{id}"), &s.admin);
    let etag = before.header("etag").unwrap().to_string();
    let rows = s.activity("").len();
    for body in [
        json!({}),
        json!({"description": "same"}),
        json!({"name": "Still"}),
    ] {
        let r = s.patch(&format!("/v1/organizations/{id}"), &s.admin, body);
        r.ok(200);
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r["modified"], before["modified"]);
    }
    let me = s.get("/v1/me", &s.admin);
    let uid = me["id"].as_str().unwrap();
    s.patch(&format!("/v1/users/{uid}"), &s.admin, json!({}))
        .ok(200);
    let c = s.create_customer(json!({"name": "C"}));
    let rows_after_customer = s.activity("").len();
    s.patch(
        &format!("/v1/customers/{}", c["id"].as_str().unwrap()),
        &s.admin,
        json!({"name": "C"}),
    )
    .ok(200);
    assert_eq!(s.activity("").len(), rows_after_customer);
    assert_eq!(
        rows_after_customer,
        rows + 1,
        "only the customer create was recorded"
    );
    let changed = s.patch(
        &format!("/v1/organizations/{id}"),
        &s.admin,
        json!({"description": "new"}),
    );
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[test]
fn failed_password_checks_do_not_leave_argon2_buffers_resident() {
    // argon2 takes 19 MiB per hash; glibc used to keep those blocks in each worker's
    // arena (RSS 8 → 165 MB after ~100 failed logins). The binary pins the mmap threshold.
    let dir = tempfile::TempDir::new().unwrap();
    let srv = crate::crash::BinServer::spawn(
        &dir.path().join("m.db"),
        &dir.path().join("m.log"),
        &[],
        &[],
    );
    let before = srv.status_value("VmRSS").expect("VmRSS");
    std::thread::scope(|s| {
        for t in 0..8 {
            let url = srv.url.clone();
            s.spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(std::time::Duration::from_secs(30))
                    .build();
                for i in 0..8 {
                    let _ = agent
                        .get(&format!("{url}/v1/me"))
                        .set("Authorization", &basic(&format!("nobody{t}x{i}"), "wrong"))
                        .call();
                }
            });
        }
    });
    let after = srv.status_value("VmRSS").expect("VmRSS");
    assert!(
        after < before + 60 * 1024,
        "RSS grew from {before} kB to {after} kB after 64 failed password checks"
    );
}

#[test]
fn awx_ids_are_never_reused_after_a_delete() {
    let s = Server::start();
    let a = s.post("/api/v2/organizations/", &s.admin, json!({"name": "First"}));
    let b = s.post(
        "/api/v2/organizations/",
        &s.admin,
        json!({"name": "Second"}),
    );
    let b_id = b.body["id"].as_i64().unwrap();
    assert_eq!(
        s.delete(&format!("/api/v2/organizations/{b_id}/"), &s.admin)
            .status,
        204
    );
    let c = s.post("/api/v2/organizations/", &s.admin, json!({"name": "Third"}));
    assert!(
        c.body["id"].as_i64().unwrap() > b_id,
        "{} after {}",
        c.text,
        b.text
    );
    assert_eq!(
        s.get(&format!("/api/v2/organizations/{b_id}/"), &s.admin)
            .status,
        404
    );
    assert!(a.body["id"].as_i64().unwrap() < b_id);
}

#[test]
fn awx_options_on_personal_tokens_creates_nothing() {
    let s = Server::start();
    let before = s.get("/v1/tokens", &s.admin)["count"].clone();
    let r = s
        .call("OPTIONS", "/api/v2/users/admin/personal_tokens/")
        .auth(&s.admin)
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body.get("token").is_none());
    assert_eq!(s.get("/v1/tokens", &s.admin)["count"], before);
}

#[test]
fn waldur_patch_may_not_blank_required_fields() {
    let s = Server::start();
    let waldur = |m: &str, p: &str, body: serde_json::Value| {
        s.call(m, p)
            .header("Authorization", &format!("Token {}", s.admin))
            .json(body)
            .send()
    };
    let o = waldur(
        "POST",
        "/api/organizations/",
        json!({"name": "Keep", "native_name": "K", "abbreviation": "KP"}),
    );
    assert_eq!(o.status, 201, "{}", o.text);
    let path = format!("/api/organizations/{}/", o.body["uuid"].as_str().unwrap());
    for body in [
        json!({"name": ""}),
        json!({"name": null}),
        json!({"name": "   "}),
        json!({"abbreviation": ""}),
    ] {
        let r = waldur("PATCH", &path, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
    }
    let after = waldur("GET", &path, json!({}));
    assert_eq!(after.body["name"], "Keep");
    assert_eq!(after.body["abbreviation"], "KP");
}
