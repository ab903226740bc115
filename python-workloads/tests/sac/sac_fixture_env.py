"""A test fixture: a tiny JAX environment with the soccer MJX environment's reset/step contract.

A point mass on a plane must reach a target; the reward is the negative distance. It trains in
seconds, so the SAC machinery (resume, checkpoints, export) can be tested without MuJoCo's cost.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp

from booster_workloads.config.pretrain import PretrainConfig

EPISODE_LENGTH = 40
ARENA_HALF_WIDTH = 2.0


@flax.struct.dataclass
class FixtureStepOutput:
    next_obs: jax.Array
    reward: jax.Array
    terminated: jax.Array
    truncated: jax.Array
    metrics: dict[str, jax.Array]


@flax.struct.dataclass
class FixtureState:
    position: jax.Array
    velocity: jax.Array
    target: jax.Array
    time: jax.Array
    rng: jax.Array
    obs: jax.Array
    task: jax.Array  # 0: target on the left half, 1: on the right half (for per-task metrics)


class PointMassFixtureEnv:
    """Observation: position (2), velocity (2), target (2); action: acceleration (2) in [-1, 1]."""

    observation_size = 6
    action_size = 2

    def reset(self, rng: jax.Array) -> FixtureState:
        rng, position_key, target_key = jax.random.split(rng, 3)
        position = jax.random.uniform(position_key, (2,), minval=-1.0, maxval=1.0)
        target = jax.random.uniform(target_key, (2,), minval=-1.0, maxval=1.0)
        velocity = jnp.zeros(2)
        return FixtureState(
            position=position,
            velocity=velocity,
            target=target,
            time=jnp.zeros((), jnp.int32),
            rng=rng,
            obs=jnp.concatenate([position, velocity, target]),
            task=jnp.asarray(target[0] > 0, jnp.int32),
        )

    def step(self, state: FixtureState, action: jax.Array) -> tuple[FixtureState, Any]:
        velocity = 0.8 * state.velocity + 0.2 * jnp.clip(action, -1.0, 1.0)
        position = state.position + 0.2 * velocity
        distance = jnp.linalg.norm(position - state.target)
        time = state.time + 1
        terminated = jnp.any(jnp.abs(position) > ARENA_HALF_WIDTH)
        truncated = jnp.logical_and(time >= EPISODE_LENGTH, jnp.logical_not(terminated))
        reward = -distance - 5.0 * terminated
        next_obs = jnp.concatenate([position, velocity, state.target])
        stepped = state.replace(position=position, velocity=velocity, time=time, obs=next_obs)
        reset = self.reset(state.rng)
        done = jnp.logical_or(terminated, truncated)
        new_state = jax.tree.map(lambda fresh, kept: jnp.where(done, fresh, kept), reset, stepped)
        out = FixtureStepOutput(
            next_obs=next_obs,
            reward=reward,
            terminated=terminated,
            truncated=truncated,
            metrics={"distance": distance},
        )
        return new_state, out


def tiny_config(**changes: object) -> PretrainConfig:
    """Small enough for seconds on two shared CPU cores."""
    base = PretrainConfig(
        total_env_steps=1_280,
        num_envs=8,
        metrics_every_steps=160,
        checkpoint_every_steps=640,
        batch_size=32,
        updates_per_env_step=1,
        buffer_size=2_000,
        warmup_steps=160,
        actor_hidden_sizes=(16, 16),
        critic_hidden_sizes=(16, 16),
        initial_alpha=0.2,
        normalize_observations=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
