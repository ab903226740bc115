"""Checkpoints hold the whole DDPG state; a resumed run equals an uninterrupted one exactly (CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.ddpg.learner import LearnerStateError
from booster_workloads.ddpg.trainer import DDPGTrainer, ResumeError
from booster_workloads.policy.torch_actor import DDPGActor
from booster_workloads.soccer.observation import OBSERVATION_SIZE
from booster_workloads.soccer.official import OfficialVecEnv

from .conftest import make_actor, small_config


def _state(trainer: DDPGTrainer) -> dict[str, torch.Tensor]:
    learner = trainer.learner
    tensors: dict[str, torch.Tensor] = {}
    for prefix, module in (
        ("actor", learner.actor),
        ("critic", learner.critic),
        ("actor_target", learner.actor_target),
        ("critic_target", learner.critic_target),
    ):
        for key, value in module.state_dict().items():
            tensors[f"{prefix}.{key}"] = value
    for name, optimizer in (("actor_opt", learner.actor_optimizer), ("critic_opt", learner.critic_optimizer)):
        for index, entries in optimizer.state_dict()["state"].items():
            for key, value in entries.items():
                tensors[f"{name}.{index}.{key}"] = torch.as_tensor(value)
    return tensors


def _run(directory: Path, until: int | None, envs: OfficialVecEnv, seed: int = 1) -> DDPGTrainer:
    config = small_config()
    trainer = DDPGTrainer(
        config,
        make_actor(),
        envs,
        seed=seed,
        checkpoints=CheckpointManager(directory, keep=config.keep_checkpoints),
    )
    trainer.restore()
    trainer.train(until_step=until)
    return trainer


def test_resumed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    with OfficialVecEnv(2, num_workers=0) as envs:
        straight = _run(tmp_path / "straight", None, envs)
        first_half = _run(tmp_path / "resumed", 60, envs)
        assert first_half.step == 60
        resumed = _run(tmp_path / "resumed", None, envs)
    assert resumed.resumed_from == 60 and resumed.step == straight.step == 120
    # The run went through warm-up and every freeze phase, so all state kinds were exercised.
    assert straight.learner.phase.name == "all_layers" and straight.learner.actor_updates > 0
    a, b = _state(straight), _state(resumed)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert straight.replay.size == resumed.replay.size
    np.testing.assert_array_equal(straight.replay.observation, resumed.replay.observation)
    assert straight.rng.bit_generator.state == resumed.rng.bit_generator.state


def test_checkpoint_files_are_plain_data(tmp_path: Path) -> None:
    with OfficialVecEnv(2, num_workers=0) as envs:
        _run(tmp_path, 60, envs)
    step_dir = tmp_path / "step_60"
    names = sorted(p.name for p in step_dir.iterdir())
    assert names == sorted(
        [
            "COMMIT",
            "learner.json",
            "networks.safetensors",
            "optimizers.safetensors",
            "replay.safetensors",
            "rng.safetensors",
            "trainer.json",
        ]
    )
    state = json.loads((step_dir / "trainer.json").read_text())
    assert state["step"] == 60 and state["replay"]["size"] == 60


def test_resume_with_another_seed_is_refused(tmp_path: Path) -> None:
    with OfficialVecEnv(2, num_workers=0) as envs:
        _run(tmp_path, 60, envs, seed=1)
        with pytest.raises(ResumeError, match="made with seed 1, this run uses seed 2"):
            _run(tmp_path, None, envs, seed=2)


def test_resume_with_another_network_size_is_refused(tmp_path: Path) -> None:
    with OfficialVecEnv(2, num_workers=0) as envs:
        _run(tmp_path, 60, envs)
        config = small_config()
        torch.manual_seed(0)
        other = DDPGTrainer(
            config,
            DDPGActor(OBSERVATION_SIZE, (16, 16)),
            envs,
            seed=1,
            checkpoints=CheckpointManager(tmp_path),
        )
        with pytest.raises(
            LearnerStateError, match="resume with the configuration and model the run started with"
        ):
            other.restore()
