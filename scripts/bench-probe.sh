#!/usr/bin/env bash
# Benchmark of `jwtstack probe` on the emulator: a stack of four routes (three protected, one public) with CORS
# is deployed, `jwtstack serve` stands in for the gateway, and the probe is timed over RUNS runs (median, min,
# max wall time, its requests, the AWS calls it makes); then the AWS calls of a no-op `deploy` with and
# without its closing probe. Usage: scripts/bench-probe.sh [RUNS]; JWTSTACK_BIN=path times that binary (a
# debug build, say) instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
[ -x .venv-test/bin/python ] || scripts/install-test-tools.sh >&2
if [ -n "${JWTSTACK_BIN:-}" ]; then
  bin=$(realpath "$JWTSTACK_BIN")
else
  cargo build --release --locked --bin jwtstack >&2
  bin=$PWD/target/release/jwtstack
fi
. scripts/moto-env.sh
work=$(mktemp -d)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  moto_stop
  rm -rf "$work"
}
trap cleanup EXIT
moto_start

cat >"$work/stack.yaml" <<'YAML'
name: benchprobe
region: us-east-1
issuer:
  bucket: benchprobe-issuer-123
key_id: benchprobe-k1
audience: [benchprobe-api]
api:
  name: benchprobe-api
routes:
  - route: GET /lists/{proxy+}
    scopes: [lists.read]
    integration:
      http: https://example.com/lists/{proxy}
  - route: GET /lists
    scopes: [lists.read, lists.admin]
    integration:
      http: https://example.com/lists
  - route: POST /lists
    scopes: [lists.write]
    integration:
      http: https://example.com/lists
  - route: GET /health
    auth: none
    integration:
      http: https://example.com/health
cors:
  allow_origins: [https://app.example.com]
  allow_methods: [GET, POST]
  allow_headers: [authorization]
YAML
cd "$work"
"$bin" deploy --no-probe >/dev/null 2>&1
"$bin" serve --port 0 >serve.addr 2>serve.log &
serve_pid=$!
for _ in $(seq 1 100); do [ -s serve.addr ] && break; sleep 0.1; done
endpoint=$(head -1 serve.addr)

echo "probe of ${endpoint} (serve with the deployed JWKS), ${runs} runs, $(nproc) cores; moto, serve and the probe share the machine"
python3 - "$bin" "$endpoint" "$runs" <<'PY'
import json, statistics, subprocess, sys, time
bin, endpoint, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
walls = []
for _ in range(runs):
    t = time.monotonic()
    out = subprocess.run([bin, "probe", "--endpoint", endpoint, "--json"], capture_output=True, text=True, check=True)
    walls.append(time.monotonic() - t)
report = json.loads(out.stdout)
print(f"| requests | behaves | wall median | min | max |")
print(f"|---|---|---|---|---|")
print(f"| {len(report['requests'])} | {report['behaves']} | {statistics.median(walls):.3f} s | {min(walls):.3f} s | {max(walls):.3f} s |")
PY
echo
echo "AWS calls of one probe (the endpoint named; the key read from SSM):"
"$bin" probe --endpoint "$endpoint" --stats 2>&1 >/dev/null | sed -n '/^AWS calls/,$p'
echo
echo "AWS calls of a no-op deploy, without and with its closing probe:"
"$bin" deploy --no-probe --stats 2>&1 >/dev/null | grep '^AWS calls'
"$bin" deploy --probe-endpoint "$endpoint" --stats 2>&1 >/dev/null | grep '^AWS calls'
