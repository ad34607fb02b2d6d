//! The AWX profile (seed 003, profiles.md "awx"): version discovery (`/api/`, `/api/v2/`),
//! ping/config/me, organizations under `/api/v1/` and `/api/v2/` (page envelope, paging,
//! ordering, search, field lookups, item fields, related links, create/update/delete rules,
//! DRF error bodies, `X-API-Time` and `Allow`, the OPTIONS metadata document), the `users/`
//! and `admins/` sub-lists (associate/disassociate), `activity_stream`, session login and
//! personal tokens, and what the same data looks like through `/v1` and Waldur.

use crate::support::*;
use serde_json::{json, Value};

const V2: &str = "/api/v2/organizations/";
const V1: &str = "/api/v1/organizations/";

fn opath(id: i64) -> String {
    format!("{V2}{id}/")
}

/// Creates an organization through AWX as the superuser (201 asserted); returns it.
fn awx_create(s: &Server, name: &str, description: &str) -> Value {
    let r = s.post(
        V2,
        &s.admin,
        json!({"name": name, "description": description}),
    );
    assert_eq!(r.status, 201, "AWX create {name}: {}", r.text);
    r.body
}

fn id_of(o: &Value) -> i64 {
    o["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("an integer id in {o}"))
}

/// The caller's AWX (integer) user id, from `/api/v2/me/`.
fn awx_user_id(s: &Server, token: &str) -> i64 {
    let r = s.get("/api/v2/me/", token);
    assert_eq!(r.status, 200, "me: {}", r.text);
    r.body["results"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("integer user id in {}", r.text))
}

fn names(r: &Resp) -> Vec<String> {
    r.result_strs("name")
}

/// The names of every organization `path` lists (a single page is enough here).
fn list_names(s: &Server, token: &str, path: &str) -> Vec<String> {
    let r = s.get(path, token);
    assert_eq!(r.status, 200, "GET {path}: {}", r.text);
    names(&r)
}

/// The organization as `/v1` shows it to staff, looked up by name (None if absent).
fn v1_by_name(s: &Server, name: &str) -> Option<Value> {
    let r = s.get(&format!("/v1/organizations?name={}", enc(name)), &s.admin);
    assert_eq!(r.status, 200, "v1 list by name: {}", r.text);
    let rs = r.results();
    assert!(rs.len() <= 1, "names are unique: {}", r.text);
    rs.into_iter().next()
}

/// Adds `user` (a /v1 id) to the /v1 organization `org` with `role`, as `token`.
fn v1_add_member(s: &Server, token: &str, org: &str, user: &str, role: &str) {
    let r = s.post(
        &format!("/v1/organizations/{org}/members"),
        token,
        json!({"user": user, "role": role}),
    );
    assert_eq!(r.status, 201, "adding a member: {}", r.text);
}

/// A non-staff user who owns a /v1 organization named `name`: (user id, user token, AWX
/// org id, /v1 org id).
fn owned_org(s: &Server, user: &str, name: &str) -> (String, String, i64, String) {
    let (uid, tok) = s.create_user(user);
    let org = s.create_org(&tok, name);
    let id = awx_id_by_name(s, name);
    (uid, tok, id, org)
}

/// The AWX id of the organization with this name (as the superuser).
fn awx_id_by_name(s: &Server, name: &str) -> i64 {
    let r = s.get(&format!("{V2}?name={}", enc(name)), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["count"], 1,
        "one organization named {name}: {}",
        r.text
    );
    id_of(&r.body["results"][0])
}

#[track_caller]
fn assert_detail(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "status; body: {}", r.text);
    assert!(
        r.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a DRF {{\"detail\": ...}} body: {}",
        r.text
    );
    assert!(
        r.content_type().starts_with("application/json"),
        "DRF errors are JSON: {:?}",
        r.content_type()
    );
}

#[track_caller]
fn assert_api_time(r: &Resp) {
    let t = r
        .header("x-api-time")
        .unwrap_or_else(|| panic!("X-API-Time on every AWX response: {:?}", r.headers));
    let num = t
        .strip_suffix('s')
        .unwrap_or_else(|| panic!("X-API-Time like 0.055s: {t}"));
    assert!(
        num.parse::<f64>().is_ok() && num.contains('.'),
        "X-API-Time like 0.055s: {t}"
    );
}

fn allow_set(r: &Resp) -> Vec<String> {
    r.header("allow")
        .unwrap_or_else(|| panic!("an Allow header: {:?}", r.headers))
        .split(',')
        .map(|m| m.trim().to_string())
        .collect()
}

/// The value of the `sessionid` cookie set by a response, if any.
fn session_cookie(r: &Resp) -> Option<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            let first = v.split(';').next()?.trim();
            let (k, val) = first.split_once('=')?;
            (k == "sessionid" && !val.is_empty()).then(|| val.to_string())
        })
}

fn form_login(s: &Server, username: &str, password: &str, next: &str) -> Resp {
    let body = format!(
        "username={}&password={}&next={}",
        enc(username),
        enc(password),
        enc(next)
    );
    s.call("POST", "/api/login/")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .bytes(body.into_bytes())
        .send()
}

// ---- discovery, ping, config, me ----

#[test]
fn awx_api_root_names_v2_and_is_readable_without_credentials() {
    let s = Server::start();
    let r = s.call("GET", "/api/").send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["available_versions"]["v2"], "/api/v2/", "{}", r.text);
    assert_eq!(r["current_version"], "/api/v2/", "{}", r.text);
    assert_api_time(&r);

    for v in ["v1", "v2"] {
        let m = s.call("GET", &format!("/api/{v}/")).send();
        assert_eq!(m.status, 200, "/api/{v}/ without credentials: {}", m.text);
        assert!(m.body.is_object(), "a map of resources: {}", m.text);
        assert_eq!(
            m["organizations"],
            format!("/api/{v}/organizations/"),
            "{}",
            m.text
        );
        for k in ["ping", "config", "me"] {
            assert_eq!(m[k], format!("/api/{v}/{k}/"), "{k} in the map: {}", m.text);
        }
        // Every path of the map is served.
        for (k, p) in m.body.as_object().unwrap() {
            let p = p.as_str().unwrap_or_else(|| panic!("{k} is a path"));
            let g = s.get(p, &s.admin);
            assert_eq!(g.status, 200, "GET {p} (from the {v} map): {}", g.text);
        }
    }
}

#[test]
fn awx_ping_is_public_config_and_me_need_credentials() {
    let s = Server::start();
    let p = s.call("GET", "/api/v2/ping/").send();
    assert_eq!(p.status, 200, "{}", p.text);
    assert!(p["version"].is_string(), "{}", p.text);

    let c = s.call("GET", "/api/v2/config/").send();
    assert_detail(&c, 401);
    let c = s.get("/api/v2/config/", &s.admin);
    assert_eq!(c.status, 200, "{}", c.text);
    assert!(c.body.is_object() && c["version"].is_string(), "{}", c.text);

    assert_detail(&s.call("GET", "/api/v2/me/").send(), 401);
    let (_, tok) = s.create_user("carol");
    let me = s.get("/api/v2/me/", &tok);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me["count"], 1, "{}", me.text);
    let u = &me["results"][0];
    assert_eq!(u["username"], "carol");
    assert_eq!(u["type"], "user");
    assert_eq!(u["is_superuser"], false);
    let id = u["id"].as_i64().expect("integer user id");
    assert_eq!(u["url"], format!("/api/v2/users/{id}/"));
    let admin_me = s.get("/api/v2/me/", &s.admin);
    assert_eq!(
        admin_me["results"][0]["is_superuser"], true,
        "{}",
        admin_me.text
    );
}

// ---- organizations: shape ----

#[test]
fn awx_org_item_has_the_seed_fields() {
    let s = Server::start();
    let admin_id = awx_user_id(&s, &s.admin);
    let r = s.post(V2, &s.admin, json!({"name": "Default"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_api_time(&r);
    let o = r.body.clone();
    let id = id_of(&o);
    assert_eq!(r.header("location"), Some(opath(id).as_str()));
    assert_eq!(o["type"], "organization");
    assert_eq!(o["url"], opath(id));
    assert_eq!(o["name"], "Default");
    assert_eq!(o["description"], "", "description defaults to empty");
    assert!(
        is_timestamp(&o["created"]) && is_timestamp(&o["modified"]),
        "{o}"
    );
    let related = o["related"].as_object().expect("related object");
    for (k, want) in [
        ("users", format!("{}users/", opath(id))),
        ("admins", format!("{}admins/", opath(id))),
        ("activity_stream", format!("{}activity_stream/", opath(id))),
        ("created_by", format!("/api/v2/users/{admin_id}/")),
        ("modified_by", format!("/api/v2/users/{admin_id}/")),
    ] {
        assert_eq!(related.get(k), Some(&json!(want)), "related.{k}: {o}");
    }
    let who = json!({"id": admin_id, "username": "admin", "first_name": "", "last_name": ""});
    assert_eq!(o["summary_fields"]["created_by"], who, "{o}");
    assert_eq!(o["summary_fields"]["modified_by"], who, "{o}");

    // The list shows the same item inside the page envelope.
    let l = s.get(V2, &s.admin);
    assert_eq!(l.status, 200, "{}", l.text);
    assert_eq!(l.body["count"], 1);
    assert_eq!(l.body["next"], Value::Null);
    assert_eq!(l.body["previous"], Value::Null);
    assert_eq!(l.body["results"], json!([o]));
    assert_api_time(&l);
    assert_eq!(
        allow_set(&l),
        ["GET", "POST", "HEAD", "OPTIONS"],
        "the seed's Allow"
    );

    let d = s.get(&opath(id), &s.admin);
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body, o);
    assert_api_time(&d);
    let allow = allow_set(&d);
    for m in ["GET", "PUT", "PATCH", "DELETE"] {
        assert!(
            allow.iter().any(|a| a == m),
            "detail Allow has {m}: {allow:?}"
        );
    }

    // /api/v1/ serves the same organization with v1 links.
    let d1 = s.get(&format!("{V1}{id}/"), &s.admin);
    assert_eq!(d1.status, 200, "{}", d1.text);
    assert_eq!(d1["url"], format!("{V1}{id}/"));
    assert_eq!(d1["related"]["users"], format!("{V1}{id}/users/"));
    assert_eq!(d1["name"], "Default");
    assert_eq!(d1["created"], o["created"]);
}

#[test]
fn awx_related_links_answer_200_when_followed() {
    let s = Server::start();
    let (_, tok) = s.create_user("owner");
    s.create_org(&tok, "Linked");
    let id = awx_id_by_name(&s, "Linked");
    for v in ["v1", "v2"] {
        let o = s.get(&format!("/api/{v}/organizations/{id}/"), &tok);
        assert_eq!(o.status, 200, "{}", o.text);
        let related = o["related"].as_object().expect("related").clone();
        for k in [
            "users",
            "admins",
            "activity_stream",
            "created_by",
            "modified_by",
        ] {
            assert!(related.contains_key(k), "related.{k} in {}", o.text);
        }
        for (k, link) in &related {
            let link = link
                .as_str()
                .unwrap_or_else(|| panic!("related.{k} is a string"));
            assert!(link.starts_with(&format!("/api/{v}/")), "{k}: {link}");
            for caller in [&s.admin, &tok] {
                let r = s.get(link, caller);
                assert_eq!(r.status, 200, "GET related.{k} {link}: {}", r.text);
            }
        }
        for k in ["users", "admins", "activity_stream"] {
            let r = s.get(related[k].as_str().unwrap(), &tok);
            assert!(
                r["count"].is_i64() && r["results"].is_array(),
                "{k} is a page: {}",
                r.text
            );
        }
        let cb = s.get(related["created_by"].as_str().unwrap(), &tok);
        assert_eq!(cb["username"], "owner", "{}", cb.text);
        assert_eq!(o["summary_fields"]["created_by"]["username"], "owner");
        assert_eq!(o["summary_fields"]["created_by"]["id"], cb["id"]);
        let users = s.get(related["users"].as_str().unwrap(), &tok);
        assert_eq!(users.result_strs("username"), ["owner"], "{}", users.text);
        let admins = s.get(related["admins"].as_str().unwrap(), &tok);
        assert_eq!(admins.result_strs("username"), ["owner"], "{}", admins.text);
    }
}

#[test]
fn awx_summary_modified_by_follows_the_last_editor() {
    let s = Server::start();
    let (_, tok) = s.create_user("editor");
    s.create_org(&tok, "Edited");
    let id = awx_id_by_name(&s, "Edited");
    let me = awx_user_id(&s, &tok);
    let r = s.patch(&opath(id), &s.admin, json!({"description": "by admin"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["summary_fields"]["created_by"]["username"], "editor");
    assert_eq!(r["summary_fields"]["created_by"]["id"], me);
    assert_eq!(
        r["summary_fields"]["modified_by"]["username"], "admin",
        "{}",
        r.text
    );
    assert_eq!(
        r["related"]["modified_by"],
        format!("/api/v2/users/{}/", awx_user_id(&s, &s.admin))
    );
}

// ---- lists: paging, ordering, search, lookups ----

#[test]
fn awx_list_pages_25_by_default_with_relative_links_keeping_params() {
    let s = Server::start();
    for i in 0..30 {
        awx_create(&s, &format!("org-{i:02}"), "");
    }
    let r = s.get(V2, &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["count"], 30);
    assert_eq!(r.results().len(), 25, "default page_size is 25");
    assert_eq!(r["previous"], Value::Null);
    let next = r["next"].as_str().expect("a next link").to_string();
    assert!(
        next.starts_with("/api/v2/organizations/?"),
        "relative next: {next}"
    );
    assert!(next.contains("page=2"), "{next}");
    let p2 = s.get(&next, &s.admin);
    assert_eq!(p2.status, 200, "{}", p2.text);
    assert_eq!(p2.results().len(), 5);
    assert_eq!(p2["next"], Value::Null);
    let prev = p2["previous"].as_str().expect("a previous link");
    assert!(
        prev.starts_with("/api/v2/organizations/"),
        "relative previous: {prev}"
    );
    let back = s.get(prev, &s.admin);
    assert_eq!(back.body, r.body, "previous of page 2 is page 1");

    // Other parameters survive in next/previous.
    let q = format!("{V2}?order_by=-name&page_size=10&page=2&search=org");
    let r = s.get(&q, &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.results().len(), 10);
    let want: Vec<String> = (10..20).rev().map(|i| format!("org-{i:02}")).collect();
    assert_eq!(names(&r), want);
    for link in ["next", "previous"] {
        let l = r[link]
            .as_str()
            .unwrap_or_else(|| panic!("{link} on page 2 of 3"));
        assert!(l.starts_with("/api/v2/organizations/?"), "{link}: {l}");
        for p in ["order_by=-name", "page_size=10", "search=org"] {
            assert!(l.contains(p), "{link} keeps {p}: {l}");
        }
    }
    assert!(r["next"].as_str().unwrap().contains("page=3"));
    let n = s.get(r["next"].as_str().unwrap(), &s.admin);
    let want: Vec<String> = (0..10).rev().map(|i| format!("org-{i:02}")).collect();
    assert_eq!(names(&n), want, "following next keeps the order");
    assert_eq!(n["next"], Value::Null);

    // The same under /api/v1/.
    let v1 = s.get(&format!("{V1}?page_size=10"), &s.admin);
    assert_eq!(v1["count"], 30);
    assert!(
        v1["next"]
            .as_str()
            .is_some_and(|n| n.starts_with("/api/v1/organizations/?")),
        "{}",
        v1.text
    );
}

#[test]
fn awx_invalid_page_is_404_invalid_page() {
    let s = Server::start();
    for i in 0..3 {
        awx_create(&s, &format!("p{i}"), "");
    }
    for q in [
        "page=2",
        "page=0",
        "page=-1",
        "page=abc",
        "page_size=1&page=4",
    ] {
        let r = s.get(&format!("{V2}?{q}"), &s.admin);
        assert_eq!(r.status, 404, "{q}: {}", r.text);
        assert_eq!(r.body, json!({"detail": "Invalid page."}), "{q}");
        assert_api_time(&r);
    }
    let r = s.get(&format!("{V2}?page_size=1&page=3"), &s.admin);
    assert_eq!(r.status, 200, "the last page exists: {}", r.text);
    assert_eq!(r.results().len(), 1);
    assert_eq!(r["next"], Value::Null);
    // An empty list still has page 1.
    let e = s.get(&format!("{V2}?name=none&page=1"), &s.admin);
    assert_eq!(e.status, 200, "{}", e.text);
    assert_eq!(e["count"], 0);
}

#[test]
fn awx_page_size_is_capped_at_200() {
    let s = Server::start();
    for i in 0..201 {
        awx_create(&s, &format!("bulk-{i:03}"), "");
    }
    let r = s.get(&format!("{V2}?page_size=1000"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["count"], 201);
    assert_eq!(r.results().len(), 200, "page_size is capped at 200");
    let next = r["next"].as_str().expect("a second page").to_string();
    let n = s.get(&next, &s.admin);
    assert_eq!(n.status, 200, "{}", n.text);
    assert_eq!(n.results().len(), 1);
    let r = s.get(&format!("{V2}?page_size=200"), &s.admin);
    assert_eq!(r.results().len(), 200);
}

#[test]
fn awx_order_by_takes_commas_and_minus_and_rejects_unknown_fields() {
    let s = Server::start();
    let a = awx_create(&s, "Bravo", "x");
    let b = awx_create(&s, "alpha", "y");
    let c = awx_create(&s, "Charlie", "x");
    let r = s.get(&format!("{V2}?order_by=name"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    let asc = names(&r);
    let mut sorted = asc.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    let mut sorted_cs = asc.clone();
    sorted_cs.sort();
    assert!(
        asc == sorted || asc == sorted_cs,
        "ordered by name: {asc:?}"
    );
    let mut desc = asc.clone();
    desc.reverse();
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?order_by=-name")),
        desc
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?order=-name")),
        desc,
        "order is order_by"
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?order_by=description,-name")),
        ["Charlie", "Bravo", "alpha"],
        "two keys"
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?order_by=-id")),
        [
            c["name"].as_str().unwrap(),
            b["name"].as_str().unwrap(),
            a["name"].as_str().unwrap()
        ]
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?order_by=created")),
        ["Bravo", "alpha", "Charlie"]
    );
    for bad in ["bogus", "-bogus", "name,bogus", "password"] {
        let r = s.get(&format!("{V2}?order_by={bad}"), &s.admin);
        assert_detail(&r, 400);
    }
    assert_detail(&s.get(&format!("{V2}?order=bogus"), &s.admin), 400);
}

#[test]
fn awx_search_is_case_insensitive_over_name_and_description_and_all_terms_must_match() {
    let s = Server::start();
    awx_create(&s, "Alpha Ops", "network team");
    awx_create(&s, "Beta", "ALPHA backup");
    awx_create(&s, "Gamma", "ops people");
    let search = |q: &str| {
        let mut v = list_names(
            &s,
            &s.admin,
            &format!("{V2}?search={}&order_by=name", enc(q)),
        );
        v.sort();
        v
    };
    assert_eq!(search("alpha"), ["Alpha Ops", "Beta"]);
    assert_eq!(search("aLpHa"), ["Alpha Ops", "Beta"]);
    assert_eq!(search("NETWORK"), ["Alpha Ops"], "description is searched");
    assert_eq!(search("ops"), ["Alpha Ops", "Gamma"]);
    assert_eq!(search("alpha ops"), ["Alpha Ops"], "every term must match");
    assert_eq!(search("backup alpha"), ["Beta"]);
    assert_eq!(search("alpha zulu"), Vec::<String>::new());
    awx_create(&s, "Tartu Ülikool", "ÕPPEASUTUS");
    assert_eq!(
        search("ülikool"),
        ["Tartu Ülikool"],
        "case-insensitive beyond ASCII"
    );
    assert_eq!(search("õppeasutus"), ["Tartu Ülikool"]);
    let r = s.get(&format!("{V2}?search=alpha+ops"), &s.admin);
    assert_eq!(names(&r), ["Alpha Ops"], "+ is a space: {}", r.text);
    assert_eq!(r["count"], 1);
}

#[test]
fn awx_field_lookups_filter_the_list() {
    let s = Server::start();
    let a = id_of(&awx_create(&s, "Red Team", "first"));
    let b = id_of(&awx_create(&s, "Blue Team", ""));
    let c = id_of(&awx_create(&s, "Green", "third"));
    let f = |q: &str| {
        let r = s.get(&format!("{V2}?{q}&order_by=id"), &s.admin);
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        assert_eq!(r["count"], r.results().len(), "{q}");
        names(&r)
    };
    assert_eq!(f("name=Green"), ["Green"]);
    assert_eq!(f("name__icontains=TEAM"), ["Red Team", "Blue Team"]);
    assert_eq!(f("not__name__icontains=team"), ["Green"]);
    assert_eq!(f("not__name=Green"), ["Red Team", "Blue Team"]);
    assert_eq!(f(&format!("id__in={a},{c}")), ["Red Team", "Green"]);
    assert_eq!(f(&format!("not__id__in={a},{c}")), ["Blue Team"]);
    assert_eq!(f(&format!("id={b}")), ["Blue Team"]);
    assert_eq!(f(&format!("id__gt={a}")), ["Blue Team", "Green"]);
    assert_eq!(f(&format!("id__gte={b}")), ["Blue Team", "Green"]);
    assert_eq!(f(&format!("id__lt={b}")), ["Red Team"]);
    assert_eq!(f(&format!("id__lte={b}")), ["Red Team", "Blue Team"]);
    assert_eq!(f("description__icontains=IR"), ["Red Team", "Green"]);
    assert_eq!(f("description__isnull=true"), Vec::<String>::new());
    assert_eq!(
        f("description__isnull=false"),
        ["Red Team", "Blue Team", "Green"]
    );
    assert_eq!(
        f("created__gte=2000-01-01T00:00:00.000Z"),
        ["Red Team", "Blue Team", "Green"]
    );
    assert_eq!(
        f("created__lt=2000-01-01T00:00:00.000Z"),
        Vec::<String>::new()
    );
    assert_eq!(
        f("name__icontains=team&description=first"),
        ["Red Team"],
        "lookups combine"
    );
    for bad in [
        "bogus=1",
        "not__bogus=1",
        "password__icontains=x",
        "owner=1",
        "id=abc",
        "id__gt=x",
    ] {
        let r = s.get(&format!("{V2}?{bad}"), &s.admin);
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(r.body.is_object(), "{bad}: a DRF error body: {}", r.text);
    }
    assert_detail(&s.get(&format!("{V2}?bogus=1"), &s.admin), 400);
}

// ---- create ----

#[test]
fn awx_create_is_superuser_only() {
    let s = Server::start();
    let (_, tok) = s.create_user("plain");
    let r = s.post(V2, &tok, json!({"name": "Mine"}));
    assert_detail(&r, 403);
    assert_api_time(&r);
    let r = s.call("POST", V2).json(json!({"name": "Anon"})).send();
    assert_detail(&r, 401);
    assert!(
        v1_by_name(&s, "Mine").is_none() && v1_by_name(&s, "Anon").is_none(),
        "nothing created"
    );
    assert_eq!(s.get(V2, &s.admin)["count"], 0);
    // A staff user other than the bootstrap admin may create.
    s.new_user(json!({"username": "root2", "password": PASSWORD, "is_staff": true}));
    let staff = s.login("root2", PASSWORD);
    let r = s.post(
        V1,
        &staff,
        json!({"name": "Staff made", "description": "d"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r["url"], format!("{V1}{}/", id_of(&r.body)));
    let v = v1_by_name(&s, "Staff made").expect("stored");
    assert_eq!(v["description"], "d");
}

#[test]
fn awx_create_validates_name_required_blank_and_length() {
    let s = Server::start();
    for body in [
        json!({}),
        json!({"description": "no name"}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": null}),
        json!({"name": "x".repeat(513)}),
    ] {
        let r = s.post(V2, &s.admin, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        let keys: Vec<&String> = r
            .body
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["name"],
            "a field error on name for {body}: {}",
            r.text
        );
        let msgs = r["name"].as_array().expect("a list of messages");
        assert!(
            !msgs.is_empty()
                && msgs
                    .iter()
                    .all(|m| m.as_str().is_some_and(|m| !m.is_empty()))
        );
    }
    assert_eq!(
        s.post(V2, &s.admin, json!({}))["name"],
        json!(["This field is required."])
    );
    assert_eq!(s.get(V2, &s.admin)["count"], 0, "nothing stored");
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 0);
    let long = "y".repeat(512);
    let r = s.post(V2, &s.admin, json!({"name": long}));
    assert_eq!(r.status, 201, "512 characters are allowed: {}", r.text);
    assert_eq!(r["name"], long);
    // Unknown fields are ignored, as DRF does.
    let r = s.post(V2, &s.admin, json!({"name": "Extra", "max_hosts": 5}));
    assert_eq!(r.status, 201, "{}", r.text);
}

#[test]
fn awx_duplicate_name_is_400_field_error() {
    let s = Server::start();
    let first = awx_create(&s, "Ops", "");
    let want = json!({"name": ["Organization with this Name already exists."]});
    for name in ["Ops", "OPS", "ops"] {
        let r = s.post(V2, &s.admin, json!({"name": name}));
        assert_eq!(r.status, 400, "{name}: {}", r.text);
        assert_eq!(r.body, want, "{name}");
    }
    // Against a name taken through /v1, and on update too.
    let (_, tok) = s.create_user("u");
    s.create_org(&tok, "Native");
    let r = s.post(V2, &s.admin, json!({"name": "native"}));
    assert_eq!(
        (r.status, r.body.clone()),
        (400, want.clone()),
        "{}",
        r.text
    );
    let r = s.patch(&opath(id_of(&first)), &s.admin, json!({"name": "NATIVE"}));
    assert_eq!(
        (r.status, r.body.clone()),
        (400, want.clone()),
        "{}",
        r.text
    );
    let r = s.put(&opath(id_of(&first)), &s.admin, json!({"name": "Native"}));
    assert_eq!((r.status, r.body.clone()), (400, want), "{}", r.text);
    assert_eq!(s.get(V2, &s.admin)["count"], 2, "nothing more stored");
    let r = s.patch(&opath(id_of(&first)), &s.admin, json!({"name": "OPS"}));
    assert_eq!(r.status, 200, "its own name in another case: {}", r.text);
    let r = s.patch(&opath(id_of(&first)), &s.admin, json!({"name": "Ops"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get(&opath(id_of(&first)), &s.admin)["name"], "Ops");
}

// ---- change and delete ----

#[test]
fn awx_org_admin_may_change_and_delete() {
    let s = Server::start();
    let (_, tok, id, org) = owned_org(&s, "boss", "Boss Org");
    let r = s.patch(&opath(id), &tok, json!({"description": "patched"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["description"], "patched");
    assert_eq!(r["name"], "Boss Org");
    assert_eq!(s.get(&opath(id), &tok)["description"], "patched");
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}"), &tok)["description"],
        "patched"
    );
    let r = s.put(
        &opath(id),
        &tok,
        json!({"name": "Boss Org 2", "description": "put"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r["name"].clone(), r["description"].clone()),
        (json!("Boss Org 2"), json!("put"))
    );
    let v = s.get(&format!("/v1/organizations/{org}"), &tok);
    assert_eq!(
        (v["name"].clone(), v["description"].clone()),
        (json!("Boss Org 2"), json!("put"))
    );
    // PUT needs the name; PATCH validates what it gets.
    let r = s.put(&opath(id), &tok, json!({"description": "no name"}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r["name"].is_array(), "{}", r.text);
    let r = s.patch(&opath(id), &tok, json!({"name": ""}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r["name"].is_array(), "{}", r.text);
    assert_eq!(s.get(&opath(id), &tok)["name"], "Boss Org 2");

    // A native admin member (not the owner) is an AWX org admin too.
    let (aid, atok) = s.create_user("second");
    v1_add_member(&s, &tok, &org, &aid, "admin");
    let r = s.patch(&opath(id), &atok, json!({"description": "by admin"}));
    assert_eq!(r.status, 200, "an org admin changes it: {}", r.text);
    let d = s.delete(&opath(id), &atok);
    assert_eq!(d.status, 204, "an org admin deletes it: {}", d.text);
    assert_eq!(d.text, "");
    assert_detail(&s.get(&opath(id), &s.admin), 404);
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}"), &s.admin).status,
        404
    );
}

#[test]
fn awx_plain_member_gets_403_and_stranger_404_on_change() {
    let s = Server::start();
    let (_, owner, id, org) = owned_org(&s, "own", "Guarded");
    let (mid, member) = s.create_user("member");
    v1_add_member(&s, &owner, &org, &mid, "viewer");
    let (_, stranger) = s.create_user("stranger");

    let g = s.get(&opath(id), &member);
    assert_eq!(g.status, 200, "members see it: {}", g.text);
    assert_eq!(list_names(&s, &member, V2), ["Guarded"]);
    for (m, body) in [
        ("PATCH", json!({"description": "x"})),
        ("PUT", json!({"name": "Taken over"})),
        ("DELETE", Value::Null),
    ] {
        let mut c = s.call(m, &opath(id)).auth(&member);
        if !body.is_null() {
            c = c.json(body.clone());
        }
        assert_detail(&c.send(), 403);
        let mut c = s.call(m, &opath(id)).auth(&stranger);
        if !body.is_null() {
            c = c.json(body);
        }
        let r = c.send();
        assert_eq!(r.status, 404, "{m} by a stranger: {}", r.text);
        assert_eq!(r.body, json!({"detail": "Not found."}));
    }
    let r = s.get(&opath(id), &stranger);
    assert_eq!(
        (r.status, r.body.clone()),
        (404, json!({"detail": "Not found."}))
    );
    assert_eq!(
        list_names(&s, &stranger, V2),
        Vec::<String>::new(),
        "strangers do not list it"
    );
    let v = s.get(&format!("/v1/organizations/{org}"), &owner);
    assert_eq!(
        (v["name"].clone(), v["description"].clone()),
        (json!("Guarded"), json!("")),
        "unchanged"
    );
}

#[test]
fn awx_superuser_may_change_and_delete_any_org() {
    let s = Server::start();
    let (_, owner, id, org) = owned_org(&s, "someone", "Theirs");
    let r = s.patch(&opath(id), &s.admin, json!({"name": "Renamed by root"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}"), &owner)["name"],
        "Renamed by root"
    );
    let d = s.delete(&format!("{V1}{id}/"), &s.admin);
    assert_eq!(d.status, 204, "{}", d.text);
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}"), &s.admin).status,
        404
    );
    assert_detail(&s.delete(&opath(id), &s.admin), 404);
}

#[test]
fn awx_errors_have_drf_shapes_and_headers() {
    let s = Server::start();
    let r = s.call("GET", V2).send();
    assert_detail(&r, 401);
    assert_api_time(&r);
    let r = s.get(V2, "not-a-real-token");
    assert_detail(&r, 401);
    for p in [
        "/api/v2/organizations/999999/",
        "/api/v2/organizations/abc/",
        "/api/v1/organizations/0/",
    ] {
        let r = s.get(p, &s.admin);
        assert_eq!(r.status, 404, "{p}: {}", r.text);
        assert_eq!(r.body, json!({"detail": "Not found."}), "{p}");
        assert_api_time(&r);
    }
    // A method the route does not serve: 405 with Allow.
    let r = s.call("DELETE", V2).auth(&s.admin).send();
    assert_eq!(r.status, 405, "{}", r.text);
    assert!(r["detail"].is_string(), "{}", r.text);
    assert!(allow_set(&r).contains(&"POST".to_string()));
}

// ---- OPTIONS ----

fn assert_options_doc(doc: &Value) {
    assert_eq!(doc["name"], "Organization List", "{doc}");
    assert!(
        doc["description"]
            .as_str()
            .is_some_and(|d| d.contains("List Organizations")),
        "{doc}"
    );
    assert_eq!(doc["renders"], json!(["application/json", "text/html"]));
    assert_eq!(doc["parses"], json!(["application/json"]));
    assert_eq!(doc["types"], json!(["organization"]));
    let mut sf: Vec<String> = doc["search_fields"]
        .as_array()
        .expect("search_fields")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    sf.sort();
    assert_eq!(sf, ["description", "name"]);
    assert_eq!(doc["max_page_size"], 200);
    let get = doc["actions"]["GET"].as_object().expect("actions.GET");
    for f in [
        "id",
        "type",
        "url",
        "related",
        "summary_fields",
        "created",
        "modified",
        "name",
        "description",
    ] {
        assert!(
            get.get(f)
                .is_some_and(|d| d["type"].as_str().is_some_and(|t| !t.is_empty())),
            "actions.GET.{f} has a type: {doc}"
        );
    }
    for (f, d) in get {
        assert!(d["type"].is_string(), "every GET field has a type: {f}");
    }
    assert_eq!(get["id"]["type"], "integer");
    assert_eq!(get["url"]["type"], "string");
    assert_eq!(get["related"]["type"], "object");
    assert_eq!(get["summary_fields"]["type"], "object");
    assert_eq!(get["created"]["type"], "datetime");
    assert_eq!(get["modified"]["type"], "datetime");
    assert_eq!(get["name"]["type"], "string");
    assert_eq!(get["description"]["type"], "string");
    assert!(
        get["type"]["choices"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c[0] == "organization")),
        "type choices: {doc}"
    );
}

#[test]
fn awx_options_on_list_returns_the_seed_metadata_with_post_for_superusers() {
    let s = Server::start();
    let r = s.call("OPTIONS", V2).auth(&s.admin).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_api_time(&r);
    assert_options_doc(&r.body);
    let post = r["actions"]["POST"]
        .as_object()
        .expect("actions.POST for a superuser");
    assert_eq!(post["name"]["type"], "string");
    assert_eq!(post["name"]["required"], true);
    assert_eq!(post["name"]["max_length"], 512);
    assert_eq!(
        post["name"]["label"].as_str().map(str::to_lowercase),
        Some("name".into())
    );
    assert_eq!(post["description"]["type"], "string");
    assert_eq!(post["description"]["required"], false);
    assert_eq!(post["description"]["default"], "");
    for (f, d) in post {
        assert!(d["type"].is_string(), "every POST field has a type: {f}");
    }
    let v1 = s.call("OPTIONS", V1).auth(&s.admin).send();
    assert_eq!(v1.status, 200, "{}", v1.text);
    assert!(v1["actions"]["POST"].is_object());
}

#[test]
fn awx_options_on_list_has_no_post_for_non_superusers() {
    let s = Server::start();
    let (_, tok) = s.create_user("viewer");
    let r = s.call("OPTIONS", V2).auth(&tok).send();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_options_doc(&r.body);
    assert!(
        r["actions"].get("POST").is_none(),
        "no POST for a non-superuser: {}",
        r.text
    );
    assert!(r["actions"]["GET"].is_object());
}

#[test]
fn awx_options_on_detail_allows_put_and_delete() {
    let s = Server::start();
    let o = awx_create(&s, "First", "");
    for p in ["/api/v2/organizations/1/".to_string(), opath(id_of(&o))] {
        let r = s.call("OPTIONS", &p).auth(&s.admin).send();
        assert_eq!(r.status, 200, "OPTIONS {p}: {}", r.text);
        let allow = allow_set(&r);
        for m in ["GET", "PUT", "PATCH", "DELETE"] {
            assert!(
                allow.iter().any(|a| a == m),
                "OPTIONS {p} Allow has {m}: {allow:?}"
            );
        }
        assert_api_time(&r);
    }
}

// ---- users/ and admins/ ----

#[test]
fn awx_users_sublist_associates_and_disassociates() {
    let s = Server::start();
    let id = id_of(&awx_create(&s, "Team", ""));
    let (uid, tok) = s.create_user("joiner");
    let n = awx_user_id(&s, &tok);
    let users = format!("{}users/", opath(id));
    assert_detail(&s.get(&opath(id), &tok), 404);

    let r = s.post(&users, &s.admin, json!({"id": n}));
    assert_eq!(r.status, 204, "associate: {}", r.text);
    let l = s.get(&users, &s.admin);
    assert_eq!(l.status, 200, "{}", l.text);
    assert!(
        l.result_strs("username").contains(&"joiner".to_string()),
        "{}",
        l.text
    );
    let me = l
        .results()
        .into_iter()
        .find(|u| u["username"] == "joiner")
        .unwrap();
    assert_eq!(me["id"], n);
    let g = s.get(&opath(id), &tok);
    assert_eq!(
        g.status, 200,
        "an associated user sees the organization: {}",
        g.text
    );
    assert_eq!(list_names(&s, &tok, V2), ["Team"]);
    let v1org = v1_by_name(&s, "Team").unwrap();
    let m = s.get(
        &format!(
            "/v1/organizations/{}/members/{uid}",
            v1org["id"].as_str().unwrap()
        ),
        &s.admin,
    );
    assert_eq!(m.status, 200, "a native membership: {}", m.text);
    assert_eq!(m["status"], "approved");
    assert_detail(&s.patch(&opath(id), &tok, json!({"description": "x"})), 403);
    // Associating again is harmless.
    assert_eq!(s.post(&users, &s.admin, json!({"id": n})).status, 204);

    let r = s.post(&users, &s.admin, json!({"id": n, "disassociate": true}));
    assert_eq!(r.status, 204, "disassociate: {}", r.text);
    let l = s.get(&users, &s.admin);
    assert!(
        !l.result_strs("username").contains(&"joiner".to_string()),
        "{}",
        l.text
    );
    assert_detail(&s.get(&opath(id), &tok), 404);

    // Bad ids are field errors.
    let r = s.post(&users, &s.admin, json!({"id": 999_999}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r["id"].is_array(), "{}", r.text);
    let r = s.post(&users, &s.admin, json!({"id": "abc"}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r["id"].is_array(), "{}", r.text);
}

#[test]
fn awx_admins_association_lets_the_user_patch() {
    let s = Server::start();
    let id = id_of(&awx_create(&s, "Managed", ""));
    let (_, tok) = s.create_user("lead");
    let n = awx_user_id(&s, &tok);
    let admins = format!("{}admins/", opath(id));
    let users = format!("{}users/", opath(id));
    assert_detail(&s.patch(&opath(id), &tok, json!({"description": "x"})), 404);

    let r = s.post(&admins, &s.admin, json!({"id": n}));
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(s
        .get(&admins, &s.admin)
        .result_strs("username")
        .contains(&"lead".to_string()));
    assert!(s
        .get(&users, &s.admin)
        .result_strs("username")
        .contains(&"lead".to_string()));
    let r = s.patch(&opath(id), &tok, json!({"description": "by the new admin"}));
    assert_eq!(r.status, 200, "an admin patches: {}", r.text);
    assert_eq!(
        v1_by_name(&s, "Managed").unwrap()["description"],
        "by the new admin"
    );
    // An admin may manage the users list too (here a user the admin already knows).
    let (other_id, other) = s.create_user("other");
    let elsewhere = s.create_org(&tok, "Elsewhere");
    v1_add_member(&s, &tok, &elsewhere, &other_id, "viewer");
    let on = awx_user_id(&s, &other);
    assert_eq!(s.post(&users, &tok, json!({"id": on})).status, 204);
    assert_eq!(s.get(&opath(id), &other).status, 200);

    let r = s.post(&admins, &s.admin, json!({"id": n, "disassociate": true}));
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(!s
        .get(&admins, &s.admin)
        .result_strs("username")
        .contains(&"lead".to_string()));
    assert_detail(
        &s.patch(&opath(id), &tok, json!({"description": "again"})),
        403,
    );
}

#[test]
fn awx_activity_stream_lists_changes() {
    let s = Server::start();
    let id = id_of(&awx_create(&s, "Audited", ""));
    let (_, tok) = s.create_user("audited-user");
    let n = awx_user_id(&s, &tok);
    assert_eq!(
        s.patch(&opath(id), &s.admin, json!({"description": "changed"}))
            .status,
        200
    );
    assert_eq!(
        s.post(&format!("{}users/", opath(id)), &s.admin, json!({"id": n}))
            .status,
        204
    );
    let r = s.get(&format!("{}activity_stream/", opath(id)), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    let rs = r.results();
    assert_eq!(r["count"], rs.len());
    let ops: Vec<&str> = rs.iter().filter_map(|a| a["operation"].as_str()).collect();
    for want in ["create", "update", "associate"] {
        assert!(ops.contains(&want), "an {want} entry: {ops:?}");
    }
    for a in &rs {
        assert!(a["id"].is_i64(), "{a}");
        assert!(is_timestamp(&a["timestamp"]), "{a}");
    }
    let upd = rs.iter().find(|a| a["operation"] == "update").unwrap();
    assert_eq!(
        upd["changes"]["description"],
        json!(["", "changed"]),
        "{upd}"
    );
    // Plain members do not read it; strangers get 404.
    let st = s.get(
        &format!("{}activity_stream/", opath(id)),
        &s.create_user("x").1,
    );
    assert_eq!(st.status, 404, "{}", st.text);
}

// ---- login, sessions, tokens ----

#[test]
fn awx_session_login_sets_a_cookie_that_authenticates_me() {
    let s = Server::start();
    s.create_user("sess");
    let r = form_login(&s, "sess", PASSWORD, "/api/v2/");
    assert_eq!(r.status, 302, "{}", r.text);
    assert_eq!(r.header("location"), Some("/api/v2/"));
    let sid = session_cookie(&r).unwrap_or_else(|| panic!("a sessionid cookie: {:?}", r.headers));
    let cookie = format!("sessionid={sid}");
    let set = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("sessionid="))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(set.contains("HttpOnly") && set.contains("Path=/"), "{set}");
    // Sessions are stored like tokens: hashed, never the secret itself.
    for ext in ["", "-wal"] {
        let mut p = s.db.clone().into_os_string();
        p.push(ext);
        if let Ok(bytes) = std::fs::read(&p) {
            assert!(
                !bytes.windows(sid.len()).any(|w| w == sid.as_bytes()),
                "the session secret is stored in clear in {p:?}"
            );
        }
    }
    let me = s
        .call("GET", "/api/v2/me/")
        .header("Cookie", &cookie)
        .send();
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me["results"][0]["username"], "sess");
    let l = s.call("GET", V2).header("Cookie", &cookie).send();
    assert_eq!(
        l.status, 200,
        "the session authenticates other requests: {}",
        l.text
    );
    let c = s
        .call("GET", "/api/v2/config/")
        .header("Cookie", &cookie)
        .send();
    assert_eq!(c.status, 200, "{}", c.text);
    assert_detail(
        &s.call("GET", "/api/v2/me/")
            .header("Cookie", "sessionid=forged")
            .send(),
        401,
    );
    // `next` only redirects within the site.
    let r = form_login(&s, "sess", PASSWORD, "//evil.example/");
    assert_eq!(r.status, 302, "{}", r.text);
    let loc = r.header("location").unwrap_or("");
    assert!(
        loc.starts_with('/') && !loc.starts_with("//"),
        "Location: {loc}"
    );
}

#[test]
fn awx_login_with_a_wrong_password_sets_no_cookie() {
    let s = Server::start();
    s.create_user("sess2");
    for (u, p) in [
        ("sess2", "wrong password"),
        ("nobody", PASSWORD),
        ("sess2", ""),
    ] {
        let r = form_login(&s, u, p, "/api/v2/");
        assert!(
            session_cookie(&r).is_none(),
            "no session for {u}/{p}: {:?}",
            r.headers
        );
        assert!(
            r.status >= 400 && r.status < 500,
            "{u}/{p}: a client error, got {}: {}",
            r.status,
            r.text
        );
    }
}

#[test]
fn awx_personal_token_via_basic_auth_works_as_bearer() {
    let s = Server::start();
    s.create_user("cli");
    s.create_user("victim");
    let r = s
        .call("POST", "/api/v2/users/cli/personal_tokens/")
        .header("Authorization", &basic("cli", PASSWORD))
        .json(json!({"description": "AWX CLI", "application": null, "scope": "write"}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r["token"].as_str().expect("a token").to_string();
    assert!(!token.is_empty());
    let me = s.get("/api/v2/me/", &token);
    assert_eq!(me.status, 200, "the token works as Bearer: {}", me.text);
    assert_eq!(me["results"][0]["username"], "cli");
    assert_eq!(s.get(V2, &token).status, 200);

    let other = s
        .call("POST", "/api/v2/users/victim/personal_tokens/")
        .header("Authorization", &basic("cli", PASSWORD))
        .json(json!({"description": "steal"}))
        .send();
    assert_detail(&other, 403);
    assert!(other["token"].is_null(), "{}", other.text);
    let bad = s
        .call("POST", "/api/v2/users/cli/personal_tokens/")
        .header("Authorization", &basic("cli", "nope"))
        .json(json!({}))
        .send();
    assert_detail(&bad, 401);
    // Basic authenticates the rest of the API too.
    let l = s
        .call("GET", V2)
        .header("Authorization", &basic("cli", PASSWORD))
        .send();
    assert_eq!(l.status, 200, "{}", l.text);
}

// ---- across profiles ----

#[test]
fn awx_org_appears_in_waldur_and_v1_and_is_in_the_activity_log() {
    let s = Server::start();
    let o = awx_create(&s, "Shared Org", "from awx");
    let v = v1_by_name(&s, "Shared Org").expect("visible in /v1");
    let by_name = s.get(
        &format!("/v1/organizations/{}", enc("Shared Org")),
        &s.admin,
    );
    assert_eq!(by_name.status, 200, "{}", by_name.text);
    assert_eq!(by_name["id"], v["id"]);
    assert_eq!(v["description"], "from awx");
    assert_eq!(v["created"], o["created"]);
    let w = s
        .call(
            "GET",
            &format!("/api/organizations/?name={}", enc("Shared Org")),
        )
        .header("Authorization", &format!("Token {}", s.admin))
        .send();
    assert_eq!(w.status, 200, "{}", w.text);
    let hex = v["id"].as_str().unwrap().replace('-', "");
    assert!(
        w.body.as_array().is_some_and(|a| a
            .iter()
            .any(|x| x["uuid"] == hex.as_str() && x["name"] == "Shared Org")),
        "in Waldur: {}",
        w.text
    );
    let vid = v["id"].as_str().unwrap();
    let created = s.activity("object_type=organization&action=create");
    assert!(
        created.iter().any(|a| a["object_id"] == vid),
        "a create row for it: {created:?}"
    );

    let id = id_of(&o);
    assert_eq!(
        s.patch(&opath(id), &s.admin, json!({"description": "awx edit"}))
            .status,
        200
    );
    let updated = s.activity("object_type=organization&action=update");
    assert!(
        updated.iter().any(|a| a["object_id"] == vid
            && a["changes"]["description"] == json!(["from awx", "awx edit"])),
        "an update row: {updated:?}"
    );
    assert_eq!(s.delete(&opath(id), &s.admin).status, 204);
    let deleted = s.activity("object_type=organization&action=delete");
    assert!(
        deleted.iter().any(|a| a["object_id"] == vid),
        "a delete row: {deleted:?}"
    );
    assert!(v1_by_name(&s, "Shared Org").is_none());
}

#[test]
fn awx_lists_orgs_made_through_v1_and_waldur_to_superusers() {
    let s = Server::start();
    let (_, tok) = s.create_user("native");
    s.create_org(&tok, "From V1");
    let w = s
        .call("POST", "/api/organizations/")
        .header("Authorization", &format!("Token {}", s.admin))
        .json(json!({"name": "From Waldur", "native_name": "W", "abbreviation": "FW"}))
        .send();
    assert_eq!(w.status, 201, "{}", w.text);
    let mut all = list_names(&s, &s.admin, V2);
    all.sort();
    assert_eq!(all, ["From V1", "From Waldur"]);
    assert_eq!(
        list_names(&s, &tok, V2),
        ["From V1"],
        "a member sees only their own"
    );
    let id = awx_id_by_name(&s, "From Waldur");
    let d = s.get(&opath(id), &s.admin);
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d["summary_fields"]["created_by"]["username"], "admin");
}

#[test]
fn awx_strangers_cannot_associate_themselves() {
    let s = Server::start();
    let (uid, tok) = s.create_user("intruder");
    let n = awx_user_id(&s, &tok);
    let mut wrong = vec![];
    for sub in ["users", "admins"] {
        let name = format!("Closed {sub}");
        let id = id_of(&awx_create(&s, &name, ""));
        let org = v1_by_name(&s, &name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = s.post(&format!("{}{sub}/", opath(id)), &tok, json!({"id": n}));
        if r.status != 403 && r.status != 404 {
            wrong.push(format!(
                "POST {sub}/ {{\"id\": self}} by a non-member: {} {}",
                r.status, r.text
            ));
        }
        let m = s.get(&format!("/v1/organizations/{org}/members/{uid}"), &s.admin);
        if m.status != 404 {
            wrong.push(format!("after {sub}/ a membership is stored: {}", m.text));
        }
        if s.get(&opath(id), &tok).status != 404 {
            wrong.push(format!("the intruder sees the organization after {sub}/"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn awx_org_admin_may_associate_any_user() {
    // AWX (ORG_ADMINS_CAN_SEE_ALL_USERS, on by default) lets an organization admin add any
    // user to the organization's users list.
    let s = Server::start();
    let (_, tok, id, _) = owned_org(&s, "orgadmin", "Admined");
    let (_, newbie) = s.create_user("newbie");
    let n = awx_user_id(&s, &newbie);
    let r = s.post(&format!("{}users/", opath(id)), &tok, json!({"id": n}));
    assert_eq!(r.status, 204, "an org admin associates a user: {}", r.text);
    assert_eq!(s.get(&opath(id), &newbie).status, 200);
}

#[test]
fn awx_related_links_answer_200_for_a_plain_member() {
    // A member sees the organization and its `related` links; every link rendered to them
    // must answer (profiles.md: related holds only links the server really serves).
    let s = Server::start();
    let (_, owner, id, org) = owned_org(&s, "boss", "Visible");
    let (mid, member) = s.create_user("plain-member");
    v1_add_member(&s, &owner, &org, &mid, "viewer");
    let o = s.get(&opath(id), &member);
    assert_eq!(o.status, 200, "{}", o.text);
    let mut failing = vec![];
    for (k, link) in o["related"].as_object().expect("related") {
        let link = link.as_str().unwrap();
        let r = s.get(link, &member);
        if r.status != 200 {
            failing.push(format!("related.{k} {link}: {} {}", r.status, r.text));
        }
    }
    assert!(
        failing.is_empty(),
        "links a member is shown but cannot follow: {failing:#?}"
    );
    // Strangers get 404 on the sub-lists.
    let (_, stranger) = s.create_user("stranger");
    for sub in ["users", "admins", "activity_stream"] {
        let r = s.get(&format!("{}{sub}/", opath(id)), &stranger);
        assert_eq!(r.status, 404, "{sub}/ for a stranger: {}", r.text);
    }
}

#[test]
fn awx_iexact_lookup_is_case_insensitive() {
    // The module docs list `__exact` and `__iexact`; Django's iexact ignores case.
    let s = Server::start();
    awx_create(&s, "Green", "");
    awx_create(&s, "Blue", "");
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?name__iexact=green")),
        ["Green"]
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?name__iexact=GREEN")),
        ["Green"]
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?name__exact=Green")),
        ["Green"]
    );
    assert_eq!(
        list_names(&s, &s.admin, &format!("{V2}?name__exact=green")),
        Vec::<String>::new(),
        "exact keeps case"
    );
}

#[test]
fn awx_created_lookup_takes_a_date() {
    // docs/profiles/awx.md gives `created__gte=2026-01-01` as an example lookup.
    let s = Server::start();
    awx_create(&s, "Dated", "");
    let r = s.get(&format!("{V2}?created__gte=2000-01-01"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&r), ["Dated"]);
    let r = s.get(&format!("{V2}?created__lt=2000-01-01"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["count"], 0);
}

#[test]
fn awx_options_needs_credentials() {
    // DRF checks permissions for OPTIONS too: AWX answers an anonymous caller 401.
    let s = Server::start();
    let r = s.call("OPTIONS", V2).send();
    assert_detail(&r, 401);
}

#[test]
fn awx_plain_member_cannot_promote_themselves_or_add_others() {
    let s = Server::start();
    let (_, owner, id, org) = owned_org(&s, "boss", "Flat");
    let (mid, member) = s.create_user("viewer");
    v1_add_member(&s, &owner, &org, &mid, "viewer");
    let (_, other) = s.create_user("friend");
    let me = awx_user_id(&s, &member);
    let friend = awx_user_id(&s, &other);
    let r = s.post(&format!("{}admins/", opath(id)), &member, json!({"id": me}));
    assert_detail(&r, 403);
    let m = s.get(&format!("/v1/organizations/{org}/members/{mid}"), &s.admin);
    assert_eq!(m["role"], "viewer", "{}", m.text);
    let r = s.post(
        &format!("{}users/", opath(id)),
        &member,
        json!({"id": friend}),
    );
    assert!(
        r.status == 403 || r.status == 400,
        "{} {}",
        r.status,
        r.text
    );
    assert_eq!(s.get(&opath(id), &other).status, 404);
}

/// OPTIONS on `users/` and `admins/` checks the parent organization, as GET does (DRF
/// checks the parent object): a deleted organization's sublists are 404 (found by
/// schemathesis's stateful phase: "deleted resource still available").
#[test]
fn awx_sublist_options_of_a_deleted_organization_are_404() {
    let s = Server::start();
    let o = awx_create(&s, "Sub Options", "");
    let base = opath(id_of(&o));
    for sub in ["users/", "admins/"] {
        let r = s.call("OPTIONS", &format!("{base}{sub}")).auth(&s.admin).send();
        assert_eq!(r.status, 200, "OPTIONS {sub}: {}", r.text);
    }
    assert_eq!(s.delete(&base, &s.admin).status, 204);
    for sub in ["users/", "admins/"] {
        let r = s.call("OPTIONS", &format!("{base}{sub}")).auth(&s.admin).send();
        assert_eq!(r.status, 404, "OPTIONS {sub} after the delete: {}", r.text);
    }
}
