//! orgreg: an organization registry in one binary over one SQLite file.
//!
//! Modules in reading order: `config` (flags) → `server` (accept loop, workers, limits) →
//! `router` (URL shapes) → `api` (wire formats) → `registry` (operations, rules, policy) →
//! `store` (SQL). `model`, `error` and `http` are shared vocabulary.

pub mod api;
pub mod backup;
pub mod config;
pub mod error;
pub mod http;
pub mod model;
pub mod query;
pub mod registry;
pub mod router;
pub mod server;
pub mod store;

use config::Config;
use std::sync::Arc;
use std::time::Duration;

pub use server::Running;

/// Opens the database (migrating it), loads `--fixtures` into it, bootstraps the first admin on an empty one, binds
/// the listener and starts the workers. Tests call this directly with port 0.
pub fn start(config: Config) -> Result<Running, String> {
    server::raise_fd_limit();
    let store = store::Store::open(&config.db, config.sync).map_err(|e| e.to_string())?;
    let settings = registry::Settings {
        org_create: config.org_create,
        max_owned_orgs: config.max_owned_orgs,
        public_url: config.public_url.clone(),
    };
    let mut reg = registry::Registry::new(store, settings);
    if let Some(path) = &config.invite_outbox {
        reg.delivery = Box::new(registry::invitations::OutboxDelivery(path.clone()));
    }
    if let Some(path) = &config.fixtures {
        if let Err(e) = load_fixtures(&reg, path) {
            reg.store.close();
            return Err(e);
        }
    }
    // Several processes may start on one PostgreSQL database at once: their bootstrap
    // writes collide, and one may lose every attempt while the other's commit waits for
    // a synchronous standby. Starting can wait: try again for up to 30 s.
    let started = std::time::Instant::now();
    let admin_token = loop {
        match registry::auth::bootstrap(
            &reg,
            config.admin_token.as_deref(),
            config.admin_password.as_deref(),
        ) {
            Err(error::Error::Unavailable) if started.elapsed() < Duration::from_secs(30) => {
                log::info!("bootstrap: the database is busy or unavailable; trying again");
                std::thread::sleep(Duration::from_millis(200));
            }
            other => break other.map_err(|e| e.to_string())?,
        }
    };
    // At most `threads` requests are handled at once: that many read connections, opened
    // now, serve them all.
    reg.store
        .warm_readers(config.threads)
        .map_err(|e| e.to_string())?;
    let listener = server::bind(&config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let threads = config.threads;
    let app = Arc::new(api::App::new(reg, config));
    server::start(app, listener, threads, admin_token).map_err(|e| e.to_string())
}

/// `serve --fixtures FILE`: the file into the new or empty database, or an error.
fn load_fixtures(reg: &registry::Registry, path: &std::path::Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--fixtures {}: {e}", path.display()))?;
    let summary = registry::fixtures::import(reg, &text)
        .map_err(|e| format!("--fixtures {}: {e}", path.display()))?;
    log::info!("loaded fixtures from {}: {summary}", path.display());
    Ok(())
}
