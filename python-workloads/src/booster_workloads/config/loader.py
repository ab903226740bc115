"""Building a validated :class:`PipelineConfig` from a profile, a config file and command-line values.

Precedence, lowest first: the profile (``full`` = the declared defaults, ``toy`` = the ``toy=`` values),
then ``--config FILE`` (TOML or YAML, ``[section] field = value``), then ``section.field`` overrides
from the command line. Every value is converted and checked against its field's declared type,
bounds and choices; the first bad one raises :class:`ConfigError` with a one-line message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from booster_workloads.config.fields import field_default, has_toy_value

PROFILES: tuple[str, ...] = ("full", "toy")

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value or file is not acceptable; ``str()`` is one line naming field, value and rule."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def section_types(config_type: type[Any]) -> dict[str, type[Any]]:
    """The section dataclasses of a pipeline configuration, by section name."""
    hints = typing.get_type_hints(config_type)
    return {f.name: hints[f.name] for f in dataclasses.fields(config_type)}


def _describe_allowed(f: dataclasses.Field[Any], kind: Any) -> str:
    meta = f.metadata
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    parts = [_type_name(kind)]
    if meta.get("minimum") is not None:
        parts.append(("> " if meta.get("exclusive_minimum") else ">= ") + repr(meta["minimum"]))
    if meta.get("maximum") is not None:
        parts.append("<= " + repr(meta["maximum"]))
    return " ".join(parts[:1]) + ((" " + " and ".join(parts[1:])) if len(parts) > 1 else "")


def _type_name(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if origin is tuple:
        args = typing.get_args(kind)
        return f"a list of {_type_name(args[0])}" if args else "a list"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(kind, str(kind))


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _convert(value: Any, kind: Any) -> Any:
    """Convert ``value`` (from TOML/YAML or a command-line string) to ``kind``; raise ValueError if not."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in typing.get_args(kind) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in {"none", "null"}):
            return None
        return _convert(value, present[0])
    if origin is tuple:
        args = typing.get_args(kind)
        element = args[0] if args else str
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError
        return tuple(_convert(item, element) for item in value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError
    if kind is int:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                number = float(text)  # "1e7" is how people write ten million
                if not number.is_integer():
                    raise
                return int(number)
        raise ValueError
    if kind is float:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise ValueError
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ValueError
    return value


def _check(section: str, f: dataclasses.Field[Any], kind: Any, raw: Any) -> Any:
    name = f"{section}.{f.name}"
    allowed = _describe_allowed(f, kind)
    try:
        value = _convert(raw, kind)
    except (ValueError, TypeError):
        raise ConfigError(f"{name}: {raw!r} is not allowed; expected {allowed}", name) from None
    meta = f.metadata
    if meta.get("choices") and value not in meta["choices"]:
        raise ConfigError(f"{name}: {raw!r} is not allowed; expected {allowed}", name)
    numbers = value if isinstance(value, tuple) else (value,)
    for number in numbers:
        if not isinstance(number, int | float) or isinstance(number, bool):
            continue
        minimum, maximum = meta.get("minimum"), meta.get("maximum")
        too_small = minimum is not None and (
            number <= minimum if meta.get("exclusive_minimum") else number < minimum
        )
        too_large = maximum is not None and number > maximum
        if too_small or too_large:
            raise ConfigError(f"{name}: {raw!r} is not allowed; expected {allowed}", name)
    return value


def _build_section(section: str, section_type: type[T], profile: str, values: Mapping[str, Any]) -> T:
    hints = typing.get_type_hints(section_type)
    known = {f.name: f for f in dataclasses.fields(section_type)}  # type: ignore[arg-type]
    for key in values:
        if key not in known:
            raise ConfigError(
                f"{section}.{key}: unknown field; fields of [{section}]: {', '.join(sorted(known))}",
                f"{section}.{key}",
            )
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        if name in values:
            kwargs[name] = _check(section, f, hints[name], values[name])
        elif profile == "toy" and has_toy_value(f):
            kwargs[name] = f.metadata["toy"]
        else:
            kwargs[name] = field_default(f)
    return section_type(**kwargs)


def read_config_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """Parse a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file into ``{section: {field: value}}``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"--config {file}: cannot read it ({exc.strerror or exc}); give an existing TOML or YAML file"
        ) from None
    try:
        if file.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif file.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"--config {file}: unknown format {file.suffix!r}; use .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"--config {file}: not valid {file.suffix[1:].upper()}: {first_line}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"--config {file}: expected sections (tables) at the top level, got {type(data).__name__}"
        )
    for section, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(
                f"--config {file}: {section!r} must be a section of fields like [{section}] name = value",
                str(section),
            )
    return {str(k): dict(v) for k, v in data.items()}


def build_config(
    config_type: type[T],
    profile: str = "full",
    file_values: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """The validated configuration for a profile, a parsed config file and ``section.field`` overrides."""
    if profile not in PROFILES:
        raise ConfigError(
            f"--profile: {profile!r} is not allowed; expected one of {', '.join(PROFILES)}", "profile"
        )
    sections = section_types(config_type)
    merged: dict[str, dict[str, Any]] = {name: {} for name in sections}
    for section, values in (file_values or {}).items():
        if section not in sections:
            raise ConfigError(f"{section}: unknown section; sections: {', '.join(sections)}", section)
        merged[section].update(values)
    for dotted, value in (overrides or {}).items():
        section, _, name = dotted.partition(".")
        if section not in sections or not name:
            raise ConfigError(
                f"{dotted}: unknown setting; use section.field with a section among {', '.join(sections)}",
                dotted,
            )
        merged[section][name] = value
    return config_type(
        **{name: _build_section(name, kind, profile, merged[name]) for name, kind in sections.items()}
    )


def config_to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


# Where a run writes and reads does not change what it trains.
_LOCATION_FIELDS = {
    "tracking_uri",
    "registry_uri",
    "volume_root",
    "experiment",
    "local_mlflow_dir",
    "wandb_mode",
}


def config_hash(config: Any) -> str:
    """A short stable hash of everything that shapes training (locations excluded), for lineage tags."""
    data = config_to_dict(config)
    if "run" in data:
        data["run"] = {k: v for k, v in data["run"].items() if k not in _LOCATION_FIELDS}
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def describe_field(config_type: type[Any], dotted: str) -> str:
    """``help (full: X, toy: Y)`` for a field, used to write command-line help from the declarations."""
    section, _, name = dotted.partition(".")
    section_type = section_types(config_type)[section]
    f = {f.name: f for f in dataclasses.fields(section_type)}[name]
    full = field_default(f)
    toy = f.metadata["toy"] if has_toy_value(f) else full
    defaults = f"default {full}" if toy == full else f"full profile {full}, toy {toy}"
    return f"{f.metadata['help']} [{dotted}; {defaults}]"
