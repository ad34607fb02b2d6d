//! The AWX part of the description: one function per operation of the route table in
//! `mod.rs` (the same for `/api/v1/` and `/api/v2/`; the assembler gives each its id, tag
//! and security), and the `Awx*` component schemas.

use crate::api::doc::*;
use serde_json::{json, Map, Value};

fn int64() -> Value {
    json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX})
}

fn org_id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "The organization's integer id; anything else names nothing (404).", "schema": int64()})
}

fn user_id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "The user's integer id; anything else names nothing (404).", "schema": int64()})
}

fn username() -> Value {
    json!({"name": "username", "in": "path", "required": true, "description": "The caller's username, id or integer id; anyone else is 403.", "schema": {"type": "string", "minLength": 1}})
}

/// The version an operation belongs to (`V1`/`V2`), from its id (`awxV2...`).
fn version(o: &Op) -> String {
    o.id().get(3..5).unwrap_or("V2").to_string()
}

/// AWX `order_by`: comma-separated keys, `-` for descending; an unknown key is 400.
fn order(keys: &[&str]) -> Value {
    let keys: Vec<String> = keys
        .iter()
        .flat_map(|o| [o.to_string(), format!("-{o}")])
        .collect();
    let mut order = q(
        "order_by",
        json!({"type": "array", "items": {"type": "string", "enum": keys}, "minItems": 1, "maxItems": 8}),
        "Comma-separated ordering keys (`-` for descending). `order` is an alias.",
    );
    order["style"] = json!("form");
    order["explode"] = json!(false);
    order
}

fn exact(name: &str) -> Value {
    q(
        name,
        json!({"type": "string", "maxLength": 512}),
        "Exact match (case-insensitive for names and emails).",
    )
}

fn contains(name: &str) -> Value {
    q(
        name,
        json!({"type": "string", "maxLength": 512}),
        "Case-insensitive substring.",
    )
}

/// An AWX paged list: paging, ordering and field lookups (any other query key is 400).
fn list(o: Op, summary: &str, item: &str, params: Vec<Value>) -> Op {
    o.summary(summary)
        .params(drf_paging(25, 200))
        .params(params)
        .ok(200, "One page.", Some(page_of(item)), &[])
        .errors(&[400, 404])
}

/// An OPTIONS operation answering a DRF metadata document.
fn options(o: Op, summary: &str) -> Op {
    o.summary(summary).ok(
        200,
        "The DRF metadata document.",
        Some(sref("AwxMetadata")),
        &[],
    )
}

// ---- discovery, login, tokens ----

pub fn api_root(o: Op) -> Op {
    o.summary("AWX: the API root and its versions").ok(
        200,
        "The root.",
        Some(sref("AwxApiRoot")),
        &[],
    )
}

pub fn login_info(o: Op) -> Op {
    o.summary("AWX: how to log in")
        .ok(200, "A hint.", Some(sref("DrfDetail")), &[])
}

pub fn login(o: Op) -> Op {
    o.summary("AWX: session login")
        .describe("Form-encoded (or JSON) `username`, `password` and `next`. Success sets a `sessionid` cookie (30 minutes, accepted by every AWX and Waldur route) and redirects to `next` when it is a local path, else to `/api/`. Missing fields and wrong credentials are 401; too many failures for the username or the client address are 429.")
        .form_body("AwxLogin")
        .response(302, json!({"description": "Logged in.", "headers": hdrs(&["Location", "Set-Cookie"])}))
        .errors(&[400, 401, 413, 415, 429, 503])
}

pub fn version_root(o: Op) -> Op {
    o.summary("AWX: the version root")
        .ok(200, "The links.", Some(sref("AwxVersionRoot")), &[])
}

pub fn ping(o: Op) -> Op {
    o.summary("AWX: ping (no credentials needed)")
        .ok(200, "Alive.", Some(sref("AwxPing")), &[])
}

pub fn config(o: Op) -> Op {
    o.summary("AWX: server configuration").ok(
        200,
        "The configuration.",
        Some(sref("AwxConfig")),
        &[],
    )
}

pub fn me(o: Op) -> Op {
    o.summary("AWX: the caller, as a one-item page").ok(
        200,
        "The caller.",
        Some(page_of("AwxUser")),
        &[],
    )
}

pub fn create_personal_token(o: Op) -> Op {
    o.summary("AWX: create a personal access token for the caller")
        .params(vec![username()])
        .body("AwxTokenCreate", false)
        .ok(
            201,
            "The token; its secret appears only here.",
            Some(sref("AwxToken")),
            &[],
        )
        .errors(&[400, 403, 413, 415])
}

pub fn personal_token_options(o: Op) -> Op {
    options(o, "AWX: the personal token form").params(vec![username()])
}

// ---- users ----

pub fn list_users(o: Op) -> Op {
    list(
        o,
        "AWX: users (staff see all; others themselves and their co-members)",
        "AwxUser",
        vec![
            order(&["id", "username", "created"]),
            q("id", int64(), "Exact match."),
            exact("username"),
            contains("username__icontains"),
            exact("email"),
            exact("first_name"),
            exact("last_name"),
        ],
    )
}

pub fn get_user(o: Op) -> Op {
    o.summary("AWX: a user (staff, themself, or a co-member)")
        .params(vec![user_id()])
        .ok(200, "The user.", Some(sref("AwxUser")), &[])
        .errors(&[404])
}

// ---- organizations ----

pub fn list_organizations(o: Op) -> Op {
    list(
        o,
        "AWX: organizations (staff see all; others those they are an active member of)",
        "AwxOrganization",
        vec![
            q("search", json!({"type": "string"}), "Space- or comma-separated terms (at most 10), each a case-insensitive substring of the name or description."),
            order(&["id", "name", "description", "created", "modified"]),
            q("id", int64(), "Exact match."),
            exact("name"),
            contains("name__icontains"),
            contains("description__icontains"),
            q("created__gt", json!({"type": "string", "format": "date-time"}), "Created after this time (RFC 3339)."),
            q("modified__lt", json!({"type": "string", "format": "date-time"}), "Modified before this time (RFC 3339)."),
        ],
    )
}

pub fn create_organization(o: Op) -> Op {
    let v = version(&o);
    let targets: Vec<String> = [
        "GetOrganization",
        "UpdateOrganization",
        "ReplaceOrganization",
        "DeleteOrganization",
        "ListOrganizationUsers",
        "AssociateOrganizationUser",
        "ListOrganizationAdmins",
        "AssociateOrganizationAdmin",
        "ListOrganizationActivity",
    ]
    .iter()
    .map(|t| format!("awx{v}{t}"))
    .collect();
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let o = o
        .summary("AWX: create an organization (superusers)")
        .body("AwxOrganizationCreate", true)
        .ok(
            201,
            "Created.",
            Some(sref("AwxOrganization")),
            &["Location"],
        )
        .errors(&[400, 403, 409, 413, 415]);
    links_to(o, &targets, json!({"id": "$response.body#/id"}))
}

pub fn organization_list_options(o: Op) -> Op {
    options(
        o,
        "AWX: the organization list's metadata (`actions.POST` for superusers)",
    )
}

pub fn get_organization(o: Op) -> Op {
    o.summary("AWX: an organization")
        .params(vec![org_id()])
        .ok(200, "The organization.", Some(sref("AwxOrganization")), &[])
        .errors(&[404])
}

pub fn replace_organization(o: Op) -> Op {
    o.summary(
        "AWX: replace an organization's name and description (organization admins, superusers)",
    )
    .params(vec![org_id()])
    .body("AwxOrganizationCreate", true)
    .ok(200, "Updated.", Some(sref("AwxOrganization")), &[])
    .errors(&[400, 403, 404, 413, 415])
}

pub fn update_organization(o: Op) -> Op {
    o.summary("AWX: change an organization's name or description (organization admins, superusers)")
        .params(vec![org_id()])
        .body("AwxOrganizationPatch", false)
        .ok(200, "Updated.", Some(sref("AwxOrganization")), &[])
        .errors(&[400, 403, 404, 413, 415])
}

pub fn delete_organization(o: Op) -> Op {
    o.summary("AWX: delete an organization (organization admins, superusers)")
        .params(vec![org_id()])
        .ok(204, "Deleted.", None, &[])
        .errors(&[403, 404])
}

pub fn organization_options(o: Op) -> Op {
    options(
        o,
        "AWX: an organization's metadata (`actions.PUT` for superusers; `Allow` names the methods)",
    )
    .params(vec![org_id()])
    .errors(&[404])
}

// ---- users/ and admins/ ----

fn members(o: Op, sub: &str, what: &str) -> Op {
    list(
        o,
        &format!("AWX: an organization's {sub}: {what}"),
        "AwxUser",
        vec![
            order(&["username", "id"]),
            exact("username"),
            contains("username__icontains"),
        ],
    )
    .params(vec![org_id()])
}

fn associate(o: Op, sub: &str, description: &str) -> Op {
    o.summary(&format!(
        "AWX: associate a user with the organization's {sub}, or disassociate"
    ))
    .describe(description)
    .params(vec![org_id()])
    .body("AwxAssociate", true)
    .ok(204, "Done.", None, &[])
    .errors(&[400, 403, 404, 409, 413, 415])
}

pub fn list_organization_users(o: Op) -> Op {
    members(o, "users", "every approved member")
}

pub fn list_organization_admins(o: Op) -> Op {
    members(o, "admins", "owners and admins")
}

pub fn associate_organization_user(o: Op) -> Op {
    associate(o, "users", "`{\"id\": N}` adds user N (any user) as a viewer (a member stays as is); with `\"disassociate\": true` the membership is removed (409 for the last active owner). Organization admins and superusers only, within their rank (403; 404 when the organization is not visible).")
}

pub fn associate_organization_admin(o: Op) -> Op {
    associate(o, "admins", "`{\"id\": N}` makes user N (any user) an admin, adding them if needed; with `\"disassociate\": true` an owner or admin becomes a viewer. Organization admins and superusers only, within their rank (403; 404 when the organization is not visible).")
}

pub fn organization_users_options(o: Op) -> Op {
    options(o, "AWX: the organization users list's metadata")
        .params(vec![org_id()])
        .errors(&[404])
}

pub fn organization_admins_options(o: Op) -> Op {
    options(o, "AWX: the organization admins list's metadata")
        .params(vec![org_id()])
        .errors(&[404])
}

// ---- activity_stream ----

pub fn list_organization_activity(o: Op) -> Op {
    o.summary("AWX: an organization's activity stream, newest first (anyone who can read the organization)")
        .params(vec![org_id()])
        .params(drf_paging(25, 200))
        .ok(200, "One page.", Some(page_of("AwxActivity")), &[])
        .errors(&[404])
}

// ---- schemas ----

pub fn schemas(s: &mut Map<String, Value>) {
    s.insert(
        "AwxApiRoot".into(),
        out(json!({
            "description": string(), "current_version": string(),
            "available_versions": out(json!({"v1": string(), "v2": string()})),
            "oauth2": string(), "custom_logo": string(), "custom_login_info": string(),
            "login_redirect_override": string(),
        })),
    );
    s.insert(
        "AwxVersionRoot".into(),
        out(json!({"ping": string(), "config": string(), "me": string(), "organizations": string(), "users": string()})),
    );
    s.insert(
        "AwxPing".into(),
        out(json!({
            "ha": boolean(), "version": string(), "active_node": string(), "install_uuid": string(),
            "instances": {"type": "array"}, "instance_groups": {"type": "array"},
        })),
    );
    s.insert(
        "AwxConfig".into(),
        out(json!({
            "time_zone": string(), "version": string(), "license_info": object(), "analytics_status": string(),
            "project_base_dir": string(), "project_local_paths": {"type": "array"}, "custom_virtualenvs": {"type": "array"},
        })),
    );
    s.insert(
        "AwxLogin".into(),
        json!({
            "type": "object",
            "properties": {
                "username": string(), "password": with(string(), "writeOnly", json!(true)),
                "next": with(string(), "description", json!("Where to redirect: a local path (`/...`), else `/api/`.")),
            },
            "description": "Missing (or non-string) credentials are 401. Unknown fields are ignored.",
        }),
    );
    s.insert(
        "AwxUser".into(),
        out(json!({
            "id": integer(), "type": enumerated(&["user"]), "url": string(), "related": object(), "summary_fields": object(),
            "created": time(), "modified": time(), "username": string(), "first_name": string(), "last_name": string(),
            "email": string(), "is_superuser": boolean(), "is_system_auditor": boolean(), "last_login": {"type": "null"},
            "ldap_dn": string(), "external_account": {"type": "null"},
        })),
    );
    s.insert(
        "AwxOrganization".into(),
        out(json!({
            "id": integer(), "type": enumerated(&["organization"]), "url": string(), "related": object(),
            "summary_fields": object(), "created": time(), "modified": time(), "name": string(), "description": string(),
        })),
    );
    let org_in = json!({
        "name": with(drf_text(1, 512), "description", json!("Unique, case-insensitive (a taken name is a 400 field error).")),
        "description": {"anyOf": [text(0, 4096), {"type": "number"}, {"type": "null"}], "description": "Null is the empty description."},
    });
    s.insert(
        "AwxOrganizationCreate".into(),
        json!({"type": "object", "properties": org_in, "required": ["name"], "description": "Unknown fields are ignored."}),
    );
    s.insert(
        "AwxOrganizationPatch".into(),
        json!({"type": "object", "properties": org_in, "description": "Unknown fields are ignored."}),
    );
    s.insert(
        "AwxAssociate".into(),
        json!({
            "type": "object",
            "properties": {
                "id": with(int64(), "description", json!("The user's integer id (400 when no user has it).")),
                "disassociate": {"description": "`true` (or any number) to disassociate; anything else associates."},
            },
            "required": ["id"],
            "description": "Unknown fields are ignored.",
        }),
    );
    s.insert(
        "AwxTokenCreate".into(),
        json!({
            "type": "object",
            "properties": {"description": {"description": "A label: its first 150 characters when it is a string; anything else is no label."}},
            "description": "Unknown fields are ignored.",
        }),
    );
    s.insert(
        "AwxToken".into(),
        out(json!({
            "id": uuid(), "type": string(), "description": string(), "token": secret(),
            "refresh_token": {"type": "null"}, "application": {"type": "null"}, "scope": string(),
            "expires": nullable(time()), "created": time(), "modified": time(),
        })),
    );
    s.insert(
        "AwxActivity".into(),
        out(json!({
            "id": integer(), "type": enumerated(&["activity_stream"]), "related": object(), "summary_fields": object(),
            "timestamp": time(), "operation": enumerated(&["create", "update", "delete", "associate", "disassociate"]),
            "changes": object(), "object1": string(), "object2": string(), "object_association": string(),
            "action_node": string(), "action": string(), "actor": nullable(uuid()),
        })),
    );
    s.insert(
        "AwxMetadata".into(),
        json!({
            "type": "object",
            "properties": {
                "name": string(), "description": string(),
                "renders": {"type": "array", "items": string()}, "parses": {"type": "array", "items": string()},
                "actions": with(object(), "description", json!("Field descriptions by method (`GET`, and `POST`/`PUT` where the caller may write); every field has a `type`.")),
                "types": {"type": "array", "items": string()}, "search_fields": {"type": "array", "items": string()},
                "max_page_size": integer(),
            },
            "required": ["name", "renders", "parses"],
            "description": "DRF's OPTIONS metadata document.",
        }),
    );
}
