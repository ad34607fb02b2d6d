//! Throughput of orgreg on SQLite next to PostgreSQL with 1 and 3 processes
//! (docs/SCALING.md, "Measured"). Run by hand:
//!
//!     cargo bench --bench scaling [-- --secs 5 --clients 8 --orgs 2000]
//!
//! Each scenario gets a fresh database: a SQLite file under `--sync full`, or a database
//! of a throw-away PostgreSQL cluster started with PostgreSQL's durable defaults (fsync
//! and synchronous_commit on; initdb found as the tests find it, run as the `postgres`
//! OS user when we are root) — or, with `ORGREG_BENCH_POSTGRES=<url>` naming a role that
//! may create databases, a database of that server. The release binary serves it: 1
//! process (SQLite, PostgreSQL) or 3 processes on one PostgreSQL database, with the
//! clients spread round-robin over the processes. Measured per scenario, each for
//! `--secs`: durable creates (POST /v1/organizations, a new name each), then authenticated
//! reads of one organization among `--orgs` (GET /v1/organizations/{id}); requests per
//! second and p50/p99 latency.

#[path = "../tests/pg/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "org_bench_scaling_token_0123456789abcdefghijklmnopqrstu";

struct Args {
    secs: u64,
    clients: usize,
    orgs: usize,
}

fn args() -> Args {
    let mut a = Args {
        secs: 5,
        clients: 8,
        orgs: 2000,
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        let v = w[1].parse::<u64>().ok();
        match (w[0].as_str(), v) {
            ("--secs", Some(v)) => a.secs = v,
            ("--clients", Some(v)) => a.clients = v as usize,
            ("--orgs", Some(v)) => a.orgs = v as usize,
            _ => {}
        }
    }
    a
}

struct Procs(Vec<(Child, String)>);

impl Drop for Procs {
    fn drop(&mut self) {
        for (c, _) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `n` processes of `bin` on `db`, started together; their base URLs once each answers.
fn start(bin: &Path, db: &str, n: usize) -> Procs {
    let mut procs = Procs(vec![]);
    for _ in 0..n {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(bin)
            .args(["serve", "--db", db, "--listen", &addr, "--sync", "full"])
            .env("ORGREG_ADMIN_TOKEN", TOKEN)
            .env(
                "RUST_LOG",
                std::env::var("ORGREG_BENCH_SERVER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start orgreg");
        procs.0.push((child, format!("http://{addr}")));
    }
    let agent = agent();
    for (_, url) in &procs.0 {
        let t = Instant::now();
        while agent.get(&format!("{url}/healthz")).call().is_err() {
            assert!(t.elapsed() < Duration::from_secs(60), "{url} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    procs
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .max_idle_connections_per_host(64)
        .build()
}

fn post(agent: &ureq::Agent, url: &str, name: &str) -> Result<String, String> {
    let r = agent
        .post(&format!("{url}/v1/organizations"))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .set("Content-Type", "application/json")
        .send_string(&format!("{{\"name\":\"{name}\"}}"));
    match r {
        Ok(r) if r.status() == 201 => {
            let v: serde_json::Value =
                serde_json::from_str(&r.into_string().map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            Ok(v["id"].as_str().unwrap_or_default().to_string())
        }
        Ok(r) => Err(format!("status {}", r.status())),
        Err(ureq::Error::Status(st, r)) => Err(format!(
            "status {st}: {}",
            r.into_string().unwrap_or_default()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `op(client, i)` from `clients` threads for `secs`; (requests/s, p50, p99, errors).
fn drive(
    clients: usize,
    secs: u64,
    op: impl Fn(&ureq::Agent, usize, usize) -> bool + Sync,
) -> (f64, Duration, Duration, usize) {
    let stop = AtomicBool::new(false);
    let errors = AtomicUsize::new(0);
    let started = Instant::now();
    let mut lat: Vec<Duration> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..clients)
            .map(|c| {
                let (stop, errors, op) = (&stop, &errors, &op);
                sc.spawn(move || {
                    let agent = agent();
                    let mut lat = vec![];
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        if op(&agent, c, i) {
                            lat.push(t.elapsed());
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        i += 1;
                    }
                    lat
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let took = started.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    (
        lat.len() as f64 / took,
        pct(0.5),
        pct(0.99),
        errors.load(Ordering::Relaxed),
    )
}

fn scenario(label: &str, bin: &Path, db: &str, processes: usize, a: &Args) {
    let procs = start(bin, db, processes);
    let urls: Vec<String> = procs.0.iter().map(|(_, u)| u.clone()).collect();
    // Seed the organizations the reads pick from.
    let seeded: Vec<String> = {
        let agent = agent();
        (0..a.orgs)
            .map(|i| post(&agent, &urls[i % urls.len()], &format!("seed-{i}")).expect("seed"))
            .collect()
    };
    let url_of = |c: usize| &urls[c % urls.len()];
    let first_error = std::sync::Mutex::new(None::<String>);
    let (wps, w50, w99, werr) = drive(a.clients, a.secs, |agent, c, i| {
        post(agent, url_of(c), &format!("bench-{c}-{i}"))
            .map_err(|e| first_error.lock().unwrap().get_or_insert(e).clone())
            .is_ok()
    });
    if let Some(e) = first_error.into_inner().unwrap() {
        eprintln!("{label}: first failed create: {e}");
    }
    let (rps, r50, r99, rerr) = drive(a.clients, a.secs, |agent, c, i| {
        let id = &seeded[(c * 7919 + i * 104_729) % seeded.len()];
        agent
            .get(&format!("{}/v1/organizations/{id}", url_of(c)))
            .set("Authorization", &format!("Bearer {TOKEN}"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    println!(
        "| {label} | {wps:.0} | {:.1} / {:.1} | {rps:.0} | {:.1} / {:.1} | {} |",
        w50.as_secs_f64() * 1e3,
        w99.as_secs_f64() * 1e3,
        r50.as_secs_f64() * 1e3,
        r99.as_secs_f64() * 1e3,
        werr + rerr
    );
    drop(procs);
}

fn main() {
    let a = args();
    let bin = std::env::var("ORGREG_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_orgreg")));
    println!(
        "scaling bench: {} clients, {} s per measure, reads over {} organizations, {}",
        a.clients,
        a.secs,
        a.orgs,
        bin.display()
    );
    println!("| engine, processes | creates/s | create p50 / p99 ms | reads/s | read p50 / p99 ms | errors |");
    println!("|---|---|---|---|---|---|");
    let dir = tempfile::TempDir::new().expect("temp dir");
    let file = dir.path().join("bench.db");
    scenario("SQLite, 1", &bin, file.to_str().unwrap(), 1, &a);
    // PostgreSQL's durable defaults: no extra server options.
    let url = std::env::var("ORGREG_BENCH_POSTGRES").ok();
    let Some(pg) = harness::Databases::get(url, "") else {
        println!("no PostgreSQL: set ORGREG_BENCH_POSTGRES or install postgresql");
        return;
    };
    let one = pg.create("orgreg_bench_1");
    scenario("PostgreSQL, 1", &bin, &one, 1, &a);
    let three = pg.create("orgreg_bench_3");
    scenario("PostgreSQL, 3", &bin, &three, 3, &a);
}
