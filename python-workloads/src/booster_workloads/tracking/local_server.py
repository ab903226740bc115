"""A local MLflow tracking server (SQLite backend) shared by the stages of a pipeline on one machine.

``--tracking-uri local`` calls :func:`ensure_local_server`: it reuses the server recorded in
``<directory>/server.json`` when that one still answers, and otherwise starts ``mlflow server`` on
127.0.0.1 and a free port, detached from the calling process so the next stage finds it. Stop it with
``booster-pipeline local-mlflow stop`` (or :func:`stop_local_server`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "server.json"
LOG_FILE = "server.log"

_log = logging.getLogger(__name__)


class LocalServerError(RuntimeError):
    """The local MLflow server could not be started; the message names the log to read."""


@dataclass(frozen=True)
class LocalServer:
    uri: str
    pid: int
    port: int
    directory: Path


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_healthy(uri: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(directory: Path) -> LocalServer | None:
    try:
        state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        return LocalServer(state["uri"], int(state["pid"]), int(state["port"]), directory)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_server(directory: str | os.PathLike[str]) -> LocalServer | None:
    """The server recorded in ``directory`` if its process lives and it answers."""
    state = read_state(Path(directory).resolve())
    if state is not None and _pid_alive(state.pid) and is_healthy(state.uri):
        return state
    return None


def ensure_local_server(
    directory: str | os.PathLike[str], log: logging.Logger | None = None, startup_timeout: float = 120.0
) -> LocalServer:
    """Reuse or start the local MLflow server whose database and artifacts live in ``directory``."""
    log = log or _log
    root = Path(directory).resolve()
    existing = running_server(root)
    if existing is not None:
        log.info("reusing the local MLflow server at %s (database %s)", existing.uri, root / "mlflow.db")
        return existing
    root.mkdir(parents=True, exist_ok=True)
    port = free_loopback_port()
    uri = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination",
        str(root / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log_path = root / LOG_FILE
    with log_path.open("ab") as log_file:
        # A new session keeps the server alive after this stage exits, for the stages that follow.
        process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=root,
        )
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalServerError(
                f"the local MLflow server exited with code {process.returncode} while starting; see {log_path}"
            )
        if is_healthy(uri, timeout=1.0):
            state = {"uri": uri, "pid": process.pid, "port": port}
            (root / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
            log.info(
                "started a local MLflow server at %s (database %s); stop it with `booster-pipeline local-mlflow stop`",
                uri,
                root / "mlflow.db",
            )
            return LocalServer(uri, process.pid, port, root)
        time.sleep(0.5)
    _terminate(process.pid)
    raise LocalServerError(
        f"the local MLflow server did not answer within {startup_timeout:.0f} s; see {log_path}"
    )


def _terminate(pid: int, timeout: float = 15.0) -> None:
    # The server runs in its own session: signal the whole group so its workers go too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def stop_local_server(directory: str | os.PathLike[str]) -> bool:
    """Stop the server recorded in ``directory``; ``False`` when none was running."""
    root = Path(directory).resolve()
    state = read_state(root)
    if state is None or not _pid_alive(state.pid):
        with contextlib.suppress(FileNotFoundError):
            (root / STATE_FILE).unlink()
        return False
    _terminate(state.pid)
    with contextlib.suppress(FileNotFoundError):
        (root / STATE_FILE).unlink()
    return True
