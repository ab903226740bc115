# The two set-up commands are `make run` and `make test`; each installs what it needs, idempotently.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PY := python-workloads/.venv/bin
UV := .tools/uv/bin/uv
# Compiled XLA programs are reused across stages and runs (the MJX step takes minutes to compile on a CPU).
export JAX_COMPILATION_CACHE_DIR ?= $(HOME)/.cache/booster-workloads/jax
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 1

.PHONY: run synth pipeline test bootstrap node-deps python-deps wheel clean-local

## run: synthesize every environment to Terraform (with its cost estimate), then run the five-stage
## pipeline at toy scale on the CPU against a local MLflow server.
run: synth pipeline

## synth: cdktf.out/stacks/<env>/cdk.tf.json for every environment in config/, no credentials needed.
synth: node-deps
	npm run --silent synth

## pipeline: setup -> pretrain -> convert -> finetune -> submit (dry run), toy profile, local MLflow.
pipeline: python-deps
	$(PY)/booster-pipeline pipeline --profile toy --tracking-uri local --volume-root .local/volumes

## test: every linter and test of both halves, and the delivery checks.
test:
	bash scripts/test.sh

## wheel: the workloads wheel that the stacks upload to the artifacts volume.
wheel: python-deps
	$(UV) build --wheel --out-dir python-workloads/dist python-workloads

bootstrap: node-deps python-deps

node-deps:
	bash scripts/bootstrap-node.sh

python-deps:
	bash scripts/bootstrap-python.sh

## clean-local: forget local runs (MLflow database, volumes, W&B offline runs).
clean-local:
	rm -rf .local
