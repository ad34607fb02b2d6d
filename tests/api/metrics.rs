//! `GET /metrics`: the Prometheus text format; counters move as requests are sent; the
//! route label is always a declared template (never a raw path or id); staff only unless
//! `--metrics-public`.

use crate::support::Server;
use serde_json::json;
use std::collections::HashMap;

/// The samples of a scrape: `name{labels}` → value.
fn scrape(s: &Server) -> HashMap<String, f64> {
    let r = s.get("/metrics", &s.admin);
    assert_eq!(r.status, 200, "{}", r.text);
    parse(&r.text)
}

fn parse(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        out.insert(series.to_string(), value.parse::<f64>().expect("value"));
    }
    out
}

fn requests(m: &HashMap<String, f64>, method: &str, route: &str, status: u16) -> f64 {
    let key = format!(
        "orgreg_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    );
    m.get(&key).copied().unwrap_or(0.0)
}

#[test]
fn metrics_format_and_content_type() {
    let s = Server::start();
    let r = s.get("/metrics", &s.admin);
    assert_eq!(r.status, 200);
    assert!(
        r.content_type().starts_with("text/plain; version=0.0.4"),
        "{}",
        r.content_type()
    );
    for family in [
        "# TYPE orgreg_http_requests_total counter",
        "# TYPE orgreg_http_request_duration_seconds histogram",
        "# TYPE orgreg_http_requests_in_flight gauge",
        "# TYPE orgreg_writer_queue_depth gauge",
        "# TYPE orgreg_writer_last_commit_seconds gauge",
        "# TYPE orgreg_writer_commits_total counter",
        "# TYPE orgreg_database_size_bytes gauge",
        "# TYPE orgreg_organizations gauge",
        "# TYPE orgreg_users gauge",
        "# TYPE orgreg_members gauge",
    ] {
        assert!(r.text.contains(family), "{family} missing:\n{}", r.text);
    }
    let m = parse(&r.text);
    assert!(
        m["orgreg_http_requests_in_flight"] >= 1.0,
        "the scrape itself"
    );
    assert!(m["orgreg_database_size_bytes{file=\"db\"}"] > 0.0);
    assert_eq!(m["orgreg_database_up"], 1.0);
    // HEAD answers like GET, without a body.
    let h = s.call("HEAD", "/metrics").auth(&s.admin).send();
    assert_eq!(h.status, 200);
    assert!(h.text.is_empty());
}

#[test]
fn metrics_counters_move_with_templates_as_labels() {
    let s = Server::start();
    let before = scrape(&s);
    let (_, token) = s.create_user("mia");
    let org = s.create_org(&token, "Metered");
    for _ in 0..3 {
        s.get(&format!("/v1/organizations/{org}"), &token).ok(200);
    }
    s.get("/v1/organizations/00000000000000000000000000000009", &token)
        .problem(404);
    s.get("/no/such/path/12345", "").problem(404);
    s.call("DELETE", "/healthz").send();
    let after = scrape(&s);
    let moved = |method, route, status| {
        requests(&after, method, route, status) - requests(&before, method, route, status)
    };
    assert_eq!(moved("GET", "/v1/organizations/{id}", 200), 3.0);
    assert_eq!(moved("GET", "/v1/organizations/{id}", 404), 1.0);
    assert_eq!(moved("POST", "/v1/organizations", 201), 1.0);
    assert_eq!(moved("POST", "/v1/auth/login", 201), 1.0);
    assert_eq!(moved("GET", "unmatched", 404), 1.0);
    assert_eq!(moved("DELETE", "/healthz", 405), 1.0);
    // The previous scrape is counted too.
    assert!(requests(&after, "GET", "/metrics", 200) >= 1.0);
    // Labels are templates only: no id, no raw path.
    let text = s.get("/metrics", &s.admin).text;
    for line in text.lines().filter(|l| l.contains("route=\"")) {
        let route = line
            .split("route=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            route == "unmatched" || route.starts_with('/'),
            "label {route}"
        );
        assert!(!route.contains(&org), "an id in {line}");
        assert!(!route.contains("no/such"), "a raw path in {line}");
        let status = line.split("status=\"").nth(1).map(|x| &x[..4]);
        if let Some(st) = status {
            assert!(st.ends_with('"') && st[..3].bytes().all(|b| b.is_ascii_digit()));
        }
    }
    // The latency histogram counts every request of the route.
    let count =
        after["orgreg_http_request_duration_seconds_count{route=\"/v1/organizations/{id}\"}"];
    assert!(count >= 4.0, "{count}");
    assert_eq!(
        after["orgreg_http_request_duration_seconds_bucket{route=\"/v1/organizations/{id}\",le=\"+Inf\"}"],
        count
    );
}

#[test]
fn metrics_counts_are_current() {
    let s = Server::start();
    let before = scrape(&s);
    let (_, owner) = s.create_user("olga");
    let (bob_id, bob) = s.create_user("bob");
    let org = s.create_org(&owner, "Counted");
    let mid = scrape(&s);
    assert_eq!(
        mid["orgreg_organizations"] - before["orgreg_organizations"],
        1.0
    );
    assert_eq!(mid["orgreg_users"] - before["orgreg_users"], 2.0);
    assert_eq!(
        mid["orgreg_members"] - before["orgreg_members"],
        1.0,
        "the owner"
    );
    // A join request is not a member until approved.
    s.post(
        &format!("/v1/organizations/{org}/members"),
        &bob,
        json!({"user": bob_id}),
    )
    .ok(201);
    let pending = scrape(&s);
    assert_eq!(pending["orgreg_members"], mid["orgreg_members"]);
    assert_eq!(pending["orgreg_pending_join_requests"], 1.0);
    s.post(
        &format!("/v1/organizations/{org}/members/{bob_id}/approve"),
        &owner,
        json!({}),
    )
    .ok(200);
    let approved = scrape(&s);
    assert_eq!(approved["orgreg_members"] - mid["orgreg_members"], 1.0);
    // One write since `pending`, one commit (nothing else was writing).
    assert_eq!(
        approved["orgreg_writer_commits_total"] - pending["orgreg_writer_commits_total"],
        1.0,
        "the approval"
    );
    assert!(approved["orgreg_writer_last_commit_seconds"] >= 0.0);
    assert!(approved["orgreg_writer_queue_depth"] >= 0.0);
}

#[test]
fn metrics_need_staff_by_default() {
    let s = Server::start();
    let anon = s.get("/metrics", "");
    anon.problem(401);
    let (_, token) = s.create_user("nina");
    s.get("/metrics", &token).problem(403);
    s.get("/metrics", "org_not_a_real_token").problem(401);
}

#[test]
fn metrics_public_needs_no_credentials() {
    let s = Server::with(|c| c.metrics_public = true);
    let r = s.get("/metrics", "");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("orgreg_http_requests_total"));
    // No credentials are read at all: a stale token does not get in the way.
    assert_eq!(s.get("/metrics", "org_not_a_real_token").status, 200);
    let d = s.get("/openapi.json", "").body;
    assert_eq!(d["paths"]["/metrics"]["get"]["security"], json!([]));
    assert!(d["paths"]["/metrics"]["get"]["responses"]
        .get("401")
        .is_none());
    let staff = Server::start().get("/openapi.json", "").body;
    let responses = &staff["paths"]["/metrics"]["get"]["responses"];
    assert!(responses.get("401").is_some() && responses.get("403").is_some());
    assert!(responses["200"]["content"].get("text/plain").is_some());
}

#[test]
fn metrics_public_flag_and_env_twin() {
    let out = crate::support::orgreg_cmd()
        .args(["serve", "--help"])
        .output()
        .expect("run orgreg");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--metrics-public"), "{help}");
    assert!(help.contains("ORGREG_METRICS_PUBLIC"), "{help}");
}
