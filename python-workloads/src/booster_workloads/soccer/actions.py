"""Mapping between the policy's ``tanh`` output and the official environment's joint torques.

Pre-training (MJX), fine-tuning (official environment) and the submission all use this one mapping,
so a policy means the same torques everywhere.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Per-leg torque bounds in N·m, hip pitch/roll/yaw, knee, ankle pitch/roll; the official action space
# is symmetric, [-bound, bound], left leg then right leg.
LEG_TORQUE_BOUNDS: tuple[float, ...] = (45.0, 45.0, 30.0, 65.0, 24.0, 15.0)
TORQUE_BOUNDS: npt.NDArray[np.float32] = np.array(LEG_TORQUE_BOUNDS * 2, dtype=np.float32)
ACTION_LOW: npt.NDArray[np.float32] = -TORQUE_BOUNDS
ACTION_HIGH: npt.NDArray[np.float32] = TORQUE_BOUNDS
ACTION_SIZE = 12


def policy_to_torque(policy_action: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Map a policy action in [-1, 1] linearly onto [low, high]; values outside are clipped first."""
    a = np.clip(np.asarray(policy_action, dtype=np.float32), -1.0, 1.0)
    return (ACTION_LOW + (a + 1.0) * 0.5 * (ACTION_HIGH - ACTION_LOW)).astype(np.float32)


def torque_to_policy(torque: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Inverse of :func:`policy_to_torque` on [low, high]."""
    t = np.asarray(torque, dtype=np.float32)
    return (2.0 * (t - ACTION_LOW) / (ACTION_HIGH - ACTION_LOW) - 1.0).astype(np.float32)
