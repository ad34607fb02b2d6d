//! Queries on `users`. The password hash leaves this module only through
//! `password_hash_by_username`, for verification.

use super::db::{Db, Row};
use super::json_col;
use super::list::{self, Field};
use crate::error::Result;
use crate::model::{fold, Page, User, UserRef};
use crate::p;
use crate::query::{Kind, ListQuery};

const COLS: &str = "u.seq, u.id, u.username, u.email, u.first_name, u.last_name, u.company, \
    u.job_title, u.avatar_url, u.preferred_language, u.metadata, u.is_active, u.is_staff, \
    u.is_service_account, u.password_hash IS NOT NULL, u.version, u.created, u.modified";

pub const FIELDS: &[Field] = &[
    Field::key("username", "u.username_key"),
    Field::key("email", "u.email_key"),
    Field::new("is_active", "u.is_active", Kind::Bool),
    Field::new("is_staff", "u.is_staff", Kind::Bool),
    Field::new("is_service_account", "u.is_service_account", Kind::Bool),
    Field::new("first_name", "u.first_name", Kind::Text),
    Field::new("last_name", "u.last_name", Kind::Text),
    Field::new("created", "u.created", Kind::Time),
    Field::new("id", "u.seq", Kind::Int),
];

/// The trigram index over `search_text`: folded username, email, first and last name.
pub const FTS: list::Fts = list::Fts {
    table: "users_fts",
    key: "u.seq",
    covers: &["username", "email", "first_name", "last_name"],
};

fn row(r: &Row) -> Result<User> {
    Ok(User {
        seq: r.get(0)?,
        id: r.get(1)?,
        username: r.get(2)?,
        email: r.get(3)?,
        first_name: r.get(4)?,
        last_name: r.get(5)?,
        company: r.get(6)?,
        job_title: r.get(7)?,
        avatar_url: r.get(8)?,
        preferred_language: r.get(9)?,
        metadata: json_col(r.get(10)?),
        is_active: r.get(11)?,
        is_staff: r.get(12)?,
        is_service_account: r.get(13)?,
        has_password: r.get(14)?,
        version: r.get(15)?,
        created: r.get(16)?,
        modified: r.get(17)?,
    })
}

pub fn by_id(c: &impl Db, id: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users u WHERE u.id = ?");
    c.one(&sql, &p![id], row)
}

pub fn by_seq(c: &impl Db, seq: i64) -> Result<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users u WHERE u.seq = ?");
    c.one(&sql, &p![seq], row)
}

pub fn by_username(c: &impl Db, username: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users u WHERE u.username_key = ?");
    c.one(&sql, &p![fold(username)], row)
}

pub fn by_email(c: &impl Db, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users u WHERE u.email_key = ?");
    c.one(&sql, &p![fold(email)], row)
}

/// The user and their stored PHC hash, for password verification only.
pub fn password_hash_by_username(
    c: &impl Db,
    username: &str,
) -> Result<Option<(User, Option<String>)>> {
    let sql = format!("SELECT {COLS}, u.password_hash FROM users u WHERE u.username_key = ?");
    c.one(&sql, &p![fold(username)], |r| Ok((row(r)?, r.get(18)?)))
}

pub fn user_ref(c: &impl Db, seq: i64) -> Result<Option<UserRef>> {
    c.one(
        "SELECT seq, id, username, first_name, last_name FROM users WHERE seq = ?",
        &p![seq],
        |r| {
            Ok(UserRef {
                seq: r.get(0)?,
                id: r.get(1)?,
                username: r.get(2)?,
                first_name: r.get(3)?,
                last_name: r.get(4)?,
            })
        },
    )
}

pub fn staff_exists(c: &impl Db) -> Result<bool> {
    c.scalar(
        "SELECT EXISTS (SELECT 1 FROM users WHERE is_staff = 1)",
        &[],
    )
}

fn search_text(u: &User) -> String {
    fold(&format!(
        "{}\n{}\n{}\n{}",
        u.username,
        u.email.as_deref().unwrap_or(""),
        u.first_name,
        u.last_name
    ))
}

const UNIQUE: &[(&str, &str)] = &[
    ("users.username_key", "username"),
    ("users.email_key", "email"),
];

/// Inserts `u` (its `seq` is ignored) with an optional password hash; returns the stored row.
pub fn insert(c: &impl Db, u: &User, password_hash: Option<&str>) -> Result<User> {
    c.exec_unique(
        "INSERT INTO users (id, username, username_key, email, email_key, first_name, last_name, \
         company, job_title, avatar_url, preferred_language, metadata, is_active, is_staff, \
         is_service_account, password_hash, search_text, version, created, modified) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        &p![
            u.id,
            u.username,
            fold(&u.username),
            u.email,
            u.email.as_deref().map(fold),
            u.first_name,
            u.last_name,
            u.company,
            u.job_title,
            u.avatar_url,
            u.preferred_language,
            u.metadata.to_string(),
            u.is_active,
            u.is_staff,
            u.is_service_account,
            password_hash,
            search_text(u),
            u.created,
            u.modified,
        ],
        UNIQUE,
    )?;
    Ok(by_id(c, &u.id)?.expect("row just inserted"))
}

/// Writes every mutable field of `u`, bumps its version; `password_hash` replaces the
/// stored hash when given.
pub fn update(c: &impl Db, u: &User, password_hash: Option<&str>) -> Result<User> {
    c.exec_unique("UPDATE users SET username = ?, username_key = ?, email = ?, email_key = ?, first_name = ?, \
         last_name = ?, company = ?, job_title = ?, avatar_url = ?, preferred_language = ?, \
         metadata = ?, is_active = ?, is_staff = ?, is_service_account = ?, \
         password_hash = coalesce(?, password_hash), search_text = ?, version = version + 1, \
         modified = ? WHERE seq = ?", &p![
        u.username,
        fold(&u.username),
        u.email,
        u.email.as_deref().map(fold),
        u.first_name,
        u.last_name,
        u.company,
        u.job_title,
        u.avatar_url,
        u.preferred_language,
        u.metadata.to_string(),
        u.is_active,
        u.is_staff,
        u.is_service_account,
        password_hash,
        search_text(u),
        u.modified,
        u.seq,
    ], UNIQUE)?;
    Ok(by_seq(c, u.seq)?.expect("row exists"))
}

pub fn delete(c: &impl Db, seq: i64) -> Result<()> {
    c.exec("DELETE FROM users WHERE seq = ?", &p![seq])?;
    Ok(())
}

/// Organizations (their uuids) where `user` is the only active approved owner.
pub fn sole_owner_of(c: &impl Db, user: i64) -> Result<Vec<String>> {
    c.all(
        "SELECT o.id FROM memberships m JOIN organizations o ON o.seq = m.organization \
         WHERE m.user = ?1 AND m.role = 'owner' AND m.status = 'approved' AND m.is_active = 1 \
         AND NOT EXISTS (SELECT 1 FROM memberships m2 WHERE m2.organization = m.organization \
           AND m2.user != ?1 AND m2.role = 'owner' AND m2.status = 'approved' AND m2.is_active = 1)",
        &p![user],
        |r| r.get(0),
    )
}

/// Whether `a` and `b` are both approved members of one organization, `a` actively.
pub fn share_an_org(c: &impl Db, a: i64, b: i64) -> Result<bool> {
    c.scalar(
        "SELECT EXISTS (SELECT 1 FROM memberships ma JOIN memberships mb \
           ON mb.organization = ma.organization \
         WHERE ma.user = ? AND ma.status = 'approved' AND ma.is_active = 1 \
           AND mb.user = ? AND mb.status = 'approved')",
        &p![a, b],
    )
}

/// Lists users; `visible_to` (a non-staff caller's seq) restricts to themself and their
/// co-members.
pub fn list(c: &impl Db, visible_to: Option<i64>, q: &ListQuery) -> Result<Page<User>> {
    let (mut filter, mut params) = list::visibility(
        visible_to,
        "(u.seq = ? OR u.seq IN (SELECT mb.user FROM memberships ma JOIN memberships mb \
               ON mb.organization = ma.organization WHERE ma.user = ? AND ma.status = 'approved' \
               AND ma.is_active = 1 AND mb.status = 'approved'))",
    );
    filter.push_str(&list::where_sql(q, FIELDS, "u.search_text", &mut params)?);
    list::fts_restrict(c, q, &FTS, &mut filter, &mut params)?;
    let order = list::order_sql(q, FIELDS, "", "u.seq")?;
    list::page(c, COLS, " FROM users u", &filter, params, &order, q, row)
}

pub fn active_staff_count(c: &impl Db) -> Result<i64> {
    c.scalar(
        "SELECT count(*) FROM users WHERE is_staff = 1 AND is_active = 1",
        &[],
    )
}

/// Every user in creation order, with the password hash when `with_hash` (exports).
pub fn all(c: &impl Db, with_hash: bool) -> Result<Vec<(User, Option<String>)>> {
    let sql = format!("SELECT {COLS}, u.password_hash FROM users u ORDER BY u.seq");
    c.all(&sql, &[], |r| {
        let hash: Option<String> = r.get(18)?;
        Ok((row(r)?, hash.filter(|_| with_hash)))
    })
}
