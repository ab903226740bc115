"""The setup stage against the real packages, the real robot model, MJX and a real MLflow server."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from booster_workloads.runtime.runner import build_context
from booster_workloads.stages import StageFailedError
from booster_workloads.stages import setup as setup_stage
from booster_workloads.tracking.local_server import free_loopback_port


def context_for(config: Any) -> Any:
    return build_context(config, "toy", logging.getLogger("test.setup"))


def reports(ctx: Any) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text()) for p in sorted((ctx.volumes.artifacts / "setup").glob("report-*.json"))
    ]


@pytest.mark.slow
def test_setup_passes_on_this_machine_and_logs_its_report(
    make_config: Callable[..., Any], mlflow_server: str
) -> None:
    ctx = context_for(make_config(mlflow_server))
    setup_stage.run(ctx)
    [report] = reports(ctx)
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert report["ok"] is True
    assert statuses == {
        "packages": "ok",
        "jax_devices": "warning",  # no GPU here, and the toy profile does not require one
        "volumes": "ok",
        "robot_mujoco": "ok",
        "robot_mjx": "ok",
        "wandb": "warning",  # offline: no key, no network
        "mlflow": "ok",
    }
    detail = {check["name"]: check["detail"] for check in report["checks"]}
    assert "mujoco 3.3.7" in detail["packages"] and "mujoco-mjx 3.3.7" in detail["packages"]
    assert "nq 19, nv 18, nu 12" in detail["robot_mujoco"]
    assert "wandb sync" in detail["wandb"]
    client = MlflowClient(mlflow_server)
    experiment = client.get_experiment_by_name(ctx.config.run.experiment)
    [run] = client.search_runs([experiment.experiment_id])
    assert run.data.tags["stage"] == "setup" and run.data.tags["setup/ok"] == "true"
    logged = json.loads(Path(client.download_artifacts(run.info.run_id, "setup/report.json")).read_text())
    assert logged["checks"] == report["checks"]


def test_missing_volume_is_a_hard_failure_and_later_checks_are_skipped(
    make_config: Callable[..., Any], mlflow_server: str
) -> None:
    ctx = context_for(make_config(mlflow_server, **{"setup.check_mjx": "false"}))
    shutil.rmtree(ctx.volumes.scripts)
    with pytest.raises(
        StageFailedError, match=r"setup check volumes failed: volume scripts \(.*\) does not exist"
    ):
        setup_stage.run(ctx)
    [report] = reports(ctx)
    statuses = [check["status"] for check in report["checks"]]
    assert statuses == ["ok", "warning", "failed", "skipped", "skipped", "skipped", "skipped"]
    assert report["ok"] is False


def test_a_required_gpu_that_is_missing_fails(make_config: Callable[..., Any], mlflow_server: str) -> None:
    ctx = context_for(make_config(mlflow_server, **{"setup.require_gpu": "true"}))
    with pytest.raises(StageFailedError, match=r"JAX sees no GPU .*set setup\.require_gpu=false"):
        setup_stage.run(ctx)


def test_unreachable_mlflow_fails_fast(make_config: Callable[..., Any]) -> None:
    dead = f"http://127.0.0.1:{free_loopback_port()}"
    config = make_config(dead, **{"setup.check_mjx": "false", "setup.mlflow_timeout_seconds": "2"})
    ctx = context_for(config)
    with pytest.raises(
        StageFailedError, match=f"setup check mlflow failed: MLflow at {dead} is not reachable"
    ):
        setup_stage.run(ctx)
    assert reports(ctx)[0]["checks"][-1]["status"] == "failed"


def test_fallback_model_drops_only_the_collisions_mjx_cannot_compute() -> None:
    import mujoco
    from mujoco import mjx

    model, source = setup_stage._robot_without_unsupported_collisions()
    assert "cylinder collisions dropped (4 geoms)" in source
    assert model.nq == 19 and model.nu == 12
    colliding = {int(model.geom_type[g]) for g in range(model.ngeom) if model.geom_contype[g]}
    assert colliding == {int(mujoco.mjtGeom.mjGEOM_BOX)}
    mjx.put_model(model)  # raises NotImplementedError while a cylinder still collides


def test_setup_command_reuses_the_local_tracking_server(
    local_mlflow_server: Any, volume_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from booster_workloads import cli

    config = tmp_path / "setup.toml"
    config.write_text(
        f'[run]\nlocal_mlflow_dir = "{local_mlflow_server.directory}"\nwandb_mode = "disabled"\n'
        'experiment = "cli-local-setup"\n[setup]\ncheck_mjx = false\n'
    )
    args = [
        "setup",
        "--profile=toy",
        "--tracking-uri=local",
        f"--volume-root={volume_root}",
        f"--config={config}",
    ]
    assert cli.main(args) == 0
    assert f"reusing the local MLflow server at {local_mlflow_server.uri}" in capsys.readouterr().err
    client = MlflowClient(local_mlflow_server.uri)
    experiment = client.get_experiment_by_name("cli-local-setup")
    [run] = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.data.tags["setup/ok"] == "true"

    # A hard failure exits non-zero with one line naming the check and the fix.
    config.write_text(config.read_text() + "require_gpu = true\n")
    assert cli.main(args) == 1
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert last_line.startswith("error: booster-pipeline: setup check jax_devices failed: JAX sees no GPU")
