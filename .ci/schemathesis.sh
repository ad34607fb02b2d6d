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
# Environment: ST_MAX_EXAMPLES (default 100), ST_SEED (default 42), ST_VENV (default .venv),
# ORGREG_BIN (default ./target/release/orgreg), ST_DB (the server's --db; default a SQLite
# file in a temp dir; .ci/pg_checks.sh passes a PostgreSQL URL).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${ORGREG_BIN:-./target/release/orgreg}
seed=${ST_SEED:-42}
max_examples=${ST_MAX_EXAMPLES:-100}
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
  "$bin" serve --db "${ST_DB:-$work/st.db}" --listen "127.0.0.1:$port" --sync normal >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null

# The fuzzer must keep its own credentials for the whole run, so requests that would
# destroy them are dropped before they are sent (and only those): revoking the admin's
# token (DELETE /v1/tokens/{its id}), and deleting, deactivating or un-staffing the
# admin user (DELETE, PUT or PATCH /v1/users/{its id}). The ids are looked up here and
# handed to the hook.
auth=(-H "Authorization: Bearer $token")
admin_id=$(curl -fsS "${auth[@]}" "$base/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
admin_token_id=$(curl -fsS "${auth[@]}" "$base/v1/tokens" | python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)["results"]))')
cat >"$work/orgreg_hooks.py" <<'EOF'
import hashlib
import itertools
import json
import os

import schemathesis
from schemathesis.core.parameters import ParameterLocation

PROTECTED = {x.replace("-", "").lower() for x in os.environ["ORGREG_PROTECTED_IDS"].split()}
FRESH = itertools.count(1)
SEND_NON_ASCII = os.environ.get("ORGREG_ST_NON_ASCII", "1") == "1"


def _names_protected(case):
    for value in (case.path_parameters or {}).values():
        if str(value).replace("-", "").lower() in PROTECTED:
            return True
    return False


@schemathesis.hook
def filter_case(context, case):
    # Writes to the admin user or its token would end the run's authentication.
    if case.path in ("/v1/users/{id}", "/v1/tokens/{id}") and case.method.upper() in ("DELETE", "PUT", "PATCH") and _names_protected(case):
        return False
    # Header values with non-ASCII bytes (negative generation of `Idempotency-Key`) are
    # sent: the server answers them (docs/RELIABILITY.md). ORGREG_ST_NON_ASCII=0 drops
    # them, to compare with a run that does not send them.
    if not SEND_NON_ASCII:
        for value in (case.headers or {}).values():
            if isinstance(value, str) and not value.isascii():
                return False
    return True


@schemathesis.hook
def before_call(context, case, kwargs):
    # Idempotency-Key: hypothesis draws the same few short keys for many different
    # requests; the server then (as documented) answers 422 before reading the body, or
    # replays an old answer. A valid generated key is therefore tied to its request:
    # the same request with the same key still replays, another request gets another
    # key. Stateful chains always use a fresh key: a replayed create would name an object
    # that the chain may have deleted since, which the availability checks would report
    # as a lost resource. Invalid (negative) keys are sent as generated.
    headers = case.headers or {}
    name = next((k for k in headers if k.lower() == "idempotency-key"), None)
    if name is None or not isinstance(headers[name], str):
        return
    meta = case.meta
    if meta is not None and meta.is_negative_at(ParameterLocation.HEADER):
        return
    if meta is not None and meta.phase.name == "stateful":
        headers[name] = f"stateful-{next(FRESH)}"
        return
    # The server compares bodies byte for byte: key order counts.
    request = json.dumps([headers[name], case.method, case.formatted_path, case.body], default=repr)
    headers[name] = "fz-" + hashlib.sha256(request.encode()).hexdigest()[:40]
EOF

# Schema-valid requests that the server may still refuse, for reasons no schema can state
# (the default statuses, plus these, per operation):
# - 400: a field names an object that does not exist (`owner`, `owners`, `customer`,
#   `user`, `users`, AWX `id`, Waldur URLs, accounts `user_ids`, ezeep `admin_user`), a
#   time that must be in the future (`expires`, ezeep `expire_date`), an accounts body
#   `id` that differs from the path's, a value that is taken where the profile reports
#   uniqueness as a DRF field error, or (accept) fields that only an anonymous caller may
#   send; ZenML words the same as 422 `ValidationError` (an unknown `owner_id`);
# - 410: an expired invitation.
#
# Stateful chains follow the description's own links and `Location` headers only: the
# dependency-analysis inference joins ids of different shapes across surfaces (a Waldur
# 32-hex uuid into an AWX integer `id`), sending requests the description calls invalid
# while counting them as valid.
cat >"$work/schemathesis.toml" <<'EOF'
[phases.stateful.inference]
algorithms = ["location-headers"]

[[operations]]
include-operation-id-regex = "^(createCustomer|replaceCustomer|updateCustomer|createOrganization|replaceOrganization|updateOrganization|createToken|addMembers|createInvitation|awxV[12](Create|Replace|Update)Organization|awxV[12]AssociateOrganization(User|Admin)|waldur(Create|Replace|Update)Organization|waldurCreateOrganizationUser|accounts(UpdateAccount|UpdateAccountById|AddUsers|UpdateUsers|RemoveUsers)|ezeepCreateOrganization)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-operation-id-regex = "^zenml(Create|Update)Organization$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "acceptInvitation"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "410", "429", "5xx"]
EOF

echo "== schemathesis $st_version against $base/openapi.json (seed $seed, max-examples $max_examples) =="
status=0
ORGREG_PROTECTED_IDS="$admin_id $admin_token_id" PYTHONPATH="$work" SCHEMATHESIS_HOOKS=orgreg_hooks \
  "$venv/bin/st" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
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
# Requests the server answered (its access log, one line each, probes included) and the
# failures and errors schemathesis reported (its JUnit report).
requests=$(grep -c ' request_id=' "$work/server.log" || true)
failures=$(python3 - "$work/report" <<'EOF'
import glob, sys, xml.etree.ElementTree as ET
n = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        n += sum(1 for child in case if child.tag in ("failure", "error"))
print(n)
EOF
)
if grep -q 'handler panicked' "$work/server.log"; then
  echo "== server panics =="; grep -A2 'handler panicked' "$work/server.log" | head -n 40
  status=1
fi
if [ "$status" -ne 0 ] && [ "$failures" = 0 ]; then failures="(run failed: exit $status)"; fi
echo "schemathesis: $requests requests, $failures failures"
exit "$status"
