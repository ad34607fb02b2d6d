//! The token cache on the authenticated read path (`registry::auth::TokenCache`): every
//! change to a user or token made through the server is seen by the very next request,
//! however warm the cache.

use crate::support::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// A few authenticated requests, so the token is cached.
fn warm(s: &Server, tok: &str) {
    for _ in 0..5 {
        s.get("/v1/me", tok).ok(200);
    }
}

#[test]
fn revoked_token_is_refused_on_the_very_next_request() {
    let s = Server::start();
    let (_, login) = s.create_user("cache-revoke");
    let r = s.post("/v1/tokens", &login, json!({"name": "ci"}));
    r.ok(201);
    let (api, id) = (
        r["token"].as_str().unwrap().to_string(),
        r["id"].as_str().unwrap().to_string(),
    );
    warm(&s, &api);
    s.delete(&format!("/v1/tokens/{id}"), &login).ok(204);
    s.get("/v1/me", &api).problem(401);
    // The other token of the same user is unaffected.
    s.get("/v1/me", &login).ok(200);
}

#[test]
fn deactivation_and_user_delete_are_seen_on_the_very_next_request() {
    let s = Server::start();
    let (id, tok) = s.create_user("cache-leaver");
    warm(&s, &tok);
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_active": false}),
    )
    .ok(200);
    s.get("/v1/me", &tok).problem(401);

    let (id, tok) = s.create_user("cache-deleted");
    warm(&s, &tok);
    s.delete(&format!("/v1/users/{id}"), &s.admin).ok(204);
    s.get("/v1/me", &tok).problem(401);
}

#[test]
fn password_and_staff_changes_are_seen_on_the_very_next_request() {
    let s = Server::start();
    let (id, tok) = s.create_user("cache-rotator");
    warm(&s, &tok);
    let before = s.get("/v1/me", &tok)["modified"].clone();
    let r = s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"password": "a brand new password"}),
    );
    r.ok(200);
    // Tokens outlive a password change (as before the cache), but the caller the next
    // request sees is the changed user, not the cached one.
    let me = s.get("/v1/me", &tok);
    me.ok(200);
    assert_ne!(me["modified"], before);
    assert_eq!(me["modified"], r["modified"]);

    // Staff granted: the next request may create users; revoked: the next may not.
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_staff": true}),
    )
    .ok(200);
    s.post("/v1/users", &tok, json!({"username": "made-by-new-staff"}))
        .ok(201);
    warm(&s, &tok);
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_staff": false}),
    )
    .ok(200);
    s.post("/v1/users", &tok, json!({"username": "made-by-ex-staff"}))
        .problem(403);
}

/// Readers hammer the server with a token while it is revoked: no request that began
/// after the revocation's 204 arrived is answered 200.
#[test]
fn no_request_after_a_revocation_succeeds_under_concurrent_reads() {
    let s = Server::start();
    let (_, login) = s.create_user("cache-race");
    for round in 0..5 {
        let r = s.post("/v1/tokens", &login, json!({"name": format!("r{round}")}));
        r.ok(201);
        let api = r["token"].as_str().unwrap().to_string();
        let id = r["id"].as_str().unwrap().to_string();
        let revoked_at: std::sync::Mutex<Option<Instant>> = Default::default();
        let stop = AtomicBool::new(false);
        let late_ok = AtomicUsize::new(0);
        let served = AtomicUsize::new(0);
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| {
                    let a = agent();
                    while !stop.load(Ordering::SeqCst) {
                        let started = Instant::now();
                        let r = a
                            .get(&format!("{}/v1/me", s.url))
                            .set("Authorization", &format!("Bearer {api}"))
                            .call();
                        served.fetch_add(1, Ordering::SeqCst);
                        let after = revoked_at.lock().unwrap().is_some_and(|t| started > t);
                        if after && r.is_ok() {
                            late_ok.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
            while served.load(Ordering::SeqCst) < 20 {
                std::thread::yield_now();
            }
            s.delete(&format!("/v1/tokens/{id}"), &login).ok(204);
            *revoked_at.lock().unwrap() = Some(Instant::now());
            let n = served.load(Ordering::SeqCst);
            while served.load(Ordering::SeqCst) < n + 40 {
                std::thread::yield_now();
            }
            stop.store(true, Ordering::SeqCst);
        });
        assert_eq!(late_ok.load(Ordering::SeqCst), 0, "round {round}");
    }
}
