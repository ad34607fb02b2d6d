//! The integration suite: one test binary (`cargo test --test api`). Every test starts
//! its own server (`support::Server`) on port 0 over a fresh temporary database and
//! talks to it over HTTP only. One module per topic, listed in `suite.rs`;
//! `tests/api_pg` runs the same modules on PostgreSQL.

include!("suite.rs");
