//! `/v1/customers`.

use super::path_uuid;
use crate::api::{envelope, list_query, paging, with_etag, Body};
use crate::error::Result;
use crate::http::{Req, Resp};
use crate::model::Customer;
use crate::registry::customers::{self as ops, CustomerInput};
use crate::registry::{Ctx, Registry};
use crate::store::{self, list::Field};
use rusqlite::Connection;
use serde_json::{json, Value};

pub fn customer_json(c: &Customer) -> Value {
    json!({
        "id": c.id, "name": c.name, "abbreviation": c.abbreviation, "owners": c.owners,
        "created": c.created, "modified": c.modified,
    })
}

fn orders() -> Vec<(&'static str, Field)> {
    let f = |n: &str| {
        *store::customers::FIELDS
            .iter()
            .find(|f| f.name == n)
            .expect("declared field")
    };
    vec![("name", f("name")), ("created", f("created"))]
}

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

pub fn list(c: &Connection, ctx: &Ctx, req: &Req) -> Result<Resp> {
    let p = paging(req, 25, 200)?;
    let q = list_query(
        req,
        store::customers::FIELDS,
        &["name", "abbreviation"],
        &orders(),
        p,
    )?;
    let page = ops::list(c, ctx, &q)?;
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

pub fn create(reg: &Registry, ctx: &Ctx, req: &Req) -> Result<Resp> {
    ctx.user()?;
    let cu = ops::create(reg, ctx, parse(req, true, false)?)?;
    Ok(Resp::json(201, &customer_json(&cu))
        .with("Location", format!("/v1/customers/{}", cu.id))
        .with("ETag", ops::etag(&cu)))
}

pub fn get(c: &Connection, ctx: &Ctx, req: &Req, id: &str) -> Result<Resp> {
    let cu = ops::get(c, ctx, &path_uuid(id)?)?;
    Ok(with_etag(req, &ops::etag(&cu), &customer_json(&cu)))
}

pub fn update(reg: &Registry, ctx: &Ctx, req: &Req, id: &str, full: bool) -> Result<Resp> {
    ctx.user()?;
    let id = path_uuid(id)?;
    let cu = ops::update(
        reg,
        ctx,
        &id,
        parse(req, false, full)?,
        req.header("if-match"),
    )?;
    Ok(Resp::json(200, &customer_json(&cu)).with("ETag", ops::etag(&cu)))
}

pub fn delete(reg: &Registry, ctx: &Ctx, req: &Req, id: &str) -> Result<Resp> {
    ctx.user()?;
    ops::delete(reg, ctx, &path_uuid(id)?, req.header("if-match"))?;
    Ok(Resp::empty(204))
}
