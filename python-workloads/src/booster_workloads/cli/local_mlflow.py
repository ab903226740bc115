"""``booster-pipeline local-mlflow status|stop``: the server that ``--tracking-uri local`` leaves running."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from booster_workloads.config import RunConfig
from booster_workloads.config.fields import field_default

app = typer.Typer(
    help="Inspect or stop the local MLflow server started by --tracking-uri local.", no_args_is_help=True
)

_DEFAULT_DIR = str(field_default(RunConfig.__dataclass_fields__["local_mlflow_dir"]))
DirectoryOption = Annotated[
    Path, typer.Option("--directory", help="Directory of the server's database (run.local_mlflow_dir).")
]


@app.command()
def status(directory: DirectoryOption = Path(_DEFAULT_DIR)) -> None:
    """Say whether the local server runs, and where; exit 1 if it does not."""
    from booster_workloads.tracking.local_server import running_server

    server = running_server(directory)
    if server is None:
        typer.echo(f"no local MLflow server runs for {directory.resolve()}")
        raise typer.Exit(1)
    typer.echo(
        f"local MLflow server at {server.uri} (pid {server.pid}, database {server.directory / 'mlflow.db'})"
    )


@app.command()
def stop(directory: DirectoryOption = Path(_DEFAULT_DIR)) -> None:
    """Stop the local server; its database and artifacts stay for the next start."""
    from booster_workloads.tracking.local_server import stop_local_server

    if stop_local_server(directory):
        typer.echo(f"stopped the local MLflow server of {directory.resolve()}")
    else:
        typer.echo(f"no local MLflow server was running for {directory.resolve()}")
