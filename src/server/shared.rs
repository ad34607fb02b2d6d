//! What every connection thread shares (`Shared`), and what it meters: the `--threads`
//! handler places that `dispatch`, the one call into the application, holds while it runs,
//! and the body slots that large or chunked uploads hold while they are read.

use super::sys::Wake;
use crate::api::App;
use crate::http::{Req, Resp};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// What every connection thread shares.
pub(super) struct Shared {
    pub(super) app: Arc<App>,
    pub(super) stop: AtomicBool,
    pub(super) wake: Wake,
    /// Open connections, each with its own thread.
    pub(super) open: AtomicUsize,
    pub(super) max_connections: usize,
    /// None: no keep-alive (close after every answer).
    pub(super) keep_alive: Option<Duration>,
    pub(super) handlers: Handlers,
    pub(super) slots: BodySlots,
    pub(super) rejected: AtomicUsize,
}

impl Shared {
    pub(super) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The one call into the application, on the connection's own thread. It holds one of
/// `--threads` handler places while it runs, so at most that many requests are handled
/// at once (and the registry's read pool stays that small); the others wait here, never
/// behind an idle connection.
pub(super) fn dispatch(sh: &Shared, req: &Req) -> Resp {
    let _place = sh.handlers.take();
    crate::router::dispatch(&sh.app, req)
}

/// A counting semaphore: the places for requests being handled.
pub(super) struct Handlers {
    pub(super) free: Mutex<usize>,
    pub(super) ready: Condvar,
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
    pub(super) free: AtomicUsize,
}

impl BodySlots {
    pub(super) fn try_take(&self) -> bool {
        self.free
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
    pub(super) fn give_back(&self) {
        self.free.fetch_add(1, Ordering::SeqCst);
    }
}
