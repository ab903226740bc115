#!/usr/bin/env bash
# Makes terraform and the Databricks and Google providers usable without internet access.
#
# The providers are built from the Go module proxy (the one registry for them that these machines
# reach) into a filesystem mirror under the cache directory, and a CLI config that installs only
# from that mirror is written beside it. Builds are cached by module version and Go version, so the
# second run costs a few milliseconds; a fresh machine rebuilds.
#
# Usage: terraform-toolchain.sh [--without-google] [--print-env]
#   --without-google  skip the Google provider (its build is the long one)
#   --print-env       print `export` lines for TERRAFORM_BIN, TF_CLI_CONFIG_FILE and the versions
# Environment: BOOSTER_TF_CACHE (default ~/.cache/booster-soccer/terraform).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/delivery/versions.env
source "$here/versions.env"

with_google=1
print_env=0
for arg in "$@"; do
  case $arg in
    --without-google) with_google=0 ;;
    --print-env) print_env=1 ;;
    *)
      echo "terraform-toolchain: unknown option '$arg' (use --without-google, --print-env)" >&2
      exit 2
      ;;
  esac
done

cache=${BOOSTER_TF_CACHE:-$HOME/.cache/booster-soccer/terraform}
mirror=$cache/mirror
platform=linux_amd64
mkdir -p "$cache/bin" "$mirror" "$cache/logs"

delivery_dir=$here
go_build_logs=$cache/logs
# shellcheck source=scripts/delivery/lib-go-build.sh
source "$here/lib-go-build.sh"

# One build at a time per cache, also across concurrent check runs.
exec 9>"$cache/.lock"
flock 9

# install_provider NAMESPACE TYPE VERSION BINARY: the filesystem-mirror "unpacked" layout.
install_provider() {
  local namespace=$1 type=$2 version=$3 binary=$4
  local dir=$mirror/registry.terraform.io/$namespace/$type/$version/$platform
  local target=$dir/terraform-provider-${type}_v$version
  mkdir -p "$dir"
  if ! cmp -s "$binary" "$target" 2>/dev/null; then
    cp "$binary" "$target.tmp"
    mv "$target.tmp" "$target"
  fi
}

# Terraform: the one on PATH if there is one (any 1.5+ reads these configurations), else a build.
if [[ -n ${TERRAFORM_BIN:-} && -x ${TERRAFORM_BIN} ]]; then
  terraform_bin=$TERRAFORM_BIN
elif terraform_bin=$(command -v terraform); then
  :
else
  terraform_bin=$cache/bin/terraform-$TF_TERRAFORM_BUILD_VERSION
  go_build terraform github.com/hashicorp/terraform "$terraform_bin"
fi

go_build databricks github.com/databricks/terraform-provider-databricks \
  "$cache/bin/terraform-provider-databricks-$TF_DATABRICKS_BUILD_VERSION"
install_provider databricks databricks "$TF_DATABRICKS_BUILD_VERSION" \
  "$cache/bin/terraform-provider-databricks-$TF_DATABRICKS_BUILD_VERSION"

providers='"registry.terraform.io/databricks/databricks"'
if ((with_google)); then
  go_build google github.com/hashicorp/terraform-provider-google \
    "$cache/bin/terraform-provider-google-$TF_GOOGLE_BUILD_VERSION"
  install_provider hashicorp google "$TF_GOOGLE_BUILD_VERSION" \
    "$cache/bin/terraform-provider-google-$TF_GOOGLE_BUILD_VERSION"
  providers+=', "registry.terraform.io/hashicorp/google"'
fi

# Install from the mirror only: with no `direct` block terraform never tries the network, so a
# missing provider fails at once with a clear message instead of a timeout.
cli_config=$cache/terraformrc
cat >"$cli_config.tmp" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = [$providers]
  }
}
disable_checkpoint = true
EOF
mv "$cli_config.tmp" "$cli_config"

if ((print_env)); then
  printf 'export TERRAFORM_BIN=%q\n' "$terraform_bin"
  printf 'export TF_CLI_CONFIG_FILE=%q\n' "$cli_config"
  printf 'export TF_TOOLCHAIN_GOOGLE=%q\n' "$with_google"
  printf 'export TF_DATABRICKS_BUILD_VERSION=%q TF_GOOGLE_BUILD_VERSION=%q\n' \
    "$TF_DATABRICKS_BUILD_VERSION" "$TF_GOOGLE_BUILD_VERSION"
fi
