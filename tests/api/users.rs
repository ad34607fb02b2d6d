//! `/v1/users`: fields, validation, uniqueness, lists (filters, search, ordering, paging),
//! ETags, PATCH/PUT, DELETE and who may see or change whom.

use crate::support::*;
use serde_json::{json, Value};

const USER_FIELDS: &[&str] = &[
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "avatar_url",
    "preferred_language",
    "metadata",
    "is_active",
    "is_staff",
    "is_service_account",
    "created",
    "modified",
];

fn assert_user_shape(u: &Value) {
    let obj = u
        .as_object()
        .unwrap_or_else(|| panic!("a user object: {u}"));
    for f in USER_FIELDS {
        assert!(obj.contains_key(*f), "user has {f}: {u}");
    }
    for secret in ["password", "password_hash", "hash"] {
        assert!(!obj.contains_key(secret), "user never shows {secret}: {u}");
    }
    assert!(!u.to_string().contains("$argon2"), "no hash anywhere: {u}");
    assert!(is_uuid(&u["id"]), "id: {}", u["id"]);
    assert!(
        is_timestamp(&u["created"]) && is_timestamp(&u["modified"]),
        "{u}"
    );
}

fn user_path(u: &Value) -> String {
    format!("/v1/users/{}", u["id"].as_str().unwrap())
}

#[test]
fn users_create_returns_every_field_and_location() {
    let s = Server::start();
    let body = json!({
        "username": "ada", "email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace",
        "company": "Analytical", "job_title": "Programmer", "avatar_url": "https://example.org/ada.png",
        "preferred_language": "en-GB", "metadata": {"team": "engines"}, "is_staff": false,
        "is_service_account": false, "password": PASSWORD,
    });
    let r = s.post("/v1/users", &s.admin, body.clone());
    r.ok(201);
    assert_user_shape(&r.body);
    for (k, v) in body.as_object().unwrap() {
        if k != "password" {
            assert_eq!(&r[k.as_str()], v, "field {k}");
        }
    }
    assert_eq!(r["is_active"], true);
    let id = r["id"].as_str().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/users/{id}").as_str())
    );
    let etag = r.header("etag").expect("ETag on create").to_string();
    assert!(etag.starts_with("W/\""), "{etag}");

    let g = s.get(&format!("/v1/users/{id}"), &s.admin);
    g.ok(200);
    assert_eq!(g.body, r.body, "what is stored is what was answered");
    assert_eq!(g.header("etag"), Some(etag.as_str()));
    // The 32-hex form of the id works too.
    let g2 = s.get(&format!("/v1/users/{}", id.replace('-', "")), &s.admin);
    g2.ok(200);
    assert_eq!(g2["id"], id);
}

#[test]
fn users_create_defaults() {
    let s = Server::start();
    let u = s.new_user(json!({"username": "plain"}));
    assert_user_shape(&u);
    assert_eq!(u["email"], Value::Null);
    assert_eq!(u["avatar_url"], Value::Null);
    assert_eq!(u["first_name"], "");
    assert_eq!(u["metadata"], json!({}));
    assert_eq!(u["is_active"], true);
    assert_eq!(u["is_staff"], false);
    assert_eq!(u["is_service_account"], false);
}

#[test]
fn users_create_validation_names_every_bad_field() {
    let s = Server::start();
    let r = s.post(
        "/v1/users",
        &s.admin,
        json!({
            "username": "has space", "email": "not-an-email", "avatar_url": "ftp://x/y.png",
            "password": "short", "is_active": "yes", "metadata": [1], "first_name": "x".repeat(151),
            "preferred_language": 5, "id": "0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f", "shoe_size": 44,
        }),
    );
    r.invalid(&[
        "avatar_url",
        "email",
        "first_name",
        "id",
        "is_active",
        "metadata",
        "password",
        "preferred_language",
        "shoe_size",
        "username",
    ]);
    // Nothing was stored.
    let list = s.get("/v1/users", &s.admin);
    assert_eq!(list["count"], 1, "only the admin: {}", list.text);

    s.post("/v1/users", &s.admin, json!({}))
        .invalid(&["username"]);
    s.post("/v1/users", &s.admin, json!({"username": "   "}))
        .invalid(&["username"]);
    s.post("/v1/users", &s.admin, json!({"username": "a/b"}))
        .invalid(&["username"]);
}

#[test]
fn users_username_unique_case_insensitive_is_409() {
    let s = Server::start();
    s.new_user(json!({"username": "Grace"}));
    for dup in ["grace", "GRACE", "Grace"] {
        let r = s.post("/v1/users", &s.admin, json!({"username": dup}));
        r.problem(409);
        assert_eq!(r.error_fields(), vec!["username"], "{}", r.text);
    }
    // Beyond ASCII.
    s.new_user(json!({"username": "Ärzte"}));
    let r = s.post("/v1/users", &s.admin, json!({"username": "ärzte"}));
    r.problem(409);
    assert_eq!(r.error_fields(), vec!["username"]);
    let r = s.post("/v1/users", &s.admin, json!({"username": "ÄRZTE"}));
    r.problem(409);
    assert_eq!(s.get("/v1/users", &s.admin)["count"], 3);
}

#[test]
fn users_email_unique_case_insensitive_is_409() {
    let s = Server::start();
    s.new_user(json!({"username": "e1", "email": "Same@Example.org"}));
    let r = s.post(
        "/v1/users",
        &s.admin,
        json!({"username": "e2", "email": "same@example.ORG"}),
    );
    r.problem(409);
    assert_eq!(r.error_fields(), vec!["email"]);
    // Null emails do not collide.
    s.new_user(json!({"username": "n1"}));
    s.new_user(json!({"username": "n2", "email": null}));
    // Nor does renaming into an existing email go through.
    let u = s.new_user(json!({"username": "e3", "email": "other@example.org"}));
    let r = s.patch(
        &user_path(&u),
        &s.admin,
        json!({"email": "SAME@example.org"}),
    );
    r.problem(409);
    assert_eq!(
        s.get(&user_path(&u), &s.admin)["email"],
        "other@example.org"
    );
}

#[test]
fn users_create_is_staff_only() {
    let s = Server::start();
    let (_, tok) = s.create_user("regular");
    s.post("/v1/users", &tok, json!({"username": "sneaky"}))
        .problem(403);
    s.post("/v1/users", "", json!({"username": "anon"}))
        .problem(401);
    let list = s.get("/v1/users?username=sneaky", &s.admin);
    assert_eq!(list["count"], 0);
}

#[test]
fn users_list_filters() {
    let s = Server::start();
    s.new_user(json!({"username": "f-one", "email": "one@example.org"}));
    s.new_user(json!({"username": "f-two", "is_staff": true}));
    s.new_user(json!({"username": "f-three", "is_active": false}));
    s.new_user(json!({"username": "f-bot", "is_service_account": true}));

    let names = |q: &str| {
        let r = s.get(&format!("/v1/users?{q}"), &s.admin);
        r.ok(200);
        let mut v = r.result_strs("username");
        v.sort();
        assert_eq!(r["count"].as_u64().unwrap() as usize, v.len());
        v
    };
    assert_eq!(names("username=F-ONE"), vec!["f-one"]);
    assert_eq!(names("email=ONE%40example.org"), vec!["f-one"]);
    assert_eq!(names("is_staff=true"), vec!["admin", "f-two"]);
    assert_eq!(names("is_active=false"), vec!["f-three"]);
    assert_eq!(names("is_service_account=true"), vec!["f-bot"]);
    assert_eq!(
        names("is_staff=false&is_active=true&is_service_account=false"),
        vec!["f-one"]
    );
    // Unknown parameters are ignored.
    assert_eq!(names("colour=blue&username=f-two").len(), 1);
    // A known filter with a bad value is a 400 naming it.
    s.get("/v1/users?is_staff=maybe&is_active=2", &s.admin)
        .invalid(&["is_active", "is_staff"]);
}

#[test]
fn users_search_is_unicode_case_insensitive_and_literal() {
    let s = Server::start();
    s.new_user(json!({"username": "olaf", "first_name": "Ölaf", "last_name": "Öberg"}));
    s.new_user(json!({"username": "anna", "first_name": "Anna Maria"}));
    s.new_user(json!({"username": "pct100%", "email": "p@example.org"}));
    s.new_user(json!({"username": "under_score"}));
    s.new_user(json!({"username": "underXscore", "email": "mail@searchable.example"}));

    let names = |q: &str| {
        let r = s.get(&format!("/v1/users?search={q}"), &s.admin);
        r.ok(200);
        let mut v = r.result_strs("username");
        v.sort();
        v
    };
    assert_eq!(names(&enc("ÖLAF")), vec!["olaf"]);
    assert_eq!(names(&enc("öberg")), vec!["olaf"]);
    assert_eq!(names("anna+maria"), vec!["anna"], "+ is a space");
    assert_eq!(names("ANNA%20MARIA"), vec!["anna"]);
    assert_eq!(names(&enc("%")), vec!["pct100%"], "% is literal");
    assert_eq!(names(&enc("r_s")), vec!["under_score"], "_ is literal");
    assert_eq!(
        names("SEARCHABLE"),
        vec!["underXscore"],
        "email is searched"
    );
    assert!(names("zzz-nothing").is_empty());
}

#[test]
fn users_order_by_and_unknown_field() {
    let s = Server::start();
    for n in ["mike", "Bravo", "charlie", "alpha"] {
        s.new_user(json!({"username": n, "email": format!("{}@z.example", n.to_lowercase())}));
    }
    let order = |q: &str| {
        let r = s.get(&format!("/v1/users?order_by={q}"), &s.admin);
        r.ok(200);
        r.result_strs("username")
    };
    assert_eq!(
        order("username"),
        vec!["admin", "alpha", "Bravo", "charlie", "mike"]
    );
    assert_eq!(
        order("-username"),
        vec!["mike", "charlie", "Bravo", "alpha", "admin"]
    );
    assert_eq!(
        order("created"),
        vec!["admin", "mike", "Bravo", "charlie", "alpha"]
    );
    // Descending by `created`; users created in the same millisecond stay in creation
    // order (ties are broken by creation order ascending, whatever the direction).
    let asc = s.get("/v1/users?order_by=created", &s.admin).results();
    let mut want: Vec<(String, usize, String)> = asc
        .iter()
        .enumerate()
        .map(|(i, u)| {
            (
                u["created"].as_str().unwrap().to_string(),
                i,
                u["username"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let want: Vec<String> = want.into_iter().map(|(_, _, n)| n).collect();
    assert_eq!(order("-created"), want);
    let r = s.get("/v1/users?order_by=password", &s.admin);
    r.invalid(&["order_by"]);
    s.get("/v1/users?order_by=username,-nope", &s.admin)
        .invalid(&["order_by"]);
}

#[test]
fn users_page_envelope_keeps_other_params() {
    let s = Server::start();
    for i in 0..5 {
        s.new_user(json!({"username": format!("page{i}")}));
    }
    let r = s.get(
        "/v1/users?search=page&page_size=2&order_by=username",
        &s.admin,
    );
    r.ok(200);
    assert_eq!(r["count"], 5);
    assert_eq!(r.result_strs("username"), vec!["page0", "page1"]);
    assert_eq!(r["previous"], Value::Null);
    let next = r["next"].as_str().expect("next link").to_string();
    assert!(next.starts_with("/v1/users?"), "{next}");
    for p in ["search=page", "page_size=2", "order_by=username", "page=2"] {
        assert!(next.split(['?', '&']).any(|x| x == p), "{next} keeps {p}");
    }
    let r2 = s.get(&next, &s.admin);
    r2.ok(200);
    assert_eq!(r2.result_strs("username"), vec!["page2", "page3"]);
    let prev = r2["previous"].as_str().expect("previous link");
    assert!(
        prev.split(['?', '&']).any(|x| x == "page=1") && prev.contains("search=page"),
        "{prev}"
    );
    let r3 = s.get(r2["next"].as_str().unwrap(), &s.admin);
    assert_eq!(r3.result_strs("username"), vec!["page4"]);
    assert_eq!(r3["next"], Value::Null);
    // Past the end.
    s.get("/v1/users?search=page&page_size=2&page=4", &s.admin)
        .problem(404);
    // Bad paging values.
    s.get("/v1/users?page=0", &s.admin).invalid(&["page"]);
    s.get("/v1/users?page_size=abc&page=-1", &s.admin)
        .invalid(&["page", "page_size"]);
}

#[test]
fn users_page_size_is_clamped_to_200() {
    let s = Server::start();
    for i in 0..201 {
        let r = s.post(
            "/v1/users",
            &s.admin,
            json!({"username": format!("bulk{i:03}")}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s.get("/v1/users?page_size=500", &s.admin);
    r.ok(200);
    assert_eq!(r["count"], 202);
    assert_eq!(r.results().len(), 200, "page_size is clamped, not an error");
    let next = r["next"].as_str().expect("a second page");
    let r2 = s.get(next, &s.admin);
    r2.ok(200);
    assert_eq!(r2.results().len(), 2);
}

#[test]
fn users_etag_if_none_match_and_if_match() {
    let s = Server::start();
    let u = s.new_user(json!({"username": "etag"}));
    let path = user_path(&u);
    let g = s.get(&path, &s.admin);
    let etag = g.header("etag").unwrap().to_string();
    let r = s
        .call("GET", &path)
        .auth(&s.admin)
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(r.status, 304);
    assert_eq!(r.text, "");
    let r = s
        .call("GET", &path)
        .auth(&s.admin)
        .header("If-None-Match", "W/\"999\"")
        .send();
    r.ok(200);

    let r = s
        .call("PATCH", &path)
        .auth(&s.admin)
        .header("If-Match", "W/\"999\"")
        .json(json!({"first_name": "X"}))
        .send();
    r.problem(412);
    assert_eq!(
        s.get(&path, &s.admin)["first_name"],
        "",
        "a 412 changes nothing"
    );

    let r = s
        .call("PATCH", &path)
        .auth(&s.admin)
        .header("If-Match", &etag)
        .json(json!({"first_name": "Y"}))
        .send();
    r.ok(200);
    assert_eq!(r["first_name"], "Y");
    let new_etag = r.header("etag").unwrap().to_string();
    assert_ne!(new_etag, etag);
    // The old ETag is stale now, for PATCH and DELETE.
    s.call("PATCH", &path)
        .auth(&s.admin)
        .header("If-Match", &etag)
        .json(json!({"first_name": "Z"}))
        .send()
        .problem(412);
    s.call("DELETE", &path)
        .auth(&s.admin)
        .header("If-Match", &etag)
        .send()
        .problem(412);
    s.get(&path, &s.admin).ok(200);
    let r = s
        .call("DELETE", &path)
        .auth(&s.admin)
        .header("If-Match", &new_etag)
        .send();
    assert_eq!(r.status, 204, "{}", r.text);
}

#[test]
fn users_patch_changes_only_given_fields() {
    let s = Server::start();
    let u = s.new_user(
        json!({"username": "patchy", "first_name": "P", "company": "Old Co", "metadata": {"a": 1}}),
    );
    let r = s.patch(
        &user_path(&u),
        &s.admin,
        json!({"company": "New Co", "email": "patchy@example.org"}),
    );
    r.ok(200);
    assert_eq!(r["company"], "New Co");
    assert_eq!(r["email"], "patchy@example.org");
    assert_eq!(r["first_name"], "P");
    assert_eq!(r["metadata"], json!({"a": 1}));
    assert_eq!(r["created"], u["created"]);
    assert!(r["modified"].as_str().unwrap() >= u["modified"].as_str().unwrap());
    let g = s.get(&user_path(&u), &s.admin);
    assert_eq!(g.body, r.body);
}

#[test]
fn users_put_resets_omitted_optional_fields() {
    let s = Server::start();
    let u = s.new_user(json!({
        "username": "putter", "email": "putter@example.org", "first_name": "P", "last_name": "Q",
        "company": "C", "job_title": "J", "avatar_url": "https://example.org/a.png",
        "preferred_language": "de", "metadata": {"k": "v"},
    }));
    let r = s.put(&user_path(&u), &s.admin, json!({"username": "putter2"}));
    r.ok(200);
    assert_eq!(r["username"], "putter2");
    assert_eq!(r["email"], Value::Null);
    for f in [
        "first_name",
        "last_name",
        "company",
        "job_title",
        "preferred_language",
    ] {
        assert_eq!(r[f], "", "{f} reset");
    }
    assert_eq!(r["avatar_url"], Value::Null);
    assert_eq!(r["metadata"], json!({}));
    assert_eq!(s.get(&user_path(&u), &s.admin).body, r.body);
    // PUT needs the required fields.
    s.put(&user_path(&u), &s.admin, json!({"first_name": "only"}))
        .invalid(&["username"]);
}

#[test]
fn non_staff_cannot_change_own_privileges() {
    let s = Server::start();
    let (id, tok) = s.create_user("climber");
    let path = format!("/v1/users/{id}");
    let r = s.patch(
        &path,
        &tok,
        json!({"is_staff": true, "is_active": false, "is_service_account": true}),
    );
    r.invalid(&["is_active", "is_service_account", "is_staff"]);
    let g = s.get(&path, &s.admin);
    assert_eq!(g["is_staff"], false);
    assert_eq!(g["is_active"], true);
    assert_eq!(g["is_service_account"], false);
    // Other fields of their own record they may change.
    let r = s.patch(
        &path,
        &tok,
        json!({"first_name": "Climb", "job_title": "Tester"}),
    );
    r.ok(200);
    assert_eq!(r["first_name"], "Climb");
    assert_eq!(s.get("/v1/me", &tok)["job_title"], "Tester");
    // Staff may change them.
    let r = s.patch(&path, &s.admin, json!({"is_staff": true}));
    r.ok(200);
    assert_eq!(r["is_staff"], true);
}

#[test]
fn users_password_change_takes_effect() {
    let s = Server::start();
    let (id, tok) = s.create_user("rotator");
    let r = s.patch(
        &format!("/v1/users/{id}"),
        &tok,
        json!({"password": "a brand new password"}),
    );
    r.ok(200);
    assert!(r.body.get("password").is_none());
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "rotator", "password": PASSWORD}),
    );
    r.problem(401);
    s.login("rotator", "a brand new password");
}

#[test]
fn stranger_cannot_see_or_change_another_user() {
    let s = Server::start();
    let (_, a) = s.create_user("stranger-a");
    let b = s.new_user(json!({"username": "stranger-b"}));
    let path = user_path(&b);
    s.get(&path, &a).problem(404);
    s.patch(&path, &a, json!({"first_name": "hacked"}))
        .problem(404);
    s.put(&path, &a, json!({"username": "hacked"})).problem(404);
    s.delete(&path, &a).problem(404);
    assert_eq!(s.get(&path, &s.admin)["first_name"], "");
    let list = s.get("/v1/users", &a);
    list.ok(200);
    assert_eq!(
        list["count"], 1,
        "a non-staff user sees only themself: {}",
        list.text
    );
    assert_eq!(list.result_strs("username"), vec!["stranger-a"]);
    // Anonymous callers see nothing.
    s.get("/v1/users", "").problem(401);
    s.get(&path, "").problem(401);
}

#[test]
fn co_member_may_read_but_not_change_another_user() {
    let s = Server::start();
    let (a_id, a) = s.create_user("co-a");
    let (b_id, b) = s.create_user("co-b");
    s.co_members(&a, &b_id, "Shared");
    let r = s.get(&format!("/v1/users/{b_id}"), &a);
    r.ok(200);
    assert_eq!(r["username"], "co-b");
    let list = s.get("/v1/users?order_by=username", &a);
    assert_eq!(list.result_strs("username"), vec!["co-a", "co-b"]);
    s.patch(&format!("/v1/users/{b_id}"), &a, json!({"first_name": "x"}))
        .problem(403);
    s.delete(&format!("/v1/users/{b_id}"), &a).problem(403);
    s.get(&format!("/v1/users/{a_id}"), &b).ok(200);
}

#[test]
fn unknown_or_malformed_user_id_is_404() {
    let s = Server::start();
    s.get("/v1/users/0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f", &s.admin)
        .problem(404);
    s.get("/v1/users/not-a-uuid", &s.admin).problem(404);
    s.patch(
        "/v1/users/0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f",
        &s.admin,
        json!({"first_name": "x"}),
    )
    .problem(404);
    s.delete("/v1/users/0b6f5a1e-2f7c-4c1e-9d0a-6a7b8c9d0e1f", &s.admin)
        .problem(404);
}

#[test]
fn user_delete_removes_user_and_tokens() {
    let s = Server::start();
    let (id, tok) = s.create_user("goner");
    let r = s.delete(&format!("/v1/users/{id}"), &s.admin);
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    s.get(&format!("/v1/users/{id}"), &s.admin).problem(404);
    s.get("/v1/me", &tok).problem(401);
    assert_eq!(s.get("/v1/users?username=goner", &s.admin)["count"], 0);
    // The name is free again.
    s.new_user(json!({"username": "goner"}));
}

#[test]
fn user_may_delete_themself() {
    let s = Server::start();
    let (id, tok) = s.create_user("self-remover");
    assert_eq!(s.delete(&format!("/v1/users/{id}"), &tok).status, 204);
    s.get(&format!("/v1/users/{id}"), &s.admin).problem(404);
}

#[test]
fn deleting_the_last_active_owner_is_409() {
    let s = Server::start();
    let (id, tok) = s.create_user("sole-owner");
    let org = s.create_org(&tok, "Owned Alone");
    let r = s.delete(&format!("/v1/users/{id}"), &s.admin);
    r.problem(409);
    s.delete(&format!("/v1/users/{id}"), &tok).problem(409);
    // Still there, still the owner.
    s.get(&format!("/v1/users/{id}"), &s.admin).ok(200);
    let o = s.get(&format!("/v1/organizations/{org}"), &tok);
    o.ok(200);
    assert_eq!(o["owner"], id.as_str());
    // Once the organization is gone, the user can go.
    assert_eq!(
        s.delete(&format!("/v1/organizations/{org}"), &tok).status,
        204
    );
    assert_eq!(s.delete(&format!("/v1/users/{id}"), &s.admin).status, 204);
}

#[test]
fn deleting_an_owner_with_a_co_owner_is_allowed() {
    let s = Server::start();
    let (a_id, a) = s.create_user("first-owner");
    let (b_id, b) = s.create_user("second-owner");
    let org = s.co_members(&a, &b_id, "Two Owners");
    let r = s.delete(&format!("/v1/users/{a_id}"), &s.admin);
    assert_eq!(r.status, 204, "{}", r.text);
    let o = s.get(&format!("/v1/organizations/{org}"), &b);
    o.ok(200);
    assert_eq!(
        o["member_count"], 1,
        "the deleted user's membership went with them"
    );
}
