//! The audit trail: one row per change with actor, action, object, organization, changes
//! and the request id; the global feed (staff) and an organization's feed (its owner).

use crate::support::*;
use serde_json::{json, Value};

fn admin_id(s: &Server) -> String {
    s.get("/v1/me", &s.admin)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The one row written by request `rid` (asserting there is exactly one).
fn only_row(s: &Server, rid: &str) -> Value {
    let rows = s.activity_of_request(rid);
    assert_eq!(
        rows.len(),
        1,
        "exactly one activity row for request {rid}: {rows:#?}"
    );
    rows.into_iter().next().unwrap()
}

fn assert_row_shape(a: &Value) {
    for f in [
        "id",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "organization",
        "changes",
        "request_id",
    ] {
        assert!(a.get(f).is_some(), "activity row has {f}: {a}");
    }
    assert!(is_uuid(&a["id"]), "{a}");
    assert!(is_timestamp(&a["at"]), "{a}");
    assert!(a["changes"].is_object(), "{a}");
}

#[test]
fn user_changes_write_one_row_each_with_the_request_id() {
    let s = Server::start();
    let admin = admin_id(&s);
    let rid = "rid-user-create";
    let r = s
        .call("POST", "/v1/users")
        .auth(&s.admin)
        .header("X-Request-Id", rid)
        .json(json!({"username": "audited", "first_name": "Au"}))
        .send();
    r.ok(201);
    let uid = r["id"].as_str().unwrap().to_string();
    let a = only_row(&s, rid);
    assert_row_shape(&a);
    assert_eq!(a["actor"], admin.as_str());
    assert_eq!(a["action"], "create");
    assert_eq!(a["object_type"], "user");
    assert_eq!(a["object_id"], uid.as_str());
    assert_eq!(a["organization"], Value::Null);
    assert_eq!(a["request_id"], rid);
    assert_eq!(a["changes"]["username"], json!([null, "audited"]));
    assert_eq!(a["changes"]["first_name"], json!([null, "Au"]));
    assert!(!a["changes"].to_string().contains("password"));

    let rid = "rid-user-update";
    s.call("PATCH", &format!("/v1/users/{uid}"))
        .auth(&s.admin)
        .header("X-Request-Id", rid)
        .json(json!({"first_name": "Audrey", "company": ""}))
        .send()
        .ok(200);
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "update");
    assert_eq!(a["object_id"], uid.as_str());
    assert_eq!(
        a["changes"],
        json!({"first_name": ["Au", "Audrey"]}),
        "only changed fields, as [old, new]"
    );

    let rid = "rid-user-delete";
    assert_eq!(
        s.call("DELETE", &format!("/v1/users/{uid}"))
            .auth(&s.admin)
            .header("X-Request-Id", rid)
            .send()
            .status,
        204
    );
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "delete");
    assert_eq!(a["object_type"], "user");
    assert_eq!(a["object_id"], uid.as_str());
    assert_eq!(a["changes"]["username"], json!(["audited", null]));
}

#[test]
fn organization_changes_are_recorded_and_outlive_the_organization() {
    let s = Server::start();
    let (uid, tok) = s.create_user("org-auditor");
    let rid = "rid-org-create";
    let r = s
        .call("POST", "/v1/organizations")
        .auth(&tok)
        .header("X-Request-Id", rid)
        .json(json!({"name": "Logged"}))
        .send();
    r.ok(201);
    let oid = r["id"].as_str().unwrap().to_string();
    let rows = s.activity_of_request(rid);
    let create: Vec<_> = rows.iter().filter(|a| a["action"] == "create").collect();
    assert_eq!(create.len(), 1, "{rows:#?}");
    let c = create[0];
    assert_row_shape(c);
    assert_eq!(c["actor"], uid.as_str());
    assert_eq!(c["object_type"], "organization");
    assert_eq!(c["object_id"], oid.as_str());
    assert_eq!(c["organization"], oid.as_str());
    assert_eq!(c["changes"]["name"], json!([null, "Logged"]));
    // The owner membership is its own change in the same request.
    let added: Vec<_> = rows
        .iter()
        .filter(|a| a["action"] == "member_added")
        .collect();
    assert_eq!(added.len(), 1, "{rows:#?}");
    assert_eq!(added[0]["object_type"], "membership");
    assert_eq!(added[0]["organization"], oid.as_str());
    assert_eq!(added[0]["changes"]["role"], json!([null, "owner"]));
    assert_eq!(rows.len(), 2, "{rows:#?}");

    let rid = "rid-org-update";
    s.call("PATCH", &format!("/v1/organizations/{oid}"))
        .auth(&tok)
        .header("X-Request-Id", rid)
        .json(json!({"description": "now described", "name": "Logged"}))
        .send()
        .ok(200);
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "update");
    assert_eq!(a["organization"], oid.as_str());
    assert_eq!(a["changes"], json!({"description": ["", "now described"]}));

    let rid = "rid-org-delete";
    assert_eq!(
        s.call("DELETE", &format!("/v1/organizations/{oid}"))
            .auth(&tok)
            .header("X-Request-Id", rid)
            .send()
            .status,
        204
    );
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "delete");
    assert_eq!(a["object_type"], "organization");
    assert_eq!(a["object_id"], oid.as_str());
    assert_eq!(a["actor"], uid.as_str());
    assert_eq!(a["changes"]["name"], json!(["Logged", null]));
    // Everything about the organization is still in the global feed.
    let all = s.activity("object_type=organization");
    assert_eq!(
        all.iter()
            .filter(|a| a["object_id"] == oid.as_str())
            .count(),
        3
    );
}

#[test]
fn customer_token_and_login_changes_are_recorded() {
    let s = Server::start();
    let (uid, tok) = s.create_user("token-auditor");
    let rid = "rid-customer";
    let r = s
        .call("POST", "/v1/customers")
        .auth(&s.admin)
        .header("X-Request-Id", rid)
        .json(json!({"name": "Audited Customer"}))
        .send();
    r.ok(201);
    let a = only_row(&s, rid);
    assert_eq!(
        (a["action"].as_str(), a["object_type"].as_str()),
        (Some("create"), Some("customer"))
    );
    assert_eq!(a["object_id"], r["id"]);

    let rid = "rid-token-create";
    let t = s
        .call("POST", "/v1/tokens")
        .auth(&tok)
        .header("X-Request-Id", rid)
        .json(json!({"name": "audited"}))
        .send();
    t.ok(201);
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "token_created");
    assert_eq!(a["object_type"], "token");
    assert_eq!(a["object_id"], t["id"]);
    assert_eq!(a["actor"], uid.as_str());
    assert!(
        !a.to_string().contains(t["token"].as_str().unwrap()),
        "the secret is never recorded"
    );

    let rid = "rid-token-revoke";
    let path = format!("/v1/tokens/{}", t["id"].as_str().unwrap());
    assert_eq!(
        s.call("DELETE", &path)
            .auth(&tok)
            .header("X-Request-Id", rid)
            .send()
            .status,
        204
    );
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "token_revoked");
    assert_eq!(a["object_id"], t["id"]);

    let rid = "rid-login-failed";
    s.call("POST", "/v1/auth/login")
        .header("X-Request-Id", rid)
        .json(json!({"username": "token-auditor", "password": "wrong one"}))
        .send()
        .problem(401);
    let a = only_row(&s, rid);
    assert_eq!(a["action"], "login_failed");
    assert_eq!(a["object_type"], "user");
    assert_eq!(a["object_id"], uid.as_str());
    assert_eq!(a["actor"], Value::Null);
    assert!(
        !a.to_string().contains("wrong one"),
        "the password is never recorded"
    );
}

#[test]
fn refused_requests_and_reads_write_no_rows() {
    let s = Server::start();
    s.create_org(&s.admin, "Taken");
    let before = s.activity("").len();
    for (rid, r) in [
        (
            "rid-dup",
            s.call("POST", "/v1/organizations")
                .auth(&s.admin)
                .header("X-Request-Id", "rid-dup")
                .json(json!({"name": "taken"}))
                .send(),
        ),
        (
            "rid-bad",
            s.call("POST", "/v1/organizations")
                .auth(&s.admin)
                .header("X-Request-Id", "rid-bad")
                .json(json!({"name": ""}))
                .send(),
        ),
        (
            "rid-read",
            s.call("GET", "/v1/organizations")
                .auth(&s.admin)
                .header("X-Request-Id", "rid-read")
                .send(),
        ),
        (
            "rid-me",
            s.call("GET", "/v1/me")
                .auth(&s.admin)
                .header("X-Request-Id", "rid-me")
                .send(),
        ),
    ] {
        assert!(r.status == 200 || r.status >= 400);
        assert!(
            s.activity_of_request(rid).is_empty(),
            "{rid} wrote no activity"
        );
    }
    assert_eq!(s.activity("").len(), before);
}

#[test]
fn global_activity_is_staff_only() {
    let s = Server::start();
    let (_, tok) = s.create_user("curious");
    s.get("/v1/activity", &tok).problem(403);
    s.get("/v1/activity", "").problem(401);
    let r = s.get("/v1/activity", &s.admin);
    r.ok(200);
    for k in ["count", "next", "previous", "results"] {
        assert!(r.body.get(k).is_some(), "envelope has {k}");
    }
}

#[test]
fn global_activity_is_newest_first_and_filters() {
    let s = Server::start();
    let admin = admin_id(&s);
    let (uid, tok) = s.create_user("filtered");
    let first = s.create_org(&tok, "Filter One");
    let marker = s.activity("")[0]["at"].as_str().unwrap().to_string();
    let second = s.create_org(&tok, "Filter Two");
    s.patch(
        &format!("/v1/organizations/{first}"),
        &s.admin,
        json!({"description": "x"}),
    )
    .ok(200);

    let all = s.activity("");
    let ats: Vec<&str> = all.iter().map(|a| a["at"].as_str().unwrap()).collect();
    assert!(
        ats.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {ats:?}"
    );
    assert_eq!(all[0]["action"], "update", "the latest change comes first");
    assert_eq!(all[0]["object_id"], first.as_str());

    let updates = s.activity("action=update");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["actor"], admin.as_str());
    let creates = s.activity("action=create&object_type=organization");
    assert_eq!(
        creates
            .iter()
            .map(|a| a["object_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec![second.as_str(), first.as_str()]
    );
    let by_user = s.activity(&format!("actor={uid}"));
    assert!(!by_user.is_empty() && by_user.iter().all(|a| a["actor"] == uid.as_str()));
    assert!(by_user.iter().any(|a| a["object_id"] == second.as_str()));
    assert!(
        by_user.iter().all(|a| a["action"] != "update"),
        "the update was by staff"
    );
    let by_admin = s.activity(&format!("actor={}", admin.replace('-', "")));
    assert!(by_admin.iter().all(|a| a["actor"] == admin.as_str()) && !by_admin.is_empty());

    let since = s.activity(&format!("since={}", enc(&marker)));
    assert!(since
        .iter()
        .all(|a| a["at"].as_str().unwrap() >= marker.as_str()));
    assert!(since.iter().any(|a| a["object_id"] == second.as_str()));
    let until = s.activity(&format!("until={}", enc(&marker)));
    assert!(until
        .iter()
        .all(|a| a["at"].as_str().unwrap() < marker.as_str()));
    assert!(until.iter().all(|a| a["object_id"] != second.as_str()));
    assert_eq!(
        since.len() + until.len(),
        all.len(),
        "since and until split the feed"
    );

    s.get(
        "/v1/activity?since=yesterday&until=2020-13-45&actor=bob",
        &s.admin,
    )
    .invalid(&["actor", "since", "until"]);
}

#[test]
fn organization_activity_is_read_by_its_owner() {
    let s = Server::start();
    let (_, owner) = s.create_user("feed-owner");
    let (_, stranger) = s.create_user("feed-stranger");
    let id = s.create_org(&owner, "Feed Org");
    let other = s.create_org(&owner, "Other Feed");
    s.patch(
        &format!("/v1/organizations/{id}"),
        &owner,
        json!({"native_name": "Futter"}),
    )
    .ok(200);
    s.patch(
        &format!("/v1/organizations/{other}"),
        &owner,
        json!({"native_name": "Anders"}),
    )
    .ok(200);

    let r = s.get(&format!("/v1/organizations/{id}/activity"), &owner);
    r.ok(200);
    let rows = r.results();
    assert!(
        rows.iter().all(|a| a["organization"] == id.as_str()),
        "only this organization's rows: {rows:#?}"
    );
    let actions: Vec<&str> = rows.iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["update", "member_added", "create"],
        "newest first"
    );
    assert_eq!(r["count"], 3);
    assert_eq!(rows[0]["changes"], json!({"native_name": ["", "Futter"]}));
    // By name, filtered.
    let f = s.get(
        "/v1/organizations/Feed%20Org/activity?action=create",
        &owner,
    );
    f.ok(200);
    assert_eq!(f["count"], 1);
    s.get(&format!("/v1/organizations/{id}/activity"), &stranger)
        .problem(404);
    s.get(&format!("/v1/organizations/{id}/activity"), &s.admin)
        .ok(200);
    s.get(&format!("/v1/organizations/{id}/activity"), "")
        .problem(401);
}
