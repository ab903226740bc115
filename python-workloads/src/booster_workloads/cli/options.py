"""The options every stage command shares, and how they map onto configuration fields.

The task parameters (names from the manifest) are spelled exactly as Databricks passes them,
``--num_envs=2048``; the dashed spelling ``--num-envs`` is accepted too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import typer

from booster_workloads.config import PROFILES, PipelineConfig, load_config
from booster_workloads.config.loader import describe_field
from booster_workloads.manifest import load_manifest

# Task parameters and common options that set a configuration field.
PARAMETER_FIELDS: dict[str, str] = {
    "catalog": "run.catalog",
    "schema": "run.schema",
    "seed": "run.seed",
    "experiment": "run.experiment",
    "pretrain_steps": "pretrain.total_env_steps",
    "num_envs": "pretrain.num_envs",
    "finetune_steps": "finetune.total_env_steps",
    "tracking_uri": "run.tracking_uri",
    "registry_uri": "run.registry_uri",
    "volume_root": "run.volume_root",
}
# Options with a meaning of their own rather than one field.
SPECIAL_PARAMETERS = ("profile", "config")
# Spelled with dashes only: they are not job parameters, so no Databricks spelling to match.
COMMON_OPTIONS = (
    "profile",
    "config",
    "tracking_uri",
    "registry_uri",
    "volume_root",
    "catalog",
    "schema",
    "seed",
    "experiment",
)

_METAVARS = {
    "profile": "|".join(PROFILES),
    "config": "FILE",
    "tracking_uri": "URI",
    "registry_uri": "URI",
    "volume_root": "DIR",
    "seed": "INT",
    "pretrain_steps": "INT",
    "num_envs": "INT",
    "finetune_steps": "INT",
}


@dataclass(frozen=True)
class CommonOptions:
    profile: str
    config_file: str | None
    overrides: dict[str, str]

    def load(self) -> PipelineConfig:
        return load_config(self.profile, self.config_file, self.overrides)


def flags(name: str) -> tuple[str, ...]:
    """``--num_envs`` and ``--num-envs`` for a job parameter; dashes only for the other options."""
    dashed = "--" + name.replace("_", "-")
    if name in load_manifest().parameters and "_" in name:
        return (f"--{name}", dashed)
    return (dashed,)


def option_help(name: str) -> str:
    if name == "profile":
        return f"Configuration profile: {', '.join(PROFILES)} (full = the spec's values, toy = minutes on a laptop CPU)."
    if name == "config":
        return "TOML or YAML file of [section] field = value, applied over the profile; options override it."
    manifest = load_manifest()
    field_help, _, note = describe_field(PipelineConfig, PARAMETER_FIELDS[name]).rpartition(" [")
    text = manifest.parameters[name].description if name in manifest.parameters else field_help
    return f"{text} [{note}"


def option_names_for(task_keys: Iterable[str]) -> list[str]:
    """The common options plus the manifest parameters of the given tasks, in a stable order."""
    manifest = load_manifest()
    names = list(COMMON_OPTIONS)
    for key in task_keys:
        for parameter in manifest.task(key).parameters:
            if parameter not in names:
                names.append(parameter)
    return names


def with_options(names: list[str], body: Callable[[CommonOptions], None]) -> Callable[..., None]:
    """A function whose keyword parameters are the typer options ``names``, calling ``body``."""

    def command(**values: Any) -> None:
        body(to_common_options(values))

    parameters = []
    for name in names:
        default: Any = load_manifest().parameters["profile"].default if name == "profile" else None
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(
                    default,
                    *flags(name),
                    help=option_help(name),
                    metavar=_METAVARS.get(name, "NAME"),
                    show_default=name == "profile",
                ),
                annotation=str if name == "profile" else str | None,
            )
        )
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return command


def to_common_options(values: Mapping[str, Any]) -> CommonOptions:
    overrides = {
        PARAMETER_FIELDS[name]: value
        for name, value in values.items()
        if name in PARAMETER_FIELDS and value is not None
    }
    return CommonOptions(
        profile=values.get("profile") or "full", config_file=values.get("config"), overrides=overrides
    )
