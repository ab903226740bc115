"""The fine-tuning loop: collect in the official environments, learn, checkpoint, report.

One loop iteration steps every environment once (``num_envs`` environment steps), stores the
transitions, and runs ``updates_per_env_step`` gradient updates per environment step (fractions carry
over). Metrics reach the caller through ``progress_fn(step, metrics)``; the loop owns no logger.

Checkpoints and exact resume. A checkpoint holds everything that decides the rest of the run: the four
networks, both optimizers (moments and step counts), the actor's freeze phase, the whole filled part of
the replay buffer, the numpy generator (noise and minibatch sampling), torch's generator, the update
counters and the step. Simulator state is not saved (MuJoCo plus each environment's internal counters
and generators): instead, at every checkpoint step, whether a run saves there or resumes from there,
every environment is reset with a seed derived from the run seed and the step. Episodes running at a
checkpoint are cut there (a truncation, bootstrapped as such), and a resumed run is the same
computation as an uninterrupted one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.ddpg.exploration import explore, gaussian_noise
from booster_workloads.ddpg.learner import DDPGLearner
from booster_workloads.ddpg.replay import ReplayBuffer
from booster_workloads.ddpg.schedules import reward_weights
from booster_workloads.policy.torch_actor import DDPGActor
from booster_workloads.soccer.observation import TASKS
from booster_workloads.soccer.official import DENSE_TERM_NAMES, FinishedEpisode, OfficialVecEnv

ProgressFn = Callable[[int, dict[str, float]], None]
STATE_FILE = "trainer.json"
RNG_FILE = "rng.safetensors"
REPLAY_FILE = "replay.safetensors"


class ResumeError(ValueError):
    """A checkpoint cannot continue this run."""


class DeviceError(ValueError):
    """The configured device does not exist on this machine."""


def resolve_device(requested: str) -> torch.device:
    """``auto``: CUDA when present (the full run's GPU node), else CPU; ``cuda`` without a GPU is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceError("finetune.device is 'cuda' but torch sees no GPU; use 'auto' or 'cpu'")
    return torch.device(requested)


def environment_seed(run_seed: int, step: int) -> int:
    """The seed environments are reset with at ``step`` (distinct per step, reproducible per run)."""
    return int(np.random.SeedSequence([run_seed, step]).generate_state(1)[0] % (2**31 - 1))


@dataclass
class _Window:
    """Sums between two metric reports."""

    transitions: int = 0
    reward_dense: float = 0.0
    reward_official: float = 0.0
    reward_env: float = 0.0
    dense_terms: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DENSE_TERM_NAMES, 0.0))
    losses: dict[str, list[float]] = field(default_factory=dict)
    episodes: list[FinishedEpisode] = field(default_factory=list)
    updates: int = 0
    started: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class FinetuneResult:
    step: int
    critic_updates: int
    actor_updates: int
    episodes: int
    resumed_from: int | None
    wall_seconds: float


class DDPGTrainer:
    def __init__(
        self,
        config: FinetuneConfig,
        actor: DDPGActor,
        envs: OfficialVecEnv,
        *,
        seed: int,
        checkpoints: CheckpointManager | None = None,
        progress_fn: ProgressFn | None = None,
        log: logging.Logger | None = None,
        device: torch.device | None = None,
    ) -> None:
        if envs.num_envs != config.num_envs:
            raise ValueError(
                f"the runner has {envs.num_envs} environments, finetune.num_envs is {config.num_envs}"
            )
        self.config = config
        self.envs = envs
        self.seed = seed
        self.checkpoints = checkpoints
        self.progress_fn = progress_fn
        self.log = log or logging.getLogger(__name__)
        self.learner = DDPGLearner(actor, config, seed, device)
        self.replay = ReplayBuffer(config.buffer_size, actor.observation_size, actor.action_size)
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDD96]))
        self.step = 0
        self.pending_updates = 0.0
        self.episodes = 0
        self.resumed_from: int | None = None
        # Set by a monitor (stall, memory) through ``progress_fn``: the loop checkpoints and stops.
        self.stop_requested = False

    # ------------------------------------------------------------------------------ checkpoints

    def _payload(self) -> dict[str, bytes]:
        state = {
            "step": self.step,
            "pending_updates": self.pending_updates,
            "episodes": self.episodes,
            "numpy_rng": self.rng.bit_generator.state,
            "replay": self.replay.state_json(),
            "seed": self.seed,
        }
        return {
            **self.learner.state_payload(),
            REPLAY_FILE: self.replay.state_bytes(),
            RNG_FILE: save_tensors({"torch": torch.get_rng_state()}),
            STATE_FILE: json.dumps(state, sort_keys=True).encode("utf-8"),
        }

    def save_checkpoint(self) -> None:
        if self.checkpoints is None:
            return
        a, b = reward_weights(self.step, self.config)
        self.checkpoints.save(
            self.step,
            self._payload(),
            metadata={"stage": "finetune", "phase": self.learner.phase.name, "reward_weights": [a, b]},
        )

    def restore(self) -> bool:
        """Continue from the newest valid checkpoint, if any; True when one was loaded."""
        if self.checkpoints is None:
            return False
        restored = self.checkpoints.restore_latest()
        if restored is None:
            return False
        missing = {STATE_FILE, RNG_FILE, REPLAY_FILE, "learner.json"} - set(restored.payload)
        if missing:
            raise ResumeError(
                f"checkpoint {restored.path} lacks {sorted(missing)}: it is not a fine-tuning checkpoint; "
                "point the stage at its own checkpoint directory or delete the stray one"
            )
        state = json.loads(restored.payload[STATE_FILE].decode("utf-8"))
        if int(state["seed"]) != self.seed:
            raise ResumeError(
                f"checkpoint {restored.path} was made with seed {state['seed']}, this run uses seed {self.seed}; "
                "resume with the same --seed or use a fresh checkpoint directory"
            )
        self.learner.load_payload(restored.payload)
        self.replay.load(restored.payload[REPLAY_FILE], state["replay"])
        self.rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(load_tensors(restored.payload[RNG_FILE])["torch"])
        self.step = int(state["step"])
        self.pending_updates = float(state["pending_updates"])
        self.episodes = int(state["episodes"])
        self.resumed_from = self.step
        return True

    # ------------------------------------------------------------------------------------- loop

    def _report(self, window: _Window) -> None:
        if self.progress_fn is None:
            return
        elapsed = max(time.perf_counter() - window.started, 1e-9)
        a, b = reward_weights(self.step, self.config)
        n = max(window.transitions, 1)
        metrics: dict[str, float] = {
            "train/env_steps": float(self.step),
            "train/env_steps_per_second": window.transitions / elapsed,
            "train/updates_per_second": window.updates / elapsed,
            "train/critic_updates": float(self.learner.critic_updates),
            "train/actor_updates": float(self.learner.actor_updates),
            "train/episodes": float(self.episodes),
            "train/actor_trainable_layers": float(
                sum(1 for lr in self.learner.actor_learning_rates() if lr > 0)
            ),
            "train/actor_learning_rate": max(self.learner.actor_learning_rates()),
            "train/replay_size": float(len(self.replay)),
            "reward/dense": window.reward_dense / n,
            "reward/official": window.reward_official / n,
            "reward/env": window.reward_env / n,
            "reward/combined": (a * window.reward_dense + b * window.reward_official) / n,
            "reward/weight_dense": a,
            "reward/weight_official": b,
        }
        for name, total in window.dense_terms.items():
            metrics[f"reward/dense_{name}"] = total / n
        for name, values in window.losses.items():
            metrics[name] = float(np.mean(values))
        if window.episodes:
            # Episodes cut short by a checkpoint reset are not in here: only natural ends are scored.
            metrics["charts/episode_score"] = float(np.mean([e.score for e in window.episodes]))
            metrics["charts/episode_return_env"] = float(np.mean([e.env_return for e in window.episodes]))
            metrics["charts/episode_return_dense"] = float(np.mean([e.dense_return for e in window.episodes]))
            metrics["charts/episode_length"] = float(np.mean([e.length for e in window.episodes]))
            for task_index, task in enumerate(TASKS):
                scores = [e.score for e in window.episodes if e.task_index == task_index]
                if scores:
                    metrics[f"charts/episode_score/{task}"] = float(np.mean(scores))
        self.progress_fn(self.step, metrics)

    def _act(self, observation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            observation_tensor = torch.from_numpy(observation).to(self.learner.device)
            policy_action = self.learner.actor(observation_tensor).cpu().numpy()
        noise = gaussian_noise(self.rng, policy_action.shape, self.config.exploration_noise_std)
        return explore(policy_action, noise)

    def train(self, until_step: int | None = None) -> FinetuneResult:
        """Run to ``total_env_steps`` (or stop at the first checkpoint at or after ``until_step``)."""
        cfg = self.config
        started = time.perf_counter()
        total = cfg.total_env_steps
        observation = self.envs.reset(environment_seed(self.seed, self.step))
        window = _Window()
        last_report = self.step
        while self.step < total:
            explored, torque = self._act(observation)
            batch = self.envs.step(torque)
            self.replay.add(
                observation,
                explored,
                batch.final_observation,
                batch.reward_dense,
                batch.reward_official,
                batch.terminated,
            )
            observation = batch.observation
            previous_step = self.step
            self.step += self.envs.num_envs
            self.episodes += len(batch.finished_episodes)
            window.transitions += self.envs.num_envs
            window.reward_dense += float(batch.reward_dense.sum())
            window.reward_official += float(batch.reward_official.sum())
            window.reward_env += float(batch.reward_env.sum())
            for name in DENSE_TERM_NAMES:
                window.dense_terms[name] += float(batch.dense_terms[name].sum())
            window.episodes.extend(batch.finished_episodes)

            if self.step >= cfg.learning_starts:
                self.pending_updates += self.envs.num_envs * cfg.updates_per_env_step
                while self.pending_updates >= 1.0:
                    metrics = self.learner.update(self.replay.sample(self.rng, cfg.batch_size), self.step)
                    self.pending_updates -= 1.0
                    window.updates += 1
                    for name, value in metrics.items():
                        window.losses.setdefault(name, []).append(value)
            else:
                self.learner.apply_schedule(self.step)

            if self.step - last_report >= cfg.metrics_every_steps or self.step >= total:
                self._report(window)
                window = _Window()
                last_report = self.step

            crossed = self.step // cfg.checkpoint_every_steps > previous_step // cfg.checkpoint_every_steps
            if crossed or self.step >= total or self.stop_requested:
                self.save_checkpoint()
                if self.stop_requested:
                    self.log.warning("fine-tuning stopped early at environment step %d", self.step)
                    break
                if self.step >= total or (until_step is not None and self.step >= until_step):
                    break
                observation = self.envs.reset(environment_seed(self.seed, self.step))
        return FinetuneResult(
            step=self.step,
            critic_updates=self.learner.critic_updates,
            actor_updates=self.learner.actor_updates,
            episodes=self.episodes,
            resumed_from=self.resumed_from,
            wall_seconds=time.perf_counter() - started,
        )

    def state_summary(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "phase": self.learner.phase.name,
            "actor_learning_rates": self.learner.actor_learning_rates(),
            "critic_updates": self.learner.critic_updates,
        }
