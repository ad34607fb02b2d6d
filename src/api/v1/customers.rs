//! `/v1/customers`.

use super::path_uuid;
use crate::api::table::Call;
use crate::api::{page_resp, with_etag, Body};
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
    let (p, q) = call.list_query(
        crate::registry::Resource::Customers,
        &["name", "abbreviation"],
        ORDERS,
    )?;
    let page = ops::list(call.reg(), &call.ctx, &q)?;
    page_resp(call.req, p, page, customer_json)
}

pub fn create(call: &Call) -> Result<Resp> {
    let cu = ops::create(call.reg(), &call.ctx, parse(call.req, true, false)?)?;
    Ok(Resp::json(201, &customer_json(&cu))
        .with("Location", format!("/v1/customers/{}", cu.id))
        .with("ETag", crate::api::etag(&cu)))
}

pub fn get(call: &Call) -> Result<Resp> {
    let id = call.param("id");
    let cu = ops::get(call.reg(), &call.ctx, &path_uuid(id)?)?;
    Ok(with_etag(call.req, &cu, &customer_json(&cu)))
}

pub fn update(call: &Call) -> Result<Resp> {
    let id = call.param("id");
    let full = call.req.method == "PUT";
    let id = path_uuid(id)?;
    let cu = ops::update(
        call.reg(),
        &call.ctx,
        &id,
        parse(call.req, false, full)?,
        call.if_match().as_deref(),
    )?;
    Ok(Resp::json(200, &customer_json(&cu)).with("ETag", crate::api::etag(&cu)))
}

pub fn delete(call: &Call) -> Result<Resp> {
    let id = path_uuid(call.param("id"))?;
    ops::delete(call.reg(), &call.ctx, &id, call.if_match().as_deref())?;
    Ok(Resp::empty(204))
}
