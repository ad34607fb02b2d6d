//! AWX requests to registry operations: each handler parses the request, makes one
//! registry call and renders the answer. Who may do what is the registry's decision under
//! `awx::RULES`.

use super::filter::{self, Fields};
use super::{drf, render};
use crate::api::table::Call;
use crate::error::{Error, Errors, Result};
use crate::http::Resp;
use crate::query::{Cond, Op, Val};
use crate::registry::orgs::{OrgInput, OrgKey};
use crate::registry::users::UserKey;
use crate::registry::{activity, auth, members, orgs, users};
use serde_json::{json, Value};

const SESSION_TTL_MS: i64 = 1800 * 1000;
const PAGE_SIZE: i64 = 25;
const MAX_PAGE_SIZE: i64 = 200;
const TOKEN_DESCRIPTION_MAX: usize = 150;
const NAME_MAX: usize = 512;
const DESCRIPTION_MAX: usize = 4096;
const MAX_SEARCH_TERMS: usize = 10;

/// The API version of the request (`v1` or `v2`: every versioned route names it).
fn version<'a>(c: &'a Call) -> &'a str {
    c.req.segments.get(1).map(String::as_str).unwrap_or("v2")
}

/// An integer path id; anything else names nothing (404).
fn seq(c: &Call) -> Result<i64> {
    c.param("id").parse().map_err(|_| Error::NotFound)
}

fn org_key(c: &Call) -> Result<OrgKey> {
    seq(c).map(OrgKey::Seq)
}

fn ok(v: &Value) -> Result<Resp> {
    Ok(Resp::json(200, v))
}

/// A `count/next/previous/results` page of `items` rendered by `f`.
fn page<T>(
    c: &Call,
    p: crate::api::Paging,
    count: i64,
    items: &[T],
    f: impl Fn(&T) -> Value,
) -> Result<Resp> {
    let results = items.iter().map(f).collect();
    ok(&drf::envelope(c.req, p, count, results)?)
}

fn paging(c: &Call) -> Result<crate::api::Paging> {
    drf::paging(c.req, PAGE_SIZE, MAX_PAGE_SIZE)
}

fn list_query(c: &Call, fields: &Fields) -> Result<(crate::api::Paging, crate::query::ListQuery)> {
    let p = paging(c)?;
    Ok((p, filter::query(c.req, fields, p)?))
}

// ---- discovery, login, tokens ----

pub fn api_root(_: &Call) -> Result<Resp> {
    ok(&render::api_root())
}

pub fn version_root(c: &Call) -> Result<Resp> {
    ok(&render::version_root(version(c)))
}

pub fn ping(_: &Call) -> Result<Resp> {
    ok(&render::ping())
}

pub fn config(_: &Call) -> Result<Resp> {
    ok(&render::config())
}

pub fn login_info(_: &Call) -> Result<Resp> {
    ok(&json!({"detail": "POST username and password (form-encoded) to log in."}))
}

/// `POST /api/login/` (form-encoded `username`, `password`, `next`): a stored session in
/// a `sessionid` cookie, and a redirect to `next` when it is a local path.
pub fn login(c: &Call) -> Result<Resp> {
    let body = drf::body(c.req)?;
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
    let secret = auth::start_session(c.reg(), &c.ctx, &username, &password, SESSION_TTL_MS)?;
    let next = field("next");
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains(['\r', '\n']);
    let next = if local { next } else { "/api/".into() };
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

pub fn personal_token(c: &Call) -> Result<Resp> {
    let body = drf::body(c.req)?;
    let description: String = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(TOKEN_DESCRIPTION_MAX)
        .collect();
    let (secret, token) =
        auth::create_token_as(c.reg(), &c.ctx, c.param("username"), &description)?;
    Ok(Resp::json(
        201,
        &render::token(&secret, &token, &description),
    ))
}

pub fn personal_token_options(_: &Call) -> Result<Resp> {
    ok(&render::personal_token_options())
}

// ---- users ----

pub fn me(c: &Call) -> Result<Resp> {
    let (user, _) = users::me(c.reg(), &c.ctx)?;
    ok(
        &json!({"count": 1, "next": null, "previous": null, "results": [render::user(&user, version(c))]}),
    )
}

pub fn users(c: &Call) -> Result<Resp> {
    let (p, q) = list_query(c, &filter::USERS)?;
    let found = users::list(c.reg(), &c.ctx, &q)?;
    page(c, p, found.count, &found.items, |u| {
        render::user(u, version(c))
    })
}

pub fn user(c: &Call) -> Result<Resp> {
    let u = users::get(c.reg(), &c.ctx, &UserKey::Seq(seq(c)?))?;
    ok(&render::user(&u, version(c)))
}

// ---- organizations ----

pub fn orgs(c: &Call) -> Result<Resp> {
    let (p, mut q) = list_query(c, &filter::ORGS)?;
    if let Some(s) = c.req.q("search") {
        for term in s
            .split([' ', ','])
            .filter(|t| !t.is_empty())
            .take(MAX_SEARCH_TERMS)
        {
            q.conds.push(Cond::new(
                "name_or_description",
                Op::IContains(term.to_string()),
            ));
        }
    }
    let found = orgs::list(c.reg(), &c.ctx, &q)?;
    page(c, p, found.count, &found.items, |o| {
        render::org(o, version(c))
    })
}

/// The body of a create or replace (`full`: name required, description defaults to
/// empty) or of a PATCH (any). Unknown fields are ignored, as DRF does.
fn org_input(c: &Call, full: bool) -> Result<OrgInput> {
    let body = drf::body(c.req)?;
    let mut errors = Errors::default();
    // `name` is never nullable (DRF: "may not be null" even on PATCH).
    let name = match body.get("name") {
        Some(serde_json::Value::Null) => {
            errors.add("name", "This field may not be null.");
            None
        }
        _ => drf::string(&body, "name", NAME_MAX, full, &mut errors),
    };
    let description = drf::string(&body, "description", DESCRIPTION_MAX, false, &mut errors);
    if name.as_ref().is_some_and(|n| n.trim().is_empty()) {
        errors.add("name", "This field may not be blank.");
    }
    errors.into_result()?;
    Ok(OrgInput {
        name,
        description: description.or_else(|| full.then(String::new)),
        ..Default::default()
    })
}

pub fn create_org(c: &Call) -> Result<Resp> {
    let input = org_input(c, true)?;
    let o = orgs::create(c.reg(), &c.ctx, input, None)?.org;
    let v = version(c);
    Ok(Resp::json(201, &render::org(&o, v))
        .with("Location", format!("/api/{v}/organizations/{}/", o.seq)))
}

pub fn orgs_options(c: &Call) -> Result<Resp> {
    ok(&render::org_options(c.ctx.is_staff(), false))
}

pub fn org(c: &Call) -> Result<Resp> {
    let o = orgs::get(c.reg(), &c.ctx, &org_key(c)?)?;
    ok(&render::org(&o, version(c)))
}

pub fn update_org(c: &Call) -> Result<Resp> {
    let key = org_key(c)?;
    let input = org_input(c, c.req.method == "PUT")?;
    let o = orgs::update(c.reg(), &c.ctx, &key, input, None)?.org;
    ok(&render::org(&o, version(c)))
}

pub fn delete_org(c: &Call) -> Result<Resp> {
    orgs::delete(c.reg(), &c.ctx, &org_key(c)?, None)?;
    Ok(Resp::empty(204))
}

/// awxkit reads `Allow` of OPTIONS `.../organizations/1/` to offer modify and delete.
/// The organization itself is not looked up (DRF answers the metadata either way); an id
/// that is not an integer names nothing.
pub fn org_options(c: &Call) -> Result<Resp> {
    org_key(c)?;
    ok(&render::org_options(c.ctx.is_staff(), true))
}

// ---- users/ and admins/ ----

pub fn org_users(c: &Call) -> Result<Resp> {
    members_list(c, false)
}

pub fn org_admins(c: &Call) -> Result<Resp> {
    members_list(c, true)
}

/// `users/` lists every approved member, `admins/` the owners and admins.
fn members_list(c: &Call, admins: bool) -> Result<Resp> {
    let key = org_key(c)?;
    let (p, mut q) = list_query(c, &filter::MEMBERS)?;
    q.conds
        .push(Cond::eq("status", Val::Text("approved".into())));
    if admins {
        let ranks = vec![Val::Text("owner".into()), Val::Text("admin".into())];
        q.conds.push(Cond::new("role", Op::In(ranks)));
    }
    let found = members::list_users(c.reg(), &c.ctx, &key, &q)?;
    page(c, p, found.count, &found.items, |(_, u)| {
        render::user(u, version(c))
    })
}

pub fn associate_user(c: &Call) -> Result<Resp> {
    associate(c, false)
}

pub fn associate_admin(c: &Call) -> Result<Resp> {
    associate(c, true)
}

/// `POST {"id": N}` associates user N, `{"id": N, "disassociate": true}` (or any number)
/// disassociates: one registry operation, 204.
fn associate(c: &Call, admin: bool) -> Result<Resp> {
    let key = org_key(c)?;
    let body = drf::body(c.req)?;
    let Some(user) = body.get("id").and_then(crate::api::json_int) else {
        return Err(Error::field("id", "A valid integer is required."));
    };
    let off = matches!(
        body.get("disassociate"),
        Some(Value::Bool(true) | Value::Number(_))
    );
    members::associate(c.reg(), &c.ctx, &key, &UserKey::Seq(user), admin, !off).map_err(
        |e| match e {
            Error::Invalid(f) if f.contains_key("user") => {
                Error::field("id", "Invalid pk - object does not exist.")
            }
            other => other,
        },
    )?;
    Ok(Resp::empty(204))
}

/// DRF checks the parent object for OPTIONS on a sublist too: a missing (or unseen)
/// organization is 404, as for GET.
pub fn org_users_options(c: &Call) -> Result<Resp> {
    orgs::get(c.reg(), &c.ctx, &org_key(c)?)?;
    ok(&render::members_options(false))
}

pub fn org_admins_options(c: &Call) -> Result<Resp> {
    orgs::get(c.reg(), &c.ctx, &org_key(c)?)?;
    ok(&render::members_options(true))
}

// ---- activity_stream ----

/// Newest first, numbered so that the oldest row is 1.
pub fn activity(c: &Call) -> Result<Resp> {
    let key = org_key(c)?;
    let p = paging(c)?;
    let q = crate::query::ListQuery::window(p.size, p.offset());
    let found = activity::of_org(c.reg(), &c.ctx, &key, &q)?;
    let total = found.count;
    let results = found
        .items
        .iter()
        .enumerate()
        .map(|(i, a)| render::activity(a, total - (q.offset + i as i64)))
        .collect();
    ok(&drf::envelope(c.req, p, total, results)?)
}
