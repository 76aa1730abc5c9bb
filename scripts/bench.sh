#!/usr/bin/env bash
# Benchmark: AWS calls and wall time of deploy (first), deploy (no-op), plan (no-op), token and teardown of
# the example stack.yaml against the local emulator, release build, median of N runs (default 5).
# KEY_STORE=kms runs the same stack with `key_store: kms` (the key in KMS; token signs with kms:Sign).
# ISSUER=cloudfront runs it with `cloudfront: true` (a private bucket behind a distribution), through the test
# proxy's strict mode with 30 ms per call (AWS's InProgress distribution and invalidation, waited for).
# API_SETTINGS=1 adds a public route, cors, access_log, throttling and a custom domain (with an imported certificate
# and a Route 53 zone in the emulator), through the strict proxy too.
# TOKEN_ENDPOINT=1 adds `token_endpoint` (its role, log group, function, permission and route), through the
# strict proxy (a new role not assumable by Lambda for 2 s, a function Pending or InProgress for 1 s).
# API_TYPE=rest deploys the same routes as a REST API (`api.type: rest`: resources, methods, the JWT authorizer
# for REST APIs, one deployment), through the strict proxy (REST's per-account quotas on creates, deletes and
# deployments, AWS's own intervals). API_TYPE=rest-adopted adds them to an existing REST API of one method of its
# own, deployed to its stage `prod` (`api.id`, `stage: prod`), through the strict proxy too.
# STRICT=1 runs any of them through the strict proxy (30 ms per call), for a comparison with those that need it;
# PROXY_ARGS adds arguments to the proxy (`--strict-conflict-rate 0`: no random 409, only overlapping writes').
# Not a test: it asserts nothing about time. Figures go into the README and issue notes.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scripts/install-test-tools.sh
cargo build --release --quiet
bin=target/release/jwtstack
. scripts/moto-env.sh
moto_start
trap moto_stop EXIT
.venv-test/bin/python tests/support/create_function.py "$AWS_ENDPOINT_URL" lists-writer >/dev/null
out=$(mktemp -d)
stack=stack.yaml
if [ "${KEY_STORE:-ssm}" = kms ]; then
  stack=$out/stack.yaml
  sed 's/^key_id: \(.*\)$/key_id: \1\nkey_store: kms/' stack.yaml >"$stack"
fi
strict=no
[ "${STRICT:-0}" = 1 ] && strict=yes
if [ "${ISSUER:-public}" = cloudfront ]; then
  sed 's/^  public: true$/  cloudfront: true/' "$stack" >"$out/cloudfront.yaml"
  stack=$out/cloudfront.yaml
  strict=yes
fi
if [ "${API_SETTINGS:-0}" = 1 ]; then
  cert=$(.venv-test/bin/python tests/support/certificate.py "$AWS_ENDPOINT_URL" us-east-1 api.example.com import)
  zone=$(.venv-test/bin/python -c 'import boto3, sys; r = boto3.client("route53", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"); print(r.create_hosted_zone(Name="example.com", CallerReference="bench")["HostedZone"]["Id"].split("/")[-1])' "$AWS_ENDPOINT_URL")
  cp "$stack" "$out/api-settings.yaml"
  cat >>"$out/api-settings.yaml" <<YAML
  - route: POST /login
    auth: none
    integration:
      lambda: arn:aws:lambda:us-east-1:123456789012:function:lists-writer
cors: {allow_origins: [https://app.example.com], allow_methods: [GET, POST], allow_headers: [authorization, content-type], max_age: 600}
access_log: {retention_days: 30}
throttling: {rate: 100, burst: 200}
domain: {name: api.example.com, certificate_arn: "$cert", hosted_zone_id: $zone}
YAML
  stack=$out/api-settings.yaml
  strict=yes
fi
if [ "${TOKEN_ENDPOINT:-0}" = 1 ]; then
  cp "$stack" "$out/token-endpoint.yaml"
  printf 'token_endpoint: {path: /oauth2/token, ttl: 15m}\n' >>"$out/token-endpoint.yaml"
  stack=$out/token-endpoint.yaml
  strict=yes
fi
if [ "${API_TYPE:-http}" = rest ]; then
  sed 's/^  name: grocery-api .*$/  name: grocery-api\n  type: rest/' "$stack" >"$out/rest.yaml"
  stack=$out/rest.yaml
  strict=yes
fi
if [ "${API_TYPE:-http}" = rest-adopted ]; then
  api=$(.venv-test/bin/python - "$AWS_ENDPOINT_URL" <<'PY'
import sys, boto3
gw = boto3.client("apigateway", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
api = gw.create_rest_api(name="legacy")
gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
gw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="HTTP_PROXY",
                   integrationHttpMethod="GET", uri="https://legacy.example.com/")
gw.create_deployment(restApiId=api["id"], stageName="prod", description="release 1")
print(api["id"])
PY
)
  sed "s/^  name: grocery-api .*\$/  id: $api\n  type: rest\n  stage: prod/" "$stack" >"$out/rest.yaml"
  stack=$out/rest.yaml
  strict=yes
fi
if [ "$strict" = yes ]; then  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2086
  .venv-test/bin/python tests/support/aws_proxy.py --port "$port" --target "$AWS_ENDPOINT_URL" --strict ${PROXY_ARGS:-} \
    --latency-ms 30 >target/proxy.log 2>&1 &
  PROXY_PID=$!
  trap 'kill $PROXY_PID 2>/dev/null; moto_stop' EXIT
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
    sleep 0.1
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
fi

measure() { # name, args...
  local name=$1; shift
  local start end
  start=$(date +%s%N)
  "$bin" -f "$stack" "$@" --stats >/dev/null 2>"$out/$name.err"
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 ))" >>"$out/$name.ms"
  grep '^AWS calls:' "$out/$name.err" | sed 's/ in .*//' >"$out/$name.calls" || { cat "$out/$name.err" >&2; exit 1; }
}
for _ in $(seq 1 "$runs"); do
  measure deploy-first deploy
  measure deploy-noop deploy
  measure plan-noop plan
  measure token token --sub alice --scope lists.read
  measure teardown teardown --yes
done
printf '%-14s %-40s %-28s %s\n' command "AWS calls (writes)" "median wall ms (of $runs)" "each run, ms"
for name in deploy-first deploy-noop plan-noop token teardown; do
  median=$(sort -n "$out/$name.ms" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-14s %-40s %-28s %s\n' "$name" "$(sed 's/AWS calls: //' "$out/$name.calls")" "$median" "$(paste -sd' ' "$out/$name.ms")"
done
echo
for name in deploy-first deploy-noop plan-noop token teardown; do
  echo "calls by operation, $name (last run):"; sed -n '/^AWS calls:/,$p' "$out/$name.err" | sed -n '2,$p'
done
rm -rf "$out"
