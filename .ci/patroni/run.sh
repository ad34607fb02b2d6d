#!/usr/bin/env bash
# Failover proof harness (orgreg issue 13): etcd + 3 Patroni/PostgreSQL 15 nodes on
# loopback, 2 orgreg processes on the libpq multi-host URL, writers creating
# organizations through both, SIGKILL of the primary's postmaster, then: orgreg answers
# 503 with Retry-After (never 500, never no answer within REQUEST_TIMEOUT) during the
# outage, each orgreg acknowledges a write again <= MAX_FAILOVER s after the kill,
# every acknowledged write is stored on the new primary, and /healthz went non-ok and
# back to ok. The first write after the kill (printed) is the first acknowledged one
# sent after the first failed one. See README.md beside this.
#
# Usage: .ci/patroni/run.sh [--rounds N]       (or env ROUNDS=N)
# Env:   WRITER       orgreg (default) or psql (psql INSERTs straight into PostgreSQL)
#        ORGREG_BIN   orgreg binary (default: cargo build --release at the repo root)
#        WRITER_CMD   writer command (default: writer-orgreg.py / writer-psql.sh beside
#                     this script)
#        VERIFY_SQL   SQL returning every stored write id, one per row (default:
#                     SELECT name FROM organizations / SELECT id FROM writes)
#        WARMUP (3) / AFTER (3) seconds of writing before / after the failover,
#        MAX_FAILOVER (30) seconds, SYNC_STRICT (false|true), KEEP=1 keeps the temp dir;
#        WRITER_THREADS (4), REQUEST_TIMEOUT (10) go to writer-orgreg.py;
#        ORGREG_START (together|staggered) how the 2 orgreg processes start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

ROUNDS=${ROUNDS:-1}
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --rounds=*) ROUNDS=${1#*=}; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
WRITER=${WRITER:-orgreg}
case "$WRITER" in
  orgreg)
    WRITER_CMD=${WRITER_CMD:-"python3 '$here/writer-orgreg.py'"}
    VERIFY_SQL=${VERIFY_SQL:-"SELECT name FROM organizations"} ;;
  psql)
    WRITER_CMD=${WRITER_CMD:-"'$here/writer-psql.sh'"}
    VERIFY_SQL=${VERIFY_SQL:-"SELECT id FROM writes"} ;;
  *) echo "WRITER must be orgreg or psql, not $WRITER" >&2; exit 2 ;;
esac
export REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-10}
ORGREG_START=${ORGREG_START:-together}  # or staggered: the 2nd orgreg starts once the 1st is up
case "$ORGREG_START" in together|staggered) ;; *) echo "ORGREG_START must be together or staggered" >&2; exit 2 ;; esac
WARMUP=${WARMUP:-3}
AFTER=${AFTER:-3}
MAX_FAILOVER=${MAX_FAILOVER:-30}
SYNC_STRICT=${SYNC_STRICT:-false}   # true: never commit without a sync standby (see README)
PGBIN=/usr/lib/postgresql/15/bin
N=3
t0=$EPOCHREALTIME

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[%5ss] %s\n' "$(elapsed "$t0" "$EPOCHREALTIME")" "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

# --- 1. packages -----------------------------------------------------------------
if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q patroni etcd-server >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q patroni etcd-server >/dev/null; }
fi
# The Debian packages ship enabled services; make sure none of them runs beside us.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  for svc in patroni etcd; do
    if systemctl is-active --quiet "$svc" 2>/dev/null || systemctl is-enabled --quiet "$svc" 2>/dev/null; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
  done
fi
[ -x "$PGBIN/postgres" ] || die "PostgreSQL 15 not found in $PGBIN"

# --- orgreg (before any cluster exists: a build can take minutes) ---------------------------
if [ "$WRITER" = orgreg ]; then
  if [ -n "${ORGREG_BIN:-}" ]; then
    ORGREG_BIN=$(cd "$(dirname "$ORGREG_BIN")" && pwd)/$(basename "$ORGREG_BIN")
  else
    repo=$(cd "$here/../.." && pwd)
    build_log=$(mktemp)
    (cd "$repo" && cargo build --release --locked) >"$build_log" 2>&1 \
      || { tail -n 30 "$build_log" >&2; rm -f "$build_log"; die "cargo build --release failed"; }
    rm -f "$build_log"
    target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    ORGREG_BIN=$target_dir/release/orgreg
  fi
  [ -x "$ORGREG_BIN" ] || die "no orgreg binary at $ORGREG_BIN"
  log "orgreg: $ORGREG_BIN ($("$ORGREG_BIN" --version 2>/dev/null || echo '?'))"
fi

# --- temp dir, cleanup -------------------------------------------------------------
work=$(mktemp -d /tmp/orgreg-patroni.XXXXXX)
chmod 755 "$work"
etcd_pid=""
writer_pid=""
declare -a patroni_pid=()
declare -a orgreg_pid=()
declare -a orgreg_url=()
declare -a orgreg_exit=()

stop_writer() {
  [ -n "$writer_pid" ] || return 0
  touch "$work/stop"
  for _ in $(seq 1 100); do kill -0 "$writer_pid" 2>/dev/null || break; sleep 0.1; done
  kill -TERM -- "-$writer_pid" 2>/dev/null || true
  wait "$writer_pid" 2>/dev/null || true
  writer_pid=""
}

# SIGTERM, then SIGKILL after 5 s; the exit statuses go to orgregN.log
stop_orgregs() {
  local j p
  for j in "${!orgreg_pid[@]}"; do kill -TERM "${orgreg_pid[$j]}" 2>/dev/null; done
  for _ in $(seq 1 50); do
    p=0
    for j in "${!orgreg_pid[@]}"; do kill -0 "${orgreg_pid[$j]}" 2>/dev/null && p=1; done
    [ $p = 0 ] && break
    sleep 0.1
  done
  for j in "${!orgreg_pid[@]}"; do
    if kill -0 "${orgreg_pid[$j]}" 2>/dev/null; then
      kill -KILL "${orgreg_pid[$j]}" 2>/dev/null
      echo "(harness: no exit 5 s after SIGTERM; SIGKILLed)" >>"$work/orgreg$j.log"
    fi
    wait "${orgreg_pid[$j]}" 2>/dev/null
    orgreg_exit[$j]=$?
    echo "(harness: exit status ${orgreg_exit[$j]})" >>"$work/orgreg$j.log"
  done
  orgreg_pid=()
}

cleanup() {
  local rc=$?
  set +e
  stop_writer
  stop_orgregs
  # Throwaway cluster: no graceful Patroni shutdown (it takes ~10 s while the nodes
  # chase the leader key). Kill Patroni, then stop each postmaster in immediate mode.
  for f in "$work"/node*/patroni.pid; do [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done
  pms=()
  for i in $(seq 1 $N); do
    f="$work/node$i/data/postmaster.pid"
    [ -f "$f" ] && pms+=("$(head -n 1 "$f")")
  done
  for p in "${pms[@]}"; do kill -QUIT "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do
    alive=0
    for p in "${pms[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pms[@]}"; do kill -KILL "$p" 2>/dev/null; done
  [ -n "$etcd_pid" ] && { kill -TERM "$etcd_pid" 2>/dev/null; wait "$etcd_pid" 2>/dev/null; }
  if [ $rc -ne 0 ]; then
    echo "== failure (exit $rc); log tails from $work ==" >&2
    for f in "$work"/etcd.log "$work"/node*.log "$work"/writer*.log "$work"/orgreg*.log; do
      [ -f "$f" ] && { echo "--- $f" >&2; tail -n 25 "$f" >&2; }
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- free ports ------------------------------------------------------------------------
read -r etcd_client etcd_peer rest1 rest2 rest3 pg1 pg2 pg3 < <(python3 - <<'PY'
import socket
socks = []
for _ in range(8):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
rest=("" "$rest1" "$rest2" "$rest3")
pgport=("" "$pg1" "$pg2" "$pg3")

su_pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
repl_pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
app_pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')

# --- 2. etcd (v3 API; Patroni's etcd3 section talks to its gRPC gateway over HTTP) ---
etcd --name ci0 --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "ci0=http://127.0.0.1:$etcd_peer" --initial-cluster-state new \
  >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$etcd_client/health" 2>/dev/null | grep -q '"health":"true"' && break
  kill -0 "$etcd_pid" 2>/dev/null || die "etcd exited"
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$etcd_client/health" | grep -q '"health":"true"' || die "etcd not healthy"
log "etcd up on 127.0.0.1:$etcd_client"

# --- 3. three Patroni nodes ---------------------------------------------------------------
for i in $(seq 1 $N); do
  d="$work/node$i"
  mkdir -p "$d"
  cat >"$d/patroni.yml" <<EOF
scope: orgreg-ci
namespace: /orgreg-ci/
name: node$i
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${rest[$i]}
  connect_address: 127.0.0.1:${rest[$i]}
etcd3:
  hosts: 127.0.0.1:$etcd_client
bootstrap:
  dcs:
    ttl: 6
    loop_wait: 1
    retry_timeout: 2
    maximum_lag_on_failover: 1048576
    primary_start_timeout: 0
    synchronous_mode: true
    synchronous_mode_strict: $SYNC_STRICT
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: 'on'
        hot_standby: 'on'
        max_connections: 100
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
postgresql:
  listen: 127.0.0.1:${pgport[$i]}
  connect_address: 127.0.0.1:${pgport[$i]}
  data_dir: $d/data
  bin_dir: $PGBIN
  pgpass: $d/pgpass
  authentication:
    superuser:
      username: postgres
      password: $su_pass
    replication:
      username: replicator
      password: $repl_pass
  parameters:
    unix_socket_directories: '$d'
    password_encryption: scram-sha-256
  pg_hba:
    - local all postgres peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all postgres 127.0.0.1/32 scram-sha-256
    - host orgreg orgreg 127.0.0.1/32 scram-sha-256
  basebackup:
    - checkpoint: fast
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
watchdog:
  mode: off
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
done
chown -R postgres: "$work"
chmod 700 "$work"/node*

for i in $(seq 1 $N); do
  runuser -u postgres -- bash -c 'echo $$ >"$1/patroni.pid"; exec patroni "$1/patroni.yml"' _ "$work/node$i" \
    >"$work/node$i.log" 2>&1 &
done
for i in $(seq 1 $N); do
  for _ in $(seq 1 50); do [ -s "$work/node$i/patroni.pid" ] && break; sleep 0.1; done
  patroni_pid+=("$(cat "$work/node$i/patroni.pid")")
done

# index (1..N) of the node whose REST API says it is the primary, or empty
leader_index() {
  local i
  for i in $(seq 1 $N); do
    if [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:${rest[$i]}/primary")" = 200 ]; then
      echo "$i"; return 0
    fi
  done
  return 0
}
su_psql() { # su_psql NODE_INDEX SQL...
  local i=$1; shift
  PGPASSWORD=$su_pass psql "host=127.0.0.1 port=${pgport[$i]} user=postgres dbname=postgres connect_timeout=2" \
    -qAtX -v ON_ERROR_STOP=1 "$@"
}
# wait (up to $1 s) for one leader with 2 streaming replicas, one of them sync
wait_healthy() {
  local deadline=$((SECONDS + $1)) l st
  while [ $SECONDS -lt $deadline ]; do
    l=$(leader_index)
    if [ -n "$l" ]; then
      st=$(su_psql "$l" -c "SELECT count(*) FILTER (WHERE state = 'streaming') || ' ' || count(*) FILTER (WHERE sync_state = 'sync') FROM pg_stat_replication" 2>/dev/null || true)
      if [ "$st" = "2 1" ]; then echo "$l"; return 0; fi
    fi
    for p in "${patroni_pid[@]}"; do kill -0 "$p" 2>/dev/null || die "a Patroni process exited"; done
    sleep 0.5
  done
  patronictl -c "$work/node1/patroni.yml" list >&2 || true
  die "no leader with 2 streaming replicas (1 sync) within $1 s"
}

leader=$(wait_healthy 120)
log "cluster up: leader node$leader, 2 streaming replicas (1 sync)"
patronictl -c "$work/node1/patroni.yml" list

# --- 4. app role, database, table -------------------------------------------------------------
su_psql "$leader" -c "CREATE ROLE orgreg LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$app_pass'"
su_psql "$leader" -c "CREATE DATABASE orgreg OWNER orgreg"
# Sync replication waits for the standby's flush, not its replay; libpq does not try the
# next host after a startup FATAL such as "database does not exist", so wait until every
# node has replayed the role and the database.
for i in $(seq 1 $N); do
  for _ in $(seq 1 100); do
    [ "$(su_psql "$i" -c "SELECT count(*) FROM pg_database WHERE datname = 'orgreg'" 2>/dev/null)" = 1 ] && break
    sleep 0.1
  done
  [ "$(su_psql "$i" -c "SELECT count(*) FROM pg_database WHERE datname = 'orgreg'")" = 1 ] \
    || die "node$i did not replay CREATE DATABASE"
done

# --- 5. URL and writer ------------------------------------------------------------------------
PG_URL="postgresql://orgreg:$app_pass@127.0.0.1:$pg1,127.0.0.1:$pg2,127.0.0.1:$pg3/orgreg?target_session_attrs=read-write&connect_timeout=2"
echo "URL: $PG_URL"
[ "$(psql "$PG_URL" -qAtX -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" = f ] \
  || die "orgreg role must not be a superuser"
if [ "$WRITER" = psql ]; then
  psql "$PG_URL" -qAtX -v ON_ERROR_STOP=1 -c \
    "CREATE TABLE writes (id text PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())"
fi

# --- 5b. two orgreg processes started together on the empty database: both run the
# migrations and the bootstrap admin at once (advisory lock; SERIALIZABLE) ---------------
token=""
if [ "$WRITER" = orgreg ]; then
  token="org_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  start_orgreg() { # start_orgreg J
    RUST_LOG=${RUST_LOG:-info} ORGREG_ADMIN_TOKEN=$token \
      "$ORGREG_BIN" serve --db "$PG_URL" --listen 127.0.0.1:0 >"$work/orgreg$1.log" 2>&1 &
    orgreg_pid[$1]=$!
  }
  wait_orgreg() { # wait_orgreg J: its port from the log, then /healthz 200 and the token works
    local j=$1 port="" code="" st
    for _ in $(seq 1 300); do
      port=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/orgreg$j.log" | head -n 1 | sed 's/.*://' || true)
      [ -n "$port" ] && break
      if ! kill -0 "${orgreg_pid[$j]}" 2>/dev/null; then
        st=0; wait "${orgreg_pid[$j]}" || st=$?
        unset "orgreg_pid[$j]"
        echo "(harness: exited at start, status $st)" >>"$work/orgreg$j.log"
        die "orgreg $j exited at start (status $st, started $ORGREG_START): $(grep -v '^\[' "$work/orgreg$j.log" | tail -n 1)"
      fi
      sleep 0.1
    done
    [ -n "$port" ] || die "orgreg $j not listening within 30 s"
    orgreg_url[$j]="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
      code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "${orgreg_url[$j]}/healthz" || true)
      [ "$code" = 200 ] && break
      sleep 0.1
    done
    [ "$code" = 200 ] || die "orgreg $j: /healthz answers $code, not 200"
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H "Authorization: Bearer $token" \
      "${orgreg_url[$j]}/v1/organizations" || true)
    [ "$code" = 200 ] || die "orgreg $j: GET /v1/organizations with the admin token answers $code"
  }
  if [ "$ORGREG_START" = together ]; then
    start_orgreg 1; start_orgreg 2; wait_orgreg 1; wait_orgreg 2
  else
    start_orgreg 1; wait_orgreg 1; start_orgreg 2; wait_orgreg 2
  fi
  made=$(cat "$work"/orgreg[12].log | grep -c "created staff user" || true)
  staff=$(psql "$PG_URL" -qAtX -c "SELECT count(*) FROM users WHERE is_staff = 1")
  [ "$made" = 1 ] && [ "$staff" = 1 ] \
    || die "bootstrap ($ORGREG_START): $made processes say they created the admin, $staff staff users stored (want 1 and 1)"
  log "orgreg up: ${orgreg_url[1]} (pid ${orgreg_pid[1]}), ${orgreg_url[2]} (pid ${orgreg_pid[2]}); started $ORGREG_START, one bootstrap admin"
fi

start_writer() { # start_writer ROUND
  rm -f "$work/stop"
  : >"$work/acked$1"
  : >"$work/failed$1"
  PG_URL=$PG_URL ACKED_FILE="$work/acked$1" FAILED_FILE="$work/failed$1" STOP_FILE="$work/stop" WRITER_TAG="r$1" \
    WRITER_LOG="$work/writer$1.log" EVENTS_FILE="$work/events$1.jsonl" \
    ORGREG_URLS="${orgreg_url[*]}" ORGREG_TOKEN="$token" \
    setsid bash -c "$WRITER_CMD" >>"$work/writer$1.log" 2>&1 &
  writer_pid=$!
}

# --- 6./7. rounds ---------------------------------------------------------------------------------
summary=()
for round in $(seq 1 "$ROUNDS"); do
  start_writer "$round"
  sleep "$WARMUP"
  kill -0 "$writer_pid" 2>/dev/null || die "writer exited early"
  [ -s "$work/acked$round" ] || die "writer acknowledged nothing in ${WARMUP}s"
  old=$(leader_index)
  [ -n "$old" ] || die "no primary before the kill"
  pm=$(head -n 1 "$work/node$old/data/postmaster.pid")
  kill_ts=$EPOCHREALTIME
  kill -KILL "$pm"
  echo "$kill_ts" >"$work/kill$round"
  log "round $round: SIGKILL postmaster $pm of primary node$old"

  # The first write after the kill = the first acknowledged write sent after the first
  # failed one (FAILED_FILE: "ID SENT_EPOCH ...", sent after the kill). For a few ms after
  # the SIGKILL the old primary's backends and walsenders still run (they notice the
  # postmaster's death at their next wait), so a write sent on a pooled connection right
  # after the kill can still commit there, synchronously replicated: that is not the
  # failover. Without any failure the first write sent after the kill counts.
  # ACKED_FILE: "ID ACK_EPOCH [SENT_EPOCH]" (without SENT, ACK stands for it).
  first="" outage=""
  deadline=$((SECONDS + MAX_FAILOVER + 1))
  sleep 1 # failures come in ms; give the first ones time to be written down
  while [ $SECONDS -lt $deadline ]; do
    outage=$(awk -v k="$kill_ts" '$2 > k && (m == "" || $2 < m) { m = $2 } END { print m }' "$work/failed$round")
    first=$(awk -v k="${outage:-$kill_ts}" '{ s = (NF >= 3 ? $3 : $2) } s > k && (m == "" || $2 < m) { m = $2 } END { print m }' "$work/acked$round")
    [ -n "$first" ] && break
    sleep 0.05
  done
  [ -n "$first" ] || die "round $round: no acknowledged write within ${MAX_FAILOVER}s of the kill"
  gap=$(elapsed "$kill_ts" "$first")
  awk -v g="$gap" -v m="$MAX_FAILOVER" 'BEGIN { exit !(g <= m) }' \
    || die "round $round: first write ${gap}s after the kill (> ${MAX_FAILOVER}s)"
  sleep "$AFTER"
  stop_writer

  new=$(leader_index)
  [ -n "$new" ] || die "round $round: no primary after the failover"
  [ "$new" != "$old" ] || die "round $round: node$old is still primary (restarted in place, no failover)"
  psql "$PG_URL" -qAtX -v ON_ERROR_STOP=1 -c "$VERIFY_SQL" | sort -u >"$work/stored$round"
  cut -d' ' -f1 "$work/acked$round" | sort -u >"$work/ackedids$round"
  acked=$(wc -l <"$work/ackedids$round")
  lost=$(comm -23 "$work/ackedids$round" "$work/stored$round" | wc -l)
  after=$(awk -v k="$kill_ts" '(NF >= 3 ? $3 : $2) > k' "$work/acked$round" | wc -l)
  label="round $round, node$old -> node$new, $after acked after the kill"
  if [ -z "$outage" ]; then
    label="$label, no write failed"
  else
    early=$(awk -v k="$kill_ts" -v o="$outage" '{ s = (NF >= 3 ? $3 : $2) } s > k && s < o' "$work/acked$round" | wc -l)
    [ "$early" = 0 ] || label="$label, $early of them sent before the first failed one (+$(elapsed "$kill_ts" "$outage") s)"
  fi
  report_rc=0
  if [ "$WRITER" = orgreg ]; then
    line=$(python3 "$here/report-orgreg.py" "$work/events$round.jsonl" "$kill_ts" "${outage:-$kill_ts}" \
      "$gap" "$acked" "$lost" "$MAX_FAILOVER" "$label") || report_rc=$?
  else
    line="failover: first write $gap s after the kill; $acked acknowledged writes, $lost lost ($label)"
  fi
  echo "$line"
  summary+=("$line")
  if [ "$lost" -ne 0 ]; then
    comm -23 "$work/ackedids$round" "$work/stored$round" | head -n 20 >&2
    die "round $round: $lost acknowledged writes lost"
  fi
  [ $report_rc = 0 ] || die "round $round: orgreg failover checks failed (see above)"
  for j in "${!orgreg_pid[@]}"; do
    kill -0 "${orgreg_pid[$j]}" 2>/dev/null || die "round $round: orgreg $j exited"
  done
  [ "$after" -gt 0 ] || die "round $round: nothing acknowledged after the kill"

  # the killed node must come back as a replica (rewind / recovery) before the next round
  t_rejoin=$EPOCHREALTIME
  leader=$(wait_healthy 90)
  log "round $round: node$old rejoined; leader node$leader with 2 streaming replicas after $(elapsed "$t_rejoin" "$EPOCHREALTIME")s"
done

patronictl -c "$work/node1/patroni.yml" list
if [ "$WRITER" = orgreg ]; then
  stop_orgregs
  log "orgreg processes stopped by SIGTERM: exit ${orgreg_exit[*]}"
  for st in "${orgreg_exit[@]}"; do [ "$st" = 0 ] || die "an orgreg process did not exit 0 on SIGTERM"; done
fi
echo "== summary ($ROUNDS round(s), $(elapsed "$t0" "$EPOCHREALTIME") s total) =="
printf '%s\n' "${summary[@]}"
