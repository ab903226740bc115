"""Gate 3 against the real MLflow server of the test session (registry, aliases), both ways."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from booster_workloads.evaluation.benchmark import (
    BenchmarkResult,
    EpisodeResult,
    TaskResult,
    actor_policy,
    run_benchmark,
)
from booster_workloads.evaluation.gate import GateDecision, run_gate
from booster_workloads.policy.torch_actor import DDPGActor, load_actor, save_actor
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS
from booster_workloads.tracking import ModelNotFoundError
from booster_workloads.tracking.signature import actor_signature

MODEL = "finetuned_ddpg"


@pytest.fixture
def tracker(make_tracker: Callable[..., Any]) -> Any:
    # A schema of its own: registered model names are global on the session's server.
    return make_tracker(**{"run.wandb_mode": "disabled", "run.schema": f"gate_{uuid.uuid4().hex[:8]}"})


def register(tracker: Any, tmp_path: Path, seed: int, alias: str | None, score: float = 0.0) -> str:
    torch.manual_seed(seed)
    files = save_actor(
        DDPGActor(OBSERVATION_SIZE), tmp_path / f"actor-{uuid.uuid4().hex[:6]}", metadata={"score": score}
    )
    with tracker.stage_run("finetune", training_type="ddpg_finetune") as run:
        ref = run.log_model(MODEL, files, actor_signature(OBSERVATION_SIZE), alias=alias)
    return str(ref.version)


def alias_of(tracker: Any, alias: str) -> str | None:
    ref = tracker.get_alias_version(MODEL, alias)
    return None if ref is None else str(ref.version)


def scripted_evaluate(model_dir: Path, label: str) -> BenchmarkResult:
    """Score = the score stored in the model's spec on every task: isolates the gate's decision."""
    _, spec = load_actor(model_dir)
    score = float(spec.metadata["score"])
    tasks = tuple(TaskResult(t, (EpisodeResult(0, score, 1, True, {}),)) for t in TASKS)
    return BenchmarkResult(label, 0, tasks, 0.0)


def gate(tracker: Any, evaluate: Any = scripted_evaluate) -> GateDecision:
    return run_gate(
        tracker,
        model_key=MODEL,
        candidate_alias="candidate-finetuned",
        champion_alias="champion",
        finalist_alias="finalist",
        evaluate=evaluate,
        log=logging.getLogger("test.gate"),
    )


def test_better_candidate_becomes_champion_and_old_champion_finalist(tracker: Any, tmp_path: Path) -> None:
    old = register(tracker, tmp_path, 0, "champion", score=-1.0)
    new = register(tracker, tmp_path, 1, "candidate_finetuned", score=0.5)
    decision = gate(tracker)
    assert decision.promoted
    assert alias_of(tracker, "champion") == new
    assert alias_of(tracker, "finalist") == old
    assert f"version {old} becomes finalist" in decision.reason


def test_worse_candidate_stays_candidate_and_says_why(
    tracker: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = register(tracker, tmp_path, 0, "champion", score=0.2)
    new = register(tracker, tmp_path, 1, "candidate_finetuned", score=0.1)
    with caplog.at_level(logging.WARNING):
        decision = gate(tracker)
    assert not decision.promoted
    assert alias_of(tracker, "champion") == old
    assert alias_of(tracker, "finalist") is None
    assert alias_of(tracker, "candidate_finetuned") == new
    assert "not above 0.200" in decision.reason and "stays candidate-finetuned" in decision.reason
    assert decision.reason in caplog.text


def test_first_candidate_becomes_champion(tracker: Any, tmp_path: Path) -> None:
    new = register(tracker, tmp_path, 1, "candidate_finetuned", score=-3.0)
    decision = gate(tracker)
    assert decision.promoted and decision.champion is None
    assert alias_of(tracker, "champion") == new


def test_equal_policies_on_the_same_seeds_tie_and_do_not_promote(tracker: Any, tmp_path: Path) -> None:
    """Real benchmark: the same weights registered twice score exactly the same on the same seeds."""
    old = register(tracker, tmp_path, 3, "champion")
    register(tracker, tmp_path, 3, "candidate_finetuned")

    def evaluate(model_dir: Path, label: str) -> BenchmarkResult:
        actor, _ = load_actor(model_dir)
        return run_benchmark(actor_policy(actor), episodes_per_task=1, seed=5, label=label, max_steps=300)

    decision = gate(tracker, evaluate)
    assert decision.champion is not None
    assert decision.candidate.total == decision.champion.total
    assert not decision.promoted and alias_of(tracker, "champion") == old


def test_missing_candidate_is_a_clear_error(tracker: Any, tmp_path: Path) -> None:
    register(tracker, tmp_path, 0, "champion")
    with pytest.raises(ModelNotFoundError, match=r"ddpg_finetuned@candidate-finetuned does not exist"):
        gate(tracker)
