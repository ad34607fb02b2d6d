//! The count cache: a list's `count` (and the bounded FTS candidate count that picks its
//! plan) kept between requests until the data changes.
//!
//! A count reads up to `COUNT_CAP + 1` rows, far more than the 20-row page it goes with,
//! and a client paging through a list asks for the same count on every page. The store
//! keeps each count statement's answer, keyed by its SQL and parameters (which hold the
//! caller's visibility, filters and search), with the **generation** it was read at.
//! Every commit of the writer moves the generation on before any of its writers
//! returns, so a count taken before an acknowledged write is never served after it. A
//! count is read at the generation current before its statement starts: one racing a
//! commit is stored under the older generation and never served.
//!
//! Writes by another process on the same file (a second `serve`, `import`) do not move
//! this process's generation; an entry is therefore also dropped after `MAX_AGE`.
//! Only reads through `Store::read` use the cache; a write transaction (which sees its
//! own uncommitted rows) always counts afresh.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a count may be served when nothing in this process wrote: the bound on how
/// late another process's writes show in counts.
pub const MAX_AGE: Duration = Duration::from_secs(2);
/// The most counts kept; the cache starts over when full.
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct Counts {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (i64, u64, Instant)>>,
}

impl Counts {
    /// Called after every commit, before its writers return.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self, key: &str, generation: u64) -> Option<i64> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(&(n, g, at)) if g == generation && at.elapsed() < MAX_AGE => Some(n),
            _ => None,
        }
    }

    fn put(&self, key: String, n: i64, generation: u64) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, (n, generation, Instant::now()));
    }

    /// Runs `f` with this cache serving the counts of the lists it reads.
    pub fn serving<T>(self: &Arc<Self>, f: impl FnOnce() -> T) -> T {
        let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(self.clone())));
        f()
    }
}

/// Runs `f` with no cache serving counts, even when called inside a `Store::read` (a
/// write transaction sees its own uncommitted rows, so its counts are never cached).
pub fn bypassing<T>(f: impl FnOnce() -> T) -> T {
    let _restore = Restore(CURRENT.with(|c| c.borrow_mut().take()));
    f()
}

/// Puts back the thread's cache when a `serving` or `bypassing` scope ends (a panic too).
struct Restore(Option<Arc<Counts>>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = self.0.take());
    }
}

thread_local! {
    /// The cache of the store whose `read` is running on this thread, if any.
    static CURRENT: RefCell<Option<Arc<Counts>>> = const { RefCell::new(None) };
}

/// The count that `sql` with `params` gives, through the cache when the thread is inside
/// a `Store::read`; `count` reads it from the database.
pub fn cached(
    sql: &str,
    params: &[super::db::V],
    count: impl FnOnce() -> crate::error::Result<i64>,
) -> crate::error::Result<i64> {
    let Some(cache) = CURRENT.with(|c| c.borrow().clone()) else {
        return count();
    };
    let key = format!("{sql}\u{0}{params:?}");
    let generation = cache.generation.load(Ordering::SeqCst);
    if let Some(n) = cache.get(&key, generation) {
        return Ok(n);
    }
    let n = count()?;
    cache.put(key, n, generation);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_served_until_the_generation_moves() {
        let c = Arc::new(Counts::default());
        let mut reads = 0;
        let mut count = |n| {
            c.serving(|| {
                cached("SELECT count(*)", &[], || {
                    reads += 1;
                    Ok(n)
                })
            })
            .unwrap()
        };
        assert_eq!(count(5), 5);
        assert_eq!(count(6), 5, "served from the cache");
        c.bump();
        assert_eq!(count(7), 7, "a commit moved the generation");
        assert_eq!(reads, 2);
    }

    #[test]
    fn outside_a_read_nothing_is_cached() {
        let mut reads = 0;
        for _ in 0..2 {
            cached("SELECT count(*)", &[], || {
                reads += 1;
                Ok(1)
            })
            .unwrap();
        }
        assert_eq!(reads, 2);
    }
}
