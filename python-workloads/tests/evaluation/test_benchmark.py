"""The platform's score reproduced offline, and seeded benchmarks in the real official environments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from booster_workloads.evaluation.benchmark import (
    BenchmarkResult,
    actor_policy,
    bar_plot,
    make_env,
    markdown_table,
    run_benchmark,
)
from booster_workloads.evaluation.scoring import EVALUATION_WEIGHTS, terminal_score, weighted_total
from booster_workloads.policy.torch_actor import DDPGActor
from booster_workloads.soccer.actions import policy_to_torque
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS


def test_terminal_score_weights_booleans_and_adds_the_step_term() -> None:
    raw = {
        "robot_distance_ball": 0.4,
        "ball_vel_twd_goal": 2.0,
        "goal_scored": True,
        "offside": False,
        "ball_hits": 0.0,
        "robot_fallen": False,
        "ball_blocked": False,
        "unrelated": 100.0,
    }
    assert terminal_score("LowerT1GoaliePenaltyKick-v0", raw) == pytest.approx(
        0.25 * 0.4 + 1.5 * 2.0 + 2.5 - 1.0
    )
    fallen = {"offside": 0.0, "success": 0.0, "distance": 0.2, "robot_distance_ball": 0.9}
    assert terminal_score("LowerT1KickToTarget-v0", fallen) == pytest.approx(0.5 * 0.2 - 0.2)
    with pytest.raises(ValueError, match="no evaluation weights"):
        terminal_score("CartPole-v1", {})


def test_weighted_total() -> None:
    assert weighted_total({"a": 1.0, "b": 4.0}, {"a": 1.0, "b": 3.0}) == pytest.approx(13.0 / 4.0)


@pytest.mark.parametrize("task_id", TASKS)
def test_evaluation_keys_exist_in_the_installed_environment(task_id: str) -> None:
    """A renamed reward term in sai-mujoco would silently drop out of the score; pin the names."""
    env = make_env(task_id)
    try:
        env.reset(seed=0)
        env.step(policy_to_torque(np.zeros(12)))
        raw = env.unwrapped.compute_reward()
    finally:
        env.close()
    assert set(EVALUATION_WEIGHTS[task_id]) - {"steps"} <= set(raw)


@pytest.fixture(scope="module")
def actor() -> DDPGActor:
    torch.manual_seed(7)
    return DDPGActor(OBSERVATION_SIZE)


def test_benchmark_is_reproducible_and_scores_each_episode(actor: DDPGActor) -> None:
    first = run_benchmark(actor_policy(actor), episodes_per_task=2, seed=11, label="a", max_steps=400)
    second = run_benchmark(actor_policy(actor), episodes_per_task=2, seed=11, label="b", max_steps=400)
    assert [t.task_id for t in first.tasks] == list(TASKS)
    for task_a, task_b in zip(first.tasks, second.tasks, strict=True):
        assert [e.seed for e in task_a.episodes] == [e.seed for e in task_b.episodes]
        assert [e.score for e in task_a.episodes] == [e.score for e in task_b.episodes]
        for episode in task_a.episodes:
            assert 0 < episode.length <= 400
            assert episode.score == pytest.approx(terminal_score(task_a.task_id, episode.raw_terms))
    assert first.total == pytest.approx(np.mean([t.score for t in first.tasks]))
    metrics = first.metrics()
    assert metrics["benchmark/total_score"] == pytest.approx(first.total)
    assert "benchmark/LowerT1KickToTarget/score" in metrics


def test_table_and_plot(actor: DDPGActor, tmp_path: Path) -> None:
    result = run_benchmark(actor_policy(actor), episodes_per_task=1, seed=0, label="candidate", max_steps=200)
    table = markdown_table([result, result])
    lines = table.strip().splitlines()
    assert lines[0] == "| task | weight | candidate | candidate |"
    assert len(lines) == 2 + len(TASKS) + 1
    assert f"**{result.total:.3f}**" in lines[-1]
    path = bar_plot([result], tmp_path / "benchmark.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_episode_count(actor: DDPGActor) -> None:
    with pytest.raises(ValueError, match="episodes_per_task must be at least 1"):
        run_benchmark(actor_policy(actor), episodes_per_task=0, seed=0, label="x")
    assert isinstance(BenchmarkResult("x", 0, (), 0.0).weights, dict)
