//! Request and response values the handlers see, independent of the connection layer:
//! decoded path segments, query pairs, lower-cased headers, the body (already read under
//! the cap), and a response with explicit Content-Type.

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::net::SocketAddr;

pub const JSON: &str = "application/json; charset=utf-8";
pub const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// The raw path, without the query string.
    pub path: String,
    /// Percent-decoded path segments, without empty ones.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub raw_query: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub request_id: String,
    pub remote: Option<SocketAddr>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The scheme://host this request was addressed to (for absolute URLs).
    pub fn base_url(&self) -> String {
        let host = self
            .header("host")
            .filter(|h| valid_host(h))
            .unwrap_or("localhost");
        let proto = match self.header("x-forwarded-proto") {
            Some("https") => "https",
            _ => "http",
        };
        format!("{proto}://{host}")
    }

    /// Whether the declared media type of the body is JSON.
    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            let mt = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"))
        })
    }

    /// The body as a JSON object: 415 unless declared JSON, 400 if malformed or not an
    /// object. An empty body is an empty object.
    pub fn json_object(&self) -> Result<Map<String, Value>> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Map::new());
        }
        if !self.is_json() {
            return Err(Error::UnsupportedMediaType);
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(Error::BadRequest(
                "The request body must be a JSON object.".into(),
            )),
            Err(e) => Err(Error::BadRequest(format!(
                "Malformed JSON: {}",
                json_error_text(&e)
            ))),
        }
    }
}

fn json_error_text(e: &serde_json::Error) -> String {
    // serde_json's messages name positions and categories only, never input bytes.
    let s = e.to_string();
    s.chars().take(200).collect()
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, v: &Value) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), JSON.into())],
            body: v.to_string().into_bytes(),
        }
    }
    pub fn typed(status: u16, content_type: &str, body: Vec<u8>) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }
    /// No body (204, 304): still an explicit Content-Type-free, zero-length response.
    pub fn empty(status: u16) -> Resp {
        Resp {
            status,
            headers: vec![],
            body: vec![],
        }
    }
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Resp {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A cookie's value from the `Cookie` header (non-empty values only).
pub fn cookie(req: &Req, name: &str) -> Option<String> {
    req.header("cookie")?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// The native error body: RFC 9457 problem details.
pub fn problem(e: &Error, request_id: &str) -> Resp {
    let status = e.status();
    let mut body = serde_json::json!({
        "type": format!("https://orgreg.dev/problems/{status}"),
        "title": e.title(),
        "status": status,
        "detail": e.detail(),
        "request_id": request_id,
    });
    if let Error::Invalid(errors) = e {
        body["errors"] = serde_json::to_value(errors).unwrap_or_default();
    }
    if let Error::Conflict {
        field: Some(f),
        message,
    } = e
    {
        body["errors"] = serde_json::json!({ f.clone(): [message] });
    }
    let mut r = Resp::typed(status, PROBLEM, body.to_string().into_bytes());
    decorate_error(&mut r, e);
    r
}

/// Headers an error implies whatever its body: Allow, WWW-Authenticate, Retry-After.
pub fn decorate_error(r: &mut Resp, e: &Error) {
    match e {
        Error::MethodNotAllowed(allow) => r.headers.push(("Allow".into(), allow.clone())),
        Error::Unauthenticated(_) => r
            .headers
            .push(("WWW-Authenticate".into(), "Bearer realm=\"orgreg\"".into())),
        Error::LockedOut(secs) => {
            r.headers
                .push(("WWW-Authenticate".into(), "Bearer realm=\"orgreg\"".into()));
            r.headers.push(("Retry-After".into(), secs.to_string()));
        }
        Error::RateLimited(s) => r.headers.push(("Retry-After".into(), s.to_string())),
        Error::Unavailable => r.headers.push(("Retry-After".into(), "1".into())),
        _ => {}
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set); invalid escapes stay
/// literal, invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Re-encodes a query value for `next`/`previous` links.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An `X-Request-Id` from the client is echoed only if it is short printable ASCII.
pub fn request_id(from_client: Option<&str>) -> String {
    match from_client {
        Some(id)
            if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            id.to_string()
        }
        _ => crate::model::new_id().replace('-', ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%C3%A9", false), "é");
        assert_eq!(percent_decode("%FF", false), "\u{FFFD}");
        assert_eq!(
            parse_query("a=1&b=x%26y&&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x&y".into()),
                ("c".into(), "".into())
            ]
        );
    }

    #[test]
    fn request_ids() {
        assert_eq!(request_id(Some("abc-123")), "abc-123");
        assert_ne!(request_id(Some("bad\nid")), "bad\nid");
        assert_eq!(request_id(None).len(), 32);
    }
}
