//! The AWX profile (seed 003): `/api/`, `/api/v1/`, `/api/v2/` — version discovery, ping,
//! config, me, session login, personal tokens, organizations with integer ids and their
//! `users`, `admins` and `activity_stream` sub-lists, and users.
//!
//! Rules of this surface that differ from the native API (from the seed and AWX's
//! behaviour): only superusers (staff) create organizations; organization admins (native
//! owners and admins) change and delete them; `admins` lists owner and admin members and
//! `users` every approved member; uniqueness errors are 400 field errors; unknown body
//! fields are ignored (DRF); unknown filter fields are 400.

use super::drf;
use crate::api::{filter_value, App};
use crate::error::{Error, Errors, Result};
use crate::http::{Req, Resp};
use crate::model::{Activity, Org, Role, User};
use crate::registry::members::{AddInput, MemberPatch, Who};
use crate::registry::orgs::{OrgInput, OrgKey};
use crate::registry::policy::OrgAction;
use crate::registry::{self, auth, Ctx};
use crate::store::list::{Cond, Field, Kind, ListQuery, Op};
use crate::store::{self};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Map, Value};
use std::time::Instant;

const SESSION_TTL_MS: i64 = 1800 * 1000;
const RESERVED: &[&str] = &[
    "page",
    "page_size",
    "format",
    "order",
    "order_by",
    "search",
    "type",
    "count_disabled",
    "no_truncate",
    "limit",
];

pub fn dispatch(app: &App, conn: &Connection, req: &Req) -> Option<Resp> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    if segs.first() != Some(&"api") {
        return None;
    }
    let started = Instant::now();
    let (allow, result) = route(app, conn, req, &segs[1..])?;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => drf::error(&e, &|f| match f {
            "name" => "Organization with this Name already exists.".into(),
            other => format!("A record with this {other} already exists."),
        }),
    };
    if resp.header("Allow").is_none() {
        resp.headers.push(("Allow".into(), allow.to_string()));
    }
    resp.headers.push((
        "X-API-Time".into(),
        format!("{:.3}s", started.elapsed().as_secs_f64()),
    ));
    resp.headers.push(("Vary".into(), "Accept".into()));
    Some(resp)
}

type Routed = (&'static str, Result<Resp>);

const LIST: &str = "GET, POST, HEAD, OPTIONS";
const DETAIL: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
const READ: &str = "GET, HEAD, OPTIONS";
const POST_ONLY: &str = "POST, OPTIONS";

fn method_ok(req: &Req, allow: &str) -> Result<()> {
    let m = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    if allow.split(", ").any(|a| a == m) {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed(allow.to_string()))
    }
}

fn route(app: &App, conn: &Connection, req: &Req, segs: &[&str]) -> Option<Routed> {
    let version = match segs.first().copied() {
        Some(v @ ("v1" | "v2")) => Some(v),
        _ => None,
    };
    Some(match (version, segs) {
        (None, []) => (READ, guard(req, READ, || Ok(Resp::json(200, &api_root())))),
        (None, ["login"]) => (
            "GET, POST, HEAD, OPTIONS",
            guard(req, "GET, POST, HEAD, OPTIONS", || login(app, conn, req)),
        ),
        (Some(v), [_]) => (
            READ,
            guard(req, READ, || Ok(Resp::json(200, &version_root(v)))),
        ),
        (Some(v), [_, "ping"]) => (READ, guard(req, READ, || Ok(Resp::json(200, &ping(v))))),
        (Some(_), [_, "config"]) => (READ, guard(req, READ, || config(app, conn, req))),
        (Some(v), [_, "me"]) => (READ, guard(req, READ, || me(app, conn, req, v))),
        (Some(v), [_, "users"]) => (READ, guard(req, READ, || users_list(app, conn, req, v))),
        (Some(v), [_, "users", id]) => (
            READ,
            guard(req, READ, || user_detail(app, conn, req, v, id)),
        ),
        (Some(_), [_, "users", name, "personal_tokens"]) => (
            POST_ONLY,
            guard(req, POST_ONLY, || personal_token(app, conn, req, name)),
        ),
        (Some(v), [_, "organizations"]) => (LIST, guard(req, LIST, || orgs(app, conn, req, v))),
        (Some(v), [_, "organizations", id]) => {
            (DETAIL, guard(req, DETAIL, || org(app, conn, req, v, id)))
        }
        (Some(v), [_, "organizations", id, sub @ ("users" | "admins")]) => (
            LIST,
            guard(req, LIST, || {
                org_members(app, conn, req, v, id, sub == &"admins")
            }),
        ),
        (Some(v), [_, "organizations", id, "activity_stream"]) => (
            READ,
            guard(req, READ, || org_activity(app, conn, req, v, id)),
        ),
        _ if version.is_some() || segs.is_empty() || segs[0] == "login" => {
            ("GET, HEAD, OPTIONS", Err(Error::NotFound))
        }
        _ => return None,
    })
}

fn guard(req: &Req, allow: &str, f: impl FnOnce() -> Result<Resp>) -> Result<Resp> {
    method_ok(req, allow)?;
    f()
}

fn ctx(app: &App, conn: &Connection, req: &Req) -> Result<Ctx> {
    drf::context(app, conn, req)
}

fn api_root() -> Value {
    json!({
        "description": "AWX REST API",
        "current_version": "/api/v2/",
        "available_versions": {"v1": "/api/v1/", "v2": "/api/v2/"},
        "oauth2": "/api/o/",
        "custom_logo": "",
        "custom_login_info": "",
        "login_redirect_override": "",
    })
}

fn version_root(v: &str) -> Value {
    json!({
        "ping": format!("/api/{v}/ping/"),
        "config": format!("/api/{v}/config/"),
        "me": format!("/api/{v}/me/"),
        "organizations": format!("/api/{v}/organizations/"),
        "users": format!("/api/{v}/users/"),
    })
}

fn ping(_v: &str) -> Value {
    json!({
        "ha": false,
        "version": concat!("orgreg-", env!("CARGO_PKG_VERSION")),
        "active_node": "orgreg",
        "install_uuid": "00000000-0000-0000-0000-000000000000",
        "instances": [],
        "instance_groups": [],
    })
}

fn config(app: &App, conn: &Connection, req: &Req) -> Result<Resp> {
    ctx(app, conn, req)?.user()?;
    Ok(Resp::json(
        200,
        &json!({
            "time_zone": "UTC",
            "version": concat!("orgreg-", env!("CARGO_PKG_VERSION")),
            "license_info": {},
            "analytics_status": "off",
            "project_base_dir": "",
            "project_local_paths": [],
            "custom_virtualenvs": [],
        }),
    ))
}

/// `POST /api/login/` (form-encoded `username`, `password`, `next`): sets a `sessionid`
/// cookie (a stored session, hashed like a token) and redirects to `next`.
fn login(app: &App, conn: &Connection, req: &Req) -> Result<Resp> {
    if req.method != "POST" {
        return Ok(Resp::json(
            200,
            &json!({"detail": "POST username and password (form-encoded) to log in."}),
        ));
    }
    let body = drf::body(req)?;
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (username, password) = (field("username"), field("password"));
    if username.is_empty() || password.is_empty() {
        return Err(Error::Unauthenticated(
            "Invalid username or password.".into(),
        ));
    }
    let anon = Ctx {
        actor: None,
        request_id: req.request_id.clone(),
        remote: req.remote.map(|a| a.ip()),
    };
    let user = auth::password_user(&app.registry, conn, &username, &password, &anon)?;
    let ctx = Ctx {
        actor: Some(user.clone()),
        ..anon
    };
    let secret = auth::create_session(&app.registry, &ctx, &user, SESSION_TTL_MS)?;
    let next = field("next");
    let next = if next.starts_with('/') && !next.starts_with("//") && !next.contains(['\r', '\n']) {
        next
    } else {
        "/api/".into()
    };
    Ok(Resp::empty(302)
        .with("Location", next)
        .with(
            "Set-Cookie",
            format!(
                "sessionid={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
                SESSION_TTL_MS / 1000
            ),
        )
        .with("X-API-Session-Cookie-Name", "sessionid")
        .with("Content-Type", "text/html; charset=utf-8"))
}

fn personal_token(app: &App, conn: &Connection, req: &Req, name: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    if req.method == "OPTIONS" {
        ctx.user()?;
        return Ok(Resp::json(
            200,
            &json!({"name": "Personal Access Token List", "renders": ["application/json"], "parses": ["application/json"],
                    "actions": {"POST": {"description": {"type": "string", "required": false, "label": "Description"}}}}),
        ));
    }
    let me = ctx.user()?;
    if me.username != name && me.id != name && me.seq.to_string() != name {
        return Err(Error::Forbidden(
            "Tokens are created for yourself only.".into(),
        ));
    }
    let body = drf::body(req)?;
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(150)
        .collect::<String>();
    let (secret, token) = auth::create_token(&app.registry, &ctx, &description, None)?;
    Ok(Resp::json(
        201,
        &json!({
            "id": token.id, "type": "o_auth2_access_token", "description": description,
            "token": secret, "refresh_token": null, "application": null, "scope": "write",
            "expires": token.expires, "created": token.created, "modified": token.created,
        }),
    ))
}

fn user_json(u: &User, v: &str) -> Value {
    json!({
        "id": u.seq, "type": "user", "url": format!("/api/{v}/users/{}/", u.seq),
        "related": {}, "summary_fields": {}, "created": u.created, "modified": u.modified,
        "username": u.username, "first_name": u.first_name, "last_name": u.last_name,
        "email": u.email.clone().unwrap_or_default(), "is_superuser": u.is_staff,
        "is_system_auditor": false, "last_login": null, "ldap_dn": "", "external_account": null,
    })
}

fn me(app: &App, conn: &Connection, req: &Req, v: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let (user, _) = registry::users::me(conn, &ctx)?;
    Ok(Resp::json(
        200,
        &json!({"count": 1, "next": null, "previous": null, "results": [user_json(&user, v)]}),
    ))
}

fn users_list(app: &App, conn: &Connection, req: &Req, v: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let (page, size) = drf::paging(req, 25, 200)?;
    let fields = store::users::FIELDS;
    let field = |n: &str| *fields.iter().find(|f| f.name == n).expect("declared field");
    let mut q = lookups(
        req,
        &[
            ("id", field("id")),
            ("username", field("username")),
            ("email", field("email")),
            ("first_name", field("first_name")),
            ("last_name", field("last_name")),
        ],
    )?;
    q.order = order(
        req,
        &[
            ("id", field("id")),
            ("username", field("username")),
            ("created", field("created")),
        ],
    )?;
    q.limit = size;
    q.offset = (page - 1) * size;
    let p = registry::users::list(conn, &ctx, &q)?;
    let results = p.items.iter().map(|u| user_json(u, v)).collect();
    Ok(Resp::json(
        200,
        &envelope(req, page, size, p.count, results)?,
    ))
}

fn user_detail(app: &App, conn: &Connection, req: &Req, v: &str, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let seq: i64 = id.parse().map_err(|_| Error::NotFound)?;
    let u = registry::users::get_by_seq(conn, &ctx, seq)?;
    Ok(Resp::json(200, &user_json(&u, v)))
}

fn user_summary(u: &crate::model::UserRef) -> Value {
    json!({"id": u.seq, "username": u.username, "first_name": u.first_name, "last_name": u.last_name})
}

fn org_json(o: &Org, v: &str) -> Value {
    let base = format!("/api/{v}/organizations/{}/", o.seq);
    let mut related = Map::new();
    if let Some(u) = &o.created_by {
        related.insert(
            "created_by".into(),
            json!(format!("/api/{v}/users/{}/", u.seq)),
        );
    }
    if let Some(u) = &o.modified_by {
        related.insert(
            "modified_by".into(),
            json!(format!("/api/{v}/users/{}/", u.seq)),
        );
    }
    related.insert("users".into(), json!(format!("{base}users/")));
    related.insert("admins".into(), json!(format!("{base}admins/")));
    related.insert(
        "activity_stream".into(),
        json!(format!("{base}activity_stream/")),
    );
    let mut summary = Map::new();
    if let Some(u) = &o.created_by {
        summary.insert("created_by".into(), user_summary(u));
    }
    if let Some(u) = &o.modified_by {
        summary.insert("modified_by".into(), user_summary(u));
    }
    json!({
        "id": o.seq, "type": "organization", "url": base, "related": related,
        "summary_fields": summary, "created": o.created, "modified": o.modified,
        "name": o.name, "description": o.description,
    })
}

fn envelope(req: &Req, page: i64, size: i64, count: i64, results: Vec<Value>) -> Result<Value> {
    if page > 1 && (page - 1) * size >= count {
        return Err(Error::InvalidPage);
    }
    let next = ((page * size) < count).then(|| crate::api::page_link(req, page + 1));
    let previous = (page > 1).then(|| crate::api::page_link(req, page - 1));
    Ok(json!({"count": count, "next": next, "previous": previous, "results": results}))
}

/// AWX field lookups: `field`, `field__icontains`, `__in`, `__isnull`, `__gt/gte/lt/lte`,
/// `__startswith`, `__exact`, `__iexact`, each optionally behind `not__`.
fn lookups(req: &Req, fields: &[(&str, Field)]) -> Result<ListQuery> {
    let mut q = ListQuery::default();
    let mut errors = Errors::default();
    if req.query.len() > 100 {
        return Err(Error::BadRequest("Too many query parameters.".into()));
    }
    for (key, raw) in &req.query {
        if RESERVED.contains(&key.as_str()) {
            continue;
        }
        let (negate, rest) = match key.strip_prefix("not__") {
            Some(r) => (true, r),
            None => (false, key.as_str()),
        };
        let (name, lookup) = rest.split_once("__").unwrap_or((rest, "exact"));
        let Some((_, field)) = fields.iter().find(|(n, _)| *n == name) else {
            let shown: String = key.chars().take(64).collect();
            return Err(Error::BadRequest(format!("Invalid filter field: {shown}")));
        };
        let parse = |s: &str| filter_value(field, s);
        let op = match lookup {
            "exact" => parse(raw).map(Op::Eq),
            "iexact" => {
                let folded = Field {
                    kind: Kind::FoldedText,
                    ..*field
                };
                q.conds.push(Cond {
                    field: folded,
                    op: Op::Eq(Sql::Text(raw.clone())),
                    negate,
                });
                continue;
            }
            "icontains" | "contains" => {
                if raw.chars().count() > 512 {
                    Err("Ensure this value has at most 512 characters.".to_string())
                } else {
                    Ok(Op::IContains(raw.clone()))
                }
            }
            "startswith" | "istartswith" => Ok(Op::StartsWith(raw.clone())),
            "in" => raw
                .split(',')
                .map(parse)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Op::In),
            "isnull" => match raw.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Op::IsNull(true)),
                "false" | "0" => Ok(Op::IsNull(false)),
                _ => Err("Must be true or false.".into()),
            },
            "gt" => parse(raw).map(Op::Gt),
            "gte" => parse(raw).map(Op::Gte),
            "lt" => parse(raw).map(Op::Lt),
            "lte" => parse(raw).map(Op::Lte),
            other => {
                let shown: String = other.chars().take(32).collect();
                Err(format!("Unsupported lookup {shown:?}."))
            }
        };
        match op {
            Ok(op) => q.conds.push(Cond {
                field: *field,
                op,
                negate,
            }),
            Err(m) => errors.add(key, m),
        }
    }
    errors.into_result()?;
    Ok(q)
}

/// `order_by` (or `order`): comma-separated, `-` for descending; unknown field → 400.
fn order(req: &Req, fields: &[(&str, Field)]) -> Result<Vec<(Field, bool)>> {
    match req.q("order_by").or_else(|| req.q("order")) {
        None => Ok(vec![]),
        Some(raw) => crate::api::parse_order(raw, fields).map_err(Error::BadRequest),
    }
}

fn org_fields() -> Vec<(&'static str, Field)> {
    let f = |n: &str| {
        *store::orgs::FIELDS
            .iter()
            .find(|f| f.name == n)
            .expect("declared field")
    };
    vec![
        ("id", f("id")),
        ("name", store::orgs::NAME_EXACT),
        ("description", f("description")),
        ("created", f("created")),
        ("modified", f("modified")),
    ]
}

fn org_key(id: &str) -> Result<OrgKey> {
    id.parse::<i64>()
        .map(OrgKey::Seq)
        .map_err(|_| Error::NotFound)
}

fn orgs(app: &App, conn: &Connection, req: &Req, v: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    match req.method.as_str() {
        "OPTIONS" => {
            ctx.user()?;
            Ok(Resp::json(200, &options_doc(&ctx)))
        }
        "POST" => {
            let me = ctx.user()?;
            if !me.is_staff {
                return Err(Error::Forbidden(
                    "Only superusers create organizations.".into(),
                ));
            }
            let input = org_input(req, true)?;
            let o = registry::orgs::create(&app.registry, &ctx, input)?;
            Ok(Resp::json(201, &org_json(&o, v))
                .with("Location", format!("/api/{v}/organizations/{}/", o.seq)))
        }
        _ => {
            ctx.user()?;
            let (page, size) = drf::paging(req, 25, 200)?;
            let fields = org_fields();
            let mut q = lookups(req, &fields)?;
            if let Some(s) = req.q("search") {
                for term in s.split([' ', ',']).filter(|t| !t.is_empty()).take(10) {
                    q.conds.push(Cond {
                        field: store::orgs::NAME_AND_DESCRIPTION,
                        op: Op::IContains(term.to_string()),
                        negate: false,
                    });
                }
            }
            q.order = order(req, &fields)?;
            q.limit = size;
            q.offset = (page - 1) * size;
            let p = registry::orgs::list(conn, &ctx, &q)?;
            let results = p.items.iter().map(|o| org_json(o, v)).collect();
            Ok(Resp::json(
                200,
                &envelope(req, page, size, p.count, results)?,
            ))
        }
    }
}

/// The body of a create (name required) or an update (PUT: name required; PATCH: any).
fn org_input(req: &Req, required: bool) -> Result<OrgInput> {
    let body = drf::body(req)?;
    let mut errors = Errors::default();
    let name = drf::string(&body, "name", 512, required, &mut errors);
    let description = drf::string(&body, "description", 4096, false, &mut errors);
    if let Some(n) = &name {
        if n.trim().is_empty() {
            errors.add("name", "This field may not be blank.");
        }
    }
    errors.into_result()?;
    Ok(OrgInput {
        name,
        description: description.or_else(|| required.then(String::new)),
        ..Default::default()
    })
}

fn options_doc(ctx: &Ctx) -> Value {
    let mut actions = Map::new();
    if ctx.actor.as_ref().is_some_and(|u| u.is_staff) {
        actions.insert(
            "POST".into(),
            json!({
                "name": {"type": "string", "required": true, "label": "Name", "max_length": 512, "help_text": "Name of this organization."},
                "description": {"type": "string", "required": false, "label": "Description", "help_text": "Optional description of this organization.", "default": ""},
            }),
        );
    }
    actions.insert(
        "GET".into(),
        json!({
            "id": {"type": "integer", "label": "ID", "help_text": "Database ID for this organization."},
            "type": {"type": "choice", "label": "Type", "help_text": "Data type for this organization.", "choices": [["organization", "Organization"]]},
            "url": {"type": "string", "label": "Url", "help_text": "URL for this organization."},
            "related": {"type": "object", "label": "Related", "help_text": "Data structure with URLs of related resources."},
            "summary_fields": {"type": "object", "label": "Summary fields", "help_text": "Data structure with name/description for related resources."},
            "created": {"type": "datetime", "label": "Created", "help_text": "Timestamp when this organization was created."},
            "modified": {"type": "datetime", "label": "Modified", "help_text": "Timestamp when this organization was last modified."},
            "name": {"type": "string", "label": "Name", "help_text": "Name of this organization.", "filterable": true},
            "description": {"type": "string", "label": "Description", "help_text": "Optional description of this organization.", "filterable": true},
        }),
    );
    json!({
        "name": "Organization List",
        "description": "# List Organizations:\n\nMake a GET request to this resource to retrieve the list of organizations.",
        "renders": ["application/json", "text/html"],
        "parses": ["application/json"],
        "added_in_version": "1.2",
        "actions": actions,
        "types": ["organization"],
        "search_fields": ["description", "name"],
        "related_search_fields": [],
        "object_roles": [],
        "max_page_size": 200,
    })
}

fn org(app: &App, conn: &Connection, req: &Req, v: &str, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    if req.method == "OPTIONS" {
        ctx.user()?;
        // awxkit reads `Allow` of OPTIONS `.../organizations/1/` to offer modify/delete.
        let mut doc = options_doc(&ctx);
        doc["name"] = json!("Organization Detail");
        if let Some(a) = doc["actions"].as_object_mut() {
            if let Some(post) = a.remove("POST") {
                a.insert("PUT".into(), post);
            }
        }
        return Ok(Resp::json(200, &doc));
    }
    let key = org_key(id)?;
    let reg = &app.registry;
    match req.method.as_str() {
        "PUT" | "PATCH" => {
            let input = org_input(req, req.method == "PUT")?;
            let o = registry::orgs::update(reg, &ctx, &key, input, None)?;
            Ok(Resp::json(200, &org_json(&o, v)))
        }
        "DELETE" => {
            registry::orgs::delete_as(reg, &ctx, &key, None, OrgAction::AdminDelete)?;
            Ok(Resp::empty(204))
        }
        _ => {
            let o = registry::orgs::get(conn, &ctx, &key)?;
            Ok(Resp::json(200, &org_json(&o, v)))
        }
    }
}

/// `users/` (every approved member) and `admins/` (owners and admins): paged lists, and
/// `POST {"id": N}` to associate, `{"id": N, "disassociate": true}` to remove.
fn org_members(
    app: &App,
    conn: &Connection,
    req: &Req,
    v: &str,
    id: &str,
    admins: bool,
) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let key = org_key(id)?;
    let reg = &app.registry;
    if req.method == "OPTIONS" {
        return Ok(Resp::json(
            200,
            &json!({"name": if admins { "Organization Admins List" } else { "Organization Users List" }, "renders": ["application/json"], "parses": ["application/json"], "actions": {"GET": {}}, "types": ["user"], "max_page_size": 200}),
        ));
    }
    if req.method == "POST" {
        let body = drf::body(req)?;
        let uid = match body.get("id") {
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
            _ => return Err(Error::field("id", "A valid integer is required.")),
        };
        let disassociate = matches!(
            body.get("disassociate"),
            Some(Value::Bool(true)) | Some(Value::Number(_))
        );
        // Only organization admins and superusers (un)associate; others get 403 (or 404
        // when they cannot see the organization), and nothing is stored.
        let user = registry::members::candidate(conn, &ctx, &key, uid).map_err(|e| match e {
            Error::NotFound if registry::orgs::get(conn, &ctx, &key).is_ok() => {
                Error::field("id", "Invalid pk - object does not exist.")
            }
            other => other,
        })?;
        let who = Who::User(user.id.clone());
        let current = registry::members::get(conn, &ctx, &key, &who).ok();
        match (disassociate, admins, current) {
            (false, _, None) => {
                let role = if admins { Role::Admin } else { Role::Viewer };
                let input = AddInput {
                    users: vec![user.id.clone()],
                    bulk: false,
                    role: Some(role),
                    is_active: Some(true),
                };
                registry::members::add(reg, &ctx, &key, input)?;
            }
            (false, true, Some(m)) if !m.role.at_least(Role::Admin) => {
                registry::members::update(
                    reg,
                    &ctx,
                    &key,
                    &who,
                    MemberPatch {
                        role: Some(Role::Admin),
                        is_active: None,
                    },
                    None,
                )?;
            }
            (false, _, Some(_)) => {}
            (true, true, Some(m)) if m.role.at_least(Role::Admin) => {
                registry::members::update(
                    reg,
                    &ctx,
                    &key,
                    &who,
                    MemberPatch {
                        role: Some(Role::Viewer),
                        is_active: None,
                    },
                    None,
                )?;
            }
            (true, false, Some(_)) => registry::members::remove(reg, &ctx, &key, &who, None)?,
            (true, _, _) => {
                // Not associated: nothing to remove, but the caller must be allowed to.
                registry::orgs::load(conn, &ctx, &key)?
                    .1
                    .require(OrgAction::ManageMembers)?;
            }
        }
        return Ok(Resp::empty(204));
    }
    let (page, size) = drf::paging(req, 25, 200)?;
    let fields = store::members::FIELDS;
    let field = |n: &str| *fields.iter().find(|f| f.name == n).expect("declared field");
    let mut q = lookups(req, &[("username", field("username"))])?;
    q.conds.push(Cond {
        field: field("status"),
        op: Op::Eq(Sql::Text("approved".into())),
        negate: false,
    });
    if admins {
        q.conds.push(Cond {
            field: field("role"),
            op: Op::In(vec![Sql::Text("owner".into()), Sql::Text("admin".into())]),
            negate: false,
        });
    }
    q.order = order(
        req,
        &[("username", field("username")), ("id", field("created"))],
    )?;
    q.limit = size;
    q.offset = (page - 1) * size;
    let p = registry::members::list_with_users(conn, &ctx, &key, &q)?;
    let results = p.items.iter().map(|(_, u)| user_json(u, v)).collect();
    Ok(Resp::json(
        200,
        &envelope(req, page, size, p.count, results)?,
    ))
}

fn activity_json(a: &Activity, seq: i64) -> Value {
    let operation = match a.action.as_str() {
        "create" | "update" | "delete" => a.action.as_str(),
        "member_added" | "approve" | "accept" => "associate",
        "member_removed" | "reject" => "disassociate",
        _ => "update",
    };
    json!({
        "id": seq, "type": "activity_stream", "related": {}, "summary_fields": {},
        "timestamp": a.at, "operation": operation, "changes": a.changes,
        "object1": a.object_type, "object2": if a.object_type == "membership" { "user" } else { "" },
        "object_association": if a.object_type == "membership" { "member_role" } else { "" },
        "action_node": "orgreg", "action": a.action, "actor": a.actor,
    })
}

fn org_activity(app: &App, conn: &Connection, req: &Req, _v: &str, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let key = org_key(id)?;
    let (page, size) = drf::paging(req, 25, 200)?;
    let q = ListQuery {
        limit: size,
        offset: (page - 1) * size,
        ..Default::default()
    };
    let p = registry::activity::of_org_as(conn, &ctx, &key, &q, OrgAction::Read)?;
    let total = p.count;
    let results = p
        .items
        .iter()
        .enumerate()
        .map(|(i, a)| activity_json(a, total - (q.offset + i as i64)))
        .collect();
    Ok(Resp::json(200, &envelope(req, page, size, total, results)?))
}
