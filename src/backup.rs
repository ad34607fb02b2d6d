//! `orgreg backup --db PATH OUT`: an online, consistent copy of the database.
//!
//! The copy is made with `VACUUM INTO` on a read connection of its own. In WAL mode a
//! reader never blocks the writer and the writer never blocks a reader, so a running
//! server keeps committing while the copy is written; the copy is the snapshot the read
//! transaction saw when it began, so it holds every write committed (acknowledged)
//! before the backup started, and nothing half-written. The copy is written next to OUT
//! under a temporary name, switched to the rollback journal (one self-contained file, no
//! `-wal` beside it), checked (`PRAGMA integrity_check`, `PRAGMA foreign_key_check`),
//! synced, and only then renamed to OUT.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What a finished backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub bytes: u64,
    pub schema_version: i64,
    pub organizations: i64,
    pub users: i64,
}

/// Copies the database at `db` to `out` (which must not exist yet).
pub fn backup(db: &Path, out: &Path) -> Result<Report, String> {
    if out.exists() {
        return Err(format!(
            "{} already exists; a backup never overwrites a file",
            out.display()
        ));
    }
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    let tmp = temp_name(out);
    let result = copy_and_check(db, &tmp);
    match result {
        Ok(report) => {
            std::fs::rename(&tmp, out)
                .map_err(|e| format!("cannot rename the copy to {}: {e}", out.display()))?;
            sync_dir(out);
            Ok(report)
        }
        Err(e) => {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let mut p = tmp.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
            Err(e)
        }
    }
}

fn temp_name(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    out.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn copy_and_check(db: &Path, tmp: &Path) -> Result<Report, String> {
    fn err(what: &'static str) -> impl Fn(rusqlite::Error) -> String {
        move |e| format!("{what}: {e}")
    }
    // A plain read-write connection without CREATE: it joins the WAL as a reader; no
    // pragma here changes the source file.
    let src = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err("cannot open the database"))?;
    src.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(err("busy timeout"))?;
    let tmp_str = tmp
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", tmp.display()))?;
    src.execute("VACUUM INTO ?", [tmp_str])
        .map_err(err("VACUUM INTO failed"))?;
    drop(src);

    let copy = Connection::open(tmp).map_err(err("cannot open the copy"))?;
    // VACUUM INTO keeps the WAL flag of the source; a backup is one file.
    let mode: String = copy
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(err("journal mode"))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(format!("the copy stayed in journal mode {mode}"));
    }
    let integrity: Vec<String> = copy
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(err("integrity_check"))?;
    if integrity != ["ok"] {
        return Err(format!(
            "the copy fails integrity_check: {}",
            integrity.join("; ")
        ));
    }
    let fk: i64 = copy
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(err("foreign_key_check"))?;
    if fk != 0 {
        return Err(format!("the copy fails foreign_key_check ({fk} rows)"));
    }
    let count = |table: &str| -> Result<i64, String> {
        copy.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| format!("counting {table}: {e}"))
    };
    let report = Report {
        bytes: 0,
        schema_version: copy
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err("user_version"))?,
        organizations: count("organizations").unwrap_or(0),
        users: count("users").unwrap_or(0),
    };
    copy.close()
        .map_err(|(_, e)| format!("closing the copy: {e}"))?;
    let f = std::fs::File::open(tmp).map_err(|e| format!("cannot reopen the copy: {e}"))?;
    f.sync_all()
        .map_err(|e| format!("cannot sync the copy: {e}"))?;
    let bytes = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Report { bytes, ..report })
}

/// fsync the directory so the rename itself is durable (best effort).
fn sync_dir(out: &Path) {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
