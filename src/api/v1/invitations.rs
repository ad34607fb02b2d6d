//! `/v1/organizations/{id}/invitations` and `/v1/invitations/{token}/accept`.

use super::{membership_json, path_uuid, user_json, SHORT_MAX};
use crate::api::table::Call;
use crate::api::{page_resp, with_etag, Body};
use crate::error::{Error, Result};
use crate::http::Resp;
use crate::model::Invitation;
use crate::model::{self, Role};
use crate::registry::invitations::{self as ops, InviteInput, NewAccount};
use crate::registry::orgs::OrgKey;
use serde_json::{json, Value};

pub fn invitation_json(i: &Invitation) -> Value {
    json!({
        "id": i.id, "organization": i.organization, "email": i.email, "role": i.role.as_str(),
        "first_name": i.first_name, "last_name": i.last_name,
        "preferred_language": i.preferred_language, "expires": i.expires,
        "status": i.effective_status(&model::now()), "delivery_status": i.delivery_status,
        "invited_by": i.invited_by, "created": i.created, "modified": i.modified,
    })
}

/// The body of an invitation (also the `invite` object of organization create).
pub fn parse_invite(b: &mut Body) -> InviteInput {
    let email = b.string("email", 3, 254, true).unwrap_or_default();
    if !email.is_empty() {
        let ok = email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
            && !email.contains(char::is_whitespace);
        if !ok {
            b.errors.add("email", "Enter a valid email address.");
        }
    }
    let role = match b.take("role") {
        None => None,
        Some(Value::String(s)) if Role::parse(&s).is_some() => Role::parse(&s),
        Some(_) => {
            b.errors.add(
                "role",
                "Must be one of: owner, admin, contributor, accounting, viewer.",
            );
            None
        }
    };
    InviteInput {
        email,
        role,
        first_name: b
            .string("first_name", 0, SHORT_MAX, false)
            .unwrap_or_default(),
        last_name: b
            .string("last_name", 0, SHORT_MAX, false)
            .unwrap_or_default(),
        preferred_language: b
            .string("preferred_language", 0, 35, false)
            .unwrap_or_default(),
        expires: b.future_time("expires").flatten(),
    }
}

const READ_ONLY: &[&str] = &[
    "id",
    "organization",
    "status",
    "delivery_status",
    "invited_by",
    "created",
    "modified",
    "token",
];

pub fn create(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let mut b = Body::from_req(call.req)?;
    b.read_only(READ_ONLY);
    let input = parse_invite(&mut b);
    b.finish()?;
    let (inv, secret) = ops::create(
        call.reg(),
        &call.ctx,
        &OrgKey::parse(key),
        input,
        &call.req.base_url(),
    )?;
    let mut body = invitation_json(&inv);
    body["token"] = json!(secret);
    Ok(Resp::json(201, &body)
        .with(
            "Location",
            format!(
                "/v1/organizations/{}/invitations/{}",
                inv.organization, inv.id
            ),
        )
        .with("ETag", crate::api::etag(&inv)))
}

const ORDERS: &[(&str, &str)] = &[("email", "email"), ("created", "created")];

pub fn list(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let (p, q) = call.list_query(
        crate::registry::Resource::Invitations,
        &["email", "role"],
        ORDERS,
    )?;
    let status = match call.req.q("status") {
        None => None,
        Some(s @ ("open" | "accepted" | "revoked" | "expired")) => Some(s),
        Some(_) => {
            return Err(Error::field(
                "status",
                "Must be one of: open, accepted, revoked, expired.",
            ))
        }
    };
    let page = ops::list(call.reg(), &call.ctx, &OrgKey::parse(key), status, &q)?;
    page_resp(call.req, p, page, invitation_json)
}

pub fn get(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let id = call.param("invitation");
    let inv = ops::get(call.reg(), &call.ctx, &OrgKey::parse(key), &path_uuid(id)?)?;
    Ok(with_etag(call.req, &inv, &invitation_json(&inv)))
}

pub fn revoke(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let id = call.param("invitation");
    ops::revoke(call.reg(), &call.ctx, &OrgKey::parse(key), &path_uuid(id)?)?;
    Ok(Resp::empty(204))
}

pub fn resend(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let id = call.param("invitation");
    Body::from_req(call.req)?.finish()?;
    let (inv, secret) = ops::resend(
        call.reg(),
        &call.ctx,
        &OrgKey::parse(key),
        &path_uuid(id)?,
        &call.req.base_url(),
    )?;
    let mut body = invitation_json(&inv);
    body["token"] = json!(secret);
    Ok(Resp::json(200, &body).with("ETag", crate::api::etag(&inv)))
}

pub fn accept(call: &Call) -> Result<Resp> {
    let token = call.param("token");
    let mut b = Body::from_req(call.req)?;
    let account = if call.ctx.actor.is_none() {
        let username = b.string("username", 1, SHORT_MAX, true);
        let password = b.string("password", 8, 4096, true);
        if let Some(u) = &username {
            if u.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
            {
                b.errors.add(
                    "username",
                    "Must not contain spaces, slashes or control characters.",
                );
            }
        }
        match (username, password) {
            (Some(username), Some(password)) => Some(NewAccount { username, password }),
            _ => None,
        }
    } else {
        None
    };
    b.finish()?;
    let a = ops::accept(call.reg(), &call.ctx, token, account)?;
    let mut body =
        json!({"membership": membership_json(&a.membership), "user": user_json(&a.user)});
    if let Some((secret, expires)) = a.token {
        body["token"] = json!(secret);
        body["expires"] = json!(expires);
    }
    Ok(Resp::json(200, &body))
}
