"""The pipeline configuration: one frozen dataclass per section, ``full`` and ``toy`` profiles."""

from __future__ import annotations

from dataclasses import dataclass, field

from booster_workloads.config.convert import ConvertConfig
from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.config.pretrain import PretrainConfig
from booster_workloads.config.run import RunConfig
from booster_workloads.config.submit import SubmitConfig


@dataclass(frozen=True)
class PipelineConfig:
    run: RunConfig = field(default_factory=RunConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    convert: ConvertConfig = field(default_factory=ConvertConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    submit: SubmitConfig = field(default_factory=SubmitConfig)


__all__ = ["ConvertConfig", "FinetuneConfig", "PipelineConfig", "PretrainConfig", "RunConfig", "SubmitConfig"]
