"""Declaring configuration fields: default (the spec's value), toy value, bounds and help in one place.

Every section of the pipeline configuration is a frozen dataclass whose fields are made with
:func:`setting`. The loader (``booster_workloads.config``) reads the metadata to build the ``toy``
profile, to validate values and to print help, so a field's rules live next to its default.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, field
from typing import Any

_UNSET: Any = object()


def setting(
    default: Any,
    *,
    help: str,
    toy: Any = _UNSET,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    choices: tuple[Any, ...] | None = None,
) -> Any:
    """A configuration field.

    Args:
        default: the value of the ``full`` profile (the spec's number where the spec gives one).
        help: one line shown in ``--help`` and in validation errors.
        toy: the value of the ``toy`` profile, when it differs from ``default``.
        minimum, maximum: inclusive numeric bounds (``exclusive_minimum`` makes the minimum strict).
        choices: the allowed values.
    """
    metadata = {
        "help": help,
        "toy": toy,
        "minimum": minimum,
        "maximum": maximum,
        "exclusive_minimum": exclusive_minimum,
        "choices": choices,
    }
    if isinstance(default, list | dict | set):
        raise TypeError("use tuples or frozen dataclasses for sequence defaults; configuration is immutable")
    return field(default=default, metadata=metadata)


def has_toy_value(f: Field[Any]) -> bool:
    return f.metadata.get("toy", _UNSET) is not _UNSET


def field_default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    raise TypeError(f"configuration field {f.name} has no default")
