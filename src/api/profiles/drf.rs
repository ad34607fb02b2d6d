//! The toolkit every Django REST Framework shaped profile (AWX, Waldur, ezeep) uses, so
//! none writes it again: error bodies (`{"detail": ...}`, `{"field": [...]}`,
//! `{"non_field_errors": [...]}`), lenient body parsing (form or JSON; unknown fields
//! ignored, as DRF does), DRF string fields, paging by `page`/`page_size` or
//! `limit`/`offset`, the `count/next/previous/results` envelope and the bare-array form
//! with `X-Result-Count` and `Link`, and one policy for an out-of-range page: 404
//! `{"detail": "Invalid page."}` (DRF's answer).

use crate::api::{page_link, Paging};
use crate::error::{Error, Errors};
use crate::http::{Req, Resp};
use serde_json::{json, Map, Value};

/// The DRF body for an error. `conflict_message` words a uniqueness conflict on a field
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
    r
}

/// A refusal as DRF's non-field error (`{"non_field_errors": [message]}`, 400).
pub fn non_field(message: &str) -> Error {
    Error::field("non_field_errors", message)
}

/// Every DRF answer names the methods of its path in `Allow`.
pub fn finish(_: &Req, resp: &mut Resp, allow: &str, _: std::time::Instant) {
    if resp.header("Allow").is_none() {
        resp.headers.push(("Allow".into(), allow.to_string()));
    }
}

/// DRF's minimal metadata document, for `OPTIONS` where a profile declares no richer one.
pub fn metadata(name: &str) -> Resp {
    Resp::json(
        200,
        &json!({"name": name, "renders": ["application/json"], "parses": ["application/json"]}),
    )
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

/// DRF-style string field: required/blank/length messages. `nullable` accepts `null`
/// (as `Some(None)`); otherwise `null` on a required field is an error and on an
/// optional one means empty.
pub fn string(
    m: &Map<String, Value>,
    name: &str,
    max: usize,
    required: bool,
    errors: &mut Errors,
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

/// `page` (an unusable one is 404 "Invalid page.") and `page_size` (an unusable one falls
/// back to `default`; larger than `max` is clamped).
pub fn paging(req: &Req, default: i64, max: i64) -> Result<Paging, Error> {
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
    Ok(Paging { page, size })
}

/// `limit` (default `default`, clamped to `max`) and `offset` (default 0); a value that
/// is not a non-negative integer falls back to the default, as DRF's
/// LimitOffsetPagination does.
pub fn limit_offset(req: &Req, default: i64, max: i64) -> (i64, i64) {
    let int = |name: &str| req.q(name).and_then(|s| s.parse::<i64>().ok());
    let limit = int("limit").filter(|n| *n >= 1).unwrap_or(default).min(max);
    let offset = int("offset")
        .filter(|n| *n >= 0)
        .unwrap_or(0)
        .min(i64::MAX / 2);
    (limit, offset)
}

/// A page past the end (other than the first) is DRF's 404 "Invalid page.".
fn check_page(p: Paging, count: i64) -> Result<(), Error> {
    if p.page > 1 && p.offset() >= count {
        return Err(Error::InvalidPage);
    }
    Ok(())
}

/// The `count/next/previous/results` envelope with relative links.
pub fn envelope(req: &Req, p: Paging, count: i64, results: Vec<Value>) -> Result<Value, Error> {
    check_page(p, count)?;
    let next = (p.offset() + p.size < count).then(|| page_link(req, p.page + 1));
    let previous = (p.page > 1).then(|| page_link(req, p.page - 1));
    Ok(json!({"count": count, "next": next, "previous": previous, "results": results}))
}

/// The envelope for `limit`/`offset` paging, with absolute-path links.
pub fn offset_envelope(
    req: &Req,
    (limit, offset): (i64, i64),
    count: i64,
    results: Vec<Value>,
) -> Value {
    let link = |o: i64| {
        let mut parts: Vec<String> = req
            .query
            .iter()
            .filter(|(k, _)| k != "limit" && k != "offset")
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::http::encode_component(k),
                    crate::http::encode_component(v)
                )
            })
            .collect();
        parts.push(format!("limit={limit}"));
        parts.push(format!("offset={o}"));
        format!("{}{}?{}", req.base_url(), req.path, parts.join("&"))
    };
    let next = (offset + limit < count).then(|| link(offset + limit));
    let previous = (offset > 0).then(|| link((offset - limit).max(0)));
    json!({"count": count, "next": next, "previous": previous, "results": results})
}

/// A bare JSON array with the total in `X-Result-Count` and first/prev/next/last in a
/// `Link` header (absolute URLs).
pub fn bare_list(req: &Req, p: Paging, count: i64, items: Vec<Value>) -> Result<Resp, Error> {
    check_page(p, count)?;
    let last = ((count + p.size - 1) / p.size).max(1);
    let base = req.base_url();
    let link = |n: i64| format!("<{base}{}>", page_link(req, n));
    let mut links = vec![format!("{}; rel=\"first\"", link(1))];
    if p.page > 1 {
        links.push(format!("{}; rel=\"prev\"", link(p.page - 1)));
    }
    if p.page < last {
        links.push(format!("{}; rel=\"next\"", link(p.page + 1)));
    }
    links.push(format!("{}; rel=\"last\"", link(last)));
    Ok(Resp::json(200, &Value::Array(items))
        .with("X-Result-Count", count.to_string())
        .with("Link", links.join(", ")))
}
