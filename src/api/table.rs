//! Route tables: how a surface (the native API or a profile) declares what it serves.
//! Each route is declared once — method, path template, operation id, who may call it,
//! its handler and its OpenAPI operation — and both the router and `/openapi.json` are
//! derived from the declarations, so nothing can be served undescribed or described
//! unserved. A `Profile` bundles a table with the surface's rule set and wire habits
//! (error bodies, OPTIONS, extra headers).

use super::doc::Op;
use super::App;
use crate::error::{Error, Result};
use crate::http::{Req, Resp};
use crate::registry::{Ctx, Registry, RuleSet};
use serde_json::{Map, Value};

/// Who may call a route. The router authenticates accordingly before the handler runs;
/// finer decisions (roles, ownership, rule sets) are the registry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No credentials are read at all (service and discovery routes).
    Bare,
    /// Anyone; an `Authorization` header, if sent, must authenticate.
    Anyone,
    /// An authenticated user (401 otherwise).
    User,
    /// An authenticated staff user (401 / 403 otherwise).
    Staff,
}

/// What a handler gets: the application, the request, the authenticated caller under
/// the surface's rule set, and the path parameters by template name.
pub struct Call<'a> {
    pub app: &'a App,
    pub req: &'a Req,
    pub ctx: Ctx,
    pub params: Vec<(String, String)>,
}

impl Call<'_> {
    pub fn reg(&self) -> &Registry {
        &self.app.registry
    }

    /// A path parameter the template declares (empty if it does not).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The `If-Match` entity tags, unquoted (`W/` dropped), or None without the header.
    pub fn if_match(&self) -> Option<Vec<String>> {
        self.req.header("if-match").map(super::etag_list)
    }
}

pub type Handler = fn(&Call) -> Result<Resp>;

/// One served operation.
pub struct Route {
    pub method: &'static str,
    /// The path template: literal segments and `{name}` parameters (a trailing `/` is
    /// part of the description, not of matching).
    pub path: String,
    pub op: String,
    pub caller: Caller,
    pub handler: Handler,
    /// Completes the OpenAPI operation (summary, parameters, bodies, responses); the
    /// assembler gives it the operation id, tag and security first.
    pub doc: fn(Op) -> Op,
    /// The template's segments, split once at construction.
    segments: Vec<Segment>,
    /// A GET route also answers HEAD, unless this is cleared (`no_head`): a GET that
    /// changes data (as a seed may have one) must not run for a HEAD.
    pub head: bool,
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

fn split_template(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |t| match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(t.to_string()),
            },
        )
        .collect()
}

impl Route {
    pub fn new(
        method: &'static str,
        path: impl Into<String>,
        op: impl Into<String>,
        caller: Caller,
        handler: Handler,
        doc: fn(Op) -> Op,
    ) -> Route {
        let path = path.into();
        Route {
            method,
            segments: split_template(&path),
            path,
            op: op.into(),
            caller,
            handler,
            doc,
            head: true,
        }
    }

    /// This GET is not also HEAD: a HEAD gets 405 and `Allow` does not list it.
    pub fn no_head(mut self) -> Route {
        self.head = false;
        self
    }

    /// The path parameters if `segs` (decoded, without empty ones) fit the template.
    /// Literals are compared first, so a route that does not match costs no allocation.
    pub fn matches(&self, segs: &[&str]) -> Option<Vec<(String, String)>> {
        if self.segments.len() != segs.len() {
            return None;
        }
        let fits = self.segments.iter().zip(segs).all(|(t, s)| match t {
            Segment::Literal(l) => l == s,
            Segment::Param(_) => true,
        });
        if !fits {
            return None;
        }
        Some(
            self.segments
                .iter()
                .zip(segs)
                .filter_map(|(t, s)| match t {
                    Segment::Param(name) => Some((name.clone(), s.to_string())),
                    Segment::Literal(_) => None,
                })
                .collect(),
        )
    }
}

/// A surface: its route table, rule set and wire habits.
pub struct Profile {
    pub name: &'static str,
    /// The OpenAPI tags of its operations with their descriptions; the first is the
    /// default tag of every route (a route's doc may file itself under another).
    pub tags: &'static [(&'static str, &'static str)],
    pub rules: &'static RuleSet,
    pub routes: Vec<Route>,
    /// Renders an error in this surface's shape.
    pub error: fn(&Error, &Req) -> Resp,
    /// Answers OPTIONS on a path whose table has no OPTIONS route (`allow` lists the
    /// methods served there).
    pub options: fn(&Call, &str) -> Result<Resp>,
    /// Headers every answer on this surface carries (after the handler or error).
    pub finish: fn(&Req, &mut Resp, &str, std::time::Instant),
    /// A path this surface answers 404 for in its own shape when no route matches.
    pub owns: fn(&[&str]) -> bool,
    /// A `sessionid` cookie authenticates too (DRF session logins).
    pub session_cookie: bool,
    /// Authenticated POSTs honour `Idempotency-Key`.
    pub idempotent_posts: bool,
    /// Errors are DRF bodies (for the description's error responses).
    pub drf_errors: bool,
    /// Component schemas this surface adds to the description.
    pub schemas: fn(&mut Map<String, Value>),
    /// Last touches to the assembled description (links into other surfaces).
    pub finish_doc: fn(&mut Value),
}

impl Profile {
    /// A surface with the plain habits: errors rendered by `error`, `OPTIONS` answered
    /// 204 with `Allow`, no extra headers, schemas or session cookies. Profiles override
    /// what differs with struct-update syntax.
    pub fn new(
        name: &'static str,
        tags: &'static [(&'static str, &'static str)],
        rules: &'static RuleSet,
        routes: Vec<Route>,
        error: fn(&Error, &Req) -> Resp,
    ) -> Profile {
        Profile {
            name,
            tags,
            rules,
            routes,
            error,
            options: |_: &Call, allow: &str| Ok(Resp::empty(204).with("Allow", allow)),
            finish: no_finish,
            owns: owns_nothing,
            session_cookie: false,
            idempotent_posts: false,
            drf_errors: false,
            schemas: no_schemas,
            finish_doc: no_doc_finish,
        }
    }
}

/// Defaults for a `Profile`'s hooks.
pub fn no_finish(_: &Req, _: &mut Resp, _: &str, _: std::time::Instant) {}
pub fn owns_nothing(_: &[&str]) -> bool {
    false
}
pub fn no_schemas(_: &mut Map<String, Value>) {}
pub fn no_doc_finish(_: &mut Value) {}

/// The `Allow` value for the routes of one path: their methods, HEAD wherever a GET
/// answers it, OPTIONS always.
pub fn allow_header(routes: &[&Route]) -> String {
    let mut all: Vec<&str> = vec![];
    for r in routes {
        let m = r.method;
        if !all.contains(&m) && m != "HEAD" && m != "OPTIONS" {
            all.push(m);
        }
    }
    if routes.iter().any(|r| r.method == "GET" && r.head) {
        all.push("HEAD");
    }
    all.push("OPTIONS");
    all.join(", ")
}
