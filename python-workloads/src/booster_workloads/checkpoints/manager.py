"""Crash-safe checkpoints on storage without atomic rename (Unity Catalog volumes).

A checkpoint is a directory ``<directory>/step_<N>/`` holding the payload files and a ``COMMIT``
file written last. ``COMMIT`` is JSON with the SHA-256 and size of every payload file, the caller's
metadata and the id of the writer. A reader trusts a checkpoint only when ``COMMIT`` parses and every
checksum holds, so a preemption at any moment of a save leaves either the previous checkpoints or a
complete new one, never a half-written state that loads.

Payloads are bytes the caller produced with a non-executable format (flax/msgpack, safetensors,
JSON): this module never unpickles anything.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMIT_FILE = "COMMIT"
COMMIT_FORMAT = 1
_STEP_DIR = re.compile(r"^step_(\d+)$")
_CHUNK = 1 << 20

_default_log = logging.getLogger(__name__)


class CheckpointError(RuntimeError):
    """A checkpoint could not be written; the message says why and what to do."""


class ConcurrentWriterError(CheckpointError):
    """Another process committed the same step while this one was writing it."""


@dataclass(frozen=True)
class CheckpointInfo:
    step: int
    path: Path
    size: int
    committed: bool
    checksum_ok: bool
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.committed and self.checksum_ok


@dataclass(frozen=True)
class RestoredCheckpoint:
    step: int
    path: Path
    payload: dict[str, bytes]
    metadata: dict[str, Any] = field(default_factory=dict)


def step_directory_name(step: int) -> str:
    return f"step_{step}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_durably(source: Path, target: Path) -> None:
    """Copy and fsync, so the bytes are on the volume before the next file is started."""
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def _check_payload_name(name: str) -> None:
    if not name or name != Path(name).name or name.startswith(".") or name == COMMIT_FILE:
        raise ValueError(
            f"payload name {name!r} is not allowed: use a plain file name (no '/', no leading '.', not {COMMIT_FILE!r})"
        )


class CheckpointManager:
    """Saves, lists, restores and prunes ``step_<N>`` checkpoints in one directory.

    Args:
        directory: where the checkpoints live (a local path or a ``/Volumes/...`` path).
        keep: committed checkpoints kept; older ones are deleted after each successful save.
        log: where decisions (fallbacks, fresh starts, pruning) are reported.
        staging_root: local directory for staging files before they are copied in; the system's
            temporary directory when ``None``.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        keep: int = 2,
        log: logging.Logger | None = None,
        staging_root: str | os.PathLike[str] | None = None,
    ) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, but {keep} was provided")
        self.directory = Path(directory)
        self.keep = keep
        self.log = log or _default_log
        self.staging_root = Path(staging_root) if staging_root is not None else None

    # ----------------------------------------------------------------------------------- writing

    def save(
        self, step: int, payload: Mapping[str, bytes], metadata: Mapping[str, Any] | None = None
    ) -> Path:
        """Write checkpoint ``step`` and return its directory; prune to the newest ``keep``.

        Raises:
            CheckpointError: the directory cannot be written (nothing that was there is lost).
            ConcurrentWriterError: another writer committed this step at the same time.
        """
        if step < 0:
            raise ValueError(f"step must be at least 0, but {step} was provided")
        if not payload:
            raise ValueError("a checkpoint needs at least one payload file")
        for name in payload:
            _check_payload_name(name)
        try:
            metadata_json = json.loads(json.dumps(dict(metadata or {})))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"checkpoint metadata must be JSON-serialisable: {exc}") from exc

        target = self.directory / step_directory_name(step)
        writer = uuid.uuid4().hex
        with tempfile.TemporaryDirectory(prefix="ckpt-stage-", dir=self.staging_root) as staging_name:
            staging = Path(staging_name)
            files: dict[str, dict[str, Any]] = {}
            for name, data in payload.items():
                if not isinstance(data, bytes | bytearray | memoryview):
                    raise TypeError(f"payload {name!r} must be bytes, got {type(data).__name__}")
                (staging / name).write_bytes(data)
                files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            commit = {
                "format": COMMIT_FORMAT,
                "step": step,
                "files": files,
                "metadata": metadata_json,
                "writer": writer,
                "created_unix": time.time(),
            }
            (staging / COMMIT_FILE).write_text(json.dumps(commit, indent=2, sort_keys=True), encoding="utf-8")
            if self._already_saved(target, step, files):
                # Rewriting would remove the marker for a while: a crash then would lose a good checkpoint.
                self.log.info("checkpoint step %d is already committed with the same content", step)
                return target
            try:
                self._copy_in(staging, target, builtins.list(files))
                self._commit(staging / COMMIT_FILE, target)
            except OSError as exc:
                raise CheckpointError(self._explain_write_failure(target, exc)) from exc

        self._confirm_own_commit(target, writer)
        self.log.info("checkpoint step %d committed at %s", step, target)
        self._prune(newest_saved=step)
        return target

    def _copy_in(self, staging: Path, target: Path, names: builtins.list[str]) -> None:
        target.mkdir(parents=True, exist_ok=True)
        # A COMMIT left by an earlier, interrupted or superseded write of this step must go first:
        # while the payload is being replaced, no reader may see a marker.
        stale_commit = target / COMMIT_FILE
        if stale_commit.exists():
            stale_commit.unlink()
        for name in names:
            _copy_durably(staging / name, target / name)
        self._before_commit(target)

    def _already_saved(self, target: Path, step: int, files: Mapping[str, Any]) -> bool:
        marker = self._read_commit(target)
        return (
            marker is not None
            and marker.get("files") == files
            and target.is_dir()
            and self._inspect(target, step).valid
        )

    def _before_commit(self, target: Path) -> None:
        """The moment between copying the payload and writing the marker (a hook for fault tests)."""

    def _commit(self, staged_commit: Path, target: Path) -> None:
        _copy_durably(staged_commit, target / COMMIT_FILE)

    def _confirm_own_commit(self, target: Path, writer: str) -> None:
        info = self._inspect(target, step=int(target.name.removeprefix("step_")))
        marker = self._read_commit(target)
        if marker is None or marker.get("writer") != writer or not info.valid:
            raise ConcurrentWriterError(
                f"checkpoint {target} was overwritten by another writer while this process saved it "
                f"({info.problem or 'its COMMIT marker belongs to another writer'}); run one trainer per "
                "checkpoint directory"
            )

    def _explain_write_failure(self, target: Path, exc: OSError) -> str:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = (
                "grant write access (WRITE VOLUME on a Unity Catalog volume) or choose another --volume-root"
            )
        elif exc.errno == errno.ENOSPC:
            fix = "free space or lower the number of checkpoints kept"
        elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
            fix = "the checkpoint directory path runs through a file; choose another --volume-root"
        else:
            fix = "check that the volume is mounted and writable"
        return f"cannot write checkpoint {target}: {reason}; {fix}. Existing checkpoints are untouched."

    # ----------------------------------------------------------------------------------- reading

    def list(self) -> list[CheckpointInfo]:
        """Every ``step_<N>`` directory, oldest first, with its commit and checksum status."""
        return [self._inspect(path, step) for step, path in self._step_directories()]

    def restore_latest(self) -> RestoredCheckpoint | None:
        """The newest committed checkpoint whose checksums hold, or ``None`` (and a message) if none."""
        candidates = builtins.list(reversed(self._step_directories()))
        skipped: builtins.list[str] = []
        for step, path in candidates:
            info = self._inspect(path, step)
            if not info.valid:
                skipped.append(f"step_{step} ({info.problem})")
                self.log.warning("checkpoint %s is not usable: %s", path, info.problem)
                continue
            restored = self._load(path, step)
            if restored is None:  # changed between the check and the read
                skipped.append(f"step_{step} (changed while being read)")
                continue
            if skipped:
                self.log.warning(
                    "falling back to checkpoint step_%d; newer ones were skipped: %s",
                    step,
                    "; ".join(skipped),
                )
            else:
                self.log.info("resuming from checkpoint step_%d in %s", step, self.directory)
            return restored
        if skipped:
            self.log.warning(
                "no checkpoint in %s loads (%s); starting from scratch", self.directory, "; ".join(skipped)
            )
        else:
            self.log.info("no checkpoint in %s; starting from scratch", self.directory)
        return None

    def _step_directories(self) -> builtins.list[tuple[int, Path]]:
        if not self.directory.is_dir():
            return []
        found = []
        for entry in self.directory.iterdir():
            match = _STEP_DIR.match(entry.name)
            if match and entry.is_dir():
                found.append((int(match.group(1)), entry))
        return sorted(found)

    @staticmethod
    def _read_commit(path: Path) -> dict[str, Any] | None:
        try:
            marker = json.loads((path / COMMIT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return marker if isinstance(marker, dict) else None

    def _inspect(self, path: Path, step: int) -> CheckpointInfo:
        size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        if not (path / COMMIT_FILE).exists():
            return CheckpointInfo(
                step, path, size, False, False, "no COMMIT marker: the write was interrupted"
            )
        marker = self._read_commit(path)
        files = marker.get("files") if marker else None
        if marker is None or not isinstance(files, dict) or not files:
            return CheckpointInfo(step, path, size, False, False, "COMMIT marker is unreadable or incomplete")
        if marker.get("step") != step:
            return CheckpointInfo(
                step, path, size, True, False, f"COMMIT marker is for step {marker.get('step')}"
            )
        for name, expected in files.items():
            file_path = path / name
            if not file_path.is_file():
                return CheckpointInfo(step, path, size, True, False, f"{name} is missing")
            actual_size = file_path.stat().st_size
            if actual_size != expected.get("size"):
                return CheckpointInfo(
                    step,
                    path,
                    size,
                    True,
                    False,
                    f"{name} has {actual_size} bytes, expected {expected.get('size')}",
                )
            if _sha256_file(file_path) != expected.get("sha256"):
                return CheckpointInfo(step, path, size, True, False, f"{name} fails its SHA-256 check")
        return CheckpointInfo(step, path, size, True, True)

    def _load(self, path: Path, step: int) -> RestoredCheckpoint | None:
        marker = self._read_commit(path)
        if marker is None:
            return None
        payload: dict[str, bytes] = {}
        for name, expected in marker["files"].items():
            data = (path / name).read_bytes()
            # Verify the bytes actually returned, not only the file checked a moment ago.
            if hashlib.sha256(data).hexdigest() != expected["sha256"]:
                return None
            payload[name] = data
        metadata = marker.get("metadata")
        return RestoredCheckpoint(step, path, payload, metadata if isinstance(metadata, dict) else {})

    # ----------------------------------------------------------------------------------- pruning

    def _looks_complete(self, path: Path) -> bool:
        """Committed and every file has its recorded size: cheap enough to run after every save."""
        marker = self._read_commit(path)
        files = marker.get("files") if marker else None
        if not isinstance(files, dict) or not files:
            return False
        for name, expected in files.items():
            file_path = path / name
            if not file_path.is_file() or file_path.stat().st_size != expected.get("size"):
                return False
        return True

    def _prune(self, newest_saved: int) -> None:
        entries = self._step_directories()
        complete = [step for step, path in entries if self._looks_complete(path)]
        kept = set(complete[-self.keep :]) | {newest_saved}
        for step, path in entries:
            # Newer directories may belong to a writer still at work: leave them.
            if step in kept or step > newest_saved:
                continue
            try:
                shutil.rmtree(path)
                self.log.info("deleted old checkpoint %s", path)
            except OSError as exc:
                self.log.warning("could not delete old checkpoint %s: %s", path, exc)
