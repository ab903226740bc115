"""The pretrain stage end to end on the point-mass test fixture, against the real MLflow server.

The MJX soccer environment takes minutes to compile on a CPU; the stage's own logic (tracking,
checkpoint resume, curve, export, registration with alias) is the same for any environment, so it is
exercised here with the fixture and a toy configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sac_fixture_env import PointMassFixtureEnv

from booster_workloads.manifest import load_manifest
from booster_workloads.runtime.context import StageContext, VolumePaths
from booster_workloads.sac.export import export_actor_from_checkpoint, load_exported_actor
from booster_workloads.stages.pretrain import CURVE_FILE, pretrain

TASK_NAMES = ("left", "right")
SMALL = {
    "pretrain.num_envs": 8,
    "pretrain.metrics_every_steps": 160,
    "pretrain.checkpoint_every_steps": 320,
    "pretrain.batch_size": 32,
    "pretrain.updates_per_env_step": 1,
    "pretrain.buffer_size": 2_000,
    "pretrain.warmup_steps": 160,
    "pretrain.actor_hidden_sizes": [16, 16],
    "pretrain.critic_hidden_sizes": [16, 16],
    "monitoring.stop_on_alert": False,
}


def _context(make_tracker: Callable[..., Any], experiment: str, **overrides: Any) -> StageContext:
    tracker = make_tracker(**{**SMALL, "run.experiment": experiment, **overrides})
    manifest = load_manifest()
    volumes = VolumePaths.from_config(tracker.config, manifest)
    volumes.create_local()
    return StageContext(
        config=tracker.config,
        manifest=manifest,
        volumes=volumes,
        tracker=tracker,
        log=logging.getLogger("test.pretrain"),
        profile="toy",
    )


def test_stage_trains_registers_and_resumes(
    make_tracker: Callable[..., Any], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    ctx = _context(make_tracker, "pretrain-stage", **{"pretrain.total_env_steps": 640})
    ref = pretrain(ctx, PointMassFixtureEnv(), TASK_NAMES)
    manifest = load_manifest()
    assert ref.name.endswith("." + manifest.models["pretrained_sac"])
    assert ref.alias == manifest.aliases["candidate_pretrain"]

    run = ctx.tracker.client.get_run(ref.run_id)
    assert run.data.tags["training_type"] == "sac_pretrain" and run.data.tags["stage"] == "pretrain"
    for name in (
        "train/reward_mean",
        "train/critic_loss",
        "train/actor_loss",
        "train/alpha",
        "train/env_steps_per_second",
    ):
        history = ctx.tracker.client.get_metric_history(ref.run_id, name)
        assert history and all(np.isfinite(m.value) for m in history), name
    assert max(m.step for m in ctx.tracker.client.get_metric_history(ref.run_id, "train/reward_mean")) == 640
    assert (ctx.volumes.artifacts / "pretrain" / CURVE_FILE).stat().st_size > 10_000

    version, files = ctx.tracker.download_model("pretrained_sac", "candidate_pretrain")
    assert version.version == ref.version
    act, spec = load_exported_actor(files)
    assert spec.env_steps == 640 and spec.tasks == TASK_NAMES and spec.normalize_observations
    export_actor_from_checkpoint(ctx.volumes.stage_checkpoints("pretrain"), tmp_path / "from_checkpoint")
    act_checkpoint, _ = load_exported_actor(tmp_path / "from_checkpoint")
    obs = np.random.default_rng(0).normal(size=(16, 6)).astype(np.float32)
    np.testing.assert_array_equal(act(obs), act_checkpoint(obs))

    # A retried task with a larger budget continues from the committed checkpoint.
    longer = _context(make_tracker, "pretrain-stage", **{"pretrain.total_env_steps": 960})
    with caplog.at_level(logging.INFO):
        second = pretrain(longer, PointMassFixtureEnv(), TASK_NAMES)
    assert "resumed SAC training at 640 environment steps" in caplog.text
    assert int(second.version) == int(ref.version) + 1
    _, files = longer.tracker.download_model("pretrained_sac", "candidate_pretrain")
    assert load_exported_actor(files)[1].env_steps == 960
