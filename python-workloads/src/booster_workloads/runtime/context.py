"""What every stage receives: configuration, manifest, volume paths, tracker and logger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from booster_workloads.config import PipelineConfig
from booster_workloads.manifest import Manifest

if TYPE_CHECKING:
    from booster_workloads.tracking import Tracker


@dataclass(frozen=True)
class VolumePaths:
    """The Unity Catalog volumes of the schema, or their stand-ins under ``--volume-root``.

    On Databricks a volume is ``/Volumes/<catalog>/<schema>/<volume>``; locally ``root`` replaces
    ``/Volumes/<catalog>/<schema>``. Volume names come from the manifest.
    """

    root: Path
    checkpoints: Path
    artifacts: Path
    scripts: Path

    @classmethod
    def from_config(cls, config: PipelineConfig, manifest: Manifest) -> VolumePaths:
        run = config.run
        root = (
            Path(run.volume_root).expanduser().resolve()
            if run.volume_root
            else Path("/Volumes") / run.catalog / run.schema
        )
        volumes = manifest.volumes
        return cls(
            root=root,
            checkpoints=root / volumes["checkpoints"],
            artifacts=root / volumes["artifacts"],
            scripts=root / volumes["scripts"],
        )

    @property
    def is_unity_catalog(self) -> bool:
        return self.root.parts[:2] == ("/", "Volumes")

    def all(self) -> dict[str, Path]:
        return {"checkpoints": self.checkpoints, "artifacts": self.artifacts, "scripts": self.scripts}

    def stage_checkpoints(self, stage: str) -> Path:
        """``checkpoints/<stage>``: one stage's checkpoint directory."""
        return self.checkpoints / stage

    def create_local(self) -> None:
        """Create the stand-in directories; Unity Catalog volumes are created by the infrastructure."""
        if self.is_unity_catalog:
            return
        for path in self.all().values():
            path.mkdir(parents=True, exist_ok=True)


@dataclass
class StageContext:
    config: PipelineConfig
    manifest: Manifest
    volumes: VolumePaths
    tracker: Tracker
    log: logging.Logger
    profile: str = "full"
