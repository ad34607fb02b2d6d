//! Component schemas of the native API (and the shared problem and DRF error bodies).
//! Request schemas mirror the parse functions in `v1/*` exactly (types, lengths,
//! patterns for what they reject); response schemas mirror the `*_json` renderers.

use super::*;
use serde_json::{json, Map, Value};

pub fn schemas() -> Value {
    let mut s = Map::new();
    let ws = WS;

    s.insert("User".into(), out(user_props()));
    let user_in = json!({
        "username": {"type": "string", "minLength": 1, "maxLength": 150, "pattern": format!(r"^[^\u0000-\u001f\u007f-\u009f{ws}/]+$"), "description": "Unique, case-insensitive; no whitespace, control characters or slashes."},
        "email": {"type": ["string", "null"], "maxLength": 254, "pattern": format!(r"^[^@\u0000{ws}]+@[^\u0000{ws}]*\.[^\u0000{ws}]*$"), "description": "Unique, case-insensitive."},
        "first_name": text(0, 150), "last_name": text(0, 150), "company": text(0, 512), "job_title": text(0, 512),
        "avatar_url": url(), "preferred_language": text(0, 35),
        "metadata": with(object(), "description", json!("Any JSON object of at most 16 KiB.")),
        "is_active": with(boolean(), "description", json!("Staff only.")),
        "is_staff": with(boolean(), "description", json!("Staff only.")),
        "is_service_account": with(boolean(), "description", json!("Staff only.")),
        "password": {"type": ["string", "null"], "minLength": 8, "maxLength": 4096, "pattern": r"^[^\u0000]*$", "writeOnly": true, "description": "Sets (or with null, keeps) the password; never returned."},
    });
    write_variants(&mut s, "User", user_in, &["username"]);

    let mut me = user_props();
    me["memberships"] = json!({"type": "array", "items": out(json!({"organization": uuid(), "role": enumerated(ROLES), "status": enumerated(&["pending", "approved", "rejected"]), "is_active": boolean()}))});
    s.insert("Me".into(), out(me));

    s.insert("Customer".into(), out(json!({"id": uuid(), "name": string(), "abbreviation": string(), "owners": {"type": "array", "items": uuid()}, "created": time(), "modified": time()})));
    let customer_in = json!({
        "name": text(1, 512), "abbreviation": text(0, 64),
        "owners": {"type": "array", "items": uuid(), "maxItems": 100, "description": "User ids; each must exist."},
    });
    write_variants(&mut s, "Customer", customer_in, &["name"]);

    s.insert(
        "Organization".into(),
        out(json!({
            "id": uuid(), "name": string(), "description": string(), "native_name": string(),
            "abbreviation": nullable(string()), "logo_url": nullable(string()), "currency_code": nullable(string()),
            "customer": nullable(uuid()), "owner": nullable(uuid()), "metadata": object(),
            "accepts_join_requests": boolean(), "member_count": integer(), "created": time(), "modified": time(),
            "created_by": nullable(uuid()), "modified_by": nullable(uuid()),
        })),
    );
    let org_in = json!({
        "name": with(text(1, 512), "description", json!("Unique, case-insensitive.")),
        "description": text(0, 4096), "native_name": text(0, 512),
        "abbreviation": with(nullable(text(1, 64)), "description", json!("Unique, case-insensitive, or null.")),
        "logo_url": url(),
        "currency_code": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217: three upper-case letters."},
        "customer": with(nullable(uuid()), "description", json!("A customer the caller owns (any, for staff), or null.")),
        "owner": with(uuid(), "description", json!("The owner's user id; defaults to the caller; another user only for staff.")),
        "metadata": with(object(), "description", json!("Any JSON object of at most 16 KiB.")),
        "accepts_join_requests": boolean(),
    });
    write_variants(&mut s, "Organization", org_in, &["name"]);
    s["OrganizationCreate"]["properties"]["invite"] = json!({
        "description": "Also invite someone to the new organization (the owner's rights apply), or null.",
        "oneOf": [sref("InvitationCreate"), {"type": "null"}],
    });

    s.insert(
        "Summary".into(),
        out(json!({
            "organization": uuid(), "name": string(),
            "members": out(json!({
                "total": integer(), "active": integer(), "inactive": integer(),
                "by_role": out(ROLES.iter().map(|r| (r.to_string(), integer())).collect::<Map<String, Value>>().into()),
                "by_status": out(json!({"pending": integer(), "approved": integer(), "rejected": integer()})),
            })),
            "open_invitations": integer(), "pending_requests": integer(), "last_activity": nullable(time()),
        })),
    );

    s.insert("Token".into(), out(token_props()));
    let mut created = token_props();
    created["token"] = secret();
    s.insert("TokenCreated".into(), out(created));
    s.insert(
        "TokenCreate".into(),
        input(&json!({"name": text(0, 150), "expires": with(nullable(time()), "description", json!("A future time, or null for a token that does not expire."))}), &[]),
    );
    s.insert(
        "Login".into(),
        input(
            &json!({"username": text(1, 150), "password": text(1, 4096)}),
            &["username", "password"],
        ),
    );
    s.insert(
        "LoginResponse".into(),
        out(json!({"token": secret(), "expires": time(), "user": sref("User")})),
    );

    s.insert(
        "Activity".into(),
        out(json!({
            "id": uuid(), "at": time(), "actor": nullable(uuid()), "action": string(), "object_type": string(),
            "object_id": nullable(string()), "organization": nullable(uuid()),
            "changes": {"type": "object", "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2}, "description": "`{field: [old, new]}`."},
            "request_id": nullable(string()),
            "surface": with(string(), "description", json!("The surface the change came through: `v1`, or a profile's name (`awx`, `waldur`, ...).")),
        })),
    );

    s.insert(
        "Membership".into(),
        out(json!({
            "id": uuid(), "organization": uuid(), "user": uuid(), "username": string(), "role": enumerated(ROLES),
            "status": enumerated(&["pending", "approved", "rejected"]), "is_active": boolean(), "created": time(),
            "modified": time(), "approved_by": nullable(uuid()), "approved_at": nullable(time()),
        })),
    );
    s.insert(
        "Invitation".into(),
        out(json!({
            "id": uuid(), "organization": uuid(), "email": string(), "role": enumerated(ROLES), "first_name": string(),
            "last_name": string(), "preferred_language": string(), "expires": time(),
            "status": enumerated(&["open", "accepted", "revoked", "expired"]),
            "delivery_status": enumerated(&["pending", "sent", "failed"]), "invited_by": nullable(uuid()),
            "created": time(), "modified": time(),
        })),
    );

    let mut created = s["Organization"].clone();
    created["properties"]["invitation"] = with(
        sref("InvitationCreated"),
        "description",
        json!("The invitation made by `invite`, only when it was sent."),
    );
    s.insert("OrganizationCreated".into(), created);

    s.insert(
        "MemberAdd".into(),
        with(
            input(
                &json!({
                    "user": with(uuid(), "description", json!("One user: the membership is the answer. The caller's own id, from a caller who manages nothing here, is a join request.")),
                    "users": {"type": "array", "items": uuid(), "minItems": 1, "maxItems": 200, "description": "Several users (duplicates count once), all added or none."},
                    "role": with(enumerated(ROLES), "description", json!("Default `viewer`.")),
                    "is_active": with(boolean(), "description", json!("Default true.")),
                }),
                &[],
            ),
            "oneOf",
            json!([{"required": ["user"]}, {"required": ["users"]}]),
        ),
    );
    s.insert(
        "MembershipBatch".into(),
        out(json!({"count": integer(), "results": {"type": "array", "items": sref("Membership")}})),
    );
    s.insert(
        "MemberPatch".into(),
        input(
            &json!({"role": enumerated(ROLES), "is_active": boolean()}),
            &[],
        ),
    );
    s.insert(
        "Empty".into(),
        with(
            input(&json!({}), &[]),
            "description",
            json!("No fields: an empty body or `{}`."),
        ),
    );
    let email = json!({"type": "string", "minLength": 3, "maxLength": 254, "pattern": format!(r"^[^@\u0000{ws}]+@[^\u0000{ws}]*\.[^\u0000{ws}]*$")});
    let invite_in = json!({
        "email": with(email, "description", json!("Where the accept link goes; the account that accepts must have this email.")),
        "role": with(enumerated(ROLES), "description", json!("The role the invitee gets; default `viewer`.")),
        "first_name": text(0, 150), "last_name": text(0, 150), "preferred_language": text(0, 35),
        "expires": with(nullable(time()), "description", json!("A future time (400 otherwise); null or absent: in 7 days.")),
    });
    s.insert("InvitationCreate".into(), input(&invite_in, &["email"]));
    let mut created = s["Invitation"].clone();
    created["properties"]["token"] = with(
        secret(),
        "description",
        json!(
            "The one-time accept token (`POST /v1/invitations/{token}/accept`), shown only here."
        ),
    );
    if let Some(required) = created["required"].as_array_mut() {
        required.push(json!("token"));
    }
    s.insert("InvitationCreated".into(), created);
    s.insert(
        "InvitationAccept".into(),
        with(
            input(
                &json!({
                    "username": {"type": "string", "minLength": 1, "maxLength": 150, "pattern": format!(r"^[^\u0000-\u001f\u007f-\u009f{ws}/]+$")},
                    "password": {"type": "string", "minLength": 8, "maxLength": 4096, "pattern": format!(r"^[^\u0000]*[^\u0000{ws}][^\u0000]*$"), "writeOnly": true},
                }),
                &[],
            ),
            "description",
            json!("Anonymous callers: both fields, creating the account. Signed-in callers: no fields."),
        ),
    );
    let mut accepted = out(json!({
        "membership": sref("Membership"), "user": sref("User"),
        "token": with(secret(), "description", json!("A login token for the account this accept created.")),
        "expires": with(time(), "description", json!("When that login token expires.")),
    }));
    accepted["required"] = json!(["membership", "user"]);
    s.insert("Accepted".into(), accepted);

    s.insert("DrfDetail".into(), out(json!({"detail": string()})));
    s.insert(
        "DrfError".into(),
        json!({
            "type": "object", "minProperties": 1,
            "description": "`{\"detail\": message}`, or field name (or `non_field_errors`) → messages.",
            "additionalProperties": {"anyOf": [string(), {"type": "array", "items": string()}]},
        }),
    );

    let mut problem = out(json!({
        "type": string(), "title": string(), "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": string(), "request_id": string(),
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": string()}, "description": "Field name → messages; on validation failures and field conflicts."},
    }));
    problem["required"] = json!(["type", "title", "status", "detail", "request_id"]);
    s.insert("Problem".into(), problem);

    s.insert(
        "Health".into(),
        out(json!({
            "status": enumerated(&["ok", "unavailable"]),
            "storage": out(json!({
                "engine": enumerated(&["sqlite", "postgresql"]),
                "state": enumerated(&["ok", "unavailable", "read-only"]),
            })),
        })),
    );
    s.insert(
        "Index".into(),
        out(json!({
            "name": string(), "version": string(),
            "apis": out(json!({"v1": string(), "openapi": string(), "health": string()})),
            "profiles": {"type": "array", "items": string()},
        })),
    );
    // One example per creating body: the examples phase of a fuzzer sends each as is.
    let examples = [
        (
            "UserCreate",
            json!({"username": "ann", "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee", "password": "correct horse battery"}),
        ),
        (
            "CustomerCreate",
            json!({"name": "Acme Holdings", "abbreviation": "ACH"}),
        ),
        (
            "OrganizationCreate",
            json!({"name": "Acme", "abbreviation": "ACME", "currency_code": "EUR", "invite": {"email": "bob@example.com", "role": "admin", "first_name": "Bob"}}),
        ),
        ("TokenCreate", json!({"name": "ci"})),
        (
            "Login",
            json!({"username": "ann", "password": "correct horse battery"}),
        ),
        (
            "InvitationCreate",
            json!({"email": "carol@example.com", "role": "viewer"}),
        ),
        ("MemberPatch", json!({"role": "contributor"})),
        (
            "AwxOrganizationCreate",
            json!({"name": "Acme AWX", "description": "Made from the AWX profile."}),
        ),
        (
            "WaldurOrganizationCreate",
            json!({"name": "Acme Waldur", "native_name": "Acme", "abbreviation": "ACW"}),
        ),
    ];
    for (name, example) in examples {
        if let Some(schema) = s.get_mut(name) {
            schema["examples"] = json!([example]);
        }
    }
    Value::Object(s)
}
