//! The route table: method + path → one handler. The only place that knows URL shapes.
//! `OPTIONS` answers 204 with `Allow` everywhere; a method a route does not serve is 405
//! with `Allow`; `HEAD` is served wherever `GET` is.

use crate::api::{self, service, v1, App};
use crate::error::{Error, Result};
use crate::http::{problem, Req, Resp};
use rusqlite::Connection;

/// A native route and the methods it serves (HEAD and OPTIONS are implied).
enum Route<'a> {
    Index,
    Health,
    OpenApi,
    Login,
    Me,
    Tokens,
    Token(&'a str),
    Users,
    User(&'a str),
    Customers,
    Customer(&'a str),
    Orgs,
    Org(&'a str),
    OrgSummary(&'a str),
    OrgActivity(&'a str),
    Members(&'a str),
    Member(&'a str, &'a str),
    MemberApprove(&'a str, &'a str),
    MemberReject(&'a str, &'a str),
    Invitations(&'a str),
    Invitation(&'a str, &'a str),
    InvitationResend(&'a str, &'a str),
    Accept(&'a str),
    Activity,
    TestPanic,
}

const GET: &[&str] = &["GET"];
const GET_POST: &[&str] = &["GET", "POST"];
const POST: &[&str] = &["POST"];
const DELETE: &[&str] = &["DELETE"];
const ITEM: &[&str] = &["GET", "PUT", "PATCH", "DELETE"];
const MEMBER: &[&str] = &["GET", "PATCH", "DELETE"];
const GET_DELETE: &[&str] = &["GET", "DELETE"];

fn resolve<'a>(app: &App, segs: &[&'a str]) -> Option<(Route<'a>, &'static [&'static str])> {
    Some(match segs {
        [] => (Route::Index, GET),
        ["healthz"] => (Route::Health, GET),
        ["openapi.json"] => (Route::OpenApi, GET),
        ["v1", "auth", "login"] => (Route::Login, POST),
        ["v1", "me"] => (Route::Me, GET),
        ["v1", "tokens"] => (Route::Tokens, GET_POST),
        ["v1", "tokens", id] => (Route::Token(id), DELETE),
        ["v1", "users"] => (Route::Users, GET_POST),
        ["v1", "users", id] => (Route::User(id), ITEM),
        ["v1", "customers"] => (Route::Customers, GET_POST),
        ["v1", "customers", id] => (Route::Customer(id), ITEM),
        ["v1", "organizations"] => (Route::Orgs, GET_POST),
        ["v1", "organizations", id] => (Route::Org(id), ITEM),
        ["v1", "organizations", id, "summary"] => (Route::OrgSummary(id), GET),
        ["v1", "organizations", id, "activity"] => (Route::OrgActivity(id), GET),
        ["v1", "organizations", id, "members"] => (Route::Members(id), GET_POST),
        ["v1", "organizations", id, "members", user] => (Route::Member(id, user), MEMBER),
        ["v1", "organizations", id, "members", user, "approve"] => {
            (Route::MemberApprove(id, user), POST)
        }
        ["v1", "organizations", id, "members", user, "reject"] => {
            (Route::MemberReject(id, user), POST)
        }
        ["v1", "organizations", id, "invitations"] => (Route::Invitations(id), GET_POST),
        ["v1", "organizations", id, "invitations", inv] => (Route::Invitation(id, inv), GET_DELETE),
        ["v1", "organizations", id, "invitations", inv, "resend"] => {
            (Route::InvitationResend(id, inv), POST)
        }
        ["v1", "invitations", token, "accept"] => (Route::Accept(token), POST),
        ["v1", "activity"] => (Route::Activity, GET),
        ["v1", "_test", "panic"] if app.config.test_routes => (Route::TestPanic, GET),
        _ => return None,
    })
}

/// The `Allow` value for a route's methods.
pub fn allow_header(methods: &[&str]) -> String {
    let mut all: Vec<&str> = methods.to_vec();
    if methods.contains(&"GET") {
        all.push("HEAD");
    }
    all.push("OPTIONS");
    all.join(", ")
}

pub fn dispatch(app: &App, conn: &Connection, req: &Req) -> Resp {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let Some((route, methods)) = resolve(app, &segs) else {
        if let Some(r) = api::profiles::dispatch(app, conn, req) {
            return r;
        }
        return problem(&Error::NotFound, &req.request_id);
    };
    let allow = allow_header(methods);
    let method = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    if req.method == "OPTIONS" {
        return Resp::empty(204).with("Allow", allow);
    }
    if !methods.contains(&method) {
        return problem(&Error::MethodNotAllowed(allow), &req.request_id);
    }
    match native(app, conn, req, route, method) {
        Ok(r) => r,
        Err(e) => {
            if let Error::Internal(cause) = &e {
                log::error!("request_id={} internal error: {cause}", req.request_id);
            }
            problem(&e, &req.request_id)
        }
    }
}

fn native(app: &App, conn: &Connection, req: &Req, route: Route, method: &str) -> Result<Resp> {
    let reg = &app.registry;
    // Service endpoints answer without credentials.
    match route {
        Route::Index => return Ok(service::index(app)),
        Route::Health => return Ok(service::health(app, conn)),
        Route::OpenApi => return Ok(api::openapi::serve(app)),
        _ => {}
    }
    let ctx = api::context(app, conn, req)?;
    // A keyed POST by an authenticated caller runs once; retries replay its answer.
    if let (Some(key), Some(user), "POST") =
        (req.header("idempotency-key"), ctx.actor.as_ref(), method)
    {
        use crate::registry::idempotency::{self, Begin};
        let hash = idempotency::request_hash(method, &req.path, &req.body);
        let credential = req.header("authorization").unwrap_or("");
        return match idempotency::begin(reg, conn, user.seq, credential, key, &hash)? {
            Begin::Replay(s) => Ok(replayed(s)),
            Begin::Run(_guard) => {
                let resp = route_native(app, conn, req, &ctx, route, method)?;
                let headers = serde_json::to_string(&resp.headers).unwrap_or_else(|_| "[]".into());
                let stored = idempotency::Stored {
                    request_hash: hash,
                    status: resp.status,
                    headers,
                    body: resp.body.clone(),
                };
                // The operation has committed: its answer stands even if the key cannot be
                // kept (a retry would then run again, as without a key).
                if let Err(e) = idempotency::finish(reg, user.seq, credential, key, stored) {
                    log::warn!(
                        "request_id={} idempotency key not stored: {e}",
                        req.request_id
                    );
                }
                Ok(resp)
            }
        };
    }
    route_native(app, conn, req, &ctx, route, method)
}

/// A stored first answer, marked as a replay.
fn replayed(s: crate::registry::idempotency::Stored) -> Resp {
    let headers: Vec<(String, String)> = serde_json::from_str(&s.headers).unwrap_or_default();
    let mut r = Resp {
        status: s.status,
        headers,
        body: s.body,
    };
    r.headers
        .push(("Idempotent-Replayed".into(), "true".into()));
    r
}

fn route_native(
    app: &App,
    conn: &Connection,
    req: &Req,
    ctx: &crate::registry::Ctx,
    route: Route,
    method: &str,
) -> Result<Resp> {
    let reg = &app.registry;
    let ctx = ctx.clone();
    match (route, method) {
        (Route::Login, _) => v1::auth::login(reg, conn, &ctx, req),
        (Route::Me, _) => v1::auth::me(conn, &ctx, req),
        (Route::Tokens, "GET") => v1::auth::list_tokens(conn, &ctx, req),
        (Route::Tokens, _) => v1::auth::create_token(reg, &ctx, req),
        (Route::Token(id), _) => v1::auth::revoke_token(reg, &ctx, id),
        (Route::Users, "GET") => v1::users::list(conn, &ctx, req),
        (Route::Users, _) => v1::users::create(reg, &ctx, req),
        (Route::User(id), "GET") => v1::users::get(conn, &ctx, req, id),
        (Route::User(id), "DELETE") => v1::users::delete(reg, &ctx, req, id),
        (Route::User(id), m) => v1::users::update(reg, &ctx, req, id, m == "PUT"),
        (Route::Customers, "GET") => v1::customers::list(conn, &ctx, req),
        (Route::Customers, _) => v1::customers::create(reg, &ctx, req),
        (Route::Customer(id), "GET") => v1::customers::get(conn, &ctx, req, id),
        (Route::Customer(id), "DELETE") => v1::customers::delete(reg, &ctx, req, id),
        (Route::Customer(id), m) => v1::customers::update(reg, &ctx, req, id, m == "PUT"),
        (Route::Orgs, "GET") => v1::orgs::list(conn, &ctx, req),
        (Route::Orgs, _) => v1::orgs::create(reg, &ctx, req),
        (Route::Org(id), "GET") => v1::orgs::get(conn, &ctx, req, id),
        (Route::Org(id), "DELETE") => v1::orgs::delete(reg, &ctx, req, id),
        (Route::Org(id), m) => v1::orgs::update(reg, &ctx, req, id, m == "PUT"),
        (Route::OrgSummary(id), _) => v1::orgs::summary(conn, &ctx, id),
        (Route::OrgActivity(id), _) => v1::orgs::activity(conn, &ctx, req, id),
        (Route::Members(id), "GET") => v1::members::list(conn, &ctx, req, id),
        (Route::Members(id), _) => v1::members::add(reg, &ctx, req, id),
        (Route::Member(id, u), "GET") => v1::members::get(conn, &ctx, req, id, u),
        (Route::Member(id, u), "DELETE") => v1::members::remove(reg, &ctx, req, id, u),
        (Route::Member(id, u), _) => v1::members::update(reg, &ctx, req, id, u),
        (Route::MemberApprove(id, u), _) => v1::members::decide(reg, &ctx, req, id, u, true),
        (Route::MemberReject(id, u), _) => v1::members::decide(reg, &ctx, req, id, u, false),
        (Route::Invitations(id), "GET") => v1::invitations::list(conn, &ctx, req, id),
        (Route::Invitations(id), _) => v1::invitations::create(reg, &ctx, req, id),
        (Route::Invitation(id, inv), "GET") => v1::invitations::get(conn, &ctx, req, id, inv),
        (Route::Invitation(id, inv), _) => v1::invitations::revoke(reg, &ctx, id, inv),
        (Route::InvitationResend(id, inv), _) => v1::invitations::resend(reg, &ctx, req, id, inv),
        (Route::Accept(token), _) => v1::invitations::accept(reg, &ctx, req, token),
        (Route::Activity, _) => v1::activity::list(conn, &ctx, req),
        (Route::TestPanic, _) => panic!("deliberate panic for the panic-guard test"),
        (Route::Index | Route::Health | Route::OpenApi, _) => Err(Error::NotFound),
    }
}
