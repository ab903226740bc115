"""Gate 3 against a real MLflow model registry (SQLite backend, real aliases), both ways.

The registry adapter below speaks to MLflow directly with the calls the pipeline's tracker makes
(register a version from run artifacts, read and move aliases, download by alias).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

import mlflow
import pytest
import torch
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from booster_workloads.evaluation.benchmark import (
    BenchmarkResult,
    EpisodeResult,
    TaskResult,
    actor_policy,
    run_benchmark,
)
from booster_workloads.evaluation.gate import run_gate
from booster_workloads.policy.torch_actor import DDPGActor, load_actor, save_actor
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS


class MlflowRegistry:
    """One registered model per test, in a registry shared by the module (creating an MLflow SQLite
    database runs every schema migration, which takes seconds)."""

    def __init__(self, client: MlflowClient, experiment_id: str, root: Path, model: str) -> None:
        self.client = client
        self.experiment_id = experiment_id
        self.root = root
        self.model = model

    def register(self, actor: DDPGActor, alias: str | None, score: float) -> str:
        run = self.client.create_run(self.experiment_id)
        files = save_actor(actor, self.root / run.info.run_id, metadata={"score": score})
        for path in files.values():
            self.client.log_artifact(run.info.run_id, str(path), "model")
        self.client.set_terminated(run.info.run_id)
        with contextlib.suppress(MlflowException):
            self.client.create_registered_model(self.model)
        version = self.client.create_model_version(
            self.model, f"{run.info.artifact_uri}/model", run.info.run_id
        )
        if alias:
            self.client.set_registered_model_alias(self.model, alias, version.version)
        return str(version.version)

    def download_model(self, model_key: str, alias: str) -> tuple[Any, Path]:
        version = self.client.get_model_version_by_alias(model_key, alias)
        target = self.root / "downloads" / f"{alias}-{version.version}"
        path = mlflow.artifacts.download_artifacts(f"models:/{model_key}@{alias}", dst_path=str(target))
        return version, Path(path)

    def get_alias_version(self, model_key: str, alias: str) -> Any | None:
        try:
            return self.client.get_model_version_by_alias(model_key, alias)
        except MlflowException:
            return None

    def set_alias(self, model_key: str, alias: str, version: Any) -> None:
        self.client.set_registered_model_alias(model_key, alias, str(version))

    def alias_of(self, alias: str) -> str | None:
        found = self.get_alias_version(self.model, alias)
        return None if found is None else str(found.version)


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[MlflowClient, str, Path]:
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    experiment_id = client.create_experiment("gate", artifact_location=(root / "artifacts").as_uri())
    return client, experiment_id, root


@pytest.fixture
def registry(mlflow_store: tuple[MlflowClient, str, Path], request: pytest.FixtureRequest) -> MlflowRegistry:
    client, experiment_id, root = mlflow_store
    return MlflowRegistry(
        client, experiment_id, root / request.node.name, f"ddpg_finetuned_{request.node.name[5:40]}"
    )


def _actor(seed: int) -> DDPGActor:
    torch.manual_seed(seed)
    return DDPGActor(OBSERVATION_SIZE)


def _scripted_evaluate(model_dir: Path, label: str) -> BenchmarkResult:
    """Score = the score stored in the model's spec, identical on every task: isolates the gate."""
    _, spec = load_actor(model_dir)
    score = float(spec.metadata["score"])
    tasks = tuple(TaskResult(t, (EpisodeResult(0, score, 1, True, {}),)) for t in TASKS)
    return BenchmarkResult(label, 0, tasks, 0.0)


def _gate(registry: MlflowRegistry, evaluate: Any = _scripted_evaluate) -> Any:
    return run_gate(
        registry,
        model_key=registry.model,
        candidate_alias="candidate-finetuned",
        champion_alias="champion",
        finalist_alias="finalist",
        evaluate=evaluate,
        log=logging.getLogger("test"),
    )


def test_better_candidate_becomes_champion_and_old_champion_finalist(registry: MlflowRegistry) -> None:
    old = registry.register(_actor(0), "champion", score=-1.0)
    new = registry.register(_actor(1), "candidate-finetuned", score=0.5)
    decision = _gate(registry)
    assert decision.promoted
    assert registry.alias_of("champion") == new
    assert registry.alias_of("finalist") == old
    assert "becomes champion" in decision.reason and f"version {old} becomes finalist" in decision.reason


def test_worse_candidate_stays_candidate_and_says_why(
    registry: MlflowRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    old = registry.register(_actor(0), "champion", score=0.2)
    new = registry.register(_actor(1), "candidate-finetuned", score=0.1)
    with caplog.at_level(logging.WARNING):
        decision = _gate(registry)
    assert not decision.promoted
    assert registry.alias_of("champion") == old
    assert registry.alias_of("finalist") is None
    assert registry.alias_of("candidate-finetuned") == new
    assert "not above 0.200" in decision.reason and "stays candidate-finetuned" in decision.reason
    assert decision.reason in caplog.text


def test_first_candidate_becomes_champion(registry: MlflowRegistry) -> None:
    new = registry.register(_actor(1), "candidate-finetuned", score=-3.0)
    decision = _gate(registry)
    assert decision.promoted and decision.champion is None
    assert registry.alias_of("champion") == new


def test_equal_policies_on_the_same_seeds_tie_and_do_not_promote(registry: MlflowRegistry) -> None:
    """Real benchmark: the same weights registered twice score exactly the same on the same seeds."""
    old = registry.register(_actor(3), "champion", score=0.0)
    registry.register(_actor(3), "candidate-finetuned", score=0.0)

    def evaluate(model_dir: Path, label: str) -> BenchmarkResult:
        actor, _ = load_actor(model_dir)
        return run_benchmark(actor_policy(actor), episodes_per_task=1, seed=5, label=label, max_steps=300)

    decision = _gate(registry, evaluate)
    assert decision.champion is not None
    assert decision.candidate.total == decision.champion.total
    assert not decision.promoted and registry.alias_of("champion") == old


def test_missing_candidate_is_a_clear_error(registry: MlflowRegistry) -> None:
    registry.register(_actor(0), "champion", score=0.0)
    with pytest.raises(MlflowException, match="candidate-finetuned"):
        _gate(registry)
