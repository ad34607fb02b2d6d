//! The Waldur profile (seed 000, profiles.md "waldur"): `/api/organizations/` (Token auth,
//! bare arrays with `X-Result-Count` and `Link`, paging, filters, `o=` ordering, staff-only
//! writes, the `customer` field for staff, one organization per customer, 32-hex uuids and
//! absolute URLs), `/api/organization-users/` (create for oneself, one per user, visibility,
//! filters, ordering, approve/reject, delete rules, no PUT/PATCH), the customer and user URLs,
//! and what the same data looks like through `/v1`, AWX and the activity log.

use crate::support::*;
use serde_json::{json, Value};

const ORGS: &str = "/api/organizations/";
const OUS: &str = "/api/organization-users/";
const APPROVED: &str = "User request for joining the organization has been successfully approved";
const REJECTED: &str = "User has been successfully rejected from the organization";

/// A request with Waldur's `Authorization: Token <t>` (none when `tok` is empty).
fn call<'a>(s: &'a Server, method: &str, path: &str, tok: &str) -> Call<'a> {
    let c = s.call(method, path);
    if tok.is_empty() {
        c
    } else {
        c.header("Authorization", &format!("Token {tok}"))
    }
}

fn get(s: &Server, path: &str, tok: &str) -> Resp {
    call(s, "GET", path, tok).send()
}

fn post(s: &Server, path: &str, tok: &str, body: Value) -> Resp {
    call(s, "POST", path, tok).json(body).send()
}

fn patch(s: &Server, path: &str, tok: &str, body: Value) -> Resp {
    call(s, "PATCH", path, tok).json(body).send()
}

fn put(s: &Server, path: &str, tok: &str, body: Value) -> Resp {
    call(s, "PUT", path, tok).json(body).send()
}

fn delete(s: &Server, path: &str, tok: &str) -> Resp {
    call(s, "DELETE", path, tok).send()
}

fn hex(id: &str) -> String {
    id.replace('-', "")
}

fn is_hex32(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 32
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    })
}

/// The path of an absolute URL this server rendered (asserting it is one of ours).
fn path_of(s: &Server, url: &Value) -> String {
    let u = url.as_str().unwrap_or_else(|| panic!("a URL, got {url}"));
    u.strip_prefix(&s.url)
        .unwrap_or_else(|| panic!("an absolute URL on {}: {u}", s.url))
        .to_string()
}

fn user_url(s: &Server, uid: &str) -> String {
    format!("{}/api/users/{}/", s.url, hex(uid))
}

fn org_url(s: &Server, o: &Value) -> String {
    format!("{}{ORGS}{}/", s.url, o["uuid"].as_str().expect("uuid"))
}

fn customer_url(s: &Server, c: &Value) -> String {
    format!(
        "{}/api/customers/{}/",
        s.url,
        hex(c["id"].as_str().unwrap())
    )
}

/// Creates an organization through Waldur as staff (201 asserted).
fn create(s: &Server, name: &str, native: &str, abbr: &str) -> Value {
    let r = post(
        s,
        ORGS,
        &s.admin,
        json!({"name": name, "native_name": native, "abbreviation": abbr}),
    );
    assert_eq!(r.status, 201, "creating {name}: {}", r.text);
    r.body
}

fn array(r: &Resp) -> Vec<Value> {
    r.body
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("a bare JSON array: {}", r.text))
}

fn strs(items: &[Value], key: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[key].as_str().unwrap_or("").to_string())
        .collect()
}

/// The names in a 200 organization list.
fn list_names(s: &Server, path: &str, tok: &str) -> Vec<String> {
    let r = get(s, path, tok);
    assert_eq!(r.status, 200, "GET {path}: {}", r.text);
    strs(&array(&r), "name")
}

fn result_count(r: &Resp) -> i64 {
    r.header("x-result-count")
        .unwrap_or_else(|| panic!("X-Result-Count: {:?}", r.headers))
        .parse()
        .expect("a number")
}

/// `Link` as (rel, url) pairs.
fn links(r: &Resp) -> Vec<(String, String)> {
    let h = r
        .header("link")
        .unwrap_or_else(|| panic!("a Link header: {:?}", r.headers));
    h.split(',')
        .map(|part| {
            let part = part.trim();
            let url = part
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(u, _)| u.to_string())
                .unwrap_or_else(|| panic!("<url> in {part}"));
            let rel = part
                .split_once("rel=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(r, _)| r.to_string())
                .unwrap_or_else(|| panic!("rel=\"..\" in {part}"));
            (rel, url)
        })
        .collect()
}

fn link(r: &Resp, rel: &str) -> Option<String> {
    links(r).into_iter().find(|(k, _)| k == rel).map(|(_, u)| u)
}

#[track_caller]
fn assert_detail(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "status; body: {}", r.text);
    assert!(
        r.body["detail"].is_string(),
        "a DRF {{\"detail\": ...}} body: {}",
        r.text
    );
    assert!(
        r.content_type().starts_with("application/json"),
        "{:?}",
        r.content_type()
    );
}

#[track_caller]
fn assert_field_error(r: &Resp, fields: &[&str]) {
    assert_eq!(r.status, 400, "a field error: {}", r.text);
    let mut keys: Vec<String> = r
        .body
        .as_object()
        .unwrap_or_else(|| panic!("an object: {}", r.text))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    want.sort();
    assert_eq!(keys, want, "fields named: {}", r.text);
    for f in fields {
        let msgs = r.body[*f]
            .as_array()
            .unwrap_or_else(|| panic!("{f}: a list"));
        assert!(
            !msgs.is_empty()
                && msgs
                    .iter()
                    .all(|m| m.as_str().is_some_and(|m| !m.is_empty())),
            "{}",
            r.text
        );
    }
}

/// The /v1 organization (as staff) behind a Waldur one.
fn v1_org(s: &Server, o: &Value) -> Resp {
    s.get(
        &format!("/v1/organizations/{}", o["uuid"].as_str().unwrap()),
        &s.admin,
    )
}

/// A customer owned by a new user: (owner token, customer).
fn owned_customer(s: &Server, owner: &str, name: &str) -> (String, Value) {
    let (uid, tok) = s.create_user(owner);
    let c = s.create_customer(json!({"name": name, "owners": [uid]}));
    (tok, c)
}

/// Staff creates an organization with this customer.
fn create_for_customer(s: &Server, name: &str, abbr: &str, c: &Value) -> Value {
    let r = post(
        s,
        ORGS,
        &s.admin,
        json!({"name": name, "native_name": name, "abbreviation": abbr, "customer": customer_url(s, c)}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// `user` asks to join `org` as `tok` (201 asserted); returns the organization-user.
fn join(s: &Server, tok: &str, uid: &str, org: &Value) -> Value {
    let r = post(
        s,
        OUS,
        tok,
        json!({"user": user_url(s, uid), "organization": org_url(s, org)}),
    );
    assert_eq!(r.status, 201, "joining: {}", r.text);
    r.body
}

fn ou_path(s: &Server, ou: &Value) -> String {
    path_of(s, &ou["url"])
}

/// The sorted usernames in an organization-users list.
fn usernames(s: &Server, query: &str, tok: &str) -> Vec<String> {
    let r = get(s, &format!("{OUS}{query}"), tok);
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    assert_eq!(result_count(&r), array(&r).len() as i64);
    let mut v = strs(&array(&r), "username");
    v.sort();
    v
}

/// A native membership's status (as staff), or None when there is none.
fn v1_status(s: &Server, org: &Value, uid: &str) -> Option<String> {
    let r = s.get(
        &format!(
            "/v1/organizations/{}/members/{uid}",
            org["uuid"].as_str().unwrap()
        ),
        &s.admin,
    );
    match r.status {
        200 => Some(r["status"].as_str().unwrap().to_string()),
        404 => None,
        other => panic!("membership lookup: {other} {}", r.text),
    }
}

// ---- organizations ----

#[test]
fn waldur_anonymous_callers_get_401() {
    let s = Server::start();
    create(&s, "Org", "Org", "O");
    for (m, p) in [("GET", ORGS), ("POST", ORGS), ("GET", OUS), ("POST", OUS)] {
        for tok in ["", "not-a-token"] {
            let c = call(&s, m, p, tok);
            let r = if m == "POST" {
                c.json(json!({})).send()
            } else {
                c.send()
            };
            assert_detail(&r, 401);
        }
    }
    let o = &array(&get(&s, ORGS, &s.admin))[0];
    assert_detail(&get(&s, &path_of(&s, &o["url"]), ""), 401);
}

#[test]
fn waldur_create_accepts_the_seed_example_as_staff() {
    let s = Server::start();
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"customer": "", "name": "My organization", "abbreviation": "MO", "native_name": "Minu organisatsioon"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let o = r.body.clone();
    let mut keys: Vec<&String> = o.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "abbreviation",
            "customer",
            "name",
            "native_name",
            "url",
            "uuid"
        ],
        "the seed's staff rendering"
    );
    assert!(is_hex32(&o["uuid"]), "uuid is 32 hex: {o}");
    assert_eq!(o["url"], org_url(&s, &o), "absolute url");
    assert_eq!(o["name"], "My organization");
    assert_eq!(o["abbreviation"], "MO");
    assert_eq!(o["native_name"], "Minu organisatsioon");
    assert_eq!(o["customer"], Value::Null);
    assert_eq!(r.header("location"), o["url"].as_str());
    let g = get(&s, &path_of(&s, &o["url"]), &s.admin);
    assert_eq!(g.status, 200, "the url resolves: {}", g.text);
    assert_eq!(g.body, o);

    let v = v1_org(&s, &o);
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(hex(v["id"].as_str().unwrap()), o["uuid"].as_str().unwrap());
    assert_eq!(v["name"], "My organization");
    assert_eq!(v["native_name"], "Minu organisatsioon");
    assert_eq!(v["abbreviation"], "MO");
    assert_eq!(v["customer"], Value::Null);
}

#[test]
fn waldur_any_user_lists_and_reads_every_organization() {
    let s = Server::start();
    let a = create(&s, "Alpha", "Alfa", "AL");
    create(&s, "Beta", "Beeta", "BE");
    let (_, owner) = s.create_user("owner");
    s.create_org(&owner, "Gamma");
    let (_, tok) = s.create_user("outsider");

    let r = get(&s, &format!("{ORGS}?o=name"), &tok);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.content_type().starts_with("application/json"));
    let items = array(&r);
    assert_eq!(strs(&items, "name"), ["Alpha", "Beta", "Gamma"]);
    assert_eq!(result_count(&r), 3);
    for o in &items {
        let mut keys: Vec<&String> = o.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["abbreviation", "name", "native_name", "url", "uuid"],
            "a non-staff rendering has no customer: {o}"
        );
        assert!(is_hex32(&o["uuid"]));
        let g = get(&s, &path_of(&s, &o["url"]), &tok);
        assert_eq!(g.status, 200, "{}", g.text);
        assert_eq!(&g.body, o);
    }
    let g = get(&s, &path_of(&s, &a["url"]), &tok);
    assert_eq!(
        (g["native_name"].clone(), g["abbreviation"].clone()),
        (json!("Alfa"), json!("AL"))
    );
    // Staff see the customer field on every item.
    for o in array(&get(&s, ORGS, &s.admin)) {
        assert!(o.get("customer").is_some(), "staff rendering: {o}");
    }
}

#[test]
fn waldur_create_is_staff_only() {
    let s = Server::start();
    let (_, tok) = s.create_user("regular");
    let r = post(
        &s,
        ORGS,
        &tok,
        json!({"name": "Mine", "native_name": "Mine", "abbreviation": "MI"}),
    );
    assert_detail(&r, 403);
    assert!(
        array(&get(&s, ORGS, &s.admin)).is_empty(),
        "nothing created"
    );
    assert_eq!(s.get("/v1/organizations", &s.admin)["count"], 0);
}

#[test]
fn waldur_create_requires_name_native_name_and_abbreviation() {
    let s = Server::start();
    let r = post(&s, ORGS, &s.admin, json!({}));
    assert_field_error(&r, &["abbreviation", "name", "native_name"]);
    assert_eq!(r["name"], json!(["This field is required."]));
    let full = json!({"name": "N", "native_name": "NN", "abbreviation": "A"});
    for f in ["name", "native_name", "abbreviation"] {
        let mut b = full.clone();
        b.as_object_mut().unwrap().remove(f);
        assert_field_error(&post(&s, ORGS, &s.admin, b), &[f]);
        let mut b = full.clone();
        b[f] = json!("");
        assert_field_error(&post(&s, ORGS, &s.admin, b), &[f]);
    }
    let mut b = full.clone();
    b["name"] = json!("n".repeat(151));
    assert_field_error(&post(&s, ORGS, &s.admin, b), &["name"]);
    let mut b = full.clone();
    b["native_name"] = json!("n".repeat(161));
    assert_field_error(&post(&s, ORGS, &s.admin, b), &["native_name"]);
    assert!(
        array(&get(&s, ORGS, &s.admin)).is_empty(),
        "nothing created"
    );
    let mut b = full.clone();
    b["name"] = json!("n".repeat(150));
    b["native_name"] = json!("m".repeat(160));
    assert_eq!(
        post(&s, ORGS, &s.admin, b).status,
        201,
        "the limits themselves are fine"
    );
}

#[test]
fn waldur_abbreviation_is_at_most_8_and_unique() {
    let s = Server::start();
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"name": "Long", "native_name": "Long", "abbreviation": "ABCDEFGHI"}),
    );
    assert_field_error(&r, &["abbreviation"]);
    let first = create(&s, "Eight", "Eight", "ABCDEFGH");
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"name": "Other", "native_name": "Other", "abbreviation": "ABCDEFGH"}),
    );
    assert_field_error(&r, &["abbreviation"]);
    let second = create(&s, "Second", "Second", "SEC");
    let r = patch(
        &s,
        &path_of(&s, &second["url"]),
        &s.admin,
        json!({"abbreviation": "ABCDEFGH"}),
    );
    assert_field_error(&r, &["abbreviation"]);
    assert_eq!(list_names(&s, ORGS, &s.admin).len(), 2);
    assert_eq!(
        get(&s, &path_of(&s, &second["url"]), &s.admin)["abbreviation"],
        "SEC"
    );
    // Its own abbreviation is not a conflict.
    let r = patch(
        &s,
        &path_of(&s, &first["url"]),
        &s.admin,
        json!({"abbreviation": "ABCDEFGH", "name": "Eight!"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn waldur_customer_is_shown_to_and_accepted_from_staff_only() {
    let s = Server::start();
    let (_, c) = owned_customer(&s, "payer", "Payer Inc");
    let other = s.create_customer(json!({"name": "Other"}));
    let o = create_for_customer(&s, "Billed", "BI", &c);
    create(&s, "Unbilled", "Unbilled", "UB");
    assert_eq!(o["customer"], customer_url(&s, &c), "{o}");
    let cust = get(&s, &path_of(&s, &o["customer"]), &s.admin);
    assert_eq!(cust.status, 200, "the customer URL resolves: {}", cust.text);
    assert_eq!(cust["uuid"], hex(c["id"].as_str().unwrap()));
    assert_eq!(
        v1_org(&s, &o)["customer"],
        c["id"],
        "stored on the registry"
    );

    let (_, tok) = s.create_user("looker");
    let g = get(&s, &path_of(&s, &o["url"]), &tok);
    assert_eq!(g.status, 200, "{}", g.text);
    assert!(
        g.body.get("customer").is_none(),
        "no customer for non-staff: {}",
        g.text
    );
    for item in array(&get(&s, ORGS, &tok)) {
        assert!(item.get("customer").is_none(), "{item}");
    }
    let r = patch(
        &s,
        &path_of(&s, &o["url"]),
        &tok,
        json!({"customer": customer_url(&s, &other)}),
    );
    assert_detail(&r, 403);
    assert_eq!(v1_org(&s, &o)["customer"], c["id"], "unchanged");

    // Filters by customer, for anyone.
    let chex = hex(c["id"].as_str().unwrap());
    for tok in [&s.admin, &tok] {
        assert_eq!(
            list_names(&s, &format!("{ORGS}?customer_uuid={chex}"), tok),
            ["Billed"]
        );
        let q = format!("{ORGS}?customer={}", enc(&customer_url(&s, &c)));
        assert_eq!(list_names(&s, &q, tok), ["Billed"]);
        let q = format!(
            "{ORGS}?customer_uuid={}",
            hex(other["id"].as_str().unwrap())
        );
        assert_eq!(list_names(&s, &q, tok), Vec::<String>::new());
    }
    // Staff can move an organization to a customer and back to none.
    let u = array(&get(&s, &format!("{ORGS}?name=Unbilled"), &s.admin))[0].clone();
    let r = patch(
        &s,
        &path_of(&s, &u["url"]),
        &s.admin,
        json!({"customer": customer_url(&s, &other)}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["customer"], customer_url(&s, &other));
    assert_eq!(v1_org(&s, &u)["customer"], other["id"]);
    let r = patch(
        &s,
        &path_of(&s, &u["url"]),
        &s.admin,
        json!({"customer": null}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["customer"], Value::Null);
}

#[test]
fn waldur_customer_has_at_most_one_organization() {
    let s = Server::start();
    let c = s.create_customer(json!({"name": "Single"}));
    let first = create_for_customer(&s, "First", "F1", &c);
    let want = json!({"non_field_errors": ["Organization for these customer already exist."]});
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"name": "Second", "native_name": "Second", "abbreviation": "F2", "customer": customer_url(&s, &c)}),
    );
    assert_eq!(
        (r.status, r.body.clone()),
        (400, want.clone()),
        "{}",
        r.text
    );
    let other = create(&s, "Other", "Other", "F3");
    let r = patch(
        &s,
        &path_of(&s, &other["url"]),
        &s.admin,
        json!({"customer": customer_url(&s, &c)}),
    );
    assert_eq!((r.status, r.body.clone()), (400, want), "{}", r.text);
    assert_eq!(v1_org(&s, &other)["customer"], Value::Null, "unchanged");
    assert_eq!(list_names(&s, ORGS, &s.admin).len(), 2);
    // Re-stating its own customer is fine.
    let r = put(
        &s,
        &path_of(&s, &first["url"]),
        &s.admin,
        json!({"name": "First", "native_name": "Eerste", "abbreviation": "F1", "customer": customer_url(&s, &c)}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["native_name"], "Eerste");
}

#[test]
fn waldur_list_pages_10_with_result_count_and_link_header() {
    let s = Server::start();
    for i in 0..12 {
        create(
            &s,
            &format!("org-{i:02}"),
            &format!("n{i}"),
            &format!("A{i}"),
        );
    }
    let r = get(&s, ORGS, &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(array(&r).len(), 10, "default page size 10");
    assert_eq!(result_count(&r), 12);
    let first = link(&r, "first").expect("rel=first");
    let next = link(&r, "next").expect("rel=next");
    let last = link(&r, "last").expect("rel=last");
    assert!(
        link(&r, "prev").is_none(),
        "no prev on page 1: {:?}",
        links(&r)
    );
    for u in [&first, &next, &last] {
        assert!(u.starts_with(&format!("{}{ORGS}", s.url)), "absolute: {u}");
    }
    assert!(
        next.contains("page=2") && last.contains("page=2"),
        "{next} {last}"
    );
    let p2 = get(&s, &path_of(&s, &json!(next)), &s.admin);
    assert_eq!(p2.status, 200, "{}", p2.text);
    assert_eq!(array(&p2).len(), 2);
    assert_eq!(result_count(&p2), 12);
    assert!(link(&p2, "next").is_none(), "no next on the last page");
    assert!(
        link(&p2, "prev").is_some_and(|p| p.contains("page=1")),
        "{:?}",
        links(&p2)
    );

    // Links keep the other parameters.
    let r = get(&s, &format!("{ORGS}?o=-name&page_size=5&page=2"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    let want: Vec<String> = (2..7).rev().map(|i| format!("org-{i:02}")).collect();
    assert_eq!(strs(&array(&r), "name"), want);
    for rel in ["first", "prev", "next", "last"] {
        let u = link(&r, rel).unwrap_or_else(|| panic!("rel={rel}: {:?}", links(&r)));
        assert!(
            u.contains("o=-name") && u.contains("page_size=5"),
            "{rel} keeps params: {u}"
        );
    }
    assert!(link(&r, "next").unwrap().contains("page=3"));
    assert!(link(&r, "last").unwrap().contains("page=3"));
    let n = get(
        &s,
        &path_of(&s, &json!(link(&r, "next").unwrap())),
        &s.admin,
    );
    assert_eq!(strs(&array(&n), "name"), ["org-01", "org-00"]);

    let past = get(&s, &format!("{ORGS}?page=3"), &s.admin);
    assert_eq!(past.status, 404, "{}", past.text);
    assert_eq!(past.body, json!({"detail": "Invalid page."}));
}

#[test]
fn waldur_page_size_is_capped_at_300() {
    let s = Server::start();
    for i in 0..301 {
        create(&s, &format!("bulk-{i:03}"), "n", &format!("B{i}"));
    }
    let r = get(&s, &format!("{ORGS}?page_size=1000"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(array(&r).len(), 300, "page_size is capped at 300");
    assert_eq!(result_count(&r), 301);
    let next = link(&r, "next").expect("a second page");
    let n = get(&s, &path_of(&s, &json!(next)), &s.admin);
    assert_eq!(array(&n).len(), 1, "{}", n.text);
}

#[test]
fn waldur_filters_by_name_native_name_and_abbreviation() {
    let s = Server::start();
    create(&s, "University of Tartu", "Tartu Ülikool", "UT");
    create(&s, "Helsinki", "Helsingin yliopisto", "HY");
    let (_, tok) = s.create_user("reader");
    let f = |q: &str| {
        let r = get(&s, &format!("{ORGS}?{q}"), &tok);
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        assert_eq!(result_count(&r), array(&r).len() as i64, "{q}");
        strs(&array(&r), "name")
    };
    assert_eq!(f("name=Helsinki"), ["Helsinki"]);
    assert_eq!(
        f(&format!("name={}", enc("University of Tartu"))),
        ["University of Tartu"]
    );
    assert_eq!(
        f(&format!("native_name={}", enc("Tartu Ülikool"))),
        ["University of Tartu"]
    );
    assert_eq!(
        f(&format!("native_name={}", enc("Helsingin yliopisto"))),
        ["Helsinki"]
    );
    assert_eq!(f("abbreviation=HY"), ["Helsinki"]);
    assert_eq!(f("abbreviation=UT"), ["University of Tartu"]);
    assert_eq!(f("name=Nowhere"), Vec::<String>::new());
    assert_eq!(
        f("name=Helsinki&abbreviation=UT"),
        Vec::<String>::new(),
        "filters combine"
    );
}

#[test]
fn waldur_o_orders_by_name_native_name_and_abbreviation() {
    let s = Server::start();
    create(&s, "Bravo", "Zulu", "MM");
    create(&s, "Alpha", "Yankee", "ZZ");
    create(&s, "Charlie", "Xray", "AA");
    let (_, tok) = s.create_user("sorter");
    let o = |k: &str| list_names(&s, &format!("{ORGS}?o={k}"), &tok);
    assert_eq!(o("name"), ["Alpha", "Bravo", "Charlie"]);
    assert_eq!(o("-name"), ["Charlie", "Bravo", "Alpha"]);
    assert_eq!(o("native_name"), ["Charlie", "Alpha", "Bravo"]);
    assert_eq!(o("-native_name"), ["Bravo", "Alpha", "Charlie"]);
    assert_eq!(o("abbreviation"), ["Charlie", "Bravo", "Alpha"]);
    assert_eq!(o("-abbreviation"), ["Alpha", "Bravo", "Charlie"]);
}

#[test]
fn waldur_update_and_delete_are_staff_only() {
    let s = Server::start();
    let (_, owner) = s.create_user("native-owner");
    let vid = s.create_org(&owner, "Owned");
    let (_, stranger) = s.create_user("stranger");
    let o = array(&get(&s, &format!("{ORGS}?name=Owned"), &stranger))[0].clone();
    let p = path_of(&s, &o["url"]);
    assert_eq!(hex(&vid), o["uuid"].as_str().unwrap());
    let full = json!({"name": "Taken", "native_name": "Taken", "abbreviation": "TK"});
    for tok in [&owner, &stranger] {
        assert_detail(&patch(&s, &p, tok, json!({"native_name": "x"})), 403);
        assert_detail(&put(&s, &p, tok, full.clone()), 403);
        assert_detail(&delete(&s, &p, tok), 403);
    }
    let v = s.get(&format!("/v1/organizations/{vid}"), &s.admin);
    assert_eq!(
        (v["name"].clone(), v["native_name"].clone()),
        (json!("Owned"), json!("")),
        "unchanged"
    );

    let r = patch(&s, &p, &s.admin, json!({"native_name": "Omatud"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["native_name"], "Omatud");
    assert_eq!(r["name"], "Owned", "PATCH is partial");
    assert_eq!(
        s.get(&format!("/v1/organizations/{vid}"), &s.admin)["native_name"],
        "Omatud"
    );
    let r = put(&s, &p, &s.admin, json!({"name": "Renamed"}));
    assert_field_error(&r, &["abbreviation", "native_name"]);
    let r = put(
        &s,
        &p,
        &s.admin,
        json!({"name": "Renamed", "native_name": "Nimi", "abbreviation": "RN"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let v = s.get(&format!("/v1/organizations/{vid}"), &s.admin);
    assert_eq!(
        (
            v["name"].clone(),
            v["native_name"].clone(),
            v["abbreviation"].clone()
        ),
        (json!("Renamed"), json!("Nimi"), json!("RN"))
    );
    assert_eq!(get(&s, &p, &stranger)["abbreviation"], "RN");

    let d = delete(&s, &p, &s.admin);
    assert_eq!(d.status, 204, "{}", d.text);
    let g = get(&s, &p, &s.admin);
    assert_eq!(
        (g.status, g.body.clone()),
        (404, json!({"detail": "Not found."}))
    );
    assert_eq!(
        s.get(&format!("/v1/organizations/{vid}"), &s.admin).status,
        404
    );
    assert!(array(&get(&s, ORGS, &s.admin)).is_empty());
    let g = get(&s, &format!("{ORGS}{}/", "0".repeat(32)), &stranger);
    assert_eq!(
        (g.status, g.body.clone()),
        (404, json!({"detail": "Not found."}))
    );
}

// ---- organization-users ----

#[test]
fn waldur_org_user_is_created_unapproved_for_oneself() {
    let s = Server::start();
    let org = create(&s, "Joinable", "J", "J");
    let (uid, tok) = s.create_user("alice");
    let r = post(
        &s,
        OUS,
        &tok,
        json!({"user": user_url(&s, &uid), "organization": org_url(&s, &org), "is_approved": true}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let ou = r.body.clone();
    let mut keys: Vec<&String> = ou.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "is_approved",
            "organization",
            "url",
            "user",
            "username",
            "uuid"
        ]
    );
    assert_eq!(
        ou["is_approved"], false,
        "is_approved is read-only on create"
    );
    assert_eq!(ou["username"], "alice");
    assert_eq!(ou["user"], user_url(&s, &uid));
    assert_eq!(ou["organization"], org_url(&s, &org));
    assert!(is_hex32(&ou["uuid"]));
    assert_eq!(
        ou["url"],
        format!("{}{OUS}{}/", s.url, ou["uuid"].as_str().unwrap())
    );
    let g = get(&s, &ou_path(&s, &ou), &tok);
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body, ou);
    assert_eq!(
        v1_status(&s, &org, &uid).as_deref(),
        Some("pending"),
        "a pending membership"
    );
    // The rendered URLs resolve (for staff).
    let u = get(&s, &path_of(&s, &ou["user"]), &s.admin);
    assert_eq!(
        (u.status, u["username"].clone()),
        (200, json!("alice")),
        "{}",
        u.text
    );
    let o = get(&s, &path_of(&s, &ou["organization"]), &s.admin);
    assert_eq!((o.status, o["name"].clone()), (200, json!("Joinable")));
    // An unapproved member does not become a member of the organization natively.
    assert_eq!(
        s.get(
            &format!("/v1/organizations/{}", org["uuid"].as_str().unwrap()),
            &tok
        )
        .status,
        404
    );
}

#[test]
fn waldur_non_staff_cannot_create_org_user_for_another_user() {
    let s = Server::start();
    let org = create(&s, "Org", "Org", "O");
    let (_, tok) = s.create_user("alice");
    let (bid, _) = s.create_user("bob");
    let r = post(
        &s,
        OUS,
        &tok,
        json!({"user": user_url(&s, &bid), "organization": org_url(&s, &org)}),
    );
    assert_field_error(&r, &["user"]);
    assert_eq!(v1_status(&s, &org, &bid), None, "nothing stored");
    assert!(!usernames(&s, "", &s.admin).contains(&"bob".to_string()));
    // Staff may create one for anyone; it is still unapproved.
    let r = post(
        &s,
        OUS,
        &s.admin,
        json!({"user": user_url(&s, &bid), "organization": org_url(&s, &org), "is_approved": true}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r["username"], "bob");
    assert_eq!(r["is_approved"], false);
    // Missing or malformed links are field errors.
    assert_field_error(&post(&s, OUS, &tok, json!({})), &["organization", "user"]);
    let r = post(
        &s,
        OUS,
        &tok,
        json!({"user": "nonsense", "organization": org_url(&s, &org)}),
    );
    assert_field_error(&r, &["user"]);
}

#[test]
fn waldur_user_can_belong_only_to_one_organization() {
    let s = Server::start();
    let a = create(&s, "A", "A", "A");
    let b = create(&s, "B", "B", "B");
    let (uid, tok) = s.create_user("alice");
    join(&s, &tok, &uid, &a);
    let want = json!({"non_field_errors": ["User can belong only to one organization."]});
    for org in [&b, &a] {
        let r = post(
            &s,
            OUS,
            &tok,
            json!({"user": user_url(&s, &uid), "organization": org_url(&s, org)}),
        );
        assert_eq!(
            (r.status, r.body.clone()),
            (400, want.clone()),
            "{}",
            r.text
        );
    }
    assert_eq!(v1_status(&s, &b, &uid), None);
    assert_eq!(usernames(&s, "", &tok), ["alice"], "still one");
}

/// Org1 belongs to a customer owned by `cowner`; Org2 has no customer. alice asks to join
/// Org1, bob Org2; dave joins nothing.
struct World {
    s: Server,
    cowner: String,
    org1: Value,
    org2: Value,
    alice: (String, String),
    bob: (String, String),
    dave: (String, String),
    ou_alice: Value,
    ou_bob: Value,
}

fn world() -> World {
    let s = Server::start();
    let (cowner, c) = owned_customer(&s, "cowner", "Cust");
    let org1 = create_for_customer(&s, "Org1", "O1", &c);
    let org2 = create(&s, "Org2", "Org2", "O2");
    let alice = s.create_user("alice");
    let bob = s.create_user("bob");
    let dave = s.create_user("dave");
    let ou_alice = join(&s, &alice.1, &alice.0, &org1);
    let ou_bob = join(&s, &bob.1, &bob.0, &org2);
    World {
        s,
        cowner,
        org1,
        org2,
        alice,
        bob,
        dave,
        ou_alice,
        ou_bob,
    }
}

#[test]
fn waldur_org_user_visibility_staff_all_others_own_and_customer_owners() {
    let w = world();
    let s = &w.s;
    // The staff creator of both organizations is their owner member, listed too.
    assert_eq!(
        usernames(s, "", &s.admin),
        ["admin", "admin", "alice", "bob"]
    );
    assert_eq!(usernames(s, "", &w.alice.1), ["alice"]);
    assert_eq!(usernames(s, "", &w.bob.1), ["bob"]);
    assert_eq!(usernames(s, "", &w.dave.1), Vec::<String>::new());
    assert_eq!(
        usernames(s, "", &w.cowner),
        ["admin", "alice"],
        "the customer owner sees Org1's"
    );

    let pa = ou_path(s, &w.ou_alice);
    for tok in [&s.admin, &w.alice.1, &w.cowner] {
        let r = get(s, &pa, tok);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body, w.ou_alice);
    }
    for tok in [&w.bob.1, &w.dave.1] {
        let r = get(s, &pa, tok);
        assert_eq!(
            (r.status, r.body.clone()),
            (404, json!({"detail": "Not found."})),
            "{}",
            r.text
        );
    }
    let r = get(s, &ou_path(s, &w.ou_bob), &w.cowner);
    assert_eq!(r.status, 404, "not the customer's organization: {}", r.text);
}

#[test]
fn waldur_org_user_filters_and_ordering() {
    let w = world();
    let s = &w.s;
    let (cid, ctok) = s.create_user("carol");
    join(s, &ctok, &cid, &w.org1);
    assert_eq!(
        post(
            s,
            &format!("{}approve/", ou_path(s, &w.ou_alice)),
            &s.admin,
            json!({})
        )
        .status,
        200
    );
    let o1 = w.org1["uuid"].as_str().unwrap();
    let f = |q: &str| usernames(s, q, &s.admin);
    assert_eq!(
        f(&format!("?organization={}", enc(&org_url(s, &w.org1)))),
        ["admin", "alice", "carol"]
    );
    assert_eq!(
        f(&format!("?organization_uuid={o1}")),
        ["admin", "alice", "carol"]
    );
    assert_eq!(
        f(&format!("?user={}", enc(&user_url(s, &w.alice.0)))),
        ["alice"]
    );
    assert_eq!(f(&format!("?user_uuid={}", hex(&w.bob.0))), ["bob"]);
    assert_eq!(f("?is_approved=true"), ["admin", "admin", "alice"]);
    assert_eq!(f("?is_approved=false"), ["bob", "carol"]);
    assert_eq!(
        f("?is_approved=True"),
        ["admin", "admin", "alice"],
        "the seed's True"
    );
    assert_eq!(f("?is_approved=False"), ["bob", "carol"]);
    assert_eq!(
        f(&format!("?organization_uuid={o1}&is_approved=false")),
        ["carol"]
    );

    let order = |q: &str| -> Vec<bool> {
        let r = get(s, &format!("{OUS}?o={q}"), &s.admin);
        assert_eq!(r.status, 200, "{}", r.text);
        array(&r)
            .iter()
            .map(|m| m["is_approved"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(
        order("is_approved"),
        [false, false, true, true, true],
        "approved at the end"
    );
    assert_eq!(
        order("-is_approved"),
        [true, true, true, false, false],
        "approved at the beginning"
    );
}

#[test]
fn waldur_org_user_put_and_patch_are_405() {
    let w = world();
    let s = &w.s;
    let p = ou_path(s, &w.ou_alice);
    for m in ["PUT", "PATCH"] {
        for tok in [&s.admin, &w.alice.1] {
            let r = call(s, m, &p, tok)
                .json(json!({"is_approved": true}))
                .send();
            assert_eq!(r.status, 405, "{m}: {}", r.text);
            assert!(r["detail"].is_string(), "{}", r.text);
            let allow = r.header("allow").unwrap_or("");
            assert!(
                !allow.contains(m) && allow.contains("DELETE"),
                "Allow: {allow}"
            );
        }
    }
    assert_eq!(get(s, &p, &s.admin)["is_approved"], false, "unchanged");
}

#[test]
fn waldur_approve_by_customer_owner_or_staff_and_403_for_the_member() {
    let w = world();
    let s = &w.s;
    let pa = ou_path(s, &w.ou_alice);
    let r = post(s, &format!("{pa}approve/"), &w.alice.1, json!({}));
    assert_detail(&r, 403);
    assert_eq!(get(s, &pa, &s.admin)["is_approved"], false);
    assert_eq!(
        v1_status(s, &w.org1, &w.alice.0).as_deref(),
        Some("pending")
    );
    let r = post(s, &format!("{pa}approve/"), &w.dave.1, json!({}));
    assert_eq!(r.status, 404, "invisible to others: {}", r.text);

    let r = post(s, &format!("{pa}approve/"), &w.cowner, json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"detail": APPROVED}));
    assert_eq!(get(s, &pa, &w.alice.1)["is_approved"], true);
    assert_eq!(
        v1_status(s, &w.org1, &w.alice.0).as_deref(),
        Some("approved")
    );
    let g = s.get(
        &format!("/v1/organizations/{}", w.org1["uuid"].as_str().unwrap()),
        &w.alice.1,
    );
    assert_eq!(
        g.status, 200,
        "an approved member sees the organization natively: {}",
        g.text
    );

    let pb = ou_path(s, &w.ou_bob);
    assert_detail(&post(s, &format!("{pb}approve/"), &w.bob.1, json!({})), 403);
    let r = post(s, &format!("{pb}approve/"), &s.admin, json!({}));
    assert_eq!(
        (r.status, r.body.clone()),
        (200, json!({"detail": APPROVED})),
        "{}",
        r.text
    );
    assert_eq!(get(s, &pb, &w.bob.1)["is_approved"], true);
    // GET is not an action.
    assert_eq!(get(s, &format!("{pb}approve/"), &s.admin).status, 405);
}

#[test]
fn waldur_reject_keeps_the_record_unapproved() {
    let w = world();
    let s = &w.s;
    let pa = ou_path(s, &w.ou_alice);
    assert_detail(
        &post(s, &format!("{pa}reject/"), &w.alice.1, json!({})),
        403,
    );
    let r = post(s, &format!("{pa}reject/"), &w.cowner, json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"detail": REJECTED}));
    let g = get(s, &pa, &w.alice.1);
    assert_eq!(g.status, 200, "the record is kept: {}", g.text);
    assert_eq!(g["is_approved"], false);
    assert!(usernames(s, "", &s.admin).contains(&"alice".to_string()));
    assert_eq!(
        v1_status(s, &w.org1, &w.alice.0).as_deref(),
        Some("rejected")
    );
    // Rejected is unapproved: the user may still withdraw it.
    let d = delete(s, &pa, &w.alice.1);
    assert_eq!(d.status, 204, "{}", d.text);
    assert_eq!(get(s, &pa, &s.admin).status, 404);

    // Approved, then rejected by staff: unapproved again and no longer a member.
    let pb = ou_path(s, &w.ou_bob);
    assert_eq!(
        post(s, &format!("{pb}approve/"), &s.admin, json!({})).status,
        200
    );
    let r = post(s, &format!("{pb}reject/"), &s.admin, json!({}));
    assert_eq!(
        (r.status, r.body.clone()),
        (200, json!({"detail": REJECTED})),
        "{}",
        r.text
    );
    assert_eq!(get(s, &pb, &w.bob.1)["is_approved"], false);
    let g = s.get(
        &format!("/v1/organizations/{}", w.org2["uuid"].as_str().unwrap()),
        &w.bob.1,
    );
    assert_eq!(
        g.status, 404,
        "a rejected user sees nothing natively: {}",
        g.text
    );
}

#[test]
fn waldur_org_user_delete_rules() {
    let w = world();
    let s = &w.s;
    // Unapproved: the member may withdraw.
    let pa = ou_path(s, &w.ou_alice);
    let d = delete(s, &pa, &w.alice.1);
    assert_eq!(d.status, 204, "{}", d.text);
    assert_eq!(get(s, &pa, &s.admin).status, 404);
    assert_eq!(v1_status(s, &w.org1, &w.alice.0), None);
    assert_eq!(usernames(s, "", &w.alice.1), Vec::<String>::new());

    // Approved: only staff or the customer owner.
    let again = join(s, &w.alice.1, &w.alice.0, &w.org1);
    let pa = ou_path(s, &again);
    assert_eq!(
        post(s, &format!("{pa}approve/"), &s.admin, json!({})).status,
        200
    );
    assert_detail(&delete(s, &pa, &w.alice.1), 403);
    assert_eq!(get(s, &pa, &w.alice.1)["is_approved"], true, "kept");
    assert_eq!(delete(s, &pa, &w.dave.1).status, 404, "invisible to others");
    let d = delete(s, &pa, &w.cowner);
    assert_eq!(d.status, 204, "the customer owner deletes it: {}", d.text);
    assert_eq!(v1_status(s, &w.org1, &w.alice.0), None);

    let pb = ou_path(s, &w.ou_bob);
    assert_eq!(
        post(s, &format!("{pb}approve/"), &s.admin, json!({})).status,
        200
    );
    assert_detail(&delete(s, &pb, &w.bob.1), 403);
    assert_eq!(delete(s, &pb, &s.admin).status, 204, "staff deletes it");
    assert_eq!(get(s, &pb, &s.admin).status, 404);
    assert_eq!(v1_status(s, &w.org2, &w.bob.0), None);
}

#[test]
fn waldur_customer_and_user_urls_resolve_for_staff() {
    let s = Server::start();
    let (uid, tok) = s.create_user("resolved");
    let c = s.create_customer(json!({"name": "Resolvable", "abbreviation": "RS", "owners": [uid]}));
    let r = get(&s, &path_of(&s, &json!(customer_url(&s, &c))), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["uuid"], hex(c["id"].as_str().unwrap()));
    assert_eq!(r["name"], "Resolvable");
    assert_eq!(r["url"], customer_url(&s, &c));
    let r = get(&s, &path_of(&s, &json!(user_url(&s, &uid))), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r["uuid"], hex(&uid));
    assert_eq!(r["username"], "resolved");
    assert_eq!(r["url"], user_url(&s, &uid));
    let me = get(&s, &path_of(&s, &json!(user_url(&s, &uid))), &tok);
    assert_eq!(me.status, 200, "a user resolves themself: {}", me.text);
    for p in ["/api/customers/", "/api/users/"] {
        let r = get(&s, &format!("{p}{}/", "f".repeat(32)), &s.admin);
        assert_eq!(
            (r.status, r.body.clone()),
            (404, json!({"detail": "Not found."})),
            "{p}"
        );
    }
    assert_detail(&get(&s, &path_of(&s, &json!(user_url(&s, &uid))), ""), 401);
}

// ---- across profiles ----

#[test]
fn waldur_org_appears_in_awx_and_v1_and_is_in_the_activity_log() {
    let s = Server::start();
    let o = create(&s, "Cross", "Rist", "CR");
    let vid = {
        let r = s.get(
            &format!("/v1/organizations?name={}", enc("Cross")),
            &s.admin,
        );
        assert_eq!(r["count"], 1, "in /v1 by name: {}", r.text);
        r.results()[0]["id"].as_str().unwrap().to_string()
    };
    assert_eq!(hex(&vid), o["uuid"].as_str().unwrap());
    let a = s.get(
        &format!("/api/v2/organizations/?name={}", enc("Cross")),
        &s.admin,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a["count"], 1, "in AWX for staff: {}", a.text);
    assert_eq!(a["results"][0]["type"], "organization");
    let created = s.activity("object_type=organization&action=create");
    assert!(
        created.iter().any(|r| r["object_id"] == vid.as_str()),
        "create row: {created:?}"
    );

    let p = path_of(&s, &o["url"]);
    assert_eq!(
        patch(&s, &p, &s.admin, json!({"native_name": "Risti"})).status,
        200
    );
    let updated = s.activity("object_type=organization&action=update");
    assert!(
        updated.iter().any(|r| r["object_id"] == vid.as_str()
            && r["changes"]["native_name"] == json!(["Rist", "Risti"])),
        "update row: {updated:?}"
    );
    assert_eq!(delete(&s, &p, &s.admin).status, 204);
    let deleted = s.activity("object_type=organization&action=delete");
    assert!(
        deleted.iter().any(|r| r["object_id"] == vid.as_str()),
        "delete row: {deleted:?}"
    );
    assert_eq!(
        s.get("/api/v2/organizations/?name=Cross", &s.admin)["count"],
        0
    );
}

#[test]
fn waldur_lists_orgs_made_through_v1_and_awx() {
    let s = Server::start();
    let (_, tok) = s.create_user("maker");
    let vid = s.create_org(&tok, "Native One");
    let r = s.post(
        "/api/v2/organizations/",
        &s.admin,
        json!({"name": "Awx One"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let (_, other) = s.create_user("anyone");
    let mut names = list_names(&s, ORGS, &other);
    names.sort();
    assert_eq!(names, ["Awx One", "Native One"]);
    let g = get(&s, &format!("{ORGS}{}/", hex(&vid)), &other);
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g["name"], "Native One");
    assert_eq!(g["uuid"], hex(&vid));
}

#[test]
fn waldur_links_to_missing_objects_are_field_errors() {
    let s = Server::start();
    let ghost = format!("{}/api/customers/{}/", s.url, "a".repeat(32));
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"name": "Ghostly", "native_name": "G", "abbreviation": "G", "customer": ghost}),
    );
    assert_field_error(&r, &["customer"]);
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"name": "Ghostly", "native_name": "G", "abbreviation": "G", "customer": "not a url"}),
    );
    assert_field_error(&r, &["customer"]);
    assert!(
        array(&get(&s, ORGS, &s.admin)).is_empty(),
        "nothing created"
    );

    let (uid, tok) = s.create_user("alice");
    let r = post(
        &s,
        OUS,
        &tok,
        json!({"user": user_url(&s, &uid), "organization": format!("{}{ORGS}{}/", s.url, "b".repeat(32))}),
    );
    assert_field_error(&r, &["organization"]);
    assert_eq!(usernames(&s, "", &tok), Vec::<String>::new());
}

#[test]
fn waldur_org_user_list_has_result_count_and_link() {
    let s = Server::start();
    let orgs: Vec<Value> = (0..3)
        .map(|i| create(&s, &format!("O{i}"), "n", &format!("O{i}")))
        .collect();
    for i in 0..9 {
        let (uid, tok) = s.create_user(&format!("user{i}"));
        join(&s, &tok, &uid, &orgs[i % 3]);
    }
    // 9 requests + the staff creator's 3 owner memberships.
    let r = get(&s, &format!("{OUS}?page_size=5&o=is_approved"), &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(array(&r).len(), 5);
    assert_eq!(result_count(&r), 12);
    let next = link(&r, "next").expect("rel=next");
    assert!(
        next.contains("page=2") && next.contains("page_size=5") && next.contains("o=is_approved"),
        "{next}"
    );
    assert!(
        link(&r, "last").is_some_and(|l| l.contains("page=3")),
        "{:?}",
        links(&r)
    );
    let r = get(&s, OUS, &s.admin);
    assert_eq!(array(&r).len(), 10, "default page size 10");
}

#[test]
fn waldur_duplicate_name_is_400_field_error() {
    let s = Server::start();
    create(&s, "Taken", "T", "T1");
    let r = post(
        &s,
        ORGS,
        &s.admin,
        json!({"name": "taken", "native_name": "T", "abbreviation": "T2"}),
    );
    assert_field_error(&r, &["name"]);
    assert_eq!(list_names(&s, ORGS, &s.admin), ["Taken"]);
}
