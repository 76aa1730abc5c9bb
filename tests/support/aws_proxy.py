"""An HTTP proxy between jwtstack and the AWS emulator, for fault and performance tests.

It forwards every request to --target and, as told:
  --fault-rate P --seed S   with probability P per request (seeded), injects one fault, chosen evenly among:
                            http500, http503, throttle (each service's own throttling answer), latency
                            (0.2 to 1 s, then forwards), reset_before (drops the connection without forwarding),
                            reset_after (forwards, then drops the connection: the lost response)
  --latency-ms N            adds N ms before forwarding every request (a realistic AWS round trip is ~30 ms)
  --apigw-quota R/B         answers API Gateway calls with 429 TooManyRequests beyond a token bucket of R per
                            second with a burst of B (API Gateway's account quota is 10/40)
  --deny-ssm-action A       answers SSM action A (e.g. PutParameter) with AccessDeniedException
GET /__proxy/stats answers the counts so far as JSON: requests, faults by kind, throttled by the quota.

Usage: python aws_proxy.py --port PORT --target http://127.0.0.1:MOTO [options]
"""

import argparse
import http.client
import json
import random
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ["http500", "http503", "throttle", "latency", "reset_before", "reset_after"]


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.requests = 0
        self.faults = {k: 0 for k in FAULTS}
        self.quota_throttled = 0
        self.bucket_tokens = None
        self.bucket_time = time.monotonic()
        if args.apigw_quota:
            rate, burst = args.apigw_quota.split("/")
            self.rate, self.burst = float(rate), float(burst)
            self.bucket_tokens = self.burst

    def draw_fault(self):
        with self.lock:
            self.requests += 1
            if self.args.fault_rate > 0 and self.rng.random() < self.args.fault_rate:
                kind = self.rng.choice(FAULTS)
                self.faults[kind] += 1
                return kind, self.rng.random()
            return None, 0.0

    def take_quota(self):
        """True when the API Gateway token bucket has a token for this call."""
        with self.lock:
            now = time.monotonic()
            self.bucket_tokens = min(self.burst, self.bucket_tokens + (now - self.bucket_time) * self.rate)
            self.bucket_time = now
            if self.bucket_tokens >= 1:
                self.bucket_tokens -= 1
                return True
            self.quota_throttled += 1
            return False


def service_of(handler):
    if handler.path.startswith("/v2/"):
        return "apigateway"
    if handler.path.startswith("/2015-03-31/"):
        return "lambda"
    target = handler.headers.get("X-Amz-Target", "")
    if target.startswith("AmazonSSM"):
        return "ssm"
    return "s3"


def throttle_answer(service):
    if service == "apigateway":
        return 429, {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}, b'{"message":"Too Many Requests"}'
    if service == "lambda":
        return 429, {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}, b'{"message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}'
    if service == "ssm":
        return 400, {"Content-Type": "application/x-amz-json-1.1"}, b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
    return 503, {"Content-Type": "application/xml"}, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", 0) or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self):
        # An abortive close (RST), as a dropped connection looks to the client.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        state = self.server.state
        body = self._read_body()
        if self.path == "/__proxy/stats":
            stats = {"requests": state.requests, "faults": state.faults, "quota_throttled": state.quota_throttled}
            return self._answer(200, {"Content-Type": "application/json"}, json.dumps(stats).encode())
        service = service_of(self)
        if state.args.deny_ssm_action and self.headers.get("X-Amz-Target", "") == "AmazonSSM." + state.args.deny_ssm_action:
            message = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ssm:%s" % state.args.deny_ssm_action
            body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
            return self._answer(400, {"Content-Type": "application/x-amz-json-1.1"}, body)
        if state.args.latency_ms:
            time.sleep(state.args.latency_ms / 1000.0)
        if service == "apigateway" and state.bucket_tokens is not None and not state.take_quota():
            return self._answer(*throttle_answer("apigateway"))
        fault, u = state.draw_fault()
        if fault == "http500":
            return self._answer(500, {"Content-Type": "application/json"}, b'{"message":"Internal server error"}')
        if fault == "http503":
            return self._answer(503, {"Content-Type": "text/plain"}, b"Service Unavailable")
        if fault == "throttle":
            return self._answer(*throttle_answer(service))
        if fault == "reset_before":
            return self._reset()
        if fault == "latency":
            time.sleep(0.2 + 0.8 * u)
        target = urllib.parse.urlsplit(state.args.target)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if fault == "reset_after":
            return self._reset()
        out = {k: v for k, v in resp.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        self._answer(resp.status, out, data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--apigw-quota", default="")
    p.add_argument("--deny-ssm-action", default="")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    main()
