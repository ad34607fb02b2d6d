//! The HTTP/1.1 connection layer: a listener with TCP_NODELAY, an accept loop, one thread
//! per open connection (up to `--max-connections`; beyond it 503 and close), request heads
//! parsed by `httparse`, keep-alive with an idle timeout, framing and size checks before
//! any body byte is read, the body cap and read deadline, the panic guard, one log line
//! per request, and clean shutdown. Handlers see only `http::Req` and `http::Resp`.
//!
//! Must never: read a body past the limit, echo an unsafe client header, leave a
//! connection waiting behind another one, or leave a request unanswered.
//!
//! This file owns starting and stopping (`start`, `Running`), the accept loop and the
//! `--max-connections` bound. Below it, each child importing only those listed after it:
//! `conn` (one connection's request/answer loop and heads), `body` (the socket buffer,
//! framing checks, body reading), `answer` (the bytes of a response), `shared` (the state
//! all threads share, handler places, body slots, `dispatch`) and `sys` (socket options,
//! limits, signals, the stop pipe, `redact`).

mod answer;
mod body;
mod conn;
mod shared;
mod sys;

pub use shared::BodySlots;
pub use sys::{bind, install_signal_handlers, raise_fd_limit, redact, tune_allocator, STOP_SIGNAL};

use crate::api::App;
use crate::error::Error;
use crate::http;
use answer::{response_bytes, Keep};
use conn::serve;
use shared::{Handlers, Shared};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use sys::{wait_readable, Ready, Wake};

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
