//! Service endpoints: `/healthz`, `/`, `/openapi.json` (no credentials needed).

use crate::support::*;
use serde_json::json;

#[test]
fn healthz_answers_status_ok_as_json() {
    let s = Server::start();
    let r = s.get("/healthz", "");
    r.ok(200);
    let engine = if on_postgres() { "postgresql" } else { "sqlite" };
    assert_eq!(
        r.body,
        json!({"status": "ok", "storage": {"engine": engine, "state": "ok"}})
    );
    assert_eq!(r.content_type(), JSON);
    assert!(r.header("x-request-id").is_some_and(|v| !v.is_empty()));
}

#[test]
fn healthz_ignores_credentials_even_bad_ones() {
    let s = Server::start();
    // Service endpoints answer without authenticating the caller.
    let r = s.get(
        "/healthz",
        "org_not_a_real_token_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    );
    r.ok(200);
    assert_eq!(r.body["status"], "ok");
}

#[test]
fn head_healthz_answers_200_without_body() {
    let s = Server::start();
    let r = s.call("HEAD", "/healthz").send();
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "");
}

#[test]
fn index_names_the_api_roots() {
    let s = Server::start();
    let r = s.get("/", "");
    r.ok(200);
    assert_eq!(r["name"], "orgreg");
    assert!(r["version"].is_string(), "{}", r.text);
    assert_eq!(r["apis"]["v1"], "/v1/");
    assert_eq!(r["apis"]["openapi"], "/openapi.json");
    assert_eq!(r["apis"]["health"], "/healthz");
}

#[test]
fn openapi_is_a_3_1_document_with_info_and_paths() {
    let s = Server::start();
    let r = s.get("/openapi.json", "");
    r.ok(200);
    assert!(
        r.content_type().starts_with("application/json"),
        "{}",
        r.content_type()
    );
    let v = r["openapi"]
        .as_str()
        .unwrap_or_else(|| panic!("openapi field: {}", r.text));
    assert!(v.starts_with("3.1"), "openapi version {v}");
    assert!(r["info"].is_object(), "info: {}", r.text);
    assert!(
        r["info"]["title"].is_string() && r["info"]["version"].is_string(),
        "info: {}",
        r.text
    );
    assert!(r["paths"].is_object(), "paths: {}", r.text);
}

#[test]
fn unknown_path_is_404_problem() {
    let s = Server::start();
    let r = s.get("/v1/no-such-thing", &s.admin);
    r.problem(404);
    let r = s.get("/nope", "");
    r.problem(404);
}
