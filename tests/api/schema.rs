//! Schema versions as a user meets them: a fresh database is at the latest version, data
//! survives a restart, and a database newer than the binary refuses to start.

use crate::support::*;
use orgreg::config::SyncMode;
use std::time::Duration;

fn user_version(db: &std::path::Path) -> i64 {
    let c = orgreg::store::open_connection(db, SyncMode::Normal, false).expect("open");
    c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .expect("user_version")
}

fn newer_database(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let db = dir.path().join("future.db");
    let store = orgreg::store::Store::open(db.to_str().unwrap(), SyncMode::Normal).expect("open");
    store
        .reader()
        .expect("reader")
        .execute_batch("PRAGMA user_version=999")
        .expect("set user_version");
    store.close();
    drop(store);
    assert_eq!(user_version(&db), 999);
    db
}

#[test]
fn fresh_database_is_at_the_latest_schema_version() {
    if sqlite_only("PRAGMA user_version; tests/pg/schema.rs checks PostgreSQL's") {
        return;
    }
    let s = Server::start();
    assert_eq!(user_version(&s.db), orgreg::store::migrate::latest());
}

#[test]
fn data_and_tokens_survive_a_restart_without_a_second_admin() {
    let s = Server::start();
    let id = s.create_org(&s.admin, "Durable");
    let s = s.restart(|_| {});
    let r = s.get(&format!("/v1/organizations/{id}"), &s.admin);
    r.ok(200);
    assert_eq!(r["name"], "Durable");
    let staff = s.get("/v1/users?is_staff=true", &s.admin);
    assert_eq!(staff["count"], 1, "{}", staff.text);
}

#[test]
fn newer_schema_refuses_to_start_in_process() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = newer_database(&dir);
    let mut cfg = orgreg::config::Config::for_tests(db.to_str().unwrap());
    cfg.admin_token = Some(ADMIN_TOKEN.into());
    match orgreg::start(cfg) {
        Ok(r) => {
            r.stop();
            panic!("a database at schema 999 must not start");
        }
        Err(e) => assert!(e.contains("999"), "the error names the version: {e}"),
    }
    assert_eq!(user_version(&db), 999, "the database is left untouched");
}

#[test]
fn newer_schema_refuses_to_start_from_the_command_line() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = newer_database(&dir);
    let mut child = orgreg_cmd()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("ORGREG_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(20));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("orgreg kept running on a database newer than itself");
    };
    let out = child.wait_with_output().unwrap();
    assert!(!status.success(), "exit status {status:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("999"), "stderr explains: {err}");
    assert_eq!(user_version(&db), 999);
}
