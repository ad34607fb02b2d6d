//! Load benchmark, run by hand: `cargo bench --bench load` (results in docs/PERFORMANCE.md).
//!
//! Starts orgreg in-process on port 0 over a temporary database, seeds organizations
//! through the API, then drives keep-alive clients for a few seconds per scenario and
//! prints requests per second and latency percentiles. The load generator shares the
//! machine's cores with the server, as in shared/design/performance.md, so compare
//! figures from one run only. `ORGREG_BENCH_ORGS` (default 10000) and
//! `ORGREG_BENCH_SECS` (default 5) tune it.

use orgreg::config::{Config, SyncMode};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "org_bench_admin_token_0123456789abcdefghijklmnopq";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .max_idle_connections_per_host(4)
        .build()
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Runs `clients` threads for `secs`, each calling `f(client, i)`; prints a line.
fn scenario(name: &str, clients: usize, secs: u64, f: impl Fn(&ureq::Agent, usize) -> bool + Sync) {
    let counter = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut lat: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let (f, counter, errors) = (&f, &counter, &errors);
                s.spawn(move || {
                    let a = agent();
                    let mut lat = vec![];
                    while Instant::now() < deadline {
                        let i = counter.fetch_add(1, Ordering::Relaxed) * clients + c;
                        let t = Instant::now();
                        if !f(&a, i) {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{name:<48} {clients:>3} clients {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  rss {:.0} MB",
        lat.len() as f64 / secs as f64,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        errors.load(Ordering::Relaxed),
        rss_mb()
    );
}

fn main() {
    let orgs = env_num("ORGREG_BENCH_ORGS", 10_000);
    let secs = env_num("ORGREG_BENCH_SECS", 5) as u64;
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("bench.db");
    let mut cfg = Config::for_tests(db.to_str().unwrap());
    cfg.admin_token = Some(TOKEN.into());
    cfg.sync = SyncMode::Full;
    cfg.test_routes = false;
    cfg.threads = env_num("ORGREG_BENCH_THREADS", orgreg::config::default_threads());
    let running = orgreg::start(cfg).expect("start");
    let base = Arc::new(running.url());
    println!(
        "orgreg bench: {orgs} organizations, {secs} s per scenario, rss at start {:.0} MB",
        rss_mb()
    );

    let seeded = Instant::now();
    let ids: Vec<String> = std::thread::scope(|s| {
        let per = orgs.div_ceil(8);
        let hs: Vec<_> = (0..8)
            .map(|t| {
                let base = base.clone();
                s.spawn(move || {
                    let a = agent();
                    (t * per..((t + 1) * per).min(orgs))
                        .map(|i| {
                            let r = a
                                .post(&format!("{base}/v1/organizations"))
                                .set("Authorization", &format!("Bearer {TOKEN}"))
                                .set("Content-Type", "application/json")
                                .send_string(&json!({"name": format!("Bench Org {i:07}"), "description": format!("seeded {i}")}).to_string())
                                .expect("seed");
                            let v: serde_json::Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
                            v["id"].as_str().unwrap().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    println!(
        "seeded {} organizations in {:.1} s (durable creates, 8 clients)",
        ids.len(),
        seeded.elapsed().as_secs_f64()
    );
    let auth = format!("Bearer {TOKEN}");

    scenario(
        "GET /healthz (no auth, no SQL beyond SELECT 1)",
        8,
        secs,
        |a, _| a.get(&format!("{base}/healthz")).call().is_ok(),
    );
    scenario(
        "GET /v1/organizations/{id} (authenticated)",
        8,
        secs,
        |a, i| {
            a.get(&format!("{base}/v1/organizations/{}", ids[i % ids.len()]))
                .set("Authorization", &auth)
                .call()
                .is_ok()
        },
    );
    scenario(
        "GET 20-row page, ordered by name, filtered",
        8,
        secs,
        |a, i| {
            let page = 1 + (i % 50);
            a.get(&format!(
                "{base}/v1/organizations?page_size=20&page={page}&order_by=-name&search=bench"
            ))
            .set("Authorization", &auth)
            .call()
            .is_ok()
        },
    );
    let created = AtomicUsize::new(0);
    scenario("POST /v1/organizations (sync=full)", 8, secs, |a, _| {
        let n = created.fetch_add(1, Ordering::Relaxed);
        a.post(&format!("{base}/v1/organizations"))
            .set("Authorization", &auth)
            .set("Content-Type", "application/json")
            .send_string(&json!({"name": format!("Bench New {n:08}")}).to_string())
            .is_ok()
    });
    running.stop();
}
