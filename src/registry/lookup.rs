//! Finding an organization for a caller: how paths name one (`OrgKey`), loading it with
//! the caller's access under their rule set, and keeping its recorded owner true after a
//! membership change. Shared by the organization, member, invitation and activity
//! operations (kept apart from them so none of those needs another).

use super::policy::OrgAccess;
use super::{record, Change, Ctx};
use crate::error::{Error, Result};
use crate::model::{self, Org};
use crate::store;
use crate::store::db::Db;
use serde_json::json;

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

pub(super) fn find(c: &impl Db, key: &OrgKey) -> Result<Option<Org>> {
    match key {
        OrgKey::Id(id) => store::orgs::by_id(c, id),
        OrgKey::Name(name) => store::orgs::by_name(c, name),
        OrgKey::Seq(seq) => store::orgs::by_seq(c, *seq),
    }
}

/// The organization and the caller's access to it; 404 if absent or invisible.
pub(super) fn load(c: &impl Db, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess)> {
    let me = ctx.user()?;
    let org = find(c, key)?.ok_or(Error::NotFound)?;
    let access = OrgAccess::of(c, ctx.rules, me, &org)?;
    if !access.visible() {
        return Err(Error::NotFound);
    }
    Ok((org, access))
}

/// Keeps `owner` naming an active owner after a membership change; when it moves, the
/// organization gets a new version and an `update` activity row.
pub fn repoint_owner(tx: &impl Db, ctx: &Ctx, org_seq: i64) -> Result<()> {
    let before = store::orgs::by_seq(tx, org_seq)?;
    if store::orgs::repoint_owner(tx, org_seq, &model::now())? {
        let after = store::orgs::by_seq(tx, org_seq)?.ok_or(Error::NotFound)?;
        let old = before.and_then(|o| o.owner.map(|u| u.id));
        record(
            tx,
            ctx,
            Change::org(
                "update",
                &after.id,
                json!({"owner": [old, after.owner.as_ref().map(|u| u.id.clone())]}),
            ),
        )?;
    }
    Ok(())
}
