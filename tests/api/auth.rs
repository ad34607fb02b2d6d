//! Authentication: Bearer/Token/Basic, login, the failed-login limiter, /v1/me, API tokens,
//! the bootstrap admin's configured token and password.

use crate::support::*;
use serde_json::json;

fn me_with(s: &Server, authorization: &str) -> Resp {
    s.call("GET", "/v1/me")
        .header("Authorization", authorization)
        .send()
}

#[test]
fn bearer_and_token_schemes_both_authenticate() {
    let s = Server::start();
    for scheme in ["Bearer", "Token", "bearer", "token"] {
        let r = me_with(&s, &format!("{scheme} {}", s.admin));
        r.ok(200);
        assert_eq!(r["username"], "admin", "scheme {scheme}");
        assert_eq!(r["is_staff"], true);
    }
}

#[test]
fn missing_or_bad_credentials_are_401_with_www_authenticate() {
    let s = Server::start();
    let cases = [
        None,
        Some("Bearer org_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_string()),
        Some("Token nope".to_string()),
        Some("Bearer ".to_string()),
        Some("Digest username=admin".to_string()),
        Some("Basic !!!not-base64".to_string()),
        Some(basic("admin", "no-password-set")),
        Some(format!("Bearer {}x", s.admin)),
    ];
    for auth in cases {
        let mut c = s.call("GET", "/v1/me");
        if let Some(a) = &auth {
            c = c.header("Authorization", a);
        }
        let r = c.send();
        r.problem(401);
        assert!(
            r.header("www-authenticate").is_some_and(|v| !v.is_empty()),
            "WWW-Authenticate on 401 for {auth:?}"
        );
    }
}

#[test]
fn basic_auth_works_for_a_user_with_a_password() {
    let s = Server::start();
    s.new_user(json!({"username": "basil", "password": PASSWORD}));
    let r = me_with(&s, &basic("basil", PASSWORD));
    r.ok(200);
    assert_eq!(r["username"], "basil");
    assert_eq!(r["is_staff"], false);
    // Usernames are case-insensitive.
    me_with(&s, &basic("BASIL", PASSWORD)).ok(200);
    let r = me_with(&s, &basic("basil", "wrong password"));
    r.problem(401);
    assert!(r.header("www-authenticate").is_some());
}

#[test]
fn login_returns_201_with_token_expiry_and_user() {
    let s = Server::start();
    let u =
        s.new_user(json!({"username": "lena", "password": PASSWORD, "email": "lena@example.org"}));
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "lena", "password": PASSWORD}),
    );
    r.ok(201);
    assert!(is_token(&r["token"]), "token shape: {}", r["token"]);
    assert!(is_timestamp(&r["expires"]), "expires: {}", r["expires"]);
    let ttl = ts_ms(&r["expires"]) - now_ms();
    assert!(
        (23 * 3600 * 1000..=25 * 3600 * 1000).contains(&ttl),
        "a login token lives about 24 h: {}",
        r["expires"]
    );
    assert_eq!(ts_ms(&json!("1970-01-02T00:00:01.500Z")), 86_401_500);
    assert_eq!(r["user"]["id"], u["id"]);
    assert_eq!(r["user"]["username"], "lena");
    assert_eq!(r["user"]["email"], "lena@example.org");
    assert!(
        !r.text.contains("argon2")
            && r["user"].get("password").is_none()
            && r["user"].get("password_hash").is_none()
    );
    let token = r["token"].as_str().unwrap();
    let me = s.get("/v1/me", token);
    me.ok(200);
    assert_eq!(me["id"], u["id"]);
    // Two logins give two different tokens.
    let again = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "lena", "password": PASSWORD}),
    );
    assert_ne!(again["token"], r["token"]);
}

#[test]
fn login_missing_fields_names_both() {
    let s = Server::start();
    s.post("/v1/auth/login", "", json!({}))
        .invalid(&["password", "username"]);
    s.post("/v1/auth/login", "", json!({"username": "", "password": 5}))
        .invalid(&["password", "username"]);
}

#[test]
fn wrong_password_and_unknown_user_get_identical_401s() {
    let s = Server::start();
    s.new_user(json!({"username": "known", "password": PASSWORD}));
    let wrong = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "known", "password": "not the password"}),
    );
    let unknown = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "nobody-here", "password": "not the password"}),
    );
    let no_password = {
        s.new_user(json!({"username": "nopass"}));
        s.post(
            "/v1/auth/login",
            "",
            json!({"username": "nopass", "password": "not the password"}),
        )
    };
    for r in [&wrong, &unknown, &no_password] {
        r.problem(401);
        assert!(r.header("www-authenticate").is_some_and(|v| !v.is_empty()));
    }
    assert_eq!(
        without_request_id(&wrong.body),
        without_request_id(&unknown.body)
    );
    assert_eq!(
        without_request_id(&wrong.body),
        without_request_id(&no_password.body)
    );
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
}

#[test]
fn ten_failed_logins_then_429_with_retry_after() {
    let s = Server::start();
    s.new_user(json!({"username": "target", "password": PASSWORD}));
    for i in 0..10 {
        let r = s.post(
            "/v1/auth/login",
            "",
            json!({"username": "target", "password": format!("guess-{i}")}),
        );
        r.problem(401);
    }
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "target", "password": "guess-10"}),
    );
    r.problem(429);
    let retry: u64 = r
        .header("retry-after")
        .unwrap_or_else(|| panic!("Retry-After on 429"))
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=15 * 60 + 1).contains(&retry), "Retry-After {retry}");
    // Even the right password is refused while limited.
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "target", "password": PASSWORD}),
    );
    r.problem(429);
    // Basic credentials for the same user are locked out too: outside the login route
    // that is a 401 carrying Retry-After (docs/API.md).
    let r = me_with(&s, &basic("target", PASSWORD));
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    // Token authentication is unaffected.
    s.get("/v1/me", &s.admin).ok(200);
}

#[test]
fn me_lists_user_fields_and_memberships() {
    let s = Server::start();
    let (uid, tok) = s.create_user("member");
    let r = s.get("/v1/me", &tok);
    r.ok(200);
    assert_eq!(r["id"], uid.as_str());
    for f in [
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
        "memberships",
    ] {
        assert!(r.body.get(f).is_some(), "/v1/me has {f}: {}", r.text);
    }
    assert_eq!(r["memberships"], json!([]));
    assert!(r.body.get("password").is_none() && r.body.get("password_hash").is_none());
    let org = s.create_org(&tok, "Mine");
    let r = s.get("/v1/me", &tok);
    let ms = r["memberships"].as_array().unwrap();
    assert_eq!(ms.len(), 1, "{}", r.text);
    assert_eq!(ms[0]["organization"], org.as_str());
    assert_eq!(ms[0]["role"], "owner");
    assert_eq!(ms[0]["status"], "approved");
}

#[test]
fn tokens_create_list_and_revoke() {
    let s = Server::start();
    let (_, tok) = s.create_user("tokener");
    let r = s.post("/v1/tokens", &tok, json!({"name": "ci"}));
    r.ok(201);
    let secret = r["token"]
        .as_str()
        .expect("secret in the POST response")
        .to_string();
    assert!(is_token(&r["token"]), "{secret}");
    let id = r["id"].as_str().unwrap().to_string();
    assert!(is_uuid(&r["id"]));
    assert_eq!(r["name"], "ci");
    assert_eq!(r["expires"], serde_json::Value::Null);
    assert!(is_timestamp(&r["created"]));
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/tokens/{id}").as_str())
    );

    // The new token works.
    let me = s.get("/v1/me", &secret);
    me.ok(200);
    assert_eq!(me["username"], "tokener");

    // Listed with its name, never with its secret.
    let list = s.get("/v1/tokens", &tok);
    list.ok(200);
    let item = list
        .results()
        .into_iter()
        .find(|t| t["id"] == id.as_str())
        .expect("token listed");
    assert_eq!(item["name"], "ci");
    assert!(item.get("token").is_none(), "no secret in the list: {item}");
    assert!(
        !list.text.contains(&secret),
        "the secret never appears in a list"
    );
    assert!(
        !list.text.contains(&tok),
        "nor does the login token's secret"
    );
    assert!(
        secret.starts_with(item["prefix"].as_str().unwrap_or("<none>")),
        "prefix is the visible start"
    );

    // Revoked: stops working at once and leaves the list.
    let r = s.delete(&format!("/v1/tokens/{id}"), &tok);
    assert_eq!(r.status, 204, "{}", r.text);
    s.get("/v1/me", &secret).problem(401);
    let list = s.get("/v1/tokens", &tok);
    assert!(list.results().iter().all(|t| t["id"] != id.as_str()));
    s.delete(&format!("/v1/tokens/{id}"), &tok).problem(404);
    // The caller's other token is untouched.
    s.get("/v1/me", &tok).ok(200);
}

#[test]
fn tokens_are_private_to_their_user() {
    let s = Server::start();
    let (_, a) = s.create_user("alice");
    let (_, b) = s.create_user("bob");
    let t = s.post("/v1/tokens", &a, json!({"name": "alice-ci"}));
    t.ok(201);
    let id = t["id"].as_str().unwrap();
    let list = s.get("/v1/tokens", &b);
    assert!(
        list.results().iter().all(|x| x["id"] != id),
        "bob does not see alice's token"
    );
    s.delete(&format!("/v1/tokens/{id}"), &b).problem(404);
    s.get("/v1/me", t["token"].as_str().unwrap()).ok(200);
    s.get("/v1/tokens", "").problem(401);
}

#[test]
fn token_create_validates_expires_and_name() {
    let s = Server::start();
    let r = s.post(
        "/v1/tokens",
        &s.admin,
        json!({"expires": "2001-01-01T00:00:00Z", "name": 7}),
    );
    r.invalid(&["expires", "name"]);
    let r = s.post("/v1/tokens", &s.admin, json!({"expires": "next tuesday"}));
    r.invalid(&["expires"]);
    let r = s.post(
        "/v1/tokens",
        &s.admin,
        json!({"name": "dated", "expires": "2999-01-01T00:00:00Z"}),
    );
    r.ok(201);
    assert_eq!(r["expires"], "2999-01-01T00:00:00.000Z");
    s.get("/v1/me", r["token"].as_str().unwrap()).ok(200);
}

#[test]
fn configured_admin_token_authenticates_the_staff_admin() {
    let s = Server::start();
    let r = s.get("/v1/me", ADMIN_TOKEN);
    r.ok(200);
    assert_eq!(r["username"], "admin");
    assert_eq!(r["is_staff"], true);
    assert_eq!(r["is_active"], true);
}

#[test]
fn configured_admin_password_allows_basic_for_admin() {
    let s = Server::with(|c| c.admin_password = Some("admin-password-123".into()));
    let r = me_with(&s, &basic("admin", "admin-password-123"));
    r.ok(200);
    assert_eq!(r["username"], "admin");
    assert_eq!(r["is_staff"], true);
    me_with(&s, &basic("admin", "admin-password-124")).problem(401);
    // And the login endpoint accepts it.
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "admin", "password": "admin-password-123"}),
    );
    r.ok(201);
    assert!(is_token(&r["token"]));
}

#[test]
fn deactivated_user_tokens_stop_working() {
    let s = Server::start();
    let (id, tok) = s.create_user("leaver");
    s.get("/v1/me", &tok).ok(200);
    s.patch(
        &format!("/v1/users/{id}"),
        &s.admin,
        json!({"is_active": false}),
    )
    .ok(200);
    s.get("/v1/me", &tok).problem(401);
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "leaver", "password": PASSWORD}),
    );
    r.problem(401);
}

#[test]
fn failed_logins_are_limited_per_address_too() {
    let s = Server::start();
    s.new_user(json!({"username": "innocent", "password": PASSWORD}));
    // Ten failures, each for a different (unknown) username, from one address.
    for i in 0..10 {
        s.post(
            "/v1/auth/login",
            "",
            json!({"username": format!("spray-{i}"), "password": "guess"}),
        )
        .problem(401);
    }
    let r = s.post(
        "/v1/auth/login",
        "",
        json!({"username": "innocent", "password": PASSWORD}),
    );
    r.problem(429);
    assert!(r
        .header("retry-after")
        .is_some_and(|v| v.parse::<u64>().is_ok()));
}

#[test]
fn basic_auth_follows_password_changes_and_deactivation() {
    let s = Server::start();
    let u = s.new_user(json!({"username": "rotating", "password": PASSWORD}));
    let path = format!("/v1/users/{}", u["id"].as_str().unwrap());
    me_with(&s, &basic("rotating", PASSWORD)).ok(200);
    s.patch(&path, &s.admin, json!({"password": "the second password"}))
        .ok(200);
    me_with(&s, &basic("rotating", PASSWORD)).problem(401);
    me_with(&s, &basic("rotating", "the second password")).ok(200);
    s.patch(&path, &s.admin, json!({"is_active": false}))
        .ok(200);
    me_with(&s, &basic("rotating", "the second password")).problem(401);
}
