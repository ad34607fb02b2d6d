//! Service endpoints: `/`, `/healthz`.

use super::App;
use crate::http::Resp;
use serde_json::json;

pub fn index(app: &App) -> Resp {
    Resp::json(
        200,
        &json!({
            "name": "orgreg",
            "version": env!("CARGO_PKG_VERSION"),
            "apis": {
                "v1": "/v1/",
                "openapi": "/openapi.json",
                "health": "/healthz",
            },
            "profiles": app.config.profiles,
        }),
    )
}

/// 200 `{"status": "ok", "storage": {...}}` when the database takes requests; 503 with
/// `Retry-After` when it does not (unreachable, or on PostgreSQL no writable primary).
pub fn health(app: &App) -> Resp {
    let (engine, state) = app.registry.health();
    let storage = json!({"engine": engine, "state": state});
    if state == "ok" {
        Resp::json(200, &json!({"status": "ok", "storage": storage}))
    } else {
        Resp::json(503, &json!({"status": "unavailable", "storage": storage}))
            .with("Retry-After", "1")
    }
}
