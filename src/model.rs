//! Pure data: identifiers, roles with their rank, states, timestamps, and the row types
//! every layer passes around. No I/O here.

use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// Roles in an organization, highest first. Stored as TEXT (with a CHECK), compared only
/// through `rank()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Contributor,
    Accounting,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Contributor,
        Role::Accounting,
        Role::Viewer,
    ];

    /// Higher is more powerful. The only place roles are ordered.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 50,
            Role::Admin => 40,
            Role::Contributor => 30,
            Role::Accounting => 20,
            Role::Viewer => 10,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Contributor => "contributor",
            Role::Accounting => "accounting",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Pending,
    Approved,
    Rejected,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Approved => "approved",
            MemberStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<MemberStatus> {
        match s {
            "pending" => Some(MemberStatus::Pending),
            "approved" => Some(MemberStatus::Approved),
            "rejected" => Some(MemberStatus::Rejected),
            _ => None,
        }
    }
}

/// Parses a UUID in canonical dashed form or as 32 hex digits; returns the dashed,
/// lower-case form used in storage.
pub fn parse_uuid(s: &str) -> Option<String> {
    let ok_len = s.len() == 36 || s.len() == 32;
    if !ok_len {
        return None;
    }
    uuid::Uuid::try_parse(s)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// The key used for case-insensitive uniqueness and search: full Unicode lowercase.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339 UTC with milliseconds: `2026-11-23T10:04:05.123Z`.
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

pub fn now() -> String {
    format_ms(now_ms())
}

/// Parses RFC 3339 (`Z` or a numeric offset, optional fraction) into epoch milliseconds.
/// A bare date `YYYY-MM-DD` is midnight UTC.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(ms);
    }
    if b.len() < 20
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + se) * 1000;
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &s[start..i.min(start + 3)];
        let mut f: i64 = frac.parse().ok()?;
        for _ in frac.len()..3 {
            f *= 10;
        }
        ms += f;
    }
    match b.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => Some(ms),
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 60 + om) * 60_000;
            Some(if *sign == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil-calendar algorithms (public domain arithmetic).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A user as stored (never carries the password hash out of the store).
#[derive(Debug, Clone)]
pub struct User {
    pub seq: i64,
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub job_title: String,
    pub avatar_url: Option<String>,
    pub preferred_language: String,
    pub metadata: Value,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_service_account: bool,
    pub has_password: bool,
    pub version: i64,
    pub created: String,
    pub modified: String,
}

impl User {
    /// A new, active, non-staff user with only a username and the given time as its
    /// creation time (ids and seq are the store's to give).
    pub fn blank(username: String, at: &str) -> User {
        User {
            seq: 0,
            id: new_id(),
            username,
            email: None,
            first_name: String::new(),
            last_name: String::new(),
            company: String::new(),
            job_title: String::new(),
            avatar_url: None,
            preferred_language: String::new(),
            metadata: serde_json::json!({}),
            is_active: true,
            is_staff: false,
            is_service_account: false,
            has_password: false,
            version: 1,
            created: at.to_string(),
            modified: at.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub seq: i64,
    pub id: String,
    pub name: String,
    pub abbreviation: String,
    pub owners: Vec<String>,
    pub version: i64,
    pub created: String,
    pub modified: String,
}

/// A user reference as shown in summaries (AWX `summary_fields`, activity).
#[derive(Debug, Clone)]
pub struct UserRef {
    pub seq: i64,
    pub id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Clone)]
pub struct Org {
    pub seq: i64,
    pub id: String,
    pub name: String,
    pub description: String,
    pub native_name: String,
    pub abbreviation: Option<String>,
    pub logo_url: Option<String>,
    pub currency_code: Option<String>,
    pub customer: Option<String>,
    pub customer_seq: Option<i64>,
    pub owner: Option<UserRef>,
    pub metadata: Value,
    pub accepts_join_requests: bool,
    pub member_count: i64,
    pub version: i64,
    pub created: String,
    pub modified: String,
    pub created_by: Option<UserRef>,
    pub modified_by: Option<UserRef>,
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub seq: i64,
    pub id: String,
    pub organization: String,
    pub organization_seq: i64,
    pub user: String,
    pub user_seq: i64,
    pub username: String,
    pub email: Option<String>,
    pub role: Role,
    pub status: MemberStatus,
    pub is_active: bool,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub version: i64,
    pub created: String,
    pub modified: String,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub prefix: String,
    pub expires: Option<String>,
    pub revoked: bool,
    pub last_used: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub id: String,
    pub at: String,
    pub actor: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub organization: Option<String>,
    pub changes: Value,
    pub request_id: Option<String>,
    /// The surface (native `v1` or a profile) the change came through.
    pub surface: String,
}

/// One page of results plus the total count.
#[derive(Debug)]
pub struct Page<T> {
    pub count: i64,
    pub items: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trips() {
        let ms = 1_795_428_245_123;
        let s = format_ms(ms);
        assert_eq!(parse_time(&s), Some(ms));
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            parse_time("2026-11-23T10:04:05.123Z")
                .map(format_ms)
                .unwrap(),
            "2026-11-23T10:04:05.123Z"
        );
        assert_eq!(
            parse_time("2026-11-23T12:04:05+02:00")
                .map(format_ms)
                .unwrap(),
            "2026-11-23T10:04:05.000Z"
        );
        assert_eq!(parse_time("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(
            parse_time("2026-11-23").map(format_ms).unwrap(),
            "2026-11-23T00:00:00.000Z"
        );
    }

    #[test]
    fn roles_rank_in_contract_order() {
        for pair in Role::ALL.windows(2) {
            assert!(pair[0].rank() > pair[1].rank());
        }
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn uuid_forms() {
        let d = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(parse_uuid(d).as_deref(), Some(d));
        assert_eq!(
            parse_uuid("0f8fad5bd9cb469fa16570867728950e").as_deref(),
            Some(d)
        );
        assert_eq!(parse_uuid("{0f8fad5b-d9cb-469f-a165-70867728950e}"), None);
        assert_eq!(parse_uuid("acme"), None);
    }
}

/// An invitation to join an organization (its token is never part of it).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub seq: i64,
    pub id: String,
    pub organization: String,
    pub organization_seq: i64,
    pub email: String,
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub preferred_language: String,
    pub expires: String,
    /// Stored status: open, accepted or revoked (`expired` is derived on read).
    pub status: String,
    pub delivery_status: String,
    pub invited_by: Option<String>,
    pub accepted_by: Option<String>,
    pub version: i64,
    pub created: String,
    pub modified: String,
}

impl Invitation {
    /// The status a client sees: an open invitation past its expiry is `expired`.
    pub fn effective_status(&self, now: &str) -> &str {
        if self.status == "open" && self.expires.as_str() <= now {
            "expired"
        } else {
            &self.status
        }
    }
}

/// An object's revision: what its entity tag names. It moves with every stored change
/// (and, for an organization, with its member count).
pub trait Revision {
    fn revision(&self) -> String;
}

/// A revision computed elsewhere (a digest of a representation).
impl Revision for String {
    fn revision(&self) -> String {
        self.clone()
    }
}

impl Revision for Org {
    fn revision(&self) -> String {
        format!("{}.{}", self.version, self.member_count)
    }
}

impl Revision for Membership {
    fn revision(&self) -> String {
        self.version.to_string()
    }
}

impl Revision for User {
    fn revision(&self) -> String {
        self.version.to_string()
    }
}

impl Revision for Customer {
    fn revision(&self) -> String {
        self.version.to_string()
    }
}

impl Revision for Invitation {
    fn revision(&self) -> String {
        self.version.to_string()
    }
}
