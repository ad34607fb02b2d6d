//! `orgreg migrate-db --from PATH --to URL`: a registry served from SQLite, copied into
//! PostgreSQL, serves the same data there — byte-identical exports, the same tokens,
//! integer ids and activity, and ids of deleted rows still never handed out again.
//! PostgreSQL only (the `api_pg` binary).

use crate::fixtures::{self, run};
use crate::support::*;
use serde_json::json;

/// `orgreg export --with-secrets --db DB`.
fn export(db: &str) -> String {
    fixtures::export(std::path::Path::new(db), &["--with-secrets"])
}

/// (AWX integer id, name) of every organization, by id.
fn awx_ids(s: &Server) -> Vec<(i64, String)> {
    let r = s.get("/api/v2/organizations/?page_size=200&order_by=id", &s.admin);
    r.ok(200);
    r.results()
        .iter()
        .map(|o| (o["id"].as_i64().unwrap(), o["name"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn migrate_db_copies_a_sqlite_registry_into_postgresql() {
    if !on_postgres() {
        println!("skipped on SQLite: migrate-db copies into PostgreSQL (api_pg runs it)");
        return;
    }
    let dir = tempfile::TempDir::new().unwrap();
    let src = dir.path().join("src.db");
    let src = src.to_str().unwrap().to_string();

    // A registry with every kind of row, served from SQLite.
    let lite = {
        let src = src.clone();
        Server::with(move |c| c.db = src)
    };
    let (alice_id, alice) = lite.create_user("alice");
    let (bob_id, _bob) = lite.create_user("bob");
    let acme = lite.co_members(&alice, &bob_id, "Acme");
    let _beta = lite.create_org(&alice, "Beta");
    lite.create_customer(json!({"name": "Customer One", "owners": [alice_id]}));
    let inv = lite.post(
        &format!("/v1/organizations/{acme}/invitations"),
        &alice,
        json!({"email": "carol@example.com", "role": "viewer"}),
    );
    inv.ok(201);
    lite.call("POST", "/v1/organizations")
        .auth(&alice)
        .header("Idempotency-Key", "migrate-1")
        .json(json!({"name": "Keyed"}))
        .send()
        .ok(201);
    // The newest organization is deleted: its id is the high-water mark.
    let doomed = lite.create_org(&alice, "Doomed");
    let ids_before = awx_ids(&lite);
    assert_eq!(ids_before.last().unwrap().1, "Doomed");
    let highest = ids_before.iter().map(|(i, _)| *i).max().unwrap();
    lite.delete(&format!("/v1/organizations/{doomed}"), &alice)
        .ok(204);
    let activity_before = lite.activity("").len();
    assert!(activity_before >= 8, "{activity_before}");
    drop(lite);
    let exported = export(&src);

    let url = fresh_database();
    let (ok, _, err) = run(&["migrate-db", "--from", &src, "--to", &url]);
    assert!(ok, "migrate-db: {err}");
    assert!(err.contains("copied") && err.contains("organizations"), "{err}");
    assert!(!err.contains(url.split('@').next().unwrap().rsplit(':').next().unwrap()),
        "the password is not printed: {err}");

    // The same registry, record for record (users with password hashes, customers,
    // organizations, memberships, invitations, the id high-water marks).
    assert_eq!(export(&url), exported, "export after migrate-db is byte-identical");

    // Served from PostgreSQL: tokens, activity and ids carried over.
    let pg = {
        let url = url.clone();
        Server::with(move |c| c.db = url)
    };
    let me = pg.get("/v1/me", &alice);
    me.ok(200);
    assert_eq!(me["id"], alice_id.as_str(), "alice's API token works after the move");
    assert_eq!(pg.activity("").len(), activity_before, "the activity log is copied");
    let ids_after = awx_ids(&pg);
    let expected: Vec<(i64, String)> = ids_before
        .into_iter()
        .filter(|(_, name)| name != "Doomed")
        .collect();
    assert_eq!(ids_after, expected, "integer ids are the same");
    let created = pg.create_org_with(&alice, json!({"name": "After The Move"}));
    let v2 = pg.get("/api/v2/organizations/?name=After%20The%20Move", &pg.admin);
    let new_id = v2.results()[0]["id"].as_i64().unwrap();
    assert!(
        new_id > highest,
        "ids are never reused, not even a deleted organization's: {new_id} after {highest} ({created})"
    );
    // The idempotent response stored on SQLite replays on PostgreSQL.
    let replay = pg
        .call("POST", "/v1/organizations")
        .auth(&alice)
        .header("Idempotency-Key", "migrate-1")
        .json(json!({"name": "Keyed"}))
        .send();
    replay.ok(201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"), "{:?}", replay.headers);
    drop(pg);

    // Into a database that is not empty: refused, nothing written.
    let before = export(&url);
    let (ok, _, err) = run(&["migrate-db", "--from", &src, "--to", &url]);
    assert!(!ok);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(export(&url), before);
    // Wrong directions are one clear line each.
    let (ok, _, err) = run(&["migrate-db", "--from", &url, "--to", &url]);
    assert!(!ok && err.contains("--from"), "{err}");
    let (ok, _, err) = run(&["migrate-db", "--from", &src, "--to", &src]);
    assert!(!ok && err.contains("--to"), "{err}");
}
