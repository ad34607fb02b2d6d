//! Accounts (seed 002): parse → one registry operation → render. Organizations and users
//! are named by their integer `seq`; roles are upper-case on the wire.

use crate::api::table::Call;
use crate::api::Body;
use crate::error::{Error, Errors, FieldErrors, Result};
use crate::http::Resp;
use crate::model::{MemberStatus, Membership, Org, Role, User};
use crate::query::ListQuery;
use crate::registry::members::{self, AddInput, MemberKey, MemberPatch, Who};
use crate::registry::orgs::{self, OrgInput, OrgKey};
use crate::registry::users::UserKey;
use serde_json::{json, Value};

/// The longest organization name (as `/v1`).
const NAME_MAX: usize = 512;
/// The most users one bulk request names.
pub const MAX_IDS: usize = 200;
/// The largest users page (larger `page_size` values are clamped).
pub const MAX_PAGE_SIZE: i64 = 200;
/// The most accounts "my accounts" answers.
const MAX_ACCOUNTS: i64 = 10_000;
/// `sort_by` values for the users list and the member fields they order by.
pub const SORTS: &[(&str, &str)] = &[
    ("username", "username"),
    ("role", "role_rank"),
    ("status", "status"),
    ("is_active", "is_active"),
    ("created", "created"),
];

/// A positive integer id of at most 18 digits (anything else names nothing).
fn int_id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|n| *n > 0)
}

/// The organization the path names: a non-integer id names nothing (404).
fn org_key(call: &Call) -> Result<OrgKey> {
    int_id(call.param("organization_id"))
        .map(OrgKey::Seq)
        .ok_or(Error::NotFound)
}

pub fn role_wire(r: Role) -> &'static str {
    match r {
        Role::Owner => "OWNER",
        Role::Admin => "ADMIN",
        Role::Contributor => "CONTRIBUTOR",
        Role::Accounting => "ACCOUNTING",
        Role::Viewer => "VIEWER",
    }
}

fn status_wire(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Pending => "PENDING",
        MemberStatus::Approved => "APPROVED",
        MemberStatus::Rejected => "REJECTED",
    }
}

pub const ROLES: &[&str] = &["OWNER", "ADMIN", "CONTRIBUTOR", "ACCOUNTING", "VIEWER"];

/// Exactly one of the five upper-case role names.
fn role_from_wire(s: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| role_wire(*r) == s)
}

pub fn account_json(o: &Org) -> Value {
    json!({
        "id": o.seq,
        "organization_name": o.name,
        "owner_id": o.owner.as_ref().map(|u| u.seq),
        "member_count": o.member_count,
        "created": o.created,
        "modified": o.modified,
    })
}

pub fn user_json(m: &Membership, u: &User) -> Value {
    json!({
        "id": u.seq,
        "username": u.username,
        "email": u.email,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "role": role_wire(m.role),
        "is_active": m.is_active,
        "status": status_wire(m.status),
        "created": m.created,
    })
}

/// A registry error naming `from` as the field names it `to` (the wire's name).
fn rename_field(e: Error, from: &str, to: &str) -> Error {
    match e {
        Error::Invalid(fields) => Error::Invalid(
            fields
                .into_iter()
                .map(|(k, v)| (if k == from { to.to_string() } else { k }, v))
                .collect::<FieldErrors>(),
        ),
        Error::Conflict {
            field: Some(f),
            message,
        } if f == from => Error::conflict(to, message),
        other => other,
    }
}

/// `GET /accounts/organizations`: the caller's accounts, a bare array (staff: all).
pub fn list(call: &Call) -> Result<Resp> {
    let page = orgs::list(call.reg(), &call.ctx, &ListQuery::window(MAX_ACCOUNTS, 0))?;
    let items: Vec<Value> = page.items.iter().map(account_json).collect();
    Ok(Resp::json(200, &Value::Array(items)).with("X-Result-Count", page.count.to_string()))
}

/// `organization_name` (required) from a body whose other fields were taken.
fn name(b: &mut Body) -> Option<String> {
    b.string("organization_name", 1, NAME_MAX, true)
}

/// `POST /accounts/organizations` `{organization_name}`: 201 with the account (the
/// caller its owner).
pub fn create(call: &Call) -> Result<Resp> {
    let mut b = Body::from_req(call.req)?;
    let name = name(&mut b);
    b.finish()?;
    let input = OrgInput {
        name,
        ..Default::default()
    };
    let o = orgs::create(call.reg(), &call.ctx, input, None)
        .map_err(|e| rename_field(e, "name", "organization_name"))?
        .org;
    Ok(Resp::json(201, &account_json(&o))
        .with("Location", format!("/accounts/organizations/{}", o.seq)))
}

/// `PUT /accounts/organizations` `{id, organization_name}` and
/// `PUT /accounts/organizations/{organization_id}` `{organization_name}` (an `id` sent
/// there must be the path's).
pub fn update(call: &Call) -> Result<Resp> {
    let path = call.param("organization_id");
    let path_id = if path.is_empty() {
        None
    } else {
        Some(int_id(path).ok_or(Error::NotFound)?)
    };
    let mut b = Body::from_req(call.req)?;
    let body_id = match b.take("id") {
        None => {
            if path_id.is_none() {
                b.errors.add("id", "This field is required.");
            }
            None
        }
        Some(v) => match crate::api::json_int(&v).filter(|n| *n > 0) {
            Some(n) => Some(n),
            None => {
                b.errors.add("id", "Must be a positive integer.");
                None
            }
        },
    };
    if let (Some(p), Some(i)) = (path_id, body_id) {
        if p != i {
            b.errors.add(
                "id",
                format!("Must match the account id in the path ({p})."),
            );
        }
    }
    let name = name(&mut b);
    b.finish()?;
    let id = path_id.or(body_id).ok_or(Error::NotFound)?;
    let input = OrgInput {
        name,
        ..Default::default()
    };
    let o = orgs::update(call.reg(), &call.ctx, &OrgKey::Seq(id), input, None)
        .map_err(|e| rename_field(e, "name", "organization_name"))?
        .org;
    Ok(Resp::json(200, &account_json(&o)))
}

/// `GET /accounts/organizations/{organization_id}`.
pub fn get(call: &Call) -> Result<Resp> {
    let o = orgs::get(call.reg(), &call.ctx, &org_key(call)?)?;
    Ok(Resp::json(200, &account_json(&o)))
}

/// `DELETE /accounts/organizations/{organization_id}`: 204.
pub fn delete(call: &Call) -> Result<Resp> {
    orgs::delete(call.reg(), &call.ctx, &org_key(call)?, None)?;
    Ok(Resp::empty(204))
}

/// `GET` (as the seed has it) or `DELETE .../leave`: the caller's membership ends; 200
/// with no body. The last active owner cannot leave (409).
pub fn leave(call: &Call) -> Result<Resp> {
    // HEAD never reaches here: the GET route is `no_head` (the router answers 405).
    let key = MemberKey::In(org_key(call)?, Who::Me);
    members::remove(call.reg(), &call.ctx, &key, None)?;
    Ok(Resp::empty(200))
}

/// `GET .../role`: the caller's role as a JSON string, e.g. `"OWNER"`.
pub fn role(call: &Call) -> Result<Resp> {
    let key = MemberKey::In(org_key(call)?, Who::Me);
    let m = members::get(call.reg(), &call.ctx, &key)?;
    Ok(Resp::json(200, &json!(role_wire(m.role))))
}

/// `GET .../summary`: `[{name, value}]` metrics.
pub fn summary(call: &Call) -> Result<Resp> {
    let s = orgs::summary(call.reg(), &call.ctx, &org_key(call)?)?;
    let metric = |name: &str, value: Value| json!({"name": name, "value": value});
    let mut out = vec![
        metric("members", json!(s.active + s.inactive)),
        metric("active_members", json!(s.active)),
        metric("inactive_members", json!(s.inactive)),
    ];
    for (role, n) in &s.by_role {
        let wire = Role::parse(role).map(role_wire).unwrap_or("VIEWER");
        out.push(metric(&format!("role_{wire}"), json!(n)));
    }
    out.push(metric("pending_requests", json!(s.pending_requests)));
    out.push(metric("open_invitations", json!(s.open_invitations)));
    out.push(metric("last_activity", json!(s.last_activity)));
    Ok(Resp::json(200, &Value::Array(out)))
}

/// The users page the query asks for: `page_number` (from 0), `page_size`, `sort_by`,
/// `sort_ascending`; every bad value is named at once.
fn users_query(call: &Call) -> Result<(i64, i64, ListQuery)> {
    let req = call.req;
    let mut errors = Errors::default();
    let number = match req.q("page_number") {
        None => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (0..=1_000_000_000).contains(&n) => n,
            _ => {
                errors.add("page_number", "Must be an integer of at least 0.");
                0
            }
        },
    };
    let size = match req.q("page_size") {
        None => 25,
        Some(v) if !v.is_empty() && v.len() <= 40 && v.bytes().all(|b| b.is_ascii_digit()) => {
            match v.parse::<i64>() {
                Ok(0) => {
                    errors.add("page_size", "Must be a positive integer.");
                    25
                }
                Ok(n) => n.min(MAX_PAGE_SIZE),
                Err(_) => MAX_PAGE_SIZE,
            }
        }
        Some(_) => {
            errors.add("page_size", "Must be a positive integer.");
            25
        }
    };
    let ascending = match req.q("sort_ascending") {
        None => true,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                errors.add("sort_ascending", "Must be true or false.");
                true
            }
        },
    };
    let mut order = vec![];
    if let Some(v) = req.q("sort_by") {
        match SORTS.iter().find(|(name, _)| *name == v) {
            Some((_, field)) => order.push((*field, !ascending)),
            None => {
                let names: Vec<&str> = SORTS.iter().map(|(n, _)| *n).collect();
                let shown: String = v.chars().take(64).collect();
                errors.add(
                    "sort_by",
                    format!(
                        "Unknown sort field {shown:?}; use one of: {}.",
                        names.join(", ")
                    ),
                );
            }
        }
    }
    errors.into_result()?;
    let q = ListQuery {
        order,
        limit: size,
        offset: number * size,
        ..Default::default()
    };
    Ok((number, size, q))
}

/// `GET .../users`: one page of the account's users with the paging metadata.
pub fn users(call: &Call) -> Result<Resp> {
    let key = org_key(call)?;
    let (number, size, q) = users_query(call)?;
    let page = members::list_users(call.reg(), &call.ctx, &key, &q)?;
    let users: Vec<Value> = page.items.iter().map(|(m, u)| user_json(m, u)).collect();
    Ok(Resp::json(
        200,
        &json!({
            "page_number": number,
            "page_size": size,
            "total": page.count,
            "total_pages": (page.count + size - 1) / size,
            "users": users,
        }),
    ))
}

/// `{is_active, role, user_ids}`, all required.
fn users_body(call: &Call) -> Result<(Vec<UserKey>, Role, bool)> {
    let mut b = Body::from_req(call.req)?;
    let is_active = b.boolean("is_active");
    if is_active.is_none() && !b.errors.0.contains_key("is_active") {
        b.errors.add("is_active", "This field is required.");
    }
    let role = match b.take("role") {
        None => {
            b.errors.add("role", "This field is required.");
            None
        }
        Some(v) => {
            let r = v.as_str().and_then(role_from_wire);
            if r.is_none() {
                b.errors
                    .add("role", format!("Must be one of: {}.", ROLES.join(", ")));
            }
            r
        }
    };
    let ids = match b.take("user_ids") {
        None => {
            b.errors.add("user_ids", "This field is required.");
            vec![]
        }
        Some(Value::Array(items)) if items.is_empty() => {
            b.errors.add("user_ids", "This list may not be empty.");
            vec![]
        }
        Some(Value::Array(items)) if items.len() > MAX_IDS => {
            b.errors.add(
                "user_ids",
                format!("Ensure this list has at most {MAX_IDS} items."),
            );
            vec![]
        }
        Some(Value::Array(items)) => {
            let mut ids = vec![];
            for v in &items {
                match crate::api::json_int(v).filter(|n| *n > 0) {
                    Some(n) => ids.push(UserKey::Seq(n)),
                    None => {
                        let shown: String = v.to_string().chars().take(64).collect();
                        b.errors.add(
                            "user_ids",
                            format!("{shown} is not a user id (a positive integer)."),
                        );
                    }
                }
            }
            ids
        }
        Some(_) => {
            b.errors
                .add("user_ids", "Must be an array of integer user ids.");
            vec![]
        }
    };
    b.finish()?;
    match (role, is_active) {
        (Some(r), Some(a)) => Ok((ids, r, a)),
        _ => Err(Error::Internal("users body checked".into())),
    }
}

/// `POST .../users` `{is_active, role, user_ids}`: all are added or none (an unknown
/// user, or one already in the account, is named in a 400/409); 200 with the account.
pub fn add_users(call: &Call) -> Result<Resp> {
    let key = org_key(call)?;
    let (users, role, is_active) = users_body(call)?;
    let input = AddInput {
        users,
        bulk: true,
        role: Some(role),
        is_active: Some(is_active),
    };
    let added = members::add(call.reg(), &call.ctx, &key, input)
        .map_err(|e| rename_field(e, "users", "user_ids"))?;
    Ok(Resp::json(200, &account_json(&added.org)))
}

/// `PUT .../users` `{is_active, role, user_ids}`: every named member changes or none;
/// 200 with the account.
pub fn update_users(call: &Call) -> Result<Resp> {
    let key = org_key(call)?;
    let (users, role, is_active) = users_body(call)?;
    let patch = MemberPatch {
        role: Some(role),
        is_active: Some(is_active),
    };
    let (_, o) = members::update_many(call.reg(), &call.ctx, &key, &users, patch)?;
    Ok(Resp::json(200, &account_json(&o)))
}

/// `DELETE .../users/{user_ids}`: comma-separated integer ids; all are removed or none;
/// 204.
pub fn remove_users(call: &Call) -> Result<Resp> {
    let key = org_key(call)?;
    let raw = call.param("user_ids");
    let mut errors = Errors::default();
    let mut users = vec![];
    for part in raw.split(',') {
        match int_id(part.trim()) {
            Some(n) => users.push(UserKey::Seq(n)),
            None => {
                let shown: String = part.chars().take(64).collect();
                errors.add(
                    "user_ids",
                    format!("{shown:?} is not a user id (a positive integer)."),
                );
            }
        }
    }
    if users.len() > MAX_IDS {
        errors.add(
            "user_ids",
            format!("At most {MAX_IDS} user ids per request."),
        );
    }
    errors.into_result()?;
    members::remove_many(call.reg(), &call.ctx, &key, &users)?;
    Ok(Resp::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers_only() {
        assert_eq!(int_id("113"), Some(113));
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            "1.0",
            "abc",
            "1e3",
            "9999999999999999999",
        ] {
            assert_eq!(int_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn roles_are_exactly_the_five_upper_case_names() {
        for r in Role::ALL {
            assert_eq!(role_from_wire(role_wire(r)), Some(r));
        }
        for bad in ["owner", "Owner", " OWNER", "SUPERUSER", ""] {
            assert_eq!(role_from_wire(bad), None, "{bad}");
        }
    }
}
