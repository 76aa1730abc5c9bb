"""A gateway that misbehaves in one way, for the probe's tests: it stands in front of `jwtstack serve` (which
answers as API Gateway's JWT authorizer does) and, for the requests of one kind, answers what a broken gateway
would instead.

  --misbehave no_token        a protected route answers 200 to a request without a token
  --misbehave malformed       ... to a token that is not a JWT
  --misbehave unknown_key     ... to a token signed by a key in no JWKS (its kid is the probe's own)
  --misbehave forged_signature ... to a token with the stack's kid signed by another key (no signature check)
  --misbehave alg_none        ... to an unsigned token (alg none)
  --misbehave expired         ... to an expired token
  --misbehave other_audience  ... to a token for another audience
  --misbehave other_issuer    ... to a token from another issuer
  --misbehave issuer_with_slash ... to a token whose issuer has a trailing slash (issuers normalised)
  --misbehave missing_scope   ... to a valid token without the route's scopes (200 where 403 is due)
  --misbehave scope_401       a valid token without the route's scopes gets 401 (not 403)
  --misbehave public_401      a request without a token gets the authorizer's 401 everywhere, public routes too
  --misbehave not_found       every request gets 404, as from a stage without the routes
  --misbehave throttled       the first two of each request get 429, as from a stage with low limits (the probe
                              sends a throttled request again, and the gateway then behaves)
  --misbehave cors            every preflight is answered allowing any origin

The token is read without checking its signature (PyJWT's unverified decode): the kind of request is told by
its claims, as the probe makes them (the forged token is the one with valid claims, the stack's kid and no
scope: the probe's valid tokens carry a scope). Everything else goes to --target unchanged.

Usage: python bad_gateway.py --port PORT --target http://127.0.0.1:SERVE --misbehave KIND
"""

import argparse
import http.client
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

KINDS = ["no_token", "malformed", "unknown_key", "forged_signature", "alg_none", "expired", "other_audience",
         "other_issuer", "issuer_with_slash", "missing_scope", "scope_401", "public_401", "not_found", "throttled",
         "cors"]


def kind_of(authorization):
    """What the probe sent, from its Authorization header."""
    if not authorization:
        return "no_token"
    token = authorization.split(" ", 1)[-1]
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "none":
            return "alg_none"
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False, "verify_aud": False})
    except jwt.PyJWTError:
        return "malformed"
    if header.get("kid") == "jwtstack-probe-unknown-key":
        return "unknown_key"
    if claims.get("exp", 0) < time.time():
        return "expired"
    aud = claims.get("aud")
    if aud == "jwtstack-probe-other-audience" or aud == ["jwtstack-probe-other-audience"]:
        return "other_audience"
    if claims.get("iss") == "https://jwtstack-probe.invalid":
        return "other_issuer"
    if str(claims.get("iss", "")).endswith("/"):
        return "issuer_with_slash"
    if str(claims.get("scope", "")).startswith("jwtstack-probe"):
        return "missing_scope"
    if "scope" not in claims:
        return "forged_signature"
    return "valid"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        how = self.server.misbehave
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if how == "not_found":
            return self._answer(404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}')
        if how == "throttled":
            seen = (self.command, self.path, self.headers.get("Authorization"), self.headers.get("Origin"))
            with self.server.lock:
                self.server.throttled[seen] = self.server.throttled.get(seen, 0) + 1
                times = self.server.throttled[seen]
            if times <= 2:
                return self._answer(429, {"Content-Type": "application/json"}, b'{"message":"Too Many Requests"}')
        if self.command == "OPTIONS" and how == "cors":
            return self._answer(204, {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*"})
        kind = kind_of(self.headers.get("Authorization"))
        if self.command != "OPTIONS":
            if how == kind and how != "scope_401":
                return self._answer(200, {"Content-Type": "application/json"}, b'{"open":true}')
            if how == "scope_401" and kind == "missing_scope":
                return self._answer(401, {"Content-Type": "application/json",
                                          "www-authenticate": 'Bearer error="invalid_token"'}, b'{"message":"Unauthorized"}')
            if how == "public_401" and kind == "no_token":
                return self._answer(401, {"Content-Type": "application/json",
                                          "www-authenticate": 'Bearer scope="" error="invalid_token" '
                                                              'error_description="missing: token not provided"'},
                                    b'{"message":"Unauthorized"}')
        target = urllib.parse.urlsplit(self.server.target)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        out = {k: v for k, v in resp.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        self._answer(resp.status, out, data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--misbehave", choices=KINDS, required=True)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.target = args.target
    server.misbehave = args.misbehave
    server.throttled = {}
    server.lock = threading.Lock()
    server.serve_forever()


if __name__ == "__main__":
    main()
