//! `/v1/auth/login`, `/v1/me`, `/v1/tokens`.

use super::{path_uuid, token_json, user_json};
use crate::api::table::Call;
use crate::api::{page_resp, paging, with_etag, Body};
use crate::error::Result;
use crate::http::Resp;
use crate::registry::{auth, users};
use serde_json::json;
use sha2::Digest;

pub fn login(call: &Call) -> Result<Resp> {
    let mut b = Body::from_req(call.req)?;
    let username = b.string("username", 1, 150, true);
    let password = b.string("password", 1, 4096, true);
    b.finish()?;
    let (username, password) = (username.unwrap_or_default(), password.unwrap_or_default());
    let (secret, token, user) = auth::login(call.reg(), &call.ctx, &username, &password)?;
    Ok(Resp::json(
        201,
        &json!({"token": secret, "expires": token.expires, "user": user_json(&user)}),
    ))
}

pub fn me(call: &Call) -> Result<Resp> {
    let (user, memberships) = users::me(call.reg(), &call.ctx)?;
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
    Ok(with_etag(call.req, &rev, &body))
}

pub fn list_tokens(call: &Call) -> Result<Resp> {
    let p = paging(call.req, 25, 200)?;
    let page = auth::list_tokens(call.reg(), &call.ctx, p.size, p.offset())?;
    page_resp(call.req, p, page, token_json)
}

pub fn create_token(call: &Call) -> Result<Resp> {
    let mut b = Body::from_req(call.req)?;
    b.read_only(&["id", "prefix", "kind", "created", "last_used", "token"]);
    let name = b.string("name", 0, 150, false).unwrap_or_default();
    let expires = b.future_time("expires").flatten();
    b.finish()?;
    let (secret, token) = auth::create_token(call.reg(), &call.ctx, &name, expires.as_deref())?;
    let mut body = token_json(&token);
    body["token"] = json!(secret);
    Ok(Resp::json(201, &body).with("Location", format!("/v1/tokens/{}", token.id)))
}

pub fn revoke_token(call: &Call) -> Result<Resp> {
    let id = call.param("id");
    auth::revoke_token(call.reg(), &call.ctx, &path_uuid(id)?)?;
    Ok(Resp::empty(204))
}
