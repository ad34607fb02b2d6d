//! `/v1/organizations`: fields, validation, uniqueness, lists, lookup by name, ETags,
//! PATCH/PUT/DELETE, visibility, creation rules (--org-create, --max-owned-orgs, owner).

use crate::support::*;
use serde_json::{json, Value};

const ORG_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "native_name",
    "abbreviation",
    "logo_url",
    "currency_code",
    "customer",
    "owner",
    "metadata",
    "member_count",
    "created",
    "modified",
    "created_by",
    "modified_by",
];

fn opath(id: &str) -> String {
    format!("/v1/organizations/{id}")
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {v}"))
        .to_string()
}

fn my_memberships(s: &Server, tok: &str) -> Vec<Value> {
    let r = s.get("/v1/me", tok);
    r.ok(200);
    r["memberships"].as_array().cloned().unwrap_or_default()
}

#[test]
fn orgs_create_returns_every_field_and_makes_the_creator_owner() {
    let s = Server::start();
    let (uid, tok) = s.create_user("founder");
    let r = s.post("/v1/organizations", &tok, json!({"name": "Acme"}));
    r.ok(201);
    for f in ORG_FIELDS {
        assert!(r.body.get(*f).is_some(), "organization has {f}: {}", r.text);
    }
    let id = id_of(&r.body);
    assert!(is_uuid(&r["id"]));
    assert_eq!(r["name"], "Acme");
    assert_eq!(r["description"], "");
    assert_eq!(r["native_name"], "");
    assert_eq!(r["abbreviation"], Value::Null);
    assert_eq!(r["logo_url"], Value::Null);
    assert_eq!(r["currency_code"], Value::Null);
    assert_eq!(r["customer"], Value::Null);
    assert_eq!(r["owner"], uid.as_str());
    assert_eq!(r["metadata"], json!({}));
    assert_eq!(r["member_count"], 1);
    assert_eq!(r["created_by"], uid.as_str());
    assert_eq!(r["modified_by"], uid.as_str());
    assert!(is_timestamp(&r["created"]) && is_timestamp(&r["modified"]));
    assert_eq!(r.header("location"), Some(opath(&id).as_str()));
    assert!(r.header("etag").is_some_and(|e| e.starts_with("W/\"")));

    let g = s.get(&opath(&id), &tok);
    g.ok(200);
    assert_eq!(g.body, r.body);
    let ms = my_memberships(&s, &tok);
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["organization"], id.as_str());
    assert_eq!(ms[0]["role"], "owner");
    assert_eq!(ms[0]["status"], "approved");
}

#[test]
fn orgs_create_with_every_optional_field() {
    let s = Server::start();
    let body = json!({
        "name": "Full", "description": "All fields", "native_name": "Voll", "abbreviation": "FUL",
        "logo_url": "https://example.org/logo.svg", "currency_code": "EUR", "metadata": {"tier": "gold", "n": [1, 2]},
    });
    let r = s.post("/v1/organizations", &s.admin, body.clone());
    r.ok(201);
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&r[k.as_str()], v, "{k}");
    }
    assert_eq!(s.get(&opath(&id_of(&r.body)), &s.admin).body, r.body);
}

#[test]
fn orgs_create_validation_names_every_bad_field() {
    let s = Server::start();
    let r = s.post(
        "/v1/organizations",
        &s.admin,
        json!({
            "name": "", "currency_code": "usd", "logo_url": "ftp://example.org/x.png", "metadata": "not an object",
            "abbreviation": "   ", "customer": "not-a-uuid", "owner": 5, "description": 3, "native_name": null,
            "colour": "red", "id": "0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f", "member_count": 3,
        }),
    );
    r.invalid(&[
        "abbreviation",
        "colour",
        "currency_code",
        "customer",
        "description",
        "id",
        "logo_url",
        "member_count",
        "metadata",
        "name",
        "native_name",
        "owner",
    ]);
    s.post("/v1/organizations", &s.admin, json!({}))
        .invalid(&["name"]);
    s.post("/v1/organizations", &s.admin, json!({"name": "  "}))
        .invalid(&["name"]);
    for cc in ["US", "EURO", "eur", "12A"] {
        s.post(
            "/v1/organizations",
            &s.admin,
            json!({"name": format!("cc {cc}"), "currency_code": cc}),
        )
        .invalid(&["currency_code"]);
    }
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 0);
}

#[test]
fn orgs_name_length_counts_characters() {
    let s = Server::start();
    let ok = "é".repeat(512);
    let r = s.post("/v1/organizations", &s.admin, json!({"name": ok}));
    r.ok(201);
    assert_eq!(r["name"], ok.as_str());
    let long = "x".repeat(513);
    s.post("/v1/organizations", &s.admin, json!({"name": long}))
        .invalid(&["name"]);
}

#[test]
fn orgs_metadata_is_limited_to_16_kib() {
    let s = Server::start();
    let big = json!({"blob": "m".repeat(17 * 1024)});
    s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Heavy", "metadata": big}),
    )
    .invalid(&["metadata"]);
    let fits = json!({"blob": "m".repeat(15 * 1024)});
    s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Light", "metadata": fits}),
    )
    .ok(201);
}

#[test]
fn orgs_duplicate_name_case_insensitive_is_409() {
    let s = Server::start();
    s.create_org(&s.admin, "Globex");
    for dup in ["globex", "GLOBEX", "Globex"] {
        let r = s.post("/v1/organizations", &s.admin, json!({"name": dup}));
        r.problem(409);
        assert_eq!(r.error_fields(), vec!["name"], "{}", r.text);
    }
    s.create_org(&s.admin, "Ärzte");
    let r = s.post("/v1/organizations", &s.admin, json!({"name": "ärzte"}));
    r.problem(409);
    assert_eq!(r.error_fields(), vec!["name"]);
    s.post("/v1/organizations", &s.admin, json!({"name": "ÄRZTE"}))
        .problem(409);
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 2);
    // Renaming into a taken name is a conflict too, and changes nothing.
    let other = s.create_org(&s.admin, "Initech");
    s.patch(&opath(&other), &s.admin, json!({"name": "GLOBEX"}))
        .problem(409);
    assert_eq!(s.get(&opath(&other), &s.admin)["name"], "Initech");
}

#[test]
fn orgs_duplicate_abbreviation_is_409_but_null_is_not() {
    let s = Server::start();
    s.create_org_with(&s.admin, json!({"name": "One", "abbreviation": "ABC"}));
    let r = s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Two", "abbreviation": "abc"}),
    );
    r.problem(409);
    assert_eq!(r.error_fields(), vec!["abbreviation"]);
    s.create_org_with(&s.admin, json!({"name": "Three", "abbreviation": null}));
    s.create_org_with(&s.admin, json!({"name": "Four"}));
}

#[test]
fn orgs_list_filters() {
    let s = Server::start();
    let (uid, tok) = s.create_user("filter-owner");
    s.create_org_with(
        &s.admin,
        json!({"name": "Red", "native_name": "Rot", "abbreviation": "RD", "currency_code": "EUR"}),
    );
    s.create_org_with(&s.admin, json!({"name": "Blue", "currency_code": "USD"}));
    s.create_org_with(&tok, json!({"name": "Green", "currency_code": "EUR"}));
    let names = |q: &str| {
        let r = s.get(&format!("/v1/organizations?{q}"), &s.admin);
        r.ok(200);
        let mut v = r.result_strs("name");
        v.sort();
        assert_eq!(r["count"].as_u64().unwrap() as usize, v.len());
        v
    };
    assert_eq!(names("name=red"), vec!["Red"]);
    assert_eq!(names("native_name=ROT"), vec!["Red"]);
    assert_eq!(names("abbreviation=rd"), vec!["Red"]);
    assert_eq!(names("currency_code=EUR"), vec!["Green", "Red"]);
    assert_eq!(names(&format!("owner={uid}")), vec!["Green"]);
    assert_eq!(
        names(&format!("owner={}", uid.replace('-', ""))),
        vec!["Green"]
    );
    assert_eq!(names("currency_code=EUR&name=green"), vec!["Green"]);
    assert!(
        names("name=Re").is_empty(),
        "filters are exact, not substring"
    );
    assert_eq!(
        names("flavour=mint").len(),
        3,
        "unknown parameters are ignored"
    );
    s.get("/v1/organizations?owner=someone&customer=x", &s.admin)
        .invalid(&["customer", "owner"]);
}

#[test]
fn orgs_search_is_unicode_case_insensitive_and_literal() {
    let s = Server::start();
    s.create_org_with(&s.admin, json!({"name": "Ärzte ohne Grenzen"}));
    s.create_org_with(&s.admin, json!({"name": "Plain", "description": "50% off"}));
    s.create_org_with(&s.admin, json!({"name": "Fifty", "description": "500 off"}));
    s.create_org_with(&s.admin, json!({"name": "snake_case"}));
    s.create_org_with(
        &s.admin,
        json!({"name": "snakeXcase", "native_name": "Schlange"}),
    );
    s.create_org_with(&s.admin, json!({"name": "Abbrev", "abbreviation": "QQZ"}));
    let names = |q: &str| {
        let r = s.get(&format!("/v1/organizations?search={q}"), &s.admin);
        r.ok(200);
        let mut v = r.result_strs("name");
        v.sort();
        v
    };
    assert_eq!(names(&enc("ÄRZTE")), vec!["Ärzte ohne Grenzen"]);
    assert_eq!(names(&enc("ärzte")), vec!["Ärzte ohne Grenzen"]);
    assert_eq!(
        names("ohne+grenzen"),
        vec!["Ärzte ohne Grenzen"],
        "+ is a space"
    );
    assert_eq!(names(&enc("0%")), vec!["Plain"], "% is literal");
    assert_eq!(names(&enc("e_c")), vec!["snake_case"], "_ is literal");
    assert_eq!(
        names("SCHLANGE"),
        vec!["snakeXcase"],
        "native_name is searched"
    );
    assert_eq!(names("qqz"), vec!["Abbrev"], "abbreviation is searched");
    assert_eq!(names("500"), vec!["Fifty"], "description is searched");
    // Search combines with filters.
    assert!(names(&format!("{}&name=Plain", enc("ärzte"))).is_empty());
}

#[test]
fn orgs_order_by_fields_directions_and_ties() {
    let s = Server::start();
    for (n, nn) in [
        ("Charlie", "x"),
        ("alpha", "x"),
        ("Bravo", "y"),
        ("delta", "y"),
    ] {
        s.create_org_with(&s.admin, json!({"name": n, "native_name": nn}));
    }
    let order = |q: &str| {
        let r = s.get(&format!("/v1/organizations?order_by={q}"), &s.admin);
        r.ok(200);
        r.result_strs("name")
    };
    assert_eq!(order("name"), vec!["alpha", "Bravo", "Charlie", "delta"]);
    assert_eq!(order("-name"), vec!["delta", "Charlie", "Bravo", "alpha"]);
    assert_eq!(order("created"), vec!["Charlie", "alpha", "Bravo", "delta"]);
    // Descending; same-millisecond ties stay in creation order.
    let asc = s
        .get("/v1/organizations?order_by=created", &s.admin)
        .results();
    let mut want: Vec<(String, usize, String)> = asc
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                o["created"].as_str().unwrap().to_string(),
                i,
                o["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(
        order("-created"),
        want.into_iter().map(|(_, _, n)| n).collect::<Vec<_>>()
    );
    // Ties broken by creation order ascending, whatever the direction.
    assert_eq!(
        order("native_name"),
        vec!["Charlie", "alpha", "Bravo", "delta"]
    );
    assert_eq!(
        order("-native_name"),
        vec!["Bravo", "delta", "Charlie", "alpha"]
    );
    assert_eq!(
        order("native_name,-name"),
        vec!["Charlie", "alpha", "delta", "Bravo"]
    );
    s.get("/v1/organizations?order_by=member_count", &s.admin)
        .invalid(&["order_by"]);
    s.get("/v1/organizations?order_by=-owner", &s.admin)
        .invalid(&["order_by"]);
}

#[test]
fn orgs_page_envelope_and_past_the_end() {
    let s = Server::start();
    for i in 0..3 {
        s.create_org(&s.admin, &format!("Paged {i}"));
    }
    let r = s.get(
        "/v1/organizations?page_size=2&order_by=-name&search=paged",
        &s.admin,
    );
    r.ok(200);
    assert_eq!(r["count"], 3);
    assert_eq!(r.result_strs("name"), vec!["Paged 2", "Paged 1"]);
    assert_eq!(r["previous"], Value::Null);
    let next = r["next"].as_str().unwrap();
    assert!(next.starts_with("/v1/organizations?"), "{next}");
    for p in ["page_size=2", "order_by=-name", "search=paged", "page=2"] {
        assert!(next.split(['?', '&']).any(|x| x == p), "{next} keeps {p}");
    }
    let r2 = s.get(next, &s.admin);
    assert_eq!(r2.result_strs("name"), vec!["Paged 0"]);
    assert_eq!(r2["next"], Value::Null);
    assert!(r2["previous"].as_str().unwrap().contains("page=1"));
    s.get(
        "/v1/organizations?page_size=2&search=paged&page=3",
        &s.admin,
    )
    .problem(404);
    // Page 1 of an empty list is fine.
    let e = s.get("/v1/organizations?search=nothing-matches", &s.admin);
    e.ok(200);
    assert_eq!(e["count"], 0);
    assert_eq!(e.results().len(), 0);
}

#[test]
fn orgs_lookup_by_unique_name_url_encoded() {
    let s = Server::start();
    let id = s.create_org(&s.admin, "Acme Corp");
    for key in ["Acme%20Corp", "acme%20corp", "ACME%20CORP"] {
        let r = s.get(&format!("/v1/organizations/{key}"), &s.admin);
        r.ok(200);
        assert_eq!(r["id"], id.as_str(), "{key}");
    }
    let u = s.create_org(&s.admin, "Zürich AG");
    let r = s.get(&format!("/v1/organizations/{}", enc("Zürich AG")), &s.admin);
    r.ok(200);
    assert_eq!(r["id"], u.as_str());
    // The 32-hex form of the id.
    let r = s.get(&opath(&id.replace('-', "")), &s.admin);
    r.ok(200);
    assert_eq!(r["id"], id.as_str());
    s.get("/v1/organizations/No%20Such%20Org", &s.admin)
        .problem(404);
    // Reserved characters in a name: an encoded slash, and `+` (which is not a space in a path).
    let slash = s.create_org(&s.admin, "A/B Partners");
    let r = s.get("/v1/organizations/A%2FB%20Partners", &s.admin);
    r.ok(200);
    assert_eq!(r["id"], slash.as_str());
    let plus = s.create_org(&s.admin, "C++ Guild");
    for key in ["C%2B%2B%20Guild", "C++%20Guild"] {
        let r = s.get(&format!("/v1/organizations/{key}"), &s.admin);
        r.ok(200);
        assert_eq!(r["id"], plus.as_str(), "{key}");
    }
    // Writes by name work too.
    let r = s.patch(
        "/v1/organizations/Acme%20Corp",
        &s.admin,
        json!({"description": "by name"}),
    );
    r.ok(200);
    assert_eq!(s.get(&opath(&id), &s.admin)["description"], "by name");
}

#[test]
fn orgs_etag_if_none_match_and_if_match() {
    let s = Server::start();
    let id = s.create_org(&s.admin, "Tagged");
    let p = opath(&id);
    let etag = s.get(&p, &s.admin).header("etag").unwrap().to_string();
    let r = s
        .call("GET", &p)
        .auth(&s.admin)
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(r.status, 304);
    assert_eq!(r.text, "");
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    s.call("GET", &p)
        .auth(&s.admin)
        .header("If-None-Match", "W/\"0.0\"")
        .send()
        .ok(200);

    let r = s
        .call("PATCH", &p)
        .auth(&s.admin)
        .header("If-Match", "W/\"0.0\"")
        .json(json!({"description": "no"}))
        .send();
    r.problem(412);
    let r = s
        .call("PUT", &p)
        .auth(&s.admin)
        .header("If-Match", "W/\"0.0\"")
        .json(json!({"name": "Nope"}))
        .send();
    r.problem(412);
    let g = s.get(&p, &s.admin);
    assert_eq!(g["description"], "");
    assert_eq!(g["name"], "Tagged");

    let r = s
        .call("PATCH", &p)
        .auth(&s.admin)
        .header("If-Match", &etag)
        .json(json!({"description": "yes"}))
        .send();
    r.ok(200);
    let new = r.header("etag").unwrap().to_string();
    assert_ne!(new, etag);
    assert_eq!(s.get(&p, &s.admin).header("etag"), Some(new.as_str()));
    s.call("DELETE", &p)
        .auth(&s.admin)
        .header("If-Match", &etag)
        .send()
        .problem(412);
    s.get(&p, &s.admin).ok(200);
    assert_eq!(
        s.call("DELETE", &p)
            .auth(&s.admin)
            .header("If-Match", &new)
            .send()
            .status,
        204
    );
}

#[test]
fn orgs_patch_changes_only_given_fields() {
    let s = Server::start();
    let (uid, tok) = s.create_user("patcher");
    let o = s.create_org_with(
        &tok,
        json!({"name": "Patchable", "description": "d", "native_name": "n", "abbreviation": "PA", "currency_code": "GBP",
               "metadata": {"keep": true}}),
    );
    let r = s.patch(
        &opath(&id_of(&o)),
        &tok,
        json!({"description": "new d", "currency_code": null}),
    );
    r.ok(200);
    assert_eq!(r["description"], "new d");
    assert_eq!(r["currency_code"], Value::Null);
    for f in [
        "name",
        "native_name",
        "abbreviation",
        "metadata",
        "owner",
        "created",
        "created_by",
        "member_count",
    ] {
        assert_eq!(r[f], o[f], "{f} unchanged");
    }
    assert_eq!(r["modified_by"], uid.as_str());
    assert!(r["modified"].as_str().unwrap() >= o["modified"].as_str().unwrap());
    assert_eq!(s.get(&opath(&id_of(&o)), &tok).body, r.body);
    s.patch(
        &opath(&id_of(&o)),
        &tok,
        json!({"member_count": 5, "logo_url": "nope"}),
    )
    .invalid(&["logo_url", "member_count"]);
}

#[test]
fn orgs_staff_patch_records_modified_by() {
    let s = Server::start();
    let (uid, tok) = s.create_user("creator");
    let o = s.create_org_with(&tok, json!({"name": "Audited"}));
    let admin_id = s.get("/v1/me", &s.admin)["id"].clone();
    let r = s.patch(
        &opath(&id_of(&o)),
        &s.admin,
        json!({"description": "staff edit"}),
    );
    r.ok(200);
    assert_eq!(r["modified_by"], admin_id);
    assert_eq!(r["created_by"], uid.as_str());
}

#[test]
fn orgs_put_resets_omitted_optional_fields() {
    let s = Server::start();
    let o = s.create_org_with(
        &s.admin,
        json!({"name": "Full", "description": "d", "native_name": "n", "abbreviation": "FU", "logo_url": "https://e.org/l.png",
               "currency_code": "JPY", "metadata": {"a": 1}, "accepts_join_requests": false}),
    );
    let p = opath(&id_of(&o));
    let r = s.put(&p, &s.admin, json!({"name": "Reset"}));
    r.ok(200);
    assert_eq!(r["name"], "Reset");
    assert_eq!(r["description"], "");
    assert_eq!(r["native_name"], "");
    assert_eq!(r["abbreviation"], Value::Null);
    assert_eq!(r["logo_url"], Value::Null);
    assert_eq!(r["currency_code"], Value::Null);
    assert_eq!(r["metadata"], json!({}));
    assert_eq!(r["owner"], o["owner"], "the owner is kept");
    assert_eq!(r["accepts_join_requests"], true, "back to its default");
    assert!(
        r.header("etag").is_some_and(|e| e.starts_with("W/\"")),
        "PUT answers with an ETag"
    );
    assert_eq!(s.get(&p, &s.admin).body, r.body);
    s.put(&p, &s.admin, json!({"description": "no name"}))
        .invalid(&["name"]);
}

#[test]
fn orgs_delete_cascades_and_then_404() {
    let s = Server::start();
    let (_, tok) = s.create_user("deleter");
    let id = s.create_org(&tok, "Doomed Inc");
    assert_eq!(my_memberships(&s, &tok).len(), 1);
    let r = s.delete(&opath(&id), &tok);
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    s.get(&opath(&id), &tok).problem(404);
    s.get(&opath(&id), &s.admin).problem(404);
    s.get("/v1/organizations/Doomed%20Inc", &s.admin)
        .problem(404);
    s.delete(&opath(&id), &tok).problem(404);
    assert_eq!(s.get("/v1/organizations", &tok)["count"], 0);
    assert!(
        my_memberships(&s, &tok).is_empty(),
        "the membership went with the organization"
    );
    // The name is free again.
    s.create_org(&tok, "doomed inc");
}

#[test]
fn orgs_are_invisible_to_non_members() {
    let s = Server::start();
    let (_, owner) = s.create_user("insider");
    let (_, outsider) = s.create_user("outsider");
    let id = s.create_org(&owner, "Private Co");
    s.create_org(&outsider, "Outsider Co");
    s.get(&opath(&id), &outsider).problem(404);
    s.get("/v1/organizations/Private%20Co", &outsider)
        .problem(404);
    s.patch(&opath(&id), &outsider, json!({"description": "x"}))
        .problem(404);
    s.put(&opath(&id), &outsider, json!({"name": "x"}))
        .problem(404);
    s.delete(&opath(&id), &outsider).problem(404);
    s.get(&format!("{}/summary", opath(&id)), &outsider)
        .problem(404);
    s.get(&format!("{}/activity", opath(&id)), &outsider)
        .problem(404);
    let list = s.get("/v1/organizations", &outsider);
    list.ok(200);
    assert_eq!(list.result_strs("name"), vec!["Outsider Co"]);
    assert_eq!(list["count"], 1);
    // Still there and unchanged for its owner; staff see everything.
    let g = s.get(&opath(&id), &owner);
    g.ok(200);
    assert_eq!(g["description"], "");
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 2);
    // Anonymous callers get 401.
    s.get("/v1/organizations", "").problem(401);
    s.get(&opath(&id), "").problem(401);
    s.post("/v1/organizations", "", json!({"name": "Anon"}))
        .problem(401);
}

#[test]
fn org_create_staff_rule_forbids_non_staff() {
    let s = Server::with(|c| c.org_create = orgreg::config::OrgCreate::Staff);
    let (_, tok) = s.create_user("wannabe");
    s.post("/v1/organizations", &tok, json!({"name": "Mine"}))
        .problem(403);
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 0);
    s.create_org(&s.admin, "Staff Made");
}

#[test]
fn service_accounts_cannot_create_orgs() {
    let s = Server::start();
    s.new_user(json!({"username": "robot", "password": PASSWORD, "is_service_account": true}));
    let tok = s.login("robot", PASSWORD);
    s.post("/v1/organizations", &tok, json!({"name": "Robo Org"}))
        .problem(403);
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 0);
}

#[test]
fn max_owned_orgs_limit_is_409() {
    let s = Server::with(|c| c.max_owned_orgs = Some(1));
    let (uid, tok) = s.create_user("limited");
    let first = s.create_org(&tok, "First");
    let r = s.post("/v1/organizations", &tok, json!({"name": "Second"}));
    r.problem(409);
    // Staff cannot push them over the limit either.
    s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Gift", "owner": uid}),
    )
    .problem(409);
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 1);
    // Others are counted separately.
    let (_, other) = s.create_user("other");
    s.create_org(&other, "Other's");
    // Deleting frees the slot.
    assert_eq!(s.delete(&opath(&first), &tok).status, 204);
    s.create_org(&tok, "Second");
}

#[test]
fn only_staff_may_name_another_owner() {
    let s = Server::start();
    let (a_id, a) = s.create_user("owner-a");
    let (b_id, b) = s.create_user("owner-b");
    let r = s.post(
        "/v1/organizations",
        &a,
        json!({"name": "For B", "owner": b_id}),
    );
    r.problem(403);
    assert!(my_memberships(&s, &b).is_empty());
    // Naming oneself is fine.
    let r = s.post(
        "/v1/organizations",
        &a,
        json!({"name": "For A", "owner": a_id}),
    );
    r.ok(201);
    assert_eq!(r["owner"], a_id.as_str());
    // Staff may.
    let r = s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Staff for B", "owner": b_id}),
    );
    r.ok(201);
    assert_eq!(r["owner"], b_id.as_str());
    assert_eq!(r["member_count"], 1, "the owner is the only member");
    let admin_id = s.get("/v1/me", &s.admin)["id"].clone();
    assert_eq!(r["created_by"], admin_id);
    let ms = my_memberships(&s, &b);
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["organization"], r["id"]);
    assert_eq!(ms[0]["role"], "owner");
    assert_eq!(ms[0]["status"], "approved");
    assert!(
        my_memberships(&s, &s.admin).is_empty(),
        "staff did not become a member"
    );
    s.get(&opath(&id_of(&r.body)), &b).ok(200);
    // An unknown owner is a bad field.
    s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Nobody's", "owner": "0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f"}),
    )
    .invalid(&["owner"]);
}

#[test]
fn orgs_customer_must_exist_and_be_usable() {
    let s = Server::start();
    let (_, tok) = s.create_user("no-customer");
    let c = s.create_customer(json!({"name": "Not yours"}));
    s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "Ghost", "customer": "0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f"}),
    )
    .invalid(&["customer"]);
    s.post(
        "/v1/organizations",
        &tok,
        json!({"name": "Borrowed", "customer": c["id"]}),
    )
    .invalid(&["customer"]);
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 0);
}

#[test]
fn orgs_summary_for_the_owner() {
    let s = Server::start();
    let (_, tok) = s.create_user("summarizer");
    let id = s.create_org(&tok, "Summed");
    let r = s.get(&format!("{}/summary", opath(&id)), &tok);
    r.ok(200);
    assert_eq!(r["organization"], id.as_str());
    assert_eq!(r["members"]["total"], 1);
    assert_eq!(r["members"]["active"], 1);
    assert_eq!(r["members"]["by_role"]["owner"], 1);
    assert_eq!(r["members"]["by_status"]["approved"], 1);
    assert_eq!(r["pending_requests"], 0);
    assert_eq!(r["open_invitations"], 0);
    assert!(is_timestamp(&r["last_activity"]), "{}", r.text);
}

#[test]
fn owner_transfer_keeps_both_as_owners() {
    let s = Server::start();
    let (a_id, a) = s.create_user("giver");
    let (b_id, b) = s.create_user("taker");
    let id = s.create_org(&a, "Handed Over");
    let r = s.patch(&opath(&id), &a, json!({"owner": b_id}));
    r.ok(200);
    assert_eq!(r["owner"], b_id.as_str());
    assert_eq!(r["member_count"], 2);
    assert_eq!(my_memberships(&s, &b)[0]["role"], "owner");
    assert_eq!(s.get(&opath(&id), &b)["owner"], b_id.as_str());
    let _ = a_id;
}

#[test]
fn orgs_put_keeps_relationships_it_omits_and_resets_descriptive_fields() {
    // PUT replaces the descriptive fields; `customer` and `owner` are relationships,
    // changed only when sent (docs/API.md), so an org admin can PUT without staff rights.
    let s = Server::start();
    let c = s.create_customer(json!({"name": "Billing"}));
    let o = s.create_org_with(
        &s.admin,
        json!({"name": "Billed", "customer": c["id"], "description": "d", "currency_code": "EUR"}),
    );
    assert_eq!(o["customer"], c["id"]);
    let r = s.put(&opath(&id_of(&o)), &s.admin, json!({"name": "Billed"}));
    r.ok(200);
    assert_eq!(
        r["customer"], c["id"],
        "an omitted relationship is kept: {}",
        r.text
    );
    assert_eq!(r["owner"], o["owner"]);
    assert_eq!(r["description"], "", "descriptive fields reset: {}", r.text);
    assert_eq!(r["currency_code"], Value::Null);
    let r = s.put(
        &opath(&id_of(&o)),
        &s.admin,
        json!({"name": "Billed", "customer": null}),
    );
    r.ok(200);
    assert_eq!(
        r["customer"],
        Value::Null,
        "a sent null clears it: {}",
        r.text
    );
    assert_eq!(s.get(&opath(&id_of(&o)), &s.admin)["customer"], Value::Null);
}

#[test]
fn deleting_the_recorded_owner_leaves_a_remaining_owner_in_the_owner_field() {
    let s = Server::start();
    let (a_id, a) = s.create_user("stays");
    let (b_id, _) = s.create_user("leaves");
    let org = s.co_members(&a, &b_id, "Successor Org");
    assert_eq!(s.get(&opath(&org), &a)["owner"], b_id.as_str());
    assert_eq!(s.delete(&format!("/v1/users/{b_id}"), &s.admin).status, 204);
    let o = s.get(&opath(&org), &a);
    o.ok(200);
    assert_eq!(o["member_count"], 1);
    assert_eq!(
        o["owner"],
        a_id.as_str(),
        "the organization still has an active owner; `owner` names them: {}",
        o.text
    );
}
