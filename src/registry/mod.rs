//! Operations: everything the registry can do, whatever the wire format asking. Each
//! write runs in one transaction with its authorization decision (from `policy`, under the
//! caller's rule set) and its activity row inside it. The registry owns its connections:
//! callers hand it a `Ctx` and typed inputs, never a storage type. Nothing here knows
//! HTTP or JSON wire shapes.

pub mod activity;
pub mod auth;
pub mod customers;
pub mod fixtures;
pub mod idempotency;
pub mod invitations;
mod lookup;
pub mod members;
pub mod orgs;
pub mod policy;
pub mod rules;
pub mod users;

use crate::config::OrgCreate;
use crate::error::{Error, Result};
use crate::model::{self, User};
use crate::store::db::Db;
use crate::store::Store;
pub use rules::RuleSet;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Settings chosen at start that operations consult (whatever the surface).
#[derive(Debug, Clone)]
pub struct Settings {
    pub org_create: OrgCreate,
    pub max_owned_orgs: Option<u32>,
    /// Base URL for links sent out (invitations); None → the request's own.
    pub public_url: Option<String>,
}

pub struct Registry {
    pub store: Store,
    pub settings: Settings,
    pub auth: auth::AuthState,
    pub delivery: Box<dyn invitations::Delivery>,
    pub idempotency: idempotency::InFlight,
}

/// Who is asking, for which request, and under which surface's rules.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Option<User>,
    pub request_id: String,
    pub remote: Option<IpAddr>,
    pub rules: &'static RuleSet,
}

impl Ctx {
    /// An anonymous caller of `request_id` under `rules`.
    pub fn anonymous(request_id: &str, remote: Option<IpAddr>, rules: &'static RuleSet) -> Ctx {
        Ctx {
            actor: None,
            request_id: request_id.to_string(),
            remote,
            rules,
        }
    }

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
    pub fn new(store: Store, settings: Settings) -> Registry {
        let auth = auth::AuthState::default();
        let tokens = auth.tokens.clone();
        if store.is_shared() {
            tokens.disable();
        } else {
            store.on_commit(move |rows| tokens.invalidate(rows));
        }
        Registry {
            store,
            settings,
            auth,
            delivery: Box::new(invitations::LogDelivery),
            idempotency: Default::default(),
        }
    }

    /// The storage engine's name and state (see `Store::health`).
    pub fn health(&self) -> (&'static str, &'static str) {
        (self.store.engine_name(), self.store.health())
    }

    /// Runs `f` on a read connection the registry owns.
    pub(crate) fn read<T>(&self, f: impl FnMut(&crate::store::Conn) -> Result<T>) -> Result<T> {
        self.store.read(f)
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

impl<'a> Change<'a> {
    /// A change of organization `id` (its own feed).
    pub fn org(action: &'a str, id: &'a str, changes: Value) -> Change<'a> {
        Change {
            action,
            object_type: "organization",
            object_id: Some(id),
            organization: Some(id),
            changes,
        }
    }

    /// A change of user `id` (the global feed only).
    pub fn user(action: &'a str, id: &'a str, changes: Value) -> Change<'a> {
        Change {
            action,
            object_type: "user",
            object_id: Some(id),
            organization: None,
            changes,
        }
    }
}

pub fn record(tx: &impl Db, ctx: &Ctx, ch: Change) -> Result<()> {
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
            surface: ctx.rules.surface.to_string(),
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

/// Whether `if_match` (the entity tags a client sent, already unquoted, or `*`) names the
/// current revision `current`; absent means no precondition. 412 otherwise.
pub fn check_if_match(if_match: Option<&[String]>, current: &str) -> Result<()> {
    match if_match {
        None => Ok(()),
        Some(tags) if tags.iter().any(|t| t == "*" || t == current) => Ok(()),
        Some(_) => Err(Error::PreconditionFailed),
    }
}

/// The resources whose lists take field conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Users,
    Customers,
    Orgs,
    /// One organization's members.
    Members,
    /// Memberships across organizations.
    AllMembers,
    Invitations,
    Activity,
}

/// The fields a resource's lists filter and order on, by public name and kind.
pub fn fields(r: Resource) -> Vec<crate::query::FieldSpec> {
    use crate::store::{self, list::specs};
    specs(match r {
        Resource::Users => store::users::FIELDS,
        Resource::Customers => store::customers::FIELDS,
        Resource::Orgs => store::orgs::FIELDS,
        Resource::Members => store::members::FIELDS,
        Resource::AllMembers => store::members::GLOBAL_FIELDS,
        Resource::Invitations => store::invitations::FIELDS,
        Resource::Activity => store::activity::FIELDS,
    })
}
