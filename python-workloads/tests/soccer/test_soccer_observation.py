"""The preprocessed observation against the real official environments (``sai-mujoco``)."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import gymnasium as gym
import numpy as np
import pytest
import sai_mujoco  # noqa: F401  (registers the official environments)

from booster_workloads.soccer import observation as ob


def test_layout_has_86_features_then_the_task_one_hot() -> None:
    assert ob.FEATURES_BEFORE_TASK == 86
    assert ob.OBSERVATION_SIZE == 86 + len(ob.TASKS) == 89
    assert ob.SLICES["task_one_hot"] == slice(86, 89)
    assert ob.SLICES["projected_gravity"] == slice(24, 27)
    assert ob.SLICES["robot_gyro"] == slice(27, 30)
    assert ob.SLICES["defender_xpos"] == slice(77, 86)


def _rollout(env_id: str, steps: int) -> list[tuple[np.ndarray, dict]]:
    env = gym.make(env_id)
    try:
        obs, info = env.reset(seed=3)
        out = [(obs, info)]
        rng = np.random.default_rng(0)
        for _ in range(steps):
            action = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
            obs, _, terminated, truncated, info = env.step(action)
            out.append((obs, info))
            if terminated or truncated:
                break
        return out
    finally:
        env.close()


@pytest.mark.parametrize("task_index", range(len(ob.TASKS)))
def test_every_slot_equals_its_named_source_in_the_official_env(task_index: int) -> None:
    env_id = ob.TASKS[task_index]
    for raw, info in _rollout(env_id, steps=20):
        vec = ob.preprocess(raw, info, task_index)
        assert vec.shape == (ob.OBSERVATION_SIZE,)
        assert vec.dtype == np.float32
        assert np.all(np.isfinite(vec))
        slots = ob.split(vec)
        np.testing.assert_allclose(slots["joint_pos"], raw[:12], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(slots["joint_vel"], raw[12:24], rtol=1e-6, atol=1e-5)
        for key in ob.INFO_KEYS:
            np.testing.assert_allclose(
                slots[key], np.asarray(info[key], dtype=np.float64), rtol=1e-6, atol=1e-5
            )
        one_hot = np.zeros(len(ob.TASKS), dtype=np.float32)
        one_hot[task_index] = 1.0
        np.testing.assert_array_equal(slots["task_one_hot"], one_hot)
        # Gravity in the IMU frame: a unit vector whose z is -cos(tilt), from the x, y, z, w quaternion.
        g = slots["projected_gravity"]
        assert np.linalg.norm(g) == pytest.approx(1.0, abs=1e-5)
        x, y, _, _ = info["robot_quat"]
        assert g[2] == pytest.approx(-(1.0 - 2.0 * (x * x + y * y)), abs=1e-5)


def test_rotation_matches_mujoco_for_random_quaternions() -> None:
    import mujoco

    rng = np.random.default_rng(1)
    for _ in range(20):
        quat_wxyz = rng.normal(size=4)
        quat_wxyz /= np.linalg.norm(quat_wxyz)
        vector = rng.normal(size=3)
        expected = np.zeros(3)
        conj = quat_wxyz * np.array([1.0, -1.0, -1.0, -1.0])
        mujoco.mju_rotVecQuat(expected, vector, conj)
        got = ob.quat_rotate_inverse(quat_wxyz[[1, 2, 3, 0]], vector)
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_batched_numpy_and_jax_twin_agree_with_single_calls() -> None:
    import jax

    samples = [s for env_id in ob.TASKS for s in _rollout(env_id, steps=2)]
    tasks = np.array([ob.TASKS.index(env_id) for env_id in ob.TASKS for _ in range(3)])
    raws = np.stack([raw[:24] for raw, _ in samples])
    infos = {
        key: np.stack([np.asarray(info[key]) for _, info in samples]) for key in (*ob.INFO_KEYS, "robot_quat")
    }
    batched = ob.preprocess(raws, infos, tasks)
    singles = np.stack([ob.preprocess(raw, info, t) for (raw, info), t in zip(samples, tasks, strict=True)])
    np.testing.assert_array_equal(batched, singles)

    jax_vec = jax.jit(ob.preprocess_jax)(raws[:, :12], raws[:, 12:24], infos, tasks)
    np.testing.assert_allclose(np.asarray(jax_vec), batched, atol=1e-5, rtol=1e-5)


def test_bad_inputs_fail_with_a_clear_message() -> None:
    raw, info = _rollout(ob.TASKS[2], steps=0)[0]
    with pytest.raises(ValueError, match="task index out of range"):
        ob.preprocess(raw, info, 3)
    with pytest.raises(KeyError, match="robot_gyro"):
        ob.preprocess(raw, {k: v for k, v in info.items() if k != "robot_gyro"}, 0)
    with pytest.raises(ValueError, match="expected at least 24"):
        ob.preprocess(raw[:10], info, 0)
    with pytest.raises(ValueError, match="unknown task"):
        ob.task_index_of("LowerT1Walk-v0")
