//! The bytes of an answer: status line and reason, the handler's headers (unsafe ones
//! dropped), Date, X-Request-Id, Content-Length and Connection (`Keep`); and the problem
//! answers for heads httparse refused or statuses `Error` has no variant for.

use crate::error::Error;
use crate::http::{self, Resp};

/// How the connection goes on after an answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Keep {
    /// HTTP/1.1 persistent (no header needed).
    Open,
    /// HTTP/1.0 with `Connection: keep-alive`, answered in kind.
    Open10,
    /// `Connection: close`, then closed.
    Close,
}

/// The answer to a head httparse refused: 505 for HTTP/2 and later (the h2 preface
/// `PRI * HTTP/2.0` included), 431 for too many headers, 400 otherwise.
pub(super) fn head_error(buf: &[u8], e: httparse::Error, request_id: &str) -> Resp {
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
pub(super) fn plain_problem(status: u16, title: &str, detail: &str, request_id: &str) -> Resp {
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
pub(super) fn response_bytes(
    resp: &Resp,
    request_id: &str,
    head_only: bool,
    keep: Keep,
) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::{http_date, later_http_version};

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
