#!/usr/bin/env bash
# The main job end to end on a local AWS emulator: deploy stack.yaml, plan (no changes), mint a token,
# verify it (allowed, then denied on a route whose scope it lacks), tear down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
cargo build --quiet
jwtstack=target/debug/jwtstack
. scripts/moto-env.sh
moto_start
trap moto_stop EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# The stack's POST /lists route invokes an existing function; create it in the emulator first.
.venv-test/bin/python tests/support/create_function.py "$AWS_ENDPOINT_URL" lists-writer >/dev/null

step jwtstack validate;                  $jwtstack validate
step jwtstack deploy;                    $jwtstack deploy --stats
step jwtstack plan --detailed-exitcode;  $jwtstack plan --detailed-exitcode
step 'TOKEN=$(jwtstack token --sub alice --scope lists.read)'
TOKEN=$($jwtstack token --sub alice --scope lists.read)
echo "$TOKEN" | cut -c1-60 | sed 's/$/.../'
step 'jwtstack verify "$TOKEN" --route "GET /lists/42"'
$jwtstack verify "$TOKEN" --route "GET /lists/42"
step 'jwtstack verify "$TOKEN" --route "POST /lists"   # lacks lists.write: denied, exit 3'
set +e; $jwtstack verify "$TOKEN" --route "POST /lists"; code=$?; set -e
[ "$code" -eq 3 ] || { echo "expected exit 3, got $code" >&2; exit 1; }
step jwtstack teardown --yes;            $jwtstack teardown --yes --stats
step jwtstack plan;                      $jwtstack plan
echo; echo "demo: OK"
