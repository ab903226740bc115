"""Stage ``pretrain``: SAC pre-training on the MJX soccer tasks.

Trains :mod:`booster_workloads.sac` on ``num_envs`` parallel MJX environments of the three
competition tasks, checkpoints the whole training state (replay buffer included) to the checkpoints
volume every ``checkpoint_every_steps`` (a retried task resumes exactly where the last committed
checkpoint left it), writes the learning curve, exports the actor (``actor.safetensors`` +
``actor_spec.json``) and registers it as ``mjx_sac_pretrained`` with the alias ``candidate-pretrain``.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.sac.curve import (
    EPISODE_LENGTH,
    EPISODE_RETURN,
    RETURN_BY_TASK,
    REWARD_PER_STEP,
    curve_trends,
    trend_table,
)
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
TREND_FILE = "pretrain_learning_curve.md"
STALL_WINDOW_REPORTS = 10
SMOOTHING_FRACTION = 10  # the running mean spans a tenth of the reports


def plot_learning_curve(history: Sequence[Metrics], title: str) -> Figure:
    """Episode return and reward per step (overall and per task), episode length, the reward terms,
    losses and temperature: one point per report, with a running mean over the noisy ones."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(14, 8), layout="constrained")
    axes = figure.subplots(2, 3).flatten()
    return_axis, reward_axis, length_axis, terms_axis, loss_axis, alpha_axis = axes

    def series(key: str) -> tuple[list[float], list[float]]:
        points = [(h["env_steps"], h[key]) for h in history if key in h and not math.isnan(h[key])]
        return [p[0] for p in points], [p[1] for p in points]

    def smoothed(axis: Any, key: str, label: str, **style: Any) -> None:
        steps, values = series(key)
        if not values:
            return
        line = axis.plot(steps, values, alpha=0.25, linewidth=1, **style)[0]
        window = max(1, len(values) // SMOOTHING_FRACTION)
        running = [statistics.fmean(values[max(0, i - window + 1) : i + 1]) for i in range(len(values))]
        axis.plot(steps, running, color=line.get_color(), label=label, linewidth=2)

    task_keys = sorted({k.rsplit("/", 1)[-1] for h in history for k in h if k.startswith(RETURN_BY_TASK)})
    smoothed(return_axis, EPISODE_RETURN, "all tasks", color="black")
    for task in task_keys:
        smoothed(return_axis, f"{RETURN_BY_TASK}{task}", task)
    return_axis.set_title("return of finished episodes (training reward)")
    smoothed(reward_axis, REWARD_PER_STEP, "all tasks", color="black")
    for task in task_keys:
        smoothed(reward_axis, f"train/reward_by_task/{task}", task)
    reward_axis.set_title("reward per environment step")
    smoothed(length_axis, EPISODE_LENGTH, "all tasks", color="black")
    length_axis.set_title("length of finished episodes (steps)")
    term_keys = sorted({k for h in history for k in h if k.startswith("env/reward/")})
    for key in term_keys:
        terms_axis.plot(*series(key), label=key.removeprefix("env/reward/"))
    terms_axis.set_title("reward terms per step (scaled)")
    loss_axis.plot(*series("train/critic_loss"), label="critic")
    loss_axis.plot(*series("train/actor_loss"), label="actor")
    loss_axis.set_title("losses")
    alpha_axis.plot(*series("train/alpha"))
    alpha_axis.set_yscale("log")
    alpha_axis.set_title("entropy temperature alpha")
    for axis in axes:
        axis.set_xlabel("environment steps")
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=7)
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
        self.stall = StallDetector(ctx.config.pretrain.stall_patience_steps, log=ctx.log)
        self.recent_returns: deque[float] = deque(maxlen=STALL_WINDOW_REPORTS)
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
        # The stall detector watches the return of finished episodes (what SAC maximises), averaged
        # over the last few reports that finished any: one report holds few episodes, and their
        # return swings with where they started, so a lucky spike must not become the bar.
        episode_return = metrics.get("train/episode_return", math.nan)
        if not math.isnan(episode_return):
            self.recent_returns.append(episode_return)
        smoothed = statistics.fmean(self.recent_returns) if self.recent_returns else math.nan
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
        # Logged with the run's last metrics: W&B drops values logged at a step once it has moved on.
        trends = curve_trends(result.history, warmup_steps=cfg.warmup_steps)
        stage_run.log_metrics(
            {
                "charts/wall_seconds": wall,
                "charts/compile_seconds": result.compile_seconds,
                "charts/env_steps_per_second": new_steps / max(wall, 1e-9),
                **{
                    f"curve/{t.metric.removeprefix('train/')}/{part}": getattr(t, part)
                    for t in trends
                    for part in ("start", "end")
                },
            },
            step=result.env_steps,
        )
        if result.resumed_from_env_steps is not None:
            stage_run.set_tags({"resumed_from_env_steps": result.resumed_from_env_steps})

        figure = plot_learning_curve(
            result.history, f"SAC pre-training on MJX ({ctx.profile} profile, {cfg.num_envs} environments)"
        )
        curve_path = ctx.volumes.artifacts / STAGE / CURVE_FILE
        curve_path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(curve_path, dpi=110)
        stage_run.log_figure(figure, CURVE_FILE)
        log.info("learning curve written to %s", curve_path)
        if trends:
            table = trend_table(trends)
            (curve_path.parent / TREND_FILE).write_text(
                f"# Learning-curve trend\n\nFirst third against last third of the reports after warm-up "
                f"({result.env_steps} environment steps, seed {ctx.config.run.seed}).\n\n{table}\n"
            )
            stage_run.log_artifact(curve_path.parent / TREND_FILE)
            log.info("learning-curve trend (first third -> last third after warm-up):\n%s", table)

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
