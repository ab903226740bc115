"""Configuration of DDPG fine-tuning in the official environment (task 4)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class FinetuneConfig:
    total_env_steps: int = setting(
        200_000,
        toy=2_000,
        minimum=1,
        help="Environment steps of fine-tuning, summed over all parallel environments.",
    )
    stall_patience_steps: int = setting(
        100_000,
        toy=5_000,
        minimum=1,
        help=(
            "An episode score not improved for this many environment steps is a stall (an alert; it "
            "ends the run when monitoring.stop_on_alert)."
        ),
    )
    num_envs: int = setting(
        16, toy=3, minimum=1, help="Official environments stepped in parallel (tasks interleaved)."
    )
    num_workers: int = setting(
        8, toy=0, minimum=0, help="Processes stepping the environments; 0 steps them in the training process."
    )
    device: str = setting(
        "auto",
        toy="cpu",
        choices=("auto", "cpu", "cuda"),
        help="Where the networks train: auto picks the GPU when torch sees one (exact resume is tested on CPU).",
    )
    torch_threads: int = setting(
        2,
        toy=1,
        minimum=1,
        help="CPU threads for the networks; the rest of the cores step environments (small MLPs gain little from more).",
    )
    last_layer_only_until_step: int = setting(
        20_000, toy=500, minimum=0, help="Phase 1: only the last actor layer trains before this step."
    )
    last_two_layers_until_step: int = setting(
        50_000,
        toy=1_000,
        minimum=0,
        help="Phase 2: the last two actor layers train before this step; all layers after.",
    )
    early_learning_rate: float = setting(
        3e-5, minimum=0.0, exclusive_minimum=True, help="Actor learning rate in phases 1 and 2."
    )
    full_learning_rate: float = setting(
        1e-5, minimum=0.0, exclusive_minimum=True, help="Actor learning rate in phase 3 (whole network)."
    )
    critic_learning_rate: float = setting(
        3e-4, minimum=0.0, exclusive_minimum=True, help="Critic learning rate (Adam)."
    )
    critic_hidden_size: int = setting(256, toy=64, minimum=1, help="Width of the critic's two hidden layers.")
    critic_warmup_updates: int = setting(
        5_000,
        toy=50,
        minimum=0,
        help="Critic updates before the actor may change: a fresh critic's gradients would only damage the pre-trained actor.",
    )
    learning_starts: int = setting(
        5_000, toy=150, minimum=1, help="Environment steps collected before the first gradient update."
    )
    updates_per_env_step: float = setting(
        0.5,
        toy=0.25,
        minimum=0.0,
        exclusive_minimum=True,
        help="Gradient updates (critic, and actor once warm) per environment step.",
    )
    batch_size: int = setting(256, toy=64, minimum=1, help="Transitions per gradient update.")
    buffer_size: int = setting(
        1_000_000,
        toy=10_000,
        minimum=1,
        help="Replay buffer capacity in transitions (oldest overwritten first).",
    )
    gamma: float = setting(0.99, minimum=0.0, maximum=1.0, help="Discount factor.")
    tau: float = setting(
        0.005, minimum=0.0, maximum=1.0, exclusive_minimum=True, help="Polyak factor of the target networks."
    )
    exploration_noise_std: float = setting(
        0.1,
        minimum=0.0,
        help="Std of the Gaussian noise added to the policy's [-1, 1] action, before mapping to torques.",
    )
    dense_weight_start: float = setting(1.0, minimum=0.0, help="a in R = a*R_dense + b*R_official at step 0.")
    dense_weight_end: float = setting(0.1, minimum=0.0, help="a at the last step.")
    official_weight_start: float = setting(0.1, minimum=0.0, help="b at step 0.")
    official_weight_end: float = setting(1.0, minimum=0.0, help="b at the last step.")
    dense_approach_ball_scale: float = setting(
        1.0, help="R_dense weight of the robot's closing speed on the ball (m/s)."
    )
    dense_ball_velocity_to_goal_scale: float = setting(
        2.0, help="R_dense weight of the ball's closing speed on its goal or target (m/s)."
    )
    dense_fallen_scale: float = setting(
        -10.0, help="R_dense weight of a fall (1 on the step the robot falls)."
    )
    checkpoint_every_steps: int = setting(
        20_000,
        toy=1_000,
        minimum=1,
        help="Checkpoint the whole training state every this many environment steps.",
    )
    keep_checkpoints: int = setting(2, minimum=1, help="Committed checkpoints kept; older ones are deleted.")
    metrics_every_steps: int = setting(
        1_000, toy=250, minimum=1, help="Log train/* metrics every this many environment steps."
    )
