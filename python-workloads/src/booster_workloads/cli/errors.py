"""The one error formatter: a failure becomes one line on stderr and an exit code.

``BOOSTER_TRACEBACK=1`` prints the full traceback as well.
"""

from __future__ import annotations

import os
import sys
import traceback

from booster_workloads.checkpoints import CheckpointError
from booster_workloads.config import ConfigError
from booster_workloads.stages import StageFailedError, StageNotImplementedError

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_IMPLEMENTED = 3
EXIT_INTERRUPTED = 130
TRACEBACK_VARIABLE = "BOOSTER_TRACEBACK"
# Errors whose message already says what to do; matched by name so that printing help does not
# import MLflow.
_SELF_EXPLAINING = {"ModelNotFoundError", "LocalServerError"}


def one_line(message: str) -> str:
    """The first non-empty line; the rest is in the traceback."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[0] + (" [...]" if len(lines) > 1 else "")


def _is(exc: BaseException, class_name: str) -> bool:
    """Click's exception classes by name: typer ships its own copy of click next to the real one."""
    return any(cls.__name__ == class_name and "click" in cls.__module__ for cls in type(exc).__mro__)


def report(exc: BaseException, prog_name: str) -> int:
    """Print ``exc`` as one line and return the exit code it deserves."""
    hint = f" (set {TRACEBACK_VARIABLE}=1 for the traceback)"
    if _is(exc, "Exit"):
        return int(getattr(exc, "exit_code", 0))
    if _is(exc, "Abort") or isinstance(exc, KeyboardInterrupt):
        _emit(f"{prog_name}: interrupted")
        return EXIT_INTERRUPTED
    if _is(exc, "UsageError"):
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else prog_name
        _emit(f"{command}: {one_line(exc.format_message())} (see {command} --help)")  # type: ignore[attr-defined]
        return EXIT_USAGE
    _maybe_traceback(exc)
    if isinstance(exc, ConfigError):
        _emit(f"{prog_name}: invalid configuration: {one_line(str(exc))}")
        return EXIT_USAGE
    if _is(exc, "ClickException"):
        _emit(f"{prog_name}: {one_line(exc.format_message())}")  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", EXIT_FAILURE)) or EXIT_FAILURE
    if isinstance(exc, StageNotImplementedError):
        _emit(f"{prog_name}: {one_line(str(exc))}")
        return EXIT_NOT_IMPLEMENTED
    if isinstance(exc, CheckpointError | StageFailedError) or type(exc).__name__ in _SELF_EXPLAINING:
        _emit(f"{prog_name}: {one_line(str(exc))}")
        return EXIT_FAILURE
    _emit(
        f"{prog_name}: {type(exc).__name__}: {one_line(str(exc)) or 'no message'}"
        + ("" if _traceback_wanted() else hint)
    )
    return EXIT_FAILURE


def _traceback_wanted() -> bool:
    return os.environ.get(TRACEBACK_VARIABLE, "").lower() in {"1", "true", "yes"}


def _maybe_traceback(exc: BaseException) -> None:
    if _traceback_wanted():
        traceback.print_exception(exc, file=sys.stderr)


def _emit(line: str) -> None:
    print(f"error: {line}", file=sys.stderr)
