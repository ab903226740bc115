"""What the trainer needs from an environment: the contract of ``booster_workloads.soccer.mjx``.

``reset(rng) -> state`` and ``step(state, action) -> (state, out)`` act on one environment and are
pure, so the trainer ``vmap``s them over all parallel copies. The state carries its current
observation as ``state.obs``; ``out.next_obs`` is the observation the action led to, before any
automatic reset, which is what the replay buffer must store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import jax


class StepOutputLike(Protocol):
    @property
    def next_obs(self) -> jax.Array: ...
    @property
    def reward(self) -> jax.Array: ...
    @property
    def terminated(self) -> jax.Array: ...
    @property
    def truncated(self) -> jax.Array: ...
    @property
    def metrics(self) -> Mapping[str, jax.Array]: ...


class TrainingEnv(Protocol):
    @property
    def observation_size(self) -> int: ...
    @property
    def action_size(self) -> int: ...
    def reset(self, rng: jax.Array) -> Any: ...
    def step(self, state: Any, action: jax.Array) -> tuple[Any, StepOutputLike]: ...


def current_observation(env_state: Any) -> jax.Array:
    """The observation the policy acts on next (after an automatic reset, the new episode's first)."""
    obs: jax.Array = env_state.obs
    return obs
