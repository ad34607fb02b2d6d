//! `--profiles` picks what is mounted; objects are shared between every surface.

use crate::support::*;
use serde_json::json;

#[test]
fn profiles_none_serves_only_the_native_api() {
    let s = Server::with(|c| c.profiles = vec![]);
    for path in [
        "/api/",
        "/api/v2/organizations/",
        "/api/organizations/",
        "/api/organization-users/",
    ] {
        let r = s.get(path, &s.admin);
        r.problem(404);
    }
    s.get("/v1/organizations", &s.admin).ok(200);
}

#[test]
fn profiles_mount_only_what_is_named() {
    let s = Server::with(|c| c.profiles = vec!["awx".into()]);
    assert_eq!(s.get("/api/v2/organizations/", &s.admin).status, 200);
    s.get("/api/organization-users/", &s.admin).problem(404);
    let w = Server::with(|c| c.profiles = vec!["waldur".into()]);
    assert_eq!(w.get("/api/organizations/", &w.admin).status, 200);
    w.get("/api/v2/organizations/", &w.admin).problem(404);
}

#[test]
fn profiles_share_objects_and_the_activity_log() {
    let s = Server::start();
    let waldur = |path: &str| {
        s.call("GET", path)
            .header("Authorization", &format!("Token {}", s.admin))
            .send()
    };
    let a = s.post(
        "/api/v2/organizations/",
        &s.admin,
        json!({"name": "From AWX", "description": "x"}),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let native = s.get("/v1/organizations/From%20AWX", &s.admin);
    native.ok(200);
    let w = waldur("/api/organizations/?name=from%20awx");
    assert_eq!(w.status, 200);
    assert_eq!(
        w.body[0]["uuid"],
        native["id"].as_str().unwrap().replace('-', "")
    );

    let n = s.post(
        "/v1/organizations",
        &s.admin,
        json!({"name": "From V1", "abbreviation": "V1"}),
    );
    n.ok(201);
    let listed = s.get("/api/v2/organizations/?name=From%20V1", &s.admin);
    assert_eq!(listed.body["count"], 1, "{}", listed.text);
    assert_eq!(
        waldur("/api/organizations/?abbreviation=V1").body[0]["name"],
        "From V1"
    );

    let created: Vec<String> = s
        .activity("object_type=organization&action=create")
        .iter()
        .map(|a| a["object_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        created.contains(&native["id"].as_str().unwrap().to_string()),
        "AWX create is in the log"
    );
    assert!(created.contains(&n["id"].as_str().unwrap().to_string()));
}

/// An organization created through any of the six surfaces is visible through all six,
/// each in its own id format, and its create row names the surface it came through.
#[test]
fn profiles_every_surface_sees_what_every_surface_creates() {
    let s = Server::start();
    let bearer = |method: &str, path: &str, body: serde_json::Value| {
        s.call(method, path).auth(&s.admin).json(body).send()
    };
    // (surface, create) → the organization's uuid.
    let mut made: Vec<(&str, String)> = vec![];
    let r = bearer("POST", "/v1/organizations", json!({"name": "Via v1"}));
    made.push(("v1", r.body["id"].as_str().expect("v1 id").to_string()));
    let r = bearer("POST", "/api/v2/organizations/", json!({"name": "Via awx"}));
    let awx_id = r.body["id"].as_i64().expect("awx id");
    let v1 = s.get("/v1/organizations?name=Via%20awx", &s.admin);
    made.push((
        "awx",
        v1.body["results"][0]["id"]
            .as_str()
            .expect("uuid")
            .to_string(),
    ));
    assert!(awx_id > 0);
    let r = bearer(
        "POST",
        "/api/organizations/",
        json!({"name": "Via waldur", "native_name": "W", "abbreviation": "VW"}),
    );
    let hex = r.body["uuid"].as_str().expect("waldur uuid").to_string();
    made.push(("waldur", orgreg::model::parse_uuid(&hex).expect("hex uuid")));
    // ZenML's one-organization rule: a second staff user creates through it.
    s.new_user(json!({"username": "zstaff", "password": PASSWORD, "is_staff": true}));
    let zstaff = s.login("zstaff", PASSWORD);
    let r = s.post("/organizations", &zstaff, json!({"name": "Via zenml"}));
    made.push((
        "zenml",
        r.body["id"].as_str().expect("zenml id").to_string(),
    ));
    let r = bearer(
        "POST",
        "/accounts/organizations",
        json!({"organization_name": "Via accounts"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let v1 = s.get("/v1/organizations?name=Via%20accounts", &s.admin);
    made.push((
        "accounts",
        v1.body["results"][0]["id"]
            .as_str()
            .expect("uuid")
            .to_string(),
    ));
    let me = s.get("/v1/me", &s.admin).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = bearer(
        "POST",
        "/partner/v1/organizations/",
        json!({"name": "Via ezeep", "admin_user": me, "currency_code": "EUR"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    made.push((
        "ezeep",
        r.body["id"].as_str().expect("ezeep id").to_string(),
    ));

    for (surface, id) in &made {
        let v1 = s.get(&format!("/v1/organizations/{id}"), &s.admin);
        assert_eq!(v1.status, 200, "{surface}: {}", v1.text);
        let name = v1.body["name"].as_str().unwrap().to_string();
        let enc = name.replace(' ', "%20");
        // AWX by name filter (integer ids), Waldur by 32-hex uuid, ZenML by uuid and name,
        // accounts in the caller's list, ezeep by uuid.
        let awx = s.get(&format!("/api/v2/organizations/?name={enc}"), &s.admin);
        assert_eq!(awx.body["count"], 1, "{surface} via awx: {}", awx.text);
        let waldur = s
            .call(
                "GET",
                &format!("/api/organizations/{}/", id.replace('-', "")),
            )
            .header("Authorization", &format!("Token {}", s.admin))
            .send();
        assert_eq!(waldur.body["name"], name.as_str(), "{surface} via waldur");
        let zen = s.get(&format!("/organizations/{enc}"), &s.admin);
        assert_eq!(
            zen.body["id"],
            id.as_str(),
            "{surface} via zenml: {}",
            zen.text
        );
        let accounts = s.get("/accounts/organizations", &s.admin);
        assert!(
            accounts
                .body
                .as_array()
                .expect("accounts")
                .iter()
                .any(|a| a["organization_name"] == name.as_str()),
            "{surface} via accounts: {}",
            accounts.text
        );
        let ezeep = s.get(&format!("/partner/v1/organizations/{id}"), &s.admin);
        assert_eq!(ezeep.body["name"], name.as_str(), "{surface} via ezeep");
        // The audit trail names the surface the organization came through.
        let rows = s.activity("object_type=organization&action=create");
        let row = rows
            .iter()
            .find(|a| a["object_id"] == id.as_str())
            .expect("create row");
        assert_eq!(row["surface"], *surface, "{surface}: {row}");
    }
}
