"""Configuration of the SAC-to-DDPG actor conversion (task 3)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class ConvertConfig:
    parity_samples: int = setting(10_000, minimum=1, help="Observations on which the PyTorch actor is compared with the JAX actor.")
    max_abs_error: float = setting(1e-5, minimum=0.0, exclusive_minimum=True, help="Largest allowed |torch - jax| over the parity samples.")
