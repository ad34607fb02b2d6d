//! The Waldur profile (seed 000).
use crate::api::App; use crate::http::{Req, Resp}; use rusqlite::Connection;
pub fn dispatch(_app: &App, _conn: &Connection, _req: &Req) -> Option<Resp> { None }
