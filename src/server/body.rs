//! A connection's input: the socket and its read buffer (`Conn`), reads that wait with a
//! deadline and wake on stop, the framing and size checks made before any body byte is
//! read, Content-Length and chunked bodies read under the cap and the body deadline, and
//! the lingering close after an answer that left a body unread.

use super::shared::Shared;
use super::sys::{wait_readable, Ready};
use crate::error::Error;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

/// The most header bytes (names + values) orgreg accepts; more is 431.
pub(super) const MAX_HEADER_BYTES: usize = 64 * 1024;
pub(super) const MAX_HEADERS: usize = 200;
/// How long a connection thread waits for a whole request body.
const BODY_DEADLINE: Duration = Duration::from_secs(10);
/// After answering a request whose body was left unread, how long the rest is read and
/// discarded (with our side already shut for writing) so that closing does not reset the
/// connection before the client has read the answer.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 4 << 20;
/// Bodies above this many bytes (or chunked) take a body slot while they are read.
pub(super) const SMALL_BODY: u64 = 1024;

pub(super) struct Conn {
    pub(super) stream: TcpStream,
    pub(super) remote: Option<SocketAddr>,
    /// Bytes read but not yet used (the rest of a head, a body, pipelined requests).
    pub(super) buf: Vec<u8>,
}

pub(super) enum BodyRead {
    Complete,
    TooLarge,
    TooSlow,
    Malformed,
    Broken,
    Stopped,
}

impl Conn {
    pub(super) fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// Reads more bytes into the buffer, waiting at most until `deadline`.
    pub(super) fn fill(&mut self, sh: &Shared, deadline: Instant) -> Result<usize, BodyRead> {
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

    /// Reads a body of `len` bytes (already checked against the limit).
    pub(super) fn read_length(&mut self, sh: &Shared, len: usize, body: &mut Vec<u8>) -> BodyRead {
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
    pub(super) fn read_chunked(
        &mut self,
        sh: &Shared,
        limit: usize,
        body: &mut Vec<u8>,
    ) -> BodyRead {
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

    pub(super) fn write_all(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// Closes after an answer to a request whose body (or the rest of whose head) was left
    /// unread: our side is shut for writing at once (the client sees the end of the
    /// answer), and what still arrives is read and dropped for a moment, so that the close
    /// does not reset the connection before the client has read the answer.
    pub(super) fn linger(&mut self, sh: &Shared) {
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
}

/// How a request's body is framed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    None,
    Length(u64),
    Chunked,
}

impl Framing {
    pub(super) fn declares_body(self) -> bool {
        !matches!(self, Framing::None | Framing::Length(0))
    }
}

/// Framing and size checks that must happen before any byte of the body is read.
pub(super) fn precheck(headers: &[(String, String)], max_body: usize) -> Result<Framing, Error> {
    let mut total = 0usize;
    let mut content_length: Option<&str> = None;
    let mut transfer_encoding = None;
    if headers.len() > MAX_HEADERS {
        return Err(Error::HeadersTooLarge);
    }
    for (k, v) in headers {
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

pub(super) fn method_has_body(m: &str) -> bool {
    matches!(m, "POST" | "PUT" | "PATCH" | "DELETE")
}
