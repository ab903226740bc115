"""SAC training on the point-mass test fixture: learning, exact resume, configuration checks, export."""

from __future__ import annotations

import logging
from pathlib import Path

import jax
import numpy as np
import pytest
from sac_fixture_env import PointMassFixtureEnv, tiny_config

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.config.loader import ConfigError
from booster_workloads.sac.export import (
    ExportedActorError,
    export_actor,
    export_actor_from_checkpoint,
    load_exported_actor,
)
from booster_workloads.sac.state_io import CheckpointMismatchError, StateCheckpointer
from booster_workloads.sac.training import SACTrainer, TrainingState, train

TASKS = ("PointMassFixture",)


class Interrupted(Exception):
    """Stands in for a preemption: raised from the progress callback after a checkpoint is written."""


def _assert_states_identical(a: TrainingState, b: TrainingState) -> None:
    leaves_a, tree_a = jax.tree.flatten(a)
    leaves_b, tree_b = jax.tree.flatten(b)
    assert tree_a == tree_b
    for i, (x, y) in enumerate(zip(leaves_a, leaves_b, strict=True)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=f"state leaf {i} differs")


def test_learning_curve_goes_up_on_the_fixture_task() -> None:
    config = tiny_config(
        total_env_steps=9_600,
        metrics_every_steps=800,
        updates_per_env_step=4,
        buffer_size=10_000,
        batch_size=64,
        actor_hidden_sizes=(32, 32),
        critic_hidden_sizes=(32, 32),
        checkpoint_every_steps=100_000,
    )
    rewards: list[float] = []
    result = train(
        SACTrainer(PointMassFixtureEnv(), config, task_names=("left", "right")),
        seed=3,
        progress_fn=lambda step, metrics: rewards.append(metrics["train/reward_mean"]),
    )
    assert result.env_steps >= config.total_env_steps
    assert len(rewards) == len(result.history) >= 10
    first, last = np.mean(rewards[:2]), np.mean(rewards[-2:])
    # A random policy stays about 1 away from its target; a trained one closes most of the gap.
    assert last > first + 0.3, f"reward went from {first:.3f} to {last:.3f}"
    by_task = {
        name: [h[f"train/reward_by_task/{name}"] for h in result.history[-2:]] for name in ("left", "right")
    }
    assert all(np.mean(values) > first for values in by_task.values()), by_task
    for metrics in result.history[1:]:  # the first iteration is warm-up only: no losses yet
        for name in ("train/critic_loss", "train/actor_loss", "train/alpha", "train/env_steps_per_second"):
            assert np.isfinite(metrics[name]), name


def test_interrupted_and_resumed_run_ends_with_identical_state(
    tiny_trainer: SACTrainer, tmp_path: Path
) -> None:
    straight = train(tiny_trainer, seed=7)

    checkpointer = StateCheckpointer(CheckpointManager(tmp_path / "ckpt"), tiny_trainer, TASKS)
    half = tiny_trainer.config.total_env_steps // 2

    def stop_after_first_checkpoint(env_steps: int, _metrics: dict[str, float]) -> None:
        if env_steps > half:  # the checkpoint at `half` is committed by now
            raise Interrupted

    with pytest.raises(Interrupted):
        train(tiny_trainer, seed=7, checkpointer=checkpointer, progress_fn=stop_after_first_checkpoint)
    assert [info.step for info in CheckpointManager(tmp_path / "ckpt").list()] == [half]

    resumed = train(tiny_trainer, seed=7, checkpointer=checkpointer)
    assert resumed.resumed_from_env_steps == half
    assert resumed.env_steps == straight.env_steps
    _assert_states_identical(straight.state, resumed.state)
    # The resumed run's history continues the checkpointed one: one entry per iteration, no gaps.
    assert [h["env_steps"] for h in resumed.history] == [h["env_steps"] for h in straight.history]
    assert [h.get("train/critic_loss") for h in resumed.history] == [
        h.get("train/critic_loss") for h in straight.history
    ]


def test_a_different_seed_gives_different_parameters(tiny_trainer: SACTrainer) -> None:
    a = tiny_trainer.init(jax.random.PRNGKey(1))
    b = tiny_trainer.init(jax.random.PRNGKey(2))
    kernel = lambda s: np.asarray(s.actor_params["params"]["mlp"]["layers_0"]["kernel"])  # noqa: E731
    assert not np.array_equal(kernel(a), kernel(b))


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        ({"num_envs": 4}, r"num_envs: saved 8, now 4"),
        # Held actions change what a stored transition means, though not any array's shape.
        ({"action_repeat": 2}, r"action_repeat: saved 1, now 2"),
    ],
)
def test_checkpoint_of_another_configuration_is_refused_with_the_difference(
    tiny_trainer: SACTrainer, tmp_path: Path, change: dict[str, int], difference: str
) -> None:
    manager = CheckpointManager(tmp_path / "ckpt")
    state = tiny_trainer.init(jax.random.PRNGKey(0))
    StateCheckpointer(manager, tiny_trainer, TASKS).save(state, [])
    other = SACTrainer(PointMassFixtureEnv(), tiny_config(**change))
    with pytest.raises(CheckpointMismatchError, match=difference):
        StateCheckpointer(manager, other, TASKS).restore(other.init(jax.random.PRNGKey(0)))


def test_changed_learning_rate_resumes_with_a_warning(
    tiny_trainer: SACTrainer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = CheckpointManager(tmp_path / "ckpt")
    state = tiny_trainer.init(jax.random.PRNGKey(0))
    StateCheckpointer(manager, tiny_trainer, TASKS).save(state, [])
    changed = SACTrainer(
        PointMassFixtureEnv(),
        tiny_config(actor_learning_rate=1e-3, total_env_steps=99_999, stall_patience_steps=7),
    )
    with caplog.at_level(logging.WARNING):
        restored = StateCheckpointer(manager, changed, TASKS).restore(changed.init(jax.random.PRNGKey(5)))
    assert restored is not None
    _assert_states_identical(restored[0], state)
    assert "actor_learning_rate" in caplog.text
    assert "total_env_steps" not in caplog.text and "stall_patience_steps" not in caplog.text


def test_exported_actor_reproduces_the_trained_policy(tiny_trainer: SACTrainer, tmp_path: Path) -> None:
    checkpointer = StateCheckpointer(CheckpointManager(tmp_path / "ckpt"), tiny_trainer, TASKS)
    result = train(tiny_trainer, seed=11, checkpointer=checkpointer)
    spec = checkpointer.actor_spec(result.state)
    export_actor(result.state, spec, tmp_path / "export")
    export_actor_from_checkpoint(tmp_path / "ckpt", tmp_path / "from_checkpoint")
    for name in ("actor.safetensors", "actor_spec.json"):
        assert (tmp_path / "export" / name).read_bytes() == (tmp_path / "from_checkpoint" / name).read_bytes()

    act, loaded_spec = load_exported_actor(tmp_path / "export")
    assert loaded_spec == spec and loaded_spec.env_steps == result.env_steps and loaded_spec.tasks == TASKS
    obs = (
        np.random.default_rng(0).normal(size=(32, PointMassFixtureEnv.observation_size)).astype(np.float32)
        * 3
    )
    expected = np.asarray(tiny_trainer.deterministic_policy(result.state)(obs))
    np.testing.assert_allclose(act(obs), expected, atol=1e-6)
    assert act(obs[0]).shape == (PointMassFixtureEnv.action_size,)
    # The normaliser matters: the actor differs from one applied to raw observations.
    assert float(np.asarray(result.state.normalizer.count)) > 0


def test_broken_exports_fail_with_a_clear_message(tiny_trainer: SACTrainer, tmp_path: Path) -> None:
    with pytest.raises(ExportedActorError, match="does not exist"):
        load_exported_actor(tmp_path / "nothing")
    state = tiny_trainer.init(jax.random.PRNGKey(0))
    spec = StateCheckpointer(CheckpointManager(tmp_path / "c"), tiny_trainer, TASKS).actor_spec(state)
    export_actor(state, spec, tmp_path / "export")
    (tmp_path / "export" / "actor.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(ExportedActorError, match="not a readable safetensors"):
        load_exported_actor(tmp_path / "export")
    export_actor(state, spec, tmp_path / "export")
    (tmp_path / "export" / "actor_spec.json").write_text('{"observation_size": 7}')
    with pytest.raises(ExportedActorError, match="not a valid actor spec"):
        load_exported_actor(tmp_path / "export")
    with pytest.raises(ExportedActorError, match="no committed checkpoint"):
        export_actor_from_checkpoint(tmp_path / "empty", tmp_path / "out")


def test_warm_up_steps_act_randomly_and_do_not_update(tmp_path: Path) -> None:
    trainer = SACTrainer(PointMassFixtureEnv(), tiny_config(warmup_steps=320, total_env_steps=480))
    result = train(trainer, seed=0)
    updates = [h["train/updates"] for h in result.history]
    batched_steps = trainer.plan.batched_steps_per_iteration
    assert updates == [0.0, 0.0, float(batched_steps * trainer.config.updates_per_env_step)]
    assert "train/critic_loss" not in result.history[1] and "train/critic_loss" in result.history[2]
    assert all("train/reward_mean" in h for h in result.history)


def test_should_stop_ends_the_run_early_with_a_checkpoint(tiny_trainer: SACTrainer, tmp_path: Path) -> None:
    checkpointer = StateCheckpointer(CheckpointManager(tmp_path / "ckpt"), tiny_trainer, TASKS)
    result = train(tiny_trainer, seed=0, checkpointer=checkpointer, should_stop=lambda: True)
    assert result.stopped_early and result.env_steps == tiny_trainer.plan.env_steps_per_iteration
    assert [info.step for info in CheckpointManager(tmp_path / "ckpt").list()] == [result.env_steps]


def test_settings_that_cannot_work_fail_as_configuration_errors() -> None:
    with pytest.raises(ConfigError, match=r"pretrain\.batch_size: 64 is larger than pretrain\.buffer_size"):
        SACTrainer(PointMassFixtureEnv(), tiny_config(batch_size=64, buffer_size=32))
    with pytest.raises(ConfigError, match=r"pretrain\.num_envs: 8 is larger"):
        SACTrainer(PointMassFixtureEnv(), tiny_config(buffer_size=4, batch_size=4))


def test_stage_reports_a_foreign_checkpoint_as_a_stage_failure(
    tiny_trainer: SACTrainer, tmp_path: Path
) -> None:
    from booster_workloads.stages import StageFailedError
    from booster_workloads.stages.pretrain import _train_or_explain

    manager = CheckpointManager(tmp_path / "ckpt")
    StateCheckpointer(manager, tiny_trainer, TASKS).save(tiny_trainer.init(jax.random.PRNGKey(0)), [])
    other = SACTrainer(PointMassFixtureEnv(), tiny_config(critic_hidden_sizes=(8, 8)))
    with pytest.raises(StageFailedError, match=r"critic_hidden_sizes: saved \[16, 16\], now \[8, 8\]"):
        _train_or_explain(other, seed=0, checkpointer=StateCheckpointer(manager, other, TASKS))
