//! The web console's files: served from the binary under a strict Content-Security-Policy,
//! with no credentials needed to load them, nothing fetched from elsewhere, and a script
//! that calls the native `/v1` API only. (The console itself is driven in a real browser
//! by `.ci/console_check.py`.)

use crate::support::Server;

const FILES: [(&str, &str); 4] = [
    ("/console/", "text/html"),
    ("/console/app.js", "text/javascript"),
    ("/console/app.css", "text/css"),
    ("/console/icon.svg", "image/svg+xml"),
];

#[test]
fn console_files_are_served_with_a_strict_policy() {
    let s = Server::start();
    for (path, media) in FILES {
        // A stale token does not matter: the files read no credentials.
        let r = s.get(path, "org_not_a_real_token");
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(
            r.content_type().starts_with(media),
            "{path}: {}",
            r.content_type()
        );
        assert!(!r.text.is_empty());
        let csp = r.header("content-security-policy").expect("CSP");
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        for d in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(directives.contains(&d), "{path}: {d} in {csp}");
        }
        for bad in [
            "unsafe-inline",
            "unsafe-eval",
            "*",
            "data:",
            "http:",
            "https:",
        ] {
            assert!(!csp.contains(bad), "{path}: {bad} in {csp}");
        }
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    // Without the trailing slash too (the page names its files by absolute paths).
    assert_eq!(s.get("/console", "").status, 200);
}

#[test]
fn console_fetches_nothing_foreign_and_calls_v1_only() {
    let s = Server::start();
    let html = s.get("/console/", "").text;
    let js = s.get("/console/app.js", "").text;
    let css = s.get("/console/app.css", "").text;
    for (name, text) in [("html", &html), ("js", &js), ("css", &css)] {
        assert!(!text.contains("http://"), "{name}: an absolute URL");
        assert!(!text.contains("https://"), "{name}: an absolute URL");
        assert!(!text.contains("//cdn"), "{name}");
    }
    // No inline script or style (the policy would block them anyway).
    assert!(!html.contains("<script>"), "inline script");
    assert!(!html.contains("style="), "inline style");
    assert!(!html.contains("<style"), "inline style");
    assert!(!html.contains(" on"), "inline handler");
    // Every API path the script names is under /v1/.
    for (i, _) in js.match_indices("api('") {
        let rest = &js[i + 5..];
        let call = &rest[..rest.find(')').unwrap()];
        let path = call.split(", ").nth(1).unwrap_or("");
        assert!(
            path.starts_with("'/v1/") || path == "base" || path.starts_with("base +"),
            "a call outside /v1: {call}"
        );
    }
    assert!(js.contains("if (!path.startsWith('/v1/'))"));
    assert!(!js.contains("eval("));
    assert!(!js.contains("innerHTML"));
    assert!(js.contains("sessionStorage"));
}

#[test]
fn console_routes_are_described() {
    let s = Server::start();
    let d = s.get("/openapi.json", "").body;
    for (path, media) in FILES {
        let op = &d["paths"][path]["get"];
        assert_eq!(op["tags"], serde_json::json!(["console"]), "{path}");
        assert_eq!(op["security"], serde_json::json!([]), "{path}");
        assert!(
            op["responses"]["200"]["content"].get(media).is_some(),
            "{path}"
        );
        assert!(op["responses"].get("401").is_none(), "{path}");
    }
}
