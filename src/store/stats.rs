//! Figures for `/metrics`: what the writer is doing — how many threads are waiting for the
//! writer connection (queue depth) and how long the last commit took — the database's
//! size on disk, and row counts current at the time of asking.
//!
//! The writer figures are the group-commit writer's own (`Store::writer_stats` in
//! `store/mod.rs`).

use super::db::Db;
use super::Store;
use crate::error::Result;

/// Rows counted at the time of asking.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub organizations: i64,
    pub users: i64,
    /// Approved memberships.
    pub members: i64,
    pub pending_memberships: i64,
}

impl Store {
    pub fn counts(&self) -> Result<Counts> {
        self.read(|c| {
            c.one(
                "SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM users), \
                 (SELECT count(*) FROM memberships WHERE status = 'approved'), \
                 (SELECT count(*) FROM memberships WHERE status = 'pending')",
                &[],
                |r| {
                    Ok(Counts {
                        organizations: r.get(0)?,
                        users: r.get(1)?,
                        members: r.get(2)?,
                        pending_memberships: r.get(3)?,
                    })
                },
            )?
            .ok_or_else(|| crate::error::Error::Internal("no counts".into()))
        })
    }

    /// Bytes on disk: the database file and its write-ahead log (0 for a missing file).
    /// On PostgreSQL: the database's size (`pg_database_size`) and 0 for the log, which
    /// is the whole cluster's.
    pub fn file_sizes(&self) -> (u64, u64) {
        let Some(db) = self.sqlite() else {
            let size =
                self.read(|c| c.scalar::<i64>("SELECT pg_database_size(current_database())", &[]));
            return (size.unwrap_or(0).max(0) as u64, 0);
        };
        let size = |suffix: &str| {
            let mut p = db.path().to_path_buf().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        };
        (size(""), size("-wal"))
    }
}
