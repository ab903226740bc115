"""Feature-freeze phases and reward annealing, as configured for the full run."""

from __future__ import annotations

import dataclasses

import pytest

from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.ddpg.schedules import ScheduleError, check_schedule, freeze_phase, reward_weights

FULL = FinetuneConfig()


@pytest.mark.parametrize(
    ("step", "layers", "learning_rate"),
    [
        (0, (2,), 3e-5),
        (19_999, (2,), 3e-5),
        (20_000, (1, 2), 3e-5),
        (49_999, (1, 2), 3e-5),
        (50_000, (0, 1, 2), 1e-5),
        (200_000, (0, 1, 2), 1e-5),
    ],
)
def test_freeze_phases_of_the_full_profile(step: int, layers: tuple[int, ...], learning_rate: float) -> None:
    phase = freeze_phase(step, FULL)
    assert phase.trainable_layers(3) == layers
    assert phase.learning_rate == learning_rate


@pytest.mark.parametrize(
    ("step", "dense", "official"),
    [
        (0, 1.0, 0.1),
        (50_000, 0.775, 0.325),
        (100_000, 0.55, 0.55),
        (150_000, 0.325, 0.775),
        (200_000, 0.1, 1.0),
        (250_000, 0.1, 1.0),
    ],
)
def test_reward_weights_anneal_linearly_over_the_run(step: int, dense: float, official: float) -> None:
    a, b = reward_weights(step, FULL)
    assert a == pytest.approx(dense)
    assert b == pytest.approx(official)


def test_phases_in_the_wrong_order_are_refused() -> None:
    bad = dataclasses.replace(FULL, last_layer_only_until_step=60_000)
    with pytest.raises(ScheduleError, match="last_layer_only_until_step \\(60000\\) must not exceed"):
        check_schedule(bad)
