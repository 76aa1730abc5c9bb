"""A test upstream for `jwtstack serve`: an HTTP backend that echoes requests, and local Lambda runtimes.

  ANY /http/...    200, JSON {"method", "path", "query", "headers", "body"} of the request it got
  POST /lambda/MODE/2015-03-31/functions/function/invocations   the Lambda invoke API of a local runtime:
     echo     {"statusCode": 201, "headers": {...}, "body": <the event as JSON text>}
     bare     {"ok": true}                       (a bare JSON value: an HTTP API makes it a 200, a REST API
                                                  answers 502)
     badjson  `{not json`                        (an HTTP API answers 500, a REST API 502)
     error    X-Amz-Function-Error: Unhandled    (the function threw: 500, or 502 behind a REST API)

Usage: upstream.py --port N
"""

import argparse
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlparse(self.path)
        if url.path.startswith("/lambda/"):
            mode = url.path.split("/")[2]
            if mode == "echo":
                event = json.loads(body)
                answer = {"statusCode": 201, "headers": {"content-type": "application/json", "x-fn": "echo"},
                          "cookies": ["session=1"], "body": json.dumps(event)}
                return self.reply(200, json.dumps(answer).encode())
            if mode == "bare":
                return self.reply(200, b'{"ok": true}')
            if mode == "badjson":
                return self.reply(200, b"{not json")
            if mode == "error":
                return self.reply(200, b'{"errorMessage": "boom"}', [("X-Amz-Function-Error", "Unhandled")])
        echo = {
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        self.reply(200, json.dumps(echo).encode(), [("Content-Type", "application/json"), ("X-Upstream", "yes")])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
