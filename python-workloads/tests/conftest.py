"""Fixtures shared by every test of the workloads.

``mlflow_server`` starts one real ``mlflow server`` (SQLite backend, artifacts on disk) on a free
loopback port for the whole test session; ``make_config`` and ``make_tracker`` point a toy-profile
configuration and a :class:`~booster_workloads.tracking.Tracker` at it, each test in its own
experiment and with W&B in offline mode (no key and no network here).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "false")


@pytest.fixture(scope="session")
def local_mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real MLflow tracking server with a SQLite backend (registry and aliases work) for the session."""
    from booster_workloads.tracking.local_server import ensure_local_server, stop_local_server

    directory = tmp_path_factory.mktemp("mlflow-server")
    # Two shared cores make a cold start take about a minute.
    server = ensure_local_server(directory, startup_timeout=300)
    try:
        yield server
    finally:
        stop_local_server(directory)


@pytest.fixture(scope="session")
def mlflow_server(local_mlflow_server: Any) -> str:
    """The URI of the session's real MLflow tracking server."""
    return str(local_mlflow_server.uri)


@pytest.fixture
def volume_root(tmp_path: Path) -> Path:
    """A local directory standing in for /Volumes/<catalog>/<schema>."""
    root = tmp_path / "volumes"
    root.mkdir()
    return root


@pytest.fixture
def make_config(tmp_path: Path, volume_root: Path) -> Callable[..., Any]:
    """``make_config(tracking_uri, **{"section.field": value})``: a toy configuration for one test."""
    from booster_workloads.config import load_config

    def build(tracking_uri: str = "", **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "run.volume_root": str(volume_root),
            "run.experiment": f"test-{uuid.uuid4().hex[:8]}",
            "run.wandb_mode": "offline",
            "run.wandb_dir": str(tmp_path / "wandb"),
        }
        if tracking_uri:
            values["run.tracking_uri"] = tracking_uri
            values["run.registry_uri"] = tracking_uri
        values.update(overrides)
        return load_config("toy", overrides=values)

    return build


@pytest.fixture
def make_tracker(mlflow_server: str, make_config: Callable[..., Any]) -> Callable[..., Any]:
    """``make_tracker(**overrides)``: a Tracker on the session's MLflow server, W&B offline."""
    import logging

    from booster_workloads.manifest import load_manifest
    from booster_workloads.tracking import Tracker

    def build(**overrides: Any) -> Any:
        config = make_config(mlflow_server, **overrides)
        return Tracker(config, load_manifest(), log=logging.getLogger("test.tracking"), profile="toy")

    return build
