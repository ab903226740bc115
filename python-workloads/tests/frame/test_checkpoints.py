"""Checkpoint manager: round trip, retention, and every fault a preempted or shared volume can produce."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from booster_workloads.checkpoints import (
    COMMIT_FILE,
    CheckpointError,
    CheckpointManager,
    ConcurrentWriterError,
)


def payload_for(step: int) -> dict[str, bytes]:
    return {"state.msgpack": f"state-{step}".encode() * 100, "extra.safetensors": bytes([step % 256]) * 64}


def make_manager(path: Path, keep: int = 2) -> CheckpointManager:
    return CheckpointManager(path, keep=keep, log=logging.getLogger("test.checkpoints"))


def test_round_trip_returns_the_newest_payload_and_metadata(tmp_path: Path) -> None:
    manager = make_manager(tmp_path)
    manager.save(100, payload_for(100), {"env_steps": 100})
    manager.save(200, payload_for(200), {"env_steps": 200})
    restored = manager.restore_latest()
    assert restored is not None
    assert restored.step == 200
    assert restored.payload == payload_for(200)
    assert restored.metadata == {"env_steps": 200}
    marker = json.loads((tmp_path / "step_200" / COMMIT_FILE).read_text())
    assert set(marker["files"]) == {"state.msgpack", "extra.safetensors"}


def test_keeps_only_the_newest_n(tmp_path: Path) -> None:
    manager = make_manager(tmp_path, keep=2)
    for step in (1, 2, 3, 4):
        manager.save(step, payload_for(step))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_3", "step_4"]
    assert [info.step for info in manager.list()] == [3, 4]
    assert all(info.valid for info in manager.list())


def test_empty_directory_starts_fresh_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert make_manager(tmp_path / "missing").restore_latest() is None
    assert "starting from scratch" in caplog.text


@pytest.mark.parametrize(
    "fault", ["truncated", "flipped", "missing_marker", "marker_without_data", "garbled_marker"]
)
def test_damaged_newest_falls_back_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    manager = make_manager(tmp_path, keep=3)
    manager.save(100, payload_for(100))
    newest = manager.save(200, payload_for(200))
    state = newest / "state.msgpack"
    if fault == "truncated":
        state.write_bytes(state.read_bytes()[:-7])
    elif fault == "flipped":
        data = bytearray(state.read_bytes())
        data[10] ^= 0xFF
        state.write_bytes(bytes(data))
    elif fault == "missing_marker":
        (newest / COMMIT_FILE).unlink()
    elif fault == "marker_without_data":
        state.unlink()
    elif fault == "garbled_marker":
        (newest / COMMIT_FILE).write_text('{"format": 1, "fi')

    caplog.set_level(logging.INFO)
    restored = manager.restore_latest()
    assert restored is not None
    assert restored.step == 100
    assert restored.payload == payload_for(100)
    assert "falling back to checkpoint step_100" in caplog.text
    newest_info = manager.list()[-1]
    assert newest_info.step == 200 and not newest_info.valid and newest_info.problem


def test_all_damaged_starts_fresh(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    manager = make_manager(tmp_path)
    for step in (1, 2):
        path = manager.save(step, payload_for(step))
        (path / "state.msgpack").write_bytes(b"garbage")
    caplog.set_level(logging.INFO)
    assert manager.restore_latest() is None
    assert "no checkpoint" in caplog.text and "starting from scratch" in caplog.text


KILL_BETWEEN_COPY_AND_COMMIT = textwrap.dedent(
    """
    import sys, time
    from booster_workloads.checkpoints import CheckpointManager

    class PausingManager(CheckpointManager):
        def _before_commit(self, target):
            print("copied", flush=True)
            time.sleep(600)

    PausingManager(sys.argv[1], keep=2).save(300, {"state.msgpack": b"new" * 1000})
    """
)


def test_process_killed_between_copy_and_commit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    manager = make_manager(tmp_path)
    manager.save(100, payload_for(100))
    manager.save(200, payload_for(200))
    writer = subprocess.Popen(
        [sys.executable, "-c", KILL_BETWEEN_COPY_AND_COMMIT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "copied"
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
    # The payload of step 300 is complete on disk, but without its marker it must not be trusted.
    assert (tmp_path / "step_300" / "state.msgpack").stat().st_size == 3000
    caplog.set_level(logging.INFO)
    restored = manager.restore_latest()
    assert restored is not None and restored.step == 200
    assert "no COMMIT marker" in caplog.text
    # The retry's next save replaces the interrupted directory and prunes to the newest two.
    manager.save(400, payload_for(400))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_200", "step_400"]


def test_resaving_an_interrupted_step_commits_it(tmp_path: Path) -> None:
    manager = make_manager(tmp_path)
    interrupted = tmp_path / "step_5"
    interrupted.mkdir()
    (interrupted / "state.msgpack").write_bytes(b"half")
    manager.save(5, payload_for(5))
    restored = manager.restore_latest()
    assert restored is not None and restored.payload == payload_for(5)


def test_unwritable_directory_raises_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    manager = make_manager(tmp_path / "checkpoints")
    manager.save(1, payload_for(1))
    # Tests run as root, for whom permission bits do not apply; a path through a regular file is
    # unwritable for everyone.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(
        CheckpointError, match=r"cannot write checkpoint .*not-a-directory.*choose another --volume-root"
    ):
        make_manager(blocker / "checkpoints").save(2, payload_for(2))
    restored = manager.restore_latest()
    assert restored is not None and restored.step == 1


def test_read_only_volume_keeps_serving_its_checkpoints(tmp_path: Path) -> None:
    """A volume whose write grant is gone: a real read-only file system (tmpfs remounted read-only)."""
    mount_point = tmp_path / "volume"
    mount_point.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a tmpfs here (needs mount privileges)")
    try:
        manager = make_manager(mount_point / "checkpoints")
        manager.save(1, payload_for(1))
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True, capture_output=True)
        with pytest.raises(
            CheckpointError, match=r"Read-only file system; grant write access \(WRITE VOLUME"
        ):
            manager.save(2, payload_for(2))
        restored = manager.restore_latest()
        assert restored is not None and restored.step == 1 and restored.payload == payload_for(1)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs a sysfs, where nobody may create files")
def test_directory_without_write_permission(tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError, match=r"Operation not permitted|Permission denied|Read-only file system"
    ):
        make_manager(Path("/sys/booster-checkpoints")).save(1, payload_for(1))


def test_two_writers_of_one_step_never_leave_a_mixed_checkpoint_that_loads(tmp_path: Path) -> None:
    first_copied = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    class SlowManager(CheckpointManager):
        def _before_commit(self, target: Path) -> None:
            first_copied.set()
            second_done.wait(timeout=30)

    def slow_writer() -> None:
        try:
            SlowManager(tmp_path).save(7, {"state.msgpack": b"A" * 500})
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert first_copied.wait(timeout=30)
    make_manager(tmp_path).save(7, {"state.msgpack": b"B" * 400})
    second_done.set()
    thread.join(timeout=30)

    assert len(errors) == 1 and isinstance(errors[0], ConcurrentWriterError)
    assert "another writer" in str(errors[0])
    # Writer A's marker now sits on writer B's bytes: the checksum catches it.
    assert make_manager(tmp_path).restore_latest() is None


RACING_WRITER = textwrap.dedent(
    """
    import sys
    from booster_workloads.checkpoints import CheckpointManager, ConcurrentWriterError

    directory, marker = sys.argv[1], sys.argv[2].encode()
    payload = {f"part{i}.bin": marker * (1 << 20) for i in range(4)}
    try:
        CheckpointManager(directory, keep=2).save(9, payload)
    except ConcurrentWriterError:
        sys.exit(3)
    """
)


def test_two_writer_processes_racing_never_produce_a_loadable_mix(tmp_path: Path) -> None:
    for attempt in range(3):
        directory = tmp_path / f"race{attempt}"
        writers = [
            subprocess.Popen([sys.executable, "-c", RACING_WRITER, str(directory), marker])
            for marker in ("A", "B")
        ]
        codes = [writer.wait(timeout=120) for writer in writers]
        assert set(codes) <= {0, 3}, codes
        restored = make_manager(directory).restore_latest()
        if restored is None:
            assert 3 in codes  # a broken result is only possible when a writer noticed the race
            continue
        contents = {data[:1] for data in restored.payload.values()}
        assert len(contents) == 1, "a restored checkpoint mixes two writers' files"
        assert all(len(data) == 1 << 20 for data in restored.payload.values())


def test_rejects_unsafe_payload_names(tmp_path: Path) -> None:
    for name in ("../evil", "COMMIT", ".hidden", ""):
        with pytest.raises(ValueError, match="payload name"):
            make_manager(tmp_path).save(1, {name: b"x"})


def test_saving_the_same_step_again_keeps_the_committed_checkpoint(tmp_path: Path) -> None:
    manager = make_manager(tmp_path)
    path = manager.save(10, payload_for(10), {"a": 1})
    marker_before = (path / COMMIT_FILE).read_text()
    manager.save(10, payload_for(10), {"a": 1})
    assert (path / COMMIT_FILE).read_text() == marker_before  # not rewritten
    manager.save(10, {"state.msgpack": b"changed"})
    restored = manager.restore_latest()
    assert restored is not None and restored.payload == {"state.msgpack": b"changed"}
