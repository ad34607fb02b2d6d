#!/usr/bin/env python3
"""Drives the official AWX command-line client (PyPI awxkit, `awx`) against a running
orgreg and asserts what it sees: organizations list/create/get/modify/delete with a
token and with username/password (session login at POST /api/login/), and `awx login`.

Usage: awx_cli_check.py AWX_BINARY BASE_URL ADMIN_TOKEN ADMIN_PASSWORD
"""
import json
import subprocess
import sys

awx, base, token, password = sys.argv[1:5]
failures = 0
checks = 0


def run(auth, *args, expect_ok=True):
    cmd = [awx, "--conf.host", base, "--conf.color", "false", "-f", "json", *auth, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if expect_ok and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}: {p.stdout} {p.stderr}")
    out = p.stdout.strip()
    try:
        return p.returncode, json.loads(out) if out else None
    except json.JSONDecodeError:
        return p.returncode, out


def check(name, cond, detail=""):
    global failures, checks
    checks += 1
    if cond:
        print(f"ok   {name}")
    else:
        failures += 1
        print(f"FAIL {name} {detail}")


def scenario(label, auth):
    _, created = run(auth, "organizations", "create", "--name", f"awx-{label}", "--description", "made by awxkit")
    check(f"{label}: create returns the organization", isinstance(created, dict) and created.get("name") == f"awx-{label}", created)
    oid = str(created["id"])
    check(f"{label}: ids are integers", isinstance(created["id"], int), created)
    _, listed = run(auth, "organizations", "list")
    names = [o["name"] for o in listed["results"]]
    check(f"{label}: list shows it", f"awx-{label}" in names, names)
    _, filtered = run(auth, "organizations", "list", "--name", f"awx-{label}")
    check(f"{label}: list filters by name", filtered["count"] == 1, filtered)
    _, got = run(auth, "organizations", "get", oid)
    check(f"{label}: get by id", got["id"] == created["id"] and got["description"] == "made by awxkit", got)
    _, modified = run(auth, "organizations", "modify", oid, "--description", "changed")
    check(f"{label}: modify", modified["description"] == "changed", modified)
    _, got = run(auth, "organizations", "get", oid)
    check(f"{label}: modify is stored", got["description"] == "changed", got)
    rc, _ = run(auth, "organizations", "delete", oid)
    check(f"{label}: delete exits 0", rc == 0)
    rc, gone = run(auth, "organizations", "get", oid, expect_ok=False)
    check(f"{label}: deleted organization is gone", rc != 0, gone)


scenario("token", ["--conf.token", token])
scenario("password", ["--conf.username", "admin", "--conf.password", password])

_, login = run(["--conf.username", "admin", "--conf.password", password], "login")
personal = login.get("token") if isinstance(login, dict) else None
check("awx login returns a personal token", isinstance(personal, str) and personal.startswith("org_"), login)
if personal:
    _, listed = run(["--conf.token", personal], "organizations", "list")
    check("the personal token works", isinstance(listed, dict) and "count" in listed, listed)

rc, _ = run(["--conf.token", "org_wrongtoken"], "organizations", "list", expect_ok=False)
check("a wrong token fails", rc != 0)

print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
