//! User operations: list, read, create (staff), update, delete, and `me`.

use super::{auth, check_if_match, diff, policy, record, Change, Ctx, Patch, Registry};
use crate::error::{Error, Result};
use crate::model::{self, Membership, Page, Revision, User};
use crate::query::ListQuery;
use crate::store;
use crate::store::db::Db;
use serde_json::{json, Map, Value};

/// Fields a create or update may set (already type-checked by the wire layer).
#[derive(Debug, Default, Clone)]
pub struct UserInput {
    pub username: Patch<String>,
    pub email: Patch<Option<String>>,
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub company: Patch<String>,
    pub job_title: Patch<String>,
    pub avatar_url: Patch<Option<String>>,
    pub preferred_language: Patch<String>,
    pub metadata: Patch<Value>,
    pub is_active: Patch<bool>,
    pub is_staff: Patch<bool>,
    pub is_service_account: Patch<bool>,
    pub password: Patch<Option<String>>,
}

/// The fields an activity row compares.
pub fn snapshot(u: &User) -> Map<String, Value> {
    let v = json!({
        "username": u.username, "email": u.email, "first_name": u.first_name,
        "last_name": u.last_name, "company": u.company, "job_title": u.job_title,
        "avatar_url": u.avatar_url, "preferred_language": u.preferred_language,
        "metadata": u.metadata, "is_active": u.is_active, "is_staff": u.is_staff,
        "is_service_account": u.is_service_account,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// How a caller names a user: its uuid, or the integer id profiles show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserKey {
    Id(String),
    Seq(i64),
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserKey::Id(id) => f.write_str(id),
            UserKey::Seq(seq) => write!(f, "{seq}"),
        }
    }
}

pub(super) fn find(c: &impl Db, key: &UserKey) -> Result<Option<User>> {
    match key {
        UserKey::Id(id) => store::users::by_id(c, id),
        UserKey::Seq(seq) => store::users::by_seq(c, *seq),
    }
}

/// Users the caller may see: staff all, others themselves and their co-members.
pub fn list(reg: &Registry, ctx: &Ctx, q: &ListQuery) -> Result<Page<User>> {
    let me = ctx.user()?;
    reg.read(|c| store::users::list(c, (!me.is_staff).then_some(me.seq), q))
}

/// A user the caller may see (404 otherwise).
pub fn get(reg: &Registry, ctx: &Ctx, key: &UserKey) -> Result<User> {
    let me = ctx.user()?;
    reg.read(|c| {
        let user = find(c, key)?.ok_or(Error::NotFound)?;
        if policy::may_read_user(c, me, &user)? {
            Ok(user)
        } else {
            Err(Error::NotFound)
        }
    })
}

/// The caller's own record and memberships.
pub fn me(reg: &Registry, ctx: &Ctx) -> Result<(User, Vec<Membership>)> {
    let me = ctx.user()?;
    reg.read(|c| {
        let user = store::users::by_seq(c, me.seq)?.ok_or(Error::NotFound)?;
        Ok((user, store::members::of_user(c, me.seq)?))
    })
}

fn apply(u: &mut User, input: &UserInput) {
    let i = input.clone();
    if let Some(v) = i.username {
        u.username = v;
    }
    if let Some(v) = i.email {
        u.email = v;
    }
    if let Some(v) = i.first_name {
        u.first_name = v;
    }
    if let Some(v) = i.last_name {
        u.last_name = v;
    }
    if let Some(v) = i.company {
        u.company = v;
    }
    if let Some(v) = i.job_title {
        u.job_title = v;
    }
    if let Some(v) = i.avatar_url {
        u.avatar_url = v;
    }
    if let Some(v) = i.preferred_language {
        u.preferred_language = v;
    }
    if let Some(v) = i.metadata {
        u.metadata = v;
    }
    if let Some(v) = i.is_active {
        u.is_active = v;
    }
    if let Some(v) = i.is_staff {
        u.is_staff = v;
    }
    if let Some(v) = i.is_service_account {
        u.is_service_account = v;
    }
}

pub fn create(reg: &Registry, ctx: &Ctx, input: UserInput) -> Result<User> {
    let me = ctx.user()?.clone();
    policy::require_staff(&me)?;
    let username = input
        .username
        .clone()
        .ok_or_else(|| Error::field("username", "This field is required."))?;
    let hash = match input.password.clone().flatten() {
        Some(p) => Some(auth::hash_password(reg, &p)?),
        None => None,
    };
    let now = model::now();
    let mut user = User::blank(username, &now);
    apply(&mut user, &input);
    reg.store.write(|tx| {
        let user = store::users::insert(tx, &user, hash.as_deref())?;
        record(
            tx,
            ctx,
            Change::user("create", &user.id, diff(None, Some(&snapshot(&user)))),
        )?;
        Ok(user)
    })
}

/// Compares `If-Match` with the current ETag (`*` matches any).
pub fn update(
    reg: &Registry,
    ctx: &Ctx,
    id: &str,
    input: UserInput,
    if_match: Option<&[String]>,
) -> Result<User> {
    let me = ctx.user()?.clone();
    if !me.is_staff {
        let mut errors = crate::error::Errors::default();
        for (set, field) in [
            (input.is_staff.is_some(), "is_staff"),
            (input.is_active.is_some(), "is_active"),
            (input.is_service_account.is_some(), "is_service_account"),
        ] {
            if set {
                errors.add(field, "This field is read-only for you.");
            }
        }
        errors.into_result()?;
    }
    let hash = match input.password.clone().flatten() {
        Some(p) => Some(auth::hash_password(reg, &p)?),
        None => None,
    };
    reg.store.write(|tx| {
        let old = store::users::by_id(tx, id)?.ok_or(Error::NotFound)?;
        policy::require_user_write(tx, &me, &old)?;
        check_if_match(if_match, &old.revision())?;
        let mut new = old.clone();
        apply(&mut new, &input);
        guard_last_staff(tx, &old, new.is_staff && new.is_active)?;
        if hash.is_none() && snapshot(&new) == snapshot(&old) {
            // Nothing changes: no new version, no activity row.
            return Ok(old);
        }
        new.modified = model::now();
        let user = store::users::update(tx, &new, hash.as_deref())?;
        let mut changes = diff(Some(&snapshot(&old)), Some(&snapshot(&user)));
        if hash.is_some() {
            changes["password"] = json!(["(hidden)", "(changed)"]);
        }
        record(
            tx,
            ctx,
            Change {
                action: "update",
                object_type: "user",
                object_id: Some(&user.id),
                organization: None,
                changes,
            },
        )?;
        Ok(user)
    })
}

/// The registry always keeps one active staff user: the last one cannot be deleted,
/// deactivated or lose `is_staff` (409), so nobody locks the registry out.
fn guard_last_staff(tx: &impl Db, old: &User, still_active_staff: bool) -> Result<()> {
    if old.is_staff
        && old.is_active
        && !still_active_staff
        && store::users::active_staff_count(tx)? <= 1
    {
        return Err(Error::state(
            "The last active staff user cannot be deleted, deactivated or demoted.",
        ));
    }
    Ok(())
}

pub fn delete(reg: &Registry, ctx: &Ctx, id: &str, if_match: Option<&[String]>) -> Result<()> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let old = store::users::by_id(tx, id)?.ok_or(Error::NotFound)?;
        policy::require_user_write(tx, &me, &old)?;
        check_if_match(if_match, &old.revision())?;
        guard_last_staff(tx, &old, false)?;
        let sole = store::users::sole_owner_of(tx, old.seq)?;
        if !sole.is_empty() {
            return Err(Error::state(format!(
                "The user is the last active owner of {} organization(s) ({}); transfer ownership first.",
                sole.len(),
                sole.join(", ")
            )));
        }
        let memberships = store::members::of_user(tx, old.seq)?;
        // Each organization's trail records the membership that goes with the user.
        for m in &memberships {
            record(
                tx,
                ctx,
                Change {
                    action: "member_removed",
                    object_type: "membership",
                    object_id: Some(&m.id),
                    organization: Some(&m.organization),
                    changes: json!({"user": [m.user, null], "role": [m.role.as_str(), null], "status": [m.status.as_str(), null]}),
                },
            )?;
        }
        let orgs: Vec<i64> = memberships.iter().map(|m| m.organization_seq).collect();
        store::users::delete(tx, old.seq)?;
        // Organizations that recorded this user as owner now name a remaining owner.
        for org in orgs {
            super::lookup::repoint_owner(tx, ctx, org)?;
        }
        record(tx, ctx, Change::user("delete", &old.id, diff(Some(&snapshot(&old)), None)))
    })
}

/// Deletes user `seq` if they belong to no organization any more and are not staff (a
/// rule set's `delete_orphaned_users`), recording it; inside the caller's transaction.
pub(super) fn delete_if_orphaned(tx: &impl Db, ctx: &Ctx, seq: i64) -> Result<()> {
    let Some(user) = store::users::by_seq(tx, seq)? else {
        return Ok(());
    };
    if user.is_staff || !store::members::of_user(tx, seq)?.is_empty() {
        return Ok(());
    }
    store::users::delete(tx, seq)?;
    record(
        tx,
        ctx,
        Change::user("delete", &user.id, diff(Some(&snapshot(&user)), None)),
    )
}
