#!/usr/bin/env bash
# Installs node_modules from package-lock.json. Idempotent: skipped when the lock is unchanged.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stamp=node_modules/.bootstrap-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "bootstrap: npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
