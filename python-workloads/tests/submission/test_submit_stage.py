"""The submit stage on the session's real MLflow server: benchmark, Gate 3, a package checked through
sai-rl, and (only with a key) the submit call, whose SAI server is replaced by a recording client
because it cannot be reached from here."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sai_rl
import torch
from mlflow import MlflowClient

from booster_workloads.manifest import load_manifest
from booster_workloads.policy.torch_actor import DDPGActor, save_actor
from booster_workloads.runtime.context import StageContext, VolumePaths
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS
from booster_workloads.stages import submit
from booster_workloads.tracking import ModelNotFoundError
from booster_workloads.tracking.signature import actor_signature


def make_context(make_tracker: Callable[..., Any], **overrides: Any) -> StageContext:
    tracker = make_tracker(
        **{
            "run.wandb_mode": "disabled",
            "run.schema": f"submit_{uuid.uuid4().hex[:8]}",
            "submit.max_episode_steps": 150,
            **overrides,
        }
    )
    manifest = load_manifest()
    volumes = VolumePaths.from_config(tracker.config, manifest)
    volumes.create_local()
    return StageContext(tracker.config, manifest, volumes, tracker, logging.getLogger("test.submit"), "toy")


def register(ctx: StageContext, tmp_path: Path, seed: int, alias: str) -> str:
    torch.manual_seed(seed)
    files = save_actor(DDPGActor(OBSERVATION_SIZE), tmp_path / f"actor-{seed}", tasks=TASKS)
    with ctx.tracker.stage_run("finetune", training_type="ddpg_finetune") as run:
        ref = run.log_model("finetuned_ddpg", files, actor_signature(OBSERVATION_SIZE), alias=alias)
    return str(ref.version)


def last_run(ctx: StageContext) -> Any:
    client = MlflowClient(ctx.tracker.tracking_uri)
    experiment = client.get_experiment_by_name(ctx.config.run.experiment)
    return client.search_runs(
        [experiment.experiment_id], "tags.stage = 'submit'", order_by=["start_time DESC"]
    )[0]


def test_gate_benchmark_and_local_check_without_a_key(
    make_tracker: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SAI_API_KEY", raising=False)
    ctx = make_context(make_tracker, **{"submit.submit": True})
    old = register(ctx, tmp_path, 0, "champion")
    new = register(ctx, tmp_path, 1, "candidate_finetuned")

    submit.run(ctx)

    run = last_run(ctx)
    metrics, tags = run.data.metrics, run.data.tags
    assert run.info.status == "FINISHED"
    candidate, champion = (
        metrics["benchmark/candidate/total_score"],
        metrics["benchmark/champion/total_score"],
    )
    promoted = candidate > champion
    assert tags["gate3/promoted"] == str(promoted).lower()
    champion_now = ctx.tracker.get_alias_version("finetuned_ddpg", "champion").version
    finalist = ctx.tracker.get_alias_version("finetuned_ddpg", "finalist")
    assert champion_now == (new if promoted else old)
    assert (finalist is not None and finalist.version == old) if promoted else finalist is None
    assert "not sent (SAI_API_KEY is not set" in tags["submission/status"]
    assert tags["submission/model_version"] == champion_now
    assert "submission/id" not in tags

    client = MlflowClient(ctx.tracker.tracking_uri)
    listed = {a.path for a in client.list_artifacts(run.info.run_id, "benchmark")}
    assert {"benchmark/benchmark.md", "benchmark/benchmark.png", "benchmark/results.json"} <= listed
    submission_files = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "submission")}
    assert {"model.pt", "preprocessor.py", "action_function.py", "submission.json"} <= submission_files
    copies = list((ctx.volumes.artifacts / "submissions").iterdir())
    assert len(copies) == 1 and (copies[0] / "model.pt").is_file()
    printed = capsys.readouterr().out
    assert "| **weighted total** |" in printed and all(task in printed for task in TASKS)


class RecordingClient:
    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, *, comp_id: str, api_key: str) -> None:
        self.comp_id, self.api_key = comp_id, api_key

    def submit(
        self, name: str, model: str, action_function: str, preprocessor_class: str, *, model_type: str
    ) -> Any:
        RecordingClient.calls.append({"comp_id": self.comp_id, "name": name, "model": Path(model).name})
        return type("Submission", (), {"id": "sub_test_42"})()


def test_with_a_key_the_submission_id_is_recorded(
    make_tracker: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAI_API_KEY", "test-key")
    monkeypatch.setattr(sai_rl, "SAIClient", RecordingClient)
    ctx = make_context(make_tracker, **{"submit.submit": True, "submit.submission_name": "nightly"})
    register(ctx, tmp_path, 2, "candidate_finetuned")

    submit.run(ctx)

    tags = last_run(ctx).data.tags
    assert tags["submission/id"] == "sub_test_42" and tags["submission/name"] == "nightly"
    assert tags["gate3/promoted"] == "true"  # the first candidate becomes the first champion
    assert RecordingClient.calls[-1] == {
        "comp_id": "cmp_xnSCxcJXQclQ",
        "name": "nightly",
        "model": "model.pt",
    }


def test_without_a_candidate_the_stage_fails_clearly(make_tracker: Callable[..., Any]) -> None:
    ctx = make_context(make_tracker)
    with pytest.raises(ModelNotFoundError, match=r"ddpg_finetuned@candidate-finetuned does not exist"):
        submit.run(ctx)
    assert last_run(ctx).info.status == "FAILED"
