"""Configuration of the environment check (task 1)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class SetupConfig:
    require_gpu: bool = setting(
        True, toy=False, help="A missing JAX GPU device is a hard failure (true) or a warning (false)."
    )
    check_mjx: bool = setting(True, help="Load the robot model in MJX and take one step.")
    network_timeout_seconds: float = setting(
        10.0, toy=5.0, minimum=0.0, exclusive_minimum=True, help="Time allowed for reaching the W&B server."
    )
    mlflow_timeout_seconds: float = setting(
        60.0,
        minimum=0.0,
        exclusive_minimum=True,
        help="Time allowed for one MLflow request of the reachability check (a busy server answers slowly).",
    )
