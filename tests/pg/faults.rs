//! Outages, lost races and the PostgreSQL store's pool.

use crate::behaviour::*;
use crate::harness::*;
use orgreg::store::db::Db;
use orgreg::store::orgs;
use orgreg::store::pg;

/// PostgreSQL errors that mean "not now" are `Unavailable` (503 with Retry-After), never
/// `Internal` (500): a backend killed mid-transaction, a read-only server (a replica
/// after a failover), a lost serialization race. A broken statement stays `Internal`.
#[test]
fn outages_and_lost_races_are_unavailable_not_internal() {
    use orgreg::error::Error;
    let Some(db) = TestDb::get() else { return };
    let mut admin = db.client();
    pg::migrate(&mut admin).expect("migrate");
    let count = |c: &pg::PgDb| c.scalar::<i64>("SELECT count(*) FROM organizations", &[]);

    // A killed backend: the next statement of its transaction.
    let mut victim = db.client();
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let tx = pg::PgDb::new(victim.transaction().unwrap());
    assert_eq!(count(&tx).unwrap(), 0);
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        matches!(count(&tx), Err(Error::Unavailable)),
        "killed backend"
    );
    drop(tx);

    // A read-only server: a write is refused as "not now".
    let mut ro = db.client();
    let mut t = ro.transaction().unwrap();
    t.batch_execute("SET TRANSACTION READ ONLY").unwrap();
    let tx = pg::PgDb::new(t);
    let r = orgs::insert(&tx, &org_row(1, "Read Only", "", None));
    assert!(matches!(r, Err(Error::Unavailable)), "read-only: {r:?}");
    drop(tx);

    // Two serializable transactions that each read what the other writes: one loses.
    let (mut a, mut b) = (db.client(), db.client());
    fn serializable(c: &mut postgres::Client) -> pg::PgDb<'_> {
        let mut t = c.transaction().unwrap();
        t.batch_execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            .unwrap();
        pg::PgDb::new(t)
    }
    let (ta, tb) = (serializable(&mut a), serializable(&mut b));
    assert_eq!(count(&ta).unwrap(), 0);
    assert_eq!(count(&tb).unwrap(), 0);
    orgs::insert(&ta, &org_row(2, "Racer A", "", None)).unwrap();
    let second = orgs::insert(&tb, &org_row(3, "Racer B", "", None)).and_then(|_| tb.commit());
    let first = ta.commit();
    let outcomes = [first, second];
    assert_eq!(
        outcomes.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one commits: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|r| matches!(r, Err(Error::Unavailable))),
        "the loser is Unavailable: {outcomes:?}"
    );

    // A statement PostgreSQL cannot run is a bug: Internal.
    let mut c = db.client();
    let tx = pg::PgDb::new(c.transaction().unwrap());
    let r = tx.scalar::<i64>("SELECT count(*) FROM no_such_table", &[]);
    assert!(matches!(r, Err(Error::Internal(_))), "{r:?}");
}

/// `PgStore` (docs/SCALING.md step 3): a write is a SERIALIZABLE transaction run again
/// when it loses a race, so a check-then-act rule holds under concurrent writers as it
/// does behind SQLite's single writer: 8 writers each add an organization only while
/// fewer than 3 exist, and exactly 3 exist afterwards.
#[test]
fn serializable_writes_keep_a_check_then_act_rule_under_races() {
    use orgreg::store::pgstore::PgStore;
    let Some(db) = TestDb::get() else { return };
    let store = std::sync::Arc::new(PgStore::open(&db.url).expect("open"));
    let racers: Vec<_> = (0..8u32)
        .map(|k| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.write(|tx| {
                    let n: i64 = tx.scalar(
                        "SELECT count(*) FROM organizations WHERE name LIKE 'Race %'",
                        &[],
                    )?;
                    // Every writer reads before any of them writes.
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    if n < 3 {
                        orgs::insert(tx, &org_row(100 + k, &format!("Race {k}"), "", None))?;
                    }
                    Ok(n < 3)
                })
            })
        })
        .collect();
    let outcomes: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    let stored: i64 = store
        .read(|tx| {
            tx.scalar(
                "SELECT count(*) FROM organizations WHERE name LIKE 'Race %'",
                &[],
            )
        })
        .unwrap();
    assert_eq!(stored, 3, "the rule held: {outcomes:?}");
    let added = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    assert_eq!(
        added, 3,
        "each stored row was acknowledged once: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(_) | Err(orgreg::error::Error::Unavailable))),
        "{outcomes:?}"
    );
}

/// A pooled connection whose backend was killed is dropped and replaced on its own: the
/// next read succeeds, on another backend.
#[test]
fn a_broken_pooled_connection_is_replaced() {
    use orgreg::store::pgstore::PgStore;
    let Some(db) = TestDb::get() else { return };
    let store = PgStore::open(&db.url).expect("open");
    let pid = || {
        store
            .read(|tx| tx.scalar::<i64>("SELECT pg_backend_pid()::bigint", &[]))
            .unwrap()
    };
    let before = pid();
    let mut admin = db.client();
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&(before as i32)])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let after = pid();
    assert_ne!(before, after);
    // Writes go on too.
    store
        .write(|tx| orgs::insert(tx, &org_row(7, "After The Kill", "", None)))
        .unwrap();
}

/// A database set to `synchronous_commit = off` would let a 2xx precede a durable
/// commit: orgreg's sessions turn it back on; stricter settings are kept.
#[test]
fn sessions_never_run_with_synchronous_commit_off() {
    let Some(db) = TestDb::get() else { return };
    let setting = |url: &str| -> String {
        let store = orgreg::store::Store::open(url, orgreg::config::SyncMode::Full).expect("open");
        let got = store
            .read(|c| c.scalar::<String>("SELECT current_setting('synchronous_commit')", &[]))
            .expect("read");
        store.close();
        got
    };
    let mut owner = db.client();
    let name: String = owner
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);
    let set = |owner: &mut postgres::Client, v: &str| {
        owner
            .batch_execute(&format!(
                "ALTER DATABASE {name} SET synchronous_commit = {v}"
            ))
            .expect("the owner sets synchronous_commit on its database")
    };
    set(&mut owner, "off");
    let mut plain = db.client();
    let raw: String = plain
        .query_one("SELECT current_setting('synchronous_commit')", &[])
        .unwrap()
        .get(0);
    assert_eq!(raw, "on", "pg::connect itself turns it on");
    assert_eq!(setting(&db.url), "on");
    set(&mut owner, "remote_apply");
    assert_eq!(
        setting(&db.url),
        "remote_apply",
        "a stricter setting is kept"
    );
}
