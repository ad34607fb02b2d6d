#!/usr/bin/env python3
"""One round's verdict for the orgreg writer (called by run.sh; stdlib only).

Reads the EVENTS_FILE written by writer-orgreg.py and prints one line:

  failover: first write 2.4 s after the kill; 310 acknowledged writes, 0 lost; 503s: 37
  (0.0..2.3 s), 500s: 0, timeouts: 0, other failures: 0; slowest POST 2.1 s; /healthz:
  ok → unavailable → ok (...)

Exit status 1 (reasons on stderr) on any of: a 500 or any 5xx other than 503; a 503
without Retry-After; any other unexpected status (a 409 cannot happen: every attempt
has a new name); a 201 whose body does not name the organization sent; a request
without an answer (timeout past REQUEST_TIMEOUT, refused, reset); a /healthz answer
of the wrong shape or without an answer; /healthz not ok before the kill or not ok
again at the end; /healthz never non-ok although writes failed after the kill; lost
acknowledged writes (counted by run.sh); no acknowledged write after the kill.

usage: report-orgreg.py EVENTS KILL_TS OUTAGE_TS GAP ACKED LOST MAX_FAILOVER LABEL
  OUTAGE_TS: when the first write that failed after the kill was sent (KILL_TS if
  none failed); a process has recovered at its first 201 for a write sent after it,
  which must come within MAX_FAILOVER s of the kill for every process.
"""
import json
import sys


def main():
    events_file, kill, outage, gap, acked, lost, max_failover, label = sys.argv[1:9]
    kill, outage, acked, lost = float(kill), float(outage), int(acked), int(lost)
    max_failover = float(max_failover)
    posts, health = [], []
    for line in open(events_file, encoding="utf-8"):
        e = json.loads(line)
        (posts if e["kind"] == "post" else health).append(e)
    posts.sort(key=lambda e: e["sent"])
    health.sort(key=lambda e: e["done"])
    rel = lambda t: t - kill
    procs = sorted({e["proc"] for e in posts} | {e["proc"] for e in health})
    names = {p: chr(ord("A") + p) for p in procs}

    fails = []  # (time, text)
    def fail(e, text):
        fails.append((e.get("done", e["sent"]), f"{rel(e['sent']):+.2f} s {names[e['proc']]} {e['kind']}: {text}"))

    n503, n500, n5xx, timeouts, conn_err = 0, 0, 0, 0, 0
    ok_posts = [e for e in posts if e.get("status") == 201]
    for e in posts:
        st = e.get("status")
        if "error" in e:
            if "timed out" in e["error"] or "Timeout" in e["error"]:
                timeouts += 1
            else:
                conn_err += 1
            fail(e, f"no answer after {e['done'] - e['sent']:.2f} s ({e['error']}, reused connection: {e.get('reused')})")
        elif st == 201:
            if "bad_body" in e:
                fail(e, f"201 with a body not naming {e['name']}: {e['bad_body']}")
        elif st == 503:
            n503 += 1
            if not e.get("retry_after"):
                fail(e, f"503 without Retry-After: {e.get('body')}")
        elif st == 500:
            n500 += 1
            fail(e, f"500: {e.get('body')}")
        elif st >= 500:
            n5xx += 1
            fail(e, f"{st}: {e.get('body')}")
        else:
            fail(e, f"unexpected {st}: {e.get('body')}")
    slowest = max((e["done"] - e["sent"] for e in posts), default=0.0)
    slowest_h = max((e["done"] - e["sent"] for e in health), default=0.0)

    # /healthz: shape, per-process state sequence, non-ok window after the kill
    seqs, windows = {}, {}
    for e in health:
        if "error" in e:
            state = "no-answer"
            fail(e, f"no answer after {e['done'] - e['sent']:.2f} s ({e['error']})")
        else:
            state = e.get("state") or f"status-{e['status']}"
            if e.get("shape"):
                fail(e, f"{e['status']} {e['shape']}: {e.get('body')}")
            elif e["status"] == 503 and not e.get("retry_after"):
                fail(e, "503 without Retry-After")
        seq = seqs.setdefault(e["proc"], [])
        if not seq or seq[-1] != state:
            seq.append(state)
        if state != "ok" and e["done"] > kill:
            w = windows.setdefault(e["proc"], [e["done"], e["done"]])
            w[1] = e["done"]
    problems = [text for _, text in sorted(fails)]

    for p in procs:
        before = [e for e in health if e["proc"] == p and e["done"] < kill]
        if not before or before[-1].get("state") != "ok":
            problems.append(f"/healthz of {names[p]} was not ok just before the kill")
        mine = [e for e in health if e["proc"] == p]
        if not mine or mine[-1].get("state") != "ok":
            problems.append(f"/healthz of {names[p]} is not ok at the end ({seqs.get(p)})")

    # each process is back at its first 201 for a write sent after the outage began;
    # 503s of the outage: sent after the kill, answered before that process was back;
    # the others: orgreg answers 503 for a write that lost its serialization race 8
    # times in a row, outage or not
    back = {p: min((e["done"] for e in ok_posts if e["proc"] == p and e["sent"] > outage),
                   default=float("inf")) for p in procs}
    failed_after = [e for e in posts if e["sent"] > kill and e.get("status") != 201]
    for p in procs:
        if back[p] == float("inf"):
            problems.append(f"{names[p]} acknowledged no write sent after the outage began")
        elif rel(back[p]) > max_failover:
            problems.append(f"{names[p]} acknowledged its first write {rel(back[p]):.1f} s after the kill (> {max_failover:g} s)")
    if failed_after and not windows:
        problems.append(
            f"{len(failed_after)} writes failed after the kill "
            f"({rel(failed_after[0]['sent']):+.2f}..{rel(failed_after[-1]['done']):+.2f} s) "
            "but /healthz never reported a non-ok storage state")
    if lost:
        problems.append(f"{lost} acknowledged writes lost")

    health_txt = []
    for p in procs:
        s = " → ".join(seqs.get(p, ["(no sample)"]))
        if p in windows:
            s += f" (non-ok {rel(windows[p][0]):.1f}..{rel(windows[p][1]):.1f} s)"
        health_txt.append(f"{names[p]}: {s}")
    if not failed_after:
        health_txt.append("no write failed after the kill: the outage was too short to require non-ok")
    out503 = [rel(e["done"]) for e in posts
              if e.get("status") == 503 and e["sent"] > kill and e["done"] <= back[e["proc"]]]
    span = f" ({min(out503):.1f}..{max(out503):.1f} s)" if out503 else ""
    other503 = n503 - len(out503)
    backs = ", ".join(f"{names[p]} {rel(back[p]):.1f} s" for p in procs if back[p] != float("inf"))
    print(
        f"failover: first write {gap} s after the kill ({backs}); {acked} acknowledged writes, {lost} lost; "
        f"503s: {len(out503)}{span}"
        f"{f' + {other503} outside the outage' if other503 else ''}, "
        f"500s: {n500}, timeouts: {timeouts}, connection errors: {conn_err}, "
        f"other failed answers: {len(fails) - n500 - timeouts - conn_err}; "
        f"slowest POST {slowest:.1f} s, /healthz {slowest_h:.1f} s; "
        f"/healthz {'; '.join(health_txt)} ({label})"
    )
    if problems:
        print(f"FAIL ({len(problems)} problems):", file=sys.stderr)
        for t in problems[:40]:
            print("  " + t, file=sys.stderr)
        if len(problems) > 40:
            print(f"  ... and {len(problems) - 40} more", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
