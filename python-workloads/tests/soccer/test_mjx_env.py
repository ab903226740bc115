"""The MJX soccer environment: every task resets and steps under jit/vmap, terminations fire."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from booster_workloads.config.environment import EnvironmentConfig
from booster_workloads.soccer import observation as ob
from booster_workloads.soccer.mjx.env import SoccerMJXEnv, make_mjx_env

# Compiling MJX's forward pass takes minutes on a shared 2-core CPU.
pytestmark = pytest.mark.slow

TASK_IDS = list(range(len(ob.TASKS)))


@pytest.fixture(scope="module")
def compiled():
    """One compile of a batch holding one environment per task, reused by every test here."""
    env = make_mjx_env(EnvironmentConfig(episode_length=30))
    reset = jax.jit(jax.vmap(env.reset_task))
    step = jax.jit(jax.vmap(env.step))
    keys = jax.random.split(jax.random.PRNGKey(0), len(TASK_IDS))
    state = reset(keys, jnp.asarray(TASK_IDS))
    return env, reset, step, state


def test_contract_sizes(compiled) -> None:
    env, _, _, state = compiled
    assert isinstance(env, SoccerMJXEnv)
    assert env.observation_size == ob.OBSERVATION_SIZE == 89
    assert env.action_size == 12
    assert state.obs.shape == (len(TASK_IDS), ob.OBSERVATION_SIZE)


@pytest.mark.parametrize("task", TASK_IDS)
def test_reset_and_step_every_task(compiled, task: int) -> None:
    env, _, step, state = compiled
    np.testing.assert_array_equal(np.asarray(state.task), TASK_IDS)
    one_hot = np.asarray(state.obs[task, ob.SLICES["task_one_hot"]])
    assert one_hot.tolist() == [1.0 if i == task else 0.0 for i in TASK_IDS]
    actions = jax.random.uniform(jax.random.PRNGKey(task), (len(TASK_IDS), 12), minval=-1.0, maxval=1.0)
    new_state, out = step(state, actions)
    assert out.next_obs.shape == (len(TASK_IDS), ob.OBSERVATION_SIZE)
    assert out.reward.shape == out.terminated.shape == out.truncated.shape == (len(TASK_IDS),)
    assert np.all(np.isfinite(np.asarray(out.next_obs)))
    assert np.all(np.isfinite(np.asarray(out.reward)))
    assert {f"reward/{n}" for n in env.config.reward_scales()} <= set(out.metrics)
    assert int(new_state.step_count[task]) == 1
    # One step after reset the robot is still up: the alive term pays its full scale.
    assert float(out.metrics["reward/alive"][task]) == env.config.reward_alive
    # Joint positions moved under the applied torques: the physics ran.
    assert not np.allclose(np.asarray(out.next_obs[task, :24]), np.asarray(state.obs[task, :24]))


def test_task_placements_follow_the_official_layout(compiled) -> None:
    _, _, _, state = compiled
    slots = ob.split(np.asarray(state.obs))
    # Penalty tasks: ball 2 m in front of the robot toward the south goal.
    for task in (0, 1):
        np.testing.assert_allclose(slots["ball_xpos_rel_robot"][task, :2], [-2.0, 0.0], atol=1e-4)
    # Goalie: keepers on both goal lines; obstacle: defenders at the south goal line.
    assert slots["goalkeeper_team_0_xpos_rel_robot"][0, 0] == pytest.approx(-10.97 + 6.77, abs=1e-3)
    np.testing.assert_allclose(slots["defender_xpos"][1].reshape(3, 3)[:, 0], -10.97, atol=1e-4)
    # Outside their tasks the keeper and target fall back to the robot (zeros); defenders to the IMU.
    np.testing.assert_allclose(slots["goalkeeper_team_0_xpos_rel_robot"][2], 0.0, atol=1e-6)
    np.testing.assert_allclose(slots["target_xpos_rel_robot"][0], 0.0, atol=1e-6)
    # Kick to target: ball 0.5-2 m away, target 2-3.5 m to the side of the robot.
    distance = np.linalg.norm(slots["ball_xpos_rel_robot"][2, :2])
    assert 0.5 - 1e-4 <= distance <= 2.0 + 1e-4
    assert 2.0 - 1e-4 <= abs(slots["target_xpos_rel_robot"][2, 1]) <= 3.5 + 1e-4


def test_falling_terminates_and_auto_resets(compiled) -> None:
    env, _, step, state = compiled
    root = env._robot_q
    low_qpos = state.data.qpos.at[:, root + 2].set(0.3)
    dropped = state.replace(data=state.data.replace(qpos=low_qpos), step_count=state.step_count + 5)
    new_state, out = step(dropped, jnp.zeros((len(TASK_IDS), 12)))
    assert np.all(np.asarray(out.terminated))
    assert np.all(np.asarray(out.metrics["reward/fallen"]) == env.config.cost_fallen)
    assert np.all(np.asarray(out.metrics["reward/alive"]) == 0.0)
    # The state the policy continues from is a fresh episode.
    assert np.all(np.asarray(new_state.step_count) == 0)
    np.testing.assert_allclose(np.asarray(new_state.data.qpos[:, root + 2]), 0.7, atol=1e-6)


def test_time_limit_truncates(compiled) -> None:
    env, _, step, state = compiled
    at_limit = state.replace(step_count=jnp.full_like(state.step_count, env.config.episode_length - 1))
    _, out = step(at_limit, jnp.zeros((len(TASK_IDS), 12)))
    assert np.all(np.asarray(out.truncated) | np.asarray(out.terminated))
    assert np.any(np.asarray(out.truncated))


@pytest.mark.parametrize("task", [0, 1])
def test_penalty_reset_matches_the_official_reset(compiled, task: int) -> None:
    """Penalty-task resets are deterministic apart from the obstacle slots: compare whole vectors."""
    import gymnasium as gym
    import sai_mujoco  # noqa: F401  (registers the official environments)

    _, _, _, state = compiled
    official = gym.make(ob.TASKS[task])
    raw, info = official.reset(seed=7)
    official.close()
    expected = ob.split(ob.preprocess(raw, info, task))
    got = ob.split(np.asarray(state.obs[task]))
    random_slots = {"defender_xpos", "target_xpos_rel_robot"} if task == 1 else set()
    for name in expected:
        if name in random_slots:
            continue
        np.testing.assert_allclose(got[name], expected[name], atol=1e-4, err_msg=name)
    if task == 1:
        # Same x and height; the y of each defender is one of the four official slots.
        defenders = got["defender_xpos"].reshape(3, 3)
        np.testing.assert_allclose(defenders[:, [0, 2]], [[-10.97, 0.6]] * 3, atol=1e-4)
        slots = np.array([-1.17, -0.39, 0.39, 1.17])
        assert np.all(np.min(np.abs(defenders[:, 1:2] - slots), axis=1) < 1e-4)
