"""Configuration of the benchmark, Gate 3 and the SAI submission (task 5)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class SubmitConfig:
    episodes_per_task: int = setting(
        10,
        toy=1,
        minimum=1,
        help="Seeded evaluation episodes per competition task (candidate and champion alike).",
    )
    max_episode_steps: int = setting(
        0,
        toy=1_000,
        minimum=0,
        help="Cut benchmark and check episodes after this many steps; 0 plays them to the end as the platform does.",
    )
    submit: bool = setting(
        True,
        toy=False,
        help="Send the submission to SAI when an API key is present; false stops after the local check.",
    )
    competition_id: str = setting(
        "cmp_xnSCxcJXQclQ",
        help="SAI competition id of Booster Soccer Showdown (from the competition page URL).",
    )
    submission_name: str = setting("", help="Name shown on SAI; empty means booster-<model version>-<date>.")
