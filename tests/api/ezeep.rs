//! The ezeep profile (seed 004) at `/partner/v1/organizations/`: create with an admin user
//! or an admin invitation, list/get/PATCH/DELETE, members, the problem body for bad input,
//! the delete that takes orphaned users along, and the objects shared with `/v1`.

use crate::members::add_member;
use crate::support::{Resp, Server};
use serde_json::{json, Value};

const ORGS: &str = "/partner/v1/organizations/";

fn item(id: &str) -> String {
    format!("{ORGS}{id}")
}

fn future() -> String {
    "2999-05-24T13:45:47.216Z".to_string()
}

fn with_user(name: &str, admin: &str) -> Value {
    json!({"id": "b568feca-f8ad-11ed-be56-0242ac120002", "name": name, "admin_user": admin, "currency_code": "EUR"})
}

fn with_invitation(name: &str, email: &str) -> Value {
    json!({
        "name": name,
        "admin_user_invitation": {
            "email": email,
            "expire_date": future(),
            "user": {"first_name": "john", "last_name": "doe", "preferred_language": "en"},
        },
        "currency_code": "EUR",
    })
}

fn create(s: &Server, token: &str, body: Value) -> Value {
    let r = s.post(ORGS, token, body);
    r.ok(201);
    r.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn is_uuid(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4)
}

#[test]
fn ezeep_create_with_admin_user_ignores_the_client_id_and_renders_the_seed() {
    let s = Server::start();
    let (uid, utok) = s.create_user("john");
    let r = s.post(
        ORGS,
        &s.admin,
        with_user("Example Organization & Co.", &uid),
    );
    r.ok(201);
    assert_eq!(keys(&r.body), ["admin_user", "id", "name"], "{}", r.text);
    assert!(is_uuid(&r.body["id"]), "{}", r.text);
    assert_ne!(r.body["id"], "b568feca-f8ad-11ed-be56-0242ac120002");
    assert_eq!(r.body["name"], "Example Organization & Co.");
    assert_eq!(r.body["admin_user"], uid.as_str());
    let org = id(&r.body);
    // The admin user owns it (through /v1), the currency is stored, the staff caller is
    // not a member.
    let v1 = s.get(&format!("/v1/organizations/{org}"), &utok);
    v1.ok(200);
    assert_eq!(v1.body["owner"], uid.as_str());
    assert_eq!(v1.body["currency_code"], "EUR");
    assert_eq!(v1.body["member_count"], 1, "{}", v1.text);
    let rows = s.activity("object_type=organization&action=create");
    let row = rows
        .iter()
        .find(|a| a["object_id"] == org.as_str())
        .expect("create row");
    assert_eq!(row["surface"], "ezeep");
    // A user may create one for themself; naming another admin user is staff-only.
    let (other, _) = s.create_user("other");
    let own = s.post(ORGS, &utok, with_user("Johns Own", &uid));
    own.ok(201);
    assert_eq!(own.body["admin_user"], uid.as_str());
    s.post(ORGS, &utok, with_user("For Other", &other))
        .problem(403);
    assert_eq!(
        s.get("/v1/organizations?name=For%20Other", &s.admin).body["count"],
        0
    );
    // An unknown admin user is a field error under the seed's name.
    s.post(
        ORGS,
        &s.admin,
        with_user("Nobody's", "7bb660df-6ef7-4654-ad38-89583f2f5bca"),
    )
    .invalid(&["admin_user"]);
}

#[test]
fn ezeep_create_with_invitation_renders_the_seed_invitation() {
    let dir = tempfile::TempDir::new().unwrap();
    let outbox = dir.path().join("outbox.jsonl");
    let ob = outbox.clone();
    let s = Server::with(move |c| c.invite_outbox = Some(ob));
    let r = s.post(
        ORGS,
        &s.admin,
        with_invitation("Invited & Co.", "johndoe@example.com"),
    );
    r.ok(201);
    assert_eq!(
        keys(&r.body),
        ["admin_user_invitation", "id", "name"],
        "{}",
        r.text
    );
    let inv = &r.body["admin_user_invitation"];
    assert_eq!(
        keys(inv),
        [
            "delivery_status",
            "email",
            "expire_date",
            "id",
            "invitation_status",
            "updated",
            "user"
        ]
    );
    assert!(is_uuid(&inv["id"]));
    assert_eq!(inv["email"], "johndoe@example.com");
    assert_eq!(inv["expire_date"], "2999-05-24T13:45:47.216000Z");
    assert!(
        inv["updated"].as_str().unwrap().ends_with("000Z"),
        "{}",
        r.text
    );
    assert_eq!(inv["delivery_status"], "SENT");
    assert_eq!(inv["invitation_status"], "OPEN");
    assert_eq!(
        inv["user"],
        json!({"id": null, "first_name": "john", "last_name": "doe", "preferred_language": "en"})
    );
    let org = id(&r.body);
    // The same invitation through /v1: role owner, open; the caller owns the organization.
    let invs = s.get(&format!("/v1/organizations/{org}/invitations"), &s.admin);
    invs.ok(200);
    let stored = &invs.results()[0];
    assert_eq!(stored["id"], inv["id"]);
    assert_eq!(stored["role"], "owner");
    assert_eq!(stored["status"], "open");
    // The invitation was delivered; accepting it makes john an owner.
    let text = std::fs::read_to_string(&outbox).expect("outbox");
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let link = line["link"].as_str().unwrap();
    let token = link
        .split("/v1/invitations/")
        .nth(1)
        .unwrap()
        .trim_end_matches("/accept");
    let acc = s.post(
        &format!("/v1/invitations/{token}/accept"),
        "",
        json!({"username": "john", "password": crate::support::PASSWORD}),
    );
    acc.ok(200);
    assert_eq!(acc.body["membership"]["role"], "owner");
    let john = acc.body["token"].as_str().unwrap();
    let members = s.get(&format!("{}/members/", item(&org)), john);
    members.ok(200);
    assert_eq!(members.body["count"], 2, "{}", members.text);
    let rows = s.activity("object_type=invitation&action=invite");
    assert_eq!(rows[0]["surface"], "ezeep");
}

#[test]
fn ezeep_create_validates_currency_exclusivity_and_the_invitation() {
    let s = Server::start();
    let (uid, _) = s.create_user("val");
    let before = s.get("/v1/organizations", &s.admin).body["count"].clone();
    let mut body = with_user("No Currency", &uid);
    body.as_object_mut().unwrap().remove("currency_code");
    s.post(ORGS, &s.admin, body).invalid(&["currency_code"]);
    let mut body = with_user("Yen", &uid);
    body["currency_code"] = json!("JPY");
    let r = s.post(ORGS, &s.admin, body);
    r.invalid(&["currency_code"]);
    assert!(r.text.contains("USD, EUR"), "{}", r.text);
    // Both, and neither.
    let mut both = with_invitation("Both", "both@example.com");
    both["admin_user"] = json!(uid);
    let r = s.post(ORGS, &s.admin, both);
    r.invalid(&["admin_user"]);
    assert!(r.text.contains("exactly one"), "{}", r.text);
    s.post(
        ORGS,
        &s.admin,
        json!({"name": "Neither", "currency_code": "USD"}),
    )
    .invalid(&["admin_user"]);
    s.post(
        ORGS,
        &s.admin,
        json!({"currency_code": "USD", "admin_user": uid}),
    )
    .invalid(&["name"]);
    s.post(
        ORGS,
        &s.admin,
        json!({"name": "Bad uuid", "currency_code": "USD", "admin_user": "nope"}),
    )
    .invalid(&["admin_user"]);
    // The invitation's fields, named by their path.
    let r = s.post(
        ORGS,
        &s.admin,
        json!({"name": "Bad Invite", "currency_code": "USD", "admin_user_invitation": {
            "email": "not-an-email", "expire_date": "2001-01-01T00:00:00Z",
            "user": {"first_name": "", "preferred_language": "fr"}}}),
    );
    r.invalid(&[
        "admin_user_invitation.email",
        "admin_user_invitation.expire_date",
        "admin_user_invitation.user.first_name",
        "admin_user_invitation.user.last_name",
        "admin_user_invitation.user.preferred_language",
    ]);
    s.post(
        ORGS,
        &s.admin,
        json!({"name": "No User", "currency_code": "USD", "admin_user_invitation": {
            "email": "a@example.com", "expire_date": "tomorrow"}}),
    )
    .invalid(&[
        "admin_user_invitation.expire_date",
        "admin_user_invitation.user",
    ]);
    s.post(
        ORGS,
        &s.admin,
        json!({"name": "Invite Not Object", "currency_code": "USD", "admin_user_invitation": "x"}),
    )
    .invalid(&["admin_user_invitation"]);
    // Malformed JSON and a non-JSON body.
    s.call("POST", ORGS)
        .auth(&s.admin)
        .header("content-type", "application/json")
        .bytes(b"{not json".to_vec())
        .send()
        .problem(400);
    // Nothing was written by any of these.
    assert_eq!(s.get("/v1/organizations", &s.admin).body["count"], before);
}

#[test]
fn ezeep_list_is_the_limit_offset_envelope() {
    let s = Server::start();
    let (uid, utok) = s.create_user("lister");
    for n in 0..3 {
        create(&s, &s.admin, with_user(&format!("Org {n}"), &uid));
    }
    s.create_org(&s.admin, "Staff Only");
    let all = s.get(ORGS, &s.admin);
    all.ok(200);
    assert_eq!(keys(&all.body), ["count", "next", "previous", "results"]);
    assert_eq!(all.body["count"], 4);
    assert_eq!(all.body["next"], Value::Null);
    assert_eq!(all.body["previous"], Value::Null);
    for o in all.results() {
        assert_eq!(keys(&o), ["azure_profile", "id", "name"]);
        assert_eq!(o["azure_profile"], Value::Null);
        assert!(is_uuid(&o["id"]));
    }
    let page = s.get(&format!("{ORGS}?limit=2&offset=1"), &s.admin);
    page.ok(200);
    assert_eq!(page.body["count"], 4);
    assert_eq!(page.results().len(), 2);
    assert!(
        page.body["next"]
            .as_str()
            .unwrap()
            .ends_with("limit=2&offset=3"),
        "{}",
        page.text
    );
    assert!(
        page.body["previous"]
            .as_str()
            .unwrap()
            .ends_with("limit=2&offset=0"),
        "{}",
        page.text
    );
    // A member sees only their own; the path works without the trailing slash too.
    let mine = s.get("/partner/v1/organizations", &utok);
    mine.ok(200);
    assert_eq!(mine.body["count"], 3, "{}", mine.text);
    // Unusable values fall back to the defaults.
    assert_eq!(
        s.get(&format!("{ORGS}?limit=x&offset=-1"), &s.admin).body["count"],
        4
    );
    // Anonymous and bad tokens: 401 problem with a Bearer challenge.
    let anon = s.get(ORGS, "");
    anon.problem(401);
    assert!(anon
        .header("www-authenticate")
        .unwrap_or("")
        .starts_with("Bearer"));
    s.get(ORGS, "org_not_a_real_token_at_all_00000000000000000")
        .problem(401);
}

#[test]
fn ezeep_get_patch_and_other_tenants() {
    let s = Server::start();
    let (uid, utok) = s.create_user("getter");
    let o = create(&s, &s.admin, with_user("Getter Co", &uid));
    let org = id(&o);
    for path in [item(&org), format!("{}/", item(&org))] {
        let r = s.get(&path, &utok);
        r.ok(200);
        assert_eq!(
            r.body,
            json!({"id": org, "name": "Getter Co", "azure_profile": null})
        );
    }
    let p = s.patch(&item(&org), &utok, json!({"name": "John Doe & Co."}));
    p.ok(200);
    assert_eq!(
        p.body,
        json!({"id": org, "name": "John Doe & Co.", "azure_profile": null})
    );
    assert_eq!(
        s.get(&format!("/v1/organizations/{org}"), &utok).body["name"],
        "John Doe & Co."
    );
    let rows = s.activity("object_type=organization&action=update");
    assert_eq!(rows[0]["surface"], "ezeep");
    s.patch(&item(&org), &utok, json!({})).invalid(&["name"]);
    s.patch(&item(&org), &utok, json!({"name": "  "}))
        .invalid(&["name"]);
    // Another tenant's organization: 404 for every method, and unchanged.
    let (_, stranger) = s.create_user("stranger");
    s.get(&item(&org), &stranger).problem(404);
    s.patch(&item(&org), &stranger, json!({"name": "Mine"}))
        .problem(404);
    s.delete(&item(&org), &stranger).problem(404);
    s.get(&format!("{}/members/", item(&org)), &stranger)
        .problem(404);
    assert_eq!(s.get(&item(&org), &s.admin).body["name"], "John Doe & Co.");
    // Ids are uuids: a name or garbage names nothing.
    s.get(&item("John%20Doe%20%26%20Co."), &s.admin)
        .problem(404);
    s.get(&item("00000000-0000-0000-0000-000000000000"), &s.admin)
        .problem(404);
    // A method the path does not serve.
    let put = s.put(&item(&org), &s.admin, json!({"name": "x"}));
    put.problem(405);
    assert!(put.header("allow").unwrap_or("").contains("PATCH"));
}

#[test]
fn ezeep_members_are_paged_with_user_fields_and_role() {
    let s = Server::start();
    let (uid, utok) = s.create_user("boss");
    let org = id(&create(&s, &s.admin, with_user("Members Co", &uid)));
    let mut ids = vec![uid.clone()];
    for n in 0..2 {
        let u = s.new_user(json!({"username": format!("m{n}"), "email": format!("m{n}@example.com"), "first_name": "M", "last_name": format!("{n}")}));
        add_member(&s, &utok, &org, u["id"].as_str().unwrap(), "contributor");
        ids.push(id(&u));
    }
    let r = s.get(&format!("{}/members/", item(&org)), &utok);
    r.ok(200);
    assert_eq!(r.body["count"], 3);
    let first = &r.results()[0];
    assert_eq!(
        keys(first),
        [
            "email",
            "first_name",
            "id",
            "is_active",
            "last_name",
            "preferred_language",
            "role"
        ]
    );
    let mut got = r.result_strs("id");
    got.sort();
    ids.sort();
    assert_eq!(got, ids);
    let roles = r.result_strs("role");
    assert_eq!(roles.iter().filter(|r| *r == "owner").count(), 1);
    assert_eq!(roles.iter().filter(|r| *r == "contributor").count(), 2);
    let page = s.get(&format!("{}/members/?limit=1&offset=2", item(&org)), &utok);
    page.ok(200);
    assert_eq!(page.results().len(), 1);
    assert_eq!(page.body["next"], Value::Null);
    assert!(page.body["previous"].is_string());
}

#[test]
fn ezeep_delete_takes_memberships_invitations_and_orphaned_users() {
    let s = Server::start();
    let (boss, btok) = s.create_user("del-boss");
    let org = id(&create(&s, &s.admin, with_user("Doomed", &boss)));
    let (lone, lone_tok) = s.create_user("lone");
    let (shared, _) = s.create_user("shared");
    let (_, keeper) = s.create_user("keeper");
    let staff = id(&s.get("/v1/me", &s.admin).body);
    add_member(&s, &btok, &org, &lone, "contributor");
    add_member(&s, &btok, &org, &shared, "viewer");
    add_member(&s, &btok, &org, &staff, "viewer");
    let other = s.create_org(&keeper, "Keeper");
    add_member(&s, &keeper, &other, &shared, "viewer");
    let inv = s.post(
        &format!("/v1/organizations/{org}/invitations"),
        &btok,
        json!({"email": "later@example.com"}),
    );
    inv.ok(201);
    // A contributor may not delete it; nothing changes.
    s.delete(&item(&org), &lone_tok).problem(403);
    s.get(&item(&org), &s.admin).ok(200);
    let r: Resp = s.delete(&item(&org), &btok);
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    // Through /v1: the organization, its invitations and the orphans are gone; the user
    // with another organization and the staff member are kept.
    s.get(&format!("/v1/organizations/{org}"), &s.admin)
        .problem(404);
    s.get(&format!("/v1/organizations/{org}/invitations"), &s.admin)
        .problem(404);
    let token = inv.body["token"].as_str().expect("invitation token");
    s.post(
        &format!("/v1/invitations/{token}/accept"),
        "",
        json!({"username": "later", "password": crate::support::PASSWORD}),
    )
    .problem(404);
    s.get(&format!("/v1/users/{boss}"), &s.admin).problem(404);
    s.get(&format!("/v1/users/{lone}"), &s.admin).problem(404);
    s.get(&format!("/v1/users/{shared}"), &s.admin).ok(200);
    s.get(&format!("/v1/users/{staff}"), &s.admin).ok(200);
    let kept = s.get(&format!("/v1/organizations/{other}/members"), &keeper);
    kept.ok(200);
    assert!(kept.result_strs("user").contains(&shared), "{}", kept.text);
    let mine = s.get("/v1/me", &s.admin);
    assert!(
        !mine.text.contains(&org),
        "the staff member's membership went with the organization: {}",
        mine.text
    );
    // One request, audited: the organization and both orphans, all as ezeep.
    let rid = r.header("x-request-id").expect("request id").to_string();
    let rows = s.activity_of_request(&rid);
    let deleted: Vec<(String, String)> = rows
        .iter()
        .map(|a| {
            assert_eq!(a["surface"], "ezeep", "{a}");
            assert_eq!(a["action"], "delete", "{a}");
            (
                a["object_type"].as_str().unwrap().to_string(),
                a["object_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("organization".to_string(), org.clone()),
        ("user".to_string(), boss.clone()),
        ("user".to_string(), lone.clone()),
    ] {
        assert!(deleted.contains(&want), "{want:?} in {deleted:?}");
    }
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    // Again: 404.
    s.delete(&item(&org), &s.admin).problem(404);
}

#[test]
fn ezeep_shares_objects_with_v1_and_the_native_api_keeps_its_users() {
    let s = Server::start();
    let (uid, utok) = s.create_user("native");
    let v1 = s.create_org(&utok, "Made In V1");
    let r = s.get(&item(&v1), &utok);
    r.ok(200);
    assert_eq!(r.body["name"], "Made In V1");
    // An organization made here is the same object through /v1 and the ZenML profile.
    let made = id(&create(&s, &s.admin, with_user("Made In Ezeep", &uid)));
    let v = s.get(&format!("/v1/organizations/{made}"), &utok);
    v.ok(200);
    assert_eq!(v.body["name"], "Made In Ezeep");
    let z = s.get(&format!("/organizations/{made}"), &utok);
    assert_eq!(z.status, 200, "{}", z.text);
    assert_eq!(z.body["owner"]["id"], uid.as_str());
    // A /v1 delete never removes users, whatever ezeep does.
    s.delete(&format!("/v1/organizations/{v1}"), &utok).ok(204);
    s.get(&format!("/v1/users/{uid}"), &s.admin).ok(200);
}

/// The orphan rule depends on other rows (the user's other memberships): racing deletes
/// of every organization a user belongs to delete the user exactly once, and a delete
/// racing an add to another organization either keeps the user (added first) or refuses
/// the add (deleted first) — never a member without a user or a kept orphan.
#[test]
fn ezeep_race_orphan_deletes() {
    const N: usize = 6;
    let s = Server::with(|cfg| cfg.threads = cfg.threads.max(2 * N));
    for round in 0..3 {
        let (uid, _) = s.create_user(&format!("racer{round}"));
        let orgs: Vec<String> = (0..N)
            .map(|n| {
                id(&create(
                    &s,
                    &s.admin,
                    with_user(&format!("R{round}-{n}"), &uid),
                ))
            })
            .collect();
        let statuses = crate::races::race(N, |i| s.delete(&item(&orgs[i]), &s.admin).status);
        assert!(statuses.iter().all(|st| *st == 204), "{statuses:?}");
        s.get(&format!("/v1/users/{uid}"), &s.admin).problem(404);
        let rows = s.activity("object_type=user&action=delete");
        assert_eq!(
            rows.iter()
                .filter(|a| a["object_id"] == uid.as_str())
                .count(),
            1,
            "the user is deleted once"
        );

        let (vid, _) = s.create_user(&format!("mover{round}"));
        let doomed = id(&create(&s, &s.admin, with_user(&format!("D{round}"), &vid)));
        let other = s.create_org(&s.admin, &format!("Other {round}"));
        let out = crate::races::race(2, |i| {
            if i == 0 {
                s.delete(&item(&doomed), &s.admin).status
            } else {
                s.post(
                    &format!("/v1/organizations/{other}/members"),
                    &s.admin,
                    json!({"user": vid, "role": "viewer"}),
                )
                .status
            }
        });
        assert_eq!(out[0], 204);
        let user = s.get(&format!("/v1/users/{vid}"), &s.admin).status;
        let members = s.get(&format!("/v1/organizations/{other}/members"), &s.admin);
        let member = members.result_strs("user").contains(&vid);
        match out[1] {
            201 => assert!(
                user == 200 && member,
                "added first: kept ({user}, {member})"
            ),
            404 | 400 => assert!(user == 404 && !member, "deleted first ({user}, {member})"),
            other => panic!("add answered {other}"),
        }
    }
}
