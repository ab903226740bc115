"""Stage ``pretrain``: SAC pre-training on the MJX soccer tasks.

Trains :mod:`booster_workloads.sac` on ``num_envs`` parallel MJX environments of the three
competition tasks, checkpoints the whole training state (replay buffer included) to the checkpoints
volume every ``checkpoint_every_steps`` (a retried task resumes exactly where the last committed
checkpoint left it), writes the learning curve, exports the actor (``actor.safetensors`` +
``actor_spec.json``) and registers it as ``mjx_sac_pretrained`` with the alias ``candidate-pretrain``.
"""

from __future__ import annotations

import tempfile
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.sac.environment import TrainingEnv
from booster_workloads.sac.export import ACTOR_FILE, SPEC_FILE, export_actor
from booster_workloads.sac.state_io import CheckpointMismatchError, StateCheckpointer
from booster_workloads.sac.training import Metrics, SACTrainer, TrainResult, train
from booster_workloads.stages import StageFailedError
from booster_workloads.tracking.signature import actor_signature

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from booster_workloads.runtime.context import StageContext
    from booster_workloads.tracking.tracker import ModelVersionRef

STAGE = "pretrain"
TRAINING_TYPE = "sac_pretrain"
OUTPUT_MODEL = "pretrained_sac"
OUTPUT_ALIAS = "candidate_pretrain"
CURVE_FILE = "pretrain_learning_curve.png"
STALL_WINDOW_REPORTS = 5


def plot_learning_curve(history: Sequence[Metrics], title: str) -> Figure:
    """Reward per step (overall and per task), finished-episode return, losses and temperature."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 7), layout="constrained")
    reward_axis, return_axis, loss_axis, alpha_axis = figure.subplots(2, 2).flatten()

    def series(key: str) -> tuple[list[float], list[float]]:
        points = [(h["env_steps"], h[key]) for h in history if key in h]
        return [p[0] for p in points], [p[1] for p in points]

    task_keys = sorted({k for h in history for k in h if k.startswith("train/reward_by_task/")})
    reward_axis.plot(*series("train/reward_mean"), label="all tasks", linewidth=2, color="black")
    for key in task_keys:
        reward_axis.plot(*series(key), label=key.rsplit("/", 1)[-1], alpha=0.8)
    reward_axis.set_title("reward per environment step")
    reward_axis.legend(fontsize=7)
    return_axis.plot(*series("train/episode_return"), marker=".")
    return_axis.set_title("return of finished episodes")
    loss_axis.plot(*series("train/critic_loss"), label="critic")
    loss_axis.plot(*series("train/actor_loss"), label="actor")
    loss_axis.set_title("losses")
    loss_axis.legend(fontsize=7)
    alpha_axis.plot(*series("train/alpha"))
    alpha_axis.set_yscale("log")
    alpha_axis.set_title("entropy temperature alpha")
    for axis in (reward_axis, return_axis, loss_axis, alpha_axis):
        axis.set_xlabel("environment steps")
        axis.grid(alpha=0.3)
        if not axis.lines or not any(len(line.get_xdata()) for line in axis.lines):  # type: ignore[arg-type]
            axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes)
    figure.suptitle(title)
    return figure


def _train_or_explain(trainer: SACTrainer, **kwargs: Any) -> TrainResult:
    """:func:`train`, with a checkpoint from another configuration reported as a stage failure."""
    try:
        return train(trainer, **kwargs)
    except CheckpointMismatchError as exc:
        raise StageFailedError(str(exc)) from exc


class _Reporter:
    """Sends each metrics report to the tracker, the progress display and the stall detector."""

    def __init__(self, ctx: StageContext, stage_run: Any, env_steps_per_iteration: int) -> None:
        from booster_workloads.monitoring import StallDetector

        self.ctx = ctx
        self.stage_run = stage_run
        self.env_steps_per_iteration = env_steps_per_iteration
        self.progress: Any = None
        self.stall = StallDetector(ctx.config.monitoring.stall_patience_steps, log=ctx.log)
        self.recent_rewards: deque[float] = deque(maxlen=STALL_WINDOW_REPORTS)
        self.alerted = False

    def __call__(self, env_steps: int, metrics: Metrics) -> None:
        from booster_workloads.progress import Progress

        if self.progress is None:  # created at the first report, so a resumed run's rate is right
            self.progress = Progress(
                self.ctx.config.pretrain.total_env_steps,
                "pre-training (SAC on MJX)",
                "env steps",
                initial=max(env_steps - self.env_steps_per_iteration, 0),
                log=self.ctx.log,
                log_every_seconds=self.ctx.config.monitoring.progress_log_seconds,
            )
        self.stage_run.log_metrics(metrics, step=env_steps)
        self.progress.set(env_steps)
        # Warm-up acts randomly: its reward is the baseline, not progress to watch for a stall.
        if env_steps <= self.ctx.config.pretrain.warmup_steps + self.env_steps_per_iteration:
            return
        # One iteration's mean reward swings with where the few episodes in flight started; the
        # stall detector watches the mean of the last few reports so a lucky spike is not the bar.
        self.recent_rewards.append(metrics.get("train/reward_mean", float("nan")))
        smoothed = sum(self.recent_rewards) / len(self.recent_rewards)
        if self.stall.update(env_steps, smoothed) is not None:
            self.alerted = True

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()


def run(ctx: StageContext) -> None:
    from booster_workloads.soccer.mjx.env import make_mjx_env
    from booster_workloads.soccer.observation import TASKS

    pretrain(ctx, make_mjx_env(ctx.config.environment), TASKS)


def pretrain(ctx: StageContext, env: TrainingEnv, task_names: tuple[str, ...]) -> ModelVersionRef:
    """Train on ``env``, write the curve, export and register the actor; returns the registered version."""
    from booster_workloads.monitoring import GpuMonitor

    cfg = ctx.config.pretrain
    log = ctx.log
    with ctx.tracker.stage_run(STAGE, training_type=TRAINING_TYPE) as stage_run:
        trainer = SACTrainer(env, cfg, task_names=task_names)
        manager = CheckpointManager(ctx.volumes.stage_checkpoints(STAGE), keep=cfg.keep_checkpoints, log=log)
        checkpointer = StateCheckpointer(manager, trainer, task_names, log=log)
        gpu = GpuMonitor(memory_alert_percent=ctx.config.monitoring.memory_alert_percent, log=log)
        reporter = _Reporter(ctx, stage_run, trainer.plan.env_steps_per_iteration)
        stop_on_alert = ctx.config.monitoring.stop_on_alert
        log.info(
            "pre-training SAC for %d environment steps on %d MJX environments (observation %d, action %d)",
            cfg.total_env_steps,
            cfg.num_envs,
            trainer.observation_size,
            trainer.action_size,
        )
        started = time.perf_counter()
        try:
            result = _train_or_explain(
                trainer,
                seed=ctx.config.run.seed,
                checkpointer=checkpointer,
                progress_fn=reporter,
                gpu_stats_fn=lambda: gpu.sample(),
                should_stop=lambda: stop_on_alert and (reporter.alerted or gpu.alerted),
                log=log,
            )
        finally:
            reporter.close()
            gpu.close()
        wall = time.perf_counter() - started
        new_steps = result.env_steps - (result.resumed_from_env_steps or 0)
        stage_run.log_metrics(
            {
                "charts/wall_seconds": wall,
                "charts/compile_seconds": result.compile_seconds,
                "charts/env_steps_per_second": new_steps / max(wall, 1e-9),
            },
            step=result.env_steps,
        )
        if result.resumed_from_env_steps is not None:
            stage_run.set_tags({"resumed_from_env_steps": result.resumed_from_env_steps})

        figure = plot_learning_curve(
            result.history, f"SAC pre-training on MJX ({ctx.profile} profile, {cfg.num_envs} environments)"
        )
        ctx.volumes.artifacts.mkdir(parents=True, exist_ok=True)
        curve_path = ctx.volumes.artifacts / STAGE / CURVE_FILE
        curve_path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(curve_path, dpi=110)
        stage_run.log_figure(figure, CURVE_FILE)
        log.info("learning curve written to %s", curve_path)

        with tempfile.TemporaryDirectory(prefix="sac-actor-") as export_dir:
            files = export_actor(result.state, checkpointer.actor_spec(result.state), export_dir)
            ref = stage_run.log_model(
                OUTPUT_MODEL,
                files={ACTOR_FILE: files[ACTOR_FILE], SPEC_FILE: files[SPEC_FILE]},
                signature=actor_signature(trainer.observation_size, trainer.action_size),
                alias=OUTPUT_ALIAS,
            )
        log.info(
            "registered %s version %s as %s after %d environment steps%s",
            ref.name,
            ref.version,
            ref.alias,
            result.env_steps,
            " (stopped early by a monitoring alert)" if result.stopped_early else "",
        )
    return ref
