#!/usr/bin/env bash
# Builds the GPU image and pushes it to an environment's Artifact Registry repository under the
# content-hash tag that environment's synthesized stack expects. Used by the image and deploy
# workflows; runs the same on a workstation with docker (buildx) and gcloud.
#
# Usage: push-image.sh ENVIRONMENT [--dry-run]
#   Needs the synthesized stack: ${CDKTF_OUTDIR:-cdktf.out}/stacks/ENVIRONMENT/cdk.tf.json.
#   --dry-run  print the image reference and stop (no docker, no gcloud).
# Environment: IMAGE_CACHE_FROM / IMAGE_CACHE_TO (optional buildx --cache-from/--cache-to values).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

environment=${1:?usage: push-image.sh ENVIRONMENT [--dry-run]}
dry_run=0
[[ ${2:-} == --dry-run ]] && dry_run=1

stack=${CDKTF_OUTDIR:-cdktf.out}/stacks/$environment/cdk.tf.json
if [[ ! -f $stack ]]; then
  echo "push-image: $stack does not exist: run 'npm run synth' first (environments: config/)" >&2
  exit 2
fi

# The tag is the content hash of the image's inputs, computed by the same code the stack uses.
tag=$(npx --no-install tsx constructs/container-image/content-hash.ts)
image=$(node -e 'const s = require(process.argv[1]); process.stdout.write(s.output?.image_url?.value ?? "")' "$(realpath "$stack")")
if [[ -z $image ]]; then
  echo "push-image: $stack has no image_url output; is the $environment environment in container mode?" >&2
  exit 2
fi
if [[ ${image##*:} != "$tag" ]]; then
  echo "push-image: the $environment stack expects tag ${image##*:} but the image inputs hash to $tag: synthesize again" >&2
  exit 1
fi
echo "image=$image"
if ((dry_run)); then
  exit 0
fi

registry=${image%%/*}
gcloud auth configure-docker "$registry" --quiet
# Tags are immutable in the repository: an image already pushed under this hash is this image.
if gcloud artifacts docker images describe "$image" >/dev/null 2>&1; then
  echo "push-image: $image already exists; nothing to build"
  exit 0
fi
cache_args=()
[[ -n ${IMAGE_CACHE_FROM:-} ]] && cache_args+=(--cache-from "$IMAGE_CACHE_FROM")
[[ -n ${IMAGE_CACHE_TO:-} ]] && cache_args+=(--cache-to "$IMAGE_CACHE_TO")
docker buildx build --file docker/Dockerfile --tag "$image" "${cache_args[@]}" --push .
echo "push-image: pushed $image"
