#!/usr/bin/env python3
"""Proves docs/nginx.conf: starts orgreg and nginx with that config (upstream and port
substituted) and checks that requests pass through and that the limits it sets
are enforced at the proxy: slow request heads are cut, huge header lines and bodies over
1 MiB are refused before orgreg sees them.

Usage: proxy_check.py ORGREG_BINARY NGINX_BINARY
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

orgreg_bin, nginx_bin = sys.argv[1:3]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp(prefix="orgreg-proxy-")
os.makedirs(os.path.join(work, "logs"))
TOKEN = "org_proxy_check_admin_token_0123456789abcdefghij"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


up, front = free_port(), free_port()
env = dict(os.environ, ORGREG_ADMIN_TOKEN=TOKEN)
orgreg = subprocess.Popen([orgreg_bin, "serve", "--db", os.path.join(work, "p.db"), "--listen", f"127.0.0.1:{up}"],
                          env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "orgreg.log"), "w"))
conf = open(os.path.join(root, "docs", "nginx.conf")).read()
conf = conf.replace("ORGREG_UPSTREAM", f"127.0.0.1:{up}").replace("LISTEN_PORT", f"127.0.0.1:{front}")
conf_path = os.path.join(work, "nginx.conf")
open(conf_path, "w").write(conf)
nginx = subprocess.Popen([nginx_bin, "-p", work, "-c", conf_path, "-g",
                          f"daemon off; pid {work}/nginx.pid; error_log {work}/logs/error.log;"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def get(path, headers=None, data=None, method=None):
    req = urllib.request.Request(f"http://127.0.0.1:{front}{path}", data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


try:
    for _ in range(100):
        try:
            if get("/healthz")[0] == 200:
                break
        except Exception:
            pass
        time.sleep(0.1)
    status, headers, body = get("/healthz")
    check("healthz passes through the proxy", status == 200 and json.loads(body)["status"] == "ok", (status, body))
    status, headers, body = get("/v1/me", {"Authorization": f"Bearer {TOKEN}"})
    check("authenticated requests pass through", status == 200 and json.loads(body)["username"] == "admin", status)
    check("X-Request-Id comes back", "X-Request-Id" in headers, headers)
    status, _, _ = get("/v1/organizations", {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
                       data=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', method="POST")
    check("a body over 1 MiB is refused at the proxy (413)", status == 413, status)
    status, _, _ = get("/healthz", {"X-Huge": "a" * 20000})
    check("a 20 KB header line is refused at the proxy", status in (400, 414, 431, 494), status)

    # A client that sends half a request head and stalls is cut after client_header_timeout.
    s = socket.create_connection(("127.0.0.1", front))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    s.settimeout(20)
    started = time.time()
    data = b""
    try:
        while True:  # nginx closes the connection (logging 408) when the timeout fires
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    waited = time.time() - started
    check("a stalled request head is cut within ~10 s", 8 <= waited <= 15, f"waited {waited:.1f}s, got {data[:60]!r}")
    s.close()
    # nginx answers request lines with HTTP/2.0 or higher itself (orgreg answers them
    # 505 too since issue 11; under tiny_http 0.12 they hung).
    for line in (b"GET /healthz HTTP/2.0", b"PRI * HTTP/2.0", b"GET /healthz HTTP/3.0"):
        s = socket.create_connection(("127.0.0.1", front))
        s.settimeout(5)
        s.sendall(line + b"\r\nHost: x\r\n\r\n")
        try:
            head = s.recv(64)
        except socket.timeout:
            head = b""
        s.close()
        check(f"{line.decode()} is answered by the proxy", head.startswith(b"HTTP/1.1 4") or head.startswith(b"HTTP/1.1 5"), head)
    status, _, _ = get("/healthz")
    check("orgreg still answers through the proxy", status == 200, status)
finally:
    nginx.terminate()
    orgreg.terminate()
    nginx.wait(10)
    orgreg.wait(10)

print(f"proxy: {passed} checks passed, {failed} failed")
sys.exit(1 if failed else 0)
