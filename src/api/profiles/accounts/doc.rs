//! The accounts profile's part of the description: its operations and schemas. Errors
//! are the shared problem responses.

use super::map::{MAX_IDS, MAX_PAGE_SIZE, ROLES, SORTS};
use crate::api::doc::*;
use serde_json::{json, Map, Value};

fn org_param() -> Value {
    json!({"name": "organization_id", "in": "path", "required": true,
        "description": "The account's (organization's) integer id. Anything else names nothing (404).",
        "schema": {"type": "integer", "format": "int64", "minimum": 1}})
}

fn account(status: u16, o: Op, what: &str) -> Op {
    o.ok(status, what, Some(sref("AccountsAccount")), &[])
}

pub fn list(o: Op) -> Op {
    o.summary("Accounts: the caller's accounts (organizations they belong to; staff: all)")
        .ok(
            200,
            "The accounts, oldest first (at most 10000).",
            Some(json!({"type": "array", "items": sref("AccountsAccount")})),
            &["X-Result-Count"],
        )
}

pub fn create(o: Op) -> Op {
    let o = o
        .summary("Accounts: create an account (the caller becomes its owner)")
        .body("AccountsAccountCreate", true)
        .ok(
            201,
            "Created.",
            Some(sref("AccountsAccount")),
            &["Location"],
        );
    o.errors(&[400, 403, 409, 413, 415])
}

pub fn update_by_body(o: Op) -> Op {
    let o = o
        .summary("Accounts: rename the account whose `id` the body names (owners, admins, staff)")
        .body("AccountsAccountPut", true);
    account(200, o, "The updated account.").errors(&[400, 403, 404, 409, 413, 415])
}

pub fn update(o: Op) -> Op {
    let o = o
        .summary("Accounts: rename an account (owners, admins, staff)")
        .params(vec![org_param()])
        .body("AccountsAccountItemPut", true);
    account(200, o, "The updated account.").errors(&[400, 403, 404, 409, 413, 415])
}

pub fn get(o: Op) -> Op {
    let o = o
        .summary("Accounts: an account by id")
        .params(vec![org_param()]);
    account(200, o, "The account.").errors(&[404])
}

pub fn delete(o: Op) -> Op {
    o.summary("Accounts: delete an account with its memberships and invitations (owners, staff)")
        .params(vec![org_param()])
        .ok(204, "Deleted.", None, &[])
        .errors(&[403, 404])
}

fn leave_op(o: Op) -> Op {
    o.params(vec![org_param()])
        .describe("Ends the caller's own membership. The last active owner cannot leave (409).")
        .ok(200, "Left the account (no body).", None, &[])
        .errors(&[404, 409])
}

pub fn leave(o: Op) -> Op {
    leave_op(o.summary("Accounts: leave an account (a GET, as the seed documents it)"))
}

pub fn leave_by_delete(o: Op) -> Op {
    leave_op(o.summary("Accounts: leave an account"))
}

pub fn role(o: Op) -> Op {
    o.summary("Accounts: the caller's role in an account, as a JSON string")
        .params(vec![org_param()])
        .ok(
            200,
            "The role, e.g. `\"OWNER\"`.",
            Some(enumerated(ROLES)),
            &[],
        )
        .errors(&[404])
}

pub fn summary(o: Op) -> Op {
    o.summary("Accounts: an account's summary metrics")
        .describe("`members`, `active_members`, `inactive_members`, `role_OWNER` … `role_VIEWER` (approved members by role), `pending_requests`, `open_invitations` (integers) and `last_activity` (an RFC 3339 time or null).")
        .params(vec![org_param()])
        .ok(
            200,
            "The metrics.",
            Some(json!({"type": "array", "items": sref("AccountsMetric")})),
            &[],
        )
        .errors(&[403, 404])
}

pub fn users(o: Op) -> Op {
    let sorts: Vec<&str> = SORTS.iter().map(|(n, _)| *n).collect();
    o.summary("Accounts: one page of an account's users")
        .params(vec![
            org_param(),
            q(
                "page_number",
                json!({"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0}),
                "The page, counting from 0. A page past the end is empty.",
            ),
            q(
                "page_size",
                json!({"type": "integer", "minimum": 1, "default": 25}),
                &format!("Users per page: a positive integer; values over {MAX_PAGE_SIZE} are clamped to {MAX_PAGE_SIZE}."),
            ),
            q(
                "sort_by",
                enumerated(&sorts),
                "The field to sort by (`role` by rank, owners first when ascending); by default the order users were added.",
            ),
            q(
                "sort_ascending",
                json!({"type": "boolean", "default": true}),
                "`true` (default) or `false` (also `1`/`0`).",
            ),
        ])
        .ok(
            200,
            "The page.",
            Some(sref("AccountsUserPage")),
            &[],
        )
        .errors(&[400, 403, 404])
}

pub fn add_users(o: Op) -> Op {
    o.summary("Accounts: add users to an account (all or none)")
        .describe("Every id must name an existing user who is not in the account yet: otherwise nothing changes and the answer names the ids (400 unknown, 409 already a member). Managers grant roles up to their own; only owners and staff grant `OWNER`.")
        .params(vec![org_param()])
        .body("AccountsUsersPut", true)
        .ok(200, "The updated account.", Some(sref("AccountsAccount")), &[])
        .errors(&[400, 403, 404, 409, 413, 415])
}

pub fn update_users(o: Op) -> Op {
    o.summary("Accounts: set the role and activity of several users (all or none)")
        .describe("Every id must name a member of the account the caller may change: otherwise nothing changes (400 naming the ids, 403). Demoting or deactivating the last active owner is 409.")
        .params(vec![org_param()])
        .body("AccountsUsersPut", true)
        .ok(200, "The updated account.", Some(sref("AccountsAccount")), &[])
        .errors(&[400, 403, 404, 409, 413, 415])
}

pub fn remove_users(o: Op) -> Op {
    o.summary("Accounts: remove users from an account (all or none)")
        .describe("Every id must name a member the caller may remove: otherwise nothing changes (400 naming the ids, 403). Removing the last active owner is 409.")
        .params(vec![
            org_param(),
            json!({"name": "user_ids", "in": "path", "required": true,
                "description": format!("Comma-separated integer user ids, e.g. `23,63,34` (at most {MAX_IDS})."),
                "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,17}(,[1-9][0-9]{0,17})*$"}}),
        ])
        .ok(204, "Removed.", None, &[])
        .errors(&[400, 403, 404, 409])
}

pub fn schemas(s: &mut Map<String, Value>) {
    let id = || json!({"type": "integer", "format": "int64", "minimum": 1});
    let name = || text(1, 512);
    s.insert(
        "AccountsAccount".into(),
        out(json!({
            "id": id(),
            "organization_name": string(),
            "owner_id": {"type": ["integer", "null"], "description": "The owner's integer user id."},
            "member_count": integer(),
            "created": time(),
            "modified": time(),
        })),
    );
    s.insert(
        "AccountsAccountCreate".into(),
        input(
            &json!({"organization_name": name()}),
            &["organization_name"],
        ),
    );
    s.insert(
        "AccountsAccountPut".into(),
        input(
            &json!({"id": id(), "organization_name": name()}),
            &["id", "organization_name"],
        ),
    );
    s.insert(
        "AccountsAccountItemPut".into(),
        input(
            &json!({"id": with(id(), "description", json!("If sent, the path's id.")), "organization_name": name()}),
            &["organization_name"],
        ),
    );
    s.insert(
        "AccountsUsersPut".into(),
        input(
            &json!({
                "is_active": boolean(),
                "role": enumerated(ROLES),
                "user_ids": {"type": "array", "items": id(), "minItems": 1, "maxItems": MAX_IDS},
            }),
            &["is_active", "role", "user_ids"],
        ),
    );
    s.insert(
        "AccountsUser".into(),
        out(json!({
            "id": id(),
            "username": string(),
            "email": nullable(string()),
            "first_name": string(),
            "last_name": string(),
            "role": enumerated(ROLES),
            "is_active": with(boolean(), "description", json!("Whether the membership is active.")),
            "status": enumerated(&["APPROVED", "PENDING", "REJECTED"]),
            "created": with(time(), "description", json!("When the user joined the account.")),
        })),
    );
    s.insert(
        "AccountsUserPage".into(),
        out(json!({
            "page_number": integer(),
            "page_size": integer(),
            "total": integer(),
            "total_pages": integer(),
            "users": {"type": "array", "items": sref("AccountsUser")},
        })),
    );
    s.insert(
        "AccountsMetric".into(),
        out(json!({
            "name": string(),
            "value": {"type": ["integer", "string", "null"]},
        })),
    );
}
