//! The count cache (`store::counts`): a list's `count` is kept between requests, yet
//! every acknowledged write shows in the very next list, whoever reads it.

use crate::support::*;
use serde_json::json;

fn count(s: &Server, path: &str, tok: &str) -> i64 {
    s.get(path, tok).ok(200)["count"].as_i64().unwrap()
}

#[test]
fn every_write_shows_in_the_next_count() {
    let s = Server::start();
    let (_, alice) = s.create_user("count-alice");
    let (bob_id, bob) = s.create_user("count-bob");
    let list = "/v1/organizations?page_size=2&search=counted";
    // Warm the cache: the same count served on several pages.
    for _ in 0..3 {
        assert_eq!(count(&s, list, &alice), 0);
        assert_eq!(count(&s, &format!("{list}&page=1"), &s.admin), 0);
    }
    let a = s.create_org(&alice, "Counted One");
    assert_eq!(count(&s, list, &alice), 1, "the caller's own create");
    assert_eq!(count(&s, list, &s.admin), 1, "another caller's view");
    s.create_org(&alice, "Counted Two");
    s.create_org(&alice, "Counted Three");
    for _ in 0..3 {
        assert_eq!(count(&s, list, &alice), 3);
        assert_eq!(count(&s, list, &bob), 0, "bob sees none of them");
    }
    // A membership changes what bob may see: the count follows at once.
    s.post(
        &format!("/v1/organizations/{a}/members"),
        &alice,
        json!({"user": bob_id, "role": "viewer"}),
    )
    .ok(201);
    assert_eq!(count(&s, list, &bob), 1);
    // A rename takes an organization out of the search; a delete out of the list.
    s.patch(
        &format!("/v1/organizations/{a}"),
        &alice,
        json!({"name": "Renamed"}),
    )
    .ok(200);
    assert_eq!(count(&s, list, &alice), 2);
    assert_eq!(count(&s, list, &bob), 0);
    assert_eq!(count(&s, "/v1/organizations?search=renamed", &alice), 1);
    s.delete(&format!("/v1/organizations/{a}"), &alice).ok(204);
    assert_eq!(count(&s, "/v1/organizations?search=renamed", &alice), 0);
    // The profiles' totals go through the same lists.
    let awx = s.get("/api/v2/organizations/?search=counted", &alice);
    assert_eq!(awx.ok(200)["count"], 2);
}
