#!/usr/bin/env bash
# API conformance fuzzing: schemathesis (PyPI) against the OpenAPI description that a live
# orgreg serves at /openapi.json, authenticated as the bootstrap admin.
#
# Every check (server errors, status-code, content-type, header and schema conformance,
# positive/negative data, unsupported methods with Allow, missing headers, ignored auth,
# use-after-free, resource availability) and every phase (examples, coverage, fuzzing,
# stateful) run with a fixed seed. Any failure exits non-zero. A route the server serves
# that the description lacks shows up as a failure too: the coverage phase sends the
# methods a path does not document and expects 405 with Allow, and every answer must be a
# documented status with a documented body.
#
# Usage: .ci/schemathesis.sh [EXTRA `st run` OPTIONS...]   (after `cargo build --release`)
# Environment: ST_MAX_EXAMPLES (default 30), ST_SEED (default 42), ST_VENV (default .venv),
# ORGREG_BIN (default ./target/release/orgreg).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${ORGREG_BIN:-./target/release/orgreg}
seed=${ST_SEED:-42}
max_examples=${ST_MAX_EXAMPLES:-30}
venv=${ST_VENV:-$root/.venv}
st_version=4.32.5

if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$st_version"; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

token=org_ci_schemathesis_admin_token_0123456789abcdef
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
ORGREG_ADMIN_TOKEN=$token ORGREG_ADMIN_PASSWORD=ci-schemathesis-admin-password \
  "$bin" serve --db "$work/st.db" --listen "127.0.0.1:$port" --sync normal >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null

# The fuzzer must keep its own credentials for the whole run, so requests that would
# destroy them are dropped before they are sent (and only those): revoking the admin's
# token, and deleting, deactivating or un-staffing the admin user (DELETE, PUT or PATCH
# on the admin's own id). The ids are looked up here and handed to the hook.
auth=(-H "Authorization: Bearer $token")
admin_id=$(curl -fsS "${auth[@]}" "$base/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
admin_token_id=$(curl -fsS "${auth[@]}" "$base/v1/tokens" | python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)["results"]))')
cat >"$work/orgreg_hooks.py" <<'EOF'
import os
import schemathesis

PROTECTED = {x.replace("-", "").lower() for x in os.environ["ORGREG_PROTECTED_IDS"].split()}


def _names_protected(case):
    for value in (case.path_parameters or {}).values():
        if str(value).replace("-", "").lower() in PROTECTED:
            return True
    return False


@schemathesis.hook
def filter_case(context, case):
    # Writes to the admin user or its token would end the run's authentication.
    if case.method.upper() in ("DELETE", "PUT", "PATCH") and _names_protected(case):
        return False
    return True
EOF

echo "== schemathesis $st_version against $base/openapi.json (seed $seed, max-examples $max_examples) =="
status=0
ORGREG_PROTECTED_IDS="$admin_id $admin_token_id" PYTHONPATH="$work" SCHEMATHESIS_HOOKS=orgreg_hooks \
  "$venv/bin/st" run "$base/openapi.json" \
    "${auth[@]}" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --seed "$seed" \
    --max-examples "$max_examples" \
    --generation-database none \
    --workers 1 \
    --no-color \
    --report junit --report-dir "$work/report" \
    "$@" >"$work/st.out" 2>&1 || status=$?
cat "$work/st.out"
requests=$(grep -c ' request_id=' "$work/server.log" || true)
echo "schemathesis: $requests requests served; exit status $status"
if grep -q 'handler panicked' "$work/server.log"; then
  echo "== server panics =="; grep -A2 'handler panicked' "$work/server.log" | head -n 40
  status=1
fi
exit "$status"
