#!/usr/bin/env bash
# Installs what the tests need besides Rust, pinned, inside the project. Idempotent and quiet when done.
#   .venv-test/              moto server (the AWS emulator), PyJWT (interoperability tests) and AWS's SAM
#                            translator (an oracle for the OpenAPI definition jwtstack imports)
#   tests/interop/node_modules/  the `jose` npm package (interoperability tests)
#   functions/token-endpoint/node_modules/  the AWS SDK for JavaScript v3 clients the Lambda runtime ships
#                            (the token endpoint function's own tests)
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
PYJWT_VERSION=2.15.1
SAM_VERSION=1.115.0
venv=.venv-test
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<PY 2>/dev/null; }; then
import sys, moto, jwt, cryptography, samtranslator
sys.exit(moto.__version__ != "$MOTO_VERSION" or jwt.__version__ != "$PYJWT_VERSION"
         or samtranslator.__version__ != "$SAM_VERSION")
PY
  echo "installing moto[server]==$MOTO_VERSION, PyJWT==$PYJWT_VERSION and aws-sam-translator==$SAM_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "pyjwt[crypto]==$PYJWT_VERSION" \
    "aws-sam-translator==$SAM_VERSION"
fi
if [ ! -f tests/interop/node_modules/jose/package.json ]; then
  echo "installing the jose npm package into tests/interop/node_modules" >&2
  (cd tests/interop && npm ci --silent --no-audit --no-fund)
fi
if [ ! -f functions/token-endpoint/node_modules/@aws-sdk/client-ssm/package.json ]; then
  echo "installing the token endpoint function's test dependencies into functions/token-endpoint/node_modules" >&2
  (cd functions/token-endpoint && npm ci --silent --no-audit --no-fund)
fi
