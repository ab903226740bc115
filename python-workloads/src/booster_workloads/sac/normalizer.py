"""Running observation statistics, applied as ``(x - mean) / std`` with no clipping.

No clipping keeps the normalisation affine, so the conversion to the PyTorch actor can fold it into
the first layer exactly.
"""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp

# Floor on the standard deviation: a constant observation entry (a one-hot slot that never changes)
# would otherwise divide by zero.
MIN_STD = 1e-2


class NormalizerState(flax.struct.PyTreeNode):
    count: jax.Array  # float32 scalar, observations seen
    mean: jax.Array  # (observation_size,)
    sum_squared_deviation: jax.Array  # (observation_size,), Chan et al.'s M2

    @property
    def std(self) -> jax.Array:
        variance = self.sum_squared_deviation / jnp.maximum(self.count, 1.0)
        return jnp.maximum(jnp.sqrt(variance), MIN_STD)


def init_normalizer(observation_size: int) -> NormalizerState:
    return NormalizerState(
        count=jnp.zeros((), jnp.float32),
        mean=jnp.zeros((observation_size,), jnp.float32),
        sum_squared_deviation=jnp.zeros((observation_size,), jnp.float32),
    )


def update_normalizer(state: NormalizerState, batch: jax.Array) -> NormalizerState:
    """Merge a (batch, observation_size) batch with the parallel-variance formula of Chan et al."""
    batch = batch.reshape(-1, batch.shape[-1])
    batch_count = jnp.asarray(batch.shape[0], jnp.float32)
    batch_mean = jnp.mean(batch, axis=0)
    batch_m2 = jnp.sum((batch - batch_mean) ** 2, axis=0)
    total = state.count + batch_count
    delta = batch_mean - state.mean
    mean = state.mean + delta * batch_count / total
    m2 = state.sum_squared_deviation + batch_m2 + delta**2 * state.count * batch_count / total
    return NormalizerState(count=total, mean=mean, sum_squared_deviation=m2)


def normalize(state: NormalizerState, obs: jax.Array, enabled: bool) -> jax.Array:
    """``(obs - mean) / std`` when ``enabled`` (a Python constant), else ``obs`` unchanged."""
    if not enabled:
        return obs
    return (obs - state.mean) / state.std
