//! Memberships: adding (one, many), join requests, approve/reject, role changes within
//! rank, leaving, the last-owner invariant (also under a race), visibility following
//! membership, and a role × action table.

use crate::support::*;
use serde_json::{json, Value};

/// Adds `user` to `org` with `role` as `token` (201 asserted).
pub fn add_member(s: &Server, token: &str, org: &str, user: &str, role: &str) -> Value {
    let r = s.post(
        &format!("/v1/organizations/{org}/members"),
        token,
        json!({"user": user, "role": role}),
    );
    assert_eq!(r.status, 201, "adding a member: {}", r.text);
    r.body
}

/// An organization owned by a fresh user, plus one member per other role.
/// Returns (org, [(role, user id, token)]) with the owner first.
pub fn org_with_roles(s: &Server, tag: &str) -> (String, Vec<(String, String, String)>) {
    let (owner_id, owner) = s.create_user(&format!("{tag}-owner"));
    let org = s.create_org(&owner, &format!("{tag} org"));
    let mut people = vec![("owner".to_string(), owner_id, owner.clone())];
    for role in ["admin", "contributor", "accounting", "viewer"] {
        let (id, token) = s.create_user(&format!("{tag}-{role}"));
        add_member(s, &owner, &org, &id, role);
        people.push((role.to_string(), id, token));
    }
    (org, people)
}

fn token_of<'a>(people: &'a [(String, String, String)], role: &str) -> &'a str {
    &people.iter().find(|p| p.0 == role).expect("role present").2
}

fn id_of<'a>(people: &'a [(String, String, String)], role: &str) -> &'a str {
    &people.iter().find(|p| p.0 == role).expect("role present").1
}

#[test]
fn members_owner_adds_a_member_who_then_sees_the_organization() {
    let s = Server::start();
    let (_, owner) = s.create_user("mo-owner");
    let (bob, bob_token) = s.create_user("mo-bob");
    let org = s.create_org(&owner, "Members Org");
    s.get(&format!("/v1/organizations/{org}"), &bob_token)
        .problem(404);

    let m = s.post(
        &format!("/v1/organizations/{org}/members"),
        &owner,
        json!({"user": bob, "role": "contributor"}),
    );
    m.ok(201);
    assert_eq!(m["user"], bob.as_str());
    assert_eq!(m["username"], "mo-bob");
    assert_eq!(m["role"], "contributor");
    assert_eq!(m["status"], "approved");
    assert_eq!(m["is_active"], true);
    assert!(is_uuid(&m["id"]) && is_timestamp(&m["approved_at"]) && is_uuid(&m["approved_by"]));
    assert!(m
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/members/{bob}"))));

    let o = s.get(&format!("/v1/organizations/{org}"), &bob_token);
    o.ok(200);
    assert_eq!(o["member_count"], 2);
    let mine = s.get("/v1/me", &bob_token);
    assert_eq!(mine["memberships"][0]["organization"], org.as_str());
    assert_eq!(mine["memberships"][0]["role"], "contributor");
}

#[test]
fn members_list_filters_search_and_order() {
    let s = Server::start();
    let (org, people) = org_with_roles(&s, "ml");
    let owner = token_of(&people, "owner");
    let all = s.get(&format!("/v1/organizations/{org}/members"), owner);
    all.ok(200);
    assert_eq!(all["count"], 5);
    let by_role = s.get(
        &format!("/v1/organizations/{org}/members?order_by=role"),
        owner,
    );
    assert_eq!(
        by_role.result_strs("role"),
        vec!["owner", "admin", "contributor", "accounting", "viewer"]
    );
    let desc = s.get(
        &format!("/v1/organizations/{org}/members?order_by=-role"),
        owner,
    );
    assert_eq!(desc.result_strs("role")[0], "viewer");
    let viewers = s.get(
        &format!("/v1/organizations/{org}/members?role=viewer"),
        owner,
    );
    assert_eq!(viewers.result_strs("username"), vec!["ml-viewer"]);
    let search = s.get(
        &format!("/v1/organizations/{org}/members?search=ACCOUNT"),
        owner,
    );
    assert_eq!(search.result_strs("username"), vec!["ml-accounting"]);
    let by_user = s.get(
        &format!(
            "/v1/organizations/{org}/members?user={}",
            id_of(&people, "admin")
        ),
        owner,
    );
    assert_eq!(by_user.result_strs("role"), vec!["admin"]);
    s.get(
        &format!("/v1/organizations/{org}/members?role=emperor"),
        owner,
    )
    .invalid(&["role"]);
    s.get(
        &format!("/v1/organizations/{org}/members?order_by=secret"),
        owner,
    )
    .invalid(&["order_by"]);
    let paged = s.get(
        &format!("/v1/organizations/{org}/members?page_size=2&order_by=username"),
        owner,
    );
    assert_eq!(paged["count"], 5);
    assert_eq!(paged.results().len(), 2);
    assert!(paged["next"].as_str().unwrap().contains("page=2"));
    // Any active member may list; a viewer too.
    s.get(
        &format!("/v1/organizations/{org}/members"),
        token_of(&people, "viewer"),
    )
    .ok(200);
}

#[test]
fn members_bulk_add_is_all_or_nothing() {
    let s = Server::start();
    let (_, owner) = s.create_user("bulk-owner");
    let org = s.create_org(&owner, "Bulk");
    let (b, _) = s.create_user("bulk-b");
    let (c, _) = s.create_user("bulk-c");
    let (d, _) = s.create_user("bulk-d");
    let unknown = "00000000-0000-4000-8000-000000000000";
    let path = format!("/v1/organizations/{org}/members");

    s.post(
        &path,
        &owner,
        json!({"users": [b, unknown], "role": "viewer"}),
    )
    .invalid(&["users"]);
    assert_eq!(s.get(&path, &owner)["count"], 1, "nothing was added");

    let r = s.post(&path, &owner, json!({"users": [b, c], "role": "viewer"}));
    r.ok(201);
    assert_eq!(r["count"], 2);
    assert_eq!(s.get(&path, &owner)["count"], 3);

    s.post(&path, &owner, json!({"users": [d, c]})).problem(409);
    let after = s.get(&format!("{path}?user={d}"), &owner);
    assert_eq!(after["count"], 0, "d was not added when c collided");

    s.post(&path, &owner, json!({"users": "nope"}))
        .invalid(&["users"]);
    s.post(&path, &owner, json!({"user": b, "users": [c]}))
        .invalid(&["users"]);
    s.post(
        &path,
        &owner,
        json!({"user": d, "role": "emperor", "colour": 1}),
    )
    .invalid(&["colour", "role"]);
}

#[test]
fn members_join_request_is_pending_until_approved() {
    let s = Server::start();
    let (org, people) = org_with_roles(&s, "jr");
    let (x, x_token) = s.create_user("jr-stranger");
    let path = format!("/v1/organizations/{org}/members");

    let r = s.post(&path, &x_token, json!({"user": x}));
    r.ok(201);
    assert_eq!(r["status"], "pending");
    assert_eq!(r["role"], "viewer");
    // A pending member sees only their own membership.
    s.get(&format!("/v1/organizations/{org}"), &x_token)
        .problem(404);
    s.get(&path, &x_token).problem(404);
    let me = s.get(&format!("{path}/me"), &x_token);
    me.ok(200);
    assert_eq!(me["status"], "pending");
    s.post(&path, &x_token, json!({"user": x})).problem(409);
    // Only managers decide.
    s.post(
        &format!("{path}/{x}/approve"),
        token_of(&people, "contributor"),
        json!({}),
    )
    .problem(403);
    let summary = s.get(
        &format!("/v1/organizations/{org}/summary"),
        token_of(&people, "owner"),
    );
    assert_eq!(summary["pending_requests"], 1);

    let a = s.post(
        &format!("{path}/{x}/approve"),
        token_of(&people, "admin"),
        json!({}),
    );
    a.ok(200);
    assert_eq!(a["status"], "approved");
    assert_eq!(a["approved_by"], id_of(&people, "admin"));
    s.get(&format!("/v1/organizations/{org}"), &x_token).ok(200);
    s.post(
        &format!("{path}/{x}/approve"),
        token_of(&people, "admin"),
        json!({}),
    )
    .problem(409);
}

#[test]
fn members_rejected_request_grants_nothing_and_may_be_filed_again() {
    let s = Server::start();
    let (_, owner) = s.create_user("rj-owner");
    let org = s.create_org(&owner, "Reject Org");
    let (x, x_token) = s.create_user("rj-x");
    let path = format!("/v1/organizations/{org}/members");
    s.post(&path, &x_token, json!({"user": x})).ok(201);
    let r = s.post(&format!("{path}/{x}/reject"), &owner, json!({}));
    r.ok(200);
    assert_eq!(r["status"], "rejected");
    s.get(&format!("/v1/organizations/{org}"), &x_token)
        .problem(404);
    assert_eq!(s.get(&format!("{path}/me"), &x_token)["status"], "rejected");
    let again = s.post(&path, &x_token, json!({"user": x}));
    again.ok(201);
    assert_eq!(again["status"], "pending");
    // Withdraw the request.
    s.delete(&format!("{path}/me"), &x_token);
    s.get(&format!("{path}/me"), &x_token).problem(404);
}

#[test]
fn members_join_requests_refused_when_the_organization_does_not_accept_them() {
    let s = Server::start();
    let (_, owner) = s.create_user("nj-owner");
    let org = s.create_org_with(
        &owner,
        json!({"name": "Closed", "accepts_join_requests": false}),
    );
    let org = org["id"].as_str().unwrap();
    let (x, x_token) = s.create_user("nj-x");
    s.post(
        &format!("/v1/organizations/{org}/members"),
        &x_token,
        json!({"user": x}),
    )
    .problem(403);
    // Naming someone else is not a join request: the organization stays invisible.
    let (y, _) = s.create_user("nj-y");
    s.post(
        &format!("/v1/organizations/{org}/members"),
        &x_token,
        json!({"user": y}),
    )
    .problem(404);
}

#[test]
fn members_roles_are_granted_only_within_rank() {
    let s = Server::start();
    let (org, people) = org_with_roles(&s, "rk");
    let path = format!("/v1/organizations/{org}/members");
    let admin = token_of(&people, "admin");
    let owner = token_of(&people, "owner");
    let (n1, _) = s.create_user("rk-n1");
    let (n2, _) = s.create_user("rk-n2");

    s.post(&path, admin, json!({"user": n1, "role": "owner"}))
        .problem(403);
    s.post(&path, admin, json!({"user": n1, "role": "admin"}))
        .ok(201);
    s.post(&path, token_of(&people, "contributor"), json!({"user": n2}))
        .problem(403);
    // An admin cannot touch an owner, nor raise anyone to owner.
    s.patch(
        &format!("{path}/{}", id_of(&people, "owner")),
        admin,
        json!({"role": "viewer"}),
    )
    .problem(403);
    s.delete(&format!("{path}/{}", id_of(&people, "owner")), admin)
        .problem(403);
    s.patch(
        &format!("{path}/{}", id_of(&people, "viewer")),
        admin,
        json!({"role": "owner"}),
    )
    .problem(403);
    let ok = s.patch(
        &format!("{path}/{}", id_of(&people, "viewer")),
        admin,
        json!({"role": "contributor"}),
    );
    ok.ok(200);
    assert_eq!(ok["role"], "contributor");
    // An owner may make another owner.
    let o2 = s.patch(&format!("{path}/{n1}"), owner, json!({"role": "owner"}));
    o2.ok(200);
    assert_eq!(o2["role"], "owner");
    // Nobody raises themself.
    s.patch(
        &format!("{path}/me"),
        token_of(&people, "accounting"),
        json!({"role": "admin"}),
    )
    .problem(403);
    let lowered = s.patch(
        &format!("{path}/me"),
        token_of(&people, "accounting"),
        json!({"role": "viewer"}),
    );
    lowered.ok(200);
    assert_eq!(lowered["role"], "viewer");
    s.patch(&format!("{path}/me"), owner, json!({"role": "superuser"}))
        .invalid(&["role"]);
    s.patch(&format!("{path}/me"), owner, json!({"status": "approved"}))
        .invalid(&["status"]);
}

#[test]
fn members_last_active_owner_cannot_leave_be_demoted_or_deactivated() {
    let s = Server::start();
    let (owner_id, owner) = s.create_user("lo-owner");
    let org = s.create_org(&owner, "Last Owner");
    let path = format!("/v1/organizations/{org}/members");
    s.delete(&format!("{path}/me"), &owner).problem(409);
    s.delete(&format!("{path}/{owner_id}"), &s.admin)
        .problem(409);
    s.patch(&format!("{path}/me"), &owner, json!({"role": "admin"}))
        .problem(409);
    s.patch(
        &format!("{path}/{owner_id}"),
        &s.admin,
        json!({"is_active": false}),
    )
    .problem(409);
    assert_eq!(s.get(&format!("{path}/me"), &owner)["role"], "owner");

    let (second, second_token) = s.create_user("lo-second");
    add_member(&s, &owner, &org, &second, "owner");
    let r = s.delete(&format!("{path}/me"), &owner);
    assert_eq!(r.status, 204, "{}", r.text);
    let o = s.get(&format!("/v1/organizations/{org}"), &second_token);
    assert_eq!(
        o["owner"],
        second.as_str(),
        "the recorded owner moves to the remaining owner"
    );
    s.get(&format!("/v1/organizations/{org}"), &owner)
        .problem(404);
}

#[test]
fn members_last_owner_race_exactly_one_wins() {
    for round in 0..3 {
        let s = Server::start();
        let (a, a_token) = s.create_user(&format!("race{round}-a"));
        let (b, b_token) = s.create_user(&format!("race{round}-b"));
        let org = s.create_org(&a_token, "Race");
        add_member(&s, &a_token, &org, &b, "owner");
        let path = format!("/v1/organizations/{org}/members");
        // Each owner demotes the other at the same moment.
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let h1 = scope.spawn(|| {
                s.patch(&format!("{path}/{b}"), &a_token, json!({"role": "viewer"}))
                    .status
            });
            let h2 = scope.spawn(|| {
                s.patch(&format!("{path}/{a}"), &b_token, json!({"role": "viewer"}))
                    .status
            });
            vec![h1.join().unwrap(), h2.join().unwrap()]
        });
        let mut sorted = statuses.clone();
        sorted.sort();
        assert!(
            sorted == vec![200, 403] || sorted == vec![200, 409],
            "round {round}: {statuses:?}"
        );
        let owners = s.get(&format!("{path}?role=owner"), &s.admin);
        assert_eq!(owners["count"], 1, "exactly one owner remains");
        // Both try to leave at once: one may go only if another owner stays.
        let (c, _) = s.create_user(&format!("race{round}-c"));
        let remaining_owner = owners.result_strs("user")[0].clone();
        let tok = if remaining_owner == a {
            &a_token
        } else {
            &b_token
        };
        add_member(&s, tok, &org, &c, "owner");
        let c_token = s.login(&format!("race{round}-c"), PASSWORD);
        let leaves: Vec<u16> = std::thread::scope(|scope| {
            let h1 = scope.spawn(|| s.delete(&format!("{path}/me"), tok).status);
            let h2 = scope.spawn(|| s.delete(&format!("{path}/me"), &c_token).status);
            vec![h1.join().unwrap(), h2.join().unwrap()]
        });
        let mut l = leaves.clone();
        l.sort();
        assert_eq!(l, vec![204, 409], "round {round}: {leaves:?}");
        assert_eq!(s.get(&format!("{path}?role=owner"), &s.admin)["count"], 1);
    }
}

#[test]
fn members_other_organizations_are_always_404() {
    let s = Server::start();
    let (org1, p1) = org_with_roles(&s, "x1");
    let (org2, p2) = org_with_roles(&s, "x2");
    let owner1 = token_of(&p1, "owner");
    let victim = id_of(&p2, "viewer");
    for r in [
        s.get(&format!("/v1/organizations/{org2}/members"), owner1),
        s.get(
            &format!("/v1/organizations/{org2}/members/{victim}"),
            owner1,
        ),
        s.patch(
            &format!("/v1/organizations/{org2}/members/{victim}"),
            owner1,
            json!({"role": "admin"}),
        ),
        s.delete(
            &format!("/v1/organizations/{org2}/members/{victim}"),
            owner1,
        ),
        s.post(
            &format!("/v1/organizations/{org2}/members/{victim}/approve"),
            owner1,
            json!({}),
        ),
        s.post(
            &format!("/v1/organizations/{org2}/members"),
            owner1,
            json!({"user": id_of(&p1, "viewer")}),
        ),
        s.get(&format!("/v1/organizations/{org2}/summary"), owner1),
        s.get(&format!("/v1/organizations/{org2}/activity"), owner1),
        s.get(&format!("/v1/organizations/{org2}/invitations"), owner1),
        s.patch(
            &format!("/v1/organizations/{org2}"),
            owner1,
            json!({"name": "pwned"}),
        ),
        s.delete(&format!("/v1/organizations/{org2}"), owner1),
    ] {
        r.problem(404);
    }
    // A member of org1 is not a member of org2 through org1's id either.
    s.get(
        &format!("/v1/organizations/{org1}/members/{victim}"),
        owner1,
    )
    .problem(404);
    assert_eq!(
        s.get(&format!("/v1/organizations/{org2}"), token_of(&p2, "owner"))["name"],
        "x2 org"
    );
}

/// (caller, GET org, PATCH name, PATCH currency, summary, activity, list members, add member, invite)
const TABLE: &[(&str, [u16; 8])] = &[
    ("owner", [200, 200, 200, 200, 200, 200, 201, 201]),
    ("admin", [200, 200, 200, 200, 200, 200, 201, 201]),
    ("contributor", [200, 403, 403, 403, 403, 200, 403, 403]),
    ("accounting", [200, 403, 200, 200, 403, 200, 403, 403]),
    ("viewer", [200, 403, 403, 403, 403, 200, 403, 403]),
    ("customer_owner", [200, 200, 200, 200, 200, 200, 201, 201]),
    ("staff", [200, 200, 200, 200, 200, 200, 201, 201]),
    ("stranger", [404, 404, 404, 404, 404, 404, 404, 404]),
    ("pending", [404, 404, 404, 404, 404, 404, 404, 404]),
];

#[test]
fn members_role_action_table() {
    let s = Server::start();
    let (org, mut people) = org_with_roles(&s, "tb");
    let (co_id, co_token) = s.create_user("tb-customer-owner");
    let cust = s.create_customer(json!({"name": "TB Customer", "owners": [co_id]}));
    s.patch(
        &format!("/v1/organizations/{org}"),
        &s.admin,
        json!({"customer": cust["id"]}),
    )
    .ok(200);
    people.push(("customer_owner".into(), co_id, co_token));
    people.push(("staff".into(), String::new(), s.admin.clone()));
    let (sid, stoken) = s.create_user("tb-stranger");
    people.push(("stranger".into(), sid, stoken));
    let (pid, ptoken) = s.create_user("tb-pending");
    s.post(
        &format!("/v1/organizations/{org}/members"),
        &ptoken,
        json!({"user": pid}),
    )
    .ok(201);
    people.push(("pending".into(), pid, ptoken));

    for (n, (caller, expected)) in TABLE.iter().enumerate() {
        let token = token_of(&people, caller);
        let (newcomer, _) = s.create_user(&format!("tb-new-{n}"));
        let got = [
            s.get(&format!("/v1/organizations/{org}"), token).status,
            s.patch(
                &format!("/v1/organizations/{org}"),
                token,
                json!({"description": format!("by {caller}")}),
            )
            .status,
            s.patch(
                &format!("/v1/organizations/{org}"),
                token,
                json!({"currency_code": "USD"}),
            )
            .status,
            s.get(&format!("/v1/organizations/{org}/summary"), token)
                .status,
            s.get(&format!("/v1/organizations/{org}/activity"), token)
                .status,
            s.get(&format!("/v1/organizations/{org}/members"), token)
                .status,
            s.post(
                &format!("/v1/organizations/{org}/members"),
                token,
                json!({"user": newcomer}),
            )
            .status,
            s.post(
                &format!("/v1/organizations/{org}/invitations"),
                token,
                json!({"email": format!("tb{n}@example.com")}),
            )
            .status,
        ];
        assert_eq!(&got, expected, "caller {caller}");
    }
    // Delete: only owners and staff; a customer owner acts as an admin and may not.
    s.delete(
        &format!("/v1/organizations/{org}"),
        token_of(&people, "customer_owner"),
    )
    .problem(403);
    s.delete(
        &format!("/v1/organizations/{org}"),
        token_of(&people, "admin"),
    )
    .problem(403);
    let d = s.delete(
        &format!("/v1/organizations/{org}"),
        token_of(&people, "owner"),
    );
    assert_eq!(d.status, 204);
}

#[test]
fn members_customer_owner_approves_requests_but_never_grants_owner() {
    let s = Server::start();
    let (_, owner) = s.create_user("co-owner");
    let org = s.create_org(&owner, "CO Org");
    let (co, co_token) = s.create_user("co-custowner");
    let cust = s.create_customer(json!({"name": "CO", "owners": [co]}));
    s.patch(
        &format!("/v1/organizations/{org}"),
        &s.admin,
        json!({"customer": cust["id"]}),
    )
    .ok(200);
    let (x, x_token) = s.create_user("co-x");
    let path = format!("/v1/organizations/{org}/members");
    s.post(&path, &x_token, json!({"user": x})).ok(201);
    s.post(&format!("{path}/{x}/approve"), &co_token, json!({}))
        .ok(200);
    s.patch(&format!("{path}/{x}"), &co_token, json!({"role": "owner"}))
        .problem(403);
    s.patch(&format!("{path}/{x}"), &co_token, json!({"role": "admin"}))
        .ok(200);
    s.get(&format!("/v1/organizations/{org}/activity"), &co_token)
        .ok(200);
}

#[test]
fn members_changes_write_activity_rows_with_the_request_id() {
    let s = Server::start();
    let (_, owner) = s.create_user("ma-owner");
    let org = s.create_org(&owner, "Activity Members");
    let (bob, _) = s.create_user("ma-bob");
    let id = rid("add");
    let r = s
        .call("POST", &format!("/v1/organizations/{org}/members"))
        .auth(&owner)
        .header("X-Request-Id", &id)
        .json(json!({"user": bob, "role": "viewer"}))
        .send();
    r.ok(201);
    let rows = s.activity_of_request(&id);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["action"], "member_added");
    assert_eq!(rows[0]["object_type"], "membership");
    assert_eq!(rows[0]["organization"], org.as_str());
    assert_eq!(rows[0]["changes"]["role"], json!([null, "viewer"]));

    let id = rid("role");
    s.call("PATCH", &format!("/v1/organizations/{org}/members/{bob}"))
        .auth(&owner)
        .header("X-Request-Id", &id)
        .json(json!({"role": "admin"}))
        .send()
        .ok(200);
    let rows = s.activity_of_request(&id);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["action"], "member_updated");
    assert_eq!(rows[0]["changes"]["role"], json!(["viewer", "admin"]));

    let feed = s.get(
        &format!("/v1/organizations/{org}/activity?action=member_updated"),
        &owner,
    );
    assert_eq!(feed["count"], 1);
}
