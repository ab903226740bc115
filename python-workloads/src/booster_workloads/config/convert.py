"""Configuration of the SAC-to-DDPG actor conversion (task 3)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class ConvertConfig:
    parity_samples: int = setting(
        10_000, minimum=10_000, help="Observations on which the PyTorch actor is compared with the JAX actor."
    )
    max_abs_error: float = setting(
        1e-5,
        minimum=0.0,
        exclusive_minimum=True,
        help="Largest allowed |torch - jax| over the parity samples.",
    )
    real_steps_per_task: int = setting(
        1_000,
        toy=200,
        minimum=1,
        help="Official-environment steps per task whose observations seed the parity set (the rest is noise around them).",
    )
    noise_scale: float = setting(
        0.5, minimum=0.0, help="Noise added to real observations, in standard deviations of each feature."
    )
    source_checkpoint_dir: str = setting(
        "",
        help="Convert the actor of the newest committed checkpoint in this directory instead of the registered pre-trained model.",
    )
