"""The official sai-mujoco environments and their parallel runner, on the real installed package."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import pytest

from booster_workloads.evaluation.scoring import terminal_score
from booster_workloads.soccer.actions import TORQUE_BOUNDS
from booster_workloads.soccer.observation import OBSERVATION_SIZE, SLICES, TASKS, preprocess
from booster_workloads.soccer.official import (
    DENSE_TERM_NAMES,
    DenseReward,
    DenseRewardScales,
    OfficialVecEnv,
    make_official_env,
)


@pytest.mark.parametrize("task_id", TASKS)
def test_make_official_env_gives_the_competition_env(task_id: str) -> None:
    env = make_official_env(task_id, seed=3)
    try:
        assert env.spec.id == task_id
        assert env.action_space.shape == (12,)
        np.testing.assert_allclose(env.action_space.high, TORQUE_BOUNDS)
        obs, info = env.reset(seed=3)
        assert preprocess(obs, info, TASKS.index(task_id)).shape == (OBSERVATION_SIZE,)
    finally:
        env.close()


def test_make_official_env_rejects_unknown_ids() -> None:
    with pytest.raises(ValueError, match="unknown task 'LowerT1Dance-v0'"):
        make_official_env("LowerT1Dance-v0")


def test_env_reward_is_the_envs_own_weighted_sum_of_reward_terms() -> None:
    # R_env must be exactly what the environment returns; that value is in turn the
    # reward_config-weighted sum of info["reward_terms"] (sai_mujoco base_v1._total_reward).
    with OfficialVecEnv(3, num_workers=0) as vec:
        vec.reset(seed=11)
        direct = [make_official_env(t) for t in vec.task_ids]
        for i, env in enumerate(direct):
            env.reset(seed=11 + i)
        rng = np.random.default_rng(0)
        for _ in range(5):
            torques = rng.uniform(-1, 1, size=(3, 12)).astype(np.float32) * TORQUE_BOUNDS * 0.3
            batch = vec.step(torques)
            for i, env in enumerate(direct):
                obs, reward, _, _, info = env.step(torques[i])
                assert batch.reward_env[i] == pytest.approx(float(reward), abs=1e-6)
                weights = env.unwrapped.reward_config
                expected = sum(weights[k] * float(v) for k, v in info["reward_terms"].items() if k in weights)
                assert float(reward) == pytest.approx(expected, rel=1e-5, abs=1e-6)
                np.testing.assert_allclose(
                    batch.observation[i], preprocess(obs, info, TASKS.index(vec.task_ids[i]))
                )
        for env in direct:
            env.close()


def test_each_env_carries_its_task_one_hot() -> None:
    with OfficialVecEnv(3, num_workers=0) as vec:
        observations = vec.reset(seed=0)
    assert observations.shape == (3, OBSERVATION_SIZE)
    np.testing.assert_array_equal(observations[:, SLICES["task_one_hot"]], np.eye(3, dtype=np.float32))
    assert vec.task_ids == list(TASKS)


@pytest.mark.parametrize("task_id", [TASKS[0], TASKS[2]])
def test_official_reward_is_the_competition_score_on_the_final_step_only(task_id: str) -> None:
    # Full-strength random torques make the robot fall within a few hundred steps. A second copy of
    # the environment, stepped alongside, is scored the way the platform's evaluation wrapper does.
    rng = np.random.default_rng(1)
    direct = make_official_env(task_id)
    direct.reset(seed=5)
    with OfficialVecEnv(1, task_ids=[task_id], num_workers=0) as vec:
        vec.reset(seed=5)
        for _ in range(2000):
            torques = rng.uniform(-1, 1, size=(1, 12)).astype(np.float32) * TORQUE_BOUNDS
            batch = vec.step(torques)
            _, _, terminated, truncated, _ = direct.step(torques[0])
            if batch.terminated[0] or batch.truncated[0]:
                break
            assert batch.reward_official[0] == 0.0
        else:
            pytest.fail("no episode ended within 2000 steps of random full torques")
    assert terminated or truncated
    expected = terminal_score(task_id, direct.unwrapped.compute_reward())
    direct.close()
    assert batch.reward_official[0] == pytest.approx(expected, rel=1e-5)
    assert expected != 0.0
    assert len(batch.finished_episodes) == 1
    episode = batch.finished_episodes[0]
    assert (episode.env_index, episode.task_index) == (0, TASKS.index(task_id))
    assert episode.score == pytest.approx(expected, rel=1e-5)
    assert episode.length > 1 and np.isfinite(episode.env_return) and np.isfinite(episode.dense_return)
    # The episode that ended and the one that began are different states.
    assert not np.allclose(batch.final_observation[0], batch.observation[0])
    assert batch.dense_terms["fallen"][0] == 1.0


def test_worker_processes_match_in_process_stepping() -> None:
    rng = np.random.default_rng(2)
    torques = [rng.uniform(-1, 1, size=(2, 12)).astype(np.float32) * TORQUE_BOUNDS * 0.2 for _ in range(4)]
    results = []
    for workers in (0, 2):
        with OfficialVecEnv(2, task_ids=TASKS[:2], num_workers=workers) as vec:
            first = vec.reset(seed=9)
            steps = [vec.step(t) for t in torques]
        results.append((first, steps))
    (first_local, local), (first_workers, remote) = results
    np.testing.assert_array_equal(first_local, first_workers)
    for a, b in zip(local, remote, strict=True):
        np.testing.assert_array_equal(a.observation, b.observation)
        np.testing.assert_array_equal(a.reward_official, b.reward_official)
        np.testing.assert_array_equal(a.reward_env, b.reward_env)
        np.testing.assert_array_equal(a.reward_dense, b.reward_dense)


def test_bad_torque_shape_is_refused() -> None:
    with OfficialVecEnv(1, task_ids=[TASKS[0]], num_workers=0) as vec:
        vec.reset(seed=0)
        with pytest.raises(ValueError, match=r"torques must have shape \(1, 12\)"):
            vec.step(np.zeros((2, 12)))


def _info(ball_rel_robot: list[float], target_rel_robot: list[float], team: int = 0) -> dict[str, np.ndarray]:
    goal_rel_ball = np.array([5.0, 0.0, 0.0]) - np.array(ball_rel_robot)
    return {
        "ball_xpos_rel_robot": np.array(ball_rel_robot),
        "target_xpos_rel_robot": np.array(target_rel_robot),
        "goal_team_0_rel_ball": goal_rel_ball if team == 0 else -goal_rel_ball,
        "goal_team_1_rel_ball": -goal_rel_ball if team == 0 else goal_rel_ball,
        "player_team": np.array([1, 0]) if team == 0 else np.array([0, 1]),
    }


def test_dense_terms_reward_closing_on_the_ball_and_moving_it_to_the_target() -> None:
    dense = DenseReward(TASKS[2], control_timestep=0.02, scales=DenseRewardScales())
    dense.reset(_info([1.0, 0.0, 0.0], [3.0, 0.0, 0.0]))
    # The robot moved 2 cm toward the ball; the ball did not move relative to the target.
    terms = dense.step(_info([0.98, 0.0, 0.0], [2.98, 0.0, 0.0]), fell=False)
    assert terms["approach_ball"] == pytest.approx(1.0)
    assert terms["ball_velocity_to_goal"] == pytest.approx(0.0, abs=1e-9)
    # Now the ball rolls 4 cm toward the target while the robot stays.
    terms = dense.step(_info([1.02, 0.0, 0.0], [2.98, 0.0, 0.0]), fell=True)
    assert terms["approach_ball"] == pytest.approx(-2.0)
    assert terms["ball_velocity_to_goal"] == pytest.approx(2.0)
    assert terms["fallen"] == 1.0
    assert set(terms) == set(DENSE_TERM_NAMES)
    assert dense.total(terms) == pytest.approx(1.0 * -2.0 + 2.0 * 2.0 - 10.0)


def test_goalie_task_aims_at_the_goal_of_the_robots_team() -> None:
    for team in (0, 1):
        dense = DenseReward(TASKS[0], control_timestep=0.02, scales=DenseRewardScales())
        before = _info([1.0, 0.0, 0.0], [0.0, 0.0, 0.0], team=team)
        after = dict(before)
        key = f"goal_team_{team}_rel_ball"
        after[key] = before[key] * 0.99  # the ball got 1 % closer to the team's goal
        dense.reset(before)
        assert dense.step(after, fell=False)["ball_velocity_to_goal"] > 0
