//! The ezeep profile's part of the description: its operations and schemas.

use super::map::{CURRENCIES, LANGUAGES};
use crate::api::doc::*;
use crate::api::v1::{NAME_MAX, SHORT_MAX};
use serde_json::{json, Map, Value};

fn item_param() -> Value {
    path_uuid("id", "The organization's uuid.")
}

pub fn list(o: Op) -> Op {
    o.summary("ezeep: the organizations the caller sees")
        .params(limit_offset_params(100, 1000))
        .ok(
            200,
            "A page of organizations.",
            Some(sref("EzeepOrganizationPage")),
            &[],
        )
}

pub fn create(o: Op) -> Op {
    o.summary("ezeep: create an organization with an admin user or an admin invitation")
        .describe("Exactly one of `admin_user` (an existing user's uuid: that user becomes the owner; naming another user than the caller is staff-only, so partner credentials are staff tokens) and `admin_user_invitation` (the caller owns the organization and an invitation with role `owner` goes to the email, in the same transaction). `currency_code` is required. A client-sent `id` is ignored; unknown fields are ignored.")
        .body("EzeepOrganizationCreate", true)
        .ok(201, "Created.", Some(sref("EzeepOrganizationCreated")), &[])
        .errors(&[400, 403, 409, 413, 415])
}

pub fn get(o: Op) -> Op {
    o.summary("ezeep: an organization")
        .params(vec![item_param()])
        .ok(
            200,
            "The organization.",
            Some(sref("EzeepOrganization")),
            &[],
        )
        .errors(&[404])
}

pub fn update(o: Op) -> Op {
    o.summary("ezeep: rename an organization (owners, admins, staff)")
        .params(vec![item_param()])
        .body("EzeepOrganizationUpdate", true)
        .ok(
            200,
            "The organization.",
            Some(sref("EzeepOrganization")),
            &[],
        )
        .errors(&[400, 403, 404, 409, 413, 415])
}

pub fn delete(o: Op) -> Op {
    o.summary("ezeep: delete an organization with its memberships, invitations and orphaned users")
        .describe("Owners and staff. In one transaction, with activity rows: the organization, its memberships and invitations, and every member (staff excepted) who belongs to no other organization.")
        .params(vec![item_param()])
        .ok(204, "Deleted.", None, &[])
        .errors(&[403, 404])
}

pub fn members(o: Op) -> Op {
    let mut params = vec![item_param()];
    params.extend(limit_offset_params(100, 1000));
    o.summary("ezeep: the members of an organization")
        .params(params)
        .ok(
            200,
            "A page of members.",
            Some(sref("EzeepMemberPage")),
            &[],
        )
        .errors(&[404])
}

fn envelope(item: &str) -> Value {
    out(json!({
        "count": integer(),
        "next": with(nullable(string()), "description", json!("The next page's URL, or null.")),
        "previous": with(nullable(string()), "description", json!("The previous page's URL, or null.")),
        "results": {"type": "array", "items": sref(item)},
    }))
}

pub fn schemas(s: &mut Map<String, Value>) {
    let name = || text(1, NAME_MAX);
    let short = || text(1, SHORT_MAX);
    s.insert(
        "EzeepOrganization".into(),
        out(json!({"id": uuid(), "name": string(), "azure_profile": {"type": "null"}})),
    );
    s.insert(
        "EzeepOrganizationPage".into(),
        envelope("EzeepOrganization"),
    );
    s.insert(
        "EzeepInvitationCreate".into(),
        json!({
            "type": "object", "required": ["email", "expire_date", "user"],
            "properties": {
                "email": {"type": "string", "format": "email", "maxLength": 254},
                "expire_date": with(time(), "description", json!("When the invitation expires (in the future).")),
                "user": {
                    "type": "object", "required": ["first_name", "last_name", "preferred_language"],
                    "properties": {
                        "first_name": short(), "last_name": short(),
                        "preferred_language": enumerated(LANGUAGES),
                    },
                },
            },
        }),
    );
    let common = json!({
        "id": with(uuid(), "description", json!("Ignored.")),
        "name": name(),
        "currency_code": enumerated(CURRENCIES),
    });
    let variant = |admin: &str, schema: Value| {
        let mut props = common.clone();
        props[admin] = schema;
        json!({"type": "object", "required": ["name", admin, "currency_code"], "properties": props})
    };
    s.insert(
        "EzeepOrganizationCreate".into(),
        json!({"oneOf": [
            variant("admin_user", with(uuid(), "description", json!("An existing user's uuid: the owner."))),
            variant("admin_user_invitation", sref("EzeepInvitationCreate")),
        ]}),
    );
    s.insert(
        "EzeepInvitation".into(),
        out(json!({
            "id": uuid(), "updated": time(), "email": string(), "expire_date": time(),
            "delivery_status": enumerated(&["SENT", "FAILED"]),
            "invitation_status": enumerated(&["OPEN", "ACCEPTED", "REVOKED", "EXPIRED"]),
            "user": out(json!({
                "id": with(json!({"type": "null"}), "description", json!("Null: the user is created when the invitation is accepted.")),
                "first_name": string(), "last_name": string(), "preferred_language": enumerated(LANGUAGES),
            })),
        })),
    );
    s.insert(
        "EzeepOrganizationCreated".into(),
        json!({
            "type": "object", "required": ["id", "name"],
            "properties": {
                "id": uuid(), "name": string(),
                "admin_user": with(uuid(), "description", json!("With `admin_user`: the owner.")),
                "admin_user_invitation": sref("EzeepInvitation"),
            },
        }),
    );
    s.insert(
        "EzeepOrganizationUpdate".into(),
        json!({"type": "object", "required": ["name"], "properties": {"name": name()}}),
    );
    s.insert(
        "EzeepMember".into(),
        out(json!({
            "id": uuid(), "email": nullable(string()), "first_name": string(), "last_name": string(),
            "preferred_language": string(), "role": enumerated(ROLES), "is_active": boolean(),
        })),
    );
    s.insert("EzeepMemberPage".into(), envelope("EzeepMember"));
}
