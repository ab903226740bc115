"""JAX twin of :func:`booster_workloads.soccer.actions.policy_to_torque`, with the same bound constants."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from booster_workloads.soccer.actions import ACTION_HIGH, ACTION_LOW


def policy_to_torque(policy_action: jax.Array) -> jax.Array:
    """Map a policy action in [-1, 1] linearly onto the official torque bounds; clipped first."""
    low = jnp.asarray(ACTION_LOW)
    high = jnp.asarray(ACTION_HIGH)
    a = jnp.clip(policy_action, -1.0, 1.0)
    return low + (a + 1.0) * 0.5 * (high - low)
