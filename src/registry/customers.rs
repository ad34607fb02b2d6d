//! Customer operations: staff create, change and delete; a customer's owners read it.

use super::{check_if_match, diff, policy, record, Change, Ctx, Patch, Registry};
use crate::error::{Error, Errors, Result};
use crate::model::{self, Customer, Page, Revision, User};
use crate::query::ListQuery;
use crate::store;
use crate::store::db::Db;
use serde_json::{json, Map, Value};

#[derive(Debug, Default, Clone)]
pub struct CustomerInput {
    pub name: Patch<String>,
    pub abbreviation: Patch<String>,
    /// User uuids.
    pub owners: Patch<Vec<String>>,
}

fn snapshot(c: &Customer) -> Map<String, Value> {
    match json!({"name": c.name, "abbreviation": c.abbreviation, "owners": c.owners}) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Customers the caller may see: staff all, others those they own.
pub fn list(reg: &Registry, ctx: &Ctx, q: &ListQuery) -> Result<Page<Customer>> {
    let me = ctx.user()?;
    reg.read(|c| store::customers::list(c, (!me.is_staff).then_some(me.seq), q))
}

pub fn get(reg: &Registry, ctx: &Ctx, id: &str) -> Result<Customer> {
    let me = ctx.user()?;
    reg.read(|c| {
        let cu = store::customers::by_id(c, id)?.ok_or(Error::NotFound)?;
        policy::require_customer_read(c, me, cu.seq)?;
        Ok(cu)
    })
}

/// A customer staff may change: 404 for one the caller cannot see, 403 for non-staff,
/// 412 when `if_match` names another revision.
fn writable(tx: &impl Db, me: &User, id: &str, if_match: Option<&[String]>) -> Result<Customer> {
    let old = store::customers::by_id(tx, id)?.ok_or(Error::NotFound)?;
    policy::require_customer_read(tx, me, old.seq)?;
    policy::require_staff(me)?;
    check_if_match(if_match, &old.revision())?;
    Ok(old)
}

/// Resolves owner uuids to user seqs, naming every unknown one.
fn owner_seqs(tx: &impl Db, owners: &[String]) -> Result<Vec<i64>> {
    let mut errors = Errors::default();
    let mut seqs = vec![];
    for id in owners {
        match store::users::by_id(tx, id)? {
            Some(u) => seqs.push(u.seq),
            None => errors.add("owners", format!("Unknown user {id}.")),
        }
    }
    errors.into_result()?;
    Ok(seqs)
}

pub fn create(reg: &Registry, ctx: &Ctx, input: CustomerInput) -> Result<Customer> {
    let me = ctx.user()?.clone();
    policy::require_staff(&me)?;
    let name = input
        .name
        .ok_or_else(|| Error::field("name", "This field is required."))?;
    reg.store.write(|tx| {
        let owners = owner_seqs(tx, input.owners.as_deref().unwrap_or(&[]))?;
        let now = model::now();
        let id = model::new_id();
        let seq = store::customers::insert(
            tx,
            &id,
            &name,
            input.abbreviation.as_deref().unwrap_or(""),
            &now,
        )?;
        store::customers::set_owners(tx, seq, &owners)?;
        let cu = store::customers::by_seq(tx, seq)?.ok_or(Error::NotFound)?;
        record(
            tx,
            ctx,
            Change {
                action: "create",
                object_type: "customer",
                object_id: Some(&cu.id),
                organization: None,
                changes: diff(None, Some(&snapshot(&cu))),
            },
        )?;
        Ok(cu)
    })
}

pub fn update(
    reg: &Registry,
    ctx: &Ctx,
    id: &str,
    input: CustomerInput,
    if_match: Option<&[String]>,
) -> Result<Customer> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let old = writable(tx, &me, id, if_match)?;
        let name = input.name.clone().unwrap_or_else(|| old.name.clone());
        let abbreviation = input
            .abbreviation
            .clone()
            .unwrap_or_else(|| old.abbreviation.clone());
        let same_owners = input.owners.as_ref().is_none_or(|ids| {
            let (mut a, mut b) = (ids.clone(), old.owners.clone());
            a.sort();
            a.dedup();
            b.sort();
            a == b
        });
        if name == old.name && abbreviation == old.abbreviation && same_owners {
            if let Some(owners) = &input.owners {
                owner_seqs(tx, owners)?;
            }
            // Nothing changes: no new version, no activity row.
            return Ok(old);
        }
        store::customers::update(tx, old.seq, &name, &abbreviation, &model::now())?;
        if let Some(owners) = &input.owners {
            let seqs = owner_seqs(tx, owners)?;
            store::customers::set_owners(tx, old.seq, &seqs)?;
        }
        let new = store::customers::by_seq(tx, old.seq)?.ok_or(Error::NotFound)?;
        record(
            tx,
            ctx,
            Change {
                action: "update",
                object_type: "customer",
                object_id: Some(&new.id),
                organization: None,
                changes: diff(Some(&snapshot(&old)), Some(&snapshot(&new))),
            },
        )?;
        Ok(new)
    })
}

pub fn delete(reg: &Registry, ctx: &Ctx, id: &str, if_match: Option<&[String]>) -> Result<()> {
    let me = ctx.user()?.clone();
    reg.store.write(|tx| {
        let old = writable(tx, &me, id, if_match)?;
        let n = store::customers::org_count(tx, old.seq)?;
        if n > 0 {
            return Err(Error::state(format!(
                "The customer still has {n} organization(s); move or delete them first."
            )));
        }
        store::customers::delete(tx, old.seq)?;
        record(
            tx,
            ctx,
            Change {
                action: "delete",
                object_type: "customer",
                object_id: Some(&old.id),
                organization: None,
                changes: diff(Some(&snapshot(&old)), None),
            },
        )
    })
}
