"""Running stages: build the context once, check every requested stage exists, run them in order."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from booster_workloads.config import PipelineConfig
from booster_workloads.manifest import Manifest, load_manifest
from booster_workloads.runtime.compilation_cache import enable_compilation_cache
from booster_workloads.runtime.context import StageContext, VolumePaths
from booster_workloads.stages import load_stage

LOCAL_TRACKING = "local"


def apply_runtime_environment(manifest: Manifest) -> None:
    """The manifest's JAX memory settings, unless the cluster already set them (before JAX is imported)."""
    for name, value in manifest.gpu_environment.items():
        if name.startswith("XLA_"):
            os.environ.setdefault(name, value)


def resolve_tracking_uri(config: PipelineConfig, log: logging.Logger) -> str:
    """``local`` becomes the URI of the reused or newly started local server."""
    if config.run.tracking_uri != LOCAL_TRACKING:
        return config.run.tracking_uri
    from booster_workloads.tracking.local_server import ensure_local_server

    return ensure_local_server(Path(config.run.local_mlflow_dir), log=log).uri


def build_context(config: PipelineConfig, profile: str, log: logging.Logger) -> StageContext:
    from booster_workloads.tracking import Tracker

    manifest = load_manifest()
    apply_runtime_environment(manifest)
    enable_compilation_cache(log)
    tracking_uri = resolve_tracking_uri(config, log)
    registry_uri = tracking_uri if config.run.tracking_uri == LOCAL_TRACKING else None
    tracker = Tracker(
        config, manifest, log=log, profile=profile, tracking_uri=tracking_uri, registry_uri=registry_uri
    )
    volumes = VolumePaths.from_config(config, manifest)
    volumes.create_local()
    return StageContext(
        config=config, manifest=manifest, volumes=volumes, tracker=tracker, log=log, profile=profile
    )


def run_stages(keys: Sequence[str], config: PipelineConfig, profile: str, log: logging.Logger) -> None:
    # Resolve every stage first: a missing one fails before hours are spent on the others.
    functions = [(key, load_stage(key)) for key in keys]
    context = build_context(config, profile, log)
    for key, function in functions:
        started = time.monotonic()
        log.info("stage %s: starting (profile %s)", key, profile)
        function(dataclasses.replace(context, log=log.getChild(key)))
        log.info("stage %s: done in %.1f s", key, time.monotonic() - started)
