#!/usr/bin/env bash
# Scaling benchmark (see scripts/bench_scale.py): 10, 100 and 300 routes through a 30 ms proxy, with and
# without API Gateway's quota emulated, beside the manual recipe; then key generation beside openssl, and
# `jwtstack validate` start-up time. Prints Markdown tables. Takes a few minutes.
# STRICT=1 runs the proxy in its AWS-strict mode; SIZES="100" and QUOTA=on|off narrow the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
cargo build --release --quiet
STRICT="${STRICT:-0}" .venv-test/bin/python scripts/bench_scale.py 2>/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
echo
echo "| what | median ms (runs) |"
echo "|---|---|"
for bits in 2048 4096; do
  if command -v openssl >/dev/null; then
    echo "| openssl genrsa $bits | $(for _ in 1 2 3 4 5; do ms openssl genrsa "$bits"; done | median) (5) |"
  fi
done
echo "| jwtstack validate (start-up, example stack) | $(for _ in $(seq 1 20); do ms target/release/jwtstack validate; done | median) (20) |"
echo
echo "jwtstack key generation: cargo bench --bench tokens -- keygen"
