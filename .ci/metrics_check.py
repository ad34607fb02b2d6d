#!/usr/bin/env python3
"""/metrics against a live server, read with the official Prometheus client's parser.

usage: metrics_check.py BASE_URL ADMIN_TOKEN

Scrapes once, sends known requests, scrapes again, and checks: the text parses with
prometheus_client.parser.text_string_to_metric_families; the families and types are the
documented ones; the route label is a template or `unmatched`, status three digits; the
counters moved by exactly the requests sent; the gauges are current; anonymous scrapes
are 401 and non-staff ones 403.
"""
import json
import re
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

BASE, ADMIN = sys.argv[1], sys.argv[2]


def call(method, path, token=None, body=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def scrape():
    status, headers, text = call("GET", "/metrics", ADMIN)
    assert status == 200, (status, text)
    ctype = headers.get("Content-Type", "")
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return families


def value(families, family, sample_name, **labels):
    f = families.get(family)
    if f is None:
        return 0.0
    for s in f.samples:
        if s.name == sample_name and s.labels == labels:
            return s.value
    return 0.0


def requests(families, method, route, status):
    return value(families, "orgreg_http_requests", "orgreg_http_requests_total",
                 method=method, route=route, status=str(status))


before = scrape()
expected_types = {
    "orgreg_http_requests": "counter",
    "orgreg_http_request_duration_seconds": "histogram",
    "orgreg_http_requests_in_flight": "gauge",
    "orgreg_writer_queue_depth": "gauge",
    "orgreg_writer_last_commit_seconds": "gauge",
    "orgreg_writer_commits": "counter",  # the parser names a counter's family without _total
    "orgreg_database_size_bytes": "gauge",
    "orgreg_organizations": "gauge",
    "orgreg_users": "gauge",
    "orgreg_members": "gauge",
}
for name, kind in expected_types.items():
    assert name in before, f"{name} missing: {sorted(before)}"
    assert before[name].type == kind, (name, before[name].type)

# Known traffic: a user, an organization, three reads of it, a miss, an unmatched path.
status, _, text = call("POST", "/v1/users", ADMIN, {"username": "metrics-ci", "password": "metrics-ci-password"})
assert status == 201, text
status, _, text = call("POST", "/v1/auth/login", None, {"username": "metrics-ci", "password": "metrics-ci-password"})
assert status == 201, text
user_token = json.loads(text)["token"]
status, _, text = call("POST", "/v1/organizations", user_token, {"name": "Metrics CI"})
assert status == 201, text
org = json.loads(text)["id"]
for _ in range(3):
    assert call("GET", f"/v1/organizations/{org}", user_token)[0] == 200
assert call("GET", "/v1/organizations/00000000000000000000000000000009", user_token)[0] == 404
assert call("GET", "/definitely/not/a/route/42")[0] == 404

after = scrape()
# The user, the login token and the organization were written: at least 3 commits.
commits = lambda f: value(f, "orgreg_writer_commits", "orgreg_writer_commits_total")
assert commits(after) - commits(before) >= 3, (commits(before), commits(after))
moved = lambda m, r, s: requests(after, m, r, s) - requests(before, m, r, s)
checks = {
    ("POST", "/v1/users", 201): 1,
    ("POST", "/v1/auth/login", 201): 1,
    ("POST", "/v1/organizations", 201): 1,
    ("GET", "/v1/organizations/{id}", 200): 3,
    ("GET", "/v1/organizations/{id}", 404): 1,
    ("GET", "unmatched", 404): 1,
}
for (m, r, s), n in checks.items():
    got = moved(m, r, s)
    assert got == n, f"{m} {r} {s}: moved {got}, expected {n}"

template = re.compile(r"^/[A-Za-z0-9_./{}-]*$")
for s in after["orgreg_http_requests"].samples:
    route = s.labels["route"]
    assert route == "unmatched" or template.match(route), route
    assert org not in route, route
    assert re.fullmatch(r"[1-5][0-9][0-9]", s.labels["status"]), s.labels
for s in after["orgreg_http_request_duration_seconds"].samples:
    assert s.labels["route"] == "unmatched" or s.labels["route"].startswith("/"), s.labels
inf = value(after, "orgreg_http_request_duration_seconds", "orgreg_http_request_duration_seconds_bucket",
            route="/v1/organizations/{id}", le="+Inf")
count = value(after, "orgreg_http_request_duration_seconds", "orgreg_http_request_duration_seconds_count",
              route="/v1/organizations/{id}")
assert inf == count >= 4, (inf, count)

g = lambda fam: after[fam].samples[0].value - before[fam].samples[0].value
assert g("orgreg_organizations") == 1
assert g("orgreg_users") == 1
assert g("orgreg_members") == 1
assert after["orgreg_http_requests_in_flight"].samples[0].value >= 1
sizes = {s.labels["file"]: s.value for s in after["orgreg_database_size_bytes"].samples}
assert sizes["db"] > 0, sizes

# Who may scrape.
assert call("GET", "/metrics")[0] == 401
assert call("GET", "/metrics", user_token)[0] == 403

print(f"metrics: {len(after)} families parsed by prometheus_client; counters, labels, gauges and auth as documented")
