#!/usr/bin/env bash
# The README's test command: installs what it needs, then runs every check of both halves.
# Each section runs even when an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PY=python-workloads/.venv/bin
# XLA programs (the MJX step above all) take minutes to compile on a small CPU; the persistent cache
# lets every later process with the same program, and every later run on this machine, skip that.
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$HOME/.cache/booster-workloads/jax}
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=${JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS:-1}
failed=()
timings=()

section() {
  local name=$1
  shift
  local start=$SECONDS
  echo
  echo "=== $name"
  if "$@"; then
    timings+=("$name: ok ($((SECONDS - start)) s)")
  else
    timings+=("$name: FAILED ($((SECONDS - start)) s)")
    failed+=("$name")
  fi
}

section "install node packages" bash scripts/bootstrap-node.sh
section "install python environment" bash scripts/bootstrap-python.sh

section "typescript lint" npm run --silent lint
section "typescript tests" npx jest --ci
if [[ -x scripts/check-delivery.sh ]]; then
  section "delivery checks (terraform validate/plan, policy scan, image and workflow linters)" bash scripts/check-delivery.sh
fi

section "python format" "$PY/ruff" format --check python-workloads
section "python lint" "$PY/ruff" check python-workloads
section "python types" bash -c "cd python-workloads && .venv/bin/mypy"
# pytest last, so its summary is the closing line of the run.
section "python tests" env JAX_PLATFORMS=cpu "$PY/pytest" -q python-workloads/tests

echo
echo "=== summary"
printf '%s\n' "${timings[@]}"
if ((${#failed[@]})); then
  echo "failed sections: ${failed[*]}"
  exit 1
fi
