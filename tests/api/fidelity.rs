//! Seed fidelity (issue 9 item 6): the AWX `OPTIONS` labels as seed 003 prints them; Waldur's
//! `abbreviation`/`native_name` as seed 000 describes them, with the server and
//! `/openapi.json` agreeing; and a general check that every profile organization
//! create/update operation in `/openapi.json` says the same about `null` as the server does.

use crate::support::*;
use serde_json::{json, Value};

const AWX_V2: &str = "/api/v2/organizations/";
const AWX_V1: &str = "/api/v1/organizations/";
const W_ORGS: &str = "/api/organizations/";
const MAY_NOT_BE_NULL: &str = "This field may not be null.";

// ---- AWX OPTIONS labels (seed 003, "7.3. Reviewing the Options Endpoint") ----

/// `actions.<method>.<field>.label`, or a description of what is there instead.
fn label(doc: &Value, method: &str, field: &str) -> Value {
    doc["actions"][method][field]["label"].clone()
}

/// The labels seed 003 prints, in the write action (`POST` on the list, `PUT` on the
/// detail) and in `GET`. Collects every mismatch so one run shows them all.
fn seed_003_label_mismatches(doc: &Value, write: &str, where_: &str) -> Vec<String> {
    let mut wrong = vec![];
    let mut want = |method: &str, field: &str, label_text: &str| {
        let got = label(doc, method, field);
        if got != label_text {
            wrong.push(format!(
                "{where_}: actions.{method}.{field}.label is {got}, seed 003 prints \"label {label_text}\""
            ));
        }
    };
    // Seed 003, under "actions" / "POST" / "name":
    //   "type string" / "required" / "true" / "label name" / "max_length 512"
    want(write, "name", "name");
    // Seed 003, under "actions" / "POST" / "description":
    //   "type string" / "required" / "false" / "label description" / "default (Empty Text)"
    want(write, "description", "description");
    // Seed 003, under "actions" / "GET" / "id":
    //   "type integer" / "label ID" / "help_text Database ID for this organization."
    want("GET", "id", "ID");
    // Seed 003, under "actions" / "GET" / "name": "type string" / "label name"
    want("GET", "name", "name");
    // Seed 003, under "actions" / "GET" / "description": "type string" / "label description"
    want("GET", "description", "description");
    wrong
}

#[test]
fn fidelity_awx_options_list_labels_are_the_seeds() {
    let s = Server::start();
    let mut wrong = vec![];
    for list in [AWX_V2, AWX_V1] {
        let r = s.call("OPTIONS", list).auth(&s.admin).send();
        assert_eq!(r.status, 200, "OPTIONS {list}: {}", r.text);
        // Seed 003: "name Organization List"
        assert_eq!(r.body["name"], "Organization List", "{}", r.text);
        // Seed 003 prints "actions" / "POST" for the superuser it was taken as.
        assert!(
            r.body["actions"]["POST"].is_object(),
            "actions.POST for the superuser: {}",
            r.text
        );
        // Seed 003, POST name: "type string" / "required" / "true" / ... / "max_length 512"
        assert_eq!(r.body["actions"]["POST"]["name"]["type"], "string");
        assert_eq!(r.body["actions"]["POST"]["name"]["required"], true);
        assert_eq!(r.body["actions"]["POST"]["name"]["max_length"], 512);
        // Seed 003, POST description: "type string" / "required" / "false"
        assert_eq!(r.body["actions"]["POST"]["description"]["type"], "string");
        assert_eq!(r.body["actions"]["POST"]["description"]["required"], false);
        // Seed 003, GET id: "type integer"
        assert_eq!(r.body["actions"]["GET"]["id"]["type"], "integer");
        wrong.extend(seed_003_label_mismatches(
            &r.body,
            "POST",
            &format!("OPTIONS {list}"),
        ));
    }
    assert!(
        wrong.is_empty(),
        "OPTIONS labels differ from seed 003:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn fidelity_awx_options_detail_labels_are_the_seeds() {
    let s = Server::start();
    for name in ["First", "Second"] {
        let r = s.post(AWX_V2, &s.admin, json!({"name": name, "description": ""}));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s.get(&format!("{AWX_V2}?name=Second"), &s.admin);
    let own = format!("{AWX_V2}{}/", r.body["results"][0]["id"]);
    assert_ne!(own, "/api/v2/organizations/1/", "{}", r.text);
    let mut wrong = vec![];
    for p in ["/api/v2/organizations/1/".to_string(), own] {
        let r = s.call("OPTIONS", &p).auth(&s.admin).send();
        assert_eq!(r.status, 200, "OPTIONS {p}: {}", r.text);
        // On the detail the write action is PUT (what awxkit's modify reads); the field
        // metadata is the same as the list's POST in seed 003.
        let write = if r.body["actions"]["PUT"].is_object() {
            "PUT"
        } else {
            "POST"
        };
        assert!(
            r.body["actions"][write].is_object(),
            "a write action for the superuser: {}",
            r.text
        );
        assert!(r.body["actions"]["GET"].is_object(), "{}", r.text);
        wrong.extend(seed_003_label_mismatches(
            &r.body,
            write,
            &format!("OPTIONS {p}"),
        ));
    }
    assert!(
        wrong.is_empty(),
        "OPTIONS labels differ from seed 003:\n  {}",
        wrong.join("\n  ")
    );
}

// ---- /openapi.json helpers ----

fn openapi(s: &Server) -> Value {
    let r = s.get("/openapi.json", "");
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// Follows a local `$ref` (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let ptr = r.strip_prefix('#').expect("a local $ref");
            resolve(
                doc,
                doc.pointer(ptr).unwrap_or_else(|| panic!("dangling {r}")),
            )
        }
        None => schema,
    }
}

/// Whether a schema admits JSON `null`: `"type": "null"`, a type list with `"null"`,
/// `nullable: true`, or an `anyOf`/`oneOf` branch that does.
fn admits_null(doc: &Value, schema: &Value) -> bool {
    let schema = resolve(doc, schema);
    let t = &schema["type"];
    t == "null"
        || t.as_array().is_some_and(|a| a.iter().any(|x| x == "null"))
        || schema["nullable"] == true
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema[*k]
                .as_array()
                .is_some_and(|bs| bs.iter().any(|b| admits_null(doc, b)))
        })
}

/// Whether a schema is a string field (possibly among other branches).
fn is_string_field(doc: &Value, schema: &Value) -> bool {
    let schema = resolve(doc, schema);
    let t = &schema["type"];
    t == "string"
        || t.as_array()
            .is_some_and(|a| a.iter().any(|x| x == "string"))
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema[*k]
                .as_array()
                .is_some_and(|bs| bs.iter().any(|b| is_string_field(doc, b)))
        })
}

/// The smallest `minLength` over the schema's string branches (0 when absent).
fn min_length(doc: &Value, schema: &Value) -> u64 {
    let schema = resolve(doc, schema);
    let mut out = if schema["type"] == "string" {
        Some(schema["minLength"].as_u64().unwrap_or(0))
    } else {
        None
    };
    for k in ["anyOf", "oneOf"] {
        for b in schema[k].as_array().into_iter().flatten() {
            if is_string_field(doc, b) {
                let m = min_length(doc, b);
                out = Some(out.map_or(m, |o: u64| o.min(m)));
            }
        }
    }
    out.unwrap_or(0)
}

/// The JSON request body schema of an operation (resolved).
fn request_schema<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "/openapi.json has {method} {path}");
    resolve(
        doc,
        &op["requestBody"]["content"]["application/json"]["schema"],
    )
}

// ---- Waldur abbreviation / native_name (seed 000) ----

fn wcall<'a>(s: &'a Server, method: &str, path: &str) -> Call<'a> {
    s.call(method, path)
        .header("Authorization", &format!("Token {}", s.admin))
}

fn w_create(s: &Server, name: &str, abbr: &str) -> Value {
    let r = wcall(s, "POST", W_ORGS)
        .json(json!({"name": name, "native_name": format!("{name} native"), "abbreviation": abbr}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// Seed 000 lists both fields as required request parameters of "Create a organization":
///   "native_name - organization native name (required)"
///   "abbreviation - organization abbreviation (required and unique)"
/// and renders both as strings ("abbreviation": "MO", "native_name": "Minu organisatsioon").
/// A required DRF CharField is not nullable: `null` is 400 "This field may not be null."
/// on create, PUT and PATCH, and `/openapi.json` must not admit `null` for them.
#[test]
fn fidelity_waldur_abbreviation_and_native_name_are_not_nullable() {
    let s = Server::start();
    let o = w_create(&s, "Kept", "KEPT");
    let opath = format!("{W_ORGS}{}/", o["uuid"].as_str().unwrap());
    for field in ["abbreviation", "native_name"] {
        // Seed 000: "<field> - organization ... (required ...)": null is refused on create.
        let mut b =
            json!({"name": format!("New {field}"), "native_name": "N", "abbreviation": "NEW"});
        b[field] = Value::Null;
        let r = wcall(&s, "POST", W_ORGS).json(b).send();
        assert_eq!(
            (r.status, r.body.clone()),
            (400, json!({ field: [MAY_NOT_BE_NULL] })),
            "POST with {field}: null: {}",
            r.text
        );
        // The same on PUT (the full representation, as on create).
        let mut b = json!({"name": "Kept", "native_name": "Kept native", "abbreviation": "KEPT"});
        b[field] = Value::Null;
        let r = wcall(&s, "PUT", &opath).json(b).send();
        assert_eq!(
            (r.status, r.body.clone()),
            (400, json!({ field: [MAY_NOT_BE_NULL] })),
            "PUT with {field}: null: {}",
            r.text
        );
        // And on PATCH: a required field that is sent may not be null either.
        let r = wcall(&s, "PATCH", &opath)
            .json(json!({ field: null }))
            .send();
        assert_eq!(
            (r.status, r.body.clone()),
            (400, json!({ field: [MAY_NOT_BE_NULL] })),
            "PATCH with {field}: null: {}",
            r.text
        );
    }
    // Nothing changed and nothing was created.
    let g = wcall(&s, "GET", &opath).send();
    assert_eq!(g.body["abbreviation"], "KEPT", "{}", g.text);
    assert_eq!(g.body["native_name"], "Kept native", "{}", g.text);
    let l = wcall(&s, "GET", W_ORGS).send();
    assert_eq!(l.body.as_array().map(Vec::len), Some(1), "{}", l.text);

    // The description agrees: no Waldur organization write schema admits null for them.
    let doc = openapi(&s);
    let mut wrong = vec![];
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in schemas {
        let org_schema =
            name.starts_with("WaldurOrganization") && !name.starts_with("WaldurOrganizationUser");
        if !org_schema {
            continue;
        }
        for field in ["abbreviation", "native_name"] {
            let Some(p) = schema["properties"].get(field) else {
                continue;
            };
            // Seed 000: "<field> - organization ... (required ...)" — never null.
            if admits_null(&doc, p) {
                wrong.push(format!(
                    "components.schemas.{name}.properties.{field} admits null: {p}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "/openapi.json disagrees with seed 000 and the server (null is refused):\n  {}",
        wrong.join("\n  ")
    );
}

/// The same two fields and the empty string: seed 000 calls both "(required)", and a required
/// DRF CharField refuses "" ("This field may not be blank."), which the server does on
/// create, PUT and PATCH. `/openapi.json` must then not accept "" for them on any write
/// (its PATCH schema says "Null or empty clears it." today).
#[test]
fn fidelity_waldur_blank_abbreviation_and_native_name_agree_with_the_schema() {
    let s = Server::start();
    let o = w_create(&s, "Blank", "BLNK");
    let opath = format!("{W_ORGS}{}/", o["uuid"].as_str().unwrap());
    for field in ["abbreviation", "native_name"] {
        // Seed 000: "native_name - organization native name (required)",
        // "abbreviation - organization abbreviation (required and unique)".
        let r = wcall(&s, "PATCH", &opath).json(json!({ field: "" })).send();
        assert_eq!(r.status, 400, "PATCH {field}: \"\": {}", r.text);
        assert_eq!(
            r.body[field],
            json!(["This field may not be blank."]),
            "{}",
            r.text
        );
    }
    let doc = openapi(&s);
    let mut wrong = vec![];
    // The item path, whatever its parameter is called (`/api/organizations/{uuid}/`).
    let item = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .find(|p| p.starts_with("/api/organizations/{") && p.ends_with("}/"))
        .expect("/openapi.json describes /api/organizations/{uuid}/")
        .clone();
    for (path, method) in [
        ("/api/organizations/", "post"),
        (item.as_str(), "put"),
        (item.as_str(), "patch"),
    ] {
        let schema = request_schema(&doc, path, method);
        for field in ["abbreviation", "native_name"] {
            let p = &schema["properties"][field];
            if min_length(&doc, p) < 1 {
                wrong.push(format!(
                    "{method} {path}: {field} accepts \"\" (no minLength 1) but the server refuses it: {p}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "/openapi.json disagrees with the server about blank values:\n  {}",
        wrong.join("\n  ")
    );
}

// ---- the general null agreement check ----

/// A profile organization create/update operation: `/api/organizations/`,
/// `/api/v1|v2/organizations/`, with or without `{id}/`.
fn is_profile_org_write(path: &str, method: &str) -> bool {
    let rest = path
        .strip_prefix("/api/")
        .map(|r| {
            r.strip_prefix("v1/")
                .or_else(|| r.strip_prefix("v2/"))
                .unwrap_or(r)
        })
        .and_then(|r| r.strip_prefix("organizations/"));
    let shape_ok = match rest {
        Some("") => method == "post",
        Some(r) => {
            r.starts_with('{')
                && r.ends_with("}/")
                && r.matches('/').count() == 1
                && (method == "put" || method == "patch")
        }
        None => false,
    };
    shape_ok
}

struct Fixture<'a> {
    s: &'a Server,
    n: std::cell::Cell<u32>,
}

impl Fixture<'_> {
    fn next(&self) -> u32 {
        let n = self.n.get() + 1;
        self.n.set(n);
        n
    }

    fn waldur(path: &str) -> bool {
        path.starts_with("/api/organizations/")
    }

    /// A valid full body for this profile's create/PUT.
    fn full_body(&self, path: &str) -> Value {
        let n = self.next();
        if Self::waldur(path) {
            json!({"name": format!("Null check {n}"), "native_name": format!("Native {n}"), "abbreviation": format!("NC{n}")})
        } else {
            json!({"name": format!("Null check {n}"), "description": "set"})
        }
    }

    fn send(&self, method: &str, path: &str, body: Value) -> Resp {
        let c = self.s.call(&method.to_uppercase(), path);
        let c = if Self::waldur(path) {
            c.header("Authorization", &format!("Token {}", self.s.admin))
        } else {
            c.auth(&self.s.admin)
        };
        c.json(body).send()
    }

    /// A fresh real object for an item path template; returns the concrete path.
    fn object(&self, template: &str) -> String {
        let collection = &template[..template.find('{').expect("a template")];
        let r = self.send("post", collection, self.full_body(template));
        assert_eq!(r.status, 201, "creating through {collection}: {}", r.text);
        let id = if Self::waldur(template) {
            r.body["uuid"].as_str().expect("uuid").to_string()
        } else {
            r.body["id"].to_string()
        };
        format!("{collection}{id}/")
    }
}

/// For every Waldur and AWX organization create/update operation in `/openapi.json`, each
/// string property is sent as `null` on a real object: a property the description marks
/// nullable must be accepted (not "may not be null"), one it does not must be refused with
/// 400 `{"<field>": ["This field may not be null."]}` (the DRF message both seeds' systems
/// answer).
#[test]
fn fidelity_openapi_nullability_agrees_with_the_server_for_profile_org_writes() {
    let s = Server::start();
    let doc = openapi(&s);
    let fx = Fixture {
        s: &s,
        n: std::cell::Cell::new(0),
    };
    let mut checked = 0;
    let mut wrong = vec![];
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !is_profile_org_write(path, method) || !op["requestBody"].is_object() {
                continue;
            }
            let schema = request_schema(&doc, path, method);
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (field, p) in &props {
                if !is_string_field(&doc, p) {
                    continue;
                }
                let target = if path.contains('{') {
                    fx.object(path)
                } else {
                    path.clone()
                };
                let mut body = if method == "patch" {
                    json!({})
                } else {
                    fx.full_body(path)
                };
                body[field.as_str()] = Value::Null;
                let r = fx.send(method, &target, body);
                checked += 1;
                let refused_as_null = r.status == 400
                    && r.body[field.as_str()]
                        .as_array()
                        .is_some_and(|m| m.iter().any(|m| m == MAY_NOT_BE_NULL));
                if admits_null(&doc, p) {
                    // Seed 000 "customer - URL of organization customer (optional)"; seed 003
                    // "description: (string, default=””)": where the description admits
                    // null, the server must take it.
                    if !(200..300).contains(&r.status) || refused_as_null {
                        wrong.push(format!(
                            "{} {path} {{\"{field}\": null}}: the description admits null, the server answers {} {}",
                            method.to_uppercase(),
                            r.status,
                            r.text
                        ));
                    }
                } else if !refused_as_null || r.body.as_object().map(|m| m.len()) != Some(1) {
                    // Seed 000 "name - organization name (required)", seed 003
                    // "name: (string, required)": a field the description does not let be
                    // null is refused with DRF's message, and nothing else is wrong.
                    wrong.push(format!(
                        "{} {path} {{\"{field}\": null}}: the description does not admit null, the server answers {} {} (want 400 {{\"{field}\": [\"{MAY_NOT_BE_NULL}\"]}})",
                        method.to_uppercase(),
                        r.status,
                        r.text
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 3 * 3 + 3 * 2 * 2,
        "Waldur (3 operations × name, native_name, abbreviation) and AWX (v1 and v2, 3 \
         operations × name, description) were all checked: only {checked}"
    );
    assert!(
        wrong.is_empty(),
        "/openapi.json and the server disagree about null ({} of {checked} checks):\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}
