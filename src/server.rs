//! The accept side: a TCP listener with TCP_NODELAY handed to tiny_http, a fixed pool of
//! worker threads each owning a read connection, framing and size checks before any body
//! is read, the panic guard, one log line per request, and clean shutdown.
//!
//! Must never: read a body past the limit, echo an unsafe client header, or leave a
//! request unanswered (tiny_http would answer a dropped one 500).

use crate::api::App;
use crate::error::Error;
use crate::http::{self, Req};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most header bytes (names + values) orgreg accepts; more is 431.
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 200;

/// Binds `addr` with TCP_NODELAY set on the listening socket (Linux copies it to every
/// accepted socket). Without it, responses over ~1 KiB wait ~40 ms for delayed ACKs.
pub fn bind(addr: &str) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    set_nodelay(&listener);
    Ok(listener)
}

#[cfg(unix)]
fn set_nodelay(l: &TcpListener) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd and a c_int option value of the right size.
    let rc = unsafe {
        libc::setsockopt(
            l.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &one as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        log::warn!(
            "could not set TCP_NODELAY on the listener: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(unix))]
fn set_nodelay(_: &TcpListener) {}

/// Raises the soft open-files limit to the hard limit: tiny_http uses two descriptors per
/// connection, and the default 1024 ends its accept loop at ~500 connections.
pub fn raise_fd_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit with a properly initialised struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max.min(1 << 20);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Keeps large transient buffers out of glibc's per-thread heaps. argon2 takes 19 MiB per
/// hash; after the first such block is freed glibc raises its mmap threshold, so later
/// ones are carved from each worker's arena and stay resident (RSS grew 8 → 165 MB after
/// a hundred failed logins). A fixed threshold keeps them mapped and returned on free.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called once at start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// A started server. Dropping it without `stop` leaves the threads running.
pub struct Running {
    pub addr: SocketAddr,
    /// The bootstrap admin token, if this start created one.
    pub admin_token: Option<String>,
    stop: Arc<AtomicBool>,
    server: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
    app: Arc<App>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, checkpoints and closes the database.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        self.app.registry.store.close();
    }
}

pub fn start(
    app: Arc<App>,
    listener: TcpListener,
    threads: usize,
    admin_token: Option<String>,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let server = Arc::new(
        tiny_http::Server::from_listener(listener, None)
            .map_err(|e| std::io::Error::other(e.to_string()))?,
    );
    let stop = Arc::new(AtomicBool::new(false));
    // At most half the workers may be reading a streamed body at once; the rest stay free
    // for requests without one.
    let slots = Arc::new(BodySlots {
        free: std::sync::atomic::AtomicUsize::new((threads / 2).max(1)),
    });
    let mut workers = vec![];
    for i in 0..threads {
        let (server, stop, app) = (server.clone(), stop.clone(), app.clone());
        let slots = slots.clone();
        let w = std::thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(move || worker(server, stop, app, addr.port(), slots))?;
        workers.push(w);
    }
    Ok(Running {
        addr,
        admin_token,
        stop,
        server,
        workers,
        app,
    })
}

/// Counts the workers that may still start reading a streamed body.
pub struct BodySlots {
    free: std::sync::atomic::AtomicUsize,
}

impl BodySlots {
    fn try_take(&self) -> bool {
        self.free
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
    fn give_back(&self) {
        self.free.fetch_add(1, Ordering::SeqCst);
    }
}

fn worker(
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    app: Arc<App>,
    port: u16,
    slots: Arc<BodySlots>,
) {
    while !stop.load(Ordering::SeqCst) {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(rq)) => {
                // A panic while answering or dropping the request must not kill the worker.
                let r = catch_unwind(AssertUnwindSafe(|| handle(&app, rq, port, &slots)));
                if r.is_err() {
                    log::error!("a request's connection handling panicked; the worker goes on");
                }
            }
            Ok(None) => {}
            Err(e) => {
                log::error!("receiving a request failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Framing and size checks that must happen before any byte of the body is read.
fn precheck(rq: &tiny_http::Request, max_body: usize) -> Result<(), Error> {
    let mut total = 0usize;
    let mut content_length: Option<&str> = None;
    let mut transfer_encoding = None;
    if rq.headers().len() > MAX_HEADERS {
        return Err(Error::HeadersTooLarge);
    }
    for h in rq.headers() {
        total += h.field.as_str().as_str().len() + h.value.as_str().len() + 4;
        if h.field.equiv("Content-Length") {
            let v = h.value.as_str();
            if content_length.is_some_and(|prev| prev != v) {
                return Err(Error::BadRequest(
                    "Conflicting Content-Length headers.".into(),
                ));
            }
            content_length = Some(v);
        }
        if h.field.equiv("Transfer-Encoding") {
            if transfer_encoding.is_some() {
                return Err(Error::BadRequest(
                    "Repeated Transfer-Encoding header.".into(),
                ));
            }
            transfer_encoding = Some(h.value.as_str());
        }
    }
    if total > MAX_HEADER_BYTES {
        return Err(Error::HeadersTooLarge);
    }
    if content_length.is_some() && transfer_encoding.is_some() {
        return Err(Error::BadRequest(
            "Content-Length and Transfer-Encoding must not both be sent.".into(),
        ));
    }
    if let Some(te) = transfer_encoding {
        if !te.eq_ignore_ascii_case("chunked") {
            return Err(Error::BadRequest(
                "Only Transfer-Encoding: chunked is supported.".into(),
            ));
        }
    }
    if let Some(cl) = content_length {
        let digits = !cl.is_empty() && cl.len() <= 20 && cl.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return Err(Error::BadRequest("Malformed Content-Length.".into()));
        }
        match cl.parse::<u64>() {
            Ok(n) if n <= max_body as u64 => {}
            _ => return Err(Error::PayloadTooLarge(max_body)),
        }
    }
    Ok(())
}

fn wants_upgrade(rq: &tiny_http::Request) -> bool {
    rq.headers().iter().any(|h| {
        h.field.equiv("Connection") && h.value.as_str().to_ascii_lowercase().contains("upgrade")
    })
}

/// What the closing log line of a request needs.
struct Done<'a> {
    request_id: &'a str,
    method: &'a str,
    url: &'a str,
    started: Instant,
    remote: Option<SocketAddr>,
    port: u16,
}

/// Writes the response (with `X-Request-Id` and an explicit Content-Type), cuts the
/// reading side first when `abort` (a body left unread), and logs the request's line.
fn send(rq: tiny_http::Request, resp: crate::http::Resp, abort: bool, d: &Done) {
    let status = resp.status;
    let has_type = resp
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("Content-Type"));
    let mut response = tiny_http::Response::from_data(resp.body).with_status_code(status);
    let id = ("X-Request-Id".to_string(), d.request_id.to_string());
    for (k, v) in resp.headers.iter().chain(std::iter::once(&id)) {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    if !has_type && status != 204 && status != 304 {
        // tiny_http would otherwise label the body text/plain.
        if let Ok(h) = tiny_http::Header::from_bytes(&b"Content-Type"[..], http::JSON.as_bytes()) {
            response.add_header(h);
        }
    }
    if abort {
        // Refuse further reading before answering, so that dropping the request does not
        // wait for (or drain) a body we did not read; writing the answer still works.
        if let Some(remote) = d.remote {
            shutdown_read(remote, d.port);
        }
    }
    // Dropping a request with a huge declared length can panic inside tiny_http
    // (capacity overflow); the answer is already written by then.
    let _ = catch_unwind(AssertUnwindSafe(move || rq.respond(response)));
    log::info!(
        "{} {} {status} {:.1}ms request_id={}",
        d.method,
        redact(d.url.split('?').next().unwrap_or("")),
        d.started.elapsed().as_secs_f64() * 1000.0,
        d.request_id
    );
}

/// How long a worker waits for a whole request body.
const BODY_DEADLINE: Duration = Duration::from_secs(10);

enum BodyRead {
    Complete,
    TooLarge,
    TooSlow,
    Broken,
}

/// Reads at most `limit` bytes (one more means too large) before BODY_DEADLINE.
fn read_body(reader: &mut dyn Read, limit: usize, body: &mut Vec<u8>) -> BodyRead {
    let started = Instant::now();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return BodyRead::Complete,
            Ok(n) => {
                if body.len() + n > limit {
                    return BodyRead::TooLarge;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return BodyRead::Broken,
        }
        if started.elapsed() > BODY_DEADLINE {
            return BodyRead::TooSlow;
        }
    }
}

/// Whether tiny_http streams this body to us (over 1 KiB, or chunked) rather than
/// having read it already.
fn streams_body(rq: &tiny_http::Request) -> bool {
    rq.headers().iter().any(|h| {
        (h.field.equiv("Content-Length")
            && h.value
                .as_str()
                .trim()
                .parse::<u64>()
                .is_ok_and(|n| n > 1024))
            || h.field.equiv("Transfer-Encoding")
    })
}

/// Whether the request announces a body (non-zero Content-Length, or chunked).
fn declares_body(rq: &tiny_http::Request) -> bool {
    rq.headers().iter().any(|h| {
        (h.field.equiv("Content-Length") && h.value.as_str().trim() != "0")
            || h.field.equiv("Transfer-Encoding")
    })
}

fn method_has_body(m: &str) -> bool {
    matches!(m, "POST" | "PUT" | "PATCH" | "DELETE")
}

fn handle(app: &App, mut rq: tiny_http::Request, port: u16, slots: &BodySlots) {
    let started = Instant::now();
    let client_id = rq
        .headers()
        .iter()
        .find(|h| h.field.equiv("X-Request-Id"))
        .map(|h| h.value.as_str().to_string());
    let request_id = http::request_id(client_id.as_deref());
    let method = rq.method().as_str().to_ascii_uppercase();
    let url = rq.url().to_string();
    let remote = rq.remote_addr().copied();
    let upgrade = wants_upgrade(&rq);

    // Decide whether the connection must be cut after answering (a body left unread).
    let mut abort = upgrade;
    let mut body = Vec::new();
    let pre = precheck(&rq, app.config.max_body);
    let early: Option<Error> = match pre {
        Err(e) => {
            abort = true;
            Some(e)
        }
        Ok(()) if upgrade || !method_has_body(&method) => {
            // A body we will not read (GET with Content-Length, say) would be drained on
            // this worker when the request is dropped: cut the connection instead.
            if declares_body(&rq) {
                abort = true;
            }
            None
        }
        Ok(()) => {
            let streamed = streams_body(&rq);
            if streamed && !slots.try_take() {
                // Every body slot is busy: refuse rather than queue behind slow uploads.
                let done = Done {
                    request_id: &request_id,
                    method: &method,
                    url: &url,
                    started,
                    remote,
                    port,
                };
                return send(
                    rq,
                    http::problem(&Error::Unavailable, &request_id),
                    true,
                    &done,
                );
            }
            // tiny_http hands over bodies above 1 KiB as a stream read on this worker: give
            // the socket a short read timeout so a trickling client cannot hold the worker
            // past BODY_DEADLINE.
            let socket = if streamed {
                remote.and_then(|r| find_socket(r, port))
            } else {
                None
            };
            if let Some(fd) = socket {
                set_read_timeout(fd, Some(Duration::from_millis(500)));
            }
            let outcome = read_body(rq.as_reader(), app.config.max_body, &mut body);
            if let Some(fd) = socket {
                set_read_timeout(fd, None);
            }
            if streamed {
                slots.give_back();
            }
            match outcome {
                BodyRead::Complete => None,
                BodyRead::TooLarge => {
                    abort = true;
                    Some(Error::PayloadTooLarge(app.config.max_body))
                }
                BodyRead::TooSlow => {
                    abort = true;
                    Some(Error::RequestTimeout)
                }
                BodyRead::Broken => {
                    abort = true;
                    Some(Error::BadRequest(
                        "The request body could not be read.".into(),
                    ))
                }
            }
        }
    };

    let resp = match early {
        Some(e) => http::problem(&e, &request_id),
        None => {
            let (path, raw_query) = match url.split_once('?') {
                Some((p, q)) => (p.to_string(), q.to_string()),
                None => (url.clone(), String::new()),
            };
            let req = Req {
                method: method.clone(),
                segments: path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| http::percent_decode(s, false))
                    .collect(),
                path,
                query: http::parse_query(&raw_query),
                raw_query,
                headers: rq
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.field.as_str().as_str().to_ascii_lowercase(),
                            h.value.as_str().to_string(),
                        )
                    })
                    .collect(),
                body,
                request_id: request_id.clone(),
                remote,
            };
            match catch_unwind(AssertUnwindSafe(|| crate::router::dispatch(app, &req))) {
                Ok(r) => r,
                Err(_) => {
                    log::error!(
                        "handler panicked: {method} {} request_id={request_id}",
                        redact(&req.path)
                    );
                    http::problem(&Error::Internal("panic".into()), &request_id)
                }
            }
        }
    };

    let done = Done {
        request_id: &request_id,
        method: &method,
        url: &url,
        started,
        remote,
        port,
    };
    send(rq, resp, abort, &done);
}

/// Paths can carry secrets (invitation tokens, user names in AWX token routes): the
/// segment after `invitations` is never logged.
pub fn redact(path: &str) -> String {
    // Decide on the decoded segments the router sees (`%69nvitations`, `invitations//`
    // reach the same route), but print the raw path.
    let mut out = vec![];
    let mut hide_next = false;
    for seg in path.split('/') {
        if hide_next && !seg.is_empty() {
            out.push("***");
            hide_next = false;
            continue;
        }
        if !seg.is_empty() {
            hide_next = http::percent_decode(seg, false) == "invitations";
        }
        out.push(seg);
    }
    out.join("/")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect()
}

/// Shuts down the reading side of the connection from `remote` to our `port`, so that
/// tiny_http stops waiting for (and draining) a body we refused. tiny_http does not expose the
/// socket; we find it among our descriptors by its addresses.
#[cfg(target_os = "linux")]
pub fn shutdown_read(remote: SocketAddr, port: u16) {
    if let Some(fd) = find_socket(remote, port) {
        // SAFETY: shutdown on a descriptor we own; it does not close it.
        unsafe {
            libc::shutdown(fd, libc::SHUT_RD);
        }
    }
}

/// The descriptor of our connection from `remote` to `port`. tiny_http does not expose
/// its sockets; we find it among our descriptors by its addresses (both of tiny_http's
/// duplicates share one socket, so either will do).
#[cfg(target_os = "linux")]
fn find_socket(remote: SocketAddr, port: u16) -> Option<i32> {
    use std::os::unix::ffi::OsStrExt;
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    dir.flatten().find_map(|entry| {
        let fd = std::str::from_utf8(entry.file_name().as_bytes())
            .ok()?
            .parse::<i32>()
            .ok()?;
        (peer_of(fd) == Some(remote) && local_port_of(fd) == Some(port)).then_some(fd)
    })
}

#[cfg(not(target_os = "linux"))]
fn find_socket(_remote: SocketAddr, _port: u16) -> Option<i32> {
    None
}

/// Sets (or clears) SO_RCVTIMEO on a socket descriptor.
fn set_read_timeout(fd: i32, timeout: Option<Duration>) {
    let d = timeout.unwrap_or_default();
    let tv = libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: a valid timeval of the right size for SO_RCVTIMEO.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub fn shutdown_read(_remote: SocketAddr, _port: u16) {}

#[cfg(target_os = "linux")]
fn sockaddr_to(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
    match storage.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the family says this is a sockaddr_in.
            let a = unsafe { &*(storage as *const _ as *const libc::sockaddr_in) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this is a sockaddr_in6.
            let a = unsafe { &*(storage as *const _ as *const libc::sockaddr_in6) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                0,
                0,
            )))
        }
        _ => None,
    }
}

#[cfg(target_os = "linux")]
fn peer_of(fd: i32) -> Option<SocketAddr> {
    // SAFETY: zeroed storage of the right size; the kernel fills at most `len` bytes.
    unsafe {
        let mut s: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(fd, &mut s as *mut _ as *mut libc::sockaddr, &mut len) != 0 {
            return None;
        }
        sockaddr_to(&s)
    }
}

#[cfg(target_os = "linux")]
fn local_port_of(fd: i32) -> Option<u16> {
    // SAFETY: as in peer_of.
    unsafe {
        let mut s: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(fd, &mut s as *mut _ as *mut libc::sockaddr, &mut len) != 0 {
            return None;
        }
        sockaddr_to(&s).map(|a| a.port())
    }
}

/// Signals: SIGTERM and SIGINT set a flag the main loop watches.
pub static STOP_SIGNAL: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP_SIGNAL.store(true, Ordering::SeqCst);
}

pub fn install_signal_handlers() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn invitation_tokens_never_reach_the_log_line() {
        for p in [
            "/v1/invitations/org_secret/accept",
            "/v1/%69nvitations/org_secret/accept",
            "/v1/invitations//org_secret/accept",
            "//v1//invitations///org_secret",
        ] {
            let r = redact(p);
            assert!(!r.contains("org_secret"), "{p} → {r}");
            assert!(r.contains("***"), "{p} → {r}");
        }
        assert_eq!(redact("/v1/organizations/acme"), "/v1/organizations/acme");
    }
}
