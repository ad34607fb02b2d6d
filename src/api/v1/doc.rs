//! The native API's part of the description: one function per operation of the route
//! table in `routes.rs` (summary, parameters, bodies, responses). The assembler
//! (`api::openapi`) gives each its id, tag and security from the declaration.

use crate::api::doc::*;
use serde_json::json;

/// The audit-trail list shape (global and per organization).
fn activity_list(o: Op, summary: &str) -> Op {
    let filters = vec![
        q_text(
            "action",
            64,
            "Exact match, e.g. `create`, `update`, `member_added`, `login_failed`.",
        ),
        q_text(
            "object_type",
            64,
            "Exact match, e.g. `user`, `organization`, `membership`, `token`.",
        ),
        q_uuid("actor", "The acting user's id."),
        q_time("since", "Rows at or after this time."),
        q_time("until", "Rows before this time."),
    ];
    list_op(o, summary, "Activity", filters, &[], None).errors(&[403])
}

pub fn get_index(o: Op) -> Op {
    o.tag("service").summary("The API roots").public().ok(
        200,
        "The index.",
        Some(sref("Index")),
        &[],
    )
}

pub fn get_health(o: Op) -> Op {
    o.tag("service").summary("Readiness: whether the database answers")
                .public()
                .ok(200, "The database answers.", Some(sref("Health")), &[])
                .response(
                    503,
                    json!({"description": "The database does not answer.", "headers": hdrs(&["Retry-After"]), "content": {"application/json": {"schema": sref("Health")}}}),
                )
}

pub fn get_open_api(o: Op) -> Op {
    o.tag("service")
        .summary("This OpenAPI description")
        .public()
        .ok(
            200,
            "The OpenAPI 3.1 document.",
            Some(json!({"type": "object"})),
            &[],
        )
}

pub fn login(o: Op) -> Op {
    o.tag("auth").summary("Exchange a username and password for a login token (24 hours)")
                .describe("A wrong password and an unknown user answer the same 401. After 10 failures in 15 minutes for one username or one client address the answer is 429 with `Retry-After`. An `Authorization` header that does not authenticate is a 401 here too.")
                .public()
                .body("Login", true)
                .ok(201, "A new login token, shown once.", Some(sref("LoginResponse")), &[])
                .errors(&[400, 413, 415, 429])
}

pub fn get_me(o: Op) -> Op {
    o.tag("auth")
        .summary("The caller, with their memberships")
        .ok(200, "The caller.", Some(sref("Me")), &["ETag"])
        .not_modified()
}

pub fn list_tokens(o: Op) -> Op {
    list_op(
        o.tag("auth"),
        "The caller's live API and login tokens (newest first)",
        "Token",
        vec![],
        &[],
        None,
    )
}

pub fn create_token(o: Op) -> Op {
    create_op(
        o.tag("auth"),
        "Create an API token; its secret appears only in this response",
        "TokenCreate",
        "TokenCreated",
        false,
    )
    .body("TokenCreate", false)
    .links(&["revokeToken"])
}

pub fn revoke_token(o: Op) -> Op {
    o.tag("auth")
        .summary("Revoke one of the caller's tokens")
        .ok(204, "Revoked.", None, &[])
        .errors(&[404])
        .params(vec![path_uuid("id", "The token's id.")])
}

pub fn list_users(o: Op) -> Op {
    let filters = vec![
        q_text("username", 512, "Exact match, case-insensitive."),
        q_text("email", 512, "Exact match, case-insensitive."),
        q_bool("is_active"),
        q_bool("is_staff"),
        q_bool("is_service_account"),
    ];
    list_op(
        o.tag("users"),
        "Users: staff see all; others themselves and their co-members",
        "User",
        filters,
        &["username", "email", "created"],
        Some("username, email, first_name, last_name"),
    )
}

pub fn create_user(o: Op) -> Op {
    create_op(
        o.tag("users"),
        "Create a user (staff)",
        "UserCreate",
        "User",
        true,
    )
    .errors(&[403, 409])
    .links(&["getUser", "updateUser", "replaceUser", "deleteUser"])
}

pub fn get_user(o: Op) -> Op {
    get_op(
        o.tag("users"),
        "A user (staff, themself, or a co-member)",
        "User",
    )
    .params(vec![path_uuid("id", "The user's id.")])
}

pub fn replace_user(o: Op) -> Op {
    update_op(
        o.tag("users"),
        "Replace a user (staff, or the user on themself)",
        "UserPut",
        "User",
        true,
    )
    .errors(&[403, 409])
    .params(vec![path_uuid("id", "The user's id.")])
}

pub fn update_user(o: Op) -> Op {
    update_op(
        o.tag("users"),
        "Change some fields of a user (staff, or the user on themself)",
        "UserPatch",
        "User",
        false,
    )
    .errors(&[403, 409])
    .params(vec![path_uuid("id", "The user's id.")])
}

pub fn delete_user(o: Op) -> Op {
    delete_op(o.tag("users"), "Delete a user with their memberships and tokens")
                    .describe("Staff, or the user on themself. 409 when the user is the last active owner of an organization.")
                    .errors(&[403, 409])

        .params(vec![path_uuid("id", "The user's id.")])
}

pub fn list_customers(o: Op) -> Op {
    let filters = vec![
        q_text("name", 512, "Exact match, case-insensitive."),
        q_text("abbreviation", 512, "Exact match, case-insensitive."),
    ];
    list_op(
        o.tag("customers"),
        "Customers: staff see all; others those they own",
        "Customer",
        filters,
        &["name", "created"],
        Some("name, abbreviation"),
    )
}

pub fn create_customer(o: Op) -> Op {
    create_op(
        o.tag("customers"),
        "Create a customer (staff)",
        "CustomerCreate",
        "Customer",
        true,
    )
    .errors(&[403])
    .links(&[
        "getCustomer",
        "updateCustomer",
        "replaceCustomer",
        "deleteCustomer",
    ])
}

pub fn get_customer(o: Op) -> Op {
    get_op(
        o.tag("customers"),
        "A customer (staff, or one of its owners)",
        "Customer",
    )
    .params(vec![path_uuid("id", "The customer's id.")])
}

pub fn replace_customer(o: Op) -> Op {
    update_op(
        o.tag("customers"),
        "Replace a customer (staff)",
        "CustomerPut",
        "Customer",
        true,
    )
    .errors(&[403])
    .params(vec![path_uuid("id", "The customer's id.")])
}

pub fn update_customer(o: Op) -> Op {
    update_op(
        o.tag("customers"),
        "Change some fields of a customer (staff)",
        "CustomerPatch",
        "Customer",
        false,
    )
    .errors(&[403])
    .params(vec![path_uuid("id", "The customer's id.")])
}

pub fn delete_customer(o: Op) -> Op {
    delete_op(
        o.tag("customers"),
        "Delete a customer that has no organizations (staff)",
    )
    .errors(&[403, 409])
    .params(vec![path_uuid("id", "The customer's id.")])
}

pub fn list_organizations(o: Op) -> Op {
    let filters = vec![
        q_text("name", 512, "Exact match, case-insensitive."),
        q_text("native_name", 512, "Exact match, case-insensitive."),
        q_text("abbreviation", 512, "Exact match, case-insensitive."),
        q_uuid("customer", "The customer's id."),
        q_uuid("owner", "The owner's user id."),
        q_text("currency_code", 512, "Exact match."),
    ];
    list_op(o.tag("organizations"), "Organizations: staff see all; others those they are an active member of or whose customer they own", "Organization", filters, &["name", "native_name", "abbreviation", "created", "modified"], Some("name, native_name, abbreviation, description"))
}

pub fn create_organization(o: Op) -> Op {
    create_op(o.tag("organizations"), "Create an organization; its owner becomes an approved owner member", "OrganizationCreate", "OrganizationCreated", true)
                    .describe("Any active user who is not a service account (or only staff, as configured). `owner` defaults to the caller; only staff may name another user (403). 409 for a taken name or abbreviation, or when the owner already owns the configured maximum of organizations. With `invite`, an invitation is created in the same transaction (errors name its fields as `invite.<field>`) and returned as `invitation`, with its one-time token.")
                    .errors(&[403, 409])
                    .links(&["getOrganization", "updateOrganization", "replaceOrganization", "deleteOrganization", "getOrganizationSummary", "listOrganizationActivity", "listMembers", "addMembers", "listInvitations", "createInvitation"])
}

pub fn get_organization(o: Op) -> Op {
    get_op(
        o.tag("organizations"),
        "An organization, by id or unique name",
        "Organization",
    )
    .params(vec![path_org()])
}

pub fn replace_organization(o: Op) -> Op {
    update_op(
        o.tag("organizations"),
        "Replace an organization (owner, admin, customer owner, staff)",
        "OrganizationPut",
        "Organization",
        true,
    )
    .errors(&[403, 409])
    .params(vec![path_org()])
}

pub fn update_organization(o: Op) -> Op {
    update_op(o.tag("organizations"), "Change some fields of an organization", "OrganizationPatch", "Organization", false)
                    .describe("Owners, admins, customer owners and staff; a body with only `currency_code` also by `accounting` members. Changing `owner` is for owners and staff; changing `customer` for staff and the customer's owners.")
                    .errors(&[403, 409])

        .params(vec![path_org()])
}

pub fn delete_organization(o: Op) -> Op {
    delete_op(
        o.tag("organizations"),
        "Delete an organization with its memberships and invitations (owner, staff)",
    )
    .errors(&[403])
    .params(vec![path_org()])
}

pub fn get_organization_summary(o: Op) -> Op {
    o.tag("organizations")
        .summary("Member counts, open invitations, pending requests, last activity")
        .describe(
            "Owners, admins, accounting members, customer owners and staff; other members get 403.",
        )
        .ok(200, "The summary.", Some(sref("Summary")), &[])
        .errors(&[403, 404])
        .params(vec![path_org()])
}

pub fn list_organization_activity(o: Op) -> Op {
    activity_list(
        o.tag("organizations"),
        "An organization's activity, newest first (owners, admins, customer owners, staff)",
    )
    .params(vec![path_org()])
}

pub fn list_members(o: Op) -> Op {
    let filters = vec![
        q_enum("role", ROLES),
        q_enum("status", &["pending", "approved", "rejected"]),
        q_bool("is_active"),
        q_uuid("user", "The member's user id."),
    ];
    let _member = json!({"id": "$request.path.id", "user": "$response.body#/user"});
    list_op(
        o.tag("members"),
        "An organization's memberships, any status (anyone who can see the organization)",
        "Membership",
        filters,
        &["username", "role", "status", "created"],
        Some("the member's username, email, first_name, last_name"),
    )
    .params(vec![path_org()])
}

pub fn add_members(o: Op) -> Op {
    let member = json!({"id": "$request.path.id", "user": "$response.body#/user"});
    links_to(
                    o.tag("members").summary("Add members, or ask to join")
                        .describe("Managers (owners, admins, customer owners, staff) add approved members: `user` (one, 201 with the membership) or `users` (up to 200, all or nothing, 201 with `{count, results}`), with `role` (default `viewer`; only owners and staff grant `owner`, others up to their own rank: 403) and `is_active` (default true). A caller who manages nothing here and names only themself in `user` files a join request instead: 201 with a `pending` membership (403 when the organization does not accept join requests, 409 when they already have a membership). 400 for an unknown user, 409 for a user who already has a membership.")
                        .body("MemberAdd", true)
                        .response(201, json!({
                            "description": "The new membership (`user`), or all of them (`users`).",
                            "headers": {
                                "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
                                "Location": {"$ref": "#/components/headers/Location-If-One"},
                                "ETag": {"$ref": "#/components/headers/ETag-If-One"},
                            },
                            "content": {"application/json": {"schema": {"oneOf": [sref("Membership"), sref("MembershipBatch")]}}},
                        }))
                        .errors(&[400, 403, 404, 409, 413, 415]),
                    &["getMember", "updateMember", "removeMember", "approveMember", "rejectMember"],
                    member.clone(),
                )

        .params(vec![path_org()])
}

pub fn get_member(o: Op) -> Op {
    get_op(
        o.tag("members"),
        "A membership (anyone who can see the organization; `me`: the caller's own, any status)",
        "Membership",
    )
    .params(vec![path_org(), path_member()])
}

pub fn update_member(o: Op) -> Op {
    let _member = json!({"id": "$request.path.id", "user": "$response.body#/user"});
    update_op(o.tag("members"), "Change a member's role or activity", "MemberPatch", "Membership", false)
                .describe("Managers within their rank (only owners and staff touch `owner`); a member on themself may only lower their role or deactivate (403 otherwise). 409 when it would leave the organization without an active owner.")
                .errors(&[403, 409])

        .params(vec![path_org(), path_member()])
}

pub fn remove_member(o: Op) -> Op {
    let _member = json!({"id": "$request.path.id", "user": "$response.body#/user"});
    delete_op(o.tag("members"), "Remove a member, or leave (`me`, or one's own id)")
                .describe("Managers remove members within their rank (403 otherwise); anyone may leave. 409 for the last active owner.")
                .errors(&[403, 409])

        .params(vec![path_org(), path_member()])
}

pub fn list_invitations(o: Op) -> Op {
    let filters = vec![
        q_enum("status", &["open", "accepted", "revoked", "expired"]),
        q_text("email", 512, "Exact match, case-insensitive."),
        q_enum("role", ROLES),
    ];
    list_op(
        o.tag("invitations"),
        "An organization's invitations, newest first (owners, admins, customer owners, staff)",
        "Invitation",
        filters,
        &["email", "created"],
        Some("the email address"),
    )
    .errors(&[403])
    .params(vec![path_org()])
}

pub fn create_invitation(o: Op) -> Op {
    let nested = json!({"id": "$request.path.id", "invitation": "$response.body#/id"});
    links_to(
                    links_to(
                        create_op(o.tag("invitations"), "Invite someone by email; the one-time token appears only in this response", "InvitationCreate", "InvitationCreated", true)
                        .describe("Owners, admins, customer owners and staff, granting at most their own rank (only owners and staff invite owners: 403). The accept link is delivered to the recipient. 409 when an open invitation for the email exists or a member already has it.")
                        .errors(&[403, 404, 409]),
                        &["getInvitation", "revokeInvitation", "resendInvitation"],
                        nested.clone(),
                    ),
                    &["acceptInvitation"],
                    json!({"token": "$response.body#/token"}),
                )

        .params(vec![path_org()])
}

pub fn get_invitation(o: Op) -> Op {
    get_op(
        o.tag("invitations"),
        "An invitation (owners, admins, customer owners, staff)",
        "Invitation",
    )
    .errors(&[403])
    .params(vec![
        path_org(),
        path_uuid("invitation", "The invitation's id."),
    ])
}

pub fn revoke_invitation(o: Op) -> Op {
    o.tag("invitations")
        .summary("Revoke an open invitation; it stays readable as `revoked`")
        .ok(204, "Revoked.", None, &[])
        .errors(&[403, 404, 409])
        .params(vec![
            path_org(),
            path_uuid("invitation", "The invitation's id."),
        ])
}

pub fn resend_invitation(o: Op) -> Op {
    links_to(
                action_op(o.tag("invitations"), "Deliver an open invitation again with a new token (the old one stops working) and a renewed expiry", Some("Empty"), "InvitationCreated", &["ETag"])
                .errors(&[403, 409]),
                &["acceptInvitation"],
                json!({"token": "$response.body#/token"}),
            )

        .params(vec![path_org(), path_uuid("invitation", "The invitation's id.")])
}

pub fn accept_invitation(o: Op) -> Op {
    o.tag("invitations").summary("Accept an invitation: join the organization with its role")
                .describe("Signed in, with an empty body or `{}`: the caller's email must be the invited one (403). Anonymous, with `username` and `password`: creates the account with the invited email (400 naming both when either is missing; 409 when an account has that email) and answers a login token too. 404 for an unknown token, 409 for one already used or revoked (or a caller who is already a member), 410 for an expired one.")
                .optional_auth()
                .body("InvitationAccept", false)
                .ok(200, "Accepted.", Some(sref("Accepted")), &[])
                .errors(&[400, 403, 404, 409, 410, 413, 415])

        .params(vec![json!({"name": "token", "in": "path", "required": true, "description": "The invitation's one-time token.", "schema": {"type": "string", "minLength": 1}})])
}

pub fn list_activity(o: Op) -> Op {
    activity_list(
        o.tag("activity"),
        "The whole audit trail, newest first (staff)",
    )
}

fn decide(o: Op, summary: &str) -> Op {
    action_op(o.tag("members"), summary, Some("Empty"), "Membership", &["ETag"])
        .describe("Owners, admins, customer owners and staff (approving needs the right to grant the requested role: 403). The body is empty or `{}`. 409 when the membership is not pending.")
        .errors(&[403, 409])
        .params(vec![path_org(), path_member()])
}

pub fn approve_member(o: Op) -> Op {
    decide(o, "Approve a pending membership (join request)")
}

pub fn reject_member(o: Op) -> Op {
    decide(o, "Reject a pending membership (join request)")
}
