"""Tracking against a real MLflow server (SQLite backend) and the real W&B package in offline mode."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import Schema, TensorSpec

from booster_workloads.tracking import LINEAGE_TAGS, ModelNotFoundError, ensure_local_server
from booster_workloads.tracking.local_server import running_server

SIGNATURE = ModelSignature(
    inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 89), "observation")]),
    outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 12), "action")]),
)


def write_model_files(directory: Path, marker: str) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / "actor.safetensors"
    weights.write_bytes(b"weights-" + marker.encode())
    spec = directory / "actor_spec.json"
    spec.write_text(f'{{"marker": "{marker}"}}')
    return {"actor.safetensors": weights, "actor_spec.json": spec}


def test_stage_run_records_lineage_params_metrics_and_wandb_offline(
    make_tracker: Callable[..., Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tracker = make_tracker()
    with tracker.stage_run(
        "convert",
        training_type="conversion",
        parent_model="pretrained_sac",
        parent_alias="candidate_pretrain",
    ) as run:
        run.log_metrics({"train/reward_mean": 1.5}, step=1000)
        run.log_metrics({"train/reward_mean": 2.5}, step=2000)
        run.log_dict({"max_abs_error": 1e-7}, "conversion/error.json")
        run.alert("training_stalled", "reward flat for 100000 steps", level="warning")
    client = MlflowClient(tracker.tracking_uri)
    record = client.get_run(run.run_id)
    assert record.info.status == "FINISHED"
    tags = record.data.tags
    assert set(LINEAGE_TAGS) <= set(tags)
    assert tags["parent_model"] == "booster_soccer.rl_models.mjx_sac_pretrained"
    assert tags["parent_alias"] == "candidate-pretrain"
    assert tags["training_type"] == "conversion" and tags["stage"] == "convert"
    assert tags["config_hash"] == tracker.config_hash
    assert tags["alert/training_stalled"] == "reward flat for 100000 steps"
    assert record.data.params["pretrain.num_envs"] == str(tracker.config.pretrain.num_envs)
    history = client.get_metric_history(run.run_id, "train/reward_mean")
    assert [(m.step, m.value) for m in history] == [(1000, 1.5), (2000, 2.5)]
    artifacts = {a.path for a in client.list_artifacts(run.run_id, "conversion")}
    assert artifacts == {"conversion/error.json"}
    # The real W&B package wrote an offline run, and the log says how to sync it.
    offline_runs = list(Path(tracker.config.run.wandb_dir).glob("wandb/offline-run-*"))
    assert offline_runs, "W&B offline run directory missing"
    assert "wandb sync" in caplog.text


def test_failing_stage_marks_the_run_failed(make_tracker: Callable[..., Any]) -> None:
    tracker = make_tracker(**{"run.wandb_mode": "disabled"})
    with pytest.raises(RuntimeError, match="boom"), tracker.stage_run("setup", training_type="check") as run:
        raise RuntimeError("boom")
    assert MlflowClient(tracker.tracking_uri).get_run(run.run_id).info.status == "FAILED"
    assert mlflow.active_run() is None


def test_a_bare_figure_logs_even_before_pyplot_is_imported(
    make_tracker: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stages draw on ``matplotlib.figure.Figure``; MLflow's ``log_figure`` expects pyplot loaded."""
    import sys

    import matplotlib
    from matplotlib.figure import Figure
    from mlflow import MlflowClient

    # As in a fresh stage process that never imported pyplot.
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    monkeypatch.delattr(matplotlib, "pyplot", raising=False)
    tracker = make_tracker()  # W&B offline: it receives the figure too
    figure = Figure()
    figure.subplots().plot([0, 1], [1, 0])
    with tracker.stage_run("pretrain", training_type="sac_mjx") as run:
        run.log_figure(figure, "curves/learning.png")
        run_id = run.run_id
    client = MlflowClient(tracker.config.run.tracking_uri)
    assert [a.path for a in client.list_artifacts(run_id, "curves")] == ["curves/learning.png"]


def test_register_alias_and_download_by_alias(make_tracker: Callable[..., Any], tmp_path: Path) -> None:
    tracker = make_tracker(**{"run.wandb_mode": "disabled", "run.catalog": "cat_registry_test"})
    with tracker.stage_run("pretrain", training_type="sac_mjx") as run:
        first = run.log_model(
            "pretrained_sac", write_model_files(tmp_path / "v1", "one"), SIGNATURE, alias="candidate_pretrain"
        )
    with tracker.stage_run("pretrain", training_type="sac_mjx") as run:
        second = run.log_model("mjx_sac_pretrained", write_model_files(tmp_path / "v2", "two"), SIGNATURE)
    assert first.name == "cat_registry_test.rl_models.mjx_sac_pretrained"
    assert first.alias == "candidate-pretrain"
    assert int(second.version) == int(first.version) + 1

    ref, files = tracker.download_model("pretrained_sac", "candidate-pretrain", tmp_path / "dl1")
    assert ref.version == first.version and ref.run_id == first.run_id
    assert (files / "actor.safetensors").read_bytes() == b"weights-one"

    tracker.set_alias("pretrained_sac", "candidate-pretrain", second.version)
    alias_ref = tracker.get_alias_version("pretrained_sac", "candidate_pretrain")
    assert alias_ref is not None and alias_ref.version == second.version
    # The URI other stages and tools use resolves through the same registry.
    uri = "models:/cat_registry_test.rl_models.mjx_sac_pretrained@candidate-pretrain"
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "dl2")))
    assert (local / "artifacts" / "actor_spec.json").read_text() == '{"marker": "two"}'
    version = MlflowClient(tracker.tracking_uri).get_model_version(first.name, second.version)
    assert "candidate-pretrain" in version.aliases


def test_missing_model_or_alias_raises_model_not_found(make_tracker: Callable[..., Any]) -> None:
    tracker = make_tracker(**{"run.wandb_mode": "disabled", "run.catalog": "cat_missing_test"})
    with pytest.raises(
        ModelNotFoundError,
        match=r"models:/cat_missing_test\.rl_models\.ddpg_finetuned@champion does not exist",
    ):
        tracker.download_model("finetuned_ddpg", "champion")
    assert tracker.get_alias_version("finetuned_ddpg", "champion") is None
    with pytest.raises(KeyError, match="unknown alias"):
        tracker.get_alias_version("finetuned_ddpg", "Champion-2")


def test_log_model_refuses_missing_signature_or_files(
    make_tracker: Callable[..., Any], tmp_path: Path
) -> None:
    tracker = make_tracker(**{"run.wandb_mode": "disabled"})
    with tracker.stage_run("convert", training_type="conversion") as run:
        with pytest.raises(ValueError, match="signature with inputs and outputs"):
            run.log_model(
                "pretrained_ddpg", write_model_files(tmp_path, "x"), ModelSignature(inputs=SIGNATURE.inputs)
            )
        with pytest.raises(FileNotFoundError, match="missing files"):
            run.log_model("pretrained_ddpg", {"actor.pt": tmp_path / "absent.pt"}, SIGNATURE)


def test_local_server_is_reused(local_mlflow_server: Any) -> None:
    assert running_server(local_mlflow_server.directory) == local_mlflow_server
    again = ensure_local_server(local_mlflow_server.directory)
    assert again.pid == local_mlflow_server.pid and again.uri == local_mlflow_server.uri


def test_a_registered_torchscript_actor_serves_through_the_registry(
    make_tracker: Callable[..., Any], tmp_path: Path
) -> None:
    import torch

    tracker = make_tracker(**{"run.wandb_mode": "disabled", "run.catalog": "cat_serving_test"})
    actor = torch.nn.Sequential(torch.nn.Linear(89, 12), torch.nn.Tanh())
    torch.jit.script(actor).save(str(tmp_path / "actor.pt"))
    files = {"actor.pt": tmp_path / "actor.pt", **write_model_files(tmp_path, "torch")}
    with tracker.stage_run("finetune", training_type="ddpg_finetune") as run:
        run.log_model("finetuned_ddpg", files, SIGNATURE, alias="candidate_finetuned")
    model = mlflow.pyfunc.load_model("models:/cat_serving_test.rl_models.ddpg_finetuned@candidate-finetuned")
    observation = np.random.default_rng(0).standard_normal((3, 89)).astype(np.float32)
    action = model.predict(observation)
    expected = actor(torch.from_numpy(observation)).detach().numpy()
    np.testing.assert_allclose(action, expected, rtol=1e-6, atol=1e-6)


def test_sigterm_ends_the_run_as_killed(make_tracker: Callable[..., Any]) -> None:
    import os
    import signal
    import time

    from booster_workloads import cli

    tracker = make_tracker(**{"run.wandb_mode": "disabled"})
    previous = signal.getsignal(signal.SIGTERM)
    cli.install_termination_handler()
    try:
        with (
            pytest.raises(SystemExit) as exited,
            tracker.stage_run("pretrain", training_type="sac_mjx") as run,
        ):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)  # the handler interrupts this at once
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert exited.value.code == 143
    assert MlflowClient(tracker.tracking_uri).get_run(run.run_id).info.status == "KILLED"
