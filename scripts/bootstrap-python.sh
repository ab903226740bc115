#!/usr/bin/env bash
# Creates python-workloads/.venv from the lock file. Idempotent: does nothing when the lock and
# pyproject are unchanged since the last install, so every make target can call it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

uv_version=$(cat scripts/uv-version)
tools=$root/.tools
venv=$root/python-workloads/.venv
stamp=$venv/.bootstrap-stamp
want=$(cat python-workloads/requirements.lock python-workloads/pyproject.toml scripts/uv-version | sha256sum | cut -d' ' -f1)

if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

python=${BOOSTER_PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: Python 3.11 or newer is needed; set BOOSTER_PYTHON to its path" >&2
  exit 2
fi

if [[ ! -x $tools/uv/bin/uv ]] || [[ "$("$tools/uv/bin/uv" --version | cut -d' ' -f2)" != "$uv_version" ]]; then
  echo "bootstrap: installing uv $uv_version into .tools/uv"
  "$python" -m venv --clear "$tools/uv"
  "$tools/uv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
fi
uv=$tools/uv/bin/uv

echo "bootstrap: syncing python-workloads/.venv with requirements.lock"
[[ -x $venv/bin/python ]] || "$uv" venv --quiet --python "$python" "$venv"
"$uv" pip sync --quiet --python "$venv/bin/python" python-workloads/requirements.lock
"$uv" pip install --quiet --python "$venv/bin/python" --no-deps -e python-workloads
echo "$want" >"$stamp"
