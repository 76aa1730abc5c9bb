#!/usr/bin/env bash
# The whole test suite: installs the AWS emulator (moto, pinned) if needed, then runs every test.
# The emulator tests start their own moto server on a free loopback port and stop it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
cargo test --locked "$@"
