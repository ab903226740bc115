"""SAC training on batched JAX environments: one immutable state, one compiled iteration.

A training iteration (``SACTrainer.iteration``) is a single jit-compiled function: a ``lax.scan``
over batched environment steps, each followed by a ``lax.scan`` over gradient updates. The Python
loop in :func:`train` only calls it, times it, reports metrics and writes checkpoints: everything
impure stays outside compiled code.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from booster_workloads.config.loader import ConfigError
from booster_workloads.config.pretrain import PretrainConfig
from booster_workloads.sac.environment import TrainingEnv, current_observation
from booster_workloads.sac.losses import make_losses
from booster_workloads.sac.networks import Actor, Params, TwinCritic, apply_network, sample_squashed_gaussian
from booster_workloads.sac.normalizer import NormalizerState, init_normalizer, normalize, update_normalizer
from booster_workloads.sac.replay import ReplayBuffer, Transitions, init_replay_buffer, insert, sample

Metrics = dict[str, float]
ProgressFn = Callable[[int, Metrics], None]


class TrainingState(flax.struct.PyTreeNode):
    """Everything a run needs to continue exactly; replaced each iteration, never mutated."""

    actor_params: Params
    critic_params: Params
    target_critic_params: Params
    actor_opt_state: optax.OptState
    critic_opt_state: optax.OptState
    log_alpha: jax.Array
    alpha_opt_state: optax.OptState
    normalizer: NormalizerState
    replay: ReplayBuffer
    env_state: Any  # the batched environment state, leading axis num_envs
    obs: jax.Array  # (num_envs, observation_size), what the policy acts on next
    episode_return: jax.Array  # (num_envs,), reward summed since each environment's last reset
    episode_length: jax.Array  # (num_envs,), steps since each environment's last reset
    key: jax.Array
    env_steps: jax.Array  # int32, summed over all parallel environments
    updates: jax.Array  # int32, gradient updates done


@dataclass(frozen=True)
class IterationPlan:
    """How the configured step counts map onto compiled calls."""

    num_envs: int
    batched_steps_per_iteration: int
    action_repeat: int = 1

    @property
    def env_steps_per_iteration(self) -> int:
        return self.batched_steps_per_iteration * self.num_envs * self.action_repeat


def plan_iterations(config: PretrainConfig) -> IterationPlan:
    return IterationPlan(
        num_envs=config.num_envs,
        batched_steps_per_iteration=max(
            1, config.metrics_every_steps // (config.num_envs * config.action_repeat)
        ),
        action_repeat=config.action_repeat,
    )


class RepeatedStep(NamedTuple):
    """The outcome of one policy decision held for ``action_repeat`` environment steps."""

    next_obs: jax.Array  # observation after the last step taken, before any auto-reset
    reward: jax.Array  # summed over the steps taken
    terminated: jax.Array  # bool
    truncated: jax.Array  # bool
    physics_steps: jax.Array  # environment steps taken (fewer than action_repeat if the episode ended)
    metrics: dict[str, jax.Array]  # per-environment sums divided by action_repeat


def _as_float(done: jax.Array) -> jax.Array:
    return jnp.asarray(done, jnp.float32)


class SACTrainer:
    """Builds the networks, losses and compiled functions for one environment and configuration."""

    def __init__(self, env: TrainingEnv, config: PretrainConfig, task_names: tuple[str, ...] = ()) -> None:
        """``task_names``: when given and the environment state has a per-environment ``task`` index,
        the reward is also reported per task (``reward_by_task/<name>``)."""
        if config.batch_size > config.buffer_size:
            raise ConfigError(
                f"pretrain.batch_size: {config.batch_size} is larger than pretrain.buffer_size "
                f"({config.buffer_size}); lower the batch size or raise the buffer size",
                "pretrain.batch_size",
            )
        if config.num_envs > config.buffer_size:
            raise ConfigError(
                f"pretrain.num_envs: {config.num_envs} is larger than pretrain.buffer_size "
                f"({config.buffer_size}); one batched step must fit in the replay buffer",
                "pretrain.num_envs",
            )
        self.env = env
        self.config = config
        self.task_names = task_names
        self.plan = plan_iterations(config)
        self.observation_size = int(env.observation_size)
        self.action_size = int(env.action_size)
        self.actor = Actor(hidden_sizes=tuple(config.actor_hidden_sizes), action_size=self.action_size)
        self.critic = TwinCritic(hidden_sizes=tuple(config.critic_hidden_sizes))
        self.actor_optimizer = optax.adam(config.actor_learning_rate)
        self.critic_optimizer = optax.adam(config.critic_learning_rate)
        self.alpha_optimizer = optax.adam(config.alpha_learning_rate)
        self.target_entropy = config.target_entropy_per_action * self.action_size
        self.losses = make_losses(
            self.actor, self.critic, gamma=config.gamma, target_entropy=self.target_entropy
        )
        self.init = jax.jit(self._init)
        self.iteration = jax.jit(self._iteration)
        self._compiled_iteration: Any = None
        self.compile_seconds = 0.0

    def compiled_iteration(self, example: TrainingState) -> Any:
        """The training iteration compiled ahead of time for ``example``'s shapes (once per trainer),
        so compile time is measured apart from training time."""
        if self._compiled_iteration is None:
            started = time.perf_counter()
            self._compiled_iteration = self.iteration.lower(example).compile()
            self.compile_seconds = time.perf_counter() - started
        return self._compiled_iteration

    # ------------------------------------------------------------------------------ state

    def _init(self, key: jax.Array) -> TrainingState:
        actor_key, critic_key, env_key, train_key = jax.random.split(key, 4)
        dummy_obs = jnp.zeros((1, self.observation_size), jnp.float32)
        dummy_action = jnp.zeros((1, self.action_size), jnp.float32)
        actor_params = self.actor.init(actor_key, dummy_obs)
        critic_params = self.critic.init(critic_key, dummy_obs, dummy_action)
        log_alpha = jnp.asarray(math.log(self.config.initial_alpha), jnp.float32)
        env_state = jax.vmap(self.env.reset)(jax.random.split(env_key, self.config.num_envs))
        return TrainingState(
            actor_params=actor_params,
            critic_params=critic_params,
            target_critic_params=critic_params,
            actor_opt_state=self.actor_optimizer.init(actor_params),
            critic_opt_state=self.critic_optimizer.init(critic_params),
            log_alpha=log_alpha,
            alpha_opt_state=self.alpha_optimizer.init(log_alpha),
            normalizer=init_normalizer(self.observation_size),
            replay=init_replay_buffer(self.config.buffer_size, self.observation_size, self.action_size),
            env_state=env_state,
            obs=jnp.asarray(current_observation(env_state), jnp.float32),
            episode_return=jnp.zeros((self.config.num_envs,), jnp.float32),
            episode_length=jnp.zeros((self.config.num_envs,), jnp.float32),
            key=train_key,
            env_steps=jnp.zeros((), jnp.int32),
            updates=jnp.zeros((), jnp.int32),
        )

    def normalized(self, state: TrainingState, obs: jax.Array) -> jax.Array:
        return normalize(state.normalizer, obs, self.config.normalize_observations)

    # ------------------------------------------------------------------------------ acting

    def _env_step(self, state: TrainingState, key: jax.Array) -> tuple[TrainingState, dict[str, jax.Array]]:
        """Step every environment once and store the transitions; returns per-step statistics.

        Until ``warmup_steps`` environment steps are done the actions are uniformly random (they fill
        the replay buffer and the normaliser); after, they are sampled from the policy.
        """
        random_key, policy_key = jax.random.split(key)
        random_action = jax.random.uniform(
            random_key, (self.config.num_envs, self.action_size), jnp.float32, -1.0, 1.0
        )
        output = apply_network(self.actor, state.actor_params, self.normalized(state, state.obs))
        policy_action, _ = sample_squashed_gaussian(output, policy_key)
        action = jnp.where(state.env_steps < self.config.warmup_steps, random_action, policy_action)
        env_state, out = self._repeat_action(state.env_state, action)
        reward = out.reward
        terminated = _as_float(out.terminated)
        done = jnp.maximum(terminated, _as_float(out.truncated))
        # Truncation (time limit) is not a terminal state: its value is bootstrapped; only a true
        # termination (fall, goal) cuts the return.
        transitions = Transitions(
            obs=state.obs,
            action=action,
            reward=reward,
            discount=1.0 - terminated,
            next_obs=out.next_obs,
        )
        normalizer = state.normalizer
        if self.config.normalize_observations:
            normalizer = update_normalizer(normalizer, state.obs)
        episode_return = state.episode_return + reward
        episode_length = state.episode_length + out.physics_steps
        stats = {
            "reward_sum": jnp.sum(reward),
            "finished_episodes": jnp.sum(done),
            "finished_return_sum": jnp.sum(episode_return * done),
            "finished_length_sum": jnp.sum(episode_length * done),
        }
        for name, value in out.metrics.items():
            stats[f"env/{name}"] = jnp.mean(value)
        task = getattr(state.env_state, "task", None)
        for index, task_name in enumerate(self.task_names if task is not None else ()):
            in_task = jnp.asarray(task == index, jnp.float32)
            stats[f"task_reward_sum/{task_name}"] = jnp.sum(reward * in_task)
            stats[f"task_steps/{task_name}"] = jnp.sum(out.physics_steps * in_task)
            stats[f"task_finished/{task_name}"] = jnp.sum(done * in_task)
            stats[f"task_finished_return_sum/{task_name}"] = jnp.sum(episode_return * done * in_task)
        new_state = state.replace(
            replay=insert(state.replay, transitions),
            normalizer=normalizer,
            env_state=env_state,
            obs=jnp.asarray(current_observation(env_state), jnp.float32),
            episode_return=episode_return * (1.0 - done),
            episode_length=episode_length * (1.0 - done),
            env_steps=state.env_steps + self.config.num_envs * self.config.action_repeat,
        )
        return new_state, stats

    def _step_once(self, env_state: Any, action: jax.Array) -> tuple[Any, RepeatedStep]:
        """Every environment one step, its outcome in the trainer's dtypes."""
        stepped, out = jax.vmap(self.env.step)(env_state, action)
        return stepped, RepeatedStep(
            next_obs=jnp.asarray(out.next_obs, jnp.float32),
            reward=jnp.asarray(out.reward, jnp.float32),
            terminated=jnp.asarray(out.terminated, bool),
            truncated=jnp.asarray(out.truncated, bool),
            physics_steps=jnp.ones((self.config.num_envs,), jnp.float32),
            metrics={name: jnp.asarray(value, jnp.float32) for name, value in out.metrics.items()},
        )

    def _repeat_action(self, env_state: Any, action: jax.Array) -> tuple[Any, RepeatedStep]:
        """Apply ``action`` for ``action_repeat`` environment steps, or until the episode ends.

        Rewards are summed over the steps taken; an environment whose episode ended stops there (its
        state, already reset to a fresh episode, is held until the next decision), so a transition
        never spans two episodes. ``env/*`` metrics are per environment step.
        """
        repeat = self.config.action_repeat
        if repeat == 1:
            return self._step_once(env_state, action)
        num_envs = self.config.num_envs

        def hold(active: jax.Array, new: jax.Array, old: jax.Array) -> jax.Array:
            return jnp.where(active.reshape((num_envs,) + (1,) * (new.ndim - 1)), new, old)

        def substep(carry: tuple[Any, RepeatedStep, jax.Array], _: None) -> tuple[Any, None]:
            current, total, finished = carry
            stepped, out = self._step_once(current, action)
            active = ~finished
            weight = _as_float(active)
            terminated = out.terminated & active
            truncated = out.truncated & active
            total = RepeatedStep(
                next_obs=hold(active, out.next_obs, total.next_obs),
                reward=total.reward + weight * out.reward,
                terminated=total.terminated | terminated,
                truncated=total.truncated | truncated,
                physics_steps=total.physics_steps + weight,
                metrics={
                    name: total.metrics[name] + weight * value / repeat for name, value in out.metrics.items()
                },
            )
            current = jax.tree_util.tree_map(lambda new, old: hold(active, new, old), stepped, current)
            return (current, total, finished | terminated | truncated), None

        # Running totals start at zero, shaped (metric names included) like one traced step.
        _, shapes = jax.eval_shape(self._step_once, env_state, action)
        total = jax.tree_util.tree_map(lambda shape: jnp.zeros(shape.shape, shape.dtype), shapes)
        nothing = jnp.zeros((num_envs,), bool)
        (env_state, total, _), _ = jax.lax.scan(substep, (env_state, total, nothing), None, length=repeat)
        return env_state, total

    # ------------------------------------------------------------------------------ learning

    def update(self, state: TrainingState, key: jax.Array) -> tuple[TrainingState, dict[str, jax.Array]]:
        """One gradient step on temperature, critics and actor, then the Polyak target update."""
        sample_key, alpha_key, critic_key, actor_key = jax.random.split(key, 4)
        batch = sample(state.replay, sample_key, self.config.batch_size)
        batch = batch.replace(
            obs=self.normalized(state, batch.obs), next_obs=self.normalized(state, batch.next_obs)
        )

        alpha_loss, alpha_grad = jax.value_and_grad(self.losses.alpha_loss)(
            state.log_alpha, state.actor_params, batch.obs, alpha_key
        )
        alpha_step, alpha_opt_state = self.alpha_optimizer.update(alpha_grad, state.alpha_opt_state)
        log_alpha = optax.apply_updates(state.log_alpha, alpha_step)
        alpha = jax.lax.stop_gradient(jnp.exp(log_alpha))

        critic_loss, critic_grad = jax.value_and_grad(self.losses.critic_loss)(
            state.critic_params, state.target_critic_params, state.actor_params, alpha, batch, critic_key
        )
        critic_step, critic_opt_state = self.critic_optimizer.update(critic_grad, state.critic_opt_state)
        critic_params = optax.apply_updates(state.critic_params, critic_step)

        actor_loss, actor_grad = jax.value_and_grad(self.losses.actor_loss)(
            state.actor_params, critic_params, alpha, batch.obs, actor_key
        )
        actor_step, actor_opt_state = self.actor_optimizer.update(actor_grad, state.actor_opt_state)
        actor_params = optax.apply_updates(state.actor_params, actor_step)

        target_critic_params = optax.incremental_update(
            critic_params, state.target_critic_params, self.config.tau
        )
        new_state = state.replace(
            actor_params=actor_params,
            critic_params=critic_params,
            target_critic_params=target_critic_params,
            actor_opt_state=actor_opt_state,
            critic_opt_state=critic_opt_state,
            log_alpha=log_alpha,
            alpha_opt_state=alpha_opt_state,
            updates=state.updates + 1,
        )
        return new_state, {"critic_loss": critic_loss, "actor_loss": actor_loss, "alpha_loss": alpha_loss}

    def _iteration(self, state: TrainingState) -> tuple[TrainingState, dict[str, jax.Array]]:
        """``batched_steps_per_iteration`` x (step all environments, then ``updates_per_env_step`` updates).

        Warm-up is part of the same compiled function (random actions, updates skipped by
        ``lax.cond``), so the environment step is compiled once, and whether a step is warm-up follows
        from the state alone, which keeps resumed runs identical.
        """
        update_names = ("critic_loss", "actor_loss", "alpha_loss")

        def updates_body(carry: TrainingState, key: jax.Array) -> tuple[TrainingState, dict[str, jax.Array]]:
            return self.update(carry, key)

        def learn(carry: TrainingState, keys: jax.Array) -> tuple[TrainingState, dict[str, jax.Array]]:
            carry, stats = jax.lax.scan(updates_body, carry, keys)
            return carry, {name: jnp.mean(stats[name]) for name in update_names}

        def skip(carry: TrainingState, _keys: jax.Array) -> tuple[TrainingState, dict[str, jax.Array]]:
            return carry, {name: jnp.zeros((), jnp.float32) for name in update_names}

        def step_body(carry: TrainingState, _: None) -> tuple[TrainingState, dict[str, jax.Array]]:
            key, act_key, update_key = jax.random.split(carry.key, 3)
            # The same test as the action choice: a step that acted with the policy also learns.
            learning = carry.env_steps >= self.config.warmup_steps
            carry, step_stats = self._env_step(carry.replace(key=key), act_key)
            update_keys = jax.random.split(update_key, self.config.updates_per_env_step)
            carry, update_stats = jax.lax.cond(learning, learn, skip, carry, update_keys)
            step_stats.update(update_stats)
            step_stats["learning"] = jnp.asarray(learning, jnp.float32)
            return carry, step_stats

        state, stats = jax.lax.scan(step_body, state, None, length=self.plan.batched_steps_per_iteration)
        learning_steps = jnp.sum(stats.pop("learning"))
        finished = jnp.sum(stats.pop("finished_episodes"))
        finished_return = jnp.sum(stats.pop("finished_return_sum"))
        finished_length = jnp.sum(stats.pop("finished_length_sum"))
        reward_sum = jnp.sum(stats.pop("reward_sum"))
        metrics = {}
        for task_name in self.task_names:
            if f"task_steps/{task_name}" in stats:
                steps = jnp.sum(stats.pop(f"task_steps/{task_name}"))
                total = jnp.sum(stats.pop(f"task_reward_sum/{task_name}"))
                metrics[f"reward_by_task/{task_name}"] = jnp.where(
                    steps > 0, total / jnp.maximum(steps, 1.0), jnp.nan
                )
                task_finished = jnp.sum(stats.pop(f"task_finished/{task_name}"))
                task_return = jnp.sum(stats.pop(f"task_finished_return_sum/{task_name}"))
                metrics[f"episode_return_by_task/{task_name}"] = jnp.where(
                    task_finished > 0, task_return / jnp.maximum(task_finished, 1.0), jnp.nan
                )
        for name, value in stats.items():
            if name in update_names:
                # Averaged over the steps that learned; NaN (not reported) in a pure warm-up iteration.
                metrics[name] = jnp.where(
                    learning_steps > 0, jnp.sum(value) / jnp.maximum(learning_steps, 1.0), jnp.nan
                )
            else:
                metrics[name] = jnp.mean(value)
        metrics["reward_mean"] = reward_sum / self.plan.env_steps_per_iteration
        metrics["finished_episodes"] = finished
        metrics["episode_return"] = jnp.where(
            finished > 0, finished_return / jnp.maximum(finished, 1.0), jnp.nan
        )
        metrics["episode_length"] = jnp.where(
            finished > 0, finished_length / jnp.maximum(finished, 1.0), jnp.nan
        )
        metrics["alpha"] = jnp.exp(state.log_alpha)
        return state, metrics

    # ------------------------------------------------------------------------------ acting outside

    def deterministic_policy(self, state: TrainingState) -> Callable[[jax.Array], jax.Array]:
        """obs -> tanh(mean) with the state's actor and normaliser (for evaluation)."""

        def policy(obs: jax.Array) -> jax.Array:
            output = apply_network(self.actor, state.actor_params, self.normalized(state, obs))
            mean, _ = jnp.split(output, 2, axis=-1)
            return jnp.tanh(mean)

        return policy


def training_metrics(raw: Mapping[str, jax.Array], env_steps_per_second: float) -> Metrics:
    """The compiled iteration's statistics under their reported names (``train/*``, ``env/*``)."""
    metrics: Metrics = {"train/env_steps_per_second": env_steps_per_second}
    for name, value in raw.items():
        number = float(value)
        if math.isnan(number):
            continue  # e.g. no episode finished during the iteration
        metrics[name if name.startswith("env/") else f"train/{name}"] = number
    return metrics


@dataclass
class TrainResult:
    state: TrainingState
    env_steps: int
    resumed_from_env_steps: int | None
    compile_seconds: float
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)


def state_env_steps(state: TrainingState) -> int:
    return int(np.asarray(state.env_steps))


def _unused(*_: Any) -> None:
    return None


def train(
    trainer: SACTrainer,
    *,
    seed: int,
    checkpointer: Any | None = None,
    progress_fn: ProgressFn = _unused,
    gpu_stats_fn: Callable[[], Mapping[str, float]] | None = None,
    should_stop: Callable[[], bool] | None = None,
    log: logging.Logger | None = None,
) -> TrainResult:
    """Train until ``total_env_steps``, resuming from the newest committed checkpoint if there is one.

    ``checkpointer`` is a :class:`booster_workloads.sac.state_io.StateCheckpointer`; without one the
    run neither saves nor resumes. ``progress_fn(env_steps, metrics)`` is called after every
    iteration (every ``metrics_every_steps``), with ``gpu/*`` entries merged in every
    ``gpu_stats_every_steps`` when ``gpu_stats_fn`` is given. When ``should_stop()`` turns true
    after an iteration (a monitoring alert), the run checkpoints and ends early.
    """
    log = log or logging.getLogger(__name__)
    config = trainer.config
    history: list[dict[str, float]] = []
    resumed_from: int | None = None
    state: TrainingState | None = None
    template = trainer.init(jax.random.PRNGKey(seed))
    if checkpointer is not None:
        restored = checkpointer.restore(template)
        if restored is not None:
            state, history = restored
            resumed_from = state_env_steps(state)
            log.info("resumed SAC training at %d environment steps", resumed_from)
    if state is None:
        state = template

    compiled_iteration = trainer.compiled_iteration(state)
    compile_seconds = trainer.compile_seconds
    log.info("compiled the training iteration in %.1f s", compile_seconds)

    env_steps = state_env_steps(state)
    last_checkpoint = env_steps
    last_gpu_stats = env_steps - config.gpu_stats_every_steps
    while env_steps < config.total_env_steps:
        started = time.perf_counter()
        state, raw_metrics = compiled_iteration(state)
        raw_metrics = jax.device_get(raw_metrics)
        elapsed = time.perf_counter() - started
        env_steps = state_env_steps(state)
        metrics = training_metrics(raw_metrics, trainer.plan.env_steps_per_iteration / max(elapsed, 1e-9))
        metrics["train/updates"] = float(np.asarray(state.updates))
        if gpu_stats_fn is not None and env_steps - last_gpu_stats >= config.gpu_stats_every_steps:
            metrics.update(gpu_stats_fn())
            last_gpu_stats = env_steps
        history.append({"env_steps": float(env_steps), **metrics})
        progress_fn(env_steps, metrics)
        stopping = should_stop is not None and should_stop()
        if stopping:
            log.warning("stopping SAC training early at %d environment steps", env_steps)
        finished = stopping or env_steps >= config.total_env_steps
        crossed = (
            env_steps // config.checkpoint_every_steps > last_checkpoint // config.checkpoint_every_steps
        )
        if checkpointer is not None and (crossed or finished):
            checkpointer.save(state, history)
            last_checkpoint = env_steps
        if stopping:
            break
    return TrainResult(
        state=state,
        env_steps=env_steps,
        resumed_from_env_steps=resumed_from,
        compile_seconds=compile_seconds,
        stopped_early=env_steps < config.total_env_steps,
        history=history,
    )
