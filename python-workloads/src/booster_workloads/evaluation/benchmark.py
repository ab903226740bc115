"""Benchmark a policy on the three competition environments with the platform's score.

Each task runs a fixed number of seeded episodes (episode ``i`` of task ``t`` resets with
``seed + 1000 * t + i``), so two policies evaluated with the same seed meet the same ball, target and
floor-friction draws. Each step calls ``compute_reward()`` on the unwrapped environment, as the
platform's evaluation wrapper does (its side effects, such as contact counting, then match), and the
episode's score is the evaluation value on its last step (see :mod:`evaluation.scoring`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from booster_workloads.evaluation.scoring import TASK_SCORE_WEIGHTS, terminal_score, weighted_total
from booster_workloads.soccer.actions import policy_to_torque
from booster_workloads.soccer.observation import TASKS, preprocess, task_index_of

# (raw observation, info, task index) -> joint torques, as the platform's model manager produces them.
EnvPolicy = Callable[[npt.NDArray[Any], Mapping[str, Any], int], npt.NDArray[np.float32]]
SEED_STRIDE_PER_TASK = 1000


@dataclass(frozen=True)
class EpisodeResult:
    seed: int
    score: float
    length: int
    terminated: bool
    raw_terms: dict[str, float]


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    episodes: tuple[EpisodeResult, ...]

    @property
    def score(self) -> float:
        return float(np.mean([e.score for e in self.episodes]))

    @property
    def score_std(self) -> float:
        return float(np.std([e.score for e in self.episodes]))

    @property
    def mean_length(self) -> float:
        return float(np.mean([e.length for e in self.episodes]))


@dataclass(frozen=True)
class BenchmarkResult:
    label: str
    seed: int
    tasks: tuple[TaskResult, ...]
    seconds: float
    weights: Mapping[str, float] = field(default_factory=lambda: dict(TASK_SCORE_WEIGHTS))

    @property
    def task_scores(self) -> dict[str, float]:
        return {t.task_id: t.score for t in self.tasks}

    @property
    def total(self) -> float:
        return weighted_total(self.task_scores, self.weights)

    def metrics(self, prefix: str = "benchmark/") -> dict[str, float]:
        values = {f"{prefix}total_score": self.total}
        for task in self.tasks:
            name = task.task_id.removesuffix("-v0")
            values[f"{prefix}{name}/score"] = task.score
            values[f"{prefix}{name}/score_std"] = task.score_std
            values[f"{prefix}{name}/mean_length"] = task.mean_length
        return values

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "seed": self.seed,
            "seconds": self.seconds,
            "total_score": self.total,
            "weights": dict(self.weights),
            "tasks": [
                {
                    "task_id": t.task_id,
                    "score": t.score,
                    "score_std": t.score_std,
                    "mean_length": t.mean_length,
                    "episodes": [e.__dict__ for e in t.episodes],
                }
                for t in self.tasks
            ],
        }


class Actor(Protocol):
    """Anything with ``DDPGActor.act``: numpy observation(s) in, actions in [-1, 1] out."""

    def act(self, observation: Any) -> npt.NDArray[np.float32]: ...


def actor_policy(actor: Actor) -> EnvPolicy:
    """The training-side view of a policy: official preprocessing, the actor, then torque scaling."""

    def act(obs: npt.NDArray[Any], info: Mapping[str, Any], task_index: int) -> npt.NDArray[np.float32]:
        return policy_to_torque(actor.act(preprocess(obs, info, task_index)))

    return act


def make_env(task_id: str) -> Any:
    """The official environment; through soccer.official, which also checks the action bounds."""
    from booster_workloads.soccer.official import make_official_env

    return make_official_env(task_id)


def run_episode(
    env: Any, policy: EnvPolicy, task_id: str, seed: int, *, max_steps: int | None = None
) -> EpisodeResult:
    """One seeded episode; the score is the platform's terminal evaluation value."""
    task_index = task_index_of(task_id)
    obs, info = env.reset(seed=seed)
    length = 0
    while True:
        torques = np.asarray(policy(obs, info, task_index), dtype=np.float32)
        obs, _, terminated, truncated, info = env.step(torques)
        raw = env.unwrapped.compute_reward()
        length += 1
        if terminated or truncated or (max_steps is not None and length >= max_steps):
            terms = {key: float(value) for key, value in raw.items()}
            return EpisodeResult(seed, terminal_score(task_id, terms), length, bool(terminated), terms)


def run_benchmark(
    policy: EnvPolicy,
    *,
    episodes_per_task: int,
    seed: int,
    label: str,
    tasks: Sequence[str] = TASKS,
    log: logging.Logger | None = None,
    env_factory: Callable[[str], Any] = make_env,
    max_steps: int | None = None,
) -> BenchmarkResult:
    if episodes_per_task < 1:
        raise ValueError(f"episodes_per_task must be at least 1, but {episodes_per_task} was provided")
    log = log or logging.getLogger(__name__)
    started = time.perf_counter()
    results = []
    for task_id in tasks:
        env = env_factory(task_id)
        task_started = time.perf_counter()
        episodes = []
        try:
            for i in range(episodes_per_task):
                episode_seed = seed + SEED_STRIDE_PER_TASK * task_index_of(task_id) + i
                episodes.append(run_episode(env, policy, task_id, episode_seed, max_steps=max_steps))
                elapsed = time.perf_counter() - task_started
                steps = sum(e.length for e in episodes)
                log.info(
                    "benchmark %s %s: episode %d/%d score %.3f (%.0f steps/s, ETA %.0f s)",
                    label,
                    task_id,
                    i + 1,
                    episodes_per_task,
                    episodes[-1].score,
                    steps / max(elapsed, 1e-9),
                    elapsed / (i + 1) * (episodes_per_task - i - 1),
                )
        finally:
            env.close()
        results.append(TaskResult(task_id, tuple(episodes)))
    return BenchmarkResult(
        label=label, seed=seed, tasks=tuple(results), seconds=time.perf_counter() - started
    )


def markdown_table(results: Sequence[BenchmarkResult]) -> str:
    """Task scores (mean ± std over episodes) per evaluated policy, and the weighted total."""
    if not results:
        raise ValueError("no benchmark results to tabulate")
    tasks = [t.task_id for t in results[0].tasks]
    header = "| task | weight | " + " | ".join(r.label for r in results) + " |"
    rule = "|---|---:|" + "---:|" * len(results)
    lines = [header, rule]
    for task_id in tasks:
        cells = []
        for result in results:
            task = next(t for t in result.tasks if t.task_id == task_id)
            cells.append(
                f"{task.score:.3f} ± {task.score_std:.3f} ({len(task.episodes)} ep, {task.mean_length:.0f} steps)"
            )
        lines.append(f"| {task_id} | {results[0].weights[task_id]:g} | " + " | ".join(cells) + " |")
    lines.append("| **weighted total** | | " + " | ".join(f"**{r.total:.3f}**" for r in results) + " |")
    return "\n".join(lines) + "\n"


def bar_plot(results: Sequence[BenchmarkResult], path: Path) -> Path:
    """Grouped bars: one group per task plus the total, one bar per policy, error bars = episode std."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t.task_id for t in results[0].tasks]
    groups = [t.removesuffix("-v0").removeprefix("LowerT1") for t in tasks] + ["weighted total"]
    width = 0.8 / len(results)
    figure, axes = plt.subplots(figsize=(8, 4.5))
    for k, result in enumerate(results):
        by_task = {t.task_id: t for t in result.tasks}
        heights = [by_task[t].score for t in tasks] + [result.total]
        errors = [by_task[t].score_std for t in tasks] + [0.0]
        positions = np.arange(len(groups)) + (k - (len(results) - 1) / 2) * width
        axes.bar(positions, heights, width, yerr=errors, capsize=3, label=result.label)
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xticks(np.arange(len(groups)), groups)
    axes.set_ylabel("official evaluation score (mean per episode)")
    axes.set_title("Benchmark on the competition environments")
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
