//! `/v1/auth/login`, `/v1/me`, `/v1/tokens`.

use super::{path_uuid, token_json, user_json};
use crate::api::table::Call;
use crate::api::{envelope, paging, with_etag, Body};
use crate::error::Result;
use crate::http::Resp;
use crate::registry::{auth, users};
use serde_json::json;
use sha2::Digest;

pub fn login(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let mut b = Body::from_req(req)?;
    let username = b.string("username", 1, 150, true);
    let password = b.string("password", 1, 4096, true);
    b.finish()?;
    let (username, password) = (username.unwrap_or_default(), password.unwrap_or_default());
    let (secret, token, user) = auth::login(reg, ctx, &username, &password)?;
    Ok(Resp::json(
        201,
        &json!({"token": secret, "expires": token.expires, "user": user_json(&user)}),
    ))
}

pub fn me(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let (user, memberships) = users::me(reg, ctx)?;
    let mut body = user_json(&user);
    body["memberships"] = memberships
        .iter()
        .map(|m| json!({"organization": m.organization, "role": m.role.as_str(), "status": m.status.as_str(), "is_active": m.is_active}))
        .collect();
    // The representation includes memberships, so the ETag is a digest of the body.
    let digest = sha2::Sha256::digest(body.to_string().as_bytes());
    let rev = format!(
        "me-{}",
        digest
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Ok(with_etag(req, &rev, &body))
}

pub fn list_tokens(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    let p = paging(req, 25, 200)?;
    let page = auth::list_tokens(reg, ctx, p.size, p.offset())?;
    Ok(Resp::json(
        200,
        &envelope(
            req,
            p,
            page.count,
            page.items.iter().map(token_json).collect(),
        )?,
    ))
}

pub fn create_token(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let req = call.req;
    ctx.user()?;
    let mut b = Body::from_req(req)?;
    b.read_only(&["id", "prefix", "kind", "created", "last_used", "token"]);
    let name = b.string("name", 0, 150, false).unwrap_or_default();
    let expires = b.future_time("expires").flatten();
    b.finish()?;
    let (secret, token) = auth::create_token(reg, ctx, &name, expires.as_deref())?;
    let mut body = token_json(&token);
    body["token"] = json!(secret);
    Ok(Resp::json(201, &body).with("Location", format!("/v1/tokens/{}", token.id)))
}

pub fn revoke_token(call: &Call) -> Result<Resp> {
    let reg = call.reg();
    let ctx = &call.ctx;
    let id = call.param("id");
    ctx.user()?;
    auth::revoke_token(reg, ctx, &path_uuid(id)?)?;
    Ok(Resp::empty(204))
}
