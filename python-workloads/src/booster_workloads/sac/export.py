"""The exported SAC actor: ``actor.safetensors`` + ``actor_spec.json`` (docs/architecture.md).

Tensors: ``layers.{i}.kernel`` (in, out) and ``layers.{i}.bias`` for every dense layer, the last one
producing the 12 means then the 12 log-std; with observation normalisation also ``normalizer.mean``
and ``normalizer.std``, applied as ``(x - mean) / std`` with no clipping. :func:`load_exported_actor`
rebuilds the flax network from these files, so a conversion can be checked against it.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt
import safetensors.numpy

from booster_workloads.sac.networks import Actor, Params, apply_network, deterministic_action
from booster_workloads.sac.normalizer import NormalizerState

ACTOR_FILE = "actor.safetensors"
SPEC_FILE = "actor_spec.json"


class ExportedActorError(ValueError):
    """An exported actor is missing, incomplete or inconsistent with its spec; the message says which."""


@dataclass(frozen=True)
class ActorSpec:
    observation_size: int
    hidden_sizes: tuple[int, ...]
    action_size: int
    normalize_observations: bool
    tasks: tuple[str, ...]
    env_steps: int

    def to_json(self) -> str:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        data["tasks"] = list(self.tasks)
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = SPEC_FILE) -> ActorSpec:
        try:
            data = json.loads(text)
            return cls(
                observation_size=int(data["observation_size"]),
                hidden_sizes=tuple(int(width) for width in data["hidden_sizes"]),
                action_size=int(data["action_size"]),
                normalize_observations=bool(data["normalize_observations"]),
                tasks=tuple(str(task) for task in data["tasks"]),
                env_steps=int(data["env_steps"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ExportedActorError(
                f"{source} is not a valid actor spec ({type(exc).__name__}: {exc}); re-export the actor "
                "with booster_workloads.sac.export.export_actor"
            ) from exc


def _dense_layers(actor_params: Params) -> list[Mapping[str, Any]]:
    mlp = actor_params["params"]["mlp"]
    return [mlp[f"layers_{i}"] for i in range(len(mlp))]


def actor_tensors(
    actor_params: Params, normalizer: NormalizerState | None
) -> dict[str, npt.NDArray[np.float32]]:
    """The export's tensor dictionary from flax actor parameters (and the normaliser, if used)."""
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    for i, layer in enumerate(_dense_layers(actor_params)):
        tensors[f"layers.{i}.kernel"] = np.asarray(layer["kernel"], np.float32)
        tensors[f"layers.{i}.bias"] = np.asarray(layer["bias"], np.float32)
    if normalizer is not None:
        tensors["normalizer.mean"] = np.asarray(normalizer.mean, np.float32)
        tensors["normalizer.std"] = np.asarray(normalizer.std, np.float32)
    return tensors


def actor_files(
    actor_params: Params, normalizer: NormalizerState | None, spec: ActorSpec
) -> dict[str, bytes]:
    """The two export files as bytes (also stored inside every training checkpoint)."""
    tensors = actor_tensors(actor_params, normalizer if spec.normalize_observations else None)
    _check_tensors(tensors, spec, "the actor being exported")
    return {
        ACTOR_FILE: safetensors.numpy.save(tensors),
        SPEC_FILE: spec.to_json().encode("utf-8"),
    }


def export_actor(source: Any, spec: ActorSpec, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``actor.safetensors`` and ``actor_spec.json`` into ``out_dir``.

    ``source`` is a ``TrainingState`` (its actor and normaliser are used) or flax actor parameters
    (then ``spec.normalize_observations`` must be false).
    """
    if hasattr(source, "actor_params"):
        params, normalizer = source.actor_params, source.normalizer
    else:
        params, normalizer = source, None
        if spec.normalize_observations:
            raise ExportedActorError(
                "spec.normalize_observations is true but only actor parameters were given; pass the "
                "TrainingState so the normaliser is exported too"
            )
    return _write(actor_files(params, normalizer, spec), Path(out_dir))


def _write(files: Mapping[str, bytes], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
        written[name] = out_dir / name
    return written


def export_actor_from_checkpoint(
    checkpoint_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]
) -> dict[str, Path]:
    """Export the actor of the newest committed pre-training checkpoint in ``checkpoint_dir``."""
    from booster_workloads.checkpoints import CheckpointManager

    restored = CheckpointManager(checkpoint_dir).restore_latest()
    if restored is None:
        raise ExportedActorError(
            f"no committed checkpoint in {checkpoint_dir}; run `booster-pipeline pretrain` first or "
            "point at the pretrain checkpoint directory"
        )
    missing = [name for name in (ACTOR_FILE, SPEC_FILE) if name not in restored.payload]
    if missing:
        raise ExportedActorError(
            f"checkpoint {restored.path} holds no {', '.join(missing)}: it is not a SAC pre-training "
            "checkpoint; point at checkpoints/pretrain"
        )
    return _write({name: restored.payload[name] for name in (ACTOR_FILE, SPEC_FILE)}, Path(out_dir))


def _check_tensors(tensors: Mapping[str, np.ndarray], spec: ActorSpec, source: str) -> None:
    widths = [spec.observation_size, *spec.hidden_sizes, 2 * spec.action_size]
    expected: dict[str, tuple[int, ...]] = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        expected[f"layers.{i}.kernel"] = (fan_in, fan_out)
        expected[f"layers.{i}.bias"] = (fan_out,)
    if spec.normalize_observations:
        expected["normalizer.mean"] = (spec.observation_size,)
        expected["normalizer.std"] = (spec.observation_size,)
    problems = []
    for name, shape in expected.items():
        if name not in tensors:
            problems.append(f"{name} is missing")
        elif tuple(tensors[name].shape) != shape:
            problems.append(f"{name} has shape {tuple(tensors[name].shape)}, expected {shape}")
    problems += [f"unexpected tensor {name}" for name in tensors if name not in expected]
    if spec.normalize_observations and "normalizer.std" in tensors and np.any(tensors["normalizer.std"] <= 0):
        problems.append("normalizer.std has entries <= 0")
    if problems:
        raise ExportedActorError(
            f"{source} does not match its spec ({'; '.join(problems)}); re-export it from the pretrain checkpoint"
        )


def load_exported_actor(
    directory: str | os.PathLike[str],
) -> tuple[Callable[[npt.ArrayLike], npt.NDArray[np.float32]], ActorSpec]:
    """(deterministic action function, spec) of an exported actor.

    The function maps numpy observations (one or a batch) to ``tanh(mean)``, computed with the same
    flax network the trainer used, normalisation included.
    """
    directory = Path(directory)
    for name in (ACTOR_FILE, SPEC_FILE):
        if not (directory / name).is_file():
            raise ExportedActorError(
                f"{directory / name} does not exist; export the actor into {directory} first"
            )
    spec = ActorSpec.from_json(
        (directory / SPEC_FILE).read_text(encoding="utf-8"), str(directory / SPEC_FILE)
    )
    try:
        tensors = safetensors.numpy.load_file(str(directory / ACTOR_FILE))
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise ExportedActorError(
            f"{directory / ACTOR_FILE} is not a readable safetensors file ({exc}); re-export the actor"
        ) from exc
    _check_tensors(tensors, spec, str(directory / ACTOR_FILE))
    layers = {
        f"layers_{i}": {
            "kernel": jnp.asarray(tensors[f"layers.{i}.kernel"]),
            "bias": jnp.asarray(tensors[f"layers.{i}.bias"]),
        }
        for i in range(len(spec.hidden_sizes) + 1)
    }
    params = {"params": {"mlp": layers}}
    actor = Actor(hidden_sizes=spec.hidden_sizes, action_size=spec.action_size)
    mean = jnp.asarray(tensors["normalizer.mean"]) if spec.normalize_observations else None
    std = jnp.asarray(tensors["normalizer.std"]) if spec.normalize_observations else None

    @jax.jit
    def act(obs: jax.Array) -> jax.Array:
        if mean is not None and std is not None:
            obs = (obs - mean) / std
        return deterministic_action(apply_network(actor, params, obs))

    def deterministic_action_fn(obs: npt.ArrayLike) -> npt.NDArray[np.float32]:
        array = np.asarray(obs, np.float32)
        if array.shape[-1] != spec.observation_size:
            raise ExportedActorError(
                f"observation has {array.shape[-1]} entries but the actor expects {spec.observation_size}"
            )
        return np.asarray(act(jnp.asarray(array)), np.float32)

    return deterministic_action_fn, spec
