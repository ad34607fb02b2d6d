//! The web console at `/console/`: one HTML page, its script, style sheet and icon,
//! embedded in the binary (no build step, nothing fetched from elsewhere). The page talks
//! to the native `/v1` API only, with the token its user signs in for, so it can do
//! exactly what that user may do through the API.
//!
//! Every answer carries a strict Content-Security-Policy: nothing but this origin's own
//! files, no inline script or style, no `eval`, no framing, requests to this origin only.

use super::doc::{hdrs, Op};
use super::table::Call;
use crate::error::Result;
use crate::http::Resp;
use serde_json::json;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

const INDEX: &str = include_str!("../../console/index.html");
const SCRIPT: &str = include_str!("../../console/app.js");
const STYLE: &str = include_str!("../../console/app.css");
const ICON: &str = include_str!("../../console/icon.svg");

fn asset(content_type: &str, body: &str) -> Result<Resp> {
    Ok(Resp::typed(200, content_type, body.as_bytes().to_vec())
        .with("Content-Security-Policy", CSP)
        .with("X-Content-Type-Options", "nosniff")
        .with("Referrer-Policy", "no-referrer")
        .with("X-Frame-Options", "DENY")
        .with("Cache-Control", "no-cache"))
}

pub fn index(_: &Call) -> Result<Resp> {
    asset("text/html; charset=utf-8", INDEX)
}

pub fn script(_: &Call) -> Result<Resp> {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub fn style(_: &Call) -> Result<Resp> {
    asset("text/css; charset=utf-8", STYLE)
}

pub fn icon(_: &Call) -> Result<Resp> {
    asset("image/svg+xml", ICON)
}

fn file(o: Op, summary: &str, media: &str) -> Op {
    o.tag("console").summary(summary).response(
        200,
        json!({
            "description": "The file, with a strict `Content-Security-Policy`.",
            "headers": hdrs(&[]),
            "content": {media: {"schema": {"type": "string"}}},
        }),
    )
}

pub fn doc_index(o: Op) -> Op {
    file(o, "The web console (HTML page)", "text/html").describe(
        "A browser console over the native API: sign in with a username and password, \
         browse and create organizations, manage members, invitations, and read the \
         audit trail. It calls `/v1` with the signed-in user's token, so it shows and \
         does only what the API allows that user.",
    )
}

pub fn doc_script(o: Op) -> Op {
    file(o, "The web console's script", "text/javascript")
}

pub fn doc_style(o: Op) -> Op {
    file(o, "The web console's style sheet", "text/css")
}

pub fn doc_icon(o: Op) -> Op {
    file(o, "The web console's icon", "image/svg+xml")
}
