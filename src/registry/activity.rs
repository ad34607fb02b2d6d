//! Reading the audit trail: the global feed (staff) and an organization's feed (its
//! owners, admins, customer owners and staff).

use super::orgs::{load, OrgKey};
use super::policy::OrgAction;
use super::{policy, Ctx};
use crate::error::Result;
use crate::model::{Activity, Page};
use crate::store::{self, list::ListQuery};
use rusqlite::Connection;

pub fn global(c: &Connection, ctx: &Ctx, q: &ListQuery) -> Result<Page<Activity>> {
    policy::require_staff(ctx.user()?)?;
    store::activity::list(c, None, q)
}

pub fn of_org(c: &Connection, ctx: &Ctx, key: &OrgKey, q: &ListQuery) -> Result<Page<Activity>> {
    of_org_as(c, ctx, key, q, OrgAction::ReadActivity)
}

/// An organization's feed under a surface's own read rule (AWX shows an organization's
/// activity stream to everyone who can read the organization: `OrgAction::Read`).
pub fn of_org_as(
    c: &Connection,
    ctx: &Ctx,
    key: &OrgKey,
    q: &ListQuery,
    action: OrgAction,
) -> Result<Page<Activity>> {
    let (org, access) = load(c, ctx, key)?;
    access.require(action)?;
    store::activity::list(c, Some(&org.id), q)
}
