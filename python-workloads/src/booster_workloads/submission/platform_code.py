"""The two pieces of code the SAI platform runs next to the TorchScript model.

What the platform accepts (read from sai-rl 0.1.37, ``sai_rl/model/custom/custom_code_manager.py``):
a preprocessor *class* and an action *function*, each sent as a ``.py`` file. Before running one, the
platform deletes every ``import`` line, executes the rest with only ``np`` (numpy) and ``env`` in
scope, and takes the first ``class``/``def`` it finds; a class is instantiated without arguments and
its ``modify_state(obs, info)`` is called, the function is called with the model's output. So both
sources here are numpy only, import nothing, and keep their constants inside the class or function.

The sources are rendered from the constants the training code uses (``soccer.observation`` layout,
``soccer.actions`` torque bounds), so they cannot drift apart; a test compares them with the
training-side functions on real environment data.
"""

from __future__ import annotations

from typing import Final

from booster_workloads.soccer.actions import ACTION_HIGH, ACTION_LOW
from booster_workloads.soccer.observation import GRAVITY_DIRECTION, INFO_LAYOUT, NUM_JOINTS, NUM_TASKS

PREPROCESSOR_CLASS: Final = "Preprocessor"
ACTION_FUNCTION: Final = "action_function"

_PREPROCESSOR_TEMPLATE: Final = '''class {class_name}:
    """Official preprocessed observation: joint positions and velocities, gravity in the IMU frame,
    the info entries in a fixed order, and the task one-hot the platform puts in info["task_index"].
    Works on one observation or a batch; info values broadcast over the batch."""

    NUM_JOINTS = {num_joints}
    NUM_TASKS = {num_tasks}
    GRAVITY = {gravity}
    INFO_LAYOUT = {info_layout}

    def _entry(self, info, key, size, batch):
        if key not in info:
            raise KeyError("info has no " + repr(key) + "; pass the info dictionary the environment returned")
        return np.broadcast_to(np.asarray(info[key], dtype=np.float64), batch + (size,))

    def _gravity_in_imu_frame(self, quat_xyzw):
        v = np.broadcast_to(np.asarray(self.GRAVITY, dtype=np.float64), quat_xyzw.shape[:-1] + (3,))
        w = quat_xyzw[..., 3:4]
        xyz = quat_xyzw[..., :3]
        return (
            v * (2.0 * w**2 - 1.0)
            - np.cross(xyz, v) * (2.0 * w)
            + xyz * (2.0 * np.sum(xyz * v, axis=-1, keepdims=True))
        )

    def modify_state(self, obs, info):
        raw = np.asarray(obs, dtype=np.float64)
        batch = tuple(raw.shape[:-1])
        n = self.NUM_JOINTS
        parts = [raw[..., :n], raw[..., n : 2 * n]]
        parts.append(self._gravity_in_imu_frame(self._entry(info, "robot_quat", 4, batch)))
        for key, size in self.INFO_LAYOUT:
            parts.append(self._entry(info, key, size, batch))
        parts.append(self._entry(info, "task_index", self.NUM_TASKS, batch))
        return np.concatenate(parts, axis=-1).astype(np.float32)
'''

_ACTION_TEMPLATE: Final = '''def {function_name}(policy):
    """The actor's tanh output in [-1, 1] mapped linearly onto the joint torque bounds."""
    low = np.array({low}, dtype=np.float32)
    high = np.array({high}, dtype=np.float32)
    action = np.clip(np.asarray(policy, dtype=np.float32), -1.0, 1.0)
    return (low + (action + 1.0) * 0.5 * (high - low)).astype(np.float32)
'''


def preprocessor_source() -> str:
    return _PREPROCESSOR_TEMPLATE.format(
        class_name=PREPROCESSOR_CLASS,
        num_joints=NUM_JOINTS,
        num_tasks=NUM_TASKS,
        gravity=repr(tuple(float(g) for g in GRAVITY_DIRECTION)),
        info_layout=repr(tuple((str(k), int(s)) for k, s in INFO_LAYOUT)),
    )


def action_function_source() -> str:
    return _ACTION_TEMPLATE.format(
        function_name=ACTION_FUNCTION,
        low=repr([float(x) for x in ACTION_LOW]),
        high=repr([float(x) for x in ACTION_HIGH]),
    )
