"""Where a run reads and writes: catalog, schema, volumes, tracking, seed."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class RunConfig:
    catalog: str = setting("booster_soccer", help="Unity Catalog catalog.")
    schema: str = setting("rl_models", help="Unity Catalog schema.")
    seed: int = setting(0, minimum=0, help="Seed for every random source.")
    experiment: str = setting("/Shared/booster_soccer", help="MLflow experiment name (a workspace path on Databricks).")
    tracking_uri: str = setting("databricks", help="MLflow tracking URI.")
    registry_uri: str = setting("databricks-uc", help="MLflow model registry URI.")
    volume_root: str = setting("", help="Directory standing in for /Volumes/<catalog>/<schema>; empty means that path.")
