//! The authorization matrix: every native route and method × eleven callers × (own,
//! other) organization, with every expected status written down as data below (derived
//! from shared/design/native-api.md and docs/API.md, not from the code). Every cell runs;
//! all mismatches are reported at once. Also: mass assignment on every writable object,
//! and revoked / expired / deactivated credentials failing at once.

use crate::support::*;
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::HashMap;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------

/// The callers, in the order of every expectation array in `MATRIX`.
const CALLERS: [&str; 11] = [
    "anonymous",
    "non-member",
    "pending",
    "viewer",
    "accounting",
    "contributor",
    "admin",
    "owner",
    "customer-owner",
    "staff",
    "service-account",
];
const ANON: usize = 0;
const NONMEMBER: usize = 1;
const PENDING: usize = 2;
const VIEWER: usize = 3;
const ACCOUNTING: usize = 4;
const CONTRIBUTOR: usize = 5;
const ADMIN: usize = 6;
const OWNER: usize = 7;
const CUSTOWNER: usize = 8;
const STAFF: usize = 9;
const SVC: usize = 10;

/// What a cell needs besides the shared fixture (created afresh for every cell, so a
/// destructive cell never changes what another cell sees).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Prep {
    /// Only the shared, read-mostly fixture.
    Shared,
    /// `<target>`: a fresh user who is an approved member of the scope's organization
    /// with this role.
    Member(&'static str),
    /// `<target>`: a pending join request (asking for this role) in the scope's
    /// organization, by a dedicated requester.
    Pending(&'static str),
    /// `<inv>`: a fresh open invitation (with this role) in the scope's organization.
    Invite(&'static str),
    /// `<org>`/`<org_name>`: a fresh organization. Own: the caller has the same relation
    /// to it as to the shared one; other: no relation.
    Org,
    /// `<customer>`: a fresh customer without organizations (own: owned by the
    /// customer-owner caller; other: by someone else).
    Customer,
    /// `<token>`: a fresh API token, the caller's own (own) or another user's (other).
    Token,
    /// The request is made by a fresh user standing in the caller's shoes (same
    /// relations); `<self>` is that user.
    Clone,
    /// `<invtoken>`: a fresh invitation to an address no caller has; `<accept>` is the
    /// body (anonymous: `{username, password}`, signed in: `{}`).
    Accept,
}

/// One route + method + situation, with the expected status per caller.
/// `own`: the organization (customer, user, token) where the caller has its relation;
/// `other`: one where it has none (None: the route is not tenant-scoped).
/// Placeholders: `<org>`, `<org_name>`, `<self>`, `<self_name>`, `<comember>`,
/// `<comember_name>`, `<customer>`, `<customer_name>`, `<customer_owner>`, `<inv>`,
/// `<target>`, `<token>`, `<invtoken>`, `<accept>`, `<closed>`, `<login_user>`,
/// `<password>`, `<cust_d>`, `<pending_user>`, `<n>` (unique), `<fresh>`/`<fresh2>` (fresh
/// plain users), `<org_hex>`/`<comember_hex>`/`<self_hex>`/`<target_hex>` (32-hex forms).
struct Row {
    method: &'static str,
    path: &'static str,
    body: &'static str,
    prep: Prep,
    own: [u16; 11],
    other: Option<[u16; 11]>,
    /// Where the contract is silent and docs/API.md (or a judgement) decided.
    note: &'static str,
}

//  callers:  anon nonm pend view acct cont admn ownr cust staf svc
const MATRIX: &[Row] = &[
    // ---- service endpoints: no credentials needed ----
    Row {
        method: "GET",
        path: "/",
        body: "",
        prep: Prep::Shared,
        own: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "GET",
        path: "/healthz",
        body: "",
        prep: Prep::Shared,
        own: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "GET",
        path: "/openapi.json",
        body: "",
        prep: Prep::Shared,
        own: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    // ---- authentication ----
    Row {
        method: "POST",
        path: "/v1/auth/login",
        body: r#"{"username": "<login_user>", "password": "<password>"}"#,
        prep: Prep::Shared,
        own: [201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201],
        other: None,
        note: "judgement: a caller already holding a token may log in as anyone whose \
               password it sends (the body's credentials decide)",
    },
    Row {
        method: "GET",
        path: "/v1/me",
        body: "",
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/tokens",
        body: "",
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/tokens",
        body: r#"{"name": "matrix <n>"}"#,
        prep: Prep::Shared,
        own: [401, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201],
        other: None,
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/tokens/<token>",
        body: "",
        prep: Prep::Token,
        own: [401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "judgement: /v1/tokens are the caller's own tokens, so another user's token \
               is absent (404) even for staff",
    },
    // ---- users ----
    Row {
        method: "GET",
        path: "/v1/users",
        body: "",
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/users",
        body: r#"{"username": "matrix-new-<n>"}"#,
        prep: Prep::Shared,
        own: [401, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403],
        other: None,
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/users/<self>",
        body: "",
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/users/<self>",
        body: r#"{"first_name": "Self"}"#,
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "PUT",
        path: "/v1/users/<self>",
        body: r#"{"username": "<self_name>"}"#,
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/users/<self>",
        body: "",
        prep: Prep::Clone,
        own: [401, 204, 204, 204, 204, 204, 204, 409, 204, 204, 204],
        other: None,
        note: "the owner is the last active owner of an organization: 409",
    },
    Row {
        method: "GET",
        path: "/v1/users/<comember>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 404, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "judgement (docs/API.md Users): a customer owner is not a member, so the \
               organization's members are strangers to it (404)",
    },
    Row {
        method: "GET",
        path: "/v1/users/<pending_user>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 200, 404, 404, 404, 404, 404, 404, 200, 404],
        other: None,
        note: "the pending caller's own record; judgement (docs/API.md Users: only approved \
               members are visible): not even the organization's admins see a requester",
    },
    Row {
        method: "PATCH",
        path: "/v1/users/<comember>",
        body: r#"{"first_name": "Changed"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 403, 403, 404, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PUT",
        path: "/v1/users/<comember>",
        body: r#"{"username": "<comember_name>"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 403, 403, 404, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/users/<target>",
        body: "",
        prep: Prep::Member("viewer"),
        own: [401, 404, 404, 403, 403, 403, 403, 403, 404, 204, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    // ---- customers ----
    Row {
        method: "GET",
        path: "/v1/customers",
        body: "",
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/customers",
        body: r#"{"name": "matrix customer <n>"}"#,
        prep: Prep::Shared,
        own: [401, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403],
        other: None,
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/customers/<customer>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 404, 404, 404, 404, 404, 200, 200, 404],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/customers/<customer>",
        body: r#"{"abbreviation": "AZ"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 404, 404, 404, 404, 404, 403, 200, 404],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PUT",
        path: "/v1/customers/<customer>",
        body: r#"{"name": "<customer_name>", "owners": ["<customer_owner>"]}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 404, 404, 404, 404, 404, 403, 200, 404],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/customers/<customer>",
        body: "",
        prep: Prep::Customer,
        own: [401, 404, 404, 404, 404, 404, 404, 404, 403, 204, 404],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    // ---- organizations ----
    Row {
        method: "GET",
        path: "/v1/organizations",
        body: "",
        prep: Prep::Shared,
        own: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        other: None,
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations",
        body: r#"{"name": "matrix new org <n>"}"#,
        prep: Prep::Shared,
        own: [401, 201, 201, 201, 201, 201, 201, 201, 201, 201, 403],
        other: None,
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 200, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org_name>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 200, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>",
        body: r#"{"description": "changed by the matrix"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>",
        body: r#"{"currency_code": "EUR"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 200, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PUT",
        path: "/v1/organizations/<org>",
        body: r#"{"name": "<org_name>"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>",
        body: r#"{"owner": "<fresh>"}"#,
        prep: Prep::Org,
        own: [401, 404, 404, 403, 403, 403, 403, 200, 403, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "judgement: an owner may transfer to any existing user id",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>",
        body: r#"{"customer": null}"#,
        prep: Prep::Org,
        own: [401, 404, 404, 403, 403, 403, 403, 403, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>",
        body: "",
        prep: Prep::Org,
        own: [401, 404, 404, 403, 403, 403, 403, 204, 403, 204, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/summary",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 200, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/activity",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    // ---- memberships ----
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/members",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 200, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members",
        body: r#"{"user": "<fresh>", "role": "viewer"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 201, 201, 201, 201, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 201, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members",
        body: r#"{"user": "<fresh>", "role": "admin"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 201, 201, 201, 201, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 201, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members",
        body: r#"{"user": "<fresh>", "role": "owner"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 403, 201, 403, 201, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 201, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members",
        body: r#"{"users": ["<fresh>", "<fresh2>"], "role": "viewer"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 201, 201, 201, 201, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 201, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members",
        body: r#"{"user": "<self>"}"#,
        prep: Prep::Org,
        own: [401, 201, 409, 409, 409, 409, 409, 409, 201, 201, 409],
        other: Some([401, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201]),
        note: "join request: the contract lets any authenticated non-member ask to join \
               (201 pending) — the one cross-tenant 2xx by design; judgement: a service \
               account may ask too, and a customer owner or staff naming themself is an \
               add (201 either way)",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<closed>/members",
        body: r#"{"user": "<self>"}"#,
        prep: Prep::Shared,
        own: [401, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403],
        other: None,
        note: "an organization with accepts_join_requests=false (no caller is related to \
               it): 403 (Settled); judgement: staff adding themself is an add, not a request",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/members/<comember>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 200, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>/members/<target>",
        body: r#"{"role": "contributor"}"#,
        prep: Prep::Member("viewer"),
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>/members/<target>",
        body: r#"{"role": "owner"}"#,
        prep: Prep::Member("viewer"),
        own: [401, 404, 404, 403, 403, 403, 403, 200, 403, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>/members/<target>",
        body: r#"{"role": "viewer"}"#,
        prep: Prep::Member("owner"),
        own: [401, 404, 404, 403, 403, 403, 403, 200, 403, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>/members/<target>",
        body: "",
        prep: Prep::Member("viewer"),
        own: [401, 404, 404, 403, 403, 403, 204, 204, 204, 204, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>/members/<target>",
        body: "",
        prep: Prep::Member("owner"),
        own: [401, 404, 404, 403, 403, 403, 403, 204, 403, 204, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/members/me",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 200, 200, 200, 200, 200, 200, 404, 404, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "judgement: members/me of a caller without a membership (customer owner, \
               staff) is 404",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>/members/me",
        body: r#"{"role": "viewer"}"#,
        prep: Prep::Org,
        own: [401, 404, 200, 200, 200, 200, 200, 409, 404, 404, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "lowering the own role is allowed in any status; the last owner: 409",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>/members/me",
        body: r#"{"role": "admin"}"#,
        prep: Prep::Org,
        own: [401, 404, 403, 403, 403, 403, 200, 409, 404, 404, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "raising the own role: 403 (docs: members/me only lowers); admin→admin is a \
               no-op 200; the last owner demoting itself: 409",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>/members/me",
        body: "",
        prep: Prep::Org,
        own: [401, 404, 204, 204, 204, 204, 204, 409, 404, 404, 204],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>/members/<self>",
        body: "",
        prep: Prep::Org,
        own: [401, 404, 204, 204, 204, 204, 204, 409, 404, 404, 204],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "leaving by naming the own id is the same as members/me",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members/<target>/approve",
        body: "",
        prep: Prep::Pending("viewer"),
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members/<target>/approve",
        body: "",
        prep: Prep::Pending("owner"),
        own: [401, 404, 404, 403, 403, 403, 403, 200, 403, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/members/<target>/reject",
        body: "",
        prep: Prep::Pending("viewer"),
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    // ---- invitations ----
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/invitations",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/invitations",
        body: r#"{"email": "matrix-<n>@example.com", "role": "viewer"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 201, 201, 201, 201, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 201, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/invitations",
        body: r#"{"email": "matrix-<n>@example.com", "role": "owner"}"#,
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 403, 201, 403, 201, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 201, 404]),
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/organizations/<org>/invitations/<inv>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>/invitations/<inv>",
        body: "",
        prep: Prep::Invite("viewer"),
        own: [401, 404, 404, 403, 403, 403, 204, 204, 204, 204, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    Row {
        method: "POST",
        path: "/v1/organizations/<org>/invitations/<inv>/resend",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 403, 403, 403, 200, 200, 200, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "judgement: resend answers 200 (no new resource); the contract names no code",
    },
    Row {
        method: "POST",
        path: "/v1/invitations/<invtoken>/accept",
        body: "<accept>",
        prep: Prep::Accept,
        own: [200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        other: None,
        note: "the invitation is for an address no caller has: signed in, 403 (email \
               mismatch, staff included — judgement); anonymous with username+password \
               creates the account (200, docs)",
    },
    // ---- the 32-hex id form goes through the same rules ----
    Row {
        method: "GET",
        path: "/v1/organizations/<org_hex>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 200, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "",
    },
    Row {
        method: "GET",
        path: "/v1/users/<comember_hex>",
        body: "",
        prep: Prep::Shared,
        own: [401, 404, 404, 200, 200, 200, 200, 200, 404, 200, 200],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "customer owner: as for the dashed form (judgement, docs/API.md Users)",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org_hex>/members/<target_hex>",
        body: "",
        prep: Prep::Member("owner"),
        own: [401, 404, 404, 403, 403, 403, 403, 204, 403, 204, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 204, 404]),
        note: "",
    },
    Row {
        method: "DELETE",
        path: "/v1/organizations/<org>/members/<self_hex>",
        body: "",
        prep: Prep::Org,
        own: [401, 404, 204, 204, 204, 204, 204, 409, 404, 404, 204],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        note: "",
    },
    // ---- attaching organizations to customers ----
    Row {
        method: "POST",
        path: "/v1/organizations",
        body: r#"{"name": "matrix customer org <n>", "customer": "<customer>"}"#,
        prep: Prep::Shared,
        own: [401, 400, 400, 400, 400, 400, 400, 400, 201, 201, 403],
        other: Some([401, 400, 400, 400, 400, 400, 400, 400, 400, 201, 403]),
        note: "own/other = the customer the customer-owner caller owns / one it does not; \
               judgement: a customer the caller may not use is invisible to it, so naming \
               it is a 400 (unknown customer) rather than a 403 that would reveal it; a \
               service account is refused creation first (403)",
    },
    Row {
        method: "PATCH",
        path: "/v1/organizations/<org>",
        body: r#"{"customer": "<cust_d>"}"#,
        prep: Prep::Org,
        own: [401, 404, 404, 403, 403, 403, 403, 403, 400, 200, 403],
        other: Some([401, 404, 404, 404, 404, 404, 404, 404, 404, 200, 404]),
        note: "moving an organization of customer C to customer D (owned by someone else): \
               leaving C needs ownership of C (403 for owner/admin); the customer owner of \
               C does not own D — judgement: D is invisible to it, so 400 (unknown \
               customer)",
    },
    // ---- OPTIONS answers every caller (no object is looked up) ----
    Row {
        method: "OPTIONS",
        path: "/v1/organizations/<org>/members/<comember>",
        body: "",
        prep: Prep::Shared,
        own: [204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204],
        other: Some([204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204]),
        note: "contract: OPTIONS on any route answers 204 with Allow",
    },
    Row {
        method: "OPTIONS",
        path: "/v1/activity",
        body: "",
        prep: Prep::Shared,
        own: [204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204],
        other: None,
        note: "",
    },
    // ---- activity ----
    Row {
        method: "GET",
        path: "/v1/activity",
        body: "",
        prep: Prep::Shared,
        own: [401, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403],
        other: None,
        note: "",
    },
];

/// Every authenticated caller but staff.
const NON_STAFF: &[usize] = &[
    NONMEMBER,
    PENDING,
    VIEWER,
    ACCOUNTING,
    CONTRIBUTOR,
    ADMIN,
    OWNER,
    CUSTOWNER,
    SVC,
];
/// Callers with no approved membership in organization A nor ownership of customer C.
const STRANGERS_TO_A: &[usize] = &[NONMEMBER, PENDING];

/// Lists (plain, filtered, searched) that must answer 200 without mentioning an object
/// the caller may not see: (path, the hidden object, callers it is hidden from).
const LEAKS: &[(&str, &str, &[usize])] = &[
    ("/v1/organizations?page_size=200", "org_b", NON_STAFF),
    ("/v1/organizations?name=mx-B", "org_b", NON_STAFF),
    ("/v1/organizations?search=mx-B", "org_b", NON_STAFF),
    ("/v1/organizations?customer=<cust_d>", "org_b", NON_STAFF),
    ("/v1/organizations?owner=<owner_b>", "org_b", NON_STAFF),
    ("/v1/organizations?page_size=200", "org_a", STRANGERS_TO_A),
    ("/v1/organizations?search=mx-A", "org_a", STRANGERS_TO_A),
    ("/v1/users?page_size=200", "comember_b", NON_STAFF),
    ("/v1/users?username=mx-comember-b", "comember_b", NON_STAFF),
    ("/v1/users?search=comember-b", "comember_b", NON_STAFF),
    (
        "/v1/users?page_size=200",
        "comember_a",
        &[NONMEMBER, PENDING, CUSTOWNER],
    ),
    (
        "/v1/users?search=comember-a",
        "comember_a",
        &[NONMEMBER, PENDING, CUSTOWNER],
    ),
    ("/v1/customers?page_size=200", "cust_d", NON_STAFF),
    ("/v1/customers?search=customer%20D", "cust_d", NON_STAFF),
    (
        "/v1/customers?page_size=200",
        "cust_c",
        &[
            NONMEMBER,
            PENDING,
            VIEWER,
            ACCOUNTING,
            CONTRIBUTOR,
            ADMIN,
            OWNER,
            SVC,
        ],
    ),
    ("/v1/me", "org_b", NON_STAFF),
    ("/v1/tokens?page_size=200", "owner_b_token", NON_STAFF),
    (
        "/v1/organizations/<org_a>/members?page_size=200",
        "comember_b",
        &[VIEWER, ADMIN, OWNER, CUSTOWNER, SVC],
    ),
    (
        "/v1/organizations/<org_a>/invitations?page_size=200",
        "inv_b",
        &[ADMIN, OWNER, CUSTOWNER],
    ),
    (
        "/v1/organizations/<org_a>/activity?page_size=200",
        "org_b",
        &[ADMIN, OWNER, CUSTOWNER],
    ),
];

/// Requests about another tenant's object must answer exactly as about an object that
/// does not exist (same status, same problem body but for its request id), also when
/// they carry preconditions: (method, path to the hidden object, path to an absent one,
/// body, extra header). Asked by callers related to organization A only.
/// (method, hidden path, absent path, body, extra header).
type Oracle = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str),
);

const ORACLES: &[Oracle] = &[
    (
        "GET",
        "/v1/organizations/<org_b>",
        "/v1/organizations/<absent>",
        "",
        ("", ""),
    ),
    (
        "GET",
        "/v1/organizations/mx-B",
        "/v1/organizations/mx-none",
        "",
        ("", ""),
    ),
    (
        "GET",
        "/v1/organizations/<org_b>",
        "/v1/organizations/<absent>",
        "",
        ("If-None-Match", "*"),
    ),
    (
        "HEAD",
        "/v1/organizations/<org_b>",
        "/v1/organizations/<absent>",
        "",
        ("", ""),
    ),
    (
        "PATCH",
        "/v1/organizations/<org_b>",
        "/v1/organizations/<absent>",
        r#"{"description": "x"}"#,
        ("If-Match", "W/\"999.9\""),
    ),
    (
        "DELETE",
        "/v1/organizations/<org_b>",
        "/v1/organizations/<absent>",
        "",
        ("If-Match", "W/\"999.9\""),
    ),
    (
        "GET",
        "/v1/organizations/<org_b>/summary",
        "/v1/organizations/<absent>/summary",
        "",
        ("", ""),
    ),
    (
        "GET",
        "/v1/organizations/<org_b>/activity",
        "/v1/organizations/<absent>/activity",
        "",
        ("", ""),
    ),
    (
        "GET",
        "/v1/organizations/<org_b>/members",
        "/v1/organizations/<absent>/members",
        "",
        ("", ""),
    ),
    (
        "POST",
        "/v1/organizations/<org_b>/members",
        "/v1/organizations/<absent>/members",
        r#"{"user": "<comember_a>"}"#,
        ("", ""),
    ),
    (
        "GET",
        "/v1/organizations/<org_b>/members/<comember_b>",
        "/v1/organizations/<absent>/members/<comember_b>",
        "",
        ("If-None-Match", "*"),
    ),
    (
        "PATCH",
        "/v1/organizations/<org_b>/members/<comember_b>",
        "/v1/organizations/<absent>/members/<comember_b>",
        r#"{"role": "viewer"}"#,
        ("If-Match", "W/\"999\""),
    ),
    (
        "DELETE",
        "/v1/organizations/<org_b>/members/<comember_b>",
        "/v1/organizations/<absent>/members/<comember_b>",
        "",
        ("If-Match", "W/\"999\""),
    ),
    (
        "POST",
        "/v1/organizations/<org_b>/members/<comember_b>/approve",
        "/v1/organizations/<absent>/members/<comember_b>/approve",
        "",
        ("", ""),
    ),
    (
        "GET",
        "/v1/organizations/<org_b>/invitations/<inv_b>",
        "/v1/organizations/<absent>/invitations/<inv_b>",
        "",
        ("", ""),
    ),
    (
        "POST",
        "/v1/organizations/<org_b>/invitations",
        "/v1/organizations/<absent>/invitations",
        r#"{"email": "oracle@example.com"}"#,
        ("", ""),
    ),
    (
        "GET",
        "/v1/users/<comember_b>",
        "/v1/users/<absent>",
        "",
        ("If-None-Match", "*"),
    ),
    (
        "PATCH",
        "/v1/users/<comember_b>",
        "/v1/users/<absent>",
        r#"{"first_name": "x"}"#,
        ("If-Match", "W/\"999\""),
    ),
    (
        "DELETE",
        "/v1/users/<comember_b>",
        "/v1/users/<absent>",
        "",
        ("If-Match", "W/\"999\""),
    ),
    (
        "GET",
        "/v1/customers/<cust_d>",
        "/v1/customers/<absent>",
        "",
        ("If-None-Match", "*"),
    ),
    (
        "PATCH",
        "/v1/customers/<cust_d>",
        "/v1/customers/<absent>",
        r#"{"name": "x"}"#,
        ("If-Match", "W/\"999\""),
    ),
    (
        "DELETE",
        "/v1/tokens/<owner_b_token>",
        "/v1/tokens/<absent>",
        "",
        ("", ""),
    ),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scope {
    /// Not tenant-scoped: a single column.
    One,
    Own,
    Other,
}

#[derive(Clone, Debug, Default)]
struct Person {
    id: String,
    name: String,
    token: String,
}

/// The shared fixture: organization A (customer C) where every caller has its relation,
/// organization B (customer D) where none has any.
struct Fx<'a> {
    s: &'a Server,
    n: Cell<u32>,
    /// Indexed like `CALLERS`; the anonymous slot names the viewer with no token.
    callers: Vec<Person>,
    org_a: (String, String),
    org_b: (String, String),
    cust_c: (String, String),
    cust_d: (String, String),
    custowner_b: String,
    owner_b: Person,
    /// Owner of fresh "own" organizations whose caller is not the owner.
    fx_owner: String,
    comember_a: Person,
    comember_b: Person,
    /// Files the join requests that approve/reject cells decide.
    requester: Person,
    inv_a: String,
    inv_b: String,
    closed: String,
    login_user: String,
}

impl<'a> Fx<'a> {
    fn next(&self) -> u32 {
        let n = self.n.get() + 1;
        self.n.set(n);
        n
    }

    /// A user without password (cheap: no hashing).
    fn plain_user(&self) -> String {
        let u = self
            .s
            .new_user(json!({"username": format!("mx-u{}", self.next())}));
        u["id"].as_str().unwrap().to_string()
    }

    fn add(&self, org: &str, user: &str, role: &str) {
        crate::members::add_member(self.s, &self.s.admin, org, user, role);
    }

    fn join(&self, org: &str, p: &Person, role: &str) {
        let r = self.s.post(
            &format!("/v1/organizations/{org}/members"),
            &p.token,
            json!({"user": p.id, "role": role}),
        );
        assert_eq!(r.status, 201, "fixture join request: {}", r.text);
        assert_eq!(r["status"], "pending", "fixture join request: {}", r.text);
    }

    fn member_in(&self, org: &str, role: &str) -> String {
        let u = self.plain_user();
        self.add(org, &u, role);
        u
    }

    /// The requester's membership in `org`, made pending again (leave, then ask).
    fn pending_in(&self, org: &str, role: &str) -> String {
        let r = &self.requester;
        let d = self
            .s
            .delete(&format!("/v1/organizations/{org}/members/me"), &r.token);
        assert!(
            d.status == 204 || d.status == 404,
            "fixture: requester leaves: {}",
            d.text
        );
        self.join(org, r, role);
        r.id.clone()
    }

    fn invite_in(&self, org: &str, role: &str) -> (String, String) {
        let r = self.s.post(
            &format!("/v1/organizations/{org}/invitations"),
            &self.s.admin,
            json!({"email": format!("mx-inv{}@example.com", self.next()), "role": role}),
        );
        assert_eq!(r.status, 201, "fixture invitation: {}", r.text);
        (
            r["id"].as_str().unwrap().to_string(),
            r["token"].as_str().unwrap().to_string(),
        )
    }

    fn new_org(&self, owner: &str, customer: &str) -> (String, String) {
        let name = format!("mx-org-{}", self.next());
        let o = self.s.create_org_with(
            &self.s.admin,
            json!({"name": name, "owner": owner, "customer": customer}),
        );
        (o["id"].as_str().unwrap().to_string(), name)
    }

    /// A fresh organization to which `caller` stands as to organization A.
    fn org_for(&self, caller: usize) -> (String, String) {
        let owner = if caller == OWNER {
            self.callers[OWNER].id.clone()
        } else {
            self.fx_owner.clone()
        };
        let (org, name) = self.new_org(&owner, &self.cust_c.0);
        let me = &self.callers[caller];
        match caller {
            VIEWER | SVC => self.add(&org, &me.id, "viewer"),
            ACCOUNTING => self.add(&org, &me.id, "accounting"),
            CONTRIBUTOR => self.add(&org, &me.id, "contributor"),
            ADMIN => self.add(&org, &me.id, "admin"),
            PENDING => self.join(&org, me, "viewer"),
            _ => {}
        }
        (org, name)
    }

    fn token_of(&self, token: &str) -> String {
        let r = self
            .s
            .post("/v1/tokens", token, json!({"name": "matrix victim"}));
        assert_eq!(r.status, 201, "fixture token: {}", r.text);
        r["id"].as_str().unwrap().to_string()
    }

    fn password_user(&self, body: Value) -> Person {
        let name = body["username"].as_str().unwrap().to_string();
        let u = self.s.new_user(body);
        Person {
            id: u["id"].as_str().unwrap().to_string(),
            token: self.s.login(&name, PASSWORD),
            name,
        }
    }

    /// A fresh user with `caller`'s relations (anonymous: a user, no token).
    fn clone_of(&self, caller: usize) -> Person {
        let name = format!("mx-clone{}", self.next());
        if caller == ANON {
            let id = self.plain_user();
            return Person {
                id,
                name,
                token: String::new(),
            };
        }
        let body = match caller {
            STAFF => json!({"username": name, "password": PASSWORD, "is_staff": true}),
            SVC => json!({"username": name, "password": PASSWORD, "is_service_account": true}),
            _ => json!({"username": name, "password": PASSWORD}),
        };
        let p = self.password_user(body);
        let a = &self.org_a.0;
        match caller {
            PENDING => self.join(a, &p, "viewer"),
            VIEWER | SVC => self.add(a, &p.id, "viewer"),
            ACCOUNTING => self.add(a, &p.id, "accounting"),
            CONTRIBUTOR => self.add(a, &p.id, "contributor"),
            ADMIN => self.add(a, &p.id, "admin"),
            OWNER => {
                self.s
                    .create_org(&p.token, &format!("mx-owned-{}", self.next()));
            }
            CUSTOWNER => {
                let r = self.s.patch(
                    &format!("/v1/customers/{}", self.cust_c.0),
                    &self.s.admin,
                    json!({"owners": [self.callers[CUSTOWNER].id, p.id]}),
                );
                assert_eq!(r.status, 200, "fixture customer owners: {}", r.text);
            }
            _ => {}
        }
        p
    }

    /// The placeholders of one cell, and the token it is sent with.
    fn prepare(
        &self,
        row: &Row,
        scope: Scope,
        caller: usize,
    ) -> (HashMap<&'static str, String>, String) {
        let own = scope != Scope::Other;
        let me = &self.callers[caller];
        let mut token = me.token.clone();
        let mut env: HashMap<&'static str, String> = HashMap::new();
        let (org, cust, custowner, comember, inv) = if own {
            (
                &self.org_a,
                &self.cust_c,
                &self.callers[CUSTOWNER].id,
                &self.comember_a,
                &self.inv_a,
            )
        } else {
            (
                &self.org_b,
                &self.cust_d,
                &self.custowner_b,
                &self.comember_b,
                &self.inv_b,
            )
        };
        env.insert("org", org.0.clone());
        env.insert("org_name", enc(&org.1));
        env.insert("customer", cust.0.clone());
        env.insert("customer_name", cust.1.clone());
        env.insert("customer_owner", custowner.clone());
        env.insert("comember", comember.id.clone());
        env.insert("comember_name", comember.name.clone());
        env.insert("inv", inv.clone());
        env.insert("self", me.id.clone());
        env.insert("self_name", me.name.clone());
        env.insert("closed", self.closed.clone());
        env.insert("login_user", self.login_user.clone());
        env.insert("password", PASSWORD.to_string());
        env.insert("n", self.next().to_string());
        let text = format!("{} {}", row.path, row.body);
        for key in ["fresh", "fresh2"] {
            if text.contains(&format!("<{key}>")) {
                env.insert(key, self.plain_user());
            }
        }
        match row.prep {
            Prep::Shared => {}
            Prep::Member(role) => {
                let t = self.member_in(&env["org"], role);
                env.insert("target", t);
            }
            Prep::Pending(role) => {
                let t = self.pending_in(&env["org"], role);
                env.insert("target", t);
            }
            Prep::Invite(role) => {
                let (id, _) = self.invite_in(&env["org"], role);
                env.insert("inv", id);
            }
            Prep::Org => {
                let (id, name) = if own {
                    self.org_for(caller)
                } else {
                    self.new_org(&self.owner_b.id, &self.cust_d.0)
                };
                env.insert("org", id);
                env.insert("org_name", name);
            }
            Prep::Customer => {
                let c = self.s.create_customer(json!({
                    "name": format!("mx-customer-{}", self.next()),
                    "owners": [custowner],
                }));
                env.insert("customer", c["id"].as_str().unwrap().to_string());
            }
            Prep::Token => {
                let id = if own && caller != ANON {
                    self.token_of(&me.token)
                } else {
                    self.token_of(&self.owner_b.token)
                };
                env.insert("token", id);
            }
            Prep::Clone => {
                let p = self.clone_of(caller);
                env.insert("self", p.id.clone());
                env.insert("self_name", p.name.clone());
                token = p.token;
            }
            Prep::Accept => {
                let (_, secret) = self.invite_in(&self.org_a.0, "viewer");
                env.insert("invtoken", secret);
                let body = if caller == ANON {
                    json!({"username": format!("mx-acc{}", self.next()), "password": PASSWORD})
                } else {
                    json!({})
                };
                env.insert("accept", body.to_string());
            }
        }
        env.insert("cust_d", self.cust_d.0.clone());
        env.insert("pending_user", self.callers[PENDING].id.clone());
        for (key, hex) in [
            ("org", "org_hex"),
            ("comember", "comember_hex"),
            ("self", "self_hex"),
            ("target", "target_hex"),
        ] {
            if let Some(v) = env.get(key) {
                let h = v.replace('-', "");
                env.insert(hex, h);
            }
        }
        (env, token)
    }
}

/// Replaces every `<key>` of `env` in `template`; a placeholder left over is a test bug.
fn fill(template: &str, env: &HashMap<&'static str, String>) -> String {
    let mut out = template.to_string();
    for (k, v) in env {
        out = out.replace(&format!("<{k}>"), v);
    }
    if let Some(i) = out.find('<') {
        let rest = &out[i..];
        let key: String = rest.chars().take_while(|c| *c != '>').collect();
        if rest.contains('>')
            && key[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            panic!("unfilled placeholder {key}> in {template:?}");
        }
    }
    out
}

fn build(s: &Server) -> Fx<'_> {
    let staff_me = s.get("/v1/me", &s.admin);
    assert_eq!(staff_me.status, 200, "{}", staff_me.text);
    let mut fx = Fx {
        s,
        n: Cell::new(0),
        callers: vec![],
        org_a: Default::default(),
        org_b: Default::default(),
        cust_c: Default::default(),
        cust_d: Default::default(),
        custowner_b: String::new(),
        owner_b: Person::default(),
        fx_owner: String::new(),
        comember_a: Person::default(),
        comember_b: Person::default(),
        requester: Person::default(),
        inv_a: String::new(),
        inv_b: String::new(),
        closed: String::new(),
        login_user: "mx-login".into(),
    };
    let pw = |name: &str| json!({"username": name, "password": PASSWORD});
    let mut callers = vec![Person::default()];
    for name in [
        "mx-nonmember",
        "mx-pending",
        "mx-viewer",
        "mx-accounting",
        "mx-contributor",
        "mx-admin",
        "mx-owner",
        "mx-custowner",
    ] {
        callers.push(fx.password_user(pw(name)));
    }
    callers.push(Person {
        id: staff_me["id"].as_str().unwrap().to_string(),
        name: staff_me["username"].as_str().unwrap().to_string(),
        token: s.admin.clone(),
    });
    callers.push(fx.password_user(
        json!({"username": "mx-service", "password": PASSWORD, "is_service_account": true}),
    ));
    // The anonymous slot names the viewer (so paths point at a real object) without a token.
    callers[ANON] = Person {
        token: String::new(),
        ..callers[VIEWER].clone()
    };
    fx.callers = callers;
    fx.owner_b = fx.password_user(pw("mx-owner-b"));
    fx.requester = fx.password_user(pw("mx-requester"));
    s.new_user(pw("mx-login"));
    fx.fx_owner = fx.plain_user();
    fx.custowner_b = fx.plain_user();
    let plain_person = |name: &str| {
        let u = s.new_user(json!({"username": name}));
        Person {
            id: u["id"].as_str().unwrap().to_string(),
            name: name.to_string(),
            token: String::new(),
        }
    };
    fx.comember_a = plain_person("mx-comember-a");
    fx.comember_b = plain_person("mx-comember-b");

    let c =
        s.create_customer(json!({"name": "mx customer C", "owners": [fx.callers[CUSTOWNER].id]}));
    fx.cust_c = (
        c["id"].as_str().unwrap().to_string(),
        "mx customer C".into(),
    );
    let d = s.create_customer(json!({"name": "mx customer D", "owners": [fx.custowner_b]}));
    fx.cust_d = (
        d["id"].as_str().unwrap().to_string(),
        "mx customer D".into(),
    );

    let a = s.create_org_with(
        &s.admin,
        json!({"name": "mx-A", "owner": fx.callers[OWNER].id, "customer": fx.cust_c.0}),
    );
    fx.org_a = (a["id"].as_str().unwrap().to_string(), "mx-A".into());
    let b = s.create_org_with(
        &s.admin,
        json!({"name": "mx-B", "owner": fx.owner_b.id, "customer": fx.cust_d.0}),
    );
    fx.org_b = (b["id"].as_str().unwrap().to_string(), "mx-B".into());
    let org_a = fx.org_a.0.clone();
    for (who, role) in [
        (VIEWER, "viewer"),
        (ACCOUNTING, "accounting"),
        (CONTRIBUTOR, "contributor"),
        (ADMIN, "admin"),
        (SVC, "viewer"),
    ] {
        fx.add(&org_a, &fx.callers[who].id, role);
    }
    fx.join(&org_a, &fx.callers[PENDING], "viewer");
    fx.add(&org_a, &fx.comember_a.id, "viewer");
    fx.add(&fx.org_b.0, &fx.comember_b.id, "viewer");
    fx.inv_a = fx.invite_in(&org_a, "viewer").0;
    fx.inv_b = fx.invite_in(&fx.org_b.0, "viewer").0;
    let closed = s.create_org_with(
        &s.admin,
        json!({"name": "mx-closed", "owner": fx.fx_owner, "accepts_join_requests": false}),
    );
    fx.closed = closed["id"].as_str().unwrap().to_string();
    fx
}

fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(160).collect();
    t.replace('\n', " ")
}

#[test]
fn authz_matrix_every_route_every_caller_own_and_other_organization() {
    let s = Server::start();
    let fx = build(&s);
    let started = std::time::Instant::now();
    let mut cells = 0usize;
    let mut mismatches: Vec<String> = vec![];
    for row in MATRIX {
        let scopes: Vec<(Scope, [u16; 11])> = match row.other {
            None => vec![(Scope::One, row.own)],
            Some(other) => vec![(Scope::Own, row.own), (Scope::Other, other)],
        };
        // HEAD is GET without a body: every GET cell runs as HEAD too.
        let methods: &[&str] = if row.method == "GET" {
            &["GET", "HEAD"]
        } else {
            &[row.method]
        };
        for (scope, expected) in scopes {
            for (caller, &want) in expected.iter().enumerate() {
                for &method in methods {
                    let (env, token) = fx.prepare(row, scope, caller);
                    let path = fill(row.path, &env);
                    let mut call = s.call(method, &path).auth(&token);
                    if !row.body.is_empty() {
                        let body: Value = serde_json::from_str(&fill(row.body, &env))
                            .unwrap_or_else(|e| {
                                panic!("row body of {} {}: {e}", row.method, row.path)
                            });
                        call = call.json(body);
                    }
                    let r = call.send();
                    cells += 1;
                    let cell = format!(
                        "{} {} {} [{} / {:?}]",
                        method,
                        row.path,
                        if row.body.is_empty() { "" } else { row.body },
                        CALLERS[caller],
                        scope
                    );
                    if r.status != want {
                        mismatches.push(format!(
                            "{cell}: expected {want}, got {} — {}{}",
                            r.status,
                            excerpt(&r.text),
                            if row.note.is_empty() {
                                String::new()
                            } else {
                                format!(" (note: {})", row.note)
                            }
                        ));
                    } else if want == 401 && r.header("www-authenticate").is_none() {
                        mismatches.push(format!("{cell}: 401 without WWW-Authenticate"));
                    }
                }
            }
        }
    }
    let route_cells = cells;
    // Lists never mention another tenant's objects.
    let owner_b_token = fx.token_of(&fx.owner_b.token);
    let ids: HashMap<&'static str, String> = [
        ("org_a", fx.org_a.0.clone()),
        ("org_b", fx.org_b.0.clone()),
        ("comember_a", fx.comember_a.id.clone()),
        ("comember_b", fx.comember_b.id.clone()),
        ("cust_c", fx.cust_c.0.clone()),
        ("cust_d", fx.cust_d.0.clone()),
        ("owner_b", fx.owner_b.id.clone()),
        ("inv_b", fx.inv_b.clone()),
        ("owner_b_token", owner_b_token),
        ("absent", "0f0f0f0f-1111-4222-8333-444455556666".to_string()),
    ]
    .into_iter()
    .collect();
    for (path, key, hidden_from) in LEAKS {
        let path = fill(path, &ids);
        for &caller in *hidden_from {
            let r = s.get(&path, &fx.callers[caller].token);
            cells += 1;
            if r.status != 200 {
                mismatches.push(format!(
                    "GET {path} [{}]: expected 200, got {}",
                    CALLERS[caller], r.status
                ));
            } else if r.text.contains(ids[key].as_str()) {
                mismatches.push(format!(
                    "GET {path} [{}]: mentions {key} ({}), which it may not see",
                    CALLERS[caller], ids[key]
                ));
            }
        }
    }
    let leak_cells = cells - route_cells;
    // Another tenant's objects are indistinguishable from absent ones.
    for (method, hidden, absent, body, (hname, hvalue)) in ORACLES {
        for caller in [NONMEMBER, PENDING, ADMIN, OWNER, CUSTOWNER] {
            let ask = |path: &str| {
                let mut call = s
                    .call(method, &fill(path, &ids))
                    .auth(&fx.callers[caller].token);
                if !hname.is_empty() {
                    call = call.header(hname, hvalue);
                }
                if !body.is_empty() {
                    call = call.json(serde_json::from_str(&fill(body, &ids)).unwrap());
                }
                call.send()
            };
            let (h, a) = (ask(hidden), ask(absent));
            cells += 1;
            let what = format!("{method} {hidden} vs {absent} [{}]", CALLERS[caller]);
            if h.status != 404 || a.status != 404 {
                mismatches.push(format!(
                    "{what}: expected 404 for both, got {} and {} — {}",
                    h.status,
                    a.status,
                    excerpt(&h.text)
                ));
            } else if without_request_id(&h.body) != without_request_id(&a.body) {
                mismatches.push(format!(
                    "{what}: the bodies differ, revealing existence: {} vs {}",
                    excerpt(&h.text),
                    excerpt(&a.text)
                ));
            }
        }
    }
    eprintln!(
        "authz matrix: {} rows, {route_cells} route cells, {leak_cells} list-leak checks, \
         {} existence-oracle pairs, in {:?}",
        MATRIX.len(),
        cells - route_cells - leak_cells,
        started.elapsed()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {cells} authorization cells differ from the contract:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Mass assignment
// ---------------------------------------------------------------------------------------

/// One attempt to set what the caller may not: (object, caller, method, path, body,
/// expected status, field the 400 must name ("" for a 403), paths that must read the same
/// before and after — read as staff, or as the caller when prefixed with `me:`).
type Attempt = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u16,
    &'static str,
    &'static [&'static str],
);

const USER_CHECK: &[&str] = &["/v1/users/<viewer>", "me:/v1/me"];
const ORG_CHECK: &[&str] = &["/v1/organizations/<org>"];
const CUST_CHECK: &[&str] = &["/v1/customers/<customer>"];
const MEMBERS_CHECK: &[&str] = &[
    "/v1/organizations/<org>/members?page_size=200",
    "/v1/organizations/<orgb>/members?page_size=200",
];
const TARGET_CHECK: &[&str] = &["/v1/organizations/<org>/members/<target>"];
const INV_CHECK: &[&str] = &[
    "/v1/organizations/<org>/invitations?page_size=200",
    "/v1/organizations/<orgb>/invitations?page_size=200",
];
const TOKEN_CHECK: &[&str] = &["me:/v1/tokens?page_size=200"];

const ATTEMPTS: &[Attempt] = &[
    // users (a non-staff user on themself, staff on others)
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"id": "<uuid>"}"#,
        400,
        "id",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"is_staff": true}"#,
        400,
        "is_staff",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PUT",
        "/v1/users/<viewer>",
        r#"{"username": "ma-viewer", "is_staff": true}"#,
        400,
        "is_staff",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"is_active": false}"#,
        400,
        "is_active",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"is_service_account": true}"#,
        400,
        "is_service_account",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"status": "active"}"#,
        400,
        "status",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"organization": "<orgb>"}"#,
        400,
        "organization",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"role": "owner"}"#,
        400,
        "role",
        USER_CHECK,
    ),
    (
        "user",
        "viewer",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"created": "2020-01-01T00:00:00.000Z"}"#,
        400,
        "created",
        USER_CHECK,
    ),
    (
        "user",
        "staff",
        "PATCH",
        "/v1/users/<viewer>",
        r#"{"id": "<uuid>"}"#,
        400,
        "id",
        USER_CHECK,
    ),
    (
        "user",
        "staff",
        "POST",
        "/v1/users",
        r#"{"username": "ma-new", "id": "<uuid>"}"#,
        400,
        "id",
        &["/v1/users?username=ma-new"],
    ),
    // organizations
    (
        "organization",
        "owner",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"id": "<uuid>"}"#,
        400,
        "id",
        ORG_CHECK,
    ),
    (
        "organization",
        "owner",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"status": "archived"}"#,
        400,
        "status",
        ORG_CHECK,
    ),
    (
        "organization",
        "owner",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"organization": "<orgb>"}"#,
        400,
        "organization",
        ORG_CHECK,
    ),
    (
        "organization",
        "owner",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"member_count": 1}"#,
        400,
        "member_count",
        ORG_CHECK,
    ),
    (
        "organization",
        "owner",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"created_by": "<uuid>"}"#,
        400,
        "created_by",
        ORG_CHECK,
    ),
    (
        "organization",
        "owner",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"is_staff": true}"#,
        400,
        "is_staff",
        ORG_CHECK,
    ),
    (
        "organization",
        "owner",
        "PUT",
        "/v1/organizations/<org>",
        r#"{"name": "ma org", "id": "<uuid>"}"#,
        400,
        "id",
        ORG_CHECK,
    ),
    (
        "organization",
        "accounting",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"currency_code": "EUR", "description": "x"}"#,
        403,
        "",
        ORG_CHECK,
    ),
    (
        "organization",
        "admin",
        "PATCH",
        "/v1/organizations/<org>",
        r#"{"owner": "<admin>"}"#,
        403,
        "",
        ORG_CHECK,
    ),
    (
        "organization",
        "viewer",
        "POST",
        "/v1/organizations",
        r#"{"name": "ma-new-org", "id": "<uuid>"}"#,
        400,
        "id",
        &["/v1/organizations?name=ma-new-org"],
    ),
    (
        "organization",
        "viewer",
        "POST",
        "/v1/organizations",
        r#"{"name": "ma-new-org", "owner": "<admin>"}"#,
        403,
        "",
        &["/v1/organizations?name=ma-new-org"],
    ),
    // customers
    (
        "customer",
        "staff",
        "PATCH",
        "/v1/customers/<customer>",
        r#"{"id": "<uuid>"}"#,
        400,
        "id",
        CUST_CHECK,
    ),
    (
        "customer",
        "staff",
        "PATCH",
        "/v1/customers/<customer>",
        r#"{"status": "closed"}"#,
        400,
        "status",
        CUST_CHECK,
    ),
    (
        "customer",
        "staff",
        "PATCH",
        "/v1/customers/<customer>",
        r#"{"organization": "<org>"}"#,
        400,
        "organization",
        CUST_CHECK,
    ),
    (
        "customer",
        "staff",
        "PATCH",
        "/v1/customers/<customer>",
        r#"{"is_staff": true}"#,
        400,
        "is_staff",
        CUST_CHECK,
    ),
    (
        "customer",
        "custowner",
        "PATCH",
        "/v1/customers/<customer>",
        r#"{"owners": ["<custowner>", "<viewer>"]}"#,
        403,
        "",
        CUST_CHECK,
    ),
    (
        "customer",
        "custowner",
        "PATCH",
        "/v1/customers/<customer>",
        r#"{"name": "mine now"}"#,
        403,
        "",
        CUST_CHECK,
    ),
    (
        "customer",
        "staff",
        "POST",
        "/v1/customers",
        r#"{"name": "ma-cu", "id": "<uuid>"}"#,
        400,
        "id",
        &["/v1/customers?name=ma-cu"],
    ),
    // memberships
    (
        "membership",
        "admin",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<fresh>", "role": "owner"}"#,
        403,
        "",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "custowner",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<fresh>", "role": "owner"}"#,
        403,
        "",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "admin",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<fresh>", "status": "pending"}"#,
        400,
        "status",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "admin",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<fresh>", "id": "<uuid>"}"#,
        400,
        "id",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "admin",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<fresh>", "organization": "<orgb>"}"#,
        400,
        "organization",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "admin",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<fresh>", "is_staff": true}"#,
        400,
        "is_staff",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "nonmember",
        "POST",
        "/v1/organizations/<org>/members",
        r#"{"user": "<nonmember>", "status": "approved"}"#,
        400,
        "status",
        MEMBERS_CHECK,
    ),
    (
        "membership",
        "admin",
        "PATCH",
        "/v1/organizations/<org>/members/<target>",
        r#"{"role": "owner"}"#,
        403,
        "",
        TARGET_CHECK,
    ),
    (
        "membership",
        "custowner",
        "PATCH",
        "/v1/organizations/<org>/members/<target>",
        r#"{"role": "owner"}"#,
        403,
        "",
        TARGET_CHECK,
    ),
    (
        "membership",
        "admin",
        "PATCH",
        "/v1/organizations/<org>/members/<target>",
        r#"{"status": "rejected"}"#,
        400,
        "status",
        TARGET_CHECK,
    ),
    (
        "membership",
        "admin",
        "PATCH",
        "/v1/organizations/<org>/members/<target>",
        r#"{"organization": "<orgb>"}"#,
        400,
        "organization",
        TARGET_CHECK,
    ),
    (
        "membership",
        "admin",
        "PATCH",
        "/v1/organizations/<org>/members/<target>",
        r#"{"user": "<viewer>"}"#,
        400,
        "user",
        TARGET_CHECK,
    ),
    (
        "membership",
        "admin",
        "PATCH",
        "/v1/organizations/<org>/members/<target>",
        r#"{"id": "<uuid>"}"#,
        400,
        "id",
        TARGET_CHECK,
    ),
    (
        "membership",
        "viewer",
        "PATCH",
        "/v1/organizations/<org>/members/me",
        r#"{"role": "admin"}"#,
        403,
        "",
        &["/v1/organizations/<org>/members/<viewer>"],
    ),
    (
        "membership",
        "viewer",
        "PATCH",
        "/v1/organizations/<org>/members/me",
        r#"{"is_staff": true}"#,
        400,
        "is_staff",
        &["/v1/organizations/<org>/members/<viewer>"],
    ),
    (
        "membership",
        "pending",
        "PATCH",
        "/v1/organizations/<org>/members/me",
        r#"{"status": "approved"}"#,
        400,
        "status",
        &["/v1/organizations/<org>/members/<pending>"],
    ),
    (
        "membership",
        "pending",
        "POST",
        "/v1/organizations/<org>/members/<pending>/approve",
        "",
        404,
        "",
        &["/v1/organizations/<org>/members/<pending>"],
    ),
    // invitations
    (
        "invitation",
        "admin",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma1@example.com", "role": "owner"}"#,
        403,
        "",
        INV_CHECK,
    ),
    (
        "invitation",
        "custowner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma1@example.com", "role": "owner"}"#,
        403,
        "",
        INV_CHECK,
    ),
    (
        "invitation",
        "owner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma2@example.com", "status": "accepted"}"#,
        400,
        "status",
        INV_CHECK,
    ),
    (
        "invitation",
        "owner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma2@example.com", "organization": "<orgb>"}"#,
        400,
        "organization",
        INV_CHECK,
    ),
    (
        "invitation",
        "owner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma2@example.com", "id": "<uuid>"}"#,
        400,
        "id",
        INV_CHECK,
    ),
    (
        "invitation",
        "owner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma2@example.com", "token": "org_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
        400,
        "token",
        INV_CHECK,
    ),
    (
        "invitation",
        "owner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma2@example.com", "invited_by": "<viewer>"}"#,
        400,
        "invited_by",
        INV_CHECK,
    ),
    (
        "invitation",
        "owner",
        "POST",
        "/v1/organizations/<org>/invitations",
        r#"{"email": "ma2@example.com", "is_staff": true}"#,
        400,
        "is_staff",
        INV_CHECK,
    ),
    // tokens
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "id": "<uuid>"}"#,
        400,
        "id",
        TOKEN_CHECK,
    ),
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "status": "active"}"#,
        400,
        "status",
        TOKEN_CHECK,
    ),
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "organization": "<org>"}"#,
        400,
        "organization",
        TOKEN_CHECK,
    ),
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "user": "<admin>"}"#,
        400,
        "user",
        TOKEN_CHECK,
    ),
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "kind": "login"}"#,
        400,
        "kind",
        TOKEN_CHECK,
    ),
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "is_staff": true}"#,
        400,
        "is_staff",
        TOKEN_CHECK,
    ),
    (
        "token",
        "viewer",
        "POST",
        "/v1/tokens",
        r#"{"name": "t", "prefix": "org_aaaaaa"}"#,
        400,
        "prefix",
        TOKEN_CHECK,
    ),
];

/// `last_used` moves when a token is used; everything else must stay put.
fn settled(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("last_used");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn authz_mass_assignment_is_refused_and_changes_nothing() {
    let s = Server::start();
    let (org, people) = crate::members::org_with_roles(&s, "ma");
    let person = |role: &str| people.iter().find(|p| p.0 == role).unwrap().clone();
    let (_, _, owner) = person("owner");
    let (_, admin_id, admin) = person("admin");
    let (_, target_id, _) = person("contributor");
    let (_, _, accounting) = person("accounting");
    let (_, viewer_id, viewer) = person("viewer");
    let (pending_id, pending) = s.create_user("ma-pending");
    let (nonmember_id, nonmember) = s.create_user("ma-nonmember");
    let (custowner_id, custowner) = s.create_user("ma-custowner");
    let fresh = s.new_user(json!({"username": "ma-fresh"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let customer = s.create_customer(json!({"name": "ma customer", "owners": [custowner_id]}))
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.patch(
        &format!("/v1/organizations/{org}"),
        &s.admin,
        json!({"customer": customer}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.post(
        &format!("/v1/organizations/{org}/members"),
        &pending,
        json!({"user": pending_id}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let orgb = s.create_org(&nonmember, "ma other org");

    let vars: HashMap<&'static str, String> = [
        ("org", org.clone()),
        ("orgb", orgb),
        ("viewer", viewer_id),
        ("admin", admin_id),
        ("target", target_id),
        ("pending", pending_id),
        ("nonmember", nonmember_id),
        ("custowner", custowner_id),
        ("customer", customer),
        ("fresh", fresh),
        ("uuid", "0f0f0f0f-1111-4222-8333-444455556666".to_string()),
    ]
    .into_iter()
    .collect();
    let tokens: HashMap<&str, String> = [
        ("owner", owner),
        ("admin", admin),
        ("accounting", accounting),
        ("viewer", viewer),
        ("pending", pending),
        ("nonmember", nonmember),
        ("custowner", custowner),
        ("staff", s.admin.clone()),
    ]
    .into_iter()
    .collect();

    let mut problems: Vec<String> = vec![];
    for (object, who, method, path, body, status, field, checks) in ATTEMPTS {
        let token = &tokens[who];
        let read = |check: &str| -> Value {
            let (as_token, p) = match check.strip_prefix("me:") {
                Some(p) => (token.as_str(), p),
                None => (s.admin.as_str(), check),
            };
            let r = s.get(&fill(p, &vars), as_token);
            assert_eq!(
                r.status, 200,
                "reading {p} for a before/after check: {}",
                r.text
            );
            settled(r.body)
        };
        let before: Vec<Value> = checks.iter().map(|c| read(c)).collect();
        let path = fill(path, &vars);
        let mut call = s.call(method, &path).auth(token);
        if !body.is_empty() {
            call = call.json(serde_json::from_str(&fill(body, &vars)).expect("attempt body"));
        }
        let r = call.send();
        let what = format!("{object}: {method} {path} {body} as {who}");
        if r.status != *status {
            problems.push(format!(
                "{what}: expected {status}, got {} — {}",
                r.status,
                excerpt(&r.text)
            ));
        } else if *status == 400 && r.error_fields() != vec![field.to_string()] {
            problems.push(format!(
                "{what}: the 400 names {:?}, expected exactly [{field:?}]",
                r.error_fields()
            ));
        }
        let after: Vec<Value> = checks.iter().map(|c| read(c)).collect();
        for ((c, b), a) in checks.iter().zip(&before).zip(&after) {
            if b != a {
                problems.push(format!("{what}: {c} changed:\n  before {b}\n  after  {a}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} mass-assignment attempts misbehaved:\n{}",
        problems.len(),
        ATTEMPTS.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Credentials that stop working
// ---------------------------------------------------------------------------------------

/// RFC 3339 UTC with milliseconds for epoch milliseconds.
fn rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Records a failure unless `r` is a 401 with `WWW-Authenticate`.
fn check_401(r: &Resp, what: &str, failures: &mut Vec<String>) {
    if r.status != 401 {
        failures.push(format!(
            "{what}: expected 401, got {} — {}",
            r.status,
            excerpt(&r.text)
        ));
    } else if r.header("www-authenticate").is_none() {
        failures.push(format!("{what}: 401 without WWW-Authenticate"));
    }
}

#[test]
fn authz_revoked_expired_and_deactivated_credentials_fail_at_once() {
    let s = Server::start();
    let now = now_ms();
    assert_eq!(
        ts_ms(&json!(rfc3339(now))),
        now,
        "the test's own time format"
    );
    let mut failures: Vec<String> = vec![];
    let (user_id, login) = s.create_user("cred-user");
    let org = s.create_org(&login, "cred org");

    // An API token expiring in ~1.5 s works until then, and not a moment after.
    let expires = rfc3339(now_ms() + 1500);
    let t = s.post(
        "/v1/tokens",
        &login,
        json!({"name": "short-lived", "expires": expires}),
    );
    t.ok(201);
    let short = t["token"].as_str().unwrap().to_string();
    let short_id = t["id"].as_str().unwrap().to_string();
    s.get("/v1/me", &short).ok(200);
    s.get(&format!("/v1/organizations/{org}"), &short).ok(200);
    let wait = ts_ms(&json!(expires)) - now_ms() + 250;
    if wait > 0 {
        std::thread::sleep(Duration::from_millis(wait as u64));
    }
    check_401(&s.get("/v1/me", &short), "an expired token", &mut failures);
    check_401(
        &s.get(&format!("/v1/organizations/{org}"), &short),
        "an expired token on an organization",
        &mut failures,
    );
    check_401(
        &s.call("GET", "/v1/me")
            .header("Authorization", &format!("Token {short}"))
            .send(),
        "an expired token in the Token scheme",
        &mut failures,
    );
    let live = s.get("/v1/tokens?page_size=200", &login);
    live.ok(200);
    if live.result_strs("id").contains(&short_id) {
        failures.push(format!(
            "GET /v1/tokens lists an expired token (docs/API.md: it lists live tokens): {}",
            live.text
        ));
    }

    // A revoked API token: 401 on the very next request.
    let t = s.post("/v1/tokens", &login, json!({"name": "to revoke"}));
    t.ok(201);
    let api = t["token"].as_str().unwrap().to_string();
    let api_id = t["id"].as_str().unwrap().to_string();
    s.get("/v1/me", &api).ok(200);
    s.delete(&format!("/v1/tokens/{api_id}"), &login).ok(204);
    check_401(&s.get("/v1/me", &api), "a revoked token", &mut failures);
    check_401(
        &s.post("/v1/tokens", &api, json!({"name": "x"})),
        "a revoked token minting another",
        &mut failures,
    );
    s.delete(&format!("/v1/tokens/{api_id}"), &login)
        .problem(404);

    // A login token revoking itself.
    let second = s.login("cred-user", PASSWORD);
    let list = s.get("/v1/tokens?page_size=200", &second);
    let prefix: String = second.chars().take(10).collect();
    let own = list
        .results()
        .into_iter()
        .find(|t| t["prefix"] == prefix.as_str())
        .unwrap_or_else(|| panic!("the login token is listed: {}", list.text));
    s.delete(
        &format!("/v1/tokens/{}", own["id"].as_str().unwrap()),
        &second,
    )
    .ok(204);
    check_401(
        &s.get("/v1/me", &second),
        "a revoked login token",
        &mut failures,
    );
    s.get("/v1/me", &login).ok(200);

    // A deactivated user's tokens stop at once, and work again after reactivation.
    let r = s.patch(
        &format!("/v1/users/{user_id}"),
        &s.admin,
        json!({"is_active": false}),
    );
    r.ok(200);
    check_401(
        &s.get("/v1/me", &login),
        "a deactivated user's token",
        &mut failures,
    );
    let r = s.patch(
        &format!("/v1/users/{user_id}"),
        &s.admin,
        json!({"is_active": true}),
    );
    r.ok(200);
    s.get("/v1/me", &login).ok(200);

    // A deleted user's token.
    let (gone_id, gone) = s.create_user("cred-gone");
    s.get("/v1/me", &gone).ok(200);
    s.delete(&format!("/v1/users/{gone_id}"), &s.admin).ok(204);
    check_401(
        &s.get("/v1/me", &gone),
        "a deleted user's token",
        &mut failures,
    );
    assert!(
        failures.is_empty(),
        "{} credential checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
