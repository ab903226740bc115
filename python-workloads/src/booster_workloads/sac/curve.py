"""Reading a training history as a learning curve: did a metric go up, and by how much.

One report holds few finished episodes, and their return swings with where they started, so a trend
is the mean over the first third of the post-warm-up reports against the mean over the last third,
not one point against another.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EPISODE_RETURN = "train/episode_return"
EPISODE_LENGTH = "train/episode_length"
REWARD_PER_STEP = "train/reward_mean"
RETURN_BY_TASK = "train/episode_return_by_task/"


@dataclass(frozen=True)
class CurveTrend:
    """One metric's mean over the first and the last third of training (after warm-up)."""

    metric: str
    start: float
    end: float

    @property
    def gain(self) -> float:
        return self.end - self.start

    @property
    def relative_gain(self) -> float:
        """The gain as a fraction of the start's magnitude (``inf`` from a start of 0)."""
        if self.start == 0:
            return math.inf if self.gain > 0 else (0.0 if self.gain == 0 else -math.inf)
        return self.gain / abs(self.start)


def trend_metrics(history: Sequence[Mapping[str, float]]) -> list[str]:
    """The metrics a learning curve is judged on: episode return overall and per task, episode
    length and reward per step, in that order (those the history holds)."""
    present = {key for report in history for key in report}
    per_task = sorted(key for key in present if key.startswith(RETURN_BY_TASK))
    return [key for key in (EPISODE_RETURN, *per_task, EPISODE_LENGTH, REWARD_PER_STEP) if key in present]


def curve_trend(
    history: Sequence[Mapping[str, float]], metric: str, *, warmup_steps: int
) -> CurveTrend | None:
    """The trend of ``metric`` over the reports after ``warmup_steps``; ``None`` when either third
    has no value for it (too short a run, or no episode of that task finished)."""
    learning = [report for report in history if report.get("env_steps", 0.0) > warmup_steps]
    if len(learning) < 3:
        return None
    third = len(learning) // 3

    def values(reports: Sequence[Mapping[str, float]]) -> list[float]:
        return [report[metric] for report in reports if metric in report and not math.isnan(report[metric])]

    first, last = values(learning[:third]), values(learning[-third:])
    if not first or not last:
        return None
    return CurveTrend(metric=metric, start=statistics.fmean(first), end=statistics.fmean(last))


def curve_trends(history: Sequence[Mapping[str, float]], *, warmup_steps: int) -> list[CurveTrend]:
    """:func:`curve_trend` of every metric in :func:`trend_metrics` that has one."""
    trends = (curve_trend(history, metric, warmup_steps=warmup_steps) for metric in trend_metrics(history))
    return [trend for trend in trends if trend is not None]


def trend_table(trends: Sequence[CurveTrend]) -> str:
    """A Markdown table of the trends, one row per metric."""
    lines = [
        "| metric | first third | last third | change |",
        "|---|---:|---:|---:|",
    ]
    for trend in trends:
        change = f"{trend.relative_gain:+.0%}" if math.isfinite(trend.relative_gain) else f"{trend.gain:+.3g}"
        lines.append(
            f"| `{trend.metric.removeprefix('train/')}` | {trend.start:.3g} | {trend.end:.3g} | {change} |"
        )
    return "\n".join(lines)
