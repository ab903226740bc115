"""The official preprocessed observation of the three competition tasks, pinned in one place.

The official environments (``sai_mujoco.envs.football.v0``) return a raw observation whose size differs
per task (goalie 45, obstacle 54, kick-to-target 39) and an ``info`` dictionary that every task fills
with the same keys. The competition's training code and its submission preprocessor turn the pair into
one vector that is the same for every task:

* the 12 joint positions and 12 joint velocities (the first 24 raw values, left leg then right leg),
* gravity projected into the robot's IMU frame (from ``info["robot_quat"]``, ordered x, y, z, w),
* the ``info`` entries in :data:`INFO_LAYOUT` order (86 values in all up to here),
* the one-hot task index, in :data:`TASKS` order (the competition's task order; the evaluation
  wrapper puts exactly this one-hot into ``info["task_index"]``).

The MJX environment, fine-tuning, evaluation and the submission's preprocessor all build their
vectors here, so a policy sees the same numbers in every simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

# The competition's tasks; their order is the order of the one-hot task index.
TASKS: tuple[str, ...] = (
    "LowerT1GoaliePenaltyKick-v0",
    "LowerT1ObstaclePenaltyKick-v0",
    "LowerT1KickToTarget-v0",
)
NUM_TASKS = len(TASKS)

NUM_JOINTS = 12
# Raw observation slices: the robot's joint positions, then its joint velocities.
RAW_JOINT_POS = slice(0, NUM_JOINTS)
RAW_JOINT_VEL = slice(NUM_JOINTS, 2 * NUM_JOINTS)

# The ``info`` entries after the projected gravity, in the official order, with their sizes.
INFO_LAYOUT: tuple[tuple[str, int], ...] = (
    ("robot_gyro", 3),
    ("robot_accelerometer", 3),
    ("robot_velocimeter", 3),
    ("goal_team_0_rel_robot", 3),
    ("goal_team_1_rel_robot", 3),
    ("goal_team_0_rel_ball", 3),
    ("goal_team_1_rel_ball", 3),
    ("ball_xpos_rel_robot", 3),
    ("ball_velp_rel_robot", 3),
    ("ball_velr_rel_robot", 3),
    ("player_team", 2),
    ("goalkeeper_team_0_xpos_rel_robot", 3),
    ("goalkeeper_team_0_velp_rel_robot", 3),
    ("goalkeeper_team_1_xpos_rel_robot", 3),
    ("goalkeeper_team_1_velp_rel_robot", 3),
    ("target_xpos_rel_robot", 3),
    ("target_velp_rel_robot", 3),
    ("defender_xpos", 9),
)
INFO_KEYS: tuple[str, ...] = tuple(name for name, _ in INFO_LAYOUT)

# Every slot of the preprocessed vector: (name, size), in order.
SLOTS: tuple[tuple[str, int], ...] = (
    ("joint_pos", NUM_JOINTS),
    ("joint_vel", NUM_JOINTS),
    ("projected_gravity", 3),
    *INFO_LAYOUT,
    ("task_one_hot", NUM_TASKS),
)


def _offsets(slots: tuple[tuple[str, int], ...]) -> dict[str, slice]:
    offsets: dict[str, slice] = {}
    start = 0
    for name, size in slots:
        offsets[name] = slice(start, start + size)
        start += size
    return offsets


SLICES: dict[str, slice] = _offsets(SLOTS)
OBSERVATION_SIZE: int = sum(size for _, size in SLOTS)
FEATURES_BEFORE_TASK: int = OBSERVATION_SIZE - NUM_TASKS

GRAVITY_DIRECTION = (0.0, 0.0, -1.0)


def task_index_of(env_id: str) -> int:
    """The one-hot position of an environment id; a clear error for ids outside the competition."""
    try:
        return TASKS.index(env_id)
    except ValueError:
        raise ValueError(f"unknown task {env_id!r}: expected one of {', '.join(TASKS)}") from None


def quat_rotate_inverse(quat_xyzw: npt.ArrayLike, vector: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Rotate ``vector`` by the inverse of the unit quaternion ``quat_xyzw`` (x, y, z, w), batched."""
    q = np.asarray(quat_xyzw, dtype=np.float64)
    v = np.broadcast_to(np.asarray(vector, dtype=np.float64), (*q.shape[:-1], 3))
    w = q[..., 3:4]
    xyz = q[..., :3]
    return (
        v * (2.0 * w**2 - 1.0)
        - np.cross(xyz, v) * (2.0 * w)
        + xyz * (2.0 * np.sum(xyz * v, axis=-1, keepdims=True))
    )


def _batch_shape(obs: npt.NDArray[Any]) -> tuple[int, ...]:
    if obs.ndim == 0 or obs.shape[-1] < 2 * NUM_JOINTS:
        raise ValueError(
            f"raw observation has shape {obs.shape}; expected at least {2 * NUM_JOINTS} values "
            "(12 joint positions, then 12 joint velocities) in the last axis"
        )
    return tuple(obs.shape[:-1])


def _info_entry(
    info: Mapping[str, Any], key: str, size: int, batch: tuple[int, ...]
) -> npt.NDArray[np.float64]:
    if key not in info:
        raise KeyError(f"info has no {key!r}; pass the info dictionary the official environment returned")
    value = np.asarray(info[key], dtype=np.float64)
    try:
        return np.broadcast_to(value, (*batch, size))
    except ValueError:
        raise ValueError(
            f"info[{key!r}] has shape {value.shape}; expected {(*batch, size)} for a batch of shape {batch}"
        ) from None


def one_hot(task_index: npt.ArrayLike, batch: tuple[int, ...] = ()) -> npt.NDArray[np.float32]:
    """The task one-hot for an index (or an array of indices broadcastable to ``batch``)."""
    index = np.asarray(task_index)
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"task index must be an integer (0..{NUM_TASKS - 1}), got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= NUM_TASKS):
        raise ValueError(f"task index out of range: {index.tolist()} (expected 0..{NUM_TASKS - 1})")
    return np.eye(NUM_TASKS, dtype=np.float32)[np.broadcast_to(index, batch)]


def preprocess(
    obs: npt.ArrayLike, info: Mapping[str, Any], task_index: npt.ArrayLike
) -> npt.NDArray[np.float32]:
    """The official preprocessed observation, shape ``batch + (OBSERVATION_SIZE,)``, float32.

    Args:
        obs: the raw observation of the official environment, ``(raw,)`` or ``batch + (raw,)``.
        info: the ``info`` dictionary as the environment returns it, or a dictionary of arrays with
            the same leading batch shape (what vectorised environments return).
        task_index: the task's position in :data:`TASKS` (an int, or an int array of shape ``batch``).
    """
    raw = np.asarray(obs, dtype=np.float64)
    batch = _batch_shape(raw)
    parts: list[npt.NDArray[np.float64]] = [raw[..., RAW_JOINT_POS], raw[..., RAW_JOINT_VEL]]
    quat = _info_entry(info, "robot_quat", 4, batch)
    parts.append(quat_rotate_inverse(quat, GRAVITY_DIRECTION))
    parts.extend(_info_entry(info, key, size, batch) for key, size in INFO_LAYOUT)
    parts.append(one_hot(task_index, batch).astype(np.float64))
    return np.concatenate(parts, axis=-1).astype(np.float32)


def split(vector: npt.ArrayLike) -> dict[str, npt.NDArray[Any]]:
    """Name every slot of a preprocessed vector (batched or not): the inverse of :func:`preprocess`."""
    v = np.asarray(vector)
    if v.shape[-1] != OBSERVATION_SIZE:
        raise ValueError(f"preprocessed observation has {v.shape[-1]} values; expected {OBSERVATION_SIZE}")
    return {name: v[..., s] for name, s in SLICES.items()}


# ----------------------------------------------------------------------------------------------------
# JAX twin. Imported lazily so the numpy path (the submission's preprocessor) never needs JAX.


def quat_rotate_inverse_jax(quat_xyzw: Any, vector: Any) -> Any:
    """:func:`quat_rotate_inverse` on JAX arrays."""
    import jax.numpy as jnp

    q = jnp.asarray(quat_xyzw)
    v = jnp.broadcast_to(jnp.asarray(vector, dtype=q.dtype), (*q.shape[:-1], 3))
    w = q[..., 3:4]
    xyz = q[..., :3]
    return (
        v * (2.0 * w**2 - 1.0)
        - jnp.cross(xyz, v) * (2.0 * w)
        + xyz * (2.0 * jnp.sum(xyz * v, axis=-1, keepdims=True))
    )


def preprocess_jax(joint_pos: Any, joint_vel: Any, info: Mapping[str, Any], task_index: Any) -> Any:
    """:func:`preprocess` on JAX arrays, from the same named quantities; jit- and vmap-able.

    ``joint_pos`` and ``joint_vel`` are the 12 robot joint positions and velocities (the first 24
    raw values), ``info`` holds the :data:`INFO_KEYS` plus ``robot_quat`` (x, y, z, w) with a common
    leading batch shape, and ``task_index`` is an integer (array).
    """
    import jax
    import jax.numpy as jnp

    joint_pos = jnp.asarray(joint_pos, dtype=jnp.float32)
    batch = joint_pos.shape[:-1]
    parts = [joint_pos, jnp.asarray(joint_vel, dtype=jnp.float32)]
    quat = jnp.asarray(info["robot_quat"], dtype=jnp.float32)
    parts.append(quat_rotate_inverse_jax(quat, jnp.asarray(GRAVITY_DIRECTION, dtype=jnp.float32)))
    for key, size in INFO_LAYOUT:
        parts.append(jnp.broadcast_to(jnp.asarray(info[key], dtype=jnp.float32), (*batch, size)))
    parts.append(
        jax.nn.one_hot(jnp.broadcast_to(jnp.asarray(task_index), batch), NUM_TASKS, dtype=jnp.float32)
    )
    return jnp.concatenate(parts, axis=-1)


__all__ = [
    "FEATURES_BEFORE_TASK",
    "INFO_KEYS",
    "INFO_LAYOUT",
    "NUM_TASKS",
    "OBSERVATION_SIZE",
    "SLICES",
    "SLOTS",
    "TASKS",
    "one_hot",
    "preprocess",
    "preprocess_jax",
    "quat_rotate_inverse",
    "quat_rotate_inverse_jax",
    "split",
    "task_index_of",
]
