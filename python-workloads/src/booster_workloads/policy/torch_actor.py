"""The PyTorch DDPG actor in the official network's form, and its files.

The competition's DDPG code builds its actor as an ``nn.ModuleList`` named ``layers`` of ``Linear``
layers with ReLU between them and ``tanh`` at the end; keeping that exact form (and so the state-dict
keys ``layers.0.weight`` ... ``layers.2.bias``) lets a converted or fine-tuned actor load anywhere the
official network loads.

A saved actor is a directory of three plain files:

- ``actor.safetensors`` — the state dict (``layers.{i}.weight`` (out, in), ``layers.{i}.bias``);
- ``actor.pt`` — the same network as TorchScript, which is what the SAI submission runs;
- ``actor_spec.json`` — sizes and provenance (:class:`ActorSpec`).

Loading reads safetensors or ``torch.jit.load`` only: nothing is ever unpickled.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from booster_workloads.soccer.actions import ACTION_SIZE

WEIGHTS_FILE: Final = "actor.safetensors"
TORCHSCRIPT_FILE: Final = "actor.pt"
SPEC_FILE: Final = "actor_spec.json"
ACTOR_FILES: Final = (WEIGHTS_FILE, TORCHSCRIPT_FILE, SPEC_FILE)
DEFAULT_HIDDEN_SIZES: Final = (256, 256)
SPEC_FORMAT: Final = "ddpg-actor/1"


class ActorFileError(ValueError):
    """An actor directory is missing a file, or a file is damaged or of the wrong shape."""


@dataclass(frozen=True)
class ActorSpec:
    """What ``actor_spec.json`` holds: enough to rebuild the network, plus provenance."""

    observation_size: int
    hidden_sizes: tuple[int, ...] = DEFAULT_HIDDEN_SIZES
    action_size: int = ACTION_SIZE
    tasks: tuple[str, ...] = ()
    # Free-form provenance (source model and version, conversion error, fine-tuning steps ...).
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = (self.observation_size, *self.hidden_sizes, self.action_size)
        if any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
            raise ActorFileError(f"actor sizes must be positive integers, but {sizes} was provided")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        data["tasks"] = list(self.tasks)
        data["metadata"] = dict(self.metadata)
        data["format"] = SPEC_FORMAT
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str = SPEC_FILE) -> ActorSpec:
        if data.get("format") != SPEC_FORMAT:
            raise ActorFileError(
                f"{source}: format {data.get('format')!r} is not {SPEC_FORMAT!r}; "
                "save the actor with booster_workloads.policy.torch_actor.save_actor"
            )
        try:
            return cls(
                observation_size=int(data["observation_size"]),
                hidden_sizes=tuple(int(s) for s in data["hidden_sizes"]),
                action_size=int(data["action_size"]),
                tasks=tuple(str(t) for t in data.get("tasks", ())),
                metadata=dict(data.get("metadata", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ActorFileError):
                raise
            raise ActorFileError(f"{source}: missing or invalid field ({exc}); re-save the actor") from exc


class DDPGActor(nn.Module):
    """Linear-ReLU-...-Linear-tanh; the output is the policy action in [-1, 1] (see soccer.actions)."""

    # TorchScript compiles properties by default; these are Python-side conveniences only.
    __jit_unused_properties__: Final = ["observation_size", "hidden_sizes", "action_size"]

    def __init__(
        self,
        observation_size: int,
        hidden_sizes: Sequence[int] = DEFAULT_HIDDEN_SIZES,
        action_size: int = ACTION_SIZE,
    ) -> None:
        super().__init__()
        widths = [observation_size, *hidden_sizes, action_size]
        self.layers = nn.ModuleList(nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        self.last_layer_index: Final[int] = len(widths) - 2

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        x = observation
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < self.last_layer_index:
                x = torch.relu(x)
        return torch.tanh(x)

    @torch.jit.unused
    def linear_layers(self) -> list[nn.Linear]:
        """The layers, typed; ``linear_layers()[i]`` is ``layers.{i}``."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]

    @property
    def observation_size(self) -> int:
        return self.linear_layers()[0].in_features

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(layer.out_features for layer in self.linear_layers()[:-1])

    @property
    def action_size(self) -> int:
        return self.linear_layers()[-1].out_features

    @classmethod
    def from_spec(cls, spec: ActorSpec) -> DDPGActor:
        return cls(spec.observation_size, spec.hidden_sizes, spec.action_size)

    def spec(self, tasks: Sequence[str] = (), metadata: Mapping[str, Any] | None = None) -> ActorSpec:
        return ActorSpec(
            observation_size=self.observation_size,
            hidden_sizes=self.hidden_sizes,
            action_size=self.action_size,
            tasks=tuple(tasks),
            metadata=dict(metadata or {}),
        )

    @torch.no_grad()
    def act(self, observation: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Numpy in, numpy out, float32, batched or not; gradient-free."""
        x = torch.as_tensor(np.asarray(observation, dtype=np.float32))
        return self(x).cpu().numpy().astype(np.float32)


def expected_shapes(spec: ActorSpec) -> dict[str, tuple[int, ...]]:
    """State-dict key -> shape for a network of these sizes (``layers.2.weight`` is (12, 256))."""
    widths = [spec.observation_size, *spec.hidden_sizes, spec.action_size]
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(len(widths) - 1):
        shapes[f"layers.{i}.weight"] = (widths[i + 1], widths[i])
        shapes[f"layers.{i}.bias"] = (widths[i + 1],)
    return shapes


def check_state_dict(state: Mapping[str, torch.Tensor], spec: ActorSpec, *, source: str) -> None:
    """Raise :class:`ActorFileError` unless ``state`` has exactly the keys and shapes of ``spec``,
    all finite."""
    expected = expected_shapes(spec)
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ActorFileError(
            f"{source}: tensors do not match a {_describe(spec)} actor (missing {missing}, unexpected {extra})"
        )
    for key, shape in expected.items():
        actual = tuple(state[key].shape)
        if actual != shape:
            raise ActorFileError(
                f"{source}: {key} has shape {actual}, expected {shape} for a {_describe(spec)} actor"
            )
        if not bool(torch.isfinite(state[key]).all()):
            raise ActorFileError(f"{source}: {key} holds NaN or infinite values")


def save_actor(
    actor: DDPGActor,
    directory: Path,
    *,
    tasks: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``actor.safetensors``, ``actor.pt`` and ``actor_spec.json`` into ``directory``.

    Returns file name -> path, the ``files`` mapping ``run.log_model`` takes. The TorchScript copy is
    loaded back and compared with the eager network before returning, so a file that would not run
    on the platform is caught here.
    """
    spec = actor.spec(tasks=tasks, metadata=metadata)
    state = {key: value.detach().cpu().contiguous() for key, value in actor.state_dict().items()}
    check_state_dict(state, spec, source="actor to save")
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / name for name in ACTOR_FILES}
    save_file(state, str(paths[WEIGHTS_FILE]), metadata={"format": SPEC_FORMAT})
    paths[SPEC_FILE].write_text(json.dumps(spec.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    eager = DDPGActor.from_spec(spec)
    eager.load_state_dict(state)
    eager.eval()
    with warnings.catch_warnings():
        # torch.jit is deprecated in favour of torch.export, but the SAI platform loads TorchScript.
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.script(eager)
    scripted.save(str(paths[TORCHSCRIPT_FILE]))
    _check_torchscript_matches(paths[TORCHSCRIPT_FILE], eager, spec)
    return paths


def load_actor_spec(directory: Path) -> ActorSpec:
    path = directory / SPEC_FILE
    if not path.is_file():
        raise ActorFileError(f"{path} not found; an actor directory holds {', '.join(ACTOR_FILES)}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ActorFileError(f"{path} is not valid JSON ({exc}); re-save the actor") from exc
    if not isinstance(data, dict):
        raise ActorFileError(f"{path} must hold a JSON object; re-save the actor")
    return ActorSpec.from_json(data, source=str(path))


def load_actor(directory: Path) -> tuple[DDPGActor, ActorSpec]:
    """Rebuild the actor from ``actor_spec.json`` and ``actor.safetensors`` (eval mode, CPU)."""
    spec = load_actor_spec(directory)
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        raise ActorFileError(f"{path} not found; an actor directory holds {', '.join(ACTOR_FILES)}")
    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ActorFileError(
            f"{path} is damaged or not a safetensors file ({exc}); re-create the actor"
        ) from exc
    check_state_dict(state, spec, source=str(path))
    actor = DDPGActor.from_spec(spec)
    actor.load_state_dict({key: value.float() for key, value in state.items()})
    actor.eval()
    return actor, spec


def load_torchscript(path: Path) -> torch.jit.ScriptModule:
    """Load ``actor.pt`` as the platform does (``torch.jit.load``), with a clear error when damaged."""
    if not path.is_file():
        raise ActorFileError(f"{path} not found; save the actor with save_actor")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # see save_actor: the platform loads TorchScript
            module = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActorFileError(
            f"{path} is damaged or not TorchScript ({first_line}); re-save the actor"
        ) from exc
    module.eval()
    return module


def _check_torchscript_matches(path: Path, eager: DDPGActor, spec: ActorSpec) -> None:
    scripted = load_torchscript(path)
    probe = torch.randn(8, spec.observation_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        difference = float((scripted(probe) - eager(probe)).abs().max())
    if not math.isfinite(difference) or difference > 1e-6:
        raise ActorFileError(f"{path}: TorchScript output differs from the eager actor by {difference}")


def _describe(spec: ActorSpec) -> str:
    return "-".join(str(s) for s in (spec.observation_size, *spec.hidden_sizes, spec.action_size))
