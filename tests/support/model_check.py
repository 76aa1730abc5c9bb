"""Checks an AWS API request against AWS's published API model (botocore's service-2.json files).

The proxy in front of moto (aws_proxy.py) can ask, for every request it forwards, whether AWS would accept its
shape: moto is kinder than AWS and takes, say, a parameter name of 3,000 characters or a record type `BOGUS`.
Every rule here comes from botocore's copy of the model, read directly from
`botocore/data/<service>/<newest api version>/service-2.json[.gz]` (the same data the AWS SDKs are generated
from; the Rust SDK jwtstack uses is generated from the Smithy form of the same models):

- the operation is found as the model's `metadata.protocol(s)` says one is addressed on the wire: `json` by the
  `X-Amz-Target: <metadata.targetPrefix>.<operation name>` header, `rest-json` / `rest-xml` by the HTTP method and
  the operation's `http.requestUri` template (`{Label}`, greedy `{Label+}`, literal query parts such as `?tagging`
  or `?list-type=2`), `query` by the `Action` form field, `smithy-rpc-v2-cbor` by the
  `/service/<targetPrefix>/operation/<name>` path;
- the operation's input members are rebuilt from where the model puts each (`location`: `uri`, `querystring`,
  `header`, `headers`, with `locationName`; else the body: JSON for json / rest-json, XML for rest-xml with the
  `locationName` / `flattened` / `xmlAttribute` rules of botocore's RestXMLSerializer, form fields for query with
  the QuerySerializer's `.member.N` / `.entry.N.key` rules, CBOR for rpc-v2-cbor; a `payload` member is the whole
  body);
- each value is checked against its shape: `required`, the type, `enum`, `min` / `max` (length of a string,
  bytes of a blob, size of a list or map, range of a number), `pattern`, `union` (exactly one member), and no
  member the shape does not have; and an operation marked `httpChecksumRequired` (or
  `httpChecksum.requestChecksumRequired`) must carry `Content-MD5` or an `x-amz-checksum-*` header.

Not checked (and said so where it matters): headers the model does not name (SDKs send many of their own),
`xmlNamespace` URIs, the Content-Type, streaming and event-stream payloads' contents, `hostLabel` / endpoint host
prefixes, idempotency tokens, and rules AWS documents only in prose (e.g. "you can't specify both X and Y").

`check()` never raises: a body that does not parse is itself a violation, and an internal error is reported as
one (so a bug here shows up in the proxy's answer rather than as a dropped connection).
"""

import base64
import datetime
import email.utils
import glob
import gzip
import importlib.util
import json
import os
import re
import struct
import sys
import threading
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET

__all__ = ["check", "check_http", "service_of", "operation_of"]

# ---------------------------------------------------------------------------------------------------------------
# Loading the models


def _data_dir():
    """botocore's data directory: the importable botocore's, else the project's test venv's."""
    env = os.environ.get("MODEL_CHECK_BOTOCORE_DATA")
    if env:
        return env
    try:
        spec = importlib.util.find_spec("botocore")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        d = os.path.join(list(spec.submodule_search_locations)[0], "data")
        if os.path.isdir(d):
            return d
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = sorted(glob.glob(os.path.join(root, ".venv-test", "lib", "python3*", "site-packages", "botocore", "data")))
    return found[-1] if found else None


_LOCK = threading.RLock()
_MODELS = {}
_DATA = []  # [dir] once resolved


def _model_file(service):
    if not _DATA:
        _DATA.append(_data_dir())
    data = _DATA[0]
    if not data or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", service or ""):
        return None
    sdir = os.path.join(data, service)
    if not os.path.isdir(sdir):
        return None
    # The newest API version, as botocore's loader picks it (its directories are ISO dates).
    for version in sorted(os.listdir(sdir), reverse=True):
        for name in ("service-2.json", "service-2.json.gz"):
            p = os.path.join(sdir, version, name)
            if os.path.isfile(p):
                return p
    return None


def _read_json(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


class _Route:
    """One rest operation's `http.method` + `http.requestUri`, compiled for matching."""

    def __init__(self, key, op):
        self.key = key
        self.method = op.get("http", {}).get("method", "POST").upper()
        uri = op.get("http", {}).get("requestUri", "/")
        path_t, _, query_t = uri.partition("?")
        self.query_literals = {}
        for part in filter(None, query_t.split("&")):
            k, eq, v = part.partition("=")
            self.query_literals[urllib.parse.unquote(k)] = urllib.parse.unquote(v) if eq else None
        rx, self.labels, literal, greedy, pos = [], [], 0, 0, 0
        for m in re.finditer(r"\{([^}]+)\}", path_t):
            rx.append(re.escape(path_t[pos:m.start()]))
            literal += m.start() - pos
            name = m.group(1)
            is_greedy = name.endswith("+")
            greedy += is_greedy
            rx.append(f"(?P<g{len(self.labels)}>{'.+' if is_greedy else '[^/]+'})")
            self.labels.append(name.rstrip("+"))
            pos = m.end()
        tail = path_t[pos:]
        literal += len(tail)
        # A trailing slash is not significant: botocore's ChangeResourceRecordSets is
        # `POST /2013-04-01/hostedzone/{Id}/rrset/`, the Smithy model the Rust SDK is generated from has
        # `.../rrset`, and Route 53 answers both.
        rx.append(re.escape(tail.rstrip("/")) + "/?" if tail.endswith("/") and len(tail) > 1 else re.escape(tail))
        self.rx = re.compile("".join(rx), re.DOTALL)
        # More literal query parts, then more literal path, then fewer greedy labels: the more specific template.
        self.score = (len(self.query_literals), literal, -greedy)
        self.deprecated = bool(op.get("deprecated"))

    def match(self, path, keys):
        """The label values (percent-decoded) if `path` and the query (`keys`: name -> values) fit, else None."""
        m = self.rx.fullmatch(path)
        if not m:
            return None
        for k, v in self.query_literals.items():
            if k not in keys or (v is not None and v not in keys[k]):
                return None
        return {name: urllib.parse.unquote(m.group(f"g{i}")) for i, name in enumerate(self.labels)}


class _Model:
    def __init__(self, name, raw):
        self.name = name
        self.meta = raw.get("metadata", {})
        self.shapes = raw.get("shapes", {})
        self.ops = raw.get("operations", {})
        self.protocols = list(self.meta.get("protocols") or [self.meta.get("protocol", "")])
        prefix = self.meta.get("targetPrefix", "")
        # The wire name is the operation's `name` (CloudFront's key CreateDistribution is CreateDistribution2020_05_31).
        self.by_wire_name = {op.get("name", key): key for key, op in self.ops.items()}
        self.by_target = {f"{prefix}.{wire}": key for wire, key in self.by_wire_name.items()}
        self.routes = [_Route(k, op) for k, op in self.ops.items()] if self.is_rest else []
        self._wire = {}

    @property
    def is_rest(self):
        return any(p in ("rest-json", "rest-xml") for p in self.protocols)

    def wire_members(self, shape_name):
        """A structure's members by their name in JSON / CBOR: the member's `locationName`, else its name."""
        w = self._wire.get(shape_name)
        if w is None:
            members = self.shapes.get(shape_name, {}).get("members", {})
            w = {ref.get("locationName", m): m for m, ref in members.items()}
            self._wire[shape_name] = w
        return w


def _model(service):
    with _LOCK:
        if service not in _MODELS:
            path = _model_file(service)
            _MODELS[service] = _Model(service, _read_json(path)) if path else None
        return _MODELS[service]


# ---------------------------------------------------------------------------------------------------------------
# Which service: the SigV4 credential scope


# Signing names (credential scope) whose botocore directory has another name, or is shared by two models.
_SIGNING_TO_SERVICE = {
    "tagging": "resourcegroupstaggingapi",
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigatewaymanagementapi",
    "s3-outposts": "s3outposts",
    "aws-marketplace": "marketplace-catalog",
}
# X-Amz-Target prefixes, for an unsigned json request (no credential scope to read).
_TARGET_PREFIXES = {
    "AmazonSSM": "ssm",
    "TrentService": "kms",
    "CertificateManager": "acm",
    "Logs_20140328": "logs",
    "ResourceGroupsTaggingAPI_20170126": "resourcegroupstaggingapi",
}
_REVERSE = {}


def _lower_headers(headers):
    out = {}
    try:
        items = list(headers.items()) if headers is not None else []
    except Exception:
        items = []
    for k, v in items:
        if isinstance(k, bytes):
            k = k.decode("latin-1")
        if isinstance(v, bytes):
            v = v.decode("latin-1")
        out[str(k).lower()] = str(v)
    return out


def _by_signing_name(name):
    """A botocore directory whose `metadata.signingName` (else `endpointPrefix`) is `name`: read all models once."""
    with _LOCK:
        if not _REVERSE:
            _REVERSE["__done__"] = True
            if not _DATA:
                _DATA.append(_data_dir())
            for service in sorted(os.listdir(_DATA[0] or ".")) if _DATA[0] else []:
                p = _model_file(service)
                if not p:
                    continue
                try:
                    meta = _read_json(p).get("metadata", {})
                except Exception:
                    continue
                _REVERSE.setdefault(meta.get("signingName") or meta.get("endpointPrefix"), service)
        return _REVERSE.get(name)


def service_of(headers, path=None):
    """The botocore service directory a request is for, or None.

    Read from the SigV4 credential scope, `Credential=<key>/<date>/<region>/<signing name>/aws4_request` in the
    `Authorization` header (or `X-Amz-Credential` in a presigned URL's query, when `path` carries one; SigV4a
    scopes have no region). The signing name is the model's `metadata.signingName`, else its `endpointPrefix`;
    where two models share one, the request tells them apart:
      - `apigateway` signs both API Gateway v1 and v2; every v2 `requestUri` starts with `/v2/` (a missing path
        is taken as v2, the one jwtstack calls);
      - `s3` signs S3 and S3 Control; every S3 Control `requestUri` starts with `/v20180820/`, and its operations
        carry `x-amz-account-id` (the `AccountId` header member, also the `{AccountId}.` host prefix);
      - `tagging` is the Resource Groups Tagging API, `resourcegroupstaggingapi`.
    Without a credential, a json request's `X-Amz-Target` prefix is looked up among the services jwtstack calls.
    """
    try:
        h = _lower_headers(headers)
        path = path or ""
        raw_path, _, query = path.partition("?")
        cred = None
        m = re.search(r"Credential=([^,\s]+)", h.get("authorization", ""))
        if m:
            cred = m.group(1)
        elif query:
            for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
                if k.lower() == "x-amz-credential":
                    cred = v
        if cred is None:
            target = h.get("x-amz-target", "")
            return _TARGET_PREFIXES.get(target.split(".", 1)[0]) if target else None
        parts = cred.split("/")
        if len(parts) < 4 or parts[-1] != "aws4_request":
            return None
        signing = parts[-2]
        if signing == "apigateway":
            return "apigatewayv2" if (not raw_path or raw_path.startswith("/v2/")) else "apigateway"
        if signing == "s3":
            if raw_path:
                return "s3control" if raw_path.startswith("/v20180820/") else "s3"
            host = h.get("host", "")
            if "x-amz-account-id" in h or re.match(r"\d{12}\.", host):
                return "s3control"
            return "s3"
        if signing in _SIGNING_TO_SERVICE:
            return _SIGNING_TO_SERVICE[signing]
        if _model_file(signing):
            return signing
        return _by_signing_name(signing)
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------------------------
# Patterns: botocore's are Java regular expressions (the services validate with java.util.regex); Python's `re`
# lacks \p{...}, class unions, \z, and surrogate pairs in classes, so they are translated. A pattern that still
# does not compile (a few in the models are broken even for Java, e.g. `${2,64}`) is skipped, not enforced.
#
# The services match the whole value (Java's Matcher.matches()), not a substring: Lambda answers "Value
# 'assets.example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression
# pattern: ([a-zA-Z0-9-_]+)" though the value contains matching substrings (motdotla/node-lambda#450). So a
# pattern is applied with fullmatch, with Java's defaults: \w \d \s \b are ASCII (re.ASCII), and `.` is kept as
# Python's (Java's also excludes \r, \u0085, \u2028, \u2029: a negligible difference).

_CATEGORY_RANGES = {}


def _category_ranges():
    """Unicode general categories as code point ranges, computed once (about a quarter second) when needed."""
    with _LOCK:
        if not _CATEGORY_RANGES:
            ranges = {}
            start, prev_cat = 0, unicodedata.category("\0")
            for cp in range(1, sys.maxunicode + 2):
                cat = unicodedata.category(chr(cp)) if cp <= sys.maxunicode else None
                if cat != prev_cat:
                    ranges.setdefault(prev_cat, []).append((start, cp - 1))
                    start, prev_cat = cp, cat
            _CATEGORY_RANGES.update(ranges)
        return _CATEGORY_RANGES


def _merge(ranges):
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _complement(ranges):
    out, nxt = [], 0
    for lo, hi in _merge(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= sys.maxunicode:
        out.append((nxt, sys.maxunicode))
    return out


def _ascii(chars):
    return [(ord(c), ord(c)) for c in chars]


_POSIX = {
    "lower": [(0x61, 0x7A)],
    "upper": [(0x41, 0x5A)],
    "ascii": [(0, 0x7F)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "digit": [(0x30, 0x39)],
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "punct": _ascii("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "graph": [(0x21, 0x7E)],
    "print": [(0x20, 0x7E)],
    "blank": [(0x20, 0x20), (0x09, 0x09)],
    "cntrl": [(0, 0x1F), (0x7F, 0x7F)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "all": [(0, sys.maxunicode)],
}
_WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
                (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]
_HSPACE = [(0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x180E, 0x180E), (0x2000, 0x200A),
           (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]
_VSPACE = [(0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029)]


class _Untranslatable(Exception):
    pass


def _property_ranges(name):
    """Code point ranges of Java's \\p{name}: general categories (L, Lu, IsL, gc=L...), POSIX classes (ASCII only
    in Java), and a few binary properties (IsAlphabetic is approximated by L, Nl, Mn, Mc)."""
    key = name
    for prefix in ("general_category=", "gc=", "Is", "is"):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix):]
            break
    if key.lower() in _POSIX and (len(key) > 2 or key == "all"):
        return _POSIX[key.lower()]
    if key.lower() in ("whitespace", "white_space"):
        return _WHITE_SPACE
    cats = _category_ranges()
    if key.lower() == "alphabetic":
        return _merge([r for c in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc") for r in cats.get(c, [])])
    if len(key) == 1 and key.upper() in "LMNPSZC":
        return _merge([r for c, rs in cats.items() if c and c[0] == key.upper() for r in rs])
    if len(key) == 2 and key in cats:
        return cats[key]
    if key == "LC":
        return _merge(cats.get("Lu", []) + cats.get("Ll", []) + cats.get("Lt", []))
    if len(key) == 2 and key[0] in "LMNPSZC" and key[1].islower():
        return []  # a category Python's unicodedata has no code point in (e.g. Cs lone surrogates): none
    raise _Untranslatable(f"\\p{{{name}}}")


def _class_body(ranges):
    parts = []
    for lo, hi in ranges:
        parts.append(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}")
    return "".join(parts)


_HEX = "0123456789abcdefABCDEF"


def _read_u_escape(p, i):
    """At p[i] == '\\\\' and p[i+1] == 'u': the code point, combining a \\uD8xx\\uDCxx surrogate pair."""
    h = p[i + 2:i + 6]
    if len(h) != 4 or any(c not in _HEX for c in h):
        raise _Untranslatable("bad \\u escape")
    cp = int(h, 16)
    j = i + 6
    if 0xD800 <= cp <= 0xDBFF and p[j:j + 2] == "\\u":
        h2 = p[j + 2:j + 6]
        if len(h2) == 4 and all(c in _HEX for c in h2) and 0xDC00 <= int(h2, 16) <= 0xDFFF:
            cp = 0x10000 + ((cp - 0xD800) << 10) + (int(h2, 16) - 0xDC00)
            j += 6
    return cp, j


def _read_escape(p, i, in_class):
    """Java escape at p[i] == '\\\\'. Returns (kind, value, next index): kind 'cp' (one code point), 'set' (a list
    of ranges, for \\p{..} \\h \\v), 'raw' (Python text to emit as is: \\w \\d \\s \\b...), or 'quote' (\\Q..\\E)."""
    if i + 1 >= len(p):
        raise _Untranslatable("trailing backslash")
    c = p[i + 1]
    if c in "pP":
        if p[i + 2:i + 3] == "{":
            end = p.find("}", i + 3)
            if end < 0:
                raise _Untranslatable("unclosed \\p{")
            name, j = p[i + 3:end], end + 1
        else:
            name, j = p[i + 2:i + 3], i + 3
        ranges = _property_ranges(name)
        return ("set", _complement(ranges) if c == "P" else ranges, j)
    if c == "u":
        cp, j = _read_u_escape(p, i)
        return ("cp", cp, j)
    if c == "x":
        if p[i + 2:i + 3] == "{":
            end = p.find("}", i + 3)
            h = p[i + 3:end] if end > 0 else ""
            if not h or any(ch not in _HEX for ch in h):
                raise _Untranslatable("bad \\x{}")
            return ("cp", int(h, 16), end + 1)
        h = p[i + 2:i + 4]
        if len(h) != 2 or any(ch not in _HEX for ch in h):
            raise _Untranslatable("bad \\x")
        return ("cp", int(h, 16), i + 4)
    if c == "Q":
        end = p.find("\\E", i + 2)
        end = len(p) if end < 0 else end
        return ("quote", p[i + 2:end], min(len(p), end + 2))
    simple = {"t": 9, "n": 10, "r": 13, "f": 12, "a": 7, "e": 27}
    if c in simple:
        return ("cp", simple[c], i + 2)
    if c == "c" and i + 2 < len(p):
        return ("cp", ord(p[i + 2]) ^ 64, i + 3)
    if c == "0":
        j = i + 2
        while j < len(p) and j < i + 5 and p[j] in "01234567":
            j += 1
        return ("cp", int(p[i + 2:j] or "0", 8), j)
    if c == "h":
        return ("set", _HSPACE, i + 2)
    if c == "H":
        return ("set", _complement(_HSPACE), i + 2)
    if c == "v":
        return ("set", _VSPACE, i + 2)
    if c == "V":
        return ("set", _complement(_VSPACE), i + 2)
    if c in "wWdDsS":
        return ("raw", "\\" + c, i + 2)
    if not in_class:
        if c == "z":
            return ("raw", r"\Z", i + 2)
        if c == "Z":
            return ("raw", r"(?=\n?\Z)", i + 2)
        if c == "R":
            return ("raw", r"(?:\r\n|[\n\x0b\f\r\x85\u2028\u2029])", i + 2)
        if c in "AbBG" or c.isdigit():
            if c == "G":
                raise _Untranslatable("\\G")
            return ("raw", "\\" + c, i + 2)
        if c == "k" and p[i + 2:i + 3] == "<":
            end = p.find(">", i + 3)
            return ("raw", f"(?P={p[i + 3:end]})", end + 1)
    if c.isalnum():
        raise _Untranslatable(f"\\{c}")
    return ("cp", ord(c), i + 2)


def _cp(cp):
    return f"\\U{cp:08x}"


def _translate_class(p, i):
    """A Java character class starting at p[i] == '['. Returns (Python class text, next index). Unions of nested
    classes are flattened; intersections (&&) and negated nested classes are not translatable."""
    j = i + 1
    negate = False
    if p[j:j + 1] == "^":
        negate, j = True, j + 1
    items = []  # Python class body fragments
    prev_single = None  # the last item, when a single code point that a following '-' can start a range from
    first = True
    while j < len(p):
        c = p[j]
        if c == "]" and not first:
            body = "".join(items)
            if not body:
                raise _Untranslatable("empty class")
            return ("[^" if negate else "[") + body + "]", j + 1
        first = False
        if c == "[":
            if p[j + 1:j + 2] == "^":
                raise _Untranslatable("negated nested class")
            nested, j = _translate_class(p, j)
            items.append(nested[1:-1])
            prev_single = None
            continue
        if c == "&" and p[j + 1:j + 2] == "&":
            raise _Untranslatable("class intersection")
        if c == "-" and prev_single is not None and j + 1 < len(p) and p[j + 1] != "]":
            # A range: the end is a code point (literal or escape).
            k = j + 1
            if p[k] == "\\":
                kind, val, k2 = _read_escape(p, k, True)
                if kind != "cp":
                    # Java takes the '-' literally before a class escape such as \w; so does this.
                    items.append("\\-")
                    prev_single = None
                    j += 1
                    continue
                end_cp = val
            elif p[k] == "[":
                items.append("\\-")
                prev_single = None
                j += 1
                continue
            else:
                end_cp, k2 = ord(p[k]), k + 1
            if end_cp < prev_single:
                raise _Untranslatable("bad range")
            items[-1] = _cp(prev_single) + "-" + _cp(end_cp)
            prev_single = None
            j = k2
            continue
        if c == "\\":
            kind, val, j = _read_escape(p, j, True)
            if kind == "cp":
                items.append(_cp(val))
                prev_single = val
            elif kind == "set":
                if val:
                    items.append(_class_body(val))
                prev_single = None
            elif kind == "quote":
                for ch in val:
                    items.append(_cp(ord(ch)))
                prev_single = None
            else:
                items.append(val)
                prev_single = None
            continue
        # A literal: escaped, so that Python sees neither a range nor a "possible set operation" (||, --, ~~).
        items.append(_cp(ord(c)))
        prev_single = ord(c)
        j += 1
    raise _Untranslatable("unclosed class")


def _translate(p):
    """Java regex → Python regex text. Raises _Untranslatable for what has no equivalent."""
    out = []
    # Per open group: the inline flags opened mid-pattern (Java's (?i) runs to the group's end; Python 3.11 takes
    # global flags only at the start, so they become scoped groups closed before each | and at the group's end).
    stack = [[]]
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            kind, val, i = _read_escape(p, i, False)
            if kind == "cp":
                out.append(_cp(val))
            elif kind == "set":
                out.append("[" + _class_body(val) + "]" if val else "(?!)")
            elif kind == "quote":
                out.append(re.escape(val))
            else:
                out.append(val)
            continue
        if c == "[":
            cls, i = _translate_class(p, i)
            out.append(cls)
            continue
        if c == "(":
            m = re.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)", p[i:])
            if m and (m.group(1) or m.group(2)):
                on = "".join(f for f in m.group(1) if f in "imsx")
                off = "".join(f for f in (m.group(2) or "") if f in "imsx")
                i += m.end()
                if not on and not off:
                    continue
                if not out and not off and len(stack) == 1:
                    out.append(f"(?{on})")
                    continue
                flags = on + (f"-{off}" if off else "")
                out.append(f"(?{flags}:")
                stack[-1].append(flags)
                continue
            if p.startswith("(?<", i) and p[i + 3:i + 4] not in ("=", "!"):
                out.append("(?P<")
                i += 3
                stack.append([])
                continue
            out.append("(")
            stack.append([])
            i += 1
            continue
        if c == ")":
            if len(stack) == 1:
                raise _Untranslatable("unbalanced )")
            out.append(")" * len(stack.pop()))
            out.append(")")
            i += 1
            continue
        if c == "|":
            flags = stack[-1]
            out.append(")" * len(flags) + "|" + "".join(f"(?{f}:" for f in flags))
            i += 1
            continue
        out.append(c)
        i += 1
    if len(stack) != 1:
        raise _Untranslatable("unbalanced (")
    out.append(")" * len(stack[0]))
    return "".join(out)


_PATTERNS = {}


def _pattern(p):
    """The compiled form of a model pattern, or None when it cannot be translated or compiled (then not enforced)."""
    rx = _PATTERNS.get(p, False)
    if rx is False:
        try:
            try:
                rx = re.compile(p, re.ASCII)
                # Compiles as is, but Java reads some constructs differently: translate when any is present.
                if re.search(r"\\[pPuxzZQhvR]|\[[^\]]*\[|\(\?[a-zA-Z-]+\)|\(\?<[a-zA-Z]", p):
                    raise re.error("translate")
            except re.error:
                rx = re.compile(_translate(p), re.ASCII)
        except (re.error, _Untranslatable, RecursionError, OverflowError, ValueError):
            rx = None  # not enforced: see the comment above
        _PATTERNS[p] = rx
    return rx


# ---------------------------------------------------------------------------------------------------------------
# Values


class _Bad:
    """A value already reported as malformed while decoding: not checked further."""


_BAD = _Bad()
_ABSENT = object()


class _Epoch(float):
    """A CBOR tag-1 (epoch seconds) value: Smithy's RPC v2 CBOR timestamps."""


_JSON_MODES = ("json", "cbor")
# Where a timestamp is written, its default format (botocore's serializers: JSON and CBOR epoch seconds, XML and
# query ISO 8601, headers RFC 822 / HTTP-date, URI labels and query strings ISO 8601), unless `timestampFormat`.
_TS_DEFAULT = {"json": "unixtimestamp", "cbor": "unixtimestamp", "xml": "iso8601", "form": "iso8601",
               "header": "rfc822", "uri": "iso8601", "querystring": "iso8601"}
_INT_BOUNDS = {"byte": 8, "short": 16, "integer": 32, "long": 64}
_RE_INT = re.compile(r"-?[0-9]+")
_RE_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|Infinity|-Infinity")
_RE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})")
_RE_EPOCH = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _timestamp_ok(value, fmt):
    fmt = (fmt or "").lower()
    try:
        if fmt == "iso8601":
            m = _RE_ISO.fullmatch(value)
            if not m:
                return False
            y, mo, d, h, mi, s = (int(m.group(k)) for k in range(1, 7))
            datetime.datetime(y, mo, d, h, mi, min(s, 59))
            return s <= 60
        if fmt == "rfc822":
            return email.utils.parsedate_to_datetime(value) is not None
        if fmt == "unixtimestamp":
            return bool(_RE_EPOCH.fullmatch(value))
    except Exception:
        return False
    return True


def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, (bytes, bytearray)):
        return "a byte string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _join(path, name):
    return f"{path}.{name}" if path else name


class _Check:
    """One request's check: the model, the operation, and the violations found so far."""

    def __init__(self, model, op_key):
        self.model = model
        self.shapes = model.shapes
        self.op = op_key
        self.out = []
        self.explained = (0, 0)  # required and all input members the request sets (to rank equal candidates)

    def add(self, path, msg):
        self.out.append(f"{self.model.name} {self.op}: {path + ': ' if path else ''}{msg}")

    def show(self, shape, value):
        if shape.get("sensitive"):
            return f"<sensitive value, {len(value) if isinstance(value, (str, bytes)) else '?'} long>"
        r = repr(value)
        return r if len(r) <= 80 else r[:77] + "..."

    # -- generic checks ---------------------------------------------------------------------------------------

    def value(self, value, ref, path, mode, depth=0):
        """Checks one value against the shape `ref` targets, by the shape's keys in service-2.json:
        `type` (structure, list, map, string, byte/short/integer/long with their 8/16/32/64-bit range,
        float/double, boolean, blob, timestamp), `min` / `max` (a string's characters, a blob's bytes, a list's
        items, a map's entries, a number's value), `enum`, `pattern`, `sparse` (null items allowed),
        `document` (anything goes), `timestampFormat` (on the member or the shape), `jsonvalue` headers, and
        `sensitive` (a violation then does not repeat the value). In json / cbor mode values are as decoded; in
        the text modes (xml, form, header, uri, querystring, payload) scalars are strings to parse, and
        structures are dicts keyed by member name (the decoders resolved the wire names)."""
        if value is _BAD:
            return
        name = ref.get("shape")
        shape = self.shapes.get(name)
        if shape is None:
            return
        if depth > 64:
            self.add(path, "nested too deeply")
            return
        t = shape.get("type")
        text = mode not in _JSON_MODES
        if t == "structure":
            if shape.get("document"):
                return
            if not isinstance(value, dict):
                self.add(path, f"expected a structure ({name}), got {_kind(value)}")
                return
            self.struct(value, name, path, mode, depth)
        elif t == "list":
            if not isinstance(value, list):
                self.add(path, f"expected a list ({name}), got {_kind(value)}")
                return
            self.size(len(value), shape, name, path, "items")
            member = shape.get("member", {})
            for i, item in enumerate(value):
                if item is None:
                    if not shape.get("sparse"):
                        self.add(f"{path}[{i}]", f"null item in {name}, which is not sparse")
                    continue
                self.value(item, member, f"{path}[{i}]", mode, depth + 1)
        elif t == "map":
            if not isinstance(value, dict):
                self.add(path, f"expected a map ({name}), got {_kind(value)}")
                return
            self.size(len(value), shape, name, path, "entries")
            kref, vref = shape.get("key", {}), shape.get("value", {})
            for k, v in value.items():
                self.value(k, kref, f"{path} key {k!r}", "json" if not text else mode, depth + 1)
                if v is None:
                    if not shape.get("sparse"):
                        self.add(f"{path}[{k!r}]", f"null value in {name}, which is not sparse")
                    continue
                self.value(v, vref, f"{path}[{k!r}]", mode, depth + 1)
        elif t == "string":
            if not isinstance(value, str):
                self.add(path, f"expected a string ({name}), got {_kind(value)}")
                return
            if (ref.get("jsonvalue") or shape.get("jsonvalue")) and mode == "header":
                try:
                    json.loads(base64.b64decode(value, validate=True))
                except Exception:
                    self.add(path, f"a jsonvalue header must be base64-encoded JSON ({name})")
                return
            self.string(value, shape, name, path)
        elif t in _INT_BOUNDS:
            if text:
                if not isinstance(value, str) or not _RE_INT.fullmatch(value):
                    article = "an" if t == "integer" else "a"
                    self.add(path, f"expected {article} {t} ({name}), got {self.show(shape, value)}")
                    return
                value = int(value)
            elif isinstance(value, bool) or not isinstance(value, int):
                self.add(path, f"expected {'an' if t == 'integer' else 'a'} {t} ({name}), got {_kind(value)}")
                return
            bits = _INT_BOUNDS[t]
            if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
                self.add(path, f"{value} does not fit a {bits}-bit {t} ({name})")
            self.range(value, shape, name, path)
        elif t in ("float", "double"):
            if text or isinstance(value, str):
                if not isinstance(value, str) or not _RE_FLOAT.fullmatch(value):
                    self.add(path, f"expected a {t} ({name}), got {self.show(shape, value)}")
                    return
                if value in ("NaN", "Infinity", "-Infinity"):
                    return
                value = float(value)
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                self.add(path, f"expected a {t} ({name}), got {_kind(value)}")
                return
            self.range(value, shape, name, path)
        elif t == "boolean":
            if text:
                if value not in ("true", "false"):
                    self.add(path, f"expected a boolean, true or false ({name}), got {self.show(shape, value)}")
            elif not isinstance(value, bool):
                self.add(path, f"expected a boolean ({name}), got {_kind(value)}")
        elif t == "blob":
            if mode == "cbor":
                if not isinstance(value, (bytes, bytearray)):
                    self.add(path, f"expected a byte string ({name}), got {_kind(value)}")
                    return
                data = value
            elif mode == "payload":
                data = value
            else:
                if not isinstance(value, str):
                    self.add(path, f"expected a base64 string ({name}), got {_kind(value)}")
                    return
                try:
                    data = base64.b64decode(value, validate=True)
                except Exception:
                    self.add(path, f"not valid base64 ({name})")
                    return
            self.size(len(data), shape, name, path, "bytes", length=True)
        elif t == "timestamp":
            fmt = ref.get("timestampFormat") or shape.get("timestampFormat") or _TS_DEFAULT.get(mode, "iso8601")
            if mode == "cbor":
                if not isinstance(value, _Epoch):
                    self.add(path, f"expected a timestamp as a CBOR tag 1 epoch ({name}), got {_kind(value)}")
            elif not text and fmt.lower() == "unixtimestamp":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    self.add(path, f"expected a timestamp in epoch seconds ({name}), got {_kind(value)}")
            elif not isinstance(value, str) or not _timestamp_ok(value, fmt):
                self.add(path, f"expected a timestamp in {fmt} format ({name}), got {self.show(shape, value)}")

    def struct(self, value, name, path, mode, depth=0, only=None):
        """A structure: unknown members, then each member, `required`, and `union` (exactly one member set).
        `only`: the members to consider (a rest input's body members; the others live elsewhere)."""
        shape = self.shapes.get(name, {})
        members = shape.get("members", {})
        present = {}
        if mode in _JSON_MODES:
            wire = self.model.wire_members(name)
            for k, v in value.items():
                m = wire.get(k)
                if m is None or (only is not None and m not in only):
                    self.add(_join(path, str(k)), f"not a member of {name}")
                    continue
                if v is not None:
                    present[m] = v
        else:
            present = {k: v for k, v in value.items() if v is not None}
        for m, v in present.items():
            self.value(v, members[m], _join(path, m), mode, depth + 1)
        self.required(shape, name, present, path, only)

    def required(self, shape, name, present, path, only=None):
        for m in shape.get("required", []):
            if (only is None or m in only) and m not in present:
                self.add(_join(path, m), f"required member of {name} is missing")
        if shape.get("union") and len(present) != 1:
            self.add(path, f"{name} is a union: exactly one member must be set, {len(present)} are")

    def string(self, value, shape, name, path):
        self.size(len(value), shape, name, path, "characters", length=True)
        enum = shape.get("enum")
        if enum and value not in enum:
            listed = ", ".join(enum[:15]) + (", ..." if len(enum) > 15 else "")
            self.add(path, f"{self.show(shape, value)} is not one of {name}'s enum values ({listed})")
        pat = shape.get("pattern")
        if pat is not None:
            rx = _pattern(pat)
            if rx is not None and not rx.fullmatch(value):
                self.add(path, f"{self.show(shape, value)} does not match {name}'s pattern {pat}")

    def size(self, n, shape, name, path, unit, length=False):
        lo, hi = shape.get("min"), shape.get("max")
        what = "length" if length else "size"
        if lo is not None and n < lo:
            self.add(path, f"{what} {n} is below {name}'s min {lo} ({unit})")
        if hi is not None and n > hi:
            self.add(path, f"{what} {n} is above {name}'s max {hi} ({unit})")

    def range(self, v, shape, name, path):
        lo, hi = shape.get("min"), shape.get("max")
        if lo is not None and v < lo:
            self.add(path, f"{v} is below {name}'s min {lo}")
        if hi is not None and v > hi:
            self.add(path, f"{v} is above {name}'s max {hi}")

    # -- XML (rest-xml bodies) ---------------------------------------------------------------------------------

    def xml_names(self, shape_name, only=None):
        """Element and attribute names of a structure's members, as botocore's RestXMLSerializer writes them:
        the member's `locationName`, else its name; `xmlAttribute` members as attributes (local name)."""
        elems, attrs = {}, {}
        for m, ref in self.shapes.get(shape_name, {}).get("members", {}).items():
            if only is not None and m not in only:
                continue
            target = self.shapes.get(ref.get("shape"), {})
            wire = ref.get("locationName", target.get("locationName", m))
            if ref.get("xmlAttribute") or target.get("xmlAttribute"):
                attrs[wire.split(":")[-1]] = m
            else:
                elems[wire] = m
        return elems, attrs

    def xml_struct(self, elem, shape_name, path, only=None):
        members = self.shapes.get(shape_name, {}).get("members", {})
        elems, attrs = self.xml_names(shape_name, only)
        groups = {}
        for child in elem:
            if isinstance(child.tag, str):
                groups.setdefault(_local(child.tag), []).append(child)
        out = {}
        for tag, children in groups.items():
            m = elems.get(tag)
            if m is None:
                self.add(_join(path, tag), f"element <{tag}> is not a member of {shape_name}")
                continue
            ref = members[m]
            target = self.shapes.get(ref.get("shape"), {})
            p = _join(path, m)
            if target.get("type") in ("list", "map") and (ref.get("flattened") or target.get("flattened")):
                if target["type"] == "list":
                    out[m] = [self.xml_value(c, target.get("member", {}), f"{p}[{i}]") for i, c in enumerate(children)]
                else:
                    out[m] = self.xml_entries(children, target, p)
                continue
            if len(children) > 1:
                self.add(p, f"<{tag}> appears {len(children)} times; {shape_name} has one")
            out[m] = self.xml_value(children[0], ref, p)
        for aname, aval in elem.attrib.items():
            local = _local(aname)
            if local in attrs:
                out[attrs[local]] = aval
            elif not aname.startswith("{http://www.w3.org/"):
                self.add(_join(path, "@" + local), f"attribute {local} is not a member of {shape_name}")
        return out

    def xml_value(self, elem, ref, path):
        shape = self.shapes.get(ref.get("shape"), {})
        t = shape.get("type")
        if t == "structure":
            if shape.get("document"):
                return {}
            return self.xml_struct(elem, ref["shape"], path)
        if t == "list":
            mref = shape.get("member", {})
            mshape = self.shapes.get(mref.get("shape"), {})
            name = mref.get("locationName", mshape.get("locationName", "member"))
            items = []
            for child in elem:
                if not isinstance(child.tag, str):
                    continue
                if _local(child.tag) != name:
                    self.add(path, f"element <{_local(child.tag)}> in list {ref['shape']}: its items are <{name}>")
                    continue
                items.append(self.xml_value(child, mref, f"{path}[{len(items)}]"))
            return items
        if t == "map":
            entries = []
            for child in elem:
                if not isinstance(child.tag, str):
                    continue
                if _local(child.tag) != "entry":
                    self.add(path, f"element <{_local(child.tag)}> in map {ref['shape']}: its entries are <entry>")
                    continue
                entries.append(child)
            return self.xml_entries(entries, shape, path)
        if len([c for c in elem if isinstance(c.tag, str)]):
            self.add(path, f"expected {t} text ({ref.get('shape')}), got child elements")
            return _BAD
        return elem.text or ""

    def xml_entries(self, entries, shape, path):
        kref, vref = shape.get("key", {}), shape.get("value", {})
        kname = kref.get("locationName", "key")
        vname = vref.get("locationName", "value")
        out = {}
        for e in entries:
            kids = {_local(c.tag): c for c in e if isinstance(c.tag, str)}
            if kname not in kids:
                self.add(path, f"map entry without <{kname}>")
                continue
            k = kids[kname].text or ""
            out[k] = self.xml_value(kids[vname], vref, f"{path}[{k!r}]") if vname in kids else _BAD
            if vname not in kids:
                self.add(f"{path}[{k!r}]", f"map entry without <{vname}>")
        return out

    # -- query (form fields) -----------------------------------------------------------------------------------

    def form_struct(self, params, used, prefix, shape_name, path):
        out = {}
        for m, ref in self.shapes.get(shape_name, {}).get("members", {}).items():
            target = self.shapes.get(ref.get("shape"), {})
            wire = ref.get("locationName", target.get("locationName", m))
            key = f"{prefix}.{wire}" if prefix else wire
            v = self.form_value(params, used, key, ref, _join(path, m))
            if v is not _ABSENT:
                out[m] = v
        return out

    def form_value(self, params, used, key, ref, path):
        """A member at form key `key`, as botocore's QuerySerializer writes it: structures `Key.Member`, lists
        `Key.member.N` (or the member's locationName; flattened: `Key.N`), maps `Key.entry.N.key` / `.value`."""
        shape = self.shapes.get(ref.get("shape"), {})
        t = shape.get("type")
        below = key + "."
        if t == "structure":
            if not any(k.startswith(below) for k in params):
                if key in params:
                    used.add(key)
                    return {} if params[key] == "" else _BAD
                return _ABSENT
            return self.form_struct(params, used, key, ref["shape"], path)
        if t in ("list", "map"):
            if key in params and params[key] == "":
                used.add(key)
                return [] if t == "list" else {}
            flat = ref.get("flattened") or shape.get("flattened")
            if t == "list":
                mref = shape.get("member", {})
                if flat:
                    base = key
                    if mref.get("locationName"):
                        base = ".".join(key.split(".")[:-1] + [mref["locationName"]])
                else:
                    base = f"{key}.{mref.get('locationName', 'member')}"
            else:
                base = key if flat else f"{key}.entry"
            indexes = set()
            for k in params:
                if k.startswith(base + "."):
                    indexes.add(k[len(base) + 1:].split(".", 1)[0])
            if not indexes:
                return _ABSENT
            order = []
            for idx in indexes:
                if idx.isdigit() and int(idx) >= 1:
                    order.append(int(idx))
                else:
                    self.add(path, f"form index {idx!r} under {base} is not a positive integer")
            order.sort()
            if t == "list":
                return [self.form_value(params, used, f"{base}.{n}", mref, f"{path}[{i}]") for i, n in enumerate(order)]
            kname = shape.get("key", {}).get("locationName", "key")
            vname = shape.get("value", {}).get("locationName", "value")
            out = {}
            for n in order:
                kk = f"{base}.{n}.{kname}"
                if kk not in params:
                    self.add(path, f"map entry {n} without {kname}")
                    continue
                used.add(kk)
                v = self.form_value(params, used, f"{base}.{n}.{vname}", shape.get("value", {}),
                                    f"{path}[{params[kk]!r}]")
                out[params[kk]] = _BAD if v is _ABSENT else v
            return out
        if key in params:
            used.add(key)
            return params[key]
        return _ABSENT


def _local(tag):
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


# ---------------------------------------------------------------------------------------------------------------
# CBOR (smithy-rpc-v2-cbor, e.g. the Resource Groups Tagging API's first protocol)


def _cbor_decode(data):
    value, pos = _cbor_item(memoryview(data), 0, 0)
    if pos != len(data):
        raise ValueError("trailing bytes after the CBOR item")
    return value


_BREAK = object()


def _cbor_item(b, pos, depth):
    if depth > 100:
        raise ValueError("CBOR nested too deeply")
    ib = b[pos]
    pos += 1
    major, info = ib >> 5, ib & 31
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return struct.unpack(">e", b[pos:pos + 2])[0], pos + 2
        if info == 26:
            return struct.unpack(">f", b[pos:pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", b[pos:pos + 8])[0], pos + 8
        if info == 31:
            return _BREAK, pos
        raise ValueError(f"unsupported CBOR simple value {info}")
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        n = 1 << (info - 24)
        if pos + n > len(b):
            raise ValueError("truncated CBOR")
        arg = int.from_bytes(b[pos:pos + n], "big")
        pos += n
    elif info == 31 and major in (2, 3, 4, 5):
        arg = None
    else:
        raise ValueError("malformed CBOR length")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if arg is None:
            chunks = []
            while True:
                chunk, pos = _cbor_item(b, pos, depth + 1)
                if chunk is _BREAK:
                    break
                chunks.append(chunk)
            raw = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)
        else:
            if pos + arg > len(b):
                raise ValueError("truncated CBOR string")
            raw, pos = bytes(b[pos:pos + arg]), pos + arg
        return (raw.decode("utf-8") if major == 3 else raw), pos
    if major == 4:
        items = []
        while arg is None or len(items) < arg:
            item, pos = _cbor_item(b, pos, depth + 1)
            if item is _BREAK:
                if arg is None:
                    break
                raise ValueError("unexpected CBOR break")
            items.append(item)
        return items, pos
    if major == 5:
        out = {}
        n = 0
        while arg is None or n < arg:
            k, pos = _cbor_item(b, pos, depth + 1)
            if k is _BREAK:
                if arg is None:
                    break
                raise ValueError("unexpected CBOR break")
            v, pos = _cbor_item(b, pos, depth + 1)
            if not isinstance(k, str):
                raise ValueError("CBOR map key is not a text string")
            out[k] = v
            n += 1
        return out, pos
    # major 6: a tag
    v, pos = _cbor_item(b, pos, depth + 1)
    if arg == 1 and isinstance(v, (int, float)) and not isinstance(v, bool):
        return _Epoch(v), pos
    return v, pos


# ---------------------------------------------------------------------------------------------------------------
# The check


# Query parameters an SDK adds that no model names: SigV4 presigning, and the Smithy `x-id` operation hint the
# Rust SDK puts on some S3 URIs (GetObject?x-id=GetObject; botocore's copy of the model does not have it).
_IGNORED_QUERY = re.compile(
    r"(?i)x-amz-(algorithm|credential|date|expires|signedheaders|signature|security-token)|x-id")


def check(service, method, path, query, headers, body):
    """The violations of AWS's published model in one HTTP request, as readable strings; [] when it conforms.

    service: botocore's directory name (`ssm`, `apigatewayv2`, `s3control`...; a signing name such as `tagging`
    is mapped); method: the HTTP method; path: the raw (percent-encoded) path; query: the raw query string;
    headers: a mapping (any case); body: the raw bytes. Never raises."""
    try:
        return _check(service, method, path, query, headers, body)
    except Exception as e:  # a bug here must not take the proxy down: report it as the answer
        return [f"model_check: internal error while checking the request ({type(e).__name__}: {e})"]


def check_http(method, target, headers, body):
    """check() for a request as a proxy sees it: `target` is the request line's path with its query. The
    service comes from service_of(); None when the request carries no credential scope to tell it."""
    try:
        path, _, query = (target or "").partition("?")
        service = service_of(headers, target)
        if service is None:
            return None
        return check(service, method, path, query, headers, body)
    except Exception as e:
        return [f"model_check: internal error while checking the request ({type(e).__name__}: {e})"]


def operation_of(service, method, path, query, headers, body):
    """The model's name for the operation a request is (e.g. `PutParameter`), or None if none matches."""
    try:
        model = _model(_service_name(service))
        if model is None:
            return None
        found = _identify(model, *_normalise(method, path, query, headers, body))
        return None if isinstance(found, str) else _best(model, found).op
    except Exception:
        return None


def _service_name(service):
    service = (service or "").strip()
    if _model_file(service):
        return service
    return _SIGNING_TO_SERVICE.get(service, service)


def _normalise(method, path, query, headers, body):
    method = (method or "").upper()
    path = path or "/"
    query = query or ""
    if "?" in path:
        path, _, q = path.partition("?")
        query = query or q
    query = query.lstrip("?")
    h = _lower_headers(headers)
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif hasattr(body, "read"):
        body = body.read()
    body = bytes(body)
    return method, path, query, h, body


def _check(service, method, path, query, headers, body):
    name = _service_name(service)
    model = _model(name)
    if model is None:
        return [f"model_check: no botocore model for service {service!r}"]
    method, path, query, h, body = _normalise(method, path, query, headers, body)
    found = _identify(model, method, path, query, h, body)
    if isinstance(found, str):
        return [found]
    return _best(model, found).out


def _best(model, found):
    """Several templates can fit equally well (S3's PutObject, CopyObject and UploadPart are all
    PUT /{Bucket}/{Key+}). The request is the operation whose required members account for more of it
    (CopyObject requires the x-amz-copy-source header, PutObject has no such member: a copy whose source
    breaks CopyObject's rules is a bad CopyObject, not a good PutObject), then the one it conforms to best,
    then the one whose members account for more of it, a deprecated one last."""
    return min(found, key=lambda c: (-c.explained[0], len(c.out), -c.explained[1],
                                     bool(model.ops[c.op].get("deprecated"))))


def _identify(model, method, path, query, h, body):
    """The checked candidates (list of _Check) for the request, or a string saying no operation matches."""
    protocols = model.protocols
    m = re.fullmatch(r"/service/([^/]+)/operation/([^/]+)", path)
    if "smithy-rpc-v2-cbor" in protocols and m and "x-amz-target" not in h:
        key = model.by_wire_name.get(urllib.parse.unquote(m.group(2)))
        if key is None or urllib.parse.unquote(m.group(1)) != model.meta.get("targetPrefix"):
            return f"no operation of the {model.name} model matches {method} {path}"
        c = _Check(model, key)
        _check_rpc(c, method, body, "cbor")
        return [c]
    if "json" in protocols or (protocols and protocols[0] == "smithy-rpc-v2-cbor"):
        target = h.get("x-amz-target")
        if not target:
            return (f"no operation of the {model.name} model matches: a {protocols[0]} request names its operation "
                    f"in X-Amz-Target: {model.meta.get('targetPrefix')}.<operation>, and this one has none")
        key = model.by_target.get(target)
        if key is None:
            return f"no operation of the {model.name} model matches X-Amz-Target {target!r}"
        c = _Check(model, key)
        _check_rpc(c, method, body, "json")
        return [c]
    if model.is_rest:
        return _identify_rest(model, method, path, query, h, body)
    if "query" in protocols or "ec2" in protocols:
        return _identify_query(model, method, query, h, body)
    return f"model_check: the {model.name} model's protocol {protocols} is not supported"


def _check_rpc(c, method, body, mode):
    """json (X-Amz-Target) and rpc-v2-cbor: the whole input is the body."""
    op = c.model.ops[c.op]
    want = op.get("http", {}).get("method", "POST").upper()
    if method != want:
        c.add("", f"the model sends this operation with {want}, not {method}")
    if mode == "json":
        data = _json_body(c, body)
    else:
        try:
            data = _cbor_decode(body) if body else {}
        except Exception as e:
            c.add("", f"the body is not valid CBOR ({e})")
            return
    if data is _BAD:
        return
    if not isinstance(data, dict):
        c.add("", f"the body must be {'a JSON object' if mode == 'json' else 'a CBOR map'}, not {_kind(data)}")
        return
    ref = op.get("input")
    if ref is None:
        for k in data:
            c.add(str(k), "not a member: the operation takes no input")
        return
    c.struct(data, ref["shape"], "", mode)


def _json_body(c, body):
    if not body.strip():
        return {}
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        c.add("", f"the body is not valid JSON ({str(e)[:80]})")
        return _BAD


def _identify_rest(model, method, path, query, h, body):
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    except Exception:
        pairs = []
    keys = {}
    for k, v in pairs:
        keys.setdefault(k, []).append(v)
    paths = [path]
    if model.name == "s3":
        # A virtual-hosted-style request names its bucket in the host (bucket.s3.<region>.amazonaws.com,
        # bucket.localhost:port); the model's templates are path-style (/{Bucket}/{Key+}).
        hm = re.match(r"([a-z0-9][a-z0-9.-]*[a-z0-9])\.(?:s3[.-]|localhost(?::\d+)?$)", h.get("host", ""))
        if hm and hm.group(1) not in ("s3",):
            paths = ["/" + hm.group(1) + (path if path != "/" else "")]
    if len(paths[0]) > 1 and paths[0].endswith("/"):
        paths.append(paths[0].rstrip("/"))  # tried only if the exact path matches nothing
    for p in paths:
        matches = []
        other_methods = set()
        for r in model.routes:
            labels = r.match(p, keys)
            if labels is None:
                continue
            if r.method != method:
                other_methods.add(r.method)
                continue
            matches.append((r, labels))
        if matches:
            top = max(r.score for r, _ in matches)
            out = []
            for r, labels in matches:
                if r.score == top:
                    c = _Check(model, r.key)
                    _check_rest(c, r, labels, pairs, h, body)
                    out.append(c)
            return out
    shown = path + (f"?{query}" if query else "")
    extra = f" (that path takes {', '.join(sorted(other_methods))})" if other_methods else ""
    return f"no operation of the {model.name} model matches {method} {shown}{extra}"


def _split_header_list(value, timestamps=False):
    items, cur, quoted, i = [], [], False, 0
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == "\\" and i + 1 < len(value):
                cur.append(value[i + 1])
                i += 2
                continue
            if ch == '"':
                quoted = False
            else:
                cur.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            items.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    items.append("".join(cur).strip())
    if timestamps:  # an HTTP-date has a comma of its own: "Tue, 29 Apr 2014 18:30:38 GMT"
        items = [", ".join(items[k:k + 2]) for k in range(0, len(items), 2)]
    return items


def _check_rest(c, route, labels, pairs, h, body):
    """rest-json / rest-xml: members from the URI labels, the query string, the headers, then the body."""
    op = c.model.ops[c.op]
    ref = op.get("input")
    shapes = c.shapes
    shape_name = ref["shape"] if ref else None
    shape = shapes.get(shape_name, {}) if ref else {}
    members = shape.get("members", {})
    present = set()
    body_members = set()
    query = {}
    for k, v in pairs:
        query.setdefault(k, []).append(v)
    used_query = set(route.query_literals)
    map_query = None
    for m, mref in members.items():
        loc = mref.get("location")
        target = shapes.get(mref.get("shape"), {})
        wire = mref.get("locationName", m)
        if loc == "uri":
            if wire in labels:
                present.add(m)
                c.value(labels[wire], mref, m, "uri")
        elif loc == "querystring":
            if target.get("type") == "map":
                map_query = (m, mref)
                continue
            if wire in query:
                used_query.add(wire)
                present.add(m)
                values = query[wire]
                if target.get("type") == "list":
                    c.value(values, mref, m, "querystring")
                else:
                    if len(values) > 1:
                        c.add(m, f"query parameter {wire!r} is given {len(values)} times; "
                                 f"{shape_name}.{m} is one value")
                    c.value(values[0], mref, m, "querystring")
        elif loc == "header":
            hv = h.get(wire.lower())
            if hv is not None:
                present.add(m)
                if target.get("type") == "list":
                    member_shape = shapes.get(target.get("member", {}).get("shape"), {})
                    fmt = target.get("member", {}).get("timestampFormat") or member_shape.get("timestampFormat")
                    is_date = member_shape.get("type") == "timestamp" and (fmt or "rfc822").lower() == "rfc822"
                    hv = _split_header_list(hv, timestamps=is_date) if hv.strip() else []
                c.value(hv, mref, m, "header")
        elif loc == "headers":
            prefix = wire.lower()
            got = {k[len(prefix):]: v for k, v in h.items() if k.startswith(prefix) and len(k) > len(prefix)}
            if got:
                present.add(m)
                c.value(got, mref, m, "header")
        elif loc in ("statusCode",):
            continue
        else:
            body_members.add(m)
    rest = {k: v for k, v in query.items() if k not in used_query and not _IGNORED_QUERY.fullmatch(k)}
    if map_query is not None:
        m, mref = map_query
        if rest:
            present.add(m)
            c.value({k: v[-1] for k, v in rest.items()}, mref, m, "querystring")
    else:
        for k in rest:
            c.add("", f"query parameter {k!r} is not a member of {shape_name or 'the operation (it takes no input)'}")
    # The body.
    xml = "rest-xml" in c.model.protocols
    payload = shape.get("payload")
    if payload and payload in members:
        pref = members[payload]
        ptarget = shapes.get(pref.get("shape"), {})
        ptype = ptarget.get("type")
        if ptype in ("blob", "string"):
            if body:
                present.add(payload)
                if ptarget.get("streaming") or pref.get("streaming") or ptarget.get("eventstream"):
                    pass  # a stream: its bytes are the caller's, nothing in the model to check
                elif ptype == "string":
                    try:
                        c.value(body.decode("utf-8"), pref, payload, "payload")
                    except UnicodeDecodeError:
                        c.add(payload, "the body is not UTF-8 text, and the payload is a string")
                else:
                    c.value(body, pref, payload, "payload")
        elif ptype == "structure" and body.strip():
            if ptarget.get("eventstream"):
                present.add(payload)
            elif xml:
                root = _xml_root(c, body)
                if root is not None:
                    want = pref.get("locationName", ptarget.get("locationName", pref.get("shape")))
                    if _local(root.tag) != want:
                        c.add(payload, f"the body's root element is <{_local(root.tag)}>, the model's is <{want}>")
                    present.add(payload)
                    c.value(c.xml_struct(root, pref["shape"], payload), pref, payload, "xml")
            else:
                data = _json_body(c, body)
                if data is not _BAD:
                    present.add(payload)
                    c.value(data, pref, payload, "json")
    elif body_members:
        if body.strip():
            if xml:
                root = _xml_root(c, body)
                if root is not None:
                    want = ref.get("locationName", shape.get("locationName", shape_name))
                    if _local(root.tag) != want:
                        c.add("", f"the body's root element is <{_local(root.tag)}>, the model's is <{want}>")
                    data = c.xml_struct(root, shape_name, "", only=body_members)
                    present.update(k for k, v in data.items() if v is not None)
                    for k, v in data.items():
                        c.value(v, members[k], k, "xml")
            else:
                data = _json_body(c, body)
                if data is not _BAD:
                    if not isinstance(data, dict):
                        c.add("", f"the body must be a JSON object, not {_kind(data)}")
                    else:
                        wire = c.model.wire_members(shape_name)
                        for k, v in data.items():
                            m = wire.get(k)
                            if m is None or m not in body_members:
                                c.add(str(k), f"not a member of {shape_name}")
                            elif v is not None:
                                present.add(m)
                                c.value(v, members[m], m, "json")
    elif body.strip() and not xml:
        # rest-json bodies of operations with no body members: botocore and the Rust SDK send none, or `{}`.
        data = _json_body(c, body)
        if isinstance(data, dict):
            for k in data:
                c.add(str(k), f"not a member: {shape_name or c.op} has no body members")
    if ref:
        c.required(shape, shape_name, present, "")
    c.explained = (len(present.intersection(shape.get("required", []))), len(present))
    cks = op.get("httpChecksum", {})
    if op.get("httpChecksumRequired") or cks.get("requestChecksumRequired"):
        if "content-md5" not in h and not any(k.startswith("x-amz-checksum-") for k in h) \
                and "x-amz-checksum-" not in h.get("x-amz-trailer", ""):
            c.add("", "the model requires a request checksum (httpChecksum.requestChecksumRequired): "
                      "send Content-MD5 or an x-amz-checksum-* header")


def _xml_root(c, body):
    try:
        if re.search(rb"<!DOCTYPE|<!ENTITY", body[:4096], re.IGNORECASE):
            c.add("", "the body has a DOCTYPE; AWS's XML APIs take none")
            return None
        return ET.fromstring(body)
    except (ET.ParseError, ValueError, RecursionError) as e:
        c.add("", f"the body is not well-formed XML ({str(e)[:80]})")
        return None


def _identify_query(model, method, query, h, body):
    fields = []
    try:
        fields += urllib.parse.parse_qsl(query, keep_blank_values=True)
        if body.strip():
            fields += urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (ValueError, UnicodeDecodeError) as e:
        return f"no operation of the {model.name} model matches: the form body does not parse ({str(e)[:80]})"
    params, counts = {}, {}
    for k, v in fields:
        if _IGNORED_QUERY.fullmatch(k):
            continue
        params[k] = v
        counts[k] = counts.get(k, 0) + 1
    action = params.get("Action")
    if not action:
        return (f"no operation of the {model.name} model matches: a query-protocol request names it in Action, "
                "and this one has none")
    key = model.by_wire_name.get(action)
    if key is None:
        return f"no operation of the {model.name} model matches Action={action!r}"
    c = _Check(model, key)
    if method not in ("POST", "GET"):
        c.add("", f"query-protocol requests are POST (or GET), not {method}")
    version = params.get("Version")
    if version != model.meta.get("apiVersion"):
        c.add("Version", f"{version!r} is not the model's apiVersion {model.meta.get('apiVersion')!r}")
    for k, n in counts.items():
        if n > 1:
            c.add(k, f"form field given {n} times")
    used = {"Action", "Version"}
    ref = model.ops[key].get("input")
    if ref:
        data = c.form_struct(params, used, "", ref["shape"], "")
        c.struct(data, ref["shape"], "", "form")
    for k in params:
        if k not in used:
            owner = ref["shape"] if ref else "the operation (it takes no input)"
            c.add("", f"form field {k!r} is not a member of {owner}")
    return [c]
