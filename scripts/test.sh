#!/usr/bin/env bash
# The whole test suite: installs the AWS emulator (moto, pinned) if needed, then runs every test.
# The emulator tests start their own moto server on a free loopback port and stop it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
# The emulator's own extension (ImportApi/ReimportApi, tests/support/moto_openapi.py) has unit tests of its own.
.venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
cargo test --locked "$@"
