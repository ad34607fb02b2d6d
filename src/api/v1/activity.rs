//! `/v1/activity` (staff): the global audit trail.

use super::activity_json;
use crate::api::{envelope, paging, Paging};
use crate::error::{Errors, Result};
use crate::http::{Req, Resp};
use crate::model;
use crate::registry::{self, Ctx};
use crate::store::{
    self,
    list::{Cond, ListQuery, Op},
};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;

/// Filters `action, object_type, actor, since, until` (newest first, always).
pub fn query(req: &Req, p: Paging) -> Result<ListQuery> {
    let field = |n: &str| {
        *store::activity::FIELDS
            .iter()
            .find(|f| f.name == n)
            .expect("declared field")
    };
    let mut q = ListQuery {
        limit: p.size,
        offset: p.offset(),
        ..Default::default()
    };
    let mut errors = Errors::default();
    for name in ["action", "object_type"] {
        if let Some(v) = req.q(name) {
            if v.chars().count() > 64 {
                errors.add(name, "Ensure this value has at most 64 characters.");
            } else {
                q.conds.push(Cond {
                    field: field(name),
                    op: Op::Eq(Sql::Text(v.to_string())),
                    negate: false,
                });
            }
        }
    }
    if let Some(v) = req.q("actor") {
        match model::parse_uuid(v) {
            Some(id) => q.conds.push(Cond {
                field: field("actor"),
                op: Op::Eq(Sql::Text(id)),
                negate: false,
            }),
            None => errors.add("actor", "Must be a valid UUID."),
        }
    }
    for (name, since) in [("since", true), ("until", false)] {
        if let Some(v) = req.q(name) {
            match model::parse_time(v) {
                Some(ms) => {
                    let t = Sql::Text(model::format_ms(ms));
                    let op = if since { Op::Gte(t) } else { Op::Lt(t) };
                    q.conds.push(Cond {
                        field: field("at"),
                        op,
                        negate: false,
                    });
                }
                None => errors.add(name, "Must be an RFC 3339 date-time."),
            }
        }
    }
    errors.into_result()?;
    Ok(q)
}

pub fn list(c: &Connection, ctx: &Ctx, req: &Req) -> Result<Resp> {
    let p = paging(req, 25, 200)?;
    let q = query(req, p)?;
    let page = registry::activity::global(c, ctx, &q)?;
    Ok(Resp::json(
        200,
        &envelope(
            req,
            p,
            page.count,
            page.items.iter().map(activity_json).collect(),
        )?,
    ))
}
