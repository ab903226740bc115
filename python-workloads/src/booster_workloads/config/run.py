"""Where a run reads and writes: catalog, schema, volumes, tracking, seed."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class RunConfig:
    catalog: str = setting("booster_soccer", help="Unity Catalog catalog.")
    schema: str = setting("rl_models", help="Unity Catalog schema.")
    seed: int = setting(0, minimum=0, help="Seed for every random source.")
    experiment: str = setting(
        "/Shared/booster_soccer", help="MLflow experiment name (a workspace path on Databricks)."
    )
    tracking_uri: str = setting(
        "databricks",
        help="MLflow tracking URI; 'local' starts or reuses a local MLflow server (SQLite backend).",
    )
    registry_uri: str = setting(
        "databricks-uc",
        help="MLflow model registry URI; with a local tracking server the registry follows it.",
    )
    volume_root: str = setting(
        "", help="Directory standing in for /Volumes/<catalog>/<schema>; empty means that path."
    )
    local_mlflow_dir: str = setting(
        ".local/mlflow",
        help="Directory of the local MLflow server's database and artifacts (tracking URI 'local').",
    )
    wandb_project: str = setting("booster-soccer", help="Weights & Biases project.")
    wandb_mode: str = setting(
        "auto",
        choices=("auto", "online", "offline", "disabled"),
        help="W&B mode; auto is online with an API key and a reachable server, offline otherwise.",
    )
    wandb_dir: str = setting(
        ".local/wandb", help="Directory of W&B run files (offline runs are synced from here)."
    )
