"""PyJWT side of the interoperability tests.

  verify TOKEN JWKS_FILE ISSUER AUDIENCE   exit 0 and print the claims as JSON when PyJWT accepts the token
  sign PEM_FILE KID ISSUER AUDIENCE SCOPE  print an RS256 token signed by PyJWT
"""

import json
import sys
import time

import jwt


def verify(token, jwks_file, issuer, audience):
    with open(jwks_file) as f:
        jwks = jwt.PyJWKSet.from_dict(json.load(f))
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
    )
    print(json.dumps(claims, sort_keys=True))


def sign(pem_file, kid, issuer, audience, scope):
    with open(pem_file) as f:
        pem = f.read()
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": "pyjwt-user", "iat": now, "nbf": now, "exp": now + 600, "scope": scope}
    print(jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"verify": verify, "sign": sign}[command](*args)
