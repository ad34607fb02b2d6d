//! The Waldur profile (seed 000): `/api/organizations/`, `/api/organization-users/`, and
//! `/api/customers/<uuid>/`, `/api/users/<uuid>/` so rendered URLs resolve.
//!
//! Rules of this surface that differ from the native API (from the seed and Waldur's
//! behaviour): uuids are 32 hex digits and `url` fields absolute; lists are bare arrays
//! with `X-Result-Count` and `Link` headers; any authenticated user lists and reads every
//! organization; organization writes are staff-only; `customer` is shown to and accepted
//! from staff only; a customer has at most one organization; a user belongs to at most
//! one organization through organization-users; organization-users are created
//! unapproved and approved or rejected by staff or the customer's owner only; an
//! approved one is deleted only by staff or the customer's owner.

use super::drf;
use crate::api::App;
use crate::error::{Error, Errors, Result};
use crate::http::{Req, Resp};
use crate::model::{self, MemberStatus, Membership, Org};
use crate::registry::members::Who;
use crate::registry::orgs::{OrgInput, OrgKey};
use crate::registry::{self, Ctx};
use crate::store;
use crate::store::list::{Cond, Field, ListQuery, Op};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Value};

const COLLECTION: &str = "GET, POST, HEAD, OPTIONS";
const ORG_ITEM: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
const OU_ITEM: &str = "GET, DELETE, HEAD, OPTIONS";
const ACTION: &str = "POST, OPTIONS";
const READ: &str = "GET, HEAD, OPTIONS";

pub fn dispatch(app: &App, conn: &Connection, req: &Req) -> Option<Resp> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (allow, f): (&str, Box<dyn FnOnce() -> Result<Resp>>) = match segs.as_slice() {
        ["api", "organizations"] => (COLLECTION, Box::new(|| orgs(app, conn, req))),
        ["api", "organizations", id] => (ORG_ITEM, Box::new(move || org(app, conn, req, id))),
        ["api", "organization-users"] => (COLLECTION, Box::new(|| org_users(app, conn, req))),
        ["api", "organization-users", id] => {
            (OU_ITEM, Box::new(move || org_user(app, conn, req, id)))
        }
        ["api", "organization-users", id, action @ ("approve" | "reject")] => (
            ACTION,
            Box::new(move || decide(app, conn, req, id, *action == "approve")),
        ),
        ["api", "customers", id] => (READ, Box::new(move || customer(app, conn, req, id))),
        ["api", "users", id] => (READ, Box::new(move || user(app, conn, req, id))),
        _ => return None,
    };
    let method = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    let result = if method == "OPTIONS" {
        Ok(Resp::json(
            200,
            &json!({"name": "orgreg", "renders": ["application/json"], "parses": ["application/json"]}),
        ))
    } else if !allow.split(", ").any(|m| m == method) {
        Err(Error::MethodNotAllowed(allow.to_string()))
    } else {
        f()
    };
    let mut resp = result.unwrap_or_else(|e| {
        drf::error(&e, &|field| match field {
            "abbreviation" => "Organization with this Abbreviation already exists.".into(),
            "name" => "Organization with this Name already exists.".into(),
            other => format!("This {other} is already in use."),
        })
    });
    if resp.header("Allow").is_none() {
        resp.headers.push(("Allow".into(), allow.to_string()));
    }
    Some(resp)
}

fn hex(id: &str) -> String {
    id.replace('-', "")
}

fn ctx(app: &App, conn: &Connection, req: &Req) -> Result<Ctx> {
    let ctx = drf::context(app, conn, req)?;
    ctx.user()?;
    Ok(ctx)
}

/// The uuid at the end of a URL (or a bare uuid), dashed.
fn uuid_of(s: &str) -> Option<String> {
    let last = s.trim_end_matches('/').rsplit('/').next()?;
    model::parse_uuid(last)
}

fn org_json(req: &Req, o: &Org, staff: bool) -> Value {
    let base = req.base_url();
    let mut v = json!({
        "url": format!("{base}/api/organizations/{}/", hex(&o.id)),
        "uuid": hex(&o.id),
        "name": o.name,
        "native_name": o.native_name,
        "abbreviation": o.abbreviation.clone().unwrap_or_default(),
    });
    if staff {
        v["customer"] = match &o.customer {
            Some(c) => json!(format!("{base}/api/customers/{}/", hex(c))),
            None => Value::Null,
        };
    }
    v
}

fn member_json(req: &Req, m: &Membership) -> Value {
    let base = req.base_url();
    json!({
        "url": format!("{base}/api/organization-users/{}/", hex(&m.id)),
        "uuid": hex(&m.id),
        "user": format!("{base}/api/users/{}/", hex(&m.user)),
        "username": m.username,
        "is_approved": m.status == MemberStatus::Approved,
        "organization": format!("{base}/api/organizations/{}/", hex(&m.organization)),
    })
}

/// A bare array with `X-Result-Count` and a `Link` header (first, prev, next, last).
fn bare_list(req: &Req, page: i64, size: i64, count: i64, items: Vec<Value>) -> Result<Resp> {
    if page > 1 && (page - 1) * size >= count {
        return Err(Error::InvalidPage);
    }
    let last = ((count + size - 1) / size).max(1);
    let base = req.base_url();
    let link = |p: i64| format!("<{base}{}>", crate::api::page_link(req, p));
    let mut links = vec![format!("{}; rel=\"first\"", link(1))];
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", link(page - 1)));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", link(page + 1)));
    }
    links.push(format!("{}; rel=\"last\"", link(last)));
    Ok(Resp::json(200, &Value::Array(items))
        .with("X-Result-Count", count.to_string())
        .with("Link", links.join(", ")))
}

/// `o=` ordering over the given fields (unknown fields are ignored, as django-filter does).
fn ordering(req: &Req, fields: &[(&str, Field)]) -> Vec<(Field, bool)> {
    req.q("o")
        .map(|raw| {
            raw.split(',')
                .filter_map(|k| {
                    let (desc, name) = k.strip_prefix('-').map(|n| (true, n)).unwrap_or((false, k));
                    fields
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, f)| (*f, desc))
                })
                .take(8)
                .collect()
        })
        .unwrap_or_default()
}

fn org_field(name: &str) -> Field {
    *store::orgs::FIELDS
        .iter()
        .find(|f| f.name == name)
        .expect("declared field")
}

fn orgs(app: &App, conn: &Connection, req: &Req) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let staff = ctx.is_staff();
    if req.method == "POST" {
        if !staff {
            return Err(Error::Forbidden(String::new()));
        }
        let input = org_body(app, conn, &ctx, req, true)?;
        let customer = input.customer.clone().flatten();
        // The one-organization-per-customer rule is checked again inside the creating
        // transaction, so two simultaneous creates for one customer cannot both pass.
        let (o, ()) =
            registry::orgs::create_with(&app.registry, &ctx, input, |tx, _| match &customer {
                None => Ok(()),
                Some(c) => {
                    let q = ListQuery {
                        conds: vec![Cond {
                            field: org_field("customer"),
                            op: Op::Eq(Sql::Text(c.clone())),
                            negate: false,
                        }],
                        limit: 2,
                        ..Default::default()
                    };
                    if registry::orgs::list_all(tx, &ctx, &q)?.count > 1 {
                        let mut e = Errors::default();
                        e.add(
                            "non_field_errors",
                            "Organization for these customer already exist.",
                        );
                        return Err(Error::Invalid(e.0));
                    }
                    Ok(())
                }
            })?;
        return Ok(Resp::json(201, &org_json(req, &o, true)).with(
            "Location",
            format!("{}/api/organizations/{}/", req.base_url(), hex(&o.id)),
        ));
    }
    let (page, size) = drf::paging(req, 10, 300)?;
    let mut q = ListQuery {
        limit: size,
        offset: (page - 1) * size,
        ..Default::default()
    };
    for name in ["name", "native_name", "abbreviation"] {
        if let Some(v) = req.q(name) {
            q.conds.push(Cond {
                field: org_field(name),
                op: Op::IContains(v.chars().take(512).collect()),
                negate: false,
            });
        }
    }
    let customer = req.q("customer_uuid").or(req.q("customer"));
    if let Some(c) = customer {
        match uuid_of(c) {
            Some(id) => q.conds.push(Cond {
                field: org_field("customer"),
                op: Op::Eq(Sql::Text(id)),
                negate: false,
            }),
            None => q.conds.push(Cond {
                field: org_field("id"),
                op: Op::In(vec![]),
                negate: false,
            }),
        }
    }
    q.order = ordering(
        req,
        &[
            ("name", org_field("name")),
            ("native_name", org_field("native_name")),
            ("abbreviation", org_field("abbreviation")),
        ],
    );
    let p = registry::orgs::list_all(conn, &ctx, &q)?;
    bare_list(
        req,
        page,
        size,
        p.count,
        p.items.iter().map(|o| org_json(req, o, staff)).collect(),
    )
}

/// Organization fields: `name` (≤ 150), `native_name` (≤ 160), `abbreviation` (≤ 8,
/// unique), `customer` (a customer URL; staff only; one organization per customer).
fn org_body(app: &App, conn: &Connection, ctx: &Ctx, req: &Req, full: bool) -> Result<OrgInput> {
    let body = drf::body(req)?;
    let mut errors = Errors::default();
    // Required on create and PUT; on PATCH a field that is sent may not be blank either.
    let needed = |name: &str| full || body.contains_key(name);
    let name = drf::string(&body, "name", 150, needed("name"), &mut errors);
    let native_name = drf::string(
        &body,
        "native_name",
        160,
        needed("native_name"),
        &mut errors,
    );
    let abbreviation = drf::string(
        &body,
        "abbreviation",
        8,
        needed("abbreviation"),
        &mut errors,
    );
    let customer = match body.get("customer") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.is_empty() => Some(None),
        Some(Value::String(s)) => match uuid_of(s) {
            Some(id) => Some(Some(id)),
            None => {
                errors.add("customer", "Invalid hyperlink - No URL match.");
                None
            }
        },
        Some(_) => {
            errors.add("customer", "Incorrect type. Expected URL string.");
            None
        }
    };
    errors.into_result()?;
    if let Some(Some(c)) = &customer {
        // Seed 000: a customer has at most one organization.
        let q = ListQuery {
            conds: vec![Cond {
                field: org_field("customer"),
                op: Op::Eq(Sql::Text(c.clone())),
                negate: false,
            }],
            limit: 2,
            ..Default::default()
        };
        let taken = registry::orgs::list_all(conn, ctx, &q)?;
        let own_key = req.segments.get(2).and_then(|s| model::parse_uuid(s));
        if taken.items.iter().any(|o| Some(&o.id) != own_key.as_ref()) {
            let mut e = Errors::default();
            e.add(
                "non_field_errors",
                "Organization for these customer already exist.",
            );
            return Err(Error::Invalid(e.0));
        }
    }
    let _ = app;
    Ok(OrgInput {
        name,
        native_name,
        abbreviation: abbreviation.map(|a| (!a.is_empty()).then_some(a)),
        customer,
        ..Default::default()
    })
}

fn org(app: &App, conn: &Connection, req: &Req, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let key = OrgKey::Id(model::parse_uuid(id).ok_or(Error::NotFound)?);
    let staff = ctx.is_staff();
    match req.method.as_str() {
        "PUT" | "PATCH" | "DELETE" => {
            registry::orgs::get_any(conn, &ctx, &key)?;
            if !staff {
                return Err(Error::Forbidden(String::new()));
            }
            if req.method == "DELETE" {
                registry::orgs::delete(&app.registry, &ctx, &key, None)?;
                return Ok(Resp::empty(204));
            }
            let input = org_body(app, conn, &ctx, req, req.method == "PUT")?;
            let o = registry::orgs::update(&app.registry, &ctx, &key, input, None)?;
            Ok(Resp::json(200, &org_json(req, &o, true)))
        }
        _ => {
            let (o, _) = registry::orgs::get_any(conn, &ctx, &key)?;
            Ok(Resp::json(200, &org_json(req, &o, staff)))
        }
    }
}

fn org_users(app: &App, conn: &Connection, req: &Req) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    if req.method == "POST" {
        let body = drf::body(req)?;
        let mut errors = Errors::default();
        let link = |name: &str, errors: &mut Errors| match body.get(name) {
            None => {
                errors.add(name, "This field is required.");
                None
            }
            Some(Value::String(s)) => {
                let id = uuid_of(s);
                if id.is_none() {
                    errors.add(name, "Invalid hyperlink - No URL match.");
                }
                id
            }
            Some(_) => {
                errors.add(name, "Incorrect type. Expected URL string.");
                None
            }
        };
        let user = link("user", &mut errors);
        let org = link("organization", &mut errors);
        errors.into_result()?;
        let (user, org) = (user.unwrap_or_default(), org.unwrap_or_default());
        let me = ctx.user()?;
        if user != me.id && !me.is_staff {
            return Err(Error::field(
                "user",
                "Invalid hyperlink - Object does not exist.",
            ));
        }
        let rule = |existing: &[Membership]| -> Result<()> {
            // Seed 000: a user belongs to at most one organization.
            if existing.is_empty() {
                Ok(())
            } else {
                let mut e = Errors::default();
                e.add(
                    "non_field_errors",
                    "User can belong only to one organization.",
                );
                Err(Error::Invalid(e.0))
            }
        };
        let m = registry::members::request_for(&app.registry, &ctx, &OrgKey::Id(org), &user, rule)
            .map_err(|e| match e {
                Error::NotFound => {
                    Error::field("organization", "Invalid hyperlink - Object does not exist.")
                }
                Error::Invalid(fields) if fields.contains_key("user") => {
                    Error::field("user", "Invalid hyperlink - Object does not exist.")
                }
                other => other,
            })?;
        return Ok(Resp::json(201, &member_json(req, &m)));
    }
    let (page, size) = drf::paging(req, 10, 300)?;
    let fields = store::members::GLOBAL_FIELDS;
    let field = |n: &str| *fields.iter().find(|f| f.name == n).expect("declared field");
    let mut q = ListQuery {
        limit: size,
        offset: (page - 1) * size,
        ..Default::default()
    };
    for (param, target) in [
        ("organization", "organization"),
        ("organization_uuid", "organization"),
        ("user", "user"),
        ("user_uuid", "user"),
    ] {
        if let Some(v) = req.q(param) {
            match uuid_of(v) {
                Some(id) => q.conds.push(Cond {
                    field: field(target),
                    op: Op::Eq(Sql::Text(id)),
                    negate: false,
                }),
                None => q.conds.push(Cond {
                    field: field(target),
                    op: Op::In(vec![]),
                    negate: false,
                }),
            }
        }
    }
    if let Some(v) = req.q("is_approved") {
        let b = match v.to_ascii_lowercase().as_str() {
            "true" | "1" => 1,
            "false" | "0" => 0,
            _ => return Err(Error::field("is_approved", "Enter a valid boolean.")),
        };
        q.conds.push(Cond {
            field: field("is_approved"),
            op: Op::Eq(Sql::Integer(b)),
            negate: false,
        });
    }
    q.order = ordering(req, &[("is_approved", field("is_approved"))]);
    let p = registry::members::list_all(conn, &ctx, &q)?;
    bare_list(
        req,
        page,
        size,
        p.count,
        p.items.iter().map(|m| member_json(req, m)).collect(),
    )
}

/// A membership the caller may see here: their own, or staff, or the customer's owner.
fn visible_member(
    conn: &Connection,
    ctx: &Ctx,
    id: &str,
) -> Result<(Membership, registry::policy::OrgAccess)> {
    let id = model::parse_uuid(id).ok_or(Error::NotFound)?;
    let (m, access) = registry::members::by_id(conn, ctx, &id)?;
    let me = ctx.user()?;
    if access.staff || access.customer_owner || m.user_seq == me.seq {
        Ok((m, access))
    } else {
        Err(Error::NotFound)
    }
}

fn org_user(app: &App, conn: &Connection, req: &Req, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let (m, access) = visible_member(conn, &ctx, id)?;
    if req.method == "DELETE" {
        if m.status == MemberStatus::Approved && !(access.staff || access.customer_owner) {
            return Err(Error::Forbidden(String::new()));
        }
        let key = OrgKey::Seq(m.organization_seq);
        registry::members::remove(&app.registry, &ctx, &key, &Who::User(m.user.clone()), None)?;
        return Ok(Resp::empty(204));
    }
    Ok(Resp::json(200, &member_json(req, &m)))
}

fn decide(app: &App, conn: &Connection, req: &Req, id: &str, approve: bool) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let (m, access) = visible_member(conn, &ctx, id)?;
    if !(access.staff || access.customer_owner) {
        return Err(Error::Forbidden(String::new()));
    }
    let target = if approve {
        MemberStatus::Approved
    } else {
        MemberStatus::Rejected
    };
    if m.status != target {
        let from = [
            MemberStatus::Pending,
            MemberStatus::Approved,
            MemberStatus::Rejected,
        ];
        let key = OrgKey::Seq(m.organization_seq);
        registry::members::decide_from(
            &app.registry,
            &ctx,
            &key,
            &Who::User(m.user.clone()),
            approve,
            &from,
        )?;
    }
    let detail = if approve {
        "User request for joining the organization has been successfully approved"
    } else {
        "User has been successfully rejected from the organization"
    };
    Ok(Resp::json(200, &json!({"detail": detail})))
}

fn customer(app: &App, conn: &Connection, req: &Req, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let c = registry::customers::get(conn, &ctx, &model::parse_uuid(id).ok_or(Error::NotFound)?)?;
    Ok(Resp::json(
        200,
        &json!({"url": format!("{}/api/customers/{}/", req.base_url(), hex(&c.id)), "uuid": hex(&c.id), "name": c.name, "abbreviation": c.abbreviation}),
    ))
}

fn user(app: &App, conn: &Connection, req: &Req, id: &str) -> Result<Resp> {
    let ctx = ctx(app, conn, req)?;
    let u = registry::users::get(conn, &ctx, &model::parse_uuid(id).ok_or(Error::NotFound)?)?;
    let full_name = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_string();
    Ok(Resp::json(
        200,
        &json!({
            "url": format!("{}/api/users/{}/", req.base_url(), hex(&u.id)), "uuid": hex(&u.id),
            "username": u.username, "full_name": full_name, "email": u.email.clone().unwrap_or_default(),
            "is_staff": u.is_staff, "is_active": u.is_active,
        }),
    ))
}
