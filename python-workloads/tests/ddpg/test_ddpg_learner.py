"""Critic warm-up, feature freeze and learning rates of the DDPG learner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.ddpg.learner import DDPGLearner
from booster_workloads.ddpg.replay import Batch, ReplayBuffer
from booster_workloads.soccer.observation import OBSERVATION_SIZE

from .conftest import make_actor, small_config


def _batch(seed: int, size: int = 32) -> Batch:
    rng = np.random.default_rng(seed)
    buffer = ReplayBuffer(size, OBSERVATION_SIZE, 12)
    buffer.add(
        rng.normal(size=(size, OBSERVATION_SIZE)).astype(np.float32),
        rng.uniform(-1, 1, size=(size, 12)).astype(np.float32),
        rng.normal(size=(size, OBSERVATION_SIZE)).astype(np.float32),
        rng.normal(size=size).astype(np.float32),
        rng.normal(size=size).astype(np.float32),
        rng.random(size) < 0.1,
    )
    return buffer.sample(rng, size)


def _actor_layers(learner: DDPGLearner) -> list[torch.Tensor]:
    return [
        torch.cat([p.detach().flatten().clone() for p in layer.parameters()])
        for layer in learner.actor.layers
    ]


def _warm(config: FinetuneConfig) -> DDPGLearner:
    learner = DDPGLearner(make_actor(), config, seed=0)
    for i in range(config.critic_warmup_updates):
        learner.update(_batch(100 + i), step=0)
    return learner


def test_actor_is_frozen_while_the_critic_warms_up() -> None:
    config = small_config(critic_warmup_updates=6)
    learner = DDPGLearner(make_actor(), config, seed=0)
    before = _actor_layers(learner)
    critic_before = [p.detach().clone() for p in learner.critic.parameters()]
    for i in range(6):
        metrics = learner.update(_batch(i), step=0)
        assert "losses/actor" not in metrics
    for a, b in zip(before, _actor_layers(learner), strict=True):
        assert torch.equal(a, b)
    assert all(not torch.equal(a, b) for a, b in zip(critic_before, learner.critic.parameters(), strict=True))
    assert learner.actor_updates == 0 and learner.critic_updates == 6
    # The next update is past warm-up: the actor's last layer starts learning.
    metrics = learner.update(_batch(99), step=0)
    assert "losses/actor" in metrics
    assert learner.actor_learning_rates() == [0.0, 0.0, config.early_learning_rate]


@pytest.mark.parametrize(
    ("step", "trainable", "learning_rate"),
    [(0, {2}, 3e-5), (39, {2}, 3e-5), (40, {1, 2}, 3e-5), (79, {1, 2}, 3e-5), (80, {0, 1, 2}, 1e-5)],
)
def test_only_scheduled_layers_move_and_by_the_scheduled_rate(
    step: int, trainable: set[int], learning_rate: float
) -> None:
    config = small_config()
    learner = _warm(config)
    before = _actor_layers(learner)
    learner.update(_batch(7), step=step)
    after = _actor_layers(learner)
    rates = learner.actor_learning_rates()
    for index in range(3):
        change = float((after[index] - before[index]).abs().max())
        if index in trainable:
            assert rates[index] == learning_rate
            # Adam's first step on fresh moments moves each weight by lr·g/(|g|+eps) ≈ lr.
            assert change == pytest.approx(learning_rate, rel=0.02)
        else:
            assert rates[index] == 0.0
            assert change == 0.0
            assert all(not p.requires_grad for p in learner.actor.layers[index].parameters())


def test_frozen_layers_never_move_across_phase_boundaries() -> None:
    config = small_config()
    learner = _warm(config)
    snapshots = {0: _actor_layers(learner)}
    phases = []
    for step in range(0, 120, 4):
        learner.update(_batch(step), step=step)
        phases.append((step, learner.phase.name, tuple(learner.actor_learning_rates())))
        snapshots[step] = _actor_layers(learner)
    # Layer 0 is untouched until step 80, layer 1 until step 40.
    for step, layers in snapshots.items():
        if step < 80:
            assert torch.equal(layers[0], snapshots[0][0]), f"layer 0 moved at step {step}"
        if step < 40:
            assert torch.equal(layers[1], snapshots[0][1]), f"layer 1 moved at step {step}"
    assert not torch.equal(snapshots[116][0], snapshots[0][0])
    names = {name for _, name, _ in phases}
    assert names == {"last_layer", "last_two_layers", "all_layers"}
    for step, _, rates in phases:
        expected = (0.0, 0.0, 3e-5) if step < 40 else (0.0, 3e-5, 3e-5) if step < 80 else (1e-5, 1e-5, 1e-5)
        assert rates == expected


def test_rewards_are_combined_with_the_annealed_weights() -> None:
    config = small_config(gamma=0.0, total_env_steps=100)  # target is the reward itself
    learner = DDPGLearner(make_actor(), config, seed=0)
    batch = _batch(3)
    for step, (a, b) in ((0, (1.0, 0.1)), (50, (0.55, 0.55)), (100, (0.1, 1.0))):
        metrics = learner.update(batch, step=step)
        expected = float((a * batch.reward_dense + b * batch.reward_official).mean())
        assert metrics["charts/target_q_mean"] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_device_choice_falls_back_to_cpu_and_refuses_a_missing_gpu() -> None:
    from booster_workloads.ddpg.trainer import DeviceError, resolve_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():  # no GPU on the test machines
        with pytest.raises(DeviceError, match="torch sees no GPU; use 'auto' or 'cpu'"):
            resolve_device("cuda")
