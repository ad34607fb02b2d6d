//! Queries on `memberships`.

use super::db::{Db, Row, V};
use super::list::{self, Field};
use super::{INT_PARAM, TEXT_PARAM};
use crate::error::Result;
use crate::model::{MemberStatus, Membership, Page, Role};
use crate::p;
use crate::query::{Kind, ListQuery};

const COLS: &str = "m.seq, m.id, o.id, m.organization, u.id, m.user, u.username, u.email, m.role, \
    m.status, m.is_active, ab.id, m.approved_at, m.version, m.created, m.modified";
const FROM: &str = " FROM memberships m JOIN organizations o ON o.seq = m.organization \
    JOIN users u ON u.seq = m.user LEFT JOIN users ab ON ab.seq = m.approved_by";

pub const FIELDS: &[Field] = &[
    Field::new(
        "role",
        "m.role",
        Kind::Enum(&["owner", "admin", "contributor", "accounting", "viewer"]),
    ),
    Field::new(
        "status",
        "m.status",
        Kind::Enum(&["pending", "approved", "rejected"]),
    ),
    Field::new("is_active", "m.is_active", Kind::Bool),
    Field::reference("user", "m.user", "SELECT seq FROM users WHERE id = ?"),
    Field::key("username", "u.username_key"),
    Field::new("created", "m.created", Kind::Time),
    // Ordering by role follows rank (owner first when ascending), not the alphabet.
    Field::new(
        "role_rank",
        "CASE m.role WHEN 'owner' THEN 1 WHEN 'admin' THEN 2 \
          WHEN 'contributor' THEN 3 WHEN 'accounting' THEN 4 ELSE 5 END",
        Kind::Text,
    ),
];

/// Members are searched through their user's trigram index.
const MEMBER_FTS: list::Fts = list::Fts {
    table: "users_fts",
    key: "m.user",
    covers: &["username"],
};

fn row(r: &Row) -> Result<Membership> {
    let role: String = r.get(8)?;
    let status: String = r.get(9)?;
    Ok(Membership {
        seq: r.get(0)?,
        id: r.get(1)?,
        organization: r.get(2)?,
        organization_seq: r.get(3)?,
        user: r.get(4)?,
        user_seq: r.get(5)?,
        username: r.get(6)?,
        email: r.get(7)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        status: MemberStatus::parse(&status).unwrap_or(MemberStatus::Pending),
        is_active: r.get(10)?,
        approved_by: r.get(11)?,
        approved_at: r.get(12)?,
        version: r.get(13)?,
        created: r.get(14)?,
        modified: r.get(15)?,
    })
}

pub fn get(c: &impl Db, org: i64, user: i64) -> Result<Option<Membership>> {
    let sql =
        format!("SELECT {COLS}{FROM} WHERE m.organization = {INT_PARAM} AND m.user = {INT_PARAM}");
    c.one(&sql, &p![org, user], row)
}

pub struct NewMember<'a> {
    pub org: i64,
    pub user: i64,
    pub role: Role,
    pub status: MemberStatus,
    pub is_active: bool,
    pub approved_by: Option<i64>,
    pub at: &'a str,
}

/// Inserts the membership `m` with id `id`; its `seq` and `approved_at`. A duplicate
/// (organization, user) is an error (on PostgreSQL a lost race: the closure checked
/// first, so another transaction inserted it meanwhile).
fn insert_row<'m>(c: &impl Db, m: &NewMember<'m>, id: &str) -> Result<(i64, Option<&'m str>)> {
    let approved_at = (m.status == MemberStatus::Approved).then_some(m.at);
    let seq = c.one(
        "INSERT INTO memberships (id, organization, \"user\", role, status, is_active, approved_by, \
         approved_at, version, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING seq",
        &p![
            id,
            m.org,
            m.user,
            m.role.as_str(),
            m.status.as_str(),
            m.is_active,
            m.approved_by,
            approved_at,
            m.at,
            m.at
        ],
        |r| r.get::<i64>(0),
    )?;
    Ok((super::db::expect(seq, "membership insert")?, approved_at))
}

pub fn insert(c: &impl Db, m: &NewMember) -> Result<Membership> {
    insert_row(c, m, &crate::model::new_id())?;
    Ok(get(c, m.org, m.user)?.expect("row just inserted"))
}

/// Who a new membership names, as its record shows them.
pub struct MemberRefs<'a> {
    /// The organization's id.
    pub org: &'a str,
    /// The user's id, username and email.
    pub user: (&'a str, &'a str, Option<&'a str>),
    /// The approver's id.
    pub approved_by: Option<&'a str>,
}

/// `insert` without reading the row back (see `orgs::insert_new`).
pub fn insert_new(c: &impl Db, m: &NewMember, refs: MemberRefs) -> Result<Membership> {
    let id = crate::model::new_id();
    let (seq, approved_at) = insert_row(c, m, &id)?;
    Ok(Membership {
        seq,
        id,
        organization: refs.org.to_string(),
        organization_seq: m.org,
        user: refs.user.0.to_string(),
        user_seq: m.user,
        username: refs.user.1.to_string(),
        email: refs.user.2.map(str::to_string),
        role: m.role,
        status: m.status,
        is_active: m.is_active,
        approved_by: refs.approved_by.map(str::to_string),
        approved_at: approved_at.map(str::to_string),
        version: 1,
        created: m.at.to_string(),
        modified: m.at.to_string(),
    })
}

/// Writes role, status, is_active and approval of an existing membership.
pub fn update(
    c: &impl Db,
    m: &Membership,
    approved_by: Option<i64>,
    at: &str,
) -> Result<Membership> {
    c.exec("UPDATE memberships SET role = ?, status = ?, is_active = ?, \
         approved_by = coalesce(?, approved_by), approved_at = ?, version = version + 1, modified = ? \
         WHERE seq = ?", &p![
        m.role.as_str(),
        m.status.as_str(),
        m.is_active,
        approved_by,
        m.approved_at,
        at,
        m.seq
    ])?;
    Ok(get(c, m.organization_seq, m.user_seq)?.expect("row exists"))
}

pub fn delete(c: &impl Db, seq: i64) -> Result<()> {
    c.exec("DELETE FROM memberships WHERE seq = ?", &p![seq])?;
    Ok(())
}

/// Active approved owners of `org`.
pub fn active_owner_count(c: &impl Db, org: i64) -> Result<i64> {
    c.scalar(
        "SELECT count(*) FROM memberships WHERE organization = ? AND role = 'owner' \
         AND status = 'approved' AND is_active = 1",
        &p![org],
    )
}

/// (role, status, is_active, count) for the summary.
pub fn counts(c: &impl Db, org: i64) -> Result<Vec<(String, String, bool, i64)>> {
    c.all(
        "SELECT role, status, is_active, count(*) FROM memberships WHERE organization = ? \
         GROUP BY role, status, is_active",
        &p![org],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

/// The caller's memberships (organization uuid, role, status), for `/v1/me`.
pub fn of_user(c: &impl Db, user: i64) -> Result<Vec<Membership>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE m.user = ? ORDER BY m.seq");
    c.all(&sql, &p![user], row)
}

pub fn list(c: &impl Db, org: i64, q: &ListQuery) -> Result<Page<Membership>> {
    let mut params: Vec<V> = vec![V::Int(org)];
    let mut filter = String::from(" WHERE m.organization = ?");
    filter.push_str(&list::where_sql(q, FIELDS, "u.search_text", &mut params)?);
    list::fts_restrict(c, q, &MEMBER_FTS, &mut filter, &mut params)?;
    let order = list::order_sql(q, FIELDS, "", "m.seq")?;
    list::page(c, COLS, FROM, &filter, params, &order, q, row)
}

pub fn by_id(c: &impl Db, id: &str) -> Result<Option<Membership>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE m.id = {TEXT_PARAM}");
    c.one(&sql, &p![id], row)
}

/// Memberships across organizations. `visible_to` (a non-staff user) restricts to their
/// own and those of organizations whose customer they own.
pub fn list_all(c: &impl Db, visible_to: Option<i64>, q: &ListQuery) -> Result<Page<Membership>> {
    let (mut filter, mut params) = list::visibility(
        visible_to,
        "(m.user = ? OR o.customer IN (SELECT co.customer FROM customer_owners co WHERE co.user = ?))",
    );
    filter.push_str(&list::where_sql(
        q,
        GLOBAL_FIELDS,
        "u.search_text",
        &mut params,
    )?);
    list::fts_restrict(c, q, &MEMBER_FTS, &mut filter, &mut params)?;
    let order = list::order_sql(q, GLOBAL_FIELDS, "", "m.seq")?;
    list::page(c, COLS, FROM, &filter, params, &order, q, row)
}

/// Fields of memberships listed across organizations.
pub const GLOBAL_FIELDS: &[Field] = &[
    Field::reference(
        "organization",
        "m.organization",
        "SELECT seq FROM organizations WHERE id = ?",
    ),
    Field::reference("user", "m.user", "SELECT seq FROM users WHERE id = ?"),
    Field::new(
        "status",
        "m.status",
        Kind::Enum(&["pending", "approved", "rejected"]),
    ),
    // 0/1 like every stored boolean (PostgreSQL would not compare a boolean with 1).
    Field::new(
        "is_approved",
        "(CASE WHEN m.status = 'approved' THEN 1 ELSE 0 END)",
        Kind::Bool,
    ),
];

/// The user seqs of every membership of an organization, whatever its state.
pub fn list_all_of_org(c: &impl Db, org: i64) -> Result<Vec<i64>> {
    c.all(
        "SELECT m.user FROM memberships m WHERE m.organization = ? ORDER BY m.seq",
        &p![org],
        |r| r.get(0),
    )
}
