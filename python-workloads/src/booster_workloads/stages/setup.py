"""Task 1, setup: check that this machine can run the pipeline before any GPU time is spent.

Checks, in order: installed packages and versions, JAX devices, the volumes (exist and writable),
the T1 robot model in MuJoCo and in MJX, Weights & Biases (online or offline) and MLflow. A hard
failure stops the checks; soft ones are warnings. The report is written as JSON to the artifacts
volume and logged to MLflow, then the stage fails with the first hard failure's message.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from booster_workloads.runtime import StageContext
from booster_workloads.stages import StageFailedError

Status = Literal["ok", "warning", "failed", "skipped"]

# Distributions every stage imports; the training stages fail late and expensively without them.
REQUIRED_DISTRIBUTIONS = (
    "numpy",
    "mujoco",
    "mujoco-mjx",
    "jax",
    "jaxlib",
    "flax",
    "optax",
    "torch",
    "safetensors",
    "mlflow",
    "wandb",
    "nvidia-ml-py",
    "gymnasium",
    "sai-mujoco",
)
ROBOT_XML = ("assets", "robots", "t1", "v1", "robot_lower.xml")
# Free base (7 + 6) and 12 hinge joints driven by 12 motors.
ROBOT_SHAPE = {"nq": 19, "nv": 18, "nu": 12}


class CheckFailed(Exception):
    """A hard failure: the pipeline cannot run here."""


class CheckWarning(Exception):
    """A soft failure: the pipeline runs, but something is degraded."""


@dataclass
class CheckResult:
    name: str
    status: Status
    detail: str
    seconds: float = 0.0


def check_packages(ctx: StageContext) -> str:
    versions: dict[str, str] = {}
    missing = []
    for name in REQUIRED_DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        raise CheckFailed(
            f"missing packages {', '.join(missing)}; install the workloads wheel with its dependencies"
        )
    if versions["mujoco"] != versions["mujoco-mjx"]:
        raise CheckFailed(
            f"mujoco {versions['mujoco']} and mujoco-mjx {versions['mujoco-mjx']} differ; MJX must match MuJoCo exactly"
        )
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def check_jax_devices(ctx: StageContext) -> str:
    import jax

    devices = jax.devices()
    described = ", ".join(f"{d.platform}:{d.device_kind}" for d in devices)
    if not any(d.platform == "gpu" for d in devices):
        message = f"JAX sees no GPU (devices: {described})"
        if ctx.config.setup.require_gpu:
            raise CheckFailed(
                f"{message}; run on a GPU node with CUDA-enabled jaxlib, or set setup.require_gpu=false"
            )
        raise CheckWarning(f"{message}; pre-training will run on the CPU")
    return f"backend {jax.default_backend()}, devices {described}"


def check_volumes(ctx: StageContext) -> str:
    checked = []
    for name, path in ctx.volumes.all().items():
        if not path.is_dir():
            raise CheckFailed(
                f"volume {name} ({path}) does not exist; create it with the infrastructure (cdktf deploy) "
                "or pass --volume-root"
            )
        probe = path / f".setup-probe-{uuid.uuid4().hex}"
        payload = os.urandom(64)
        try:
            probe.write_bytes(payload)
            if probe.read_bytes() != payload:
                raise CheckFailed(f"volume {name} ({path}) returned different bytes than were written")
        except OSError as exc:
            raise CheckFailed(
                f"volume {name} ({path}) is not writable ({exc.strerror or exc}); grant WRITE VOLUME to the job's identity"
            ) from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
        checked.append(f"{name}={path}")
    return "writable: " + ", ".join(checked)


def robot_xml_path() -> Path:
    import sai_mujoco

    return Path(sai_mujoco.__file__).parent.joinpath(*ROBOT_XML)


def check_robot_mujoco(ctx: StageContext) -> str:
    import mujoco
    import numpy as np

    path = robot_xml_path()
    try:
        model = mujoco.MjModel.from_xml_path(str(path))
    except (ValueError, OSError) as exc:
        raise CheckFailed(f"MuJoCo cannot load {path}: {str(exc).strip().splitlines()[0]}") from None
    shape = {"nq": model.nq, "nv": model.nv, "nu": model.nu}
    if shape != ROBOT_SHAPE:
        raise CheckFailed(
            f"{path} has {shape}, expected {ROBOT_SHAPE}; the installed sai-mujoco is not the pinned one"
        )
    data = mujoco.MjData(model)
    for _ in range(10):
        mujoco.mj_step(model, data)
    if not np.all(np.isfinite(data.qpos)):
        raise CheckFailed(f"{path} loads but simulating it gives non-finite positions")
    return f"{path.name}: nq {model.nq}, nv {model.nv}, nu {model.nu}, {model.ngeom} geoms"


def _mjx_model_from_the_port() -> tuple[Any, str] | None:
    """The MJX scene built by the soccer port, when that module is installed."""
    try:
        from booster_workloads.soccer.mjx import model as mjx_scene
    except ImportError:
        return None
    builder: Callable[[], Any] | None = getattr(mjx_scene, "mjx_model", None)
    if builder is None:
        return None
    return builder(), "the MJX soccer scene of booster_workloads.soccer.mjx"


def _robot_without_unsupported_collisions() -> tuple[Any, str]:
    """The bare robot with the collisions MJX cannot compute (cylinders) switched off."""
    import mujoco

    model = mujoco.MjModel.from_xml_path(str(robot_xml_path()))
    dropped = []
    for geom in range(model.ngeom):
        if model.geom_type[geom] == mujoco.mjtGeom.mjGEOM_CYLINDER and (
            model.geom_contype[geom] or model.geom_conaffinity[geom]
        ):
            model.geom_contype[geom] = 0
            model.geom_conaffinity[geom] = 0
            dropped.append(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, geom) or f"geom {geom}")
    return (
        model,
        f"the bare robot with cylinder collisions dropped ({len(dropped)} geoms), no MJX port installed",
    )


def check_robot_mjx(ctx: StageContext) -> str:
    if not ctx.config.setup.check_mjx:
        raise CheckWarning("skipped (setup.check_mjx=false)")
    import jax
    import numpy as np
    from mujoco import mjx

    built = _mjx_model_from_the_port()
    if built is None:
        built = _robot_without_unsupported_collisions()
        ctx.log.warning("MJX check uses %s", built[1])
    model, source = built
    try:
        mjx_model = mjx.put_model(model)
        data = mjx.make_data(mjx_model)
        started = time.monotonic()
        data = jax.jit(mjx.step)(mjx_model, data)
        qpos = np.asarray(jax.block_until_ready(data.qpos))
    except NotImplementedError as exc:
        raise CheckFailed(f"MJX cannot simulate {source}: {exc}") from None
    if not np.all(np.isfinite(qpos)):
        raise CheckFailed(f"MJX step of {source} gives non-finite positions")
    return f"{source}: compiled and stepped in {time.monotonic() - started:.1f} s on {jax.default_backend()}"


def check_wandb(ctx: StageContext) -> str:
    from booster_workloads.tracking import resolve_wandb_mode

    mode, reason = resolve_wandb_mode(
        ctx.config.run.wandb_mode, timeout=ctx.config.setup.network_timeout_seconds
    )
    if mode == "online":
        return f"online ({reason})"
    if mode == "disabled":
        raise CheckWarning("disabled (run.wandb_mode=disabled): metrics go to MLflow only")
    wandb_dir = Path(ctx.config.run.wandb_dir).resolve()
    raise CheckWarning(f"offline ({reason}); sync later with `wandb sync {wandb_dir}/wandb/offline-run-*`")


def check_mlflow(ctx: StageContext) -> str:
    tracker = ctx.tracker
    previous = {
        k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")
    }
    # Fail in seconds, not after the client's default minutes of retries.
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(max(1.0, ctx.config.setup.mlflow_timeout_seconds)))
    try:
        tracker.client.search_experiments(max_results=1)
    except Exception as exc:  # any transport or auth error means the stages cannot record their runs
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckFailed(
            f"MLflow at {tracker.tracking_uri} is not reachable ({first_line}); check --tracking-uri and credentials"
        ) from None
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return f"tracking {tracker.tracking_uri}, registry {tracker.registry_uri}"


CHECKS: tuple[tuple[str, Callable[[StageContext], str]], ...] = (
    ("packages", check_packages),
    ("jax_devices", check_jax_devices),
    ("volumes", check_volumes),
    ("robot_mujoco", check_robot_mujoco),
    ("robot_mjx", check_robot_mjx),
    ("wandb", check_wandb),
    ("mlflow", check_mlflow),
)


def run_checks(
    ctx: StageContext, checks: tuple[tuple[str, Callable[[StageContext], str]], ...] = CHECKS
) -> list[CheckResult]:
    """Every check in order until the first hard failure; the rest are reported as skipped."""
    results: list[CheckResult] = []
    failed = False
    for name, check in checks:
        if failed:
            results.append(CheckResult(name, "skipped", "not run after an earlier hard failure"))
            continue
        started = time.monotonic()
        try:
            detail, status = check(ctx), "ok"
        except CheckWarning as exc:
            detail, status = str(exc), "warning"
        except CheckFailed as exc:
            detail, status = str(exc), "failed"
            failed = True
        result = CheckResult(name, status, detail, round(time.monotonic() - started, 3))  # type: ignore[arg-type]
        results.append(result)
        level = {"ok": ctx.log.info, "warning": ctx.log.warning, "failed": ctx.log.error}[status]
        level("check %-13s %-7s %s", name, status, detail)
    return results


def build_report(ctx: StageContext, results: list[CheckResult]) -> dict[str, Any]:
    return {
        "created": datetime.now(UTC).isoformat(),
        "profile": ctx.profile,
        "catalog": ctx.config.run.catalog,
        "schema": ctx.config.run.schema,
        "ok": not any(r.status == "failed" for r in results),
        "checks": [asdict(r) for r in results],
    }


def run(ctx: StageContext) -> None:
    results = run_checks(ctx)
    report = build_report(ctx, results)
    report_path = _write_report(ctx, report)
    failure = next((r for r in results if r.status == "failed"), None)
    mlflow_usable = not any(r.name == "mlflow" and r.status == "failed" for r in results)
    if mlflow_usable:
        try:
            with ctx.tracker.stage_run("setup", training_type="environment_check") as stage_run:
                stage_run.log_dict(report, "setup/report.json")
                stage_run.log_metrics(
                    {f"setup/{r.name}_seconds": r.seconds for r in results if r.status != "skipped"}
                )
                stage_run.set_tags({"setup/ok": str(report["ok"]).lower()})
        except (
            Exception
        ) as exc:  # the report is on the volume; a tracking hiccup must not hide the real result
            if failure is None:
                raise StageFailedError(
                    f"setup checks passed but logging the report to MLflow failed: {exc}"
                ) from exc
            ctx.log.warning("could not log the setup report to MLflow: %s", exc)
    warnings = [r.name for r in results if r.status == "warning"]
    if failure is not None:
        raise StageFailedError(f"setup check {failure.name} failed: {failure.detail} (report: {report_path})")
    ctx.log.info(
        "setup passed%s; report %s",
        f" with warnings ({', '.join(warnings)})" if warnings else "",
        report_path,
    )


def _write_report(ctx: StageContext, report: dict[str, Any]) -> Path | None:
    """The report on the artifacts volume, or ``None`` when the volume itself is the problem."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = ctx.volumes.artifacts / "setup" / f"report-{stamp}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    except OSError as exc:
        ctx.log.warning("could not write the setup report to %s: %s", path, exc)
        return None
    return path
