//! `/v1/users`.

use super::{path_uuid, user_json, METADATA_MAX, NAME_MAX, SHORT_MAX, TEXT_MAX, URL_MAX};
use crate::api::table::Call;
use crate::api::{page_resp, with_etag, Body};
use crate::error::Result;
use crate::http::{Req, Resp};
use crate::registry::users::{self as ops, UserInput};

const FILTERS: &[&str] = &[
    "username",
    "email",
    "is_active",
    "is_staff",
    "is_service_account",
];

const ORDERS: &[(&str, &str)] = &[
    ("username", "username"),
    ("email", "email"),
    ("created", "created"),
];

const READ_ONLY: &[&str] = &["id", "created", "modified", "has_password"];

/// Parses a user body. `full` (PUT) resets omitted optional fields to their defaults.
pub fn parse(req: &Req, create: bool, full: bool) -> Result<UserInput> {
    let mut b = Body::from_req(req)?;
    b.read_only(READ_ONLY);
    let mut i = UserInput {
        username: b.string("username", 1, SHORT_MAX, create || full),
        email: b.nullable_string("email", 254),
        first_name: b.string("first_name", 0, SHORT_MAX, false),
        last_name: b.string("last_name", 0, SHORT_MAX, false),
        company: b.string("company", 0, NAME_MAX, false),
        job_title: b.string("job_title", 0, NAME_MAX, false),
        avatar_url: b.nullable_string("avatar_url", URL_MAX),
        preferred_language: b.string("preferred_language", 0, 35, false),
        metadata: b.object("metadata", METADATA_MAX),
        is_active: b.boolean("is_active"),
        is_staff: b.boolean("is_staff"),
        is_service_account: b.boolean("is_service_account"),
        password: b.nullable_string("password", TEXT_MAX),
    };
    if let Some(name) = &i.username {
        if name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            b.errors.add(
                "username",
                "Must not contain spaces, slashes or control characters.",
            );
        }
    }
    if let Some(Some(email)) = &i.email {
        let ok = email.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !email.contains(char::is_whitespace)
        });
        if !ok {
            b.errors.add("email", "Enter a valid email address.");
        }
    }
    if let Some(Some(url)) = &i.avatar_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            b.errors.add("avatar_url", "Enter a valid http(s) URL.");
        }
    }
    if let Some(Some(p)) = &i.password {
        if p.chars().count() < 8 {
            b.errors
                .add("password", "Ensure this field has at least 8 characters.");
        }
    }
    b.finish()?;
    if full {
        i.email.get_or_insert(None);
        i.first_name.get_or_insert_with(String::new);
        i.last_name.get_or_insert_with(String::new);
        i.company.get_or_insert_with(String::new);
        i.job_title.get_or_insert_with(String::new);
        i.avatar_url.get_or_insert(None);
        i.preferred_language.get_or_insert_with(String::new);
        i.metadata.get_or_insert_with(|| serde_json::json!({}));
    }
    Ok(i)
}

pub fn list(call: &Call) -> Result<Resp> {
    let (p, q) = call.list_query(crate::registry::Resource::Users, FILTERS, ORDERS)?;
    let page = ops::list(call.reg(), &call.ctx, &q)?;
    page_resp(call.req, p, page, user_json)
}

pub fn create(call: &Call) -> Result<Resp> {
    let input = parse(call.req, true, false)?;
    let u = ops::create(call.reg(), &call.ctx, input)?;
    Ok(Resp::json(201, &user_json(&u))
        .with("Location", format!("/v1/users/{}", u.id))
        .with("ETag", crate::api::etag(&u)))
}

pub fn get(call: &Call) -> Result<Resp> {
    let id = call.param("id");
    let u = ops::get(call.reg(), &call.ctx, &ops::UserKey::Id(path_uuid(id)?))?;
    Ok(with_etag(call.req, &u, &user_json(&u)))
}

pub fn update(call: &Call) -> Result<Resp> {
    let id = call.param("id");
    let full = call.req.method == "PUT";
    let id = path_uuid(id)?;
    let input = parse(call.req, false, full)?;
    let u = ops::update(
        call.reg(),
        &call.ctx,
        &id,
        input,
        call.if_match().as_deref(),
    )?;
    Ok(Resp::json(200, &user_json(&u)).with("ETag", crate::api::etag(&u)))
}

pub fn delete(call: &Call) -> Result<Resp> {
    let id = path_uuid(call.param("id"))?;
    ops::delete(call.reg(), &call.ctx, &id, call.if_match().as_deref())?;
    Ok(Resp::empty(204))
}
