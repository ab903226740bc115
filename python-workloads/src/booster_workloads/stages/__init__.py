"""The pipeline's stages, one module per task key of the manifest, each with ``run(ctx)``.

The order and the keys come from ``pipeline_manifest.json``; a stage module that does not exist yet,
or that raises :class:`StageNotImplementedError`, makes the command fail with a clear message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from booster_workloads.manifest import load_manifest

if TYPE_CHECKING:
    from booster_workloads.runtime import StageContext

StageFunction = Callable[["StageContext"], None]


class StageNotImplementedError(NotImplementedError):
    """The stage's algorithm has not landed; nothing was run."""


class StageFailedError(RuntimeError):
    """A stage found a problem it cannot continue with; the message is one line saying what and how to fix it."""


def stage_keys() -> tuple[str, ...]:
    """The stages in pipeline order (the manifest's task order)."""
    return load_manifest().task_keys


def load_stage(key: str) -> StageFunction:
    """The ``run`` function of stage ``key``."""
    if key not in stage_keys():
        raise KeyError(f"unknown stage {key!r}; stages: {', '.join(stage_keys())}")
    module_name = f"{__name__}.{key}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise StageNotImplementedError(
            f"stage {key!r} is not implemented yet ({module_name} does not exist); nothing was run"
        ) from None
    run = getattr(module, "run", None)
    if not callable(run):
        raise StageNotImplementedError(
            f"stage {key!r} is not implemented yet ({module_name} has no run(ctx))"
        )
    return run  # type: ignore[no-any-return]
