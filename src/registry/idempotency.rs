//! `Idempotency-Key` on POST: the first response to a (user, key) is stored for 24 hours
//! and returned again for a retry with the same request; the same key with another
//! request is refused. Concurrent retries wait for the first to finish (an in-process
//! lock per key, and on PostgreSQL also an advisory lock per key across every process on
//! the database), so the operation runs once.
//!
//! A first response can hold a one-time secret (a new token, an invitation token), so the
//! stored body is sealed: XORed with a SHA-256 counter-mode keystream whose key is derived
//! from the caller's credential (the `Authorization` value, never stored) and the
//! idempotency key, with a random nonce per row. Only a retry presenting the same
//! credential can read it back; a database dump cannot.

use super::Registry;
use crate::error::{Error, Result};
use crate::model;
use crate::store;
pub use crate::store::idempotency::Stored;
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

/// Holds the key while its first request runs; releases it on drop. On PostgreSQL it
/// also holds the key across processes (`Store::hold`).
pub struct Guard<'a> {
    inflight: &'a InFlight,
    key: (i64, String),
    _across: Option<Box<store::pgstore::Held<'a>>>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let mut keys = self.inflight.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.remove(&self.key);
        self.inflight.done.notify_all();
    }
}

/// The sealing key for one (credential, idempotency key).
fn sealing_key(credential: &str, key: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"orgreg idempotency v1\0");
    h.update(credential.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    h.finalize().into()
}

fn keystream_xor(k: &[u8; 32], nonce: &[u8], data: &mut [u8]) {
    for (i, block) in data.chunks_mut(32).enumerate() {
        let mut h = Sha256::new();
        h.update(k);
        h.update(nonce);
        h.update((i as u64).to_be_bytes());
        let pad: [u8; 32] = h.finalize().into();
        for (b, p) in block.iter_mut().zip(pad.iter()) {
            *b ^= p;
        }
    }
}

/// nonce (16 random bytes) followed by the body XORed with the keystream.
pub fn seal(credential: &str, key: &str, body: &[u8]) -> Vec<u8> {
    use rand::RngCore;
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut out = body.to_vec();
    keystream_xor(&sealing_key(credential, key), &nonce, &mut out);
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&out);
    sealed
}

pub fn open(credential: &str, key: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 16 {
        return None;
    }
    let (nonce, data) = sealed.split_at(16);
    let mut out = data.to_vec();
    keystream_xor(&sealing_key(credential, key), nonce, &mut out);
    Some(out)
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
    user: i64,
    credential: &str,
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
    let mut guard = Guard {
        inflight: &reg.idempotency,
        key: slot,
        _across: None,
    };
    // Other processes on the same database: one at a time per key there too (the
    // in-process slot above keeps this to one connection per key per process).
    let mut name = b"orgreg idempotency\0".to_vec();
    name.extend_from_slice(&user.to_be_bytes());
    name.extend_from_slice(key.as_bytes());
    guard._across = reg.store.hold(&name)?.map(Box::new);
    let not_before = model::format_ms(model::now_ms() - TTL_MS);
    match reg.read(|c| store::idempotency::get(c, user, key, &not_before))? {
        Some(mut s) if s.request_hash == hash => {
            // The same user with another credential cannot open the body: run again is
            // wrong (a second effect), so refuse.
            s.body = open(credential, key, &s.body)
                .filter(|b| std::str::from_utf8(b).is_ok())
                .ok_or_else(|| {
                    Error::Unprocessable(
                        "This Idempotency-Key was used with other credentials.".into(),
                    )
                })?;
            Ok(Begin::Replay(s))
        }
        Some(_) => Err(Error::Unprocessable(
            "This Idempotency-Key was used with a different request.".into(),
        )),
        None => Ok(Begin::Run(guard)),
    }
}

/// Stores a successful first response, sealed (errors are not kept: retrying them is
/// harmless).
pub fn finish(
    reg: &Registry,
    user: i64,
    credential: &str,
    key: &str,
    mut stored: Stored,
) -> Result<()> {
    if !(200..300).contains(&stored.status) {
        return Ok(());
    }
    stored.body = seal(credential, key, &stored.body);
    let now_ms = model::now_ms();
    reg.store.write(|tx| {
        store::idempotency::purge(tx, &model::format_ms(now_ms - TTL_MS))?;
        store::idempotency::put(tx, user, key, &stored, &model::format_ms(now_ms))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bodies_open_only_with_the_same_credential_and_key() {
        let body = br#"{"token":"org_very_secret_value_that_must_not_be_stored_in_clear"}"#;
        let sealed = seal("Bearer org_a", "k1", body);
        assert!(!sealed.windows(10).any(|w| w == b"org_very_s"));
        assert_eq!(open("Bearer org_a", "k1", &sealed).unwrap(), body.to_vec());
        assert_ne!(open("Bearer org_b", "k1", &sealed).unwrap(), body.to_vec());
        assert_ne!(open("Bearer org_a", "k2", &sealed).unwrap(), body.to_vec());
        assert_ne!(
            seal("Bearer org_a", "k1", body),
            sealed,
            "a fresh nonce each time"
        );
    }
}
