//! Who may do what. Every permission decision about organizations and their members is
//! made here, from (caller, action, object, the surface's rule set), using data read in
//! the caller's transaction. Invisible objects answer `NotFound`, visible ones that
//! forbid the action `Forbidden`.

use super::rules::{
    ActivityReaders, Deciders, MembershipReaders, OrgCreators, OrgDeleters, OrgEditors, OrgReaders,
    Removers, RuleSet,
};
use crate::error::{Error, Result};
use crate::model::{MemberStatus, Membership, Org, Role, User};
use crate::store;
use crate::store::db::Db;

/// What the caller is to one organization.
#[derive(Debug, Clone, Copy)]
pub struct OrgAccess {
    pub staff: bool,
    /// The caller's role if they are an active, approved member.
    pub role: Option<Role>,
    /// The caller's membership status, whatever it is (pending members see only themselves).
    pub status: Option<MemberStatus>,
    pub customer_owner: bool,
    /// The rule set of the surface asking.
    pub rules: &'static RuleSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    Read,
    Update,
    /// Change only `currency_code`.
    UpdateCurrency,
    /// Change `owner` (transfer ownership).
    TransferOwner,
    Delete,
    ReadSummary,
    ReadActivity,
    ListMembers,
    ManageMembers,
    Approve,
    Invite,
}

impl OrgAccess {
    pub fn of(c: &impl Db, rules: &'static RuleSet, user: &User, org: &Org) -> Result<OrgAccess> {
        let m = store::members::get(c, org.seq, user.seq)?;
        let active = m
            .as_ref()
            .filter(|m| m.status == MemberStatus::Approved && m.is_active);
        let customer_owner = match org.customer_seq {
            Some(cs) => store::customers::is_owner(c, cs, user.seq)?,
            None => false,
        };
        Ok(OrgAccess {
            staff: user.is_staff,
            role: active.map(|m| m.role),
            status: m.map(|m| m.status),
            customer_owner,
            rules,
        })
    }

    pub fn visible(&self) -> bool {
        self.staff
            || self.role.is_some()
            || self.customer_owner
            || self.rules.org_readers == OrgReaders::AnyUser
    }

    /// The organization itself is visible to this caller as a member would see it (its
    /// member list, feed and summary are for members, whatever the surface shows).
    fn member_view(&self) -> bool {
        self.staff || self.role.is_some() || self.customer_owner
    }

    /// The effective rank for managing members: staff and owners are owners; a customer
    /// owner acts as an admin.
    pub fn manager_rank(&self) -> Option<Role> {
        if self.staff {
            return Some(Role::Owner);
        }
        match (self.role, self.customer_owner) {
            (Some(r), true) if r.at_least(Role::Admin) => Some(r),
            (_, true) => Some(Role::Admin),
            (Some(r), false) if r.at_least(Role::Admin) => Some(r),
            _ => None,
        }
    }

    pub fn allows(&self, action: OrgAction) -> bool {
        if self.staff {
            return true;
        }
        let role = self.role;
        let at_least = |min: Role| role.is_some_and(|r| r.at_least(min));
        let manager = at_least(Role::Admin) || self.customer_owner;
        let editors = self.rules.org_editors;
        match action {
            OrgAction::Read => self.visible(),
            OrgAction::ListMembers => self.member_view(),
            OrgAction::Update => editors == OrgEditors::Managers && manager,
            OrgAction::UpdateCurrency => {
                editors == OrgEditors::Managers && (manager || role == Some(Role::Accounting))
            }
            OrgAction::ManageMembers | OrgAction::Invite => manager,
            OrgAction::Approve => match self.rules.deciders {
                Deciders::Managers => manager,
                Deciders::StaffOrCustomerOwner => self.customer_owner,
            },
            OrgAction::ReadActivity => match self.rules.activity_readers {
                ActivityReaders::Managers => manager,
                ActivityReaders::OrgReaders => self.visible(),
            },
            OrgAction::TransferOwner => role == Some(Role::Owner),
            OrgAction::Delete => match self.rules.org_deleters {
                OrgDeleters::Owners => role == Some(Role::Owner),
                OrgDeleters::Admins => at_least(Role::Admin),
                OrgDeleters::Staff => false,
            },
            OrgAction::ReadSummary => manager || role == Some(Role::Accounting),
        }
    }

    /// 404 when the organization is invisible, 403 when the action is not allowed.
    pub fn require(&self, action: OrgAction) -> Result<()> {
        if !self.visible() {
            return Err(Error::NotFound);
        }
        if !self.allows(action) {
            return Err(Error::Forbidden(
                "You do not have permission to perform this action.".into(),
            ));
        }
        Ok(())
    }

    /// Whether the caller may grant or take away `role` (as the role a member gets, or
    /// has now): owners and staff for `owner`; others up to their own rank, never owner.
    pub fn may_assign(&self, role: Role) -> bool {
        match self.manager_rank() {
            None => false,
            Some(Role::Owner) => true,
            Some(mine) => role != Role::Owner && mine.at_least(role),
        }
    }
}

impl OrgAccess {
    fn deny(msg: &str) -> Error {
        Error::Forbidden(msg.to_string())
    }

    /// Adding members (or approving a request) with `role`.
    pub fn require_grant(&self, action: OrgAction, role: Role) -> Result<()> {
        self.require(action)?;
        if !self.may_assign(role) {
            return Err(Self::deny("You may not grant this role."));
        }
        Ok(())
    }

    /// Changing a membership from (old role, old active) to (new role, new active).
    /// A member acting on themself without managing rights may only lower their role or
    /// deactivate; managers act within their rank.
    pub fn require_member_change(
        &self,
        on_self: bool,
        old: (Role, bool),
        new: (Role, bool),
    ) -> Result<()> {
        if on_self && self.manager_rank().is_none() {
            if new.0.rank() > old.0.rank() {
                return Err(Self::deny("You cannot raise your own role."));
            }
            if new.1 && !old.1 {
                return Err(Self::deny("You cannot reactivate your own membership."));
            }
            return Ok(());
        }
        self.require(OrgAction::ManageMembers)?;
        if !self.may_assign(old.0) || !self.may_assign(new.0) {
            return Err(Self::deny(
                "You may not change a membership at or to this role.",
            ));
        }
        Ok(())
    }

    /// Removing a membership: anyone may leave; managers remove others within their rank.
    pub fn require_member_removal(&self, on_self: bool, role: Role) -> Result<()> {
        if on_self {
            return Ok(());
        }
        self.require(OrgAction::ManageMembers)?;
        if !self.may_assign(role) {
            return Err(Self::deny("You may not remove a member with this role."));
        }
        Ok(())
    }

    /// A join request: by a non-member, where the organization admits requests.
    pub fn require_join_request(&self, org: &Org) -> Result<()> {
        if self.role.is_some() {
            return Err(Error::state(
                "You are already a member of this organization.",
            ));
        }
        if !org.accepts_join_requests {
            return Err(Self::deny(
                "This organization does not accept join requests.",
            ));
        }
        Ok(())
    }

    /// Whether the caller sees membership `m` when it is addressed by its own id: under
    /// most rule sets whoever lists the organization's members; under Waldur's, staff,
    /// the member and the customer's owners.
    pub fn may_see_membership(&self, me: &User, m: &Membership) -> bool {
        match self.rules.membership_readers {
            MembershipReaders::OrgMembers => self.allows(OrgAction::ListMembers),
            MembershipReaders::SelfStaffOrCustomerOwner => {
                self.staff || self.customer_owner || m.user_seq == me.seq
            }
        }
    }

    /// Removing membership `m` (the caller's own when `on_self`), under the rule set.
    pub fn require_removal(&self, on_self: bool, m: &Membership) -> Result<()> {
        match self.rules.removers {
            Removers::ManagersOrSelf => self.require_member_removal(on_self, m.role),
            Removers::StaffOrCustomerOwner => {
                if m.status == MemberStatus::Approved && !(self.staff || self.customer_owner) {
                    return Err(Self::deny(
                        "Only staff or the customer's owners remove an approved membership.",
                    ));
                }
                if on_self || self.staff {
                    return Ok(());
                }
                self.require_member_removal(false, m.role)
            }
        }
    }

    /// The states a membership may be approved or rejected from, under the rule set.
    pub fn decidable(&self, status: MemberStatus) -> bool {
        match self.rules.deciders {
            Deciders::Managers => status == MemberStatus::Pending,
            Deciders::StaffOrCustomerOwner => true,
        }
    }
}

/// Who may create organizations, and for whom: `staff_only` is the registry's
/// configuration; the rule set may narrow it to staff.
pub fn may_create_org(actor: &User, rules: &RuleSet, staff_only: bool) -> Result<()> {
    let staff_only = staff_only || rules.org_creators == OrgCreators::Staff;
    if !actor.is_active {
        return Err(Error::Forbidden(
            "Inactive users cannot create organizations.".into(),
        ));
    }
    if actor.is_service_account {
        return Err(Error::Forbidden(
            "Service accounts cannot create organizations.".into(),
        ));
    }
    if staff_only && !actor.is_staff {
        return Err(Error::Forbidden(
            "Only staff may create organizations on this registry.".into(),
        ));
    }
    Ok(())
}

/// Naming another user as an organization's owner at create: staff only.
pub fn require_create_for(actor: &User, owner_id: &str) -> Result<()> {
    if owner_id != actor.id && !actor.is_staff {
        return Err(Error::Forbidden(
            "Only staff may create an organization for another owner.".into(),
        ));
    }
    Ok(())
}

/// Moving an organization between customers: staff, or an owner of the customer it
/// leaves (if any) and of the one it joins (checked when that customer is resolved).
pub fn require_customer_change(
    c: &impl Db,
    actor: &User,
    from: Option<i64>,
    to_none: bool,
) -> Result<()> {
    if actor.is_staff {
        return Ok(());
    }
    match from {
        Some(cs) if !store::customers::is_owner(c, cs, actor.seq)? => Err(Error::Forbidden(
            "Only staff or the customer's owners may change the customer.".into(),
        )),
        None if to_none => Err(Error::Forbidden(
            "Only staff may change the customer.".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether `actor` may attach organizations to customer `customer`.
pub fn may_use_customer(c: &impl Db, actor: &User, customer: i64) -> Result<bool> {
    Ok(actor.is_staff || store::customers::is_owner(c, customer, actor.seq)?)
}

/// A user record: staff see everyone, a user sees themself and co-members.
pub fn may_read_user(c: &impl Db, actor: &User, target: &User) -> Result<bool> {
    Ok(actor.is_staff
        || actor.seq == target.seq
        || store::users::share_an_org(c, actor.seq, target.seq)?)
}

/// PATCH/DELETE of a user: staff, or the user on themself; 403 for a co-member, 404 for a
/// stranger.
pub fn require_user_write(c: &impl Db, actor: &User, target: &User) -> Result<()> {
    if actor.is_staff || actor.seq == target.seq {
        return Ok(());
    }
    if may_read_user(c, actor, target)? {
        Err(Error::Forbidden(
            "Only staff may change another user.".into(),
        ))
    } else {
        Err(Error::NotFound)
    }
}

/// A customer: staff, or one of its owners (others: 404).
pub fn require_customer_read(c: &impl Db, actor: &User, customer: i64) -> Result<()> {
    if actor.is_staff || store::customers::is_owner(c, customer, actor.seq)? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

pub fn require_staff(actor: &User) -> Result<()> {
    if actor.is_staff {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only staff may perform this action.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(role: Option<Role>, customer_owner: bool) -> OrgAccess {
        OrgAccess {
            staff: false,
            role,
            status: role.map(|_| MemberStatus::Approved),
            customer_owner,
            rules: &crate::registry::rules::NATIVE,
        }
    }

    #[test]
    fn members_act_on_themselves_only_downwards() {
        let v = access(Some(Role::Viewer), false);
        assert!(v
            .require_member_change(true, (Role::Viewer, true), (Role::Viewer, false))
            .is_ok());
        assert!(v
            .require_member_change(true, (Role::Viewer, true), (Role::Admin, true))
            .is_err());
        assert!(v
            .require_member_change(false, (Role::Viewer, true), (Role::Viewer, false))
            .is_err());
        let a = access(Some(Role::Admin), false);
        assert!(a
            .require_member_change(false, (Role::Owner, true), (Role::Viewer, true))
            .is_err());
        assert!(a.require_member_removal(false, Role::Owner).is_err());
        assert!(a.require_member_removal(false, Role::Admin).is_ok());
        assert!(v.require_member_removal(true, Role::Viewer).is_ok());
    }

    #[test]
    fn only_owners_and_staff_grant_owner() {
        assert!(access(Some(Role::Owner), false).may_assign(Role::Owner));
        assert!(!access(Some(Role::Admin), false).may_assign(Role::Owner));
        assert!(access(Some(Role::Admin), false).may_assign(Role::Admin));
        assert!(!access(None, true).may_assign(Role::Owner));
        assert!(access(None, true).may_assign(Role::Admin));
        assert!(!access(Some(Role::Viewer), false).may_assign(Role::Viewer));
    }

    #[test]
    fn accounting_changes_only_currency() {
        let a = access(Some(Role::Accounting), false);
        assert!(a.allows(OrgAction::UpdateCurrency));
        assert!(!a.allows(OrgAction::Update));
        assert!(a.allows(OrgAction::ReadSummary));
        assert!(!access(Some(Role::Contributor), false).allows(OrgAction::ReadSummary));
    }

    #[test]
    fn invisible_is_not_found_and_visible_is_forbidden() {
        assert_eq!(
            access(None, false).require(OrgAction::Read),
            Err(Error::NotFound)
        );
        assert!(matches!(
            access(Some(Role::Viewer), false).require(OrgAction::Delete),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            access(None, true).require(OrgAction::Delete),
            Err(Error::Forbidden(_))
        ));
    }
}
