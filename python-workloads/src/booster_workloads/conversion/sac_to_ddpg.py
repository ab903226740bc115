"""SAC actor export (JAX) -> DDPG actor (PyTorch, official form).

The SAC actor ends in a 24-wide layer: 12 Gaussian means, then 12 log standard deviations. Its
deterministic action is ``tanh(mean)``. The DDPG actor ends in ``tanh`` of a 12-wide layer, so keeping
rows 0..11 of the last layer (columns 0..11 of the flax kernel) and dropping the rest gives the same
function exactly.

An observation normaliser ``x_n = (x - mean) / std`` is affine, so it folds into the first layer:
``W x_n + b = (W / std) x + (b - W (mean / std))``. The folded weights are computed in float64 and
rounded once to float32, which keeps the PyTorch actor within float32 rounding of the JAX actor.

Nothing is written unless every check passes: the export is read and converted in memory, compared
with the JAX actor, saved into a temporary directory next to the destination and moved into place
only at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file

from booster_workloads.conversion.parity import ParityReport, compare_actions
from booster_workloads.policy.torch_actor import DDPGActor, save_actor
from booster_workloads.runtime.staging import staged_directory
from booster_workloads.soccer.actions import ACTION_SIZE
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS

SAC_WEIGHTS_FILE: Final = "actor.safetensors"
SAC_SPEC_FILE: Final = "actor_spec.json"
SAC_SPEC_FIELDS: Final = (
    "observation_size",
    "hidden_sizes",
    "action_size",
    "normalize_observations",
    "tasks",
    "env_steps",
)
NORMALIZER_MEAN: Final = "normalizer.mean"
NORMALIZER_STD: Final = "normalizer.std"

FloatArray = npt.NDArray[np.float32]
ReferencePolicy = Callable[[FloatArray], FloatArray]


class ConversionError(ValueError):
    """The SAC export cannot be converted: missing, damaged, the wrong shape, or not numerically equal."""


@dataclass(frozen=True)
class SacActorExport:
    """The SAC actor export read into memory (flax layout: kernels are (in, out))."""

    directory: Path
    spec: Mapping[str, Any]
    kernels: tuple[npt.NDArray[np.float32], ...]
    biases: tuple[npt.NDArray[np.float32], ...]
    normalizer_mean: npt.NDArray[np.float32] | None
    normalizer_std: npt.NDArray[np.float32] | None

    @property
    def observation_size(self) -> int:
        return int(self.kernels[0].shape[0])

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(int(k.shape[1]) for k in self.kernels[:-1])


@dataclass(frozen=True)
class ConversionResult:
    output_dir: Path
    files: dict[str, Path]
    parity: ParityReport
    seconds: float
    normalizer_folded: bool


def read_sac_export(directory: Path) -> SacActorExport:
    """Read and validate ``actor.safetensors`` + ``actor_spec.json`` (see docs/architecture.md)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConversionError(
            f"SAC actor export {directory} does not exist; run pretrain first or pass a checkpoint"
        )
    spec = _read_spec(directory / SAC_SPEC_FILE)
    weights_path = directory / SAC_WEIGHTS_FILE
    if not weights_path.is_file():
        raise ConversionError(
            f"{weights_path} not found; the SAC export holds {SAC_WEIGHTS_FILE} and {SAC_SPEC_FILE}"
        )
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ConversionError(
            f"{weights_path} is damaged or not a safetensors file ({exc}); re-export the actor"
        ) from exc

    layer_count = len(spec["hidden_sizes"]) + 1
    kernels: list[npt.NDArray[np.float32]] = []
    biases: list[npt.NDArray[np.float32]] = []
    for i in range(layer_count):
        for name in (f"layers.{i}.kernel", f"layers.{i}.bias"):
            if name not in tensors:
                raise ConversionError(
                    f"{weights_path}: tensor {name!r} missing (found {sorted(tensors)}); "
                    f"the spec declares {layer_count} layers"
                )
        kernels.append(np.asarray(tensors[f"layers.{i}.kernel"], dtype=np.float32))
        biases.append(np.asarray(tensors[f"layers.{i}.bias"], dtype=np.float32))

    widths = [int(spec["observation_size"]), *map(int, spec["hidden_sizes"]), 2 * int(spec["action_size"])]
    for i, (kernel, bias) in enumerate(zip(kernels, biases, strict=True)):
        expected_kernel = (widths[i], widths[i + 1])
        if kernel.shape != expected_kernel:
            raise ConversionError(
                f"{weights_path}: layers.{i}.kernel has shape {kernel.shape}, expected {expected_kernel} "
                f"(flax (in, out) layout; the last layer is {widths[-2]} x 2*{spec['action_size']}: "
                "means then log-std)"
            )
        if bias.shape != (widths[i + 1],):
            raise ConversionError(
                f"{weights_path}: layers.{i}.bias has shape {bias.shape}, expected {(widths[i + 1],)}"
            )

    mean: npt.NDArray[np.float32] | None = None
    std: npt.NDArray[np.float32] | None = None
    has_normalizer = NORMALIZER_MEAN in tensors or NORMALIZER_STD in tensors
    if bool(spec["normalize_observations"]) != has_normalizer:
        raise ConversionError(
            f"{weights_path}: normalize_observations is {spec['normalize_observations']} in the spec but "
            f"normalizer tensors are {'present' if has_normalizer else 'absent'}; re-export the actor"
        )
    if has_normalizer:
        if NORMALIZER_MEAN not in tensors or NORMALIZER_STD not in tensors:
            raise ConversionError(f"{weights_path}: needs both {NORMALIZER_MEAN} and {NORMALIZER_STD}")
        mean = np.asarray(tensors[NORMALIZER_MEAN], dtype=np.float32)
        std = np.asarray(tensors[NORMALIZER_STD], dtype=np.float32)
        for name, value in ((NORMALIZER_MEAN, mean), (NORMALIZER_STD, std)):
            if value.shape != (widths[0],):
                raise ConversionError(
                    f"{weights_path}: {name} has shape {value.shape}, expected {(widths[0],)}"
                )
        if not bool(np.all(std > 0)):
            raise ConversionError(
                f"{weights_path}: {NORMALIZER_STD} has entries <= 0; the normaliser cannot be folded"
            )

    for name, value in tensors.items():
        if not bool(np.all(np.isfinite(value))):
            raise ConversionError(
                f"{weights_path}: {name} holds NaN or infinite values; the export is damaged"
            )

    return SacActorExport(
        directory=directory,
        spec=spec,
        kernels=tuple(kernels),
        biases=tuple(biases),
        normalizer_mean=mean,
        normalizer_std=std,
    )


def build_ddpg_actor(export: SacActorExport) -> DDPGActor:
    """The PyTorch actor computing the export's ``tanh(mean)``, normaliser folded into layer 0."""
    action_size = int(export.spec["action_size"])
    if action_size != ACTION_SIZE:
        raise ConversionError(
            f"the SAC actor has {action_size} actions; the competition's robot has {ACTION_SIZE}"
        )
    if export.observation_size != OBSERVATION_SIZE:
        raise ConversionError(
            f"the SAC actor takes {export.observation_size} inputs; the official preprocessed observation has "
            f"{OBSERVATION_SIZE} (soccer.observation.OBSERVATION_SIZE): it was trained on another layout"
        )
    weights = [k.astype(np.float64).T for k in export.kernels]  # torch layout (out, in)
    biases = [b.astype(np.float64) for b in export.biases]
    # Keep the means (rows 0..11 of the 24-wide head); the log-std rows only shape exploration.
    weights[-1] = weights[-1][:action_size]
    biases[-1] = biases[-1][:action_size]
    if export.normalizer_mean is not None and export.normalizer_std is not None:
        inv_std = 1.0 / export.normalizer_std.astype(np.float64)
        shift = export.normalizer_mean.astype(np.float64) * inv_std
        biases[0] = biases[0] - weights[0] @ shift
        weights[0] = weights[0] * inv_std[np.newaxis, :]

    actor = DDPGActor(export.observation_size, export.hidden_sizes, action_size)
    state = {}
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        state[f"layers.{i}.weight"] = torch.from_numpy(w.astype(np.float32))
        state[f"layers.{i}.bias"] = torch.from_numpy(b.astype(np.float32))
    actor.load_state_dict(state)
    actor.eval()
    check_converted_shapes(actor)
    return actor


def check_converted_shapes(actor: DDPGActor) -> None:
    """The competition network's shape facts, checked before anything is saved."""
    state = actor.state_dict()
    last = f"layers.{len(actor.layers) - 1}"
    if tuple(state[f"{last}.weight"].shape) != (ACTION_SIZE, actor.hidden_sizes[-1]):
        raise ConversionError(
            f"{last}.weight has shape {tuple(state[f'{last}.weight'].shape)}, expected (12, 256)"
        )
    if tuple(state[f"{last}.bias"].shape) != (ACTION_SIZE,):
        raise ConversionError(f"{last}.bias has shape {tuple(state[f'{last}.bias'].shape)}, expected (12,)")
    if actor.observation_size != OBSERVATION_SIZE:
        raise ConversionError(
            f"input width {actor.observation_size} != official observation size {OBSERVATION_SIZE}"
        )


def convert_sac_export(
    source_dir: Path,
    output_dir: Path,
    *,
    reference: ReferencePolicy,
    observations: FloatArray,
    max_abs_error: float,
    metadata: Mapping[str, Any] | None = None,
) -> ConversionResult:
    """Convert, check parity against ``reference`` (the JAX actor's ``tanh(mean)``) on ``observations``,
    then save ``actor.safetensors``, ``actor.pt`` and ``actor_spec.json`` into ``output_dir``.

    ``output_dir`` is replaced only when every check passes; on any error it is left as it was.
    """
    started = time.perf_counter()
    export = read_sac_export(source_dir)
    actor = build_ddpg_actor(export)
    if observations.ndim != 2 or observations.shape[1] != actor.observation_size:
        raise ConversionError(
            f"parity observations have shape {observations.shape}; expected (n, {actor.observation_size})"
        )
    expected = np.asarray(reference(observations), dtype=np.float32)
    actual = actor.act(observations)
    parity = compare_actions(actual, expected)
    if not parity.max_abs_error <= max_abs_error:
        raise ConversionError(
            f"PyTorch actor differs from the JAX actor by up to {parity.max_abs_error:.3g} over "
            f"{parity.samples} observations (allowed {max_abs_error:g}); nothing was written"
        )
    spec_metadata = {
        "source": str(source_dir),
        "sac_env_steps": int(export.spec.get("env_steps", 0)),
        "normalizer_folded": export.normalizer_mean is not None,
        "parity": parity.as_dict(),
        **dict(metadata or {}),
    }
    output_dir = Path(output_dir)
    with staged_directory(output_dir) as staging:
        tasks = tuple(str(t) for t in export.spec.get("tasks", TASKS))
        save_actor(actor, staging, tasks=tasks, metadata=spec_metadata)
    files = {path.name: path for path in sorted(output_dir.iterdir())}
    return ConversionResult(
        output_dir=output_dir,
        files=files,
        parity=parity,
        seconds=time.perf_counter() - started,
        normalizer_folded=export.normalizer_mean is not None,
    )


def _read_spec(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConversionError(
            f"{path} not found; the SAC export holds {SAC_WEIGHTS_FILE} and {SAC_SPEC_FILE}"
        )
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConversionError(f"{path} is not valid JSON ({exc}); re-export the actor") from exc
    if not isinstance(spec, dict):
        raise ConversionError(f"{path} must hold a JSON object with {', '.join(SAC_SPEC_FIELDS)}")
    missing = [name for name in SAC_SPEC_FIELDS if name not in spec]
    if missing:
        raise ConversionError(f"{path} lacks {', '.join(missing)}; re-export the actor with sac.export")
    sizes = [spec["observation_size"], *spec["hidden_sizes"], spec["action_size"]]
    if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ConversionError(f"{path}: sizes must be positive integers, got {sizes}")
    return spec


def jax_reference(source_dir: Path) -> ReferencePolicy:
    """The JAX actor's ``tanh(mean)`` from the export, evaluated by the flax network (sac.export)."""
    from booster_workloads.sac.export import ExportedActorError, load_exported_actor

    try:
        act, _ = load_exported_actor(source_dir)
    except ExportedActorError as exc:
        raise ConversionError(str(exc)) from exc
    return act
