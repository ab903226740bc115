"""Saving and restoring the whole SAC training state through the checkpoint manager.

Each checkpoint holds:

* ``state.msgpack`` — every leaf of the ``TrainingState`` pytree (networks, targets, optimizer
  states, temperature, RNG key, counters, normaliser, the full replay buffer and the environments'
  own state), in flattening order, serialised with ``flax.serialization.msgpack_serialize``;
* ``history.json`` — the metrics reported so far, so a resumed run draws its whole learning curve;
* ``actor.safetensors`` and ``actor_spec.json`` — the actor as exported (see ``export.py``).

Restoring needs a template state of the same configuration: the leaves are checked against it one by
one, so a checkpoint from another configuration is refused with a clear message instead of loading
wrongly. The replay buffer is kept, which is what makes a resumed run identical to one that never
stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from booster_workloads.sac.export import ActorSpec, actor_files
from booster_workloads.sac.training import SACTrainer, TrainingState, state_env_steps

STATE_FILE = "state.msgpack"
HISTORY_FILE = "history.json"
STATE_FORMAT = 2  # 2: the training state holds each environment's episode length

# Configuration fields that change the shape or the meaning of the saved state; a checkpoint
# written under other values cannot continue this run.
# Settings a resumed run may change without affecting what it computes.
_SCHEDULE_FIELDS = frozenset(
    {
        "total_env_steps",
        "checkpoint_every_steps",
        "keep_checkpoints",
        "gpu_stats_every_steps",
        "stall_patience_steps",
    }
)
_STATE_DEFINING_FIELDS = (
    "num_envs",
    "action_repeat",
    "buffer_size",
    "actor_hidden_sizes",
    "critic_hidden_sizes",
    "normalize_observations",
    "metrics_every_steps",
    "warmup_steps",
)


class CheckpointMismatchError(ValueError):
    """A checkpoint exists but belongs to another configuration or format; the message says which."""


class CheckpointStore(Protocol):
    def save(
        self, step: int, payload: Mapping[str, bytes], metadata: Mapping[str, Any] | None = None
    ) -> Any: ...
    def restore_latest(self) -> Any: ...


def _is_key_array(leaf: Any) -> bool:
    return hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def state_to_bytes(state: TrainingState) -> bytes:
    leaves = jax.tree.leaves(state)
    encoded = {
        f"{i:06d}": np.asarray(jax.random.key_data(leaf) if _is_key_array(leaf) else leaf)
        for i, leaf in enumerate(jax.device_get(leaves))
    }
    return serialization.msgpack_serialize({"format": STATE_FORMAT, "leaves": encoded})


def state_from_bytes(data: bytes, template: TrainingState, source: str) -> TrainingState:
    try:
        decoded = serialization.msgpack_restore(data)
    except Exception as exc:  # msgpack raises several unrelated types for corrupt input
        raise CheckpointMismatchError(f"{source}: {STATE_FILE} is not readable msgpack ({exc})") from exc
    if not isinstance(decoded, dict) or decoded.get("format") != STATE_FORMAT:
        raise CheckpointMismatchError(
            f"{source}: {STATE_FILE} is not a format-{STATE_FORMAT} SAC training state"
        )
    stored = decoded["leaves"]
    template_leaves, treedef = jax.tree.flatten(template)
    if len(stored) != len(template_leaves):
        raise CheckpointMismatchError(
            f"{source} holds {len(stored)} state arrays but this configuration has {len(template_leaves)}"
        )
    leaves = []
    for i, expected in enumerate(template_leaves):
        value = np.asarray(stored[f"{i:06d}"])
        if _is_key_array(expected):
            leaves.append(jax.random.wrap_key_data(jnp.asarray(value), impl=jax.random.key_impl(expected)))
            continue
        if value.shape != expected.shape or value.dtype != expected.dtype:
            raise CheckpointMismatchError(
                f"{source}: state array {i} has shape {value.shape} {value.dtype}, this configuration "
                f"expects {expected.shape} {expected.dtype}"
            )
        leaves.append(jnp.asarray(value))
    restored: TrainingState = jax.tree.unflatten(treedef, leaves)
    return restored


def configuration_fingerprint(trainer: SACTrainer) -> dict[str, Any]:
    config = asdict(trainer.config)
    fingerprint = {name: config[name] for name in _STATE_DEFINING_FIELDS}
    fingerprint["actor_hidden_sizes"] = list(fingerprint["actor_hidden_sizes"])
    fingerprint["critic_hidden_sizes"] = list(fingerprint["critic_hidden_sizes"])
    fingerprint["observation_size"] = trainer.observation_size
    fingerprint["action_size"] = trainer.action_size
    return fingerprint


class StateCheckpointer:
    """Binds a checkpoint manager to one trainer: ``save(state, history)``, ``restore(template)``."""

    def __init__(
        self,
        store: CheckpointStore,
        trainer: SACTrainer,
        tasks: tuple[str, ...],
        log: logging.Logger | None = None,
    ) -> None:
        self.store = store
        self.trainer = trainer
        self.tasks = tasks
        self.log = log or logging.getLogger(__name__)

    def actor_spec(self, state: TrainingState) -> ActorSpec:
        return ActorSpec(
            observation_size=self.trainer.observation_size,
            hidden_sizes=tuple(self.trainer.config.actor_hidden_sizes),
            action_size=self.trainer.action_size,
            normalize_observations=self.trainer.config.normalize_observations,
            tasks=self.tasks,
            env_steps=state_env_steps(state),
        )

    def save(self, state: TrainingState, history: list[dict[str, float]]) -> Any:
        env_steps = state_env_steps(state)
        payload = {
            STATE_FILE: state_to_bytes(state),
            HISTORY_FILE: json.dumps(history).encode("utf-8"),
            **actor_files(state.actor_params, state.normalizer, self.actor_spec(state)),
        }
        metadata = {
            "env_steps": env_steps,
            "updates": int(np.asarray(state.updates)),
            "configuration": configuration_fingerprint(self.trainer),
            "hyperparameters": {
                k: v if not isinstance(v, tuple) else list(v) for k, v in asdict(self.trainer.config).items()
            },
        }
        return self.store.save(env_steps, payload, metadata)

    def restore(self, template: TrainingState) -> tuple[TrainingState, list[dict[str, float]]] | None:
        restored = self.store.restore_latest()
        if restored is None:
            return None
        source = f"checkpoint {restored.path}"
        saved_fingerprint = restored.metadata.get("configuration")
        fingerprint = configuration_fingerprint(self.trainer)
        if saved_fingerprint != fingerprint:
            differences = ", ".join(
                f"{name}: saved {(saved_fingerprint or {}).get(name)!r}, now {value!r}"
                for name, value in fingerprint.items()
                if (saved_fingerprint or {}).get(name) != value
            )
            raise CheckpointMismatchError(
                f"{source} was written by a run with another configuration ({differences}); run with the "
                "same settings or point the run at an empty checkpoint directory"
            )
        if STATE_FILE not in restored.payload:
            raise CheckpointMismatchError(
                f"{source} holds no {STATE_FILE}; it is not a SAC training checkpoint"
            )
        state = state_from_bytes(restored.payload[STATE_FILE], template, source)
        history = json.loads(restored.payload.get(HISTORY_FILE, b"[]").decode("utf-8"))
        saved_hyperparameters = restored.metadata.get("hyperparameters", {})
        current = {
            k: v if not isinstance(v, tuple) else list(v) for k, v in asdict(self.trainer.config).items()
        }
        changed = sorted(
            k
            for k, v in current.items()
            if k in saved_hyperparameters and saved_hyperparameters[k] != v and k not in _SCHEDULE_FIELDS
        )
        if changed:
            self.log.warning(
                "resuming %s with changed settings (%s): the run continues but is no longer identical "
                "to one that never stopped",
                source,
                ", ".join(changed),
            )
        self.log.info(
            "restored the SAC training state at %d environment steps from %s", state_env_steps(state), source
        )
        return state, history
