//! The OpenAPI 3.1 description served at `/openapi.json`.
//!
//! Built from small helpers so a route is a few lines: `Paths::route` takes a path template,
//! its path parameters and one operation per method; `list_op`, `create_op`, `get_op`,
//! `update_op`, `delete_op` and `action_op` give an operation its parameters, body and
//! usual responses, and `Op::errors` adds the problem responses the handler can return
//! beyond those. Request schemas mirror the parse functions in `v1/*` exactly (types,
//! lengths, patterns for what they reject), response schemas mirror `*_json`.

use super::App;
use crate::http::Resp;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn document(app: &App) -> Value {
    build(&app.config.profiles)
}

pub fn serve(app: &App) -> Resp {
    Resp::json(200, &document(app))
}

/// The document for a server mounting `profiles` (none are described yet).
pub fn build(_profiles: &[String]) -> Value {
    let mut p = Paths::default();
    service_paths(&mut p);
    auth_paths(&mut p);
    user_paths(&mut p);
    customer_paths(&mut p);
    org_paths(&mut p);
    activity_paths(&mut p);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "orgreg",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "An organization registry: users, customers, organizations, memberships, invitations and an audit trail.",
            "description": "The native API (`/v1`). JSON in and out; errors are RFC 9457 problem details \
                (`application/problem+json`). Lists are paged (`page`, `page_size`; a page past the end is 404). \
                Path ids accept the dashed UUID form and the 32-hex form; a path id that is not a UUID names \
                nothing (404), except that organizations are also found by their unique name. Item \
                responses carry an `ETag`: `If-None-Match` on GET answers 304, `If-Match` on PUT/PATCH/DELETE \
                is honoured (412 on mismatch). Unknown and read-only body fields are rejected (400). `OPTIONS` answers 204 with `Allow` on every route, `HEAD` is served wherever `GET` is, and a \
                method a route does not serve is 405 with `Allow`. Every response carries `X-Request-Id`.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": tags(),
        "security": [{"bearer": []}, {"token": []}, {"basic": []}],
        "paths": p.0,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>`: an API or login token (`org_...`)."},
                "token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Authorization: Token <token>`: the same tokens as `bearer`, DRF style."},
                "basic": {"type": "http", "scheme": "basic", "description": "HTTP Basic `username:password`, for users that have a password. Failed attempts count towards the login rate limit."},
            },
            "headers": headers(),
            "responses": problem_responses(),
            "schemas": schemas(),
        },
    })
}

const TAGS: &[(&str, &str)] = &[
    (
        "service",
        "Index, health and this description; no credentials needed.",
    ),
    (
        "auth",
        "Logging in, the caller, and the caller's API tokens.",
    ),
    ("users", "User accounts."),
    (
        "customers",
        "Billing accounts that organizations may belong to.",
    ),
    (
        "organizations",
        "Organizations, their summary and their activity feed.",
    ),
    ("activity", "The audit trail."),
];

fn tags() -> Value {
    TAGS.iter()
        .map(|(name, description)| json!({"name": name, "description": description}))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Routes

fn service_paths(p: &mut Paths) {
    p.route(
        "/",
        vec![],
        vec![(
            "get",
            op("getIndex", "service", "The API roots")
                .public()
                .ok(200, "The index.", Some(sref("Index")), &[])
                .build(),
        )],
    );
    p.route(
        "/healthz",
        vec![],
        vec![(
            "get",
            op("getHealth", "service", "Readiness: whether the database answers")
                .public()
                .ok(200, "The database answers.", Some(sref("Health")), &[])
                .response(
                    503,
                    json!({"description": "The database does not answer.", "headers": hdrs(&["Retry-After"]), "content": {"application/json": {"schema": sref("Health")}}}),
                )
                .build(),
        )],
    );
    p.route(
        "/openapi.json",
        vec![],
        vec![(
            "get",
            op("getOpenApi", "service", "This OpenAPI description")
                .public()
                .ok(
                    200,
                    "The OpenAPI 3.1 document.",
                    Some(json!({"type": "object"})),
                    &[],
                )
                .build(),
        )],
    );
}

fn auth_paths(p: &mut Paths) {
    p.route(
        "/v1/auth/login",
        vec![],
        vec![(
            "post",
            op("login", "auth", "Exchange a username and password for a login token (24 hours)")
                .describe("A wrong password and an unknown user answer the same 401. After 10 failures in 15 minutes for one username or one client address the answer is 429 with `Retry-After`. An `Authorization` header that does not authenticate is a 401 here too.")
                .public()
                .body("Login", true)
                .ok(201, "A new login token, shown once.", Some(sref("LoginResponse")), &[])
                .errors(&[400, 413, 415])
                .build(),
        )],
    );
    p.route(
        "/v1/me",
        vec![],
        vec![(
            "get",
            op("getMe", "auth", "The caller, with their memberships")
                .ok(200, "The caller.", Some(sref("Me")), &["ETag"])
                .build(),
        )],
    );
    p.route(
        "/v1/tokens",
        vec![],
        vec![
            (
                "get",
                list_op(
                    "listTokens",
                    "auth",
                    "The caller's live API and login tokens (newest first)",
                    "Token",
                    vec![],
                    &[],
                    None,
                )
                .build(),
            ),
            (
                "post",
                create_op(
                    "createToken",
                    "auth",
                    "Create an API token; its secret appears only in this response",
                    "TokenCreate",
                    "TokenCreated",
                    false,
                )
                .body("TokenCreate", false)
                .links(&["revokeToken"])
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/tokens/{id}",
        vec![path_uuid("id", "The token's id.")],
        vec![(
            "delete",
            op("revokeToken", "auth", "Revoke one of the caller's tokens")
                .ok(204, "Revoked.", None, &[])
                .errors(&[404])
                .build(),
        )],
    );
}

fn user_paths(p: &mut Paths) {
    let filters = vec![
        q_text("username", 512, "Exact match, case-insensitive."),
        q_text("email", 512, "Exact match, case-insensitive."),
        q_bool("is_active"),
        q_bool("is_staff"),
        q_bool("is_service_account"),
    ];
    p.route(
        "/v1/users",
        vec![],
        vec![
            (
                "get",
                list_op(
                    "listUsers",
                    "users",
                    "Users: staff see all; others themselves and their co-members",
                    "User",
                    filters,
                    &["username", "email", "created"],
                    Some("username, email, first_name, last_name"),
                )
                .build(),
            ),
            (
                "post",
                create_op(
                    "createUser",
                    "users",
                    "Create a user (staff)",
                    "UserCreate",
                    "User",
                    true,
                )
                .errors(&[403, 409])
                .links(&["getUser", "updateUser", "replaceUser", "deleteUser"])
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/users/{id}",
        vec![path_uuid("id", "The user's id.")],
        vec![
            ("get", get_op("getUser", "users", "A user (staff, themself, or a co-member)", "User").build()),
            ("put", update_op("replaceUser", "users", "Replace a user (staff, or the user on themself)", "UserPut", "User", true).errors(&[403, 409]).build()),
            ("patch", update_op("updateUser", "users", "Change some fields of a user (staff, or the user on themself)", "UserPatch", "User", false).errors(&[403, 409]).build()),
            (
                "delete",
                delete_op("deleteUser", "users", "Delete a user with their memberships and tokens")
                    .describe("Staff, or the user on themself. 409 when the user is the last active owner of an organization.")
                    .errors(&[403, 409])
                    .build(),
            ),
        ],
    );
}

fn customer_paths(p: &mut Paths) {
    let filters = vec![
        q_text("name", 512, "Exact match, case-insensitive."),
        q_text("abbreviation", 512, "Exact match, case-insensitive."),
    ];
    p.route(
        "/v1/customers",
        vec![],
        vec![
            (
                "get",
                list_op(
                    "listCustomers",
                    "customers",
                    "Customers: staff see all; others those they own",
                    "Customer",
                    filters,
                    &["name", "created"],
                    Some("name, abbreviation"),
                )
                .build(),
            ),
            (
                "post",
                create_op(
                    "createCustomer",
                    "customers",
                    "Create a customer (staff)",
                    "CustomerCreate",
                    "Customer",
                    true,
                )
                .errors(&[403])
                .links(&[
                    "getCustomer",
                    "updateCustomer",
                    "replaceCustomer",
                    "deleteCustomer",
                ])
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/customers/{id}",
        vec![path_uuid("id", "The customer's id.")],
        vec![
            (
                "get",
                get_op(
                    "getCustomer",
                    "customers",
                    "A customer (staff, or one of its owners)",
                    "Customer",
                )
                .build(),
            ),
            (
                "put",
                update_op(
                    "replaceCustomer",
                    "customers",
                    "Replace a customer (staff)",
                    "CustomerPut",
                    "Customer",
                    true,
                )
                .errors(&[403])
                .build(),
            ),
            (
                "patch",
                update_op(
                    "updateCustomer",
                    "customers",
                    "Change some fields of a customer (staff)",
                    "CustomerPatch",
                    "Customer",
                    false,
                )
                .errors(&[403])
                .build(),
            ),
            (
                "delete",
                delete_op(
                    "deleteCustomer",
                    "customers",
                    "Delete a customer that has no organizations (staff)",
                )
                .errors(&[403, 409])
                .build(),
            ),
        ],
    );
}

fn org_paths(p: &mut Paths) {
    let filters = vec![
        q_text("name", 512, "Exact match, case-insensitive."),
        q_text("native_name", 512, "Exact match, case-insensitive."),
        q_text("abbreviation", 512, "Exact match, case-insensitive."),
        q_uuid("customer", "The customer's id."),
        q_uuid("owner", "The owner's user id."),
        q_text("currency_code", 512, "Exact match."),
    ];
    p.route(
        "/v1/organizations",
        vec![],
        vec![
            (
                "get",
                list_op("listOrganizations", "organizations", "Organizations: staff see all; others those they are an active member of or whose customer they own", "Organization", filters, &["name", "native_name", "abbreviation", "created", "modified"], Some("name, native_name, abbreviation, description"))
                    .build(),
            ),
            (
                "post",
                create_op("createOrganization", "organizations", "Create an organization; its owner becomes an approved owner member", "OrganizationCreate", "Organization", true)
                    .describe("Any active user who is not a service account (or only staff, as configured). `owner` defaults to the caller; only staff may name another user (403). 409 for a taken name or abbreviation, or when the owner already owns the configured maximum of organizations.")
                    .errors(&[403, 409])
                    .links(&["getOrganization", "updateOrganization", "replaceOrganization", "deleteOrganization", "getOrganizationSummary", "listOrganizationActivity"])
                    .build(),
            ),
        ],
    );
    p.route(
        "/v1/organizations/{id}",
        vec![path_org()],
        vec![
            ("get", get_op("getOrganization", "organizations", "An organization, by id or unique name", "Organization").build()),
            ("put", update_op("replaceOrganization", "organizations", "Replace an organization (owner, admin, customer owner, staff)", "OrganizationPut", "Organization", true).errors(&[403, 409]).build()),
            (
                "patch",
                update_op("updateOrganization", "organizations", "Change some fields of an organization", "OrganizationPatch", "Organization", false)
                    .describe("Owners, admins, customer owners and staff; a body with only `currency_code` also by `accounting` members. Changing `owner` is for owners and staff; changing `customer` for staff and the customer's owners.")
                    .errors(&[403, 409])
                    .build(),
            ),
            ("delete", delete_op("deleteOrganization", "organizations", "Delete an organization with its memberships and invitations (owner, staff)").errors(&[403]).build()),
        ],
    );
    p.route(
        "/v1/organizations/{id}/summary",
        vec![path_org()],
        vec![("get", op("getOrganizationSummary", "organizations", "Member counts, open invitations, pending requests, last activity").describe("Owners, admins, accounting members, customer owners and staff; other members get 403.").ok(200, "The summary.", Some(sref("Summary")), &[]).errors(&[403, 404]).build())],
    );
    p.route(
        "/v1/organizations/{id}/activity",
        vec![path_org()],
        vec![(
            "get",
            activity_list(
                "listOrganizationActivity",
                "organizations",
                "An organization's activity, newest first (owners, admins, customer owners, staff)",
            )
            .build(),
        )],
    );
}

fn activity_paths(p: &mut Paths) {
    p.route(
        "/v1/activity",
        vec![],
        vec![(
            "get",
            activity_list(
                "listActivity",
                "activity",
                "The whole audit trail, newest first (staff)",
            )
            .build(),
        )],
    );
}

fn activity_list(id: &str, tag: &str, summary: &str) -> Op {
    let filters = vec![
        q_text(
            "action",
            64,
            "Exact match, e.g. `create`, `update`, `member_added`, `login_failed`.",
        ),
        q_text(
            "object_type",
            64,
            "Exact match, e.g. `user`, `organization`, `membership`, `token`.",
        ),
        q_uuid("actor", "The acting user's id."),
        q_time("since", "Rows at or after this time."),
        q_time("until", "Rows before this time."),
    ];
    list_op(id, tag, summary, "Activity", filters, &[], None).errors(&[403])
}

// ---------------------------------------------------------------------------------------
// Operation builders

/// Path items in insertion order of their paths.
#[derive(Default)]
struct Paths(Map<String, Value>);

impl Paths {
    /// One path: its path parameters and one operation per (lower-case) method.
    fn route(&mut self, path: &str, params: Vec<Value>, ops: Vec<(&str, Value)>) {
        let mut item = Map::new();
        if !params.is_empty() {
            item.insert("parameters".into(), Value::Array(params));
        }
        for (method, op) in ops {
            item.insert(method.into(), op);
        }
        self.0.insert(path.into(), Value::Object(item));
    }
}

struct Op {
    v: Map<String, Value>,
    params: Vec<Value>,
    responses: BTreeMap<String, Value>,
}

fn op(id: &str, tag: &str, summary: &str) -> Op {
    let mut v = Map::new();
    v.insert("operationId".into(), json!(id));
    v.insert("tags".into(), json!([tag]));
    v.insert("summary".into(), json!(summary));
    Op {
        v,
        params: vec![],
        responses: BTreeMap::new(),
    }
}

impl Op {
    fn describe(mut self, text: &str) -> Op {
        self.v.insert("description".into(), json!(text));
        self
    }

    /// No credentials needed (an `Authorization` header, if sent, must still be valid).
    fn public(mut self) -> Op {
        self.v.insert("security".into(), json!([]));
        self
    }

    fn params(mut self, params: Vec<Value>) -> Op {
        self.params.extend(params);
        self
    }

    /// A JSON request body of the component schema `schema`.
    fn body(mut self, schema: &str, required: bool) -> Op {
        self.v.insert("requestBody".into(), json!({"required": required, "content": {"application/json": {"schema": sref(schema)}}}));
        self
    }

    fn response(mut self, status: u16, response: Value) -> Op {
        self.responses.insert(status.to_string(), response);
        self
    }

    /// A success response: JSON `schema` (or no content) and the named header components.
    fn ok(self, status: u16, description: &str, schema: Option<Value>, headers: &[&str]) -> Op {
        let mut r = json!({"description": description, "headers": hdrs(headers)});
        if let Some(s) = schema {
            r["content"] = json!({"application/json": {"schema": s}});
        }
        self.response(status, r)
    }

    /// 304 for a GET whose `If-None-Match` matches the current ETag.
    fn not_modified(self) -> Op {
        self.response(304, json!({"description": "Not Modified: `If-None-Match` matches the current ETag.", "headers": hdrs(&["ETag"])}))
    }

    /// Problem responses (components/responses) for these statuses.
    fn errors(mut self, statuses: &[u16]) -> Op {
        for s in statuses {
            self.responses.insert(
                s.to_string(),
                json!({"$ref": format!("#/components/responses/{}", problem_name(*s))}),
            );
        }
        self
    }

    /// Links from the success response to operations taking the created object's `id`.
    fn links(mut self, targets: &[&str]) -> Op {
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

    fn build(mut self) -> Value {
        // Every `/v1` operation authenticates the caller (a bad `Authorization` is 401, and
        // Basic credentials count towards the failed-login limit: 429) and may find storage
        // busy (503). The service endpoints do neither (`/healthz` documents its own 503).
        if self.v["tags"] != json!(["service"]) {
            self = self.errors(&[401, 429, 503]);
        }
        if !self.params.is_empty() {
            self.v
                .insert("parameters".into(), Value::Array(self.params));
        }
        self.v.insert("responses".into(), json!(self.responses));
        Value::Object(self.v)
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A paged list of `item`: `page`, `page_size`, the filters, `search` over the named
/// fields (if any) and `order_by` over `orders` (if any).
fn list_op(
    id: &str,
    tag: &str,
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
            json!({"type": "integer", "minimum": 1, "maximum": 1_000_000_000, "default": 25}),
            "Results per page; values over 200 are clamped to 200.",
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
        let mut order = q("order_by", json!({"type": "array", "items": {"type": "string", "enum": keys}, "maxItems": 8}), "Comma-separated ordering keys (`-` for descending); ties are broken by creation order.");
        order["style"] = json!("form");
        order["explode"] = json!(false);
        params.push(order);
    }
    params.extend(filters);
    op(id, tag, summary)
        .params(params)
        .ok(200, "One page of results.", Some(page_of(item)), &[])
        .errors(&[400, 404])
}

/// POST creating an object: 201 with `Location` (and `ETag` if `etag`).
fn create_op(id: &str, tag: &str, summary: &str, body: &str, item: &str, etag: bool) -> Op {
    let headers: &[&str] = if etag {
        &["Location", "ETag"]
    } else {
        &["Location"]
    };
    op(id, tag, summary)
        .body(body, true)
        .ok(201, "Created.", Some(sref(item)), headers)
        .errors(&[400, 413, 415])
}

/// GET of one object: 200 with `ETag`, or 304.
fn get_op(id: &str, tag: &str, summary: &str, item: &str) -> Op {
    op(id, tag, summary)
        .ok(200, "The object.", Some(sref(item)), &["ETag"])
        .not_modified()
        .errors(&[404])
}

/// PUT (`full`) or PATCH of one object: 200 with the new `ETag`.
fn update_op(id: &str, tag: &str, summary: &str, body: &str, item: &str, full: bool) -> Op {
    op(id, tag, summary)
        .body(body, full)
        .ok(200, "The updated object.", Some(sref(item)), &["ETag"])
        .errors(&[400, 404, 412, 413, 415])
}

/// DELETE of an object that has an ETag: 204 (`If-Match` honoured).
fn delete_op(id: &str, tag: &str, summary: &str) -> Op {
    op(id, tag, summary)
        .ok(204, "Deleted.", None, &[])
        .errors(&[404, 412])
}

/// A POST action on an object (approve, reject, accept...) answering 200 with `item`.
#[allow(dead_code)]
fn action_op(id: &str, tag: &str, summary: &str, body: Option<&str>, item: &str) -> Op {
    let o = op(id, tag, summary);
    let o = match body {
        Some(b) => o.body(b, false).errors(&[400, 413, 415]),
        None => o,
    };
    o.ok(200, "Done.", Some(sref(item)), &[]).errors(&[404])
}

// ---------------------------------------------------------------------------------------
// Parameters

fn q(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn q_text(name: &str, max: usize, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "maxLength": max}),
        description,
    )
}

fn q_bool(name: &str) -> Value {
    q(
        name,
        json!({"type": "boolean"}),
        "`true` or `false` (also `1`/`0`, case-insensitive).",
    )
}

fn q_uuid(name: &str, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "format": "uuid"}),
        description,
    )
}

fn q_time(name: &str, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "format": "date-time"}),
        &format!("{description} RFC 3339 (a bare date is midnight UTC)."),
    )
}

/// An enumerated exact-match filter (role, status...).
#[allow(dead_code)]
fn q_enum(name: &str, values: &[&str]) -> Value {
    q(
        name,
        json!({"type": "string", "enum": values}),
        "Exact match.",
    )
}

fn path_uuid(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": format!("{description} A value that is not a UUID names nothing (404)."), "schema": {"type": "string", "format": "uuid"}})
}

/// `/v1/organizations/{id}`: a UUID (dashed or 32-hex) is an id, anything else a name.
fn path_org() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "The organization's id, or its unique name (URL-encoded).", "schema": {"type": "string", "minLength": 1}})
}

// ---------------------------------------------------------------------------------------
// Responses and headers

fn problem_name(status: u16) -> &'static str {
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

fn problem_responses() -> Value {
    let table: &[(u16, &str, &[&str])] = &[
        (
            400,
            "Malformed or invalid request: `errors` names every bad field.",
            &[],
        ),
        (
            401,
            "No credentials, or credentials that do not authenticate.",
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
            "Too many failed logins (by `POST /v1/auth/login` or Basic credentials) for this username or client address; retry after `Retry-After` seconds.",
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
        out.insert(
            problem_name(*status).into(),
            json!({"description": description, "headers": hdrs(headers), "content": {"application/problem+json": {"schema": sref("Problem")}}}),
        );
    }
    Value::Object(out)
}

/// `X-Request-Id` plus the named header components, all required.
fn hdrs(names: &[&str]) -> Value {
    let mut m = Map::new();
    for n in std::iter::once(&"X-Request-Id").chain(names) {
        m.insert(
            n.to_string(),
            json!({"$ref": format!("#/components/headers/{n}")}),
        );
    }
    Value::Object(m)
}

fn headers() -> Value {
    let h = |description: &str, schema: Value| json!({"description": description, "required": true, "schema": schema});
    json!({
        "X-Request-Id": h("The request's id: the client's own `X-Request-Id` if it was short printable ASCII, else a new one.", json!({"type": "string"})),
        "ETag": h("The object's version, a weak validator `W/\"...\"`.", json!({"type": "string"})),
        "Location": h("The path of the created object.", json!({"type": "string"})),
        "WWW-Authenticate": h("The accepted scheme.", json!({"type": "string"})),
        "Retry-After": h("Seconds to wait before retrying.", json!({"type": "string", "pattern": "^[0-9]+$"})),
    })
}

// ---------------------------------------------------------------------------------------
// Schemas

/// Characters Rust's `char::is_whitespace` matches (what `trim` strips).
const WS: &str =
    r"\t\n\u000b\f\r\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn sref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn integer() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn object() -> Value {
    json!({"type": "object"})
}

fn enumerated(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// The same schema, also allowing null.
fn nullable(mut s: Value) -> Value {
    if let Some(t) = s.get("type").and_then(Value::as_str).map(str::to_string) {
        s["type"] = json!([t, "null"]);
    }
    if let Some(Value::Array(values)) = s.get_mut("enum") {
        values.push(Value::Null);
    }
    s
}

fn with(mut s: Value, key: &str, value: Value) -> Value {
    s[key] = value;
    s
}

/// A string field as `Body::string` checks it: no NUL, `min..=max` characters, and not
/// only whitespace when `min > 0`.
fn text(min: usize, max: usize) -> Value {
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
fn url() -> Value {
    json!({"type": ["string", "null"], "maxLength": 2048, "pattern": r"^https?://[^\u0000]*$"})
}

/// A response object: every property is always present.
fn out(props: Value) -> Value {
    let required: Vec<&String> = props
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({"type": "object", "properties": props, "required": required})
}

/// A request object: unknown fields are rejected.
fn input(props: &Value, required: &[&str]) -> Value {
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": false});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// `{name}Create`, `{name}Put` (both with `required`) and `{name}Patch` (nothing required).
fn write_variants(schemas: &mut Map<String, Value>, name: &str, props: Value, required: &[&str]) {
    schemas.insert(format!("{name}Create"), input(&props, required));
    schemas.insert(format!("{name}Put"), input(&props, required));
    schemas.insert(format!("{name}Patch"), input(&props, &[]));
}

/// The list envelope of `item`.
fn page_of(item: &str) -> Value {
    out(json!({
        "count": integer(),
        "next": with(nullable(string()), "description", json!("Path and query of the next page, or null.")),
        "previous": with(nullable(string()), "description", json!("Path and query of the previous page, or null.")),
        "results": {"type": "array", "items": sref(item)},
    }))
}

const ROLES: &[&str] = &["owner", "admin", "contributor", "accounting", "viewer"];

fn user_props() -> Value {
    json!({
        "id": uuid(), "username": string(), "email": nullable(string()), "first_name": string(),
        "last_name": string(), "company": string(), "job_title": string(), "avatar_url": nullable(string()),
        "preferred_language": string(), "metadata": object(), "is_active": boolean(), "is_staff": boolean(),
        "is_service_account": boolean(), "created": time(), "modified": time(),
    })
}

fn token_props() -> Value {
    json!({
        "id": uuid(), "name": string(), "kind": enumerated(&["api", "login"]), "prefix": string(),
        "expires": nullable(time()), "last_used": nullable(time()), "created": time(),
    })
}

fn secret() -> Value {
    json!({"type": "string", "pattern": "^org_[A-Za-z0-9_-]{43,}$", "description": "The token secret, shown only once."})
}

fn schemas() -> Value {
    let mut s = Map::new();
    let ws = WS;

    s.insert("User".into(), out(user_props()));
    let user_in = json!({
        "username": {"type": "string", "minLength": 1, "maxLength": 150, "pattern": format!(r"^[^\u0000-\u001f\u007f-\u009f{ws}/]+$"), "description": "Unique, case-insensitive; no whitespace, control characters or slashes."},
        "email": {"type": ["string", "null"], "maxLength": 254, "pattern": format!(r"^[^@\u0000{ws}]+@[^\u0000{ws}]*\.[^\u0000{ws}]*$"), "description": "Unique, case-insensitive."},
        "first_name": text(0, 150), "last_name": text(0, 150), "company": text(0, 512), "job_title": text(0, 512),
        "avatar_url": url(), "preferred_language": text(0, 35),
        "metadata": with(object(), "description", json!("Any JSON object of at most 16 KiB.")),
        "is_active": with(boolean(), "description", json!("Staff only.")),
        "is_staff": with(boolean(), "description", json!("Staff only.")),
        "is_service_account": with(boolean(), "description", json!("Staff only.")),
        "password": {"type": ["string", "null"], "minLength": 8, "maxLength": 4096, "pattern": r"^[^\u0000]*$", "writeOnly": true, "description": "Sets (or with null, keeps) the password; never returned."},
    });
    write_variants(&mut s, "User", user_in, &["username"]);

    let mut me = user_props();
    me["memberships"] = json!({"type": "array", "items": out(json!({"organization": uuid(), "role": enumerated(ROLES), "status": enumerated(&["pending", "approved", "rejected"]), "is_active": boolean()}))});
    s.insert("Me".into(), out(me));

    s.insert("Customer".into(), out(json!({"id": uuid(), "name": string(), "abbreviation": string(), "owners": {"type": "array", "items": uuid()}, "created": time(), "modified": time()})));
    let customer_in = json!({
        "name": text(1, 512), "abbreviation": text(0, 64),
        "owners": {"type": "array", "items": uuid(), "maxItems": 100, "description": "User ids; each must exist."},
    });
    write_variants(&mut s, "Customer", customer_in, &["name"]);

    s.insert(
        "Organization".into(),
        out(json!({
            "id": uuid(), "name": string(), "description": string(), "native_name": string(),
            "abbreviation": nullable(string()), "logo_url": nullable(string()), "currency_code": nullable(string()),
            "customer": nullable(uuid()), "owner": nullable(uuid()), "metadata": object(),
            "accepts_join_requests": boolean(), "member_count": integer(), "created": time(), "modified": time(),
            "created_by": nullable(uuid()), "modified_by": nullable(uuid()),
        })),
    );
    let org_in = json!({
        "name": with(text(1, 512), "description", json!("Unique, case-insensitive.")),
        "description": text(0, 4096), "native_name": text(0, 512),
        "abbreviation": with(nullable(text(1, 64)), "description", json!("Unique, case-insensitive, or null.")),
        "logo_url": url(),
        "currency_code": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217: three upper-case letters."},
        "customer": with(nullable(uuid()), "description", json!("A customer the caller owns (any, for staff), or null.")),
        "owner": with(uuid(), "description", json!("The owner's user id; defaults to the caller; another user only for staff.")),
        "metadata": with(object(), "description", json!("Any JSON object of at most 16 KiB.")),
        "accepts_join_requests": boolean(),
    });
    write_variants(&mut s, "Organization", org_in, &["name"]);

    s.insert(
        "Summary".into(),
        out(json!({
            "organization": uuid(), "name": string(),
            "members": out(json!({
                "total": integer(), "active": integer(), "inactive": integer(),
                "by_role": out(ROLES.iter().map(|r| (r.to_string(), integer())).collect::<Map<String, Value>>().into()),
                "by_status": out(json!({"pending": integer(), "approved": integer(), "rejected": integer()})),
            })),
            "open_invitations": integer(), "pending_requests": integer(), "last_activity": nullable(time()),
        })),
    );

    s.insert("Token".into(), out(token_props()));
    let mut created = token_props();
    created["token"] = secret();
    s.insert("TokenCreated".into(), out(created));
    s.insert(
        "TokenCreate".into(),
        input(&json!({"name": text(0, 150), "expires": with(nullable(time()), "description", json!("A future time, or null for a token that does not expire."))}), &[]),
    );
    s.insert(
        "Login".into(),
        input(
            &json!({"username": text(1, 150), "password": text(1, 4096)}),
            &["username", "password"],
        ),
    );
    s.insert(
        "LoginResponse".into(),
        out(json!({"token": secret(), "expires": time(), "user": sref("User")})),
    );

    s.insert(
        "Activity".into(),
        out(json!({
            "id": uuid(), "at": time(), "actor": nullable(uuid()), "action": string(), "object_type": string(),
            "object_id": nullable(string()), "organization": nullable(uuid()),
            "changes": {"type": "object", "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2}, "description": "`{field: [old, new]}`."},
            "request_id": nullable(string()),
        })),
    );

    s.insert(
        "Membership".into(),
        out(json!({
            "id": uuid(), "organization": uuid(), "user": uuid(), "username": string(), "role": enumerated(ROLES),
            "status": enumerated(&["pending", "approved", "rejected"]), "is_active": boolean(), "created": time(),
            "modified": time(), "approved_by": nullable(uuid()), "approved_at": nullable(time()),
        })),
    );
    s.insert(
        "Invitation".into(),
        out(json!({
            "id": uuid(), "organization": uuid(), "email": string(), "role": enumerated(ROLES), "first_name": string(),
            "last_name": string(), "preferred_language": string(), "expires": time(),
            "status": enumerated(&["open", "accepted", "revoked", "expired"]),
            "delivery_status": enumerated(&["pending", "sent", "failed"]), "invited_by": nullable(uuid()),
            "created": time(), "modified": time(),
        })),
    );

    let mut problem = out(json!({
        "type": string(), "title": string(), "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": string(), "request_id": string(),
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": string()}, "description": "Field name → messages; on validation failures and field conflicts."},
    }));
    problem["required"] = json!(["type", "title", "status", "detail", "request_id"]);
    s.insert("Problem".into(), problem);

    s.insert(
        "Health".into(),
        out(json!({"status": enumerated(&["ok", "unavailable"])})),
    );
    s.insert(
        "Index".into(),
        out(json!({
            "name": string(), "version": string(),
            "apis": out(json!({"v1": string(), "openapi": string(), "health": string()})),
            "profiles": {"type": "array", "items": string()},
        })),
    );
    Value::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::{
        activity_json, customers::customer_json, membership_json, org_json, token_json, user_json,
    };
    use crate::model;

    fn doc() -> Value {
        build(
            &crate::config::ALL_PROFILES
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
        )
    }

    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => walk(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }

    fn resolve<'a>(d: &'a Value, r: &str) -> Option<&'a Value> {
        d.pointer(r.strip_prefix('#')?)
    }

    #[test]
    fn refs_resolve() {
        let d = doc();
        let mut refs = vec![];
        walk(&d, &mut refs);
        assert!(refs.len() > 50);
        for r in refs {
            assert!(resolve(&d, r).is_some(), "unresolved $ref {r}");
        }
    }

    #[test]
    fn operations_are_complete() {
        let d = doc();
        let tags: Vec<&str> = d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in d["paths"].as_object().unwrap() {
            let path_params: Vec<&str> = item["parameters"]
                .as_array()
                .map(|a| a.iter().map(|p| p["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            let placeholders: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(path_params, placeholders, "{path}: path parameters");
            for (method, o) in item
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "parameters")
            {
                assert!(
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                    "{path}: {method}"
                );
                let id = o["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
                assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
                for t in o["tags"].as_array().unwrap() {
                    assert!(
                        tags.contains(&t.as_str().unwrap()),
                        "{id}: undeclared tag {t}"
                    );
                }
                let responses = o["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{id}: no success response"
                );
                let service = o["tags"] == json!(["service"]);
                assert_eq!(
                    service,
                    o.get("security") == Some(&json!([])) && id != "login",
                    "{id}: security"
                );
                for st in ["401", "429", "503"] {
                    assert_eq!(
                        !service,
                        responses.contains_key(st) && (st != "503" || id != "getHealth"),
                        "{id}: {st} on every /v1 operation"
                    );
                }
                let has_body = o.get("requestBody").is_some();
                for s in ["413", "415"] {
                    assert_eq!(responses.contains_key(s), has_body, "{id}: {s} iff a body");
                }
                let if_match = ["patch", "put", "delete"].contains(&method.as_str())
                    && !path.starts_with("/v1/tokens");
                assert_eq!(
                    responses.contains_key("412"),
                    if_match,
                    "{id}: 412 iff If-Match is honoured"
                );
                let etag = method == "get"
                    && path.contains('{')
                    && responses["200"]["headers"].get("ETag").is_some();
                assert_eq!(
                    responses.contains_key("304"),
                    etag,
                    "{id}: 304 iff an item GET with an ETag"
                );
                if method == "get" && !path.contains('{') && o["parameters"].as_array().is_some() {
                    assert!(responses.contains_key("400"), "{id}: bad query values");
                }
            }
        }
    }

    /// The properties of a response schema are exactly the keys a handler renders, each
    /// of the declared type.
    fn conforms(d: &Value, schema: &str, sample: &Value) {
        let s = &d["components"]["schemas"][schema];
        let props = s["properties"].as_object().unwrap();
        let keys: Vec<&String> = sample.as_object().unwrap().keys().collect();
        let declared: Vec<&String> = props.keys().collect();
        let (mut a, mut b) = (keys.clone(), declared.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "{schema}: rendered keys vs documented properties");
        for (k, v) in sample.as_object().unwrap() {
            let p = &props[k];
            let p = p
                .get("$ref")
                .and_then(|r| resolve(d, r.as_str().unwrap()))
                .unwrap_or(p);
            let types: Vec<&str> = match &p["type"] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                _ => continue,
            };
            let actual = match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            assert!(
                types.contains(&actual),
                "{schema}.{k}: {actual} not in {types:?}"
            );
            if let Some(values) = p["enum"].as_array() {
                assert!(values.contains(v), "{schema}.{k}: {v} not in enum");
            }
        }
    }

    #[test]
    fn response_schemas_match_renderers() {
        let d = doc();
        let t = model::now();
        let id = model::new_id;
        let user = model::User {
            seq: 1,
            id: id(),
            username: "ann".into(),
            email: None,
            first_name: String::new(),
            last_name: String::new(),
            company: String::new(),
            job_title: String::new(),
            avatar_url: Some("https://x.test/a.png".into()),
            preferred_language: String::new(),
            metadata: json!({}),
            is_active: true,
            is_staff: false,
            is_service_account: false,
            has_password: true,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "User", &user_json(&user));
        let r = model::UserRef {
            seq: 1,
            id: id(),
            username: "ann".into(),
            first_name: String::new(),
            last_name: String::new(),
        };
        let org = model::Org {
            seq: 1,
            id: id(),
            name: "Acme".into(),
            description: String::new(),
            native_name: String::new(),
            abbreviation: None,
            logo_url: None,
            currency_code: Some("EUR".into()),
            customer: None,
            customer_seq: None,
            owner: Some(r.clone()),
            metadata: json!({}),
            accepts_join_requests: true,
            member_count: 1,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
            created_by: Some(r),
            modified_by: None,
        };
        conforms(&d, "Organization", &org_json(&org));
        let cu = model::Customer {
            seq: 1,
            id: id(),
            name: "C".into(),
            abbreviation: String::new(),
            owners: vec![id()],
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Customer", &customer_json(&cu));
        let tok = model::Token {
            id: id(),
            kind: "api".into(),
            name: "ci".into(),
            prefix: "org_abcdef".into(),
            expires: None,
            revoked: false,
            last_used: Some(t.clone()),
            created: t.clone(),
        };
        conforms(&d, "Token", &token_json(&tok));
        let a = model::Activity {
            id: id(),
            at: t.clone(),
            actor: None,
            action: "update".into(),
            object_type: "user".into(),
            object_id: Some(id()),
            organization: None,
            changes: json!({"name": ["a", "b"]}),
            request_id: Some("r".into()),
        };
        conforms(&d, "Activity", &activity_json(&a));
        let m = model::Membership {
            seq: 1,
            id: id(),
            organization: id(),
            organization_seq: 1,
            user: id(),
            user_seq: 1,
            username: "ann".into(),
            email: None,
            role: model::Role::Admin,
            status: model::MemberStatus::Pending,
            is_active: true,
            approved_by: None,
            approved_at: None,
            version: 1,
            created: t.clone(),
            modified: t,
        };
        conforms(&d, "Membership", &membership_json(&m));
    }

    #[test]
    fn request_schemas_reject_unknown_fields() {
        let d = doc();
        for (name, s) in d["components"]["schemas"].as_object().unwrap() {
            if ["Create", "Put", "Patch"].iter().any(|x| name.ends_with(x)) || name == "Login" {
                assert_eq!(s["additionalProperties"], json!(false), "{name}");
            }
        }
        let s = &d["components"]["schemas"];
        assert_eq!(s["UserPut"]["required"], s["UserCreate"]["required"]);
        assert!(s["UserPatch"].get("required").is_none());
    }
}
