//! The native API's route table: every `/v1` route (and the service routes `/`,
//! `/healthz`, `/openapi.json`) declared once. The router dispatches from it and the
//! description is assembled from it, with each operation's details in `doc.rs`.

use super::{activity, auth, customers, doc, invitations, members, orgs, users};
use crate::api::table::{no_doc_finish, no_schemas, owns_nothing, Caller, Profile, Route};
use crate::api::{console, metrics, service, table::Call};
use crate::config::Config;
use crate::error::Result;
use crate::http::{problem, Req, Resp};
use crate::registry::rules::NATIVE;
use Caller::{Anyone, Bare, Staff, User};

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
    (
        "metrics",
        "Prometheus metrics (staff, unless the server runs with `--metrics-public`).",
    ),
    (
        "console",
        "The web console: static files served from the binary; no credentials needed to load them.",
    ),
];

fn routes(config: &Config) -> Vec<Route> {
    fn r(
        method: &'static str,
        path: impl Into<String>,
        op: &str,
        caller: Caller,
        handler: crate::api::table::Handler,
        doc: fn(crate::api::doc::Op) -> crate::api::doc::Op,
    ) -> Route {
        Route::new(method, path, op, caller, handler, doc)
    }
    const ORG: &str = "/v1/organizations/{id}";
    let mut table = vec![
        r("GET", "/", "getIndex", Bare, index, doc::get_index),
        r(
            "GET",
            "/healthz",
            "getHealth",
            Bare,
            health,
            doc::get_health,
        ),
        r(
            "GET",
            "/openapi.json",
            "getOpenApi",
            Bare,
            openapi,
            doc::get_open_api,
        ),
        r(
            "POST",
            "/v1/auth/login",
            "login",
            Anyone,
            auth::login,
            doc::login,
        ),
        r("GET", "/v1/me", "getMe", User, auth::me, doc::get_me),
        r(
            "GET",
            "/v1/tokens",
            "listTokens",
            User,
            auth::list_tokens,
            doc::list_tokens,
        ),
        r(
            "POST",
            "/v1/tokens",
            "createToken",
            User,
            auth::create_token,
            doc::create_token,
        ),
        r(
            "DELETE",
            "/v1/tokens/{id}",
            "revokeToken",
            User,
            auth::revoke_token,
            doc::revoke_token,
        ),
        r(
            "GET",
            "/v1/users",
            "listUsers",
            User,
            users::list,
            doc::list_users,
        ),
        r(
            "POST",
            "/v1/users",
            "createUser",
            User,
            users::create,
            doc::create_user,
        ),
        r(
            "GET",
            "/v1/users/{id}",
            "getUser",
            User,
            users::get,
            doc::get_user,
        ),
        r(
            "PUT",
            "/v1/users/{id}",
            "replaceUser",
            User,
            users::update,
            doc::replace_user,
        ),
        r(
            "PATCH",
            "/v1/users/{id}",
            "updateUser",
            User,
            users::update,
            doc::update_user,
        ),
        r(
            "DELETE",
            "/v1/users/{id}",
            "deleteUser",
            User,
            users::delete,
            doc::delete_user,
        ),
        r(
            "GET",
            "/v1/customers",
            "listCustomers",
            User,
            customers::list,
            doc::list_customers,
        ),
        r(
            "POST",
            "/v1/customers",
            "createCustomer",
            User,
            customers::create,
            doc::create_customer,
        ),
        r(
            "GET",
            "/v1/customers/{id}",
            "getCustomer",
            User,
            customers::get,
            doc::get_customer,
        ),
        r(
            "PUT",
            "/v1/customers/{id}",
            "replaceCustomer",
            User,
            customers::update,
            doc::replace_customer,
        ),
        r(
            "PATCH",
            "/v1/customers/{id}",
            "updateCustomer",
            User,
            customers::update,
            doc::update_customer,
        ),
        r(
            "DELETE",
            "/v1/customers/{id}",
            "deleteCustomer",
            User,
            customers::delete,
            doc::delete_customer,
        ),
        r(
            "GET",
            "/v1/organizations",
            "listOrganizations",
            User,
            orgs::list,
            doc::list_organizations,
        ),
        r(
            "POST",
            "/v1/organizations",
            "createOrganization",
            User,
            orgs::create,
            doc::create_organization,
        ),
        r(
            "GET",
            ORG,
            "getOrganization",
            User,
            orgs::get,
            doc::get_organization,
        ),
        r(
            "PUT",
            ORG,
            "replaceOrganization",
            User,
            orgs::update,
            doc::replace_organization,
        ),
        r(
            "PATCH",
            ORG,
            "updateOrganization",
            User,
            orgs::update,
            doc::update_organization,
        ),
        r(
            "DELETE",
            ORG,
            "deleteOrganization",
            User,
            orgs::delete,
            doc::delete_organization,
        ),
        r(
            "GET",
            format!("{ORG}/summary"),
            "getOrganizationSummary",
            User,
            orgs::summary,
            doc::get_organization_summary,
        ),
        r(
            "GET",
            format!("{ORG}/activity"),
            "listOrganizationActivity",
            User,
            orgs::activity,
            doc::list_organization_activity,
        ),
        r(
            "GET",
            format!("{ORG}/members"),
            "listMembers",
            User,
            members::list,
            doc::list_members,
        ),
        r(
            "POST",
            format!("{ORG}/members"),
            "addMembers",
            User,
            members::add,
            doc::add_members,
        ),
        r(
            "GET",
            format!("{ORG}/members/{{user}}"),
            "getMember",
            User,
            members::get,
            doc::get_member,
        ),
        r(
            "PATCH",
            format!("{ORG}/members/{{user}}"),
            "updateMember",
            User,
            members::update,
            doc::update_member,
        ),
        r(
            "DELETE",
            format!("{ORG}/members/{{user}}"),
            "removeMember",
            User,
            members::remove,
            doc::remove_member,
        ),
        r(
            "POST",
            format!("{ORG}/members/{{user}}/approve"),
            "approveMember",
            User,
            members::approve,
            doc::approve_member,
        ),
        r(
            "POST",
            format!("{ORG}/members/{{user}}/reject"),
            "rejectMember",
            User,
            members::reject,
            doc::reject_member,
        ),
        r(
            "GET",
            format!("{ORG}/invitations"),
            "listInvitations",
            User,
            invitations::list,
            doc::list_invitations,
        ),
        r(
            "POST",
            format!("{ORG}/invitations"),
            "createInvitation",
            User,
            invitations::create,
            doc::create_invitation,
        ),
        r(
            "GET",
            format!("{ORG}/invitations/{{invitation}}"),
            "getInvitation",
            User,
            invitations::get,
            doc::get_invitation,
        ),
        r(
            "DELETE",
            format!("{ORG}/invitations/{{invitation}}"),
            "revokeInvitation",
            User,
            invitations::revoke,
            doc::revoke_invitation,
        ),
        r(
            "POST",
            format!("{ORG}/invitations/{{invitation}}/resend"),
            "resendInvitation",
            User,
            invitations::resend,
            doc::resend_invitation,
        ),
        r(
            "POST",
            "/v1/invitations/{token}/accept",
            "acceptInvitation",
            Anyone,
            invitations::accept,
            doc::accept_invitation,
        ),
        r(
            "GET",
            "/v1/activity",
            "listActivity",
            Staff,
            activity::list,
            doc::list_activity,
        ),
    ];
    table.push(if config.metrics_public {
        r(
            "GET",
            "/metrics",
            "getMetrics",
            Bare,
            metrics::get,
            metrics::doc_public,
        )
    } else {
        r(
            "GET",
            "/metrics",
            "getMetrics",
            Staff,
            metrics::get,
            metrics::doc_staff,
        )
    });
    table.extend([
        r(
            "GET",
            "/console/",
            "getConsole",
            Bare,
            console::index,
            console::doc_index,
        ),
        r(
            "GET",
            "/console/app.js",
            "getConsoleScript",
            Bare,
            console::script,
            console::doc_script,
        ),
        r(
            "GET",
            "/console/app.css",
            "getConsoleStyles",
            Bare,
            console::style,
            console::doc_style,
        ),
        r(
            "GET",
            "/console/icon.svg",
            "getConsoleIcon",
            Bare,
            console::icon,
            console::doc_icon,
        ),
    ]);
    if config.test_routes {
        // Only in tests: proves the panic guard. Never described (it is never mounted in
        // a real server).
        table.push(r(
            "GET",
            "/v1/_test/panic",
            "testPanic",
            Anyone,
            test_panic,
            |o| o.summary("Test builds only: a deliberate panic, answered 500"),
        ));
    }
    table
}

/// The native surface: problem+json errors, `OPTIONS` → 204 with `Allow`, keyed POSTs.
pub fn surface(config: &Config) -> Profile {
    Profile {
        name: "v1",
        tags: TAGS,
        rules: &NATIVE,
        routes: routes(config),
        error: |e: &crate::error::Error, req: &Req| problem(e, &req.request_id),
        options: |_: &Call, allow: &str| Ok(Resp::empty(204).with("Allow", allow)),
        finish: crate::api::table::no_finish,
        owns: owns_nothing,
        session_cookie: false,
        idempotent_posts: true,
        drf_errors: false,
        schemas: no_schemas,
        finish_doc: no_doc_finish,
    }
}

fn index(c: &Call) -> Result<Resp> {
    Ok(service::index(c.app))
}

fn health(c: &Call) -> Result<Resp> {
    Ok(service::health(c.app))
}

fn openapi(c: &Call) -> Result<Resp> {
    Ok(crate::api::openapi::serve(c.app))
}

fn test_panic(_: &Call) -> Result<Resp> {
    panic!("deliberate panic for the panic-guard test")
}
