"""A ring-buffer replay memory in numpy, saved whole (its filled part) in checkpoints as safetensors.

Both reward components are stored separately: the annealed weights of ``R = a·R_dense + b·R_official``
are applied when a minibatch is drawn, so every stored transition is valued with the current weights
and the critic's target never mixes objectives from different points of the run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from safetensors.numpy import load as load_numpy
from safetensors.numpy import save as save_numpy

_FIELDS = ("observation", "action", "next_observation", "reward_dense", "reward_official", "terminated")


class ReplayStateError(ValueError):
    """Saved replay contents do not fit this buffer."""


@dataclass(frozen=True)
class Batch:
    observation: torch.Tensor
    action: torch.Tensor
    next_observation: torch.Tensor
    reward_dense: torch.Tensor
    reward_official: torch.Tensor
    terminated: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        if device.type == "cpu":
            return self
        return Batch(*(getattr(self, f.name).to(device, non_blocking=True) for f in dataclasses.fields(self)))


class ReplayBuffer:
    def __init__(self, capacity: int, observation_size: int, action_size: int) -> None:
        if capacity < 1:
            raise ValueError(f"replay capacity must be at least 1, but {capacity} was provided")
        self.capacity = capacity
        self.observation_size = observation_size
        self.action_size = action_size
        self.observation = np.zeros((capacity, observation_size), np.float32)
        self.action = np.zeros((capacity, action_size), np.float32)
        self.next_observation = np.zeros((capacity, observation_size), np.float32)
        self.reward_dense = np.zeros(capacity, np.float32)
        self.reward_official = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.position = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        observation: npt.NDArray[np.float32],
        action: npt.NDArray[np.float32],
        next_observation: npt.NDArray[np.float32],
        reward_dense: npt.NDArray[np.float32],
        reward_official: npt.NDArray[np.float32],
        terminated: npt.NDArray[np.bool_],
    ) -> None:
        """Add a batch of transitions (leading axis: environments)."""
        n = len(observation)
        index = (self.position + np.arange(n)) % self.capacity
        self.observation[index] = observation
        self.action[index] = action
        self.next_observation[index] = next_observation
        self.reward_dense[index] = reward_dense
        self.reward_official[index] = reward_official
        # Only termination stops bootstrapping; a time-limit truncation is not a terminal state.
        self.terminated[index] = np.asarray(terminated, dtype=np.float32)
        self.position = int((self.position + n) % self.capacity)
        self.size = int(min(self.size + n, self.capacity))

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        if self.size == 0:
            raise RuntimeError("cannot sample from an empty replay buffer")
        index = rng.integers(0, self.size, size=batch_size)
        return Batch(
            observation=torch.from_numpy(self.observation[index]),
            action=torch.from_numpy(self.action[index]),
            next_observation=torch.from_numpy(self.next_observation[index]),
            reward_dense=torch.from_numpy(self.reward_dense[index]),
            reward_official=torch.from_numpy(self.reward_official[index]),
            terminated=torch.from_numpy(self.terminated[index]),
        )

    def state_bytes(self) -> bytes:
        """The filled slots as safetensors bytes (an empty buffer saves one-row placeholders)."""
        rows = max(self.size, 1)
        arrays = {name: np.ascontiguousarray(getattr(self, name)[:rows]) for name in _FIELDS}
        return save_numpy(arrays)

    def state_json(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "position": self.position,
            "size": self.size,
            "observation_size": self.observation_size,
            "action_size": self.action_size,
        }

    def load(self, data: bytes, meta: dict[str, Any]) -> None:
        if int(meta["capacity"]) != self.capacity or int(meta["observation_size"]) != self.observation_size:
            raise ReplayStateError(
                f"checkpointed replay buffer (capacity {meta['capacity']}, observation size "
                f"{meta['observation_size']}) does not match finetune.buffer_size={self.capacity} and observation "
                f"size {self.observation_size}; resume with the configuration the run started with"
            )
        arrays = load_numpy(data)
        size = int(meta["size"])
        for name in _FIELDS:
            getattr(self, name)[:size] = arrays[name][:size]
        self.size = size
        self.position = int(meta["position"])
