//! The OpenAPI 3.1 description served at `/openapi.json`, assembled from the mounted
//! surfaces' route tables: every declared route becomes one operation (its id, tag and
//! security from the declaration, the rest from the route's `doc`), plus the shared
//! components and each surface's own schemas. Nothing here lists a route by hand.

use super::doc::{self, idempotent, Op};
use super::table::{Caller, Profile};
use super::App;
use crate::http::Resp;
use serde_json::{json, Map, Value};

pub fn serve(app: &App) -> Resp {
    Resp::json(200, &build(&app.surfaces))
}

/// The description of exactly what `surfaces` serve.
pub fn build(surfaces: &[Profile]) -> Value {
    let mut paths = Map::new();
    let mut tag_names: Vec<String> = vec![];
    let mut tags: Vec<Value> = vec![];
    let mut schemas = match doc::schemas::schemas() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for p in surfaces {
        (p.schemas)(&mut schemas);
        for r in &p.routes {
            let mut o = Op::new(&r.op, p.tags[0].0, p.drf_errors);
            o = match r.caller {
                Caller::Bare => o.bare(),
                _ => o,
            };
            let mut built = (r.doc)(o).build();
            if p.idempotent_posts && r.method == "POST" && r.caller != Caller::Bare {
                idempotent(&mut built);
            }
            let item = paths.entry(r.path.clone()).or_insert_with(|| json!({}));
            item[r.method.to_ascii_lowercase()] = built;
        }
    }
    for p in surfaces {
        for (name, description) in p.tags {
            if !tag_names.iter().any(|t| t == name) {
                tag_names.push(name.to_string());
                tags.push(json!({"name": name, "description": description}));
            }
        }
    }
    let mut d = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "orgreg",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "An organization registry: users, customers, organizations, memberships, invitations and an audit trail.",
            "description": "The native API (`/v1`). JSON in and out; errors are RFC 9457 problem details \
                (`application/problem+json`). Lists are paged (`page`, `page_size`; a page past the end is 404). \
                Path ids accept the dashed UUID form and the 32-hex form; a path id that is not a UUID names \
                nothing (404), except that organizations are also found by their unique name. Item \
                responses carry an `ETag`: `If-None-Match` on GET answers 304, `If-Match` on PUT/PATCH/DELETE \
                is honoured (412 on mismatch). Unknown and read-only body fields are rejected (400). An \
                authenticated POST may carry an `Idempotency-Key`: a retry with the same key and the same request \
                replays the first 2xx answer (with `Idempotent-Replayed: true`) for 24 hours, the same key with \
                another request is 422. `OPTIONS` answers 204 with `Allow` on every route, `HEAD` is served wherever `GET` is (except the accounts GET `.../leave`, which changes data), and a \
                method a route does not serve is 405 with `Allow`. Every response carries `X-Request-Id`.\n\n\
                Mounted profiles (tags `awx`, `waldur`, `zenml`, `accounts`, `ezeep`) serve other products' \
                organization APIs over the same registry, in those products' shapes: AWX and Waldur answer \
                Django REST Framework error bodies (`{\"detail\": ...}`, `{\"field\": [...]}`) as `application/json`, \
                ignore unknown body fields and answer `OPTIONS` with a metadata document; ZenML answers \
                `{\"detail\": [\"ExceptionClass\", \"message\"]}`; accounts and ezeep answer problem details. \
                Every operation here is derived from the route tables the server dispatches from.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "security": [{"bearer": []}, {"token": []}, {"basic": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>`: an API or login token (`org_...`)."},
                "token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Authorization: Token <token>`: the same tokens as `bearer`, DRF style."},
                "basic": {"type": "http", "scheme": "basic", "description": "HTTP Basic `username:password`, for users that have a password. Failed attempts count towards the login rate limit; while a username or client address is locked out, Basic credentials answer 401 with `Retry-After`."},
            },
            "headers": doc::headers(),
            "responses": doc::problem_responses(),
            "schemas": schemas,
        },
    });
    for p in surfaces {
        (p.finish_doc)(&mut d);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::{
        activity_json, customers::customer_json, invitations::invitation_json, membership_json,
        org_json, token_json, user_json,
    };
    use crate::model;

    const PROFILES: &[&str] = &["awx", "waldur", "zenml", "accounts", "ezeep"];

    /// The native surface and the named profiles, as a server mounting them has them.
    fn surfaces(names: &[&str]) -> Vec<Profile> {
        let mut cfg = crate::config::Config::for_tests(":memory:");
        cfg.test_routes = false;
        let mut s = vec![crate::api::v1::routes::surface(&cfg)];
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        s.extend(crate::api::profiles::mounted(&names));
        s
    }

    fn doc() -> Value {
        build(&surfaces(&crate::config::ALL_PROFILES))
    }

    /// The description and the route tables agree both ways: every declared route is
    /// described at its path and method under its operation id, and every described
    /// operation is a declared route.
    #[test]
    fn description_is_the_route_tables() {
        let all = surfaces(&crate::config::ALL_PROFILES);
        let d = build(&all);
        let mut declared = std::collections::BTreeSet::new();
        for p in &all {
            for r in &p.routes {
                let method = r.method.to_ascii_lowercase();
                let o = &d["paths"][&r.path][&method];
                assert_eq!(o["operationId"], json!(r.op), "{} {}", r.method, r.path);
                declared.insert((r.path.clone(), method));
                for name in r.path.split('/').filter_map(|s| s.strip_prefix('{')) {
                    let name = name.trim_end_matches('}');
                    let described = o["parameters"].as_array().is_some_and(|ps| {
                        ps.iter().any(|x| x["in"] == "path" && x["name"] == name)
                    });
                    assert!(described, "{}: path parameter {name} undescribed", r.op);
                }
            }
        }
        for (path, item) in d["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                assert!(
                    declared.contains(&(path.clone(), method.clone())),
                    "{method} {path} is described but not served"
                );
            }
        }
    }

    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => walk(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }

    fn resolve<'a>(d: &'a Value, r: &str) -> Option<&'a Value> {
        d.pointer(r.strip_prefix('#')?)
    }

    #[test]
    fn refs_resolve() {
        let d = doc();
        let mut refs = vec![];
        walk(&d, &mut refs);
        assert!(refs.len() > 50);
        for r in refs {
            assert!(resolve(&d, r).is_some(), "unresolved $ref {r}");
        }
    }

    /// Operations that need no credentials (`security: []`).
    const PUBLIC: &[&str] = &[
        "login",
        "zenmlLogin",
        "awxApiRoot",
        "awxLoginInfo",
        "awxLogin",
        "awxV1VersionRoot",
        "awxV2VersionRoot",
        "awxV1Ping",
        "awxV2Ping",
    ];
    /// Public operations that read neither credentials nor storage (no 401, no 503).
    const BARE: &[&str] = &[
        "awxApiRoot",
        "awxLoginInfo",
        "awxV1VersionRoot",
        "awxV2VersionRoot",
        "awxV1Ping",
        "awxV2Ping",
    ];

    #[test]
    fn operations_are_complete() {
        let d = doc();
        let tags: Vec<&str> = d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut ids = std::collections::HashSet::new();
        // Operations of surfaces that answer errors as DRF bodies.
        let drf_ops: std::collections::HashSet<String> = surfaces(&crate::config::ALL_PROFILES)
            .iter()
            .filter(|p| p.drf_errors)
            .flat_map(|p| p.routes.iter().map(|r| r.op.clone()))
            .collect();
        for (path, item) in d["paths"].as_object().unwrap() {
            let placeholders: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for o in item.as_object().unwrap().values() {
                let path_params: Vec<&str> = o["parameters"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|p| p["in"] == "path")
                            .map(|p| p["name"].as_str().unwrap())
                            .collect()
                    })
                    .unwrap_or_default();
                assert_eq!(path_params, placeholders, "{path}: path parameters");
            }
            for (method, o) in item
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "parameters")
            {
                assert!(
                    ["get", "post", "put", "patch", "delete", "options"].contains(&method.as_str()),
                    "{path}: {method}"
                );
                let id = o["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
                assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
                let op_tags: Vec<&str> = o["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect();
                for t in &op_tags {
                    assert!(tags.contains(t), "{id}: undeclared tag {t}");
                }
                // The console's files are served like the service routes: no credentials
                // read, nothing stored touched.
                let service = op_tags == ["service"] || op_tags == ["console"];
                let profile = op_tags.iter().any(|t| PROFILES.contains(t));
                // `/metrics` is native but outside `/v1` and (by default) authenticated.
                let metrics = op_tags == ["metrics"];
                assert_eq!(metrics, id == "getMetrics", "{id}: metrics tag");
                assert_eq!(
                    profile,
                    !service && !metrics && !path.starts_with("/v1/"),
                    "{id}: profile tag"
                );
                let responses = o["responses"].as_object().unwrap();
                assert!(
                    responses
                        .keys()
                        .any(|s| s.starts_with('2') || (id == "awxLogin" && s == "302")),
                    "{id}: no success response"
                );
                assert_eq!(
                    service || PUBLIC.contains(&id),
                    o.get("security") == Some(&json!([])),
                    "{id}: security"
                );
                for st in ["401", "503"] {
                    assert_eq!(
                        !service && !BARE.contains(&id),
                        responses.contains_key(st) && (st != "503" || id != "getHealth"),
                        "{id}: {st} on every operation that authenticates"
                    );
                }
                assert_eq!(
                    responses.contains_key("429"),
                    ["login", "awxLogin"].contains(&id),
                    "{id}: 429 only where passwords are checked"
                );
                // Error bodies: problem details natively, DRF shapes on a profile (413 is
                // the HTTP layer's).
                for (status, r) in responses.iter().filter(|(s, _)| s.starts_with('4')) {
                    if let Some(target) = r["$ref"].as_str() {
                        let drf = target.starts_with("#/components/responses/Drf");
                        let wants = drf_ops.contains(id) && status != "413";
                        assert_eq!(drf, wants, "{id}: {status} {target}");
                    }
                }
                let has_body = o.get("requestBody").is_some();
                for s in ["413", "415"] {
                    assert_eq!(responses.contains_key(s), has_body, "{id}: {s} iff a body");
                }
                let if_match = !profile
                    && ["patch", "put", "delete"].contains(&method.as_str())
                    && !path.starts_with("/v1/tokens")
                    && !path.contains("/invitations/");
                assert_eq!(
                    responses.contains_key("412"),
                    if_match,
                    "{id}: 412 iff If-Match is honoured"
                );
                let etag = method == "get" && responses["200"]["headers"].get("ETag").is_some();
                assert_eq!(
                    responses.contains_key("304"),
                    etag,
                    "{id}: 304 iff a GET with an ETag"
                );
                let native_post = method == "post" && !service && !profile;
                let idempotency = o["parameters"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|p| p["name"] == "Idempotency-Key"));
                assert_eq!(idempotency, native_post, "{id}: Idempotency-Key");
                // 422 is the idempotency mismatch natively (ZenML uses it for bad fields).
                if !id.starts_with("zenml") {
                    assert_eq!(responses.contains_key("422"), native_post, "{id}: 422");
                }
                if native_post {
                    assert!(responses.contains_key("400"), "{id}: bad Idempotency-Key");
                }
                if method == "get"
                    && !path.contains('{')
                    && !profile
                    && o["parameters"].as_array().is_some()
                {
                    assert!(responses.contains_key("400"), "{id}: bad query values");
                }
            }
        }
    }

    /// Every route `router::resolve` serves, and every profile route, is described; the
    /// profiles' only when mounted.
    #[test]
    fn every_route_is_described() {
        let native = [
            "/v1/organizations/{id}/members",
            "/v1/organizations/{id}/members/{user}",
            "/v1/organizations/{id}/members/{user}/approve",
            "/v1/organizations/{id}/members/{user}/reject",
            "/v1/organizations/{id}/invitations",
            "/v1/organizations/{id}/invitations/{invitation}",
            "/v1/organizations/{id}/invitations/{invitation}/resend",
            "/v1/invitations/{token}/accept",
            "/v1/organizations/{id}/summary",
            "/v1/organizations/{id}/activity",
            "/v1/activity",
            "/v1/me",
            "/v1/tokens/{id}",
        ];
        let awx = [
            "/api/",
            "/api/login/",
            "/api/v1/",
            "/api/v2/ping/",
            "/api/v1/config/",
            "/api/v2/me/",
            "/api/v1/users/",
            "/api/v2/users/{id}/",
            "/api/v2/users/{username}/personal_tokens/",
            "/api/v1/organizations/",
            "/api/v2/organizations/{id}/",
            "/api/v1/organizations/{id}/users/",
            "/api/v2/organizations/{id}/admins/",
            "/api/v2/organizations/{id}/activity_stream/",
        ];
        let waldur = [
            "/api/organizations/",
            "/api/organizations/{uuid}/",
            "/api/organization-users/",
            "/api/organization-users/{uuid}/",
            "/api/organization-users/{uuid}/approve/",
            "/api/organization-users/{uuid}/reject/",
            "/api/customers/{uuid}/",
            "/api/users/{uuid}/",
        ];
        let all = doc();
        for path in native.iter().chain(&awx).chain(&waldur) {
            assert!(all["paths"].get(*path).is_some(), "{path} is not described");
        }
        let none = build(&surfaces(&[]));
        let awx_only = build(&surfaces(&["awx"]));
        for path in native {
            assert!(none["paths"].get(path).is_some(), "{path}");
        }
        for path in awx {
            assert!(none["paths"].get(path).is_none(), "{path} without awx");
            assert!(awx_only["paths"].get(path).is_some(), "{path} with awx");
        }
        for path in waldur {
            assert!(
                awx_only["paths"].get(path).is_none(),
                "{path} without waldur"
            );
        }
        let tags = |d: &Value| {
            d["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert!(!tags(&none).contains(&"awx".to_string()));
        assert!(tags(&awx_only).contains(&"awx".to_string()));
        assert!(!tags(&awx_only).contains(&"waldur".to_string()));
        assert!(tags(&all).contains(&"waldur".to_string()));
    }

    /// The properties of a response schema are exactly the keys a handler renders, each
    /// of the declared type.
    fn conforms(d: &Value, schema: &str, sample: &Value) {
        let s = &d["components"]["schemas"][schema];
        let props = s["properties"].as_object().unwrap();
        let keys: Vec<&String> = sample.as_object().unwrap().keys().collect();
        let declared: Vec<&String> = props.keys().collect();
        let (mut a, mut b) = (keys.clone(), declared.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "{schema}: rendered keys vs documented properties");
        for (k, v) in sample.as_object().unwrap() {
            let p = &props[k];
            let p = p
                .get("$ref")
                .and_then(|r| resolve(d, r.as_str().unwrap()))
                .unwrap_or(p);
            let types: Vec<&str> = match &p["type"] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                _ => continue,
            };
            let actual = match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            assert!(
                types.contains(&actual),
                "{schema}.{k}: {actual} not in {types:?}"
            );
            if let Some(values) = p["enum"].as_array() {
                assert!(values.contains(v), "{schema}.{k}: {v} not in enum");
            }
        }
    }

    #[test]
    fn response_schemas_match_renderers() {
        let d = doc();
        let t = model::now();
        let id = model::new_id;
        let user = model::User {
            seq: 1,
            id: id(),
            username: "ann".into(),
            email: None,
            first_name: String::new(),
            last_name: String::new(),
            company: String::new(),
            job_title: String::new(),
            avatar_url: Some("https://x.test/a.png".into()),
            preferred_language: String::new(),
            metadata: json!({}),
            is_active: true,
            is_staff: false,
            is_service_account: false,
            has_password: true,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "User", &user_json(&user));
        let r = model::UserRef {
            seq: 1,
            id: id(),
            username: "ann".into(),
            first_name: String::new(),
            last_name: String::new(),
        };
        let org = model::Org {
            seq: 1,
            id: id(),
            name: "Acme".into(),
            description: String::new(),
            native_name: String::new(),
            abbreviation: None,
            logo_url: None,
            currency_code: Some("EUR".into()),
            customer: None,
            customer_seq: None,
            owner: Some(r.clone()),
            metadata: json!({}),
            accepts_join_requests: true,
            member_count: 1,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
            created_by: Some(r),
            modified_by: None,
        };
        conforms(&d, "Organization", &org_json(&org));
        let cu = model::Customer {
            seq: 1,
            id: id(),
            name: "C".into(),
            abbreviation: String::new(),
            owners: vec![id()],
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Customer", &customer_json(&cu));
        let tok = model::Token {
            id: id(),
            kind: "api".into(),
            name: "ci".into(),
            prefix: "org_abcdef".into(),
            expires: None,
            revoked: false,
            last_used: Some(t.clone()),
            created: t.clone(),
        };
        conforms(&d, "Token", &token_json(&tok));
        let a = model::Activity {
            id: id(),
            at: t.clone(),
            actor: None,
            action: "update".into(),
            surface: "v1".into(),
            object_type: "user".into(),
            object_id: Some(id()),
            organization: None,
            changes: json!({"name": ["a", "b"]}),
            request_id: Some("r".into()),
        };
        conforms(&d, "Activity", &activity_json(&a));
        let m = model::Membership {
            seq: 1,
            id: id(),
            organization: id(),
            organization_seq: 1,
            user: id(),
            user_seq: 1,
            username: "ann".into(),
            email: None,
            role: model::Role::Admin,
            status: model::MemberStatus::Pending,
            is_active: true,
            approved_by: None,
            approved_at: None,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Membership", &membership_json(&m));
        let batch = json!({"count": 1, "results": [membership_json(&m)]});
        conforms(&d, "MembershipBatch", &batch);
        let inv = model::Invitation {
            seq: 1,
            id: id(),
            organization: id(),
            organization_seq: 1,
            email: "ann@example.test".into(),
            role: model::Role::Viewer,
            first_name: String::new(),
            last_name: String::new(),
            preferred_language: "en".into(),
            expires: t.clone(),
            status: "open".into(),
            delivery_status: "sent".into(),
            invited_by: Some(id()),
            accepted_by: None,
            version: 1,
            created: t.clone(),
            modified: t.clone(),
        };
        conforms(&d, "Invitation", &invitation_json(&inv));
        let mut created = invitation_json(&inv);
        created["token"] = json!("org_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        conforms(&d, "InvitationCreated", &created);
        let mut org_created = org_json(&org);
        org_created["invitation"] = created;
        conforms(&d, "OrganizationCreated", &org_created);
        let accepted = json!({"membership": membership_json(&m), "user": user_json(&user), "token": "org_x", "expires": t});
        conforms(&d, "Accepted", &accepted);
    }

    #[test]
    fn request_schemas_reject_unknown_fields() {
        let d = doc();
        for (name, s) in d["components"]["schemas"].as_object().unwrap() {
            let request = ["Create", "Put", "Patch"].iter().any(|x| name.ends_with(x))
                || ["Login", "MemberAdd", "Empty", "InvitationAccept"].contains(&name.as_str());
            // The profiles ignore unknown fields, as DRF does.
            let profile = ["Awx", "Waldur", "Ezeep"]
                .iter()
                .any(|p| name.starts_with(p));
            if request && !profile {
                assert_eq!(s["additionalProperties"], json!(false), "{name}");
            }
            if profile {
                assert!(s.get("additionalProperties").is_none(), "{name}");
            }
        }
        let s = &d["components"]["schemas"];
        assert_eq!(s["UserPut"]["required"], s["UserCreate"]["required"]);
        assert!(s["UserPatch"].get("required").is_none());
    }
}
