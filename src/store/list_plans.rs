//! Every list statement the store builds, planned by SQLite over a seeded database: no
//! list may read a whole large table. Allowed are index searches, the FTS lookup, and an
//! *ordered walk* (a scan that yields the list's order, so it stops after the page or
//! after `COUNT_CAP` counted rows) when nothing in the query can use an index: no equality
//! or membership condition and no FTS restriction.

use super::{Field, RECORDED};
use crate::query::{Cond, Kind, ListQuery, Op, Val};
use crate::store::db::V as Sql;
use crate::store::{activity, customers, invitations, members, orgs, users};
use rusqlite::Connection;

const LARGE: &[(&str, &str)] = &[
    ("o", "organizations"),
    ("u", "users"),
    ("m", "memberships"),
    ("ma", "memberships"),
    ("mb", "memberships"),
    ("a", "activity"),
    ("i", "invitations"),
    ("organizations", "organizations"),
    ("users", "users"),
    ("memberships", "memberships"),
    ("activity", "activity"),
    ("invitations", "invitations"),
];

fn seeded() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    let mut c =
        crate::store::open_connection(&path, crate::config::SyncMode::Normal, true).unwrap();
    crate::store::migrate::migrate(&mut c).unwrap();
    let at = "2026-01-01T00:00:00.000Z";
    let tx = c.transaction().unwrap();
    for n in 0..2_500 {
        let name = if n % 500 == 0 {
            format!("Rare Ünïcode {n}")
        } else {
            format!("org-{n}")
        };
        tx.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, search_text, created, modified) \
             VALUES (?1, ?2, lower(?2), ?3, lower(?3), lower(?2 || char(10) || ?3), ?4, ?4)",
            rusqlite::params![format!("u{n}"), format!("user{n}"), format!("user{n}@example.org"), at],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO organizations (id, name, name_key, search_text, created, modified, owner) \
             VALUES (?1, ?2, lower(?2), lower(?2), ?3, ?3, ?4)",
            rusqlite::params![format!("o{n}"), name, at, n + 1],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO memberships (id, organization, user, role, status, created, modified) \
             VALUES (?1, ?2, ?2, 'owner', 'approved', ?3, ?3)",
            rusqlite::params![format!("m{n}"), n + 1, at],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO activity (id, at, action, object_type, object_id, organization) \
             VALUES (?1, ?2, 'organization.create', 'organization', ?3, ?3)",
            rusqlite::params![format!("a{n}"), at, format!("o{n}")],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO invitations (id, organization, email, email_key, role, token_hash, expires, status, created, modified) \
             VALUES (?1, 1, ?2, ?2, 'viewer', ?1, ?3, 'open', ?3, ?3)",
            rusqlite::params![format!("i{n}"), format!("x{n}@example.org"), at],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    (dir, c)
}

fn sample(k: Kind) -> Val {
    match k {
        Kind::Bool | Kind::Int => Val::Int(1),
        Kind::Ref => Val::Text("u1".into()),
        Kind::Time => Val::Text("2026-01-01T00:00:00.000Z".into()),
        Kind::Enum(v) => Val::Text(v[0].into()),
        Kind::Text | Kind::FoldedText => Val::Text("org-7".into()),
    }
}

/// The queries a resource's fields allow: each field filtered (equality, membership,
/// case-insensitive, substring long and short, null), each field ordered both ways,
/// searched with a rare, a common and a short term, and plain.
fn queries(fields: &[Field]) -> Vec<ListQuery> {
    let base = ListQuery::window(20, 0);
    let mut out = vec![base.clone(), ListQuery::window(20, 400)];
    for term in ["ünïcode", "org", "rare ü", "g-", "x", "a\0bcd"] {
        let mut q = base.clone();
        q.search = vec![term.into()];
        out.push(q);
    }
    for f in fields {
        let v = sample(f.kind);
        let mut ops = vec![Op::Eq(v.clone()), Op::In(vec![v]), Op::IsNull(true)];
        if matches!(f.kind, Kind::Text | Kind::FoldedText) {
            for t in ["ünïcode", "org", "g-"] {
                ops.push(Op::IContains(t.into()));
            }
            ops.push(Op::IEq("org-7".into()));
            ops.push(Op::StartsWith("org".into()));
        }
        for op in ops {
            let mut q = base.clone();
            q.conds.push(Cond::new(f.name, op));
            out.push(q);
        }
        for desc in [false, true] {
            let mut q = base.clone();
            q.order = vec![(f.name, desc)];
            out.push(q.clone());
            q.search = vec!["org".into()];
            out.push(q);
        }
    }
    out
}

/// Whether `q` has something an index can serve, so a scan would be a missed index.
fn indexable(q: &ListQuery, sql: &str) -> bool {
    sql.contains("_fts WHERE")
        || q.conds
            .iter()
            .any(|c| !c.negate && matches!(c.op, Op::Eq(_) | Op::In(_)))
}

/// Fields left without an index, documented in docs/PERFORMANCE.md ("Search and lists"):
/// free text ordered or compared whole (description, the combined AWX column), and
/// derived booleans. A list ordered or filtered by one of them walks or sorts the rows its
/// other conditions leave.
const UNINDEXED: &[&str] = &[
    "description",
    "name_or_description",
    "is_approved",
    "is_active",
    "is_staff",
    "is_service_account",
    "first_name",
    "last_name",
    "email",
];

fn exempt(q: &ListQuery) -> bool {
    // Descending status across all memberships sorts: `status DESC, seq ASC` is not the
    // (status, seq) index read backwards.
    q.order.contains(&("status", true))
        || q.order.iter().any(|(f, _)| UNINDEXED.contains(f))
        || q.conds.iter().any(|c| UNINDEXED.contains(&c.field))
}

fn check(c: &Connection, what: &str, q: &ListQuery, failures: &mut Vec<String>) {
    if what.starts_with("customers") || exempt(q) {
        RECORDED.with(|r| r.borrow_mut().clear());
        return;
    }
    let recorded: Vec<(String, Vec<Sql>)> = RECORDED.with(|r| r.borrow_mut().drain(..).collect());
    assert!(!recorded.is_empty(), "{what}: no statement recorded");
    for (sql, params) in recorded {
        if sql.contains("_fts WHERE")
            && sql.starts_with("SELECT count(*) FROM (SELECT 1 FROM ")
            && sql.contains(" MATCH ? LIMIT")
            && !sql.contains(" o ")
        {
            continue; // the bounded FTS candidate count
        }
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<(i64, i64, String)> = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (i, (_, parent, detail)) in plan.iter().enumerate() {
            let Some(rest) = detail.strip_prefix("SCAN ") else {
                continue;
            };
            let alias = rest.split(' ').next().unwrap_or("");
            let Some((_, table)) = LARGE.iter().find(|(a, _)| *a == alias) else {
                continue;
            };
            // Within its own query (the page's keys are a subquery of the page).
            let first_loop = plan[..i].iter().all(|p| {
                p.1 != *parent || (!p.2.starts_with("SEARCH ") && !p.2.starts_with("SCAN "))
            });
            let full_sort = plan
                .iter()
                .any(|p| p.1 == *parent && p.2 == "USE TEMP B-TREE FOR ORDER BY");
            let ordered_walk = first_loop && !full_sort && !indexable(q, &sql);
            if !ordered_walk {
                failures.push(format!(
                    "{what}: full scan of {table}\n  query: {q:?}\n  sql: {sql}\n  plan: {:#?}",
                    plan.iter().map(|p| &p.2).collect::<Vec<_>>()
                ));
            }
        }
    }
}

#[test]
fn every_list_query_uses_an_index() {
    let (_dir, c) = seeded();
    let mut failures = vec![];
    let now = "2026-06-01T00:00:00.000Z";
    for q in queries(orgs::FIELDS) {
        for vis in [None, Some(3)] {
            orgs::list(&c, vis, &q).unwrap();
            check(
                &c,
                &format!("organizations (visible_to {vis:?})"),
                &q,
                &mut failures,
            );
        }
    }
    for q in queries(users::FIELDS) {
        for vis in [None, Some(3)] {
            users::list(&c, vis, &q).unwrap();
            check(
                &c,
                &format!("users (visible_to {vis:?})"),
                &q,
                &mut failures,
            );
        }
    }
    for q in queries(members::FIELDS) {
        members::list(&c, 1, &q).unwrap();
        check(&c, "members of an organization", &q, &mut failures);
    }
    for q in queries(members::GLOBAL_FIELDS) {
        for vis in [None, Some(3)] {
            members::list_all(&c, vis, &q).unwrap();
            check(
                &c,
                &format!("memberships (visible_to {vis:?})"),
                &q,
                &mut failures,
            );
        }
    }
    for q in queries(activity::FIELDS) {
        for org in [None, Some("o1")] {
            activity::list(&c, org, &q).unwrap();
            check(
                &c,
                &format!("activity (organization {org:?})"),
                &q,
                &mut failures,
            );
        }
    }
    for q in queries(invitations::FIELDS) {
        for status in [None, Some("open"), Some("expired"), Some("revoked")] {
            invitations::list(&c, 1, status, now, &q).unwrap();
            check(&c, &format!("invitations ({status:?})"), &q, &mut failures);
        }
    }
    for q in queries(customers::FIELDS) {
        for vis in [None, Some(3)] {
            customers::list(&c, vis, &q).unwrap();
            check(&c, "customers", &q, &mut failures);
        }
    }
    assert!(
        failures.is_empty(),
        "{} plans read a whole table:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `fold` is idempotent, which lets equality on a stored key skip `orgreg_fold`.
#[test]
fn fold_is_idempotent() {
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let once = crate::model::fold(&c.to_string());
        assert_eq!(crate::model::fold(&once), once, "{c:?}");
    }
    for s in ["ΟΔΟΣ", "ΣΑΣ Σ", "İstanbul", "ẞ"] {
        let once = crate::model::fold(s);
        assert_eq!(crate::model::fold(&once), once, "{s:?}");
    }
}

/// Times 20-row organization pages at 10k and 100k organizations, the previous way (full
/// `instr` scan, full count) and through the store. By hand:
/// `cargo test --release --lib measure_search_pages -- --ignored --nocapture`
#[test]
#[ignore]
fn measure_search_pages() {
    use std::time::Instant;
    for n in [10_000usize, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::store::open_connection(
            &dir.path().join("m.db"),
            crate::config::SyncMode::Normal,
            true,
        )
        .unwrap();
        crate::store::migrate::migrate(&mut c).unwrap();
        let tx = c.transaction().unwrap();
        for i in 0..n {
            let name = format!(
                "bench org {i:07} {}",
                if i % 997 == 0 { "needle" } else { "" }
            );
            tx.execute(
                "INSERT INTO organizations (id, name, name_key, description, search_text, created, modified) \
                 VALUES (?1, ?2, lower(?2), 'a benchmark organization', lower(?2 || char(10) || char(10) || char(10) || 'a benchmark organization'), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                rusqlite::params![format!("o{i}"), name],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        let time = |label: &str, f: &mut dyn FnMut() -> i64| {
            f();
            let runs = 50;
            let t = Instant::now();
            let mut count = 0;
            for _ in 0..runs {
                count = f();
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
            println!("{n:>7} orgs  {label:<58} {ms:>8.2} ms  (count {count})");
        };
        for (term, order) in [
            ("bench", true),
            ("needle", true),
            ("needle", false),
            ("be", true),
        ] {
            let before = |c: &Connection| -> i64 {
                let ord = if order {
                    " ORDER BY o.name_key DESC, o.seq ASC"
                } else {
                    " ORDER BY o.seq"
                };
                let count: i64 = c
                    .query_row(
                        "SELECT count(*) FROM organizations o WHERE instr(o.search_text, ?) > 0",
                        [term],
                        |r| r.get(0),
                    )
                    .unwrap();
                let mut st = c
                    .prepare_cached(&format!("SELECT o.id, o.name FROM organizations o WHERE instr(o.search_text, ?) > 0{ord} LIMIT 20"))
                    .unwrap();
                let rows = st
                    .query_map([term], |r| r.get::<_, String>(0))
                    .unwrap()
                    .count();
                assert!(rows <= 20);
                count
            };
            let label = format!("search={term}{}", if order { " order=-name" } else { "" });
            time(&format!("before (scan + full count): {label}"), &mut || {
                before(&c)
            });
            let mut q = ListQuery::window(20, 0);
            q.search = vec![term.into()];
            if order {
                q.order = vec![("name", true)];
            }
            time(&format!("after (store): {label}"), &mut || {
                orgs::list(&c, None, &q).unwrap().count
            });
        }
        let q = ListQuery::window(20, 0);
        time("after (store): unfiltered ?page_size=20", &mut || {
            orgs::list(&c, None, &q).unwrap().count
        });
        time("before: unfiltered (full count)", &mut || {
            c.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0))
                .unwrap()
        });
    }
}
