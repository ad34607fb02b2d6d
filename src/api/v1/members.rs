//! `/v1/organizations/{id}/members` and its sub-routes.

use super::{membership_json, path_uuid};
use crate::api::{envelope, list_query, paging, with_etag, Body};
use crate::error::{Error, Result};
use crate::http::{Req, Resp};
use crate::model::Role;
use crate::registry::members::{self as ops, AddInput, MemberPatch, Who};
use crate::registry::orgs::OrgKey;
use crate::registry::{Ctx, Registry};
use crate::store::{self, list::Field};
use rusqlite::Connection;
use serde_json::json;

const FILTERS: &[&str] = &["role", "status", "is_active", "user"];

fn orders() -> Vec<(&'static str, Field)> {
    let f = |n: &str| {
        *store::members::FIELDS
            .iter()
            .find(|f| f.name == n)
            .expect("declared field")
    };
    vec![
        ("username", f("username")),
        ("role", store::members::ROLE_BY_RANK),
        ("status", f("status")),
        ("created", f("created")),
    ]
}

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

pub fn list(c: &Connection, ctx: &Ctx, req: &Req, key: &str) -> Result<Resp> {
    let p = paging(req, 25, 200)?;
    let q = list_query(req, store::members::FIELDS, FILTERS, &orders(), p)?;
    let page = ops::list(c, ctx, &OrgKey::parse(key), &q)?;
    Ok(Resp::json(
        200,
        &envelope(
            req,
            p,
            page.count,
            page.items.iter().map(membership_json).collect(),
        )?,
    ))
}

pub fn add(reg: &Registry, ctx: &Ctx, req: &Req, key: &str) -> Result<Resp> {
    ctx.user()?;
    let mut b = Body::from_req(req)?;
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
            let list = b.uuid_list("users", 200).unwrap_or_default();
            if list.is_empty() && b.errors.is_empty() {
                b.errors.add("users", "This list may not be empty.");
            }
            list
        }
        _ => b.uuid("user", true).into_iter().collect(),
    };
    let input = AddInput {
        users,
        bulk,
        role: role(&mut b),
        is_active: b.boolean("is_active"),
    };
    b.finish()?;
    let (members, _join_request) = ops::add(reg, ctx, &OrgKey::parse(key), input)?;
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
        .with("ETag", ops::etag(m)))
}

pub fn get(c: &Connection, ctx: &Ctx, req: &Req, key: &str, user: &str) -> Result<Resp> {
    let m = ops::get(c, ctx, &OrgKey::parse(key), &who(user)?)?;
    Ok(with_etag(req, &ops::etag(&m), &membership_json(&m)))
}

pub fn update(reg: &Registry, ctx: &Ctx, req: &Req, key: &str, user: &str) -> Result<Resp> {
    ctx.user()?;
    let who = who(user)?;
    let mut b = Body::from_req(req)?;
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
        reg,
        ctx,
        &OrgKey::parse(key),
        &who,
        patch,
        req.header("if-match"),
    )?;
    Ok(Resp::json(200, &membership_json(&m)).with("ETag", ops::etag(&m)))
}

pub fn remove(reg: &Registry, ctx: &Ctx, req: &Req, key: &str, user: &str) -> Result<Resp> {
    ctx.user()?;
    ops::remove(
        reg,
        ctx,
        &OrgKey::parse(key),
        &who(user)?,
        req.header("if-match"),
    )?;
    Ok(Resp::empty(204))
}

pub fn decide(
    reg: &Registry,
    ctx: &Ctx,
    req: &Req,
    key: &str,
    user: &str,
    approve: bool,
) -> Result<Resp> {
    ctx.user()?;
    Body::from_req(req)?.finish()?;
    let m = ops::decide(reg, ctx, &OrgKey::parse(key), &who(user)?, approve)?;
    Ok(Resp::json(200, &membership_json(&m)).with("ETag", ops::etag(&m)))
}
