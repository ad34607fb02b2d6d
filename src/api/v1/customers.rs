//! `/v1/customers`.

use super::path_uuid;
use crate::api::table::Call;
use crate::api::{envelope, list_query, paging, with_etag, Body};
use crate::error::Result;
use crate::http::{Req, Resp};
use crate::model::Customer;
use crate::registry::customers::{self as ops, CustomerInput};
use serde_json::{json, Value};

pub fn customer_json(c: &Customer) -> Value {
    json!({
        "id": c.id, "name": c.name, "abbreviation": c.abbreviation, "owners": c.owners,
        "created": c.created, "modified": c.modified,
    })
}

const ORDERS: &[(&str, &str)] = &[("name", "name"), ("created", "created")];

fn parse(req: &Req, create: bool, full: bool) -> Result<CustomerInput> {
    let mut b = Body::from_req(req)?;
    b.read_only(&["id", "created", "modified"]);
    let mut i = CustomerInput {
        name: b.string("name", 1, super::NAME_MAX, create || full),
        abbreviation: b.string("abbreviation", 0, 64, false),
        owners: b.uuid_list("owners", 100),
    };
    b.finish()?;
    if full {
        i.abbreviation.get_or_insert_with(String::new);
        i.owners.get_or_insert_with(Vec::new);
    }
    Ok(i)
}

pub fn list(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let p = paging(req, 25, 200)?;
    let q = list_query(
        req,
        &crate::registry::fields(crate::registry::Resource::Customers),
        &["name", "abbreviation"],
        ORDERS,
        p,
    )?;
    let page = ops::list(reg, ctx, &q)?;
    Ok(Resp::json(
        200,
        &envelope(
            req,
            p,
            page.count,
            page.items.iter().map(customer_json).collect(),
        )?,
    ))
}

pub fn create(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    ctx.user()?;
    let cu = ops::create(reg, ctx, parse(req, true, false)?)?;
    Ok(Resp::json(201, &customer_json(&cu))
        .with("Location", format!("/v1/customers/{}", cu.id))
        .with("ETag", crate::api::etag(&cu)))
}

pub fn get(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let id = call.param("id");
    let cu = ops::get(reg, ctx, &path_uuid(id)?)?;
    Ok(with_etag(req, &cu, &customer_json(&cu)))
}

pub fn update(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let id = call.param("id");
    let full = req.method == "PUT";
    ctx.user()?;
    let id = path_uuid(id)?;
    let cu = ops::update(
        reg,
        ctx,
        &id,
        parse(req, false, full)?,
        call.if_match().as_deref(),
    )?;
    Ok(Resp::json(200, &customer_json(&cu)).with("ETag", crate::api::etag(&cu)))
}

pub fn delete(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let _req = call.req;
    let id = call.param("id");
    ctx.user()?;
    ops::delete(reg, ctx, &path_uuid(id)?, call.if_match().as_deref())?;
    Ok(Resp::empty(204))
}
