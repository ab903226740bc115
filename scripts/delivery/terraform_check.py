#!/usr/bin/env python3
"""Runs terraform validate and plan on synthesized stacks against the real provider schemas, offline.

Needs TERRAFORM_BIN and TF_CLI_CONFIG_FILE from scripts/delivery/terraform-toolchain.sh --print-env
(a CLI config that installs providers only from a local filesystem mirror).

    terraform_check.py validate STACKS_DIR   # every STACKS_DIR/<env>/cdk.tf.json must validate
    terraform_check.py plan STACKS_DIR       # plan each against empty local state, placeholder credentials
    terraform_check.py broken STACKS_DIR     # a stack with an invalid enum value must FAIL validation

The stack files are rewritten in place (run it on a private synth output, never on cdktf.out):
provider versions become the ones in the mirror (printed), the backend becomes a local state file
inside the stack directory, and without the Google provider its resources are left out (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STACK_FILE = "cdk.tf.json"
PROVIDER_SOURCES = {"databricks": "databricks/databricks", "google": "hashicorp/google"}
# The deliberately broken stack: a value the TypeScript types accept (a plain string) but the
# provider schema does not.
BROKEN_ATTRIBUTE = "gcp_availability"
BROKEN_VALUE = "SOMETIMES"
# Credentials that look right and grant nothing: the providers need some to configure themselves.
PLACEHOLDER_CREDENTIALS = {
    "DATABRICKS_TOKEN": "dapi00000000000000000000000000000000",
    "GOOGLE_OAUTH_ACCESS_TOKEN": "placeholder-access-token",
}
COMMAND_TIMEOUT_S = 600


@dataclass(frozen=True)
class Toolchain:
    terraform: str
    cli_config: str
    versions: dict[str, str]
    with_google: bool

    @staticmethod
    def from_environment() -> Toolchain:
        missing = [name for name in ("TERRAFORM_BIN", "TF_CLI_CONFIG_FILE") if not os.environ.get(name)]
        if missing:
            raise SystemExit(
                f"terraform_check: {', '.join(missing)} not set: run "
                '`eval "$(bash scripts/delivery/terraform-toolchain.sh --print-env)"` first'
            )
        return Toolchain(
            terraform=os.environ["TERRAFORM_BIN"],
            cli_config=os.environ["TF_CLI_CONFIG_FILE"],
            versions={
                "databricks": os.environ["TF_DATABRICKS_BUILD_VERSION"],
                "google": os.environ["TF_GOOGLE_BUILD_VERSION"],
            },
            with_google=os.environ.get("TF_TOOLCHAIN_GOOGLE", "1") == "1",
        )

    def run(
        self, args: list[str], cwd: Path, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": self.cli_config,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            **(extra_env or {}),
        }
        return subprocess.run(
            [self.terraform, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )


def stack_dirs(stacks_dir: Path) -> list[Path]:
    dirs = sorted(path.parent for path in stacks_dir.glob(f"*/{STACK_FILE}"))
    if not dirs:
        raise SystemExit(
            f"terraform_check: no {STACK_FILE} under {stacks_dir}: synthesize first (npm run synth)"
        )
    return dirs


def prepare(stack: Path, toolchain: Toolchain) -> list[str]:
    """Rewrites the stack for an offline run; returns one line per change made, for the log."""
    path = stack / STACK_FILE
    config: dict[str, Any] = json.loads(path.read_text())
    notes: list[str] = []
    terraform = config.setdefault("terraform", {})
    if not toolchain.with_google:
        notes += drop_google(config)
    for name, provider in terraform.get("required_providers", {}).items():
        if name not in toolchain.versions:
            raise SystemExit(
                f"terraform_check: {path}: provider {name} has no offline build; add one to terraform-toolchain.sh"
            )
        wanted, built = provider.get("version"), toolchain.versions[name]
        if wanted != built:
            notes.append(f"{name} provider {wanted} -> {built} (the build the offline mirror has)")
        provider["version"] = built
        provider["source"] = PROVIDER_SOURCES[name]
    # Terraform Cloud or any other backend: replaced by a state file that lives and dies here.
    if "cloud" in terraform or terraform.get("backend", {}).keys() - {"local"}:
        notes.append("backend -> local state in the check's directory")
    terraform.pop("cloud", None)
    terraform["backend"] = {"local": {"path": "terraform.tfstate"}}
    path.write_text(json.dumps(config, indent=2))
    return notes


def drop_google(config: dict[str, Any]) -> list[str]:
    dropped: list[str] = []
    for block in ("resource", "data"):
        for kind in [kind for kind in config.get(block, {}) if kind.startswith("google_")]:
            dropped += [f"{kind}.{name}" for name in config[block].pop(kind)]
    config.get("provider", {}).pop("google", None)
    config["terraform"].get("required_providers", {}).pop("google", None)
    for name in [
        name for name, output in config.get("output", {}).items() if "google_" in json.dumps(output)
    ]:
        config["output"].pop(name)
        dropped.append(f"output.{name}")
    if "${google_" in json.dumps(config) or "${data.google_" in json.dumps(config):
        raise SystemExit(
            "terraform_check: Databricks resources refer to Google resources; build the Google provider"
        )
    return [f"without the Google provider, not checked: {', '.join(dropped)}"] if dropped else []


def diagnostics(output: str, severity: str = "error") -> list[str]:
    """The diagnostics of one severity from `terraform validate -json`, one readable line each."""
    report = json.loads(output)
    lines = []
    for item in report.get("diagnostics", []):
        if item.get("severity") != severity:
            continue
        where = item.get("address") or ""
        if item.get("range"):
            where = where or f"{item['range']['filename']}:{item['range']['start']['line']}"
        lines.append(f"{where}: {item.get('summary', '')}: {item.get('detail', '')}".strip())
    return lines


def init(stack: Path, toolchain: Toolchain, backend: bool) -> None:
    result = toolchain.run(
        ["init", "-no-color", f"-backend={'true' if backend else 'false'}", "-reconfigure"], stack
    )
    if result.returncode != 0:
        raise SystemExit(
            f"terraform_check: terraform init failed in {stack}:\n{result.stdout}{result.stderr}"
        )


def validate(stack: Path, toolchain: Toolchain) -> tuple[list[str], list[str]]:
    """Errors and warnings that `terraform validate` reports for the stack (no errors: valid)."""
    init(stack, toolchain, backend=False)
    result = toolchain.run(["validate", "-json", "-no-color"], stack)
    errors = diagnostics(result.stdout)
    if result.returncode != 0 and not errors:
        errors = [f"terraform validate exited {result.returncode}: {result.stderr.strip()}"]
    return errors, diagnostics(result.stdout, "warning")


def command_validate(stacks_dir: Path, toolchain: Toolchain) -> int:
    failed = 0
    for stack in stack_dirs(stacks_dir):
        start = time.monotonic()
        for note in prepare(stack, toolchain):
            print(f"  {stack.name}: {note}")
        errors, warnings = validate(stack, toolchain)
        status = "valid" if not errors else f"{len(errors)} error(s)"
        print(
            f"validate {stack.name}: {status}, {len(warnings)} warning(s) ({time.monotonic() - start:.1f} s)"
        )
        for error in errors:
            print(f"    error: {error}")
        for warning in warnings:
            print(f"    warning: {warning}")
        failed += bool(errors)
    return 1 if failed else 0


def command_plan(stacks_dir: Path, toolchain: Toolchain) -> int:
    failed = 0
    for stack in stack_dirs(stacks_dir):
        start = time.monotonic()
        for note in prepare(stack, toolchain):
            print(f"  {stack.name}: {note}")
        for leftover in ("terraform.tfstate", "terraform.tfstate.backup", "plan.bin"):
            (stack / leftover).unlink(missing_ok=True)
        init(stack, toolchain, backend=True)
        result = toolchain.run(
            ["plan", "-no-color", "-lock=false", "-refresh=false", "-out=plan.bin"],
            stack,
            extra_env=PLACEHOLDER_CREDENTIALS,
        )
        elapsed = time.monotonic() - start
        if result.returncode != 0:
            failed += 1
            print(f"plan {stack.name}: FAILED ({elapsed:.1f} s)")
            for line in (result.stdout + result.stderr).strip().splitlines()[-25:]:
                print(f"    {line}")
            continue
        shown = toolchain.run(["show", "-json", "plan.bin"], stack)
        changes = json.loads(shown.stdout).get("resource_changes", [])
        actions: dict[str, int] = {}
        for change in changes:
            key = "/".join(change["change"]["actions"])
            actions[key] = actions.get(key, 0) + 1
        summary = ", ".join(f"{count} {action}" for action, count in sorted(actions.items()))
        print(f"plan {stack.name}: ok, {summary} ({elapsed:.1f} s)")
    return 1 if failed else 0


def command_broken(stacks_dir: Path, toolchain: Toolchain) -> int:
    """Proves validate is a real check: a pool with an invalid availability must be rejected."""
    source = stack_dirs(stacks_dir)[0]
    broken = stacks_dir.parent / "broken-stacks" / source.name
    shutil.rmtree(broken, ignore_errors=True)
    broken.mkdir(parents=True)
    config = json.loads((source / STACK_FILE).read_text())
    pools = config.get("resource", {}).get("databricks_instance_pool", {})
    if not pools:
        raise SystemExit(f"terraform_check: {source / STACK_FILE} has no databricks_instance_pool to break")
    for pool in pools.values():
        pool.setdefault("gcp_attributes", {})[BROKEN_ATTRIBUTE] = BROKEN_VALUE
    (broken / STACK_FILE).write_text(json.dumps(config))
    prepare(broken, toolchain)
    errors, _ = validate(broken, toolchain)
    caught = [error for error in errors if BROKEN_ATTRIBUTE in error or BROKEN_VALUE in error]
    if caught:
        print(
            f"broken stack ({BROKEN_ATTRIBUTE} = {BROKEN_VALUE!r}): rejected by terraform validate, as it must be:"
        )
        for error in caught:
            print(f"    {error}")
        return 0
    print(
        f"broken stack ({BROKEN_ATTRIBUTE} = {BROKEN_VALUE!r}): NOT rejected; validate errors were: {errors or 'none'}"
    )
    return 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=("validate", "plan", "broken"))
    parser.add_argument("stacks_dir", type=Path)
    args = parser.parse_args(argv)
    toolchain = Toolchain.from_environment()
    commands = {"validate": command_validate, "plan": command_plan, "broken": command_broken}
    return commands[args.command](args.stacks_dir.resolve(), toolchain)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
