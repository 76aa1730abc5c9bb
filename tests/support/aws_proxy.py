"""An HTTP proxy between jwtstack and the AWS emulator, for fault and performance tests.

It forwards every request to --target and, as told:
  --fault-rate P --seed S   with probability P per request (seeded), injects one fault, chosen evenly among:
                            http500, http503, throttle (each service's own throttling answer), latency
                            (0.2 to 1 s, then forwards), reset_before (drops the connection without forwarding),
                            reset_after (forwards, then drops the connection: the lost response)
  --latency-ms N            adds N ms before forwarding every request (a realistic AWS round trip is ~30 ms)
  --apigw-quota R/B         answers API Gateway calls with 429 TooManyRequests beyond a token bucket of R per
                            second with a burst of B (API Gateway's account quota is 10/40)
  --lose-answer T[:N]       forwards the first N (default 1) requests whose X-Amz-Target is T (e.g.
                            TrentService.CreateAlias), then drops the connection: the call happened, its answer
                            is lost (repeatable; counted as lost_answers)
  --reimport-keeps-cors     a ReimportApi whose definition has no x-amazon-apigateway-cors leaves the API's CORS
                            configuration as it was (whether AWS does is not documented: jwtstack must read the
                            API back after an import and fix what differs, as the Terraform provider does)
  --deny-ssm-action A       answers SSM action A (e.g. PutParameter) with AccessDeniedException
  --deny-decrypt            refuses SSM reads WithDecryption, as for a role without kms:Decrypt (counted)
  --strict                  answers as AWS does where moto is kinder (each rule below names its public source):
                            API Gateway's 409 on overlapping writes to one API and on a share of API writes
                            (--strict-conflict-rate), Block Public Access on every new bucket, OperationAborted
                            right after CreateBucket, a 301 for a bucket asked from another region, KMS
                            Sign's 4,096-byte limit on a RAW message, and CloudFront's rules: a distribution is
                            InProgress after each change, can be deleted only disabled and deployed, an
                            invalidation is InProgress at first, OAC names are unique, an OAC in use stays, an
                            alias (CNAME) is on one distribution only; Route 53's CNAME that allows no other
                            record beside it; API Gateway's one custom domain change per
                            --domain-call-interval seconds per account (AWS: 30); REST API creates, deletes
                            and deployments at most one per 3, 30 and 5 seconds per account (times
                            --rest-quota-scale); the account's log delivery
                            policy, 5,120 characters with an entry per access log group outside /aws/vendedlogs/;
                            an IAM role Lambda cannot assume for --role-propagation seconds after it is made, and a
                            Lambda function Pending after it is made and InProgress after each update for
                            --lambda-settle seconds, refusing the next update meanwhile
  --log-policy-used N       characters of the account's log delivery policy already used (strict; default 400,
                            its statement without entries)
  --account-public-access-block   the account's Block Public Access is on (S3 Control GetPublicAccessBlock);
                            public bucket policies are then refused whatever the bucket's own setting
  --failed-deployment       GetStage reports a failed automatic deployment
  --account-setting-denied  S3 Control GetPublicAccessBlock answers AccessDenied (the caller may not read it)
  --corrupt-ssm-dates       SSM answers carry LastModifiedDate as a string: the SDK cannot parse them, and the
                            body it could not parse holds decrypted SecureStrings (a drifted emulator, a proxy)
Every request is first checked against AWS's published API model (model_check.py, botocore's service JSON):
one the model forbids (a missing required member, a value out of its enum, length, range or pattern) is
answered 400 ValidationException, as AWS's own validation answers, and listed under model_violations, which the
test harness fails on (--no-model-check turns this off).

GET /__proxy/stats answers the counts so far as JSON: requests, faults by kind, throttled by the quota, the
model violations, and what the strict rules did (strict).

Usage: python aws_proxy.py --port PORT --target http://127.0.0.1:MOTO [options]
"""

import argparse
import base64
import http.client
import json
import random
import re
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import model_check

# SSM reads that can decrypt a SecureString.
DECRYPTING_READS = ("AmazonSSM.GetParameter", "AmazonSSM.GetParameters", "AmazonSSM.GetParametersByPath")

FAULTS = ["http500", "http503", "throttle", "latency", "reset_before", "reset_after"]


class Strict:
    """What AWS does that moto 5.2.5 does not. Each rule cites where AWS documents it or its users report it."""

    def __init__(self, rng, conflict_rate):
        self.lock = threading.Lock()
        self.rng = rng
        self.conflict_rate = conflict_rate
        # API Gateway serialises changes to one API: writes in flight, by API id.
        self.writing = {}
        # Buckets created through the proxy: their region, and whether the first configuration call is still
        # to be aborted.
        self.buckets = {}
        # Held while a CloudFront request is checked and forwarded (see _handle).
        self.cloudfront_writes = threading.Lock()
        # CloudFront: distributions (and invalidations) whose next read still answers InProgress.
        self.cf_pending = {}
        self.counts = {"conflict_overlap": 0, "conflict_random": 0, "operation_aborted": 0, "redirected": 0,
                       "public_policy_refused": 0, "cloudfront_in_progress": 0, "cloudfront_refused": 0,
                       "import_issuer_unreadable": 0, "route53_refused": 0, "domain_quota_refused": 0,
                       "log_policy_refused": 0, "role_not_assumable": 0, "lambda_settling": 0,
                       "lambda_update_refused": 0, "rest_create_quota_refused": 0, "rest_delete_quota_refused": 0,
                       "rest_deployment_quota_refused": 0}
        # When the account last changed a custom domain name (monotonic seconds).
        self.domain_call = None
        # When the account last made each REST API call with a quota of its own (_strict_rest_quota), by name.
        self.rest_calls = {}
        # The log group ARNs the account's log delivery policy names, and the characters it has used.
        self.log_policy_groups = set()
        self.log_policy_used = 0
        # IAM roles made through the proxy: when (monotonic seconds), by name.
        self.roles = {}
        # Lambda functions still settling: name -> (until, "create" or "update").
        self.settling = {}

    def count(self, what):
        with self.lock:
            self.counts[what] += 1


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.requests = 0
        self.faults = {k: 0 for k in FAULTS}
        self.quota_throttled = 0
        self.decrypt_refused = 0
        self.lose = {}
        for spec in args.lose_answer:
            target, _, n = spec.partition(":")
            self.lose[target] = int(n or 1)
        self.lost_answers = 0
        # Controlled delays for tests of races (--rendezvous, --delay-nth): "TARGET,NEEDLE,N[,SECONDS]", where a
        # request matches when its X-Amz-Target is TARGET and its body holds NEEDLE.
        self.rendezvous = []
        for spec in args.rendezvous:
            target, needle, n = spec.split(",")
            self.rendezvous.append({"target": target, "needle": needle, "n": int(n), "arrived": 0,
                                    "all_here": threading.Event()})
        self.delays = []
        for spec in args.delay_nth:
            target, needle, n, seconds = spec.split(",")
            self.delays.append({"target": target, "needle": needle, "n": int(n), "seconds": float(seconds),
                                "seen": 0})
        # "service Operation: what is wrong", for each request AWS's model forbids.
        self.model_violations = []
        self.bucket_tokens = None
        self.bucket_time = time.monotonic()
        self.strict = Strict(random.Random(args.seed + 1), args.strict_conflict_rate) if args.strict else None
        if self.strict:
            self.strict.log_policy_used = args.log_policy_used
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

    def lose_answer(self, target):
        """True when this request's answer is to be lost (see --lose-answer)."""
        with self.lock:
            if self.lose.get(target, 0) > 0:
                self.lose[target] -= 1
                self.lost_answers += 1
                return True
            return False

    def hold(self, target, body):
        """Holds a request as --rendezvous and --delay-nth say: the first N matching requests of a rendezvous wait
        until all N have arrived (at most 20 s), so that runs read the same state; the Nth matching request of a
        delay waits SECONDS before it is forwarded."""
        text = body.decode("utf-8", "replace")
        for r in self.rendezvous:
            if r["target"] != target or r["needle"] not in text:
                continue
            with self.lock:
                if r["arrived"] >= r["n"]:
                    continue
                r["arrived"] += 1
                if r["arrived"] == r["n"]:
                    r["all_here"].set()
            r["all_here"].wait(20)
        for d in self.delays:
            if d["target"] != target or d["needle"] not in text:
                continue
            with self.lock:
                d["seen"] += 1
                now = d["seen"] == d["n"]
            if now:
                time.sleep(d["seconds"])

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
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", handler.headers.get("Authorization", ""))
    if scope and scope.group(1) in ("iam", "sts"):
        return scope.group(1)
    if handler.path.startswith("/v2/") or handler.path.startswith("/restapis"):
        return "apigateway"
    if handler.path.startswith("/2020-05-31/"):
        return "cloudfront"
    if handler.path.startswith("/2013-04-01/"):
        return "route53"
    if handler.headers.get("X-Amz-Target", "").startswith("CertificateManager"):
        return "acm"
    if handler.path.startswith("/v20180820/"):
        return "s3control"
    if handler.path.startswith("/2015-03-31/"):
        return "lambda"
    target = handler.headers.get("X-Amz-Target", "")
    if target.startswith("AmazonSSM"):
        return "ssm"
    if target.startswith("TrentService"):
        return "kms"
    if target.startswith("Logs_"):
        return "logs"
    return "s3"


def throttle_answer(service):
    if service == "apigateway":
        return 429, {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}, b'{"message":"Too Many Requests"}'
    if service == "lambda":
        return 429, {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}, b'{"message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}'
    if service in ("ssm", "acm", "logs"):
        return 400, {"Content-Type": "application/x-amz-json-1.1"}, b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
    if service in ("cloudfront", "route53"):
        return 400, {"Content-Type": "text/xml"}, (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                                                   b"<Message>Rate exceeded</Message></Error></ErrorResponse>")
    return 503, {"Content-Type": "application/xml"}, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CONFLICT = (409, {"x-amzn-ErrorType": "ConflictException", "Content-Type": "application/json"},
            b'{"message":"Unable to complete operation due to concurrent modification. Please try again later."}')


def api_of(path):
    """The API id a management API call writes to (`/v2/apis/{id}/...`, a REST API's `/restapis/{id}/...`), or None
    (CreateApi, CreateRestApi, tags...).

    ReimportApi (PUT /v2/apis/{id}) is a write to that API like any other: serialised, and refused with 409 when
    another write to it is in flight. ImportApi (PUT /v2/apis) creates a new API, as CreateApi does, so no other
    write can be under way on it."""
    parts = urllib.parse.urlsplit(path).path.split("/")
    if len(parts) > 2 and parts[1] == "restapis" and parts[2]:
        return parts[2]
    return parts[3] if len(parts) > 3 and parts[1] == "v2" and parts[2] == "apis" and parts[3] else None


def signing_region(headers):
    """The region a request was signed for (the credential scope of its Authorization header)."""
    auth = headers.get("Authorization", "")
    try:
        return auth.split("Credential=")[1].split("/")[2]
    except IndexError:
        return None


def s3_target(path):
    """(bucket, key, query) of a path-style S3 request."""
    u = urllib.parse.urlsplit(path)
    parts = u.path.lstrip("/").split("/", 1)
    return parts[0], (parts[1] if len(parts) > 1 else ""), urllib.parse.parse_qs(u.query, keep_blank_values=True)


def is_public_policy(body):
    """A policy that grants anyone access: an Allow statement for principal * without a condition (the S3
    user guide, "The meaning of public")."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        principal = st.get("Principal")
        anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))
        if st.get("Effect") == "Allow" and anyone and not st.get("Condition"):
            return True
    return False


def xml_error(status, code, message, extra_headers=None):
    headers = {"Content-Type": "application/xml"}
    headers.update(extra_headers or {})
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>%s</Message></Error>"
            % (code, message)).encode()
    return status, headers, body


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

    def _forward(self, method, path, body, headers):
        target = urllib.parse.urlsplit(self.server.state.args.target)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def _strict_s3(self, state, body):
        """S3 rules of the strict mode. Returns an answer to send instead of forwarding, or None."""
        strict = state.strict
        bucket, key, query = s3_target(self.path)
        if not bucket or self.path.startswith("/?") or self.path == "/":
            return None
        region = signing_region(self.headers)
        with strict.lock:
            known = strict.buckets.get(bucket)
        # A bucket asked from another region answers 301 with its region, and the Rust SDK does not follow it
        # (S3 API reference, HeadBucket: x-amz-bucket-region; awslabs/aws-sdk-rust issue 183).
        if known and region and known["region"] != region:
            strict.count("redirected")
            if self.command == "HEAD":
                return 301, {"x-amz-bucket-region": known["region"]}, b""
            return xml_error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed "
                             "using the specified endpoint.", {"x-amz-bucket-region": known["region"]})
        configuring = self.command == "PUT" and not key and any(q in query for q in ("tagging", "publicAccessBlock", "policy"))
        # Right after CreateBucket, a configuration call can fail with 409 OperationAborted "A conflicting
        # conditional operation is currently in progress against this resource" (terraform-provider-aws
        # issues 7628 and 36873): the first one after each creation does here.
        if known and configuring and known["abort_next"]:
            with strict.lock:
                known["abort_next"] = False
            strict.count("operation_aborted")
            return xml_error(409, "OperationAborted", "A conflicting conditional operation is currently in progress "
                             "against this resource. Please try again.")
        # Block Public Access refuses a public policy, whether the bucket's own setting (on for every new
        # bucket since April 2023: S3 user guide, "Blocking public access") or the account's.
        if configuring and "policy" in query and is_public_policy(body):
            blocked = state.args.account_public_access_block
            if not blocked:
                resp, data = self._forward("GET", "/%s?publicAccessBlock" % bucket, b"", {"Host": self.headers.get("Host", "")})
                blocked = resp.status == 200 and b"<BlockPublicPolicy>true</BlockPublicPolicy>" in data
            if blocked:
                strict.count("public_policy_refused")
                return xml_error(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to "
                                 "perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::%s\" because public policies "
                                 "are blocked by the BlockPublicPolicy block public access setting." % bucket)
        return None

    def _moto_get(self, path):
        """A read of moto's own state, signed as the request in hand (moto does not check signatures)."""
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("transfer-encoding", "connection", "content-length", "content-type")}
        resp, data = self._forward("GET", path, b"", headers)
        return resp.status, data.decode("utf-8", "replace")

    def _strict_cloudfront(self, state):
        """CloudFront rules of the strict mode. Returns an answer to send instead of forwarding, or None."""
        strict = state.strict
        path = urllib.parse.urlsplit(self.path).path
        parts = path.split("/")
        refuse = lambda code, message: (409, {"Content-Type": "text/xml"}, (
            "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error></ErrorResponse>"
            % (code, message)).encode())
        if self.command == "DELETE" and len(parts) == 4 and parts[2] == "distribution":
            # DeleteDistribution: "you must first disable the distribution" and wait until its status is Deployed;
            # otherwise 409 DistributionNotDisabled (CloudFront API Reference, DeleteDistribution; Developer Guide,
            # "Delete a distribution"). moto deletes an enabled distribution.
            dist = parts[3]
            status, doc = self._moto_get("/2020-05-31/distribution/" + dist)
            with strict.lock:
                pending = strict.cf_pending.get(dist, 0) > 0
            if status == 200 and ("<Enabled>true</Enabled>" in doc or pending):
                strict.count("cloudfront_refused")
                return refuse("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")
        if self.command == "POST" and path == "/2020-05-31/origin-access-control":
            # An origin access control's name is unique in the account: 409 OriginAccessControlAlreadyExists
            # (CloudFront API Reference, CreateOriginAccessControl, Errors). moto accepts duplicates.
            name = re.search(r"<Name>([^<]*)</Name>", self._strict_body or "")
            _, listing = self._moto_get("/2020-05-31/origin-access-control")
            if name and ("<Name>%s</Name>" % name.group(1)) in listing:
                strict.count("cloudfront_refused")
                return refuse("OriginAccessControlAlreadyExists", "An origin access control with the same name already exists.")
        creating = self.command == "POST" and path == "/2020-05-31/distribution"
        updating = self.command == "PUT" and len(parts) == 5 and parts[2] == "distribution" and parts[4] == "config"
        if creating or updating:
            # An alternate domain name (CNAME) belongs to one distribution: 409 CNAMEAlreadyExists "One or more of
            # the CNAMEs you provided are already associated with a different resource." (CloudFront API
            # Reference, CreateDistribution and UpdateDistribution, Errors). moto accepts it twice.
            aliases = re.search(r"<Aliases>.*?</Aliases>", self._strict_body or "", re.S)
            wanted = set(re.findall(r"<CNAME>([^<]+)</CNAME>", aliases.group(0))) if aliases else set()
            if wanted:
                _, listing = self._moto_get("/2020-05-31/distribution")
                for summary in re.findall(r"<DistributionSummary>.*?</DistributionSummary>", listing, re.S):
                    ident = re.search(r"<Id>([^<]+)</Id>", summary)
                    held = set(re.findall(r"<CNAME>([^<]+)</CNAME>", summary))
                    if ident and (not updating or ident.group(1) != parts[3]) and wanted & held:
                        strict.count("cloudfront_refused")
                        return refuse("CNAMEAlreadyExists", "One or more of the CNAMEs you provided are already "
                                      "associated with a different resource.")
        if self.command == "DELETE" and len(parts) == 4 and parts[2] == "origin-access-control":
            # An OAC a distribution still uses cannot be deleted: 409 OriginAccessControlInUse (CloudFront API
            # Reference, DeleteOriginAccessControl, Errors). moto deletes it.
            _, listing = self._moto_get("/2020-05-31/distribution")
            if ("<OriginAccessControlId>%s</OriginAccessControlId>" % parts[3]) in listing:
                strict.count("cloudfront_refused")
                return refuse("OriginAccessControlInUse", "Cannot delete, this origin access control is in use.")
        return None

    def _model_check(self, state, service, body):
        """A request AWS's model forbids gets AWS's validation answer (400 ValidationException; the XML services'
        own error document), and is recorded."""
        violations = model_check.check_http(self.command, self.path, dict(self.headers.items()), body)
        if not violations:
            return None
        with state.lock:
            state.model_violations.extend(violations)
        message = "; ".join(violations)[:2000]
        escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if service == "s3":
            doc = "<Error><Code>InvalidRequest</Code><Message>%s</Message></Error>" % escaped
            return 400, {"Content-Type": "application/xml"}, doc.encode()
        if service in ("s3control", "route53", "cloudfront", "sts"):
            doc = ("<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>%s</Message></Error>"
                   "</ErrorResponse>" % escaped)
            return 400, {"Content-Type": "text/xml"}, doc.encode()
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ValidationException"}, \
            json.dumps({"__type": "ValidationException", "message": message}).encode()

    def _cors_to_keep(self, state, service, body):
        """--reimport-keeps-cors: the CORS configuration a ReimportApi without x-amazon-apigateway-cors leaves."""
        path = urllib.parse.urlsplit(self.path).path
        if not state.args.reimport_keeps_cors or service != "apigateway" or self.command != "PUT" \
                or not re.fullmatch(r"/v2/apis/[^/]+", path):
            return None
        try:
            definition = json.loads(json.loads(body or b"{}").get("body", "{}"))
        except (ValueError, AttributeError):
            return None
        if "x-amazon-apigateway-cors" in definition:
            return None
        status, doc = self._moto_get(path)
        return json.loads(doc).get("corsConfiguration") if status == 200 else None

    def _strict_route53(self, state, body):
        """A CNAME allows no other record of its name (RFC 1034 3.6.2): Route 53 refuses an A or AAAA record
        beside one, InvalidChangeBatch "RRSet of type A with DNS name x. is not permitted because a conflicting
        RRSet of type  CNAME with the same DNS name already exists in zone z." (hashicorp/terraform#9732,
        RJPearson94/terraform-aws-open-next#24). moto accepts it."""
        m = re.fullmatch(r"/2013-04-01/hostedzone/([^/]+)/rrset/?", urllib.parse.urlsplit(self.path).path)
        if self.command != "POST" or not m:
            return None
        zone = m.group(1)
        text = body.decode("utf-8", "replace")
        for change in re.findall(r"<Change>.*?</Change>", text, re.S):
            action = re.search(r"<Action>([^<]+)</Action>", change)
            name = re.search(r"<Name>([^<]+)</Name>", change)
            kind = re.search(r"<Type>([^<]+)</Type>", change)
            if not (action and name and kind) or action.group(1) == "DELETE" or kind.group(1) == "CNAME":
                continue
            fqdn = name.group(1).rstrip(".") + "."
            query = urllib.parse.urlencode({"name": fqdn, "type": "CNAME", "maxitems": "1"})
            _, listing = self._moto_get("/2013-04-01/hostedzone/%s/rrset?%s" % (zone, query))
            for rrset in re.findall(r"<ResourceRecordSet>.*?</ResourceRecordSet>", listing, re.S):
                if ("<Name>%s</Name>" % fqdn) in rrset and "<Type>CNAME</Type>" in rrset:
                    _, hosted = self._moto_get("/2013-04-01/hostedzone/" + zone)
                    zone_name = re.search(r"<Name>([^<]+)</Name>", hosted)
                    state.strict.count("route53_refused")
                    message = ("[RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet of type  "
                               "CNAME with the same DNS name already exists in zone %s]"
                               % (kind.group(1), fqdn, zone_name.group(1) if zone_name else zone))
                    error = ('<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                             "<Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>%s</Message></Error>"
                             "</ErrorResponse>" % message)
                    return 400, {"Content-Type": "text/xml"}, error.encode()
        return None

    def _strict_log_delivery(self, state, body):
        """An HTTP API stage's access log: API Gateway's log delivery adds the group to the account's CloudWatch Logs
        resource policy AWSLogDeliveryWrite20150319, capped at 5,120 characters; entries are never removed, and near
        the cap CloudWatch Logs allows only /aws/vendedlogs/* (Step Functions Developer Guide, "Avoiding CloudWatch
        Logs resource policy size restrictions"). Past it CreateStage and UpdateStage answer 400 BadRequestException
        "Insufficient permissions to enable logging" (anomalyco/sst#125; serverless/serverless#10469). moto keeps no
        such policy."""
        path = urllib.parse.urlsplit(self.path).path
        create = self.command == "POST" and re.fullmatch(r"/v2/apis/[^/]+/stages", path)
        update = self.command == "PATCH" and re.fullmatch(r"/v2/apis/[^/]+/stages/[^/]+", path)
        if not (create or update):
            return None
        try:
            arn = (json.loads(body or b"{}").get("accessLogSettings") or {}).get("destinationArn")
        except (ValueError, AttributeError):
            return None
        if not arn:
            return None
        group = arn.split(":log-group:", 1)[-1]
        if group.endswith(":*"):
            group = group[:-2]
        if group.startswith("/aws/vendedlogs/"):
            return None
        strict = state.strict
        entry = "arn:aws:logs:us-east-1:123456789012:log-group:%s:log-stream:*" % group
        with strict.lock:
            if entry in strict.log_policy_groups:
                return None
            if strict.log_policy_used + len(entry) + 3 > 5120:
                strict.counts["log_policy_refused"] += 1
                return 400, {"Content-Type": "application/json", "x-amzn-ErrorType": "BadRequestException"}, \
                    json.dumps({"message": "Insufficient permissions to enable logging"}).encode()
            strict.log_policy_groups.add(entry)
            strict.log_policy_used += len(entry) + 3
        return None

    def _strict_domain_quota(self, state):
        """CreateDomainName, UpdateDomainName and DeleteDomainName: one request every 30 seconds per account, not
        adjustable ("Amazon API Gateway quotas"); past it 429 TooManyRequestsException (AWS Knowledge Center,
        "api-gateway-delete-domain-name"). moto takes any number. The interval is --domain-call-interval."""
        path = urllib.parse.urlsplit(self.path).path
        create = self.command == "POST" and path == "/v2/domainnames"
        change = self.command in ("PATCH", "DELETE") and re.fullmatch(r"/v2/domainnames/[^/]+", path)
        if not (create or change):
            return None
        strict = state.strict
        with strict.lock:
            now = time.monotonic()
            if strict.domain_call is not None and now - strict.domain_call < state.args.domain_call_interval:
                strict.counts["domain_quota_refused"] += 1
                return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}, \
                    json.dumps({"message": "Too Many Requests"}).encode()
            strict.domain_call = now
        return None

    # REST API calls with a per-account quota of their own, none raisable ("Amazon API Gateway quotas", quotas for
    # creating, deploying and managing an API): method, path pattern, seconds between two calls. CreateRestApi is
    # one every 3 seconds for a regional or private API (30 for an edge-optimized one: the body says which).
    REST_QUOTAS = [
        ("POST", re.compile(r"/restapis"), "rest_create", 3.0),
        ("DELETE", re.compile(r"/restapis/[^/]+"), "rest_delete", 30.0),
        ("POST", re.compile(r"/restapis/[^/]+/deployments"), "rest_deployment", 5.0),
    ]

    def _strict_rest_quota(self, state, body):
        """CreateRestApi, DeleteRestApi and CreateDeployment past their quota: 429 TooManyRequestsException, as for
        the custom domain quota. moto takes any number. --rest-quota-scale shortens the intervals (1: AWS's)."""
        path = urllib.parse.urlsplit(self.path).path
        for method, pattern, name, seconds in self.REST_QUOTAS:
            if self.command != method or not pattern.fullmatch(path):
                continue
            if name == "rest_create" and b'"EDGE"' in (body or b""):
                seconds = 30.0
            strict = state.strict
            with strict.lock:
                now = time.monotonic()
                last = strict.rest_calls.get(name)
                if last is not None and now - last < seconds * state.args.rest_quota_scale:
                    strict.counts[name + "_quota_refused"] += 1
                    return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}, \
                        json.dumps({"message": "Too Many Requests"}).encode()
                strict.rest_calls[name] = now
        return None

    def _strict_import(self, state, body):
        """ImportApi/ReimportApi read every JWT authorizer's issuer (loige.co, "Debugging API Gateway HTTP OIDC
        JWT authorizer"): an issuer served by a distribution still deploying cannot be read yet (CloudFront
        Developer Guide, "Distribution status": a change reaches every edge when the status is Deployed), so under
        FailOnWarnings the import is refused with API Gateway's warning. Where the issuer itself lives is the
        emulator's to read (moto_issuer); whether the distribution is deployed is this proxy's state."""
        path = urllib.parse.urlsplit(self.path)
        if self.command != "PUT" or not re.fullmatch(r"/v2/apis(/[^/]+)?", path.path):
            return None
        if "failonwarnings=true" not in path.query.lower():
            return None
        try:
            definition = json.loads(json.loads(body or b"{}").get("body", "{}"))
            schemes = (definition.get("components") or {}).get("securitySchemes") or {}
        except (ValueError, AttributeError):
            return None
        strict = state.strict
        for name, scheme in schemes.items():
            issuer = (((scheme or {}).get("x-amazon-apigateway-authorizer") or {}).get("jwtConfiguration") or {}).get("issuer")
            host = urllib.parse.urlsplit(issuer or "").hostname or ""
            if not host.endswith(".cloudfront.net"):
                continue
            _, listing = self._moto_get("/2020-05-31/distribution")
            for summary in re.findall(r"<DistributionSummary>.*?</DistributionSummary>", listing, re.S):
                ident = re.search(r"<Id>([^<]+)</Id>", summary)
                if ident and ("<DomainName>%s</DomainName>" % host) in summary:
                    with strict.lock:
                        deploying = strict.cf_pending.get(ident.group(1), 0) > 0
                    if deploying:
                        strict.count("import_issuer_unreadable")
                        message = ("Warnings found during import:\n\tUnable to create Authorizer '%s': Caught exception "
                                   "when connecting to %s/.well-known/openid-configuration: the distribution is still "
                                   "deploying. Please try again later" % (name, issuer.rstrip("/")))
                        return (400, {"Content-Type": "application/json"},
                                json.dumps({"message": message}).encode(),)
        return None

    def _strict_cloudfront_answer(self, state, status, data):
        """After CloudFront answered: a created or updated distribution, and a new invalidation, are InProgress
        for a while on AWS ("the value of Status is InProgress" until the change has propagated: CloudFront
        Developer Guide, "Distribution status"; an invalidation likewise, CreateInvalidation). moto answers
        Deployed and Completed at once: the first read after each change answers InProgress here."""
        strict = state.strict
        path = urllib.parse.urlsplit(self.path).path
        parts = path.split("/")
        if status in (200, 201) and self.command in ("POST", "PUT"):
            ident = None
            if path == "/2020-05-31/distribution":
                found = re.search(rb"<Id>([^<]+)</Id>", data)
                ident = found and found.group(1).decode()
            elif len(parts) == 5 and parts[2] == "distribution" and parts[4] == "config":
                ident = parts[3]
            elif len(parts) == 5 and parts[2] == "distribution" and parts[4] == "invalidation":
                found = re.search(rb"<Id>([^<]+)</Id>", data)
                ident = found and "invalidation/" + found.group(1).decode()
            if ident:
                with strict.lock:
                    strict.cf_pending[ident] = 1
            return data
        if status == 200 and self.command == "GET" and len(parts) in (4, 6) and parts[2] == "distribution":
            ident = parts[3] if len(parts) == 4 else "invalidation/" + parts[5]
            with strict.lock:
                pending = strict.cf_pending.get(ident, 0) > 0
                if pending:
                    strict.cf_pending[ident] -= 1
            if pending:
                strict.count("cloudfront_in_progress")
                data = data.replace(b"<Status>Deployed</Status>", b"<Status>InProgress</Status>")
                data = re.sub(rb"<Status>(Completed|COMPLETED)</Status>", b"<Status>InProgress</Status>", data)
        return data

    def _strict_lambda(self, state, body):
        """Two things AWS does that moto does not:
        - a role IAM has just made cannot be assumed by Lambda for some seconds: CreateFunction and
          UpdateFunctionConfiguration answer 400 InvalidParameterValueException "The role defined for the
          function cannot be assumed by Lambda." (IAM User Guide, "Changes that I make are not always immediately
          visible"; the Terraform provider retries exactly this message for two minutes, retryFunctionOp in
          internal/service/lambda/function.go; cloudposse/terraform-aws-lambda-function#14 and
          terraform-aws-modules/terraform-aws-lambda#122 report it);
        - a function is Pending after it is made and its LastUpdateStatus InProgress after each update, and an
          update meanwhile is refused with 409 ResourceConflictException "The operation cannot be performed at
          this time. An update is in progress for resource: ..." (Lambda Developer Guide, "Lambda function
          states"; SeanRoy/lambda-maven-plugin#117, hashicorp/terraform#29604, claudiajs/claudia#226 report it)."""
        strict = state.strict
        path = urllib.parse.urlsplit(self.path).path
        parts = path.split("/")
        creating = self.command == "POST" and path == "/2015-03-31/functions"
        updating = self.command == "PUT" and len(parts) == 5 and parts[2] == "functions" \
            and parts[4] in ("code", "configuration")
        if not (creating or updating):
            return None
        now = time.monotonic()
        name = urllib.parse.unquote(parts[3]) if updating else None
        if updating:
            with strict.lock:
                until, _ = strict.settling.get(name, (0, None))
            if now < until:
                strict.count("lambda_update_refused")
                message = ("The operation cannot be performed at this time. An update is in progress for resource: "
                           "arn:aws:lambda:us-east-1:123456789012:function:%s" % name)
                return 409, {"Content-Type": "application/json", "x-amzn-ErrorType": "ResourceConflictException"}, \
                    json.dumps({"Type": "User", "message": message}).encode()
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        role = str(request.get("Role") or "")
        made = strict.roles.get(role.rsplit("/", 1)[-1]) if role else None
        if made is not None and now - made < state.args.role_propagation:
            strict.count("role_not_assumable")
            return 400, {"Content-Type": "application/json", "x-amzn-ErrorType": "InvalidParameterValueException"}, \
                json.dumps({"Type": "User", "message": "The role defined for the function cannot be assumed by Lambda."}).encode()
        return None

    def _strict_lambda_answer(self, state, status, data):
        """After Lambda answered: a function made or updated settles for --lambda-settle seconds, and reads
        meanwhile say so (State Pending, or LastUpdateStatus InProgress)."""
        strict = state.strict
        path = urllib.parse.urlsplit(self.path).path
        parts = path.split("/")
        if len(parts) < 3 or parts[2] != "functions":
            return data
        now = time.monotonic()
        if status in (200, 201) and self.command in ("POST", "PUT"):
            try:
                name = json.loads(data).get("FunctionName")
            except ValueError:
                name = None
            what = "create" if self.command == "POST" and len(parts) == 3 else "update"
            if name and (len(parts) == 3 or parts[-1] in ("code", "configuration")):
                with strict.lock:
                    strict.settling[name] = (now + state.args.lambda_settle, what)
            return data
        # GetFunction and GetFunctionConfiguration (not GetPolicy, which shares the prefix).
        if status == 200 and self.command == "GET" and (len(parts) == 4 or (len(parts) == 5 and parts[4] == "configuration")):
            name = urllib.parse.unquote(parts[3])
            with strict.lock:
                until, what = strict.settling.get(name, (0, None))
            if now >= until:
                return data
            doc = json.loads(data)
            conf = doc.get("Configuration", doc)
            if what == "create":
                conf.update({"State": "Pending", "StateReason": "The function is being created.",
                             "StateReasonCode": "Creating"})
            else:
                conf.update({"LastUpdateStatus": "InProgress",
                             "LastUpdateStatusReason": "The function is being updated."})
            strict.count("lambda_settling")
            return json.dumps(doc).encode()
        return data

    def _strict_iam_answer(self, state, status, body):
        """A role made through the proxy, remembered with when (for the Lambda rule above)."""
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if status == 200 and form.get("Action") == ["CreateRole"] and form.get("RoleName"):
            with state.strict.lock:
                state.strict.roles[form["RoleName"][0]] = time.monotonic()

    def _strict_created(self, state, body):
        """After a CreateBucket that succeeded: the bucket's Block Public Access is all on, as on AWS."""
        bucket, key, query = s3_target(self.path)
        region = signing_region(self.headers) or "us-east-1"
        with state.strict.lock:
            state.strict.buckets[bucket] = {"region": region, "abort_next": True}
        conf = (b'<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b"<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
                b"<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"
                b"</PublicAccessBlockConfiguration>")
        self._forward("PUT", "/%s?publicAccessBlock" % bucket, conf, {"Host": self.headers.get("Host", ""),
                                                                       "Content-Length": str(len(conf))})

    def _handle(self):
        state = self.server.state
        body = self._read_body()
        if self.path == "/__proxy/stats":
            stats = {"requests": state.requests, "faults": state.faults, "quota_throttled": state.quota_throttled,
                     "decrypt_refused": state.decrypt_refused, "lost_answers": state.lost_answers,
                     "model_violations": state.model_violations}
            if state.strict:
                stats["strict"] = state.strict.counts
            return self._answer(200, {"Content-Type": "application/json"}, json.dumps(stats).encode())
        service = service_of(self)
        if not state.args.no_model_check:
            refusal = self._model_check(state, service, body)
            if refusal:
                return self._answer(*refusal)
        self._strict_body = body.decode("utf-8", "replace") if service == "cloudfront" else None
        if service == "s3control":
            # The account's Block Public Access setting (S3 Control GetPublicAccessBlock).
            if state.args.account_setting_denied:
                body = (b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>AccessDenied</Code>'
                        b"<Message>Access Denied</Message></Error></ErrorResponse>")
                return self._answer(403, {"Content-Type": "application/xml"}, body)
            if state.args.account_public_access_block:
                conf = (b'<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration>'
                        b"<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
                        b"<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"
                        b"</PublicAccessBlockConfiguration>")
                return self._answer(200, {"Content-Type": "application/xml"}, conf)
            # S3 Control wraps its errors in <ErrorResponse> (restXml with wrapped errors).
            body = (b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error>'
                    b"<Code>NoSuchPublicAccessBlockConfiguration</Code>"
                    b"<Message>The public access block configuration was not found</Message></Error></ErrorResponse>")
            return self._answer(404, {"Content-Type": "application/xml"}, body)
        target = self.headers.get("X-Amz-Target", "")
        state.hold(target, body)
        if state.args.deny_decrypt and service == "ssm" and target in DECRYPTING_READS:
            # A read-only role without kms:Decrypt (the README's plan policy): reading a SecureString's value with
            # WithDecryption needs kms:Decrypt on its key, and SSM refuses the whole call ("How AWS Systems Manager
            # Parameter Store uses AWS KMS", AWS KMS Developer Guide). Reads without decryption pass.
            try:
                decrypting = json.loads(body or b"{}").get("WithDecryption") is True
            except ValueError:
                decrypting = False
            if decrypting:
                state.decrypt_refused += 1
                message = ("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Decrypt on "
                           "resource: arn:aws:kms:us-east-1:123456789012:key/alias/aws/ssm")
                body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
                return self._answer(400, {"Content-Type": "application/x-amz-json-1.1"}, body)
        if state.strict and service == "kms" and target == "TrentService.Sign":
            # Sign takes a RAW message of at most 4,096 bytes; a longer one must be sent as its digest
            # (MessageType DIGEST), else ValidationException (AWS KMS API Reference, Sign: Message and MessageType).
            # moto signs any length.
            try:
                request = json.loads(body or b"{}")
                raw = request.get("MessageType", "RAW") == "RAW"
                size = len(base64.b64decode(request.get("Message", "")))
            except ValueError:
                raw, size = False, 0
            if raw and size > 4096:
                state.strict.count("kms_raw_too_long")
                message = "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096"
                body = json.dumps({"__type": "ValidationException", "message": message}).encode()
                return self._answer(400, {"Content-Type": "application/x-amz-json-1.1"}, body)
        if state.args.deny_ssm_action and self.headers.get("X-Amz-Target", "") == "AmazonSSM." + state.args.deny_ssm_action:
            message = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ssm:%s" % state.args.deny_ssm_action
            body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
            return self._answer(400, {"Content-Type": "application/x-amz-json-1.1"}, body)
        if service == "apigateway" and state.bucket_tokens is not None and not state.take_quota():
            return self._answer(*throttle_answer("apigateway"))
        api_writing = None
        if state.strict and service == "s3":
            refusal = self._strict_s3(state, body)
            if refusal:
                return self._answer(*refusal)
        if state.strict and service == "cloudfront":
            # CloudFront checks an alternate domain name and takes it in one step: two creates of one name at once
            # get one distribution and one CNAMEAlreadyExists, so the check and the forwarding hold one lock.
            with state.strict.cloudfront_writes:
                refusal = self._strict_cloudfront(state)
                if refusal:
                    return self._answer(*refusal)
                return self._forward_with_faults(state, service, body)
        if state.strict and service == "apigateway":
            refusal = (self._strict_import(state, body) or self._strict_domain_quota(state)
                       or self._strict_rest_quota(state, body) or self._strict_log_delivery(state, body))
            if refusal:
                return self._answer(*refusal)
        if state.strict and service == "route53":
            refusal = self._strict_route53(state, body)
            if refusal:
                return self._answer(*refusal)
        if state.strict and service == "lambda":
            refusal = self._strict_lambda(state, body)
            if refusal:
                return self._answer(*refusal)
        if state.strict and service == "apigateway" and self.command in WRITE_METHODS:
            # API Gateway serialises changes to one API: a write while another to the same API is in flight, and
            # now and then one in quick succession, gets 409 ConflictException "Unable to complete operation due
            # to concurrent modification" (terraform-provider-aws issues 18018, 37897, 40575 and its pull request
            # 29735; bref issue 868). Nothing is forwarded.
            api = api_of(self.path)
            strict = state.strict
            with strict.lock:
                busy = api is not None and strict.writing.get(api, 0) > 0
                unlucky = api is not None and not busy and strict.rng.random() < strict.conflict_rate
                if api is not None and not busy and not unlucky:
                    strict.writing[api] = strict.writing.get(api, 0) + 1
                    api_writing = api
            if busy or unlucky:
                strict.count("conflict_overlap" if busy else "conflict_random")
                return self._answer(*CONFLICT)
        try:
            return self._forward_with_faults(state, service, body)
        finally:
            if api_writing is not None:
                with state.strict.lock:
                    state.strict.writing[api_writing] -= 1

    def _forward_with_faults(self, state, service, body):
        if state.args.latency_ms:
            time.sleep(state.args.latency_ms / 1000.0)
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
        restore_cors = self._cors_to_keep(state, service, body)
        target = urllib.parse.urlsplit(state.args.target)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if restore_cors is not None and resp.status < 300:
            api = urllib.parse.urlsplit(self.path).path.split("/")[3]
            patch = json.dumps({"corsConfiguration": restore_cors}).encode()
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("transfer-encoding", "connection", "content-length")}
            headers["Content-Length"] = str(len(patch))
            self._forward("PATCH", "/v2/apis/" + api, patch, headers)
        if fault == "reset_after" or state.lose_answer(self.headers.get("X-Amz-Target", "")):
            return self._reset()
        out = {k: v for k, v in resp.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        if state.strict and service == "s3" and self.command == "PUT" and resp.status == 200:
            bucket, key, query = s3_target(self.path)
            if bucket and not key and not query:
                self._strict_created(state, body)
        if state.strict and service == "cloudfront":
            data = self._strict_cloudfront_answer(state, resp.status, data)
        if state.strict and service == "lambda":
            data = self._strict_lambda_answer(state, resp.status, data)
        if state.strict and service == "iam":
            self._strict_iam_answer(state, resp.status, body)
        if state.args.corrupt_ssm_dates and service == "ssm":
            data = re.sub(rb'"LastModifiedDate":\s*([0-9.eE+]+)', rb'"LastModifiedDate": "\1"', data)
        if state.args.failed_deployment and service == "apigateway" and self.command == "GET" and resp.status == 200 \
                and "/stages/" in self.path:
            # A failed automatic deployment, as the stage reports it (apigatewayv2 Stage,
            # lastDeploymentStatusMessage).
            doc = json.loads(data)
            doc["lastDeploymentStatusMessage"] = ("Deployment attempt failed: Unable to deploy API because no routes "
                                                  "exist in this API")
            data = json.dumps(doc).encode()
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
    p.add_argument("--lose-answer", action="append", default=[])
    p.add_argument("--rendezvous", action="append", default=[])
    p.add_argument("--delay-nth", action="append", default=[])
    p.add_argument("--deny-ssm-action", default="")
    p.add_argument("--reimport-keeps-cors", action="store_true")
    p.add_argument("--deny-decrypt", action="store_true")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--strict-conflict-rate", type=float, default=0.03)
    p.add_argument("--domain-call-interval", type=float, default=30.0)
    p.add_argument("--rest-quota-scale", type=float, default=1.0)
    p.add_argument("--no-model-check", action="store_true")
    p.add_argument("--log-policy-used", type=int, default=400)
    p.add_argument("--account-public-access-block", action="store_true")
    p.add_argument("--failed-deployment", action="store_true")
    p.add_argument("--account-setting-denied", action="store_true")
    p.add_argument("--corrupt-ssm-dates", action="store_true")
    p.add_argument("--role-propagation", type=float, default=2.0)
    p.add_argument("--lambda-settle", type=float, default=1.0)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    main()
