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

/// On PostgreSQL several processes serve one database: the same key sent at once to
/// three of them still runs the operation once, and every retry gets its answer.
#[test]
fn idempotency_holds_across_processes_on_one_database() {
    if !on_postgres() {
        println!("skipped on SQLite: one process serves a file");
        return;
    }
    let dir = tempfile::TempDir::new().unwrap();
    let db = new_db(dir.path(), "shared.db");
    let procs: Vec<Proc> = (0..3)
        .map(|_| Proc::serve(&db, &[], &[("ORGREG_ADMIN_TOKEN", ADMIN_TOKEN)]))
        .collect();
    for round in 0..3 {
        let key = format!("cross-process-{round}");
        let name = format!("Across {round}");
        let barrier = std::sync::Barrier::new(9);
        let answers: Vec<(u16, Option<String>, serde_json::Value)> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..9)
                .map(|i| {
                    let (url, key, name, barrier) = (&procs[i % 3].url, &key, &name, &barrier);
                    sc.spawn(move || {
                        barrier.wait();
                        let r = agent()
                            .post(&format!("{url}/v1/organizations"))
                            .set("Authorization", &format!("Bearer {ADMIN_TOKEN}"))
                            .set("Idempotency-Key", key)
                            .set("Content-Type", "application/json")
                            .send_string(&json!({ "name": name }).to_string());
                        let r = match r {
                            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
                            Err(e) => panic!("POST: {e}"),
                        };
                        let status = r.status();
                        let replayed = r.header("idempotent-replayed").map(str::to_string);
                        let body: serde_json::Value =
                            serde_json::from_str(&r.into_string().unwrap_or_default())
                                .unwrap_or_default();
                        (status, replayed, body)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ids: std::collections::HashSet<String> = answers
            .iter()
            .map(|(st, _, b)| {
                assert_eq!(*st, 201, "round {round}: every answer is the first one's: {b}");
                b["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1, "round {round}: one organization, {answers:?}");
        let replays = answers.iter().filter(|a| a.1.as_deref() == Some("true")).count();
        assert_eq!(replays, 8, "round {round}: one ran, eight were replayed: {answers:?}");
        let (st, list) = procs[round % 3].get(
            &format!("/v1/organizations?name={}", enc(&name)),
            ADMIN_TOKEN,
            "",
        );
        assert_eq!((st, list["count"].as_i64()), (200, Some(1)), "{list}");
    }
}
