//! Membership operations: list, add (one or many, all-or-nothing), join requests,
//! approve/reject, change role or activity, remove and leave. The invariant "an
//! organization always keeps an active owner" is checked here, inside the write
//! transaction, so two racing requests cannot both pass it.

use super::orgs::{load, OrgKey};
use super::policy::{OrgAccess, OrgAction};
use super::{record, Change, Ctx, Patch, Registry};
use crate::error::{Error, Errors, Result};
use crate::model::{self, MemberStatus, Membership, Org, Page, Role, User};
use crate::store::{self, list::ListQuery};
use rusqlite::Connection;
use serde_json::json;

/// Who a member route names: a user uuid, or `me`.
#[derive(Debug, Clone)]
pub enum Who {
    Me,
    User(String),
}

#[derive(Debug, Default, Clone)]
pub struct AddInput {
    /// User uuids (one for `user`, many for `users`).
    pub users: Vec<String>,
    /// Whether the body used `users` (bulk) rather than `user`.
    pub bulk: bool,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Default, Clone)]
pub struct MemberPatch {
    pub role: Patch<Role>,
    pub is_active: Patch<bool>,
}

pub fn etag(m: &Membership) -> String {
    format!("W/\"{}\"", m.version)
}

/// The organization for a member route. Pending and rejected members, and strangers,
/// get 404 here; `members/me` routes use `load_for_self` instead.
fn org_for_members(c: &Connection, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess)> {
    load(c, ctx, key)
}

/// The organization for the caller's own membership: found whenever the caller has a
/// membership in it (any status) or can see it.
fn load_for_self(c: &Connection, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess, Membership)> {
    let me = ctx.user()?;
    let org = match key {
        OrgKey::Id(id) => store::orgs::by_id(c, id)?,
        OrgKey::Name(n) => store::orgs::by_name(c, n)?,
        OrgKey::Seq(s) => store::orgs::by_seq(c, *s)?,
    }
    .ok_or(Error::NotFound)?;
    let access = OrgAccess::of(c, me, &org)?;
    let m = store::members::get(c, org.seq, me.seq)?.ok_or(Error::NotFound)?;
    Ok((org, access, m))
}

fn user_seq(c: &Connection, ctx: &Ctx, who: &Who) -> Result<Option<User>> {
    match who {
        Who::Me => Ok(Some(ctx.user()?.clone())),
        Who::User(id) => store::users::by_id(c, id),
    }
}

pub fn list(c: &Connection, ctx: &Ctx, key: &OrgKey, q: &ListQuery) -> Result<Page<Membership>> {
    let (org, access) = org_for_members(c, ctx, key)?;
    access.require(OrgAction::ListMembers)?;
    store::members::list(c, org.seq, q)
}

/// Memberships across organizations: staff see all; others their own and those of
/// organizations whose customer they own.
pub fn list_all(c: &Connection, ctx: &Ctx, q: &ListQuery) -> Result<Page<Membership>> {
    let me = ctx.user()?;
    store::members::list_all(c, (!me.is_staff).then_some(me.seq), q)
}

/// A membership by its id, with the caller's access to its organization. Whether the
/// caller may see it is the surface's rule.
pub fn by_id(c: &Connection, ctx: &Ctx, id: &str) -> Result<(Membership, OrgAccess)> {
    let me = ctx.user()?;
    let m = store::members::by_id(c, id)?.ok_or(Error::NotFound)?;
    let org = store::orgs::by_seq(c, m.organization_seq)?.ok_or(Error::NotFound)?;
    let access = OrgAccess::of(c, me, &org)?;
    Ok((m, access))
}

/// Files a pending membership for `user` (the caller, or anyone when staff asks).
/// `rule` sees the user's existing memberships inside the transaction and may refuse
/// (a surface's own rule, e.g. Waldur's one organization per user).
pub fn request_for(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    user_id: &str,
    rule: impl FnOnce(&[Membership]) -> Result<()>,
) -> Result<Membership> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let org = match key {
            OrgKey::Id(id) => store::orgs::by_id(tx, id)?,
            OrgKey::Name(n) => store::orgs::by_name(tx, n)?,
            OrgKey::Seq(s) => store::orgs::by_seq(tx, *s)?,
        }
        .ok_or(Error::NotFound)?;
        let user = store::users::by_id(tx, user_id)?.ok_or_else(|| Error::field("user", "Unknown user."))?;
        if user.seq != me.seq && !me.is_staff {
            return Err(Error::Forbidden("You may file requests for yourself only.".into()));
        }
        rule(&store::members::of_user(tx, user.seq)?)?;
        let access = OrgAccess::of(tx, &user, &org)?;
        access.require_join_request(&org)?;
        if store::members::get(tx, org.seq, user.seq)?.is_some() {
            return Err(Error::state("The user already has a membership or a pending request here."));
        }
        let now = model::now();
        let m = store::members::insert(
            tx,
            &store::members::NewMember {
                org: org.seq,
                user: user.seq,
                role: Role::Viewer,
                status: MemberStatus::Pending,
                is_active: true,
                approved_by: None,
                at: &now,
            },
        )?;
        write_change(
            tx,
            ctx,
            member_change("join_requested", &m, json!({"user": [null, m.user], "role": [null, "viewer"], "status": [null, "pending"]})),
        )?;
        Ok(m)
    })
}

/// Any user, by integer id, for a caller who manages members of `key` (AWX lets
/// organization admins add users they cannot otherwise see).
pub fn candidate(c: &Connection, ctx: &Ctx, key: &OrgKey, user_seq: i64) -> Result<User> {
    let (_, access) = org_for_members(c, ctx, key)?;
    access.require(OrgAction::ManageMembers)?;
    store::users::by_seq(c, user_seq)?.ok_or(Error::NotFound)
}

/// A page of memberships with each member's user record (profiles render users).
pub fn list_with_users(
    c: &Connection,
    ctx: &Ctx,
    key: &OrgKey,
    q: &ListQuery,
) -> Result<Page<(Membership, User)>> {
    let page = list(c, ctx, key, q)?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        if let Some(u) = store::users::by_seq(c, m.user_seq)? {
            items.push((m, u));
        }
    }
    Ok(Page {
        count: page.count,
        items,
    })
}

pub fn get(c: &Connection, ctx: &Ctx, key: &OrgKey, who: &Who) -> Result<Membership> {
    if let Who::Me = who {
        return load_for_self(c, ctx, key).map(|(_, _, m)| m);
    }
    let (org, access) = org_for_members(c, ctx, key)?;
    access.require(OrgAction::ListMembers)?;
    let user = user_seq(c, ctx, who)?.ok_or(Error::NotFound)?;
    store::members::get(c, org.seq, user.seq)?.ok_or(Error::NotFound)
}

/// Keeps `organizations.owner` pointing at an active owner after a membership change.
fn after_owner_change(tx: &Connection, ctx: &Ctx, org: &Org) -> Result<()> {
    super::orgs::repoint_owner(tx, ctx, org.seq)
}

/// 409 if `m` is the organization's last active owner and `still_owner` is false.
fn guard_last_owner(tx: &Connection, m: &Membership, still_owner: bool) -> Result<()> {
    let is_active_owner =
        m.role == Role::Owner && m.status == MemberStatus::Approved && m.is_active;
    if is_active_owner
        && !still_owner
        && store::members::active_owner_count(tx, m.organization_seq)? <= 1
    {
        return Err(Error::state(
            "The last active owner of an organization cannot be removed, demoted or deactivated.",
        ));
    }
    Ok(())
}

fn member_change(
    action: &str,
    m: &Membership,
    changes: serde_json::Value,
) -> (String, String, String, serde_json::Value) {
    (
        action.to_string(),
        m.id.clone(),
        m.organization.clone(),
        changes,
    )
}

fn write_change(
    tx: &Connection,
    ctx: &Ctx,
    c: (String, String, String, serde_json::Value),
) -> Result<()> {
    record(
        tx,
        ctx,
        Change {
            action: &c.0,
            object_type: "membership",
            object_id: Some(&c.1),
            organization: Some(&c.2),
            changes: c.3,
        },
    )
}

/// Adds members (managers), or files a join request (a non-member naming themself).
/// Returns the new memberships and whether this was a join request.
pub fn add(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    input: AddInput,
) -> Result<(Vec<Membership>, bool)> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let org = match key {
            OrgKey::Id(id) => store::orgs::by_id(tx, id)?,
            OrgKey::Name(n) => store::orgs::by_name(tx, n)?,
            OrgKey::Seq(s) => store::orgs::by_seq(tx, *s)?,
        }
        .ok_or(Error::NotFound)?;
        let access = OrgAccess::of(tx, &me, &org)?;
        let now = model::now();
        let self_only = !input.bulk && input.users.len() == 1 && input.users[0] == me.id;

        if self_only && access.manager_rank().is_none() {
            // A join request. Visible or not, the caller may ask to join.
            access.require_join_request(&org)?;
            let role = input.role.unwrap_or(Role::Viewer);
            let m = match store::members::get(tx, org.seq, me.seq)? {
                Some(existing) if existing.status == MemberStatus::Rejected => {
                    // A rejected request may be filed again.
                    let mut m = existing.clone();
                    m.status = MemberStatus::Pending;
                    m.role = role;
                    m.approved_at = None;
                    store::members::update(tx, &m, None, &now)?
                }
                Some(_) => return Err(Error::state("You already have a membership or a pending request here.")),
                None => store::members::insert(
                    tx,
                    &store::members::NewMember {
                        org: org.seq,
                        user: me.seq,
                        role,
                        status: MemberStatus::Pending,
                        is_active: true,
                        approved_by: None,
                        at: &now,
                    },
                )?,
            };
            write_change(
                tx,
                ctx,
                member_change("join_requested", &m, json!({"user": [null, m.user], "role": [null, m.role.as_str()], "status": [null, "pending"]})),
            )?;
            return Ok((vec![m], true));
        }

        let role = input.role.unwrap_or(Role::Viewer);
        access.require_grant(OrgAction::ManageMembers, role)?;
        let mut errors = Errors::default();
        let mut users = vec![];
        let mut seen = std::collections::HashSet::new();
        for id in &input.users {
            if !seen.insert(id.clone()) {
                continue;
            }
            match store::users::by_id(tx, id)? {
                None => errors.add(if input.bulk { "users" } else { "user" }, format!("Unknown user {id}.")),
                Some(u) => users.push(u),
            }
        }
        errors.into_result()?;
        for u in &users {
            if store::members::get(tx, org.seq, u.seq)?.is_some() {
                return Err(Error::conflict(
                    if input.bulk { "users" } else { "user" },
                    format!("User {} already has a membership in this organization.", u.id),
                ));
            }
        }
        let mut out = vec![];
        for u in &users {
            let m = store::members::insert(
                tx,
                &store::members::NewMember {
                    org: org.seq,
                    user: u.seq,
                    role,
                    status: MemberStatus::Approved,
                    is_active: input.is_active.unwrap_or(true),
                    approved_by: Some(me.seq),
                    at: &now,
                },
            )?;
            write_change(
                tx,
                ctx,
                member_change(
                    "member_added",
                    &m,
                    json!({"user": [null, m.user], "role": [null, m.role.as_str()], "status": [null, "approved"], "is_active": [null, m.is_active]}),
                ),
            )?;
            out.push(m);
        }
        after_owner_change(tx, ctx, &org)?;
        Ok((out, false))
    })
}

/// Approve or reject a pending membership.
pub fn decide(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    who: &Who,
    approve: bool,
) -> Result<Membership> {
    decide_from(reg, ctx, key, who, approve, &[MemberStatus::Pending])
}

/// Approve or reject a membership currently in one of `from` (surfaces differ: Waldur
/// approves and rejects in any state). Rejecting an active owner keeps the last-owner rule.
pub fn decide_from(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    who: &Who,
    approve: bool,
    from: &[MemberStatus],
) -> Result<Membership> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access) = org_for_members(tx, ctx, key)?;
        access.require(OrgAction::Approve)?;
        let user = user_seq(tx, ctx, who)?.ok_or(Error::NotFound)?;
        let mut m = store::members::get(tx, org.seq, user.seq)?.ok_or(Error::NotFound)?;
        if !from.contains(&m.status)
            || m.status
                == if approve {
                    MemberStatus::Approved
                } else {
                    MemberStatus::Rejected
                }
        {
            return Err(Error::state(format!(
                "The membership is {}, not pending.",
                m.status.as_str()
            )));
        }
        if !approve {
            if m.status == MemberStatus::Approved {
                // Rejecting an approved member takes their role away: rank rules apply.
                access.require_grant(OrgAction::Approve, m.role)?;
            }
            guard_last_owner(tx, &m, false)?;
        }
        let before = m.status;
        if approve {
            access.require_grant(OrgAction::Approve, m.role)?;
        }
        let now = model::now();
        m.status = if approve {
            MemberStatus::Approved
        } else {
            MemberStatus::Rejected
        };
        m.approved_at = approve.then(|| now.clone());
        let m = store::members::update(tx, &m, approve.then_some(me.seq), &now)?;
        write_change(
            tx,
            ctx,
            member_change(
                if approve { "approve" } else { "reject" },
                &m,
                json!({"status": [before.as_str(), m.status.as_str()]}),
            ),
        )?;
        after_owner_change(tx, ctx, &org)?;
        Ok(m)
    })
}

/// Changes role and/or activity. Managers change others within their rank; anyone may
/// lower their own role or deactivate themself (`me`). The last active owner stays.
pub fn update(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    who: &Who,
    patch: MemberPatch,
    if_match: Option<&str>,
) -> Result<Membership> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access, old) = match who {
            Who::Me => load_for_self(tx, ctx, key)?,
            Who::User(_) => {
                let (org, access) = org_for_members(tx, ctx, key)?;
                let user = user_seq(tx, ctx, who)?.ok_or(Error::NotFound)?;
                let m = store::members::get(tx, org.seq, user.seq)?.ok_or(Error::NotFound)?;
                (org, access, m)
            }
        };
        super::users::check_if_match(if_match, &etag(&old))?;
        let new_role = patch.role.unwrap_or(old.role);
        let new_active = patch.is_active.unwrap_or(old.is_active);
        access.require_member_change(
            old.user_seq == me.seq,
            (old.role, old.is_active),
            (new_role, new_active),
        )?;
        guard_last_owner(tx, &old, new_role == Role::Owner && new_active)?;
        if new_role == old.role && new_active == old.is_active {
            // Nothing changes: no new version, no activity row.
            return Ok(old);
        }
        let mut m = old.clone();
        m.role = new_role;
        m.is_active = new_active;
        let now = model::now();
        let m = store::members::update(tx, &m, None, &now)?;
        let mut changes = serde_json::Map::new();
        if old.role != m.role {
            changes.insert("role".into(), json!([old.role.as_str(), m.role.as_str()]));
        }
        if old.is_active != m.is_active {
            changes.insert("is_active".into(), json!([old.is_active, m.is_active]));
        }
        write_change(
            tx,
            ctx,
            member_change("member_updated", &m, serde_json::Value::Object(changes)),
        )?;
        after_owner_change(tx, ctx, &org)?;
        Ok(m)
    })
}

/// Removes a membership: managers within their rank, or the member themself (leave).
pub fn remove(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    who: &Who,
    if_match: Option<&str>,
) -> Result<()> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access, m) = match who {
            Who::Me => load_for_self(tx, ctx, key)?,
            Who::User(id) if *id == me.id => load_for_self(tx, ctx, key)?,
            Who::User(_) => {
                let (org, access) = org_for_members(tx, ctx, key)?;
                let user = user_seq(tx, ctx, who)?.ok_or(Error::NotFound)?;
                let m = store::members::get(tx, org.seq, user.seq)?.ok_or(Error::NotFound)?;
                (org, access, m)
            }
        };
        super::users::check_if_match(if_match, &etag(&m))?;
        access.require_member_removal(m.user_seq == me.seq, m.role)?;
        guard_last_owner(tx, &m, false)?;
        store::members::delete(tx, m.seq)?;
        write_change(
            tx,
            ctx,
            member_change(
                "member_removed",
                &m,
                json!({"user": [m.user, null], "role": [m.role.as_str(), null], "status": [m.status.as_str(), null]}),
            ),
        )?;
        after_owner_change(tx, ctx, &org)?;
        Ok(())
    })
}
