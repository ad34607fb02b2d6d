//! The ZenML Pro profile (seed 001) at `/organizations` and `/auth/login`: every endpoint
//! and rule of the seed, ZenML's error body and the objects shared with `/v1`.

use crate::support::{Server, PASSWORD};
use serde_json::{json, Value};

fn detail(r: &crate::support::Resp) -> (String, String) {
    let d = r.body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("ZenML error body: {}", r.text));
    assert_eq!(d.len(), 2, "{}", r.text);
    (
        d[0].as_str().unwrap_or("").to_string(),
        d[1].as_str().unwrap_or("").to_string(),
    )
}

fn assert_no_secrets(v: &Value) {
    let text = v.to_string();
    for k in ["password", "password_hash", "password_expired", "$argon2"] {
        assert!(!text.contains(k), "{k} in {text}");
    }
}

#[test]
fn zenml_create_defaults_owner_to_caller_and_renders_the_seed_shape() {
    let s = Server::start();
    let (uid, tok) = s.create_user("zoe");
    let r = s.post(
        "/organizations",
        &tok,
        json!({"name": "Zoe Labs", "description": "ml"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let o = &r.body;
    for k in [
        "id",
        "name",
        "description",
        "logo_url",
        "created",
        "updated",
        "owner",
    ] {
        assert!(o.get(k).is_some(), "{k} missing: {}", r.text);
    }
    assert_eq!(o["name"], "Zoe Labs");
    assert_eq!(o["owner"]["id"], uid.as_str());
    assert_eq!(o["owner"]["username"], "zoe");
    assert_eq!(o["owner"]["is_superuser"], false);
    assert_eq!(o["owner"]["is_service_account"], false);
    assert_no_secrets(o);
    // The same object through /v1, owned by the caller, audited as coming through zenml.
    let v1 = s.get(
        &format!("/v1/organizations/{}", o["id"].as_str().unwrap()),
        &tok,
    );
    assert_eq!(v1.status, 200);
    assert_eq!(v1.body["owner"], uid.as_str());
    let rows = s.activity("object_type=organization&action=create");
    let row = rows
        .iter()
        .find(|a| a["object_id"] == o["id"])
        .expect("create row");
    assert_eq!(row["surface"], "zenml");
}

#[test]
fn zenml_create_honours_a_client_id_and_refuses_a_taken_one() {
    let s = Server::start();
    let id = "123e4567-e89b-12d3-a456-426614174000";
    let r = s.post(
        "/organizations",
        &s.admin,
        json!({"id": id, "name": "Fixed"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["id"], id);
    let (_, tok) = s.create_user("yan");
    let again = s.post("/organizations", &tok, json!({"id": id, "name": "Other"}));
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(detail(&again).0, "EntityExistsError");
    let dup = s.post("/organizations", &tok, json!({"name": "fixed"}));
    assert_eq!(dup.status, 409, "{}", dup.text);
    assert_eq!(detail(&dup).0, "EntityExistsError");
}

#[test]
fn zenml_a_user_owns_at_most_one_organization() {
    let s = Server::start();
    let (_, tok) = s.create_user("una");
    assert_eq!(
        s.post("/organizations", &tok, json!({"name": "First"}))
            .status,
        201
    );
    let r = s.post("/organizations", &tok, json!({"name": "Second"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(detail(&r).0, "OrganizationLimitExceeded");
    // Nothing was written.
    let all = s.get("/v1/organizations?name=Second", &s.admin);
    assert_eq!(all.body["count"], 0);
    // The native API keeps its own rules: the same user may own more through /v1.
    assert_eq!(
        s.post("/v1/organizations", &tok, json!({"name": "Third"}))
            .status,
        201
    );
}

#[test]
fn zenml_only_staff_create_for_another_owner_and_service_accounts_never() {
    let s = Server::start();
    let (uid, tok) = s.create_user("ann");
    let (bid, _) = s.create_user("bob");
    let r = s.post(
        "/organizations",
        &tok,
        json!({"name": "For Bob", "owner_id": bid}),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(detail(&r).0, "IllegalOperationError");
    let r = s.post(
        "/organizations",
        &s.admin,
        json!({"name": "For Ann", "owner_id": uid}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["owner"]["id"], uid.as_str());
    s.new_user(json!({"username": "robot", "password": PASSWORD, "is_service_account": true}));
    let robot = s.login("robot", PASSWORD);
    let r = s.post("/organizations", &robot, json!({"name": "Robots"}));
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(detail(&r).0, "IllegalOperationError");
}

#[test]
fn zenml_list_is_a_bare_array_with_offset_limit_and_filters() {
    let s = Server::start();
    let (aid, a) = s.create_user("amy");
    let (_, b) = s.create_user("ben");
    for (tok, name) in [(&a, "Alpha"), (&b, "Beta")] {
        assert_eq!(
            s.post("/organizations", tok, json!({"name": name})).status,
            201
        );
    }
    // Staff own at most one through ZenML too: the rest come through /v1.
    for n in 0..3 {
        s.create_org(&s.admin, &format!("Staff {n}"));
    }
    let all = s.get("/organizations", &s.admin);
    assert_eq!(all.status, 200);
    assert_eq!(all.body.as_array().map(Vec::len), Some(5), "{}", all.text);
    let page = s.get("/organizations?offset=1&limit=2", &s.admin);
    let names: Vec<&str> = page
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Beta", "Staff 0"]);
    // A member sees only their own.
    let mine = s.get("/organizations", &a);
    assert_eq!(mine.body.as_array().map(Vec::len), Some(1), "{}", mine.text);
    let by_name = s.get("/organizations?name=beta", &s.admin);
    assert_eq!(by_name.body[0]["name"], "Beta");
    let by_owner = s.get(&format!("/organizations?owner_id={aid}"), &s.admin);
    assert_eq!(by_owner.body.as_array().map(Vec::len), Some(1));
    assert_eq!(by_owner.body[0]["name"], "Alpha");
    let bad = s.get("/organizations?limit=0", &s.admin);
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(detail(&bad).0, "ValidationError");
}

#[test]
fn zenml_get_by_id_or_name_patch_and_delete() {
    let s = Server::start();
    let (_, tok) = s.create_user("cat");
    let o = s
        .post("/organizations", &tok, json!({"name": "Cat Co"}))
        .body;
    let id = o["id"].as_str().unwrap().to_string();
    let by_id = s.get(&format!("/organizations/{id}"), &tok);
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["has_active_subscription"], Value::Null);
    let by_name = s.get(
        "/organizations/Cat%20Co?include_subscription_status=true",
        &tok,
    );
    assert_eq!(by_name.status, 200, "{}", by_name.text);
    assert_eq!(by_name.body["id"], id.as_str());
    assert_eq!(by_name.body["has_active_subscription"], true);
    let p = s.patch(
        &format!("/organizations/{id}"),
        &tok,
        json!({"name": "Cat Corp", "description": "meow"}),
    );
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["name"], "Cat Corp");
    assert_eq!(p.body["description"], "meow");
    let d = s.delete(&format!("/organizations/{id}"), &tok);
    assert_eq!(d.status, 204);
    let gone = s.get(&format!("/organizations/{id}"), &tok);
    assert_eq!(gone.status, 404);
    assert_eq!(detail(&gone).0, "KeyError");
}

#[test]
fn zenml_errors_name_the_classes_its_client_maps() {
    let s = Server::start();
    let r = s.get(
        "/organizations",
        "org_not_a_real_token_at_all_00000000000000000",
    );
    assert_eq!(r.status, 401);
    assert_eq!(detail(&r).0, "CredentialsNotValid");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let anon = s.get("/organizations", "");
    assert_eq!(anon.status, 401);
    assert_eq!(detail(&anon).0, "CredentialsNotValid");
    let (_, tok) = s.create_user("dan");
    let other = s
        .post("/organizations", &s.admin, json!({"name": "Not Dans"}))
        .body;
    // Another tenant's organization: invisible, 404, and unchanged by a PATCH attempt.
    let id = other["id"].as_str().unwrap();
    let r = s.patch(
        &format!("/organizations/{id}"),
        &tok,
        json!({"name": "Mine"}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(detail(&r).0, "KeyError");
    assert_eq!(
        s.get(&format!("/organizations/{id}"), &s.admin).body["name"],
        "Not Dans"
    );
    let bad = s
        .call("POST", "/organizations")
        .auth(&tok)
        .header("content-type", "application/json")
        .bytes(b"{not json".to_vec())
        .send();
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(detail(&bad).0, "ValueError");
    let missing = s.post("/organizations", &tok, json!({"description": "no name"}));
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert!(detail(&missing).1.contains("name"), "{}", missing.text);
}

#[test]
fn zenml_api_key_login_answers_a_bearer_token() {
    let s = Server::start();
    let (_, tok) = s.create_user("eve");
    let r = s
        .call("POST", "/auth/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .bytes(format!("password={tok}").into_bytes())
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "bearer");
    let access = r.body["access_token"].as_str().unwrap().to_string();
    assert_ne!(access, tok);
    assert_eq!(s.get("/organizations", &access).status, 200);
    let bad = s
        .call("POST", "/auth/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .bytes(b"password=org_wrong".to_vec())
        .send();
    assert_eq!(bad.status, 401);
    assert_eq!(detail(&bad).0, "CredentialsNotValid");
}
