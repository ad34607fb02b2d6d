//! ezeep partner organizations: parse → one registry operation → render.

use crate::api::profiles::drf;
use crate::api::table::Call;
use crate::api::v1::{NAME_MAX, SHORT_MAX};
use crate::error::{Error, Errors, Result};
use crate::http::Resp;
use crate::model::{self, Invitation, Membership, Org, Role, User};
use crate::query::ListQuery;
use crate::registry::invitations::InviteInput;
use crate::registry::members;
use crate::registry::orgs::{self, FirstInvite, OrgInput, OrgKey};
use serde_json::{json, Map, Value};

/// Lists answer this many items unless `limit` says otherwise, and never more than `MAX`.
const LIMIT: i64 = 100;
const MAX: i64 = 1000;
pub const CURRENCIES: &[&str] = &["USD", "EUR"];
pub const LANGUAGES: &[&str] = &["en", "de"];
/// The role the invited administrator gets (ezeep's organization admin is the top role).
const INVITED_ROLE: Role = Role::Owner;

/// A time as ezeep (Django) renders it: microseconds, `Z`.
fn micros(t: &str) -> String {
    match model::parse_time(t) {
        Some(ms) => {
            let s = model::format_ms(ms);
            format!("{}000Z", s.trim_end_matches('Z'))
        }
        None => t.to_string(),
    }
}

fn org_json(o: &Org) -> Value {
    json!({"id": o.id, "name": o.name, "azure_profile": null})
}

/// The seed's invitation object. `user.id` is null: orgreg creates the user when the
/// invitation is accepted (docs/profiles/ezeep.md).
fn invitation_json(i: &Invitation) -> Value {
    json!({
        "id": i.id,
        "updated": micros(&i.modified),
        "email": i.email,
        "expire_date": micros(&i.expires),
        "delivery_status": i.delivery_status.to_ascii_uppercase(),
        "invitation_status": i.effective_status(&model::now()).to_ascii_uppercase(),
        "user": {
            "id": null,
            "first_name": i.first_name,
            "last_name": i.last_name,
            "preferred_language": i.preferred_language,
        },
    })
}

fn member_json(m: &Membership, u: &User) -> Value {
    json!({
        "id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
        "preferred_language": u.preferred_language, "role": m.role.as_str(), "is_active": m.is_active,
    })
}

/// The organization a path names: a uuid only (anything else names nothing).
fn key(call: &Call) -> Result<OrgKey> {
    model::parse_uuid(call.param("id"))
        .map(OrgKey::Id)
        .ok_or(Error::NotFound)
}

/// `GET /partner/v1/organizations/`: `limit`/`offset` in the `count/next/previous/results`
/// envelope.
pub fn list(call: &Call) -> Result<Resp> {
    let window = drf::limit_offset(call.req, LIMIT, MAX);
    let page = orgs::list(
        call.reg(),
        &call.ctx,
        &ListQuery::window(window.0, window.1),
    )?;
    let results = page.items.iter().map(org_json).collect();
    Ok(Resp::json(
        200,
        &drf::offset_envelope(call.req, window, page.count, results),
    ))
}

/// Adds `sub`'s field errors to `errors` under `prefix.`.
fn nest(prefix: &str, sub: Errors, errors: &mut Errors) {
    for (field, messages) in sub.0 {
        for m in messages {
            errors.add(&format!("{prefix}.{field}"), m);
        }
    }
}

/// A required string that must be one of `values`.
fn choice(m: &Map<String, Value>, name: &str, values: &[&str], errors: &mut Errors) -> String {
    let v = drf::string(m, name, 16, true, errors).unwrap_or_default();
    if !v.is_empty() && !values.contains(&v.as_str()) {
        errors.add(
            name,
            format!(
                "\"{v}\" is not a valid choice: one of {}.",
                values.join(", ")
            ),
        );
    }
    v
}

fn object<'a>(
    m: &'a Map<String, Value>,
    name: &str,
    errors: &mut Errors,
) -> Option<&'a Map<String, Value>> {
    match m.get(name) {
        Some(Value::Object(o)) => Some(o),
        None | Some(Value::Null) => {
            errors.add(name, "This field is required.");
            None
        }
        Some(_) => {
            errors.add(name, "Must be a JSON object.");
            None
        }
    }
}

/// `admin_user_invitation`: `{email, expire_date, user: {first_name, last_name,
/// preferred_language}}`, all required.
fn invitation(m: &Map<String, Value>, errors: &mut Errors) -> InviteInput {
    let mut e = Errors::default();
    let email = drf::string(m, "email", 254, true, &mut e).unwrap_or_default();
    let valid = email
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        && !email.contains(char::is_whitespace);
    if !email.is_empty() && !valid {
        e.add("email", "Enter a valid email address.");
    }
    let expires = match drf::string(m, "expire_date", 64, true, &mut e) {
        Some(s) => match model::parse_time(&s) {
            Some(ms) if ms > model::now_ms() => Some(model::format_ms(ms)),
            Some(_) => {
                e.add("expire_date", "Must be in the future.");
                None
            }
            None => {
                e.add("expire_date", "Must be an RFC 3339 date-time.");
                None
            }
        },
        None => None,
    };
    let mut input = InviteInput {
        email,
        role: Some(INVITED_ROLE),
        expires,
        ..Default::default()
    };
    if let Some(user) = object(m, "user", &mut e) {
        let mut u = Errors::default();
        input.first_name =
            drf::string(user, "first_name", SHORT_MAX, true, &mut u).unwrap_or_default();
        input.last_name =
            drf::string(user, "last_name", SHORT_MAX, true, &mut u).unwrap_or_default();
        input.preferred_language = choice(user, "preferred_language", LANGUAGES, &mut u);
        nest("user", u, &mut e);
    }
    nest("admin_user_invitation", e, errors);
    input
}

/// Who administers the new organization.
enum Admin {
    User(String),
    Invite(InviteInput),
}

/// `POST /partner/v1/organizations/`: with `admin_user` (an existing user becomes the
/// owner) or `admin_user_invitation` (the caller owns it; the invitation makes its
/// recipient an owner on acceptance), in one transaction. A client-sent `id` is ignored.
pub fn create(call: &Call) -> Result<Resp> {
    let m = drf::body(call.req)?;
    let mut errors = Errors::default();
    let name = drf::string(&m, "name", NAME_MAX, true, &mut errors);
    let currency = choice(&m, "currency_code", CURRENCIES, &mut errors);
    let present = |k: &str| m.get(k).filter(|v| !v.is_null());
    let admin = match (present("admin_user"), present("admin_user_invitation")) {
        (Some(u), None) => match u.as_str().and_then(model::parse_uuid) {
            Some(id) => Some(Admin::User(id)),
            None => {
                errors.add("admin_user", "Must be a valid UUID.");
                None
            }
        },
        (None, Some(_)) => object(&m, "admin_user_invitation", &mut errors)
            .map(|i| Admin::Invite(invitation(i, &mut errors))),
        _ => {
            errors.add(
                "admin_user",
                "Send exactly one of admin_user and admin_user_invitation.",
            );
            None
        }
    };
    errors.into_result()?;
    let (owner, invite) = match admin {
        Some(Admin::User(id)) => (Some(id), None),
        Some(Admin::Invite(input)) => (
            None,
            Some(FirstInvite {
                input,
                base_url: call.req.base_url(),
            }),
        ),
        None => return Err(Error::field("admin_user", "This field is required.")),
    };
    let input = OrgInput {
        name,
        currency_code: Some(Some(currency)),
        owner,
        ..Default::default()
    };
    let saved = orgs::create(call.reg(), &call.ctx, input, invite).map_err(owner_is_admin_user)?;
    let o = saved.org;
    let body = match saved.invitation {
        Some((inv, _secret)) => {
            json!({"id": o.id, "name": o.name, "admin_user_invitation": invitation_json(&inv)})
        }
        None => json!({"id": o.id, "name": o.name, "admin_user": o.owner.map(|u| u.id)}),
    };
    Ok(Resp::json(201, &body))
}

/// The registry names the owner `owner`; this surface calls it `admin_user`.
fn owner_is_admin_user(e: Error) -> Error {
    match e {
        Error::Invalid(mut fields) => {
            if let Some(messages) = fields.remove("owner") {
                fields.insert("admin_user".into(), messages);
            }
            Error::Invalid(fields)
        }
        other => other,
    }
}

/// `GET /partner/v1/organizations/{id}`.
pub fn get(call: &Call) -> Result<Resp> {
    let o = orgs::get(call.reg(), &call.ctx, &key(call)?)?;
    Ok(Resp::json(200, &org_json(&o)))
}

/// `PATCH /partner/v1/organizations/{id}`: `name` (required).
pub fn update(call: &Call) -> Result<Resp> {
    let key = key(call)?;
    let m = drf::body(call.req)?;
    let mut errors = Errors::default();
    let name = drf::string(&m, "name", NAME_MAX, true, &mut errors);
    errors.into_result()?;
    let input = OrgInput {
        name,
        ..Default::default()
    };
    let o = orgs::update(call.reg(), &call.ctx, &key, input, None)?.org;
    Ok(Resp::json(200, &org_json(&o)))
}

/// `DELETE /partner/v1/organizations/{id}`: 204; memberships, invitations and the members
/// who belong to no other organization go with it (the rule set's
/// `delete_orphaned_users`), in one transaction.
pub fn delete(call: &Call) -> Result<Resp> {
    orgs::delete(call.reg(), &call.ctx, &key(call)?, None)?;
    Ok(Resp::empty(204))
}

/// `GET /partner/v1/organizations/{id}/members/`: `limit`/`offset` envelope.
pub fn members(call: &Call) -> Result<Resp> {
    let key = key(call)?;
    let window = drf::limit_offset(call.req, LIMIT, MAX);
    let q = ListQuery::window(window.0, window.1);
    let page = members::list_users(call.reg(), &call.ctx, &key, &q)?;
    let results = page.items.iter().map(|(m, u)| member_json(m, u)).collect();
    Ok(Resp::json(
        200,
        &drf::offset_envelope(call.req, window, page.count, results),
    ))
}
