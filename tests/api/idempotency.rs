//! `Idempotency-Key` on POST: a retry with the same key and body replays the first
//! answer without a second effect; the same key with another body is 422; concurrent
//! retries run the operation once.

use crate::support::*;
use serde_json::json;

fn keyed(s: &Server, token: &str, key: &str, body: serde_json::Value) -> Resp {
    s.call("POST", "/v1/organizations")
        .auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
}

#[test]
fn idempotency_retry_replays_the_first_response() {
    let s = Server::start();
    let first = keyed(&s, &s.admin, "create-acme-1", json!({"name": "Idem"}));
    first.ok(201);
    let again = keyed(&s, &s.admin, "create-acme-1", json!({"name": "Idem"}));
    again.ok(201);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(s.get("/v1/organizations?name=idem", &s.admin)["count"], 1);
    assert_eq!(
        s.activity("object_type=organization&action=create").len(),
        1,
        "one effect only"
    );

    let other = keyed(&s, &s.admin, "create-acme-1", json!({"name": "Idem 2"}));
    other.problem(422);
    assert_eq!(
        s.get("/v1/organizations?name=idem%202", &s.admin)["count"],
        0
    );
    // Keys are per user: another user's identical key is independent.
    let (_, bob) = s.create_user("idem-bob");
    let theirs = keyed(&s, &bob, "create-acme-1", json!({"name": "Bob Idem"}));
    theirs.ok(201);
    // A failed request is not stored: fixing nothing and retrying fails the same way.
    keyed(&s, &s.admin, "dup", json!({"name": "idem"})).problem(409);
    keyed(&s, &s.admin, "dup", json!({"name": "idem"})).problem(409);
    let long = "k".repeat(300);
    keyed(&s, &s.admin, &long, json!({"name": "Too Long Key"})).problem(400);
}

#[test]
fn idempotency_concurrent_retries_run_once() {
    let s = Server::start();
    let ids: Vec<(u16, String)> = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let s = &s;
                scope.spawn(move || {
                    let r = keyed(s, &s.admin, "same-key", json!({"name": "Concurrent Idem"}));
                    (r.status, r["id"].as_str().unwrap_or("").to_string())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(ids.iter().all(|(st, _)| *st == 201), "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0].1 == w[1].1), "{ids:?}");
    assert_eq!(
        s.get("/v1/organizations?name=concurrent%20idem", &s.admin)["count"],
        1
    );
}

#[test]
fn idempotency_replays_one_time_secrets_only_to_the_same_credential() {
    let s = Server::start();
    let mint = |token: &str| {
        s.call("POST", "/v1/tokens")
            .auth(token)
            .header("Idempotency-Key", "mint-1")
            .json(json!({"name": "ci"}))
            .send()
    };
    let first = mint(&s.admin);
    first.ok(201);
    let again = mint(&s.admin);
    again.ok(201);
    assert_eq!(
        again["token"], first["token"],
        "the retry gets the same one-time secret back"
    );
    assert_eq!(
        s.get("/v1/tokens?page_size=200", &s.admin)["count"],
        2,
        "bootstrap token + one minted"
    );
    // The same user retrying with another credential cannot read the sealed answer.
    let other = first["token"].as_str().unwrap().to_string();
    mint(&other).problem(422);
}
