//! `/v1/customers`: staff manage them; a customer's owners read their own and see the
//! customer's organizations.

use crate::support::*;
use serde_json::{json, Value};

fn path(c: &Value) -> String {
    format!("/v1/customers/{}", c["id"].as_str().unwrap())
}

#[test]
fn customers_create_returns_every_field() {
    let s = Server::start();
    let (uid, _) = s.create_user("payer");
    let r = s.post(
        "/v1/customers",
        &s.admin,
        json!({"name": "Acme Billing", "abbreviation": "AB", "owners": [uid]}),
    );
    r.ok(201);
    for f in [
        "id",
        "name",
        "abbreviation",
        "owners",
        "created",
        "modified",
    ] {
        assert!(r.body.get(f).is_some(), "customer has {f}: {}", r.text);
    }
    assert!(is_uuid(&r["id"]));
    assert!(is_timestamp(&r["created"]) && is_timestamp(&r["modified"]));
    assert_eq!(r["name"], "Acme Billing");
    assert_eq!(r["abbreviation"], "AB");
    assert_eq!(r["owners"], json!([uid]));
    assert_eq!(r.header("location"), Some(path(&r.body).as_str()));
    assert!(r.header("etag").is_some_and(|e| e.starts_with("W/\"")));
    let g = s.get(&path(&r.body), &s.admin);
    g.ok(200);
    assert_eq!(g.body, r.body);
}

#[test]
fn customers_are_managed_by_staff_only() {
    let s = Server::start();
    let (uid, tok) = s.create_user("not-staff");
    s.post("/v1/customers", &tok, json!({"name": "Mine"}))
        .problem(403);
    s.post("/v1/customers", "", json!({"name": "Anon"}))
        .problem(401);
    assert_eq!(s.get("/v1/customers", &s.admin)["count"], 0);
    // Even an owner of the customer may not change or delete it.
    let c = s.create_customer(json!({"name": "Owned", "owners": [uid]}));
    s.patch(&path(&c), &tok, json!({"name": "Renamed"}))
        .problem(403);
    s.delete(&path(&c), &tok).problem(403);
    assert_eq!(s.get(&path(&c), &s.admin)["name"], "Owned");
}

#[test]
fn customers_validation_names_every_bad_field() {
    let s = Server::start();
    let r = s.post(
        "/v1/customers",
        &s.admin,
        json!({"abbreviation": 7, "owners": ["nope"], "vat": "x", "created": "2020-01-01"}),
    );
    r.invalid(&["abbreviation", "created", "name", "owners", "vat"]);
    let r = s.post(
        "/v1/customers",
        &s.admin,
        json!({"name": "Ghost owners", "owners": ["0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f"]}),
    );
    r.invalid(&["owners"]);
    s.post(
        "/v1/customers",
        &s.admin,
        json!({"name": "", "owners": "x"}),
    )
    .invalid(&["name", "owners"]);
    assert_eq!(s.get("/v1/customers", &s.admin)["count"], 0);
}

#[test]
fn customer_owner_sees_own_customer_only() {
    let s = Server::start();
    let (uid, tok) = s.create_user("cust-owner");
    let (_, other) = s.create_user("cust-stranger");
    let mine = s.create_customer(json!({"name": "Mine", "owners": [uid]}));
    let theirs = s.create_customer(json!({"name": "Theirs"}));
    let r = s.get(&path(&mine), &tok);
    r.ok(200);
    assert_eq!(r["name"], "Mine");
    s.get(&path(&theirs), &tok).problem(404);
    let list = s.get("/v1/customers", &tok);
    list.ok(200);
    assert_eq!(list.result_strs("name"), vec!["Mine"]);
    s.get(&path(&mine), &other).problem(404);
    assert_eq!(s.get("/v1/customers", &other)["count"], 0);
    assert_eq!(s.get("/v1/customers", &s.admin)["count"], 2);
}

#[test]
fn customer_owner_sees_the_customers_organizations() {
    let s = Server::start();
    let (uid, tok) = s.create_user("cust-viewer");
    let (_, stranger) = s.create_user("outsider");
    let c = s.create_customer(json!({"name": "Parent", "owners": [uid]}));
    let org = s.create_org_with(&s.admin, json!({"name": "Child Org", "customer": c["id"]}));
    assert_eq!(org["customer"], c["id"]);
    let oid = org["id"].as_str().unwrap();
    let r = s.get(&format!("/v1/organizations/{oid}"), &tok);
    r.ok(200);
    assert_eq!(r["name"], "Child Org");
    let list = s.get("/v1/organizations", &tok);
    assert_eq!(list.result_strs("name"), vec!["Child Org"]);
    let filtered = s.get(
        &format!("/v1/organizations?customer={}", c["id"].as_str().unwrap()),
        &s.admin,
    );
    assert_eq!(filtered.result_strs("name"), vec!["Child Org"]);
    s.get(&format!("/v1/organizations/{oid}"), &stranger)
        .problem(404);
    // Its activity is readable by the customer owner.
    s.get(&format!("/v1/organizations/{oid}/activity"), &tok)
        .ok(200);
}

#[test]
fn customers_patch_put_and_etags() {
    let s = Server::start();
    let (uid, _) = s.create_user("cust-owner-2");
    let c = s.create_customer(json!({"name": "Versioned", "abbreviation": "V", "owners": [uid]}));
    let p = path(&c);
    let etag = s.get(&p, &s.admin).header("etag").unwrap().to_string();
    assert_eq!(
        s.call("GET", &p)
            .auth(&s.admin)
            .header("If-None-Match", &etag)
            .send()
            .status,
        304
    );
    s.call("PATCH", &p)
        .auth(&s.admin)
        .header("If-Match", "W/\"77\"")
        .json(json!({"name": "No"}))
        .send()
        .problem(412);
    let r = s
        .call("PATCH", &p)
        .auth(&s.admin)
        .header("If-Match", &etag)
        .json(json!({"name": "Renamed"}))
        .send();
    r.ok(200);
    assert_eq!(r["name"], "Renamed");
    assert_eq!(r["abbreviation"], "V");
    assert_eq!(r["owners"], json!([uid]));
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    // PUT resets what it omits.
    let r = s.put(&p, &s.admin, json!({"name": "Reset"}));
    r.ok(200);
    assert_eq!(r["abbreviation"], "");
    assert_eq!(r["owners"], json!([]));
    assert_eq!(s.get(&p, &s.admin).body, r.body);
    s.put(&p, &s.admin, json!({"abbreviation": "X"}))
        .invalid(&["name"]);
}

#[test]
fn customers_delete_and_refuse_with_organizations() {
    let s = Server::start();
    let c = s.create_customer(json!({"name": "Has Orgs"}));
    let org = s.create_org_with(&s.admin, json!({"name": "Attached", "customer": c["id"]}));
    s.delete(&path(&c), &s.admin).problem(409);
    s.get(&path(&c), &s.admin).ok(200);
    assert_eq!(
        s.delete(
            &format!("/v1/organizations/{}", org["id"].as_str().unwrap()),
            &s.admin
        )
        .status,
        204
    );
    assert_eq!(s.delete(&path(&c), &s.admin).status, 204);
    s.get(&path(&c), &s.admin).problem(404);
    s.delete(&path(&c), &s.admin).problem(404);
}

#[test]
fn customers_list_filters_search_and_order() {
    let s = Server::start();
    for (n, a) in [
        ("Zulu Ltd", "ZU"),
        ("Alpha GmbH", "AL"),
        ("Mike & Co", "MI"),
    ] {
        s.create_customer(json!({"name": n, "abbreviation": a}));
    }
    let names = |q: &str| {
        let r = s.get(&format!("/v1/customers?{q}"), &s.admin);
        r.ok(200);
        r.result_strs("name")
    };
    assert_eq!(
        names("order_by=name"),
        vec!["Alpha GmbH", "Mike & Co", "Zulu Ltd"]
    );
    assert_eq!(
        names("order_by=-name"),
        vec!["Zulu Ltd", "Mike & Co", "Alpha GmbH"]
    );
    assert_eq!(
        names("order_by=created"),
        vec!["Zulu Ltd", "Alpha GmbH", "Mike & Co"]
    );
    let asc = s.get("/v1/customers?order_by=created", &s.admin).results();
    assert_eq!(
        names("order_by=-created"),
        expected_desc(&asc, "created", "name")
    );
    assert_eq!(names("name=zulu+ltd"), vec!["Zulu Ltd"]);
    assert_eq!(names("search=GMBH"), vec!["Alpha GmbH"]);
    s.get("/v1/customers?order_by=owners", &s.admin)
        .invalid(&["order_by"]);
}
