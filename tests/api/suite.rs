// The modules of the integration suite, included by `tests/api/main.rs` (SQLite) and
// `tests/api_pg/main.rs` (PostgreSQL). Each path is written `../api/…` so that it names
// the same file from either directory. Append new modules here.

#[path = "../api/support.rs"]
mod support;
#[path = "../pg/harness.rs"]
#[allow(dead_code)]
mod pgharness;
#[path = "../api/accounts.rs"]
mod accounts;
#[path = "../api/activity.rs"]
mod activity;
#[path = "../api/auth.rs"]
mod auth;
#[path = "../api/auth_cache.rs"]
mod auth_cache;
#[path = "../api/authz.rs"]
mod authz;
#[path = "../api/awx.rs"]
mod awx;
#[path = "../api/cli.rs"]
mod cli;
#[path = "../api/connections.rs"]
mod connections;
#[path = "../api/console.rs"]
mod console;
#[path = "../api/counts.rs"]
mod counts;
#[path = "../api/crash.rs"]
mod crash;
#[path = "../api/customers.rs"]
mod customers;
#[path = "../api/description.rs"]
mod description;
#[path = "../api/edges.rs"]
mod edges;
#[path = "../api/ezeep.rs"]
mod ezeep;
#[path = "../api/fidelity.rs"]
mod fidelity;
#[path = "../api/fixtures.rs"]
mod fixtures;
#[path = "../api/hardening.rs"]
mod hardening;
#[path = "../api/hostile.rs"]
mod hostile;
#[path = "../api/idempotency.rs"]
mod idempotency;
#[path = "../api/invitations.rs"]
mod invitations;
#[path = "../api/members.rs"]
mod members;
#[path = "../api/metrics.rs"]
mod metrics;
#[path = "../api/migrate_db.rs"]
mod migrate_db;
#[path = "../api/orgs.rs"]
mod orgs;
#[path = "../api/profiles.rs"]
mod profiles;
#[path = "../api/races.rs"]
mod races;
#[path = "../api/review.rs"]
mod review;
#[path = "../api/schema.rs"]
mod schema;
#[path = "../api/secrets.rs"]
mod secrets;
#[path = "../api/server.rs"]
mod server;
#[path = "../api/service.rs"]
mod service;
#[path = "../api/slow_clients.rs"]
mod slow_clients;
#[path = "../api/users.rs"]
mod users;
#[path = "../api/waldur.rs"]
mod waldur;
#[path = "../api/zenml.rs"]
mod zenml;
#[path = "../api/multiprocess.rs"]
mod multiprocess;
