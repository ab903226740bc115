#!/usr/bin/env python3
"""Small delivery checks that need no Terraform: run by scripts/check-delivery.sh.

delivery_checks.py image-tag STACKS_DIR    the tag the workflows push equals the tag every stack uses
delivery_checks.py suppressions FILE       every checkov skip-check entry has a written reason above it
delivery_checks.py image-deps              the image's pins plus jax's CUDA plugin resolve for its Python
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PUSH_SCRIPT = "scripts/delivery/push-image.sh"
IMAGE_REQUIREMENTS = ROOT / "docker" / "requirements.image.txt"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
# Python of the image: Ubuntu 24.04's python3, the version of Databricks Runtime 16.4 and 17.3.
IMAGE_PYTHON = "3.12"


def image_references(node: Any) -> set[str]:
    """Every docker image URL anywhere in a synthesized stack (pools, job clusters, the dev cluster)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "url" and isinstance(value, str) and "-docker.pkg.dev/" in value:
                found.add(value)
            found |= image_references(value)
    elif isinstance(node, list):
        for item in node:
            found |= image_references(item)
    return found


def workflow_push_steps() -> list[str]:
    """`file: step` for every workflow step that pushes the image: each must go through the script."""
    steps = []
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        document = yaml.safe_load(workflow.read_text())
        for job_name, job in (document.get("jobs") or {}).items():
            for step in job.get("steps") or []:
                run = step.get("run") or ""
                if (
                    "docker push" in run
                    or "docker buildx" in run
                    or "build-push-action" in str(step.get("uses", ""))
                ):
                    raise SystemExit(f"{workflow.name}: job {job_name} pushes an image without {PUSH_SCRIPT}")
                if PUSH_SCRIPT in run:
                    steps.append(f"{workflow.name}: {step.get('name', job_name)}")
    return steps


def check_image_tag(stacks_dir: Path) -> int:
    steps = workflow_push_steps()
    if not steps:
        print(f"image-tag: no workflow step runs {PUSH_SCRIPT}")
        return 1
    failures = 0
    for stack_file in sorted(stacks_dir.glob("*/cdk.tf.json")):
        environment = stack_file.parent.name
        result = subprocess.run(
            ["bash", PUSH_SCRIPT, environment, "--dry-run"],
            cwd=ROOT,
            env={**os.environ, "CDKTF_OUTDIR": str(stacks_dir.parent)},
            capture_output=True,
            text=True,
            check=False,
        )
        pushed = result.stdout.strip().removeprefix("image=")
        used = image_references(json.loads(stack_file.read_text()))
        if result.returncode != 0:
            print(f"image-tag {environment}: the workflows' tag computation failed: {result.stderr.strip()}")
            failures += 1
        elif used != {pushed}:
            print(f"image-tag {environment}: workflows push {pushed}, the stack uses {sorted(used)}")
            failures += 1
        else:
            print(
                f"image-tag {environment}: workflows push {pushed}, the stack's pool and clusters use exactly that"
            )
    print(f"image-tag: pushed by {'; '.join(steps)}")
    return 1 if failures else 0


def check_suppressions(config: Path) -> int:
    lines = config.read_text().splitlines()
    failures = 0
    in_skips = False
    count = 0
    for index, line in enumerate(lines):
        if re.match(r"^\S", line):
            in_skips = line.startswith("skip-check:")
            continue
        entry = re.match(r"^\s+-\s+(\S+)", line)
        if not (in_skips and entry):
            continue
        count += 1
        previous = lines[index - 1].strip() if index else ""
        if not previous.startswith("#") or len(previous) < 20:
            print(
                f"{config.name}:{index + 1}: suppression {entry.group(1)} has no written reason in the comment above it"
            )
            failures += 1
    print(f"suppressions: {count} in {config.name}, {count - failures} with a reason")
    return 1 if failures else 0


def check_image_deps(uv: str) -> int:
    """Resolves what the Dockerfile installs, for the image's Python and platform, against PyPI."""
    pins = [line for line in IMAGE_REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    jax = next(line.split("==", 1)[1] for line in pins if line.startswith("jax=="))
    extra = re.search(r'"jax\[(cuda\d+)\]==', DOCKERFILE.read_text())
    if extra is None:
        print("image-deps: docker/Dockerfile installs no jax[cudaNN] extra")
        return 1
    with tempfile.TemporaryDirectory() as work:
        requirements = Path(work, "requirements.in")
        requirements.write_text("\n".join([*pins, f"jax[{extra.group(1)}]=={jax}"]) + "\n")
        result = subprocess.run(
            [uv, "pip", "compile", "--quiet", "--python-version", IMAGE_PYTHON, "--python-platform", "x86_64-manylinux_2_28",
             "--no-header", "--no-annotate", str(requirements)],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
    if result.returncode != 0:
        print(
            f"image-deps: the image's requirements do not resolve for Python {IMAGE_PYTHON}:\n{result.stderr.strip()}"
        )
        return 1
    resolved = {line.split("==")[0]: line for line in result.stdout.splitlines() if "==" in line}
    moved = [pin for pin in pins if resolved.get(pin.split("==")[0]) != pin]
    added = sorted(set(resolved) - {pin.split("==")[0] for pin in pins})
    if moved:
        print(f"image-deps: adding jax[{extra.group(1)}] would move pinned packages: {moved}")
        return 1
    print(
        f"image-deps: {len(pins)} pins + jax[{extra.group(1)}]=={jax} resolve for Python {IMAGE_PYTHON}; "
        f"the plugin adds {', '.join(added) or 'nothing'}"
    )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("image-tag").add_argument("stacks_dir", type=Path)
    sub.add_parser("suppressions").add_argument("config", type=Path)
    sub.add_parser("image-deps").add_argument("--uv", default=str(ROOT / ".tools" / "uv" / "bin" / "uv"))
    args = parser.parse_args(argv)
    if args.command == "image-tag":
        return check_image_tag(args.stacks_dir.resolve())
    if args.command == "suppressions":
        return check_suppressions(args.config)
    return check_image_deps(args.uv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
