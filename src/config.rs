//! Flags, their environment twins and defaults. `Config` is what `orgreg::start` takes;
//! tests build one directly.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "orgreg",
    version,
    about = "An organization registry: one binary, one SQLite file, an HTTP API.",
    long_about = "An organization registry: one binary, one SQLite file, an HTTP API for \
organizations, their users and roles, join requests, invitations and an audit trail.\n\n\
Every flag has an environment twin (shown as [env: ...]); a flag wins over its twin."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (ready when GET /healthz answers 200).
    Serve(ServeArgs),
    /// Manage API tokens offline, against the database file.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write the whole registry as one JSON fixture document (stable order: two exports
    /// of the same data are byte-identical).
    Export {
        /// The database: a SQLite file or a PostgreSQL URL.
        #[arg(long, env = "ORGREG_DB", default_value = "./orgreg.db")]
        db: String,
        /// Write here instead of standard output (replaced atomically).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Include users' password hashes (argon2id PHC strings).
        #[arg(long)]
        with_secrets: bool,
    },
    /// Load a fixture document into a new or empty database: one transaction, all or
    /// nothing; every bad record is named by its JSON Pointer.
    Import {
        /// The fixture file (`-` for standard input).
        file: std::path::PathBuf,
        /// The database: a SQLite file (created if missing) or a PostgreSQL URL.
        #[arg(long, env = "ORGREG_DB", default_value = "./orgreg.db")]
        db: String,
    },
    /// Copy a SQLite database into a new, empty PostgreSQL database: every table, the
    /// same ids, in one transaction (docs/SCALING.md). Stop the server first: writes
    /// made after the copy's snapshot are not copied.
    MigrateDb {
        /// The SQLite database file to copy.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database to copy into (`postgres://user:pass@host:port/dbname`).
        #[arg(long)]
        to: String,
    },
    /// Copy the database consistently while a server may be writing to it (one
    /// self-contained file, integrity- and foreign-key-checked).
    Backup {
        /// The SQLite database file to copy (PostgreSQL has its own tools: pg_basebackup,
        /// pg_dump).
        #[arg(long, env = "ORGREG_DB", default_value = "./orgreg.db")]
        db: String,
        /// Where to write the copy (must not exist).
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Mint an API token for an existing user and print it once.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// A label for the token.
        #[arg(long, default_value = "cli")]
        name: String,
        /// The database: a SQLite file or a PostgreSQL URL.
        #[arg(long, env = "ORGREG_DB", default_value = "./orgreg.db")]
        db: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyncMode {
    /// fsync the WAL on every commit: a 2xx means the write is on disk.
    Full,
    /// Survives a process crash, may lose the last commits on power loss; faster.
    Normal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrgCreate {
    /// Any active user who is not a service account may create organizations.
    Users,
    /// Only staff may create organizations.
    Staff,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// SQLite database file; `:memory:` for a throw-away registry (a temporary file
    /// removed at stop); or a PostgreSQL URL, `postgres://user:pass@host:port/dbname`
    /// (also `postgresql://`, and libpq multi-host URLs such as
    /// `postgres://h1:5432,h2:5432/orgreg?target_session_attrs=read-write`).
    #[arg(long, env = "ORGREG_DB", default_value = "./orgreg.db")]
    pub db: String,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ORGREG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Requests handled at once, each holding a read connection to the database
    /// [default: 4 per core, at least 8].
    #[arg(long, env = "ORGREG_THREADS")]
    pub threads: Option<usize>,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "ORGREG_MAX_BODY", default_value_t = 1_048_576)]
    pub max_body: usize,
    /// Profiles to mount: `all`, `none` (only /v1), or a comma-separated list of
    /// awx (/api/, /api/v1/, /api/v2/), waldur (/api/organizations/,
    /// /api/organization-users/, /api/customers/, /api/users/), zenml (/organizations),
    /// accounts (/accounts/organizations), ezeep (/partner/v1/organizations/).
    #[arg(long, env = "ORGREG_PROFILES", default_value = "all")]
    pub profiles: String,
    /// Durability of each commit.
    #[arg(long, env = "ORGREG_SYNC", value_enum, default_value_t = SyncMode::Full)]
    pub sync: SyncMode,
    /// Who may create organizations.
    #[arg(long, env = "ORGREG_ORG_CREATE", value_enum, default_value_t = OrgCreate::Users)]
    pub org_create: OrgCreate,
    /// Most organizations one user may own (unlimited when unset).
    #[arg(long, env = "ORGREG_MAX_OWNED_ORGS")]
    pub max_owned_orgs: Option<u32>,
    /// Write invitation links as JSON lines to this file instead of the log.
    #[arg(long, env = "ORGREG_INVITE_OUTBOX")]
    pub invite_outbox: Option<std::path::PathBuf>,
    /// The public base URL of this registry (e.g. https://orgs.example.com), used in
    /// invitation links; unset, links follow the request's Host header (local use).
    #[arg(long, env = "ORGREG_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds an idle keep-alive connection stays open before the server closes it;
    /// 0 closes every connection after its answer.
    #[arg(long, env = "ORGREG_KEEP_ALIVE_TIMEOUT", default_value_t = 75)]
    pub keep_alive_timeout: u64,
    /// Most connections open at once (each is served by its own thread); a connection
    /// beyond it is answered 503 with Retry-After and closed.
    #[arg(long, env = "ORGREG_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Load this fixture file (see `orgreg export`) before anything else, before the
    /// bootstrap admin; the database must be new or empty (else orgreg refuses to start).
    /// With `--db :memory:`, a throw-away stub with known data [default: none].
    #[arg(long, env = "ORGREG_FIXTURES")]
    pub fixtures: Option<std::path::PathBuf>,
    /// Serve `GET /metrics` without credentials (by default it needs a staff token).
    #[arg(long, env = "ORGREG_METRICS_PUBLIC")]
    pub metrics_public: bool,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: String,
    pub listen: String,
    pub threads: usize,
    pub max_body: usize,
    /// Seconds an idle keep-alive connection is kept (0: no keep-alive).
    pub keep_alive_timeout: u64,
    /// Most connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
    pub profiles: Vec<String>,
    pub sync: SyncMode,
    pub org_create: OrgCreate,
    pub max_owned_orgs: Option<u32>,
    /// Invitation delivery: None → the log; Some(path) → JSON lines in that file.
    pub invite_outbox: Option<std::path::PathBuf>,
    /// Base URL for links the registry sends out (invitations).
    pub public_url: Option<String>,
    /// `ORGREG_ADMIN_TOKEN`: the bootstrap admin's token on a database without staff.
    pub admin_token: Option<String>,
    /// `ORGREG_ADMIN_PASSWORD`: the bootstrap admin's password.
    pub admin_password: Option<String>,
    /// `GET /metrics` needs no credentials (otherwise a staff token).
    pub metrics_public: bool,
    /// Serve `/v1/_test/panic` (tests only; never reachable from the command line).
    pub test_routes: bool,
    /// A fixture file loaded into the (new or empty) database before the bootstrap.
    pub fixtures: Option<std::path::PathBuf>,
}

pub const ALL_PROFILES: [&str; 5] = ["awx", "waldur", "zenml", "accounts", "ezeep"];

pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    (cores * 4).max(8)
}

/// Parses `all`, `none` or a comma-separated list of profile names.
pub fn parse_profiles(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("all") {
        return Ok(ALL_PROFILES.iter().map(|p| p.to_string()).collect());
    }
    if s.eq_ignore_ascii_case("none") || s.is_empty() {
        return Ok(vec![]);
    }
    let mut out = vec![];
    for p in s.split(',').map(|p| p.trim().to_ascii_lowercase()) {
        if !ALL_PROFILES.contains(&p.as_str()) {
            return Err(format!(
                "unknown profile {p:?}; known: all, none, {}",
                ALL_PROFILES.join(", ")
            ));
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

impl Config {
    pub fn from_serve_args(a: &ServeArgs) -> Result<Config, String> {
        if a.max_body == 0 {
            return Err("--max-body must be at least 1".into());
        }
        let threads = a.threads.unwrap_or_else(default_threads);
        if threads == 0 || threads > 1024 {
            return Err("--threads must be between 1 and 1024".into());
        }
        if a.max_connections == 0 || a.max_connections > 65_536 {
            return Err("--max-connections must be between 1 and 65536".into());
        }
        if a.keep_alive_timeout > 86_400 {
            return Err("--keep-alive-timeout must be at most 86400 seconds".into());
        }
        Ok(Config {
            db: a.db.clone(),
            listen: a.listen.clone(),
            threads,
            max_body: a.max_body,
            keep_alive_timeout: a.keep_alive_timeout,
            max_connections: a.max_connections,
            profiles: parse_profiles(&a.profiles)?,
            sync: a.sync,
            org_create: a.org_create,
            max_owned_orgs: a.max_owned_orgs,
            invite_outbox: a.invite_outbox.clone(),
            public_url: match &a.public_url {
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    return Err("--public-url must start with http:// or https://".into())
                }
                other => other.as_ref().map(|u| u.trim_end_matches('/').to_string()),
            },
            admin_token: std::env::var("ORGREG_ADMIN_TOKEN")
                .ok()
                .filter(|s| !s.is_empty()),
            admin_password: std::env::var("ORGREG_ADMIN_PASSWORD")
                .ok()
                .filter(|s| !s.is_empty()),
            metrics_public: a.metrics_public,
            test_routes: false,
            fixtures: a.fixtures.clone(),
        })
    }

    /// A configuration for tests and embedding: throw-away database, port 0.
    pub fn for_tests(db: &str) -> Config {
        Config {
            db: db.to_string(),
            listen: "127.0.0.1:0".into(),
            threads: 8,
            max_body: 1_048_576,
            keep_alive_timeout: 75,
            max_connections: 1024,
            profiles: ALL_PROFILES.iter().map(|p| p.to_string()).collect(),
            sync: SyncMode::Normal,
            org_create: OrgCreate::Users,
            max_owned_orgs: None,
            invite_outbox: None,
            public_url: None,
            admin_token: None,
            admin_password: None,
            metrics_public: false,
            test_routes: true,
            fixtures: None,
        }
    }
}
