"""Exploration noise is added to the policy's [-1, 1] action before it becomes a torque."""

from __future__ import annotations

import copy

import numpy as np
import torch

from booster_workloads.ddpg.exploration import explore, gaussian_noise
from booster_workloads.ddpg.trainer import DDPGTrainer
from booster_workloads.soccer.actions import TORQUE_BOUNDS, policy_to_torque
from booster_workloads.soccer.official import OfficialVecEnv

from .conftest import make_actor, small_config


def test_noise_is_added_before_scaling_to_torques() -> None:
    policy_action = np.full(12, 0.9, dtype=np.float32)
    noise = np.full(12, 0.05, dtype=np.float32)
    explored, torque = explore(policy_action, noise)
    np.testing.assert_allclose(explored, 0.95)
    np.testing.assert_allclose(torque, 0.95 * TORQUE_BOUNDS, rtol=1e-6)
    # The official script's order (scale, add noise, clip to ±1) would send a torque of at most 1 N·m.
    buggy = np.clip(policy_to_torque(policy_action) + noise, -1.0, 1.0)
    assert np.all(np.abs(buggy) <= 1.0)
    assert np.all(np.abs(torque) > 10.0)


def test_noisy_action_is_clipped_to_the_policy_range_first() -> None:
    explored, torque = explore(np.array([0.99, -0.99] * 6), np.array([0.5, -0.5] * 6))
    np.testing.assert_array_equal(explored, np.array([1.0, -1.0] * 6, dtype=np.float32))
    np.testing.assert_allclose(torque, np.array([1.0, -1.0] * 6) * TORQUE_BOUNDS)


class _RecordingEnvs:
    """The real runner, recording the torques it is given."""

    def __init__(self, envs: OfficialVecEnv) -> None:
        self.inner = envs
        self.num_envs = envs.num_envs
        self.torques: list[np.ndarray] = []
        self.resets: list[np.ndarray] = []

    def reset(self, seed: int) -> np.ndarray:
        self.resets.append(self.inner.reset(seed))
        return self.resets[-1]

    def step(self, torques: np.ndarray):  # type: ignore[no-untyped-def]
        self.torques.append(np.array(torques))
        return self.inner.step(torques)


def test_training_loop_sends_the_noisy_policy_action_scaled_to_torques() -> None:
    config = small_config(total_env_steps=2, num_envs=2, exploration_noise_std=0.3)
    with OfficialVecEnv(2, num_workers=0) as inner:
        envs = _RecordingEnvs(inner)
        trainer = DDPGTrainer(config, make_actor(), envs, seed=4)  # type: ignore[arg-type]
        rng_before = copy.deepcopy(trainer.rng)
        trainer.train()
    observation = envs.resets[0]
    with torch.no_grad():
        mean_action = trainer.learner.actor(torch.from_numpy(observation)).numpy()
    noise = gaussian_noise(rng_before, mean_action.shape, 0.3)
    expected_action = np.clip(mean_action + noise, -1.0, 1.0)
    np.testing.assert_allclose(trainer.replay.action[:2], expected_action, atol=1e-6)
    np.testing.assert_allclose(envs.torques[0], policy_to_torque(expected_action), rtol=1e-5, atol=1e-4)
