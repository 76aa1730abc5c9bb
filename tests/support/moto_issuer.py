"""What API Gateway reads of a JWT authorizer's issuer while it imports an HTTP API, for the emulator's
ImportApi/ReimportApi (moto_openapi).

API Gateway fetches `{issuer}/.well-known/openid-configuration` of every JWT authorizer in an imported
definition; when it cannot, it warns "Unable to create Authorizer ...: Caught exception when connecting to ...
Please try again later", so FailOnWarnings refuses the import (and without it the authorizer and its routes
are dropped). Sources: loige.co, "Debugging API Gateway HTTP OIDC JWT authorizer"; the developer guide's
"Control access to HTTP APIs with JWT authorizers" (the issuer's discovery document must be reachable from the
internet, over https, with a certificate from a public CA) and the HTTP API quotas page (1500 ms to fetch it).

Where the issuer lives, and what "reachable" is here:
- a bucket's S3 URL (`https://{bucket}.s3.{region}.amazonaws.com[/path]`, or `s3.{region}.amazonaws.com/{bucket}`):
  read from moto's S3 as an anonymous reader would: the object exists, the bucket policy allows `s3:GetObject`
  on it to `"*"`, and the bucket's Block Public Access does not restrict public buckets (S3 user guide, "Blocking
  public access to your Amazon S3 storage": RestrictPublicBuckets ignores public policies for anonymous readers);
- a CloudFront distribution's domain (or one of its aliases): read from its S3 origin through the distribution,
  which must be enabled (that a distribution still deploying does not serve yet is the strict proxy's rule);
- any other https URL: fetched over the network within 1500 ms, with the system's CAs and the tests' own
  (the PEM files in `$JWTSTACK_EMULATOR_CA_DIR`: a local provider's test CA stands in for a public one).
"""

import glob
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

DISCOVERY = ".well-known/openid-configuration"
FETCH_TIMEOUT = 1.5


def warning(authorizer, issuer, why):
    url = f"{issuer.rstrip('/')}/{DISCOVERY}"
    return (f"Unable to create Authorizer '{authorizer}': Caught exception when connecting to {url}: {why}. "
            "Please try again later")


def _s3_location(host, path):
    """(bucket, key prefix) of an S3 URL, or None."""
    labels = host.split(".")
    if host.endswith(".amazonaws.com") and "s3" in labels:
        at = labels.index("s3")
        prefix_parts = [p for p in path.split("/") if p]
        if at > 0:
            return ".".join(labels[:at]), "/".join(prefix_parts)
        if prefix_parts:
            return prefix_parts[0], "/".join(prefix_parts[1:])
    return None


def _anonymous_read_allowed(bucket, key):
    """Whether the bucket policy lets anyone GetObject the key, and Block Public Access lets it apply."""
    block = getattr(bucket, "public_access_block", None)
    if block is not None and block.restrict_public_buckets:
        return False
    policy = getattr(bucket, "policy", None)
    if not policy:
        return False
    try:
        doc = json.loads(policy)
    except ValueError:
        return False
    statements = doc.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    arn = f"arn:aws:s3:::{bucket.name}/{key}"
    for st in statements:
        actions = st.get("Action")
        actions = [actions] if isinstance(actions, str) else (actions or [])
        resources = st.get("Resource")
        resources = [resources] if isinstance(resources, str) else (resources or [])
        if st.get("Effect") != "Allow" or st.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        if not any(a in ("s3:GetObject", "s3:*", "*") for a in actions):
            continue
        if any(_arn_matches(r, arn) for r in resources):
            return True
    return False


def _arn_matches(pattern, arn):
    if pattern.endswith("*"):
        return arn.startswith(pattern[:-1])
    return pattern == arn


def _read_s3(account_id, bucket_name, key, anonymous):
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id]["aws"]
    try:
        bucket = backend.get_bucket(bucket_name)
    except Exception:
        return "404 Not Found (no such bucket)"
    if bucket_name and key not in bucket.keys:
        return "404 Not Found"
    if anonymous and not _anonymous_read_allowed(bucket, key):
        return "403 Forbidden"
    return None


def _distribution_of(account_id, host):
    from moto.cloudfront.models import cloudfront_backends

    for backend in cloudfront_backends[account_id].values():
        for d in backend.distributions.values():
            aliases = (getattr(d.distribution_config, "Aliases", None) or {}).get("Items") or []
            if d.domain_name == host or host in aliases:
                return d
    return None


def _context():
    ctx = ssl.create_default_context()
    for pem in glob.glob(os.path.join(os.environ.get("JWTSTACK_EMULATOR_CA_DIR", "/nonexistent"), "*.pem")):
        ctx.load_verify_locations(cafile=pem)
    return ctx


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT, context=_context()) as r:
            if r.status != 200:
                return f"HTTP {r.status}"
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except Exception as e:  # noqa: BLE001 - every failure to connect is a warning, never a crash
        return f"{type(e).__name__}: {e}"
    return None


def unreadable(account_id, issuer):
    """Why API Gateway could not read the issuer's discovery document, or None when it could."""
    parsed = urllib.parse.urlparse(issuer)
    if parsed.scheme != "https" or not parsed.hostname:
        return "the issuer is not an https URL"
    path = parsed.path.strip("/")
    s3 = _s3_location(parsed.hostname, parsed.path)
    if s3 is not None:
        bucket, prefix = s3
        key = f"{prefix}/{DISCOVERY}" if prefix else DISCOVERY
        return _read_s3(account_id, bucket, key, anonymous=True)
    d = _distribution_of(account_id, parsed.hostname)
    if d is not None:
        config = d.distribution_config
        if str(getattr(config, "Enabled", True)).lower() == "false":
            return "403 Forbidden (the distribution is disabled)"
        origins = (getattr(config, "Origins", None) or {}).get("Items") or []
        origin = origins[0] if origins else None
        located = _s3_location(origin.domain_name, "") if origin is not None else None
        if located is None:
            return "502 Bad Gateway (the distribution has no S3 origin)"
        key = f"{path}/{DISCOVERY}" if path else DISCOVERY
        return _read_s3(account_id, located[0], key, anonymous=False)
    return _fetch(f"{issuer.rstrip('/')}/{DISCOVERY}")
