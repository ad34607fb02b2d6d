//! Hostile HTTP: hundreds of malformed or hostile requests over raw TCP against the real
//! binary (a child process, so a crash shows as a dead process and not as a dead test run).
//! After every request: no 5xx (but a deliberate 503), the process alive, `/healthz` 200,
//! and the database unchanged (nothing committed that a rejected request could have
//! written). Declared oversized bodies are refused with 413 in under 100 ms without being
//! read. An answer without orgreg's `X-Request-Id` (none since issue 11: orgreg owns the
//! connection layer) is listed as a finding in the output; a request that hangs is a
//! failure.
//!
//! Short form: `cargo test --test api hostile -- --nocapture` (the findings are printed).

use crate::crash::{
    bin_agent, call, read_raw, try_raw, BinServer, Raw, RawFail, BIN_ADMIN_TOKEN, HEALTHZ,
};
use crate::support::enc;
use serde_json::{json, Value};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a hostile request may get.
#[derive(Clone, Debug)]
enum Expect {
    /// An orgreg answer with one of these statuses.
    Status(Vec<u16>),
    /// A list query that must match nothing: 200 with `count: 0`, or one of these.
    EmptyOr(Vec<u16>),
    /// A parameter the list ignores: 200 with the count the list has without it (read
    /// from this path just before), or 400.
    Ignored(String),
    /// Framing refused before routing (tiny_http handled these itself until issue 11): any
    /// answer but a 5xx, or a close; an answer without X-Request-Id is a finding.
    TinyHttp,
    /// An incomplete request by HTTP/1.1 rules (the server may wait for the rest); a
    /// timeout is recorded as a finding, an answer must not be a 5xx.
    MayWait,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
    /// May write `login_failed` audit rows (failed Basic credentials).
    audit: bool,
    timeout: Duration,
}

fn case(name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        bytes,
        expect,
        audit: false,
        timeout: Duration::from_secs(5),
    }
}

fn s(v: &[u16]) -> Expect {
    Expect::Status(v.to_vec())
}

/// A request with `Host`, `Connection: close`, the admin's Bearer token when `auth`, the
/// extra header lines (each without CRLF) and a body with its Content-Length.
fn rq(method: &str, path: &str, auth: bool, headers: &[&str], body: Option<&[u8]>) -> Vec<u8> {
    let mut out =
        format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n").into_bytes();
    if auth {
        out.extend(format!("Authorization: Bearer {BIN_ADMIN_TOKEN}\r\n").bytes());
    }
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(b) = body {
        out.extend(format!("Content-Length: {}\r\n\r\n", b.len()).bytes());
        out.extend_from_slice(b);
    } else {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn get(path: &str) -> Vec<u8> {
    rq("GET", path, true, &[], None)
}

fn post_json(path: &str, body: &[u8]) -> Vec<u8> {
    rq(
        "POST",
        path,
        true,
        &["Content-Type: application/json"],
        Some(body),
    )
}

/// Raw bytes: a request head written out by hand (`\r\n` included by the caller).
fn raw(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The ids the list cases address.
struct Seed {
    org: String,
    member: String,
}

fn seed(url: &str) -> Seed {
    let a = bin_agent(Duration::from_secs(20));
    let t = BIN_ADMIN_TOKEN;
    let post = |path: &str, body: Value| -> Value {
        let (st, v) = call(&a, "POST", &format!("{url}{path}"), t, Some(&body)).expect("seed call");
        assert!(st == 201, "seed POST {path}: {st} {v}");
        v
    };
    let alice = post(
        "/v1/users",
        json!({"username": "hu-alice", "email": "alice@example.org", "first_name": "Alice"}),
    );
    post(
        "/v1/users",
        json!({"username": "hu-bob", "email": "bob@example.org"}),
    );
    let cu = post(
        "/v1/customers",
        json!({"name": "Hostile Customer", "abbreviation": "HC"}),
    );
    let org = post(
        "/v1/organizations",
        json!({"name": "Hostile Org A", "abbreviation": "HOA", "currency_code": "EUR", "customer": cu["id"], "description": "seeded"}),
    );
    post(
        "/v1/organizations",
        json!({"name": "Hostile Org B", "native_name": "Feindlich"}),
    );
    let org_id = org["id"].as_str().unwrap().to_string();
    post(
        &format!("/v1/organizations/{org_id}/members"),
        json!({"user": alice["id"], "role": "viewer"}),
    );
    post(
        &format!("/v1/organizations/{org_id}/invitations"),
        json!({"email": "carol@example.org", "role": "viewer"}),
    );
    Seed {
        org: org_id,
        member: alice["id"].as_str().unwrap().to_string(),
    }
}

/// SQL metacharacters and injection attempts for every filter.
const SQL: &[&str] = &[
    "'",
    "''",
    "\"",
    "' OR '1'='1",
    "' OR 1=1 --",
    "1 OR 1=1",
    "') OR ('a'='a",
    "\"; DROP TABLE organizations; --",
    "'; DELETE FROM users; --",
    "%",
    "%%",
    "_",
    "\\",
    "' UNION SELECT name, sql FROM sqlite_master --",
    "*",
    "?1",
    ":name",
    "NULL",
    "/* */",
    "x' COLLATE NOCASE --",
    "a\0b",
    "' || (SELECT password_hash FROM users) || '",
];

/// Injection attempts for `order_by`: none is a documented ordering field.
const ORDER: &[&str] = &[
    "name;DROP TABLE users",
    "name DESC",
    "name,(SELECT 1)",
    "1",
    "-1",
    "(name)",
    "name--",
    "rowid",
    "seq",
    "password_hash",
    "name COLLATE NOCASE",
    "-",
    "--name",
    "created,created,created,created,created,created,created,created,created",
    "(CASE WHEN (SELECT count(*) FROM users) > 0 THEN name ELSE created END)",
];

fn cases(seed: &Seed) -> Vec<Case> {
    let org = &seed.org;
    let mut v: Vec<Case> = vec![];

    // ---- request lines ----
    v.push(case(
        "empty request line",
        raw("\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case("method only", raw("GET\r\n\r\n"), Expect::TinyHttp));
    v.push(case(
        "no version",
        raw("GET /healthz\r\nHost: t\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "extra request-line word",
        raw("GET /healthz HTTP/1.1 extra\r\nHost: t\r\nConnection: close\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "HTTP/9.9",
        raw("GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n"),
        s(&[400, 505]),
    ));
    v.push(case(
        "FOO/1.1",
        raw("GET /healthz FOO/1.1\r\nHost: t\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "lower-case version",
        raw("GET /healthz http/1.1\r\nHost: t\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "double space",
        raw("GET  /healthz HTTP/1.1\r\nHost: t\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "tab separator",
        raw("GET\t/healthz\tHTTP/1.1\r\nHost: t\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "NUL in method",
        b"G\0T /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec(),
        Expect::TinyHttp,
    ));
    v.push(case(
        "NUL in path",
        b"GET /heal\0thz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec(),
        s(&[400, 404]),
    ));
    v.push(case(
        "NUL in header value",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\nConnection: close\r\n\r\n".to_vec(),
        s(&[200, 400]),
    ));
    v.push(case(
        "NUL in header name",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX\0A: b\r\nConnection: close\r\n\r\n".to_vec(),
        Expect::TinyHttp,
    ));
    v.push(case(
        "non-ASCII path bytes",
        b"GET /v1/organizations/\xff\xfe HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_vec(),
        Expect::TinyHttp,
    ));
    v.push(case(
        "non-ASCII header value",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: \xc3\xa9\r\nConnection: close\r\n\r\n".to_vec(),
        Expect::TinyHttp,
    ));
    v.push(case(
        "header without colon",
        raw("GET /healthz HTTP/1.1\r\nHost: t\r\nNoColonHere\r\nConnection: close\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "header with empty name",
        raw("GET /healthz HTTP/1.1\r\nHost: t\r\n: v\r\nConnection: close\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "obsolete line folding",
        raw("GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "space before colon",
        raw("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length : 0\r\nConnection: close\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(Case {
        timeout: Duration::from_millis(800),
        ..case(
            "bare LF line ends",
            raw("GET /healthz HTTP/1.1\nHost: t\nConnection: close\n\n"),
            Expect::MayWait,
        )
    });
    v.push(case(
        "duplicate Host",
        raw("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"),
        s(&[200, 400]),
    ));
    v.push(case(
        "no Host (HTTP/1.1)",
        raw("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"),
        s(&[200, 400]),
    ));
    v.push(case(
        "HTTP/1.0",
        raw("GET /healthz HTTP/1.0\r\n\r\n"),
        s(&[200]),
    ));
    v.push(case(
        "HTTP/0.9 token",
        raw("GET /healthz HTTP/0.9\r\nConnection: close\r\n\r\n"),
        Expect::TinyHttp,
    ));
    v.push(case(
        "absolute-form target",
        raw("GET http://evil.example/v1/users HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        s(&[400, 404]),
    ));
    v.push(case(
        "asterisk target",
        raw("GET * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        s(&[400, 404]),
    ));
    v.push(case(
        "OPTIONS *",
        raw("OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        s(&[204, 400, 404]),
    ));
    v.push(case(
        "CONNECT authority",
        raw("CONNECT evil.example:443 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        s(&[400, 404, 405]),
    ));
    v.push(case(
        "TRACE",
        rq("TRACE", "/v1/users", true, &[], None),
        s(&[405]),
    ));
    v.push(case(
        "unknown method",
        rq("BREW", "/v1/organizations", true, &[], None),
        s(&[405]),
    ));
    v.push(case(
        "lower-case method",
        rq("get", "/healthz", false, &[], None),
        s(&[200, 400, 405]),
    ));
    v.push(case(
        "10 KiB method",
        rq(&"A".repeat(10 * 1024), "/healthz", false, &[], None),
        s(&[400, 405]),
    ));
    v.push(case(
        "1 MiB path",
        get(&format!("/{}", "a".repeat(1 << 20))),
        s(&[400, 404, 414, 431]),
    ));
    v.push(case(
        "1 MiB query",
        get(&format!("/v1/organizations?search={}", "a".repeat(1 << 20))),
        s(&[400, 414, 431]),
    ));
    v.push(case(
        "10000 repeated query parameters",
        get(&format!("/v1/organizations?{}", "name=x&".repeat(10_000))),
        s(&[400]),
    ));
    v.push(case(
        "pipelined garbage after a request",
        raw("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGARBAGE\r\n\r\n"),
        s(&[200]),
    ));

    // ---- header sizes and counts ----
    v.push(case(
        "1 MiB header line",
        rq(
            "GET",
            "/healthz",
            false,
            &[&format!("X-Big: {}", "a".repeat(1 << 20))],
            None,
        ),
        s(&[431]),
    ));
    v.push(case(
        "1 MiB Authorization",
        rq(
            "GET",
            "/v1/me",
            false,
            &[&format!("Authorization: Bearer {}", "a".repeat(1 << 20))],
            None,
        ),
        s(&[431]),
    ));
    let many: Vec<String> = (0..5000).map(|i| format!("X-H{i}: v")).collect();
    let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
    v.push(case(
        "5000 headers",
        rq("GET", "/healthz", false, &many_refs, None),
        s(&[431]),
    ));
    v.push(case(
        "201 headers",
        rq("GET", "/healthz", false, &many_refs[..201], None),
        s(&[431]),
    ));
    let wide: Vec<String> = (0..100)
        .map(|i| format!("X-W{i}: {}", "w".repeat(700)))
        .collect();
    let wide_refs: Vec<&str> = wide.iter().map(String::as_str).collect();
    v.push(case(
        "70 KiB of headers",
        rq("GET", "/healthz", false, &wide_refs, None),
        s(&[431]),
    ));
    v.push(case(
        "control characters in X-Request-Id",
        rq(
            "GET",
            "/healthz",
            false,
            &["X-Request-Id: a\x01b\x1bc\x7f"],
            None,
        ),
        s(&[200, 400]),
    ));
    v.push(case(
        "10 KiB X-Request-Id",
        rq(
            "GET",
            "/healthz",
            false,
            &[&format!("X-Request-Id: {}", "r".repeat(10 * 1024))],
            None,
        ),
        s(&[200, 400]),
    ));
    v.push(case(
        "Expect: something-else",
        rq(
            "POST",
            "/v1/organizations",
            true,
            &["Expect: teapot", "Content-Type: application/json"],
            Some(b"{}"),
        ),
        Expect::TinyHttp,
    ));

    // ---- Content-Length ----
    let cl = |value: &str| -> Vec<u8> {
        format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {value}\r\n\r\n{{\"x\":1}}").into_bytes()
    };
    for bad in [
        "abc", "-1", "1.5", "", " ", "0x10", "+7", "7, 7", "7 7", "７",
    ] {
        let expect = if bad == "７" {
            Expect::TinyHttp
        } else {
            s(&[400])
        };
        v.push(case(format!("Content-Length: {bad:?}"), cl(bad), expect));
    }
    v.push(case(
        "Content-Length: 99999999999999999999999",
        cl("99999999999999999999999"),
        s(&[400, 413]),
    ));
    v.push(case(
        "Content-Length: 18446744073709551615",
        cl("18446744073709551615"),
        s(&[413]),
    ));
    v.push(case(
        "Content-Length: 18446744073709551616",
        cl("18446744073709551616"),
        s(&[400, 413]),
    ));
    v.push(case("Content-Length: 10 GB", cl("10737418240"), s(&[413])));
    v.push(case(
        "Content-Length: max-body + 1",
        cl("1048577"),
        s(&[413]),
    ));
    v.push(case(
        "conflicting Content-Length 5 / 6",
        raw(&format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{{\"x\":1}}")),
        s(&[400]),
    ));
    v.push(case(
        "repeated equal Content-Length",
        raw(&format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n{{\"x\":1}}")),
        s(&[400]),
    ));
    v.push(case(
        "Content-Length 10 GB with Expect: 100-continue",
        raw(&format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 10737418240\r\n\r\n")),
        s(&[413]),
    ));
    v.push(case(
        "GET with a 10 GB Content-Length",
        raw("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 10737418240\r\n\r\n"),
        s(&[413]),
    ));

    // ---- Transfer-Encoding ----
    let te = |value: &str, body: &str| -> Vec<u8> {
        format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: {value}\r\n\r\n{body}").into_bytes()
    };
    let chunked_x = "7\r\n{\"x\":1}\r\n0\r\n\r\n";
    for bad in [
        "gzip",
        "gzip, chunked",
        "chunked, gzip",
        "identity",
        "chunkedx",
        "x-chunked",
        "",
        "chunked;q=1",
        "compress",
    ] {
        v.push(case(
            format!("Transfer-Encoding: {bad:?}"),
            te(bad, chunked_x),
            s(&[400]),
        ));
    }
    v.push(case(
        "Transfer-Encoding: CHUNKED (valid framing, bad body)",
        te("CHUNKED", chunked_x),
        s(&[400]),
    ));
    v.push(case(
        "two Transfer-Encoding headers",
        raw(&format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n{chunked_x}")),
        s(&[400]),
    ));
    v.push(case(
        "Content-Length and Transfer-Encoding",
        raw(&format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n{chunked_x}")),
        s(&[400]),
    ));
    v.push(case(
        "chunk size not hex",
        te("chunked", "zz\r\n{\"x\":1}\r\n0\r\n\r\n"),
        s(&[400]),
    ));
    v.push(case(
        "chunk size overflowing",
        te(
            "chunked",
            "ffffffffffffffffffffffff\r\n{\"x\":1}\r\n0\r\n\r\n",
        ),
        s(&[400, 413]),
    ));
    // A chunk declaring 2^64-1 bytes is a body still arriving: orgreg cannot see chunk sizes
    // before reading, so a worker waits for more (see slow_clients for what that costs).
    v.push(Case {
        timeout: Duration::from_millis(800),
        ..case(
            "chunk size 2^64-1",
            te("chunked", "ffffffffffffffff\r\n{\"x\":1}\r\n0\r\n\r\n"),
            Expect::MayWait,
        )
    });
    v.push(case(
        "chunk extension",
        te("chunked", "7;ext=1\r\n{\"x\":1}\r\n0\r\n\r\n"),
        s(&[400]),
    ));
    v.push(case(
        "negative chunk size",
        te("chunked", "-7\r\n{\"x\":1}\r\n0\r\n\r\n"),
        s(&[400]),
    ));
    let mut big_chunked = format!("POST /v1/organizations HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..40 {
        big_chunked.extend(format!("{:x}\r\n", 32 * 1024).bytes());
        big_chunked.extend(std::iter::repeat_n(b' ', 32 * 1024));
        big_chunked.extend_from_slice(b"\r\n");
    }
    big_chunked.extend_from_slice(b"0\r\n\r\n");
    v.push(case(
        "chunked body of 1.25 MiB (over the limit)",
        big_chunked,
        s(&[413]),
    ));
    v.push(case(
        "Connection: Upgrade with a body",
        rq(
            "POST",
            "/v1/organizations",
            true,
            &[
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Content-Type: application/json",
            ],
            Some(b"{\"name\":\"upgrade-smuggled\"}"),
        ),
        s(&[400, 404, 405, 426]),
    ));

    // ---- bodies ----
    let orgs = "/v1/organizations";
    v.push(case(
        "text/plain body",
        rq(
            "POST",
            orgs,
            true,
            &["Content-Type: text/plain"],
            Some(b"{\"name\":\"plain\"}"),
        ),
        s(&[415]),
    ));
    v.push(case(
        "no Content-Type",
        rq("POST", orgs, true, &[], Some(b"{\"name\":\"untyped\"}")),
        s(&[415]),
    ));
    v.push(case(
        "multipart body",
        rq(
            "POST",
            orgs,
            true,
            &["Content-Type: multipart/form-data; boundary=x"],
            Some(b"--x\r\n\r\nname=a\r\n--x--"),
        ),
        s(&[415]),
    ));
    v.push(case(
        "charset=latin1",
        rq(
            "POST",
            orgs,
            true,
            &["Content-Type: application/json; charset=latin1"],
            Some(b"{\"x\":1}"),
        ),
        s(&[400, 415]),
    ));
    v.push(case(
        "invalid UTF-8",
        post_json(orgs, b"{\"name\":\"\xff\xfe\xfd\"}"),
        s(&[400]),
    ));
    v.push(case(
        "overlong UTF-8",
        post_json(orgs, b"{\"name\":\"\xc0\xaf\"}"),
        s(&[400]),
    ));
    v.push(case(
        "UTF-16 body",
        post_json(orgs, b"\xff\xfe{\x00\"\x00x\x00\"\x00:\x001\x00}\x00"),
        s(&[400]),
    ));
    let jsons: &[(&str, &[u8])] = &[
        ("empty object", b"{}"),
        ("unterminated", b"{"),
        ("close only", b"}"),
        ("array", b"[]"),
        ("null", b"null"),
        ("number", b"1"),
        ("string", b"\"s\""),
        ("missing value", b"{\"name\":}"),
        ("single quotes", b"{'name':'x'}"),
        ("trailing garbage", b"{\"x\":1}x"),
        ("trailing comma", b"{\"name\":\"a\",}"),
        ("BOM", b"\xef\xbb\xbf{\"x\":1}"),
        ("NaN", b"{\"name\":NaN}"),
        ("Infinity", b"{\"name\":Infinity}"),
        ("lone surrogate", b"{\"name\":\"\\ud800\"}"),
        ("raw control character", b"{\"name\":\"a\x01b\"}"),
        ("escaped NUL", b"{\"name\":\"a\\u0000b\"}"),
        ("1e999999", b"{\"name\":1e999999}"),
        (
            "metadata 1e400",
            b"{\"name\":\"big-number-org\",\"metadata\":{\"n\":1e400}}",
        ),
        (
            "30-digit integer",
            b"{\"name\":123456789012345678901234567890}",
        ),
        (
            "huge is_active",
            b"{\"name\":\"x\",\"accepts_join_requests\":123456789012345678901234567890}",
        ),
        ("negative zero", b"{\"name\":-0}"),
        ("operator object", b"{\"name\":{\"$gt\":\"\"}}"),
        ("__proto__", b"{\"__proto__\":{\"is_staff\":true}}"),
        (
            "read-only id",
            b"{\"name\":\"ro\",\"id\":\"00000000-0000-0000-0000-000000000000\"}",
        ),
        ("duplicate keys", b"{\"name\":1,\"name\":2}"),
        ("metadata array", b"{\"name\":\"x\",\"metadata\":[]}"),
        (
            "currency injection",
            b"{\"name\":\"x\",\"currency_code\":\"'); DROP TABLE organizations; --\"}",
        ),
        (
            "owner injection",
            b"{\"name\":\"x\",\"owner\":\"' OR 1=1 --\"}",
        ),
    ];
    for (n, b) in jsons {
        v.push(case(format!("JSON: {n}"), post_json(orgs, b), s(&[400])));
        if *n == "empty object" {
            continue; // `{}` is a valid (empty) PATCH
        }
        v.push(case(
            format!("JSON (PATCH): {n}"),
            rq(
                "PATCH",
                &format!("{orgs}/{org}"),
                true,
                &["Content-Type: application/json"],
                Some(b),
            ),
            s(&[400]),
        ));
    }
    // An empty body counts as {} (docs/API.md): POST then lacks the required name.
    v.push(case("empty body", post_json(orgs, b""), s(&[400])));
    let deep_arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    v.push(case(
        "arrays nested 100000 deep",
        post_json(orgs, deep_arrays.as_bytes()),
        s(&[400]),
    ));
    let deep_meta = format!(
        "{{\"name\":\"deep\",\"metadata\":{}1{}}}",
        "{\"a\":".repeat(5_000),
        "}".repeat(5_000)
    );
    v.push(case(
        "metadata nested 5000 deep",
        post_json(orgs, deep_meta.as_bytes()),
        s(&[400]),
    ));
    let meta_130 = format!(
        "{{\"name\":\"deep130\",\"metadata\":{}1{}}}",
        "{\"a\":".repeat(130),
        "}".repeat(130)
    );
    v.push(case(
        "metadata nested 130 deep",
        post_json(orgs, meta_130.as_bytes()),
        s(&[400]),
    ));
    let long_name = format!("{{\"name\":\"{}\"}}", "n".repeat(900 * 1024));
    v.push(case(
        "900 KiB name",
        post_json(orgs, long_name.as_bytes()),
        s(&[400]),
    ));
    let many_keys: String = format!(
        "{{{}\"name\":\"k\"}}",
        (0..20_000)
            .map(|i| format!("\"k{i}\":1,"))
            .collect::<String>()
    );
    v.push(case(
        "20000 unknown fields",
        post_json(orgs, many_keys.as_bytes()),
        s(&[400]),
    ));
    let members_bulk = format!(
        "{{\"users\":[{}],\"role\":\"viewer\"}}",
        (0..5000)
            .map(|_| "\"00000000-0000-0000-0000-000000000000\"")
            .collect::<Vec<_>>()
            .join(",")
    );
    v.push(case(
        "5000-id bulk member add",
        post_json(&format!("{orgs}/{org}/members"), members_bulk.as_bytes()),
        s(&[400]),
    ));
    v.push(case(
        "Idempotency-Key of 300 characters",
        rq(
            "POST",
            orgs,
            true,
            &[
                "Content-Type: application/json",
                &format!("Idempotency-Key: {}", "k".repeat(300)),
            ],
            Some(b"{\"x\":1}"),
        ),
        s(&[400]),
    ));
    v.push(case(
        "If-None-Match of 1000 tags",
        rq(
            "GET",
            &format!("{orgs}/{org}"),
            true,
            &[&format!("If-None-Match: {}", "W/\"1\", ".repeat(1000))],
            None,
        ),
        s(&[200, 304]),
    ));
    v.push(case(
        "If-Match garbage on PATCH",
        rq(
            "PATCH",
            &format!("{orgs}/{org}"),
            true,
            &[
                "Content-Type: application/json",
                "If-Match: \"'; DROP TABLE x; --\"",
            ],
            Some(b"{\"description\":\"changed\"}"),
        ),
        s(&[412]),
    ));

    // ---- credentials ----
    let b64 = |s: &str| {
        crate::support::basic(
            s.split_once(':').map(|p| p.0).unwrap_or(s),
            s.split_once(':').map(|p| p.1).unwrap_or(""),
        )
    };
    for (n, h) in [
        ("empty Bearer", "Authorization: Bearer ".to_string()),
        (
            "Bearer 600 characters",
            format!("Authorization: Bearer {}", "t".repeat(600)),
        ),
        (
            "Bearer with quote",
            "Authorization: Bearer org_' OR '1'='1".to_string(),
        ),
        (
            "Bearer with NUL",
            "Authorization: Bearer org_\0abc".to_string(),
        ),
        (
            "Token scheme garbage",
            "Authorization: Token %%%%".to_string(),
        ),
        (
            "unknown scheme",
            "Authorization: Negotiate abcdef".to_string(),
        ),
        ("scheme only", "Authorization: Basic".to_string()),
        (
            "Basic not base64",
            "Authorization: Basic !!!***".to_string(),
        ),
        (
            "Basic without colon",
            "Authorization: Basic bm9jb2xvbg==".to_string(),
        ),
        (
            "Basic invalid UTF-8",
            "Authorization: Basic //79/A==".to_string(),
        ),
    ] {
        let mut c = case(
            format!("credentials: {n}"),
            rq("GET", "/v1/me", false, &[&h], None),
            s(&[401]),
        );
        c.audit = true;
        if n == "Bearer with NUL" {
            c.expect = s(&[400, 401]);
        }
        v.push(c);
    }
    for (n, user_pass) in [
        ("Basic unknown user", "nobody:whatever-password"),
        ("Basic SQL in user", "' OR 1=1 --:x"),
        (
            "Basic 10 KiB password",
            &*format!("admin:{}", "p".repeat(10 * 1024)),
        ),
    ] {
        let mut c = case(
            format!("credentials: {n}"),
            rq(
                "GET",
                "/v1/me",
                false,
                &[&format!("Authorization: {}", b64(user_pass))],
                None,
            ),
            s(&[401, 429]),
        );
        c.audit = true;
        v.push(c);
    }

    // ---- paths: traversal and encoding tricks ----
    for p in [
        "/../../../etc/passwd",
        "/v1/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/v1/organizations/..%2F..%2Fhealthz",
        "/v1/organizations/%2e%2e",
        "/v1/organizations/..",
        "/v1/organizations/.",
        "/v1/./organizations/x",
        "/v1/users/%00",
        "/v1/organizations/%ff%fe",
        "/v1/organizations/%",
        "/v1/organizations/%zz",
        "/v1/organizations/%c0%af",
        "/v1/organizations/%e2%80%ae",
        "/v1/organizations/%2F",
        "/v1/organizations/Hostile%20Org%20A/../../users",
        "/V1/ORGANIZATIONS",
        "/v1/organizations/%27%20OR%20%271%27%3D%271",
        "/v1/organizations/%22%3B%20DROP%20TABLE%20organizations%3B%20--",
        "/v1/users/%27%20OR%201%3D1%20--",
        "/v1/organizations/hostile%25",
        "/v1/organizations/Hostile_Org_A",
        "/v1/organizations/%E2%80%8BHostile%20Org%20A",
        "/v1/invitations/..%2F..%2Fusers/accept",
        "/v1/tokens/..%2f..%2fusers",
        "/openapi.json/../../etc/passwd",
        "/healthz%00.json",
        "/healthz/",
        "/v1/organizations?page=0",
        "/v1/organizations?page=-1",
        "/v1/organizations?page=1e10",
        "/v1/organizations?page=9223372036854775807",
        "/v1/organizations?page=99999999999999999999",
        "/v1/organizations?page_size=99999999999999999999",
        "/v1/organizations?page_size=%00",
        "/v1/organizations?page=%27",
        "/v1/organizations?%ff=%fe",
        "/v1/organizations?=&=&&&",
        "/v1/organizations?search=%",
        "/v1/organizations?search",
    ] {
        let expect = match p {
            "/v1/organizations?search=%" => s(&[200, 400]),
            "/v1/organizations?search"
            | "/v1/organizations?=&=&&&"
            | "/v1/organizations?%ff=%fe" => s(&[200]),
            // Empty segments are dropped: this is /healthz.
            "/healthz/" => s(&[200]),
            // A page size above the maximum is clamped, however large (docs/API.md).
            "/v1/organizations?page_size=99999999999999999999" => s(&[200, 400]),
            _ if p.starts_with("/v1/organizations?") => s(&[400, 404]),
            _ => s(&[400, 404, 405]),
        };
        v.push(case(format!("path {p}"), get(p), expect));
    }
    // A raw space or quote in the request target breaks the request line.
    v.push(case("raw space in query", raw(&format!("GET /v1/users?username=' OR 1=1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nConnection: close\r\n\r\n")), Expect::TinyHttp));
    v.push(case("raw quote in query", raw(&format!("GET /v1/users?username='--&search=\"x\" HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nConnection: close\r\n\r\n")), s(&[200])));

    // ---- SQL metacharacters in every filter and order_by of every list ----
    let lists: Vec<(String, Vec<&str>, bool)> = vec![
        (
            "/v1/users".into(),
            vec![
                "username",
                "email",
                "is_active",
                "is_staff",
                "is_service_account",
                "search",
            ],
            true,
        ),
        (
            "/v1/organizations".into(),
            vec![
                "name",
                "native_name",
                "abbreviation",
                "customer",
                "owner",
                "currency_code",
                "search",
            ],
            true,
        ),
        (
            "/v1/customers".into(),
            vec!["name", "abbreviation", "search"],
            true,
        ),
        (
            "/v1/activity".into(),
            vec!["action", "object_type", "actor", "since", "until"],
            false,
        ),
        (
            format!("/v1/organizations/{org}/activity"),
            vec!["action", "object_type", "actor", "since", "until"],
            false,
        ),
        (
            format!("/v1/organizations/{org}/members"),
            vec!["role", "status", "is_active", "user", "search"],
            true,
        ),
        (
            format!("/v1/organizations/{org}/invitations"),
            vec!["email", "role", "status", "search"],
            true,
        ),
    ];
    for (path, filters, ordered) in &lists {
        for f in filters {
            for p in SQL {
                v.push(case(
                    format!("GET {path}?{f}={p:?}"),
                    get(&format!("{path}?{f}={}", enc(p))),
                    Expect::EmptyOr(vec![400]),
                ));
            }
        }
        for o in ORDER {
            let expect = if *ordered {
                s(&[400])
            } else if path == "/v1/activity" {
                // The activity feed has no order_by (always newest first): ignored.
                Expect::Ignored(path.clone())
            } else {
                s(&[200, 400])
            };
            v.push(case(
                format!("GET {path}?order_by={o:?}"),
                get(&format!("{path}?order_by={}", enc(o))),
                expect,
            ));
        }
        // A search term and several filters at once, all hostile.
        v.push(case(
            format!("GET {path} all filters hostile"),
            get(&format!(
                "{path}?{}",
                filters
                    .iter()
                    .map(|f| format!("{f}={}", enc("' OR 1=1 --")))
                    .collect::<Vec<_>>()
                    .join("&")
            )),
            Expect::EmptyOr(vec![400]),
        ));
    }
    // The members list by user (a uuid filter) with the seeded member: a control that
    // filters do work (count 1), so "count 0" above means something.
    v.push(case(
        "control: members?user=<seeded member>",
        get(&format!(
            "/v1/organizations/{org}/members?user={}",
            seed.member
        )),
        s(&[200]),
    ));
    v
}

/// A fingerprint of the database content: every row of every table (tokens' `last_used`
/// left out: it is touched at most once a minute on use), and, separately, the number of
/// `login_failed` audit rows.
fn fingerprint(c: &rusqlite::Connection) -> (u64, i64) {
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    };
    let mut h = DefaultHasher::new();
    let mut login_failed = 0;
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let n = names.len();
        let mut rows_out: Vec<String> = vec![];
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let mut line = String::new();
            let mut skip = false;
            for (i, name) in names.iter().enumerate().take(n) {
                if t == "tokens" && name == "last_used" {
                    continue;
                }
                let v = cell(r.get_ref(i).unwrap());
                if t == "activity" && name == "action" && v.contains("login_failed") {
                    skip = true;
                }
                line.push_str(&v);
                line.push('|');
            }
            if skip {
                login_failed += 1;
            } else {
                rows_out.push(line);
            }
        }
        rows_out.sort();
        t.hash(&mut h);
        rows_out.hash(&mut h);
    }
    (h.finish(), login_failed)
}

/// A cell as text (blobs in hex).
fn cell(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

fn open_db(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
        .expect("open the database read side")
}

fn data_version(c: &rusqlite::Connection) -> i64 {
    c.query_row("PRAGMA data_version", [], |r| r.get(0))
        .unwrap()
}

fn start(dir: &Path) -> (BinServer, PathBuf) {
    let db = dir.join("x.db");
    let srv = BinServer::spawn(
        &db,
        &dir.join("server.log"),
        &["--threads", "8"],
        &[("RUST_LOG", "warn")],
    );
    (srv, db)
}

fn is_orgreg(r: &Raw) -> bool {
    r.header("x-request-id").is_some()
}

#[test]
fn hostile_requests_get_no_5xx_and_change_nothing() {
    let dir = tempfile::TempDir::new().unwrap();
    let (mut srv, db) = start(dir.path());
    let seed = seed(&srv.url);
    let conn = open_db(&db);
    let mut version = data_version(&conn);
    let mut fp = fingerprint(&conn);
    let cases = cases(&seed);
    let mut problems: Vec<String> = vec![];
    let mut findings: Vec<String> = vec![];
    let started = Instant::now();
    let mut slowest_health = Duration::ZERO;
    for c in &cases {
        let ignored_base = match &c.expect {
            Expect::Ignored(p) => try_raw(srv.addr, &get(p), Duration::from_secs(2))
                .ok()
                .and_then(|r| r.json()["count"].as_i64())
                .unwrap_or(-1),
            _ => -1,
        };
        let outcome = try_raw(srv.addr, &c.bytes, c.timeout);
        let sent =
            String::from_utf8_lossy(&c.bytes[..c.bytes.len().min(120)]).replace("\r\n", "\\r\\n");
        let what = format!("[{}] (sent {} bytes: {:?}…)", c.name, c.bytes.len(), sent);
        match (&outcome, &c.expect) {
            (Ok(r), Expect::Status(ok)) if r.status == 505 && ok.contains(&505) => {}
            (Ok(r), _) if r.status >= 500 && r.status != 503 => {
                problems.push(format!("{what}: answered {} {}", r.status, String::from_utf8_lossy(&r.body)))
            }
            (Ok(r), Expect::TinyHttp) => {
                if !is_orgreg(r) {
                    findings.push(format!("{what}: answered {} without X-Request-Id ({:?})", r.status, r.head.lines().next().unwrap_or("")));
                }
            }
            (Ok(r), Expect::MayWait) => {
                if !is_orgreg(r) {
                    findings.push(format!("{what}: answered {} without X-Request-Id", r.status));
                }
            }
            (Ok(r), Expect::Status(ok)) => {
                if !ok.contains(&r.status) {
                    problems.push(format!("{what}: expected one of {ok:?}, got {} {}", r.status, String::from_utf8_lossy(&r.body[..r.body.len().min(300)])));
                } else if !is_orgreg(r) {
                    findings.push(format!("{what}: {} without X-Request-Id", r.status));
                }
            }
            (Ok(r), Expect::EmptyOr(ok)) => {
                if r.status == 200 {
                    let count = r.json()["count"].as_i64();
                    if count != Some(0) {
                        problems.push(format!("{what}: a filter that matches nothing returned count {count:?} (injection?)"));
                    }
                } else if !ok.contains(&r.status) {
                    problems.push(format!("{what}: expected 200 with count 0 or {ok:?}, got {} {}", r.status, String::from_utf8_lossy(&r.body)));
                }
            }
            (Ok(r), Expect::Ignored(_)) => {
                if r.status == 200 {
                    if r.json()["count"].as_i64() != Some(ignored_base) {
                        problems.push(format!("{what}: an ignored parameter changed the count to {}", r.json()["count"]));
                    }
                } else if r.status != 400 {
                    problems.push(format!("{what}: expected 200 (ignored) or 400, got {}", r.status));
                }
            }
            (Err(RawFail::Closed(got)), Expect::TinyHttp) => {
                findings.push(format!("{what}: connection closed without a response (received {got:?})"))
            }
            (Err(RawFail::Timeout(got)), Expect::MayWait) => findings.push(format!(
                "{what}: no response within {:?}: the server waits for the rest of the request, holding the connection (received {got:?})",
                c.timeout
            )),
            (Err(e), _) => problems.push(format!("{what}: {e}")),
        }
        // Every orgreg answer carries a clean X-Request-Id.
        if let Ok(r) = &outcome {
            if let Some(id) = r.header("x-request-id") {
                if id.chars().any(|ch| ch.is_control()) || id.len() > 200 {
                    problems.push(format!("{what}: unsafe X-Request-Id echoed: {id:?}"));
                }
            }
            if String::from_utf8_lossy(&r.body).contains("root:") {
                problems.push(format!("{what}: the body looks like /etc/passwd"));
            }
        }
        if !srv.alive() {
            problems.push(format!(
                "{what}: the server process died; log tail:\n{}",
                tail(&srv.log_text())
            ));
            break;
        }
        match try_raw(srv.addr, HEALTHZ, Duration::from_secs(2)) {
            Ok(h) if h.status == 200 => slowest_health = slowest_health.max(h.elapsed),
            Ok(h) => problems.push(format!("{what}: /healthz afterwards answered {}", h.status)),
            Err(e) => problems.push(format!("{what}: /healthz afterwards: {e}")),
        }
        let now = data_version(&conn);
        if now != version {
            version = now;
            let after = fingerprint(&conn);
            if after.0 != fp.0 || (!c.audit && after.1 != fp.1) {
                problems.push(format!(
                    "{what}: the database changed (rows {} → {}, login_failed {} → {})",
                    fp.0, after.0, fp.1, after.1
                ));
            }
            fp = after;
        }
    }
    println!(
        "hostile: {} requests in {:.1?}; slowest /healthz after one: {slowest_health:?}; {} problem(s), {} finding(s)",
        cases.len(),
        started.elapsed(),
        problems.len(),
        findings.len()
    );
    for f in &findings {
        println!("finding: {f}");
    }
    assert!(cases.len() >= 200, "at least 200 hostile requests");
    assert!(
        problems.is_empty(),
        "hostile requests: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Writes a request head declaring `declared` bytes and nothing more, and times the answer.
fn declare(addr: SocketAddr, declared: &str, extra: &str) -> (Result<Raw, RawFail>, TcpStream) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    let head = format!(
        "POST /v1/organizations HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {BIN_ADMIN_TOKEN}\r\nContent-Type: application/json\r\n{extra}Content-Length: {declared}\r\n\r\n"
    );
    let t = Instant::now();
    s.write_all(head.as_bytes()).unwrap();
    // Some body bytes right away, as a real uploader would.
    let _ = s.write_all(&[b' '; 16 * 1024]);
    (read_raw(&mut s, t, Duration::from_secs(3)), s)
}

#[test]
fn hostile_declared_oversized_bodies_get_413_fast_without_being_read() {
    let dir = tempfile::TempDir::new().unwrap();
    let (mut srv, _db) = start(dir.path());
    let mut problems = vec![];
    let mut worst = Duration::ZERO;
    for (declared, extra) in [
        ("10737418240", ""),
        ("18446744073709551615", ""),
        ("1048577", ""),
        ("10737418240", "Expect: 100-continue\r\n"),
        ("10737418240", "Connection: keep-alive\r\n"),
    ] {
        for _ in 0..4 {
            let (r, mut sock) = declare(srv.addr, declared, extra);
            match r {
                Ok(r) => {
                    worst = worst.max(r.elapsed);
                    if r.status != 413 {
                        problems.push(format!(
                            "Content-Length {declared} {extra:?}: expected 413, got {} ({:?})",
                            r.status, r.head
                        ));
                    }
                    if r.elapsed > Duration::from_millis(100) {
                        problems.push(format!(
                            "Content-Length {declared} {extra:?}: 413 took {:?} (limit 100 ms)",
                            r.elapsed
                        ));
                    }
                    // Not reading the body means letting go of the connection: EOF (or a
                    // reset) must follow, while our side keeps it open.
                    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                    let mut b = [0u8; 4096];
                    let t = Instant::now();
                    let closed = loop {
                        match std::io::Read::read(&mut sock, &mut b) {
                            Ok(0) => break true,
                            Ok(_) => continue,
                            Err(e)
                                if e.kind() == std::io::ErrorKind::WouldBlock
                                    || e.kind() == std::io::ErrorKind::TimedOut =>
                            {
                                break false
                            }
                            Err(_) => break true,
                        }
                    };
                    if !closed {
                        problems.push(format!(
                            "Content-Length {declared} {extra:?}: after the 413 the server kept the connection open for {:?} (still reading the declared body?)",
                            t.elapsed()
                        ));
                    }
                }
                Err(e) => problems.push(format!("Content-Length {declared} {extra:?}: {e}")),
            }
        }
    }
    // Forty uploads declaring 10 GB each, held open and trickling: no worker is tied up.
    let mut held = vec![];
    for _ in 0..40 {
        let (r, sock) = declare(srv.addr, "10737418240", "");
        if !matches!(&r, Ok(r) if r.status == 413) {
            problems.push(format!("held upload: expected 413, got {r:?}"));
        }
        held.push(sock);
    }
    for sock in held.iter_mut() {
        let _ = sock.write_all(&[b' '; 1024]);
    }
    let mut lat = vec![];
    for _ in 0..50 {
        match try_raw(srv.addr, HEALTHZ, Duration::from_secs(2)) {
            Ok(h) if h.status == 200 => lat.push(h.elapsed),
            other => problems.push(format!(
                "/healthz while 40 refused uploads are held: {other:?}"
            )),
        }
    }
    lat.sort();
    if let Some(max) = lat.last() {
        if *max > Duration::from_millis(100) {
            problems.push(format!(
                "/healthz took up to {max:?} while 40 refused uploads were held"
            ));
        }
    }
    if !srv.alive() {
        problems.push(format!("the server died; log:\n{}", tail(&srv.log_text())));
    }
    println!(
        "oversized: slowest 413 {worst:?}; /healthz with 40 held uploads: max {:?}",
        lat.last()
    );
    assert!(
        problems.is_empty(),
        "oversized bodies: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn hostile_http2_request_lines_are_answered_and_leak_no_thread_or_socket() {
    let dir = tempfile::TempDir::new().unwrap();
    let (mut srv, _db) = start(dir.path());
    let (threads0, fds0) = baseline(&srv);
    let mut problems = vec![];
    let mut findings = vec![];
    for line in [
        "GET /healthz HTTP/2.0",
        "GET /healthz HTTP/3.0",
        "PRI * HTTP/2.0",
    ] {
        let bytes = format!("{line}\r\nHost: t\r\nConnection: close\r\n\r\n");
        match try_raw(srv.addr, bytes.as_bytes(), Duration::from_secs(1)) {
            Ok(r) if r.status == 505 && is_orgreg(&r) => findings.push(format!("{line:?}: 505 in {:?}", r.elapsed)),
            Ok(r) if r.status < 500 => findings.push(format!("{line:?}: {} ", r.status)),
            Ok(r) => problems.push(format!("{line:?}: answered {}", r.status)),
            Err(e) => problems.push(format!("{line:?} + \"Host: t\" + \"Connection: close\": expected a 505 (or any answer) within 1 s; {e}")),
        }
    }
    // 300 more, each on its own connection, which the client then closes.
    let f = flood(
        &srv,
        b"GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n",
        300,
        Duration::from_millis(5500),
    );
    let (threads1, fds1, max) = (f.threads, f.fds, f.healthz_max);
    problems.extend(
        f.problems
            .iter()
            .map(|p| format!("after 300 HTTP/2.0 requests: {p}")),
    );
    if max > Duration::from_millis(100) {
        problems.push(format!(
            "/healthz after 300 HTTP/2.0 requests took up to {max:?}"
        ));
    }
    if threads1 > threads0 + 10 {
        problems.push(format!(
            "303 HTTP/2.0+ request lines, clients closed, 6 s later: server threads {threads0} → {threads1} (a connection thread or socket outlived its connection)"
        ));
    }
    if fds1 > fds0 + 10 {
        problems.push(format!(
            "303 HTTP/2.0+ request lines, clients closed: server file descriptors {fds0} → {fds1}"
        ));
    }
    if !srv.alive() {
        problems.push("the server died".into());
    }
    println!(
        "http2: threads {threads0} → {threads1}, fds {fds0} → {fds1}; /healthz after: max {max:?}; findings: {findings:?}"
    );
    assert!(
        problems.is_empty(),
        "HTTP/2.0 request lines: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Warms the server up and returns its settled (threads, file descriptors).
fn baseline(srv: &BinServer) -> (u64, usize) {
    for _ in 0..20 {
        let _ = try_raw(srv.addr, HEALTHZ, Duration::from_secs(2));
    }
    std::thread::sleep(Duration::from_millis(300));
    (srv.status_value("Threads").unwrap_or(0), srv.fd_count())
}

struct Flood {
    threads: u64,
    fds: usize,
    healthz_max: Duration,
    problems: Vec<String>,
}

/// Sends `bytes` on `n` connections, holds them 300 ms, closes them, waits `settle` and
/// measures threads, descriptors and 50 `/healthz`. (A connection's thread ends with it;
/// descriptors are released at once.)
fn flood(srv: &BinServer, bytes: &[u8], n: usize, settle: Duration) -> Flood {
    let mut problems = vec![];
    let mut socks = vec![];
    for _ in 0..n {
        match TcpStream::connect(srv.addr) {
            Ok(mut s) => {
                let _ = s.write_all(bytes);
                socks.push(s);
            }
            Err(e) => {
                problems.push(format!("connect: {e}"));
                break;
            }
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(socks);
    std::thread::sleep(settle);
    let threads = srv.status_value("Threads").unwrap_or(0);
    let fds = srv.fd_count();
    let mut max = Duration::ZERO;
    for _ in 0..50 {
        match try_raw(srv.addr, HEALTHZ, Duration::from_secs(2)) {
            Ok(h) if h.status == 200 => max = max.max(h.elapsed),
            other => problems.push(format!("/healthz: {other:?}")),
        }
    }
    Flood {
        threads,
        fds,
        healthz_max: max,
        problems,
    }
}

#[test]
fn hostile_refused_requests_leak_no_thread_or_socket() {
    // What is refused before routing (tiny_http handled these itself until issue 11), 300
    // connections of each, closed by the client afterwards: nothing may stay behind.
    let dir = tempfile::TempDir::new().unwrap();
    let (mut srv, _db) = start(dir.path());
    let (threads0, fds0) = baseline(&srv);
    let kinds: &[(&str, &[u8])] = &[
        ("broken request line (400)", b"GET\r\n\r\n"),
        ("header without colon (400)", b"GET /healthz HTTP/1.1\r\nNoColon\r\n\r\n"),
        ("non-ASCII header value (served)", b"GET /healthz HTTP/1.1\r\nX-A: \xc3\xa9\r\n\r\n"),
        ("Expect: teapot (417)", b"POST /v1/organizations HTTP/1.1\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}"),
        ("bare LF line ends (served)", b"GET /healthz HTTP/1.1\nHost: t\n\n"),
        ("half a request head (waits, 10 s at most)", b"GET /healthz HTTP/1.1\r\nHost: t\r\n"),
        ("half a small body (waits, 10 s at most)", b"POST /v1/organizations HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"),
    ];
    let mut problems = vec![];
    let mut figures = vec![];
    // Descriptors per kind (released at once when nothing leaks), threads once at the end
    // (a connection's thread ends when the client closes).
    for (name, bytes) in kinds {
        let f = flood(&srv, bytes, 300, Duration::from_millis(500));
        figures.push(format!(
            "{name}: fds {fds0} → {}, /healthz max {:?}",
            f.fds, f.healthz_max
        ));
        problems.extend(f.problems.iter().map(|p| format!("{name}: {p}")));
        if f.fds > fds0 + 10 {
            problems.push(format!(
                "{name}: after 300 such connections were closed, server fds {fds0} → {}",
                f.fds
            ));
        }
        if f.healthz_max > Duration::from_millis(100) {
            problems.push(format!(
                "{name}: /healthz afterwards took up to {:?}",
                f.healthz_max
            ));
        }
        if !srv.alive() {
            problems.push(format!("{name}: the server died"));
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(5500));
    let threads1 = srv.status_value("Threads").unwrap_or(0);
    figures.push(format!(
        "threads {threads0} → {threads1} (5.5 s after the last)"
    ));
    if threads1 > threads0 + 10 {
        problems.push(format!(
            "after 2100 refused connections were closed, server threads {threads0} → {threads1}"
        ));
    }
    println!("refusals:\n  {}", figures.join("\n  "));
    assert!(
        problems.is_empty(),
        "refusals: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
