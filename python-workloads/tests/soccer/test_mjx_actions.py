"""The JAX action mapping used by the MJX environment equals the numpy one used in fine-tuning."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import gymnasium as gym
import jax.numpy as jnp
import numpy as np
import sai_mujoco  # noqa: F401  (registers the official environments)

from booster_workloads.soccer import actions
from booster_workloads.soccer.mjx.actions import policy_to_torque


def test_jax_twin_matches_numpy_mapping_and_official_bounds() -> None:
    rng = np.random.default_rng(0)
    policy = rng.uniform(-1.3, 1.3, size=(64, 12)).astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(policy_to_torque(jnp.asarray(policy))), actions.policy_to_torque(policy), atol=1e-5
    )
    env = gym.make("LowerT1KickToTarget-v0")
    try:
        np.testing.assert_allclose(np.asarray(policy_to_torque(jnp.ones(12))), env.action_space.high)
        np.testing.assert_allclose(np.asarray(policy_to_torque(-jnp.ones(12))), env.action_space.low)
        np.testing.assert_allclose(np.asarray(policy_to_torque(jnp.zeros(12))), 0.0, atol=1e-6)
    finally:
        env.close()
