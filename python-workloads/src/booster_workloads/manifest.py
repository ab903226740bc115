"""Typed view of ``pipeline_manifest.json``, the names shared with the Databricks job.

The TypeScript stacks read the same file, so a task key, entry point, parameter, volume, model or
alias is spelled exactly once in the repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

ComputeKind = Literal["cpu", "gpu"]


@dataclass(frozen=True)
class Parameter:
    name: str
    default: str
    description: str

    @property
    def flag(self) -> str:
        """The command-line flag; Databricks passes named parameters as ``--name=value``."""
        return f"--{self.name}"


@dataclass(frozen=True)
class Task:
    key: str
    entry_point: str
    compute: ComputeKind
    depends_on: tuple[str, ...]
    timeout_seconds: int
    max_retries: int
    retry_on_timeout: bool
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class Secret:
    env: str
    key: str


@dataclass(frozen=True)
class Manifest:
    distribution: str
    module: str
    console_script: str
    job_name: str
    parameters: dict[str, Parameter]
    tasks: tuple[Task, ...]
    volumes: dict[str, str]
    models: dict[str, str]
    aliases: dict[str, str]
    gpu_environment: dict[str, str]
    secrets: dict[str, Secret]

    def task(self, key: str) -> Task:
        for task in self.tasks:
            if task.key == key:
                return task
        raise KeyError(f"no task {key!r} in the pipeline manifest; tasks: {[t.key for t in self.tasks]}")

    @property
    def task_keys(self) -> tuple[str, ...]:
        return tuple(task.key for task in self.tasks)

    def registered_model_name(self, catalog: str, schema: str, model: str) -> str:
        """Three-level Unity Catalog name of a model key (``pretrained_sac``) or model name."""
        name = self.models.get(model, model)
        if name not in self.models.values():
            raise KeyError(f"unknown model {model!r}; models: {sorted(self.models.values())}")
        return f"{catalog}.{schema}.{name}"

    def model_uri(self, catalog: str, schema: str, model: str, alias: str) -> str:
        alias_value = self.aliases.get(alias, alias)
        if alias_value not in self.aliases.values():
            raise KeyError(f"unknown alias {alias!r}; aliases: {sorted(self.aliases.values())}")
        return f"models:/{self.registered_model_name(catalog, schema, model)}@{alias_value}"


def _parse(raw: dict[str, Any]) -> Manifest:
    package = raw["package"]
    return Manifest(
        distribution=package["distribution"],
        module=package["module"],
        console_script=package["console_script"],
        job_name=raw["job"]["name"],
        parameters={
            name: Parameter(name=name, default=spec["default"], description=spec["description"])
            for name, spec in raw["parameters"].items()
        },
        tasks=tuple(
            Task(
                key=t["key"],
                entry_point=t["entry_point"],
                compute=t["compute"],
                depends_on=tuple(t["depends_on"]),
                timeout_seconds=int(t["timeout_seconds"]),
                max_retries=int(t["max_retries"]),
                retry_on_timeout=bool(t["retry_on_timeout"]),
                parameters=tuple(t["parameters"]),
            )
            for t in raw["tasks"]
        ),
        volumes=dict(raw["volumes"]),
        models=dict(raw["models"]),
        aliases=dict(raw["aliases"]),
        gpu_environment=dict(raw["gpu_environment"]),
        secrets={name: Secret(env=s["env"], key=s["key"]) for name, s in raw["secrets"].items()},
    )


@cache
def load_manifest() -> Manifest:
    text = resources.files(__package__).joinpath("pipeline_manifest.json").read_text(encoding="utf-8")
    return _parse(json.loads(text))
