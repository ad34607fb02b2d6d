//! `/v1/organizations`, its summary and its activity feed.

use super::{activity_json, org_json, METADATA_MAX, NAME_MAX, TEXT_MAX, URL_MAX};
use crate::api::table::Call;
use crate::api::{page_resp, paging, with_etag, Body};
use crate::error::Result;
use crate::http::Resp;
use crate::registry::orgs::{self as ops, OrgInput, OrgKey};
use crate::registry::{self};
use serde_json::{json, Map, Value};

const FILTERS: &[&str] = &[
    "name",
    "native_name",
    "abbreviation",
    "customer",
    "owner",
    "currency_code",
];
const READ_ONLY: &[&str] = &[
    "id",
    "member_count",
    "created",
    "modified",
    "created_by",
    "modified_by",
];

const ORDERS: &[(&str, &str)] = &[
    ("name", "name"),
    ("native_name", "native_name"),
    ("abbreviation", "abbreviation"),
    ("created", "created"),
    ("modified", "modified"),
];

/// Parses an organization body; `full` (PUT) resets omitted optional fields.
pub fn parse_body(b: &mut Body, create: bool, full: bool) -> OrgInput {
    b.read_only(READ_ONLY);
    let mut i = OrgInput {
        name: b.string("name", 1, NAME_MAX, create || full),
        description: b.string("description", 0, TEXT_MAX, false),
        native_name: b.string("native_name", 0, NAME_MAX, false),
        abbreviation: b.nullable_string("abbreviation", 64),
        logo_url: b.nullable_string("logo_url", URL_MAX),
        currency_code: b.nullable_string("currency_code", 3),
        customer: b.nullable_uuid("customer"),
        owner: b.uuid("owner", false),
        metadata: b.object("metadata", METADATA_MAX),
        accepts_join_requests: b.boolean("accepts_join_requests"),
        id: None,
    };
    if let Some(Some(a)) = &i.abbreviation {
        if a.trim().is_empty() {
            b.errors.add(
                "abbreviation",
                "This field may not be blank; send null for none.",
            );
        }
    }
    if let Some(Some(cc)) = &i.currency_code {
        if !(cc.len() == 3 && cc.bytes().all(|c| c.is_ascii_uppercase())) {
            b.errors.add(
                "currency_code",
                "Must be an ISO 4217 code: three upper-case letters.",
            );
        }
    }
    if let Some(Some(url)) = &i.logo_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            b.errors.add("logo_url", "Enter a valid http(s) URL.");
        }
    }
    if full {
        i.description.get_or_insert_with(String::new);
        i.native_name.get_or_insert_with(String::new);
        i.abbreviation.get_or_insert(None);
        i.logo_url.get_or_insert(None);
        i.currency_code.get_or_insert(None);
        i.metadata.get_or_insert_with(|| json!({}));
        i.accepts_join_requests.get_or_insert(true);
    }
    i
}

pub fn list(call: &Call) -> Result<Resp> {
    let (p, q) = call.list_query(crate::registry::Resource::Orgs, FILTERS, ORDERS)?;
    let page = ops::list(call.reg(), &call.ctx, &q)?;
    page_resp(call.req, p, page, org_json)
}

pub fn create(call: &Call) -> Result<Resp> {
    let mut b = Body::from_req(call.req)?;
    let input = parse_body(&mut b, true, false);
    let invite = match b.take("invite") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            let mut ib = Body::new(m);
            let input = super::invitations::parse_invite(&mut ib);
            let errors = std::mem::take(&mut ib.errors);
            let unknown = ib.finish().err();
            for (field, messages) in errors.0 {
                for m in messages {
                    b.errors.add(&format!("invite.{field}"), m);
                }
            }
            if let Some(crate::error::Error::Invalid(e)) = unknown {
                for (field, messages) in e {
                    for m in messages {
                        b.errors.add(&format!("invite.{field}"), m);
                    }
                }
            }
            Some(input)
        }
        Some(_) => {
            b.errors.add("invite", "Must be a JSON object.");
            None
        }
    };
    b.finish()?;
    let first = invite.map(|input| ops::FirstInvite {
        input,
        base_url: call.req.base_url(),
    });
    let saved = ops::create(call.reg(), &call.ctx, input, first)?;
    let o = saved.org;
    let mut body = org_json(&o);
    if let Some((inv, secret)) = saved.invitation {
        let mut i = super::invitations::invitation_json(&inv);
        i["token"] = json!(secret);
        body["invitation"] = i;
    }
    Ok(Resp::json(201, &body)
        .with("Location", format!("/v1/organizations/{}", o.id))
        .with("ETag", crate::api::etag(&o)))
}

pub fn get(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let o = ops::get(call.reg(), &call.ctx, &OrgKey::parse(key))?;
    Ok(with_etag(call.req, &o, &org_json(&o)))
}

pub fn update(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let full = call.req.method == "PUT";
    let mut b = Body::from_req(call.req)?;
    let input = parse_body(&mut b, false, full);
    b.finish()?;
    let o = ops::update(
        call.reg(),
        &call.ctx,
        &OrgKey::parse(key),
        input,
        call.if_match().as_deref(),
    )?
    .org;
    Ok(Resp::json(200, &org_json(&o)).with("ETag", crate::api::etag(&o)))
}

pub fn delete(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    ops::delete(
        call.reg(),
        &call.ctx,
        &OrgKey::parse(key),
        call.if_match().as_deref(),
    )?;
    Ok(Resp::empty(204))
}

pub fn summary(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let s = ops::summary(call.reg(), &call.ctx, &OrgKey::parse(key))?;
    let to_map = |v: &[(String, i64)]| -> Map<String, Value> {
        v.iter().map(|(k, n)| (k.clone(), json!(n))).collect()
    };
    Ok(Resp::json(
        200,
        &json!({
            "organization": s.org.id,
            "name": s.org.name,
            "members": {
                "total": s.active + s.inactive,
                "active": s.active,
                "inactive": s.inactive,
                "by_role": to_map(&s.by_role),
                "by_status": to_map(&s.by_status),
            },
            "open_invitations": s.open_invitations,
            "pending_requests": s.pending_requests,
            "last_activity": s.last_activity,
        }),
    ))
}

pub fn activity(call: &Call) -> Result<Resp> {
    let key = call.param("id");
    let p = paging(call.req, 25, 200)?;
    let q = super::activity::query(call.req, p)?;
    let page = registry::activity::of_org(call.reg(), &call.ctx, &OrgKey::parse(key), &q)?;
    page_resp(call.req, p, page, activity_json)
}
