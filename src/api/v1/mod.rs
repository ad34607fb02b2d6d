//! The native API (`/v1`): parse → call a registry operation → render. Field shapes and
//! validation limits of the contract live here; rules live in the registry.

pub mod activity;
pub mod auth;
pub mod customers;
pub mod doc;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod routes;
pub mod users;

use crate::model::{Activity, Membership, Org, Token, User};
use serde_json::{json, Value};

/// Length limits (characters) for native fields; documented in docs/API.md.
pub const NAME_MAX: usize = 512;
pub const TEXT_MAX: usize = 4096;
pub const SHORT_MAX: usize = 150;
pub const URL_MAX: usize = 2048;
pub const METADATA_MAX: usize = 16 * 1024;

pub fn user_json(u: &User) -> Value {
    json!({
        "id": u.id, "username": u.username, "email": u.email, "first_name": u.first_name,
        "last_name": u.last_name, "company": u.company, "job_title": u.job_title,
        "avatar_url": u.avatar_url, "preferred_language": u.preferred_language,
        "metadata": u.metadata, "is_active": u.is_active, "is_staff": u.is_staff,
        "is_service_account": u.is_service_account, "created": u.created, "modified": u.modified,
    })
}

pub fn org_json(o: &Org) -> Value {
    json!({
        "id": o.id, "name": o.name, "description": o.description, "native_name": o.native_name,
        "abbreviation": o.abbreviation, "logo_url": o.logo_url, "currency_code": o.currency_code,
        "customer": o.customer, "owner": o.owner.as_ref().map(|u| u.id.clone()),
        "metadata": o.metadata, "accepts_join_requests": o.accepts_join_requests,
        "member_count": o.member_count, "created": o.created, "modified": o.modified,
        "created_by": o.created_by.as_ref().map(|u| u.id.clone()),
        "modified_by": o.modified_by.as_ref().map(|u| u.id.clone()),
    })
}

pub fn membership_json(m: &Membership) -> Value {
    json!({
        "id": m.id, "organization": m.organization, "user": m.user, "username": m.username,
        "role": m.role.as_str(), "status": m.status.as_str(), "is_active": m.is_active,
        "created": m.created, "modified": m.modified, "approved_by": m.approved_by,
        "approved_at": m.approved_at,
    })
}

pub fn token_json(t: &Token) -> Value {
    json!({
        "id": t.id, "name": t.name, "kind": t.kind, "prefix": t.prefix, "expires": t.expires,
        "last_used": t.last_used, "created": t.created,
    })
}

pub fn activity_json(a: &Activity) -> Value {
    json!({
        "id": a.id, "at": a.at, "actor": a.actor, "action": a.action,
        "object_type": a.object_type, "object_id": a.object_id,
        "organization": a.organization, "changes": a.changes, "request_id": a.request_id,
        "surface": a.surface,
    })
}

/// A path segment that must be a UUID; anything else cannot name an object (404).
pub fn path_uuid(seg: &str) -> crate::error::Result<String> {
    crate::model::parse_uuid(seg).ok_or(crate::error::Error::NotFound)
}
