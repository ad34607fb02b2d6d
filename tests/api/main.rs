//! The integration suite: one test binary (`cargo test --test api`). Every test starts
//! its own server (`support::Server`) on port 0 over a fresh temporary database and
//! talks to it over HTTP only. One module per topic; append new ones below.

mod support;

mod activity;
mod auth;
mod cli;
mod customers;
mod edges;
mod orgs;
mod schema;
mod server;
mod service;
mod users;
mod invitations;
mod members;
mod idempotency;
mod profiles;
mod awx;
mod waldur;
mod hardening;
