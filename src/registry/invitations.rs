//! Invitations: create (token shown once, stored hashed, bound to organization, email and
//! role), list, get, revoke, re-send (new token, the old one void), and accept (single
//! use, by the signed-in user with the matching email or anonymously creating the
//! account). Delivery goes through a pluggable `Delivery`.

use super::lookup::{load, OrgKey};
use super::policy::{OrgAccess, OrgAction};
use super::{auth, record, Change, Ctx, Registry};
use crate::error::{Error, Result};
use crate::model::Invitation;
use crate::model::{self, MemberStatus, Membership, Org, Page, Role, User};
use crate::query::ListQuery;
use crate::store;
use crate::store::db::Db;
use serde_json::json;
use std::io::Write;

/// Invitations are valid this long unless `expires` says otherwise.
pub const DEFAULT_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// Hands an invitation's accept link to its recipient. Runs inside the creating
/// transaction, so a sender must be quick (queue, don't send synchronously over SMTP).
pub trait Delivery: Send + Sync {
    fn deliver(
        &self,
        invitation: &Invitation,
        org: &Org,
        link: &str,
    ) -> std::result::Result<(), String>;
}

/// The default: the link goes to the process log (a local stand-in's "mailbox").
pub struct LogDelivery;

impl Delivery for LogDelivery {
    fn deliver(&self, inv: &Invitation, org: &Org, link: &str) -> std::result::Result<(), String> {
        log::info!(target: "orgreg::delivery", "invitation {} to {} for organization {:?} ({}): accept at {link}", inv.id, inv.email, org.name, inv.role.as_str());
        Ok(())
    }
}

/// Appends one JSON line per invitation to a file (`--invite-outbox`), keeping links out
/// of the log.
pub struct OutboxDelivery(pub std::path::PathBuf);

impl Delivery for OutboxDelivery {
    fn deliver(&self, inv: &Invitation, org: &Org, link: &str) -> std::result::Result<(), String> {
        let line = json!({"invitation": inv.id, "email": inv.email, "organization": org.id, "organization_name": org.name, "role": inv.role.as_str(), "link": link, "at": model::now()});
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.0)
            .map_err(|e| e.to_string())?;
        writeln!(f, "{line}").map_err(|e| e.to_string())?;
        log::info!(target: "orgreg::delivery", "invitation {} written to the outbox", inv.id);
        Ok(())
    }
}

#[derive(Debug, Default, Clone)]
pub struct InviteInput {
    pub email: String,
    pub role: Option<Role>,
    pub first_name: String,
    pub last_name: String,
    pub preferred_language: String,
    pub expires: Option<String>,
}

fn require_inviter(c: &impl Db, ctx: &Ctx, key: &OrgKey) -> Result<(Org, OrgAccess)> {
    let (org, access) = load(c, ctx, key)?;
    access.require(OrgAction::Invite)?;
    Ok((org, access))
}

/// Creates the invitation row, delivers it and records it, inside `tx`. Returns the
/// stored invitation and its secret token. Also used by organization create.
pub(super) fn create_in(
    reg: &Registry,
    tx: &impl Db,
    ctx: &Ctx,
    org: &Org,
    access: &OrgAccess,
    input: &InviteInput,
    base_url: &str,
) -> Result<(Invitation, String)> {
    let role = input.role.unwrap_or(Role::Viewer);
    access.require_grant(OrgAction::Invite, role)?;
    let now_ms = model::now_ms();
    let now = model::format_ms(now_ms);
    if store::invitations::open_for_email(tx, org.seq, &input.email, &now)?.is_some() {
        return Err(Error::conflict(
            "email",
            "An open invitation for this email exists; re-send or revoke it.",
        ));
    }
    if let Some(u) = store::users::by_email(tx, &input.email)? {
        if store::members::get(tx, org.seq, u.seq)?
            .is_some_and(|m| m.status == MemberStatus::Approved)
        {
            return Err(Error::conflict(
                "email",
                "A member with this email already belongs to the organization.",
            ));
        }
    }
    let expires = input
        .expires
        .clone()
        .unwrap_or_else(|| model::format_ms(now_ms + DEFAULT_TTL_MS));
    let secret = auth::new_secret();
    let inv = store::invitations::insert(
        tx,
        &store::invitations::NewInvitation {
            id: &model::new_id(),
            org: org.seq,
            email: &input.email,
            role,
            first_name: &input.first_name,
            last_name: &input.last_name,
            preferred_language: &input.preferred_language,
            token_hash: &auth::hash_secret(&secret),
            expires: &expires,
            invited_by: ctx.actor.as_ref().map(|u| u.seq),
            at: &now,
        },
    )?;
    let inv = deliver(reg, tx, &inv, org, &secret, base_url)?;
    record(
        tx,
        ctx,
        Change {
            action: "invite",
            object_type: "invitation",
            object_id: Some(&inv.id),
            organization: Some(&org.id),
            changes: json!({"email": [null, inv.email], "role": [null, inv.role.as_str()], "expires": [null, inv.expires]}),
        },
    )?;
    Ok((inv, secret))
}

fn deliver(
    reg: &Registry,
    tx: &impl Db,
    inv: &Invitation,
    org: &Org,
    secret: &str,
    base_url: &str,
) -> Result<Invitation> {
    // A configured public URL wins over the request's Host (which a caller controls).
    let base = reg.settings.public_url.as_deref().unwrap_or(base_url);
    let link = format!("{base}/v1/invitations/{secret}/accept");
    let status = match reg.delivery.deliver(inv, org, &link) {
        Ok(()) => "sent",
        Err(e) => {
            log::warn!("delivery of invitation {} failed: {e}", inv.id);
            "failed"
        }
    };
    store::invitations::set_delivery(tx, inv.seq, status)?;
    store::invitations::by_id(tx, org.seq, &inv.id)?.ok_or(Error::NotFound)
}

pub fn create(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    input: InviteInput,
    base_url: &str,
) -> Result<(Invitation, String)> {
    reg.store.write(|tx| {
        let (org, access) = require_inviter(tx, ctx, key)?;
        create_in(reg, tx, ctx, &org, &access, &input, base_url)
    })
}

pub fn list(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    status: Option<&str>,
    q: &ListQuery,
) -> Result<Page<Invitation>> {
    reg.read(|c| {
        let (org, _) = require_inviter(c, ctx, key)?;
        store::invitations::list(c, org.seq, status, &model::now(), q)
    })
}

pub fn get(reg: &Registry, ctx: &Ctx, key: &OrgKey, id: &str) -> Result<Invitation> {
    reg.read(|c| {
        let (org, _) = require_inviter(c, ctx, key)?;
        store::invitations::by_id(c, org.seq, id)?.ok_or(Error::NotFound)
    })
}

pub fn revoke(reg: &Registry, ctx: &Ctx, key: &OrgKey, id: &str) -> Result<Invitation> {
    reg.store.write(|tx| {
        let (org, access) = require_inviter(tx, ctx, key)?;
        let inv = store::invitations::by_id(tx, org.seq, id)?.ok_or(Error::NotFound)?;
        access.require_grant(OrgAction::Invite, inv.role)?;
        let now = model::now();
        if inv.effective_status(&now) != "open" || !store::invitations::revoke(tx, inv.seq, &now)? {
            return Err(Error::state(format!(
                "The invitation is {}, not open.",
                inv.effective_status(&now)
            )));
        }
        record(
            tx,
            ctx,
            Change {
                action: "revoke",
                object_type: "invitation",
                object_id: Some(&inv.id),
                organization: Some(&org.id),
                changes: json!({"status": [inv.status, "revoked"]}),
            },
        )?;
        store::invitations::by_id(tx, org.seq, id)?.ok_or(Error::NotFound)
    })
}

/// A new token for an open invitation (expiry renewed); the old token stops working.
pub fn resend(
    reg: &Registry,
    ctx: &Ctx,
    key: &OrgKey,
    id: &str,
    base_url: &str,
) -> Result<(Invitation, String)> {
    reg.store.write(|tx| {
        let (org, access) = require_inviter(tx, ctx, key)?;
        let inv = store::invitations::by_id(tx, org.seq, id)?.ok_or(Error::NotFound)?;
        access.require_grant(OrgAction::Invite, inv.role)?;
        if inv.status != "open" {
            return Err(Error::state(format!(
                "The invitation is {}, not open.",
                inv.status
            )));
        }
        let now_ms = model::now_ms();
        let secret = auth::new_secret();
        let expires = model::format_ms(now_ms + DEFAULT_TTL_MS);
        store::invitations::rotate(
            tx,
            inv.seq,
            &auth::hash_secret(&secret),
            &expires,
            &model::format_ms(now_ms),
        )?;
        let inv = store::invitations::by_id(tx, org.seq, id)?.ok_or(Error::NotFound)?;
        let inv = deliver(reg, tx, &inv, &org, &secret, base_url)?;
        record(
            tx,
            ctx,
            Change {
                action: "invite",
                object_type: "invitation",
                object_id: Some(&inv.id),
                organization: Some(&org.id),
                changes: json!({"token": ["(old)", "(new)"], "expires": [null, inv.expires]}),
            },
        )?;
        Ok((inv, secret))
    })
}

/// Credentials for an anonymous accept that creates the account.
pub struct NewAccount {
    pub username: String,
    pub password: String,
}

pub struct Accepted {
    pub membership: Membership,
    pub user: User,
    /// A login token for an account created by this accept.
    pub token: Option<(String, String)>,
}

pub fn accept(
    reg: &Registry,
    ctx: &Ctx,
    token: &str,
    account: Option<NewAccount>,
) -> Result<Accepted> {
    if token.len() > 512 {
        return Err(Error::NotFound);
    }
    let hash = auth::hash_secret(token);
    let password_hash = match (&ctx.actor, &account) {
        (None, Some(a)) => Some(auth::hash_password(reg, &a.password)?),
        (None, None) => return Err(Error::Unauthenticated(
            "Sign in with the invited email, or send username and password to create the account."
                .into(),
        )),
        _ => None,
    };
    reg.store.write(|tx| {
        let inv = store::invitations::by_hash(tx, &hash)?.ok_or(Error::NotFound)?;
        let now_ms = model::now_ms();
        let now = model::format_ms(now_ms);
        match inv.effective_status(&now) {
            "open" => {}
            "expired" => return Err(Error::Gone("The invitation has expired.".into())),
            other => return Err(Error::state(format!("The invitation is {other}."))),
        }
        let org = store::orgs::by_seq(tx, inv.organization_seq)?.ok_or(Error::NotFound)?;
        let (user, created) = match (&ctx.actor, &account) {
            (Some(me), _) => {
                let matches = me.email.as_deref().is_some_and(|e| model::fold(e) == model::fold(&inv.email));
                if !matches {
                    return Err(Error::Forbidden("This invitation was sent to another email address.".into()));
                }
                (me.clone(), false)
            }
            (None, Some(a)) => {
                if store::users::by_email(tx, &inv.email)?.is_some() {
                    return Err(Error::conflict("email", "An account with this email exists; sign in to accept."));
                }
                let u = User {
                    seq: 0,
                    id: model::new_id(),
                    username: a.username.clone(),
                    email: Some(inv.email.clone()),
                    first_name: inv.first_name.clone(),
                    last_name: inv.last_name.clone(),
                    company: String::new(),
                    job_title: String::new(),
                    avatar_url: None,
                    preferred_language: inv.preferred_language.clone(),
                    metadata: json!({}),
                    is_active: true,
                    is_staff: false,
                    is_service_account: false,
                    has_password: true,
                    version: 1,
                    created: now.clone(),
                    modified: now.clone(),
                };
                let u = store::users::insert(tx, &u, password_hash.as_deref())?;
                (u, true)
            }
            (None, None) => return Err(Error::Unauthenticated("Authentication required.".into())),
        };
        let actor_ctx = Ctx { actor: Some(user.clone()), ..ctx.clone() };
        if created {
            record(tx, &actor_ctx, Change::user("create", &user.id, json!({"username": [null, user.username], "email": [null, user.email]})))?;
        }
        let existing = store::members::get(tx, org.seq, user.seq)?;
        if existing.as_ref().is_some_and(|m| m.status == MemberStatus::Approved) {
            return Err(Error::state("You are already a member of this organization."));
        }
        if !store::invitations::consume(tx, inv.seq, user.seq, &now)? {
            return Err(Error::state("The invitation was already used."));
        }
        let membership = match existing {
            Some(mut m) => {
                m.role = inv.role;
                m.status = MemberStatus::Approved;
                m.is_active = true;
                m.approved_at = Some(now.clone());
                store::members::update(tx, &m, inv_approver(tx, &inv)?, &now)?
            }
            None => store::members::insert(
                tx,
                &store::members::NewMember {
                    org: org.seq,
                    user: user.seq,
                    role: inv.role,
                    status: MemberStatus::Approved,
                    is_active: true,
                    approved_by: inv_approver(tx, &inv)?,
                    at: &now,
                },
            )?,
        };
        record(
            tx,
            &actor_ctx,
            Change {
                action: "accept",
                object_type: "invitation",
                object_id: Some(&inv.id),
                organization: Some(&org.id),
                changes: json!({"status": ["open", "accepted"], "membership": [null, membership.id], "role": [null, inv.role.as_str()]}),
            },
        )?;
        super::lookup::repoint_owner(tx, &actor_ctx, org.seq)?;
        let token = if created {
            let expires = model::format_ms(now_ms + auth::LOGIN_TOKEN_TTL_MS);
            let (secret, t) = auth::mint(tx, &actor_ctx, &user, "login", "login", Some(&expires))?;
            Some((secret, t.expires.unwrap_or_default()))
        } else {
            None
        };
        Ok(Accepted { membership, user, token })
    })
}

fn inv_approver(tx: &impl Db, inv: &Invitation) -> Result<Option<i64>> {
    Ok(match &inv.invited_by {
        Some(id) => store::users::by_id(tx, id)?.map(|u| u.seq),
        None => None,
    })
}
