"""DDPG updates: a pre-trained actor, a fresh critic, target networks, and the feature-freeze schedule.

Losses (Lillicrap et al. 2016, eq. 4-6 of "Continuous control with deep reinforcement learning"):

- critic: ``(Q(s, a) - y)²`` with ``y = r + γ (1 - terminated) Q'(s', μ'(s'))``, targets without gradient;
- actor: ``-Q(s, μ(s))``;
- targets: ``θ' ← τ θ + (1 - τ) θ'`` after every update.

Critic warm-up. The critic starts from random weights while the actor is already a good policy;
the first gradients a random critic hands the actor would only undo pre-training. So the actor is
frozen whole (no gradient, no optimizer step) until the critic has had ``critic_warmup_updates``
updates; only then does the freeze schedule below apply.

Feature freeze. The actor's optimizer is one Adam with a parameter group per Linear layer. At each
phase boundary (:func:`schedules.freeze_phase`) frozen layers get ``requires_grad = False`` (so they
get no gradient and Adam skips them: no step, no moment update) and learning rate 0; trainable
layers get the phase's rate. A layer unfrozen later starts with empty Adam moments.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.ddpg.networks import Critic
from booster_workloads.ddpg.replay import Batch
from booster_workloads.ddpg.schedules import FreezePhase, check_schedule, freeze_phase, reward_weights
from booster_workloads.policy.torch_actor import DDPGActor

WARMUP_PHASE = FreezePhase("critic_warmup", 0, 0.0)


class LearnerStateError(ValueError):
    """A checkpointed learner state does not fit this learner."""


def _polyak(target: nn.Module, source: nn.Module, tau: float) -> None:
    with torch.no_grad():
        for t, s in zip(target.parameters(), source.parameters(), strict=True):
            t.mul_(1.0 - tau).add_(s, alpha=tau)


def _optimizer_tensors(optimizer: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], Any]:
    """Split an optimizer's state dict into tensors (safetensors) and JSON (the param groups)."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entries in state["state"].items():
        for name, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{index}.{name}"] = value.detach().cpu().clone().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    groups = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in state["param_groups"]
    ]
    return tensors, {"param_groups": groups, "scalars": scalars}


def _load_optimizer(
    optimizer: torch.optim.Optimizer, prefix: str, tensors: dict[str, torch.Tensor], meta: Any
) -> None:
    entries: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if not key.startswith(prefix + "."):
            continue
        index, name = key[len(prefix) + 1 :].split(".", 1)
        entries.setdefault(int(index), {})[name] = value
    for index, values in meta["scalars"].items():
        entries.setdefault(int(index), {}).update(values)
    groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in meta["param_groups"]]
    optimizer.load_state_dict({"state": entries, "param_groups": groups})


class DDPGLearner:
    """Networks, optimizers and the update step. ``step`` arguments are environment steps."""

    def __init__(
        self, actor: DDPGActor, config: FinetuneConfig, seed: int, device: torch.device | None = None
    ) -> None:
        check_schedule(config)
        self.config = config
        generator_state = torch.get_rng_state()
        torch.manual_seed(seed)
        self.device = device or torch.device("cpu")
        self.actor = actor.to(self.device)
        self.actor.train()
        self.critic = Critic(actor.observation_size, actor.action_size, config.critic_hidden_size).to(
            self.device
        )
        torch.set_rng_state(generator_state)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic_target = copy.deepcopy(self.critic)
        for p in (*self.actor_target.parameters(), *self.critic_target.parameters()):
            p.requires_grad_(False)
        self.actor_optimizer = torch.optim.Adam(
            [{"params": list(layer.parameters()), "lr": 0.0} for layer in self.actor.layers]
        )
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=config.critic_learning_rate)
        self.critic_updates = 0
        self.actor_updates = 0
        self.phase = WARMUP_PHASE
        self._set_trainable(WARMUP_PHASE)

    @property
    def num_actor_layers(self) -> int:
        return len(self.actor.layers)

    def _actor_groups(self) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from enumerate(self.actor_optimizer.param_groups)

    def _set_trainable(self, phase: FreezePhase) -> None:
        trainable = set(phase.trainable_layers(self.num_actor_layers)) if phase.learning_rate > 0 else set()
        for index, group in self._actor_groups():
            on = index in trainable
            group["lr"] = phase.learning_rate if on else 0.0
            for p in group["params"]:
                p.requires_grad_(on)
                if not on:
                    p.grad = None
        self.phase = phase

    def scheduled_phase(self, step: int) -> FreezePhase:
        if self.critic_updates < self.config.critic_warmup_updates:
            return WARMUP_PHASE
        return freeze_phase(step, self.config)

    def apply_schedule(self, step: int) -> FreezePhase:
        """Bring the trainable layers and learning rates in line with ``step``; returns the phase."""
        phase = self.scheduled_phase(step)
        if phase != self.phase:
            self._set_trainable(phase)
        return phase

    def actor_learning_rates(self) -> list[float]:
        return [float(group["lr"]) for group in self.actor_optimizer.param_groups]

    def update(self, batch: Batch, step: int) -> dict[str, float]:
        """One critic update, then (when the schedule allows) one actor update, then the targets."""
        cfg = self.config
        batch = batch.to(self.device)
        # Decided before this update's critic step: the actor waits for critic_warmup_updates completed updates.
        phase = self.apply_schedule(step)
        a, b = reward_weights(step, cfg)
        reward = a * batch.reward_dense + b * batch.reward_official
        with torch.no_grad():
            next_q = self.critic_target(batch.next_observation, self.actor_target(batch.next_observation))
            target = reward + cfg.gamma * (1.0 - batch.terminated) * next_q
        q = self.critic(batch.observation, batch.action)
        critic_loss = torch.nn.functional.mse_loss(q, target)
        self.critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_optimizer.step()
        self.critic_updates += 1

        metrics = {
            "losses/critic": float(critic_loss.detach()),
            "charts/q_mean": float(q.detach().mean()),
            "charts/target_q_mean": float(target.mean()),
        }
        if phase.learning_rate > 0:
            # The critic only provides dQ/da here; its own parameters must not collect gradient.
            for p in self.critic.parameters():
                p.requires_grad_(False)
            actor_loss = -self.critic(batch.observation, self.actor(batch.observation)).mean()
            self.actor_optimizer.zero_grad(set_to_none=True)
            actor_loss.backward()
            self.actor_optimizer.step()
            for p in self.critic.parameters():
                p.requires_grad_(True)
            self.actor_updates += 1
            metrics["losses/actor"] = float(actor_loss.detach())
            _polyak(self.actor_target, self.actor, cfg.tau)
        _polyak(self.critic_target, self.critic, cfg.tau)
        return metrics

    # ------------------------------------------------------------------------------ checkpoints

    def state_payload(self) -> dict[str, bytes]:
        tensors: dict[str, torch.Tensor] = {}
        for prefix, module in (
            ("actor", self.actor),
            ("critic", self.critic),
            ("actor_target", self.actor_target),
            ("critic_target", self.critic_target),
        ):
            for key, value in module.state_dict().items():
                tensors[f"{prefix}.{key}"] = value.detach().cpu().clone().contiguous()
        actor_opt, actor_meta = _optimizer_tensors(self.actor_optimizer, "actor_optimizer")
        critic_opt, critic_meta = _optimizer_tensors(self.critic_optimizer, "critic_optimizer")
        meta = {
            "critic_updates": self.critic_updates,
            "actor_updates": self.actor_updates,
            "actor_optimizer": actor_meta,
            "critic_optimizer": critic_meta,
            "actor_sizes": [self.actor.observation_size, *self.actor.hidden_sizes, self.actor.action_size],
            "critic_hidden_size": self.config.critic_hidden_size,
            "phase": dataclasses.asdict(self.phase),
        }
        return {
            "networks.safetensors": save_tensors(tensors),
            "optimizers.safetensors": save_tensors({**actor_opt, **critic_opt}),
            "learner.json": json.dumps(meta, sort_keys=True).encode("utf-8"),
        }

    def load_payload(self, payload: dict[str, bytes]) -> None:
        meta = json.loads(payload["learner.json"].decode("utf-8"))
        sizes = [self.actor.observation_size, *self.actor.hidden_sizes, self.actor.action_size]
        if meta["actor_sizes"] != sizes or meta["critic_hidden_size"] != self.config.critic_hidden_size:
            raise LearnerStateError(
                f"checkpoint holds an actor {meta['actor_sizes']} with critic width {meta['critic_hidden_size']}, "
                f"this run builds {sizes} with finetune.critic_hidden_size={self.config.critic_hidden_size}; "
                "resume with the configuration and model the run started with, or use a fresh checkpoint directory"
            )
        tensors = load_tensors(payload["networks.safetensors"])
        for prefix, module in (
            ("actor", self.actor),
            ("critic", self.critic),
            ("actor_target", self.actor_target),
            ("critic_target", self.critic_target),
        ):
            module.load_state_dict(
                {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
            )
        self.critic_updates = int(meta["critic_updates"])
        self.actor_updates = int(meta["actor_updates"])
        optimizer_tensors = load_tensors(payload["optimizers.safetensors"])
        _load_optimizer(self.actor_optimizer, "actor_optimizer", optimizer_tensors, meta["actor_optimizer"])
        _load_optimizer(
            self.critic_optimizer, "critic_optimizer", optimizer_tensors, meta["critic_optimizer"]
        )
        # requires_grad is not part of any state dict: re-apply the saved phase.
        saved = meta["phase"]
        self.phase = FreezePhase("restored", None, -1.0)
        self._set_trainable(
            FreezePhase(saved["name"], saved["trainable_last_layers"], float(saved["learning_rate"]))
        )
