"""Reading a training history as a learning curve (``booster_workloads.sac.curve``)."""

from __future__ import annotations

import math

import pytest

from booster_workloads.sac.curve import curve_trend, curve_trends, trend_metrics, trend_table


def _history(
    values: list[float], metric: str = "train/episode_return", every: int = 100
) -> list[dict[str, float]]:
    return [{"env_steps": float((i + 1) * every), metric: v} for i, v in enumerate(values)]


def test_trend_compares_the_first_and_last_thirds_after_warm_up() -> None:
    # Two warm-up reports (ignored), then nine: thirds of three.
    history = _history([100.0, 100.0, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 7.0, 8.0, 9.0])
    trend = curve_trend(history, "train/episode_return", warmup_steps=200)
    assert trend is not None
    assert trend.start == pytest.approx(2.0)
    assert trend.end == pytest.approx(8.0)
    assert trend.gain == pytest.approx(6.0)
    assert trend.relative_gain == pytest.approx(3.0)


def test_missing_values_are_skipped_and_a_third_without_any_gives_no_trend() -> None:
    history = _history([1.0, math.nan, 3.0, math.nan, 5.0, math.nan])
    trend = curve_trend(history, "train/episode_return", warmup_steps=0)
    # A NaN left in would make the mean NaN.
    assert trend is not None and trend.start == pytest.approx(1.0)
    assert trend.end == pytest.approx(5.0)
    assert (
        curve_trend(_history([1.0, 2.0, 3.0, math.nan, math.nan]), "train/episode_return", warmup_steps=0)
        is None
    )
    assert curve_trend(_history([1.0, 2.0]), "train/episode_return", warmup_steps=0) is None


def test_a_falling_curve_has_a_negative_gain() -> None:
    trend = curve_trend(
        _history([-1.0, -1.0, -2.0, -2.0, -4.0, -4.0]), "train/episode_return", warmup_steps=0
    )
    assert (
        trend is not None and trend.gain == pytest.approx(-3.0) and trend.relative_gain == pytest.approx(-3.0)
    )


def test_trends_cover_overall_per_task_length_and_reward_metrics() -> None:
    history = [
        {
            "env_steps": float(i),
            "train/episode_return": float(i),
            "train/episode_return_by_task/B": 2.0 * i,
            "train/episode_return_by_task/A": 3.0 * i,
            "train/episode_length": 10.0,
            "train/reward_mean": 0.5,
            "train/alpha": 1.0,
        }
        for i in range(1, 7)
    ]
    assert trend_metrics(history) == [
        "train/episode_return",
        "train/episode_return_by_task/A",
        "train/episode_return_by_task/B",
        "train/episode_length",
        "train/reward_mean",
    ]
    trends = curve_trends(history, warmup_steps=0)
    table = trend_table(trends)
    assert "| `episode_return_by_task/A` | 4.5 | 16.5 | +267% |" in table
    assert "| `episode_length` | 10 | 10 | +0% |" in table
