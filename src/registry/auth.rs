//! Credentials: API/login tokens (random, shown once, stored as SHA-256), passwords
//! (argon2id PHC strings), the failed-login limiter, the bootstrap admin, and resolving an
//! `Authorization` header to a user. Never logs or returns a secret or a hash.

use super::{record, Change, Ctx, Registry};
use crate::error::{Error, Result};
use crate::model::{self, Token, User};
use crate::store;
use crate::store::db::Db;
use argon2::password_hash::{
    rand_core::OsRng as PhOsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN_PREFIX: &str = "org_";
/// Login tokens (POST /v1/auth/login) live this long.
pub const LOGIN_TOKEN_TTL_MS: i64 = 24 * 3600 * 1000;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_FAILURES: usize = 10;
const BASIC_CACHE_TTL: Duration = Duration::from_secs(300);

/// In-memory state: failed-login windows, a bound on concurrent password hashes, and a
/// short cache of verified Basic credentials (keyed by a digest, never the password).
#[derive(Default)]
pub struct AuthState {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    hashing: Mutex<usize>,
    hashing_done: Condvar,
    verified: Mutex<HashMap<[u8; 32], Instant>>,
    /// Token digest → its live token and active user (see `TokenCache`).
    pub(super) tokens: Arc<TokenCache>,
}

/// How long a cached token is trusted without a look at the database. Every change this
/// process makes to a user or token invalidates at once (`TokenCache::invalidate`); this
/// bound is only for changes made by another process on the same file.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);
/// At most this many tokens are cached; a full cache starts over.
const TOKEN_CACHE_MAX: usize = 10_000;

/// The authenticated read path without SQL: a token's digest → the token's id, expiry and
/// `last_used`, and its (active) user, as last read. The writer reports after each commit,
/// before any writer returns, the `users` and `tokens` rows it wrote (`Store::on_commit`);
/// entries of those rows are dropped then and the generation moves on, so a revocation,
/// deactivation, password or staff change, or user delete is seen by the very next
/// request. A lookup that started before such a commit (generation read before its
/// snapshot) is not cached.
///
/// Off when other processes write the same database (PostgreSQL): their commits are not
/// heard here, so every request reads its token afresh.
#[derive(Default)]
pub struct TokenCache {
    inner: Mutex<CacheInner>,
    off: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct CacheInner {
    generation: u64,
    map: HashMap<[u8; 32], Cached>,
}

#[derive(Clone)]
struct Cached {
    token_seq: i64,
    token_id: String,
    expires_ms: Option<i64>,
    last_used_ms: Option<i64>,
    user: User,
    at: Instant,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Turns the cache off for good (a database other processes write).
    pub fn disable(&self) {
        self.off.store(true, std::sync::atomic::Ordering::Relaxed);
        self.lock().map.clear();
    }

    fn is_off(&self) -> bool {
        self.off.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A live cached entry for `hash` at `now_ms`.
    fn get(&self, hash: &[u8; 32], now_ms: i64) -> Option<Cached> {
        if self.is_off() {
            return None;
        }
        let inner = self.lock();
        let c = inner.map.get(hash)?;
        (c.at.elapsed() < TOKEN_CACHE_TTL && c.expires_ms.is_none_or(|e| e > now_ms))
            .then(|| c.clone())
    }

    /// Caches what a lookup that began at `generation` read, unless a change was
    /// committed since.
    fn put(&self, generation: u64, hash: [u8; 32], entry: Cached) {
        if self.is_off() {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.map.len() >= TOKEN_CACHE_MAX {
            inner.map.clear();
        }
        inner.map.insert(hash, entry);
    }

    /// Drops the entries of the written `users` and `tokens` rows (called by the writer
    /// after each commit).
    pub fn invalidate(&self, rows: &[crate::store::Changed]) {
        let mut users = HashSet::new();
        let mut tokens = HashSet::new();
        for (table, rowid) in rows {
            match *table {
                "users" => users.insert(*rowid),
                _ => tokens.insert(*rowid),
            };
        }
        let mut inner = self.lock();
        inner.generation += 1;
        inner
            .map
            .retain(|_, c| !users.contains(&c.user.seq) && !tokens.contains(&c.token_seq));
    }

    /// How many tokens are cached (tests, metrics).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl AuthState {
    fn prune(q: &mut VecDeque<Instant>, now: Instant) {
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > FAILURE_WINDOW)
        {
            q.pop_front();
        }
    }

    /// 429 with the seconds until a slot frees if any key has too many recent failures.
    fn check(&self, keys: &[String]) -> Result<()> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for k in keys {
            if let Some(q) = map.get_mut(k) {
                Self::prune(q, now);
                if q.len() >= MAX_FAILURES {
                    let oldest = *q.front().expect("non-empty");
                    let wait = FAILURE_WINDOW
                        .saturating_sub(now.duration_since(oldest))
                        .as_secs()
                        + 1;
                    return Err(Error::RateLimited(wait));
                }
            }
        }
        Ok(())
    }

    fn fail(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, q| {
                Self::prune(q, now);
                !q.is_empty()
            });
        }
        for k in keys {
            let q = map.entry(k.clone()).or_default();
            Self::prune(q, now);
            q.push_back(now);
        }
    }

    fn succeed(&self, username_key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(username_key);
    }

    /// Runs `f` while holding one of a bounded number of hashing slots (argon2 costs
    /// ~19 MiB and tens of milliseconds each).
    fn with_hash_slot<T>(&self, f: impl FnOnce() -> T) -> T {
        let max = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2);
        {
            let mut n = self.hashing.lock().unwrap_or_else(|p| p.into_inner());
            while *n >= max {
                n = self.hashing_done.wait(n).unwrap_or_else(|p| p.into_inner());
            }
            *n += 1;
        }
        let out = f();
        *self.hashing.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.hashing_done.notify_one();
        out
    }
}

pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A new token secret: `org_` + 43 URL-safe characters (32 bytes from the OS RNG).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The short visible part shown in token lists.
pub fn visible_prefix(secret: &str) -> String {
    secret.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

pub fn hash_password(reg: &Registry, password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut PhOsRng);
    reg.auth
        .with_hash_slot(|| {
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(reg: &Registry, phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    reg.auth.with_hash_slot(|| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

fn unauthenticated() -> Error {
    Error::Unauthenticated("Invalid credentials.".into())
}

/// Resolves an `Authorization` header (Bearer, Token or Basic) to an active user.
/// No header → Ok(None); a header that does not authenticate → 401.
pub fn authenticate(reg: &Registry, header: Option<&str>, ctx: &Ctx) -> Result<Option<User>> {
    let Some(h) = header else { return Ok(None) };
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "token" => token_user(reg, rest).map(Some),
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(unauthenticated)?;
            let (username, password) = decoded.split_once(':').ok_or_else(unauthenticated)?;
            // Locked out (too many failures): outside the login route this is simply not
            // authenticated; the Retry-After hint stays.
            password_user(reg, username, password, ctx)
                .map(Some)
                .map_err(|e| match e {
                    Error::RateLimited(s) => Error::LockedOut(s),
                    other => other,
                })
        }
        _ => Err(unauthenticated()),
    }
}

/// The active user owning a live token with this secret.
pub fn token_user(reg: &Registry, secret: &str) -> Result<User> {
    if secret.is_empty() || secret.len() > 512 {
        return Err(unauthenticated());
    }
    let now_ms = model::now_ms();
    let hash = hash_secret(secret);
    let cache = &reg.auth.tokens;
    let (token_id, last_used_ms, user) = match cache.get(&hash, now_ms) {
        Some(c) => (c.token_id, c.last_used_ms, c.user),
        None => {
            let generation = cache.generation();
            let now = model::format_ms(now_ms);
            let (live, user) = reg.read(|c| {
                let live = store::tokens::lookup(c, &hash, &now)?.ok_or_else(unauthenticated)?;
                let user = store::users::by_seq(c, live.user)?
                    .filter(|u| u.is_active)
                    .ok_or_else(unauthenticated)?;
                Ok((live, user))
            })?;
            let last_used_ms = live.last_used.as_deref().and_then(model::parse_time);
            let expires_ms = live.expires.as_deref().map(model::parse_time);
            // An expiry that does not parse is not cached (the database decides each time).
            if let Some(expires_ms) = expires_ms.map_or(Some(None), |e| e.map(Some)) {
                cache.put(
                    generation,
                    hash,
                    Cached {
                        token_seq: live.seq,
                        token_id: live.id.clone(),
                        expires_ms,
                        last_used_ms,
                        user: user.clone(),
                        at: Instant::now(),
                    },
                );
            }
            (live.id, last_used_ms, user)
        }
    };
    // last_used is kept to the minute: a write at most once a minute per token (the
    // write drops the cached entry; the next request reads the token again).
    if last_used_ms.is_none_or(|t| now_ms - t > 60_000) {
        let now = model::format_ms(now_ms);
        reg.store
            .write(|tx| store::tokens::touch(tx, &token_id, &now))?;
    }
    Ok(user)
}

/// Verifies a username and password (rate limited per username and address).
pub fn password_user(reg: &Registry, username: &str, password: &str, ctx: &Ctx) -> Result<User> {
    let ukey = format!("u:{}", model::fold(username));
    let mut keys = vec![ukey.clone()];
    if let Some(ip) = ctx.remote {
        keys.push(format!("a:{ip}"));
    }
    reg.auth.check(&keys)?;
    let found = reg.read(|c| store::users::password_hash_by_username(c, username))?;
    let ok = match &found {
        Some((user, Some(phc))) if user.is_active => {
            let mut h = Sha256::new();
            h.update(username.as_bytes());
            h.update([0]);
            h.update(password.as_bytes());
            h.update([0]);
            h.update(phc.as_bytes());
            let key: [u8; 32] = h.finalize().into();
            let cached = reg
                .auth
                .verified
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .is_some_and(|t| t.elapsed() < BASIC_CACHE_TTL);
            if cached {
                true
            } else if verify_password(reg, phc, password) {
                let mut v = reg.auth.verified.lock().unwrap_or_else(|p| p.into_inner());
                if v.len() > 10_000 {
                    v.retain(|_, t| t.elapsed() < BASIC_CACHE_TTL);
                }
                v.insert(key, Instant::now());
                true
            } else {
                false
            }
        }
        _ => {
            // Spend comparable time on unknown users so timing does not reveal them.
            let _ = hash_password(reg, password);
            false
        }
    };
    if let (true, Some((user, _))) = (ok, &found) {
        reg.auth.succeed(&ukey);
        return Ok(user.clone());
    }
    reg.auth.fail(&keys);
    let object = found.as_ref().map(|(u, _)| u.id.clone());
    reg.store.write(|tx| {
        record(
            tx,
            ctx,
            Change {
                action: "login_failed",
                object_type: "user",
                object_id: object.as_deref(),
                organization: None,
                changes: serde_json::json!({}),
            },
        )
    })?;
    Err(unauthenticated())
}

/// `POST /v1/auth/login`: a login token (24 h) for a username and password.
pub fn login(
    reg: &Registry,
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<(String, Token, User)> {
    let user = password_user(reg, username, password, ctx)?;
    login_token(reg, ctx, user, "login")
}

/// A new login token (24 h) for `user`, recorded as theirs.
fn login_token(reg: &Registry, ctx: &Ctx, user: User, name: &str) -> Result<(String, Token, User)> {
    let ctx = Ctx {
        actor: Some(user.clone()),
        ..ctx.clone()
    };
    let expires = model::format_ms(model::now_ms() + LOGIN_TOKEN_TTL_MS);
    let (secret, token) = reg
        .store
        .write(|tx| mint(tx, &ctx, &user, "login", name, Some(&expires)))?;
    Ok((secret, token, user))
}

/// Creates a token row and its activity row in `tx`; returns the secret (shown once).
pub fn mint(
    tx: &impl Db,
    ctx: &Ctx,
    user: &User,
    kind: &str,
    name: &str,
    expires: Option<&str>,
) -> Result<(String, Token)> {
    let secret = new_secret();
    let token = store::tokens::insert(
        tx,
        &store::tokens::NewToken {
            id: &model::new_id(),
            user: user.seq,
            kind,
            name,
            prefix: &visible_prefix(&secret),
            hash: &hash_secret(&secret),
            expires,
            at: &model::now(),
        },
    )?;
    if kind != "session" {
        record(
            tx,
            ctx,
            Change {
                action: "token_created",
                object_type: "token",
                object_id: Some(&token.id),
                organization: None,
                changes: serde_json::json!({"name": [null, name], "kind": [null, kind]}),
            },
        )?;
    }
    Ok((secret, token))
}

/// A login token (24 h) in exchange for a live API token (ZenML's API-key login:
/// `POST /auth/login` with the key as the password).
pub fn exchange_token(reg: &Registry, ctx: &Ctx, key: &str) -> Result<(String, Token, User)> {
    let user = token_user(reg, key)?;
    login_token(reg, ctx, user, "api key login")
}

/// A session for a username and password (profile cookie logins): stored like a token,
/// kind `session`, valid `ttl_ms`. Returns its secret.
pub fn start_session(
    reg: &Registry,
    ctx: &Ctx,
    username: &str,
    password: &str,
    ttl_ms: i64,
) -> Result<String> {
    let user = password_user(reg, username, password, ctx)?;
    let ctx = Ctx {
        actor: Some(user.clone()),
        ..ctx.clone()
    };
    let expires = model::format_ms(model::now_ms() + ttl_ms);
    reg.store
        .write(|tx| mint(tx, &ctx, &user, "session", "session", Some(&expires)))
        .map(|(s, _)| s)
}

/// An API token for the caller, who names themself by username, uuid or integer id
/// (AWX's `users/{name}/personal_tokens/`); anyone else is 403.
pub fn create_token_as(
    reg: &Registry,
    ctx: &Ctx,
    named: &str,
    name: &str,
) -> Result<(String, Token)> {
    let me = ctx.user()?;
    if me.username != named && me.id != named && me.seq.to_string() != named {
        return Err(Error::Forbidden(
            "Tokens are created for yourself only.".into(),
        ));
    }
    create_token(reg, ctx, name, None)
}

pub fn create_token(
    reg: &Registry,
    ctx: &Ctx,
    name: &str,
    expires: Option<&str>,
) -> Result<(String, Token)> {
    let user = ctx.user()?.clone();
    reg.store
        .write(|tx| mint(tx, ctx, &user, "api", name, expires))
}

pub fn list_tokens(
    reg: &Registry,
    ctx: &Ctx,
    limit: i64,
    offset: i64,
) -> Result<model::Page<Token>> {
    let me = ctx.user()?.seq;
    reg.read(|c| store::tokens::list(c, me, &model::now(), limit, offset))
}

pub fn revoke_token(reg: &Registry, ctx: &Ctx, id: &str) -> Result<()> {
    let user = ctx.user()?.clone();
    reg.store.write(|tx| {
        let token =
            store::tokens::by_id(tx, user.seq, id)?.filter(|t| !t.revoked && t.kind != "session");
        let token = token.ok_or(Error::NotFound)?;
        store::tokens::revoke(tx, user.seq, &token.id)?;
        record(
            tx,
            ctx,
            Change {
                action: "token_revoked",
                object_type: "token",
                object_id: Some(&token.id),
                organization: None,
                changes: serde_json::json!({"revoked": [false, true]}),
            },
        )
    })
}

/// On a database without staff: creates the `admin` staff user with the given token (or
/// a random one) and password. Returns the token secret if one was made.
pub fn bootstrap(
    reg: &Registry,
    token: Option<&str>,
    password: Option<&str>,
) -> Result<Option<String>> {
    let hash = password.map(|p| hash_password(reg, p)).transpose()?;
    reg.store.write(|tx| {
        if store::users::staff_exists(tx)? {
            return Ok(None);
        }
        let now = model::now();
        let mut username = "admin".to_string();
        let mut n = 1;
        while store::users::by_username(tx, &username)?.is_some() {
            n += 1;
            username = format!("admin{n}");
        }
        let user = store::users::insert(
            tx,
            &User {
                is_staff: true,
                ..User::blank(username, &now)
            },
            hash.as_deref(),
        )?;
        let ctx = Ctx::anonymous("bootstrap", None, &super::rules::NATIVE);
        record(
            tx,
            &ctx,
            Change::user(
                "create",
                &user.id,
                serde_json::json!({"username": [null, user.username], "is_staff": [null, true]}),
            ),
        )?;
        let secret = match token {
            Some(t) => t.to_string(),
            None => new_secret(),
        };
        store::tokens::insert(
            tx,
            &store::tokens::NewToken {
                id: &model::new_id(),
                user: user.seq,
                kind: "api",
                name: "bootstrap",
                prefix: &visible_prefix(&secret),
                hash: &hash_secret(&secret),
                expires: None,
                at: &now,
            },
        )?;
        Ok(Some(secret))
    })
}

/// `orgreg token create --user NAME`: mints an API token offline.
pub fn mint_offline(reg: &Registry, username: &str, name: &str) -> Result<String> {
    let ctx = Ctx::anonymous("cli", None, &super::rules::NATIVE);
    reg.store.write(|tx| {
        let user = store::users::by_username(tx, username)?
            .ok_or_else(|| Error::BadRequest(format!("no user named {username:?}")))?;
        let ctx = Ctx {
            actor: Some(user.clone()),
            ..ctx.clone()
        };
        mint(tx, &ctx, &user, "api", name, None).map(|(s, _)| s)
    })
}
