//! The one error type every layer returns. Each wire format (native problem+json, the
//! DRF-shaped profiles, ...) maps every variant to its own body; nothing here knows HTTP
//! beyond the status code each variant stands for.

use std::collections::BTreeMap;
use std::fmt;

/// Field name → messages, in a stable order, for validation failures.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// 400 naming every bad field at once.
    Invalid(FieldErrors),
    /// 400 with a single message (malformed JSON, bad query value, framing).
    BadRequest(String),
    /// 401: no credentials or bad ones.
    Unauthenticated(String),
    /// 401 with Retry-After: HTTP Basic from a username or address that is locked out.
    LockedOut(u64),
    /// 403: authenticated, the object is visible, the action is not allowed.
    Forbidden(String),
    /// 404: absent, or invisible to this caller.
    NotFound,
    /// 404: a page number past the end or unusable.
    InvalidPage,
    /// 405 with the methods the route allows.
    MethodNotAllowed(String),
    /// 409: uniqueness (with the field that collided) or state conflict.
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// 409: a registry rule refused the change. Each wire format words it its own way.
    Rule(Broken),
    /// 410: an expired invitation.
    Gone(String),
    /// 408: the body did not arrive in time.
    RequestTimeout,
    /// 412: If-Match did not match.
    PreconditionFailed,
    /// 413: body over the limit.
    PayloadTooLarge(usize),
    /// 415: a body that is not JSON.
    UnsupportedMediaType,
    /// 422: the same Idempotency-Key with another request.
    Unprocessable(String),
    /// 429 with Retry-After seconds.
    RateLimited(u64),
    /// 431: header section too large.
    HeadersTooLarge,
    /// 503: storage busy or unavailable.
    Unavailable,
    /// 500: a bug. The text goes to the log, never to the client.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The registry rules that depend on other rows, named so that every surface can render
/// a refusal in its own shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// An organization must keep an active owner.
    LastOwner,
    /// The owner already owns the configured maximum of organizations.
    OrgLimit(u32),
    /// The customer already has an organization (one-per-customer rule sets).
    OneOrgPerCustomer,
    /// The user already belongs to an organization (one-per-user rule sets).
    OneOrgPerUser,
}

impl Error {
    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid(_) | Error::BadRequest(_) => 400,
            Error::Unauthenticated(_) | Error::LockedOut(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound | Error::InvalidPage => 404,
            Error::MethodNotAllowed(_) => 405,
            Error::Conflict { .. } | Error::Rule(_) => 409,
            Error::Gone(_) => 410,
            Error::RequestTimeout => 408,
            Error::PreconditionFailed => 412,
            Error::PayloadTooLarge(_) => 413,
            Error::UnsupportedMediaType => 415,
            Error::Unprocessable(_) => 422,
            Error::RateLimited(_) => 429,
            Error::HeadersTooLarge => 431,
            Error::Unavailable => 503,
            Error::Internal(_) => 500,
        }
    }

    /// One invalid field.
    pub fn field(name: &str, message: impl Into<String>) -> Error {
        let mut errors = FieldErrors::new();
        errors.insert(name.to_string(), vec![message.into()]);
        Error::Invalid(errors)
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Error {
        Error::Conflict {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn state(message: impl Into<String>) -> Error {
        Error::Conflict {
            field: None,
            message: message.into(),
        }
    }

    /// The short human title of the status, used as the problem `title`.
    pub fn title(&self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            410 => "Gone",
            408 => "Request Timeout",
            412 => "Precondition Failed",
            413 => "Content Too Large",
            415 => "Unsupported Media Type",
            422 => "Unprocessable Content",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    /// The message a client may see. Internal causes are never included.
    pub fn detail(&self) -> String {
        match self {
            Error::Invalid(_) => "The request has invalid fields.".into(),
            Error::BadRequest(m)
            | Error::Unauthenticated(m)
            | Error::Forbidden(m)
            | Error::Gone(m)
            | Error::Unprocessable(m) => m.clone(),
            Error::Conflict { message, .. } => message.clone(),
            Error::Rule(Broken::LastOwner) => {
                "The last active owner of an organization cannot be removed, demoted or deactivated."
                    .into()
            }
            Error::Rule(Broken::OrgLimit(max)) => format!(
                "OrganizationLimitExceeded: the user already owns the maximum of {max} organization(s)."
            ),
            Error::Rule(Broken::OneOrgPerCustomer) => {
                "The customer already has an organization.".into()
            }
            Error::Rule(Broken::OneOrgPerUser) => "The user already belongs to an organization.".into(),
            Error::NotFound => "Not found.".into(),
            Error::InvalidPage => "Invalid page.".into(),
            Error::MethodNotAllowed(_) => "Method not allowed on this resource.".into(),
            Error::RequestTimeout => "The request body did not arrive in time.".into(),
            Error::PreconditionFailed => "If-Match does not match the current version.".into(),
            Error::PayloadTooLarge(limit) => format!("Request body is larger than {limit} bytes."),
            Error::UnsupportedMediaType => {
                "Request body must be JSON (Content-Type: application/json).".into()
            }
            Error::RateLimited(s) => format!("Too many attempts; retry in {s} seconds."),
            Error::LockedOut(s) => format!("Too many failed logins; retry in {s} seconds."),
            Error::HeadersTooLarge => "Request header section is too large.".into(),
            Error::Unavailable => "Storage is busy or unavailable; retry shortly.".into(),
            Error::Internal(_) => "Internal server error.".into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(cause) => write!(f, "internal: {cause}"),
            other => write!(f, "{} {}", other.status(), other.detail()),
        }
    }
}

impl From<rusqlite::Error> for Error {
    /// Busy/locked storage is a retryable 503; anything else from the database that the
    /// store did not translate itself is a bug (500), logged with its cause.
    fn from(e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(code, _) = &e {
            if matches!(
                code.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::SystemIoFailure
            ) {
                return Error::Unavailable;
            }
        }
        Error::Internal(format!("database: {e}"))
    }
}

/// Collects field errors so a validator can report every bad field at once.
#[derive(Default, Debug)]
pub struct Errors(pub FieldErrors);

impl Errors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
