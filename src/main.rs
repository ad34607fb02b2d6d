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
        Command::Export {
            db,
            out,
            with_secrets,
        } => export(&db, out.as_deref(), with_secrets),
        Command::Import { file, db } => import(&file, &db),
        Command::Backup { db, out } => backup(&db, &out),
        Command::MigrateDb { from, to } => migrate_db(&from, &to),
    }
}

/// A registry over `db` for the offline commands.
fn offline(db: &str) -> Result<orgreg::registry::Registry, ExitCode> {
    match orgreg::store::Store::open(db, SyncMode::Full) {
        Ok(store) => Ok(orgreg::registry::Registry::new(
            store,
            orgreg::registry::Settings {
                org_create: orgreg::config::OrgCreate::Users,
                max_owned_orgs: None,
                public_url: None,
            },
        )),
        Err(e) => {
            eprintln!("orgreg: {e}");
            Err(ExitCode::from(1))
        }
    }
}

fn export(db: &str, out: Option<&std::path::Path>, with_secrets: bool) -> ExitCode {
    if db != ":memory:" && !orgreg::store::is_postgres_url(db) && !std::path::Path::new(db).exists()
    {
        eprintln!("orgreg: no database at {db}");
        return ExitCode::from(1);
    }
    let reg = match offline(db) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let doc = orgreg::registry::fixtures::export(&reg, with_secrets);
    reg.store.close();
    let doc = match doc {
        Ok(d) => d,
        Err(e) => {
            eprintln!("orgreg: export failed: {}", e.detail());
            return ExitCode::from(1);
        }
    };
    let written = match out {
        None => {
            use std::io::Write;
            let mut so = std::io::stdout().lock();
            so.write_all(doc.as_bytes()).and_then(|_| so.flush())
        }
        Some(path) => write_atomically(path, doc.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orgreg: cannot write the export: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn import(file: &std::path::Path, db: &str) -> ExitCode {
    let text = if file.as_os_str() == "-" {
        let mut s = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
            Ok(_) => Ok(s),
            Err(e) => Err(e),
        }
    } else {
        std::fs::read_to_string(file)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("orgreg: cannot read {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let existed = db == ":memory:" || std::path::Path::new(db).exists();
    let reg = match offline(db) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let started = std::time::Instant::now();
    let result = orgreg::registry::fixtures::import(&reg, &text);
    reg.store.close();
    match result {
        Ok(summary) => {
            eprintln!(
                "orgreg: imported {summary} into {db} in {:.2} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            if !existed {
                // Nothing was written: do not leave a new, empty database behind either.
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{db}{suffix}"));
                }
            }
            eprintln!("orgreg: {e}");
            ExitCode::from(1)
        }
    }
}

fn migrate_db(from: &str, to: &str) -> ExitCode {
    use orgreg::store::{describe, is_postgres_url, Store};
    if is_postgres_url(from) || !std::path::Path::new(from).is_file() {
        eprintln!("orgreg: --from must be an existing SQLite database file: {from}");
        return ExitCode::from(2);
    }
    if !is_postgres_url(to) {
        eprintln!("orgreg: --to must be a PostgreSQL URL (postgres://user:pass@host:port/dbname)");
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    let opened = Store::open(from, SyncMode::Full)
        .and_then(|src| Store::open(to, SyncMode::Full).map(|dst| (src, dst)));
    let (src, dst) = match opened {
        Ok(s) => s,
        Err(e) => {
            eprintln!("orgreg: {e}");
            return ExitCode::from(1);
        }
    };
    let copied = orgreg::store::copy::sqlite_to_postgres(&src, &dst);
    src.close();
    dst.close();
    match copied {
        Ok(counts) => {
            let rows: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
            eprintln!(
                "orgreg: copied {from} into {} ({}; row counts checked) in {:.2} s",
                describe(to),
                rows.join(", "),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let why = match e {
                orgreg::error::Error::Internal(cause) => cause,
                other => other.detail(),
            };
            eprintln!("orgreg: migrate-db failed, nothing was written: {why}");
            ExitCode::from(1)
        }
    }
}

fn backup(db: &str, out: &std::path::Path) -> ExitCode {
    if orgreg::store::is_postgres_url(db) {
        eprintln!(
            "orgreg: backup copies a SQLite file; back up PostgreSQL with its own tools \
             (pg_basebackup, pg_dump) or `orgreg export --db URL`"
        );
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    match orgreg::backup::backup(std::path::Path::new(db), out) {
        Ok(r) => {
            eprintln!(
                "orgreg: backed up {db} to {} ({} bytes, schema version {}, {} organizations, \
                 {} users; integrity and foreign keys checked) in {:.2} s",
                out.display(),
                r.bytes,
                r.schema_version,
                r.organizations,
                r.users,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("orgreg: backup failed: {e}");
            ExitCode::from(1)
        }
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
        orgreg::store::describe(&config.db),
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
