"""SAC on the real MJX soccer environment with the toy profile's settings (fixed seed).

Compiling the MJX step takes several minutes on a CPU; the persistent compilation cache of the
pretrain stage (``JAX_COMPILATION_CACHE_DIR``) makes later runs fast.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import jax
import numpy as np
import pytest

from booster_workloads.config import PipelineConfig
from booster_workloads.config.loader import build_config
from booster_workloads.runtime.compilation_cache import enable_compilation_cache
from booster_workloads.sac.export import ActorSpec, export_actor, load_exported_actor
from booster_workloads.sac.training import SACTrainer, train
from booster_workloads.soccer.actions import ACTION_SIZE
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS

pytestmark = pytest.mark.slow


def test_toy_profile_trains_on_every_task_and_exports_the_converted_layout(tmp_path: Path) -> None:
    from booster_workloads.soccer.mjx.env import make_mjx_env

    enable_compilation_cache(logging.getLogger("test"))
    config = build_config(PipelineConfig, profile="toy")
    iterations = 3  # one of warm-up, two that learn
    env_steps = config.pretrain.num_envs * (config.pretrain.metrics_every_steps // config.pretrain.num_envs)
    pretrain = dataclasses.replace(config.pretrain, total_env_steps=iterations * env_steps)
    trainer = SACTrainer(make_mjx_env(config.environment), pretrain, task_names=TASKS)
    assert (trainer.observation_size, trainer.action_size) == (OBSERVATION_SIZE, ACTION_SIZE)

    result = train(trainer, seed=0)
    assert len(result.history) == iterations
    last = result.history[-1]
    for name in ("train/reward_mean", "train/critic_loss", "train/actor_loss", "train/alpha"):
        assert math.isfinite(last[name]), name
    assert last["train/updates"] > 0
    assert all(f"train/reward_by_task/{task}" in last for task in TASKS)
    assert all(np.all(np.isfinite(np.asarray(leaf))) for leaf in jax.tree.leaves(result.state.actor_params))

    # The exported actor has the layout the conversion reads, and acts like the trained one.
    spec = ActorSpec(
        observation_size=trainer.observation_size,
        hidden_sizes=tuple(pretrain.actor_hidden_sizes),
        action_size=trainer.action_size,
        normalize_observations=pretrain.normalize_observations,
        tasks=TASKS,
        env_steps=result.env_steps,
    )
    export_actor(result.state, spec, tmp_path)
    act, loaded = load_exported_actor(tmp_path)
    assert loaded.hidden_sizes == (256, 256) and loaded.action_size == 12
    obs = np.asarray(result.state.obs)
    np.testing.assert_allclose(
        act(obs), np.asarray(trainer.deterministic_policy(result.state)(obs)), atol=1e-5
    )
