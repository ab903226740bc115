"""Configuration of the benchmark, Gate 3 and the SAI submission (task 5)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class SubmitConfig:
    episodes_per_task: int = setting(10, toy=1, minimum=1, help="Seeded evaluation episodes per competition task.")
    submit: bool = setting(True, toy=False, help="Send the submission to SAI when an API key is present; false stops after the local check.")
