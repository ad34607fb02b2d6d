//! The accounts profile (seed 002): organizations as "accounts" at
//! `/accounts/organizations` (the seed's `{hostname}` is `http://host/accounts`) — my
//! accounts, create, update (PUT, the id in the body or the path), get, delete, leave
//! (the seed's GET, and DELETE), my role (a JSON string), summary (`[{name, value}]`),
//! and the users of an account: a page by `page_number` (from 0) / `page_size` /
//! `sort_by` / `sort_ascending`, bulk add and bulk update `{is_active, role, user_ids}`
//! and removal by comma-separated ids in the path, each all-or-nothing. Integer ids
//! (an organization's and a user's `seq`), roles upper-case on the wire, errors as the
//! native problem body.
//!
//! Rule set: the native one (the seed states no rule of its own); the last owner is
//! protected by the registry. This file is the route table; `map.rs` the mapping;
//! `doc.rs` the description.

mod doc;
mod map;

use crate::api::table::{self, Call, Caller, Profile, Route};
use crate::http::{problem, Resp};
use crate::registry::rules::{RuleSet, NATIVE};

pub const RULES: RuleSet = RuleSet {
    surface: "accounts",
    ..NATIVE
};

const TAGS: &[(&str, &str)] = &[(
    "accounts",
    "The accounts profile (`/accounts/organizations`): organizations as accounts with integer ids, `organization_name`, roles upper-case (`OWNER`, `ADMIN`, `CONTRIBUTOR`, `ACCOUNTING`, `VIEWER`), users paged by `page_number` (from 0); errors as problem details. Served only when the profile is mounted.",
)];

const LIST: &str = "/accounts/organizations";
const ITEM: &str = "/accounts/organizations/{organization_id}";

fn routes() -> Vec<Route> {
    use Caller::User;
    let at = |suffix: &str| format!("{ITEM}{suffix}");
    vec![
        Route::new(
            "GET",
            LIST,
            "accountsListAccounts",
            User,
            map::list,
            doc::list,
        ),
        Route::new(
            "POST",
            LIST,
            "accountsCreateAccount",
            User,
            map::create,
            doc::create,
        ),
        Route::new(
            "PUT",
            LIST,
            "accountsUpdateAccountById",
            User,
            map::update,
            doc::update_by_body,
        ),
        Route::new("GET", ITEM, "accountsGetAccount", User, map::get, doc::get),
        Route::new(
            "PUT",
            ITEM,
            "accountsUpdateAccount",
            User,
            map::update,
            doc::update,
        ),
        Route::new(
            "DELETE",
            ITEM,
            "accountsDeleteAccount",
            User,
            map::delete,
            doc::delete,
        ),
        Route::new(
            "GET",
            at("/leave"),
            "accountsLeaveAccount",
            User,
            map::leave,
            doc::leave,
        )
        // This GET changes data (as the seed has it): no HEAD.
        .no_head(),
        Route::new(
            "DELETE",
            at("/leave"),
            "accountsLeaveAccountByDelete",
            User,
            map::leave,
            doc::leave_by_delete,
        ),
        Route::new(
            "GET",
            at("/role"),
            "accountsGetMyRole",
            User,
            map::role,
            doc::role,
        ),
        Route::new(
            "GET",
            at("/summary"),
            "accountsGetSummary",
            User,
            map::summary,
            doc::summary,
        ),
        Route::new(
            "GET",
            at("/users"),
            "accountsListUsers",
            User,
            map::users,
            doc::users,
        ),
        Route::new(
            "POST",
            at("/users"),
            "accountsAddUsers",
            User,
            map::add_users,
            doc::add_users,
        ),
        Route::new(
            "PUT",
            at("/users"),
            "accountsUpdateUsers",
            User,
            map::update_users,
            doc::update_users,
        ),
        Route::new(
            "DELETE",
            at("/users/{user_ids}"),
            "accountsRemoveUsers",
            User,
            map::remove_users,
            doc::remove_users,
        ),
    ]
}

pub fn surface() -> Profile {
    Profile {
        name: "accounts",
        tags: TAGS,
        rules: &RULES,
        routes: routes(),
        error: |e, req| problem(e, &req.request_id),
        options: |_: &Call, allow: &str| Ok(Resp::empty(204).with("Allow", allow)),
        finish: table::no_finish,
        owns: table::owns_nothing,
        session_cookie: false,
        idempotent_posts: false,
        drf_errors: false,
        schemas: doc::schemas,
        finish_doc: table::no_doc_finish,
    }
}
