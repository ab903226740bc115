"""Exploration noise in the policy's action space, then the mapping to torques.

The official DDPG script scales the actor's output to torques first and then adds noise and clips
the result to ±1, which leaves almost every joint's torque far below its bound and makes the
noise's size depend on the joint. Here the noise is added to the ``tanh`` output, the sum is
clipped to [-1, 1] (the policy's range), and only then mapped onto the torque bounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from booster_workloads.soccer.actions import policy_to_torque


def gaussian_noise(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> npt.NDArray[np.float32]:
    return rng.normal(0.0, std, size=shape).astype(np.float32)


def explore(
    policy_action: npt.ArrayLike, noise: npt.ArrayLike
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``(explored_policy_action, torque)``: noise added and clipped in [-1, 1], then scaled to torques.

    The replay buffer stores ``explored_policy_action``: the critic learns Q over the policy's space.
    """
    explored = np.clip(
        np.asarray(policy_action, dtype=np.float32) + np.asarray(noise, dtype=np.float32), -1.0, 1.0
    ).astype(np.float32)
    return explored, policy_to_torque(explored)
