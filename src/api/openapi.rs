//! The OpenAPI 3.1 description served at `/openapi.json`.
//!
//! Built from small helpers so a route is a few lines: `Paths::route` takes a path template,
//! its path parameters and one operation per method; `list_op`, `create_op`, `get_op`,
//! `update_op`, `delete_op` and `action_op` give an operation its parameters, body and
//! usual responses, and `Op::errors` adds the problem responses the handler can return
//! beyond those. Request schemas mirror the parse functions in `v1/*` exactly (types,
//! lengths, patterns for what they reject), response schemas mirror `*_json`.

use super::App;
use crate::http::Resp;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn document(app: &App) -> Value {
    build(&app.config.profiles)
}

pub fn serve(app: &App) -> Resp {
    Resp::json(200, &document(app))
}

/// The document for a server mounting `profiles`: the native API, plus the paths of each
/// mounted profile that serves routes (AWX, Waldur), tagged with the profile's name.
pub fn build(profiles: &[String]) -> Value {
    let mounted = |name: &str| profiles.iter().any(|p| p == name);
    let mut p = Paths::default();
    service_paths(&mut p);
    auth_paths(&mut p);
    user_paths(&mut p);
    customer_paths(&mut p);
    org_paths(&mut p);
    member_paths(&mut p);
    invitation_paths(&mut p);
    activity_paths(&mut p);
    let mut tags = TAGS.to_vec();
    if mounted("awx") {
        awx_paths(&mut p);
        tags.push(AWX_TAG);
    }
    if mounted("waldur") {
        waldur_paths(&mut p);
        tags.push(WALDUR_TAG);
        // Native ids name the same objects on the Waldur routes.
        let by_id = json!({"uuid": "$response.body#/id"});
        p.link("createUser", "waldurGetUser", &by_id);
        p.link("createCustomer", "waldurGetCustomer", &by_id);
        p.link("createOrganization", "waldurGetOrganization", &by_id);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "orgreg",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "An organization registry: users, customers, organizations, memberships, invitations and an audit trail.",
            "description": "The native API (`/v1`). JSON in and out; errors are RFC 9457 problem details \
                (`application/problem+json`). Lists are paged (`page`, `page_size`; a page past the end is 404). \
                Path ids accept the dashed UUID form and the 32-hex form; a path id that is not a UUID names \
                nothing (404), except that organizations are also found by their unique name. Item \
                responses carry an `ETag`: `If-None-Match` on GET answers 304, `If-Match` on PUT/PATCH/DELETE \
                is honoured (412 on mismatch). Unknown and read-only body fields are rejected (400). An \
                authenticated POST may carry an `Idempotency-Key`: a retry with the same key and the same request \
                replays the first 2xx answer (with `Idempotent-Replayed: true`) for 24 hours, the same key with \
                another request is 422. `OPTIONS` answers 204 with `Allow` on every route, `HEAD` is served wherever `GET` is, and a \
                method a route does not serve is 405 with `Allow`. Every response carries `X-Request-Id`.\n\n\
                Mounted profiles (tags `awx`, `waldur`) serve other products' organization APIs over the same \
                registry, in those products' shapes: Django REST Framework error bodies (`{\"detail\": ...}`, \
                `{\"field\": [...]}`) as `application/json`, unknown body fields ignored, and `OPTIONS` answering \
                200 with a metadata document.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": tags.iter().map(|(name, description)| json!({"name": name, "description": description})).collect::<Vec<_>>(),
        "security": [{"bearer": []}, {"token": []}, {"basic": []}],
        "paths": p.0,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>`: an API or login token (`org_...`)."},
                "token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Authorization: Token <token>`: the same tokens as `bearer`, DRF style."},
                "basic": {"type": "http", "scheme": "basic", "description": "HTTP Basic `username:password`, for users that have a password. Failed attempts count towards the login rate limit; while a username or client address is locked out, Basic credentials answer 401 with `Retry-After`."},
            },
            "headers": headers(),
            "responses": problem_responses(),
            "schemas": schemas(),
        },
    })
}

const TAGS: &[(&str, &str)] = &[
    (
        "service",
        "Index, health and this description; no credentials needed.",
    ),
    (
        "auth",
        "Logging in, the caller, and the caller's API tokens.",
    ),
    ("users", "User accounts."),
    (
        "customers",
        "Billing accounts that organizations may belong to.",
    ),
    (
        "organizations",
        "Organizations, their summary and their activity feed.",
    ),
    (
        "members",
        "Memberships of an organization: adding members, join requests and their approval, roles.",
    ),
    (
        "invitations",
        "Invitations to join an organization by email, and accepting them.",
    ),
    ("activity", "The audit trail."),
];

const AWX_TAG: (&str, &str) = (
    "awx",
    "The AWX profile (`/api/`, `/api/v1/`, `/api/v2/`): integer ids, page envelopes, DRF errors as `application/json`, `OPTIONS` answering 200 with a DRF metadata document. Served only when the profile is mounted.",
);
const WALDUR_TAG: (&str, &str) = (
    "waldur",
    "The Waldur profile (`/api/organizations/`, `/api/organization-users/`, ...): 32-hex uuids, bare arrays with `X-Result-Count` and `Link`, DRF errors as `application/json`, `OPTIONS` answering 200. Served only when the profile is mounted.",
);

// ---------------------------------------------------------------------------------------
// Routes

fn service_paths(p: &mut Paths) {
    p.route(
        "/",
        vec![],
        vec![(
            "get",
            op("getIndex", "service", "The API roots")
                .public()
                .ok(200, "The index.", Some(sref("Index")), &[])
                .build(),
        )],
    );
    p.route(
        "/healthz",
        vec![],
        vec![(
            "get",
            op("getHealth", "service", "Readiness: whether the database answers")
                .public()
                .ok(200, "The database answers.", Some(sref("Health")), &[])
                .response(
                    503,
                    json!({"description": "The database does not answer.", "headers": hdrs(&["Retry-After"]), "content": {"application/json": {"schema": sref("Health")}}}),
                )
                .build(),
        )],
    );
    p.route(
        "/openapi.json",
        vec![],
        vec![(
            "get",
            op("getOpenApi", "service", "This OpenAPI description")
                .public()
                .ok(
                    200,
                    "The OpenAPI 3.1 document.",
                    Some(json!({"type": "object"})),
                    &[],
                )
                .build(),
        )],
    );
}

fn auth_paths(p: &mut Paths) {
    p.route(
        "/v1/auth/login",
        vec![],
        vec![(
            "post",
            op("login", "auth", "Exchange a username and password for a login token (24 hours)")
                .describe("A wrong password and an unknown user answer the same 401. After 10 failures in 15 minutes for one username or one client address the answer is 429 with `Retry-After`. An `Authorization` header that does not authenticate is a 401 here too.")
                .public()
                .body("Login", true)
                .ok(201, "A new login token, shown once.", Some(sref("LoginResponse")), &[])
                .errors(&[400, 413, 415, 429])
                .build(),
        )],
    );
    p.route(
        "/v1/me",
        vec![],
        vec![(
            "get",
            op("getMe", "auth", "The caller, with their memberships")
                .ok(200, "The caller.", Some(sref("Me")), &["ETag"])
                .not_modified()
                .build(),
        )],
    );
    p.route(
        "/v1/tokens",
        vec![],
        vec![
            (
                "get",
                list_op(
                    "listTokens",
                    "auth",
                    "The caller's live API and login tokens (newest first)",
                    "Token",
                    vec![],
                    &[],
                    None,
                )
                .build(),
            ),
            (
                "post",
                create_op(
                    "createToken",
                    "auth",
                    "Create an API token; its secret appears only in this response",
                    "TokenCreate",
                    "TokenCreated",
                    false,
                )
                .body("TokenCreate", false)
                .links(&["revokeToken"])
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/tokens/{id}",
        vec![path_uuid("id", "The token's id.")],
        vec![(
            "delete",
            op("revokeToken", "auth", "Revoke one of the caller's tokens")
                .ok(204, "Revoked.", None, &[])
                .errors(&[404])
                .build(),
        )],
    );
}

fn user_paths(p: &mut Paths) {
    let filters = vec![
        q_text("username", 512, "Exact match, case-insensitive."),
        q_text("email", 512, "Exact match, case-insensitive."),
        q_bool("is_active"),
        q_bool("is_staff"),
        q_bool("is_service_account"),
    ];
    p.route(
        "/v1/users",
        vec![],
        vec![
            (
                "get",
                list_op(
                    "listUsers",
                    "users",
                    "Users: staff see all; others themselves and their co-members",
                    "User",
                    filters,
                    &["username", "email", "created"],
                    Some("username, email, first_name, last_name"),
                )
                .build(),
            ),
            (
                "post",
                create_op(
                    "createUser",
                    "users",
                    "Create a user (staff)",
                    "UserCreate",
                    "User",
                    true,
                )
                .errors(&[403, 409])
                .links(&["getUser", "updateUser", "replaceUser", "deleteUser"])
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/users/{id}",
        vec![path_uuid("id", "The user's id.")],
        vec![
            ("get", get_op("getUser", "users", "A user (staff, themself, or a co-member)", "User").build()),
            ("put", update_op("replaceUser", "users", "Replace a user (staff, or the user on themself)", "UserPut", "User", true).errors(&[403, 409]).build()),
            ("patch", update_op("updateUser", "users", "Change some fields of a user (staff, or the user on themself)", "UserPatch", "User", false).errors(&[403, 409]).build()),
            (
                "delete",
                delete_op("deleteUser", "users", "Delete a user with their memberships and tokens")
                    .describe("Staff, or the user on themself. 409 when the user is the last active owner of an organization.")
                    .errors(&[403, 409])
                    .build(),
            ),
        ],
    );
}

fn customer_paths(p: &mut Paths) {
    let filters = vec![
        q_text("name", 512, "Exact match, case-insensitive."),
        q_text("abbreviation", 512, "Exact match, case-insensitive."),
    ];
    p.route(
        "/v1/customers",
        vec![],
        vec![
            (
                "get",
                list_op(
                    "listCustomers",
                    "customers",
                    "Customers: staff see all; others those they own",
                    "Customer",
                    filters,
                    &["name", "created"],
                    Some("name, abbreviation"),
                )
                .build(),
            ),
            (
                "post",
                create_op(
                    "createCustomer",
                    "customers",
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
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/customers/{id}",
        vec![path_uuid("id", "The customer's id.")],
        vec![
            (
                "get",
                get_op(
                    "getCustomer",
                    "customers",
                    "A customer (staff, or one of its owners)",
                    "Customer",
                )
                .build(),
            ),
            (
                "put",
                update_op(
                    "replaceCustomer",
                    "customers",
                    "Replace a customer (staff)",
                    "CustomerPut",
                    "Customer",
                    true,
                )
                .errors(&[403])
                .build(),
            ),
            (
                "patch",
                update_op(
                    "updateCustomer",
                    "customers",
                    "Change some fields of a customer (staff)",
                    "CustomerPatch",
                    "Customer",
                    false,
                )
                .errors(&[403])
                .build(),
            ),
            (
                "delete",
                delete_op(
                    "deleteCustomer",
                    "customers",
                    "Delete a customer that has no organizations (staff)",
                )
                .errors(&[403, 409])
                .build(),
            ),
        ],
    );
}

fn org_paths(p: &mut Paths) {
    let filters = vec![
        q_text("name", 512, "Exact match, case-insensitive."),
        q_text("native_name", 512, "Exact match, case-insensitive."),
        q_text("abbreviation", 512, "Exact match, case-insensitive."),
        q_uuid("customer", "The customer's id."),
        q_uuid("owner", "The owner's user id."),
        q_text("currency_code", 512, "Exact match."),
    ];
    p.route(
        "/v1/organizations",
        vec![],
        vec![
            (
                "get",
                list_op("listOrganizations", "organizations", "Organizations: staff see all; others those they are an active member of or whose customer they own", "Organization", filters, &["name", "native_name", "abbreviation", "created", "modified"], Some("name, native_name, abbreviation, description"))
                    .build(),
            ),
            (
                "post",
                create_op("createOrganization", "organizations", "Create an organization; its owner becomes an approved owner member", "OrganizationCreate", "OrganizationCreated", true)
                    .describe("Any active user who is not a service account (or only staff, as configured). `owner` defaults to the caller; only staff may name another user (403). 409 for a taken name or abbreviation, or when the owner already owns the configured maximum of organizations. With `invite`, an invitation is created in the same transaction (errors name its fields as `invite.<field>`) and returned as `invitation`, with its one-time token.")
                    .errors(&[403, 409])
                    .links(&["getOrganization", "updateOrganization", "replaceOrganization", "deleteOrganization", "getOrganizationSummary", "listOrganizationActivity", "listMembers", "addMembers", "listInvitations", "createInvitation"])
                    .build(),
            ),
        ],
    );
    p.route(
        "/v1/organizations/{id}",
        vec![path_org()],
        vec![
            ("get", get_op("getOrganization", "organizations", "An organization, by id or unique name", "Organization").build()),
            ("put", update_op("replaceOrganization", "organizations", "Replace an organization (owner, admin, customer owner, staff)", "OrganizationPut", "Organization", true).errors(&[403, 409]).build()),
            (
                "patch",
                update_op("updateOrganization", "organizations", "Change some fields of an organization", "OrganizationPatch", "Organization", false)
                    .describe("Owners, admins, customer owners and staff; a body with only `currency_code` also by `accounting` members. Changing `owner` is for owners and staff; changing `customer` for staff and the customer's owners.")
                    .errors(&[403, 409])
                    .build(),
            ),
            ("delete", delete_op("deleteOrganization", "organizations", "Delete an organization with its memberships and invitations (owner, staff)").errors(&[403]).build()),
        ],
    );
    p.route(
        "/v1/organizations/{id}/summary",
        vec![path_org()],
        vec![("get", op("getOrganizationSummary", "organizations", "Member counts, open invitations, pending requests, last activity").describe("Owners, admins, accounting members, customer owners and staff; other members get 403.").ok(200, "The summary.", Some(sref("Summary")), &[]).errors(&[403, 404]).build())],
    );
    p.route(
        "/v1/organizations/{id}/activity",
        vec![path_org()],
        vec![(
            "get",
            activity_list(
                "listOrganizationActivity",
                "organizations",
                "An organization's activity, newest first (owners, admins, customer owners, staff)",
            )
            .build(),
        )],
    );
}

fn member_paths(p: &mut Paths) {
    let filters = vec![
        q_enum("role", ROLES),
        q_enum("status", &["pending", "approved", "rejected"]),
        q_bool("is_active"),
        q_uuid("user", "The member's user id."),
    ];
    let member = json!({"id": "$request.path.id", "user": "$response.body#/user"});
    p.route(
        "/v1/organizations/{id}/members",
        vec![path_org()],
        vec![
            (
                "get",
                list_op(
                    "listMembers",
                    "members",
                    "An organization's memberships, any status (anyone who can see the organization)",
                    "Membership",
                    filters,
                    &["username", "role", "status", "created"],
                    Some("the member's username, email, first_name, last_name"),
                )
                .build(),
            ),
            (
                "post",
                links_to(
                    op("addMembers", "members", "Add members, or ask to join")
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
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/organizations/{id}/members/{user}",
        vec![path_org(), path_member()],
        vec![
            (
                "get",
                get_op(
                    "getMember",
                    "members",
                    "A membership (anyone who can see the organization; `me`: the caller's own, any status)",
                    "Membership",
                )
                .build(),
            ),
            (
                "patch",
                update_op(
                    "updateMember",
                    "members",
                    "Change a member's role or activity",
                    "MemberPatch",
                    "Membership",
                    false,
                )
                .describe("Managers within their rank (only owners and staff touch `owner`); a member on themself may only lower their role or deactivate (403 otherwise). 409 when it would leave the organization without an active owner.")
                .errors(&[403, 409])
                .build(),
            ),
            (
                "delete",
                delete_op(
                    "removeMember",
                    "members",
                    "Remove a member, or leave (`me`, or one's own id)",
                )
                .describe("Managers remove members within their rank (403 otherwise); anyone may leave. 409 for the last active owner.")
                .errors(&[403, 409])
                .build(),
            ),
        ],
    );
    for (path, id, approve) in [
        (
            "/v1/organizations/{id}/members/{user}/approve",
            "approveMember",
            true,
        ),
        (
            "/v1/organizations/{id}/members/{user}/reject",
            "rejectMember",
            false,
        ),
    ] {
        let summary = if approve {
            "Approve a pending membership (join request)"
        } else {
            "Reject a pending membership (join request)"
        };
        p.route(
            path,
            vec![path_org(), path_member()],
            vec![(
                "post",
                action_op(id, "members", summary, Some("Empty"), "Membership", &["ETag"])
                    .describe("Owners, admins, customer owners and staff (approving needs the right to grant the requested role: 403). The body is empty or `{}`. 409 when the membership is not pending.")
                    .errors(&[403, 409])
                    .build(),
            )],
        );
    }
}

fn invitation_paths(p: &mut Paths) {
    let filters = vec![
        q_enum("status", &["open", "accepted", "revoked", "expired"]),
        q_text("email", 512, "Exact match, case-insensitive."),
        q_enum("role", ROLES),
    ];
    let nested = json!({"id": "$request.path.id", "invitation": "$response.body#/id"});
    p.route(
        "/v1/organizations/{id}/invitations",
        vec![path_org()],
        vec![
            (
                "get",
                list_op(
                    "listInvitations",
                    "invitations",
                    "An organization's invitations, newest first (owners, admins, customer owners, staff)",
                    "Invitation",
                    filters,
                    &["email", "created"],
                    Some("the email address"),
                )
                .errors(&[403])
                .build(),
            ),
            (
                "post",
                links_to(
                    links_to(
                        create_op(
                            "createInvitation",
                            "invitations",
                            "Invite someone by email; the one-time token appears only in this response",
                            "InvitationCreate",
                            "InvitationCreated",
                            true,
                        )
                        .describe("Owners, admins, customer owners and staff, granting at most their own rank (only owners and staff invite owners: 403). The accept link is delivered to the recipient. 409 when an open invitation for the email exists or a member already has it.")
                        .errors(&[403, 404, 409]),
                        &["getInvitation", "revokeInvitation", "resendInvitation"],
                        nested.clone(),
                    ),
                    &["acceptInvitation"],
                    json!({"token": "$response.body#/token"}),
                )
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/organizations/{id}/invitations/{invitation}",
        vec![path_org(), path_uuid("invitation", "The invitation's id.")],
        vec![
            (
                "get",
                get_op(
                    "getInvitation",
                    "invitations",
                    "An invitation (owners, admins, customer owners, staff)",
                    "Invitation",
                )
                .errors(&[403])
                .build(),
            ),
            (
                "delete",
                op(
                    "revokeInvitation",
                    "invitations",
                    "Revoke an open invitation; it stays readable as `revoked`",
                )
                .ok(204, "Revoked.", None, &[])
                .errors(&[403, 404, 409])
                .build(),
            ),
        ],
    );
    p.route(
        "/v1/organizations/{id}/invitations/{invitation}/resend",
        vec![path_org(), path_uuid("invitation", "The invitation's id.")],
        vec![(
            "post",
            links_to(
                action_op(
                    "resendInvitation",
                    "invitations",
                    "Deliver an open invitation again with a new token (the old one stops working) and a renewed expiry",
                    Some("Empty"),
                    "InvitationCreated",
                    &["ETag"],
                )
                .errors(&[403, 409]),
                &["acceptInvitation"],
                json!({"token": "$response.body#/token"}),
            )
            .build(),
        )],
    );
    p.route(
        "/v1/invitations/{token}/accept",
        vec![json!({"name": "token", "in": "path", "required": true, "description": "The invitation's one-time token.", "schema": {"type": "string", "minLength": 1}})]
        ,
        vec![(
            "post",
            op("acceptInvitation", "invitations", "Accept an invitation: join the organization with its role")
                .describe("Signed in, with an empty body or `{}`: the caller's email must be the invited one (403). Anonymous, with `username` and `password`: creates the account with the invited email (400 naming both when either is missing; 409 when an account has that email) and answers a login token too. 404 for an unknown token, 409 for one already used or revoked (or a caller who is already a member), 410 for an expired one.")
                .optional_auth()
                .body("InvitationAccept", false)
                .ok(200, "Accepted.", Some(sref("Accepted")), &[])
                .errors(&[400, 403, 404, 409, 410, 413, 415])
                .build(),
        )],
    );
}

fn activity_paths(p: &mut Paths) {
    p.route(
        "/v1/activity",
        vec![],
        vec![(
            "get",
            activity_list(
                "listActivity",
                "activity",
                "The whole audit trail, newest first (staff)",
            )
            .build(),
        )],
    );
}

fn activity_list(id: &str, tag: &str, summary: &str) -> Op {
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
    list_op(id, tag, summary, "Activity", filters, &[], None).errors(&[403])
}

// ---------------------------------------------------------------------------------------
// Profiles

/// `page` (a value that is not a page, or a page past the end, is 404 `Invalid page.`) and
/// `page_size` (lenient, as DRF: anything that is not a positive integer means the default).
fn drf_paging(default: u32, max: u32) -> Vec<Value> {
    vec![
        q(
            "page",
            json!({"type": "integer", "minimum": 1, "maximum": 1_000_000_000, "default": 1}),
            "1-based page number. Anything else, or a page past the end, is 404 `Invalid page.`.",
        ),
        q(
            "page_size",
            json!({"type": "string"}),
            &format!("Results per page: a positive integer (default {default}, clamped to {max}); any other value means the default."),
        ),
    ]
}

/// AWX `order_by`: comma-separated keys, `-` for descending; an unknown key is 400.
fn awx_order(keys: &[&str]) -> Value {
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

fn int64() -> Value {
    json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX})
}

/// An AWX paged list: paging, ordering and field lookups (any other query key is 400).
fn awx_list(id: &str, summary: &str, item: &str, params: Vec<Value>) -> Op {
    op(id, "awx", summary)
        .params(drf_paging(25, 200))
        .params(params)
        .ok(200, "One page.", Some(page_of(item)), &[])
        .errors(&[400, 404])
}

fn awx_paths(p: &mut Paths) {
    p.route(
        "/api/",
        vec![],
        vec![(
            "get",
            op("awxApiRoot", "awx", "AWX: the API root and its versions")
                .bare()
                .ok(200, "The root.", Some(sref("AwxApiRoot")), &[])
                .build(),
        )],
    );
    p.route(
        "/api/login/",
        vec![],
        vec![
            (
                "get",
                op("awxLoginInfo", "awx", "AWX: how to log in")
                    .bare()
                    .ok(200, "A hint.", Some(sref("DrfDetail")), &[])
                    .build(),
            ),
            (
                "post",
                op("awxLogin", "awx", "AWX: session login")
                    .describe("Form-encoded (or JSON) `username`, `password` and `next`. Success sets a `sessionid` cookie (30 minutes, accepted by every AWX and Waldur route) and redirects to `next` when it is a local path, else to `/api/`. Missing fields and wrong credentials are 401; too many failures for the username or the client address are 429.")
                    .public()
                    .form_body("AwxLogin")
                    .response(302, json!({"description": "Logged in.", "headers": hdrs(&["Location", "Set-Cookie"])}))
                    .errors(&[400, 413, 415, 429])
                    .build(),
            ),
        ],
    );
    for v in ["v1", "v2"] {
        let id = |name: &str| format!("awx{}{name}", v.to_uppercase());
        let org_id = json!({"name": "id", "in": "path", "required": true, "description": "The organization's integer id; anything else names nothing (404).", "schema": int64()});
        let user_id = json!({"name": "id", "in": "path", "required": true, "description": "The user's integer id; anything else names nothing (404).", "schema": int64()});
        p.route(
            &format!("/api/{v}/"),
            vec![],
            vec![(
                "get",
                op(&id("VersionRoot"), "awx", "AWX: the version root")
                    .bare()
                    .ok(200, "The links.", Some(sref("AwxVersionRoot")), &[])
                    .build(),
            )],
        );
        p.route(
            &format!("/api/{v}/ping/"),
            vec![],
            vec![(
                "get",
                op(&id("Ping"), "awx", "AWX: ping (no credentials needed)")
                    .bare()
                    .ok(200, "Alive.", Some(sref("AwxPing")), &[])
                    .build(),
            )],
        );
        p.route(
            &format!("/api/{v}/config/"),
            vec![],
            vec![(
                "get",
                op(&id("Config"), "awx", "AWX: server configuration")
                    .ok(200, "The configuration.", Some(sref("AwxConfig")), &[])
                    .build(),
            )],
        );
        p.route(
            &format!("/api/{v}/me/"),
            vec![],
            vec![(
                "get",
                op(&id("Me"), "awx", "AWX: the caller, as a one-item page")
                    .ok(200, "The caller.", Some(page_of("AwxUser")), &[])
                    .build(),
            )],
        );
        let text = |name: &str| {
            q(
                name,
                json!({"type": "string", "maxLength": 512}),
                "Exact match (case-insensitive for names and emails).",
            )
        };
        let contains = |name: &str| {
            q(
                name,
                json!({"type": "string", "maxLength": 512}),
                "Case-insensitive substring.",
            )
        };
        p.route(
            &format!("/api/{v}/users/"),
            vec![],
            vec![(
                "get",
                awx_list(
                    &id("ListUsers"),
                    "AWX: users (staff see all; others themselves and their co-members)",
                    "AwxUser",
                    vec![
                        awx_order(&["id", "username", "created"]),
                        q("id", int64(), "Exact match."),
                        text("username"),
                        contains("username__icontains"),
                        text("email"),
                        text("first_name"),
                        text("last_name"),
                    ],
                )
                .build(),
            )],
        );
        p.route(
            &format!("/api/{v}/users/{{id}}/"),
            vec![user_id],
            vec![(
                "get",
                op(
                    &id("GetUser"),
                    "awx",
                    "AWX: a user (staff, themself, or a co-member)",
                )
                .ok(200, "The user.", Some(sref("AwxUser")), &[])
                .errors(&[404])
                .build(),
            )],
        );
        p.route(
            &format!("/api/{v}/users/{{username}}/personal_tokens/"),
            vec![json!({"name": "username", "in": "path", "required": true, "description": "The caller's username, id or integer id; anyone else is 403.", "schema": {"type": "string", "minLength": 1}})],
            vec![(
                "post",
                op(&id("CreatePersonalToken"), "awx", "AWX: create a personal access token for the caller")
                    .body("AwxTokenCreate", false)
                    .ok(201, "The token; its secret appears only here.", Some(sref("AwxToken")), &[])
                    .errors(&[400, 403, 413, 415])
                    .build(),
            )],
        );
        p.route(
            &format!("/api/{v}/organizations/"),
            vec![],
            vec![
                (
                    "get",
                    awx_list(
                        &id("ListOrganizations"),
                        "AWX: organizations (staff see all; others those they are an active member of)",
                        "AwxOrganization",
                        vec![
                            q("search", json!({"type": "string"}), "Space- or comma-separated terms (at most 10), each a case-insensitive substring of the name or description."),
                            awx_order(&["id", "name", "description", "created", "modified"]),
                            q("id", int64(), "Exact match."),
                            text("name"),
                            contains("name__icontains"),
                            contains("description__icontains"),
                            q("created__gt", json!({"type": "string", "format": "date-time"}), "Created after this time (RFC 3339)."),
                            q("modified__lt", json!({"type": "string", "format": "date-time"}), "Modified before this time (RFC 3339)."),
                        ],
                    )
                    .build(),
                ),
                (
                    "post",
                    links_to(
                        op(&id("CreateOrganization"), "awx", "AWX: create an organization (superusers)")
                            .body("AwxOrganizationCreate", true)
                            .ok(201, "Created.", Some(sref("AwxOrganization")), &["Location"])
                            .errors(&[400, 403, 409, 413, 415]),
                        &[&id("GetOrganization"), &id("UpdateOrganization"), &id("ReplaceOrganization"), &id("DeleteOrganization"), &id("ListOrganizationUsers"), &id("AssociateOrganizationUser"), &id("ListOrganizationAdmins"), &id("AssociateOrganizationAdmin"), &id("ListOrganizationActivity")],
                        json!({"id": "$response.body#/id"}),
                    )
                    .build(),
                ),
            ],
        );
        p.route(
            &format!("/api/{v}/organizations/{{id}}/"),
            vec![org_id.clone()],
            vec![
                (
                    "get",
                    op(&id("GetOrganization"), "awx", "AWX: an organization")
                        .ok(200, "The organization.", Some(sref("AwxOrganization")), &[])
                        .errors(&[404])
                        .build(),
                ),
                (
                    "put",
                    op(&id("ReplaceOrganization"), "awx", "AWX: replace an organization's name and description (organization admins, superusers)")
                        .body("AwxOrganizationCreate", true)
                        .ok(200, "Updated.", Some(sref("AwxOrganization")), &[])
                        .errors(&[400, 403, 404, 413, 415])
                        .build(),
                ),
                (
                    "patch",
                    op(&id("UpdateOrganization"), "awx", "AWX: change an organization's name or description (organization admins, superusers)")
                        .body("AwxOrganizationPatch", false)
                        .ok(200, "Updated.", Some(sref("AwxOrganization")), &[])
                        .errors(&[400, 403, 404, 413, 415])
                        .build(),
                ),
                (
                    "delete",
                    op(&id("DeleteOrganization"), "awx", "AWX: delete an organization (organization admins, superusers)")
                        .ok(204, "Deleted.", None, &[])
                        .errors(&[403, 404])
                        .build(),
                ),
            ],
        );
        for (sub, name, what) in [
            ("users", "User", "every approved member"),
            ("admins", "Admin", "owners and admins"),
        ] {
            p.route(
                &format!("/api/{v}/organizations/{{id}}/{sub}/"),
                vec![org_id.clone()],
                vec![
                    (
                        "get",
                        awx_list(
                            &id(&format!("ListOrganization{name}s")),
                            &format!("AWX: an organization's {sub}: {what}"),
                            "AwxUser",
                            vec![awx_order(&["username", "id"]), text("username"), contains("username__icontains")],
                        )
                        .build(),
                    ),
                    (
                        "post",
                        op(&id(&format!("AssociateOrganization{name}")), "awx", &format!("AWX: associate a user with the organization's {sub}, or disassociate"))
                            .describe(if sub == "admins" {
                                "`{\"id\": N}` makes user N (any user) an admin, adding them if needed; with `\"disassociate\": true` an owner or admin becomes a viewer. Organization admins and superusers only, within their rank (403; 404 when the organization is not visible)."
                            } else {
                                "`{\"id\": N}` adds user N (any user) as a viewer (a member stays as is); with `\"disassociate\": true` the membership is removed (409 for the last active owner). Organization admins and superusers only, within their rank (403; 404 when the organization is not visible)."
                            })
                            .body("AwxAssociate", true)
                            .ok(204, "Done.", None, &[])
                            .errors(&[400, 403, 404, 409, 413, 415])
                            .build(),
                    ),
                ],
            );
        }
        p.route(
            &format!("/api/{v}/organizations/{{id}}/activity_stream/"),
            vec![org_id],
            vec![(
                "get",
                op(&id("ListOrganizationActivity"), "awx", "AWX: an organization's activity stream, newest first (anyone who can read the organization)")
                    .params(drf_paging(25, 200))
                    .ok(200, "One page.", Some(page_of("AwxActivity")), &[])
                    .errors(&[404])
                    .build(),
            )],
        );
    }
}

fn path_hex(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": format!("The {what}'s uuid: 32 hex digits (the dashed form works too); anything else names nothing (404)."), "schema": {"type": "string", "pattern": UUID_PATTERN}})
}

/// A Waldur list: a bare array with `X-Result-Count` and `Link`.
fn waldur_list(id: &str, summary: &str, item: &str, params: Vec<Value>) -> Op {
    op(id, "waldur", summary)
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

fn waldur_paths(p: &mut Paths) {
    let any = |name: &str, description: &str| q(name, json!({"type": "string"}), description);
    p.route(
        "/api/organizations/",
        vec![],
        vec![
            (
                "get",
                waldur_list(
                    "waldurListOrganizations",
                    "Waldur: every organization (any signed-in user)",
                    "WaldurOrganization",
                    vec![
                        any("name", "Case-insensitive substring (first 512 characters)."),
                        any("native_name", "Case-insensitive substring (first 512 characters)."),
                        any("abbreviation", "Case-insensitive substring (first 512 characters)."),
                        any("customer", "A customer URL or uuid; one that names no customer matches nothing."),
                        any("customer_uuid", "The same as `customer` (and preferred over it)."),
                        any("o", "Ordering: comma-separated `name`, `native_name`, `abbreviation`, `-` for descending; unknown keys are ignored."),
                    ],
                )
                .build(),
            ),
            (
                "post",
                links_to(
                    op("waldurCreateOrganization", "waldur", "Waldur: create an organization (staff)")
                        .describe("400 (as a field error) for a taken name or abbreviation, an unknown customer, or a customer that already has an organization.")
                        .body("WaldurOrganizationCreate", true)
                        .ok(201, "Created.", Some(sref("WaldurOrganization")), &["Location"])
                        .errors(&[400, 403, 413, 415]),
                    &["waldurGetOrganization", "waldurUpdateOrganization", "waldurReplaceOrganization", "waldurDeleteOrganization"],
                    json!({"uuid": "$response.body#/uuid"}),
                )
                .build(),
            ),
        ],
    );
    p.route(
        "/api/organizations/{uuid}/",
        vec![path_hex("uuid", "organization")],
        vec![
            (
                "get",
                op(
                    "waldurGetOrganization",
                    "waldur",
                    "Waldur: an organization (any signed-in user; `customer` shown to staff)",
                )
                .ok(
                    200,
                    "The organization.",
                    Some(sref("WaldurOrganization")),
                    &[],
                )
                .errors(&[404])
                .build(),
            ),
            (
                "put",
                op(
                    "waldurReplaceOrganization",
                    "waldur",
                    "Waldur: replace an organization (staff)",
                )
                .body("WaldurOrganizationCreate", true)
                .ok(200, "Updated.", Some(sref("WaldurOrganization")), &[])
                .errors(&[400, 403, 404, 413, 415])
                .build(),
            ),
            (
                "patch",
                op(
                    "waldurUpdateOrganization",
                    "waldur",
                    "Waldur: change some fields of an organization (staff)",
                )
                .body("WaldurOrganizationPatch", false)
                .ok(200, "Updated.", Some(sref("WaldurOrganization")), &[])
                .errors(&[400, 403, 404, 413, 415])
                .build(),
            ),
            (
                "delete",
                op(
                    "waldurDeleteOrganization",
                    "waldur",
                    "Waldur: delete an organization (staff)",
                )
                .ok(204, "Deleted.", None, &[])
                .errors(&[403, 404])
                .build(),
            ),
        ],
    );
    p.route(
        "/api/organization-users/",
        vec![],
        vec![
            (
                "get",
                waldur_list(
                    "waldurListOrganizationUsers",
                    "Waldur: organization-users (staff see all; others their own and those of organizations whose customer they own)",
                    "WaldurOrganizationUser",
                    vec![
                        any("organization", "An organization URL or uuid; one that names nothing matches nothing."),
                        any("organization_uuid", "The same as `organization`."),
                        any("user", "A user URL or uuid; one that names nothing matches nothing."),
                        any("user_uuid", "The same as `user`."),
                        q("is_approved", json!({"type": "boolean"}), "`true` or `false` (also `1`/`0`); anything else is 400."),
                        any("o", "Ordering: `is_approved` or `-is_approved`; unknown keys are ignored."),
                    ],
                )
                .errors(&[400])
                .build(),
            ),
            (
                "post",
                links_to(
                    op("waldurCreateOrganizationUser", "waldur", "Waldur: ask to join an organization (created unapproved)")
                        .describe("For oneself (staff: for anyone). A user belongs to at most one organization here (400). 409 when the user is already a member; 403 when the organization does not accept join requests.")
                        .body("WaldurOrganizationUserCreate", true)
                        .ok(201, "Created.", Some(sref("WaldurOrganizationUser")), &[])
                        .errors(&[400, 403, 409, 413, 415]),
                    &["waldurGetOrganizationUser", "waldurDeleteOrganizationUser", "waldurApproveOrganizationUser", "waldurRejectOrganizationUser"],
                    json!({"uuid": "$response.body#/uuid"}),
                )
                .build(),
            ),
        ],
    );
    p.route(
        "/api/organization-users/{uuid}/",
        vec![path_hex("uuid", "organization-user")],
        vec![
            (
                "get",
                op("waldurGetOrganizationUser", "waldur", "Waldur: an organization-user (one's own; staff and the customer's owners: any)")
                    .ok(200, "The organization-user.", Some(sref("WaldurOrganizationUser")), &[])
                    .errors(&[404])
                    .build(),
            ),
            (
                "delete",
                op("waldurDeleteOrganizationUser", "waldur", "Waldur: withdraw a request, or remove a member (approved ones: staff and the customer's owners)")
                    .ok(204, "Deleted.", None, &[])
                    .errors(&[403, 404, 409])
                    .build(),
            ),
        ],
    );
    for (action, name, approve) in [("approve", "Approve", true), ("reject", "Reject", false)] {
        p.route(
            &format!("/api/organization-users/{{uuid}}/{action}/"),
            vec![path_hex("uuid", "organization-user")],
            vec![(
                "post",
                op(&format!("waldur{name}OrganizationUser"), "waldur", &format!("Waldur: {action} an organization-user in any state (staff and the customer's owners)"))
                    .describe(if approve { "No body is read. 403 when the caller may not grant the member's role." } else { "No body is read. 409 when it would leave the organization without an active owner." })
                    .ok(200, "Done.", Some(sref("DrfDetail")), &[])
                    .errors(&[403, 404, 409])
                    .build(),
            )],
        );
    }
    p.route(
        "/api/customers/{uuid}/",
        vec![path_hex("uuid", "customer")],
        vec![(
            "get",
            op(
                "waldurGetCustomer",
                "waldur",
                "Waldur: a customer (staff, or one of its owners)",
            )
            .ok(200, "The customer.", Some(sref("WaldurCustomer")), &[])
            .errors(&[404])
            .build(),
        )],
    );
    p.route(
        "/api/users/{uuid}/",
        vec![path_hex("uuid", "user")],
        vec![(
            "get",
            op(
                "waldurGetUser",
                "waldur",
                "Waldur: a user (staff, themself, or a co-member)",
            )
            .ok(200, "The user.", Some(sref("WaldurUser")), &[])
            .errors(&[404])
            .build(),
        )],
    );
}

// ---------------------------------------------------------------------------------------
// Operation builders

/// Path items in insertion order of their paths.
#[derive(Default)]
struct Paths(Map<String, Value>);

impl Paths {
    /// Adds a link from the success response of operation `from` to operation `to`.
    fn link(&mut self, from: &str, to: &str, parameters: &Value) {
        for item in self.0.values_mut() {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                if op["operationId"] != from {
                    continue;
                }
                let responses = op["responses"].as_object_mut().expect("responses");
                if let Some((_, r)) = responses.iter_mut().find(|(s, _)| s.starts_with('2')) {
                    r["links"][upper_first(to)] =
                        json!({"operationId": to, "parameters": parameters});
                }
            }
        }
    }

    /// One path: its path parameters and one operation per (lower-case) method.
    fn route(&mut self, path: &str, params: Vec<Value>, ops: Vec<(&str, Value)>) {
        let mut item = Map::new();
        if !params.is_empty() {
            item.insert("parameters".into(), Value::Array(params));
        }
        for (method, mut op) in ops {
            let native = !op["tags"].as_array().is_some_and(|t| {
                t.iter()
                    .any(|t| t == "service" || PROFILES.contains(&t.as_str().unwrap_or("")))
            });
            if method == "post" && native {
                idempotent(&mut op);
            }
            item.insert(method.into(), op);
        }
        self.0.insert(path.into(), Value::Object(item));
    }
}

/// `Idempotency-Key` on a native POST (it applies whenever the caller is authenticated):
/// the header parameter, 400 for a malformed key, 422 for a key reused with another
/// request, and the replay marker on success.
fn idempotent(op: &mut Value) {
    let param = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "Makes an authenticated POST safe to retry: the first 2xx answer to this (caller, key) is stored for 24 hours and replayed, with `Idempotent-Replayed: true`, to a retry with the same method, path, body and credentials; the same key with another request, or with other credentials, is 422. 1 to 255 printable ASCII characters (400 otherwise). Ignored for anonymous callers.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"},
    });
    match op.get_mut("parameters") {
        Some(Value::Array(a)) => a.push(param),
        _ => op["parameters"] = json!([param]),
    }
    let responses = op["responses"].as_object_mut().expect("responses");
    for status in ["400", "422"] {
        responses.entry(status).or_insert_with(|| {
            let name = problem_name(status.parse().unwrap_or(400));
            json!({"$ref": format!("#/components/responses/{name}")})
        });
    }
    for (status, r) in responses.iter_mut() {
        if status.starts_with('2') {
            r["headers"]["Idempotent-Replayed"] =
                json!({"$ref": "#/components/headers/Idempotent-Replayed"});
        }
    }
}

struct Op {
    v: Map<String, Value>,
    params: Vec<Value>,
    responses: BTreeMap<String, Value>,
    /// Answers without reading credentials or storage (no 401, no 503).
    bare: bool,
}

fn op(id: &str, tag: &str, summary: &str) -> Op {
    let mut v = Map::new();
    v.insert("operationId".into(), json!(id));
    v.insert("tags".into(), json!([tag]));
    v.insert("summary".into(), json!(summary));
    Op {
        v,
        params: vec![],
        responses: BTreeMap::new(),
        bare: false,
    }
}

/// Profile tags: their operations answer errors in DRF shapes.
const PROFILES: &[&str] = &["awx", "waldur"];

impl Op {
    fn describe(mut self, text: &str) -> Op {
        self.v.insert("description".into(), json!(text));
        self
    }

    /// No credentials needed (an `Authorization` header, if sent, must still be valid).
    fn public(mut self) -> Op {
        self.v.insert("security".into(), json!([]));
        self
    }

    /// Credentials are optional: anonymous callers are served too.
    fn optional_auth(mut self) -> Op {
        self.v.insert(
            "security".into(),
            json!([{}, {"bearer": []}, {"token": []}, {"basic": []}]),
        );
        self
    }

    /// No credentials are read at all and storage is not touched (AWX discovery routes).
    fn bare(mut self) -> Op {
        self.bare = true;
        self.public()
    }

    fn profile(&self) -> bool {
        self.v["tags"].as_array().is_some_and(|t| {
            t.iter()
                .any(|t| PROFILES.contains(&t.as_str().unwrap_or("")))
        })
    }

    fn params(mut self, params: Vec<Value>) -> Op {
        self.params.extend(params);
        self
    }

    /// A form-encoded (or JSON) request body of the component schema `schema`.
    fn form_body(mut self, schema: &str) -> Op {
        self.v.insert(
            "requestBody".into(),
            json!({"required": false, "content": {
                "application/x-www-form-urlencoded": {"schema": sref(schema)},
                "application/json": {"schema": sref(schema)},
            }}),
        );
        self
    }

    /// A JSON request body of the component schema `schema`.
    fn body(mut self, schema: &str, required: bool) -> Op {
        self.v.insert("requestBody".into(), json!({"required": required, "content": {"application/json": {"schema": sref(schema)}}}));
        self
    }

    fn response(mut self, status: u16, response: Value) -> Op {
        self.responses.insert(status.to_string(), response);
        self
    }

    /// A success response: JSON `schema` (or no content) and the named header components.
    fn ok(self, status: u16, description: &str, schema: Option<Value>, headers: &[&str]) -> Op {
        let mut r = json!({"description": description, "headers": hdrs(headers)});
        if let Some(s) = schema {
            r["content"] = json!({"application/json": {"schema": s}});
        }
        self.response(status, r)
    }

    /// 304 for a GET whose `If-None-Match` matches the current ETag.
    fn not_modified(self) -> Op {
        self.response(304, json!({"description": "Not Modified: `If-None-Match` matches the current ETag.", "headers": hdrs(&["ETag"])}))
    }

    /// Error responses (components/responses) for these statuses: problem details on the
    /// native API, DRF bodies on a profile (413 comes from the HTTP layer: a problem).
    fn errors(mut self, statuses: &[u16]) -> Op {
        let drf = self.profile();
        for s in statuses {
            let name = if drf && *s != 413 {
                format!("Drf{}", problem_name(*s))
            } else {
                problem_name(*s).to_string()
            };
            self.responses.insert(
                s.to_string(),
                json!({"$ref": format!("#/components/responses/{name}")}),
            );
        }
        self
    }

    /// Links from the success response to operations taking the created object's `id`.
    fn links(mut self, targets: &[&str]) -> Op {
        let links: Map<String, Value> = targets
            .iter()
            .map(|t| {
                (
                    upper_first(t),
                    json!({"operationId": t, "parameters": {"id": "$response.body#/id"}}),
                )
            })
            .collect();
        if let Some((_, r)) = self.responses.iter_mut().find(|(s, _)| s.starts_with('2')) {
            r["links"] = Value::Object(links);
        }
        self
    }

    fn build(mut self) -> Value {
        // Every `/v1` and profile operation authenticates the caller (a bad `Authorization`
        // is 401, also while Basic credentials are locked out) and may find storage busy
        // (503). The service endpoints and the bare AWX discovery routes do neither
        // (`/healthz` documents its own 503).
        if self.v["tags"] != json!(["service"]) && !self.bare {
            self = self.errors(&[401, 503]);
        }
        if !self.params.is_empty() {
            self.v
                .insert("parameters".into(), Value::Array(self.params));
        }
        self.v.insert("responses".into(), json!(self.responses));
        Value::Object(self.v)
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A paged list of `item`: `page`, `page_size`, the filters, `search` over the named
/// fields (if any) and `order_by` over `orders` (if any).
fn list_op(
    id: &str,
    tag: &str,
    summary: &str,
    item: &str,
    filters: Vec<Value>,
    orders: &[&str],
    search: Option<&str>,
) -> Op {
    let mut params = vec![
        q(
            "page",
            json!({"type": "integer", "minimum": 1, "maximum": 1_000_000_000, "default": 1}),
            "1-based page number. A page past the end is 404.",
        ),
        q(
            "page_size",
            json!({"type": "integer", "minimum": 1, "default": 25}),
            "Results per page: a positive integer of at most 40 digits; values over 200 are clamped to 200.",
        ),
    ];
    if let Some(fields) = search {
        params.push(q(
            "search",
            json!({"type": "string", "maxLength": 200}),
            &format!("Case-insensitive substring match over {fields}."),
        ));
    }
    if !orders.is_empty() {
        let keys: Vec<String> = orders
            .iter()
            .flat_map(|o| [o.to_string(), format!("-{o}")])
            .collect();
        let mut order = q("order_by", json!({"type": "array", "items": {"type": "string", "enum": keys}, "minItems": 1, "maxItems": 8}), "Comma-separated ordering keys (`-` for descending); ties are broken by creation order.");
        order["style"] = json!("form");
        order["explode"] = json!(false);
        params.push(order);
    }
    params.extend(filters);
    op(id, tag, summary)
        .params(params)
        .ok(200, "One page of results.", Some(page_of(item)), &[])
        .errors(&[400, 404])
}

/// POST creating an object: 201 with `Location` (and `ETag` if `etag`).
fn create_op(id: &str, tag: &str, summary: &str, body: &str, item: &str, etag: bool) -> Op {
    let headers: &[&str] = if etag {
        &["Location", "ETag"]
    } else {
        &["Location"]
    };
    op(id, tag, summary)
        .body(body, true)
        .ok(201, "Created.", Some(sref(item)), headers)
        .errors(&[400, 413, 415])
}

/// GET of one object: 200 with `ETag`, or 304.
fn get_op(id: &str, tag: &str, summary: &str, item: &str) -> Op {
    op(id, tag, summary)
        .ok(200, "The object.", Some(sref(item)), &["ETag"])
        .not_modified()
        .errors(&[404])
}

/// PUT (`full`) or PATCH of one object: 200 with the new `ETag`.
fn update_op(id: &str, tag: &str, summary: &str, body: &str, item: &str, full: bool) -> Op {
    op(id, tag, summary)
        .body(body, full)
        .ok(200, "The updated object.", Some(sref(item)), &["ETag"])
        .errors(&[400, 404, 412, 413, 415])
}

/// DELETE of an object that has an ETag: 204 (`If-Match` honoured).
fn delete_op(id: &str, tag: &str, summary: &str) -> Op {
    op(id, tag, summary)
        .ok(204, "Deleted.", None, &[])
        .errors(&[404, 412])
}

/// A POST action on an object (approve, reject, resend...) answering 200 with `item` and
/// the named headers.
fn action_op(
    id: &str,
    tag: &str,
    summary: &str,
    body: Option<&str>,
    item: &str,
    headers: &[&str],
) -> Op {
    let o = op(id, tag, summary);
    let o = match body {
        Some(b) => o.body(b, false).errors(&[400, 413, 415]),
        None => o,
    };
    o.ok(200, "Done.", Some(sref(item)), headers).errors(&[404])
}

/// Links from the success response to operations on a nested object: each target gets
/// `parameters` (runtime expressions by parameter name).
fn links_to(mut o: Op, targets: &[&str], parameters: Value) -> Op {
    let links: Map<String, Value> = targets
        .iter()
        .map(|t| {
            (
                upper_first(t),
                json!({"operationId": t, "parameters": parameters}),
            )
        })
        .collect();
    if let Some((_, r)) = o.responses.iter_mut().find(|(s, _)| s.starts_with('2')) {
        match r.get_mut("links").and_then(Value::as_object_mut) {
            Some(existing) => existing.extend(links),
            None => r["links"] = Value::Object(links),
        }
    }
    o
}

// ---------------------------------------------------------------------------------------
// Parameters

fn q(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn q_text(name: &str, max: usize, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "maxLength": max}),
        description,
    )
}

fn q_bool(name: &str) -> Value {
    q(
        name,
        json!({"type": "boolean"}),
        "`true` or `false` (also `1`/`0`, case-insensitive).",
    )
}

fn q_uuid(name: &str, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "format": "uuid"}),
        description,
    )
}

fn q_time(name: &str, description: &str) -> Value {
    q(
        name,
        json!({"type": "string", "format": "date-time"}),
        &format!("{description} RFC 3339 (a bare date is midnight UTC)."),
    )
}

/// An enumerated exact-match filter (role, status...).
fn q_enum(name: &str, values: &[&str]) -> Value {
    q(
        name,
        json!({"type": "string", "enum": values}),
        "Exact match.",
    )
}

fn path_uuid(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": format!("{description} A value that is not a UUID names nothing (404)."), "schema": {"type": "string", "format": "uuid"}})
}

/// `members/{user}`: a user's id, or `me` for the caller's own membership.
fn path_member() -> Value {
    json!({"name": "user", "in": "path", "required": true, "description": "The member's user id, or `me` for the caller's own membership (found whatever its status). Any other value names nobody (404).", "schema": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "string", "enum": ["me"]}]}})
}

/// `/v1/organizations/{id}`: a UUID (dashed or 32-hex) is an id, anything else a name.
fn path_org() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "The organization's id, or its unique name (URL-encoded).", "schema": {"type": "string", "minLength": 1}})
}

// ---------------------------------------------------------------------------------------
// Responses and headers

fn problem_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "ContentTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableContent",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ => panic!("no problem response for {status}"),
    }
}

fn problem_responses() -> Value {
    let table: &[(u16, &str, &[&str])] = &[
        (
            400,
            "Malformed or invalid request: `errors` names every bad field.",
            &[],
        ),
        (
            401,
            "No credentials, or credentials that do not authenticate (also Basic credentials while their username or client address is locked out: then with `Retry-After`).",
            &["WWW-Authenticate"],
        ),
        (
            403,
            "Authenticated, the object is visible, the action is not allowed.",
            &[],
        ),
        (404, "Absent, or not visible to the caller.", &[]),
        (409, "A uniqueness or state conflict.", &[]),
        (410, "Gone (an expired invitation).", &[]),
        (412, "`If-Match` does not match the current ETag.", &[]),
        (413, "The request body is over the size limit.", &[]),
        (415, "The request body is not JSON.", &[]),
        (422, "Unprocessable content.", &[]),
        (
            429,
            "Too many failed logins for this username or client address; retry after `Retry-After` seconds.",
            &["Retry-After"],
        ),
        (
            503,
            "Storage is busy or unavailable; retry shortly.",
            &["Retry-After"],
        ),
    ];
    let mut out = Map::new();
    for (status, description, headers) in table {
        let mut headers = hdrs(headers);
        if *status == 401 {
            headers["Retry-After"] = json!({"$ref": "#/components/headers/Retry-After-Lockout"});
        }
        out.insert(
            problem_name(*status).into(),
            json!({"description": description, "headers": headers, "content": {"application/problem+json": {"schema": sref("Problem")}}}),
        );
        // The same statuses as the profiles answer them: DRF bodies as application/json.
        // Framing errors (400) and busy body slots (503) are answered by the HTTP layer
        // before a profile sees the request, as problem details.
        let drf = if *status == 400 {
            "DrfError"
        } else {
            "DrfDetail"
        };
        let mut content = json!({"application/json": {"schema": sref(drf)}});
        if [400, 503].contains(status) {
            content["application/problem+json"] = json!({"schema": sref("Problem")});
        }
        let mut headers = headers.clone();
        if *status == 401 {
            headers["WWW-Authenticate"] = json!({"$ref": "#/components/headers/WWW-Authenticate"});
        }
        out.insert(
            format!("Drf{}", problem_name(*status)),
            json!({"description": description, "headers": headers, "content": content}),
        );
    }
    Value::Object(out)
}

/// `X-Request-Id` plus the named header components, all required.
fn hdrs(names: &[&str]) -> Value {
    let mut m = Map::new();
    for n in std::iter::once(&"X-Request-Id").chain(names) {
        m.insert(
            n.to_string(),
            json!({"$ref": format!("#/components/headers/{n}")}),
        );
    }
    Value::Object(m)
}

fn headers() -> Value {
    let h = |description: &str, schema: Value| json!({"description": description, "required": true, "schema": schema});
    json!({
        "X-Request-Id": h("The request's id: the client's own `X-Request-Id` if it was short printable ASCII, else a new one.", json!({"type": "string"})),
        "ETag": h("The object's version, a weak validator `W/\"...\"`.", json!({"type": "string"})),
        "Location": h("The path of the created object.", json!({"type": "string"})),
        "WWW-Authenticate": h("The accepted scheme.", json!({"type": "string"})),
        "Retry-After": h("Seconds to wait before retrying.", json!({"type": "string", "pattern": "^[0-9]+$"})),
        "Retry-After-Lockout": {"description": "Seconds until the lock-out of these Basic credentials ends; only while locked out.", "required": false, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
        "Idempotent-Replayed": {"description": "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.", "required": false, "schema": {"type": "string", "enum": ["true"]}},
        "Location-If-One": {"description": "The path of the created membership (single `user` only).", "required": false, "schema": {"type": "string"}},
        "ETag-If-One": {"description": "The created membership's version (single `user` only).", "required": false, "schema": {"type": "string"}},
        "Set-Cookie": h("`sessionid=<secret>; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800`: the AWX session.", json!({"type": "string", "pattern": "^sessionid="})),
        "X-Result-Count": h("The total number of matching objects.", json!({"type": "string", "pattern": "^[0-9]+$"})),
        "Link": h("RFC 8288 links to the first, previous, next and last pages.", json!({"type": "string"})),
    })
}

// ---------------------------------------------------------------------------------------
// Schemas

/// Characters Rust's `char::is_whitespace` matches (what `trim` strips).
const WS: &str =
    r"\t\n\u000b\f\r\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn sref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn integer() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn object() -> Value {
    json!({"type": "object"})
}

fn enumerated(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// The same schema, also allowing null.
fn nullable(mut s: Value) -> Value {
    if let Some(t) = s.get("type").and_then(Value::as_str).map(str::to_string) {
        s["type"] = json!([t, "null"]);
    }
    if let Some(Value::Array(values)) = s.get_mut("enum") {
        values.push(Value::Null);
    }
    s
}

fn with(mut s: Value, key: &str, value: Value) -> Value {
    s[key] = value;
    s
}

/// A string field as `Body::string` checks it: no NUL, `min..=max` characters, and not
/// only whitespace when `min > 0`.
fn text(min: usize, max: usize) -> Value {
    let pattern = if min > 0 {
        format!(r"^[^\u0000]*[^\u0000{WS}][^\u0000]*$")
    } else {
        r"^[^\u0000]*$".to_string()
    };
    let mut s = json!({"type": "string", "maxLength": max, "pattern": pattern});
    if min > 0 {
        s["minLength"] = json!(min);
    }
    s
}

/// An http(s) URL as the user and organization parsers accept it.
fn url() -> Value {
    json!({"type": ["string", "null"], "maxLength": 2048, "pattern": r"^https?://[^\u0000]*$"})
}

/// A response object: every property is always present.
fn out(props: Value) -> Value {
    let required: Vec<&String> = props
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({"type": "object", "properties": props, "required": required})
}

/// A request object: unknown fields are rejected.
fn input(props: &Value, required: &[&str]) -> Value {
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": false});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// `{name}Create`, `{name}Put` (both with `required`) and `{name}Patch` (nothing required).
fn write_variants(schemas: &mut Map<String, Value>, name: &str, props: Value, required: &[&str]) {
    schemas.insert(format!("{name}Create"), input(&props, required));
    schemas.insert(format!("{name}Put"), input(&props, required));
    schemas.insert(format!("{name}Patch"), input(&props, &[]));
}

/// The list envelope of `item`.
fn page_of(item: &str) -> Value {
    out(json!({
        "count": integer(),
        "next": with(nullable(string()), "description", json!("Path and query of the next page, or null.")),
        "previous": with(nullable(string()), "description", json!("Path and query of the previous page, or null.")),
        "results": {"type": "array", "items": sref(item)},
    }))
}

const ROLES: &[&str] = &["owner", "admin", "contributor", "accounting", "viewer"];

fn user_props() -> Value {
    json!({
        "id": uuid(), "username": string(), "email": nullable(string()), "first_name": string(),
        "last_name": string(), "company": string(), "job_title": string(), "avatar_url": nullable(string()),
        "preferred_language": string(), "metadata": object(), "is_active": boolean(), "is_staff": boolean(),
        "is_service_account": boolean(), "created": time(), "modified": time(),
    })
}

fn token_props() -> Value {
    json!({
        "id": uuid(), "name": string(), "kind": enumerated(&["api", "login"]), "prefix": string(),
        "expires": nullable(time()), "last_used": nullable(time()), "created": time(),
    })
}

fn secret() -> Value {
    json!({"type": "string", "pattern": "^org_[A-Za-z0-9_-]{43,}$", "description": "The token secret, shown only once."})
}

fn schemas() -> Value {
    let mut s = Map::new();
    let ws = WS;

    s.insert("User".into(), out(user_props()));
    let user_in = json!({
        "username": {"type": "string", "minLength": 1, "maxLength": 150, "pattern": format!(r"^[^\u0000-\u001f\u007f-\u009f{ws}/]+$"), "description": "Unique, case-insensitive; no whitespace, control characters or slashes."},
        "email": {"type": ["string", "null"], "maxLength": 254, "pattern": format!(r"^[^@\u0000{ws}]+@[^\u0000{ws}]*\.[^\u0000{ws}]*$"), "description": "Unique, case-insensitive."},
        "first_name": text(0, 150), "last_name": text(0, 150), "company": text(0, 512), "job_title": text(0, 512),
        "avatar_url": url(), "preferred_language": text(0, 35),
        "metadata": with(object(), "description", json!("Any JSON object of at most 16 KiB.")),
        "is_active": with(boolean(), "description", json!("Staff only.")),
        "is_staff": with(boolean(), "description", json!("Staff only.")),
        "is_service_account": with(boolean(), "description", json!("Staff only.")),
        "password": {"type": ["string", "null"], "minLength": 8, "maxLength": 4096, "pattern": r"^[^\u0000]*$", "writeOnly": true, "description": "Sets (or with null, keeps) the password; never returned."},
    });
    write_variants(&mut s, "User", user_in, &["username"]);

    let mut me = user_props();
    me["memberships"] = json!({"type": "array", "items": out(json!({"organization": uuid(), "role": enumerated(ROLES), "status": enumerated(&["pending", "approved", "rejected"]), "is_active": boolean()}))});
    s.insert("Me".into(), out(me));

    s.insert("Customer".into(), out(json!({"id": uuid(), "name": string(), "abbreviation": string(), "owners": {"type": "array", "items": uuid()}, "created": time(), "modified": time()})));
    let customer_in = json!({
        "name": text(1, 512), "abbreviation": text(0, 64),
        "owners": {"type": "array", "items": uuid(), "maxItems": 100, "description": "User ids; each must exist."},
    });
    write_variants(&mut s, "Customer", customer_in, &["name"]);

    s.insert(
        "Organization".into(),
        out(json!({
            "id": uuid(), "name": string(), "description": string(), "native_name": string(),
            "abbreviation": nullable(string()), "logo_url": nullable(string()), "currency_code": nullable(string()),
            "customer": nullable(uuid()), "owner": nullable(uuid()), "metadata": object(),
            "accepts_join_requests": boolean(), "member_count": integer(), "created": time(), "modified": time(),
            "created_by": nullable(uuid()), "modified_by": nullable(uuid()),
        })),
    );
    let org_in = json!({
        "name": with(text(1, 512), "description", json!("Unique, case-insensitive.")),
        "description": text(0, 4096), "native_name": text(0, 512),
        "abbreviation": with(nullable(text(1, 64)), "description", json!("Unique, case-insensitive, or null.")),
        "logo_url": url(),
        "currency_code": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217: three upper-case letters."},
        "customer": with(nullable(uuid()), "description", json!("A customer the caller owns (any, for staff), or null.")),
        "owner": with(uuid(), "description", json!("The owner's user id; defaults to the caller; another user only for staff.")),
        "metadata": with(object(), "description", json!("Any JSON object of at most 16 KiB.")),
        "accepts_join_requests": boolean(),
    });
    write_variants(&mut s, "Organization", org_in, &["name"]);
    s["OrganizationCreate"]["properties"]["invite"] = json!({
        "description": "Also invite someone to the new organization (the owner's rights apply), or null.",
        "oneOf": [sref("InvitationCreate"), {"type": "null"}],
    });

    s.insert(
        "Summary".into(),
        out(json!({
            "organization": uuid(), "name": string(),
            "members": out(json!({
                "total": integer(), "active": integer(), "inactive": integer(),
                "by_role": out(ROLES.iter().map(|r| (r.to_string(), integer())).collect::<Map<String, Value>>().into()),
                "by_status": out(json!({"pending": integer(), "approved": integer(), "rejected": integer()})),
            })),
            "open_invitations": integer(), "pending_requests": integer(), "last_activity": nullable(time()),
        })),
    );

    s.insert("Token".into(), out(token_props()));
    let mut created = token_props();
    created["token"] = secret();
    s.insert("TokenCreated".into(), out(created));
    s.insert(
        "TokenCreate".into(),
        input(&json!({"name": text(0, 150), "expires": with(nullable(time()), "description", json!("A future time, or null for a token that does not expire."))}), &[]),
    );
    s.insert(
        "Login".into(),
        input(
            &json!({"username": text(1, 150), "password": text(1, 4096)}),
            &["username", "password"],
        ),
    );
    s.insert(
        "LoginResponse".into(),
        out(json!({"token": secret(), "expires": time(), "user": sref("User")})),
    );

    s.insert(
        "Activity".into(),
        out(json!({
            "id": uuid(), "at": time(), "actor": nullable(uuid()), "action": string(), "object_type": string(),
            "object_id": nullable(string()), "organization": nullable(uuid()),
            "changes": {"type": "object", "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2}, "description": "`{field: [old, new]}`."},
            "request_id": nullable(string()),
        })),
    );

    s.insert(
        "Membership".into(),
        out(json!({
            "id": uuid(), "organization": uuid(), "user": uuid(), "username": string(), "role": enumerated(ROLES),
            "status": enumerated(&["pending", "approved", "rejected"]), "is_active": boolean(), "created": time(),
            "modified": time(), "approved_by": nullable(uuid()), "approved_at": nullable(time()),
        })),
    );
    s.insert(
        "Invitation".into(),
        out(json!({
            "id": uuid(), "organization": uuid(), "email": string(), "role": enumerated(ROLES), "first_name": string(),
            "last_name": string(), "preferred_language": string(), "expires": time(),
            "status": enumerated(&["open", "accepted", "revoked", "expired"]),
            "delivery_status": enumerated(&["pending", "sent", "failed"]), "invited_by": nullable(uuid()),
            "created": time(), "modified": time(),
        })),
    );

    let mut created = s["Organization"].clone();
    created["properties"]["invitation"] = with(
        sref("InvitationCreated"),
        "description",
        json!("The invitation made by `invite`, only when it was sent."),
    );
    s.insert("OrganizationCreated".into(), created);

    s.insert(
        "MemberAdd".into(),
        with(
            input(
                &json!({
                    "user": with(uuid(), "description", json!("One user: the membership is the answer. The caller's own id, from a caller who manages nothing here, is a join request.")),
                    "users": {"type": "array", "items": uuid(), "minItems": 1, "maxItems": 200, "description": "Several users (duplicates count once), all added or none."},
                    "role": with(enumerated(ROLES), "description", json!("Default `viewer`.")),
                    "is_active": with(boolean(), "description", json!("Default true.")),
                }),
                &[],
            ),
            "oneOf",
            json!([{"required": ["user"]}, {"required": ["users"]}]),
        ),
    );
    s.insert(
        "MembershipBatch".into(),
        out(json!({"count": integer(), "results": {"type": "array", "items": sref("Membership")}})),
    );
    s.insert(
        "MemberPatch".into(),
        input(
            &json!({"role": enumerated(ROLES), "is_active": boolean()}),
            &[],
        ),
    );
    s.insert(
        "Empty".into(),
        with(
            input(&json!({}), &[]),
            "description",
            json!("No fields: an empty body or `{}`."),
        ),
    );
    let email = json!({"type": "string", "minLength": 3, "maxLength": 254, "pattern": format!(r"^[^@\u0000{ws}]+@[^\u0000{ws}]*\.[^\u0000{ws}]*$")});
    let invite_in = json!({
        "email": with(email, "description", json!("Where the accept link goes; the account that accepts must have this email.")),
        "role": with(enumerated(ROLES), "description", json!("The role the invitee gets; default `viewer`.")),
        "first_name": text(0, 150), "last_name": text(0, 150), "preferred_language": text(0, 35),
        "expires": with(nullable(time()), "description", json!("A future time (400 otherwise); null or absent: in 7 days.")),
    });
    s.insert("InvitationCreate".into(), input(&invite_in, &["email"]));
    let mut created = s["Invitation"].clone();
    created["properties"]["token"] = with(
        secret(),
        "description",
        json!(
            "The one-time accept token (`POST /v1/invitations/{token}/accept`), shown only here."
        ),
    );
    created["required"]
        .as_array_mut()
        .expect("required")
        .push(json!("token"));
    s.insert("InvitationCreated".into(), created);
    s.insert(
        "InvitationAccept".into(),
        with(
            input(
                &json!({
                    "username": {"type": "string", "minLength": 1, "maxLength": 150, "pattern": format!(r"^[^\u0000-\u001f\u007f-\u009f{ws}/]+$")},
                    "password": {"type": "string", "minLength": 8, "maxLength": 4096, "pattern": format!(r"^[^\u0000]*[^\u0000{ws}][^\u0000]*$"), "writeOnly": true},
                }),
                &[],
            ),
            "description",
            json!("Anonymous callers: both fields, creating the account. Signed-in callers: no fields."),
        ),
    );
    let mut accepted = out(json!({
        "membership": sref("Membership"), "user": sref("User"),
        "token": with(secret(), "description", json!("A login token for the account this accept created.")),
        "expires": with(time(), "description", json!("When that login token expires.")),
    }));
    accepted["required"] = json!(["membership", "user"]);
    s.insert("Accepted".into(), accepted);

    s.insert("DrfDetail".into(), out(json!({"detail": string()})));
    s.insert(
        "DrfError".into(),
        json!({
            "type": "object", "minProperties": 1,
            "description": "`{\"detail\": message}`, or field name (or `non_field_errors`) → messages.",
            "additionalProperties": {"anyOf": [string(), {"type": "array", "items": string()}]},
        }),
    );
    profile_schemas(&mut s);

    let mut problem = out(json!({
        "type": string(), "title": string(), "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": string(), "request_id": string(),
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": string()}, "description": "Field name → messages; on validation failures and field conflicts."},
    }));
    problem["required"] = json!(["type", "title", "status", "detail", "request_id"]);
    s.insert("Problem".into(), problem);

    s.insert(
        "Health".into(),
        out(json!({"status": enumerated(&["ok", "unavailable"])})),
    );
    s.insert(
        "Index".into(),
        out(json!({
            "name": string(), "version": string(),
            "apis": out(json!({"v1": string(), "openapi": string(), "health": string()})),
            "profiles": {"type": "array", "items": string()},
        })),
    );
    // One example per creating body: the examples phase of a fuzzer sends each as is.
    let examples = [
        (
            "UserCreate",
            json!({"username": "ann", "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee", "password": "correct horse battery"}),
        ),
        (
            "CustomerCreate",
            json!({"name": "Acme Holdings", "abbreviation": "ACH"}),
        ),
        (
            "OrganizationCreate",
            json!({"name": "Acme", "abbreviation": "ACME", "currency_code": "EUR", "invite": {"email": "bob@example.com", "role": "admin", "first_name": "Bob"}}),
        ),
        ("TokenCreate", json!({"name": "ci"})),
        (
            "Login",
            json!({"username": "ann", "password": "correct horse battery"}),
        ),
        (
            "InvitationCreate",
            json!({"email": "carol@example.com", "role": "viewer"}),
        ),
        ("MemberPatch", json!({"role": "contributor"})),
        (
            "AwxOrganizationCreate",
            json!({"name": "Acme AWX", "description": "Made from the AWX profile."}),
        ),
        (
            "WaldurOrganizationCreate",
            json!({"name": "Acme Waldur", "native_name": "Acme", "abbreviation": "ACW"}),
        ),
    ];
    for (name, example) in examples {
        if let Some(schema) = s.get_mut(name) {
            schema["examples"] = json!([example]);
        }
    }
    Value::Object(s)
}

/// A UUID as the server parses one: dashed or 32 hex digits, any case.
const UUID_PATTERN: &str =
    "^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// A DRF string field as the profiles read it: a string of at most `max` characters without
/// NUL (not blank when `min > 0`), or a number (taken as its decimal text, unchecked).
fn drf_text(min: usize, max: usize) -> Value {
    json!({"anyOf": [text(min, max), {"type": "number"}]})
}

fn profile_schemas(s: &mut Map<String, Value>) {
    // AWX
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

    // Waldur
    let hex = json!({"type": "string", "pattern": "^[0-9a-f]{32}$"});
    let link = |what: &str| json!({"type": "string", "pattern": format!(r"^([\s\S]*/)?({})/*$", &UUID_PATTERN[2..UUID_PATTERN.len() - 2]), "description": format!("The {what}'s URL (or uuid): its last path segment is the uuid.")});
    let mut org = out(json!({
        "url": string(), "uuid": hex.clone(), "name": string(), "native_name": string(), "abbreviation": string(),
        "customer": with(nullable(string()), "description", json!("The customer's URL; shown to staff only.")),
    }));
    org["required"] = json!(["url", "uuid", "name", "native_name", "abbreviation"]);
    s.insert("WaldurOrganization".into(), org);
    let customer = json!({"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 0}, link("customer")], "description": "A customer URL (staff only; a customer has at most one organization), or null or empty for none."});
    s.insert(
        "WaldurOrganizationCreate".into(),
        json!({
            "type": "object",
            "properties": {
                "name": drf_text(1, 150), "native_name": drf_text(1, 160),
                "abbreviation": with(drf_text(1, 8), "description", json!("Unique, case-insensitive.")),
                "customer": customer,
            },
            "required": ["name", "native_name", "abbreviation"],
            "description": "Unknown fields are ignored.",
        }),
    );
    let optional =
        |max: usize| json!({"anyOf": [text(0, max), {"type": "number"}, {"type": "null"}]});
    s.insert(
        "WaldurOrganizationPatch".into(),
        json!({
            "type": "object",
            "properties": {
                "name": drf_text(1, 150), "native_name": optional(160),
                "abbreviation": with(optional(8), "description", json!("Null or empty clears it.")),
                "customer": customer,
            },
            "description": "Unknown fields are ignored.",
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
            "description": "Unknown fields are ignored.",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::{
        activity_json, customers::customer_json, invitations::invitation_json, membership_json,
        org_json, token_json, user_json,
    };
    use crate::model;

    fn doc() -> Value {
        build(
            &crate::config::ALL_PROFILES
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
        )
    }

    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => walk(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }

    fn resolve<'a>(d: &'a Value, r: &str) -> Option<&'a Value> {
        d.pointer(r.strip_prefix('#')?)
    }

    #[test]
    fn refs_resolve() {
        let d = doc();
        let mut refs = vec![];
        walk(&d, &mut refs);
        assert!(refs.len() > 50);
        for r in refs {
            assert!(resolve(&d, r).is_some(), "unresolved $ref {r}");
        }
    }

    /// Operations that need no credentials (`security: []`).
    const PUBLIC: &[&str] = &[
        "login",
        "awxApiRoot",
        "awxLoginInfo",
        "awxLogin",
        "awxV1VersionRoot",
        "awxV2VersionRoot",
        "awxV1Ping",
        "awxV2Ping",
    ];
    /// Public operations that read neither credentials nor storage (no 401, no 503).
    const BARE: &[&str] = &[
        "awxApiRoot",
        "awxLoginInfo",
        "awxV1VersionRoot",
        "awxV2VersionRoot",
        "awxV1Ping",
        "awxV2Ping",
    ];

    #[test]
    fn operations_are_complete() {
        let d = doc();
        let tags: Vec<&str> = d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in d["paths"].as_object().unwrap() {
            let path_params: Vec<&str> = item["parameters"]
                .as_array()
                .map(|a| a.iter().map(|p| p["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            let placeholders: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(path_params, placeholders, "{path}: path parameters");
            for (method, o) in item
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "parameters")
            {
                assert!(
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                    "{path}: {method}"
                );
                let id = o["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
                assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
                let op_tags: Vec<&str> = o["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect();
                for t in &op_tags {
                    assert!(tags.contains(t), "{id}: undeclared tag {t}");
                }
                let service = op_tags == ["service"];
                let profile = op_tags.iter().any(|t| PROFILES.contains(t));
                assert_eq!(profile, path.starts_with("/api/"), "{id}: profile tag");
                let responses = o["responses"].as_object().unwrap();
                assert!(
                    responses
                        .keys()
                        .any(|s| s.starts_with('2') || (id == "awxLogin" && s == "302")),
                    "{id}: no success response"
                );
                assert_eq!(
                    service || PUBLIC.contains(&id),
                    o.get("security") == Some(&json!([])),
                    "{id}: security"
                );
                for st in ["401", "503"] {
                    assert_eq!(
                        !service && !BARE.contains(&id),
                        responses.contains_key(st) && (st != "503" || id != "getHealth"),
                        "{id}: {st} on every operation that authenticates"
                    );
                }
                assert_eq!(
                    responses.contains_key("429"),
                    ["login", "awxLogin"].contains(&id),
                    "{id}: 429 only where passwords are checked"
                );
                // Error bodies: problem details natively, DRF shapes on a profile (413 is
                // the HTTP layer's).
                for (status, r) in responses.iter().filter(|(s, _)| s.starts_with('4')) {
                    if let Some(target) = r["$ref"].as_str() {
                        let drf = target.starts_with("#/components/responses/Drf");
                        assert_eq!(drf, profile && status != "413", "{id}: {status} {target}");
                    }
                }
                let has_body = o.get("requestBody").is_some();
                for s in ["413", "415"] {
                    assert_eq!(responses.contains_key(s), has_body, "{id}: {s} iff a body");
                }
                let if_match = !profile
                    && ["patch", "put", "delete"].contains(&method.as_str())
                    && !path.starts_with("/v1/tokens")
                    && !path.contains("/invitations/");
                assert_eq!(
                    responses.contains_key("412"),
                    if_match,
                    "{id}: 412 iff If-Match is honoured"
                );
                let etag = method == "get" && responses["200"]["headers"].get("ETag").is_some();
                assert_eq!(
                    responses.contains_key("304"),
                    etag,
                    "{id}: 304 iff a GET with an ETag"
                );
                let native_post = method == "post" && !service && !profile;
                let idempotency = o["parameters"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|p| p["name"] == "Idempotency-Key"));
                assert_eq!(idempotency, native_post, "{id}: Idempotency-Key");
                assert_eq!(responses.contains_key("422"), native_post, "{id}: 422");
                if native_post {
                    assert!(responses.contains_key("400"), "{id}: bad Idempotency-Key");
                }
                if method == "get"
                    && !path.contains('{')
                    && !profile
                    && o["parameters"].as_array().is_some()
                {
                    assert!(responses.contains_key("400"), "{id}: bad query values");
                }
            }
        }
    }

    /// Every route `router::resolve` serves, and every profile route, is described; the
    /// profiles' only when mounted.
    #[test]
    fn every_route_is_described() {
        let native = [
            "/v1/organizations/{id}/members",
            "/v1/organizations/{id}/members/{user}",
            "/v1/organizations/{id}/members/{user}/approve",
            "/v1/organizations/{id}/members/{user}/reject",
            "/v1/organizations/{id}/invitations",
            "/v1/organizations/{id}/invitations/{invitation}",
            "/v1/organizations/{id}/invitations/{invitation}/resend",
            "/v1/invitations/{token}/accept",
            "/v1/organizations/{id}/summary",
            "/v1/organizations/{id}/activity",
            "/v1/activity",
            "/v1/me",
            "/v1/tokens/{id}",
        ];
        let awx = [
            "/api/",
            "/api/login/",
            "/api/v1/",
            "/api/v2/ping/",
            "/api/v1/config/",
            "/api/v2/me/",
            "/api/v1/users/",
            "/api/v2/users/{id}/",
            "/api/v2/users/{username}/personal_tokens/",
            "/api/v1/organizations/",
            "/api/v2/organizations/{id}/",
            "/api/v1/organizations/{id}/users/",
            "/api/v2/organizations/{id}/admins/",
            "/api/v2/organizations/{id}/activity_stream/",
        ];
        let waldur = [
            "/api/organizations/",
            "/api/organizations/{uuid}/",
            "/api/organization-users/",
            "/api/organization-users/{uuid}/",
            "/api/organization-users/{uuid}/approve/",
            "/api/organization-users/{uuid}/reject/",
            "/api/customers/{uuid}/",
            "/api/users/{uuid}/",
        ];
        let all = doc();
        for path in native.iter().chain(&awx).chain(&waldur) {
            assert!(all["paths"].get(*path).is_some(), "{path} is not described");
        }
        let none = build(&[]);
        let awx_only = build(&["awx".to_string()]);
        for path in native {
            assert!(none["paths"].get(path).is_some(), "{path}");
        }
        for path in awx {
            assert!(none["paths"].get(path).is_none(), "{path} without awx");
            assert!(awx_only["paths"].get(path).is_some(), "{path} with awx");
        }
        for path in waldur {
            assert!(
                awx_only["paths"].get(path).is_none(),
                "{path} without waldur"
            );
        }
        let tags = |d: &Value| {
            d["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert!(!tags(&none).contains(&"awx".to_string()));
        assert!(tags(&awx_only).contains(&"awx".to_string()));
        assert!(!tags(&awx_only).contains(&"waldur".to_string()));
        assert!(tags(&all).contains(&"waldur".to_string()));
    }

    /// The properties of a response schema are exactly the keys a handler renders, each
    /// of the declared type.
    fn conforms(d: &Value, schema: &str, sample: &Value) {
        let s = &d["components"]["schemas"][schema];
        let props = s["properties"].as_object().unwrap();
        let keys: Vec<&String> = sample.as_object().unwrap().keys().collect();
        let declared: Vec<&String> = props.keys().collect();
        let (mut a, mut b) = (keys.clone(), declared.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "{schema}: rendered keys vs documented properties");
        for (k, v) in sample.as_object().unwrap() {
            let p = &props[k];
            let p = p
                .get("$ref")
                .and_then(|r| resolve(d, r.as_str().unwrap()))
                .unwrap_or(p);
            let types: Vec<&str> = match &p["type"] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                _ => continue,
            };
            let actual = match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            assert!(
                types.contains(&actual),
                "{schema}.{k}: {actual} not in {types:?}"
            );
            if let Some(values) = p["enum"].as_array() {
                assert!(values.contains(v), "{schema}.{k}: {v} not in enum");
            }
        }
    }

    #[test]
    fn response_schemas_match_renderers() {
        let d = doc();
        let t = model::now();
        let id = model::new_id;
        let user = model::User {
            seq: 1,
            id: id(),
            username: "ann".into(),
            email: None,
            first_name: String::new(),
            last_name: String::new(),
            company: String::new(),
            job_title: String::new(),
            avatar_url: Some("https://x.test/a.png".into()),
            preferred_language: String::new(),
            metadata: json!({}),
            is_active: true,
            is_staff: false,
            is_service_account: false,
            has_password: true,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "User", &user_json(&user));
        let r = model::UserRef {
            seq: 1,
            id: id(),
            username: "ann".into(),
            first_name: String::new(),
            last_name: String::new(),
        };
        let org = model::Org {
            seq: 1,
            id: id(),
            name: "Acme".into(),
            description: String::new(),
            native_name: String::new(),
            abbreviation: None,
            logo_url: None,
            currency_code: Some("EUR".into()),
            customer: None,
            customer_seq: None,
            owner: Some(r.clone()),
            metadata: json!({}),
            accepts_join_requests: true,
            member_count: 1,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
            created_by: Some(r),
            modified_by: None,
        };
        conforms(&d, "Organization", &org_json(&org));
        let cu = model::Customer {
            seq: 1,
            id: id(),
            name: "C".into(),
            abbreviation: String::new(),
            owners: vec![id()],
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Customer", &customer_json(&cu));
        let tok = model::Token {
            id: id(),
            kind: "api".into(),
            name: "ci".into(),
            prefix: "org_abcdef".into(),
            expires: None,
            revoked: false,
            last_used: Some(t.clone()),
            created: t.clone(),
        };
        conforms(&d, "Token", &token_json(&tok));
        let a = model::Activity {
            id: id(),
            at: t.clone(),
            actor: None,
            action: "update".into(),
            object_type: "user".into(),
            object_id: Some(id()),
            organization: None,
            changes: json!({"name": ["a", "b"]}),
            request_id: Some("r".into()),
        };
        conforms(&d, "Activity", &activity_json(&a));
        let m = model::Membership {
            seq: 1,
            id: id(),
            organization: id(),
            organization_seq: 1,
            user: id(),
            user_seq: 1,
            username: "ann".into(),
            email: None,
            role: model::Role::Admin,
            status: model::MemberStatus::Pending,
            is_active: true,
            approved_by: None,
            approved_at: None,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Membership", &membership_json(&m));
        let batch = json!({"count": 1, "results": [membership_json(&m)]});
        conforms(&d, "MembershipBatch", &batch);
        let inv = crate::store::invitations::Invitation {
            seq: 1,
            id: id(),
            organization: id(),
            organization_seq: 1,
            email: "ann@example.test".into(),
            role: model::Role::Viewer,
            first_name: String::new(),
            last_name: String::new(),
            preferred_language: "en".into(),
            expires: t.clone(),
            status: "open".into(),
            delivery_status: "sent".into(),
            invited_by: Some(id()),
            accepted_by: None,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Invitation", &invitation_json(&inv));
        let mut created = invitation_json(&inv);
        created["token"] = json!("org_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        conforms(&d, "InvitationCreated", &created);
        let mut org_created = org_json(&org);
        org_created["invitation"] = created;
        conforms(&d, "OrganizationCreated", &org_created);
        let accepted = json!({"membership": membership_json(&m), "user": user_json(&user), "token": "org_x", "expires": t});
        conforms(&d, "Accepted", &accepted);
    }

    #[test]
    fn request_schemas_reject_unknown_fields() {
        let d = doc();
        for (name, s) in d["components"]["schemas"].as_object().unwrap() {
            let request = ["Create", "Put", "Patch"].iter().any(|x| name.ends_with(x))
                || ["Login", "MemberAdd", "Empty", "InvitationAccept"].contains(&name.as_str());
            // The profiles ignore unknown fields, as DRF does.
            let profile = name.starts_with("Awx") || name.starts_with("Waldur");
            if request && !profile {
                assert_eq!(s["additionalProperties"], json!(false), "{name}");
            }
            if profile {
                assert!(s.get("additionalProperties").is_none(), "{name}");
            }
        }
        let s = &d["components"]["schemas"];
        assert_eq!(s["UserPut"]["required"], s["UserCreate"]["required"]);
        assert!(s["UserPatch"].get("required").is_none());
    }
}
