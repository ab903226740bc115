"""The schedules of fine-tuning: which actor layers train at which learning rate, and reward weights."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.finetune import FinetuneConfig


class ScheduleError(ValueError):
    """The fine-tuning schedule in the configuration is inconsistent."""


@dataclass(frozen=True)
class FreezePhase:
    """``trainable_last_layers`` of the actor's Linear layers (counted from the output) train at ``learning_rate``."""

    name: str
    trainable_last_layers: int | None  # None: every layer
    learning_rate: float

    def trainable_layers(self, num_layers: int) -> tuple[int, ...]:
        if self.trainable_last_layers is None:
            return tuple(range(num_layers))
        first = max(0, num_layers - self.trainable_last_layers)
        return tuple(range(first, num_layers))


def check_schedule(config: FinetuneConfig) -> None:
    if config.last_layer_only_until_step > config.last_two_layers_until_step:
        raise ScheduleError(
            f"finetune.last_layer_only_until_step ({config.last_layer_only_until_step}) must not exceed "
            f"finetune.last_two_layers_until_step ({config.last_two_layers_until_step}); phase 1 comes before phase 2"
        )


def freeze_phase(step: int, config: FinetuneConfig) -> FreezePhase:
    """Phase 1 before ``last_layer_only_until_step``: the last layer; phase 2 before
    ``last_two_layers_until_step``: the last two; phase 3: the whole actor at the lower rate."""
    if step < config.last_layer_only_until_step:
        return FreezePhase("last_layer", 1, config.early_learning_rate)
    if step < config.last_two_layers_until_step:
        return FreezePhase("last_two_layers", 2, config.early_learning_rate)
    return FreezePhase("all_layers", None, config.full_learning_rate)


def reward_weights(step: int, config: FinetuneConfig) -> tuple[float, float]:
    """``(a, b)`` of ``R = a·R_dense + b·R_official``, linear from the start to the end values over the run."""
    progress = min(max(step / config.total_env_steps, 0.0), 1.0)
    a = config.dense_weight_start + (config.dense_weight_end - config.dense_weight_start) * progress
    b = config.official_weight_start + (config.official_weight_end - config.official_weight_start) * progress
    return a, b
