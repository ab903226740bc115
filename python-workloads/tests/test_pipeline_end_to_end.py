"""The README's "run it locally" command, end to end: five stages, models flowing by alias.

Runs ``booster-pipeline pipeline --profile toy`` as a user would (a subprocess of the installed
console script) against the session's real MLflow server, then checks what the run left behind in
the registry: each milestone model registered under its alias with lineage pointing at the one
before, and the benchmark table printed at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow import MlflowClient

from booster_workloads.manifest import load_manifest

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class ToyPipelineRun:
    completed: subprocess.CompletedProcess[str]
    client: MlflowClient
    volume_root: Path


CATALOG, SCHEMA, EXPERIMENT, SEED = "booster_soccer", "rl_models", "end-to-end", 0


@pytest.fixture(scope="module")
def toy_pipeline(mlflow_server: str, tmp_path_factory: pytest.TempPathFactory) -> ToyPipelineRun:
    """One run of the toy pipeline shared by this module's tests (it takes minutes)."""
    tmp_path = tmp_path_factory.mktemp("toy-pipeline")
    manifest = load_manifest()
    volume_root = tmp_path / "volumes"
    console_script = Path(sys.executable).with_name(manifest.console_script)
    env = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path / "wandb"),
        "SAI_API_KEY": "",
    }
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(console_script),
            "pipeline",
            "--profile",
            "toy",
            "--seed",
            str(SEED),
            "--tracking-uri",
            mlflow_server,
            "--registry-uri",
            mlflow_server,
            "--volume-root",
            str(volume_root),
            "--experiment",
            EXPERIMENT,
            "--catalog",
            CATALOG,
            "--schema",
            SCHEMA,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=40 * 60,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"pipeline failed after {elapsed:.0f} s:\n{output[-6000:]}"
    print(f"toy pipeline wall time: {elapsed:.0f} s")
    return ToyPipelineRun(
        completed=completed,
        client=MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server),
        volume_root=volume_root,
    )


def test_toy_pipeline_runs_all_five_stages_and_registers_each_milestone(toy_pipeline: ToyPipelineRun) -> None:
    manifest = load_manifest()
    completed, client = toy_pipeline.completed, toy_pipeline.client
    catalog, schema, volume_root = CATALOG, SCHEMA, toy_pipeline.volume_root

    # The run ends with the benchmark table: one row per competition task and the weighted total.
    from booster_workloads.soccer.observation import TASKS

    for task in TASKS:
        assert task in completed.stdout, f"benchmark table lacks {task}:\n{completed.stdout[-3000:]}"
    assert "weighted total" in completed.stdout.lower()

    def version_at(model_key: str, alias_key: str) -> object:
        name = manifest.registered_model_name(catalog, schema, model_key)
        return client.get_model_version_by_alias(name, manifest.aliases[alias_key])

    pretrained_sac = version_at("pretrained_sac", "candidate_pretrain")
    pretrained_ddpg = version_at("pretrained_ddpg", "candidate_pretrain")
    finetuned = version_at("finetuned_ddpg", "candidate_finetuned")
    champion = version_at("finetuned_ddpg", "champion")

    # Every milestone comes from its own stage run, whose lineage names the model it started from.
    def run_tags(version: object) -> dict[str, str]:
        return dict(client.get_run(version.run_id).data.tags)  # type: ignore[attr-defined]

    convert_tags = run_tags(pretrained_ddpg)
    assert convert_tags["parent_model"] == manifest.registered_model_name(catalog, schema, "pretrained_sac")
    assert convert_tags["parent_alias"] == manifest.aliases["candidate_pretrain"]
    finetune_tags = run_tags(finetuned)
    assert finetune_tags["parent_model"] == manifest.registered_model_name(catalog, schema, "pretrained_ddpg")
    assert finetune_tags["parent_alias"] == manifest.aliases["candidate_pretrain"]
    assert run_tags(pretrained_sac)["training_type"] != finetune_tags["training_type"]
    # On a fresh registry the first candidate has no champion to beat, so Gate 3 promotes it.
    assert champion.version == finetuned.version  # type: ignore[attr-defined]

    # Crash-proof checkpoints were committed in the stand-in volume by both training stages.
    checkpoints = volume_root / manifest.volumes["checkpoints"]
    for stage in ("pretrain", "finetune"):
        commits = list((checkpoints / stage).glob("step_*/COMMIT"))
        assert commits, f"no committed checkpoint under {checkpoints / stage}"


# The toy run's pre-training must learn something on the real MJX tasks: over its reports after
# warm-up, the mean return of finished episodes in the last third must beat the first third by this
# fraction on at least one task. Computed here from the raw MLflow history, independently of the
# stage's own trend summary.
MIN_RELATIVE_GAIN = 0.2


def test_toy_pretraining_learning_curve_goes_up_on_a_task(toy_pipeline: ToyPipelineRun) -> None:
    from booster_workloads.config import load_config
    from booster_workloads.soccer.observation import TASKS

    manifest = load_manifest()
    client = toy_pipeline.client
    name = manifest.registered_model_name(CATALOG, SCHEMA, "pretrained_sac")
    version = client.get_model_version_by_alias(name, manifest.aliases["candidate_pretrain"])
    run_id = version.run_id
    assert run_id is not None
    warmup = load_config(profile="toy").pretrain.warmup_steps

    gains: dict[str, tuple[float, float]] = {}
    for task in TASKS:
        history = client.get_metric_history(run_id, f"train/episode_return_by_task/{task}")
        reports = sorted((m.step, m.value) for m in history if m.step > warmup)
        assert len(reports) >= 9, f"{task}: only {len(reports)} reports of finished episodes"
        third = len(reports) // 3
        first = sum(v for _, v in reports[:third]) / third
        last = sum(v for _, v in reports[-third:]) / third
        gains[task] = (first, last)
    summary = ", ".join(f"{task}: {first:.1f} -> {last:.1f}" for task, (first, last) in gains.items())
    best = max((last - first) / abs(first) for first, last in gains.values())
    assert best >= MIN_RELATIVE_GAIN, f"no task's episode return rose by {MIN_RELATIVE_GAIN:.0%}: {summary}"

    # The stage wrote the plot and the trend table next to it, and logged both to the run.
    artifacts = toy_pipeline.volume_root / manifest.volumes["artifacts"] / "pretrain"
    assert (artifacts / "pretrain_learning_curve.png").stat().st_size > 10_000
    table = (artifacts / "pretrain_learning_curve.md").read_text()
    for task in TASKS:
        assert f"episode_return_by_task/{task}" in table
    logged = {a.path for a in client.list_artifacts(run_id)}
    assert {"pretrain_learning_curve.png", "pretrain_learning_curve.md"} <= logged
