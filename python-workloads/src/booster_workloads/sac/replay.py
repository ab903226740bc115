"""A replay buffer that lives on the device as part of the training state: a ring of fixed size."""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp


class Transitions(flax.struct.PyTreeNode):
    obs: jax.Array  # (n, observation_size)
    action: jax.Array  # (n, action_size), in [-1, 1]
    reward: jax.Array  # (n,)
    discount: jax.Array  # (n,), 0 where the episode terminated, 1 otherwise (truncation bootstraps)
    next_obs: jax.Array  # (n, observation_size), the observation before any automatic reset


class ReplayBuffer(flax.struct.PyTreeNode):
    data: Transitions  # capacity rows
    insert_position: jax.Array  # int32 scalar, next row written
    size: jax.Array  # int32 scalar, rows holding data

    @property
    def capacity(self) -> int:
        return int(self.data.reward.shape[0])


def init_replay_buffer(capacity: int, observation_size: int, action_size: int) -> ReplayBuffer:
    data = Transitions(
        obs=jnp.zeros((capacity, observation_size), jnp.float32),
        action=jnp.zeros((capacity, action_size), jnp.float32),
        reward=jnp.zeros((capacity,), jnp.float32),
        discount=jnp.zeros((capacity,), jnp.float32),
        next_obs=jnp.zeros((capacity, observation_size), jnp.float32),
    )
    return ReplayBuffer(data=data, insert_position=jnp.zeros((), jnp.int32), size=jnp.zeros((), jnp.int32))


def insert(buffer: ReplayBuffer, batch: Transitions) -> ReplayBuffer:
    """Write a batch at the insert position, wrapping around and overwriting the oldest rows."""
    capacity = buffer.capacity
    count = batch.reward.shape[0]
    if count > capacity:
        raise ValueError(f"a batch of {count} transitions does not fit a replay buffer of {capacity}")
    rows = (buffer.insert_position + jnp.arange(count)) % capacity
    data = jax.tree.map(lambda stored, new: stored.at[rows].set(new), buffer.data, batch)
    return ReplayBuffer(
        data=data,
        insert_position=(buffer.insert_position + count) % capacity,
        size=jnp.minimum(buffer.size + count, capacity),
    )


def sample(buffer: ReplayBuffer, key: jax.Array, batch_size: int) -> Transitions:
    """Uniform sample with replacement from the rows holding data (the buffer must not be empty)."""
    rows = jax.random.randint(key, (batch_size,), 0, jnp.maximum(buffer.size, 1))
    return jax.tree.map(lambda stored: stored[rows], buffer.data)
