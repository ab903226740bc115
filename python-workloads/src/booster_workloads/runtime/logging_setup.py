"""Logging for the command line: rich in a terminal, timestamped plain lines in a job log."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "booster"
_NOISY = ("mlflow", "urllib3", "alembic", "httpx", "jax._src", "absl", "wandb", "git")


def configure_logging(level: int = logging.INFO) -> logging.Logger:
    root = logging.getLogger()
    if not getattr(root, "_booster_configured", False):
        if sys.stderr.isatty():
            from rich.logging import RichHandler

            handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
            handler.setFormatter(logging.Formatter("%(message)s"))
        else:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
        for name in _NOISY:
            logging.getLogger(name).setLevel(logging.WARNING)
        root._booster_configured = True  # type: ignore[attr-defined]
    return logging.getLogger(LOGGER_NAME)
