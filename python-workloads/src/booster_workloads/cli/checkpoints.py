"""``booster-pipeline checkpoints list|verify DIR``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from booster_workloads.checkpoints import CheckpointInfo, CheckpointManager

app = typer.Typer(
    help="Inspect the checkpoints of a stage directory (e.g. <volume-root>/checkpoints/pretrain).",
    no_args_is_help=True,
)

DirectoryArgument = Annotated[
    Path, typer.Argument(metavar="DIR", help="A directory holding step_<N> checkpoints.", show_default=False)
]


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _table(infos: list[CheckpointInfo], title: str) -> Table:
    table = Table(title=title)
    for column in ("step", "size", "committed", "checksum", "modified", "problem"):
        table.add_column(column, justify="right" if column in ("step", "size") else "left")
    for info in infos:
        modified = datetime.fromtimestamp(info.path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S")
        checksum = "ok" if info.checksum_ok else ("-" if not info.committed else "FAILED")
        table.add_row(
            str(info.step),
            _human_size(info.size),
            "yes" if info.committed else "no",
            checksum,
            modified,
            info.problem or "",
        )
    return table


def _console() -> Console:
    # A job log is not a terminal: give rows room instead of wrapping them.
    return Console() if sys.stdout.isatty() else Console(width=200)


def _inspect(directory: Path) -> list[CheckpointInfo]:
    if not directory.is_dir():
        raise typer.BadParameter(f"{directory} is not a directory", param_hint="DIR")
    return CheckpointManager(directory).list()


def _say_none(console: Console, directory: Path) -> None:
    stages = sorted(p.name for p in directory.iterdir() if p.is_dir() and any(p.glob("step_*")))
    hint = f"; stage directories inside: {', '.join(stages)}" if stages else ""
    console.print(f"no checkpoints in {directory}{hint}")


@app.command(name="list")
def list_checkpoints(directory: DirectoryArgument) -> None:
    """Show every step_<N> checkpoint: step, size, whether committed, checksum status."""
    infos = _inspect(directory)
    console = _console()
    if not infos:
        _say_none(console, directory)
        return
    console.print(_table(infos, str(directory)))


@app.command()
def verify(directory: DirectoryArgument) -> None:
    """Check every checkpoint; exit 1 if the newest is incomplete or damaged (or there is none)."""
    infos = _inspect(directory)
    console = _console()
    if not infos:
        _say_none(console, directory)
        raise typer.Exit(1)
    console.print(_table(infos, str(directory)))
    newest = infos[-1]
    usable = [info for info in infos if info.valid]
    if newest.valid:
        console.print(f"newest checkpoint step_{newest.step} is complete and its checksums hold")
        return
    fallback = (
        f"a resume would fall back to step_{usable[-1].step}"
        if usable
        else "a resume would start from scratch"
    )
    console.print(f"newest checkpoint step_{newest.step} is not usable ({newest.problem}); {fallback}")
    raise typer.Exit(1)
