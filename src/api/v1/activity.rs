//! `/v1/activity` (staff): the global audit trail.

use super::activity_json;
use crate::api::table::Call;
use crate::api::{page_resp, paging, Paging};
use crate::error::{Errors, Result};
use crate::http::{Req, Resp};
use crate::model;
use crate::query::{Cond, ListQuery, Op, Val};
use crate::registry::{self};

/// Filters `action, object_type, actor, since, until` (newest first, always).
pub fn query(req: &Req, p: Paging) -> Result<ListQuery> {
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
                q.conds.push(Cond::eq(name, Val::Text(v.to_string())));
            }
        }
    }
    if let Some(v) = req.q("actor") {
        match model::parse_uuid(v) {
            Some(id) => q.conds.push(Cond::eq("actor", Val::Text(id))),
            None => errors.add("actor", "Must be a valid UUID."),
        }
    }
    for (name, since) in [("since", true), ("until", false)] {
        if let Some(v) = req.q(name) {
            match model::parse_time(v) {
                Some(ms) => {
                    let t = Val::Text(model::format_ms(ms));
                    let op = if since { Op::Gte(t) } else { Op::Lt(t) };
                    q.conds.push(Cond::new("at", op));
                }
                None => errors.add(name, "Must be an RFC 3339 date-time."),
            }
        }
    }
    errors.into_result()?;
    Ok(q)
}

pub fn list(call: &Call) -> Result<Resp> {
    let p = paging(call.req, 25, 200)?;
    let q = query(call.req, p)?;
    let page = registry::activity::global(call.reg(), &call.ctx, &q)?;
    page_resp(call.req, p, page, activity_json)
}
