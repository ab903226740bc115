"""Configuration of SAC pre-training on MJX (task 2)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class PretrainConfig:
    total_env_steps: int = setting(10_000_000, toy=20_000, minimum=1, help="Environment steps in total, summed over all parallel environments.")
    num_envs: int = setting(2048, toy=16, minimum=1, help="Parallel MJX environments.")
    metrics_every_steps: int = setting(1_000, toy=1_000, minimum=1, help="Log train/* metrics every this many environment steps.")
    gpu_stats_every_steps: int = setting(5_000, minimum=1, help="Log gpu/* metrics every this many environment steps.")
    checkpoint_every_steps: int = setting(200_000, toy=10_000, minimum=1, help="Checkpoint the whole training state every this many environment steps.")
    keep_checkpoints: int = setting(2, minimum=1, help="Committed checkpoints kept; older ones are deleted.")
