//! The server's own guarantees: a panicking handler is answered 500 (problem+json with the
//! request id) and the worker lives on.

use crate::support::*;

#[test]
fn handler_panic_is_500_with_request_id_and_workers_keep_serving() {
    // Two workers, five panics: if a panic killed its worker, later requests would hang.
    let s = Server::with(|c| c.threads = 2);
    for i in 0..5 {
        let id = format!("panic-{i}");
        let r = s
            .call("GET", "/v1/_test/panic")
            .header("X-Request-Id", &id)
            .send();
        r.problem(500);
        assert_eq!(r.header("x-request-id"), Some(id.as_str()));
        assert_eq!(r["request_id"], id.as_str());
        assert!(
            !r.text.contains("deliberate"),
            "the panic message must not reach the client: {}",
            r.text
        );
    }
    for _ in 0..6 {
        let r = s.get("/healthz", "");
        r.ok(200);
        assert_eq!(r["status"], "ok");
    }
    // Authenticated, database-backed requests still work too.
    let r = s.get("/v1/me", &s.admin);
    r.ok(200);
    assert_eq!(r["username"], "admin");
}

#[test]
fn concurrent_panics_do_not_take_the_server_down() {
    let s = Server::with(|c| c.threads = 2);
    let url = s.url.clone();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(
                move || match agent().get(&format!("{url}/v1/_test/panic")).call() {
                    Err(ureq::Error::Status(code, _)) => code,
                    Ok(r) => r.status(),
                    Err(e) => panic!("transport error: {e}"),
                },
            )
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 500);
    }
    s.get("/healthz", "").ok(200);
    s.get("/v1/me", &s.admin).ok(200);
}
