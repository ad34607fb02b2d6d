//! Slow and idle clients against the real binary (a child process, so its RSS and thread
//! count are its own): 500 idle keep-alive connections plus 200 clients trickling a
//! request head one byte a second must not slow a normal client down (`/healthz` p99 under
//! 100 ms over 200 requests) nor grow the server past 200 MB RSS. Clients trickling a
//! request *body* (within the size limit) must not stall the fixed worker pool either.
//!
//! Short form: `cargo test --test api slow_clients -- --nocapture` (prints the figures).

use crate::crash::{try_raw, BinServer, BIN_ADMIN_TOKEN, HEALTHZ};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Raises this process's open-files soft limit to its hard limit (700+ sockets here).
fn raise_own_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit with an initialised struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            if lim.rlim_cur < lim.rlim_max {
                lim.rlim_cur = lim.rlim_max.min(1 << 20);
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
            return lim.rlim_cur;
        }
    }
    0
}

/// Latency percentiles of a sample (sorted in place).
fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// Samples the server's VmRSS (kB) and thread count every 200 ms until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<Mutex<(u64, u64)>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new((0u64, 0u64)));
        let (s, p) = (stop.clone(), peak.clone());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let rss = crate::crash::proc_status(pid, "VmRSS").unwrap_or(0);
                let th = crate::crash::proc_status(pid, "Threads").unwrap_or(0);
                let mut g = p.lock().unwrap();
                g.0 = g.0.max(rss);
                g.1 = g.1.max(th);
                drop(g);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Sampler {
            stop,
            peak,
            handle: Some(handle),
        }
    }
    /// (peak VmRSS kB, peak threads).
    fn finish(mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        *self.peak.lock().unwrap()
    }
}

/// One thread writes the next byte of `bytes` to every socket once a second.
struct Trickler {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<usize>>,
}

impl Trickler {
    fn start(mut socks: Vec<TcpStream>, bytes: Vec<u8>) -> Trickler {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut i = 0usize;
            let mut errors = 0usize;
            'outer: while !s.load(Ordering::SeqCst) {
                let b = bytes[i % bytes.len()];
                socks.retain_mut(|sock| {
                    let ok = sock.write_all(&[b]).is_ok();
                    if !ok {
                        errors += 1;
                    }
                    ok
                });
                i += 1;
                for _ in 0..10 {
                    if s.load(Ordering::SeqCst) {
                        break 'outer;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            errors
        });
        Trickler {
            stop,
            handle: Some(handle),
        }
    }
    /// Stops; returns how many sockets the server dropped on us.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.take().map(|h| h.join().unwrap()).unwrap_or(0)
    }
}

/// `n` normal clients, one after another, each on a new connection, `gap` apart:
/// latencies of the answered ones and the failures.
fn probe(
    addr: SocketAddr,
    n: usize,
    gap: Duration,
    timeout: Duration,
) -> (Vec<Duration>, Vec<String>) {
    let mut lat = vec![];
    let mut bad = vec![];
    for i in 0..n {
        match try_raw(addr, HEALTHZ, timeout) {
            Ok(r) if r.status == 200 => lat.push(r.elapsed),
            Ok(r) => bad.push(format!("request {i}: {}", r.status)),
            Err(e) => bad.push(format!("request {i}: {e}")),
        }
        std::thread::sleep(gap);
    }
    (lat, bad)
}

fn start(dir: &std::path::Path) -> BinServer {
    BinServer::spawn(
        &dir.join("x.db"),
        &dir.join("server.log"),
        &["--threads", "8"],
        &[("RUST_LOG", "warn")],
    )
}

#[test]
fn slow_clients_idle_and_trickling_connections_leave_healthz_fast_and_rss_small() {
    let limit = raise_own_fd_limit();
    assert!(
        limit >= 1000,
        "this test needs ~750 sockets; the open-files limit is {limit}"
    );
    let dir = tempfile::TempDir::new().unwrap();
    let mut srv = start(dir.path());
    let rss0 = srv.status_value("VmRSS").unwrap_or(0);
    let sampler = Sampler::start(srv.pid());
    let mut problems = vec![];

    // 500 idle keep-alive connections: one request each, then silence.
    let mut idle = vec![];
    let t = Instant::now();
    for i in 0..500 {
        let mut s = TcpStream::connect(srv.addr).expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        match crate::crash::read_raw(&mut s, Instant::now(), Duration::from_secs(5)) {
            Ok(r) if r.status == 200 => {}
            other => problems.push(format!("idle connection {i}: first request {other:?}")),
        }
        idle.push(s);
    }
    let idle_setup = t.elapsed();
    // 200 clients trickling a request head, one byte a second.
    let mut slow = vec![];
    for _ in 0..200 {
        slow.push(TcpStream::connect(srv.addr).expect("connect"));
    }
    let head = format!(
        "GET /v1/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nX-Slow: {}",
        "s".repeat(4096)
    );
    let trickler = Trickler::start(slow, head.into_bytes());
    std::thread::sleep(Duration::from_millis(500));
    let threads_held = srv.status_value("Threads").unwrap_or(0);
    // A normal client: 200 requests over ~6 s while both crowds are held.
    let (mut lat, bad) = probe(
        srv.addr,
        200,
        Duration::from_millis(25),
        Duration::from_secs(2),
    );
    problems.extend(bad);
    // The idle connections still work.
    for (i, s) in idle.iter_mut().enumerate().step_by(50) {
        if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .is_err()
        {
            problems.push(format!("idle connection {i} was closed by the server"));
            continue;
        }
        match crate::crash::read_raw(s, Instant::now(), Duration::from_secs(2)) {
            Ok(r) if r.status == 200 => {}
            other => problems.push(format!("idle connection {i}: second request {other:?}")),
        }
    }
    let dropped = trickler.finish();
    let (rss_peak, threads_peak) = sampler.finish();
    drop(idle);
    let p50 = pct(&mut lat, 0.50);
    let p99 = pct(&mut lat, 0.99);
    let max = pct(&mut lat, 1.0);
    println!(
        "slow clients: 500 idle (set up in {idle_setup:.1?}) + 200 trickling; /healthz n={} p50 {p50:?} p99 {p99:?} max {max:?}; \
         server RSS {} kB → peak {rss_peak} kB; threads with all held {threads_held}, peak {threads_peak}; trickling sockets dropped by the server: {dropped}",
        lat.len(),
        rss0
    );
    if p99 > Duration::from_millis(100) {
        problems.push(format!(
            "/healthz p99 {p99:?} (limit 100 ms) with 500 idle and 200 trickling clients"
        ));
    }
    if rss_peak > 200 * 1024 {
        problems.push(format!(
            "server RSS peaked at {} MB (limit 200 MB)",
            rss_peak / 1024
        ));
    }
    if !srv.alive() {
        problems.push("the server died".into());
    }
    match try_raw(srv.addr, HEALTHZ, Duration::from_secs(2)) {
        Ok(r) if r.status == 200 => {}
        other => problems.push(format!("/healthz after the crowd left: {other:?}")),
    }
    assert!(
        problems.is_empty(),
        "slow clients: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn slow_clients_trickling_bodies_do_not_stall_the_worker_pool() {
    // Bodies within the limit but sent one byte a second: a POST with Content-Length over
    // 1 KiB or a chunked one takes a body slot (--threads/2 of them) while it is read.
    // Twice as many such clients as workers.
    raise_own_fd_limit();
    let dir = tempfile::TempDir::new().unwrap();
    let mut srv = start(dir.path());
    let mut socks = vec![];
    for i in 0..16 {
        let mut s = TcpStream::connect(srv.addr).expect("connect");
        let framing = if i % 2 == 0 {
            "Content-Length: 4096\r\n".to_string()
        } else {
            "Transfer-Encoding: chunked\r\n".to_string()
        };
        let head = format!(
            "POST /v1/organizations HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\n{framing}\r\n{}",
            if i % 2 == 0 { "{\"name\":\"" } else { "1000\r\n{\"name\":\"" }
        );
        s.write_all(head.as_bytes()).unwrap();
        socks.push(s);
    }
    let trickler = Trickler::start(socks, b"a".to_vec());
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let (mut lat, bad) = probe(
        srv.addr,
        20,
        Duration::from_millis(250),
        Duration::from_millis(300),
    );
    let held_for = t.elapsed();
    let answered = lat.len();
    let p99 = pct(&mut lat, 0.99);
    let dropped = trickler.finish();
    // Once the slow uploaders give up, the pool must be whole again.
    std::thread::sleep(Duration::from_millis(300));
    let (mut after, bad_after) = probe(
        srv.addr,
        20,
        Duration::from_millis(10),
        Duration::from_secs(2),
    );
    println!(
        "slow bodies: 16 uploaders trickling 1 B/s for {held_for:.1?}: /healthz answered {answered}/20 (timeout 300 ms), p99 of the answered {p99:?}; \
         after they left: {}/20, p99 {:?}; uploaders dropped by the server: {dropped}",
        after.len(),
        pct(&mut after, 0.99)
    );
    let mut problems = vec![];
    if !bad.is_empty() || p99 > Duration::from_millis(100) {
        problems.push(format!(
            "with 16 clients trickling request bodies (8 Content-Length: 4096, 8 chunked; 8 workers), a normal GET /healthz was answered {answered}/20 times within 300 ms (p99 of the answered {p99:?}); failures: {:?}",
            &bad[..bad.len().min(5)]
        ));
    }
    if !bad_after.is_empty() {
        problems.push(format!("after the uploaders closed: {bad_after:?}"));
    }
    if !srv.alive() {
        problems.push("the server died".into());
    }
    assert!(problems.is_empty(), "slow bodies: {}", problems.join("\n"));
}
