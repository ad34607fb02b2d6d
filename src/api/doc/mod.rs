//! The OpenAPI building blocks every surface's description uses: the `Op` builder,
//! the usual operation shapes (list, create, get, update, delete, action), parameters,
//! the shared problem/DRF error responses and headers, and schema helpers. The
//! operations themselves live beside each route table (`v1::doc`, each profile's doc
//! fragment); `openapi` assembles them.

pub mod schemas;

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn idempotent(op: &mut Value) {
    let param = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "Makes an authenticated POST safe to retry: the first 2xx answer to this (caller, key) is stored for 24 hours and replayed, with `Idempotent-Replayed: true`, to a retry with the same method, path, body and credentials; the same key with another request, or with other credentials, is 422. 1 to 255 printable ASCII characters (400 otherwise). Ignored for anonymous callers.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"},
    });
    match op.get_mut("parameters") {
        Some(Value::Array(a)) => a.push(param),
        _ => op["parameters"] = json!([param]),
    }
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    for status in ["400", "422"] {
        responses.entry(status).or_insert_with(|| {
            let name = problem_name(status.parse().unwrap_or(400));
            json!({"$ref": format!("#/components/responses/{name}")})
        });
    }
    for (status, r) in responses.iter_mut() {
        if status.starts_with('2') {
            r["headers"]["Idempotent-Replayed"] =
                json!({"$ref": "#/components/headers/Idempotent-Replayed"});
        }
    }
}

/// One operation of the description, built by the assembler from a route's declaration
/// (id, tag, who may call it) and completed by the route's own `doc` function.
pub struct Op {
    v: Map<String, Value>,
    params: Vec<Value>,
    responses: BTreeMap<String, Value>,
    /// Answers without reading credentials or storage (no 401, no 503).
    bare: bool,
    /// The surface answers errors as DRF bodies.
    drf: bool,
}

impl Op {
    pub fn new(id: &str, tag: &str, drf: bool) -> Op {
        let mut v = Map::new();
        v.insert("operationId".into(), json!(id));
        v.insert("tags".into(), json!([tag]));
        Op {
            v,
            params: vec![],
            responses: BTreeMap::new(),
            bare: false,
            drf,
        }
    }

    /// Files the operation under another tag of its surface.
    pub fn tag(mut self, tag: &str) -> Op {
        self.v.insert("tags".into(), json!([tag]));
        self
    }

    pub fn summary(mut self, text: &str) -> Op {
        self.v.insert("summary".into(), json!(text));
        self
    }

    pub fn id(&self) -> &str {
        self.v["operationId"].as_str().unwrap_or("")
    }

    pub fn describe(mut self, text: &str) -> Op {
        self.v.insert("description".into(), json!(text));
        self
    }

    /// No credentials needed (an `Authorization` header, if sent, must still be valid).
    pub fn public(mut self) -> Op {
        self.v.insert("security".into(), json!([]));
        self
    }

    /// Credentials are optional: anonymous callers are served too.
    pub fn optional_auth(mut self) -> Op {
        self.v.insert(
            "security".into(),
            json!([{}, {"bearer": []}, {"token": []}, {"basic": []}]),
        );
        self
    }

    /// No credentials are read at all and storage is not touched (AWX discovery routes).
    pub fn bare(mut self) -> Op {
        self.bare = true;
        self.public()
    }

    pub fn profile(&self) -> bool {
        self.drf
    }

    pub fn params(mut self, params: Vec<Value>) -> Op {
        self.params.extend(params);
        self
    }

    /// A form-encoded (or JSON) request body of the component schema `schema`.
    pub fn form_body(mut self, schema: &str) -> Op {
        self.v.insert(
            "requestBody".into(),
            json!({"required": false, "content": {
                "application/x-www-form-urlencoded": {"schema": sref(schema)},
                "application/json": {"schema": sref(schema)},
            }}),
        );
        self
    }

    /// A JSON request body of the component schema `schema`.
    pub fn body(mut self, schema: &str, required: bool) -> Op {
        self.v.insert("requestBody".into(), json!({"required": required, "content": {"application/json": {"schema": sref(schema)}}}));
        self
    }

    pub fn response(mut self, status: u16, response: Value) -> Op {
        self.responses.insert(status.to_string(), response);
        self
    }

    /// A success response: JSON `schema` (or no content) and the named header components.
    pub fn ok(self, status: u16, description: &str, schema: Option<Value>, headers: &[&str]) -> Op {
        let mut r = json!({"description": description, "headers": hdrs(headers)});
        if let Some(s) = schema {
            r["content"] = json!({"application/json": {"schema": s}});
        }
        self.response(status, r)
    }

    /// 304 for a GET whose `If-None-Match` matches the current ETag.
    pub fn not_modified(self) -> Op {
        self.response(304, json!({"description": "Not Modified: `If-None-Match` matches the current ETag.", "headers": hdrs(&["ETag"])}))
    }

    /// Error responses (components/responses) for these statuses: problem details on the
    /// native API, DRF bodies on a profile (413 comes from the HTTP layer: a problem).
    pub fn errors(mut self, statuses: &[u16]) -> Op {
        let drf = self.profile();
        for s in statuses {
            let name = if drf && *s != 413 {
                format!("Drf{}", problem_name(*s))
            } else {
                problem_name(*s).to_string()
            };
            // A response the operation already describes (a profile's own body) stays.
            self.responses
                .entry(s.to_string())
                .or_insert_with(|| json!({"$ref": format!("#/components/responses/{name}")}));
        }
        self
    }

    /// Links from the success response to operations taking the created object's `id`.
    pub fn links(mut self, targets: &[&str]) -> Op {
        let links: Map<String, Value> = targets
            .iter()
            .map(|t| {
                (
                    upper_first(t),
                    json!({"operationId": t, "parameters": {"id": "$response.body#/id"}}),
                )
            })
            .collect();
        if let Some((_, r)) = self.responses.iter_mut().find(|(s, _)| s.starts_with('2')) {
            r["links"] = Value::Object(links);
        }
        self
    }

    pub fn build(mut self) -> Value {
        // Every operation that reads credentials authenticates the caller (a bad
        // `Authorization` is 401, also while Basic credentials are locked out) and may find
        // storage busy (503). Bare routes (service, AWX discovery) do neither (`/healthz`
        // documents its own 503).
        if !self.bare {
            self = self.errors(&[401, 503]);
        }
        if !self.params.is_empty() {
            self.v
                .insert("parameters".into(), Value::Array(self.params));
        }
        self.v.insert("responses".into(), json!(self.responses));
        Value::Object(self.v)
    }
}

pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A paged list of `item`: `page`, `page_size`, the filters, `search` over the named
/// fields (if any) and `order_by` over `orders` (if any).
pub fn list_op(
    o: Op,
    summary: &str,
    item: &str,
    filters: Vec<Value>,
    orders: &[&str],
    search: Option<&str>,
) -> Op {
    let mut params = vec![
        q(
            "page",
            json!({"type": "integer", "minimum": 1, "maximum": 1_000_000_000, "default": 1}),
            "1-based page number. A page past the end is 404.",
        ),
        q(
            "page_size",
            json!({"type": "integer", "minimum": 1, "default": 25}),
            "Results per page: a positive integer of at most 40 digits; values over 200 are clamped to 200.",
        ),
    ];
    if let Some(fields) = search {
        params.push(q(
            "search",
            json!({"type": "string", "maxLength": 200}),
            &format!("Case-insensitive substring match over {fields}."),
        ));
    }
    if !orders.is_empty() {
        let keys: Vec<String> = orders
            .iter()
            .flat_map(|o| [o.to_string(), format!("-{o}")])
            .collect();
        let mut order = q("order_by", json!({"type": "array", "items": {"type": "string", "enum": keys}, "minItems": 1, "maxItems": 8}), "Comma-separated ordering keys (`-` for descending); ties are broken by creation order.");
        order["style"] = json!("form");
        order["explode"] = json!(false);
        params.push(order);
    }
    params.extend(filters);
    o.summary(summary)
        .params(params)
        .ok(200, "One page of results.", Some(page_of(item)), &[])
        .errors(&[400, 404])
}

/// POST creating an object: 201 with `Location` (and `ETag` if `etag`).
pub fn create_op(o: Op, summary: &str, body: &str, item: &str, etag: bool) -> Op {
    let headers: &[&str] = if etag {
        &["Location", "ETag"]
    } else {
        &["Location"]
    };
    o.summary(summary)
        .body(body, true)
        .ok(201, "Created.", Some(sref(item)), headers)
        .errors(&[400, 413, 415])
}

/// GET of one object: 200 with `ETag`, or 304.
pub fn get_op(o: Op, summary: &str, item: &str) -> Op {
    o.summary(summary)
        .ok(200, "The object.", Some(sref(item)), &["ETag"])
        .not_modified()
        .errors(&[404])
}

/// PUT (`full`) or PATCH of one object: 200 with the new `ETag`.
pub fn update_op(o: Op, summary: &str, body: &str, item: &str, full: bool) -> Op {
    o.summary(summary)
        .body(body, full)
        .ok(200, "The updated object.", Some(sref(item)), &["ETag"])
        .errors(&[400, 404, 412, 413, 415])
}

/// DELETE of an object that has an ETag: 204 (`If-Match` honoured).
pub fn delete_op(o: Op, summary: &str) -> Op {
    o.summary(summary)
        .ok(204, "Deleted.", None, &[])
        .errors(&[404, 412])
}

/// A POST action on an object (approve, reject, resend...) answering 200 with `item` and
/// the named headers.
pub fn action_op(o: Op, summary: &str, body: Option<&str>, item: &str, headers: &[&str]) -> Op {
    let o = o.summary(summary);
    let o = match body {
        Some(b) => o.body(b, false).errors(&[400, 413, 415]),
        None => o,
    };
    o.ok(200, "Done.", Some(sref(item)), headers).errors(&[404])
}

/// Links from the success response to operations on a nested object: each target gets
/// `parameters` (runtime expressions by parameter name).
pub fn links_to(mut o: Op, targets: &[&str], parameters: Value) -> Op {
    let links: Map<String, Value> = targets
        .iter()
        .map(|t| {
            (
                upper_first(t),
                json!({"operationId": t, "parameters": parameters}),
            )
        })
        .collect();
    if let Some((_, r)) = o.responses.iter_mut().find(|(s, _)| s.starts_with('2')) {
        match r.get_mut("links").and_then(Value::as_object_mut) {
            Some(existing) => existing.extend(links),
            None => r["links"] = Value::Object(links),
        }
    }
    o
}

// ---------------------------------------------------------------------------------------
// Parameters

pub fn q(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

pub fn q_text(name: &str, max: usize, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "maxLength": max}),
        description,
    )
}

pub fn q_bool(name: &str) -> Value {
    q(
        name,
        json!({"type": "boolean"}),
        "`true` or `false` (also `1`/`0`, case-insensitive).",
    )
}

pub fn q_uuid(name: &str, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "format": "uuid"}),
        description,
    )
}

pub fn q_time(name: &str, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "format": "date-time"}),
        &format!("{description} RFC 3339 (a bare date is midnight UTC)."),
    )
}

/// An enumerated exact-match filter (role, status...).
pub fn q_enum(name: &str, values: &[&str]) -> Value {
    q(
        name,
        json!({"type": "string", "enum": values}),
        "Exact match.",
    )
}

pub fn path_uuid(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": format!("{description} A value that is not a UUID names nothing (404)."), "schema": {"type": "string", "format": "uuid"}})
}

/// `members/{user}`: a user's id, or `me` for the caller's own membership.
pub fn path_member() -> Value {
    json!({"name": "user", "in": "path", "required": true, "description": "The member's user id, or `me` for the caller's own membership (found whatever its status). Any other value names nobody (404).", "schema": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "string", "enum": ["me"]}]}})
}

/// `/v1/organizations/{id}`: a UUID (dashed or 32-hex) is an id, anything else a name.
pub fn path_org() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "The organization's id, or its unique name (URL-encoded).", "schema": {"type": "string", "minLength": 1}})
}

// ---------------------------------------------------------------------------------------
// Responses and headers

pub fn problem_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "ContentTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableContent",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ => panic!("no problem response for {status}"),
    }
}

pub fn problem_responses() -> Value {
    let table: &[(u16, &str, &[&str])] = &[
        (
            400,
            "Malformed or invalid request: `errors` names every bad field.",
            &[],
        ),
        (
            401,
            "No credentials, or credentials that do not authenticate (also Basic credentials while their username or client address is locked out: then with `Retry-After`).",
            &["WWW-Authenticate"],
        ),
        (
            403,
            "Authenticated, the object is visible, the action is not allowed.",
            &[],
        ),
        (404, "Absent, or not visible to the caller.", &[]),
        (409, "A uniqueness or state conflict.", &[]),
        (410, "Gone (an expired invitation).", &[]),
        (412, "`If-Match` does not match the current ETag.", &[]),
        (413, "The request body is over the size limit.", &[]),
        (415, "The request body is not JSON.", &[]),
        (422, "Unprocessable content.", &[]),
        (
            429,
            "Too many failed logins for this username or client address; retry after `Retry-After` seconds.",
            &["Retry-After"],
        ),
        (
            503,
            "Storage is busy or unavailable; retry shortly.",
            &["Retry-After"],
        ),
    ];
    let mut out = Map::new();
    for (status, description, headers) in table {
        let mut headers = hdrs(headers);
        if *status == 401 {
            headers["Retry-After"] = json!({"$ref": "#/components/headers/Retry-After-Lockout"});
        }
        out.insert(
            problem_name(*status).into(),
            json!({"description": description, "headers": headers, "content": {"application/problem+json": {"schema": sref("Problem")}}}),
        );
        // The same statuses as the profiles answer them: DRF bodies as application/json.
        // Framing errors (400) and busy body slots (503) are answered by the HTTP layer
        // before a profile sees the request, as problem details.
        let drf = if *status == 400 {
            "DrfError"
        } else {
            "DrfDetail"
        };
        let mut content = json!({"application/json": {"schema": sref(drf)}});
        if [400, 503].contains(status) {
            content["application/problem+json"] = json!({"schema": sref("Problem")});
        }
        let mut headers = headers.clone();
        if *status == 401 {
            headers["WWW-Authenticate"] = json!({"$ref": "#/components/headers/WWW-Authenticate"});
        }
        out.insert(
            format!("Drf{}", problem_name(*status)),
            json!({"description": description, "headers": headers, "content": content}),
        );
    }
    Value::Object(out)
}

/// `X-Request-Id` plus the named header components, all required.
pub fn hdrs(names: &[&str]) -> Value {
    let mut m = Map::new();
    for n in std::iter::once(&"X-Request-Id").chain(names) {
        m.insert(
            n.to_string(),
            json!({"$ref": format!("#/components/headers/{n}")}),
        );
    }
    Value::Object(m)
}

pub fn headers() -> Value {
    let h = |description: &str, schema: Value| json!({"description": description, "required": true, "schema": schema});
    json!({
        "X-Request-Id": h("The request's id: the client's own `X-Request-Id` if it was short printable ASCII, else a new one.", json!({"type": "string"})),
        "ETag": h("The object's version, a weak validator `W/\"...\"`.", json!({"type": "string"})),
        "Location": h("The path of the created object.", json!({"type": "string"})),
        "WWW-Authenticate": h("The accepted scheme.", json!({"type": "string"})),
        "Retry-After": h("Seconds to wait before retrying.", json!({"type": "string", "pattern": "^[0-9]+$"})),
        "Retry-After-Lockout": {"description": "Seconds until the lock-out of these Basic credentials ends; only while locked out.", "required": false, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
        "Idempotent-Replayed": {"description": "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.", "required": false, "schema": {"type": "string", "enum": ["true"]}},
        "Location-If-One": {"description": "The path of the created membership (single `user` only).", "required": false, "schema": {"type": "string"}},
        "ETag-If-One": {"description": "The created membership's version (single `user` only).", "required": false, "schema": {"type": "string"}},
        "Set-Cookie": h("`sessionid=<secret>; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800`: the AWX session.", json!({"type": "string", "pattern": "^sessionid="})),
        "X-Result-Count": h("The total number of matching objects.", json!({"type": "string", "pattern": "^[0-9]+$"})),
        "Link": h("RFC 8288 links to the first, previous, next and last pages.", json!({"type": "string"})),
    })
}

// ---------------------------------------------------------------------------------------
// Schemas

/// Characters Rust's `char::is_whitespace` matches (what `trim` strips).
pub const WS: &str =
    r"\t\n\u000b\f\r\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

pub fn sref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

pub fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

pub fn string() -> Value {
    json!({"type": "string"})
}

pub fn boolean() -> Value {
    json!({"type": "boolean"})
}

pub fn integer() -> Value {
    json!({"type": "integer", "minimum": 0})
}

pub fn object() -> Value {
    json!({"type": "object"})
}

pub fn enumerated(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// The same schema, also allowing null.
pub fn nullable(mut s: Value) -> Value {
    if let Some(t) = s.get("type").and_then(Value::as_str).map(str::to_string) {
        s["type"] = json!([t, "null"]);
    }
    if let Some(Value::Array(values)) = s.get_mut("enum") {
        values.push(Value::Null);
    }
    s
}

pub fn with(mut s: Value, key: &str, value: Value) -> Value {
    s[key] = value;
    s
}

/// A string field as `Body::string` checks it: no NUL, `min..=max` characters, and not
/// only whitespace when `min > 0`.
pub fn text(min: usize, max: usize) -> Value {
    let pattern = if min > 0 {
        format!(r"^[^\u0000]*[^\u0000{WS}][^\u0000]*$")
    } else {
        r"^[^\u0000]*$".to_string()
    };
    let mut s = json!({"type": "string", "maxLength": max, "pattern": pattern});
    if min > 0 {
        s["minLength"] = json!(min);
    }
    s
}

/// An http(s) URL as the user and organization parsers accept it.
pub fn url() -> Value {
    json!({"type": ["string", "null"], "maxLength": 2048, "pattern": r"^https?://[^\u0000]*$"})
}

/// A response object: every property is always present.
pub fn out(props: Value) -> Value {
    let required: Vec<&String> = props
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({"type": "object", "properties": props, "required": required})
}

/// A request object: unknown fields are rejected.
pub fn input(props: &Value, required: &[&str]) -> Value {
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": false});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// `{name}Create`, `{name}Put` (both with `required`) and `{name}Patch` (nothing required).
pub fn write_variants(
    schemas: &mut Map<String, Value>,
    name: &str,
    props: Value,
    required: &[&str],
) {
    schemas.insert(format!("{name}Create"), input(&props, required));
    schemas.insert(format!("{name}Put"), input(&props, required));
    schemas.insert(format!("{name}Patch"), input(&props, &[]));
}

/// The list envelope of `item`.
pub fn page_of(item: &str) -> Value {
    out(json!({
        "count": integer(),
        "next": with(nullable(string()), "description", json!("Path and query of the next page, or null.")),
        "previous": with(nullable(string()), "description", json!("Path and query of the previous page, or null.")),
        "results": {"type": "array", "items": sref(item)},
    }))
}

pub const ROLES: &[&str] = &["owner", "admin", "contributor", "accounting", "viewer"];

pub fn user_props() -> Value {
    json!({
        "id": uuid(), "username": string(), "email": nullable(string()), "first_name": string(),
        "last_name": string(), "company": string(), "job_title": string(), "avatar_url": nullable(string()),
        "preferred_language": string(), "metadata": object(), "is_active": boolean(), "is_staff": boolean(),
        "is_service_account": boolean(), "created": time(), "modified": time(),
    })
}

pub fn token_props() -> Value {
    json!({
        "id": uuid(), "name": string(), "kind": enumerated(&["api", "login"]), "prefix": string(),
        "expires": nullable(time()), "last_used": nullable(time()), "created": time(),
    })
}

pub fn secret() -> Value {
    json!({"type": "string", "pattern": "^org_[A-Za-z0-9_-]{43,}$", "description": "The token secret, shown only once."})
}

/// `page` (a value that is not a page, or a page past the end, is 404 `Invalid page.`) and
/// `page_size` (lenient, as DRF: anything that is not a positive integer means the default).
pub fn drf_paging(default: u32, max: u32) -> Vec<Value> {
    vec![
        q(
            "page",
            json!({"type": "integer", "minimum": 1, "maximum": 1_000_000_000, "default": 1}),
            "1-based page number. Anything else, or a page past the end, is 404 `Invalid page.`.",
        ),
        q(
            "page_size",
            json!({"type": "string"}),
            &format!("Results per page: a positive integer (default {default}, clamped to {max}); any other value means the default."),
        ),
    ]
}

pub const UUID_PATTERN: &str =
    "^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// A DRF string field as the profiles read it: a string of at most `max` characters without
/// NUL (not blank when `min > 0`), or a number (taken as its decimal text, unchecked).
pub fn drf_text(min: usize, max: usize) -> Value {
    json!({"anyOf": [text(min, max), {"type": "number"}]})
}

/// `limit` and `offset` query parameters (DRF's LimitOffsetPagination and its kin).
/// Lenient as DRF's: a value that is not a usable integer means the default, so the
/// schema is a string.
pub fn limit_offset_params(default: u32, max: u32) -> Vec<Value> {
    vec![
        q(
            "limit",
            json!({"type": "string", "default": default.to_string()}),
            &format!("Items per page: a positive integer (default {default}, at most {max}); any other value means the default."),
        ),
        q(
            "offset",
            json!({"type": "string", "default": "0"}),
            "Items to skip: a non-negative integer; any other value means 0.",
        ),
    ]
}
