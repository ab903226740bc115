"""A trainer killed with SIGKILL while writing a checkpoint resumes from the previous committed one."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sac_fixture_env import tiny_config

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.sac.state_io import state_to_bytes
from booster_workloads.sac.training import SACTrainer, train

CHILD = Path(__file__).parent / "sac_kill_child.py"
SEED = 4


def _child(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    return subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            "--checkpoints",
            str(tmp_path / "ckpt"),
            "--marker",
            str(tmp_path / "marker"),
            "--digest",
            str(tmp_path / "digest"),
            "--seed",
            str(SEED),
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigkill_during_checkpoint_write_resumes_from_the_previous_commit(
    tiny_trainer: SACTrainer, tmp_path: Path
) -> None:
    config = tiny_config()
    first, second = config.checkpoint_every_steps, config.total_env_steps
    victim = _child(tmp_path, "--hang-at-step", str(second))
    deadline = time.monotonic() + 300
    while not (tmp_path / "marker").exists():
        assert victim.poll() is None, f"the training process ended early:\n{victim.communicate()[0]}"
        assert time.monotonic() < deadline, "the training process never reached the second checkpoint"
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL

    listed = {info.step: info for info in CheckpointManager(tmp_path / "ckpt").list()}
    assert listed[first].valid
    assert not listed[second].committed  # the payload is there, the marker is not

    survivor = _child(tmp_path)
    output, _ = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, output
    assert f"step_{second}" in output and "no COMMIT marker" in output
    assert f"falling back to checkpoint step_{first}" in output
    assert f"resumed SAC training at {first} environment steps" in output
    assert CheckpointManager(tmp_path / "ckpt").list()[-1].valid

    # The resumed process ends exactly where an uninterrupted run does.
    straight = train(tiny_trainer, seed=SEED)
    assert (tmp_path / "digest").read_text() == hashlib.sha256(state_to_bytes(straight.state)).hexdigest()
