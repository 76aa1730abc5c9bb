"""A small OpenID identity provider for tests, over HTTPS with a certificate from a test CA.

Each first path segment is a realm, and each realm is a provider with one fault (or none):
  good      discovery + JWKS as API Gateway wants them (RS256 key `idp-k1`)
  mismatch  the discovery document's issuer is another URL
  slash     the discovery document's issuer has a trailing slash the configured issuer lacks
  nokid     the RSA key has no kid
  ec        only an EC (P-256) key
  private   the JWKS publishes the private exponent
  missing   404 for the discovery document
  slow      answers after 2 s (API Gateway gives up after 1500 ms)
  big       a JWKS over 150,000 bytes
  notjson   the discovery document is HTML
  texttype  both documents are served as text/plain
  forbidden 403 for the discovery document (a bucket that is not public)
The issuer of realm R is https://localhost:PORT/R.

GET /R/token?sub=..&scope=..&aud=..&ttl=..&claim_NAME=.. returns a token the realm's key signs (PyJWT): RS256 with
`idp-k1`, or ES256 with `ec-1` for realm `ec`.

Usage: idp.py --port N --dir DIR   (writes DIR/ca.pem, the certificate to trust, before listening)
"""

import argparse
import datetime
import json
import os
import ssl
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KID = "idp-k1"


def make_certs(directory):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwtstack test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(directory, "server.pem"), "wb") as f:
        f.write(leaf.public_bytes(pem))
        f.write(ca.public_bytes(pem))
    with open(os.path.join(directory, "server.key"), "wb") as f:
        f.write(
            leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )


SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def rsa_jwk(key, kid=KID):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"use": "sig", "alg": "RS256"})
    if kid is not None:
        jwk["kid"] = kid
    return jwk


class Handler(BaseHTTPRequestHandler):
    port = 0

    def log_message(self, *args):
        pass

    def send_json(self, value, content_type="application/json", status=200):
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        parts = url.path.strip("/").split("/", 1)
        realm, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        issuer = f"https://localhost:{self.port}/{realm}"
        if realm == "slow":
            time.sleep(2)
        if rest == ".well-known/openid-configuration":
            if realm == "missing":
                return self.send_json({"error": "not found"}, status=404)
            if realm == "forbidden":
                return self.send_json(b"<Error><Code>AccessDenied</Code></Error>", "application/xml", status=403)
            if realm == "notjson":
                return self.send_json(b"<html>login</html>", "text/html")
            doc = {"issuer": issuer, "jwks_uri": f"{issuer}/certs", "id_token_signing_alg_values_supported": ["RS256"]}
            if realm == "mismatch":
                doc["issuer"] = f"https://localhost:{self.port}/other"
            if realm == "slash":
                doc["issuer"] = issuer + "/"
            return self.send_json(doc, "text/plain" if realm == "texttype" else "application/json")
        if rest == "certs":
            if realm == "nokid":
                keys = [rsa_jwk(SIGNING_KEY, kid=None)]
            elif realm == "ec":
                keys = [dict(json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key())), kid="ec-1", alg="ES256")]
            elif realm == "private":
                keys = [dict(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY)), kid=KID)]
            elif realm == "big":
                keys = [rsa_jwk(SIGNING_KEY, kid=f"k{i:04d}") for i in range(400)]
            else:
                keys = [rsa_jwk(SIGNING_KEY)]
            return self.send_json({"keys": keys}, "text/plain" if realm == "texttype" else "application/json")
        if rest == "token":
            q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
            now = int(time.time())
            claims = {"iss": issuer, "sub": q.get("sub", "alice"), "iat": now, "exp": now + int(q.get("ttl", "600"))}
            if "aud" in q:
                claims["aud"] = q["aud"]
            if "client_id" in q:
                claims["client_id"] = q["client_id"]
            if "scope" in q:
                claims["scope"] = q["scope"]
            # claim_NAME=VALUE: any other string claim (a REST API's required claims).
            claims.update({k[len("claim_"):]: v for k, v in q.items() if k.startswith("claim_")})
            if realm == "ec":
                token = jwt.encode(claims, EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
            else:
                token = jwt.encode(claims, SIGNING_KEY, algorithm="RS256", headers={"kid": KID})
            return self.send_json(token.encode(), "text/plain")
        self.send_json({"error": "not found"}, status=404)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()
    make_certs(a.dir)
    Handler.port = a.port
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(a.dir, "server.pem"), os.path.join(a.dir, "server.key"))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
