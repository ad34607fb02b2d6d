#!/usr/bin/env python3
"""orgreg writer for .ci/patroni/run.sh (Python 3 stdlib only).

Creates organizations through the HTTP API of one or more running orgreg processes
(`POST /v1/organizations`, a new unique name per attempt) from a few threads, and
polls `GET /healthz` of every process every ~100 ms, until $STOP_FILE exists.

Writer contract (see README.md):
  PG_URL        unused here (the orgreg processes have it)
  ACKED_FILE    "NAME ACK_EPOCH SENT_EPOCH" appended ONLY for a 201 (ACK = answer read,
                SENT = request started)
  FAILED_FILE   "NAME SENT_EPOCH DONE_EPOCH STATUS" for every other outcome (STATUS
                "-" when orgreg gave no answer)
  STOP_FILE     stop once this file exists
  WRITER_TAG    unique per start; every name starts with it
  WRITER_LOG    free-form log (failures, a few 503 bodies)
orgreg-specific:
  ORGREG_URLS   space-separated base URLs (http://127.0.0.1:PORT ...)
  ORGREG_TOKEN  bearer token allowed to create organizations
  EVENTS_FILE   JSON line per outcome (POSTs and /healthz samples), read by
                report-orgreg.py
  WRITER_THREADS (4)  writer threads; thread k uses process k % n (n processes) and
                keeps its connection alive when k // n is even, else opens a new one
                per request: with 2 processes and 4 threads each process gets both
  REQUEST_TIMEOUT (10) seconds per request (connect + answer): beyond it a request
                counts as a hang
  WRITE_PAUSE (0.02) seconds between one thread's writes
  HEALTH_INTERVAL (0.1) seconds between /healthz samples of one process
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

ACKED_FILE = os.environ["ACKED_FILE"]
FAILED_FILE = os.environ.get("FAILED_FILE", "/dev/null")
STOP_FILE = os.environ["STOP_FILE"]
TAG = os.environ["WRITER_TAG"]
WRITER_LOG = os.environ.get("WRITER_LOG", "/dev/stderr")
URLS = os.environ["ORGREG_URLS"].split()
TOKEN = os.environ["ORGREG_TOKEN"]
EVENTS_FILE = os.environ["EVENTS_FILE"]
THREADS = int(os.environ.get("WRITER_THREADS", "4"))
TIMEOUT = float(os.environ.get("REQUEST_TIMEOUT", "10"))
PAUSE = float(os.environ.get("WRITE_PAUSE", "0.02"))
HEALTH_INTERVAL = float(os.environ.get("HEALTH_INTERVAL", "0.1"))

lock = threading.Lock()
acked = open(ACKED_FILE, "a", buffering=1)
failed = open(FAILED_FILE, "a", buffering=1)
events = open(EVENTS_FILE, "a", buffering=1)
wlog = open(WRITER_LOG, "a", buffering=1)
logged_503 = 0


def log(msg):
    with lock:
        wlog.write(f"{time.time():.3f} {msg}\n")


def event(**kw):
    line = json.dumps(kw, sort_keys=True)
    with lock:
        events.write(line + "\n")


def stopped():
    return os.path.exists(STOP_FILE)


def target(i):
    u = urllib.parse.urlsplit(URLS[i])
    return u.hostname, u.port


class Client:
    """One HTTP/1.1 connection to one orgreg, reopened when needed."""

    def __init__(self, proc, keep_alive):
        self.proc = proc
        self.keep_alive = keep_alive
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict lower-cased, body bytes, reused) or raises."""
        if self.conn is None or not self.keep_alive:
            self.close()
            host, port = target(self.proc)
            self.conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            reused = False
        else:
            reused = True
        h = dict(headers or {})
        if not self.keep_alive:
            h["Connection"] = "close"
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if r.will_close or not self.keep_alive:
                self.close()
            return r.status, hdrs, data, reused
        except BaseException as e:
            self.close()
            e.reused = reused
            raise

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


def writer(k):
    global logged_503
    proc = k % len(URLS)
    keep_alive = (k // len(URLS)) % 2 == 0
    c = Client(proc, keep_alive)
    i = 0
    while not stopped():
        i += 1
        name = f"{TAG}-t{k}-{i}"
        body = json.dumps({"name": name}).encode()
        sent = time.time()
        ev = {"kind": "post", "proc": proc, "thread": k, "ka": keep_alive, "name": name, "sent": sent}
        try:
            status, hdrs, data, reused = c.request(
                "POST",
                "/v1/organizations",
                body=body,
                headers={
                    "Authorization": f"Bearer {TOKEN}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            done = time.time()
            ev.update(status=status, done=done, reused=reused)
            if status == 201:
                try:
                    got = json.loads(data)
                    ok = got.get("name") == name and bool(got.get("id"))
                except ValueError:
                    ok = False
                if ok:
                    with lock:
                        acked.write(f"{name} {done:.6f} {sent:.6f}\n")
                else:
                    ev["bad_body"] = data[:300].decode("utf-8", "replace")
                    log(f"201 with an unexpected body for {name}: {ev['bad_body']}")
            else:
                ev["retry_after"] = hdrs.get("retry-after")
                ev["body"] = data[:300].decode("utf-8", "replace")
                if status != 503 or logged_503 < 5 or "retry-after" not in hdrs:
                    if status == 503:
                        logged_503 += 1
                    log(f"{status} for {name} (proc {proc}, retry-after {hdrs.get('retry-after')}): {ev['body']}")
        except Exception as e:  # timeout, refused, reset: orgreg itself did not answer
            done = time.time()
            ev.update(error=f"{type(e).__name__}: {e}", done=done, reused=getattr(e, "reused", None))
            log(f"no answer for {name} (proc {proc}, {done - sent:.2f} s): {ev['error']}")
        if ev.get("status") != 201 or "bad_body" in ev:
            with lock:
                failed.write(f"{name} {sent:.6f} {ev['done']:.6f} {ev.get('status', '-')}\n")
        event(**ev)
        time.sleep(PAUSE)
    c.close()


def poller(proc):
    c = Client(proc, keep_alive=True)
    while not stopped():
        sent = time.time()
        ev = {"kind": "health", "proc": proc, "sent": sent}
        try:
            status, hdrs, data, reused = c.request("GET", "/healthz", headers={"Accept": "application/json"})
            ev.update(status=status, done=time.time(), retry_after=hdrs.get("retry-after"))
            try:
                got = json.loads(data)
            except ValueError:
                got = None
            ev["shape"] = shape_error(status, got)
            storage = got.get("storage") if isinstance(got, dict) else None
            ev["state"] = storage.get("state") if isinstance(storage, dict) else None
            if ev["shape"]:
                ev["body"] = data[:300].decode("utf-8", "replace")
                log(f"/healthz of proc {proc}: {ev['shape']}: {status} {ev['body']}")
        except Exception as e:
            ev.update(error=f"{type(e).__name__}: {e}", done=time.time())
            log(f"/healthz of proc {proc}: no answer: {ev['error']}")
        event(**ev)
        time.sleep(max(0.0, HEALTH_INTERVAL - (time.time() - sent)))
    c.close()


def shape_error(status, got):
    """None when the /healthz answer has the documented shape, else what is wrong."""
    if not isinstance(got, dict) or set(got) != {"status", "storage"}:
        return "not {status, storage}"
    st = got["storage"]
    if not isinstance(st, dict) or set(st) != {"engine", "state"} or st["engine"] != "postgresql":
        return "storage is not {engine: postgresql, state}"
    if status == 200:
        if got["status"] != "ok" or st["state"] != "ok":
            return "200 but not ok"
    elif status == 503:
        if got["status"] != "unavailable" or st["state"] not in ("unavailable", "read-only"):
            return "503 but status/state not unavailable/(unavailable|read-only)"
    else:
        return f"status {status}"
    return None


def main():
    threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in range(THREADS)]
    threads += [threading.Thread(target=poller, args=(p,), daemon=True) for p in range(len(URLS))]
    log(f"start: {THREADS} writer threads over {len(URLS)} orgreg processes {URLS}")
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log("stop")


if __name__ == "__main__":
    sys.exit(main())
