"""The pipeline configuration: one frozen dataclass per section, ``full`` and ``toy`` profiles.

A section is added by importing its dataclass here and giving ``PipelineConfig`` a field for it; the
loader, the validation and the command-line help pick it up from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from booster_workloads.config.convert import ConvertConfig
from booster_workloads.config.environment import EnvironmentConfig
from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.config.loader import PROFILES, ConfigError, build_config, config_hash, read_config_file
from booster_workloads.config.monitoring import MonitoringConfig
from booster_workloads.config.pretrain import PretrainConfig
from booster_workloads.config.run import RunConfig
from booster_workloads.config.setup import SetupConfig
from booster_workloads.config.submit import SubmitConfig


@dataclass(frozen=True)
class PipelineConfig:
    run: RunConfig = field(default_factory=RunConfig)
    setup: SetupConfig = field(default_factory=SetupConfig)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    convert: ConvertConfig = field(default_factory=ConvertConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    submit: SubmitConfig = field(default_factory=SubmitConfig)


def load_config(
    profile: str = "full",
    config_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> PipelineConfig:
    """The validated configuration: profile, then ``config_file``, then ``section.field`` overrides.

    Raises:
        ConfigError: one line naming the field, the value and what is allowed.
    """
    file_values = read_config_file(config_file) if config_file else None
    return build_config(PipelineConfig, profile, file_values, overrides)


__all__ = [
    "PROFILES",
    "ConfigError",
    "ConvertConfig",
    "EnvironmentConfig",
    "FinetuneConfig",
    "MonitoringConfig",
    "PipelineConfig",
    "PretrainConfig",
    "RunConfig",
    "SetupConfig",
    "SubmitConfig",
    "config_hash",
    "load_config",
]
