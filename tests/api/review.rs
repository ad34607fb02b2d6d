//! Defects found by code review, each pinned by a test.

use crate::members::add_member;
use crate::support::*;
use serde_json::json;

#[test]
fn awx_text_lookups_on_integer_ids_are_not_server_errors() {
    let s = Server::start();
    let o = s.post(
        "/api/v2/organizations/",
        &s.admin,
        json!({"name": "Lookup"}),
    );
    let id = o.body["id"].as_i64().unwrap();
    for q in [
        "id__icontains=",
        "id__startswith=",
        "id__iexact=",
        "not__id__contains=",
    ] {
        let r = s.get(&format!("/api/v2/organizations/?{q}{id}"), &s.admin);
        assert_eq!(r.status, 200, "{q}: {}", r.text);
    }
    assert_eq!(
        s.get("/api/v2/users/?id__icontains=1", &s.admin).status,
        200
    );
    assert_eq!(
        s.get(&format!("/api/v2/organizations/?id__iexact={id}"), &s.admin)
            .body["count"],
        1
    );
}

#[test]
fn a_customer_owner_cannot_reject_an_approved_owner() {
    let s = Server::start();
    let (a, a_token) = s.create_user("rev-a");
    let (b, _) = s.create_user("rev-b");
    let org = s.create_org(&a_token, "Reviewed");
    add_member(&s, &a_token, &org, &b, "owner");
    let (co, co_token) = s.create_user("rev-co");
    let c = s.create_customer(json!({"name": "RC", "owners": [co]}));
    s.patch(
        &format!("/v1/organizations/{org}"),
        &s.admin,
        json!({"customer": c["id"]}),
    )
    .ok(200);
    let m = s.get(&format!("/v1/organizations/{org}/members/{a}"), &a_token);
    let hex = m["id"].as_str().unwrap().replace('-', "");
    let r = s
        .call("POST", &format!("/api/organization-users/{hex}/reject/"))
        .header("Authorization", &format!("Token {co_token}"))
        .send();
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}/members/{a}"), &a_token)["status"],
        "approved"
    );
}

#[test]
fn when_the_recorded_owner_changes_the_organization_version_and_trail_follow() {
    let s = Server::start();
    let (a, a_token) = s.create_user("rep-a");
    let (b, b_token) = s.create_user("rep-b");
    let org = s.create_org(&a_token, "Repointed");
    add_member(&s, &a_token, &org, &b, "owner");
    let before = s.get(&format!("/v1/organizations/{org}"), &b_token);
    assert_eq!(before["owner"], a.as_str());
    let etag = before.header("etag").unwrap().to_string();
    s.patch(
        &format!("/v1/organizations/{org}/members/{a}"),
        &b_token,
        json!({"role": "admin"}),
    )
    .ok(200);
    let after = s
        .call("GET", &format!("/v1/organizations/{org}"))
        .auth(&b_token)
        .header("If-None-Match", &etag)
        .send();
    after.ok(200);
    assert_eq!(after["owner"], b.as_str());
    let trail = s.get(
        &format!("/v1/organizations/{org}/activity?action=update&object_type=organization"),
        &b_token,
    );
    assert_eq!(trail["results"][0]["changes"]["owner"], json!([a, b]));
}

#[test]
fn max_owned_orgs_also_limits_ownership_transfers() {
    let s = Server::with(|c| c.max_owned_orgs = Some(1));
    let (u, u_token) = s.create_user("cap-u");
    s.create_org(&u_token, "U's only");
    let (_, o_token) = s.create_user("cap-o");
    let other = s.create_org(&o_token, "Other");
    s.patch(
        &format!("/v1/organizations/{other}"),
        &o_token,
        json!({"owner": u}),
    )
    .problem(409);
}

#[test]
fn deleting_a_user_records_member_removed_in_each_organization() {
    let s = Server::start();
    let (_, a_token) = s.create_user("del-a");
    let org = s.create_org(&a_token, "Trail Keeper");
    let (b, _) = s.create_user("del-b");
    add_member(&s, &a_token, &org, &b, "viewer");
    assert_eq!(s.delete(&format!("/v1/users/{b}"), &s.admin).status, 204);
    let trail = s.get(
        &format!("/v1/organizations/{org}/activity?action=member_removed"),
        &a_token,
    );
    assert_eq!(trail["count"], 1, "{}", trail.text);
    assert_eq!(trail["results"][0]["changes"]["user"], json!([b, null]));
}

#[test]
fn an_expired_invitation_cannot_be_revoked_and_a_noop_member_patch_changes_nothing() {
    let s = Server::start();
    let (_, owner) = s.create_user("exp-owner");
    let org = s.create_org(&owner, "Expiry");
    let soon = orgreg::model::format_ms(orgreg::model::now_ms() + 800);
    let inv = s.post(
        &format!("/v1/organizations/{org}/invitations"),
        &owner,
        json!({"email": "e@example.com", "expires": soon}),
    );
    inv.ok(201);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    s.delete(
        &format!(
            "/v1/organizations/{org}/invitations/{}",
            inv["id"].as_str().unwrap()
        ),
        &owner,
    )
    .problem(409);
    let me = s.get(&format!("/v1/organizations/{org}/members/me"), &owner);
    let r = s.patch(
        &format!("/v1/organizations/{org}/members/me"),
        &owner,
        json!({}),
    );
    r.ok(200);
    assert_eq!(r.header("etag"), me.header("etag"));
    assert_eq!(r["modified"], me["modified"]);
}

#[test]
fn invitation_links_use_the_configured_public_url_not_the_host_header() {
    let dir = tempfile::TempDir::new().unwrap();
    let outbox = dir.path().join("out.jsonl");
    let ob = outbox.clone();
    let s = Server::with(move |c| {
        c.invite_outbox = Some(ob);
        c.public_url = Some("https://orgs.example.com".into());
    });
    let (_, owner) = s.create_user("pub-owner");
    let org = s.create_org(&owner, "Public");
    let r = s
        .call("POST", &format!("/v1/organizations/{org}/invitations"))
        .auth(&owner)
        .header("Host", "evil.example")
        .json(json!({"email": "p@example.com"}))
        .send();
    r.ok(201);
    let text = std::fs::read_to_string(&outbox).unwrap();
    assert!(
        text.contains("https://orgs.example.com/v1/invitations/"),
        "{text}"
    );
    assert!(!text.contains("evil.example"), "{text}");
}

#[test]
fn waldur_concurrent_creates_for_one_customer_leave_one_organization() {
    let s = Server::start();
    let c = s.create_customer(json!({"name": "Raced"}));
    let url = format!(
        "{}/api/customers/{}/",
        s.url,
        c["id"].as_str().unwrap().replace('-', "")
    );
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..6)
            .map(|i| {
                let (s, url) = (&s, url.clone());
                scope.spawn(move || {
                    s.call("POST", "/api/organizations/")
                        .header("Authorization", &format!("Token {}", s.admin))
                        .json(json!({"name": format!("Race {i}"), "native_name": "r", "abbreviation": format!("R{i}"), "customer": url}))
                        .send()
                        .status
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 400),
        "{statuses:?}"
    );
    let listed = s.get(
        &format!("/v1/organizations?customer={}", c["id"].as_str().unwrap()),
        &s.admin,
    );
    assert_eq!(listed["count"], 1);
}
