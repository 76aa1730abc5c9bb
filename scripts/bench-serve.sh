#!/usr/bin/env bash
# Benchmark of `jwtstack serve` with wrk (apt install wrk): requests per second and p50/p99 latency for a
# request with no route (404), no token (401), the wrong scope (403) and a valid token (200, forwarded to a
# trivial upstream), and for the same upstream reached directly, so the authorizer's own cost is the difference.
# Two passes: throughput with many connections (queueing dominates latency there), and latency with few.
# Usage: scripts/bench-serve.sh [SECONDS] [CONNECTIONS] [LATENCY_CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
lat_conns=${3:-4}
command -v wrk >/dev/null || { echo "wrk is needed: apt install wrk" >&2; exit 1; }
[ -x .venv-test/bin/python ] || scripts/install-test-tools.sh >&2
cargo build --release --locked --bin jwtstack --example bench_upstream >&2
bin=target/release/jwtstack
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cat >"$work/stack.yaml" <<'YAML'
name: bench
region: us-east-1
issuer:
  bucket: bench-issuer-123
key_id: bench-k1
audience: [bench-api]
api:
  name: bench-api
routes:
  - route: GET /items/{id}
    scopes: [items.read]
    integration:
      http: https://example.com/items/{id}
YAML
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
.venv-test/bin/python - "$work/key.pem" >"$work/jwks.json" <<'PY'
import json, sys
import jwt
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
jwk.update({"kid": "bench-k1", "use": "sig", "alg": "RS256"})
print(json.dumps({"keys": [jwk]}))
PY
good=$($bin -f "$work/stack.yaml" token --sub bench --scope items.read --ttl 1h --key-file "$work/key.pem")
wrong=$($bin -f "$work/stack.yaml" token --sub bench --scope other --ttl 1h --key-file "$work/key.pem" --force)

up_port=$(free_port)
target/release/examples/bench_upstream "$up_port" & pids+=($!)
serve_port=$(free_port)
$bin -f "$work/stack.yaml" serve --port "$serve_port" --jwks "$work/jwks.json" \
  --integration "*=http://127.0.0.1:$up_port/items/{id}" >/dev/null 2>"$work/serve.log" & pids+=($!)
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $serve_port), 0.2)" 2>/dev/null \
     && python3 -c "import socket; socket.create_connection(('127.0.0.1', $up_port), 0.2)" 2>/dev/null; then break; fi
  sleep 0.1
done

# wrk's summary: requests/s, p50 and p99 (with --latency), non-2xx count.
run() {
  local name=$1 url=$2; shift 2
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '| %-28s | %10s | %8s | %8s | %9s |\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}
table() {
  conns=$1
  echo "wrk -t2 -c$conns -d${secs}s, $(nproc) cores; serve, upstream and wrk share the machine"
  echo
  printf '| %-28s | %10s | %8s | %8s | %9s |\n' "request" "req/s" "p50" "p99" "non-2xx"
  echo "|------------------------------|------------|----------|----------|-----------|"
  run "upstream direct" "http://127.0.0.1:$up_port/items/1"
  run "serve: no route (404)" "http://127.0.0.1:$serve_port/nowhere"
  run "serve: no token (401)" "http://127.0.0.1:$serve_port/items/1"
  run "serve: wrong scope (403)" "http://127.0.0.1:$serve_port/items/1" -H "Authorization: Bearer $wrong"
  run "serve: valid token (200)" "http://127.0.0.1:$serve_port/items/1" -H "Authorization: Bearer $good"
  echo
}
table "$conns"
table "$lat_conns"

# Latency without queueing: a fixed request rate well under the saturation point (oha: cargo install oha).
if command -v oha >/dev/null; then
  rate=${RATE:-2000}
  fixed() {
    local name=$1 url=$2; shift 2
    oha -z "${secs}s" -q "$rate" -c 8 --latency-correction --no-tui --output-format json "$@" "$url" \
      | python3 -c '
import json, sys
d = json.load(sys.stdin); p = d["latencyPercentiles"]; name = sys.argv[1]
codes = d.get("statusCodeDistribution", {})
print("| %-28s | %10.0f | %8.3f | %8.3f | %8.3f | %-12s |" % (name, d["summary"]["requestsPerSec"],
      p["p50"] * 1000, p["p99"] * 1000, p["p99.9"] * 1000, ",".join("%s:%s" % kv for kv in sorted(codes.items()))))' "$name"
  }
  echo "oha at a fixed $rate requests/s, 8 connections, ${secs}s (latency in ms)"
  echo
  printf '| %-28s | %10s | %8s | %8s | %8s | %-12s |\n' "request" "req/s" "p50" "p99" "p99.9" "statuses"
  echo "|------------------------------|------------|----------|----------|----------|--------------|"
  fixed "upstream direct" "http://127.0.0.1:$up_port/items/1"
  fixed "serve: no route (404)" "http://127.0.0.1:$serve_port/nowhere"
  fixed "serve: no token (401)" "http://127.0.0.1:$serve_port/items/1"
  fixed "serve: wrong scope (403)" "http://127.0.0.1:$serve_port/items/1" -H "Authorization: Bearer $wrong"
  fixed "serve: valid token (200)" "http://127.0.0.1:$serve_port/items/1" -H "Authorization: Bearer $good"
fi
