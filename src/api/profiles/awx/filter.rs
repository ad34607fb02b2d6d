//! AWX list queries: field lookups (`field`, `field__icontains`, `__in`, `__isnull`,
//! `__gt/gte/lt/lte`, `__startswith`, `__exact`, `__iexact`, each optionally behind
//! `not__`), `order_by` (or `order`), and paging — turned into the registry's typed
//! `ListQuery`. An unknown filter or ordering field is 400.

use crate::api::{filter_value, parse_order, Paging};
use crate::error::{Error, Errors, Result};
use crate::http::Req;
use crate::query::{Cond, FieldSpec, ListQuery, Op};
use crate::registry::{self, Resource};

/// Query keys that are never filters.
const RESERVED: &[&str] = &[
    "page",
    "page_size",
    "format",
    "order",
    "order_by",
    "search",
    "type",
    "count_disabled",
    "no_truncate",
    "limit",
];

const MAX_PARAMS: usize = 100;
const MAX_TEXT: usize = 512;

/// The fields of one AWX list: the wire name and the registry field it filters and orders.
pub struct Fields {
    pub resource: Resource,
    pub filters: &'static [(&'static str, &'static str)],
    pub orders: &'static [(&'static str, &'static str)],
}

pub const ORGS: Fields = Fields {
    resource: Resource::Orgs,
    filters: &[
        ("id", "id"),
        ("name", "name_exact"),
        ("description", "description"),
        ("created", "created"),
        ("modified", "modified"),
    ],
    orders: &[
        ("id", "id"),
        ("name", "name_exact"),
        ("description", "description"),
        ("created", "created"),
        ("modified", "modified"),
    ],
};

pub const USERS: Fields = Fields {
    resource: Resource::Users,
    filters: &[
        ("id", "id"),
        ("username", "username"),
        ("email", "email"),
        ("first_name", "first_name"),
        ("last_name", "last_name"),
    ],
    orders: &[
        ("id", "id"),
        ("username", "username"),
        ("created", "created"),
    ],
};

pub const MEMBERS: Fields = Fields {
    resource: Resource::Members,
    filters: &[("username", "username")],
    orders: &[("username", "username"), ("id", "created")],
};

/// The query a list request asks for: lookups, `order_by`, and the page window.
pub fn query(req: &Req, fields: &Fields, p: Paging) -> Result<ListQuery> {
    if req.query.len() > MAX_PARAMS {
        return Err(Error::BadRequest("Too many query parameters.".into()));
    }
    let specs = registry::fields(fields.resource);
    let mut q = ListQuery::window(p.size, p.offset());
    let mut errors = Errors::default();
    for (key, raw) in &req.query {
        if RESERVED.contains(&key.as_str()) {
            continue;
        }
        let (negate, rest) = match key.strip_prefix("not__") {
            Some(r) => (true, r),
            None => (false, key.as_str()),
        };
        let (name, lookup) = rest.split_once("__").unwrap_or((rest, "exact"));
        let spec = fields
            .filters
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, f)| specs.iter().find(|s| s.name == *f));
        let Some(spec) = spec else {
            let shown: String = key.chars().take(64).collect();
            return Err(Error::BadRequest(format!("Invalid filter field: {shown}")));
        };
        match lookup_op(spec, lookup, raw) {
            Ok(op) => q.conds.push(Cond {
                field: spec.name,
                op,
                negate,
            }),
            Err(m) => errors.add(key, m),
        }
    }
    errors.into_result()?;
    if let Some(raw) = req.q("order_by").or_else(|| req.q("order")) {
        q.order = parse_order(raw, fields.orders).map_err(Error::BadRequest)?;
    }
    Ok(q)
}

fn lookup_op(spec: &FieldSpec, lookup: &str, raw: &str) -> std::result::Result<Op, String> {
    let parse = |s: &str| filter_value(spec.kind, s);
    let text = || {
        if raw.chars().count() > MAX_TEXT {
            Err(format!(
                "Ensure this value has at most {MAX_TEXT} characters."
            ))
        } else {
            Ok(raw.to_string())
        }
    };
    match lookup {
        "exact" => parse(raw).map(Op::Eq),
        "iexact" => text().map(Op::IEq),
        "icontains" | "contains" => text().map(Op::IContains),
        "startswith" | "istartswith" => text().map(Op::StartsWith),
        "in" => raw
            .split(',')
            .map(parse)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Op::In),
        "isnull" => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Op::IsNull(true)),
            "false" | "0" => Ok(Op::IsNull(false)),
            _ => Err("Must be true or false.".into()),
        },
        "gt" => parse(raw).map(Op::Gt),
        "gte" => parse(raw).map(Op::Gte),
        "lt" => parse(raw).map(Op::Lt),
        "lte" => parse(raw).map(Op::Lte),
        other => {
            let shown: String = other.chars().take(32).collect();
            Err(format!("Unsupported lookup {shown:?}."))
        }
    }
}
