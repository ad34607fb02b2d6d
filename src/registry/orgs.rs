//! Organization operations: list, read (by id or unique name), create (the owner becomes
//! an active owner member in the same transaction), update, delete, summary.

use super::policy::{OrgAccess, OrgAction};
use super::users::check_if_match;
use super::{diff, policy, record, Change, Ctx, Patch, Registry};
use crate::error::{Error, Result};
use crate::model::{self, MemberStatus, Org, Page, Role};
use crate::store::{self, list::ListQuery, orgs::OrgRow};
use rusqlite::Connection;
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
}

/// How a caller names an organization in a path: its uuid or its unique name.
#[derive(Debug, Clone)]
pub enum OrgKey {
    Id(String),
    Name(String),
    Seq(i64),
}

impl OrgKey {
    /// A segment that parses as a UUID (dashed or 32-hex) is an id; anything else a name.
    pub fn parse(segment: &str) -> OrgKey {
        match model::parse_uuid(segment) {
            Some(id) => OrgKey::Id(id),
            None => OrgKey::Name(segment.to_string()),
        }
    }
}

pub fn etag(o: &Org) -> String {
    format!("W/\"{}.{}\"", o.version, o.member_count)
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

fn find(c: &Connection, key: &OrgKey) -> Result<Option<Org>> {
    match key {
        OrgKey::Id(id) => store::orgs::by_id(c, id),
        OrgKey::Name(name) => store::orgs::by_name(c, name),
        OrgKey::Seq(seq) => store::orgs::by_seq(c, *seq),
    }
}

/// The organization and the caller's access to it; 404 if absent or invisible.
pub fn load(c: &Connection, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess)> {
    let me = ctx.user()?;
    let org = find(c, key)?.ok_or(Error::NotFound)?;
    let access = OrgAccess::of(c, me, &org)?;
    if !access.visible() {
        return Err(Error::NotFound);
    }
    Ok((org, access))
}

pub fn list(c: &Connection, ctx: &Ctx, q: &ListQuery) -> Result<Page<Org>> {
    let me = ctx.user()?;
    store::orgs::list(c, (!me.is_staff).then_some(me.seq), q)
}

/// Every organization, for surfaces where any authenticated user reads all of them
/// (Waldur).
pub fn list_all(c: &Connection, ctx: &Ctx, q: &ListQuery) -> Result<Page<Org>> {
    ctx.user()?;
    store::orgs::list(c, None, q)
}

/// Any organization by key, for surfaces where every authenticated user may read all.
pub fn get_any(c: &Connection, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess)> {
    let me = ctx.user()?;
    let org = find(c, key)?.ok_or(Error::NotFound)?;
    let access = OrgAccess::of(c, me, &org)?;
    Ok((org, access))
}

pub fn get(c: &Connection, ctx: &Ctx, key: &OrgKey) -> Result<Org> {
    load(c, ctx, key).map(|(o, _)| o)
}

fn resolve_customer(tx: &Connection, ctx: &Ctx, id: &str) -> Result<i64> {
    let me = ctx.user()?;
    let unknown = || Error::field("customer", "Unknown customer.");
    let cu = store::customers::by_id(tx, id)?.ok_or_else(unknown)?;
    if policy::may_use_customer(tx, me, cu.seq)? {
        Ok(cu.seq)
    } else {
        Err(unknown())
    }
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

/// Keeps `owner` naming an active owner after a membership change; when it moves, the
/// organization gets a new version and an `update` activity row.
pub fn repoint_owner(tx: &Connection, ctx: &Ctx, org_seq: i64) -> Result<()> {
    let before = store::orgs::by_seq(tx, org_seq)?;
    if store::orgs::repoint_owner(tx, org_seq, &model::now())? {
        let after = store::orgs::by_seq(tx, org_seq)?.ok_or(Error::NotFound)?;
        let old = before.and_then(|o| o.owner.map(|u| u.id));
        record(
            tx,
            ctx,
            Change {
                action: "update",
                object_type: "organization",
                object_id: Some(&after.id),
                organization: Some(&after.id),
                changes: json!({"owner": [old, after.owner.as_ref().map(|u| u.id.clone())]}),
            },
        )?;
    }
    Ok(())
}

/// Makes `user` an active, approved owner member of `org` (inserting or promoting).
fn ensure_owner_member(tx: &Connection, ctx: &Ctx, org: &Org, user: i64, at: &str) -> Result<()> {
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
    }
}

/// Creates an organization; the owner (the caller unless staff names another user)
/// becomes its active owner member in the same transaction. `then` runs inside that
/// transaction too (used for `invite`).
pub fn create_with<T>(
    reg: &Registry,
    ctx: &Ctx,
    input: OrgInput,
    then: impl FnOnce(&Connection, &Org) -> Result<T>,
) -> Result<(Org, T)> {
    let me = ctx.user()?.clone();
    policy::may_create_org(&me, reg.rules.org_create == crate::config::OrgCreate::Staff)?;
    let name = input
        .name
        .clone()
        .ok_or_else(|| Error::field("name", "This field is required."))?;
    reg.store.write(|tx| {
        let owner = match &input.owner {
            Some(id) if *id != me.id => {
                policy::require_create_for(&me, id)?;
                store::users::by_id(tx, id)?.ok_or_else(|| Error::field("owner", "Unknown user."))?
            }
            _ => me.clone(),
        };
        if let Some(max) = reg.rules.max_owned_orgs {
            if store::orgs::owned_count(tx, owner.seq)? >= max as i64 {
                return Err(Error::state(format!(
                    "OrganizationLimitExceeded: the user already owns the maximum of {max} organization(s)."
                )));
            }
        }
        let customer = match input.customer.clone().flatten() {
            Some(id) => Some(resolve_customer(tx, ctx, &id)?),
            None => None,
        };
        let now = model::now();
        let mut row = OrgRow {
            id: model::new_id(),
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
        let org = store::orgs::insert(tx, &row)?;
        record(
            tx,
            ctx,
            Change {
                action: "create",
                object_type: "organization",
                object_id: Some(&org.id),
                organization: Some(&org.id),
                changes: diff(None, Some(&snapshot(&org))),
            },
        )?;
        ensure_owner_member(tx, ctx, &org, owner.seq, &now)?;
        let extra = then(tx, &org)?;
        let org = store::orgs::by_seq(tx, org.seq)?.ok_or(Error::NotFound)?;
        Ok((org, extra))
    })
}

pub fn create(reg: &Registry, ctx: &Ctx, input: OrgInput) -> Result<Org> {
    create_with(reg, ctx, input, |_, _| Ok(())).map(|(o, _)| o)
}

pub fn update(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    input: OrgInput,
    if_match: Option<&str>,
) -> Result<Org> {
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
        check_if_match(if_match, &etag(&old))?;
        let now = model::now();
        let mut new_owner = None;
        if let Some(owner_id) = &input.owner {
            if old.owner.as_ref().map(|u| &u.id) != Some(owner_id) {
                access.require(OrgAction::TransferOwner)?;
                let u = store::users::by_id(tx, owner_id)?
                    .ok_or_else(|| Error::field("owner", "Unknown user."))?;
                if let Some(max) = reg.rules.max_owned_orgs {
                    if store::orgs::owned_count(tx, u.seq)? >= max as i64 {
                        return Err(Error::state(format!(
                            "OrganizationLimitExceeded: the user already owns the maximum of {max} organization(s)."
                        )));
                    }
                }
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
            return Ok(old);
        }
        row.at = now.clone();
        row.by = Some(me.seq);
        let org = store::orgs::update(tx, old.seq, &row)?;
        record(
            tx,
            ctx,
            Change {
                action: "update",
                object_type: "organization",
                object_id: Some(&org.id),
                organization: Some(&org.id),
                changes: diff(Some(&snapshot(&old)), Some(&snapshot(&org))),
            },
        )?;
        if let Some(owner) = new_owner {
            ensure_owner_member(tx, ctx, &org, owner, &now)?;
        }
        store::orgs::by_seq(tx, org.seq)?.ok_or(Error::NotFound)
    })
}

pub fn delete(reg: &Registry, ctx: &Ctx, key: &OrgKey, if_match: Option<&str>) -> Result<()> {
    delete_as(reg, ctx, key, if_match, OrgAction::Delete)
}

/// Delete under a surface's own delete rule (`Delete`, or `AdminDelete` for AWX).
pub fn delete_as(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    if_match: Option<&str>,
    action: OrgAction,
) -> Result<()> {
    reg.store.write(|tx| {
        let (old, access) = load(tx, ctx, key)?;
        access.require(action)?;
        check_if_match(if_match, &etag(&old))?;
        store::orgs::delete(tx, old.seq)?;
        record(
            tx,
            ctx,
            Change {
                action: "delete",
                object_type: "organization",
                object_id: Some(&old.id),
                organization: Some(&old.id),
                changes: diff(Some(&snapshot(&old)), None),
            },
        )
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

pub fn summary(c: &Connection, ctx: &Ctx, key: &OrgKey) -> Result<Summary> {
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
