"""Writing a directory of outputs so that readers see all of it or none of it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_directory(output_dir: Path) -> Iterator[Path]:
    """Yield a fresh sibling directory to fill; on success it replaces ``output_dir``.

    On any error (a failed check included) the staging directory is removed and ``output_dir`` is left
    exactly as it was, so a bad input never destroys the previous good output. The staging directory
    sits beside the target so the final rename stays on one file system.
    """
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        yield staging
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
