"""The real ZenML client (PyPI `zenml`) against orgreg's ZenML Pro profile.

Usage: python zenml_check.py URL ADMIN_TOKEN

Runs ZenML's own Pro organization client (`zenml.login.pro.client.ZenMLProClient`)
against a live orgreg: list, get by id, get by name, a missing organization (KeyError),
a wrong token (CredentialsNotValid), and an API-key login (`POST /auth/login`). Prints
one line per check and a closing `N passed, N failed`; exits 1 on any failure.
"""

import asyncio
import json
import os
import sys
import tempfile
import urllib.request
import uuid

URL, ADMIN = sys.argv[1].rstrip("/"), sys.argv[2]

# ZenML reads these at import time: a throw-away config, no analytics.
os.environ["ZENML_CONFIG_PATH"] = tempfile.mkdtemp(prefix="zenml-config-")
os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
os.environ["ZENML_PRO_API_URL"] = URL
os.environ.setdefault("ZENML_LOGGING_VERBOSITY", "ERROR")

from zenml.exceptions import CredentialsNotValid  # noqa: E402
from zenml.login.credentials_store import get_credentials_store  # noqa: E402
from zenml.login.pro.client import ZenMLProClient  # noqa: E402

results = []


def check(name, fn):
    try:
        fn()
        results.append((name, None))
        print(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        results.append((name, e))
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def native(method, path, body=None, token=ADMIN):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def client_for(token):
    # ZenMLProClient is a process-wide singleton: forget the previous one (and its
    # session) before switching tokens; the URL string must be the same everywhere.
    ZenMLProClient._clear()
    get_credentials_store().set_bare_token(URL, token)
    return ZenMLProClient(URL)


# Fixtures through orgreg's native API: a user with an organization made through ZenML.
suffix = uuid.uuid4().hex[:8]
user = native("POST", "/v1/users", {"username": f"zen-{suffix}", "password": "zenml-check-password"})
login = native("POST", "/v1/auth/login", {"username": f"zen-{suffix}", "password": "zenml-check-password"}, token="")
token = login["token"]
name = f"ZenML Check {suffix}"
created = native("POST", "/organizations", {"name": name, "description": "made by zenml_check"}, token=token)
org_id = created["id"]


def listing():
    client = client_for(token)
    orgs = asyncio.run(client.organization.list(offset=0, limit=20))
    ids = [str(o.id) for o in orgs]
    assert org_id in ids, f"{org_id} not in {ids}"
    o = next(o for o in orgs if str(o.id) == org_id)
    assert o.name == name, o.name


def get_by_id():
    o = client_for(token).organization.get(org_id)
    assert str(o.id) == org_id and o.name == name, o


def get_by_name():
    o = client_for(token).organization.get(name)
    assert str(o.id) == org_id, o


def missing_is_key_error():
    try:
        client_for(token).organization.get(str(uuid.uuid4()))
    except KeyError:
        return
    raise AssertionError("no KeyError for a missing organization")


def wrong_token_is_credentials_not_valid():
    try:
        asyncio.run(client_for("org_" + "x" * 43).organization.list(offset=0, limit=20))
    except CredentialsNotValid:
        return
    raise AssertionError("no CredentialsNotValid for a wrong token")


def api_key_login():
    answer = ZenMLProClient.fetch_api_token(URL, token)
    assert answer.access_token and answer.access_token != token, answer
    orgs = asyncio.run(client_for(answer.access_token).organization.list(offset=0, limit=20))
    assert org_id in [str(o.id) for o in orgs]


check("list (bare array, offset/limit)", listing)
check("get by id", get_by_id)
check("get by name", get_by_name)
check("missing organization -> KeyError", missing_is_key_error)
check("wrong token -> CredentialsNotValid", wrong_token_is_credentials_not_valid)
check("API-key login -> bearer token", api_key_login)

failed = sum(1 for _, e in results if e is not None)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
