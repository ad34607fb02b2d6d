//! Command line → Config → orgreg::start. No logic of its own.

use clap::{CommandFactory, FromArgMatches};
use orgreg::config::{Cli, Command, Config, SyncMode, TokenCommand};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        log::error!("panic in {}: {info}", thread.name().unwrap_or("?"));
    }));
    // The top-level help also lists every `serve` flag with its env twin and default.
    let mut cmd = Cli::command();
    let serve_help = cmd
        .find_subcommand_mut("serve")
        .map(|s| s.render_help().to_string())
        .unwrap_or_default();
    let cmd = cmd.after_help(format!("`orgreg serve` options:\n\n{serve_help}"));
    let cli = match Cli::from_arg_matches(&cmd.get_matches()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Serve(args) => serve(&args),
        Command::Token {
            command: TokenCommand::Create { user, name, db },
        } => token_create(&db, &user, &name),
    }
}

fn serve(args: &orgreg::config::ServeArgs) -> ExitCode {
    let config = match Config::from_serve_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("orgreg: {e}");
            return ExitCode::from(2);
        }
    };
    orgreg::server::install_signal_handlers();
    orgreg::server::tune_allocator();
    let running = match orgreg::start(config.clone()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("orgreg: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(token) = &running.admin_token {
        if config.admin_token.is_none() {
            // Shown once, on the terminal: never written to the log.
            println!("orgreg: created staff user 'admin'. Its API token (shown only now):\n\n    {token}\n");
        } else {
            println!("orgreg: created staff user 'admin' with the token from ORGREG_ADMIN_TOKEN.");
        }
    }
    log::info!(
        "orgreg {} listening on {} (db {}, {} workers, sync {:?}, profiles: {})",
        env!("CARGO_PKG_VERSION"),
        running.url(),
        config.db,
        config.threads,
        config.sync,
        if config.profiles.is_empty() {
            "none".to_string()
        } else {
            config.profiles.join(",")
        }
    );
    while !orgreg::server::STOP_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    log::info!("stopping: finishing in-flight requests");
    running.stop();
    log::info!("stopped");
    ExitCode::SUCCESS
}

fn token_create(db: &str, user: &str, name: &str) -> ExitCode {
    let store = match orgreg::store::Store::open(db, SyncMode::Full) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("orgreg: {e}");
            return ExitCode::from(1);
        }
    };
    let reg = orgreg::registry::Registry::new(
        store,
        orgreg::registry::Settings {
            org_create: orgreg::config::OrgCreate::Users,
            max_owned_orgs: None,
            public_url: None,
        },
    );
    match orgreg::registry::auth::mint_offline(&reg, user, name) {
        Ok(secret) => {
            println!("{secret}");
            reg.store.close();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("orgreg: {}", e.detail());
            ExitCode::from(1)
        }
    }
}
