//! The Waldur profile (seed 000): `/api/organizations/`, `/api/organization-users/`, and
//! `/api/customers/<uuid>/`, `/api/users/<uuid>/` so rendered URLs resolve. 32-hex uuids,
//! absolute `url` fields, bare-array lists with `X-Result-Count` and `Link`, DRF errors.
//!
//! This file is the route table, Waldur's rule set and its wire habits; `map` parses each
//! request, makes one registry call and renders the answer; `doc` is the OpenAPI
//! fragment. Waldur's rules — every signed-in user reads every organization, only staff
//! write them, a customer has at most one organization, a user at most one
//! organization-user, organization-users are decided and (once approved) removed by staff
//! or the customer's owners — are the rule set below: the registry enforces them.

mod doc;
mod map;

use super::drf;
use crate::api::table::{self, Call, Caller, Handler, Profile, Route};
use crate::error::{Broken, Error, Result};
use crate::http::{Req, Resp};
use crate::registry::rules::{
    Deciders, MembershipReaders, OrgCreators, OrgDeleters, OrgEditors, OrgReaders, Removers,
    RuleSet, NATIVE,
};
use Caller::{Staff, User};

/// Waldur's permission model and seed rules (seed 000, profiles.md "waldur").
pub const RULES: RuleSet = RuleSet {
    surface: "waldur",
    org_readers: OrgReaders::AnyUser,
    org_creators: OrgCreators::Staff,
    org_editors: OrgEditors::Staff,
    org_deleters: OrgDeleters::Staff,
    one_org_per_customer: true,
    one_org_per_user: true,
    deciders: Deciders::StaffOrCustomerOwner,
    membership_readers: MembershipReaders::SelfStaffOrCustomerOwner,
    removers: Removers::StaffOrCustomerOwner,
    ..NATIVE
};

const TAGS: &[(&str, &str)] = &[(
    "waldur",
    "The Waldur profile (`/api/organizations/`, `/api/organization-users/`, ...): 32-hex uuids, bare arrays with `X-Result-Count` and `Link`, DRF errors as `application/json`, `OPTIONS` answering 200. Served only when the profile is mounted.",
)];

type Doc = fn(crate::api::doc::Op) -> crate::api::doc::Op;

/// The table reads one route a line (kept out of rustfmt's reach). Organization writes
/// are declared staff-only so that, as in Waldur, a non-staff caller gets 403 before the
/// body is read.
#[rustfmt::skip]
fn routes() -> Vec<Route> {
    let r = |method, path: &str, op: &str, caller, handler: Handler, doc: Doc| {
        Route::new(method, path, op, caller, handler, doc)
    };
    const ORGS: &str = "/api/organizations/";
    const ORG: &str = "/api/organizations/{uuid}/";
    const OUS: &str = "/api/organization-users/";
    const OU: &str = "/api/organization-users/{uuid}/";
    vec![
        r("GET", ORGS, "waldurListOrganizations", User, map::list_orgs, doc::list_orgs),
        r("POST", ORGS, "waldurCreateOrganization", Staff, map::create_org, doc::create_org),
        r("GET", ORG, "waldurGetOrganization", User, map::get_org, doc::get_org),
        r("PUT", ORG, "waldurReplaceOrganization", Staff, map::replace_org, doc::replace_org),
        r("PATCH", ORG, "waldurUpdateOrganization", Staff, map::update_org, doc::update_org),
        r("DELETE", ORG, "waldurDeleteOrganization", Staff, map::delete_org, doc::delete_org),
        r("GET", OUS, "waldurListOrganizationUsers", User, map::list_org_users, doc::list_org_users),
        r("POST", OUS, "waldurCreateOrganizationUser", User, map::create_org_user, doc::create_org_user),
        r("GET", OU, "waldurGetOrganizationUser", User, map::get_org_user, doc::get_org_user),
        r("DELETE", OU, "waldurDeleteOrganizationUser", User, map::delete_org_user, doc::delete_org_user),
        r("POST", &format!("{OU}approve/"), "waldurApproveOrganizationUser", User, map::approve, doc::approve),
        r("POST", &format!("{OU}reject/"), "waldurRejectOrganizationUser", User, map::reject, doc::reject),
        r("GET", "/api/customers/{uuid}/", "waldurGetCustomer", User, map::customer, doc::customer),
        r("GET", "/api/users/{uuid}/", "waldurGetUser", User, map::user, doc::user),
    ]
}

pub fn surface() -> Profile {
    Profile {
        name: "waldur",
        tags: TAGS,
        rules: &RULES,
        routes: routes(),
        error,
        options,
        finish: drf::finish,
        owns: table::owns_nothing,
        session_cookie: true,
        idempotent_posts: false,
        drf_errors: true,
        schemas: doc::schemas,
        finish_doc: doc::finish_doc,
    }
}

pub const CUSTOMER_TAKEN: &str = "Organization for these customer already exist.";
pub const ONE_ORG_PER_USER: &str = "User can belong only to one organization.";

/// DRF bodies; Waldur's seed rules and uniqueness conflicts in Waldur's words.
fn error(e: &Error, _: &Req) -> Resp {
    let worded = match e {
        Error::Rule(Broken::OneOrgPerCustomer) => drf::non_field(CUSTOMER_TAKEN),
        Error::Rule(Broken::OneOrgPerUser) => drf::non_field(ONE_ORG_PER_USER),
        other => other.clone(),
    };
    drf::error(&worded, &|field| match field {
        "abbreviation" => "Organization with this Abbreviation already exists.".into(),
        "name" => "Organization with this Name already exists.".into(),
        other => format!("This {other} is already in use."),
    })
}

/// `OPTIONS` on every path: DRF's minimal metadata document (no credentials read).
fn options(_: &Call, _: &str) -> Result<Resp> {
    Ok(drf::metadata("orgreg"))
}
