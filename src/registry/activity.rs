//! Reading the audit trail: the global feed (staff) and an organization's feed (whoever
//! the caller's rule set lets read it: natively owners, admins, customer owners and staff).

use super::lookup::{load, OrgKey};
use super::policy::OrgAction;
use super::{policy, Ctx, Registry};
use crate::error::Result;
use crate::model::{Activity, Page};
use crate::query::ListQuery;
use crate::store;

pub fn global(reg: &Registry, ctx: &Ctx, q: &ListQuery) -> Result<Page<Activity>> {
    policy::require_staff(ctx.user()?)?;
    reg.read(|c| store::activity::list(c, None, q))
}

pub fn of_org(reg: &Registry, ctx: &Ctx, key: &OrgKey, q: &ListQuery) -> Result<Page<Activity>> {
    reg.read(|c| {
        let (org, access) = load(c, ctx, key)?;
        access.require(OrgAction::ReadActivity)?;
        store::activity::list(c, Some(&org.id), q)
    })
}
