//! What the connection layer asks of the operating system: the listener's TCP_NODELAY, the
//! open-files limit, allocator tuning, SIGTERM/SIGINT (`STOP_SIGNAL`), the stop pipe and
//! `poll` waits (`Wake`, `wait_readable`), and `redact` for paths in log lines.

use crate::http;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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
        // A fixed mmap threshold also fixes the trim threshold at 128 KiB: a worker that
        // frees a few hundred KiB at the top of its heap (an FTS doclist, a page of JSON)
        // then hands it back with madvise, and every such call flushes the TLB of every
        // core (perf: 5% of a search page's time in the IPIs). Up to 4 MiB stays with
        // its arena instead.
        libc::mallopt(libc::M_TRIM_THRESHOLD, 4 << 20);
    }
}

/// A pipe that becomes readable, for good, when the server stops: every thread waiting
/// in `poll` on a socket also waits on it, so idle connections and the accept loop wake at
/// once without polling a flag.
pub(super) struct Wake {
    rd: OwnedFd,
    wr: OwnedFd,
}

impl Wake {
    pub(super) fn new() -> std::io::Result<Wake> {
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
    pub(super) fn fire(&self) {
        // SAFETY: a one-byte write from a valid buffer to our own pipe.
        unsafe {
            libc::write(self.wr.as_raw_fd(), b"x".as_ptr() as *const libc::c_void, 1);
        }
    }
}

pub(super) enum Ready {
    Data,
    Timeout,
    Stop,
}

/// Waits until `fd` is readable (or closed, or in error: the read tells), the timeout
/// passes, or the server stops.
pub(super) fn wait_readable(fd: RawFd, wake: &Wake, timeout: Duration) -> Ready {
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
