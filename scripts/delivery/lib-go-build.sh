# shellcheck shell=bash
# Sourced by the delivery scripts: builds a Go program from a pinned module under
# scripts/delivery/toolchain/<name> (go.mod and go.sum pin every module with its checksum).
# The caller sets `delivery_dir` (scripts/delivery) and `go_build_logs` (a directory for build logs).

# go_build NAME PACKAGE OUTPUT: builds PACKAGE into OUTPUT unless OUTPUT was built from the same
# go.mod, go.sum and Go version (a stamp file beside it), so a second run costs milliseconds.
go_build() {
  local name=$1 package=$2 output=$3
  local dir=${delivery_dir:?set delivery_dir to scripts/delivery}/toolchain/$name
  if ! command -v go >/dev/null; then
    echo "go-build: no 'go' on PATH: install Go >= 1.24 to build $package" >&2
    return 2
  fi
  local want
  want=$(cat "$dir/go.mod" "$dir/go.sum" <(go env GOVERSION GOARCH GOOS) | sha256sum | cut -d' ' -f1)
  if [[ -x $output && -f $output.stamp && "$(cat "$output.stamp")" == "$want" ]]; then
    return 0
  fi
  local version
  version=$(awk -v p="$package" '$1 == "require" && index(p, $2) == 1 { print $3 }' "$dir/go.mod")
  echo "go-build: building $package ${version:+($version) }with nice -n 15; later runs reuse it" >&2
  local start=$SECONDS
  local logs=${go_build_logs:?set go_build_logs to a log directory}
  mkdir -p "$(dirname "$output")" "$logs"
  # -trimpath and no VCS stamping make the binary independent of the checkout path.
  if ! (cd "$dir" && GOFLAGS="-mod=readonly -trimpath -buildvcs=false" nice -n 15 \
    go build -o "$output.tmp" "$package") >"$logs/$name.log" 2>&1; then
    echo "go-build: building $package failed; the log is $go_build_logs/$name.log:" >&2
    tail -20 "$logs/$name.log" >&2
    return 1
  fi
  mv "$output.tmp" "$output"
  echo "$want" >"$output.stamp"
  echo "go-build: built $name in $((SECONDS - start)) s" >&2
}
