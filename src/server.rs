//! The HTTP/1.1 connection layer: a listener with TCP_NODELAY, an accept loop, one thread
//! per open connection (up to `--max-connections`; beyond it 503 and close), request heads
//! parsed by `httparse`, keep-alive with an idle timeout, framing and size checks before
//! any body byte is read, the body cap and read deadline, the panic guard, one log line
//! per request, and clean shutdown. Handlers see only `http::Req` and `http::Resp`.
//!
//! Must never: read a body past the limit, echo an unsafe client header, leave a
//! connection waiting behind another one, or leave a request unanswered.

use crate::api::App;
use crate::error::Error;
use crate::http::{self, Req, Resp};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most header bytes (names + values) orgreg accepts; more is 431.
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 200;
/// The most bytes a request head (request line and headers) may fill; a head still
/// incomplete past it is 414 (request line) or 431 (headers).
const MAX_HEAD_BYTES: usize = MAX_HEADER_BYTES + 32 * 1024;
/// How long a request head may take to arrive once its first byte has.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// How long a connection thread waits for a whole request body.
const BODY_DEADLINE: Duration = Duration::from_secs(10);
/// A client that does not read its answer for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// After answering a request whose body was left unread, how long the rest is read and
/// discarded (with our side already shut for writing) so that closing does not reset the
/// connection before the client has read the answer.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 4 << 20;
/// Bodies above this many bytes (or chunked) take a body slot while they are read.
const SMALL_BODY: u64 = 1024;

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

/// Raises the soft open-files limit to the hard limit: every open connection takes a
/// descriptor, and `--max-connections` (default 1024) is more than the usual soft limit.
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
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (a body
    /// still arriving is answered 503), checkpoints and closes the database.
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake.fire();
        if let Some(a) = self.accept.take() {
            let _ = a.join();
        }
        // Connection threads notice the stop at their next wait; a handler in progress
        // finishes and its answer is written (with Connection: close).
        let t = Instant::now();
        while self.shared.open.load(Ordering::SeqCst) > 0 {
            if t.elapsed() > Duration::from_secs(30) {
                log::warn!(
                    "stopping: {} connection(s) still busy after 30 s; closing the database anyway",
                    self.shared.open.load(Ordering::SeqCst)
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.shared.app.registry.store.close();
    }
}

/// What every connection thread shares.
struct Shared {
    app: Arc<App>,
    stop: AtomicBool,
    wake: Wake,
    /// Open connections, each with its own thread.
    open: AtomicUsize,
    max_connections: usize,
    /// None: no keep-alive (close after every answer).
    keep_alive: Option<Duration>,
    handlers: Handlers,
    slots: BodySlots,
    rejected: AtomicUsize,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

pub fn start(
    app: Arc<App>,
    listener: TcpListener,
    threads: usize,
    admin_token: Option<String>,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        wake: Wake::new()?,
        open: AtomicUsize::new(0),
        max_connections: app.config.max_connections.max(1),
        keep_alive: (app.config.keep_alive_timeout > 0)
            .then(|| Duration::from_secs(app.config.keep_alive_timeout)),
        handlers: Handlers {
            free: Mutex::new(threads.max(1)),
            ready: Condvar::new(),
        },
        // At most half the request handlers' worth of bodies are read at once; the rest
        // get 503 rather than queue behind slow uploads (and buffer their bodies).
        slots: BodySlots {
            free: AtomicUsize::new((threads / 2).max(1)),
        },
        rejected: AtomicUsize::new(0),
        app,
    });
    let sh = shared.clone();
    let accept = std::thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept_loop(sh, listener))?;
    Ok(Running {
        addr,
        admin_token,
        shared,
        accept: Some(accept),
    })
}

/// The one call into the application, on the connection's own thread. It holds one of
/// `--threads` handler places while it runs, so at most that many requests are handled
/// at once (and the registry's read pool stays that small); the others wait here, never
/// behind an idle connection.
fn dispatch(sh: &Shared, req: &Req) -> Resp {
    let _place = sh.handlers.take();
    crate::router::dispatch(&sh.app, req)
}

/// A counting semaphore: the places for requests being handled.
struct Handlers {
    free: Mutex<usize>,
    ready: Condvar,
}

impl Handlers {
    fn take(&self) -> Place<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.ready.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Place(self)
    }
}

/// One handler place, given back on drop (a panic included).
struct Place<'a>(&'a Handlers);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.ready.notify_one();
    }
}

/// Counts the bodies (over 1 KiB, or chunked) that may still start being read.
pub struct BodySlots {
    free: AtomicUsize,
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

/// A pipe that becomes readable, for good, when the server stops: every thread waiting
/// in `poll` on a socket also waits on it, so idle connections and the accept loop wake at
/// once without polling a flag.
struct Wake {
    rd: OwnedFd,
    wr: OwnedFd,
}

impl Wake {
    fn new() -> std::io::Result<Wake> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 fills two descriptors on success; we own them from here on.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are owned by nothing else.
        Ok(unsafe {
            Wake {
                rd: OwnedFd::from_raw_fd(fds[0]),
                wr: OwnedFd::from_raw_fd(fds[1]),
            }
        })
    }
    fn fire(&self) {
        // SAFETY: a one-byte write from a valid buffer to our own pipe.
        unsafe {
            libc::write(self.wr.as_raw_fd(), b"x".as_ptr() as *const libc::c_void, 1);
        }
    }
}

enum Ready {
    Data,
    Timeout,
    Stop,
}

/// Waits until `fd` is readable (or closed, or in error: the read tells), the timeout
/// passes, or the server stops.
fn wait_readable(fd: RawFd, wake: &Wake, timeout: Duration) -> Ready {
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    let mut p = [
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.rd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: two initialised pollfd entries.
        let rc = unsafe { libc::poll(p.as_mut_ptr(), 2, ms) };
        if rc < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Ready::Data;
        }
        if rc == 0 {
            return Ready::Timeout;
        }
        if p[1].revents != 0 {
            return Ready::Stop;
        }
        return Ready::Data;
    }
}

fn accept_loop(sh: Arc<Shared>, listener: TcpListener) {
    let fd = listener.as_raw_fd();
    while !sh.stopping() {
        match wait_readable(fd, &sh.wake, Duration::from_secs(3600)) {
            Ready::Stop => break,
            Ready::Timeout => continue,
            Ready::Data => {}
        }
        loop {
            match listener.accept() {
                Ok((stream, _)) => admit(&sh, stream),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::Interrupted | std::io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // EMFILE and the like: the loop must live on (the pending connection
                    // is accepted once a descriptor is free).
                    log::error!("accepting a connection failed: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                    break;
                }
            }
        }
    }
}

/// Gives a new connection its own thread, or answers 503 past `--max-connections`.
fn admit(sh: &Arc<Shared>, stream: TcpStream) {
    if sh.open.load(Ordering::SeqCst) >= sh.max_connections {
        reject(sh, stream);
        return;
    }
    sh.open.fetch_add(1, Ordering::SeqCst);
    let sh2 = sh.clone();
    let spawned = std::thread::Builder::new()
        .name("conn".into())
        .spawn(move || {
            let _open = OpenGuard(&sh2);
            serve(&sh2, stream);
        });
    if let Err(e) = spawned {
        // The connection (moved into the closure) is closed as the closure is dropped.
        sh.open.fetch_sub(1, Ordering::SeqCst);
        log::error!("could not start a connection thread: {e}");
    }
}

/// Counts a connection as open for the life of its thread (a panic included).
struct OpenGuard<'a>(&'a Shared);

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection over the bound: 503 with Retry-After, then closed, on the accept thread
/// (without ever blocking it).
fn reject(sh: &Shared, mut stream: TcpStream) {
    let n = sh.rejected.fetch_add(1, Ordering::Relaxed);
    if n.is_multiple_of(1000) {
        log::warn!(
            "{} connections open (--max-connections): new ones are answered 503 ({} so far)",
            sh.max_connections,
            n + 1
        );
    }
    let request_id = http::request_id(None);
    let resp = http::problem(&Error::Unavailable, &request_id);
    let bytes = response_bytes(&resp, &request_id, false, Keep::Close);
    let _ = stream.set_nonblocking(true);
    let _ = stream.write_all(&bytes);
    let _ = stream.shutdown(Shutdown::Write);
    // Whatever of the request has arrived is read, so that closing sends FIN, not RST.
    let mut sink = [0u8; 4096];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// How the connection goes on after an answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keep {
    /// HTTP/1.1 persistent (no header needed).
    Open,
    /// HTTP/1.0 with `Connection: keep-alive`, answered in kind.
    Open10,
    /// `Connection: close`, then closed.
    Close,
}

/// One connection: requests one after another (pipelined ones in order) until the client
/// closes, asks to close, stays idle past the keep-alive timeout, or the server stops.
fn serve(sh: &Shared, stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut c = Conn {
        remote: stream.peer_addr().ok(),
        stream,
        buf: Vec::with_capacity(4096),
    };
    // The first request may take as long as a later one.
    let idle = sh.keep_alive.unwrap_or(HEAD_DEADLINE);
    loop {
        if c.buf.is_empty() {
            match wait_readable(c.fd(), &sh.wake, idle) {
                Ready::Data => {}
                Ready::Timeout | Ready::Stop => return,
            }
        }
        let keep = c.exchange(sh);
        if keep == Keep::Close || sh.stopping() {
            return;
        }
        if c.buf.capacity() > 64 * 1024 && c.buf.len() < 4096 {
            c.buf.shrink_to(4096);
        }
    }
}

struct Conn {
    stream: TcpStream,
    remote: Option<SocketAddr>,
    /// Bytes read but not yet used (the rest of a head, a body, pipelined requests).
    buf: Vec<u8>,
}

/// A parsed request head.
struct Head {
    method: String,
    target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    version: u8,
    /// Names lower-cased; values as sent, trimmed (bytes that are not UTF-8 become U+FFFD).
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn has(&self, name: &str) -> bool {
        self.headers.iter().any(|(k, _)| k == name)
    }
    /// The comma-separated tokens of every `Connection` header, lower-cased.
    fn connection_has(&self, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k == "connection")
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// Why no request head could be had.
enum HeadFail {
    /// The client closed (or nothing usable arrived): close without an answer.
    Gone,
    /// Answer this and close.
    Answer(Resp),
}

enum BodyRead {
    Complete,
    TooLarge,
    TooSlow,
    Malformed,
    Broken,
    Stopped,
}

impl Conn {
    fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// Reads more bytes into the buffer, waiting at most until `deadline`.
    fn fill(&mut self, sh: &Shared, deadline: Instant) -> Result<usize, BodyRead> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(BodyRead::TooSlow);
        }
        match wait_readable(self.fd(), &sh.wake, left) {
            Ready::Data => {}
            Ready::Timeout => return Err(BodyRead::TooSlow),
            Ready::Stop => return Err(BodyRead::Stopped),
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(BodyRead::Broken),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(BodyRead::Broken),
            }
        }
    }

    /// Reads and parses one request head; its bytes leave the buffer.
    fn read_head(&mut self, sh: &Shared, request_id: &str) -> Result<Head, HeadFail> {
        let deadline = Instant::now() + HEAD_DEADLINE;
        let mut parse = !self.buf.is_empty();
        loop {
            // One empty line before a request line is tolerated (RFC 9112 §2.2), and
            // httparse skips any number: more than one is refused rather than waited on.
            let blank = self
                .buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if blank >= 4 {
                return Err(HeadFail::Answer(http::problem(
                    &Error::BadRequest("Malformed request: empty request line.".into()),
                    request_id,
                )));
            }
            if parse {
                let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut rq = httparse::Request::new(&mut slots);
                match rq.parse(&self.buf) {
                    Ok(httparse::Status::Complete(n)) => {
                        let head = Head {
                            method: rq.method.unwrap_or("").to_string(),
                            target: rq.path.unwrap_or("").to_string(),
                            version: rq.version.unwrap_or(1),
                            headers: rq
                                .headers
                                .iter()
                                .map(|h| {
                                    (
                                        h.name.to_ascii_lowercase(),
                                        String::from_utf8_lossy(h.value).trim().to_string(),
                                    )
                                })
                                .collect(),
                        };
                        self.buf.drain(..n);
                        return Ok(head);
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(e) => return Err(HeadFail::Answer(head_error(&self.buf, e, request_id))),
                }
            }
            if self.buf.len() >= MAX_HEAD_BYTES {
                let line_ended = self.buf.contains(&b'\n');
                return Err(HeadFail::Answer(if line_ended {
                    http::problem(&Error::HeadersTooLarge, request_id)
                } else {
                    plain_problem(
                        414,
                        "URI Too Long",
                        "The request line is too long.",
                        request_id,
                    )
                }));
            }
            let before = self.buf.len();
            match self.fill(sh, deadline) {
                // Parse again only once a line has ended (a head trickled byte by byte is
                // not parsed once per byte).
                Ok(_) => parse = self.buf[before..].contains(&b'\n'),
                Err(BodyRead::TooSlow) if !self.buf.is_empty() => {
                    return Err(HeadFail::Answer(plain_problem(
                        408,
                        "Request Timeout",
                        "The request head did not arrive in time.",
                        request_id,
                    )))
                }
                Err(BodyRead::Stopped) if !self.buf.is_empty() => {
                    return Err(HeadFail::Answer(http::problem(
                        &Error::Unavailable,
                        request_id,
                    )))
                }
                Err(_) => return Err(HeadFail::Gone),
            }
        }
    }

    /// Reads a body of `len` bytes (already checked against the limit).
    fn read_length(&mut self, sh: &Shared, len: usize, body: &mut Vec<u8>) -> BodyRead {
        let deadline = Instant::now() + BODY_DEADLINE;
        loop {
            let take = (len - body.len()).min(self.buf.len());
            body.extend_from_slice(&self.buf[..take]);
            self.buf.drain(..take);
            if body.len() == len {
                return BodyRead::Complete;
            }
            if let Err(e) = self.fill(sh, deadline) {
                return e;
            }
        }
    }

    /// Decodes a chunked body of at most `limit` bytes (trailers are read and dropped).
    fn read_chunked(&mut self, sh: &Shared, limit: usize, body: &mut Vec<u8>) -> BodyRead {
        let deadline = Instant::now() + BODY_DEADLINE;
        loop {
            // A chunk-size line.
            let size = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(httparse::Status::Complete((n, size))) => {
                        self.buf.drain(..n);
                        break size;
                    }
                    Ok(httparse::Status::Partial) if self.buf.len() <= 1024 => {
                        if let Err(e) = self.fill(sh, deadline) {
                            return e;
                        }
                    }
                    _ => return BodyRead::Malformed,
                }
            };
            if size == 0 {
                return self.skip_trailers(sh, deadline);
            }
            if size > (limit - body.len()) as u64 {
                return BodyRead::TooLarge;
            }
            // `size` bytes of data, then CRLF.
            let end = body.len() + size as usize;
            while body.len() < end {
                let take = (end - body.len()).min(self.buf.len());
                body.extend_from_slice(&self.buf[..take]);
                self.buf.drain(..take);
                if body.len() < end {
                    if let Err(e) = self.fill(sh, deadline) {
                        return e;
                    }
                }
            }
            while self.buf.len() < 2 {
                if let Err(e) = self.fill(sh, deadline) {
                    return e;
                }
            }
            if &self.buf[..2] != b"\r\n" {
                return BodyRead::Malformed;
            }
            self.buf.drain(..2);
        }
    }

    /// Reads trailer lines up to the empty line that ends a chunked body.
    fn skip_trailers(&mut self, sh: &Shared, deadline: Instant) -> BodyRead {
        let mut seen = 0usize;
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line_len = i + 1;
                let empty = self.buf[..i].iter().all(|&b| b == b'\r') && i <= 1;
                self.buf.drain(..line_len);
                if empty {
                    return BodyRead::Complete;
                }
                seen += line_len;
                if seen > 8 * 1024 {
                    return BodyRead::Malformed;
                }
                continue;
            }
            if self.buf.len() > 8 * 1024 {
                return BodyRead::Malformed;
            }
            if let Err(e) = self.fill(sh, deadline) {
                return e;
            }
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Closes after an answer to a request whose body (or the rest of whose head) was left
    /// unread: our side is shut for writing at once (the client sees the end of the
    /// answer), and what still arrives is read and dropped for a moment, so that the close
    /// does not reset the connection before the client has read the answer.
    fn linger(&mut self, sh: &Shared) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = Instant::now() + LINGER;
        let mut drained = 0usize;
        while drained < LINGER_BYTES {
            self.buf.clear();
            match self.fill(sh, deadline) {
                Ok(n) => drained += n,
                Err(_) => break,
            }
        }
    }

    /// Reads one request, answers it, and says whether the connection goes on.
    fn exchange(&mut self, sh: &Shared) -> Keep {
        let started = Instant::now();
        let fresh_id = http::request_id(None);
        let head = match self.read_head(sh, &fresh_id) {
            Ok(h) => h,
            Err(HeadFail::Gone) => return Keep::Close,
            Err(HeadFail::Answer(resp)) => {
                let done = Done {
                    request_id: &fresh_id,
                    method: "-",
                    url: "-",
                    started,
                };
                self.send(&resp, false, Keep::Close, &done);
                self.linger(sh);
                return Keep::Close;
            }
        };
        let request_id = http::request_id(head.header("x-request-id"));
        let method = head.method.to_ascii_uppercase();
        let max_body = sh.app.config.max_body;
        let upgrade = head.connection_has("upgrade");
        let mut keep = if sh.keep_alive.is_none() || sh.stopping() || head.connection_has("close") {
            Keep::Close
        } else if head.version == 1 {
            Keep::Open
        } else if head.connection_has("keep-alive") {
            Keep::Open10
        } else {
            Keep::Close
        };
        // Whether the connection must be cut after answering (a body left unread).
        let mut abort = upgrade;
        let mut body = Vec::new();
        let early: Option<Resp> = match precheck(&head, max_body) {
            Err(e) => {
                abort = true;
                Some(http::problem(&e, &request_id))
            }
            Ok(_) if head.has("expect") && !expects_continue(&head) => {
                abort = true;
                Some(plain_problem(
                    417,
                    "Expectation Failed",
                    "Only Expect: 100-continue is supported.",
                    &request_id,
                ))
            }
            Ok(framing) if upgrade || !method_has_body(&method) => {
                // A body we will not read (GET with Content-Length, say): answer, then
                // cut the connection rather than read it.
                if framing.declares_body() {
                    abort = true;
                }
                None
            }
            Ok(Framing::None) => None,
            Ok(framing) => {
                let streamed = match framing {
                    Framing::Length(n) => n > SMALL_BODY,
                    _ => true,
                };
                if streamed && !sh.slots.try_take() {
                    // Every body slot is busy: refuse rather than queue behind slow uploads.
                    abort = true;
                    Some(http::problem(&Error::Unavailable, &request_id))
                } else {
                    if expects_continue(&head) && head.version == 1 {
                        let _ = self.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    let outcome = match framing {
                        Framing::Length(n) => self.read_length(sh, n as usize, &mut body),
                        _ => self.read_chunked(sh, max_body, &mut body),
                    };
                    if streamed {
                        sh.slots.give_back();
                    }
                    let err = match outcome {
                        BodyRead::Complete => None,
                        BodyRead::TooLarge => Some(Error::PayloadTooLarge(max_body)),
                        BodyRead::TooSlow => Some(Error::RequestTimeout),
                        BodyRead::Stopped => Some(Error::Unavailable),
                        BodyRead::Malformed => {
                            Some(Error::BadRequest("Malformed chunked body.".into()))
                        }
                        BodyRead::Broken => Some(Error::BadRequest(
                            "The request body could not be read.".into(),
                        )),
                    };
                    err.map(|e| {
                        abort = true;
                        http::problem(&e, &request_id)
                    })
                }
            }
        };
        if abort {
            keep = Keep::Close;
        }
        let resp = match early {
            Some(r) => r,
            None => {
                let (path, raw_query) = match head.target.split_once('?') {
                    Some((p, q)) => (p.to_string(), q.to_string()),
                    None => (head.target.clone(), String::new()),
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
                    headers: head.headers,
                    body,
                    request_id: request_id.clone(),
                    remote: self.remote,
                };
                match catch_unwind(AssertUnwindSafe(|| dispatch(sh, &req))) {
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
        if sh.stopping() {
            keep = Keep::Close;
        }
        let done = Done {
            request_id: &request_id,
            method: &method,
            url: &head.target,
            started,
        };
        let written = self.send(&resp, method == "HEAD", keep, &done);
        if abort && written {
            self.linger(sh);
        }
        if written {
            keep
        } else {
            Keep::Close
        }
    }

    /// Writes the answer and logs the request's line; false if the write failed.
    fn send(&mut self, resp: &Resp, head_only: bool, keep: Keep, d: &Done) -> bool {
        let bytes = response_bytes(resp, d.request_id, head_only, keep);
        let ok = self.write_all(&bytes);
        log::info!(
            "{} {} {} {:.1}ms request_id={}",
            d.method,
            redact(d.url.split('?').next().unwrap_or("")),
            resp.status,
            d.started.elapsed().as_secs_f64() * 1000.0,
            d.request_id
        );
        ok
    }
}

/// What the closing log line of a request needs.
struct Done<'a> {
    request_id: &'a str,
    method: &'a str,
    url: &'a str,
    started: Instant,
}

/// How a request's body is framed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
}

impl Framing {
    fn declares_body(self) -> bool {
        !matches!(self, Framing::None | Framing::Length(0))
    }
}

fn expects_continue(head: &Head) -> bool {
    head.header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// Framing and size checks that must happen before any byte of the body is read.
fn precheck(head: &Head, max_body: usize) -> Result<Framing, Error> {
    let mut total = 0usize;
    let mut content_length: Option<&str> = None;
    let mut transfer_encoding = None;
    if head.headers.len() > MAX_HEADERS {
        return Err(Error::HeadersTooLarge);
    }
    for (k, v) in &head.headers {
        total += k.len() + v.len() + 4;
        if k == "content-length" {
            if content_length.is_some_and(|prev| prev != v) {
                return Err(Error::BadRequest(
                    "Conflicting Content-Length headers.".into(),
                ));
            }
            content_length = Some(v);
        }
        if k == "transfer-encoding" {
            if transfer_encoding.is_some() {
                return Err(Error::BadRequest(
                    "Repeated Transfer-Encoding header.".into(),
                ));
            }
            transfer_encoding = Some(v.as_str());
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
        return Ok(Framing::Chunked);
    }
    if let Some(cl) = content_length {
        let digits = !cl.is_empty() && cl.len() <= 20 && cl.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return Err(Error::BadRequest("Malformed Content-Length.".into()));
        }
        return match cl.parse::<u64>() {
            Ok(0) => Ok(Framing::None),
            Ok(n) if n <= max_body as u64 => Ok(Framing::Length(n)),
            _ => Err(Error::PayloadTooLarge(max_body)),
        };
    }
    Ok(Framing::None)
}

fn method_has_body(m: &str) -> bool {
    matches!(m, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// The answer to a head httparse refused: 505 for HTTP/2 and later (the h2 preface
/// `PRI * HTTP/2.0` included), 431 for too many headers, 400 otherwise.
fn head_error(buf: &[u8], e: httparse::Error, request_id: &str) -> Resp {
    if e == httparse::Error::TooManyHeaders {
        return http::problem(&Error::HeadersTooLarge, request_id);
    }
    if later_http_version(buf) {
        return plain_problem(
            505,
            "HTTP Version Not Supported",
            "orgreg speaks HTTP/1.1 (and 1.0).",
            request_id,
        );
    }
    http::problem(
        &Error::BadRequest(format!("Malformed request: {e}.")),
        request_id,
    )
}

/// Whether the request line ends in `HTTP/<major>.<minor>` with a major version of 2 or
/// more.
fn later_http_version(buf: &[u8]) -> bool {
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = buf[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[..line_end]);
    let Some(sp) = line.iter().rposition(|&b| b == b' ') else {
        return false;
    };
    let v = &line[sp + 1..];
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, rest @ ..] => {
            major.is_ascii_digit()
                && *major >= b'2'
                && (rest.is_empty() || matches!(rest, [b'.', minor] if minor.is_ascii_digit()))
        }
        _ => false,
    }
}

/// A problem body for statuses the application's `Error` has no variant for.
fn plain_problem(status: u16, title: &str, detail: &str, request_id: &str) -> Resp {
    let body = serde_json::json!({
        "type": format!("https://orgreg.dev/problems/{status}"),
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    });
    Resp::typed(status, http::PROBLEM, body.to_string().into_bytes())
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// A header a handler may set: a token name and a value without control characters
/// (tab allowed). Framing headers are the connection layer's alone.
fn header_ok(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value
            .bytes()
            .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        && ![
            "content-length",
            "transfer-encoding",
            "connection",
            "x-request-id",
            "date",
        ]
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f))
}

/// The bytes of an answer: status line, the handler's headers, an explicit Content-Type,
/// Date, X-Request-Id, Content-Length and, where needed, Connection.
fn response_bytes(resp: &Resp, request_id: &str, head_only: bool, keep: Keep) -> Vec<u8> {
    use std::fmt::Write as _;
    let status = resp.status;
    let no_body = status < 200 || status == 204 || status == 304;
    let mut h = String::with_capacity(256);
    let _ = write!(h, "HTTP/1.1 {status} {}\r\n", reason(status));
    let mut has_type = false;
    for (k, v) in &resp.headers {
        if header_ok(k, v) {
            has_type |= k.eq_ignore_ascii_case("content-type");
            let _ = write!(h, "{k}: {v}\r\n");
        }
    }
    if !has_type && !no_body {
        let _ = write!(h, "Content-Type: {}\r\n", http::JSON);
    }
    let _ = write!(h, "Date: {}\r\n", http_date(std::time::SystemTime::now()));
    let _ = write!(h, "X-Request-Id: {request_id}\r\n");
    if !no_body {
        let _ = write!(h, "Content-Length: {}\r\n", resp.body.len());
    }
    match keep {
        Keep::Open => {}
        Keep::Open10 => h.push_str("Connection: keep-alive\r\n"),
        Keep::Close => h.push_str("Connection: close\r\n"),
    }
    h.push_str("\r\n");
    let mut out = h.into_bytes();
    if !head_only && !no_body {
        out.extend_from_slice(&resp.body);
    }
    out
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as the Date header wants.
fn http_date(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        WD[days.rem_euclid(7) as usize],
        MO[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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
    use super::{http_date, later_http_version, redact};

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

    #[test]
    fn dates_and_versions() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            http_date(std::time::UNIX_EPOCH),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        for later in [
            "GET / HTTP/2.0\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM",
            "GET / HTTP/3.0",
            "GET / HTTP/9.9\r\n",
        ] {
            assert!(later_http_version(later.as_bytes()), "{later}");
        }
        for not in [
            "GET / HTTP/1.1\r\n",
            "GET / HTTP/1.2\r\n",
            "GET / http/2.0\r\n",
            "GET /HTTP/2.0x\r\n",
            "",
        ] {
            assert!(!later_http_version(not.as_bytes()), "{not}");
        }
    }
}
