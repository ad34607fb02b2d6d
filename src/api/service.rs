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

pub fn health(app: &App) -> Resp {
    if app.registry.healthy() {
        Resp::json(200, &json!({"status": "ok"}))
    } else {
        Resp::json(503, &json!({"status": "unavailable"})).with("Retry-After", "1")
    }
}
