//! The ezeep profile (seed 004): `/partner/v1/organizations/` — list (`limit`/`offset`,
//! `count/next/previous/results`), create with `admin_user` or `admin_user_invitation`
//! (`currency_code` ∈ {USD, EUR}), get, PATCH name, DELETE (with the members who belong to
//! no other organization) — and the members of one at `.../{id}/members/`. Dashed uuids,
//! `Bearer` tokens, errors as the native problem body.
//!
//! Rule set: deleting an organization deletes its orphaned (non-staff) members in the same
//! transaction; the rest as the native API (only staff create for another `admin_user`,
//! so ezeep partner credentials are staff tokens). This file is the route table; `map.rs`
//! the mapping; `doc.rs` the description.

mod doc;
mod map;

use crate::api::table::{Caller, Profile, Route};
use crate::error::Error;
use crate::http::{Req, Resp};
use crate::registry::rules::{RuleSet, NATIVE};

pub const RULES: RuleSet = RuleSet {
    surface: "ezeep",
    delete_orphaned_users: true,
    ..NATIVE
};

const TAGS: &[(&str, &str)] = &[(
    "ezeep",
    "The ezeep partner profile (`/partner/v1/organizations/`): dashed uuids, lists in the `count/next/previous/results` envelope paged by `limit`/`offset`, `Bearer` tokens, errors as problem details. Deleting an organization here also deletes its members who belong to no other organization (staff kept). Served only when the profile is mounted.",
)];

#[rustfmt::skip]
fn routes() -> Vec<Route> {
    use Caller::User;
    const LIST: &str = "/partner/v1/organizations/";
    const ITEM: &str = "/partner/v1/organizations/{id}";
    vec![
        Route::new("GET", LIST, "ezeepListOrganizations", User, map::list, doc::list),
        Route::new("POST", LIST, "ezeepCreateOrganization", User, map::create, doc::create),
        Route::new("GET", ITEM, "ezeepGetOrganization", User, map::get, doc::get),
        Route::new("PATCH", ITEM, "ezeepUpdateOrganization", User, map::update, doc::update),
        Route::new("DELETE", ITEM, "ezeepDeleteOrganization", User, map::delete, doc::delete),
        Route::new("GET", "/partner/v1/organizations/{id}/members/", "ezeepListMembers", User, map::members, doc::members),
    ]
}

pub fn surface() -> Profile {
    Profile {
        schemas: doc::schemas,
        ..Profile::new("ezeep", TAGS, &RULES, routes(), error)
    }
}

/// ezeep answers errors as the native problem body.
fn error(e: &Error, req: &Req) -> Resp {
    crate::http::problem(e, &req.request_id)
}
