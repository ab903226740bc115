"""Configuration of GPU monitoring, alerts and progress reporting, shared by the training stages.

Stall patience belongs to each training stage's own section, since it scales with that stage's budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class MonitoringConfig:
    memory_alert_percent: float = setting(
        95.0, minimum=0.0, maximum=100.0, help="GPU memory use above this percentage raises an error alert."
    )
    stop_on_alert: bool = setting(
        True, help="Stop training early (after a final checkpoint) on a stall or memory alert."
    )
    progress_log_seconds: float = setting(
        30.0,
        toy=5.0,
        minimum=0.0,
        exclusive_minimum=True,
        help="Seconds between progress lines in a job log.",
    )
