"""Actor and twin critic networks of SAC, and the tanh-squashed Gaussian the actor parameterises.

The actor's parameter names (``layers_0``, ``layers_1``, ``layers_2``) are the ones the export
renames to ``layers.{0,1,2}`` and the PyTorch actor loads after conversion, so they are API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Params = Any

# Bounds on the actor's log standard deviation: below, the policy collapses to a point and log-probs
# explode; above, the squashed samples saturate at ±1 and gradients vanish.
LOG_STD_MIN = -5.0
LOG_STD_MAX = 2.0


class MLP(nn.Module):
    """Dense layers named ``layers_<i>`` with ReLU between them and nothing after the last."""

    hidden_sizes: Sequence[int]
    output_size: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for i, width in enumerate(self.hidden_sizes):
            x = nn.relu(nn.Dense(width, name=f"layers_{i}")(x))
        return nn.Dense(self.output_size, name=f"layers_{len(self.hidden_sizes)}")(x)


class Actor(nn.Module):
    """Observation -> 2 * action_size outputs: the Gaussian means, then the log standard deviations."""

    hidden_sizes: Sequence[int]
    action_size: int

    @nn.compact
    def __call__(self, obs: jax.Array) -> jax.Array:
        return MLP(self.hidden_sizes, 2 * self.action_size, name="mlp")(obs)


class TwinCritic(nn.Module):
    """Two independent Q-networks on (observation, action); returns shape (..., 2)."""

    hidden_sizes: Sequence[int]

    @nn.compact
    def __call__(self, obs: jax.Array, action: jax.Array) -> jax.Array:
        x = jnp.concatenate([obs, action], axis=-1)
        q0 = MLP(self.hidden_sizes, 1, name="q_0")(x)
        q1 = MLP(self.hidden_sizes, 1, name="q_1")(x)
        return jnp.concatenate([q0, q1], axis=-1)


def apply_network(module: nn.Module, params: Params, *inputs: jax.Array) -> jax.Array:
    """``module.apply`` for networks that return one array (the typed form the losses use)."""
    output: jax.Array = module.apply(params, *inputs)  # type: ignore[assignment]
    return output


def split_actor_output(output: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(mean, log_std) from the actor's raw output; log_std clipped to [LOG_STD_MIN, LOG_STD_MAX]."""
    mean, raw_log_std = jnp.split(output, 2, axis=-1)
    return mean, jnp.clip(raw_log_std, LOG_STD_MIN, LOG_STD_MAX)


def sample_squashed_gaussian(output: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """A reparameterised sample a = tanh(u), u ~ N(mean, std), and log pi(a).

    log pi(a) = log N(u; mean, std) - sum_i log(1 - tanh(u_i)^2) (Haarnoja et al. 2018, eq. 26), with
    log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)) to stay finite when tanh saturates.
    """
    mean, log_std = split_actor_output(output)
    std = jnp.exp(log_std)
    noise = jax.random.normal(key, mean.shape, mean.dtype)
    pre_tanh = mean + std * noise
    gaussian_log_prob = -0.5 * noise**2 - log_std - 0.5 * jnp.log(2.0 * jnp.pi)
    log_det_jacobian = 2.0 * (jnp.log(2.0) - pre_tanh - jax.nn.softplus(-2.0 * pre_tanh))
    log_prob = jnp.sum(gaussian_log_prob - log_det_jacobian, axis=-1)
    return jnp.tanh(pre_tanh), log_prob


def deterministic_action(output: jax.Array) -> jax.Array:
    """The policy's mode in action space: tanh(mean)."""
    mean, _ = split_actor_output(output)
    return jnp.tanh(mean)
