//! `GET /metrics`: the Prometheus text exposition (format 0.0.4). Request counters by
//! method, route template and status, a latency histogram by route template, requests
//! in flight, the writer's queue depth and last commit time, the database's size on
//! disk, and counts of organizations, users and members read at scrape time.
//!
//! The HTTP layer reports each request here (`Metrics::observe`) once it is answered;
//! the router names the route it matched (`note_route`) on the same thread, so labels are
//! always declared templates (`/v1/organizations/{id}`), never raw paths, and a request
//! no route matched is labelled `unmatched`.

use super::doc::{hdrs, Op};
use super::table::Call;
use super::App;
use crate::error::Result;
use crate::http::Resp;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];

/// The label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

thread_local! {
    /// The route the router matched for the request this thread is handling:
    /// 0 = none, else 1 + (surface index << 16 | route index).
    static ROUTE: Cell<u32> = const { Cell::new(0) };
}

/// Called by the router when a request matched `surfaces[surface].routes[route]`.
pub fn note_route(surface: usize, route: usize) {
    ROUTE.with(|r| r.set(1 + ((surface as u32) << 16 | route as u32)));
}

#[derive(Default)]
struct Hist {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    /// (method index, route id, status) → requests.
    requests: HashMap<(u8, u32, u16), u64>,
    /// route id → latency.
    latency: HashMap<u32, Hist>,
}

#[derive(Default)]
pub struct Metrics {
    in_flight: AtomicI64,
    inner: Mutex<Inner>,
}

/// Counts a request as in flight until dropped.
pub struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// A request has been read (its head at least) and is being answered.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// A request was answered with `status` after `took`; the route is the one the router
    /// noted on this thread since the last observation (none: unmatched).
    pub fn observe(&self, method: &str, status: u16, took: Duration) {
        let route = ROUTE.with(|r| r.replace(0));
        let m = METHODS
            .iter()
            .position(|x| *x == method)
            .unwrap_or(METHODS.len() - 1) as u8;
        let secs = took.as_secs_f64();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner.requests.entry((m, route, status)).or_insert(0) += 1;
        let h = inner.latency.entry(route).or_default();
        h.count += 1;
        h.sum += secs;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            h.buckets[i] += 1;
        }
    }

    /// The exposition text for `app` (whose surfaces name the routes).
    pub fn render(&self, app: &App) -> String {
        let label = |route: u32| -> &str {
            if route == 0 {
                return UNMATCHED;
            }
            let id = route - 1;
            app.surfaces
                .get((id >> 16) as usize)
                .and_then(|s| s.routes.get((id & 0xffff) as usize))
                .map(|r| r.path.as_str())
                .unwrap_or(UNMATCHED)
        };
        let mut out = String::with_capacity(16 * 1024);
        let (requests, latency) = {
            let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let mut requests: Vec<(&str, &str, u16, u64)> = inner
                .requests
                .iter()
                .map(|((m, r, s), n)| (METHODS[*m as usize], label(*r), *s, *n))
                .collect();
            requests.sort();
            let mut latency: Vec<(&str, [u64; BUCKETS.len()], u64, f64)> = inner
                .latency
                .iter()
                .map(|(r, h)| (label(*r), h.buckets, h.count, h.sum))
                .collect();
            latency.sort_by(|a, b| a.0.cmp(b.0));
            (requests, latency)
        };
        head(
            &mut out,
            "orgreg_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status.",
        );
        for (m, r, s, n) in requests {
            let _ = writeln!(
                out,
                "orgreg_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(r)
            );
        }
        head(
            &mut out,
            "orgreg_http_request_duration_seconds",
            "histogram",
            "Time from reading a request's head to writing its answer, by route template.",
        );
        for (r, buckets, count, sum) in latency {
            let r = escape(r);
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "orgreg_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "orgreg_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "orgreg_http_request_duration_seconds_sum{{route=\"{r}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "orgreg_http_request_duration_seconds_count{{route=\"{r}\"}} {count}"
            );
        }
        gauge(
            &mut out,
            "orgreg_http_requests_in_flight",
            "Requests being read, handled or answered right now (this scrape included).",
            self.in_flight.load(Ordering::Relaxed),
        );
        let store = &app.registry.store;
        let (queue, commit_micros) = store.writer_stats();
        gauge(
            &mut out,
            "orgreg_writer_queue_depth",
            "Requests waiting for the single database writer.",
            queue,
        );
        gauge(
            &mut out,
            "orgreg_writer_last_commit_seconds",
            "How long the most recent write transaction took to commit.",
            commit_micros as f64 / 1e6,
        );
        head(
            &mut out,
            "orgreg_writer_commits_total",
            "counter",
            "Write transactions committed (one fsync each under --sync full); concurrent writes share one.",
        );
        let _ = writeln!(out, "orgreg_writer_commits_total {}", store.batches());
        let (db, wal) = store.file_sizes();
        head(
            &mut out,
            "orgreg_database_size_bytes",
            "gauge",
            "Size of the database on disk: the main file and its write-ahead log.",
        );
        let _ = writeln!(out, "orgreg_database_size_bytes{{file=\"db\"}} {db}");
        let _ = writeln!(out, "orgreg_database_size_bytes{{file=\"wal\"}} {wal}");
        // Counts are read now; a database that does not answer leaves them out (the
        // scrape still answers, with `orgreg_database_up 0`).
        let counts = store.counts();
        gauge(
            &mut out,
            "orgreg_database_up",
            "Whether the database answered this scrape's counts.",
            counts.is_ok() as i64,
        );
        if let Ok(c) = counts {
            gauge(
                &mut out,
                "orgreg_organizations",
                "Organizations.",
                c.organizations,
            );
            gauge(&mut out, "orgreg_users", "User accounts.", c.users);
            gauge(
                &mut out,
                "orgreg_members",
                "Members: approved memberships.",
                c.members,
            );
            gauge(
                &mut out,
                "orgreg_pending_join_requests",
                "Memberships waiting for approval.",
                c.pending_memberships,
            );
        }
        out
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    head(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

/// A label value in the exposition format: `\`, `"` and newlines escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The `/metrics` handler.
pub fn get(c: &Call) -> Result<Resp> {
    let body = c.app.metrics.render(c.app);
    Ok(Resp::typed(200, CONTENT_TYPE, body.into_bytes()).with("Cache-Control", "no-store"))
}

fn doc(o: Op) -> Op {
    o.tag("metrics")
        .summary("Prometheus metrics")
        .response(
            200,
            serde_json::json!({
                "description": "The Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).",
                "headers": hdrs(&[]),
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }),
        )
}

const DESCRIPTION: &str =
    "Counters of requests by method, route template (`/v1/organizations/{id}`; \
`unmatched` when no route matched) and status; a latency histogram by route template; \
requests in flight; the writer's queue depth and last commit time; the database's size \
on disk; counts of organizations, users and members (approved memberships) read at \
scrape time.";

/// The description of `/metrics` behind a staff token (the default).
pub fn doc_staff(o: Op) -> Op {
    doc(o)
        .describe(&format!(
            "{DESCRIPTION} Staff only (a non-staff token is 403); `--metrics-public` serves it without credentials."
        ))
        .errors(&[403])
}

/// The description of `/metrics` under `--metrics-public`.
pub fn doc_public(o: Op) -> Op {
    doc(o).describe(&format!(
        "{DESCRIPTION} Served without credentials (`--metrics-public`); none are read."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn observe_counts_unmatched_and_noted_routes() {
        let m = Metrics::default();
        m.observe("GET", 404, Duration::from_millis(2));
        note_route(0, 3);
        m.observe("BREW", 200, Duration::from_secs(20));
        let inner = m.inner.lock().unwrap();
        assert_eq!(inner.requests[&(0, 0, 404)], 1);
        assert_eq!(inner.requests[&(7, 4, 200)], 1);
        assert_eq!(inner.latency[&0].buckets[1], 1);
        assert_eq!(inner.latency[&4].buckets.iter().sum::<u64>(), 0);
        assert_eq!(inner.latency[&4].count, 1);
    }
}
