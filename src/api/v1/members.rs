//! `/v1/organizations/{id}/members` and its sub-routes.

use super::{membership_json, path_uuid};
use crate::api::table::Call;
use crate::api::{page_resp, with_etag, Body};
use crate::error::{Error, Result};
use crate::http::Resp;
use crate::model::Role;
use crate::registry::members::{self as ops, AddInput, MemberKey, MemberPatch, MemberScope, Who};
use crate::registry::orgs::OrgKey;
use crate::registry::users::UserKey;
use serde_json::json;

const FILTERS: &[&str] = &["role", "status", "is_active", "user"];

const ORDERS: &[(&str, &str)] = &[
    ("username", "username"),
    ("role", "role_rank"),
    ("status", "status"),
    ("created", "created"),
];

/// `me` or a user uuid (anything else names nobody: 404).
pub fn who(seg: &str) -> Result<Who> {
    if seg == "me" {
        Ok(Who::Me)
    } else {
        path_uuid(seg).map(Who::User)
    }
}

fn role(b: &mut Body) -> Option<Role> {
    match b.take("role") {
        None => None,
        Some(serde_json::Value::String(s)) => match Role::parse(&s) {
            Some(r) => Some(r),
            None => {
                b.errors.add(
                    "role",
                    "Must be one of: owner, admin, contributor, accounting, viewer.",
                );
                None
            }
        },
        Some(_) => {
            b.errors.add(
                "role",
                "Must be one of: owner, admin, contributor, accounting, viewer.",
            );
            None
        }
    }
}

pub fn list(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let (p, q) = call.list_query(crate::registry::Resource::Members, FILTERS, ORDERS)?;
    let page = ops::list(
        call.reg(),
        &call.ctx,
        &MemberScope::Org(OrgKey::parse(key)),
        &q,
    )?;
    page_resp(call.req, p, page, membership_json)
}

pub fn add(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let mut b = Body::from_req(call.req)?;
    b.read_only(&[
        "id",
        "organization",
        "status",
        "username",
        "created",
        "modified",
        "approved_by",
        "approved_at",
    ]);
    let bulk = b.has("users");
    let users = match (b.has("user"), bulk) {
        (true, true) => {
            b.take("user");
            b.take("users");
            b.errors
                .add("users", "Send either user or users, not both.");
            vec![]
        }
        (false, true) => {
            let list: Vec<UserKey> = b
                .uuid_list("users", 200)
                .unwrap_or_default()
                .into_iter()
                .map(UserKey::Id)
                .collect();
            if list.is_empty() && b.errors.is_empty() {
                b.errors.add("users", "This list may not be empty.");
            }
            list
        }
        _ => b.uuid("user", true).into_iter().map(UserKey::Id).collect(),
    };
    let input = AddInput {
        users,
        bulk,
        role: role(&mut b),
        is_active: b.boolean("is_active"),
    };
    b.finish()?;
    let members = ops::add(call.reg(), &call.ctx, &OrgKey::parse(key), input)?.members;
    if bulk {
        let results: Vec<_> = members.iter().map(membership_json).collect();
        return Ok(Resp::json(
            201,
            &json!({"count": results.len(), "results": results}),
        ));
    }
    let m = members
        .first()
        .ok_or(Error::Internal("no membership returned".into()))?;
    Ok(Resp::json(201, &membership_json(m))
        .with(
            "Location",
            format!("/v1/organizations/{}/members/{}", m.organization, m.user),
        )
        .with("ETag", crate::api::etag(m)))
}

pub fn get(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let user = call.param("user");
    let m = ops::get(
        call.reg(),
        &call.ctx,
        &MemberKey::In(OrgKey::parse(key), who(user)?),
    )?;
    Ok(with_etag(call.req, &m, &membership_json(&m)))
}

pub fn update(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let user = call.param("user");
    let who = who(user)?;
    let mut b = Body::from_req(call.req)?;
    b.read_only(&[
        "id",
        "organization",
        "user",
        "username",
        "status",
        "created",
        "modified",
        "approved_by",
        "approved_at",
    ]);
    let patch = MemberPatch {
        role: role(&mut b),
        is_active: b.boolean("is_active"),
    };
    b.finish()?;
    let m = ops::update(
        call.reg(),
        &call.ctx,
        &MemberKey::In(OrgKey::parse(key), who),
        patch,
        call.if_match().as_deref(),
    )?;
    Ok(Resp::json(200, &membership_json(&m)).with("ETag", crate::api::etag(&m)))
}

pub fn remove(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let user = call.param("user");
    ops::remove(
        call.reg(),
        &call.ctx,
        &MemberKey::In(OrgKey::parse(key), who(user)?),
        call.if_match().as_deref(),
    )?;
    Ok(Resp::empty(204))
}

pub fn approve(call: &Call) -> Result<Resp> {
    decide(call, true)
}

pub fn reject(call: &Call) -> Result<Resp> {
    decide(call, false)
}

fn decide(call: &Call, approve: bool) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let key = call.param("id");
    let user = call.param("user");
    Body::from_req(req)?.finish()?;
    let m = ops::decide(
        reg,
        ctx,
        &MemberKey::In(OrgKey::parse(key), who(user)?),
        approve,
    )?;
    Ok(Resp::json(200, &membership_json(&m)).with("ETag", crate::api::etag(&m)))
}
