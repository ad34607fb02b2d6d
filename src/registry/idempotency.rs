//! `Idempotency-Key` on POST: the first response to a (user, key) is stored for 24 hours
//! and returned again for a retry with the same request; the same key with another
//! request is refused. Concurrent retries wait for the first to finish (an in-process
//! lock per key), so the operation runs once.

use super::Registry;
use crate::error::{Error, Result};
use crate::model;
use crate::store;
pub use crate::store::idempotency::Stored;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Condvar, Mutex};

pub const TTL_MS: i64 = 24 * 3600 * 1000;
pub const MAX_KEY_LEN: usize = 255;

#[derive(Default)]
pub struct InFlight {
    keys: Mutex<HashSet<(i64, String)>>,
    done: Condvar,
}

/// Holds the key while its first request runs; releases it on drop.
pub struct Guard<'a> {
    inflight: &'a InFlight,
    key: (i64, String),
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let mut keys = self.inflight.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.remove(&self.key);
        self.inflight.done.notify_all();
    }
}

/// What a request body and route hash to.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}

pub enum Begin<'a> {
    /// Run the request, then `finish` with its response.
    Run(Guard<'a>),
    /// A stored response to replay.
    Replay(Stored),
}

/// Waits for any in-flight request with this key, then either replays its stored answer
/// (same request), refuses (another request: 422), or lets this one run.
pub fn begin<'a>(
    reg: &'a Registry,
    c: &Connection,
    user: i64,
    key: &str,
    hash: &[u8],
) -> Result<Begin<'a>> {
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(Error::BadRequest(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters."
        )));
    }
    let slot = (user, key.to_string());
    {
        let mut keys = reg
            .idempotency
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        while keys.contains(&slot) {
            keys = reg
                .idempotency
                .done
                .wait(keys)
                .unwrap_or_else(|p| p.into_inner());
        }
        keys.insert(slot.clone());
    }
    let guard = Guard {
        inflight: &reg.idempotency,
        key: slot,
    };
    let not_before = model::format_ms(model::now_ms() - TTL_MS);
    match store::idempotency::get(c, user, key, &not_before)? {
        Some(s) if s.request_hash == hash => Ok(Begin::Replay(s)),
        Some(_) => Err(Error::Unprocessable(
            "This Idempotency-Key was used with a different request.".into(),
        )),
        None => Ok(Begin::Run(guard)),
    }
}

/// Stores a successful first response (errors are not kept: retrying them is harmless).
pub fn finish(reg: &Registry, user: i64, key: &str, stored: Stored) -> Result<()> {
    if !(200..300).contains(&stored.status) {
        return Ok(());
    }
    let now_ms = model::now_ms();
    reg.store.write(|tx| {
        store::idempotency::purge(tx, &model::format_ms(now_ms - TTL_MS))?;
        store::idempotency::put(tx, user, key, &stored, &model::format_ms(now_ms))
    })
}
