#!/usr/bin/env bash
# Every delivery check: installs what it needs (idempotently, from package registries only), then
#   - terraform validate of every synthesized stack against the real provider schemas,
#   - a deliberately broken stack that validate must reject,
#   - terraform plan of every stack against empty local state with placeholder credentials,
#   - the checkov policy scan of the synthesized Terraform, the Dockerfile and the workflows (zero
#     failures; a written reason for each suppression),
#   - hadolint (Dockerfile), shellcheck (scripts), actionlint (workflows), ruff/mypy (check scripts),
#   - the rendered image requirements and init script are fresh against the lock, and the init
#     script installs the right jax build on CPU, older-driver and R580+ GPU nodes,
#   - the image tag the workflows push equals the one the stacks synthesize,
#   - the image's requirements resolve for its Python.
# Each section runs even when an earlier one failed; the exit code is non-zero if any failed.
#
# Environment:
#   BOOSTER_DELIVERY_GOOGLE=0  skip building the Google provider: Google resources are then left out
#                              of validate and plan (said in the output); default 1.
#   BOOSTER_TF_CACHE           where terraform and the providers are cached (~/.cache/booster-soccer/terraform).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

PY=python-workloads/.venv/bin/python
work=$root/.tools/delivery
synth_dir=$work/synth
lint_bin=$root/.tools/delivery-lint/bin
actionlint=${BOOSTER_TOOL_CACHE:-$HOME/.cache/booster-soccer/tools}/actionlint
# One run at a time per checkout: the sections share .tools/delivery.
mkdir -p "$work"
exec 8>"$work/.lock"
flock 8
toolchain_args=(--print-env)
[[ ${BOOSTER_DELIVERY_GOOGLE:-1} == 0 ]] && toolchain_args+=(--without-google)

passed=0
failed=()
timings=()
section() {
  local name=$1
  shift
  local start=$SECONDS
  echo
  echo "--- delivery: $name"
  if "$@"; then
    passed=$((passed + 1))
    timings+=("$name: ok ($((SECONDS - start)) s)")
  else
    failed+=("$name")
    timings+=("$name: FAILED ($((SECONDS - start)) s)")
  fi
}

install_prerequisites() {
  bash scripts/bootstrap-node.sh && bash scripts/bootstrap-python.sh && bash scripts/delivery/install-tools.sh
}

terraform_toolchain() {
  local env_file=$work/toolchain.env
  mkdir -p "$work"
  bash scripts/delivery/terraform-toolchain.sh "${toolchain_args[@]}" >"$env_file" || return 1
  # shellcheck source=/dev/null
  source "$env_file"
  local version
  version=$("$TERRAFORM_BIN" version) || return 1
  echo "${version%%$'\n'*}; providers: databricks $TF_DATABRICKS_BUILD_VERSION, google $TF_GOOGLE_BUILD_VERSION (google built: $TF_TOOLCHAIN_GOOGLE)"
}

# A private synth output: the checks rewrite it (provider versions, backend), never cdktf.out.
synthesize() {
  rm -rf "$synth_dir" "$work/pristine"
  mkdir -p "$work/pristine"
  # The stacks upload the wheel with databricks_file, whose source validate and plan read.
  "$root/.tools/uv/bin/uv" build --quiet --wheel --out-dir python-workloads/dist python-workloads || return 1
  if ! CDKTF_OUTDIR=$synth_dir npm run --silent synth >"$work/synth.log" 2>&1; then
    tail -n 20 "$work/synth.log"
    return 1
  fi
  cp -r "$synth_dir/stacks" "$work/pristine/stacks"
  echo "stacks:" "$synth_dir"/stacks/*/cdk.tf.json
}

checkov_scan() {
  local files=(--file docker/Dockerfile)
  local workflow
  for workflow in .github/workflows/*.yml; do files+=(--file "$workflow"); done
  # Two runs: given a directory, checkov leaves out the Dockerfile passed with --file.
  "$root/.tools/checkov/bin/checkov" --config-file .checkov.yaml --directory "$work/pristine/stacks" &&
    "$root/.tools/checkov/bin/checkov" --config-file .checkov.yaml "${files[@]}" &&
    "$PY" scripts/delivery/delivery_checks.py suppressions .checkov.yaml
}

check_python_scripts() {
  local bin=python-workloads/.venv/bin
  "$bin/ruff" check --config python-workloads/pyproject.toml "${python_scripts[@]}" &&
    "$bin/ruff" format --check --config python-workloads/pyproject.toml "${python_scripts[@]}" &&
    "$bin/mypy" --strict --ignore-missing-imports "${python_scripts[@]}"
}

shell_scripts=(scripts/check-delivery.sh scripts/delivery/*.sh docker/install_mjx.sh)
python_scripts=(scripts/delivery/*.py)

section "install node, python and linters" install_prerequisites
section "terraform and providers (offline build, cached)" terraform_toolchain
section "synthesize every stack" synthesize
# Right after synth: the tag hashes the workloads' sources, which must not change in between.
section "image tag: workflows = stacks" "$PY" scripts/delivery/delivery_checks.py image-tag "$work/pristine/stacks"
section "checkov policy scan (terraform, dockerfile, workflows)" checkov_scan
section "terraform validate" "$PY" scripts/delivery/terraform_check.py validate "$synth_dir/stacks"
section "broken stack rejected by validate" "$PY" scripts/delivery/terraform_check.py broken "$synth_dir/stacks"
section "terraform plan (empty state, placeholder credentials)" "$PY" scripts/delivery/terraform_check.py plan "$synth_dir/stacks"
section "rendered from the lock, fresh" python3 scripts/delivery/render_from_lock.py --check
section "init script: per-node jax build, lock pins" "$PY" scripts/delivery/delivery_checks.py init-script
section "image requirements resolve" "$PY" scripts/delivery/delivery_checks.py image-deps
section "hadolint" "$lint_bin/hadolint" --config .hadolint.yaml docker/Dockerfile
section "shellcheck" "$lint_bin/shellcheck" --external-sources "${shell_scripts[@]}"
section "actionlint" "$actionlint" -no-color -shellcheck "$lint_bin/shellcheck" -pyflakes ""
section "check scripts: ruff, mypy" check_python_scripts

echo
echo "--- delivery summary"
printf '%s\n' "${timings[@]}"
echo "delivery: ${passed} passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
  echo "delivery: failed sections: ${failed[*]}"
  exit 1
fi
