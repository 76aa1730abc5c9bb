#!/usr/bin/env bash
# The whole test suite: installs the AWS emulator (moto, pinned) if needed, then runs every test.
# The emulator tests start their own moto server on a free loopback port and stop it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
# The emulator's own extension (ImportApi/ReimportApi, tests/support/moto_openapi.py) has unit tests of its own.
.venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
# Every run of the binary appends the AWS operations it sent here (JWTSTACK_CALL_LOG, tests/common/mod.rs).
rm -f target/tmp/jwtstack-calls.jsonl
cargo test --locked "$@"
# The policies in docs/iam/ against what the whole suite made jwtstack call (a part of the suite calls less).
if [ $# -eq 0 ]; then
  .venv-test/bin/python scripts/iam-check.py
else
  echo "iam-check: not run (cargo test was given arguments: only a part of the suite ran)"
fi
