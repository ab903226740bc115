"""Detects a reward that has stopped improving."""

from __future__ import annotations

import logging
import math

from booster_workloads.monitoring.alerts import Alert

_default_log = logging.getLogger(__name__)


class StallDetector:
    """Reports when the best reward has not improved for ``patience_steps`` environment steps.

    Args:
        patience_steps: steps without improvement before the stall alert.
        min_delta: an improvement must exceed the best reward by more than this.
    """

    def __init__(
        self, patience_steps: int, min_delta: float = 0.0, log: logging.Logger | None = None
    ) -> None:
        if patience_steps < 1:
            raise ValueError(f"patience_steps must be at least 1, but {patience_steps} was provided")
        self.patience_steps = patience_steps
        self.min_delta = min_delta
        self.log = log or _default_log
        self.best_reward = -math.inf
        self.best_step: int | None = None
        self.alert: Alert | None = None

    @property
    def stalled(self) -> bool:
        return self.alert is not None

    def update(self, step: int, reward: float) -> Alert | None:
        """Record the reward at ``step``; returns the alert the first time a stall is seen."""
        if self.best_step is None:
            self.best_step = step
        if not math.isnan(reward) and reward > self.best_reward + self.min_delta:
            self.best_reward = reward
            self.best_step = step
            self.alert = None
            return None
        if self.alert is None and step - self.best_step >= self.patience_steps:
            self.alert = Alert(
                kind="stall",
                level="warning",
                message=(
                    f"training stalled: the reward has not improved on {self.best_reward:.4g} "
                    f"(step {self.best_step}) for {step - self.best_step} steps"
                ),
                step=step,
            )
            self.log.warning("ALERT %s", self.alert.message)
            return self.alert
        return None

    def state(self) -> dict[str, float | int | None]:
        """What a checkpoint needs to resume detection where it stopped."""
        return {"best_reward": self.best_reward, "best_step": self.best_step}

    def restore(self, state: dict[str, float | int | None]) -> None:
        best = state.get("best_reward")
        self.best_reward = float(best) if best is not None else -math.inf
        best_step = state.get("best_step")
        self.best_step = int(best_step) if best_step is not None else None
