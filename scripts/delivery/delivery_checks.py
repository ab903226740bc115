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
INIT_SCRIPT = ROOT / "docker" / "install_mjx.sh"
LOCK = ROOT / "python-workloads" / "requirements.lock"
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


def run_init_script(work: Path, driver: str | None) -> tuple[list[str], list[str], list[str]]:
    """Runs the init script with a pip that records what it was asked and, if given, a fake driver.

    Returns (pip arguments after the files, requirement lines, constraint lines)."""
    bin_dir = work / f"bin-{driver or 'cpu'}"
    bin_dir.mkdir()
    record = work / f"pip-{driver or 'cpu'}"
    pip = bin_dir / "pip"
    pip.write_text(
        "#!/bin/bash\n"
        f"printf '%s\\n' \"$@\" > {record}.args\n"
        "while (($#)); do case $1 in\n"
        f'  --requirement) cp "$2" {record}.req; shift ;;\n'
        f'  --constraint) cp "$2" {record}.con; shift ;;\n'
        "esac; shift; done\n"
    )
    pip.chmod(0o755)
    if driver is not None:
        smi = bin_dir / "nvidia-smi"
        smi.write_text(f"#!/bin/bash\necho {driver}\n")
        smi.chmod(0o755)
    # Only the fake tools and the basics: no real nvidia-smi or pip from this machine can leak in.
    path = f"{bin_dir}:/usr/bin:/bin"
    subprocess.run(
        ["bash", str(INIT_SCRIPT)], env={"PATH": path, "BOOSTER_PIP": str(pip), "TMPDIR": str(work)}, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    args = Path(f"{record}.args").read_text().splitlines()
    after_files = args[args.index("--requirement") + 2 :]
    return after_files, Path(f"{record}.req").read_text().split(), Path(f"{record}.con").read_text().split()


def check_init_script() -> int:
    lock_pins = {
        line.strip() for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith(" ")
    }
    jax = next(pin for pin in lock_pins if pin.startswith("jax=="))
    expected_extra = {
        None: [],
        "550.54.15": [f"jax[cuda12]=={jax[5:]}"],
        "580.65.06": [f"jax[cuda13]=={jax[5:]}"],
    }
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for driver, extra in expected_extra.items():
            node = f"driver {driver}" if driver else "CPU node"
            try:
                got_extra, requirements, constraints = run_init_script(Path(work), driver)
            except subprocess.CalledProcessError as error:
                failures.append(f"{node}: the script failed: {error.stderr.strip()}")
                continue
            if got_extra != extra:
                failures.append(f"{node}: asked pip for {got_extra}, expected {extra}")
            # The CUDA libraries torch brings (nvidia-cublas, ...), not NVML's bindings (nvidia-ml-py).
            if any(pin.startswith(("torch==", "triton==", "nvidia-cu", "nvidia-nv")) for pin in requirements):
                failures.append(f"{node}: installs the runtime's own torch stack")
            if not set(requirements) <= lock_pins or not set(constraints) <= lock_pins:
                failures.append(
                    f"{node}: pins that are not in the lock: {sorted(set(requirements + constraints) - lock_pins)}"
                )
            if jax not in requirements:
                failures.append(f"{node}: does not install the lock's {jax}")
    for failure in failures:
        print(f"init-script: {failure}")
    if not failures:
        print(
            "init-script: CPU node -> jax CPU, R550 -> jax[cuda12], R580 -> jax[cuda13]; lock pins only; torch kept"
        )
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("image-tag").add_argument("stacks_dir", type=Path)
    sub.add_parser("suppressions").add_argument("config", type=Path)
    sub.add_parser("image-deps").add_argument("--uv", default=str(ROOT / ".tools" / "uv" / "bin" / "uv"))
    sub.add_parser("init-script")
    args = parser.parse_args(argv)
    if args.command == "image-tag":
        return check_image_tag(args.stacks_dir.resolve())
    if args.command == "suppressions":
        return check_suppressions(args.config)
    if args.command == "init-script":
        return check_init_script()
    return check_image_deps(args.uv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
