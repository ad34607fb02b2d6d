//! The AWX profile (seed 003): `/api/`, `/api/v1/`, `/api/v2/` — version discovery, ping,
//! config, me, session login, personal tokens, organizations with integer ids and their
//! `users`, `admins` and `activity_stream` sub-lists, and users.
//!
//! This file is the route table and the surface's wire habits; `map` parses each request,
//! makes one registry call and renders the answer (`render`, `filter` help it); `doc` is
//! the OpenAPI fragment. AWX's rules (only superusers create organizations, organization
//! admins delete them, whoever reads an organization reads its activity stream) are the
//! rule set below: the registry enforces them.

mod doc;
mod filter;
mod map;
mod render;

use super::drf;
use crate::api::table::{Call, Caller, Handler, Profile, Route};
use crate::error::{Error, Result};
use crate::http::{Req, Resp};
use crate::registry::rules::{ActivityReaders, OrgCreators, OrgDeleters, RuleSet, NATIVE};
use std::time::Instant;
use Caller::{Bare, Staff, User};

/// AWX's permission model: superusers create organizations, organization admins (native
/// owners and admins) change and delete them, and whoever reads an organization reads its
/// activity stream. Everything else as natively.
pub const RULES: RuleSet = RuleSet {
    surface: "awx",
    org_creators: OrgCreators::Staff,
    org_deleters: OrgDeleters::Admins,
    activity_readers: ActivityReaders::OrgReaders,
    ..NATIVE
};

const TAGS: &[(&str, &str)] = &[(
    "awx",
    "The AWX profile (`/api/`, `/api/v1/`, `/api/v2/`): integer ids, page envelopes, DRF errors as `application/json`, `OPTIONS` answering 200 with a DRF metadata document. Served only when the profile is mounted.",
)];

type Doc = fn(crate::api::doc::Op) -> crate::api::doc::Op;

/// The table reads one route a line (kept out of rustfmt's reach).
#[rustfmt::skip]
fn routes() -> Vec<Route> {
    let r = |method, path: &str, op: &str, caller, handler: Handler, doc: Doc| {
        Route::new(method, path, op, caller, handler, doc)
    };
    let mut table = vec![
        r("GET", "/api/", "awxApiRoot", Bare, map::api_root, doc::api_root),
        r("GET", "/api/login/", "awxLoginInfo", Bare, map::login_info, doc::login_info),
        r("POST", "/api/login/", "awxLogin", Bare, map::login, doc::login),
    ];
    for v in ["v1", "v2"] {
        let id = |name: &str| format!("awx{}{name}", v.to_uppercase());
        let p = |rest: &str| format!("/api/{v}/{rest}");
        let org = p("organizations/{id}/");
        let mut add = |method, path: String, op: &str, caller, handler: Handler, doc: Doc| {
            table.push(Route::new(method, path, id(op), caller, handler, doc));
        };
        add("GET", p(""), "VersionRoot", Bare, map::version_root, doc::version_root);
        add("GET", p("ping/"), "Ping", Bare, map::ping, doc::ping);
        add("GET", p("config/"), "Config", User, map::config, doc::config);
        add("GET", p("me/"), "Me", User, map::me, doc::me);
        add("GET", p("users/"), "ListUsers", User, map::users, doc::list_users);
        add("GET", p("users/{id}/"), "GetUser", User, map::user, doc::get_user);
        let tokens = p("users/{username}/personal_tokens/");
        add("POST", tokens.clone(), "CreatePersonalToken", User, map::personal_token, doc::create_personal_token);
        add("OPTIONS", tokens, "PersonalTokenOptions", User, map::personal_token_options, doc::personal_token_options);
        add("GET", p("organizations/"), "ListOrganizations", User, map::orgs, doc::list_organizations);
        add("POST", p("organizations/"), "CreateOrganization", Staff, map::create_org, doc::create_organization);
        add("OPTIONS", p("organizations/"), "OrganizationListOptions", User, map::orgs_options, doc::organization_list_options);
        add("GET", org.clone(), "GetOrganization", User, map::org, doc::get_organization);
        add("PUT", org.clone(), "ReplaceOrganization", User, map::update_org, doc::replace_organization);
        add("PATCH", org.clone(), "UpdateOrganization", User, map::update_org, doc::update_organization);
        add("DELETE", org.clone(), "DeleteOrganization", User, map::delete_org, doc::delete_organization);
        add("OPTIONS", org.clone(), "OrganizationOptions", User, map::org_options, doc::organization_options);
        let users = format!("{org}users/");
        add("GET", users.clone(), "ListOrganizationUsers", User, map::org_users, doc::list_organization_users);
        add("POST", users.clone(), "AssociateOrganizationUser", User, map::associate_user, doc::associate_organization_user);
        add("OPTIONS", users, "OrganizationUsersOptions", User, map::org_users_options, doc::organization_users_options);
        let admins = format!("{org}admins/");
        add("GET", admins.clone(), "ListOrganizationAdmins", User, map::org_admins, doc::list_organization_admins);
        add("POST", admins.clone(), "AssociateOrganizationAdmin", User, map::associate_admin, doc::associate_organization_admin);
        add("OPTIONS", admins, "OrganizationAdminsOptions", User, map::org_admins_options, doc::organization_admins_options);
        add("GET", format!("{org}activity_stream/"), "ListOrganizationActivity", User, map::activity, doc::list_organization_activity);
    }
    table
}

pub fn surface() -> Profile {
    Profile {
        name: "awx",
        tags: TAGS,
        rules: &RULES,
        routes: routes(),
        error,
        options,
        finish,
        owns,
        session_cookie: true,
        idempotent_posts: false,
        drf_errors: true,
        schemas: doc::schemas,
        finish_doc: crate::api::table::no_doc_finish,
    }
}

/// DRF bodies; a taken organization name words its conflict as AWX does.
fn error(e: &Error, _: &Req) -> Resp {
    drf::error(e, &|f| match f {
        "name" => "Organization with this Name already exists.".into(),
        other => format!("A record with this {other} already exists."),
    })
}

/// `Allow`, `X-API-Time` and `Vary: Accept` on every answer (as the seed shows).
fn finish(req: &Req, resp: &mut Resp, allow: &str, started: Instant) {
    drf::finish(req, resp, allow, started);
    resp.headers.push((
        "X-API-Time".into(),
        format!("{:.3}s", started.elapsed().as_secs_f64()),
    ));
    resp.headers.push(("Vary".into(), "Accept".into()));
}

/// `/api/`, `/api/login/` and everything under `/api/v1/` and `/api/v2/` answer a DRF 404
/// when no route matches.
fn owns(segs: &[&str]) -> bool {
    matches!(segs, ["api"] | ["api", "v1" | "v2" | "login", ..])
}

/// OPTIONS where the table declares no richer document: DRF's minimal metadata, named
/// after the view.
fn options(c: &Call, _allow: &str) -> Result<Resp> {
    let segs: Vec<&str> = c.req.segments.iter().map(String::as_str).collect();
    let name = match segs.as_slice() {
        ["api"] => "Api Root",
        ["api", "login"] => "Login",
        ["api", _] => "Api Version Root",
        [.., "ping"] => "Ping",
        [.., "config"] => "Config",
        [.., "me"] => "Me",
        [.., "users"] => "User List",
        [.., "users", _] => "User Detail",
        [.., "activity_stream"] => "Activity Stream List",
        _ => "Api",
    };
    Ok(drf::metadata(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The operation ids the AWX description has always had (clients may name them).
    const KEPT: &[&str] = &[
        "VersionRoot",
        "Ping",
        "Config",
        "Me",
        "ListUsers",
        "GetUser",
        "CreatePersonalToken",
        "ListOrganizations",
        "CreateOrganization",
        "GetOrganization",
        "ReplaceOrganization",
        "UpdateOrganization",
        "DeleteOrganization",
        "ListOrganizationUsers",
        "AssociateOrganizationUser",
        "ListOrganizationAdmins",
        "AssociateOrganizationAdmin",
        "ListOrganizationActivity",
    ];

    #[test]
    fn the_table_and_the_description_agree() {
        let d = crate::api::openapi::build(&[surface()]);
        let paths = d["paths"].as_object().cloned().unwrap_or_default();
        let routes = routes();
        let mut described = 0;
        for (path, item) in &paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                described += 1;
                let route = routes
                    .iter()
                    .find(|r| r.path == *path && r.method.eq_ignore_ascii_case(method));
                let route =
                    route.unwrap_or_else(|| panic!("{method} {path} described, not served"));
                assert_eq!(op["operationId"], route.op.as_str());
                assert_eq!(op["tags"], serde_json::json!(["awx"]), "{}", route.op);
            }
        }
        assert_eq!(described, routes.len(), "every route is described once");
        let mut ids: Vec<&str> = routes.iter().map(|r| r.op.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), routes.len(), "operation ids are unique");
        for v in ["V1", "V2"] {
            for name in KEPT {
                let id = format!("awx{v}{name}");
                assert!(ids.contains(&id.as_str()), "{id} is kept");
            }
        }
        for id in ["awxApiRoot", "awxLoginInfo", "awxLogin"] {
            assert!(ids.contains(&id), "{id} is kept");
        }
    }

    #[test]
    fn owns_the_awx_paths_only() {
        assert!(owns(&["api"]));
        assert!(owns(&["api", "login", "x"]));
        assert!(owns(&["api", "v2", "nothing"]));
        assert!(!owns(&["api", "organizations"]));
        assert!(!owns(&["v1", "organizations"]));
    }

    /// Seed 003 prints the labels `name`, `description` and `ID` (issue 9, item 6).
    #[test]
    fn options_labels_are_the_seeds() {
        let doc = render::org_options(true, false);
        let label = |m: &str, f: &str| doc["actions"][m][f]["label"].clone();
        assert_eq!(label("POST", "name"), "name");
        assert_eq!(label("POST", "description"), "description");
        assert_eq!(label("GET", "id"), "ID");
        assert_eq!(label("GET", "name"), "name");
        assert_eq!(label("GET", "description"), "description");
        for f in [
            "type",
            "url",
            "related",
            "summary_fields",
            "created",
            "modified",
        ] {
            assert_eq!(
                label("GET", f),
                Value::Null,
                "the seed shows no label for {f}"
            );
        }
        let detail = render::org_options(true, true);
        assert!(detail["actions"].get("PUT").is_some() && detail["actions"].get("POST").is_none());
        assert!(render::org_options(false, false)["actions"]
            .get("POST")
            .is_none());
    }

    #[test]
    fn rules_are_awx_s() {
        assert_eq!(RULES.surface, "awx");
        assert_eq!(RULES.org_creators, OrgCreators::Staff);
        assert_eq!(RULES.org_deleters, OrgDeleters::Admins);
        assert_eq!(RULES.activity_readers, ActivityReaders::OrgReaders);
    }
}
