//! The PostgreSQL schema against SQLite's, and the migration runner.

use orgreg::store::pg;
use std::collections::BTreeSet;

use crate::harness::*;

// ---------------------------------------------------------------------------------------
// Schema facts, normalised so both engines can be compared line by line.
//
// Per table: "table T"; "column T #i name type=… notnull=… pk=… default=…" in column
// order; "primary key T (cols)"; "unique T (cols)" for every other UNIQUE constraint or
// unique index; "index T name (cols)" for each named non-unique index (with "using AM"
// when not a b-tree, "partial" when it has a WHERE); "fk T (cols) -> T2 (cols) on delete
// … on update …".

type Facts = BTreeSet<String>;

fn sqlite_facts(conn: &rusqlite::Connection) -> Facts {
    let mut facts = Facts::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in &tables {
        facts.insert(format!("table {t}"));
        let cols: Vec<(String, String, bool, Option<String>, i64)> = conn
            .prepare(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) \
                 ORDER BY cid",
            )
            .unwrap()
            .query_map([t], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut pk: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.4 > 0)
            .map(|c| (c.4, c.0.clone()))
            .collect();
        pk.sort();
        // A single INTEGER PRIMARY KEY is the rowid: its value is generated, as an
        // identity column's is on PostgreSQL.
        let rowid_alias = pk.len() == 1
            && cols
                .iter()
                .any(|c| c.4 == 1 && c.1.eq_ignore_ascii_case("INTEGER"));
        for (i, (name, ty, notnull, default, p)) in cols.iter().enumerate() {
            let ty = match ty.to_ascii_uppercase().as_str() {
                "INTEGER" => "integer".to_string(),
                "TEXT" => "text".to_string(),
                "BLOB" => "blob".to_string(),
                other => format!("sqlite:{other}"),
            };
            let default = if rowid_alias && *p == 1 {
                "identity".to_string()
            } else {
                default.clone().unwrap_or_default()
            };
            // Primary-key columns are NOT NULL on PostgreSQL; here an INTEGER PRIMARY
            // KEY (the rowid) cannot be NULL either, it just is not declared so.
            let notnull = *notnull || *p > 0;
            facts.insert(format!(
                "column {t} #{i} {name} type={ty} notnull={notnull} pk={} default={default}",
                *p > 0
            ));
        }
        if !pk.is_empty() {
            let cols: Vec<_> = pk.into_iter().map(|(_, c)| c).collect();
            facts.insert(format!("primary key {t} ({})", cols.join(", ")));
        }
        let indexes: Vec<(String, bool, String, bool)> = conn
            .prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")
            .unwrap()
            .query_map([t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (name, unique, origin, partial) in indexes {
            let cols: Vec<String> = conn
                .prepare(
                    "SELECT coalesce(name, '(expr)') FROM pragma_index_info(?1) ORDER BY seqno",
                )
                .unwrap()
                .query_map([&name], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let cols = cols.join(", ");
            let partial = if partial { " partial" } else { "" };
            if origin == "pk" {
                continue; // the "primary key" fact above
            } else if unique {
                facts.insert(format!("unique {t} ({cols}){partial}"));
            } else {
                facts.insert(format!("index {t} {name} ({cols}){partial}"));
            }
        }
        let fks: Vec<(i64, String, String, Option<String>, String, String)> = conn
            .prepare(
                "SELECT id, \"table\", \"from\", \"to\", on_delete, on_update \
                 FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            )
            .unwrap()
            .query_map([t], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut ids: Vec<i64> = fks.iter().map(|f| f.0).collect();
        ids.dedup();
        for id in ids {
            let parts: Vec<_> = fks.iter().filter(|f| f.0 == id).collect();
            let from: Vec<_> = parts.iter().map(|f| f.2.clone()).collect();
            let to: Vec<_> = parts
                .iter()
                .map(|f| f.3.clone().unwrap_or("(primary key)".into()))
                .collect();
            facts.insert(format!(
                "fk {t} ({}) -> {} ({}) on delete {} on update {}",
                from.join(", "),
                parts[0].1,
                to.join(", "),
                parts[0].4.to_ascii_lowercase(),
                parts[0].5.to_ascii_lowercase()
            ));
        }
    }
    facts
}

fn pg_facts(c: &mut postgres::Client) -> Facts {
    let mut facts = Facts::new();
    let here = "relnamespace = current_schema()::regnamespace";
    for r in c
        .query(
            &format!("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND {here}"),
            &[],
        )
        .unwrap()
    {
        facts.insert(format!("table {}", r.get::<_, String>(0)));
    }
    // Columns, in order (dropped columns leave gaps in attnum: count the live ones).
    let rows = c
        .query(
            &format!(
                "SELECT t.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                        a.attnotnull, a.attidentity::text, pg_get_expr(d.adbin, d.adrelid), \
                        EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = t.oid \
                                AND x.indisprimary AND a.attnum = ANY (x.indkey::int2[])) \
                 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE t.relkind = 'r' AND t.{here} AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY t.relname, a.attnum"
            ),
            &[],
        )
        .unwrap();
    let mut last = String::new();
    let mut i = 0;
    for r in rows {
        let t: String = r.get(0);
        if t != last {
            last = t.clone();
            i = 0;
        }
        let name: String = r.get(1);
        let ty: String = r.get(2);
        let ty = match ty.as_str() {
            "bigint" => "integer".to_string(),
            "text" => "text".to_string(),
            "bytea" => "blob".to_string(),
            other => format!("pg:{other}"),
        };
        let notnull: bool = r.get(3);
        let identity: String = r.get(4);
        let default: Option<String> = r.get(5);
        let default = if !identity.is_empty() {
            "identity".to_string()
        } else {
            let d = default.unwrap_or_default();
            // 'v1'::text is SQLite's 'v1'.
            d.strip_suffix("::text")
                .or(d.strip_suffix("::bigint"))
                .unwrap_or(&d)
                .to_string()
        };
        let pk: bool = r.get(6);
        facts.insert(format!(
            "column {t} #{i} {name} type={ty} notnull={notnull} pk={pk} default={default}"
        ));
        i += 1;
    }
    let rows = c
        .query(
            &format!(
                "SELECT t.relname::text, i.relname::text, x.indisunique, x.indisprimary, \
                        am.amname::text, x.indpred IS NOT NULL, \
                        ARRAY(SELECT coalesce(a.attname::text, '(expr)') \
                              FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o) \
                              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n \
                              ORDER BY k.o) \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam \
                 WHERE t.relkind = 'r' AND t.{here}"
            ),
            &[],
        )
        .unwrap();
    for r in rows {
        let (t, name): (String, String) = (r.get(0), r.get(1));
        let (unique, primary): (bool, bool) = (r.get(2), r.get(3));
        let am: String = r.get(4);
        let partial = if r.get::<_, bool>(5) { " partial" } else { "" };
        let cols = r.get::<_, Vec<String>>(6).join(", ");
        let using = if am == "btree" {
            String::new()
        } else {
            format!(" using {am}")
        };
        if primary {
            facts.insert(format!("primary key {t} ({cols})"));
        } else if unique {
            facts.insert(format!("unique {t} ({cols}){using}{partial}"));
        } else {
            facts.insert(format!("index {t} {name} ({cols}){using}{partial}"));
        }
    }
    let rows = c
        .query(
            &format!(
                "SELECT t.relname::text, \
                        ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o) \
                              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n \
                              ORDER BY u.o), \
                        f.relname::text, \
                        ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o) \
                              JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n \
                              ORDER BY u.o), \
                        k.confdeltype::text, k.confupdtype::text \
                 FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
                 JOIN pg_class f ON f.oid = k.confrelid \
                 WHERE k.contype = 'f' AND t.{here}"
            ),
            &[],
        )
        .unwrap();
    let action = |a: String| match a.as_str() {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "?",
    };
    for r in rows {
        let t: String = r.get(0);
        let from = r.get::<_, Vec<String>>(1).join(", ");
        let f: String = r.get(2);
        let to = r.get::<_, Vec<String>>(3).join(", ");
        facts.insert(format!(
            "fk {t} ({from}) -> {f} ({to}) on delete {} on update {}",
            action(r.get(4)),
            action(r.get(5))
        ));
    }
    facts
}

/// The only differences allowed between the engines: (engine the fact exists on alone,
/// its prefix, why).
const ALLOWED: &[(&str, &str, &str)] = &[
    // Substring search: the shadow tables FTS5 keeps (_data, _idx, _docsize, _config),
    // with their columns and keys (listed first: the first matching prefix counts) ...
    ("sqlite", "table organizations_fts_", "FTS5 shadow tables"),
    (
        "sqlite",
        "column organizations_fts_",
        "FTS5 shadow table columns",
    ),
    (
        "sqlite",
        "primary key organizations_fts_",
        "FTS5 shadow table keys",
    ),
    ("sqlite", "table users_fts_", "FTS5 shadow tables"),
    ("sqlite", "column users_fts_", "FTS5 shadow table columns"),
    ("sqlite", "primary key users_fts_", "FTS5 shadow table keys"),
    // ... for SQLite's FTS5 trigram virtual tables (kept by triggers) ...
    (
        "sqlite",
        "table organizations_fts",
        "FTS5 virtual table; PG: organizations_search_trgm",
    ),
    (
        "sqlite",
        "column organizations_fts ",
        "its one column, search_text",
    ),
    (
        "sqlite",
        "table users_fts",
        "FTS5 virtual table; PG: users_search_trgm",
    ),
    ("sqlite", "column users_fts ", "its one column, search_text"),
    // ... are on PostgreSQL pg_trgm GIN indexes on the same column.
    (
        "pg",
        "index organizations organizations_search_trgm (search_text) using gin",
        "replaces organizations_fts",
    ),
    (
        "pg",
        "index users users_search_trgm (search_text) using gin",
        "replaces users_fts",
    ),
    // AUTOINCREMENT's high-water marks; PostgreSQL's identity sequences are no tables.
    (
        "sqlite",
        "table sqlite_sequence",
        "AUTOINCREMENT bookkeeping",
    ),
    (
        "sqlite",
        "column sqlite_sequence ",
        "AUTOINCREMENT bookkeeping",
    ),
    // The schema version: SQLite keeps it in PRAGMA user_version.
    (
        "pg",
        "table orgreg_schema",
        "the migration runner's version row",
    ),
    (
        "pg",
        "column orgreg_schema ",
        "the migration runner's version row",
    ),
];

// ---------------------------------------------------------------------------------------
// The tests

#[test]
fn schemas_are_equivalent() {
    let Some(db) = TestDb::get() else { return };
    let (_dir, store) = sqlite_store();
    let lite = sqlite_facts(&store.reader().unwrap());
    let mut c = db.client();
    pg::migrate(&mut c).expect("migrate");
    let post = pg_facts(&mut c);

    let allowed = |engine: &str, fact: &str| {
        ALLOWED
            .iter()
            .position(|(e, prefix, _)| *e == engine && fact.starts_with(prefix))
    };
    let mut used = vec![false; ALLOWED.len()];
    let mut problems = vec![];
    for (engine, mine, theirs) in [("sqlite", &lite, &post), ("pg", &post, &lite)] {
        for fact in mine.difference(theirs) {
            match allowed(engine, fact) {
                Some(i) => used[i] = true,
                None => problems.push(format!("only on {engine}: {fact}")),
            }
        }
    }
    for (i, (engine, prefix, _)) in ALLOWED.iter().enumerate() {
        if !used[i] {
            problems.push(format!(
                "allowed difference not seen (stale?): {engine}: {prefix}"
            ));
        }
    }
    // Sanity: the comparison saw the real schema.
    assert!(lite.contains("table organizations") && post.contains("table organizations"));
    assert!(lite.len() > 150, "{} SQLite facts", lite.len());
    assert!(
        problems.is_empty(),
        "the schemas differ:\n{}",
        problems.join("\n")
    );
}

#[test]
fn migrate_is_idempotent_and_refuses_newer() {
    let Some(db) = TestDb::get() else { return };
    let mut c = db.client();
    pg::migrate(&mut c).expect("first migrate");
    let version = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT version FROM orgreg_schema", &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(version(&mut c), pg::latest());
    assert_eq!(pg::latest(), orgreg::store::migrate::latest());
    let before = pg_facts(&mut c);
    pg::migrate(&mut c).expect("second migrate");
    let mut other = db.client();
    pg::migrate(&mut other).expect("migrate from another connection");
    assert_eq!(pg_facts(&mut c), before);
    assert_eq!(version(&mut c), pg::latest());
    let rows: i64 = c
        .query_one("SELECT count(*) FROM orgreg_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);

    // Several processes starting at once: each step is applied exactly once.
    c.batch_execute("DROP OWNED BY CURRENT_USER").unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| pg::migrate(&mut db.client()).expect("concurrent migrate"));
        }
    });
    assert_eq!(version(&mut c), pg::latest());
    assert_eq!(pg_facts(&mut c), before);

    let newer = pg::latest() + 1;
    c.execute("UPDATE orgreg_schema SET version = $1", &[&newer])
        .unwrap();
    let err = pg::migrate(&mut c).unwrap_err().to_string();
    assert!(err.contains("newer than this orgreg knows"), "{err}");
    // Word for word what SQLite says about the same version.
    let mut lite = rusqlite::Connection::open_in_memory().unwrap();
    lite.pragma_update(None, "user_version", newer).unwrap();
    let lite_err = orgreg::store::migrate::migrate(&mut lite)
        .unwrap_err()
        .to_string();
    assert_eq!(err, lite_err);
    assert_eq!(version(&mut c), newer, "a refused database is left alone");
}

#[test]
fn owner_role_is_not_superuser() {
    let Some(db) = TestDb::get() else { return };
    let mut c = db.client();
    let (user, superuser): (String, bool) = {
        let r = c
            .query_one(
                "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    if db.cluster.is_some() {
        assert_eq!(user, "orgreg");
    }
    assert!(!superuser, "{user} is a superuser");
    pg::migrate(&mut c).expect("migrate as a non-superuser owner");
    let trgm: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(trgm, 1);
}

#[test]
fn connect_errors_are_one_clear_line() {
    let Some(db) = TestDb::get() else { return };
    let mut bad = vec![
        "postgres://orgreg:x@127.0.0.1:notaport/orgreg".to_string(),
        // A port nobody listens on.
        format!(
            "postgres://orgreg:x@127.0.0.1:{}/orgreg",
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        ),
    ];
    if db.cluster.is_some() {
        // The right server, a wrong password.
        bad.push(db.url.replacen("orgreg:", "orgreg:wrong", 1));
    }
    for url in bad {
        let err = match pg::connect(&url) {
            Ok(_) => panic!("{url} connected"),
            Err(e) => e.to_string(),
        };
        assert!(!err.contains('\n'), "{err}");
        assert!(!err.contains("wrong"), "password shown: {err}");
        println!("{err}");
    }
}
