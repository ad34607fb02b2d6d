//! ZenML Pro organizations: parse → one registry operation → render.

use crate::api::table::Call;
use crate::api::Body;
use crate::error::{Error, Result};
use crate::http::Resp;
use crate::model::{self, Org, User};
use crate::query::{Cond, ListQuery, Op, Val};
use crate::registry::orgs::{self, OrgInput, OrgKey};
use crate::registry::{auth, fields, Resource};
use serde_json::{json, Value};

/// The owner as ZenML renders a user — never with a password or its hash.
fn user_json(u: &User) -> Value {
    let name = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_string();
    json!({
        "id": u.id, "name": if name.is_empty() { u.username.clone() } else { name },
        "username": u.username, "email": u.email, "avatar_url": u.avatar_url,
        "company": u.company, "job_title": u.job_title, "metadata": u.metadata,
        "oauth_provider": null, "oauth_id": null, "is_active": u.is_active,
        "is_superuser": u.is_staff, "is_service_account": u.is_service_account,
        "organization_id": null, "is_onboarded": true,
    })
}

fn org_json(o: &Org, owner: Option<&User>, subscription: bool) -> Value {
    json!({
        "id": o.id, "name": o.name, "description": o.description, "logo_url": o.logo_url,
        "created": o.created, "updated": o.modified,
        "owner": owner.map(user_json),
        "has_active_subscription": subscription.then_some(true),
        "trial_expiry": null,
    })
}

fn flag(call: &Call, name: &str) -> Result<bool> {
    match call.req.q(name) {
        None => Ok(false),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(Error::field(name, "Input should be a valid boolean.")),
        },
    }
}

/// `limit` (default 100; larger values are clamped to 10,000) and `offset` (default 0):
/// integers, else 422 as ZenML's FastAPI validation answers.
fn window(call: &Call) -> Result<(i64, i64)> {
    let int = |name: &str, default: i64, min: i64| match call.req.q(name) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= min).ok_or_else(|| {
            Error::field(
                name,
                format!("Input should be an integer of at least {min}."),
            )
        }),
    };
    Ok((int("limit", 100, 1)?.min(10_000), int("offset", 0, 0)?))
}

/// `GET /organizations`: a bare array, `offset`/`limit`, `name` and `owner_id` filters.
pub fn list(call: &Call) -> Result<Resp> {
    let (limit, offset) = window(call)?;
    let mut q = ListQuery::window(limit, offset);
    let kind = |name: &str| {
        fields(Resource::Orgs)
            .into_iter()
            .find(|f| f.name == name)
            .map(|f| f.kind)
            .ok_or_else(|| Error::Internal(format!("orgs field {name}")))
    };
    if let Some(name) = call.req.q("name") {
        let v =
            crate::api::filter_value(kind("name")?, name).map_err(|m| Error::field("name", m))?;
        q.conds.push(Cond::eq("name", v));
    }
    if let Some(owner) = call.req.q("owner_id") {
        let id = model::parse_uuid(owner)
            .ok_or_else(|| Error::field("owner_id", "Input should be a valid UUID."))?;
        q.conds.push(Cond::new("owner", Op::Eq(Val::Text(id))));
    }
    let subscription = flag(call, "include_subscription_status")?;
    let page = orgs::list_with_owners(call.reg(), &call.ctx, &q)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|(o, u)| org_json(o, u.as_ref(), subscription))
        .collect();
    Ok(Resp::json(200, &Value::Array(items)))
}

/// The fields a create or a PATCH may set.
fn input(call: &Call, create: bool) -> Result<OrgInput> {
    let mut b = Body::from_req(call.req)?;
    let id = if create {
        match b.take("id") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_str().and_then(model::parse_uuid) {
                Some(id) => Some(id),
                None => {
                    b.errors.add("id", "Input should be a valid UUID.");
                    None
                }
            },
        }
    } else {
        b.read_only(&["id", "created", "updated", "owner"]);
        None
    };
    let name = b.string("name", 1, 512, create);
    let description = b.nullable_string("description", 4096);
    let logo_url = b.nullable_string("logo_url", 2048);
    let owner = match b.take("owner_id") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(model::parse_uuid) {
            Some(id) => Some(id),
            None => {
                b.errors.add("owner_id", "Input should be a valid UUID.");
                None
            }
        },
    };
    // ZenML's models carry fields orgreg does not keep; they are accepted and ignored.
    for ignored in ["has_active_subscription", "trial_expiry", "owner"] {
        b.take(ignored);
    }
    b.finish()?;
    Ok(OrgInput {
        name,
        description: description.map(Option::unwrap_or_default),
        logo_url,
        owner,
        id,
        ..Default::default()
    })
}

/// `POST /organizations`: 201 with the organization (owner: the caller unless staff
/// names another user).
pub fn create(call: &Call) -> Result<Resp> {
    let input = input(call, true)?;
    let s = orgs::create(call.reg(), &call.ctx, input, None)?;
    Ok(Resp::json(201, &org_json(&s.org, s.owner.as_ref(), false)))
}

/// `GET /organizations/{organization_id_or_name}`.
pub fn get(call: &Call) -> Result<Resp> {
    let key = OrgKey::parse(call.param("organization_id_or_name"));
    let subscription = flag(call, "include_subscription_status")?;
    let (o, owner) = orgs::get_with_owner(call.reg(), &call.ctx, &key)?;
    Ok(Resp::json(200, &org_json(&o, owner.as_ref(), subscription)))
}

/// `PATCH /organizations/{organization_id}`: name, description, logo_url, owner_id.
pub fn update(call: &Call) -> Result<Resp> {
    let key = OrgKey::parse(call.param("organization_id_or_name"));
    let input = input(call, false)?;
    let s = orgs::update(call.reg(), &call.ctx, &key, input, None)?;
    Ok(Resp::json(200, &org_json(&s.org, s.owner.as_ref(), false)))
}

/// `DELETE /organizations/{organization_id}`: 204.
pub fn delete(call: &Call) -> Result<Resp> {
    let key = OrgKey::parse(call.param("organization_id_or_name"));
    orgs::delete(call.reg(), &call.ctx, &key, None)?;
    Ok(Resp::empty(204))
}

/// `POST /auth/login`: the form field `password` (or `api_key`) holds an API key (an
/// orgreg token); the answer is a bearer token for it.
pub fn login(call: &Call) -> Result<Resp> {
    let body = crate::api::profiles::drf::body(call.req)?;
    let key = ["password", "api_key"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .unwrap_or("");
    if key.is_empty() {
        return Err(Error::Unauthenticated("An API key is required.".into()));
    }
    let (secret, token, _) = auth::exchange_token(call.reg(), &call.ctx, key)?;
    let expires_in = model::parse_time(token.expires.as_deref().unwrap_or(""))
        .map(|t| (t - model::now_ms()) / 1000);
    Ok(Resp::json(
        200,
        &json!({"access_token": secret, "token_type": "bearer", "expires_in": expires_in}),
    ))
}
