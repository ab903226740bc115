"""Alerts raised while training: GPU memory pressure and a stalled reward."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AlertLevel = Literal["error", "warning"]


@dataclass(frozen=True)
class Alert:
    kind: str  # "gpu_memory" or "stall"
    level: AlertLevel
    message: str
    step: int | None = None
