//! Invitations: create (token once, stored hashed), delivery, list/get/revoke/resend,
//! accept signed in or anonymously, single use (also under a race), expiry, and
//! organization create with `invite`.

use crate::members::add_member;
use crate::support::*;
use serde_json::{json, Value};

fn invite(s: &Server, token: &str, org: &str, body: Value) -> Value {
    let r = s.post(&format!("/v1/organizations/{org}/invitations"), token, body);
    assert_eq!(r.status, 201, "creating an invitation: {}", r.text);
    r.body
}

fn accept(s: &Server, token: &str, invitation_token: &str, body: Value) -> Resp {
    s.post(
        &format!("/v1/invitations/{invitation_token}/accept"),
        token,
        body,
    )
}

#[test]
fn invitations_create_shows_the_token_once_and_delivers_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let outbox = dir.path().join("outbox.jsonl");
    let ob = outbox.clone();
    let s = Server::with(move |c| c.invite_outbox = Some(ob));
    let (_, owner) = s.create_user("inv-owner");
    let org = s.create_org(&owner, "Invite Org");
    let inv = s.post(
        &format!("/v1/organizations/{org}/invitations"),
        &owner,
        json!({"email": "Ada@Example.com", "role": "admin", "first_name": "Ada", "last_name": "Lovelace", "preferred_language": "en"}),
    );
    inv.ok(201);
    assert!(is_token(&inv["token"]), "{}", inv.text);
    let token = inv["token"].as_str().unwrap().to_string();
    for (k, v) in [
        ("role", "admin"),
        ("status", "open"),
        ("delivery_status", "sent"),
        ("first_name", "Ada"),
        ("email", "Ada@Example.com"),
    ] {
        assert_eq!(inv[k], v, "{k}");
    }
    assert!(
        is_timestamp(&inv["expires"])
            && is_uuid(&inv["invited_by"])
            && inv["organization"] == org.as_str()
    );
    let box_text = std::fs::read_to_string(&outbox).expect("outbox written");
    assert!(
        box_text.contains(&format!("/v1/invitations/{token}/accept")),
        "{box_text}"
    );

    let id = inv["id"].as_str().unwrap();
    let got = s.get(&format!("/v1/organizations/{org}/invitations/{id}"), &owner);
    got.ok(200);
    assert!(
        got.body.get("token").is_none(),
        "the token is shown only once"
    );
    let list = s.get(&format!("/v1/organizations/{org}/invitations"), &owner);
    assert_eq!(list["count"], 1);
    assert!(!list.text.contains(&token));
    assert_eq!(
        s.get(
            &format!("/v1/organizations/{org}/invitations?status=open"),
            &owner
        )["count"],
        1
    );
    assert_eq!(
        s.get(
            &format!("/v1/organizations/{org}/invitations?status=revoked"),
            &owner
        )["count"],
        0
    );
    s.get(
        &format!("/v1/organizations/{org}/invitations?status=maybe"),
        &owner,
    )
    .invalid(&["status"]);
    // A second open invitation for the same address is a conflict.
    s.post(
        &format!("/v1/organizations/{org}/invitations"),
        &owner,
        json!({"email": "ada@example.com"}),
    )
    .problem(409);
}

#[test]
fn invitations_validation_names_every_bad_field() {
    let s = Server::start();
    let (_, owner) = s.create_user("iv-owner");
    let org = s.create_org(&owner, "IV");
    s.post(
        &format!("/v1/organizations/{org}/invitations"),
        &owner,
        json!({"email": "not-an-email", "role": "king", "expires": "2001-01-01T00:00:00Z", "token": "x", "extra": true}),
    )
    .invalid(&["email", "expires", "extra", "role", "token"]);
    s.post(
        &format!("/v1/organizations/{org}/invitations"),
        &owner,
        json!({}),
    )
    .invalid(&["email"]);
}

#[test]
fn invitations_anonymous_accept_creates_the_account_and_membership() {
    let s = Server::start();
    let (_, owner) = s.create_user("ia-owner");
    let org = s.create_org(&owner, "Accept Org");
    let inv = invite(
        &s,
        &owner,
        &org,
        json!({"email": "grace@example.com", "role": "contributor", "first_name": "Grace"}),
    );
    let t = inv["token"].as_str().unwrap();
    accept(&s, "", t, json!({})).invalid(&["password", "username"]);
    accept(&s, "", t, json!({"username": "grace", "password": "short"})).invalid(&["password"]);
    let r = accept(
        &s,
        "",
        t,
        json!({"username": "grace", "password": PASSWORD}),
    );
    r.ok(200);
    assert_eq!(r["membership"]["role"], "contributor");
    assert_eq!(r["membership"]["status"], "approved");
    assert_eq!(r["user"]["email"], "grace@example.com");
    assert_eq!(r["user"]["first_name"], "Grace");
    let grace = r["token"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}"), grace).status,
        200
    );
    // Single use.
    accept(
        &s,
        "",
        t,
        json!({"username": "grace2", "password": PASSWORD}),
    )
    .problem(409);
    let stored = s.get(
        &format!(
            "/v1/organizations/{org}/invitations/{}",
            inv["id"].as_str().unwrap()
        ),
        &owner,
    );
    assert_eq!(stored["status"], "accepted");
    let summary = s.get(&format!("/v1/organizations/{org}/summary"), &owner);
    assert_eq!(summary["members"]["by_role"]["contributor"], 1);
    assert_eq!(summary["open_invitations"], 0);
    // The password works for login.
    s.login("grace", PASSWORD);
}

#[test]
fn invitations_signed_in_accept_requires_the_matching_email() {
    let s = Server::start();
    let (_, owner) = s.create_user("is-owner");
    let org = s.create_org(&owner, "Signed Org");
    s.new_user(json!({"username": "lin", "email": "lin@example.com", "password": PASSWORD}));
    s.new_user(
        json!({"username": "mallory", "email": "mallory@example.com", "password": PASSWORD}),
    );
    let lin = s.login("lin", PASSWORD);
    let mallory = s.login("mallory", PASSWORD);
    let inv = invite(
        &s,
        &owner,
        &org,
        json!({"email": "LIN@example.com", "role": "viewer"}),
    );
    let t = inv["token"].as_str().unwrap();
    accept(&s, &mallory, t, json!({})).problem(403);
    s.get(&format!("/v1/organizations/{org}"), &mallory)
        .problem(404);
    let r = accept(&s, &lin, t, json!({}));
    r.ok(200);
    assert_eq!(r["membership"]["role"], "viewer");
    assert!(r.body.get("token").is_none());
    // An anonymous accept for an address that already has an account must sign in.
    let inv2 = invite(&s, &owner, &org, json!({"email": "mallory@example.com"}));
    accept(
        &s,
        "",
        inv2["token"].as_str().unwrap(),
        json!({"username": "mal2", "password": PASSWORD}),
    )
    .problem(409);
}

#[test]
fn invitations_revoked_is_409_expired_is_410_unknown_is_404() {
    let s = Server::start();
    let (_, owner) = s.create_user("ir-owner");
    let org = s.create_org(&owner, "Revoke Org");
    let inv = invite(&s, &owner, &org, json!({"email": "r@example.com"}));
    let id = inv["id"].as_str().unwrap();
    let d = s.delete(&format!("/v1/organizations/{org}/invitations/{id}"), &owner);
    assert_eq!(d.status, 204);
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}/invitations/{id}"), &owner)["status"],
        "revoked"
    );
    s.delete(&format!("/v1/organizations/{org}/invitations/{id}"), &owner)
        .problem(409);
    accept(
        &s,
        "",
        inv["token"].as_str().unwrap(),
        json!({"username": "r", "password": PASSWORD}),
    )
    .problem(409);

    let soon = orgreg::model::format_ms(orgreg::model::now_ms() + 1200);
    let short = invite(
        &s,
        &owner,
        &org,
        json!({"email": "e@example.com", "expires": soon}),
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    accept(
        &s,
        "",
        short["token"].as_str().unwrap(),
        json!({"username": "e", "password": PASSWORD}),
    )
    .problem(410);
    let listed = s.get(
        &format!("/v1/organizations/{org}/invitations?status=expired"),
        &owner,
    );
    assert_eq!(listed["count"], 1);

    accept(
        &s,
        "",
        "org_thisisnotarealinvitationtokenatallxxxxxxxxxxxx",
        json!({"username": "z", "password": PASSWORD}),
    )
    .problem(404);
}

#[test]
fn invitations_resend_issues_a_new_token_and_voids_the_old() {
    let s = Server::start();
    let (_, owner) = s.create_user("rs-owner");
    let org = s.create_org(&owner, "Resend Org");
    let inv = invite(&s, &owner, &org, json!({"email": "rs@example.com"}));
    let old = inv["token"].as_str().unwrap();
    let r = s.post(
        &format!(
            "/v1/organizations/{org}/invitations/{}/resend",
            inv["id"].as_str().unwrap()
        ),
        &owner,
        json!({}),
    );
    r.ok(200);
    let new = r["token"].as_str().unwrap();
    assert_ne!(old, new);
    accept(&s, "", old, json!({"username": "rs", "password": PASSWORD})).problem(404);
    accept(&s, "", new, json!({"username": "rs", "password": PASSWORD})).ok(200);
}

#[test]
fn invitations_concurrent_accepts_exactly_one_wins() {
    let s = Server::start();
    let (_, owner) = s.create_user("ic-owner");
    let org = s.create_org(&owner, "Race Invite");
    for round in 0..3 {
        let inv = invite(
            &s,
            &owner,
            &org,
            json!({"email": format!("race{round}@example.com")}),
        );
        let t = inv["token"].as_str().unwrap().to_string();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    let t = t.clone();
                    let s = &s;
                    scope.spawn(move || {
                        accept(
                            s,
                            "",
                            &t,
                            json!({"username": format!("r{round}u{i}"), "password": PASSWORD}),
                        )
                        .status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409),
            "{statuses:?}"
        );
    }
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}/members"), &owner)["count"],
        4
    );
}

#[test]
fn invitations_rank_rules_for_inviters() {
    let s = Server::start();
    let (_, owner) = s.create_user("ik-owner");
    let org = s.create_org(&owner, "Rank Invite");
    let (admin_id, admin) = s.create_user("ik-admin");
    add_member(&s, &owner, &org, &admin_id, "admin");
    let (viewer_id, viewer) = s.create_user("ik-viewer");
    add_member(&s, &owner, &org, &viewer_id, "viewer");
    let (_, stranger) = s.create_user("ik-stranger");
    let path = format!("/v1/organizations/{org}/invitations");
    s.post(
        &path,
        &admin,
        json!({"email": "o@example.com", "role": "owner"}),
    )
    .problem(403);
    s.post(
        &path,
        &admin,
        json!({"email": "a@example.com", "role": "admin"}),
    )
    .ok(201);
    s.post(&path, &viewer, json!({"email": "v@example.com"}))
        .problem(403);
    s.get(&path, &viewer).problem(403);
    s.post(&path, &stranger, json!({"email": "s@example.com"}))
        .problem(404);
    s.post(
        &path,
        &owner,
        json!({"email": "o@example.com", "role": "owner"}),
    )
    .ok(201);
}

#[test]
fn invitations_organization_create_with_invite_is_one_transaction() {
    let s = Server::start();
    let (_, owner) = s.create_user("oc-owner");
    let r = s.post(
        "/v1/organizations",
        &owner,
        json!({"name": "Invited Co", "invite": {"email": "first@example.com", "role": "admin", "first_name": "F"}}),
    );
    r.ok(201);
    assert_eq!(r["name"], "Invited Co");
    assert_eq!(r["invitation"]["email"], "first@example.com");
    assert_eq!(r["invitation"]["role"], "admin");
    assert!(is_token(&r["invitation"]["token"]));
    let org = r["id"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}/invitations"), &owner)["count"],
        1
    );

    let bad = s.post(
        "/v1/organizations",
        &owner,
        json!({"name": "Never Made", "invite": {"email": "nope", "bogus": 1}}),
    );
    bad.invalid(&["invite.bogus", "invite.email"]);
    s.get("/v1/organizations/Never%20Made", &owner).problem(404);
    // A failing invitation rolls the organization back too.
    let (_, plain) = s.create_user("oc-plain");
    let ok = s.post(
        "/v1/organizations",
        &plain,
        json!({"name": "Twice", "invite": {"email": "t@example.com"}}),
    );
    ok.ok(201);
    assert_eq!(s.get("/v1/organizations?name=twice", &plain)["count"], 1);
}

#[test]
fn invitations_tokens_never_appear_in_activity() {
    let s = Server::start();
    let (_, owner) = s.create_user("it-owner");
    let org = s.create_org(&owner, "Token Trail");
    let inv = invite(&s, &owner, &org, json!({"email": "tt@example.com"}));
    let t = inv["token"].as_str().unwrap();
    let r = accept(&s, "", t, json!({"username": "tt", "password": PASSWORD}));
    r.ok(200);
    let feed = s.get("/v1/activity?page_size=200", &s.admin);
    assert!(!feed.text.contains(t));
    assert!(!feed.text.contains(r["token"].as_str().unwrap()));
    let actions: Vec<String> = feed.result_strs("action");
    assert!(
        actions.contains(&"invite".to_string()) && actions.contains(&"accept".to_string()),
        "{actions:?}"
    );
}
