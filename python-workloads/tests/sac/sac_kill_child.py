"""A training process for the kill-during-checkpoint test (run as a script by test_kill_during_write).

With ``--hang-at-step N`` it stops inside the write of checkpoint N, after the payload is copied and
before the COMMIT marker, announces that in ``--marker``, and waits to be killed.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sac_fixture_env import PointMassFixtureEnv, tiny_config

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.sac.state_io import StateCheckpointer, state_to_bytes
from booster_workloads.sac.training import SACTrainer, train


class HangingCheckpointManager(CheckpointManager):
    def __init__(self, directory: Path, hang_at_step: int | None, marker: Path) -> None:
        super().__init__(directory, keep=3)
        self.hang_at_step = hang_at_step
        self.marker = marker

    def _before_commit(self, target: Path) -> None:
        if self.hang_at_step is not None and target.name == f"step_{self.hang_at_step}":
            self.marker.write_text(str(target))
            time.sleep(600)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoints", type=Path, required=True)
    parser.add_argument("--marker", type=Path, required=True)
    parser.add_argument("--digest", type=Path, required=True)
    parser.add_argument("--hang-at-step", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    trainer = SACTrainer(PointMassFixtureEnv(), tiny_config())
    manager = HangingCheckpointManager(args.checkpoints, args.hang_at_step, args.marker)
    checkpointer = StateCheckpointer(manager, trainer, ("PointMassFixture",))
    result = train(trainer, seed=args.seed, checkpointer=checkpointer)
    args.digest.write_text(hashlib.sha256(state_to_bytes(result.state)).hexdigest())


if __name__ == "__main__":
    main()
