"""Console scripts: ``booster-pipeline`` and the per-task entry points ``booster-<stage>``."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

import typer

from booster_workloads.cli.errors import report

EXIT_TERMINATED = 143


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Unwinding (rather than dying) lets the open MLflow run end as KILLED and temporary files go.
    raise SystemExit(EXIT_TERMINATED)


def install_termination_handler() -> None:
    """Turn SIGTERM (a cancelled or preempted Databricks task) into an orderly exit."""
    signal.signal(signal.SIGTERM, _terminate)


def main(argv: Sequence[str] | None = None, prog_name: str = "booster-pipeline") -> int:
    """Run ``booster-pipeline``; returns the exit code (failures are one line on stderr)."""
    from booster_workloads.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None:
        install_termination_handler()
    try:
        # Without standalone mode click returns an Exit's code instead of raising it.
        result = typer.main.get_command(app).main(args=args, prog_name=prog_name, standalone_mode=False)
    except BaseException as exc:  # the one place every failure is turned into a line and an exit code
        if isinstance(exc, SystemExit):
            return int(exc.code or 0) if not isinstance(exc.code, str) else 1
        return report(exc, prog_name)
    return result if isinstance(result, int) else 0


def _stage_entry(stage: str) -> int:
    """``booster-<stage> ARGS`` is ``booster-pipeline <stage> ARGS`` (the Databricks wheel entry points)."""
    install_termination_handler()
    return main([stage, *sys.argv[1:]], prog_name=f"booster-{stage}")


def setup_entry() -> int:
    return _stage_entry("setup")


def pretrain_entry() -> int:
    return _stage_entry("pretrain")


def convert_entry() -> int:
    return _stage_entry("convert")


def finetune_entry() -> int:
    return _stage_entry("finetune")


def submit_entry() -> int:
    return _stage_entry("submit")


__all__ = ["convert_entry", "finetune_entry", "main", "pretrain_entry", "setup_entry", "submit_entry"]
