"""Configuration of SAC pre-training on MJX (task 2)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class PretrainConfig:
    total_env_steps: int = setting(
        10_000_000,
        toy=60_000,
        minimum=1,
        help="Environment steps in total, summed over all parallel environments.",
    )
    num_envs: int = setting(2048, toy=16, minimum=1, help="Parallel MJX environments.")
    action_repeat: int = setting(
        1,
        minimum=1,
        help=(
            "Environment steps each policy action is held for (one transition, rewards summed); step "
            "counts include the repeats. 1 matches the official 500 Hz control."
        ),
    )
    metrics_every_steps: int = setting(
        1_000,
        toy=1_000,
        minimum=1,
        help="Log train/* metrics every this many environment steps (also the length of one compiled training iteration).",
    )
    gpu_stats_every_steps: int = setting(
        5_000, minimum=1, help="Log gpu/* metrics every this many environment steps."
    )
    checkpoint_every_steps: int = setting(
        200_000,
        toy=10_000,
        minimum=1,
        help="Checkpoint the whole training state every this many environment steps.",
    )
    stall_patience_steps: int = setting(
        1_000_000,
        toy=50_000,
        minimum=1,
        help=(
            "A smoothed episode return not improved for this many environment steps is a stall "
            "(an alert; it ends the run when monitoring.stop_on_alert)."
        ),
    )
    keep_checkpoints: int = setting(2, minimum=1, help="Committed checkpoints kept; older ones are deleted.")
    batch_size: int = setting(1024, toy=128, minimum=1, help="Transitions per gradient update.")
    updates_per_env_step: int = setting(
        16,
        toy=4,
        minimum=1,
        help="Gradient updates after each step of all parallel environments (the update-to-data ratio per batched step).",
    )
    actor_learning_rate: float = setting(
        3e-4, minimum=0.0, exclusive_minimum=True, help="Adam learning rate of the actor."
    )
    critic_learning_rate: float = setting(
        3e-4, minimum=0.0, exclusive_minimum=True, help="Adam learning rate of the twin critics."
    )
    alpha_learning_rate: float = setting(
        3e-4, minimum=0.0, exclusive_minimum=True, help="Adam learning rate of the log entropy temperature."
    )
    tau: float = setting(
        0.005,
        minimum=0.0,
        maximum=1.0,
        exclusive_minimum=True,
        help="Polyak factor of the target critics: target <- tau * online + (1 - tau) * target.",
    )
    gamma: float = setting(0.99, minimum=0.0, maximum=1.0, help="Discount factor.")
    actor_hidden_sizes: tuple[int, ...] = setting(
        (256, 256), help="Hidden layer widths of the actor (the exported and converted network)."
    )
    critic_hidden_sizes: tuple[int, ...] = setting(
        (256, 256), toy=(128, 128), help="Hidden layer widths of each critic."
    )
    initial_alpha: float = setting(
        1.0,
        minimum=0.0,
        exclusive_minimum=True,
        help="Entropy temperature at the start; it is tuned automatically after.",
    )
    target_entropy_per_action: float = setting(
        -1.0,
        help="Target policy entropy per action dimension; the temperature is tuned toward this times the action size.",
    )
    buffer_size: int = setting(
        1_000_000,
        toy=50_000,
        minimum=1,
        help="Replay buffer capacity in transitions (held on the accelerator).",
    )
    warmup_steps: int = setting(
        100_000,
        toy=1_000,
        minimum=0,
        help="Environment steps with uniform random actions that fill the replay buffer before any update.",
    )
    normalize_observations: bool = setting(
        True,
        help="Normalise observations with running mean and std (saved in checkpoints and in the exported actor).",
    )
