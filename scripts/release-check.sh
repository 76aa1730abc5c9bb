#!/usr/bin/env bash
# The release configuration, checked as far as it runs without GitHub: dist (pinned to the version the release
# workflow installs) confirms that .github/workflows/release.yml is what dist-workspace.toml generates, and
# prints the plan of a release: each archive, its checksum, the installer and the Homebrew formula.
# Installs dist into target/tools/ when it is not on PATH at that version (a build of about 10 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^cargo-dist-version = "\(.*\)"/\1/p' dist-workspace.toml)
[ -n "$version" ] || { echo "release-check: no cargo-dist-version in dist-workspace.toml" >&2; exit 1; }
dist=dist
if ! command -v dist >/dev/null || [ "$(dist --version 2>/dev/null)" != "cargo-dist $version" ]; then
  dist="$PWD/target/tools/bin/dist"
  if [ ! -x "$dist" ] || [ "$("$dist" --version 2>/dev/null)" != "cargo-dist $version" ]; then
    echo "release-check: installing dist $version into target/tools/"
    cargo install cargo-dist --version "$version" --locked --root target/tools --quiet
  fi
fi
echo "== dist generate --check (the release workflow is what the config makes)"
"$dist" generate --check
echo "== dist plan"
plan=$("$dist" plan --output-format=json)
"$dist" plan
# What a user installs from: every target's archive with its checksum, the installer and the formula.
python3 - "$plan" <<'PY'
import json, sys, tomllib
manifest = json.loads(sys.argv[1])
names = set(manifest.get("artifacts", {}))
with open("dist-workspace.toml", "rb") as f:
    targets = tomllib.load(f)["dist"]["targets"]
want = {"jwtstack-installer.sh", "jwtstack.rb", "sha256.sum"}
for target in targets:
    want |= {f"jwtstack-{target}.tar.xz", f"jwtstack-{target}.tar.xz.sha256"}
missing = sorted(want - names)
if missing:
    sys.exit(f"release-check: the release plan lacks {missing}")
print(f"release-check: {len(names)} artifacts planned, every archive with its checksum, the installer and the formula")
PY
