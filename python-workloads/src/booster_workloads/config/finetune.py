"""Configuration of DDPG fine-tuning in the official environment (task 4)."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class FinetuneConfig:
    total_env_steps: int = setting(200_000, toy=2_000, minimum=1, help="Environment steps of fine-tuning.")
    last_layer_only_until_step: int = setting(20_000, toy=500, minimum=0, help="Phase 1: only the last actor layer trains before this step.")
    last_two_layers_until_step: int = setting(50_000, toy=1_000, minimum=0, help="Phase 2: the last two actor layers train before this step; all layers after.")
    early_learning_rate: float = setting(3e-5, minimum=0.0, exclusive_minimum=True, help="Actor learning rate in phases 1 and 2.")
    full_learning_rate: float = setting(1e-5, minimum=0.0, exclusive_minimum=True, help="Actor learning rate in phase 3 (whole network).")
    dense_weight_start: float = setting(1.0, minimum=0.0, help="a in R = a*R_dense + b*R_official at step 0.")
    dense_weight_end: float = setting(0.1, minimum=0.0, help="a at the last step.")
    official_weight_start: float = setting(0.1, minimum=0.0, help="b at step 0.")
    official_weight_end: float = setting(1.0, minimum=0.0, help="b at the last step.")
    checkpoint_every_steps: int = setting(20_000, toy=1_000, minimum=1, help="Checkpoint the whole training state every this many environment steps.")
    keep_checkpoints: int = setting(2, minimum=1, help="Committed checkpoints kept; older ones are deleted.")
    metrics_every_steps: int = setting(1_000, toy=250, minimum=1, help="Log train/* metrics every this many environment steps.")
