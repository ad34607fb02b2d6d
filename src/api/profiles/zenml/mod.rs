//! The ZenML Pro profile (seed 001): `/organizations` — list (a bare array, `offset` /
//! `limit`), create (`owner_id` defaults to the caller), get by id or name, PATCH,
//! DELETE — and `POST /auth/login` (an API key for a bearer token), with ZenML's error
//! body `{"detail": ["ExceptionClass", "message"]}`.
//!
//! Rule set: a user owns at most one organization (`OrganizationLimitExceeded`); the
//! rest as the native API (service accounts cannot create; only staff create for another
//! owner). This file is the route table; `map.rs` the mapping; `doc.rs` the description.

mod doc;
mod map;

use crate::api::table::{Caller, Profile, Route};
use crate::error::{Broken, Error};
use crate::http::{Req, Resp};
use crate::registry::rules::{RuleSet, NATIVE};
use serde_json::json;

#[rustfmt::skip]
fn routes() -> Vec<Route> {
    use Caller::{Anyone, User};
    const ITEM: &str = "/organizations/{organization_id_or_name}";
    vec![
        Route::new("GET", "/organizations", "zenmlListOrganizations", User, map::list, doc::list),
        Route::new("POST", "/organizations", "zenmlCreateOrganization", User, map::create, doc::create),
        Route::new("GET", ITEM, "zenmlGetOrganization", User, map::get, doc::get),
        Route::new("PATCH", ITEM, "zenmlUpdateOrganization", User, map::update, doc::update),
        Route::new("DELETE", ITEM, "zenmlDeleteOrganization", User, map::delete, doc::delete),
        Route::new("POST", "/auth/login", "zenmlLogin", Anyone, map::login, doc::login),
    ]
}

pub const RULES: RuleSet = RuleSet {
    surface: "zenml",
    owned_limit: Some(1),
    ..NATIVE
};

const TAGS: &[(&str, &str)] = &[(
    "zenml",
    "The ZenML Pro profile (`/organizations`, `/auth/login`): dashed uuids (or the name where the seed allows), bare JSON arrays paged by `offset`/`limit`, errors as `{\"detail\": [\"ExceptionClass\", \"message\"]}`. Served only when the profile is mounted.",
)];

pub fn surface() -> Profile {
    Profile {
        schemas: doc::schemas,
        ..Profile::new("zenml", TAGS, &RULES, routes(), error)
    }
}

/// ZenML's error body: the exception class its client maps, and a message.
pub fn error(e: &Error, _: &Req) -> Resp {
    let (status, class) = match e {
        Error::Unauthenticated(_) | Error::LockedOut(_) => (401, "CredentialsNotValid"),
        Error::Forbidden(_) => (403, "IllegalOperationError"),
        Error::NotFound | Error::InvalidPage => (404, "KeyError"),
        Error::Rule(Broken::OrgLimit(_)) => (409, "OrganizationLimitExceeded"),
        Error::Conflict { .. } | Error::Rule(_) => (409, "EntityExistsError"),
        Error::Invalid(_) => (422, "ValidationError"),
        Error::BadRequest(_) | Error::UnsupportedMediaType | Error::PayloadTooLarge(_) => {
            (e.status(), "ValueError")
        }
        Error::MethodNotAllowed(_) => (405, "MethodNotAllowed"),
        Error::Unavailable => (503, "ServiceUnavailable"),
        Error::RateLimited(_) => (429, "TooManyRequests"),
        _ => (e.status(), "RuntimeError"),
    };
    let message = match e {
        Error::Invalid(fields) => fields
            .iter()
            .map(|(f, ms)| format!("{f}: {}", ms.join(" ")))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Unauthenticated(_) => "Authentication error: invalid or missing credentials.".into(),
        Error::Forbidden(m) if !m.is_empty() => m.clone(),
        Error::Forbidden(_) => "You are not allowed to perform this operation.".into(),
        Error::NotFound => "Organization not found.".into(),
        other => other.detail(),
    };
    let mut r = Resp::json(status, &json!({"detail": [class, message]}));
    crate::http::decorate_error(&mut r, e);
    if status == 401 {
        r.headers.retain(|(k, _)| k != "WWW-Authenticate");
        r.headers.push(("WWW-Authenticate".into(), "Bearer".into()));
    }
    r
}
