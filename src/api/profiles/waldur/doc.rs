//! The Waldur profile's part of the description: one function per operation of the route
//! table in `mod.rs`, its component schemas (`Waldur*`), and the links from native
//! operations to the Waldur ones that name the same objects.

use crate::api::doc::*;
use serde_json::{json, Map, Value};

fn path_hex(what: &str) -> Value {
    json!({"name": "uuid", "in": "path", "required": true, "description": format!("The {what}'s uuid: 32 hex digits (the dashed form works too); anything else names nothing (404)."), "schema": {"type": "string", "pattern": UUID_PATTERN}})
}

/// A query parameter taking any string.
fn any(name: &str, description: &str) -> Value {
    q(name, json!({"type": "string"}), description)
}

/// Links from the created object to operations taking its `uuid`.
fn by_uuid(o: Op, targets: &[&str]) -> Op {
    links_to(o, targets, json!({"uuid": "$response.body#/uuid"}))
}

/// A GET of one object by its uuid.
fn read(o: Op, summary: &str, what: &str, description: &str, item: &str) -> Op {
    o.summary(summary)
        .params(vec![path_hex(what)])
        .ok(200, description, Some(sref(item)), &[])
        .errors(&[404])
}

/// A Waldur list: a bare array with `X-Result-Count` and `Link`.
fn list(o: Op, summary: &str, item: &str, params: Vec<Value>) -> Op {
    o.summary(summary)
        .params(drf_paging(10, 300))
        .params(params)
        .ok(
            200,
            "One page, as a bare array.",
            Some(json!({"type": "array", "items": sref(item)})),
            &["X-Result-Count", "Link"],
        )
        .errors(&[404])
}

// ---- organizations ----

pub fn list_orgs(o: Op) -> Op {
    let substring = "Case-insensitive substring (first 512 characters).";
    list(
        o,
        "Waldur: every organization (any signed-in user)",
        "WaldurOrganization",
        vec![
            any("name", substring),
            any("native_name", substring),
            any("abbreviation", substring),
            any("customer", "A customer URL or uuid; one that names no customer matches nothing."),
            any("customer_uuid", "The same as `customer` (and preferred over it)."),
            any("o", "Ordering: comma-separated `name`, `native_name`, `abbreviation`, `-` for descending; unknown keys are ignored."),
        ],
    )
}

pub fn create_org(o: Op) -> Op {
    let o = o
        .summary("Waldur: create an organization (staff)")
        .describe("400 (as a field error) for a taken name or abbreviation or an unknown customer; 400 `non_field_errors` for a customer that already has an organization.")
        .body("WaldurOrganizationCreate", true)
        .ok(201, "Created.", Some(sref("WaldurOrganization")), &["Location"])
        .errors(&[400, 403, 413, 415]);
    by_uuid(
        o,
        &[
            "waldurGetOrganization",
            "waldurUpdateOrganization",
            "waldurReplaceOrganization",
            "waldurDeleteOrganization",
        ],
    )
}

pub fn get_org(o: Op) -> Op {
    read(
        o,
        "Waldur: an organization (any signed-in user; `customer` shown to staff)",
        "organization",
        "The organization.",
        "WaldurOrganization",
    )
}

pub fn replace_org(o: Op) -> Op {
    o.summary("Waldur: replace an organization (staff)")
        .describe("A customer that already has another organization is 400 `non_field_errors`; restating the organization's own customer is fine.")
        .params(vec![path_hex("organization")])
        .body("WaldurOrganizationCreate", true)
        .ok(200, "Updated.", Some(sref("WaldurOrganization")), &[])
        .errors(&[400, 403, 404, 413, 415])
}

pub fn update_org(o: Op) -> Op {
    o.summary("Waldur: change some fields of an organization (staff)")
        .describe("A field that is sent may be neither null nor blank. A customer that already has another organization is 400 `non_field_errors`.")
        .params(vec![path_hex("organization")])
        .body("WaldurOrganizationPatch", false)
        .ok(200, "Updated.", Some(sref("WaldurOrganization")), &[])
        .errors(&[400, 403, 404, 413, 415])
}

pub fn delete_org(o: Op) -> Op {
    o.summary("Waldur: delete an organization (staff)")
        .params(vec![path_hex("organization")])
        .ok(204, "Deleted.", None, &[])
        .errors(&[403, 404])
}

// ---- organization-users ----

pub fn list_org_users(o: Op) -> Op {
    list(
        o,
        "Waldur: organization-users (staff see all; others their own and those of organizations whose customer they own)",
        "WaldurOrganizationUser",
        vec![
            any("organization", "An organization URL or uuid; one that names nothing matches nothing."),
            any("organization_uuid", "The same as `organization`."),
            any("user", "A user URL or uuid; one that names nothing matches nothing."),
            any("user_uuid", "The same as `user`."),
            q("is_approved", json!({"type": "boolean"}), "`true` or `false` (also `1`/`0`, any case); anything else is 400."),
            any("o", "Ordering: `is_approved` or `-is_approved`; unknown keys are ignored."),
        ],
    )
    .errors(&[400])
}

pub fn create_org_user(o: Op) -> Op {
    let o = o
        .summary("Waldur: ask to join an organization (created unapproved)")
        .describe("For oneself (staff: for anyone; another user is a `user` field error otherwise). A user belongs to at most one organization here (400 `non_field_errors`). 403 when the organization does not accept join requests.")
        .body("WaldurOrganizationUserCreate", true)
        .ok(201, "Created.", Some(sref("WaldurOrganizationUser")), &[])
        .errors(&[400, 403, 409, 413, 415]);
    by_uuid(
        o,
        &[
            "waldurGetOrganizationUser",
            "waldurDeleteOrganizationUser",
            "waldurApproveOrganizationUser",
            "waldurRejectOrganizationUser",
        ],
    )
}

pub fn get_org_user(o: Op) -> Op {
    read(
        o,
        "Waldur: an organization-user (one's own; staff and the customer's owners: any)",
        "organization-user",
        "The organization-user.",
        "WaldurOrganizationUser",
    )
}

pub fn delete_org_user(o: Op) -> Op {
    o.summary("Waldur: withdraw a request, or remove a member (approved ones: staff and the customer's owners)")
        .params(vec![path_hex("organization-user")])
        .ok(204, "Deleted.", None, &[])
        .errors(&[403, 404, 409])
}

fn decision(o: Op, action: &str, description: &str) -> Op {
    o.summary(&format!(
        "Waldur: {action} an organization-user in any state (staff and the customer's owners)"
    ))
    .describe(description)
    .params(vec![path_hex("organization-user")])
    .ok(200, "Done.", Some(sref("DrfDetail")), &[])
    .errors(&[403, 404, 409])
}

pub fn approve(o: Op) -> Op {
    decision(
        o,
        "approve",
        "No body is read. 403 when the caller may not grant the member's role.",
    )
}

pub fn reject(o: Op) -> Op {
    decision(
        o,
        "reject",
        "No body is read. 409 when it would leave the organization without an active owner.",
    )
}

// ---- customers and users ----

pub fn customer(o: Op) -> Op {
    read(
        o,
        "Waldur: a customer (staff, or one of its owners)",
        "customer",
        "The customer.",
        "WaldurCustomer",
    )
}

pub fn user(o: Op) -> Op {
    read(
        o,
        "Waldur: a user (staff, themself, or a co-member)",
        "user",
        "The user.",
        "WaldurUser",
    )
}

// ---- schemas ----

/// A DRF string field as Waldur reads it: a string of `min..=max` characters without NUL
/// (not blank when `min > 0`), or a number, taken as its decimal text and checked the
/// same way (where that text may not fit, only integers that fit are taken).
fn text_field(min: usize, max: usize) -> Value {
    let number = if max < 24 {
        let top = 10i64.pow(max as u32) - 1;
        let bottom = -(10i64.pow(max as u32 - 1) - 1);
        json!({"type": "integer", "minimum": bottom, "maximum": top})
    } else {
        json!({"type": "number"})
    };
    json!({"anyOf": [text(min, max), number]})
}

pub fn schemas(s: &mut Map<String, Value>) {
    let hex = json!({"type": "string", "pattern": "^[0-9a-f]{32}$"});
    let uuid_body = &UUID_PATTERN[2..UUID_PATTERN.len() - 2];
    let link = |what: &str| json!({"type": "string", "pattern": format!(r"^([\s\S]*/)?({uuid_body})/*$"), "description": format!("The {what}'s URL (or uuid): its last path segment is the uuid.")});
    // Seed 000 renders `native_name` and `abbreviation` as strings, never null.
    let mut org = out(json!({
        "url": string(), "uuid": hex.clone(), "name": string(), "native_name": string(), "abbreviation": string(),
        "customer": with(nullable(string()), "description", json!("The customer's URL; shown to staff only.")),
    }));
    org["required"] = json!(["url", "uuid", "name", "native_name", "abbreviation"]);
    s.insert("WaldurOrganization".into(), org);
    // Seed 000: "customer - URL of organization customer (optional)"; "name",
    // "native_name" and "abbreviation" are "(required)": never null, never blank.
    let customer = json!({"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 0}, link("customer")], "description": "A customer URL (staff only; a customer has at most one organization), or null or empty for none."});
    let props = json!({
        "name": with(text_field(1, 150), "description", json!("Unique, case-insensitive.")),
        "native_name": text_field(1, 160),
        "abbreviation": with(text_field(1, 8), "description", json!("Unique, case-insensitive.")),
        "customer": customer,
    });
    s.insert(
        "WaldurOrganizationCreate".into(),
        json!({
            "type": "object",
            "properties": props,
            "required": ["name", "native_name", "abbreviation"],
            "description": "Unknown fields are ignored.",
            "examples": [{"name": "Acme Waldur", "native_name": "Acme", "abbreviation": "ACW"}],
        }),
    );
    s.insert(
        "WaldurOrganizationPatch".into(),
        json!({
            "type": "object",
            "properties": props,
            "description": "Only the fields sent change; each may be neither null nor blank. Unknown fields are ignored.",
        }),
    );
    s.insert(
        "WaldurOrganizationUser".into(),
        out(json!({
            "url": string(), "uuid": hex.clone(), "user": string(), "username": string(), "is_approved": boolean(),
            "organization": string(),
        })),
    );
    s.insert(
        "WaldurOrganizationUserCreate".into(),
        json!({
            "type": "object",
            "properties": {"user": link("user"), "organization": link("organization")},
            "required": ["user", "organization"],
            "description": "Unknown fields (`is_approved` too) are ignored.",
        }),
    );
    s.insert(
        "WaldurCustomer".into(),
        out(json!({"url": string(), "uuid": hex.clone(), "name": string(), "abbreviation": string()})),
    );
    s.insert(
        "WaldurUser".into(),
        out(json!({
            "url": string(), "uuid": hex, "username": string(), "full_name": string(), "email": string(),
            "is_staff": boolean(), "is_active": boolean(),
        })),
    );
}

/// Native ids name the same objects on the Waldur routes: links from the native creates.
pub fn finish_doc(d: &mut Value) {
    let by_id = json!({"uuid": "$response.body#/id"});
    for (from, to) in [
        ("createUser", "waldurGetUser"),
        ("createCustomer", "waldurGetCustomer"),
        ("createOrganization", "waldurGetOrganization"),
    ] {
        link(d, from, to, &by_id);
    }
}

/// Adds a link to `to` on the first 2xx response of the operation `from`, if described.
fn link(d: &mut Value, from: &str, to: &str, parameters: &Value) {
    let Some(paths) = d.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let ops = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for op in ops.filter(|op| op["operationId"] == from) {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some((_, r)) = responses.iter_mut().find(|(s, _)| s.starts_with('2')) {
            r["links"][upper_first(to)] = json!({"operationId": to, "parameters": parameters});
        }
    }
}
