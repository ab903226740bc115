"""A persistent XLA compilation cache for every stage that compiles JAX programs.

The MJX step takes minutes to compile on a CPU and a minute on a GPU; setup, pretrain and convert all
compile JAX programs. Kept between runs (a retried task, the next stage of a local pipeline, the next
local run), only the first run on a machine pays that. JAX_COMPILATION_CACHE_DIR overrides the place.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

DEFAULT_COMPILATION_CACHE = Path.home() / ".cache" / "booster-workloads" / "jax"


def enable_compilation_cache(log: logging.Logger) -> None:
    import jax

    directory = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(DEFAULT_COMPILATION_CACHE)
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("no persistent compilation cache (%s); every run compiles from scratch", exc)
        return
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    log.info("persistent XLA compilation cache: %s", directory)
