//! One connection, on its own thread: requests one after another (pipelined ones in
//! order) with keep-alive, each head read and parsed by `httparse` under its deadline,
//! the checks that decide whether a body is read, the call to `dispatch` under the panic
//! guard, and the answer written with its one log line.

use super::answer::{head_error, plain_problem, response_bytes, Keep};
use super::body::{
    method_has_body, precheck, BodyRead, Conn, Framing, MAX_HEADERS, MAX_HEADER_BYTES, SMALL_BODY,
};
use super::shared::{dispatch, Shared};
use super::sys::{redact, wait_readable, Ready};
use crate::error::Error;
use crate::http::{self, Req, Resp};
use std::net::TcpStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// The most bytes a request head (request line and headers) may fill; a head still
/// incomplete past it is 414 (request line) or 431 (headers).
const MAX_HEAD_BYTES: usize = MAX_HEADER_BYTES + 32 * 1024;
/// How long a request head may take to arrive once its first byte has.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A client that does not read its answer for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// One connection: requests one after another (pipelined ones in order) until the client
/// closes, asks to close, stays idle past the keep-alive timeout, or the server stops.
pub(super) fn serve(sh: &Shared, stream: TcpStream) {
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

impl Conn {
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
                self.send(sh, &resp, false, Keep::Close, &done);
                self.linger(sh);
                return Keep::Close;
            }
        };
        let request_id = http::request_id(head.header("x-request-id"));
        let method = head.method.to_ascii_uppercase();
        let _in_flight = sh.app.metrics.in_flight();
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
        let early: Option<Resp> = match precheck(&head.headers, max_body) {
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
        let written = self.send(sh, &resp, method == "HEAD", keep, &done);
        if abort && written {
            self.linger(sh);
        }
        if written {
            keep
        } else {
            Keep::Close
        }
    }

    /// Writes the answer, counts it for `/metrics` and logs the request's line; false if
    /// the write failed.
    fn send(&mut self, sh: &Shared, resp: &Resp, head_only: bool, keep: Keep, d: &Done) -> bool {
        let bytes = response_bytes(resp, d.request_id, head_only, keep);
        let ok = self.write_all(&bytes);
        sh.app
            .metrics
            .observe(d.method, resp.status, d.started.elapsed());
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

fn expects_continue(head: &Head) -> bool {
    head.header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}
