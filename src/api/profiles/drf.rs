//! What the Django REST Framework based profiles (AWX, Waldur) share: error bodies
//! (`{"detail": ...}`, `{"field": [...]}`, `{"non_field_errors": [...]}`), lenient body
//! parsing (unknown fields ignored, as DRF does), and authentication that also accepts a
//! session cookie.

use crate::api::{self, App};
use crate::error::Error;
use crate::http::{Req, Resp};
use crate::registry::{auth, Ctx};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

/// The DRF body for an error. `conflict_message` renders a uniqueness conflict on a field
/// (DRF answers those 400 with a field error, not 409).
pub fn error(e: &Error, conflict_message: &dyn Fn(&str) -> String) -> Resp {
    let (status, body) = match e {
        Error::Invalid(errors) => (400, serde_json::to_value(errors).unwrap_or_default()),
        Error::Conflict { field: Some(f), .. } => {
            (400, json!({ f.clone(): [conflict_message(f)] }))
        }
        Error::Unauthenticated(_) | Error::LockedOut(_) => (
            401,
            json!({"detail": "Authentication credentials were not provided."}),
        ),
        Error::Forbidden(_) => (
            403,
            json!({"detail": "You do not have permission to perform this action."}),
        ),
        Error::NotFound => (404, json!({"detail": "Not found."})),
        other => (other.status(), json!({"detail": other.detail()})),
    };
    let mut r = Resp::json(status, &body);
    crate::http::decorate_error(&mut r, e);
    if status == 401 {
        r.headers.retain(|(k, _)| k != "WWW-Authenticate");
        r.headers
            .push(("WWW-Authenticate".into(), "Bearer realm=\"api\"".into()));
    }
    if let Error::Internal(cause) = e {
        log::error!("internal error: {cause}");
    }
    r
}

/// The request's caller: `Authorization` (Bearer, Token, Basic) or a `sessionid` cookie.
pub fn context(app: &App, conn: &Connection, req: &Req) -> Result<Ctx, Error> {
    let mut ctx = api::context(app, conn, req)?;
    if ctx.actor.is_none() {
        if let Some(sid) = cookie(req, "sessionid") {
            ctx.actor = Some(auth::token_user(&app.registry, conn, &sid)?);
        }
    }
    Ok(ctx)
}

pub fn cookie(req: &Req, name: &str) -> Option<String> {
    req.header("cookie")?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// The body as a JSON object (415 unless JSON, 400 if malformed) — DRF also accepts
/// form-encoded bodies, which become string fields.
pub fn body(req: &Req) -> Result<Map<String, Value>, Error> {
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        let text = String::from_utf8_lossy(&req.body);
        return Ok(crate::http::parse_query(&text)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    req.json_object()
}

/// DRF-style string field: required/blank/length messages.
pub fn string(
    m: &Map<String, Value>,
    name: &str,
    max: usize,
    required: bool,
    errors: &mut crate::error::Errors,
) -> Option<String> {
    match m.get(name) {
        None if required => {
            errors.add(name, "This field is required.");
            None
        }
        None => None,
        Some(Value::Null) if required => {
            errors.add(name, "This field may not be null.");
            None
        }
        Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => {
            if required && s.trim().is_empty() {
                errors.add(name, "This field may not be blank.");
                None
            } else if s.contains('\0') {
                errors.add(name, "Null characters are not allowed.");
                None
            } else if s.chars().count() > max {
                errors.add(
                    name,
                    format!("Ensure this field has no more than {max} characters."),
                );
                None
            } else {
                Some(s.clone())
            }
        }
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(name, "Not a valid string.");
            None
        }
    }
}

/// DRF page parameters: `page` (an unusable one is 404 "Invalid page.") and `page_size`
/// (an unusable one falls back to `default`; larger than `max` is clamped).
pub fn paging(req: &Req, default: i64, max: i64) -> Result<(i64, i64), Error> {
    let page = match req.q("page") {
        None => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000_000).contains(n))
            .ok_or(Error::InvalidPage)?,
    };
    let size = req
        .q("page_size")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(default)
        .min(max);
    Ok((page, size))
}
