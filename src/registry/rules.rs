//! Rule sets: the permission model and seed rules of one surface (the native API or a
//! profile). The surface hands its rule set to every call inside `Ctx`; `policy` answers
//! "may this caller do this" from it, and the operations enforce the rules that depend on
//! other rows inside the transaction that writes. A seed rule that no option expresses
//! yet becomes a new named option here — written once, usable by every profile.

/// Who sees organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgReaders {
    /// Staff, active approved members and owners of the organization's customer.
    Members,
    /// Every authenticated user sees every organization (Waldur).
    AnyUser,
}

/// Who may create organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgCreators {
    /// As the registry is configured (`--org-create`): any active user, or staff only.
    Configured,
    /// Staff only, whatever the configuration (AWX superusers, Waldur staff).
    Staff,
}

/// Who may change an organization's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgEditors {
    /// Owners, admins, customer owners and staff (accounting members: currency only).
    Managers,
    /// Staff only (Waldur).
    Staff,
}

/// Who may delete an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgDeleters {
    /// Owners and staff.
    Owners,
    /// Owners, admins and staff (AWX organization admins).
    Admins,
    /// Staff only (Waldur).
    Staff,
}

/// Who reads an organization's activity feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityReaders {
    /// Owners, admins, customer owners and staff.
    Managers,
    /// Everyone who can read the organization (AWX's activity_stream).
    OrgReaders,
}

/// Who approves and rejects memberships, and from which states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deciders {
    /// Owners, admins, customer owners and staff; pending requests only.
    Managers,
    /// Staff and the customer's owners, in any state (Waldur organization-users).
    StaffOrCustomerOwner,
}

/// Who sees a membership addressed by its own id, outside its organization's member list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipReaders {
    /// Whoever may list the organization's members.
    OrgMembers,
    /// Staff, the member, and owners of the organization's customer (Waldur).
    SelfStaffOrCustomerOwner,
}

/// Who may remove an approved membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removers {
    /// Managers within their rank; every member may leave.
    ManagersOrSelf,
    /// Staff and the customer's owners only; a member may withdraw while unapproved
    /// (Waldur organization-users).
    StaffOrCustomerOwner,
}

#[derive(Debug)]
pub struct RuleSet {
    /// The surface's name, recorded on every activity row its calls write.
    pub surface: &'static str,
    pub org_readers: OrgReaders,
    pub org_creators: OrgCreators,
    pub org_editors: OrgEditors,
    pub org_deleters: OrgDeleters,
    pub activity_readers: ActivityReaders,
    /// A customer has at most one organization (Waldur, seed 000).
    pub one_org_per_customer: bool,
    /// A user holds at most one membership request or membership (Waldur
    /// organization-users, seed 000).
    pub one_org_per_user: bool,
    pub deciders: Deciders,
    pub membership_readers: MembershipReaders,
    pub removers: Removers,
    /// A user owns at most this many organizations on this surface (ZenML Pro, seed
    /// 001: one), on top of the registry's configured limit.
    pub owned_limit: Option<u32>,
    /// Deleting an organization also deletes its members who belong to no other
    /// organization (ezeep, seed 004), in the same transaction; staff are kept.
    pub delete_orphaned_users: bool,
}

/// The native `/v1` rules (docs/API.md).
pub const NATIVE: RuleSet = RuleSet {
    surface: "v1",
    org_readers: OrgReaders::Members,
    org_creators: OrgCreators::Configured,
    org_editors: OrgEditors::Managers,
    org_deleters: OrgDeleters::Owners,
    activity_readers: ActivityReaders::Managers,
    one_org_per_customer: false,
    one_org_per_user: false,
    deciders: Deciders::Managers,
    membership_readers: MembershipReaders::OrgMembers,
    removers: Removers::ManagersOrSelf,
    owned_limit: None,
    delete_orphaned_users: false,
};
