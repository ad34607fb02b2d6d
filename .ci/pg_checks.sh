#!/usr/bin/env bash
# The real clients and schemathesis against orgreg on PostgreSQL (issue 13: the same
# black-box checks on both engines). Starts a throw-away PostgreSQL cluster on a free
# loopback port (as the `postgres` OS user when run as root), one database per check
# owned by a non-superuser role, runs awxkit, ZenML's client and schemathesis exactly as
# .ci/run does for SQLite, and removes the cluster on exit.
#
# Usage: .ci/pg_checks.sh   (after `cargo build --release`; needs the venvs .ci/run makes)
# Environment: AWX_VENV (default .venv), ZENML_VENV (default .venv-zenml).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./target/release/orgreg
awx_venv=${AWX_VENV:-.venv}
zenml_venv=${ZENML_VENV:-.venv-zenml}
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || command -v initdb)")
work=$(mktemp -d /tmp/orgreg-pgchecks.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$work"
  as_pg=(runuser -u postgres --)
fi
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pgport=$(free_port)
"${as_pg[@]}" "$pgbin/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 >"$work/initdb.log"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
  -o "-p $pgport -k $work -c listen_addresses=127.0.0.1" start >/dev/null
db() { # db NAME -> the URL of a new database owned by its own non-superuser role
  psql -qAtX -h 127.0.0.1 -p "$pgport" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE o_$1 LOGIN PASSWORD 'pw_$1' NOSUPERUSER NOCREATEDB NOCREATEROLE" \
    -c "CREATE DATABASE $1 OWNER o_$1" >/dev/null
  echo "postgres://o_$1:pw_$1@127.0.0.1:$pgport/$1"
}
serve() { # serve DB_URL LOG ENV... -> starts orgreg, sets server_pid and port
  port=$(free_port)
  env "${@:3}" "$bin" serve --db "$1" --listen "127.0.0.1:$port" >"$2" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -n 20 "$2"; return 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

echo "== awxkit against orgreg on PostgreSQL =="
serve "$(db awx)" "$work/awx.log" ORGREG_ADMIN_TOKEN=org_ci_admin_token_for_awxkit_checks_0123456789 \
  ORGREG_ADMIN_PASSWORD=ci-admin-password
"$awx_venv/bin/python" .ci/awx_cli_check.py "$awx_venv/bin/awx" "http://127.0.0.1:$port" \
  org_ci_admin_token_for_awxkit_checks_0123456789 ci-admin-password \
  || { tail -n 50 "$work/awx.log"; exit 1; }
stop

echo "== zenml client against orgreg on PostgreSQL =="
serve "$(db zen)" "$work/zen.log" ORGREG_ADMIN_TOKEN=org_ci_admin_token_for_zenml_checks_000123456789
"$zenml_venv/bin/python" .ci/zenml_check.py "http://127.0.0.1:$port" \
  org_ci_admin_token_for_zenml_checks_000123456789 \
  || { tail -n 50 "$work/zen.log"; exit 1; }
stop

echo "== schemathesis against orgreg on PostgreSQL =="
ST_DB="$(db st)" ST_VENV="$awx_venv" ORGREG_BIN="$bin" bash .ci/schemathesis.sh
