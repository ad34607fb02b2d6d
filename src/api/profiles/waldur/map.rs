//! Waldur: parse → one registry operation → render. Ids on the wire are 32 hex digits;
//! links to other objects are absolute URLs whose last segment is the uuid.

use super::drf;
use crate::api::table::Call;
use crate::error::{Error, Errors, Result};
use crate::http::{Req, Resp};
use crate::model::{self, MemberStatus, Membership, Org};
use crate::query::{Cond, ListQuery, Op, Val};
use crate::registry::customers;
use crate::registry::members::{self, MemberKey, MemberScope};
use crate::registry::orgs::{self, OrgInput, OrgKey};
use crate::registry::users::{self, UserKey};
use serde_json::{json, Map, Value};

const NO_URL_MATCH: &str = "Invalid hyperlink - No URL match.";
const NO_OBJECT: &str = "Invalid hyperlink - Object does not exist.";
const APPROVED: &str = "User request for joining the organization has been successfully approved";
const REJECTED: &str = "User has been successfully rejected from the organization";

// ---- rendering ----

fn hex(id: &str) -> String {
    id.replace('-', "")
}

fn url(req: &Req, collection: &str, id: &str) -> String {
    format!("{}/api/{collection}/{}/", req.base_url(), hex(id))
}

/// The seed's organization; `customer` only in the staff rendering.
fn org_json(req: &Req, o: &Org, staff: bool) -> Value {
    let mut v = json!({
        "url": url(req, "organizations", &o.id),
        "uuid": hex(&o.id),
        "name": o.name,
        "native_name": o.native_name,
        "abbreviation": o.abbreviation.clone().unwrap_or_default(),
    });
    if staff {
        v["customer"] = json!(o.customer.as_ref().map(|c| url(req, "customers", c)));
    }
    v
}

fn member_json(req: &Req, m: &Membership) -> Value {
    json!({
        "url": url(req, "organization-users", &m.id),
        "uuid": hex(&m.id),
        "user": url(req, "users", &m.user),
        "username": m.username,
        "is_approved": m.status == MemberStatus::Approved,
        "organization": url(req, "organizations", &m.organization),
    })
}

// ---- parsing ----

/// The path's `{uuid}` (dashed or 32 hex); anything else names nothing.
fn path_id(call: &Call) -> Result<String> {
    model::parse_uuid(call.param("uuid")).ok_or(Error::NotFound)
}

/// The uuid at the end of a URL (or a bare uuid), dashed.
fn uuid_of(s: &str) -> Option<String> {
    model::parse_uuid(s.trim_end_matches('/').rsplit('/').next()?)
}

/// `field` is the object a URL or uuid names; one that names nothing matches nothing.
fn link_cond(field: &'static str, raw: &str) -> Cond {
    match uuid_of(raw) {
        Some(id) => Cond::eq(field, Val::Text(id)),
        None => Cond::new(field, Op::In(vec![])),
    }
}

/// `o=` ordering over `fields` (unknown keys are ignored, as django-filter does).
fn ordering(req: &Req, fields: &[&'static str]) -> Vec<(&'static str, bool)> {
    let Some(raw) = req.q("o") else {
        return vec![];
    };
    raw.split(',')
        .filter_map(|k| {
            let (desc, name) = match k.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, k),
            };
            fields.iter().find(|f| **f == name).map(|f| (*f, desc))
        })
        .take(8)
        .collect()
}

/// A DRF string field (`drf::string`). A number is taken as its decimal text and then
/// checked like any other text (so `abbreviation: 123456789` is too long); where that
/// text could not fit (`max` < 24) only integers are taken, as the description says.
fn text(
    body: &Map<String, Value>,
    name: &str,
    max: usize,
    required: bool,
    errors: &mut Errors,
) -> Option<String> {
    match body.get(name) {
        Some(Value::Number(n)) if n.is_f64() && max < 24 => {
            errors.add(name, "Not a valid string.");
            None
        }
        Some(Value::Number(n)) => {
            let mut one = Map::new();
            one.insert(name.to_string(), Value::String(n.to_string()));
            drf::string(&one, name, max, required, errors)
        }
        _ => drf::string(body, name, max, required, errors),
    }
}

/// A link field: a URL (or uuid) of an object, as `Some(uuid)`; errors otherwise.
fn link(body: &Map<String, Value>, name: &str, errors: &mut Errors) -> Option<String> {
    match body.get(name) {
        None => {
            errors.add(name, "This field is required.");
            None
        }
        Some(Value::String(s)) => {
            let id = uuid_of(s);
            if id.is_none() {
                errors.add(name, NO_URL_MATCH);
            }
            id
        }
        Some(_) => {
            errors.add(name, "Incorrect type. Expected URL string.");
            None
        }
    }
}

/// Organization fields: `name` (≤ 150), `native_name` (≤ 160), `abbreviation` (≤ 8),
/// `customer` (a customer URL, or null or "" for none). Create and PUT (`full`) require
/// the first three; a field PATCH sends may not be null or blank either (seed 000 calls
/// them required). Unknown fields are ignored.
fn org_input(call: &Call, full: bool) -> Result<OrgInput> {
    let body = drf::body(call.req)?;
    let mut errors = Errors::default();
    let needed = |name: &str| full || body.contains_key(name);
    let name = text(&body, "name", 150, needed("name"), &mut errors);
    let native_name = text(
        &body,
        "native_name",
        160,
        needed("native_name"),
        &mut errors,
    );
    let abbreviation = text(
        &body,
        "abbreviation",
        8,
        needed("abbreviation"),
        &mut errors,
    );
    let customer = match body.get("customer") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.is_empty() => Some(None),
        Some(Value::String(s)) => match uuid_of(s) {
            Some(id) => Some(Some(id)),
            None => {
                errors.add("customer", NO_URL_MATCH);
                None
            }
        },
        Some(_) => {
            errors.add("customer", "Incorrect type. Expected URL string.");
            None
        }
    };
    errors.into_result()?;
    Ok(OrgInput {
        name,
        native_name,
        abbreviation: abbreviation.map(Some),
        customer,
        ..Default::default()
    })
}

/// A registry refusal of a linked object, as DRF's hyperlinked field words it.
fn missing_link(e: Error, field: &str) -> Error {
    match e {
        Error::Invalid(fields) if fields.contains_key(field) => Error::field(field, NO_OBJECT),
        other => other,
    }
}

// ---- organizations ----

pub fn list_orgs(call: &Call) -> Result<Resp> {
    let p = drf::paging(call.req, 10, 300)?;
    let mut q = ListQuery::window(p.size, p.offset());
    for name in ["name", "native_name", "abbreviation"] {
        if let Some(v) = call.req.q(name) {
            let v: String = v.chars().take(512).collect();
            q.conds.push(Cond::new(name, Op::IContains(v)));
        }
    }
    if let Some(c) = call.req.q("customer_uuid").or(call.req.q("customer")) {
        q.conds.push(link_cond("customer", c));
    }
    q.order = ordering(call.req, &["name", "native_name", "abbreviation"]);
    let page = orgs::list(call.reg(), &call.ctx, &q)?;
    let staff = call.ctx.is_staff();
    let items = page.items.iter().map(|o| org_json(call.req, o, staff));
    drf::bare_list(call.req, p, page.count, items.collect())
}

pub fn create_org(call: &Call) -> Result<Resp> {
    let input = org_input(call, true)?;
    let o = orgs::create(call.reg(), &call.ctx, input, None)
        .map_err(|e| missing_link(e, "customer"))?
        .org;
    let location = url(call.req, "organizations", &o.id);
    Ok(Resp::json(201, &org_json(call.req, &o, true)).with("Location", location))
}

pub fn get_org(call: &Call) -> Result<Resp> {
    let o = orgs::get(call.reg(), &call.ctx, &OrgKey::Id(path_id(call)?))?;
    Ok(Resp::json(
        200,
        &org_json(call.req, &o, call.ctx.is_staff()),
    ))
}

fn update(call: &Call, full: bool) -> Result<Resp> {
    let key = OrgKey::Id(path_id(call)?);
    let input = org_input(call, full)?;
    let o = orgs::update(call.reg(), &call.ctx, &key, input, None)
        .map_err(|e| missing_link(e, "customer"))?
        .org;
    Ok(Resp::json(200, &org_json(call.req, &o, true)))
}

pub fn replace_org(call: &Call) -> Result<Resp> {
    update(call, true)
}

pub fn update_org(call: &Call) -> Result<Resp> {
    update(call, false)
}

pub fn delete_org(call: &Call) -> Result<Resp> {
    orgs::delete(call.reg(), &call.ctx, &OrgKey::Id(path_id(call)?), None)?;
    Ok(Resp::empty(204))
}

// ---- organization-users ----

pub fn list_org_users(call: &Call) -> Result<Resp> {
    let p = drf::paging(call.req, 10, 300)?;
    let mut q = ListQuery::window(p.size, p.offset());
    for (param, field) in [
        ("organization", "organization"),
        ("organization_uuid", "organization"),
        ("user", "user"),
        ("user_uuid", "user"),
    ] {
        if let Some(v) = call.req.q(param) {
            q.conds.push(link_cond(field, v));
        }
    }
    if let Some(v) = call.req.q("is_approved") {
        let b = match v.to_ascii_lowercase().as_str() {
            "true" | "1" => 1,
            "false" | "0" => 0,
            _ => return Err(Error::field("is_approved", "Enter a valid boolean.")),
        };
        q.conds.push(Cond::eq("is_approved", Val::Int(b)));
    }
    q.order = ordering(call.req, &["is_approved"]);
    let page = members::list(call.reg(), &call.ctx, &MemberScope::All, &q)?;
    let items = page.items.iter().map(|m| member_json(call.req, m));
    drf::bare_list(call.req, p, page.count, items.collect())
}

/// Files an unapproved organization-user (`is_approved` and unknown fields are ignored).
pub fn create_org_user(call: &Call) -> Result<Resp> {
    let body = drf::body(call.req)?;
    let mut errors = Errors::default();
    let user = link(&body, "user", &mut errors);
    let org = link(&body, "organization", &mut errors);
    errors.into_result()?;
    let (Some(user), Some(org)) = (user, org) else {
        return Err(Error::Internal("links parsed without errors".into()));
    };
    // Waldur's `user` field offers non-staff callers only themselves: the registry's
    // refusal to file for another user reads as a user that does not exist.
    let for_another =
        !call.ctx.is_staff() && call.ctx.actor.as_ref().is_some_and(|me| me.id != user);
    let m =
        members::request(call.reg(), &call.ctx, &OrgKey::Id(org), &user).map_err(|e| match e {
            Error::NotFound => Error::field("organization", NO_OBJECT),
            Error::Forbidden(_) if for_another => Error::field("user", NO_OBJECT),
            other => missing_link(other, "user"),
        })?;
    Ok(Resp::json(201, &member_json(call.req, &m)))
}

pub fn get_org_user(call: &Call) -> Result<Resp> {
    let m = members::get(call.reg(), &call.ctx, &MemberKey::Id(path_id(call)?))?;
    Ok(Resp::json(200, &member_json(call.req, &m)))
}

pub fn delete_org_user(call: &Call) -> Result<Resp> {
    members::remove(call.reg(), &call.ctx, &MemberKey::Id(path_id(call)?), None)?;
    Ok(Resp::empty(204))
}

fn decide(call: &Call, approve: bool) -> Result<Resp> {
    members::decide(
        call.reg(),
        &call.ctx,
        &MemberKey::Id(path_id(call)?),
        approve,
    )?;
    let detail = if approve { APPROVED } else { REJECTED };
    Ok(Resp::json(200, &json!({ "detail": detail })))
}

pub fn approve(call: &Call) -> Result<Resp> {
    decide(call, true)
}

pub fn reject(call: &Call) -> Result<Resp> {
    decide(call, false)
}

// ---- customers and users (so rendered URLs resolve) ----

pub fn customer(call: &Call) -> Result<Resp> {
    let c = customers::get(call.reg(), &call.ctx, &path_id(call)?)?;
    Ok(Resp::json(
        200,
        &json!({
            "url": url(call.req, "customers", &c.id), "uuid": hex(&c.id),
            "name": c.name, "abbreviation": c.abbreviation,
        }),
    ))
}

pub fn user(call: &Call) -> Result<Resp> {
    let u = users::get(call.reg(), &call.ctx, &UserKey::Id(path_id(call)?))?;
    let full_name = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_string();
    Ok(Resp::json(
        200,
        &json!({
            "url": url(call.req, "users", &u.id), "uuid": hex(&u.id),
            "username": u.username, "full_name": full_name,
            "email": u.email.clone().unwrap_or_default(),
            "is_staff": u.is_staff, "is_active": u.is_active,
        }),
    ))
}
