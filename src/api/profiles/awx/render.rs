//! AWX's wire shapes: users, organizations, activity rows, tokens, the discovery documents
//! and the OPTIONS metadata documents (labels as seed 003 prints them).

use crate::model::{Activity, Org, Token, User, UserRef};
use serde_json::{json, Map, Value};

const VERSION: &str = concat!("orgreg-", env!("CARGO_PKG_VERSION"));

pub fn api_root() -> Value {
    json!({
        "description": "AWX REST API",
        "current_version": "/api/v2/",
        "available_versions": {"v1": "/api/v1/", "v2": "/api/v2/"},
        "oauth2": "/api/o/",
        "custom_logo": "",
        "custom_login_info": "",
        "login_redirect_override": "",
    })
}

pub fn version_root(v: &str) -> Value {
    json!({
        "ping": format!("/api/{v}/ping/"),
        "config": format!("/api/{v}/config/"),
        "me": format!("/api/{v}/me/"),
        "organizations": format!("/api/{v}/organizations/"),
        "users": format!("/api/{v}/users/"),
    })
}

pub fn ping() -> Value {
    json!({
        "ha": false,
        "version": VERSION,
        "active_node": "orgreg",
        "install_uuid": "00000000-0000-0000-0000-000000000000",
        "instances": [],
        "instance_groups": [],
    })
}

pub fn config() -> Value {
    json!({
        "time_zone": "UTC",
        "version": VERSION,
        "license_info": {},
        "analytics_status": "off",
        "project_base_dir": "",
        "project_local_paths": [],
        "custom_virtualenvs": [],
    })
}

pub fn user(u: &User, v: &str) -> Value {
    json!({
        "id": u.seq, "type": "user", "url": format!("/api/{v}/users/{}/", u.seq),
        "related": {}, "summary_fields": {}, "created": u.created, "modified": u.modified,
        "username": u.username, "first_name": u.first_name, "last_name": u.last_name,
        "email": u.email.clone().unwrap_or_default(), "is_superuser": u.is_staff,
        "is_system_auditor": false, "last_login": null, "ldap_dn": "", "external_account": null,
    })
}

fn user_summary(u: &UserRef) -> Value {
    json!({"id": u.seq, "username": u.username, "first_name": u.first_name, "last_name": u.last_name})
}

pub fn org(o: &Org, v: &str) -> Value {
    let base = format!("/api/{v}/organizations/{}/", o.seq);
    let mut related = Map::new();
    let mut summary = Map::new();
    for (key, who) in [
        ("created_by", &o.created_by),
        ("modified_by", &o.modified_by),
    ] {
        if let Some(u) = who {
            related.insert(key.into(), json!(format!("/api/{v}/users/{}/", u.seq)));
            summary.insert(key.into(), user_summary(u));
        }
    }
    for sub in ["users", "admins", "activity_stream"] {
        related.insert(sub.into(), json!(format!("{base}{sub}/")));
    }
    json!({
        "id": o.seq, "type": "organization", "url": base, "related": related,
        "summary_fields": summary, "created": o.created, "modified": o.modified,
        "name": o.name, "description": o.description,
    })
}

/// An activity row numbered `seq` (AWX ids count up from the oldest row).
pub fn activity(a: &Activity, seq: i64) -> Value {
    let operation = match a.action.as_str() {
        "create" | "update" | "delete" => a.action.as_str(),
        "member_added" | "approve" | "accept" => "associate",
        "member_removed" | "reject" => "disassociate",
        _ => "update",
    };
    let membership = a.object_type == "membership";
    json!({
        "id": seq, "type": "activity_stream", "related": {}, "summary_fields": {},
        "timestamp": a.at, "operation": operation, "changes": a.changes,
        "object1": a.object_type, "object2": if membership { "user" } else { "" },
        "object_association": if membership { "member_role" } else { "" },
        "action_node": "orgreg", "action": a.action, "actor": a.actor,
    })
}

pub fn token(secret: &str, t: &Token, description: &str) -> Value {
    json!({
        "id": t.id, "type": "o_auth2_access_token", "description": description,
        "token": secret, "refresh_token": null, "application": null, "scope": "write",
        "expires": t.expires, "created": t.created, "modified": t.created,
    })
}

/// The organization fields a create or replace takes, labelled as the seed prints them.
fn org_post_fields() -> Value {
    json!({
        "name": {"type": "string", "required": true, "label": "name", "max_length": 512},
        "description": {"type": "string", "required": false, "label": "description", "default": ""},
    })
}

/// The seed's metadata document for the organization list (`detail` for one
/// organization): `actions.POST` (`PUT` on the detail) only for callers who may create.
pub fn org_options(may_write: bool, detail: bool) -> Value {
    let mut actions = Map::new();
    if may_write {
        let method = if detail { "PUT" } else { "POST" };
        actions.insert(method.into(), org_post_fields());
    }
    actions.insert(
        "GET".into(),
        json!({
            "id": {"type": "integer", "label": "ID", "help_text": "Database ID for this organization."},
            "type": {"type": "choice", "help_text": "Data type for this organization.", "choices": [["organization", "Organization"]]},
            "url": {"type": "string", "help_text": "URL for this organization."},
            "related": {"type": "object", "help_text": "Data structure with URLs of related resources."},
            "summary_fields": {"type": "object", "help_text": "Data structure with name/description for related resources."},
            "created": {"type": "datetime", "help_text": "Timestamp when this organization was created."},
            "modified": {"type": "datetime", "help_text": "Timestamp when this organization was last modified."},
            "name": {"type": "string", "label": "name"},
            "description": {"type": "string", "label": "description"},
        }),
    );
    json!({
        "name": if detail { "Organization Detail" } else { "Organization List" },
        "description": "# List Organizations:\n\nMake a GET request to this resource to retrieve the list of organizations.",
        "renders": ["application/json", "text/html"],
        "parses": ["application/json"],
        "added_in_version": "1.2",
        "actions": actions,
        "types": ["organization"],
        "search_fields": ["description", "name"],
        "related_search_fields": [],
        "object_roles": [],
        "max_page_size": 200,
    })
}

pub fn members_options(admins: bool) -> Value {
    json!({
        "name": if admins { "Organization Admins List" } else { "Organization Users List" },
        "renders": ["application/json"], "parses": ["application/json"],
        "actions": {"GET": {}}, "types": ["user"], "max_page_size": 200,
    })
}

pub fn personal_token_options() -> Value {
    json!({
        "name": "Personal Access Token List", "renders": ["application/json"], "parses": ["application/json"],
        "actions": {"POST": {"description": {"type": "string", "required": false, "label": "Description"}}},
    })
}
