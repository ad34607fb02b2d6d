//! The integration suite: one test binary (`cargo test --test api`). Every test starts
//! its own server (`support::Server`) on port 0 over a fresh temporary database and
//! talks to it over HTTP only. One module per topic; append new ones below.

mod support;

mod accounts;
mod activity;
mod auth;
mod auth_cache;
mod authz;
mod awx;
mod cli;
mod connections;
mod console;
mod counts;
mod crash;
mod customers;
mod description;
mod edges;
mod ezeep;
mod fidelity;
mod fixtures;
mod hardening;
mod hostile;
mod idempotency;
mod invitations;
mod members;
mod metrics;
mod orgs;
mod profiles;
mod races;
mod review;
mod schema;
mod secrets;
mod server;
mod service;
mod slow_clients;
mod users;
mod waldur;
mod zenml;
