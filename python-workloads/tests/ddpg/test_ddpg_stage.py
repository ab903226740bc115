"""The finetune stage against a real MLflow server and the real official environments.

Only Databricks itself is absent: the registry is the session's local MLflow server (SQLite), the
volumes are a temporary directory, and W&B runs offline (no network here).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from booster_workloads.manifest import load_manifest
from booster_workloads.policy.torch_actor import DDPGActor, load_actor, save_actor
from booster_workloads.runtime.context import StageContext, VolumePaths
from booster_workloads.soccer.observation import OBSERVATION_SIZE
from booster_workloads.stages import StageFailedError, finetune
from booster_workloads.tracking import ModelNotFoundError
from booster_workloads.tracking.signature import actor_signature

TINY = {
    "finetune.total_env_steps": 60,
    "finetune.num_envs": 3,
    "finetune.num_workers": 0,
    "finetune.last_layer_only_until_step": 24,
    "finetune.last_two_layers_until_step": 42,
    "finetune.critic_warmup_updates": 3,
    "finetune.learning_starts": 12,
    "finetune.updates_per_env_step": 0.5,
    "finetune.batch_size": 16,
    "finetune.buffer_size": 500,
    "finetune.critic_hidden_size": 32,
    "finetune.checkpoint_every_steps": 30,
    "finetune.metrics_every_steps": 15,
}


def _tiny() -> dict[str, Any]:
    # Each test registers into its own catalog: the server (and its registry) is shared by the session.
    return {**TINY, "run.catalog": f"finetune_{uuid.uuid4().hex[:8]}"}


def _context(tracker: Any) -> StageContext:
    manifest = load_manifest()
    volumes = VolumePaths.from_config(tracker.config, manifest)
    volumes.create_local()
    return StageContext(
        config=tracker.config,
        manifest=manifest,
        volumes=volumes,
        tracker=tracker,
        log=logging.getLogger("test.finetune"),
        profile="toy",
    )


def _register_parent(tracker: Any, tmp_path: Path, observation_size: int = OBSERVATION_SIZE) -> DDPGActor:
    torch.manual_seed(0)
    actor = DDPGActor(observation_size)
    paths = save_actor(actor, tmp_path / "parent")
    with tracker.stage_run("convert", training_type="sac_to_ddpg_conversion") as run:
        run.log_model(
            "pretrained_ddpg",
            files={name: str(path) for name, path in paths.items()},
            signature=actor_signature(observation_size, 12),
            alias="candidate_pretrain",
        )
    return actor


def test_finetune_registers_a_trained_actor_with_lineage_and_metrics(
    make_tracker: Callable[..., Any], tmp_path: Path
) -> None:
    tracker = make_tracker(**_tiny())
    parent = _register_parent(tracker, tmp_path)
    ctx = _context(tracker)
    finetune.run(ctx)

    ref = tracker.get_alias_version("finetuned_ddpg", "candidate_finetuned")
    assert ref is not None and ref.name.endswith(".ddpg_finetuned")
    run = tracker.client.get_run(ref.run_id)
    assert run.data.tags["training_type"] == "ddpg_finetune"
    assert run.data.tags["parent_model"] == tracker.registered_name("pretrained_ddpg")
    assert run.data.tags["parent_alias"] == "candidate-pretrain"
    for key in (
        "reward/dense",
        "reward/official",
        "reward/env",
        "reward/dense_approach_ball",
        "reward/weight_dense",
        "reward/weight_official",
        "losses/critic",
        "losses/actor",
        "train/env_steps_per_second",
        "charts/wall_seconds",
    ):
        assert key in run.data.metrics, key
    history = tracker.client.get_metric_history(run.info.run_id, "reward/weight_dense")
    weights = sorted((m.step, m.value) for m in history)
    assert weights[0][1] > weights[-1][1]  # a anneals down over the run
    artifacts = {a.path for a in tracker.client.list_artifacts(run.info.run_id)}
    assert "finetune_curves.png" in artifacts

    _, files = tracker.download_model("finetuned_ddpg", "candidate_finetuned", tmp_path / "download")
    assert {"actor.safetensors", "actor.pt", "actor_spec.json"} <= {p.name for p in files.iterdir()}
    finetuned, spec = load_actor(files)
    assert spec.metadata["env_steps"] == 60
    # The last layer trained; with this schedule every layer did.
    assert not torch.equal(finetuned.layers[2].weight, parent.layers[2].weight)
    checkpoints = ctx.volumes.stage_checkpoints("finetune")
    assert (checkpoints / "step_60" / "COMMIT").is_file()


def test_finetune_without_a_converted_model_says_which_stage_to_run(
    make_tracker: Callable[..., Any],
) -> None:
    tracker = make_tracker(**_tiny())
    with pytest.raises(ModelNotFoundError, match="ddpg_pretrained@candidate-pretrain does not exist"):
        finetune.run(_context(tracker))
    assert tracker.get_alias_version("finetuned_ddpg", "candidate_finetuned") is None


def test_finetune_refuses_an_actor_of_the_wrong_input_size(
    make_tracker: Callable[..., Any], tmp_path: Path
) -> None:
    tracker = make_tracker(**_tiny())
    _register_parent(tracker, tmp_path, observation_size=OBSERVATION_SIZE - 3)
    with pytest.raises(finetune.FinetuneInputError, match=f"takes {OBSERVATION_SIZE - 3} inputs"):
        finetune.run(_context(tracker))
    assert tracker.get_alias_version("finetuned_ddpg", "candidate_finetuned") is None


def test_finetune_refuses_a_schedule_out_of_order_before_starting_a_run(
    make_tracker: Callable[..., Any],
) -> None:
    tracker = make_tracker(**{**_tiny(), "finetune.last_layer_only_until_step": 50})
    with pytest.raises(StageFailedError, match=r"last_layer_only_until_step \(50\) must not exceed"):
        finetune.run(_context(tracker))
    experiment = tracker.client.get_experiment_by_name(tracker.config.run.experiment)
    assert experiment is None or not tracker.client.search_runs([experiment.experiment_id])
