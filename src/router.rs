//! The router: method + path → one declared route of a mounted surface. It owns no URL
//! shape of its own: every shape comes from the surfaces' route tables (`api::surfaces`),
//! which `/openapi.json` is assembled from too. Here: matching, `HEAD` as `GET`,
//! `OPTIONS`, 405 with `Allow`, authenticating the caller the route asks for, the
//! `Idempotency-Key` replay for surfaces that honour it, and rendering errors in the
//! surface's shape.

use crate::api::table::{allow_header, Call, Caller, Profile, Route};
use crate::api::App;
use crate::error::{Error, Result};
use crate::http::{problem, Req, Resp};
use crate::registry::idempotency::{self, Begin};
use crate::registry::{auth, Ctx};
use std::time::Instant;

/// A route whose template fits the path: its index in the table, the route, its parameters.
type Matched<'a> = (usize, &'a Route, Vec<(String, String)>);

pub fn dispatch(app: &App, req: &Req) -> Resp {
    let started = Instant::now();
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    for (surface, profile) in app.surfaces.iter().enumerate() {
        let matched: Vec<Matched> = profile
            .routes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.matches(&segs).map(|p| (i, r, p)))
            .collect();
        if matched.is_empty() {
            if (profile.owns)(&segs) {
                let mut r = render(profile, &Error::NotFound, req);
                (profile.finish)(req, &mut r, "GET, HEAD, OPTIONS", started);
                return r;
            }
            continue;
        }
        let routes: Vec<&Route> = matched.iter().map(|(_, r, _)| *r).collect();
        let allow = allow_header(&routes);
        let head = req.method == "HEAD";
        let method = if head { "GET" } else { req.method.as_str() };
        let served = matched
            .iter()
            .find(|(_, r, _)| r.method == method && (r.head || !head));
        // The metrics label: the route served, or the path's first (OPTIONS, 405).
        let (index, _, _) = served.unwrap_or(&matched[0]);
        crate::api::metrics::note_route(surface, *index);
        let result = match served {
            Some((_, route, params)) => run(app, profile, route, params.clone(), req),
            None if method == "OPTIONS" => {
                let call = Call {
                    app,
                    req,
                    ctx: anonymous(profile, req),
                    params: matched[0].2.clone(),
                };
                (profile.options)(&call, &allow)
            }
            None => Err(Error::MethodNotAllowed(allow.clone())),
        };
        let mut resp = result.unwrap_or_else(|e| render(profile, &e, req));
        (profile.finish)(req, &mut resp, &allow, started);
        return resp;
    }
    problem(&Error::NotFound, &req.request_id)
}

fn anonymous(profile: &Profile, req: &Req) -> Ctx {
    Ctx::anonymous(&req.request_id, req.remote.map(|a| a.ip()), profile.rules)
}

/// An error in the surface's shape; internal causes go to the log only.
fn render(profile: &Profile, e: &Error, req: &Req) -> Resp {
    if let Error::Internal(cause) = e {
        log::error!("request_id={} internal error: {cause}", req.request_id);
    }
    (profile.error)(e, req)
}

/// The caller of a request: from `Authorization` (401 when present but wrong), or a
/// session cookie where the surface allows one; anonymous otherwise.
fn authenticate(app: &App, profile: &Profile, req: &Req) -> Result<Ctx> {
    let mut ctx = anonymous(profile, req);
    ctx.actor = auth::authenticate(&app.registry, req.header("authorization"), &ctx)?;
    if ctx.actor.is_none() && profile.session_cookie {
        if let Some(sid) = crate::http::cookie(req, "sessionid") {
            ctx.actor = Some(auth::token_user(&app.registry, &sid)?);
        }
    }
    Ok(ctx)
}

fn run(
    app: &App,
    profile: &Profile,
    route: &Route,
    params: Vec<(String, String)>,
    req: &Req,
) -> Result<Resp> {
    let ctx = match route.caller {
        Caller::Bare => anonymous(profile, req),
        _ => authenticate(app, profile, req)?,
    };
    match route.caller {
        Caller::User => {
            ctx.user()?;
        }
        Caller::Staff => {
            if !ctx.user()?.is_staff {
                return Err(Error::Forbidden(
                    "Only staff may perform this action.".into(),
                ));
            }
        }
        Caller::Bare | Caller::Anyone => {}
    }
    // No stored key or name holds a NUL (writes refuse them): such a path names nothing.
    // Answered here, the same on every engine (PostgreSQL text cannot even hold one).
    if params.iter().any(|(_, v)| v.contains('\0')) {
        return Err(Error::NotFound);
    }
    let call = Call {
        app,
        req,
        ctx,
        params,
    };
    if profile.idempotent_posts && req.method == "POST" {
        if let (Some(key), Some(user)) = (req.header("idempotency-key"), call.ctx.actor.as_ref()) {
            return keyed(&call, route, key, user.seq);
        }
    }
    (route.handler)(&call)
}

/// A keyed POST by an authenticated caller runs once; retries replay its answer.
fn keyed(call: &Call, route: &Route, key: &str, user: i64) -> Result<Resp> {
    let (req, reg) = (call.req, call.reg());
    let hash = idempotency::request_hash(&req.method, &req.path, &req.body);
    let credential = req.header("authorization").unwrap_or("");
    match idempotency::begin(reg, user, credential, key, &hash)? {
        Begin::Replay(s) => {
            let headers: Vec<(String, String)> =
                serde_json::from_str(&s.headers).unwrap_or_default();
            let mut r = Resp {
                status: s.status,
                headers,
                body: s.body,
            };
            r.headers
                .push(("Idempotent-Replayed".into(), "true".into()));
            Ok(r)
        }
        Begin::Run(_guard) => {
            let resp = (route.handler)(call)?;
            let headers = serde_json::to_string(&resp.headers).unwrap_or_else(|_| "[]".into());
            let stored = idempotency::Stored {
                request_hash: hash,
                status: resp.status,
                headers,
                body: resp.body.clone(),
            };
            // The operation has committed: its answer stands even if the key cannot be
            // kept (a retry would then run again, as without a key).
            if let Err(e) = idempotency::finish(reg, user, credential, key, stored) {
                log::warn!(
                    "request_id={} idempotency key not stored: {e}",
                    req.request_id
                );
            }
            Ok(resp)
        }
    }
}
