//! `/openapi.json` is what the server serves, both ways, checked live: every operation the
//! running server describes is answered on its path (OPTIONS names its method in
//! `Allow`), and every route of every mounted table is described under its operation id.

use crate::support::Server;
use serde_json::Value;

/// A concrete path for a template: integers where the profile uses integers, a uuid
/// elsewhere (the router matches templates, not values, so any value reaches the route).
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some("id")
                    if template.starts_with("/api/v") || template.starts_with("/accounts") =>
                {
                    "1".to_string()
                }
                Some("organization_id") | Some("user_ids") => "1".to_string(),
                Some(_) => "00000000000000000000000000000001".to_string(),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn description_every_described_operation_is_served() {
    let s = Server::start();
    let doc = s.get("/openapi.json", "").body;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() > 60, "{} paths", paths.len());
    let mut checked = 0;
    for (template, item) in paths {
        let path = concrete(template);
        let r = s.call("OPTIONS", &path).auth(&s.admin).send();
        let allow: Vec<String> = r
            .header("allow")
            .unwrap_or_else(|| panic!("OPTIONS {path}: no Allow ({} {})", r.status, r.text))
            .split(',')
            .map(|m| m.trim().to_ascii_lowercase())
            .collect();
        for method in item.as_object().expect("path item").keys() {
            assert!(
                allow.contains(method),
                "{method} {template} is described but {path} allows {allow:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 120, "{checked} operations checked");
}

#[test]
fn description_every_declared_route_is_described() {
    let s = Server::start();
    let doc = s.get("/openapi.json", "").body;
    let mut cfg = orgreg::config::Config::for_tests(":memory:");
    cfg.test_routes = false;
    let mut surfaces = vec![orgreg::api::v1::routes::surface(&cfg)];
    surfaces.extend(orgreg::api::profiles::mounted(&cfg.profiles));
    let mut n = 0;
    for p in &surfaces {
        for r in &p.routes {
            let op = &doc["paths"][&r.path][r.method.to_ascii_lowercase()];
            assert_eq!(
                op["operationId"],
                Value::from(r.op.clone()),
                "{} {} of {}",
                r.method,
                r.path,
                p.name
            );
            n += 1;
        }
    }
    assert!(n > 120, "{n} routes");
}
