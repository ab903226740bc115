"""Holding each policy action for several environment steps (``pretrain.action_repeat``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from sac_fixture_env import EPISODE_LENGTH, PointMassFixtureEnv, tiny_config

from booster_workloads.sac.training import SACTrainer


def _trainer(action_repeat: int) -> SACTrainer:
    return SACTrainer(
        PointMassFixtureEnv(),
        tiny_config(action_repeat=action_repeat, num_envs=4),
        task_names=("left", "right"),
    )


def _step_by_hand(
    env: PointMassFixtureEnv, state: object, action: jax.Array, steps: int
) -> tuple[float, int]:
    """Reward summed and steps taken applying ``action`` to one environment until ``steps`` or the end."""
    total, taken = 0.0, 0
    for _ in range(steps):
        state, out = env.step(state, action)  # type: ignore[arg-type]
        total += float(out.reward)
        taken += 1
        if bool(out.terminated) or bool(out.truncated):
            break
    return total, taken


def test_a_repeated_action_sums_the_rewards_of_the_steps_it_was_held_for() -> None:
    trainer = _trainer(action_repeat=3)
    state = trainer.init(jax.random.PRNGKey(0))
    action = jnp.tile(jnp.array([[0.7, -0.4]]), (4, 1))
    _, repeated = jax.jit(trainer._repeat_action)(state.env_state, action)
    for i in range(4):
        one_env = jax.tree.map(lambda x, i=i: x[i], state.env_state)
        expected_reward, expected_steps = _step_by_hand(trainer.env, one_env, action[i], 3)
        assert float(repeated.physics_steps[i]) == expected_steps == 3
        np.testing.assert_allclose(float(repeated.reward[i]), expected_reward, rtol=1e-5)


def test_a_repeated_action_stops_at_the_end_of_an_episode() -> None:
    trainer = _trainer(action_repeat=5)
    state = trainer.init(jax.random.PRNGKey(1))
    # Two steps before the time limit: the held action may take only two of its five steps.
    env_state = state.env_state.replace(time=jnp.full((4,), EPISODE_LENGTH - 2, jnp.int32))
    action = jnp.zeros((4, 2))
    after, repeated = jax.jit(trainer._repeat_action)(env_state, action)
    np.testing.assert_array_equal(np.asarray(repeated.physics_steps), 2.0)
    assert np.all(np.asarray(repeated.truncated))
    # The next transition starts the new episode from its first step: nothing of it was consumed.
    np.testing.assert_array_equal(np.asarray(after.time), 0)


def test_environment_steps_count_every_repeat() -> None:
    trainer = _trainer(action_repeat=4)
    state = trainer.init(jax.random.PRNGKey(2))
    state, metrics = jax.jit(trainer._iteration)(state)
    assert int(state.env_steps) == trainer.plan.env_steps_per_iteration
    assert trainer.plan.env_steps_per_iteration == trainer.plan.batched_steps_per_iteration * 4 * 4
    # The transitions stored are one per decision, not one per environment step.
    assert int(state.replay.size) == trainer.plan.batched_steps_per_iteration * 4
    # Episode lengths are in environment steps (a count of decisions would be at most a quarter).
    assert EPISODE_LENGTH / 4 < float(metrics["episode_length"]) <= EPISODE_LENGTH
