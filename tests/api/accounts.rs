//! The accounts profile (seed 002) at `/accounts/organizations`: every endpoint and rule
//! of the seed with its paths, fields and status codes; integer ids; upper-case roles;
//! all-or-nothing bulk changes; the last owner; problem bodies; objects shared with
//! `/v1` and audited as coming through `accounts`.

use crate::support::Server;
use serde_json::{json, Value};
use std::collections::HashMap;

const BASE: &str = "/accounts/organizations";

fn item(id: i64) -> String {
    format!("{BASE}/{id}")
}

/// Creates an account as `token` (201 asserted); returns the account object.
fn account(s: &Server, token: &str, name: &str) -> Value {
    let r = s.post(BASE, token, json!({"organization_name": name}));
    r.ok(201);
    r.body
}

fn id_of(a: &Value) -> i64 {
    a["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("integer id in {a}"))
}

/// The /v1 uuid of the organization named `name`.
fn v1_id(s: &Server, name: &str) -> String {
    let r = s.get(
        &format!("/v1/organizations?name={}", name.replace(' ', "%20")),
        &s.admin,
    );
    r.ok(200);
    r.results()[0]["id"].as_str().expect("uuid").to_string()
}

/// The integer ids of users (by uuid), learnt through the profile itself: staff add them
/// to a scratch organization through /v1 and read its users through /accounts.
fn int_ids(s: &Server, uuids: &[&str]) -> Vec<i64> {
    let scratch = account(s, &s.admin, &format!("scratch {}", uuids.join(" ")));
    let uuid = v1_id(s, scratch["organization_name"].as_str().unwrap());
    s.post(
        &format!("/v1/organizations/{uuid}/members"),
        &s.admin,
        json!({"users": uuids, "role": "viewer"}),
    )
    .ok(201);
    let r = s.get(
        &format!("{}/users?page_size=200", item(id_of(&scratch))),
        &s.admin,
    );
    r.ok(200);
    let by_name: HashMap<String, i64> = r.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap().to_string(),
                u["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let names: Vec<String> = uuids
        .iter()
        .map(|u| {
            s.get(&format!("/v1/users/{u}"), &s.admin).body["username"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let ids = names.iter().map(|n| by_name[n]).collect();
    s.delete(&item(id_of(&scratch)), &s.admin).ok(204);
    ids
}

/// The account's users as (username, role, is_active), in the default order.
fn members(s: &Server, token: &str, id: i64) -> Vec<(String, String, bool)> {
    let r = s.get(&format!("{}/users?page_size=200", item(id)), token);
    r.ok(200);
    r.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap().to_string(),
                u["role"].as_str().unwrap().to_string(),
                u["is_active"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// An account owned by `owner` ("own" + tag) with users who get integer ids.
struct Team {
    owner: String,
    owner_id: i64,
    account: i64,
    /// (username, token, integer id) of further users, not yet in the account.
    others: Vec<(String, String, i64)>,
}

fn team(s: &Server, tag: &str, n: usize) -> Team {
    let (owner_uuid, owner) = s.create_user(&format!("own{tag}"));
    let mut uuids = vec![owner_uuid];
    let mut users = vec![];
    for i in 0..n {
        let name = format!("u{i}{tag}");
        let (uuid, tok) = s.create_user(&name);
        uuids.push(uuid);
        users.push((name, tok));
    }
    let refs: Vec<&str> = uuids.iter().map(String::as_str).collect();
    let ids = int_ids(s, &refs);
    let a = account(s, &owner, &format!("Team {tag}"));
    Team {
        owner,
        owner_id: ids[0],
        account: id_of(&a),
        others: users
            .into_iter()
            .zip(ids[1..].iter())
            .map(|((n, t), id)| (n, t, *id))
            .collect(),
    }
}

fn add(s: &Server, t: &Team, ids: &[i64], role: &str) -> crate::support::Resp {
    s.post(
        &format!("{}/users", item(t.account)),
        &t.owner,
        json!({"is_active": true, "role": role, "user_ids": ids}),
    )
}

#[test]
fn accounts_create_get_update_delete_with_integer_ids() {
    let s = Server::start();
    let (_, tok) = s.create_user("sajid");
    let r = s.post(BASE, &tok, json!({"organization_name": "SajMix inc"}));
    r.ok(201);
    let a = r.body.clone();
    let id = id_of(&a);
    assert_eq!(a["organization_name"], "SajMix inc");
    assert_eq!(a["member_count"], 1);
    assert!(a["owner_id"].is_i64(), "{a}");
    for k in ["created", "modified"] {
        assert!(a[k].is_string(), "{k}: {a}");
    }
    assert_eq!(r.header("location"), Some(item(id).as_str()));
    let got = s.get(&item(id), &tok);
    got.ok(200);
    assert_eq!(got.body, a);
    // The seed's update carries the id in the body...
    let put = s.put(
        BASE,
        &tok,
        json!({"id": id, "organization_name": "SajMix ltd"}),
    );
    put.ok(200);
    assert_eq!(put.body["organization_name"], "SajMix ltd");
    assert_eq!(put.body["id"], id);
    // ...and the item path takes one too (an id in the body must then be the path's).
    let put = s.put(&item(id), &tok, json!({"organization_name": "SajMix plc"}));
    put.ok(200);
    assert_eq!(put.body["organization_name"], "SajMix plc");
    s.put(
        &item(id),
        &tok,
        json!({"id": id, "organization_name": "Same"}),
    )
    .ok(200);
    s.put(
        &item(id),
        &tok,
        json!({"id": id + 1, "organization_name": "X"}),
    )
    .invalid(&["id"]);
    s.put(BASE, &tok, json!({"organization_name": "No id"}))
        .invalid(&["id"]);
    s.put(BASE, &tok, json!({"id": "one", "organization_name": ""}))
        .invalid(&["id", "organization_name"]);
    s.put(
        BASE,
        &tok,
        json!({"id": 999_999, "organization_name": "Nobody"}),
    )
    .problem(404);
    assert_eq!(s.get(&item(id), &tok).body["organization_name"], "Same");
    let d = s.delete(&item(id), &tok);
    assert_eq!(d.status, 204, "{}", d.text);
    s.get(&item(id), &tok).problem(404);
    s.delete(&item(id), &tok).problem(404);
}

#[test]
fn accounts_create_validates_and_names_conflicts() {
    let s = Server::start();
    let (_, tok) = s.create_user("vera");
    s.post(BASE, &tok, json!({}))
        .invalid(&["organization_name"]);
    s.post(BASE, &tok, json!({"organization_name": "   "}))
        .invalid(&["organization_name"]);
    s.post(BASE, &tok, json!({"organization_name": 7}))
        .invalid(&["organization_name"]);
    s.post(BASE, &tok, json!({"organization_name": "A", "name": "B"}))
        .invalid(&["name"]);
    s.post(BASE, &tok, json!({"organization_name": "A", "id": 5}))
        .invalid(&["id"]);
    let bad = s
        .call("POST", BASE)
        .auth(&tok)
        .header("content-type", "application/json")
        .bytes(b"{not json".to_vec())
        .send();
    bad.problem(400);
    account(&s, &tok, "Taken");
    let dup = s.post(BASE, &tok, json!({"organization_name": "taken"}));
    dup.problem(409);
    // Nothing was written by any refusal.
    assert_eq!(s.get(BASE, &tok).body.as_array().map(Vec::len), Some(1));
}

#[test]
fn accounts_list_is_the_callers_accounts_and_others_are_404() {
    let s = Server::start();
    let (_, amy) = s.create_user("amy");
    let (_, ben) = s.create_user("ben");
    let a1 = id_of(&account(&s, &amy, "Amy One"));
    let a2 = id_of(&account(&s, &amy, "Amy Two"));
    let b1 = id_of(&account(&s, &ben, "Ben One"));
    let mine = s.get(BASE, &amy);
    mine.ok(200);
    let ids: Vec<i64> = mine.body.as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(ids, [a1, a2]);
    assert_eq!(mine.header("x-result-count"), Some("2"));
    let theirs = s.get(BASE, &ben);
    let names: Vec<&str> = theirs
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["organization_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ben One"]);
    // Another tenant's account: 404 everywhere, and unchanged.
    let other = item(b1);
    for (method, path) in [
        ("GET", other.clone()),
        ("DELETE", other.clone()),
        ("GET", format!("{other}/role")),
        ("GET", format!("{other}/summary")),
        ("GET", format!("{other}/users")),
        ("GET", format!("{other}/leave")),
        ("DELETE", format!("{other}/leave")),
        ("DELETE", format!("{other}/users/1")),
    ] {
        s.call(method, &path).auth(&amy).send().problem(404);
    }
    s.put(&other, &amy, json!({"organization_name": "Mine"}))
        .problem(404);
    s.put(BASE, &amy, json!({"id": b1, "organization_name": "Mine"}))
        .problem(404);
    for (method, path) in [
        ("POST", format!("{other}/users")),
        ("PUT", format!("{other}/users")),
    ] {
        s.call(method, &path)
            .auth(&amy)
            .json(json!({"is_active": true, "role": "VIEWER", "user_ids": [1]}))
            .send()
            .problem(404);
    }
    assert_eq!(s.get(&other, &ben).body["organization_name"], "Ben One");
    assert_eq!(s.get(&other, &ben).body["member_count"], 1);
    // Staff see every account (as in /v1).
    assert_eq!(s.get(BASE, &s.admin).body.as_array().map(Vec::len), Some(3));
}

#[test]
fn accounts_non_integer_ids_are_404_problems_and_no_token_is_401() {
    let s = Server::start();
    let (_, tok) = s.create_user("ivy");
    let id = id_of(&account(&s, &tok, "Ivy"));
    let uuid = v1_id(&s, "Ivy");
    for bad in [
        "abc",
        "0",
        "-1",
        "1.5",
        "1e2",
        uuid.as_str(),
        "Ivy",
        "99999999999999999999",
    ] {
        for suffix in ["", "/role", "/summary", "/users", "/leave"] {
            s.get(&format!("{BASE}/{bad}{suffix}"), &tok).problem(404);
        }
        s.delete(&format!("{BASE}/{bad}"), &tok).problem(404);
        s.put(
            &format!("{BASE}/{bad}"),
            &tok,
            json!({"organization_name": "x"}),
        )
        .problem(404);
    }
    let r = s.get(BASE, "");
    r.problem(401);
    assert!(r.header("www-authenticate").is_some());
    s.get(&item(id), "org_not_a_real_token_000000000000000000000000")
        .problem(401);
    // Unknown methods answer 405 with Allow.
    let r = s.patch(&item(id), &tok, json!({}));
    r.problem(405);
    assert_eq!(r.header("allow"), Some("GET, PUT, DELETE, HEAD, OPTIONS"));
    assert_eq!(s.get(&item(id), &tok).body["organization_name"], "Ivy");
}

#[test]
fn accounts_role_is_a_json_string_and_summary_an_array_of_metrics() {
    let s = Server::start();
    let t = team(&s, "r", 2);
    let role = s.get(&format!("{}/role", item(t.account)), &t.owner);
    role.ok(200);
    assert_eq!(role.text, "\"OWNER\"");
    add(&s, &t, &[t.others[0].2], "VIEWER").ok(200);
    add(&s, &t, &[t.others[1].2], "ACCOUNTING").ok(200);
    let r = s.get(&format!("{}/role", item(t.account)), &t.others[0].1);
    assert_eq!(r.body, json!("VIEWER"));
    let r = s.get(&format!("{}/role", item(t.account)), &t.others[1].1);
    assert_eq!(r.body, json!("ACCOUNTING"));
    let sum = s.get(&format!("{}/summary", item(t.account)), &t.owner);
    sum.ok(200);
    let metrics: HashMap<String, Value> = sum
        .body
        .as_array()
        .unwrap_or_else(|| panic!("an array: {}", sum.text))
        .iter()
        .map(|m| {
            assert_eq!(m.as_object().unwrap().len(), 2, "{{name, value}}: {m}");
            (m["name"].as_str().unwrap().to_string(), m["value"].clone())
        })
        .collect();
    assert_eq!(metrics["members"], 3);
    assert_eq!(metrics["active_members"], 3);
    assert_eq!(metrics["role_OWNER"], 1);
    assert_eq!(metrics["role_VIEWER"], 1);
    assert_eq!(metrics["role_ACCOUNTING"], 1);
    assert_eq!(metrics["role_ADMIN"], 0);
    assert_eq!(metrics["pending_requests"], 0);
    assert!(metrics["last_activity"].is_string());
}

#[test]
fn accounts_bulk_add_is_all_or_nothing_with_upper_case_roles() {
    let s = Server::start();
    let t = team(&s, "a", 3);
    let (b, c, d) = (t.others[0].2, t.others[1].2, t.others[2].2);
    let path = format!("{}/users", item(t.account));
    // One unknown id: nothing changes, and the answer names it.
    let r = add(&s, &t, &[b, c, 999_999], "CONTRIBUTOR");
    r.invalid(&["user_ids"]);
    assert!(r.text.contains("999999"), "{}", r.text);
    assert_eq!(members(&s, &t.owner, t.account).len(), 1);
    // The seed's body.
    let r = add(&s, &t, &[b, c], "CONTRIBUTOR");
    r.ok(200);
    assert_eq!(r.body["id"], t.account);
    assert_eq!(r.body["member_count"], 3);
    let m = members(&s, &t.owner, t.account);
    assert_eq!(
        m[1..],
        [
            ("u0a".to_string(), "CONTRIBUTOR".to_string(), true),
            ("u1a".to_string(), "CONTRIBUTOR".to_string(), true)
        ]
    );
    // One already in the account: 409, and the new one is not added either.
    add(&s, &t, &[d, b], "VIEWER").problem(409);
    assert_eq!(members(&s, &t.owner, t.account).len(), 3);
    // is_active false is kept.
    s.post(
        &path,
        &t.owner,
        json!({"is_active": false, "role": "VIEWER", "user_ids": [d]}),
    )
    .ok(200);
    assert_eq!(
        members(&s, &t.owner, t.account)[3],
        ("u2a".to_string(), "VIEWER".to_string(), false)
    );
    // Bad bodies: every bad field named; roles are exactly the five upper-case names.
    for role in ["contributor", "Owner", "SUPERUSER", ""] {
        add(&s, &t, &[d], role).invalid(&["role"]);
    }
    s.post(&path, &t.owner, json!({}))
        .invalid(&["is_active", "role", "user_ids"]);
    s.post(
        &path,
        &t.owner,
        json!({"is_active": "true", "role": 3, "user_ids": "14,31"}),
    )
    .invalid(&["is_active", "role", "user_ids"]);
    s.post(
        &path,
        &t.owner,
        json!({"is_active": true, "role": "VIEWER", "user_ids": []}),
    )
    .invalid(&["user_ids"]);
    s.post(
        &path,
        &t.owner,
        json!({"is_active": true, "role": "VIEWER", "user_ids": ["14", -1, 1.5]}),
    )
    .invalid(&["user_ids"]);
    s.post(
        &path,
        &t.owner,
        json!({"is_active": true, "role": "VIEWER", "user_ids": [d], "x": 1}),
    )
    .invalid(&["x"]);
    // A member who manages nothing may not add (403), and nothing changes.
    // (u2a is inactive and sees nothing: 404; u0a is an active contributor.)
    s.get(&item(t.account), &t.others[2].1).problem(404);
    let (_, viewer_tok, _) = &t.others[0];
    let (e_uuid, _) = s.create_user("eve");
    let e = int_ids(&s, &[&e_uuid])[0];
    s.post(
        &path,
        viewer_tok,
        json!({"is_active": true, "role": "VIEWER", "user_ids": [e]}),
    )
    .problem(403);
    assert_eq!(members(&s, &t.owner, t.account).len(), 4);
    // Audited as coming through accounts.
    let rows = s.activity("object_type=membership&action=member_added");
    assert!(!rows.is_empty());
    assert!(rows.iter().any(|r| r["surface"] == "accounts"), "{rows:?}");
}

#[test]
fn accounts_users_page_by_page_number_from_zero_and_sort() {
    let s = Server::start();
    let t = team(&s, "p", 4);
    let ids: Vec<i64> = t.others.iter().map(|o| o.2).collect();
    add(&s, &t, &ids[..2], "ADMIN").ok(200);
    add(&s, &t, &ids[2..], "VIEWER").ok(200);
    let path = format!("{}/users", item(t.account));
    let r = s.get(&format!("{path}?page_number=0&page_size=2"), &t.owner);
    r.ok(200);
    assert_eq!(r.body["page_number"], 0);
    assert_eq!(r.body["page_size"], 2);
    assert_eq!(r.body["total"], 5);
    assert_eq!(r.body["total_pages"], 3);
    let users = r.body["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    let u = &users[0];
    assert_eq!(u["id"], t.owner_id);
    assert_eq!(u["username"], "ownp");
    assert_eq!(u["role"], "OWNER");
    assert_eq!(u["is_active"], true);
    assert!(u.get("email").is_some());
    let last = s.get(&format!("{path}?page_number=2&page_size=2"), &t.owner);
    assert_eq!(last.body["users"].as_array().map(Vec::len), Some(1));
    let past = s.get(&format!("{path}?page_number=9&page_size=2"), &t.owner);
    past.ok(200);
    assert_eq!(past.body["users"], json!([]));
    let names = |q: &str| -> Vec<String> {
        let r = s.get(&format!("{path}?{q}"), &t.owner);
        r.ok(200);
        r.body["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("sort_by=username&sort_ascending=true"),
        ["ownp", "u0p", "u1p", "u2p", "u3p"]
    );
    assert_eq!(
        names("sort_by=username&sort_ascending=false"),
        ["u3p", "u2p", "u1p", "u0p", "ownp"]
    );
    assert_eq!(names("sort_by=role&page_size=3")[0], "ownp");
    let by_role_desc = names("sort_by=role&sort_ascending=false");
    assert_eq!(by_role_desc[4], "ownp");
    // The seed's example query (sort_by=Jozhan, page_size=0) and other bad values: 400.
    s.get(
        &format!("{path}?page_number=9&page_size=0&sort_ascending=false&sort_by=Jozhan"),
        &t.owner,
    )
    .invalid(&["page_size", "sort_by"]);
    s.get(&format!("{path}?page_number=-1"), &t.owner)
        .invalid(&["page_number"]);
    s.get(
        &format!("{path}?page_number=x&page_size=-3&sort_ascending=maybe"),
        &t.owner,
    )
    .invalid(&["page_number", "page_size", "sort_ascending"]);
    // A huge page size is clamped.
    let r = s.get(&format!("{path}?page_size=100000"), &t.owner);
    assert_eq!(r.body["page_size"], 200);
}

#[test]
fn accounts_bulk_update_is_all_or_nothing_and_keeps_the_last_owner() {
    let s = Server::start();
    let t = team(&s, "u", 2);
    let (b, c) = (t.others[0].2, t.others[1].2);
    add(&s, &t, &[b, c], "VIEWER").ok(200);
    let path = format!("{}/users", item(t.account));
    let put = |ids: &[i64], role: &str, active: bool| {
        s.put(
            &path,
            &t.owner,
            json!({"is_active": active, "role": role, "user_ids": ids}),
        )
    };
    let before = members(&s, &t.owner, t.account);
    // One id that is not a member: nothing changes.
    let r = put(&[b, 999_999], "ADMIN", true);
    r.invalid(&["user_ids"]);
    assert!(r.text.contains("999999"), "{}", r.text);
    let (e_uuid, _) = s.create_user("eli");
    let e = int_ids(&s, &[&e_uuid])[0];
    put(&[b, e], "ADMIN", true).invalid(&["user_ids"]);
    assert_eq!(members(&s, &t.owner, t.account), before);
    // Demoting the last owner, alone or within a batch: 409, nothing changes.
    put(&[t.owner_id], "VIEWER", true).problem(409);
    put(&[b, t.owner_id], "ADMIN", true).problem(409);
    put(&[t.owner_id], "OWNER", false).problem(409);
    assert_eq!(members(&s, &t.owner, t.account), before);
    // The seed's body.
    let r = put(&[b, c], "CONTRIBUTOR", false);
    r.ok(200);
    assert_eq!(r.body["id"], t.account);
    let m = members(&s, &t.owner, t.account);
    assert_eq!(m[1], ("u0u".to_string(), "CONTRIBUTOR".to_string(), false));
    assert_eq!(m[2], ("u1u".to_string(), "CONTRIBUTOR".to_string(), false));
    // With a second active owner, the first may step down.
    put(&[b], "OWNER", true).ok(200);
    put(&[t.owner_id], "ADMIN", true).ok(200);
    assert_eq!(
        s.get(&format!("{}/role", item(t.account)), &t.owner).body,
        json!("ADMIN")
    );
    s.put(
        &path,
        &t.owner,
        json!({"is_active": true, "role": "admin", "user_ids": [c]}),
    )
    .invalid(&["role"]);
    // Audited as coming through accounts.
    let rows = s.activity("object_type=membership&action=member_updated");
    assert!(rows.iter().all(|r| r["surface"] == "accounts"), "{rows:?}");
}

#[test]
fn accounts_remove_users_by_comma_separated_ids_all_or_nothing() {
    let s = Server::start();
    let t = team(&s, "d", 3);
    let (b, c, d) = (t.others[0].2, t.others[1].2, t.others[2].2);
    add(&s, &t, &[b, c, d], "VIEWER").ok(200);
    let path = format!("{}/users", item(t.account));
    let del = |ids: &str| s.delete(&format!("{path}/{ids}"), &t.owner);
    del(&format!("{d},999999")).invalid(&["user_ids"]);
    del(&format!("{d},{}", t.owner_id)).problem(409);
    del(&t.owner_id.to_string()).problem(409);
    for bad in ["abc", "1,,2", "1;2", "-3", "1,x"] {
        del(bad).invalid(&["user_ids"]);
    }
    assert_eq!(members(&s, &t.owner, t.account).len(), 4);
    let r = del(&format!("{b},{c}"));
    assert_eq!(r.status, 204, "{}", r.text);
    let m = members(&s, &t.owner, t.account);
    let names: Vec<&str> = m.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(names, ["ownd", "u2d"]);
    // The removed users no longer see it.
    s.get(&item(t.account), &t.others[0].1).problem(404);
    // A member who manages nothing cannot remove others.
    add(&s, &t, &[b], "VIEWER").ok(200);
    s.delete(&format!("{path}/{b}"), &t.others[2].1)
        .problem(403);
    assert_eq!(members(&s, &t.owner, t.account).len(), 3);
}

#[test]
fn accounts_leave_answers_get_and_delete_and_keeps_the_last_owner() {
    let s = Server::start();
    let t = team(&s, "l", 2);
    let (b, c) = (t.others[0].2, t.others[1].2);
    add(&s, &t, &[b, c], "VIEWER").ok(200);
    let leave = format!("{}/leave", item(t.account));
    // The last owner cannot leave, by GET or DELETE.
    s.get(&leave, &t.owner).problem(409);
    s.delete(&leave, &t.owner).problem(409);
    // HEAD on this GET (which changes data) is refused and leaves nobody.
    let h = s.call("HEAD", &leave).auth(&t.others[0].1).send();
    assert_eq!(h.status, 405);
    assert_eq!(h.header("allow"), Some("GET, DELETE, OPTIONS"));
    assert_eq!(members(&s, &t.owner, t.account).len(), 3);
    // Nor does Allow offer HEAD here (elsewhere GET implies it).
    let o = s.call("OPTIONS", &leave).auth(&t.others[0].1).send();
    assert_eq!(
        o.header("allow"),
        Some("GET, DELETE, OPTIONS"),
        "{}",
        o.status
    );
    // The seed's GET.
    let r = s.get(&leave, &t.others[0].1);
    assert_eq!(r.status, 200, "{}", r.text);
    s.get(&item(t.account), &t.others[0].1).problem(404);
    s.get(&leave, &t.others[0].1).problem(404);
    // And DELETE.
    let r = s.delete(&leave, &t.others[1].1);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(members(&s, &t.owner, t.account).len(), 1);
    // With a second owner, the first may leave; the account stays with the other.
    add(&s, &t, &[b], "OWNER").ok(200);
    s.get(&leave, &t.owner).ok(200);
    assert_eq!(
        s.get(&format!("{}/role", item(t.account)), &t.others[0].1)
            .body,
        json!("OWNER")
    );
    let rows = s.activity("object_type=membership&action=member_removed");
    assert!(rows.iter().all(|r| r["surface"] == "accounts"), "{rows:?}");
}

#[test]
fn accounts_objects_are_shared_with_v1_and_audited_as_accounts() {
    let s = Server::start();
    let (uid, tok) = s.create_user("cross");
    let a = account(&s, &tok, "Cross Co");
    let uuid = v1_id(&s, "Cross Co");
    let v1 = s.get(&format!("/v1/organizations/{uuid}"), &tok);
    v1.ok(200);
    assert_eq!(v1.body["name"], "Cross Co");
    assert_eq!(v1.body["owner"], uid.as_str());
    let rows = s.activity("object_type=organization&action=create");
    let row = rows
        .iter()
        .find(|r| r["object_id"] == uuid.as_str())
        .expect("create row");
    assert_eq!(row["surface"], "accounts");
    // A change through /v1 shows through accounts; one through accounts shows in /v1.
    s.patch(
        &format!("/v1/organizations/{uuid}"),
        &tok,
        json!({"name": "Cross Corp"}),
    )
    .ok(200);
    assert_eq!(
        s.get(&item(id_of(&a)), &tok).body["organization_name"],
        "Cross Corp"
    );
    s.put(
        BASE,
        &tok,
        json!({"id": id_of(&a), "organization_name": "Cross Ltd"}),
    )
    .ok(200);
    assert_eq!(
        s.get(&format!("/v1/organizations/{uuid}"), &tok).body["name"],
        "Cross Ltd"
    );
    let rows = s.activity("object_type=organization&action=update");
    assert!(rows
        .iter()
        .any(|r| r["object_id"] == uuid.as_str() && r["surface"] == "accounts"));
    // An organization made through /v1 is an account too, with the caller's role.
    let v1_org = s.create_org(&tok, "Native One");
    let listed = s.get(BASE, &tok);
    let native = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["organization_name"] == "Native One")
        .cloned()
        .expect("listed");
    assert_eq!(
        s.get(&format!("{}/role", item(id_of(&native))), &tok).body,
        json!("OWNER")
    );
    // Deleted through accounts: gone from /v1.
    s.delete(&item(id_of(&native)), &tok);
    s.get(&format!("/v1/organizations/{v1_org}"), &tok)
        .problem(404);
}

#[test]
fn accounts_routes_are_described_and_not_served_when_unmounted() {
    let s = Server::start();
    let d = s.get("/openapi.json", "");
    d.ok(200);
    let paths = d.body["paths"].as_object().unwrap();
    for (path, methods) in [
        (BASE.to_string(), &["get", "post", "put"][..]),
        (
            format!("{BASE}/{{organization_id}}"),
            &["get", "put", "delete"][..],
        ),
        (
            format!("{BASE}/{{organization_id}}/leave"),
            &["get", "delete"][..],
        ),
        (format!("{BASE}/{{organization_id}}/role"), &["get"][..]),
        (format!("{BASE}/{{organization_id}}/summary"), &["get"][..]),
        (
            format!("{BASE}/{{organization_id}}/users"),
            &["get", "post", "put"][..],
        ),
        (
            format!("{BASE}/{{organization_id}}/users/{{user_ids}}"),
            &["delete"][..],
        ),
    ] {
        let item = paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} undescribed"));
        for m in methods {
            let op = &item[*m];
            assert_eq!(op["tags"], json!(["accounts"]), "{m} {path}");
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<&str> = path
                .split('/')
                .filter_map(|x| x.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(params, want, "{m} {path}");
        }
    }
    let bare = Server::with(|c| c.profiles = vec![]);
    let (_, tok) = bare.create_user("nobody");
    bare.get(BASE, &tok).problem(404);
    assert!(bare.get("/openapi.json", "").body["paths"]
        .get(BASE)
        .is_none());
}
