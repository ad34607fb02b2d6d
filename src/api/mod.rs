//! Wire formats. `v1` is the native API; each profile renders the same registry
//! operations in its own shapes. Every surface declares its routes in a table
//! (`table`), from which the router and `/openapi.json` are derived. This module holds
//! what the surfaces share: the application state, the mounted surfaces, strict body
//! parsing that names every bad field, paging, list-query parsing and entity tags.

pub mod console;
pub mod doc;
pub mod metrics;
pub mod openapi;
pub mod profiles;
pub mod service;
pub mod table;
pub mod v1;

use crate::config::Config;
use crate::error::{Error, Errors, Result};
use crate::http::{encode_component, Req, Resp};
use crate::model::{self, Revision};
use crate::query::{Cond, FieldSpec, Kind, ListQuery, Op, Val};
use crate::registry::Registry;
use serde_json::{Map, Value};

pub struct App {
    pub registry: Registry,
    pub config: Config,
    /// The native API first, then each mounted profile, in routing order.
    pub surfaces: Vec<table::Profile>,
    /// Request counters and latencies for `/metrics`.
    pub metrics: metrics::Metrics,
}

impl App {
    pub fn new(registry: Registry, config: Config) -> App {
        let mut surfaces = vec![v1::routes::surface(&config)];
        surfaces.extend(profiles::mounted(&config.profiles));
        App {
            registry,
            config,
            surfaces,
            metrics: metrics::Metrics::default(),
        }
    }
}

/// A JSON integer as JSON Schema counts one: `273` and `273.0` alike (within i64).
pub fn json_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// The weak entity tag of an object's revision.
pub fn etag(x: &impl Revision) -> String {
    format!("W/\"{}\"", x.revision())
}

/// The entity tags of an `If-Match` / `If-None-Match` value, without `W/` and quotes.
pub fn etag_list(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t);
            t.trim_matches('"').to_string()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// Strict reading of a JSON object body: every field taken is checked, and whatever is
/// left at `finish` is an unknown field. Errors accumulate so all are reported at once.
pub struct Body {
    map: Map<String, Value>,
    pub errors: Errors,
}

impl Body {
    pub fn new(map: Map<String, Value>) -> Body {
        Body {
            map,
            errors: Errors::default(),
        }
    }

    pub fn from_req(req: &Req) -> Result<Body> {
        Ok(Body::new(req.json_object()?))
    }

    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }

    fn check_text(&mut self, name: &str, s: &str, min: usize, max: usize) -> bool {
        let n = s.chars().count();
        if s.contains('\0') {
            self.errors.add(name, "Null characters are not allowed.");
            false
        } else if n < min {
            self.errors.add(
                name,
                if min == 1 {
                    "This field may not be blank.".to_string()
                } else {
                    format!("Ensure this field has at least {min} characters.")
                },
            );
            false
        } else if n > max {
            self.errors.add(
                name,
                format!("Ensure this field has no more than {max} characters."),
            );
            false
        } else {
            true
        }
    }

    /// A string of `min..=max` characters. `required` reports a missing field.
    pub fn string(&mut self, name: &str, min: usize, max: usize, required: bool) -> Option<String> {
        match self.take(name) {
            None => {
                if required {
                    self.errors.add(name, "This field is required.");
                }
                None
            }
            Some(Value::String(s)) => {
                let trimmed_min = if min > 0 && s.trim().is_empty() {
                    usize::MAX
                } else {
                    min
                };
                if trimmed_min == usize::MAX {
                    self.errors.add(name, "This field may not be blank.");
                    return None;
                }
                self.check_text(name, &s, min, max).then_some(s)
            }
            Some(Value::Null) => {
                self.errors.add(name, "This field may not be null.");
                None
            }
            Some(_) => {
                self.errors.add(name, "Not a valid string.");
                None
            }
        }
    }

    /// A string or null; an empty string stays an empty string.
    pub fn nullable_string(&mut self, name: &str, max: usize) -> Option<Option<String>> {
        match self.take(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => self.check_text(name, &s, 0, max).then_some(Some(s)),
            Some(_) => {
                self.errors.add(name, "Not a valid string.");
                None
            }
        }
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.take(name) {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                self.errors.add(name, "Must be a valid boolean.");
                None
            }
        }
    }

    /// A JSON object whose serialised size is at most `max_bytes`.
    pub fn object(&mut self, name: &str, max_bytes: usize) -> Option<Value> {
        match self.take(name) {
            None => None,
            Some(v @ Value::Object(_)) => {
                if v.to_string().len() > max_bytes {
                    self.errors
                        .add(name, format!("Must be at most {max_bytes} bytes as JSON."));
                    None
                } else {
                    Some(v)
                }
            }
            Some(_) => {
                self.errors.add(name, "Must be a JSON object.");
                None
            }
        }
    }

    fn parse_uuid_value(&mut self, name: &str, v: &Value) -> Option<String> {
        match v.as_str().and_then(model::parse_uuid) {
            Some(id) => Some(id),
            None => {
                self.errors.add(name, "Must be a valid UUID.");
                None
            }
        }
    }

    pub fn uuid(&mut self, name: &str, required: bool) -> Option<String> {
        match self.take(name) {
            None => {
                if required {
                    self.errors.add(name, "This field is required.");
                }
                None
            }
            Some(v) => self.parse_uuid_value(name, &v),
        }
    }

    pub fn nullable_uuid(&mut self, name: &str) -> Option<Option<String>> {
        match self.take(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => self.parse_uuid_value(name, &v).map(Some),
        }
    }

    pub fn uuid_list(&mut self, name: &str, max: usize) -> Option<Vec<String>> {
        match self.take(name) {
            None => None,
            Some(Value::Array(items)) => {
                if items.len() > max {
                    self.errors
                        .add(name, format!("Ensure this list has at most {max} items."));
                    return None;
                }
                let mut out = vec![];
                for v in &items {
                    out.push(self.parse_uuid_value(name, v)?);
                }
                Some(out)
            }
            Some(_) => {
                self.errors.add(name, "Expected a list of UUIDs.");
                None
            }
        }
    }

    /// An RFC 3339 time in the future (e.g. `expires`), normalised.
    pub fn future_time(&mut self, name: &str) -> Option<Option<String>> {
        match self.take(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => match model::parse_time(&s) {
                Some(ms) if ms > model::now_ms() => Some(Some(model::format_ms(ms))),
                Some(_) => {
                    self.errors.add(name, "Must be in the future.");
                    None
                }
                None => {
                    self.errors.add(name, "Must be an RFC 3339 date-time.");
                    None
                }
            },
            Some(_) => {
                self.errors.add(name, "Must be an RFC 3339 date-time.");
                None
            }
        }
    }

    /// Fields the client may not set: present → an error each.
    pub fn read_only(&mut self, names: &[&str]) {
        for n in names {
            if self.map.remove(*n).is_some() {
                self.errors.add(n, "This field is read-only.");
            }
        }
    }

    /// Unknown fields are errors; then all errors at once.
    pub fn finish(mut self) -> Result<()> {
        let left: Vec<String> = self.map.keys().cloned().collect();
        for k in left {
            let shown: String = k.chars().take(64).collect();
            self.errors.add(&shown, "Unknown field.");
        }
        self.errors.into_result()
    }
}

/// `page` (1-based) and `page_size` (clamped to `max`).
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.size
    }
}

pub fn paging(req: &Req, default: i64, max: i64) -> Result<Paging> {
    let mut errors = Errors::default();
    let page = match req.q("page") {
        None => 1,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=1_000_000_000).contains(&n) => n,
            _ => {
                errors.add("page", "Must be a positive integer.");
                1
            }
        },
    };
    // A larger page size than allowed is clamped, however large; anything that is not a
    // positive integer is an error.
    let size = match req.q("page_size") {
        None => default,
        Some(v)
            if !v.is_empty()
                && v.len() <= 40
                && v.bytes().all(|b| b.is_ascii_digit())
                && v.bytes().any(|b| b != b'0') =>
        {
            v.parse::<i64>().unwrap_or(i64::MAX).min(max)
        }
        Some(_) => {
            errors.add("page_size", "Must be a positive integer.");
            default
        }
    };
    errors.into_result()?;
    Ok(Paging { page, size })
}

/// `path?query` with `page` set to `page` and every other parameter kept.
pub fn page_link(req: &Req, page: i64) -> String {
    let mut parts: Vec<String> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    parts.push(format!("page={page}"));
    format!("{}?{}", req.path, parts.join("&"))
}

/// The native page envelope. A page past the end is 404 (as DRF and AWX answer).
pub fn envelope(req: &Req, p: Paging, count: i64, results: Vec<Value>) -> Result<Value> {
    if p.page > 1 && p.offset() >= count {
        return Err(Error::InvalidPage);
    }
    let next = (p.offset() + p.size < count).then(|| page_link(req, p.page + 1));
    let previous = (p.page > 1).then(|| page_link(req, p.page - 1));
    Ok(serde_json::json!({"count": count, "next": next, "previous": previous, "results": results}))
}

const MAX_QUERY_PARAMS: usize = 100;
const MAX_SEARCH_CHARS: usize = 200;
const MAX_FILTER_CHARS: usize = 512;

/// Parses one filter value by the field's kind.
pub fn filter_value(kind: Kind, raw: &str) -> std::result::Result<Val, String> {
    if raw.chars().count() > MAX_FILTER_CHARS {
        return Err(format!(
            "Ensure this value has at most {MAX_FILTER_CHARS} characters."
        ));
    }
    match kind {
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Val::Int(1)),
            "false" | "0" => Ok(Val::Int(0)),
            _ => Err("Must be true or false.".into()),
        },
        Kind::Int => raw
            .parse::<i64>()
            .map(Val::Int)
            .map_err(|_| "Must be an integer.".into()),
        Kind::Time => model::parse_time(raw)
            .map(|ms| Val::Text(model::format_ms(ms)))
            .ok_or_else(|| "Must be an RFC 3339 date-time.".into()),
        Kind::Ref => model::parse_uuid(raw)
            .map(Val::Text)
            .ok_or_else(|| "Must be a valid UUID.".into()),
        Kind::Enum(values) => {
            if values.contains(&raw) {
                Ok(Val::Text(raw.to_string()))
            } else {
                Err(format!("Must be one of: {}.", values.join(", ")))
            }
        }
        Kind::FoldedText => Ok(Val::Text(model::fold(raw))),
        Kind::Text => Ok(Val::Text(raw.to_string())),
    }
}

/// Builds a store query from `field=value` filters (exact), `search`, `order_by` and paging.
/// `filters` and `orders` name the documented fields; others are ignored (filters) or a
/// 400 (order_by).
pub fn list_query(
    req: &Req,
    fields: &[FieldSpec],
    filters: &[&str],
    orders: &[(&str, &'static str)],
    p: Paging,
) -> Result<ListQuery> {
    if req.query.len() > MAX_QUERY_PARAMS {
        return Err(Error::BadRequest(format!(
            "At most {MAX_QUERY_PARAMS} query parameters are accepted."
        )));
    }
    let mut errors = Errors::default();
    let mut q = ListQuery {
        limit: p.size,
        offset: p.offset(),
        ..Default::default()
    };
    for name in filters {
        let Some(field) = fields.iter().find(|f| f.name == *name) else {
            continue;
        };
        if let Some(raw) = req.q(name) {
            match filter_value(field.kind, raw) {
                Ok(v) => q.conds.push(Cond::new(field.name, Op::Eq(v))),
                Err(m) => errors.add(name, m),
            }
        }
    }
    if let Some(s) = req.q("search") {
        if s.chars().count() > MAX_SEARCH_CHARS {
            errors.add(
                "search",
                format!("Ensure this value has at most {MAX_SEARCH_CHARS} characters."),
            );
        } else if !s.is_empty() {
            q.search.push(s.to_string());
        }
    }
    if let Some(o) = req.q("order_by") {
        match parse_order(o, orders) {
            Ok(order) => q.order = order,
            Err(m) => errors.add("order_by", m),
        }
    }
    errors.into_result()?;
    Ok(q)
}

pub fn parse_order(
    raw: &str,
    orders: &[(&str, &'static str)],
) -> std::result::Result<Vec<(&'static str, bool)>, String> {
    let mut out = vec![];
    for key in raw.split(',') {
        if key.is_empty() || key.trim() != key {
            return Err("Ordering keys must be non-empty field names without spaces.".into());
        }
        let (desc, name) = match key.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, key),
        };
        match orders.iter().find(|(n, _)| *n == name) {
            Some((_, f)) => out.push((*f, desc)),
            None => {
                let allowed: Vec<&str> = orders.iter().map(|(n, _)| *n).collect();
                let shown: String = name.chars().take(64).collect();
                return Err(format!(
                    "Unknown ordering field {shown:?}; use one of: {}.",
                    allowed.join(", ")
                ));
            }
        }
        if out.len() > 8 {
            return Err("At most 8 ordering fields.".into());
        }
    }
    Ok(out)
}

impl table::Call<'_> {
    /// The native list parameters: `page`/`page_size` (25, at most 200), the exact
    /// `filters` and `orders` a resource's list documents, and `search`.
    pub fn list_query(
        &self,
        resource: crate::registry::Resource,
        filters: &[&str],
        orders: &[(&str, &'static str)],
    ) -> Result<(Paging, ListQuery)> {
        let p = paging(self.req, 25, 200)?;
        let fields = crate::registry::fields(resource);
        Ok((p, list_query(self.req, &fields, filters, orders, p)?))
    }
}

/// 200 with one page of `page`'s items in the native envelope.
pub fn page_resp<T>(
    req: &Req,
    p: Paging,
    page: model::Page<T>,
    render: impl Fn(&T) -> Value,
) -> Result<Resp> {
    let results = page.items.iter().map(render).collect();
    Ok(Resp::json(200, &envelope(req, p, page.count, results)?))
}

/// 200 with the object's ETag, or 304 when `If-None-Match` already has it.
pub fn with_etag(req: &Req, x: &impl Revision, body: &Value) -> Resp {
    let rev = x.revision();
    let tag = etag(x);
    let matches = req
        .header("if-none-match")
        .is_some_and(|h| etag_list(h).iter().any(|t| t == "*" || *t == rev));
    if matches {
        return Resp::empty(304).with("ETag", tag);
    }
    Resp::json(200, body).with("ETag", tag)
}
