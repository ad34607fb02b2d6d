//! The same store functions on both engines.

use crate::harness::*;
use orgreg::store::pg;
// ---------------------------------------------------------------------------------------
// The store on both engines: one sequence of real store functions, run on SQLite and on
// PostgreSQL, must see the same things.

use orgreg::model::{Activity, MemberStatus, Role, User};
use orgreg::query::{Cond, ListQuery, Op, Val};
use orgreg::store::db::Db;
use orgreg::store::{activity, customers, idempotency, invitations, members, orgs, tokens, users};

pub(crate) const T0: &str = "2026-01-01T00:00:00.000Z";
pub(crate) const T1: &str = "2026-01-02T00:00:00.000Z";
pub(crate) const LATER: &str = "2026-06-01T00:00:00.000Z";
pub(crate) const CUSTOMER: &str = "20000000-0000-0000-0000-000000000001";

pub(crate) fn user(name: &str, email: Option<&str>, first: &str) -> User {
    let mut u = User::blank(name.into(), T0);
    u.id = format!(
        "00000000-0000-0000-0000-{:0>12}",
        name.len() * 1000 + first.len()
    );
    u.email = email.map(str::to_string);
    u.first_name = first.into();
    u
}

pub(crate) fn org_row(
    id: u32,
    name: &str,
    description: &str,
    abbreviation: Option<&str>,
) -> orgs::OrgRow {
    orgs::OrgRow {
        id: format!("10000000-0000-0000-0000-{id:012}"),
        name: name.into(),
        description: description.into(),
        native_name: String::new(),
        abbreviation: abbreviation.map(str::to_string),
        logo_url: None,
        currency_code: id.is_multiple_of(2).then(|| "EUR".to_string()),
        customer: None,
        owner: None,
        metadata: serde_json::json!({ "n": id }),
        accepts_join_requests: id != 3,
        at: T0.into(),
        by: None,
    }
}

pub(crate) fn q(conds: Vec<Cond>, search: &[&str], order: Vec<(&'static str, bool)>) -> ListQuery {
    ListQuery {
        conds,
        search: search.iter().map(|s| s.to_string()).collect(),
        order,
        limit: 20,
        offset: 0,
    }
}

pub(crate) fn cond(field: &'static str, op: Op, negate: bool) -> Cond {
    Cond { field, op, negate }
}

/// Runs the sequence on `c`, returning one line per thing seen ("what: {value:?}").
pub(crate) fn scenario(c: &impl Db) -> Vec<String> {
    let mut seen = vec![];
    let mut see = |what: &str, v: &dyn std::fmt::Debug| seen.push(format!("{what}: {v:?}"));
    let seqs = |us: Vec<User>| us.iter().map(|u| u.seq).collect::<Vec<_>>();

    // Users: insert, lookups (case-insensitive through the stored keys), a taken name.
    let ann = user("Ann", Some("Ann@Example.org"), "Ann");
    let ann = users::insert(c, &ann, Some("$hash")).unwrap();
    let bob = users::insert(c, &user("bob", None, "Bobby"), None).unwrap();
    let carl = user("Çarl", Some("carl@example.org"), "Carl");
    let carl = users::insert(c, &carl, None).unwrap();
    see("users", &(&ann, &bob, &carl));
    see("by_username", &users::by_username(c, "ANN").unwrap());
    see(
        "by_username ç",
        &users::by_username(c, "çARL").unwrap().map(|u| u.seq),
    );
    see(
        "by_email",
        &users::by_email(c, "ann@EXAMPLE.org")
            .unwrap()
            .map(|u| u.seq),
    );
    see("by_id", &users::by_id(c, &bob.id).unwrap().map(|u| u.seq));
    let hash = users::password_hash_by_username(c, "ann").unwrap();
    see("password", &hash.map(|(_, h)| h));
    see("staff_exists", &users::staff_exists(c).unwrap());
    let dup = users::insert(c, &user("ANN", None, "x"), None);
    see("dup username", &dup.map(|u| u.seq));
    let found = users::list(c, None, &q(vec![], &["bob"], vec![])).unwrap();
    see("users search", &seqs(found.items));

    // Tokens: insert, by id, lookup by digest (live only), list, revoke.
    let token = |id, kind, hash: &'static [u8], expires| tokens::NewToken {
        id,
        user: ann.seq,
        kind,
        name: id,
        prefix: "abc",
        hash,
        expires,
        at: T0,
    };
    let t1 = tokens::insert(c, &token("t1", "api", b"\x00hash1", Some(LATER))).unwrap();
    tokens::insert(c, &token("t2", "api", b"hash2", Some(T1))).unwrap();
    tokens::insert(c, &token("t3", "session", b"hash3", None)).unwrap();
    see("token", &t1);
    see("token by_id", &tokens::by_id(c, ann.seq, "t1").unwrap());
    let live = |h: &[u8], now| {
        let l = tokens::lookup(c, h, now).unwrap();
        l.map(|l| (l.user, l.id, l.kind, l.seq, l.last_used, l.expires))
    };
    see("lookup t1", &live(b"\x00hash1", T1));
    see("lookup t2 expired", &live(b"hash2", T1));
    see("lookup t3", &live(b"hash3", LATER));
    let page = tokens::list(c, ann.seq, T0, 10, 0).unwrap();
    see("tokens list", &(page.count, page.items));
    tokens::touch(c, "t1", T1).unwrap();
    see("touched", &live(b"\x00hash1", T1));
    let revoked = tokens::revoke(c, ann.seq, "t1").unwrap();
    see(
        "revoke twice",
        &(revoked, tokens::revoke(c, ann.seq, "t1").unwrap()),
    );
    see("revoked lookup", &live(b"\x00hash1", T1));
    see(
        "tokens after",
        &tokens::list(c, ann.seq, T0, 10, 0).unwrap().items,
    );

    // Organizations: insert, get, update, conflicts (and the transaction goes on).
    let acme = orgs::insert(c, &org_row(1, "Acme", "Makes widgets", Some("ACM"))).unwrap();
    let globex = org_row(2, "Globex Corp", "Also WIDGETS, and more", None);
    let globex = orgs::insert(c, &globex).unwrap();
    let initech = orgs::insert(c, &org_row(3, "Initech", "Software", Some("INI"))).unwrap();
    see("orgs", &(&acme, &globex, &initech));
    see(
        "org by_id",
        &orgs::by_id(c, &globex.id).unwrap().map(|o| o.seq),
    );
    see(
        "org by_seq",
        &orgs::by_seq(c, initech.seq).unwrap().map(|o| o.name),
    );
    see(
        "org by_name",
        &orgs::by_name(c, "aCmE").unwrap().map(|o| o.seq),
    );
    let mut row = orgs::OrgRow::from_org(&initech);
    row.description = "Software, TPS reports".into();
    row.at = T1.into();
    row.by = Some(bob.seq);
    row.owner = Some(ann.seq);
    see("org update", &orgs::update(c, initech.seq, &row).unwrap());
    let dup = orgs::insert(c, &org_row(4, "ACME", "", None));
    see("dup name", &dup.map(|o| o.seq));
    let dup = orgs::insert(c, &org_row(5, "Other", "", Some("acm")));
    see("dup abbreviation", &dup.map(|o| o.seq));
    let mut renamed = orgs::OrgRow::from_org(&globex);
    renamed.name = "initech".into();
    see(
        "dup on update",
        &orgs::update(c, globex.seq, &renamed).map(|o| o.seq),
    );
    let names: Vec<String> = orgs::all(c).unwrap().into_iter().map(|o| o.name).collect();
    see("orgs after conflicts", &names);

    // Memberships: insert, list (filters, rank order, search), counts.
    let member = |org, user, role, status, is_active| {
        let m = members::NewMember {
            org,
            user,
            role,
            status,
            is_active,
            approved_by: None,
            at: T0,
        };
        members::insert(c, &m).unwrap()
    };
    // Everything but the id, which is a fresh uuid on each engine.
    let shown = |ms: Vec<orgreg::model::Membership>| {
        ms.into_iter()
            .map(|m| {
                let (role, status) = (m.role.as_str(), m.status.as_str());
                let at = (m.approved_by, m.approved_at, m.created, m.modified);
                let who = (
                    m.seq,
                    m.organization,
                    m.organization_seq,
                    m.user,
                    m.user_seq,
                );
                (
                    who,
                    m.username,
                    m.email,
                    role,
                    status,
                    m.is_active,
                    m.version,
                    at,
                )
            })
            .collect::<Vec<_>>()
    };
    let first = member(acme.seq, ann.seq, Role::Owner, MemberStatus::Approved, true);
    see("member", &shown(vec![first]));
    member(acme.seq, bob.seq, Role::Viewer, MemberStatus::Pending, true);
    member(
        acme.seq,
        carl.seq,
        Role::Admin,
        MemberStatus::Approved,
        false,
    );
    member(
        globex.seq,
        bob.seq,
        Role::Owner,
        MemberStatus::Approved,
        true,
    );
    let mut see_members = |what: &str, q: ListQuery| {
        let p = members::list(c, acme.seq, &q).unwrap();
        see(what, &(p.count, shown(p.items)));
    };
    see_members("members", q(vec![], &[], vec![]));
    see_members(
        "members by rank",
        q(vec![], &[], vec![("role_rank", false)]),
    );
    let active = cond("is_active", Op::Eq(Val::Int(1)), false);
    see_members("members active", q(vec![active], &[], vec![]));
    see_members("members search", q(vec![], &["bob"], vec![]));
    let approved = cond("is_approved", Op::Eq(Val::Int(1)), false);
    let p = members::list_all(c, None, &q(vec![approved], &[], vec![])).unwrap();
    see("members all approved", &(p.count, shown(p.items)));
    see("member counts", &members::counts(c, acme.seq).unwrap());
    see(
        "owner count",
        &members::active_owner_count(c, acme.seq).unwrap(),
    );
    see("of_user", &shown(members::of_user(c, bob.seq).unwrap()));
    let visible = |org, user| orgs::visible_to(c, org, user).unwrap();
    see(
        "visible_to",
        &(visible(acme.seq, ann.seq), visible(acme.seq, bob.seq)),
    );
    see("sole owner", &users::sole_owner_of(c, ann.seq).unwrap());
    let share = |a, b| users::share_an_org(c, a, b).unwrap();
    see(
        "share",
        &(share(ann.seq, carl.seq), share(carl.seq, ann.seq)),
    );

    // Organization lists: filters, orders, search, paging, counts, visibility.
    let list = |visible: Option<i64>, q: &ListQuery| {
        let p = orgs::list(c, visible, q).unwrap();
        (
            p.count,
            p.items.into_iter().map(|o| o.name).collect::<Vec<_>>(),
        )
    };
    let text = |s: &str| Val::Text(s.into());
    let queries = [
        q(vec![], &[], vec![]),
        q(
            vec![cond("name", Op::IEq("GLOBEX corp".into()), false)],
            &[],
            vec![],
        ),
        q(vec![cond("name", Op::Eq(text("ACME")), false)], &[], vec![]),
        q(
            vec![cond("name_exact", Op::Eq(text("acme")), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("description", Op::IContains("widget".into()), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("description", Op::IContains("widget".into()), true)],
            &[],
            vec![],
        ),
        q(
            vec![cond("name", Op::StartsWith("IN".into()), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("currency_code", Op::Eq(text("EUR")), true)],
            &[],
            vec![],
        ),
        q(
            vec![cond("abbreviation", Op::IsNull(true), false)],
            &[],
            vec![],
        ),
        q(vec![cond("id", Op::In(vec![]), false)], &[], vec![]),
        q(vec![cond("id", Op::In(vec![]), true)], &[], vec![]),
        q(
            vec![cond("id", Op::In(vec![Val::Int(1), Val::Int(3)]), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("id", Op::Gt(Val::Int(1)), false)],
            &[],
            vec![("name", true)],
        ),
        q(
            vec![cond("modified", Op::Gte(text(T1)), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond("owner", Op::Eq(text(&ann.id)), false)],
            &[],
            vec![],
        ),
        q(
            vec![cond(
                "name_or_description",
                Op::IContains("corp\nalso".into()),
                false,
            )],
            &[],
            vec![],
        ),
        q(vec![], &[], vec![("abbreviation", false)]),
        q(vec![], &[], vec![("abbreviation", true)]),
        q(vec![], &[], vec![("currency_code", false), ("name", true)]),
        q(vec![], &["widgets"], vec![]),
        q(vec![], &["x c", "lob"], vec![]),
        q(
            vec![cond("id", Op::IContains("2".into()), false)],
            &[],
            vec![],
        ),
        q(
            vec![
                cond("id", Op::Lte(Val::Int(2)), false),
                cond("name", Op::In(vec![text("ACME"), text("initech")]), false),
            ],
            &[],
            vec![],
        ),
        q(vec![], &["tps"], vec![("modified", true)]),
        q(vec![], &["nothing like this"], vec![]),
    ];
    for (i, query) in queries.iter().enumerate() {
        see(&format!("orgs list {i}"), &list(None, query));
    }
    let mut paged = q(vec![], &[], vec![("name", false)]);
    paged.limit = 2;
    for offset in [0, 1, 2, 3] {
        paged.offset = offset;
        see(&format!("orgs page at {offset}"), &list(None, &paged));
    }
    let everything = q(vec![], &[], vec![]);
    for u in [&ann, &bob, &carl] {
        see(
            &format!("orgs visible to {}", u.username),
            &list(Some(u.seq), &everything),
        );
    }
    see("owned count", &orgs::owned_count(c, ann.seq).unwrap());

    // Customers (their owners come as a JSON array).
    let cu = customers::insert(c, CUSTOMER, "Big Co", "BC", T0).unwrap();
    customers::set_owners(c, cu, &[carl.seq, ann.seq, ann.seq]).unwrap();
    see("customer", &customers::by_seq(c, cu).unwrap());
    let owner = |u| customers::is_owner(c, cu, u).unwrap();
    see("customer owner", &(owner(ann.seq), owner(bob.seq)));
    let big = q(
        vec![cond("name", Op::IContains("BIG".into()), false)],
        &["bc"],
        vec![],
    );
    let p = customers::list(c, Some(ann.seq), &big).unwrap();
    see(
        "customers",
        &(
            p.count,
            p.items.into_iter().map(|c| c.name).collect::<Vec<_>>(),
        ),
    );
    let mut row = orgs::OrgRow::from_org(&globex);
    row.customer = Some(cu);
    orgs::update(c, globex.seq, &row).unwrap();
    let theirs = q(
        vec![cond("customer", Op::Eq(text(CUSTOMER)), false)],
        &[],
        vec![],
    );
    see(
        "orgs visible to customer owner",
        &list(Some(carl.seq), &theirs),
    );
    see("customer org count", &customers::org_count(c, cu).unwrap());
    let newest = q(vec![], &[], vec![("created", true)]);
    see(
        "users visible to bob",
        &seqs(users::list(c, Some(bob.seq), &newest).unwrap().items),
    );

    // Invitations (found by token digest) and the activity trail.
    let new = invitations::NewInvitation {
        id: "30000000-0000-0000-0000-000000000001",
        org: acme.seq,
        email: "New@Example.org",
        role: Role::Admin,
        first_name: "N",
        last_name: "",
        preferred_language: "",
        token_hash: b"\x00inv",
        expires: LATER,
        invited_by: Some(ann.seq),
        at: T0,
    };
    let inv = invitations::insert(c, &new).unwrap();
    see("invitation", &inv);
    see(
        "by_hash",
        &invitations::by_hash(c, b"\x00inv").unwrap().map(|i| i.seq),
    );
    let open = invitations::open_for_email(c, acme.seq, "new@example.ORG", T1).unwrap();
    see("invitation open", &open.map(|i| i.seq));
    let consume = || invitations::consume(c, inv.seq, bob.seq, T1).unwrap();
    see("consume twice", &(consume(), consume()));
    let by_email = q(
        vec![cond("email", Op::IEq("NEW@example.org".into()), false)],
        &[],
        vec![],
    );
    let p = invitations::list(c, acme.seq, Some("accepted"), T1, &by_email).unwrap();
    see(
        "invitations",
        &(
            p.count,
            p.items.into_iter().map(|i| i.status).collect::<Vec<_>>(),
        ),
    );
    for (i, action) in ["create", "update", "delete"].into_iter().enumerate() {
        let a = Activity {
            id: format!("40000000-0000-0000-0000-00000000000{i}"),
            at: format!("2026-01-0{}T00:00:00.000Z", i + 1),
            actor: Some(ann.id.clone()),
            action: action.into(),
            object_type: "organization".into(),
            object_id: Some(acme.id.clone()),
            organization: (i < 2).then(|| acme.id.clone()),
            changes: serde_json::json!({ "i": i }),
            request_id: None,
            surface: "v1".into(),
        };
        activity::insert(c, &a).unwrap();
    }
    let actions = q(
        vec![cond(
            "action",
            Op::In(vec![text("create"), text("update")]),
            false,
        )],
        &[],
        vec![],
    );
    let p = activity::list(c, Some(&acme.id), &actions).unwrap();
    see("activity", &(p.count, p.items));
    let last = |org: &str| activity::last_at(c, org).unwrap();
    see("activity last_at", &(last(&acme.id), last("none")));

    // Idempotency keys: put, put again (replaces), get within and past the window, purge.
    let stored = |status| idempotency::Stored {
        request_hash: vec![0, 1, 2, 255],
        status,
        headers: "{\"location\":\"/x\"}".into(),
        body: b"\x00body".to_vec(),
    };
    idempotency::put(c, ann.seq, "k1", &stored(201), T0).unwrap();
    idempotency::put(c, ann.seq, "k1", &stored(409), T1).unwrap();
    let got = |key, not_before| {
        let s = idempotency::get(c, ann.seq, key, not_before).unwrap();
        s.map(|s| (s.request_hash, s.status, s.headers, s.body))
    };
    see(
        "idempotency",
        &(got("k1", T0), got("k1", LATER), got("k2", T0)),
    );
    see("purge", &idempotency::purge(c, LATER).unwrap());
    seen
}

/// `orgreg_fold` on free text (not a stored `*_key`) is full-Unicode on SQLite, and on
/// PostgreSQL when it has ICU (lower() under "und-x-icu"); without ICU it is ASCII-only
/// (lower() under the C collation). Search terms and `*_key` columns are folded in Rust,
/// so they agree either way. Returns (rows
/// `description__icontains=ÉCOLE` finds, rows `search=ÉCOLE` finds, rows `name=ÉCOLE` finds).
pub(crate) fn non_ascii_folding(c: &impl Db) -> (i64, i64, i64) {
    orgs::insert(c, &org_row(9, "École", "UNE ÉCOLE", None)).unwrap();
    let count = |q: ListQuery| orgs::list(c, None, &q).unwrap().count;
    (
        count(q(
            vec![cond("description", Op::IContains("ÉCOLE".into()), false)],
            &[],
            vec![],
        )),
        count(q(vec![], &["ÉCOLE"], vec![])),
        count(q(
            vec![cond("name", Op::IEq("ÉCOLE".into()), false)],
            &[],
            vec![],
        )),
    )
}

#[test]
pub(crate) fn the_store_behaves_the_same_on_both_engines() {
    let Some(db) = TestDb::get() else { return };
    let (_dir, store) = sqlite_store();
    let lite = store.write(|tx| Ok(scenario(tx))).unwrap();

    let mut client = db.client();
    pg::migrate(&mut client).expect("migrate");
    let tx = pg::PgDb::new(client.transaction().unwrap());
    let post = scenario(&tx);
    tx.commit().unwrap();

    // A few facts that must hold, so that "equal" is not "equally broken".
    let has = |prefix: &str, part: &str| {
        lite.iter()
            .any(|l| l.starts_with(prefix) && l.contains(part))
    };
    assert!(has("dup name: ", "field: Some(\"name\")"), "{lite:#?}");
    assert!(has("dup abbreviation: ", "field: Some(\"abbreviation\")"));
    assert!(has("dup username: ", "field: Some(\"username\")"));
    assert!(has("orgs list 4: ", "(2, [\"Acme\", \"Globex Corp\"])"));
    assert!(has("customer: ", "owners: ["));
    for (i, (l, p)) in lite.iter().zip(&post).enumerate() {
        assert_eq!(l, p, "step {i} differs (left SQLite, right PostgreSQL)");
    }
    assert_eq!(lite.len(), post.len());

    let lite_folding = store.write(|tx| Ok(non_ascii_folding(tx))).unwrap();
    let tx = pg::PgDb::new(client.transaction().unwrap());
    let pg_folding = non_ascii_folding(&tx);
    tx.rollback().unwrap();
    assert_eq!(lite_folding, (1, 1, 1));
    let icu: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')",
            &[],
        )
        .unwrap()
        .get(0);
    if icu {
        assert_eq!(
            pg_folding, lite_folding,
            "with ICU, free text folds as on SQLite"
        );
    } else {
        assert_eq!(
            pg_folding,
            (0, 1, 1),
            "without ICU, PostgreSQL folds free text ASCII-only (migrations_pg/0001)"
        );
    }
    if std::env::var_os("ORGREG_TEST_SHOW").is_some() {
        println!("{}", post.join("\n"));
    }
}

/// `search` on PostgreSQL is a LIKE on the folded `search_text` (`orgreg_like` escapes the
/// term), which the pg_trgm GIN index can serve; `%`, `_` and `\` stay literal, as on
/// SQLite, and the answers agree with SQLite's.
#[test]
pub(crate) fn search_is_served_by_the_trigram_index_with_literal_wildcards() {
    let Some(db) = TestDb::get() else { return };
    let names = [
        "100% real_deal",
        "100 percent real deal",
        "back\\slash co",
        "plain org",
    ];
    let terms = ["0% r", "l_d", "%", "_", "\\s", "x%y", "real"];
    let run = |c: &dyn Fn(&ListQuery) -> (i64, Vec<String>)| -> Vec<(i64, Vec<String>)> {
        terms
            .iter()
            .map(|t| c(&q(vec![], &[t], vec![("name", false)])))
            .collect()
    };
    let seed = |c: &dyn Fn(u32, &str)| {
        for (i, n) in names.iter().enumerate() {
            c(i as u32 + 1, n);
        }
    };

    let (_dir, store) = sqlite_store();
    let lite = store
        .write(|tx| {
            seed(&|i, n| {
                orgs::insert(tx, &org_row(i, n, "", None)).unwrap();
            });
            Ok(run(&|q| {
                let p = orgs::list(tx, None, q).unwrap();
                (p.count, p.items.into_iter().map(|o| o.name).collect())
            }))
        })
        .unwrap();

    let mut client = db.client();
    pg::migrate(&mut client).expect("migrate");
    let tx = pg::PgDb::new(client.transaction().unwrap());
    seed(&|i, n| {
        orgs::insert(&tx, &org_row(i, n, "", None)).unwrap();
    });
    let post = run(&|q| {
        let p = orgs::list(&tx, None, q).unwrap();
        (p.count, p.items.into_iter().map(|o| o.name).collect())
    });
    tx.commit().unwrap();
    assert_eq!(lite, post, "SQLite left, PostgreSQL right, terms {terms:?}");
    assert_eq!(
        post[0],
        (1, vec!["100% real_deal".to_string()]),
        "`%` literal"
    );
    assert_eq!(post[1].0, 1, "`_` literal");
    assert_eq!(post[5].0, 0, "no row holds `x%y`");

    // The store's search predicate, as PostgreSQL runs it, can use the trigram index.
    let sql = pg::dialect("SELECT o.seq FROM organizations o WHERE instr(o.search_text, ?) > 0");
    client.batch_execute("SET enable_seqscan = off").unwrap();
    let plan: Vec<String> = client
        .query(&format!("EXPLAIN {sql}"), &[&"real"])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    assert!(
        plan.iter().any(|l| l.contains("organizations_search_trgm")),
        "{sql}\n{}",
        plan.join("\n")
    );
}

/// Text orders byte for byte, as on SQLite, even in a database whose own collation is a
/// natural-language one (ICU `en-US` puts `a` before `B`; bytes put `B` first): every
/// TEXT column is declared `COLLATE "C"` (migrations_pg/0001).
#[test]
pub(crate) fn text_orders_bytewise_whatever_the_database_collation() {
    let Some(db) = TestDb::get() else { return };
    let Some(cluster) = &db.cluster else {
        println!("skipped: needs a cluster of its own to create a database");
        return;
    };
    let mut admin = pg::connect(&cluster.admin_url).expect("superuser");
    if let Err(e) = admin.batch_execute(
        "CREATE DATABASE natural_order TEMPLATE template0 ENCODING 'UTF8' \
         LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C' OWNER orgreg",
    ) {
        println!("skipped: no ICU collations here ({e})");
        return;
    }
    let url = format!("{}/natural_order", db.url.rsplit_once('/').unwrap().0);
    let mut client = pg::connect(&url).expect("connect");
    let natural: Vec<String> = client
        .query("SELECT n FROM (VALUES ('a'), ('B')) v(n) ORDER BY n", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        natural,
        ["a", "B"],
        "the database's own collation is natural order"
    );
    pg::migrate(&mut client).expect("migrate");
    fn run(c: &impl Db) -> Vec<String> {
        let names = [
            "beta",
            "Beta Two",
            "alpha",
            "Alpha Two",
            "_under",
            "Zulu",
            "émile",
            "Ötzi",
        ];
        for (i, n) in names.iter().enumerate() {
            orgs::insert(c, &org_row(i as u32 + 1, n, "", None)).unwrap();
        }
        orgs::list(c, None, &q(vec![], &[], vec![("name", false)]))
            .unwrap()
            .items
            .into_iter()
            .map(|o| o.name)
            .collect()
    }
    let (_dir, store) = sqlite_store();
    let lite = store.write(|tx| Ok(run(tx))).unwrap();
    let tx = pg::PgDb::new(client.transaction().unwrap());
    let post = run(&tx);
    tx.rollback().unwrap();
    let at = |n: &str| lite.iter().position(|x| x == n).unwrap();
    assert!(
        at("Zulu") < at("émile"),
        "SQLite orders bytes, not letters: {lite:?}"
    );
    assert_eq!(post, lite, "PostgreSQL orders as SQLite does");
}
