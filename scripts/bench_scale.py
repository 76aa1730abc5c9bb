"""Scaling benchmark: jwtstack against moto through tests/support/aws_proxy.py (30 ms per call), for stacks of
10, 100 and 300 routes (one HTTP integration each), with API Gateway's quota emulated (429 beyond 10/s,
burst 40) and without it (--max-rps 0). Each size runs twice: an API the stack owns (`api.name`: one
ImportApi/ReimportApi per change) and the same routes in an adopted API (`api.id`, an empty HTTP API made for
the run: the call-by-call path, one write per route, integration and authorizer). Also the manual recipe as one
sequential boto3 script under the quota. Not a test: it prints figures. Run it through scripts/bench-scale.sh.
PATHS="owned adopted" narrows the run.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(ROOT, ".venv-test/bin/python")
BIN = os.environ.get("JWTSTACK_BIN", os.path.join(ROOT, "target/release/jwtstack"))
SIZES = [int(x) for x in os.environ.get("SIZES", "10 100 300").split()]
# STRICT=1: the proxy answers as AWS does (tests/support/aws_proxy.py --strict): 409s on API writes, Block
# Public Access, OperationAborted. QUOTA=on|off|both: which of the two modes to run.
STRICT = ["--strict"] if os.environ.get("STRICT") == "1" else []
QUOTAS = {"on": (True,), "off": (False,), "both": (True, False)}[os.environ.get("QUOTA", "both")]
PATHS = os.environ.get("PATHS", "owned adopted").split()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(args):
    port = free_port()
    proc = subprocess.Popen([PY] + args(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("could not start " + " ".join(args(port)))


def stack_yaml(name, routes, api_id=None):
    api = f"  id: {api_id}" if api_id else f"  name: {name}-api"
    lines = [f"name: {name}", "region: us-east-1", "issuer:", f"  bucket: {name}-issuer", f"key_id: {name}-k1",
             f"audience: [{name}-api]", "api:", api, "routes:"]
    for i in range(routes):
        lines += [f"  - route: GET /r{i}/{{proxy+}}", f"    scopes: [s{i % 10}]", "    integration:",
                  f"      http: https://backend.example.com/r{i}/{{proxy}}"]
    return "\n".join(lines) + "\n"


def run(env, args, rps):
    t = time.monotonic()
    out = subprocess.run([BIN] + args + ["--stats", "--max-rps", str(rps)], env=env, capture_output=True, text=True)
    wall = time.monotonic() - t
    if out.returncode not in (0, 2):
        raise SystemExit(f"{args} failed ({out.returncode}):\n{out.stderr}")
    m = re.search(r"AWS calls: (\d+) \((\d+) writes, (\d+) throttled\)", out.stderr)
    apigw = sum(int(n) for op, n in re.findall(r"^\s+ApiGatewayV2:(\S+)\s+(\d+)$", out.stderr, re.M))
    return {"calls": int(m.group(1)), "throttled": int(m.group(3)), "apigw": apigw, "wall": wall}


def proxy_stats(url):
    import urllib.request
    return json.load(urllib.request.urlopen(url + "/__proxy/stats"))


def floor(apigw):
    return max(0.0, (apigw - 40) / 10)


def manual_recipe(endpoint, name, routes):
    """The blog-post recipe as a plain boto3 script: sequential calls, botocore's default retries."""
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
              config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 10}))
    s3, ag = boto3.client("s3", **kw), boto3.client("apigatewayv2", **kw)
    ssm = boto3.client("ssm", **kw)
    t = time.monotonic()
    ssm.put_parameter(Name=f"/manual/{name}/key", Value="-----BEGIN PRIVATE KEY-----", Type="SecureString")
    s3.create_bucket(Bucket=f"{name}-manual")
    for key in (".well-known/openid-configuration", ".well-known/jwks.json"):
        s3.put_object(Bucket=f"{name}-manual", Key=key, Body=b"{}", ContentType="application/json")
    api = ag.create_api(Name=f"{name}-manual", ProtocolType="HTTP")["ApiId"]
    auth = ag.create_authorizer(ApiId=api, AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
                                Name="jwt", JwtConfiguration={"Issuer": "https://x", "Audience": ["a"]})["AuthorizerId"]
    for i in range(routes):
        integ = ag.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                      IntegrationUri=f"https://backend.example.com/r{i}/{{proxy}}",
                                      PayloadFormatVersion="1.0")["IntegrationId"]
        ag.create_route(ApiId=api, RouteKey=f"GET /r{i}/{{proxy+}}", AuthorizationType="JWT", AuthorizerId=auth,
                        AuthorizationScopes=[f"s{i % 10}"], Target=f"integrations/{integ}")
    ag.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return time.monotonic() - t, 3 + 2 * routes


def main():
    moto, moto_url = start(lambda p: [os.path.join(ROOT, "tests/support/moto_server.py"), "-H", "127.0.0.1", "-p", str(p)])
    work = tempfile.mkdtemp()
    open(os.path.join(work, "cfg"), "w").close()
    base_env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
                    AWS_CONFIG_FILE=os.path.join(work, "cfg"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "cfg"))
    base_env.pop("AWS_PROFILE", None)
    rows = []
    try:
        for quota in QUOTAS:
            args = ["--latency-ms", "30"] + (["--apigw-quota", "10/40"] if quota else []) + STRICT
            rps = 10 if quota else 0
            for n, mode in [(n, m) for n in SIZES for m in PATHS]:
                # A proxy per stack: each first deploy starts on a fresh quota, as on a quiet account.
                proxy, url = start(lambda p: [os.path.join(ROOT, "tests/support/aws_proxy.py"), "--port", str(p),
                                              "--target", moto_url] + args)
                env = dict(base_env, AWS_ENDPOINT_URL=url)
                name = f"b{n}{'q' if quota else 'f'}{mode[0]}"
                api_id = None
                if mode == "adopted":
                    # Made straight on the emulator, so that it costs the run nothing.
                    ag = boto3.client("apigatewayv2", endpoint_url=moto_url, region_name="us-east-1",
                                      aws_access_key_id="test", aws_secret_access_key="test")
                    api_id = ag.create_api(Name=f"{name}-theirs", ProtocolType="HTTP")["ApiId"]
                path = os.path.join(work, f"{name}.yaml")
                text = stack_yaml(name, n, api_id)
                open(path, "w").write(text)
                f = ["-f", path]
                r = {"routes": n, "quota": quota, "path": mode}
                r["first deploy"] = run(env, ["deploy"] + f, rps)
                r["no-op plan"] = run(env, ["plan"] + f, rps)
                r["no-op deploy"] = run(env, ["deploy"] + f, rps)
                open(path, "w").write(text.replace("scopes: [s0]", "scopes: [s0, changed]", 1))
                r["one-route change"] = run(env, ["deploy"] + f, rps)
                r["teardown"] = run(env, ["teardown", "--yes"] + f, rps)
                # What the strict proxy refused over the stack's five commands, all absorbed by jwtstack's retries.
                r["strict"] = proxy_stats(url).get("strict")
                if quota and mode == PATHS[-1]:
                    proxy.kill()
                    proxy, url = start(lambda p: [os.path.join(ROOT, "tests/support/aws_proxy.py"), "--port", str(p),
                                                  "--target", moto_url] + args)
                    before = proxy_stats(url)["quota_throttled"]
                    try:
                        wall, apigw = manual_recipe(url, name, n)
                        throttled = proxy_stats(url)["quota_throttled"] - before
                        r["manual recipe (boto3)"] = {"calls": apigw + 4 + throttled, "throttled": throttled,
                                                      "apigw": apigw, "wall": wall}
                    except Exception as e:  # botocore does not retry API Gateway's 409 (strict mode)
                        r["manual recipe (boto3)"] = {"failed": type(e).__name__}
                rows.append(r)
                proxy.kill()
    finally:
        # A failed run must not leave its proxy listening.
        if "proxy" in locals():
            proxy.kill()
        moto.kill()
    print("| routes | quota | API | command | AWS calls | API Gateway calls | throttled | wall s | floor s | wall / floor |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for cmd in ["first deploy", "no-op plan", "no-op deploy", "one-route change", "teardown", "manual recipe (boto3)"]:
            if cmd not in r:
                continue
            m = r[cmd]
            if "failed" in m:
                print(f"| {r['routes']} | {'10/s, burst 40' if r['quota'] else 'off'} | | {cmd} | failed: {m['failed']} "
                      "(not retried) | | | | | |")
                continue
            fl = floor(m["apigw"]) if r["quota"] else None
            ratio = f"{m['wall'] / fl:.2f}" if fl else ""
            api = "" if cmd.startswith("manual") else {"owned": "owned (import)", "adopted": "adopted (call by call)"}[r["path"]]
            print(f"| {r['routes']} | {'10/s, burst 40' if r['quota'] else 'off (--max-rps 0)'} | {api} | {cmd} | {m['calls']} | "
                  f"{m['apigw']} | {'' if m['throttled'] is None else m['throttled']} | {m['wall']:.2f} | "
                  f"{'' if fl is None else f'{fl:.1f}'} | {ratio} |")
    if STRICT:
        print()
        print("| routes | API | 409 at random | 409 overlapping | OperationAborted | public policy refused |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            st = r.get("strict") or {}
            print(f"| {r['routes']} | {r['path']} | {st.get('conflict_random', 0)} | {st.get('conflict_overlap', 0)} | "
                  f"{st.get('operation_aborted', 0)} | {st.get('public_policy_refused', 0)} |")
    print(json.dumps(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
