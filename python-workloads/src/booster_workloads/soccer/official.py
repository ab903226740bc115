"""The official competition environments from ``sai-mujoco``, and stepping many of them in parallel.

Rewards. Each step yields three numbers:

- ``R_official``, the competition's evaluation reward. The SAI platform does not score the
  environment's own reward: ``sai_rl.env.environment.custom_eval_wrapper`` (sai-rl 0.1.37) replaces it
  with the competition's evaluation script, which is 0 on every step but the one that ends the
  episode, and there the task's evaluation weights applied to ``env.compute_reward()``.
  :func:`booster_workloads.evaluation.scoring.terminal_score` holds those weights; the benchmark and
  Gate 3 use the same function, so fine-tuning optimises what the gate measures. Like the platform's
  wrapper, ``compute_reward()`` is called on the unwrapped environment right after the final step.
- ``R_env``, the environment's own reward as ``env.step`` returns it: in sai-mujoco 0.1.30
  (``envs/base/base_v1.py``, ``_total_reward``) the task's ``reward_config``-weighted sum of the
  ``compute_reward`` terms (``info["reward_terms"]``) on every step. Reported, not trained on.
- ``R_dense``, shaping computed here from ``info`` (the vectors the policy sees), named as the terms of
  pre-training's MJX reward: closing on the ball (``approach_ball``), the ball closing on its goal or
  target (``ball_velocity_to_goal``), and falling (``fallen``). The first two are rates of change of
  distances (m/s), so over an episode they add up to distance gained, whatever the path.

Parallelism. :class:`OfficialVecEnv` spreads ``N`` environments over worker processes (each steps its
share one after another, MuJoCo being single-threaded), or runs them in the calling process when
``num_workers`` is 0. Workers preprocess observations with :func:`soccer.observation.preprocess`, so
only fixed-size float arrays cross process boundaries. An environment whose episode ends is reset at
once; the observation that ended it is returned as ``final_observation`` for bootstrapping.

Seeding. Environment ``i`` of a runner is reset with ``seed + i`` on :meth:`OfficialVecEnv.reset`; later
resets continue each environment's own random stream, so a run is reproducible from its seed whatever
the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from booster_workloads.evaluation.scoring import terminal_score
from booster_workloads.soccer.actions import ACTION_SIZE, TORQUE_BOUNDS
from booster_workloads.soccer.observation import TASKS, task_index_of
from booster_workloads.soccer.observation import preprocess as official_preprocess

FloatArray = npt.NDArray[np.float32]
PreprocessFn = Callable[[npt.NDArray[Any], Mapping[str, Any], int], npt.NDArray[Any]]

DENSE_TERM_NAMES: Final = ("approach_ball", "ball_velocity_to_goal", "fallen")
# Distances change by at most a few cm per control step; clipping the per-second rates keeps one
# teleport-like reset or contact spike from dominating a minibatch.
_RATE_CLIP: Final = 5.0


@dataclass(frozen=True)
class DenseRewardScales:
    """Weights of the dense shaping terms; 0 turns a term off."""

    approach_ball: float = 1.0
    ball_velocity_to_goal: float = 2.0
    fallen: float = -10.0

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in DENSE_TERM_NAMES}


def make_official_env(task_id: str, seed: int | None = None) -> Any:
    """One official environment (``gymnasium.make`` on the registered ``sai-mujoco`` id).

    With a ``seed``, the environment is reset once with it and its action space is seeded, so the
    environment's random stream (ball, target and friction sampling) is fixed from here on.
    """
    task_index_of(task_id)
    import gymnasium as gym
    import sai_mujoco  # noqa: F401  # registers the LowerT1* ids with gymnasium

    env = gym.make(task_id)
    high = getattr(env.action_space, "high", None)
    if env.action_space.shape != (ACTION_SIZE,) or high is None or not np.allclose(high, TORQUE_BOUNDS):
        env.close()
        raise RuntimeError(
            f"{task_id}: action space {env.action_space} is not the 12 torques with bounds "
            f"{TORQUE_BOUNDS.tolist()} that soccer.actions assumes; check the installed sai-mujoco version"
        )
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env


def _goal_or_target_relative_to_ball(task_id: str, info: Mapping[str, Any]) -> FloatArray:
    """Where the ball should go, relative to the ball, read from ``info`` (world-frame differences)."""
    ball_rel_robot = np.asarray(info["ball_xpos_rel_robot"], dtype=np.float32)
    if task_id.endswith("GoaliePenaltyKick-v0"):
        # The penalty tasks score into the goal of the robot's team (``player_team`` one-hot).
        team_one = float(np.asarray(info["player_team"])[1]) > 0.5
        key = "goal_team_1_rel_ball" if team_one else "goal_team_0_rel_ball"
        return np.asarray(info[key], dtype=np.float32)
    # Obstacle penalty kick (target: the goal-area site) and kick-to-target (target0).
    return np.asarray(info["target_xpos_rel_robot"], dtype=np.float32) - ball_rel_robot


class DenseReward:
    """Shaping terms of one environment, computed from consecutive ``info`` dicts."""

    def __init__(self, task_id: str, control_timestep: float, scales: DenseRewardScales) -> None:
        self.task_id = task_id
        self.control_timestep = float(control_timestep)
        self.scales = scales
        self._previous: tuple[float, float] | None = None

    @staticmethod
    def _distances(task_id: str, info: Mapping[str, Any]) -> tuple[float, float]:
        robot_to_ball = float(np.linalg.norm(np.asarray(info["ball_xpos_rel_robot"], dtype=np.float64)))
        ball_to_target = float(np.linalg.norm(_goal_or_target_relative_to_ball(task_id, info)))
        return robot_to_ball, ball_to_target

    def reset(self, info: Mapping[str, Any]) -> None:
        self._previous = self._distances(self.task_id, info)

    def step(self, info: Mapping[str, Any], fell: bool) -> dict[str, float]:
        """Raw terms: rates (m/s) at which the robot closes on the ball and the ball on its target,
        and 1.0 on the step the robot falls."""
        current = self._distances(self.task_id, info)
        previous = self._previous if self._previous is not None else current
        self._previous = current
        approach = (previous[0] - current[0]) / self.control_timestep
        to_target = (previous[1] - current[1]) / self.control_timestep
        return {
            "approach_ball": float(np.clip(approach, -_RATE_CLIP, _RATE_CLIP)),
            "ball_velocity_to_goal": float(np.clip(to_target, -_RATE_CLIP, _RATE_CLIP)),
            "fallen": 1.0 if fell else 0.0,
        }

    def total(self, terms: Mapping[str, float]) -> float:
        weights = self.scales.as_dict()
        return float(sum(weights[name] * terms[name] for name in DENSE_TERM_NAMES))


class FinishedEpisode(NamedTuple):
    env_index: int
    task_index: int
    score: float  # the competition's evaluation score: R_official of the final step
    env_return: float  # sum of R_env
    dense_return: float  # sum of R_dense
    length: int


@dataclass
class StepBatch:
    """One step of all environments; arrays are indexed by environment.

    ``observation`` is the next observation to act on (the first of a new episode where one ended);
    ``final_observation`` is the observation the transition led to (the last of the episode where one
    ended), which is what a critic bootstraps from on truncation.
    """

    observation: FloatArray
    final_observation: FloatArray
    reward_official: FloatArray
    reward_env: FloatArray
    reward_dense: FloatArray
    dense_terms: dict[str, FloatArray]
    terminated: npt.NDArray[np.bool_]
    truncated: npt.NDArray[np.bool_]
    finished_episodes: list[FinishedEpisode] = field(default_factory=list)


class _EnvGroup:
    """The environments one worker owns, stepped one after another."""

    def __init__(
        self,
        task_ids: Sequence[str],
        first_index: int,
        scales: DenseRewardScales,
        preprocess: PreprocessFn | None,
    ) -> None:
        if preprocess is None:
            preprocess = official_preprocess
        self.preprocess = preprocess
        self.task_ids = list(task_ids)
        self.task_indices = [task_index_of(t) for t in self.task_ids]
        self.first_index = first_index
        self.envs = [make_official_env(t) for t in self.task_ids]
        self.dense = [
            DenseReward(t, float(env.unwrapped.control_timestep), scales)
            for t, env in zip(self.task_ids, self.envs, strict=True)
        ]
        self.returns = np.zeros((len(self.envs), 2), dtype=np.float64)
        self.lengths = np.zeros(len(self.envs), dtype=np.int64)

    def _observe(self, i: int, obs: npt.NDArray[Any], info: Mapping[str, Any]) -> FloatArray:
        return np.asarray(self.preprocess(obs, info, self.task_indices[i]), dtype=np.float32)

    def reset(self, seed: int) -> FloatArray:
        observations = []
        for i, env in enumerate(self.envs):
            obs, info = env.reset(seed=seed + self.first_index + i)
            self.dense[i].reset(info)
            observations.append(self._observe(i, obs, info))
        self.returns[:] = 0.0
        self.lengths[:] = 0
        return np.stack(observations)

    def step(self, torques: FloatArray) -> dict[str, Any]:
        n = len(self.envs)
        out: dict[str, Any] = {
            "observation": [],
            "final_observation": [],
            "reward_official": np.zeros(n, np.float32),
            "reward_env": np.zeros(n, np.float32),
            "reward_dense": np.zeros(n, np.float32),
            "dense_terms": {name: np.zeros(n, np.float32) for name in DENSE_TERM_NAMES},
            "terminated": np.zeros(n, np.bool_),
            "truncated": np.zeros(n, np.bool_),
            "finished_episodes": [],
        }
        for i, env in enumerate(self.envs):
            obs, reward, terminated, truncated, info = env.step(np.asarray(torques[i], dtype=np.float32))
            fell = bool(terminated) and bool(env.unwrapped.robots[0].is_terminated())
            terms = self.dense[i].step(info, fell)
            dense = self.dense[i].total(terms)
            ended = bool(terminated or truncated)
            # The platform's evaluation wrapper calls compute_reward() again after the step; so do we.
            official = terminal_score(self.task_ids[i], env.unwrapped.compute_reward()) if ended else 0.0
            out["reward_official"][i] = official
            out["reward_env"][i] = float(reward)
            out["reward_dense"][i] = dense
            for name, value in terms.items():
                out["dense_terms"][name][i] = value
            out["terminated"][i] = bool(terminated)
            out["truncated"][i] = bool(truncated)
            final = self._observe(i, obs, info)
            out["final_observation"].append(final)
            self.returns[i] += (float(reward), dense)
            self.lengths[i] += 1
            if ended:
                out["finished_episodes"].append(
                    FinishedEpisode(
                        env_index=self.first_index + i,
                        task_index=self.task_indices[i],
                        score=official,
                        env_return=float(self.returns[i, 0]),
                        dense_return=float(self.returns[i, 1]),
                        length=int(self.lengths[i]),
                    )
                )
                self.returns[i] = 0.0
                self.lengths[i] = 0
                obs, info = env.reset()
                self.dense[i].reset(info)
                final = self._observe(i, obs, info)
            out["observation"].append(final)
        out["observation"] = np.stack(out["observation"])
        out["final_observation"] = np.stack(out["final_observation"])
        return out

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _worker_main(
    connection: Connection,
    task_ids: Sequence[str],
    first_index: int,
    scales: DenseRewardScales,
    preprocess: PreprocessFn | None,
) -> None:
    group: _EnvGroup | None = None
    try:
        group = _EnvGroup(task_ids, first_index, scales, preprocess)
        connection.send(("ready", None))
        while True:
            command, argument = connection.recv()
            if command == "reset":
                connection.send(("ok", group.reset(int(argument))))
            elif command == "step":
                connection.send(("ok", group.step(argument)))
            elif command == "close":
                connection.send(("ok", None))
                return
            else:
                connection.send(("error", f"unknown command {command!r}"))
    except (KeyboardInterrupt, EOFError):
        return
    except Exception:  # report any failure to the parent instead of dying silently
        connection.send(("error", traceback.format_exc()))
    finally:
        if group is not None:
            group.close()
        connection.close()


def _assign_tasks(task_ids: Sequence[str], num_envs: int) -> list[str]:
    """Environment ``i`` runs ``task_ids[i % len(task_ids)]``: tasks interleaved as evenly as possible."""
    if not task_ids:
        raise ValueError("at least one task is needed")
    for task_id in task_ids:
        task_index_of(task_id)
    return [task_ids[i % len(task_ids)] for i in range(num_envs)]


class OfficialVecEnv:
    """``num_envs`` official environments over ``num_workers`` processes (0: in this process).

    Actions are joint torques (see :func:`soccer.actions.policy_to_torque`), shape ``(num_envs, 12)``.
    """

    def __init__(
        self,
        num_envs: int,
        *,
        task_ids: Sequence[str] | None = None,
        num_workers: int = 0,
        dense_scales: DenseRewardScales | None = None,
        preprocess: PreprocessFn | None = None,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, but {num_envs} was provided")
        if num_workers < 0:
            raise ValueError(f"num_workers must be at least 0, but {num_workers} was provided")
        self.task_ids = _assign_tasks(list(task_ids) if task_ids else list(TASKS), num_envs)
        self.task_indices = np.array([task_index_of(t) for t in self.task_ids], dtype=np.int64)
        self.num_envs = num_envs
        self.num_workers = min(num_workers, num_envs)
        scales = dense_scales or DenseRewardScales()
        self._local: _EnvGroup | None = None
        self._connections: list[Connection] = []
        self._processes: list[Any] = []
        if self.num_workers == 0:
            self._local = _EnvGroup(self.task_ids, 0, scales, preprocess)
            return
        # Contiguous shares so that worker w owns environments [start_w, end_w).
        bounds = np.linspace(0, num_envs, self.num_workers + 1).round().astype(int)
        context = mp.get_context("spawn")  # fork is unsafe once torch/JAX threads exist
        self._shares = [(int(bounds[w]), int(bounds[w + 1])) for w in range(self.num_workers)]
        try:
            for start, end in self._shares:
                parent, child = context.Pipe()
                process = context.Process(
                    target=_worker_main,
                    args=(child, self.task_ids[start:end], start, scales, preprocess),
                    daemon=True,
                )
                process.start()
                child.close()
                self._connections.append(parent)
                self._processes.append(process)
            for connection in self._connections:
                self._receive(connection)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _receive(connection: Connection) -> Any:
        try:
            status, payload = connection.recv()
        except EOFError as exc:
            raise RuntimeError("an official-environment worker exited unexpectedly") from exc
        if status == "error":
            raise RuntimeError(f"an official-environment worker failed:\n{payload}")
        return payload

    def reset(self, seed: int) -> FloatArray:
        """Reset every environment, environment ``i`` with ``seed + i``; returns the observations."""
        if self._local is not None:
            return self._local.reset(seed)
        for connection in self._connections:
            connection.send(("reset", seed))
        return np.concatenate([self._receive(c) for c in self._connections])

    def step(self, torques: npt.ArrayLike) -> StepBatch:
        actions = np.asarray(torques, dtype=np.float32)
        if actions.shape != (self.num_envs, ACTION_SIZE):
            raise ValueError(
                f"torques must have shape {(self.num_envs, ACTION_SIZE)}, but {actions.shape} was given"
            )
        if self._local is not None:
            parts = [self._local.step(actions)]
        else:
            for connection, (start, end) in zip(self._connections, self._shares, strict=True):
                connection.send(("step", actions[start:end]))
            parts = [self._receive(c) for c in self._connections]
        return StepBatch(
            observation=np.concatenate([p["observation"] for p in parts]),
            final_observation=np.concatenate([p["final_observation"] for p in parts]),
            reward_official=np.concatenate([p["reward_official"] for p in parts]),
            reward_env=np.concatenate([p["reward_env"] for p in parts]),
            reward_dense=np.concatenate([p["reward_dense"] for p in parts]),
            dense_terms={
                name: np.concatenate([p["dense_terms"][name] for p in parts]) for name in DENSE_TERM_NAMES
            },
            terminated=np.concatenate([p["terminated"] for p in parts]),
            truncated=np.concatenate([p["truncated"] for p in parts]),
            finished_episodes=[episode for p in parts for episode in p["finished_episodes"]],
        )

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None
        for connection in self._connections:
            try:
                connection.send(("close", None))
                connection.recv()
            except (BrokenPipeError, EOFError, OSError):
                pass
            connection.close()
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        self._connections = []
        self._processes = []

    def __enter__(self) -> OfficialVecEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
