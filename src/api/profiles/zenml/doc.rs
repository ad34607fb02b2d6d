//! The ZenML profile's part of the description: its operations and schemas.

use crate::api::doc::*;
use serde_json::{json, Map, Value};

/// ZenML's error responses: `{"detail": [class, message]}`.
fn zenml_errors(mut o: Op, statuses: &[u16]) -> Op {
    for s in statuses.iter().chain(&[503]) {
        o = o.response(
            *s,
            json!({"description": zenml_error_text(*s), "content": {"application/json": {"schema": sref("ZenmlError")}}}),
        );
    }
    o
}

fn zenml_error_text(status: u16) -> &'static str {
    match status {
        400 => "ValueError: malformed request.",
        401 => "CredentialsNotValid: no or bad credentials.",
        403 => "IllegalOperationError: not allowed.",
        404 => "KeyError: no such organization (or not visible).",
        409 => "EntityExistsError, or OrganizationLimitExceeded for a user who already owns one.",
        415 => "ValueError: the body is not JSON.",
        422 => "ValidationError: invalid fields.",
        503 => "ServiceUnavailable: storage busy; retry shortly.",
        _ => "An error.",
    }
}

fn item_param() -> Value {
    json!({"name": "organization_id_or_name", "in": "path", "required": true,
        "description": "The organization's uuid, or its unique name.", "schema": {"type": "string"}})
}

fn subscription() -> Value {
    q(
        "include_subscription_status",
        json!({"type": "boolean", "default": false}),
        "Include `has_active_subscription`.",
    )
}

pub fn list(o: Op) -> Op {
    let o = o
        .summary("ZenML: organizations the caller belongs to, as a bare array")
        .params(vec![
            q(
                "offset",
                json!({"type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0}),
                "Query offset.",
            ),
            q(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": i64::MAX, "default": 100}),
                "Query limit (larger values are clamped to 10000).",
            ),
            q(
                "name",
                json!({"type": "string", "maxLength": 512}),
                "Filter by organization name (case-insensitive).",
            ),
            q(
                "owner_id",
                json!({"type": "string", "format": "uuid"}),
                "Filter by the owner's id.",
            ),
            subscription(),
        ])
        .ok(
            200,
            "The organizations.",
            Some(json!({"type": "array", "items": sref("ZenmlOrganization")})),
            &[],
        );
    zenml_errors(o, &[401, 422])
}

pub fn create(o: Op) -> Op {
    let o = o
        .summary("ZenML: create an organization (owner: the caller unless staff names another)")
        .describe("Service accounts cannot create (403); only staff create for another owner (403); a user who already owns an organization gets `OrganizationLimitExceeded` (409). A duplicate name or id is `EntityExistsError` (409).")
        .body("ZenmlOrganizationCreate", true)
        .ok(201, "Created.", Some(sref("ZenmlOrganization")), &[]);
    with_body(zenml_errors(o, &[400, 401, 403, 409, 422]))
}

pub fn get(o: Op) -> Op {
    let o = o
        .summary("ZenML: an organization by id or name")
        .params(vec![item_param(), subscription()])
        .ok(
            200,
            "The organization.",
            Some(sref("ZenmlOrganization")),
            &[],
        );
    zenml_errors(o, &[401, 404, 422])
}

pub fn update(o: Op) -> Op {
    let o = o
        .summary("ZenML: change an organization (owners, admins, staff)")
        .params(vec![item_param()])
        .body("ZenmlOrganizationUpdate", false)
        .ok(
            200,
            "The organization.",
            Some(sref("ZenmlOrganization")),
            &[],
        );
    with_body(zenml_errors(o, &[400, 401, 403, 404, 409, 422]))
}

pub fn delete(o: Op) -> Op {
    let o = o
        .summary("ZenML: delete an organization (owners, staff)")
        .params(vec![item_param()])
        .ok(204, "Deleted.", None, &[]);
    zenml_errors(o, &[401, 403, 404])
}

pub fn login(o: Op) -> Op {
    let o = o
        .summary("ZenML: exchange an API key (an orgreg token) for a bearer token")
        .public()
        .form_body("ZenmlLogin")
        .ok(
            200,
            "A bearer token (24 hours).",
            Some(sref("ZenmlToken")),
            &[],
        );
    with_body(zenml_errors(o, &[400, 401]))
}

/// Operations with a body: 415 in ZenML's shape, 413 from the HTTP layer.
fn with_body(o: Op) -> Op {
    zenml_errors(o, &[415]).response(
        413,
        json!({"$ref": "#/components/responses/ContentTooLarge"}),
    )
}

pub fn schemas(s: &mut Map<String, Value>) {
    let text = || json!({"type": "string"});
    let nullable_text = || json!({"type": ["string", "null"]});
    s.insert("ZenmlError".into(), json!({
        "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "array", "items": text(), "minItems": 2, "maxItems": 2, "description": "The exception class, then the message."}},
    }));
    s.insert("ZenmlUser".into(), json!({
        "type": "object",
        "required": ["id", "name", "username", "is_active", "is_superuser", "is_service_account"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "name": text(), "username": text(),
            "email": nullable_text(), "avatar_url": nullable_text(), "company": text(), "job_title": text(),
            "metadata": {"type": "object"}, "oauth_provider": {"type": "null"}, "oauth_id": {"type": "null"},
            "is_active": {"type": "boolean"}, "is_superuser": {"type": "boolean"},
            "is_service_account": {"type": "boolean"}, "organization_id": {"type": "null"},
            "is_onboarded": {"type": "boolean"},
        },
        "additionalProperties": false,
    }));
    s.insert("ZenmlOrganization".into(), json!({
        "type": "object", "required": ["id", "name", "created", "updated"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "name": text(), "description": text(),
            "logo_url": nullable_text(), "created": text(), "updated": text(),
            "owner": {"anyOf": [sref("ZenmlUser"), {"type": "null"}]},
            "has_active_subscription": {"type": ["boolean", "null"]}, "trial_expiry": {"type": "null"},
        },
        "additionalProperties": false,
    }));
    let uuid = || json!({"type": ["string", "null"], "format": "uuid"});
    s.insert("ZenmlOrganizationCreate".into(), json!({
        "type": "object", "required": ["name"],
        "properties": {
            "id": uuid(), "name": {"type": "string", "minLength": 1, "maxLength": 512, "pattern": "\\S"},
            "description": {"type": ["string", "null"], "maxLength": 4096},
            "logo_url": {"type": ["string", "null"], "maxLength": 2048}, "owner_id": uuid(),
        },
        "additionalProperties": false,
    }));
    s.insert(
        "ZenmlOrganizationUpdate".into(),
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 512, "pattern": "\\S"},
                "description": {"type": ["string", "null"], "maxLength": 4096},
                "logo_url": {"type": ["string", "null"], "maxLength": 2048}, "owner_id": uuid(),
            },
            "additionalProperties": false,
        }),
    );
    s.insert("ZenmlLogin".into(), json!({
        "type": "object",
        "properties": {"password": {"type": "string", "description": "The API key (an orgreg token)."}, "username": text()},
    }));
    s.insert("ZenmlToken".into(), json!({
        "type": "object", "required": ["access_token", "token_type"],
        "properties": {"access_token": text(), "token_type": {"const": "bearer"}, "expires_in": {"type": ["integer", "null"]}},
    }));
}
