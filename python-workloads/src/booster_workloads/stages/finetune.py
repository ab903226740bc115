"""Stage ``finetune``: DDPG fine-tuning of the converted actor in the official environments.

Reads ``ddpg_pretrained@candidate-pretrain`` (the convert stage's output), fine-tunes it with
:mod:`booster_workloads.ddpg` in the ``sai-mujoco`` environments, checkpoints the whole training
state to the checkpoints volume (a retried task resumes where it stopped), and registers the result
as ``ddpg_finetuned`` with the alias ``candidate-finetuned``. Metrics go to MLflow and W&B under
``train/``, ``losses/``, ``reward/`` and ``charts/``; the learning curves are logged as a figure.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.ddpg.learner import LearnerStateError
from booster_workloads.ddpg.replay import ReplayStateError
from booster_workloads.ddpg.schedules import ScheduleError, check_schedule
from booster_workloads.ddpg.trainer import DDPGTrainer, DeviceError, ResumeError, resolve_device
from booster_workloads.monitoring import GpuMonitor, StallDetector
from booster_workloads.policy.torch_actor import ActorFileError, DDPGActor, load_actor, save_actor
from booster_workloads.progress import Progress
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS
from booster_workloads.soccer.official import DenseRewardScales, OfficialVecEnv
from booster_workloads.stages import StageFailedError
from booster_workloads.tracking.signature import actor_signature

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from booster_workloads.runtime.context import StageContext

STAGE = "finetune"
TRAINING_TYPE = "ddpg_finetune"
PARENT_MODEL = "pretrained_ddpg"
PARENT_ALIAS = "candidate_pretrain"
OUTPUT_MODEL = "finetuned_ddpg"
OUTPUT_ALIAS = "candidate_finetuned"
CURVES = (
    ("charts/episode_score", "competition score per episode"),
    ("reward/dense", "R_dense per step"),
    ("losses/critic", "critic loss"),
    ("losses/actor", "actor loss"),
)


class FinetuneInputError(StageFailedError):
    """The pre-trained actor cannot be fine-tuned (wrong observation size, damaged files)."""


def load_pretrained_actor(directory: Path) -> DDPGActor:
    try:
        actor, spec = load_actor(directory)
    except ActorFileError as exc:
        raise FinetuneInputError(f"the pre-trained DDPG actor cannot be loaded: {exc}") from exc
    if spec.observation_size != OBSERVATION_SIZE:
        raise FinetuneInputError(
            f"the pre-trained actor takes {spec.observation_size} inputs, the official preprocessed observation "
            f"has {OBSERVATION_SIZE}; re-run the convert stage on a model pre-trained with this observation layout"
        )
    return actor


def plot_curves(history: Sequence[tuple[int, Mapping[str, float]]]) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 6.5), layout="constrained")
    axes = figure.subplots(2, 2).flatten()
    for axis, (key, title) in zip(axes, CURVES, strict=True):
        points = [(step, metrics[key]) for step, metrics in history if key in metrics]
        if points:
            steps, values = zip(*points, strict=True)
            axis.plot(steps, values, marker="." if len(points) < 30 else None)
        else:
            axis.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=axis.transAxes)
        axis.set_title(title)
        axis.set_xlabel("environment steps")
        axis.grid(alpha=0.3)
    figure.suptitle("DDPG fine-tuning in the official environments")
    return figure


class _Reporter:
    """Sends each metrics report to the tracker, moves the progress display and watches for stalls."""

    def __init__(
        self, run: Any, progress: Progress, stall: StallDetector, gpu: GpuMonitor, stop_on_alert: bool
    ) -> None:
        self.run = run
        self.progress = progress
        self.stall = stall
        self.gpu = gpu
        self.stop_on_alert = stop_on_alert
        self.trainer: DDPGTrainer | None = None
        self.gpu_alerts_seen = 0
        self.history: list[tuple[int, dict[str, float]]] = []

    def __call__(self, step: int, metrics: dict[str, float]) -> None:
        metrics = {**metrics, **self.gpu.sample(step)}
        self.history.append((step, metrics))
        self.run.log_metrics(metrics, step=step)
        self.progress.set(step)
        # The stall watch follows the competition score of the episodes that ended in this window.
        alerts = (
            [self.stall.update(step, metrics["charts/episode_score"])]
            if "charts/episode_score" in metrics
            else []
        )
        if len(self.gpu.alerts) > self.gpu_alerts_seen:
            alerts.append(self.gpu.alerts[-1])
            self.gpu_alerts_seen = len(self.gpu.alerts)
        for alert in filter(None, alerts):
            self.run.set_tags({f"alert/{alert.kind}": alert.message})
            if self.stop_on_alert and self.trainer is not None:
                self.trainer.stop_requested = True


def run(ctx: StageContext) -> None:
    threads = torch.get_num_threads()
    try:
        _run(ctx)
    except (ScheduleError, ResumeError, LearnerStateError, ReplayStateError, DeviceError) as exc:
        raise StageFailedError(f"finetune: {exc}") from exc
    finally:
        torch.set_num_threads(threads)  # later stages of the same process keep their setting


def _run(ctx: StageContext) -> None:
    cfg = ctx.config.finetune
    monitoring = ctx.config.monitoring
    check_schedule(cfg)  # before anything is downloaded or logged
    # Oversubscribed cores make torch's thread pool spin: on a shared two-core machine two threads
    # ran the loop ten times slower than one.
    torch.set_num_threads(cfg.torch_threads)
    device = resolve_device(cfg.device)
    seed = ctx.config.run.seed
    log = ctx.log
    with ctx.tracker.stage_run(
        STAGE, training_type=TRAINING_TYPE, parent_model=PARENT_MODEL, parent_alias=PARENT_ALIAS
    ) as stage_run:
        parent, files = ctx.tracker.download_model(PARENT_MODEL, PARENT_ALIAS)
        actor = load_pretrained_actor(files)
        stage_run.set_tags({"parent_version": parent.version})
        log.info(
            "fine-tuning %s version %s for %d environment steps, networks on %s",
            parent.name,
            parent.version,
            cfg.total_env_steps,
            device,
        )

        checkpoints = CheckpointManager(
            ctx.volumes.stage_checkpoints(STAGE), keep=cfg.keep_checkpoints, log=log
        )
        scales = DenseRewardScales(
            approach_ball=cfg.dense_approach_ball_scale,
            ball_velocity_to_goal=cfg.dense_ball_velocity_to_goal_scale,
            fallen=cfg.dense_fallen_scale,
        )
        started = time.perf_counter()
        with OfficialVecEnv(cfg.num_envs, num_workers=cfg.num_workers, dense_scales=scales) as envs:
            trainer = DDPGTrainer(
                cfg, actor, envs, seed=seed, checkpoints=checkpoints, log=log, device=device
            )
            if trainer.restore():
                log.info("resumed fine-tuning at environment step %d", trainer.step)
            progress = Progress(
                cfg.total_env_steps,
                "fine-tuning (DDPG)",
                "env steps",
                initial=trainer.step,
                log=log,
                log_every_seconds=monitoring.progress_log_seconds,
            )
            gpu = GpuMonitor(monitoring.memory_alert_percent, log=log)
            reporter = _Reporter(
                stage_run,
                progress,
                StallDetector(cfg.stall_patience_steps, log=log),
                gpu,
                monitoring.stop_on_alert,
            )
            reporter.trainer = trainer
            trainer.progress_fn = reporter
            with progress:
                result = trainer.train()
            gpu.close()
        wall = time.perf_counter() - started
        stage_run.log_metrics(
            {
                "charts/wall_seconds": wall,
                "charts/env_steps_per_second": (result.step - (result.resumed_from or 0)) / max(wall, 1e-9),
                "train/episodes": float(result.episodes),
            },
            step=result.step,
        )
        stage_run.log_figure(plot_curves(reporter.history), "finetune_curves.png")

        with tempfile.TemporaryDirectory(prefix="finetuned-actor-") as out:
            paths = save_actor(
                trainer.learner.actor,
                Path(out),
                tasks=TASKS,
                metadata={
                    "source_model": parent.name,
                    "source_version": parent.version,
                    "training_type": TRAINING_TYPE,
                    "env_steps": result.step,
                    "critic_updates": result.critic_updates,
                    "actor_updates": result.actor_updates,
                    "seed": seed,
                },
            )
            ref = stage_run.log_model(
                OUTPUT_MODEL,
                files={name: str(path) for name, path in paths.items()},
                signature=actor_signature(OBSERVATION_SIZE, trainer.learner.actor.action_size),
                alias=OUTPUT_ALIAS,
            )
        log.info(
            "registered %s version %s as @%s after %d environment steps (%.0f s)",
            ref.name,
            ref.version,
            ref.alias,
            result.step,
            wall,
        )
