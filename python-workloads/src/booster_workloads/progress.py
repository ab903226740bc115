"""Progress of long work: a live bar with rate and ETA in a terminal, a line every few seconds in a job log.

```python
with Progress(total=cfg.total_env_steps, description="pretrain", unit="steps", initial=resumed_step) as bar:
    while ...:
        bar.update(steps_done_this_iteration)
```
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Any

_default_log = logging.getLogger("booster.progress")


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    return str(timedelta(seconds=round(seconds)))


class Progress:
    """Tracks ``completed`` of ``total`` units and reports rate and ETA.

    Args:
        total: units to do (environment steps, episodes, ...).
        description: what is being done, shown first.
        unit: the unit's name, plural.
        initial: units already done (a resumed run); the rate counts only new work.
        log_every_seconds: interval of the plain lines written when not in a terminal.
        terminal: force the live bar on or off; by default, on when stderr is a terminal.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        total: int,
        description: str,
        unit: str = "steps",
        initial: int = 0,
        log: logging.Logger | None = None,
        log_every_seconds: float = 30.0,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if total < 0:
            raise ValueError(f"total must be at least 0, but {total} was provided")
        self.total = total
        self.description = description
        self.unit = unit
        self.initial = initial
        self.completed = initial
        self.log = log or _default_log
        self.log_every_seconds = log_every_seconds
        self._clock = clock
        self._started = clock()
        self._last_line = self._started
        self._terminal = sys.stderr.isatty() if terminal is None else terminal
        self._bar: Any = None
        self._task: Any = None
        self._closed = False
        if self._terminal:
            self._start_bar()

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(self.description, total=self.total, completed=self.initial, rate="")
        self._bar.start()

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    @property
    def rate(self) -> float | None:
        """Units per second since the start, counting only work done in this process."""
        elapsed = self.elapsed
        done = self.completed - self.initial
        return done / elapsed if elapsed > 0 and done > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate
        if rate is None:
            return None
        return max(self.total - self.completed, 0) / rate

    def summary(self) -> str:
        percent = 100.0 * self.completed / self.total if self.total else 100.0
        rate = self.rate
        rate_text = f"{rate:,.1f} {self.unit}/s" if rate is not None else f"? {self.unit}/s"
        return (
            f"{self.description}: {self.completed:,}/{self.total:,} {self.unit} ({percent:.1f}%), {rate_text}, "
            f"elapsed {format_duration(self.elapsed)}, ETA {format_duration(self.eta_seconds)}"
        )

    def update(self, advance: int) -> None:
        self.set(self.completed + advance)

    def set(self, completed: int) -> None:
        self.completed = min(completed, self.total) if self.total else completed
        if self._bar is not None:
            rate = self.rate
            self._bar.update(
                self._task, completed=self.completed, rate=f"{rate:,.0f} {self.unit}/s" if rate else ""
            )
            return
        now = self._clock()
        if now - self._last_line >= self.log_every_seconds:
            self._last_line = now
            self.log.info("%s", self.summary())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.stop()
        self.log.info("%s", self.summary())

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
