//! Profiles: real organization APIs served over the same registry. Each profile is a thin
//! adapter — it parses its wire format, calls registry operations and renders results —
//! and owns no tables and no SQL. Rules a seed document states differently from the
//! native API live beside the profile and are named in its module docs.

pub mod awx;
pub mod drf;
pub mod waldur;

use super::App;
use crate::http::{Req, Resp};
use rusqlite::Connection;

/// Tries every mounted profile in turn; `None` when no profile serves this path.
pub fn dispatch(app: &App, conn: &Connection, req: &Req) -> Option<Resp> {
    let mounted = |name: &str| app.config.profiles.iter().any(|p| p == name);
    if mounted("waldur") {
        if let Some(r) = waldur::dispatch(app, conn, req) {
            return Some(r);
        }
    }
    if mounted("awx") {
        if let Some(r) = awx::dispatch(app, conn, req) {
            return Some(r);
        }
    }
    None
}
