//! Membership operations: list, add (one or many, all-or-nothing), join requests,
//! approve/reject, change role or activity, remove and leave, and AWX-style
//! association. A membership is named by organization and member, or by its own id;
//! who sees and changes it is the caller's rule set's answer (`policy`). The invariants
//! "an organization always keeps an active owner" and "one organization per user" (where
//! the rule set has it) are checked here, inside the write transaction, so two racing
//! requests cannot both pass them.

use super::lookup::{find, load, OrgKey};
use super::policy::{OrgAccess, OrgAction};
use super::users::UserKey;
use super::{check_if_match, record, Change, Ctx, Patch, Registry};
use crate::error::{Broken, Error, Errors, Result};
use crate::model::{self, MemberStatus, Membership, Org, Page, Revision, Role, User};
use crate::query::ListQuery;
use crate::store;
use crate::store::db::Db;
use serde_json::json;

/// Who a member route names: a user uuid, or `me`.
#[derive(Debug, Clone)]
pub enum Who {
    Me,
    User(String),
}

/// How a caller names one membership.
#[derive(Debug, Clone)]
pub enum MemberKey {
    /// By organization and member.
    In(OrgKey, Who),
    /// By the membership's own id (Waldur organization-users).
    Id(String),
}

/// Which memberships a list covers.
#[derive(Debug, Clone)]
pub enum MemberScope {
    /// One organization's members.
    Org(OrgKey),
    /// Across organizations: staff see all; others their own and those of organizations
    /// whose customer they own.
    All,
}

#[derive(Debug, Default, Clone)]
pub struct AddInput {
    /// The users (one for `user`, many for `users`).
    pub users: Vec<UserKey>,
    /// Whether the body used `users` (bulk) rather than `user`.
    pub bulk: bool,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// What an add did.
#[derive(Debug)]
pub struct Added {
    pub members: Vec<Membership>,
    /// A non-member named only themself: a join request was filed.
    pub join_request: bool,
    pub org: Org,
}

#[derive(Debug, Default, Clone)]
pub struct MemberPatch {
    pub role: Patch<Role>,
    pub is_active: Patch<bool>,
}

/// The organization for the caller's own membership: found whenever the caller has a
/// membership in it (any status) or can see it.
fn load_for_self(c: &impl Db, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess, Membership)> {
    let me = ctx.user()?;
    let org = find(c, key)?.ok_or(Error::NotFound)?;
    let access = OrgAccess::of(c, ctx.rules, me, &org)?;
    let m = store::members::get(c, org.seq, me.seq)?.ok_or(Error::NotFound)?;
    Ok((org, access, m))
}

/// Resolves a membership the caller may see, with its organization and the caller's
/// access. `uuid_is_self`: a member route naming the caller's own uuid resolves like `me`
/// (pending members reach their own request). `first` is required of the caller on the
/// organization before another member is looked up (so a stranger learns nothing).
fn resolve(
    c: &impl Db,
    ctx: &Ctx,
    key: &MemberKey,
    uuid_is_self: bool,
    first: OrgAction,
) -> Result<(Org, OrgAccess, Membership)> {
    let me = ctx.user()?;
    match key {
        MemberKey::In(org, Who::Me) => load_for_self(c, ctx, org),
        MemberKey::In(org, Who::User(id)) if uuid_is_self && *id == me.id => {
            load_for_self(c, ctx, org)
        }
        MemberKey::In(org, Who::User(id)) => {
            let (org, access) = load(c, ctx, org)?;
            access.require(first)?;
            let user = store::users::by_id(c, id)?.ok_or(Error::NotFound)?;
            let m = store::members::get(c, org.seq, user.seq)?.ok_or(Error::NotFound)?;
            Ok((org, access, m))
        }
        MemberKey::Id(id) => {
            let m = store::members::by_id(c, id)?.ok_or(Error::NotFound)?;
            let org = store::orgs::by_seq(c, m.organization_seq)?.ok_or(Error::NotFound)?;
            let access = OrgAccess::of(c, ctx.rules, me, &org)?;
            if !access.may_see_membership(me, &m) {
                return Err(Error::NotFound);
            }
            Ok((org, access, m))
        }
    }
}

pub fn list(
    reg: &Registry,
    ctx: &Ctx,
    scope: &MemberScope,
    q: &ListQuery,
) -> Result<Page<Membership>> {
    let me = ctx.user()?;
    reg.read(|c| match scope {
        MemberScope::Org(key) => {
            let (org, access) = load(c, ctx, key)?;
            access.require(OrgAction::ListMembers)?;
            store::members::list(c, org.seq, q)
        }
        MemberScope::All => store::members::list_all(c, (!me.is_staff).then_some(me.seq), q),
    })
}

/// A page of an organization's memberships with each member's user record (profiles
/// that list an organization's users render whole user objects).
pub fn list_users(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    q: &ListQuery,
) -> Result<Page<(Membership, User)>> {
    reg.read(|c| {
        let (org, access) = load(c, ctx, key)?;
        access.require(OrgAction::ListMembers)?;
        let page = store::members::list(c, org.seq, q)?;
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
    })
}

pub fn get(reg: &Registry, ctx: &Ctx, key: &MemberKey) -> Result<Membership> {
    reg.read(|c| resolve(c, ctx, key, false, OrgAction::ListMembers).map(|(_, _, m)| m))
}

/// Files a pending membership for `user_id` (the caller, or anyone when staff asks) in
/// organization `key` — Waldur's organization-users create. Under a one-organization-
/// per-user rule set, a user who already has any membership is refused.
pub fn request(reg: &Registry, ctx: &Ctx, key: &OrgKey, user_id: &str) -> Result<Membership> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let org = find(tx, key)?.ok_or(Error::NotFound)?;
        let user = store::users::by_id(tx, user_id)?
            .ok_or_else(|| Error::field("user", "Unknown user."))?;
        if user.seq != me.seq && !me.is_staff {
            return Err(Error::Forbidden("You may file requests for yourself only.".into()));
        }
        if ctx.rules.one_org_per_user && !store::members::of_user(tx, user.seq)?.is_empty() {
            return Err(Error::Rule(Broken::OneOrgPerUser));
        }
        let access = OrgAccess::of(tx, ctx.rules, &user, &org)?;
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

/// Keeps `organizations.owner` pointing at an active owner after a membership change.
fn after_owner_change(tx: &impl Db, ctx: &Ctx, org: &Org) -> Result<()> {
    super::lookup::repoint_owner(tx, ctx, org.seq)
}

/// 409 if `m` is the organization's last active owner and `still_owner` is false.
fn guard_last_owner(tx: &impl Db, m: &Membership, still_owner: bool) -> Result<()> {
    let is_active_owner =
        m.role == Role::Owner && m.status == MemberStatus::Approved && m.is_active;
    if is_active_owner
        && !still_owner
        && store::members::active_owner_count(tx, m.organization_seq)? <= 1
    {
        return Err(Error::Rule(Broken::LastOwner));
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
    tx: &impl Db,
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
/// Returns the new memberships, whether this was a join request, and the organization
/// as the add left it.
pub fn add(reg: &Registry, ctx: &Ctx, key: &OrgKey, input: AddInput) -> Result<Added> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let org = find(tx, key)?.ok_or(Error::NotFound)?;
        let access = OrgAccess::of(tx, ctx.rules, &me, &org)?;
        let now = model::now();
        let names_me = |k: &UserKey| match k {
            UserKey::Id(id) => *id == me.id,
            UserKey::Seq(seq) => *seq == me.seq,
        };
        let self_only = !input.bulk && input.users.len() == 1 && names_me(&input.users[0]);

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
            return Ok(Added {
                members: vec![m],
                join_request: true,
                org,
            });
        }

        let role = input.role.unwrap_or(Role::Viewer);
        access.require_grant(OrgAction::ManageMembers, role)?;
        let mut errors = Errors::default();
        let mut users = vec![];
        let mut seen = std::collections::HashSet::new();
        for key in &input.users {
            if !seen.insert(key.clone()) {
                continue;
            }
            match super::users::find(tx, key)? {
                None => errors.add(if input.bulk { "users" } else { "user" }, format!("Unknown user {key}.")),
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
        let org = store::orgs::by_seq(tx, org.seq)?.ok_or(Error::NotFound)?;
        Ok(Added {
            members: out,
            join_request: false,
            org,
        })
    })
}

/// Approve or reject a membership: natively a pending request, under Waldur's rules
/// one in any state (deciding it again is a no-op). Rejecting an approved member takes
/// their role away: rank rules and the last-owner rule apply.
pub fn decide(reg: &Registry, ctx: &Ctx, key: &MemberKey, approve: bool) -> Result<Membership> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access, mut m) = resolve(tx, ctx, key, false, OrgAction::Approve)?;
        access.require(OrgAction::Approve)?;
        let target = if approve {
            MemberStatus::Approved
        } else {
            MemberStatus::Rejected
        };
        if !access.decidable(m.status) {
            return Err(Error::state(format!(
                "The membership is {}, not pending.",
                m.status.as_str()
            )));
        }
        if m.status == target {
            return Ok(m);
        }
        if !approve {
            if m.status == MemberStatus::Approved {
                access.require_grant(OrgAction::Approve, m.role)?;
            }
            guard_last_owner(tx, &m, false)?;
        }
        let before = m.status;
        if approve {
            access.require_grant(OrgAction::Approve, m.role)?;
        }
        let now = model::now();
        m.status = target;
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
    key: &MemberKey,
    patch: MemberPatch,
    if_match: Option<&[String]>,
) -> Result<Membership> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access, old) = resolve(tx, ctx, key, false, OrgAction::ListMembers)?;
        check_if_match(if_match, &old.revision())?;
        patch_one(tx, ctx, &org, &access, &me, old, &patch)
    })
}

/// Applies `patch` to membership `old` if the caller may change it so.
fn patch_one(
    tx: &impl Db,
    ctx: &Ctx,
    org: &Org,
    access: &OrgAccess,
    me: &User,
    old: Membership,
    patch: &MemberPatch,
) -> Result<Membership> {
    let new_role = patch.role.unwrap_or(old.role);
    let new_active = patch.is_active.unwrap_or(old.is_active);
    access.require_member_change(
        old.user_seq == me.seq,
        (old.role, old.is_active),
        (new_role, new_active),
    )?;
    change(tx, ctx, org, old, new_role, new_active)
}

/// Sets a membership's role and activity (already authorised), keeping the last owner;
/// records the change and re-points the organization's owner.
fn change(
    tx: &impl Db,
    ctx: &Ctx,
    org: &Org,
    old: Membership,
    new_role: Role,
    new_active: bool,
) -> Result<Membership> {
    {
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
        after_owner_change(tx, ctx, org)?;
        Ok(m)
    }
}

/// Removes a membership: under the rule set's removers (natively managers within their
/// rank, or the member themself: leave). The last active owner stays.
pub fn remove(
    reg: &Registry,
    ctx: &Ctx,
    key: &MemberKey,
    if_match: Option<&[String]>,
) -> Result<()> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access, m) = resolve(tx, ctx, key, true, OrgAction::ListMembers)?;
        check_if_match(if_match, &m.revision())?;
        access.require_removal(m.user_seq == me.seq, &m)?;
        delete(tx, ctx, &org, &m)
    })
}

/// Deletes a membership (already authorised), keeping the last owner; records it and
/// re-points the organization's owner.
fn delete(tx: &impl Db, ctx: &Ctx, org: &Org, m: &Membership) -> Result<()> {
    guard_last_owner(tx, m, false)?;
    store::members::delete(tx, m.seq)?;
    write_change(
        tx,
        ctx,
        member_change(
            "member_removed",
            m,
            json!({"user": [m.user, null], "role": [m.role.as_str(), null], "status": [m.status.as_str(), null]}),
        ),
    )?;
    after_owner_change(tx, ctx, org)
}

/// AWX-style association, in one transaction: `on` makes `user` an approved member
/// (an admin when `admin`, else a viewer; an existing member is promoted to admin when
/// `admin` asks for it and kept as is otherwise); off demotes an admin to viewer
/// (`admin`) or removes the member. Organization managers only; a user who is not
/// associated is a no-op.
pub fn associate(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    user: &UserKey,
    admin: bool,
    on: bool,
) -> Result<()> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access) = load(tx, ctx, key)?;
        access.require(OrgAction::ManageMembers)?;
        let target = match user {
            UserKey::Id(id) => store::users::by_id(tx, id)?,
            UserKey::Seq(seq) => store::users::by_seq(tx, *seq)?,
        }
        .ok_or_else(|| Error::field("user", "Unknown user."))?;
        let current = store::members::get(tx, org.seq, target.seq)?;
        match (on, current) {
            (true, None) => {
                let role = if admin { Role::Admin } else { Role::Viewer };
                access.require_grant(OrgAction::ManageMembers, role)?;
                let now = model::now();
                let m = store::members::insert(
                    tx,
                    &store::members::NewMember {
                        org: org.seq,
                        user: target.seq,
                        role,
                        status: MemberStatus::Approved,
                        is_active: true,
                        approved_by: Some(me.seq),
                        at: &now,
                    },
                )?;
                write_change(tx, ctx, member_change("member_added", &m, json!({"user": [null, m.user], "role": [null, m.role.as_str()], "status": [null, "approved"], "is_active": [null, true]})))?;
                after_owner_change(tx, ctx, &org)
            }
            (true, Some(m)) if admin && !m.role.at_least(Role::Admin) => {
                access.require_member_change(m.user_seq == me.seq, (m.role, m.is_active), (Role::Admin, m.is_active))?;
                let active = m.is_active;
                change(tx, ctx, &org, m, Role::Admin, active).map(|_| ())
            }
            (false, Some(m)) if admin && m.role.at_least(Role::Admin) => {
                access.require_member_change(m.user_seq == me.seq, (m.role, m.is_active), (Role::Viewer, m.is_active))?;
                let active = m.is_active;
                change(tx, ctx, &org, m, Role::Viewer, active).map(|_| ())
            }
            (false, Some(m)) if !admin => {
                access.require_member_removal(m.user_seq == me.seq, m.role)?;
                delete(tx, ctx, &org, &m)
            }
            _ => Ok(()),
        }
    })
}

/// The memberships of `users` in the organization, every one named (all-or-nothing: an
/// unknown user or a non-member is a 400 naming it).
fn members_of(tx: &impl Db, org: &Org, users: &[UserKey], field: &str) -> Result<Vec<Membership>> {
    let mut errors = Errors::default();
    let mut out: Vec<Membership> = vec![];
    for key in users {
        match super::users::find(tx, key)? {
            None => errors.add(field, format!("Unknown user {key}.")),
            Some(u) => match store::members::get(tx, org.seq, u.seq)? {
                None => errors.add(
                    field,
                    format!("User {key} is not a member of this organization."),
                ),
                Some(m) if out.iter().any(|o| o.seq == m.seq) => {}
                Some(m) => out.push(m),
            },
        }
    }
    errors.into_result()?;
    Ok(out)
}

/// Changes role and/or activity of several members at once, in one transaction: every
/// user must be a member the caller may change (else nothing changes), and the last
/// active owner stays.
pub fn update_many(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    users: &[UserKey],
    patch: MemberPatch,
) -> Result<(Vec<Membership>, Org)> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access) = load(tx, ctx, key)?;
        access.require(OrgAction::ListMembers)?;
        let mut out = vec![];
        for old in members_of(tx, &org, users, "user_ids")? {
            // Re-read: an earlier change in this batch may have moved the owner.
            let old = store::members::get(tx, org.seq, old.user_seq)?.ok_or(Error::NotFound)?;
            out.push(patch_one(tx, ctx, &org, &access, &me, old, &patch)?);
        }
        let org = store::orgs::by_seq(tx, org.seq)?.ok_or(Error::NotFound)?;
        Ok((out, org))
    })
}

/// Removes several members at once, in one transaction (all-or-nothing), under the rule
/// set's removers; the last active owner stays.
pub fn remove_many(reg: &Registry, ctx: &Ctx, key: &OrgKey, users: &[UserKey]) -> Result<()> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (org, access) = load(tx, ctx, key)?;
        access.require(OrgAction::ListMembers)?;
        for m in members_of(tx, &org, users, "user_ids")? {
            access.require_removal(m.user_seq == me.seq, &m)?;
            delete(tx, ctx, &org, &m)?;
        }
        Ok(())
    })
}
