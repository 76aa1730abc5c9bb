#!/usr/bin/env bash
# Installs what the tests need besides Rust, pinned, inside the project. Idempotent and quiet when done.
#   .venv-test/              moto server (the AWS emulator) and PyJWT (interoperability tests)
#   tests/interop/node_modules/  the `jose` npm package (interoperability tests)
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
PYJWT_VERSION=2.15.1
venv=.venv-test
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<PY 2>/dev/null; }; then
import sys, moto, jwt, cryptography
sys.exit(moto.__version__ != "$MOTO_VERSION" or jwt.__version__ != "$PYJWT_VERSION")
PY
  echo "installing moto[server]==$MOTO_VERSION and PyJWT==$PYJWT_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "pyjwt[crypto]==$PYJWT_VERSION"
fi
if [ ! -f tests/interop/node_modules/jose/package.json ]; then
  echo "installing the jose npm package into tests/interop/node_modules" >&2
  (cd tests/interop && npm ci --silent --no-audit --no-fund)
fi
