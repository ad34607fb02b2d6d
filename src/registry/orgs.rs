//! Organization operations: list, read (by id or unique name), create (the owner becomes
//! an active owner member in the same transaction, optionally with a first invitation),
//! update, delete, summary. The caller's rule set decides who sees and changes what; the
//! rules that depend on other rows (organization limit, one organization per customer)
//! are checked inside the writing transaction for every method that can break them.

use super::invitations::InviteInput;
use super::lookup::load;
pub use super::lookup::{repoint_owner, OrgKey};
use super::policy::{OrgAccess, OrgAction};
use super::rules::OrgReaders;
use super::{check_if_match, diff, policy, record, Change, Ctx, Patch, Registry};
use crate::error::{Broken, Error, Result};
use crate::model::{self, Invitation, MemberStatus, Org, Page, Revision, Role, User};
use crate::query::ListQuery;
use crate::store::db::Db;
use crate::store::{self, orgs::OrgRow};
use serde_json::{json, Map, Value};

#[derive(Debug, Default, Clone)]
pub struct OrgInput {
    pub name: Patch<String>,
    pub description: Patch<String>,
    pub native_name: Patch<String>,
    pub abbreviation: Patch<Option<String>>,
    pub logo_url: Patch<Option<String>>,
    pub currency_code: Patch<Option<String>>,
    /// Customer uuid or null.
    pub customer: Patch<Option<String>>,
    /// Owner user uuid.
    pub owner: Patch<String>,
    pub metadata: Patch<Value>,
    pub accepts_join_requests: Patch<bool>,
    /// The id a create should use (a dashed uuid; profiles whose clients choose ids).
    pub id: Patch<String>,
}

pub fn snapshot(o: &Org) -> Map<String, Value> {
    match json!({
        "name": o.name, "description": o.description, "native_name": o.native_name,
        "abbreviation": o.abbreviation, "logo_url": o.logo_url, "currency_code": o.currency_code,
        "customer": o.customer, "owner": o.owner.as_ref().map(|u| u.id.clone()),
        "metadata": o.metadata, "accepts_join_requests": o.accepts_join_requests,
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The organizations the caller sees under its rule set.
pub fn list(reg: &Registry, ctx: &Ctx, q: &ListQuery) -> Result<Page<Org>> {
    let me = ctx.user()?;
    let everyone = me.is_staff || ctx.rules.org_readers == OrgReaders::AnyUser;
    reg.read(|c| store::orgs::list(c, (!everyone).then_some(me.seq), q))
}

pub fn get(reg: &Registry, ctx: &Ctx, key: &OrgKey) -> Result<Org> {
    reg.read(|c| load(c, ctx, key).map(|(o, _)| o))
}

/// `list` with each organization's owner as a whole user record (profiles that render
/// the owner object).
pub fn list_with_owners(
    reg: &Registry,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<Page<(Org, Option<User>)>> {
    let page = list(reg, ctx, q)?;
    let owners = reg.read(|c| {
        page.items
            .iter()
            .map(|o| owner_of(c, o))
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(Page {
        count: page.count,
        items: page.items.into_iter().zip(owners).collect(),
    })
}

/// `get` with the owner as a whole user record.
pub fn get_with_owner(reg: &Registry, ctx: &Ctx, key: &OrgKey) -> Result<(Org, Option<User>)> {
    reg.read(|c| {
        let (o, _) = load(c, ctx, key)?;
        let owner = owner_of(c, &o)?;
        Ok((o, owner))
    })
}

fn owner_of(c: &impl Db, o: &Org) -> Result<Option<User>> {
    match &o.owner {
        Some(u) => store::users::by_seq(c, u.seq),
        None => Ok(None),
    }
}

/// The customer an organization is to belong to: one the caller may use, and, under a
/// one-organization-per-customer rule set, one without an organization yet.
fn resolve_customer(tx: &impl Db, ctx: &Ctx, id: &str) -> Result<i64> {
    let me = ctx.user()?;
    let unknown = || Error::field("customer", "Unknown customer.");
    let cu = store::customers::by_id(tx, id)?.ok_or_else(unknown)?;
    if !policy::may_use_customer(tx, me, cu.seq)? {
        return Err(unknown());
    }
    if ctx.rules.one_org_per_customer && store::customers::org_count(tx, cu.seq)? > 0 {
        return Err(Error::Rule(Broken::OneOrgPerCustomer));
    }
    Ok(cu.seq)
}

/// The organization limit (the tighter of the registry's setting and the rule set's),
/// checked for `owner` inside the transaction.
fn check_limit(reg: &Registry, ctx: &Ctx, tx: &impl Db, owner: i64) -> Result<()> {
    let limit = match (reg.settings.max_owned_orgs, ctx.rules.owned_limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(max) = limit {
        if store::orgs::owned_count(tx, owner)? >= max as i64 {
            return Err(Error::Rule(Broken::OrgLimit(max)));
        }
    }
    Ok(())
}

fn apply(row: &mut OrgRow, input: &OrgInput) {
    let i = input.clone();
    if let Some(v) = i.name {
        row.name = v;
    }
    if let Some(v) = i.description {
        row.description = v;
    }
    if let Some(v) = i.native_name {
        row.native_name = v;
    }
    if let Some(v) = i.abbreviation {
        row.abbreviation = v;
    }
    if let Some(v) = i.logo_url {
        row.logo_url = v;
    }
    if let Some(v) = i.currency_code {
        row.currency_code = v;
    }
    if let Some(v) = i.metadata {
        row.metadata = v;
    }
    if let Some(v) = i.accepts_join_requests {
        row.accepts_join_requests = v;
    }
}

/// Makes `user` an active, approved owner member of `org` (inserting or promoting).
fn ensure_owner_member(tx: &impl Db, ctx: &Ctx, org: &Org, user: i64, at: &str) -> Result<()> {
    let by = ctx.actor.as_ref().map(|u| u.seq);
    match store::members::get(tx, org.seq, user)? {
        Some(mut m) => {
            if m.role == Role::Owner && m.status == MemberStatus::Approved && m.is_active {
                return Ok(());
            }
            let before = (m.role, m.status, m.is_active);
            m.role = Role::Owner;
            m.status = MemberStatus::Approved;
            m.is_active = true;
            if m.approved_at.is_none() {
                m.approved_at = Some(at.to_string());
            }
            let m = store::members::update(tx, &m, by, at)?;
            record(
                tx,
                ctx,
                Change {
                    action: "member_updated",
                    object_type: "membership",
                    object_id: Some(&m.id),
                    organization: Some(&org.id),
                    changes: json!({
                        "role": [before.0.as_str(), "owner"],
                        "status": [before.1.as_str(), "approved"],
                        "is_active": [before.2, true],
                    }),
                },
            )
        }
        None => {
            let m = store::members::insert(
                tx,
                &store::members::NewMember {
                    org: org.seq,
                    user,
                    role: Role::Owner,
                    status: MemberStatus::Approved,
                    is_active: true,
                    approved_by: by,
                    at,
                },
            )?;
            record_owner_added(tx, ctx, org, &m)
        }
    }
}

/// The activity row of an owner membership just added.
fn record_owner_added(
    tx: &impl Db,
    ctx: &Ctx,
    org: &Org,
    m: &crate::model::Membership,
) -> Result<()> {
    record(
        tx,
        ctx,
        Change {
            action: "member_added",
            object_type: "membership",
            object_id: Some(&m.id),
            organization: Some(&org.id),
            changes: json!({"user": [null, m.user], "role": [null, "owner"], "status": [null, "approved"]}),
        },
    )
}

/// A first invitation sent with a new organization (native `invite`).
pub struct FirstInvite {
    pub input: InviteInput,
    /// Where accept links point unless `--public-url` says otherwise.
    pub base_url: String,
}

/// An organization as a write left it, with its owner's whole user record (for surfaces
/// that render the owner) and, after a create with a first invitation, that invitation
/// and its one-time token.
#[derive(Debug)]
pub struct Saved {
    pub org: Org,
    pub owner: Option<User>,
    pub invitation: Option<(Invitation, String)>,
}

fn saved(tx: &impl Db, seq: i64, invitation: Option<(Invitation, String)>) -> Result<Saved> {
    let org = store::orgs::by_seq(tx, seq)?.ok_or(Error::NotFound)?;
    let owner = owner_of(tx, &org)?;
    Ok(Saved {
        org,
        owner,
        invitation,
    })
}

/// Creates an organization; the owner (the caller unless staff names another user)
/// becomes its active owner member, and `invite` (if any) is sent, all in one transaction.
pub fn create(
    reg: &Registry,
    ctx: &Ctx,
    input: OrgInput,
    invite: Option<FirstInvite>,
) -> Result<Saved> {
    let me = ctx.user()?.clone();
    policy::may_create_org(
        &me,
        ctx.rules,
        reg.settings.org_create == crate::config::OrgCreate::Staff,
    )?;
    let name = input
        .name
        .clone()
        .ok_or_else(|| Error::field("name", "This field is required."))?;
    reg.store.write(|tx| {
        let owner = match &input.owner {
            Some(id) if *id != me.id => {
                policy::require_create_for(&me, id)?;
                store::users::by_id(tx, id)?
                    .ok_or_else(|| Error::field("owner", "Unknown user."))?
            }
            _ => me.clone(),
        };
        check_limit(reg, ctx, tx, owner.seq)?;
        let customer = match input.customer.clone().flatten() {
            Some(id) => Some(resolve_customer(tx, ctx, &id)?),
            None => None,
        };
        let now = model::now();
        let mut row = OrgRow {
            id: input.id.clone().unwrap_or_else(model::new_id),
            name: name.clone(),
            description: String::new(),
            native_name: String::new(),
            abbreviation: None,
            logo_url: None,
            currency_code: None,
            customer,
            owner: Some(owner.seq),
            metadata: json!({}),
            accepts_join_requests: true,
            at: now.clone(),
            by: Some(me.seq),
        };
        apply(&mut row, &input);
        // Built from what this write holds, not read back: on PostgreSQL reading new rows
        // makes concurrent creates collide (see `store::orgs::insert_new`).
        let as_ref = |u: &User| crate::model::UserRef {
            seq: u.seq,
            id: u.id.clone(),
            username: u.username.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
        };
        let refs = store::orgs::Refs {
            customer: customer.and(input.customer.clone().flatten()),
            owner: Some(as_ref(&owner)),
            by: Some(as_ref(&me)),
        };
        let mut org = store::orgs::insert_new(tx, &row, refs)?;
        record(
            tx,
            ctx,
            Change::org("create", &org.id, diff(None, Some(&snapshot(&org)))),
        )?;
        let m = store::members::insert_new(
            tx,
            &store::members::NewMember {
                org: org.seq,
                user: owner.seq,
                role: Role::Owner,
                status: MemberStatus::Approved,
                is_active: true,
                approved_by: Some(me.seq),
                at: &now,
            },
            store::members::MemberRefs {
                org: &org.id,
                user: (&owner.id, &owner.username, owner.email.as_deref()),
                approved_by: Some(&me.id),
            },
        )?;
        record_owner_added(tx, ctx, &org, &m)?;
        org.member_count = 1;
        if invite.is_none() {
            return Ok(Saved {
                org,
                owner: Some(owner),
                invitation: None,
            });
        }
        let invitation = match &invite {
            None => None,
            Some(i) => {
                let access = OrgAccess::of(tx, ctx.rules, &me, &org)?;
                let sent = super::invitations::create_in(
                    reg,
                    tx,
                    ctx,
                    &org,
                    &access,
                    &i.input,
                    &i.base_url,
                )?;
                Some(sent)
            }
        };
        saved(tx, org.seq, invitation)
    })
}

pub fn update(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    input: OrgInput,
    if_match: Option<&[String]>,
) -> Result<Saved> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let (old, access) = load(tx, ctx, key)?;
        let mut row = OrgRow::from_org(&old);
        apply(&mut row, &input);
        // The narrowest action that covers every field this request changes.
        let only_currency = input.name.is_none()
            && input.description.is_none()
            && input.native_name.is_none()
            && input.abbreviation.is_none()
            && input.logo_url.is_none()
            && input.metadata.is_none()
            && input.accepts_join_requests.is_none()
            && input.customer.is_none()
            && input.owner.is_none();
        access.require(if only_currency {
            OrgAction::UpdateCurrency
        } else {
            OrgAction::Update
        })?;
        check_if_match(if_match, &old.revision())?;
        let now = model::now();
        let mut new_owner = None;
        if let Some(owner_id) = &input.owner {
            if old.owner.as_ref().map(|u| &u.id) != Some(owner_id) {
                access.require(OrgAction::TransferOwner)?;
                let u = store::users::by_id(tx, owner_id)?
                    .ok_or_else(|| Error::field("owner", "Unknown user."))?;
                check_limit(reg, ctx, tx, u.seq)?;
                row.owner = Some(u.seq);
                new_owner = Some(u.seq);
            }
        }
        if let Some(customer) = &input.customer {
            if customer.as_deref() != old.customer.as_deref() {
                policy::require_customer_change(tx, &me, old.customer_seq, customer.is_none())?;
                row.customer = match customer {
                    Some(id) => Some(resolve_customer(tx, ctx, id)?),
                    None => None,
                };
            }
        }
        if row == OrgRow::from_org(&old) {
            // Nothing changes: no new version, no activity row.
            return saved(tx, old.seq, None);
        }
        row.at = now.clone();
        row.by = Some(me.seq);
        let org = store::orgs::update(tx, old.seq, &row)?;
        record(
            tx,
            ctx,
            Change::org(
                "update",
                &org.id,
                diff(Some(&snapshot(&old)), Some(&snapshot(&org))),
            ),
        )?;
        if let Some(owner) = new_owner {
            ensure_owner_member(tx, ctx, &org, owner, &now)?;
        }
        saved(tx, org.seq, None)
    })
}

/// Deletes an organization with its memberships and invitations, under the rule set's
/// deleters.
pub fn delete(reg: &Registry, ctx: &Ctx, key: &OrgKey, if_match: Option<&[String]>) -> Result<()> {
    reg.store.write(|tx| {
        let (old, access) = load(tx, ctx, key)?;
        access.require(OrgAction::Delete)?;
        check_if_match(if_match, &old.revision())?;
        let members = store::members::list_all_of_org(tx, old.seq)?;
        store::orgs::delete(tx, old.seq)?;
        record(
            tx,
            ctx,
            Change::org("delete", &old.id, diff(Some(&snapshot(&old)), None)),
        )?;
        if ctx.rules.delete_orphaned_users {
            for user in members {
                super::users::delete_if_orphaned(tx, ctx, user)?;
            }
        }
        Ok(())
    })
}

/// Member counts by role and status, open invitations, pending requests, last activity.
pub struct Summary {
    pub org: Org,
    pub by_role: Vec<(String, i64)>,
    pub by_status: Vec<(String, i64)>,
    pub active: i64,
    pub inactive: i64,
    pub open_invitations: i64,
    pub pending_requests: i64,
    pub last_activity: Option<String>,
}

pub fn summary(reg: &Registry, ctx: &Ctx, key: &OrgKey) -> Result<Summary> {
    reg.read(|c| summary_in(c, ctx, key))
}

fn summary_in(c: &impl Db, ctx: &Ctx, key: &OrgKey) -> Result<Summary> {
    let (org, access) = load(c, ctx, key)?;
    access.require(OrgAction::ReadSummary)?;
    let counts = store::members::counts(c, org.seq)?;
    let mut by_role: Vec<(String, i64)> = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), 0))
        .collect();
    let mut by_status: Vec<(String, i64)> = ["pending", "approved", "rejected"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    let (mut active, mut inactive, mut pending) = (0, 0, 0);
    for (role, status, is_active, n) in counts {
        if status == "approved" {
            if let Some(e) = by_role.iter_mut().find(|(r, _)| *r == role) {
                e.1 += n;
            }
            if is_active {
                active += n;
            } else {
                inactive += n;
            }
        }
        if status == "pending" {
            pending += n;
        }
        if let Some(e) = by_status.iter_mut().find(|(s, _)| *s == status) {
            e.1 += n;
        }
    }
    Ok(Summary {
        open_invitations: store::invitations::open_count(c, org.seq, &model::now())?,
        last_activity: store::activity::last_at(c, &org.id)?,
        org,
        by_role,
        by_status,
        active,
        inactive,
        pending_requests: pending,
    })
}
