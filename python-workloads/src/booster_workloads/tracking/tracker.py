"""Dual experiment tracking: every stage run goes to MLflow and to Weights & Biases.

MLflow holds the record of the pipeline (runs, lineage tags, registered models and their aliases);
W&B mirrors params and metrics for live curves. W&B runs offline when there is no API key or no
network, and the log says how to sync later. Models are directories of plain files logged with
MLflow's "models from code" (``model_code.py``), so registering or loading one never unpickles.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
from mlflow.entities import RunStatus
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient

from booster_workloads import __version__
from booster_workloads.config.loader import config_hash
from booster_workloads.manifest import Manifest

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from booster_workloads.config import PipelineConfig

LINEAGE_TAGS = ("parent_model", "parent_alias", "training_type", "code_version", "config_hash", "stage")
MODEL_CODE = Path(__file__).with_name("model_code.py")
WANDB_HOST = ("api.wandb.ai", 443)


class ModelNotFoundError(LookupError):
    """A registered model or alias the stage needs does not exist; the message says which stage makes it."""


@dataclass(frozen=True)
class ModelVersionRef:
    name: str
    version: str
    uri: str
    run_id: str | None
    alias: str | None = None


def code_version() -> str:
    """The package version, with the git commit when running from a checkout."""
    override = os.environ.get("BOOSTER_CODE_VERSION")
    if override:
        return override
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}" if commit else __version__


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _wandb_reachable(timeout: float) -> bool:
    try:
        with socket.create_connection(WANDB_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def resolve_wandb_mode(requested: str, timeout: float = 3.0) -> tuple[str, str]:
    """The W&B mode to use and why: ``online`` needs an API key and a reachable server."""
    if requested in ("online", "offline", "disabled"):
        return requested, f"requested {requested}"
    if not os.environ.get("WANDB_API_KEY"):
        return "offline", "no WANDB_API_KEY is set"
    if not _wandb_reachable(timeout):
        return "offline", f"{WANDB_HOST[0]} is not reachable"
    return "online", "API key present and server reachable"


class StageRun:
    """One stage's run in MLflow and W&B; made by :meth:`Tracker.stage_run`."""

    def __init__(self, tracker: Tracker, run_id: str, wandb_run: Any) -> None:
        self._tracker = tracker
        self._client = tracker.client
        self.run_id = run_id
        self.wandb_run = wandb_run

    def log_params(self, params: Mapping[str, Any]) -> None:
        flat = {key: str(value)[:6000] for key, value in flatten(params).items()}
        items = list(flat.items())
        for start in range(0, len(items), 100):  # MLflow accepts at most 100 params per batch
            self._client.log_batch(
                self.run_id, params=[mlflow.entities.Param(k, v) for k, v in items[start : start + 100]]
            )
        if self.wandb_run is not None:
            self.wandb_run.config.update(flat, allow_val_change=True)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        values = {key: float(value) for key, value in metrics.items()}
        timestamp = int(datetime.now(UTC).timestamp() * 1000)
        self._client.log_batch(
            self.run_id,
            metrics=[mlflow.entities.Metric(k, v, timestamp, step or 0) for k, v in values.items()],
        )
        if self.wandb_run is not None:
            self.wandb_run.log(values, step=step)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self._client.set_tag(self.run_id, key, str(value))
        if self.wandb_run is not None:
            self.wandb_run.summary.update({f"tag/{k}": str(v) for k, v in tags.items()})

    def alert(self, title: str, text: str, level: str = "error") -> None:
        """Record an alert (GPU memory, stalled training) on the run; W&B notifies when online."""
        self._client.set_tag(self.run_id, f"alert/{title}", text[:5000])
        if self.wandb_run is not None and self._tracker.wandb_mode == "online":
            import wandb

            alert_level = wandb.AlertLevel  # type: ignore[attr-defined]
            wandb_level = alert_level.ERROR if level == "error" else alert_level.WARN
            self.wandb_run.alert(title=title, text=text, level=wandb_level)

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        local = Path(path)
        if local.is_dir():
            self._client.log_artifacts(self.run_id, str(local), artifact_path)
        else:
            self._client.log_artifact(self.run_id, str(local), artifact_path)

    def log_dict(self, data: Any, artifact_file: str) -> None:
        self._client.log_dict(self.run_id, data, artifact_file)

    def log_figure(self, figure: Figure, artifact_file: str) -> None:
        # The loggers reach pyplot as an attribute of the matplotlib module, which exists only once
        # pyplot has been imported; a stage that draws on a bare Figure need not know that.
        import matplotlib.pyplot  # noqa: F401

        self._client.log_figure(self.run_id, figure, artifact_file)
        if self.wandb_run is not None:
            import wandb

            self.wandb_run.log({Path(artifact_file).stem: wandb.Image(figure)})

    def log_model(
        self,
        model_key: str,
        files: Mapping[str, str | os.PathLike[str]],
        signature: ModelSignature,
        alias: str | None = None,
        register: bool = True,
    ) -> ModelVersionRef:
        """Log ``files`` as a model with ``signature``; register it (a milestone) and point ``alias`` at it.

        Returns the registered version, or (``register=False``) a reference to the logged model only.
        """
        if signature is None or signature.inputs is None or signature.outputs is None:
            raise ValueError(
                "a model needs a signature with inputs and outputs (Unity Catalog requires both)"
            )
        missing = [name for name, path in files.items() if not Path(path).is_file()]
        if missing:
            raise FileNotFoundError(f"cannot log model {model_key}: missing files {missing}")
        name = self._tracker.registered_name(model_key)
        if alias is not None:
            self._tracker.alias_value(alias)  # fail on an unknown alias before anything is written
        active = mlflow.active_run()
        if active is None or active.info.run_id != self.run_id:
            raise RuntimeError("log_model must be called inside its stage_run block")
        with warnings.catch_warnings():
            # The signature is given; an input example would make MLflow run the model while logging.
            warnings.filterwarnings("ignore", message=".*input example was not provided.*")
            info = mlflow.pyfunc.log_model(
                name=name.rsplit(".", 1)[-1],
                python_model=str(MODEL_CODE),
                artifacts={file_name: str(path) for file_name, path in files.items()},
                signature=signature,
                # Listed explicitly: inferring requirements would import and run the model.
                pip_requirements=[f"mlflow=={mlflow.__version__}", "numpy", "torch"],
                registered_model_name=name if register else None,
            )
        if not register:
            return ModelVersionRef(name=name, version="", uri=info.model_uri, run_id=self.run_id)
        version = str(info.registered_model_version)
        ref = ModelVersionRef(name=name, version=version, uri=f"models:/{name}/{version}", run_id=self.run_id)
        if alias is not None:
            self._tracker.set_alias(model_key, alias, version)
            ref = dataclasses.replace(ref, alias=self._tracker.alias_value(alias))
        self.set_tags({f"registered/{name}": version})
        return ref


class Tracker:
    """MLflow (tracking and registry) plus W&B for the stages of one pipeline configuration."""

    def __init__(
        self,
        config: PipelineConfig,
        manifest: Manifest,
        log: logging.Logger | None = None,
        profile: str = "full",
        tracking_uri: str | None = None,
        registry_uri: str | None = None,
        wandb_mode: str | None = None,
    ) -> None:
        self.config = config
        self.manifest = manifest
        self.profile = profile
        self.log = log or logging.getLogger(__name__)
        self.tracking_uri = tracking_uri or config.run.tracking_uri
        self.registry_uri = registry_uri or default_registry_uri(self.tracking_uri, config.run.registry_uri)
        if not sys.stderr.isatty():
            # A progress bar per download is noise in a job log.
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.registry_uri)
        self.client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.registry_uri)
        self._wandb_mode_request = wandb_mode or config.run.wandb_mode
        self._wandb_mode: str | None = None
        self.code_version = code_version()
        self.config_hash = config_hash(config)

    # ------------------------------------------------------------------------------------ names

    def registered_name(self, model_key: str) -> str:
        return self.manifest.registered_model_name(self.config.run.catalog, self.config.run.schema, model_key)

    def alias_value(self, alias: str) -> str:
        value = self.manifest.aliases.get(alias, alias)
        if value not in self.manifest.aliases.values():
            raise KeyError(f"unknown alias {alias!r}; aliases: {sorted(self.manifest.aliases.values())}")
        return value

    def model_uri(self, model_key: str, alias: str) -> str:
        return self.manifest.model_uri(self.config.run.catalog, self.config.run.schema, model_key, alias)

    # ------------------------------------------------------------------------------------- runs

    @property
    def wandb_mode(self) -> str:
        if self._wandb_mode is None:
            mode, reason = resolve_wandb_mode(self._wandb_mode_request)
            self._wandb_mode = mode
            if mode == "offline":
                wandb_dir = Path(self.config.run.wandb_dir).resolve()
                self.log.warning(
                    "W&B runs offline (%s); sync later with `wandb sync %s/wandb/offline-run-*`",
                    reason,
                    wandb_dir,
                )
            else:
                self.log.info("W&B mode %s (%s)", mode, reason)
        return self._wandb_mode

    def _experiment_id(self) -> str:
        name = self.config.run.experiment
        experiment = self.client.get_experiment_by_name(name)
        if experiment is not None:
            return str(experiment.experiment_id)
        try:
            return str(self.client.create_experiment(name))
        except MlflowException:
            # Another stage created it in the meantime.
            experiment = self.client.get_experiment_by_name(name)
            if experiment is None:
                raise
            return str(experiment.experiment_id)

    @contextlib.contextmanager
    def stage_run(
        self,
        stage: str,
        training_type: str,
        parent_model: str | None = None,
        parent_alias: str | None = None,
        extra_tags: Mapping[str, str] | None = None,
    ) -> Iterator[StageRun]:
        """An MLflow run (and W&B run) for one stage, with lineage tags and the configuration logged.

        The run ends FINISHED, or FAILED (and the exception propagates) when the block raises.
        """
        parent_name = self.registered_name(parent_model) if parent_model else ""
        tags = {
            "stage": stage,
            "training_type": training_type,
            "parent_model": parent_name,
            "parent_alias": self.alias_value(parent_alias) if parent_alias else "",
            "code_version": self.code_version,
            "config_hash": self.config_hash,
            "profile": self.profile,
            **(extra_tags or {}),
        }
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        run_name = f"{stage}__{self.profile}__seed{self.config.run.seed}__{started}"
        if mlflow.active_run() is not None:
            raise RuntimeError(
                f"cannot start the {stage} run: MLflow run {mlflow.active_run().info.run_id} is still active"  # type: ignore[union-attr]
            )
        run = mlflow.start_run(experiment_id=self._experiment_id(), run_name=run_name, tags=tags)
        run_id = run.info.run_id
        wandb_run = self._start_wandb(stage, run_name, tags)
        stage_run = StageRun(self, run_id, wandb_run)
        self.log.info("%s: MLflow run %s at %s", stage, run_id, self.tracking_uri)
        status = RunStatus.to_string(RunStatus.FAILED)
        try:
            stage_run.log_params(dataclasses.asdict(self.config))
            stage_run.log_dict(dataclasses.asdict(self.config), "config.json")
            yield stage_run
            status = RunStatus.to_string(RunStatus.FINISHED)
        except BaseException as exc:
            if not isinstance(exc, Exception):  # SIGTERM or Ctrl-C, not a failure of the stage itself
                status = RunStatus.to_string(RunStatus.KILLED)
            raise
        finally:
            mlflow.end_run(status=status)
            if wandb_run is not None:
                wandb_run.finish(exit_code=0 if status == "FINISHED" else 1)

    def _start_wandb(self, stage: str, run_name: str, tags: Mapping[str, str]) -> Any:
        mode = self.wandb_mode
        if mode == "disabled":
            return None
        import wandb

        wandb_dir = Path(self.config.run.wandb_dir)
        wandb_dir.mkdir(parents=True, exist_ok=True)
        return wandb.init(
            project=self.config.run.wandb_project,
            name=run_name,
            group=self.config_hash,
            job_type=stage,
            dir=str(wandb_dir),
            mode=mode,  # type: ignore[arg-type]
            tags=[f"{k}:{v}" for k, v in tags.items() if v][:20],
            config={"lineage": dict(tags)},
            reinit="create_new",
            settings=wandb.Settings(quiet=True, console="off"),
        )

    # ---------------------------------------------------------------------------------- registry

    def get_alias_version(self, model_key: str, alias: str) -> ModelVersionRef | None:
        name = self.registered_name(model_key)
        alias_value = self.alias_value(alias)
        try:
            version = self.client.get_model_version_by_alias(name, alias_value)
        except MlflowException as exc:
            if _is_not_found(exc):
                return None
            raise
        return ModelVersionRef(
            name=name,
            version=str(version.version),
            uri=f"models:/{name}/{version.version}",
            run_id=version.run_id,
            alias=alias_value,
        )

    def set_alias(self, model_key: str, alias: str, version: str | int) -> None:
        name = self.registered_name(model_key)
        alias_value = self.alias_value(alias)
        self.client.set_registered_model_alias(name, alias_value, str(version))
        self.log.info("alias %s of %s now points at version %s", alias_value, name, version)

    def download_model(
        self, model_key: str, alias: str, destination: str | os.PathLike[str] | None = None
    ) -> tuple[ModelVersionRef, Path]:
        """Download the model version behind ``models:/<catalog>.<schema>.<name>@<alias>``.

        Returns the version and the directory holding the model's plain files.

        Raises:
            ModelNotFoundError: no such model or alias (the message names the stage that makes it).
        """
        ref = self.get_alias_version(model_key, alias)
        if ref is None:
            uri = self.model_uri(model_key, alias)
            raise ModelNotFoundError(
                f"{uri} does not exist in the registry at {self.registry_uri}; run the stage that registers "
                f"{self.registered_name(model_key)} first (see `booster-pipeline --help`)"
            )
        target = Path(destination) if destination else Path(tempfile.mkdtemp(prefix="model-"))
        # Download by version, not alias, so a concurrent alias move cannot mix two versions.
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=ref.uri, dst_path=str(target)))
        files = local / "artifacts"
        if not files.is_dir():
            raise ModelNotFoundError(
                f"{ref.uri} holds no model files (no artifacts/ directory); re-register it"
            )
        self.log.info(
            "downloaded %s (version %s) to %s", self.model_uri(model_key, alias), ref.version, files
        )
        return ref, files


def _is_not_found(exc: MlflowException) -> bool:
    code = getattr(exc, "error_code", "")
    return (
        code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE")
        or "not found" in str(exc).lower()
    )


def default_registry_uri(tracking_uri: str, registry_uri: str) -> str:
    """Unity Catalog's registry only exists on Databricks; elsewhere the registry follows tracking."""
    if registry_uri.startswith("databricks") and not tracking_uri.startswith("databricks"):
        return tracking_uri
    return registry_uri
