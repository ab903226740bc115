"""Logging for the command line: rich in a terminal, timestamped plain lines in a job log."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "booster"
_NOISY = ("mlflow", "urllib3", "alembic", "httpx", "jax._src", "absl", "wandb", "git")


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (test runners and notebooks swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def configure_logging(level: int = logging.INFO) -> logging.Logger:
    root = logging.getLogger()
    if not getattr(root, "_booster_configured", False):
        if sys.stderr.isatty():
            from rich.logging import RichHandler

            handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
            handler.setFormatter(logging.Formatter("%(message)s"))
        else:
            handler = _CurrentStderrHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
        for name in _NOISY:
            logging.getLogger(name).setLevel(logging.WARNING)
        root._booster_configured = True  # type: ignore[attr-defined]
    return logging.getLogger(LOGGER_NAME)
