"""Observations on which the converted actor is compared with the JAX actor, and the comparison.

Where the observations come from. A network can agree with another near the origin and disagree where
the policy actually runs, so the parity set is built from the environment's own range:

1. real preprocessed observations: each of the three official environments is reset with a fixed
   seed and stepped with small random torques (a quarter of the bounds, so the robot moves and falls
   the way an untrained policy makes it), every observation passed through
   :func:`soccer.observation.preprocess`; episodes that end are reset and continue;
2. the rest are real observations plus Gaussian noise scaled by each feature's spread over the real
   set (``noise_scale`` standard deviations), which covers states between and slightly beyond the
   visited ones; the task one-hot slots keep their exact 0/1 values, since the network never sees
   anything else there.

Everything is seeded, so the same seed gives the same parity set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from booster_workloads.soccer.actions import policy_to_torque
from booster_workloads.soccer.observation import OBSERVATION_SIZE, SLICES, TASKS, preprocess, task_index_of

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ParityReport:
    samples: int
    max_abs_error: float
    mean_abs_error: float
    p99_abs_error: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "samples": self.samples,
            "max_abs_error": self.max_abs_error,
            "mean_abs_error": self.mean_abs_error,
            "p99_abs_error": self.p99_abs_error,
        }

    def as_metrics(self, prefix: str = "conversion/") -> dict[str, float]:
        return {f"{prefix}{key}": float(value) for key, value in self.as_dict().items()}


def compare_actions(actual: npt.ArrayLike, expected: npt.ArrayLike) -> ParityReport:
    """Element-wise |actual - expected| statistics over every observation and action dimension."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"action arrays differ in shape: {a.shape} vs {e.shape}")
    error = np.abs(a - e)
    if not bool(np.all(np.isfinite(error))):
        # NaN compares false with any tolerance; report it as an infinite error so checks fail.
        return ParityReport(int(a.shape[0]), float("inf"), float("inf"), float("inf"))
    return ParityReport(
        samples=int(a.shape[0]),
        max_abs_error=float(error.max()),
        mean_abs_error=float(error.mean()),
        p99_abs_error=float(np.percentile(error, 99)),
    )


def collect_official_observations(
    steps_per_task: int,
    *,
    seed: int,
    torque_fraction: float = 0.25,
    tasks: tuple[str, ...] = TASKS,
) -> FloatArray:
    """Real preprocessed observations, ``steps_per_task`` (+1 reset) from each official environment."""
    import gymnasium as gym
    import sai_mujoco  # noqa: F401  # registers the competition environment ids

    rng = np.random.default_rng(seed)
    collected: list[FloatArray] = []
    for offset, task_id in enumerate(tasks):
        task_index = task_index_of(task_id)
        env: Any = gym.make(task_id)
        try:
            obs, info = env.reset(seed=seed + offset)
            collected.append(preprocess(obs, info, task_index))
            for _ in range(steps_per_task):
                action = torque_fraction * rng.uniform(-1.0, 1.0, size=12)
                obs, _, terminated, truncated, info = env.step(policy_to_torque(action))
                collected.append(preprocess(obs, info, task_index))
                if terminated or truncated:
                    obs, info = env.reset()
                    collected.append(preprocess(obs, info, task_index))
        finally:
            env.close()
    return np.stack(collected).astype(np.float32)


def widen_with_noise(real: FloatArray, total: int, *, seed: int, noise_scale: float = 0.5) -> FloatArray:
    """``total`` observations: all of ``real``, then real ones plus per-feature-scaled noise."""
    if real.ndim != 2 or real.shape[1] != OBSERVATION_SIZE:
        raise ValueError(f"real observations have shape {real.shape}; expected (n, {OBSERVATION_SIZE})")
    if len(real) == 0:
        raise ValueError("at least one real observation is needed")
    rng = np.random.default_rng(seed)
    extra = max(0, total - len(real))
    base = real[rng.integers(0, len(real), size=extra)].astype(np.float64)
    spread = real.astype(np.float64).std(axis=0)
    # Features that never moved in the real set (e.g. the goalkeeper slots of other tasks) still get a
    # little noise, so the network is compared off the visited manifold too.
    spread = np.where(spread > 1e-6, spread, 0.1)
    noisy = base + rng.normal(size=base.shape) * spread * noise_scale
    one_hot = SLICES["task_one_hot"]
    noisy[:, one_hot] = base[:, one_hot]
    return np.concatenate([real[:total], noisy.astype(np.float32)]).astype(np.float32)


def parity_observations(
    total: int, *, seed: int, real_steps_per_task: int = 1000, noise_scale: float = 0.5
) -> FloatArray:
    """The parity set: real official observations widened with noise to ``total`` (see module doc)."""
    real = collect_official_observations(real_steps_per_task, seed=seed)
    return widen_with_noise(real, total, seed=seed + 1, noise_scale=noise_scale)
