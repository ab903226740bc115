"""Shared pieces of the SAC tests: a trainer on the point-mass test fixture."""

from __future__ import annotations

import pytest
from sac_fixture_env import PointMassFixtureEnv, tiny_config

from booster_workloads.sac.training import SACTrainer


@pytest.fixture(scope="module")
def tiny_trainer() -> SACTrainer:
    return SACTrainer(PointMassFixtureEnv(), tiny_config())
