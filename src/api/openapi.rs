//! The OpenAPI 3.1 description served at `/openapi.json`.

use super::App;
use crate::http::Resp;
use serde_json::json;

pub fn document(_app: &App) -> serde_json::Value {
    json!({"openapi": "3.1.0", "info": {"title": "orgreg", "version": env!("CARGO_PKG_VERSION")}, "paths": {}})
}

pub fn serve(app: &App) -> Resp {
    Resp::json(200, &document(app))
}
