//! Fixtures: the whole registry as one JSON document (`orgreg export`), and loading such
//! a document into a new or empty database (`orgreg import`, `orgreg serve --fixtures`).
//!
//! Export is deterministic: every table in `seq` order, fields in a fixed order, object
//! keys sorted, no timestamp of its own, so two exports of the same data are
//! byte-identical and export → import → export reproduces the file. Import checks every
//! record first and names each bad one by its JSON Pointer (`/memberships/5`), all of
//! them; only a document without problems is written, in one transaction.
//! The audit trail, sessions, login tokens, accepted or revoked invitations and
//! idempotency records are not part of a fixture.

use super::{auth, Registry};
use crate::error::Error;
use crate::model::{self, fold, MemberStatus, Role};
use crate::store::fixtures::{
    self as fx, CustomerRec, InviteRec, MemberRec, OrgRec, Seqs, Sequences, UserRec,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The value of the document's `orgreg_fixture` field.
pub const FORMAT: i64 = 1;

/// The fixture document, fields in the order they are written.
#[derive(Debug, Default, Serialize)]
pub struct Document {
    pub orgreg_fixture: i64,
    pub sequences: Sequences,
    pub users: Vec<UserRec>,
    pub customers: Vec<CustomerRec>,
    pub organizations: Vec<OrgRec>,
    pub memberships: Vec<MemberRec>,
    pub invitations: Vec<InviteRec>,
}

/// One bad record: its JSON Pointer in the document and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

#[derive(Debug)]
pub enum ImportError {
    /// The document has bad records; nothing was written.
    Invalid(Vec<Problem>),
    /// The database already holds registry data; nothing was written.
    NotEmpty,
    /// Reading or writing failed; nothing was written.
    Failed(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Invalid(p) => {
                write!(
                    f,
                    "the fixture has {} bad record(s); nothing was written:",
                    p.len()
                )?;
                for p in p {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            ImportError::NotEmpty => write!(
                f,
                "the database is not empty; fixtures load only into a new or empty database \
                 (nothing was written)"
            ),
            ImportError::Failed(m) => write!(f, "import failed, nothing was written: {m}"),
        }
    }
}

/// What an import wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub users: usize,
    pub tokens: usize,
    pub customers: usize,
    pub organizations: usize,
    pub memberships: usize,
    pub invitations: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} users ({} API tokens), {} customers, {} organizations, {} memberships, {} invitations",
            self.users,
            self.tokens,
            self.customers,
            self.organizations,
            self.memberships,
            self.invitations
        )
    }
}

// ---- export ----

/// The registry as a fixture document (pretty JSON, newline-terminated), read in one
/// read transaction so it is a consistent snapshot.
pub fn export(reg: &Registry, with_secrets: bool) -> crate::error::Result<String> {
    let doc = reg.store.snapshot(|tx| {
        Ok(Document {
            orgreg_fixture: FORMAT,
            sequences: fx::sequences(tx)?,
            users: fx::export_users(tx, with_secrets)?,
            customers: fx::export_customers(tx)?,
            organizations: fx::export_orgs(tx)?,
            memberships: fx::export_memberships(tx)?,
            invitations: fx::export_invitations(tx)?,
        })
    })?;
    let mut out = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::Internal(format!("cannot render the export: {e}")))?;
    out.push('\n');
    Ok(out)
}

// ---- import ----

/// Parses and checks `text`, then writes it into the (empty) database in one transaction.
pub fn import(reg: &Registry, text: &str) -> Result<Summary, ImportError> {
    let failed = |e: Error| ImportError::Failed(e.to_string());
    if !reg.store.read(|c| fx::is_empty(c)).map_err(failed)? {
        return Err(ImportError::NotEmpty);
    }
    let Parsed {
        mut doc,
        mut problems,
        broken,
    } = parse(text).map_err(ImportError::Invalid)?;
    problems.extend(check(&mut doc, &broken));
    problems.sort_by_key(|p| pointer_order(&p.pointer));
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    // argon2 is slow on purpose: hash outside the write transaction.
    let mut hashes: Vec<Option<String>> = Vec::with_capacity(doc.users.len());
    for u in &doc.users {
        hashes.push(match (&u.password, &u.password_hash) {
            (Some(p), _) => Some(auth::hash_password(reg, p).map_err(failed)?),
            (None, h) => h.clone(),
        });
    }
    let now = model::now();
    reg.store
        .write(|tx| {
            if !fx::is_empty(tx)? {
                return Err(Error::state("not empty"));
            }
            let mut seqs = Seqs::default();
            let mut sum = Summary::default();
            let at = |kind: &str, i: usize, e: Error| {
                Error::BadRequest(format!("/{kind}/{i}: {}", e.detail()))
            };
            for (i, (u, hash)) in doc.users.iter().zip(&hashes).enumerate() {
                fx::insert_user(tx, u, hash.as_deref(), &mut seqs)
                    .map_err(|e| at("users", i, e))?;
                if let Some(t) = &u.token {
                    let seq = u.seq.unwrap_or_default();
                    let hash = auth::hash_secret(t);
                    fx::insert_token(tx, seq, &hash, &auth::visible_prefix(t), &now)
                        .map_err(|e| at("users", i, e))?;
                    sum.tokens += 1;
                }
            }
            for (i, c) in doc.customers.iter().enumerate() {
                fx::insert_customer(tx, c, &mut seqs).map_err(|e| at("customers", i, e))?;
            }
            for (i, o) in doc.organizations.iter().enumerate() {
                fx::insert_org(tx, o, &mut seqs).map_err(|e| at("organizations", i, e))?;
            }
            for (i, m) in doc.memberships.iter().enumerate() {
                fx::insert_membership(tx, m, &seqs).map_err(|e| at("memberships", i, e))?;
            }
            for (i, inv) in doc.invitations.iter().enumerate() {
                let secret = inv.token.clone().unwrap_or_else(auth::new_secret);
                fx::insert_invitation(tx, inv, &auth::hash_secret(&secret), &seqs)
                    .map_err(|e| at("invitations", i, e))?;
            }
            fx::set_sequences(tx, &doc.sequences)?;
            sum.users = doc.users.len();
            sum.customers = doc.customers.len();
            sum.organizations = doc.organizations.len();
            sum.memberships = doc.memberships.len();
            sum.invitations = doc.invitations.len();
            Ok(sum)
        })
        .map_err(|e| match e {
            Error::Conflict { field: None, .. } => ImportError::NotEmpty,
            // A record the store refused (named by the `at` wrapper above).
            Error::BadRequest(m) if m.starts_with('/') => {
                let (pointer, message) = m.split_once(": ").unwrap_or((&m, ""));
                ImportError::Invalid(vec![problem(pointer, message)])
            }
            e => ImportError::Failed(e.to_string()),
        })
}

fn problem(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// JSON → records. Every record that does not fit its shape (wrong type, unknown or
/// missing field) is a problem; parsing goes on past it.
/// A record whose shape is wrong stays in its place as a default placeholder (so later
/// pointers keep their index) carrying only its `id`, and its pointer is listed in
/// `Parsed::broken`: references to it are not reported again as dangling.
struct Parsed {
    doc: Document,
    problems: Vec<Problem>,
    broken: HashSet<String>,
}

fn parse(text: &str) -> Result<Parsed, Vec<Problem>> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        vec![problem(
            "",
            format!(
                "malformed JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )]
    })?;
    let Value::Object(map) = root else {
        return Err(vec![problem("", "the document must be a JSON object")]);
    };
    let mut problems = vec![];
    let mut doc = Document {
        orgreg_fixture: FORMAT,
        ..Document::default()
    };
    let mut broken = HashSet::new();
    fn records<T: serde::de::DeserializeOwned + Default + HasId>(
        key: &str,
        v: Value,
        problems: &mut Vec<Problem>,
        broken: &mut HashSet<String>,
    ) -> Vec<T> {
        let Value::Array(items) = v else {
            problems.push(problem(format!("/{key}"), "must be an array"));
            return vec![];
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let id = item.get("id").and_then(Value::as_str).map(str::to_string);
            match serde_json::from_value::<T>(item) {
                Ok(r) => out.push(r),
                Err(e) => {
                    let pointer = format!("/{key}/{i}");
                    problems.push(problem(&pointer, e.to_string()));
                    broken.insert(pointer);
                    let mut placeholder = T::default();
                    *placeholder.id_mut() = id;
                    out.push(placeholder);
                }
            }
        }
        out
    }
    for (key, v) in map {
        match key.as_str() {
            "orgreg_fixture" => {
                if v.as_i64() != Some(FORMAT) {
                    problems.push(problem(
                        "/orgreg_fixture",
                        format!("unsupported fixture format {v}; this orgreg reads {FORMAT}"),
                    ));
                }
            }
            "sequences" => match serde_json::from_value(v) {
                Ok(s) => doc.sequences = s,
                Err(e) => problems.push(problem("/sequences", e.to_string())),
            },
            "users" => doc.users = records(&key, v, &mut problems, &mut broken),
            "customers" => doc.customers = records(&key, v, &mut problems, &mut broken),
            "organizations" => doc.organizations = records(&key, v, &mut problems, &mut broken),
            "memberships" => doc.memberships = records(&key, v, &mut problems, &mut broken),
            "invitations" => doc.invitations = records(&key, v, &mut problems, &mut broken),
            other => problems.push(problem(
                format!("/{}", other.replace('~', "~0").replace('/', "~1")),
                "unknown field; expected orgreg_fixture, sequences, users, customers, \
                 organizations, memberships, invitations",
            )),
        }
    }
    Ok(Parsed {
        doc,
        problems,
        broken,
    })
}

trait HasId {
    fn id_mut(&mut self) -> &mut Option<String>;
}
macro_rules! has_id {
    ($($t:ty),*) => {$(impl HasId for $t {
        fn id_mut(&mut self) -> &mut Option<String> {
            &mut self.id
        }
    })*};
}
has_id!(UserRec, CustomerRec, OrgRec, MemberRec, InviteRec);

/// Sorts pointers by section in document order, then by index.
fn pointer_order(p: &str) -> (usize, i64, String) {
    const SECTIONS: [&str; 7] = [
        "orgreg_fixture",
        "sequences",
        "users",
        "customers",
        "organizations",
        "memberships",
        "invitations",
    ];
    let mut parts = p.trim_start_matches('/').splitn(3, '/');
    let section = parts.next().unwrap_or("");
    let index = parts.next().and_then(|i| i.parse().ok()).unwrap_or(-1);
    (
        SECTIONS
            .iter()
            .position(|s| *s == section)
            .unwrap_or(SECTIONS.len()),
        index,
        p.to_string(),
    )
}

/// Collects one record's problems, `field: message` each, joined.
struct Rec {
    pointer: String,
    msgs: Vec<String>,
}

impl Rec {
    fn new(kind: &str, i: usize) -> Rec {
        Rec {
            pointer: format!("/{kind}/{i}"),
            msgs: vec![],
        }
    }
    fn bad(&mut self, m: impl Into<String>) {
        self.msgs.push(m.into());
    }
    fn finish(self, out: &mut Vec<Problem>) {
        if !self.msgs.is_empty() {
            out.push(problem(self.pointer, self.msgs.join("; ")));
        }
    }
    /// A uuid field: canonical form, or a new one when absent.
    fn id(&mut self, id: &mut Option<String>) {
        match id.as_deref() {
            None => *id = Some(model::new_id()),
            Some(s) => match model::parse_uuid(s) {
                Some(u) => *id = Some(u),
                None => self.bad(format!("id: {s:?} is not a uuid")),
            },
        }
    }
    /// A reference to a record of `kind` by uuid; canonicalised in place.
    fn reference(
        &mut self,
        field: &str,
        value: &mut String,
        known: &HashMap<String, usize>,
        kind: &str,
    ) {
        match model::parse_uuid(value) {
            Some(u) if known.contains_key(&u) => *value = u,
            _ => self.bad(format!(
                "{field}: no {kind} with id {value:?} in this document"
            )),
        }
    }
    fn opt_reference(
        &mut self,
        field: &str,
        value: &mut Option<String>,
        known: &HashMap<String, usize>,
        kind: &str,
    ) {
        if let Some(v) = value {
            self.reference(field, v, known, kind);
        }
    }
    /// An RFC 3339 timestamp, stored in orgreg's one form (UTC, milliseconds).
    fn time(&mut self, field: &str, value: &mut Option<String>, default: &str) {
        match value.as_deref() {
            None => *value = Some(default.to_string()),
            Some(s) => match model::parse_time(s) {
                Some(ms) => *value = Some(model::format_ms(ms)),
                None => self.bad(format!("{field}: {s:?} is not an RFC 3339 timestamp")),
            },
        }
    }
    fn opt_time(&mut self, field: &str, value: &mut Option<String>) {
        if value.is_some() {
            self.time(field, value, "");
        }
    }
    fn version(&mut self, v: &mut Option<i64>) {
        match *v {
            None => *v = Some(1),
            Some(n) if n >= 1 => {}
            Some(n) => self.bad(format!("version: {n} is below 1")),
        }
    }
    fn text(&mut self, field: &str, s: &str) {
        if s.trim().is_empty() {
            self.bad(format!("{field}: must not be blank"));
        }
    }
    fn object(&mut self, field: &str, v: &Value) {
        if !v.is_object() {
            self.bad(format!("{field}: must be a JSON object"));
        }
    }
    fn token(&mut self, field: &str, t: &Option<String>, seen: &mut HashMap<String, String>) {
        let Some(t) = t else { return };
        let body = t.strip_prefix(auth::TOKEN_PREFIX).unwrap_or("");
        if !t.starts_with(auth::TOKEN_PREFIX)
            || body.len() != 43
            || !body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            self.bad(format!(
                "{field}: must be {} followed by 43 URL-safe base64 characters",
                auth::TOKEN_PREFIX
            ));
        } else if let Some(other) = seen.insert(t.clone(), self.pointer.clone()) {
            self.bad(format!("{field}: the same token as {other}"));
        }
    }
    /// Records `key` as taken by this record; a second holder is a problem.
    fn unique(
        &mut self,
        field: &str,
        key: String,
        seen: &mut HashMap<String, usize>,
        i: usize,
        kind: &str,
    ) {
        if let Some(j) = seen.insert(key, i) {
            self.bad(format!("{field}: already used by /{kind}/{j}"));
        }
    }
}

fn role_ok(r: &mut Rec, role: &str) {
    if Role::parse(role).is_none() {
        r.bad(format!(
            "role: {role:?} is not one of owner, admin, contributor, accounting, viewer"
        ));
    }
}

/// Checks every record, fills defaults (ids, `seq`s, versions, timestamps) and puts
/// ids and timestamps in their stored form. Returns every problem found.
fn check(doc: &mut Document, broken: &HashSet<String>) -> Vec<Problem> {
    let mut out = vec![];
    let now = model::now();

    // Users.
    let mut user_ids: HashMap<String, usize> = HashMap::new();
    let mut user_seqs: HashMap<String, usize> = HashMap::new();
    let mut usernames: HashMap<String, usize> = HashMap::new();
    let mut emails: HashMap<String, usize> = HashMap::new();
    let mut tokens: HashMap<String, String> = HashMap::new();
    for (i, u) in doc.users.iter_mut().enumerate() {
        let mut r = Rec::new("users", i);
        if broken.contains(&r.pointer) {
            // Reported already; its id still counts as known.
            if let Some(id) = u.id.as_deref().and_then(model::parse_uuid) {
                user_ids.insert(id, i);
            }
            continue;
        }
        r.id(&mut u.id);
        if let Some(id) = &u.id {
            r.unique("id", id.clone(), &mut user_ids, i, "users");
        }
        if let Some(seq) = u.seq {
            if seq < 1 {
                r.bad(format!("seq: {seq} is below 1"));
            }
            r.unique("seq", seq.to_string(), &mut user_seqs, i, "users");
        }
        r.text("username", &u.username);
        r.unique("username", fold(&u.username), &mut usernames, i, "users");
        if let Some(e) = &u.email {
            if !e.contains('@') {
                r.bad(format!("email: {e:?} is not an email address"));
            }
            r.unique("email", fold(e), &mut emails, i, "users");
        }
        r.object("metadata", &u.metadata);
        r.version(&mut u.version);
        r.time("created", &mut u.created, &now);
        let created = u.created.clone().unwrap_or_default();
        r.time("modified", &mut u.modified, &created);
        match (&u.password, &u.password_hash) {
            (Some(_), Some(_)) => r.bad("password and password_hash: give one, not both"),
            (Some(p), None) if p.is_empty() => r.bad("password: must not be empty"),
            (None, Some(h)) if argon2::PasswordHash::new(h).is_err() => {
                r.bad("password_hash: not a PHC string")
            }
            _ => {}
        }
        r.token("token", &u.token, &mut tokens);
        r.finish(&mut out);
    }
    // Users without a `seq` get the next free ones, in document order.
    let mut next = doc.users.iter().filter_map(|u| u.seq).max().unwrap_or(0);
    for u in doc.users.iter_mut().filter(|u| u.seq.is_none()) {
        next += 1;
        u.seq = Some(next);
    }

    // Customers.
    let mut customer_ids: HashMap<String, usize> = HashMap::new();
    for (i, c) in doc.customers.iter_mut().enumerate() {
        let mut r = Rec::new("customers", i);
        if broken.contains(&r.pointer) {
            // Reported already; its id still counts as known.
            if let Some(id) = c.id.as_deref().and_then(model::parse_uuid) {
                customer_ids.insert(id, i);
            }
            continue;
        }
        r.id(&mut c.id);
        if let Some(id) = &c.id {
            r.unique("id", id.clone(), &mut customer_ids, i, "customers");
        }
        r.text("name", &c.name);
        let mut seen = HashSet::new();
        for (k, owner) in c.owners.iter_mut().enumerate() {
            r.reference(&format!("owners/{k}"), owner, &user_ids, "user");
            if !seen.insert(owner.clone()) {
                r.bad(format!("owners/{k}: listed twice"));
            }
        }
        r.version(&mut c.version);
        r.time("created", &mut c.created, &now);
        let created = c.created.clone().unwrap_or_default();
        r.time("modified", &mut c.modified, &created);
        r.finish(&mut out);
    }

    // Organizations.
    let mut org_ids: HashMap<String, usize> = HashMap::new();
    let mut org_seqs: HashMap<String, usize> = HashMap::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut abbreviations: HashMap<String, usize> = HashMap::new();
    for (i, o) in doc.organizations.iter_mut().enumerate() {
        let mut r = Rec::new("organizations", i);
        if broken.contains(&r.pointer) {
            // Reported already; its id still counts as known.
            if let Some(id) = o.id.as_deref().and_then(model::parse_uuid) {
                org_ids.insert(id, i);
            }
            continue;
        }
        r.id(&mut o.id);
        if let Some(id) = &o.id {
            r.unique("id", id.clone(), &mut org_ids, i, "organizations");
        }
        if let Some(seq) = o.seq {
            if seq < 1 {
                r.bad(format!("seq: {seq} is below 1"));
            }
            r.unique("seq", seq.to_string(), &mut org_seqs, i, "organizations");
        }
        r.text("name", &o.name);
        r.unique("name", fold(&o.name), &mut names, i, "organizations");
        if let Some(a) = &o.abbreviation {
            r.unique(
                "abbreviation",
                fold(a),
                &mut abbreviations,
                i,
                "organizations",
            );
        }
        if let Some(c) = &o.currency_code {
            if c.chars().count() != 3 {
                r.bad(format!("currency_code: {c:?} is not 3 letters"));
            }
        }
        r.opt_reference("customer", &mut o.customer, &customer_ids, "customer");
        if let Some(Some(owner)) = &mut o.owner {
            r.reference("owner", owner, &user_ids, "user");
        }
        r.opt_reference("created_by", &mut o.created_by, &user_ids, "user");
        r.opt_reference("modified_by", &mut o.modified_by, &user_ids, "user");
        r.object("metadata", &o.metadata);
        r.version(&mut o.version);
        r.time("created", &mut o.created, &now);
        let created = o.created.clone().unwrap_or_default();
        r.time("modified", &mut o.modified, &created);
        r.finish(&mut out);
    }
    let mut next = doc
        .organizations
        .iter()
        .filter_map(|o| o.seq)
        .max()
        .unwrap_or(0);
    for o in doc.organizations.iter_mut().filter(|o| o.seq.is_none()) {
        next += 1;
        o.seq = Some(next);
    }

    // Memberships.
    let mut member_ids: HashMap<String, usize> = HashMap::new();
    let mut pairs: HashMap<String, usize> = HashMap::new();
    // Each organization's first active approved owner, in document order.
    let mut first_owner: HashMap<String, String> = HashMap::new();
    for (i, m) in doc.memberships.iter_mut().enumerate() {
        let mut r = Rec::new("memberships", i);
        if broken.contains(&r.pointer) {
            // Reported already; its id still counts as known.
            if let Some(id) = m.id.as_deref().and_then(model::parse_uuid) {
                member_ids.insert(id, i);
            }
            continue;
        }
        r.id(&mut m.id);
        if let Some(id) = &m.id {
            r.unique("id", id.clone(), &mut member_ids, i, "memberships");
        }
        r.reference(
            "organization",
            &mut m.organization,
            &org_ids,
            "organization",
        );
        r.reference("user", &mut m.user, &user_ids, "user");
        r.unique(
            "user",
            format!("{} {}", m.organization, m.user),
            &mut pairs,
            i,
            "memberships",
        );
        role_ok(&mut r, &m.role);
        if MemberStatus::parse(&m.status).is_none() {
            r.bad(format!(
                "status: {:?} is not one of pending, approved, rejected",
                m.status
            ));
        }
        r.opt_reference("approved_by", &mut m.approved_by, &user_ids, "user");
        r.opt_time("approved_at", &mut m.approved_at);
        r.version(&mut m.version);
        r.time("created", &mut m.created, &now);
        let created = m.created.clone().unwrap_or_default();
        r.time("modified", &mut m.modified, &created);
        if r.msgs.is_empty() && m.role == "owner" && m.status == "approved" && m.is_active {
            first_owner
                .entry(m.organization.clone())
                .or_insert_with(|| m.user.clone());
        }
        r.finish(&mut out);
    }
    // Every organization keeps an active approved owner (an invariant of the registry).
    for (i, o) in doc.organizations.iter_mut().enumerate() {
        let Some(id) = &o.id else { continue };
        if broken.contains(&format!("/organizations/{i}")) {
            continue;
        }
        match first_owner.get(id) {
            None => out.push(problem(
                format!("/organizations/{i}"),
                "has no active approved owner membership (every organization keeps one)",
            )),
            Some(u) => {
                if o.owner.is_none() {
                    o.owner = Some(Some(u.clone()));
                }
            }
        }
    }

    // Invitations.
    let mut invite_ids: HashMap<String, usize> = HashMap::new();
    for (i, inv) in doc.invitations.iter_mut().enumerate() {
        let mut r = Rec::new("invitations", i);
        if broken.contains(&r.pointer) {
            // Reported already; its id still counts as known.
            if let Some(id) = inv.id.as_deref().and_then(model::parse_uuid) {
                invite_ids.insert(id, i);
            }
            continue;
        }
        r.id(&mut inv.id);
        if let Some(id) = &inv.id {
            r.unique("id", id.clone(), &mut invite_ids, i, "invitations");
        }
        r.reference(
            "organization",
            &mut inv.organization,
            &org_ids,
            "organization",
        );
        if !inv.email.contains('@') {
            r.bad(format!("email: {:?} is not an email address", inv.email));
        }
        role_ok(&mut r, &inv.role);
        if !["pending", "sent", "failed"].contains(&inv.delivery_status.as_str()) {
            r.bad(format!(
                "delivery_status: {:?} is not one of pending, sent, failed",
                inv.delivery_status
            ));
        }
        r.opt_reference("invited_by", &mut inv.invited_by, &user_ids, "user");
        r.version(&mut inv.version);
        r.time("created", &mut inv.created, &now);
        let created = inv.created.clone().unwrap_or_default();
        r.time("modified", &mut inv.modified, &created);
        let default_expiry = model::parse_time(&created)
            .map(|ms| model::format_ms(ms + super::invitations::DEFAULT_TTL_MS))
            .unwrap_or_default();
        r.time("expires", &mut inv.expires, &default_expiry);
        r.token("token", &inv.token, &mut tokens);
        r.finish(&mut out);
    }

    // Sequences: never below an id in use.
    let max_user = doc.users.iter().filter_map(|u| u.seq).max().unwrap_or(0);
    let max_org = doc
        .organizations
        .iter()
        .filter_map(|o| o.seq)
        .max()
        .unwrap_or(0);
    for (name, value, max) in [
        ("organizations", doc.sequences.organizations, max_org),
        ("users", doc.sequences.users, max_user),
    ] {
        if let Some(v) = value {
            if v < max {
                out.push(problem(
                    format!("/sequences/{name}"),
                    format!("{v} is below the largest seq in use ({max})"),
                ));
            }
        }
    }
    out
}
