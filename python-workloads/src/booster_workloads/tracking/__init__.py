"""Experiment tracking: MLflow (runs, lineage, registry, aliases) and Weights & Biases."""

from booster_workloads.tracking.local_server import ensure_local_server, stop_local_server
from booster_workloads.tracking.tracker import (
    LINEAGE_TAGS,
    ModelNotFoundError,
    ModelVersionRef,
    StageRun,
    Tracker,
    code_version,
    default_registry_uri,
    resolve_wandb_mode,
)

__all__ = [
    "LINEAGE_TAGS",
    "ModelNotFoundError",
    "ModelVersionRef",
    "StageRun",
    "Tracker",
    "code_version",
    "default_registry_uri",
    "ensure_local_server",
    "resolve_wandb_mode",
    "stop_local_server",
]
