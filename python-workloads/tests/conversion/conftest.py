"""Writing SAC actor exports in the documented format (docs/architecture.md) with known weights."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS

HIDDEN = (256, 256)
WriteExport = Callable[..., dict[str, np.ndarray]]


def write_sac_export(
    directory: Path,
    *,
    seed: int = 0,
    observation_size: int = OBSERVATION_SIZE,
    normalizer_from: np.ndarray | None = None,
    last_width: int = 24,
) -> dict[str, np.ndarray]:
    """An export with seeded LeCun-scaled weights; the normaliser from real observations if given."""
    rng = np.random.default_rng(seed)
    widths = [observation_size, *HIDDEN, last_width]
    tensors: dict[str, np.ndarray] = {}
    for i in range(3):
        kernel = rng.normal(size=(widths[i], widths[i + 1])) / np.sqrt(widths[i])
        tensors[f"layers.{i}.kernel"] = kernel.astype(np.float32)
        tensors[f"layers.{i}.bias"] = (0.1 * rng.normal(size=widths[i + 1])).astype(np.float32)
    if normalizer_from is not None:
        tensors["normalizer.mean"] = normalizer_from.mean(axis=0).astype(np.float32)
        tensors["normalizer.std"] = np.maximum(normalizer_from.std(axis=0), 1e-2).astype(np.float32)
    directory.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(directory / "actor.safetensors"))
    spec = {
        "observation_size": observation_size,
        "hidden_sizes": list(HIDDEN),
        "action_size": 12,
        "normalize_observations": normalizer_from is not None,
        "tasks": list(TASKS),
        "env_steps": 1234,
    }
    (directory / "actor_spec.json").write_text(json.dumps(spec))
    return tensors


@pytest.fixture
def write_export() -> WriteExport:
    return write_sac_export
