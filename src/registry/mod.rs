//! Operations: everything the registry can do, whatever the wire format asking. Each
//! write runs in one transaction with its authorization decision (from `policy`) and its
//! activity row inside it. Nothing here knows HTTP or JSON wire shapes.

pub mod activity;
pub mod auth;
pub mod customers;
pub mod idempotency;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod policy;
pub mod users;

use crate::config::OrgCreate;
use crate::error::{Error, Result};
use crate::model::{self, User};
use crate::store::Store;
use rusqlite::Connection;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Rules set at start that operations consult.
#[derive(Debug, Clone)]
pub struct Rules {
    pub org_create: OrgCreate,
    pub max_owned_orgs: Option<u32>,
    /// Base URL for links sent out (invitations); None → the request's own.
    pub public_url: Option<String>,
}

pub struct Registry {
    pub store: Store,
    pub rules: Rules,
    pub auth: auth::AuthState,
    pub delivery: Box<dyn invitations::Delivery>,
    pub idempotency: idempotency::InFlight,
}

/// Who is asking, and for which request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Option<User>,
    pub request_id: String,
    pub remote: Option<IpAddr>,
}

impl Ctx {
    /// The authenticated caller, or 401.
    pub fn user(&self) -> Result<&User> {
        self.actor.as_ref().ok_or_else(|| {
            Error::Unauthenticated("Authentication credentials were not provided.".into())
        })
    }
    pub fn is_staff(&self) -> bool {
        self.actor.as_ref().is_some_and(|u| u.is_staff)
    }
}

impl Registry {
    pub fn new(store: Store, rules: Rules) -> Registry {
        Registry {
            store,
            rules,
            auth: auth::AuthState::default(),
            delivery: Box::new(invitations::LogDelivery),
            idempotency: Default::default(),
        }
    }

    /// `SELECT 1` on the given connection: the database answers.
    pub fn healthy(&self, conn: &Connection) -> bool {
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
            .is_ok()
    }
}

/// One activity row for a change, written in the caller's transaction.
pub struct Change<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub changes: Value,
}

pub fn record(tx: &Connection, ctx: &Ctx, ch: Change) -> Result<()> {
    crate::store::activity::insert(
        tx,
        &model::Activity {
            id: model::new_id(),
            at: model::now(),
            actor: ctx.actor.as_ref().map(|u| u.id.clone()),
            action: ch.action.to_string(),
            object_type: ch.object_type.to_string(),
            object_id: ch.object_id.map(str::to_string),
            organization: ch.organization.map(str::to_string),
            changes: ch.changes,
            request_id: Some(ctx.request_id.clone()),
        },
    )
}

/// `{field: [old, new]}` for every field whose value differs between two snapshots
/// (either may be absent: a create or a delete).
pub fn diff(old: Option<&Map<String, Value>>, new: Option<&Map<String, Value>>) -> Value {
    let mut out = Map::new();
    let empty = Map::new();
    let (o, n) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let a = o.get(k).cloned().unwrap_or(Value::Null);
        let b = n.get(k).cloned().unwrap_or(Value::Null);
        if a != b {
            out.insert(k.clone(), Value::Array(vec![a, b]));
        }
    }
    Value::Object(out)
}

/// An optional field of a partial update: absent, or set (possibly to null).
pub type Patch<T> = Option<T>;
