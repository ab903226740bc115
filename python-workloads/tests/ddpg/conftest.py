from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest
import torch

from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.policy.torch_actor import DDPGActor
from booster_workloads.soccer.observation import OBSERVATION_SIZE


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    # Shared two-core machine; also keeps CPU results reproducible run to run.
    torch.set_num_threads(1)


def small_config(**overrides: object) -> FinetuneConfig:
    base = FinetuneConfig(
        total_env_steps=120,
        num_envs=2,
        num_workers=0,
        last_layer_only_until_step=40,
        last_two_layers_until_step=80,
        critic_hidden_size=32,
        critic_warmup_updates=5,
        learning_starts=20,
        updates_per_env_step=0.5,
        batch_size=16,
        buffer_size=1_000,
        checkpoint_every_steps=60,
        metrics_every_steps=20,
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def make_actor(seed: int = 0) -> DDPGActor:
    torch.manual_seed(seed)
    return DDPGActor(OBSERVATION_SIZE, (32, 32))
