"""The three competition tasks as one batched MJX environment.

Every environment samples its task at reset and places the ball, robot, goalkeepers, defenders and
targets the way the official task does. Observations are the official preprocessed vector
(:mod:`booster_workloads.soccer.observation`), built from ``info`` entries computed the way the
official environment computes them, from the same simulator fields: after a step, site positions and
sensors come from the start of the step (MuJoCo's ``mj_step`` does not recompute them after
integrating), joint positions and velocities from its end.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct
from mujoco import mjx

from booster_workloads.config.environment import EnvironmentConfig
from booster_workloads.evaluation.scoring import EVALUATION_WEIGHTS
from booster_workloads.soccer import observation as ob
from booster_workloads.soccer.mjx import model as scene
from booster_workloads.soccer.mjx.actions import policy_to_torque

try:
    # ``mjx.step`` is ``forward`` then this integrator (for the model's implicitfast option).
    from mujoco.mjx._src.forward import implicit as _integrate
except ImportError as error:  # pragma: no cover - depends on the installed mujoco-mjx
    raise ImportError(
        "mujoco-mjx no longer exposes its implicitfast integrator; pin mujoco-mjx to the version in "
        "requirements.lock"
    ) from error

GOALIE, OBSTACLE, KICK_TO_TARGET = 0, 1, 2
FALL_HEIGHT = 0.4
PENALTY_SPOT_X = -8.77  # the south goal's penalty spot; the robot stands 2 m further up the field
PENALTY_ROBOT_YAW = 3.14  # the official value (not pi)
ROBOT_HEIGHT = 0.7
KEEPER_FREQUENCY = 0.3
KEEPER_AMPLITUDE = scene.GOAL_WIDTH - 0.6
KEEPER_PARKED = 60.0  # slide position of keepers in tasks without them: far off the field
OBSTACLE_SLOTS = tuple(
    -(scene.GOAL_WIDTH - 0.04) + i * (2 * (scene.GOAL_WIDTH - 0.04) / 8) for i in (1, 3, 5, 7)
)
GOAL_AREA_SITE_BODY_OFFSET = 0.2
TARGET_SUCCESS_DISTANCE = 0.4
GOAL_AREA_SUCCESS_DISTANCE = 0.3
FIELD_MARGIN = 0.5

# Official evaluation weights (applied to the raw terms at the last step of an episode), shared with
# the benchmark so that eval/score during pre-training is the score Gate 3 ranks by.
EVAL_WEIGHTS_PENALTY = EVALUATION_WEIGHTS["LowerT1GoaliePenaltyKick-v0"]
EVAL_WEIGHTS_KICK = EVALUATION_WEIGHTS["LowerT1KickToTarget-v0"]


@struct.dataclass
class EnvState:
    data: mjx.Data
    obs: jax.Array  # the observation the policy acts on next (after an auto-reset: the new episode's)
    task: jax.Array  # int32 index into observation.TASKS
    rng: jax.Array
    step_count: jax.Array
    ball_hits: jax.Array  # touches of the ball by the robot so far
    ball_contact: jax.Array  # whether the robot touched the ball at the last step
    target: jax.Array  # (3,) kick-to-target goal position (zeros elsewhere)


class StepOutput(NamedTuple):
    next_obs: jax.Array  # observation reached by this step, before any auto-reset
    reward: jax.Array
    terminated: jax.Array
    truncated: jax.Array
    metrics: dict[str, jax.Array]


def _euler_z_quat(yaw: jax.Array) -> jax.Array:
    """MuJoCo (w, x, y, z) quaternion of a yaw, as ``sai_mujoco``'s ``euler2quat([0, 0, yaw])``."""
    return jnp.array([jnp.cos(yaw / 2), 0.0, 0.0, jnp.sin(yaw / 2)])


def _first_valid(candidates: jax.Array, valid: jax.Array, fallback: jax.Array) -> jax.Array:
    """The first candidate whose ``valid`` is true, else ``fallback``: bounded rejection sampling."""
    index = jnp.argmax(valid)
    return jnp.where(jnp.any(valid), candidates[index], fallback)


class SoccerMJXEnv:
    """Batched (``jax.vmap``) soccer tasks on MJX; ``reset`` and ``step`` are pure and jit-able."""

    action_size = ob.NUM_JOINTS

    def __init__(self, config: EnvironmentConfig | None = None) -> None:
        self.config = config or EnvironmentConfig()
        self.observation_size = ob.OBSERVATION_SIZE
        options = scene.SolverOptions(
            iterations=self.config.solver_iterations, ls_iterations=self.config.solver_ls_iterations
        )
        self.mj_model = scene.mjx_model(options)
        self.model = mjx.put_model(self.mj_model)
        m = self.mj_model
        self._task_logits = jnp.log(jnp.asarray(self.config.task_weights(), dtype=jnp.float32))
        self._scales = self.config.reward_scales()

        def jnt_q(name: str) -> int:
            return int(m.jnt_qposadr[m.joint(name).id])

        def jnt_v(name: str) -> int:
            return int(m.jnt_dofadr[m.joint(name).id])

        self._ball_q, self._ball_v = jnt_q("env:ball"), jnt_v("env:ball")
        self._robot_q, self._robot_v = jnt_q(f"{scene.ROBOT_PREFIX}root"), jnt_v(f"{scene.ROBOT_PREFIX}root")
        self._keeper_q = np.array([jnt_q(f"goalkeeper_team_{t}_joint") for t in (0, 1)])
        self._keeper_v = np.array([jnt_v(f"goalkeeper_team_{t}_joint") for t in (0, 1)])
        self._joint_q = np.array([jnt_q(f"{scene.ROBOT_PREFIX}{j}") for j in scene.ROBOT_JOINTS])
        self._joint_v = np.array([jnt_v(f"{scene.ROBOT_PREFIX}{j}") for j in scene.ROBOT_JOINTS])
        self._site = {
            name: m.site(name).id
            for name in (
                "ball",
                "goal_post_south",
                "goal_post_north",
                "goalkeeper_team_0_site",
                "goalkeeper_team_1_site",
                "goalarea_site",
                "target0",
            )
        }
        self._imu_site = m.site(f"{scene.ROBOT_PREFIX}imu").id
        self._ball_body = m.body("soccer_ball").id
        self._mocap = {
            name: int(m.body_mocapid[m.body(name).id])
            for name in ("goalarea_body", "target0", *(f"defender_body{i}" for i in range(3)))
        }
        self._defender_bodies = np.array([m.body(f"defender_body{i}").id for i in range(3)])
        self._sensor = {
            key: (
                int(m.sensor_adr[m.sensor(f"{scene.ROBOT_PREFIX}{name}").id]),
                int(m.sensor_dim[m.sensor(f"{scene.ROBOT_PREFIX}{name}").id]),
            )
            for key, name in (
                ("gyro", "torso_gyro"),
                ("velocimeter", "torso_vel"),
                ("accelerometer", "accelerometer"),
                ("quat", "torso_quat"),
            )
        }
        # Contact rows come from explicit pairs, so which geoms each row concerns is fixed.
        contact_geoms = np.asarray(mjx.make_data(self.mj_model)._impl.contact.geom)
        ball = m.geom("ball").id
        robot = {m.geom(n).id for n in scene.ROBOT_COLLIDER_NAMES}
        keepers = {m.geom(n).id for n in scene.KEEPER_GEOMS}
        defenders = {m.geom(n).id for n in scene.DEFENDER_GEOMS}

        def rows(partners: set[int]) -> np.ndarray:
            return np.array(
                [
                    (a == ball and b in partners) or (b == ball and a in partners)
                    for a, b in contact_geoms.tolist()
                ],
                dtype=bool,
            )

        self._rows_ball_robot = rows(robot)
        self._rows_ball_keeper = rows(keepers)
        self._rows_ball_defender = rows(defenders)

    # ------------------------------------------------------------------------------------------------
    # Reset

    def _sample_layout(self, rng: jax.Array, task: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """qpos, mocap positions and kick target of a fresh episode of ``task``."""
        m = self.mj_model
        keys = jax.random.split(rng, 12)
        qpos = jnp.asarray(m.qpos0)
        length, width = scene.FIELD_LENGTH, scene.FIELD_WIDTH

        # Penalty tasks: ball on the spot, robot 2 m up the field facing the south goal.
        pen_ball = jnp.array([PENALTY_SPOT_X, 0.0])
        pen_robot = jnp.array([PENALTY_SPOT_X + 2.0, 0.0])
        pen_yaw = jnp.asarray(PENALTY_ROBOT_YAW)

        # Kick to target: robot anywhere, facing the centre; ball 0.5-2 m ahead; target 2-3.5 m to a side.
        lo, hi = -length + FIELD_MARGIN, length - FIELD_MARGIN
        wlo, whi = -width + FIELD_MARGIN, width - FIELD_MARGIN
        kick_robot = jnp.array(
            [
                jax.random.uniform(keys[0], minval=lo, maxval=hi),
                jax.random.uniform(keys[1], minval=wlo, maxval=whi),
            ]
        )
        kick_yaw = jnp.arctan2(-kick_robot[1], -kick_robot[0])
        heading = jnp.array([jnp.cos(kick_yaw), jnp.sin(kick_yaw)])
        dists = jax.random.uniform(keys[2], (16,), minval=0.5, maxval=2.0)
        balls = kick_robot + dists[:, None] * heading
        in_field = (balls[:, 0] >= lo) & (balls[:, 0] <= hi) & (balls[:, 1] >= wlo) & (balls[:, 1] <= whi)
        kick_ball = _first_valid(balls, in_field, kick_robot + 0.5 * heading)
        offsets = jax.random.uniform(keys[3], (16,), minval=2.0, maxval=3.5)
        offsets = jnp.where(jax.random.uniform(keys[4], (16,)) > 0.5, -offsets, offsets)
        target_y = kick_robot[1] + offsets
        target_x = jax.random.uniform(keys[5], (16,), minval=lo, maxval=hi)
        valid = (target_y >= wlo) & (target_y <= whi)
        fallback_y = kick_robot[1] - jnp.sign(kick_robot[1] + 1e-9) * jnp.abs(offsets[0])
        target_xy = _first_valid(
            jnp.stack([target_x, target_y], axis=1), valid, jnp.array([target_x[0], fallback_y])
        )
        kick_target = jnp.array([target_xy[0], target_xy[1], 0.001])

        is_kick = task == KICK_TO_TARGET
        robot_xy = jnp.where(is_kick, kick_robot, pen_robot)
        ball_xy = jnp.where(is_kick, kick_ball, pen_ball)
        yaw = jnp.where(is_kick, kick_yaw, pen_yaw)

        rq, bq = self._robot_q, self._ball_q
        qpos = qpos.at[rq : rq + 3].set(jnp.array([robot_xy[0], robot_xy[1], ROBOT_HEIGHT]))
        qpos = qpos.at[rq + 3 : rq + 7].set(_euler_z_quat(yaw))
        qpos = qpos.at[bq : bq + 3].set(jnp.array([ball_xy[0], ball_xy[1], 0.0]))
        qpos = qpos.at[bq + 3 : bq + 7].set(jnp.array([1.0, 0.0, 0.0, 0.0]))
        noise = self.config.joint_reset_noise * jax.random.normal(keys[6], (ob.NUM_JOINTS,))
        qpos = qpos.at[self._joint_q].set(noise)
        keeper = jnp.where(task == GOALIE, 0.0, KEEPER_PARKED)
        qpos = qpos.at[self._keeper_q].set(keeper)

        # Obstacle task: three defenders and the goal-area target on shuffled slots across the goal.
        slots = jax.random.permutation(keys[7], jnp.asarray(OBSTACLE_SLOTS))
        target_height = jax.random.uniform(keys[8], minval=0.44, maxval=scene.GOAL_HEIGHT - 0.5)
        anchor = jnp.asarray(scene.SOUTH_GOAL_ANCHOR)
        parked = jnp.asarray(scene.PARKED_POSITION)
        is_obstacle = task == OBSTACLE
        mocap = jnp.zeros((self.mj_model.nmocap, 3))
        for i in range(3):
            defender = anchor + jnp.array([0.0, slots[i], 0.4])
            mocap = mocap.at[self._mocap[f"defender_body{i}"]].set(jnp.where(is_obstacle, defender, parked))
        goal_area = anchor + jnp.array([0.0, slots[3], target_height])
        mocap = mocap.at[self._mocap["goalarea_body"]].set(jnp.where(is_obstacle, goal_area, parked))
        target_body = kick_target - jnp.array([0.0, 0.0, 0.001])
        mocap = mocap.at[self._mocap["target0"]].set(jnp.where(is_kick, target_body, parked))
        return qpos, mocap, jnp.where(is_kick, kick_target, jnp.zeros(3))

    def reset(self, rng: jax.Array) -> EnvState:
        """A fresh episode whose task is drawn from the configured task mix."""
        rng, task_key = jax.random.split(rng)
        task = jax.random.categorical(task_key, self._task_logits).astype(jnp.int32)
        return self.reset_task(rng, task)

    def reset_task(self, rng: jax.Array, task: jax.Array) -> EnvState:
        """A fresh episode of the given task (index into ``observation.TASKS``)."""
        unforwarded = self._fresh_unforwarded(rng, jnp.asarray(task, dtype=jnp.int32))
        return self._finish_reset(unforwarded, mjx.forward(self.model, unforwarded.data))

    def _fresh_unforwarded(self, rng: jax.Array, task: jax.Array) -> EnvState:
        """A fresh episode's state before forward kinematics (``data`` holds only qpos and mocap)."""
        rng, layout_key = jax.random.split(rng)
        qpos, mocap, target = self._sample_layout(layout_key, task)
        data = mjx.make_data(self.model)
        quat = jnp.zeros((self.mj_model.nmocap, 4)).at[:, 0].set(1.0)
        data = data.replace(qpos=qpos, mocap_pos=mocap, mocap_quat=quat)
        zero = jnp.zeros((), dtype=jnp.int32)
        return EnvState(
            data=data,
            obs=jnp.zeros(ob.OBSERVATION_SIZE),
            task=task,
            rng=rng,
            step_count=zero,
            ball_hits=zero,
            ball_contact=jnp.zeros((), dtype=bool),
            target=target,
        )

    def _finish_reset(self, state: EnvState, forwarded: mjx.Data) -> EnvState:
        return dataclasses.replace(state, data=forwarded, obs=self.observe(forwarded, state.task))

    # ------------------------------------------------------------------------------------------------
    # Observation

    def _free_body_velocity(self, data: mjx.Data, dof: int, body: int) -> tuple[jax.Array, jax.Array]:
        """World linear and angular velocity at the origin of a free body (what ``jac @ qvel`` gives)."""
        linear = data.qvel[dof : dof + 3]
        angular = data.xmat[body] @ data.qvel[dof + 3 : dof + 6]
        return linear, angular

    def info(self, data: mjx.Data, task: jax.Array) -> dict[str, jax.Array]:
        """The official ``info`` entries (plus ``robot_quat``) for one environment."""
        site = data.site_xpos
        robot_xpos = site[self._imu_site]
        trunk = int(self.mj_model.site_bodyid[self._imu_site])
        robot_velp, _ = self._free_body_velocity(data, self._robot_v, trunk)
        ball_xpos = site[self._site["ball"]]
        ball_velp, ball_velr = self._free_body_velocity(data, self._ball_v, self._ball_body)
        _, robot_velr = self._free_body_velocity(data, self._robot_v, trunk)

        def sensor(key: str) -> jax.Array:
            adr, dim = self._sensor[key]
            return data.sensordata[adr : adr + dim]

        is_goalie = task == GOALIE
        keeper_xpos = [
            jnp.where(is_goalie, site[self._site[f"goalkeeper_team_{t}_site"]], robot_xpos) for t in (0, 1)
        ]
        keeper_velp = [
            jnp.where(is_goalie, jnp.array([0.0, data.qvel[self._keeper_v[t]], 0.0]), robot_velp)
            for t in (0, 1)
        ]
        # Mocap targets do not move: their velocity is zero.
        target_xpos = jnp.select(
            [task == OBSTACLE, task == KICK_TO_TARGET],
            [site[self._site["goalarea_site"]], site[self._site["target0"]]],
            robot_xpos,
        )
        target_velp = jnp.where(is_goalie, robot_velp, jnp.zeros(3))
        defenders = jnp.where(
            task == OBSTACLE, data.xpos[self._defender_bodies], jnp.broadcast_to(robot_xpos, (3, 3))
        )
        goal_south = site[self._site["goal_post_south"]]
        goal_north = site[self._site["goal_post_north"]]
        quat_wxyz = sensor("quat")
        return {
            "robot_quat": quat_wxyz[jnp.array([1, 2, 3, 0])],
            "robot_gyro": sensor("gyro"),
            "robot_accelerometer": sensor("accelerometer"),
            "robot_velocimeter": sensor("velocimeter"),
            "goal_team_0_rel_robot": goal_south - robot_xpos,
            "goal_team_1_rel_robot": goal_north - robot_xpos,
            "goal_team_0_rel_ball": goal_south - ball_xpos,
            "goal_team_1_rel_ball": goal_north - ball_xpos,
            "ball_xpos_rel_robot": ball_xpos - robot_xpos,
            "ball_velp_rel_robot": ball_velp - robot_velp,
            "ball_velr_rel_robot": ball_velr - robot_velr,
            "player_team": jnp.array([1.0, 0.0]),
            "goalkeeper_team_0_xpos_rel_robot": keeper_xpos[0] - robot_xpos,
            "goalkeeper_team_0_velp_rel_robot": keeper_velp[0] - robot_velp,
            "goalkeeper_team_1_xpos_rel_robot": keeper_xpos[1] - robot_xpos,
            "goalkeeper_team_1_velp_rel_robot": keeper_velp[1] - robot_velp,
            "target_xpos_rel_robot": target_xpos - robot_xpos,
            "target_velp_rel_robot": target_velp - robot_velp,
            "defender_xpos": defenders.reshape(9),
        }

    def observe(self, data: mjx.Data, task: jax.Array) -> jax.Array:
        return ob.preprocess_jax(
            data.qpos[self._joint_q], data.qvel[self._joint_v], self.info(data, task), task
        )

    # ------------------------------------------------------------------------------------------------
    # Step

    def _drive_keepers(self, data: mjx.Data, task: jax.Array) -> mjx.Data:
        """The scripted keepers: y = A sin(2 pi f t), set before each physics step as the official env does."""
        phase = 2 * jnp.pi * KEEPER_FREQUENCY * data.time
        pos = jnp.where(task == GOALIE, KEEPER_AMPLITUDE * jnp.sin(phase), KEEPER_PARKED)
        vel = jnp.where(
            task == GOALIE, 2 * jnp.pi * KEEPER_FREQUENCY * KEEPER_AMPLITUDE * jnp.cos(phase), 0.0
        )
        return data.replace(
            qpos=data.qpos.at[self._keeper_q].set(pos), qvel=data.qvel.at[self._keeper_v].set(vel)
        )

    def _touching(self, data: mjx.Data, rows: np.ndarray) -> jax.Array:
        if not rows.any():
            return jnp.zeros((), dtype=bool)
        return jnp.any(data._impl.contact.dist[rows] < 0.0)

    def step(self, state: EnvState, action: jax.Array) -> tuple[EnvState, StepOutput]:
        task = state.task
        data = self._drive_keepers(state.data, task)
        data = data.replace(ctrl=policy_to_torque(action))
        # The episode that replaces this one if it ends now. Its forward pass and the step's own run as
        # one batched call, so XLA compiles ``mjx.forward`` once (the step is forward + integrate).
        reset_key, next_key = jax.random.split(state.rng)
        task_key, layout_key = jax.random.split(reset_key)
        fresh_task = jax.random.categorical(task_key, self._task_logits).astype(jnp.int32)
        fresh = self._fresh_unforwarded(layout_key, fresh_task)
        pair = jax.tree_util.tree_map(lambda a, b: jnp.stack([a, b]), data, fresh.data)
        forwarded = jax.vmap(mjx.forward, in_axes=(None, 0))(self.model, pair)
        data = _integrate(self.model, jax.tree_util.tree_map(lambda x: x[0], forwarded))
        fresh = self._finish_reset(fresh, jax.tree_util.tree_map(lambda x: x[1], forwarded))

        next_obs = self.observe(data, task)
        site = data.site_xpos
        ball = site[self._site["ball"]]
        robot = site[self._imu_site]
        ball_velp = data.qvel[self._ball_v : self._ball_v + 3]

        # Touch counting as the official penalty tasks do it: a new touch starts when contact begins.
        touching = self._touching(data, self._rows_ball_robot)
        ball_hits = state.ball_hits + (touching & ~state.ball_contact).astype(jnp.int32)

        length, width = scene.FIELD_LENGTH, scene.FIELD_WIDTH
        goal_x = site[self._site["goal_post_south"]][0]
        in_south_goal = (
            (ball[0] >= goal_x - scene.GOAL_DEPTH)
            & (ball[0] <= goal_x)
            & (ball[1] >= -scene.GOAL_WIDTH)
            & (ball[1] < scene.GOAL_WIDTH)
            & (ball[2] < scene.GOAL_HEIGHT)
        )
        in_goal_area = jnp.linalg.norm(site[self._site["goalarea_site"]] - ball) < GOAL_AREA_SUCCESS_DISTANCE
        target_distance = jnp.linalg.norm(ball - state.target)
        is_goalie, is_obstacle, is_kick = task == GOALIE, task == OBSTACLE, task == KICK_TO_TARGET
        scored = jnp.where(
            is_goalie,
            in_south_goal,
            jnp.where(is_obstacle, in_goal_area, target_distance < TARGET_SUCCESS_DISTANCE),
        )
        outside = (jnp.abs(ball[0]) > length) | (jnp.abs(ball[1]) > width)
        offside = outside & ~jnp.where(is_kick, False, scored)
        blocked = jnp.where(
            is_goalie,
            self._touching(data, self._rows_ball_keeper),
            jnp.where(is_obstacle, self._touching(data, self._rows_ball_defender), False),
        )
        fallen = ~(robot[2] > FALL_HEIGHT)
        invalid = jnp.any(jnp.isnan(data.qpos)) | jnp.any(jnp.isnan(data.qvel))

        distance_ball = jnp.where(ball_hits > 0, 1.5, 1.0 - jnp.tanh(jnp.linalg.norm(robot - ball)))
        to_target = state.target - ball
        to_target_dir = to_target / (jnp.linalg.norm(to_target) + 1e-6)
        velocity_to_goal = jnp.where(is_kick, jnp.dot(ball_velp, to_target_dir), -ball_velp[0])
        penalty_task = ~is_kick
        terms = {
            "approach_ball": distance_ball,
            "ball_velocity_to_goal": velocity_to_goal,
            "goal": scored.astype(jnp.float32),
            "ball_near_target": jnp.where(is_kick, jnp.exp(-target_distance), 0.0),
            "alive": (~fallen).astype(jnp.float32),
            "offside": offside.astype(jnp.float32),
            "ball_hits": jnp.where(
                penalty_task, jnp.log1p(jnp.maximum(0, ball_hits - 1).astype(jnp.float32)), 0.0
            ),
            "fallen": fallen.astype(jnp.float32),
            "blocked": blocked.astype(jnp.float32),
        }
        scaled = {name: self._scales[name] * value for name, value in terms.items()}
        reward = sum(scaled.values(), jnp.zeros(()))

        step_count = state.step_count + 1
        terminated = invalid | fallen | offside | scored | blocked
        truncated = (step_count >= self.config.episode_length) & ~terminated
        done = terminated | truncated

        eval_penalty = (
            EVAL_WEIGHTS_PENALTY["robot_distance_ball"] * distance_ball
            + EVAL_WEIGHTS_PENALTY["ball_vel_twd_goal"] * -ball_velp[0]
            + EVAL_WEIGHTS_PENALTY["goal_scored"] * scored
            + EVAL_WEIGHTS_PENALTY["offside"] * offside
            + EVAL_WEIGHTS_PENALTY["ball_hits"] * terms["ball_hits"]
            + EVAL_WEIGHTS_PENALTY["robot_fallen"] * fallen
            + EVAL_WEIGHTS_PENALTY["ball_blocked"] * blocked
            + EVAL_WEIGHTS_PENALTY["steps"]
        )
        eval_kick = (
            EVAL_WEIGHTS_KICK["offside"] * offside
            + EVAL_WEIGHTS_KICK["success"] * scored
            + EVAL_WEIGHTS_KICK["distance"] * jnp.exp(-target_distance)
            + EVAL_WEIGHTS_KICK["steps"]
        )
        eval_score = jnp.where(is_kick, eval_kick, eval_penalty)
        metrics: dict[str, jax.Array] = {f"reward/{name}": value for name, value in scaled.items()}
        metrics["episode/done"] = done.astype(jnp.float32)
        metrics["episode/success"] = (done & scored).astype(jnp.float32)
        metrics["eval/score"] = jnp.where(done, eval_score, 0.0)

        stepped = EnvState(
            data=data,
            obs=next_obs,
            task=task,
            rng=state.rng,
            step_count=step_count,
            ball_hits=ball_hits,
            ball_contact=touching,
            target=state.target,
        )
        fresh = dataclasses.replace(fresh, rng=next_key)
        stepped = dataclasses.replace(stepped, rng=next_key)
        new_state = jax.tree_util.tree_map(lambda a, b: jnp.where(done, a, b), fresh, stepped)
        return new_state, StepOutput(
            next_obs=next_obs,
            reward=reward.astype(jnp.float32),
            terminated=terminated,
            truncated=truncated,
            metrics=metrics,
        )

    # ------------------------------------------------------------------------------------------------
    # Placing a given physical state (parity checks, debugging)

    def state_from_physics(
        self, task: int, qpos: Any, qvel: Any, mocap_pos: Any, target: Any, time: float = 0.0
    ) -> EnvState:
        """An environment state holding exactly this physical state, with forward kinematics done."""
        data = mjx.make_data(self.model)
        quat = jnp.zeros((self.mj_model.nmocap, 4)).at[:, 0].set(1.0)
        data = data.replace(
            qpos=jnp.asarray(qpos),
            qvel=jnp.asarray(qvel),
            mocap_pos=jnp.asarray(mocap_pos),
            mocap_quat=quat,
            time=jnp.asarray(time),
        )
        data = mjx.forward(self.model, data)
        task_index = jnp.asarray(task, dtype=jnp.int32)
        zero = jnp.zeros((), dtype=jnp.int32)
        return EnvState(
            data=data,
            obs=self.observe(data, task_index),
            task=task_index,
            rng=jax.random.PRNGKey(0),
            step_count=zero,
            ball_hits=zero,
            ball_contact=jnp.zeros((), dtype=bool),
            target=jnp.asarray(target, dtype=jnp.float32),
        )


def make_mjx_env(env_config: EnvironmentConfig | None = None) -> SoccerMJXEnv:
    """The MJX soccer environment (see ``docs/architecture.md`` for the contract)."""
    return SoccerMJXEnv(env_config)


__all__ = ["EnvState", "SoccerMJXEnv", "StepOutput", "make_mjx_env"]
