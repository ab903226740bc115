"""The MLflow signature every actor model is registered with (Unity Catalog requires one)."""

from __future__ import annotations

import numpy as np
from mlflow.models import ModelSignature
from mlflow.types.schema import Schema, TensorSpec

from booster_workloads.soccer.actions import ACTION_SIZE


def actor_signature(observation_size: int, action_size: int = ACTION_SIZE) -> ModelSignature:
    """Float32 observations (n, observation_size) in; float32 actions (n, action_size) out."""
    return ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, observation_size), "observation")]),
        outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, action_size), "action")]),
    )
