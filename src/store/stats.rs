//! Figures for `/metrics`: what the writer is doing — how many threads are waiting for the
//! writer connection (queue depth) and how long the last commit took — the database's
//! size on disk, and row counts current at the time of asking.
//!
//! The writer figures are a stand-in until the group-commit writer exposes its own
//! `Store::writer_stats`: process-wide counters kept around `Store::write` (several
//! stores in one process — tests — share them).

use super::Store;
use crate::error::Result;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

static WAITING: AtomicUsize = AtomicUsize::new(0);
static LAST_COMMIT_MICROS: AtomicU64 = AtomicU64::new(0);

/// Counts a thread as queued for the writer until dropped (a panic included).
pub(super) struct Waiting(());

impl Waiting {
    pub(super) fn enter() -> Waiting {
        WAITING.fetch_add(1, Ordering::Relaxed);
        Waiting(())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(super) fn committed(took: std::time::Duration) {
    LAST_COMMIT_MICROS.store(took.as_micros() as u64, Ordering::Relaxed);
}

impl Store {
    /// (threads waiting for the writer, microseconds the last commit took).
    pub fn writer_stats(&self) -> (usize, u64) {
        (
            WAITING.load(Ordering::Relaxed),
            LAST_COMMIT_MICROS.load(Ordering::Relaxed),
        )
    }
}

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
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM users), \
                 (SELECT count(*) FROM memberships WHERE status = 'approved'), \
                 (SELECT count(*) FROM memberships WHERE status = 'pending')",
                [],
                |r| {
                    Ok(Counts {
                        organizations: r.get(0)?,
                        users: r.get(1)?,
                        members: r.get(2)?,
                        pending_memberships: r.get(3)?,
                    })
                },
            )?)
        })
    }

    /// Bytes on disk: the database file and its write-ahead log (0 for a missing file).
    pub fn file_sizes(&self) -> (u64, u64) {
        let size = |suffix: &str| {
            let mut p = self.path().to_path_buf().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        };
        (size(""), size("-wal"))
    }
}
