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
