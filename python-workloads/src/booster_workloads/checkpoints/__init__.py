"""Crash-safe checkpoints: staged locally, copied in, committed with a checksum marker written last."""

from booster_workloads.checkpoints.manager import (
    COMMIT_FILE,
    CheckpointError,
    CheckpointInfo,
    CheckpointManager,
    ConcurrentWriterError,
    RestoredCheckpoint,
    step_directory_name,
)

__all__ = [
    "COMMIT_FILE",
    "CheckpointError",
    "CheckpointInfo",
    "CheckpointManager",
    "ConcurrentWriterError",
    "RestoredCheckpoint",
    "step_directory_name",
]
