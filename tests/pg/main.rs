//! The PostgreSQL engine (issue 13, docs/SCALING.md): its schema and migration runner
//! against SQLite's (`schema`), the same store functions on both engines (`behaviour`),
//! and outages, lost races and the pool of `PgStore` (`faults`).
//!
//! Each test gets a database: `ORGREG_TEST_POSTGRES=<url>` if set (the tests then run one
//! at a time and WIPE everything the URL's role owns in that database first), else a
//! throw-away cluster of its own (initdb into a temp dir, started on a free 127.0.0.1
//! port, stopped and removed when the test ends). Without either the tests say so on one
//! line and pass.

mod behaviour;
mod faults;
mod harness;
mod schema;
