"""The soccer scene, composed from the installed ``sai-mujoco`` assets, and its MJX variant.

:func:`official_spec` composes the model the way the official tasks do (``MjSpec`` of the base scene,
the football ``env.xml`` attached through a frame, the lower-body T1 attached with the ``robot_0:``
prefix) and adds, in one model, the objects the three tasks add one at a time: the two scripted
goalkeepers (goalie task), the three defenders and the goal-area target (obstacle task) and the
ground target (kick-to-target). Objects a task moves at reset are mocap bodies here so that every
parallel environment can place its own.

:func:`mjx_spec` turns that into what MJX can simulate; every change is listed in
``docs/mjx-environment.md``. Joint order is kept: ball (free), goalkeeper 0 and 1 (slide), robot root
(free) and its 12 hinges, exactly as in the official goalie task, so states transfer one to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np
import sai_mujoco

ROBOT_PREFIX = "robot_0:"
FIELD_LENGTH = 10.97
FIELD_WIDTH = 6.87
GOAL_WIDTH = 1.6
GOAL_HEIGHT = 1.9
GOAL_DEPTH = 1.6
TARGET_SIZE = 0.55
# Registered robot pose of the competition tasks: position (-5, 0, 0), orientation w, x, y, z.
ROBOT_BASE_POSITION = np.array([-5.0, 0.0, 0.0])
ROBOT_BASE_QUAT = np.array([0.0, 0.0, 0.0, 1.0])
# The goalkeeper, defender and goal-area bodies sit at the south goal line, 0.2 m up.
SOUTH_GOAL_ANCHOR = np.array([-FIELD_LENGTH, 0.0, 0.2])
# Where mocap objects wait when the environment's task does not use them: far off the field, out of
# every contact pair's reach.
PARKED_POSITION = np.array([0.0, 60.0, -20.0])
# The highest of the official ground surfaces: the logo planes at z = 0.01 (the pitch mesh's top is
# 0.009 + 0.001 and the field plane 0.007); objects rest on it.
GROUND_HEIGHT = 0.01

GROUND_BIT, BALL_BIT, ROBOT_BIT, OBSTACLE_BIT = 1, 2, 4, 8

ROBOT_JOINTS: tuple[str, ...] = tuple(
    f"{side}_{name}"
    for side in ("Left", "Right")
    for name in ("Hip_Pitch", "Hip_Roll", "Hip_Yaw", "Knee_Pitch", "Ankle_Pitch", "Ankle_Roll")
)


def _assets() -> Path:
    return Path(sai_mujoco.__file__).parent / "assets"


def _add_goalkeepers(env: mujoco.MjSpec) -> None:
    """The goalie task's scripted keepers: a slide joint along y, mesh body, site at the body origin."""
    for team, x in ((0, -FIELD_LENGTH), (1, FIELD_LENGTH)):
        body = env.worldbody.add_body(name=f"goalkeeper_team_{team}_body", pos=[x, 0.0, 0.2])
        body.add_joint(
            name=f"goalkeeper_team_{team}_joint",
            type=mujoco.mjtJoint.mjJNT_SLIDE,
            axis=[0, 1, 0],
            range=[-3, 3],
            actfrcrange=[-10, 10],
        )
        body.add_geom(
            name=f"goalkeeper_team_{team}_geom",
            type=mujoco.mjtGeom.mjGEOM_MESH,
            meshname="goalkeeper",
            pos=[0, 0, 0.7],
            quat=[0.5, -0.5, 0.5, 0.5],
            mass=1.0,
        )
        body.add_site(name=f"goalkeeper_team_{team}_site")


def _add_obstacle_objects(env: mujoco.MjSpec) -> None:
    """The obstacle task's goal-area target site and three defenders, as mocap bodies."""
    goal_area = env.worldbody.add_body(name="goalarea_body", mocap=True, pos=PARKED_POSITION.tolist())
    goal_area.add_site(name="goalarea_site", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.03, 0.42, 0.4])
    for i in range(3):
        defender = env.worldbody.add_body(name=f"defender_body{i}", mocap=True, pos=PARKED_POSITION.tolist())
        defender.add_geom(
            name=f"defender_geom{i}",
            type=mujoco.mjtGeom.mjGEOM_MESH,
            meshname="defender",
            quat=[0.5, 0.5, 0.5, 0.5],
            mass=1.0,
        )


def _add_ground_target(env: mujoco.MjSpec) -> None:
    body = env.worldbody.add_body(name="target0", mocap=True, pos=PARKED_POSITION.tolist())
    body.add_site(
        name="target0", type=mujoco.mjtGeom.mjGEOM_CYLINDER, pos=[0, 0, 0.001], size=[TARGET_SIZE, 0.01, 0.0]
    )


def official_spec() -> mujoco.MjSpec:
    """The official composition of scene, football field, task objects and robot, in one spec."""
    assets = _assets()
    scene = mujoco.MjSpec.from_file((assets / "scene" / "v0" / "base_scene.xml").as_posix())
    env = mujoco.MjSpec.from_file((assets / "envs" / "football" / "v0" / "env.xml").as_posix())
    _add_goalkeepers(env)
    _add_obstacle_objects(env)
    _add_ground_target(env)
    robot = mujoco.MjSpec.from_file((assets / "robots" / "t1" / "v1" / "robot_lower.xml").as_posix())
    trunk = robot.bodies[1]
    trunk.pos = ROBOT_BASE_POSITION - np.asarray(trunk.pos)
    trunk.quat = ROBOT_BASE_QUAT
    scene.attach(env, frame=scene.worldbody.add_frame())
    scene.worldbody.add_frame().attach_body(trunk, ROBOT_PREFIX, "")
    return scene


@dataclass(frozen=True)
class SolverOptions:
    """MJX solver settings (the official model uses Newton with 100 iterations, 50 line-search)."""

    iterations: int = 4
    ls_iterations: int = 8
    timestep: float = 0.002


# Collision geometry of the robot in the official model (unnamed there): named here by body.
_ROBOT_COLLIDERS = {
    "Trunk": "trunk",
    "Hip_Yaw_Left": "left_hip",
    "Shank_Left": "left_shank",
    "left_foot_link": "left_foot",
    "Hip_Yaw_Right": "right_hip",
    "Shank_Right": "right_shank",
    "right_foot_link": "right_foot",
}
_GOAL_FRAME_GEOMS = (
    "left_post",
    "right_post",
    "back_left_post",
    "back_right_post",
    "crossbar",
    "basebar",
    "sidebar1",
    "sidebar2",
)
ROBOT_COLLIDER_NAMES: tuple[str, ...] = tuple(f"{ROBOT_PREFIX}{n}" for n in _ROBOT_COLLIDERS.values())
KEEPER_GEOMS: tuple[str, ...] = ("goalkeeper_team_0_geom", "goalkeeper_team_1_geom")
DEFENDER_GEOMS: tuple[str, ...] = tuple(f"defender_geom{i}" for i in range(3))


def _mesh_boxes(
    spec: mujoco.MjSpec, names: tuple[str, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Compiled frame and bounding box of mesh geoms: (pos, quat) of the geom frame, aabb centre, half sizes."""
    model = spec.compile()
    boxes = {}
    for name in names:
        g = model.geom(name)
        # Compiled mesh vertices are expressed in the compiled geom frame.
        mesh = model.geom_dataid[g.id]
        start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
        vertices = model.mesh_vert[start : start + count]
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        boxes[name] = (
            np.array(g.pos),
            np.array(g.quat),
            np.concatenate([(low + high) / 2, (high - low) / 2]),
        )
    return boxes


def mjx_spec(options: SolverOptions | None = None) -> mujoco.MjSpec:
    """The MJX variant of :func:`official_spec` (see ``docs/mjx-environment.md`` for every change)."""
    options = options or SolverOptions()
    spec = official_spec()
    boxes = _mesh_boxes(spec, (*KEEPER_GEOMS, *DEFENDER_GEOMS))

    # Name the robot's collision primitives; cylinders become capsules of the same radius whose caps
    # end where the cylinder's flat faces were.
    for geom in list(spec.geoms):
        body = spec.body(geom.parent.name) if geom.parent else None
        body_name = body.name.removeprefix(ROBOT_PREFIX) if body is not None else ""
        is_collider = geom.contype != 0 or geom.conaffinity != 0
        if body_name in _ROBOT_COLLIDERS and geom.parent.name.startswith(ROBOT_PREFIX) and is_collider:
            geom.name = f"{ROBOT_PREFIX}{_ROBOT_COLLIDERS[body_name]}"
            if geom.type == mujoco.mjtGeom.mjGEOM_CYLINDER:
                radius, half = geom.size[0], geom.size[1]
                geom.type = mujoco.mjtGeom.mjGEOM_CAPSULE
                geom.size = [radius, max(half - radius, 1e-3), 0.0]

    # Meshes become their bounding boxes in the compiled geom frame (keeper and defenders are thin
    # cut-outs, so the box is the shape); the geom frame keeps the official origin.
    # Look every geom up before deleting any: name lookups go stale after a delete.
    mesh_geoms = {name: spec.geom(name) for name in boxes}
    for name, (pos, quat, aabb) in boxes.items():
        mesh_geom = mesh_geoms[name]
        body = mesh_geom.parent
        mass = mesh_geom.mass
        mesh_geom.name = f"{name}_mesh"
        spec.delete(mesh_geom)
        rot = np.zeros(9)
        mujoco.mju_quat2Mat(rot, quat)
        centre = rot.reshape(3, 3) @ aabb[:3]
        # The official task writes the defenders' geom position at reset; the (mocap) body carries it here.
        body.add_geom(
            name=name,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=aabb[3:].tolist(),
            quat=quat.tolist(),
            pos=(centre if name in DEFENDER_GEOMS else pos + centre).tolist(),
            mass=mass,
        )

    keep = {*ROBOT_COLLIDER_NAMES, *KEEPER_GEOMS, *DEFENDER_GEOMS, "ball"}
    keep |= {f"{g}_{side}" for g in _GOAL_FRAME_GEOMS for side in ("north", "south")}
    for geom in list(spec.geoms):
        if geom.name not in keep:
            spec.delete(geom)
    for mesh in list(spec.meshes):
        spec.delete(mesh)
    spec.worldbody.add_geom(
        name="ground", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1], pos=[0, 0, GROUND_HEIGHT]
    )

    # Which geoms may touch is set with contype/conaffinity bits (MJX's explicit-pair path does not run
    # on the installed JAX): the ground touches ball and robot, the ball touches everything. Robot
    # self-collision (only the two lower legs can meet) is left out: its box-box and capsule-box
    # tests are the slowest MJX collision functions to compile and run.
    for geom in spec.geoms:
        if geom.name == "ground":
            geom.contype, geom.conaffinity = GROUND_BIT, 0
        elif geom.name == "ball":
            geom.contype, geom.conaffinity = BALL_BIT, GROUND_BIT | ROBOT_BIT | OBSTACLE_BIT
        elif geom.name in ROBOT_COLLIDER_NAMES:
            geom.contype, geom.conaffinity = ROBOT_BIT, GROUND_BIT
        else:
            geom.contype, geom.conaffinity = OBSTACLE_BIT, 0
        geom.condim = 3
        geom.friction = [1.0, 0.005, 0.0001]

    # Sensors the observation reads; the rest of the robot's sensors are unused here.
    p = ROBOT_PREFIX
    needed = {f"{p}torso_gyro", f"{p}torso_vel", f"{p}accelerometer", f"{p}torso_quat"}
    for sensor in list(spec.sensors):
        if sensor.name not in needed:
            spec.delete(sensor)

    # The keepers are driven kinematically; their joint range only matters to the constraint solver.
    for team in (0, 1):
        spec.joint(f"goalkeeper_team_{team}_joint").limited = mujoco.mjtLimited.mjLIMITED_FALSE

    spec.option.timestep = options.timestep
    spec.option.iterations = options.iterations
    spec.option.ls_iterations = options.ls_iterations
    spec.option.solver = mujoco.mjtSolver.mjSOL_NEWTON
    spec.option.cone = mujoco.mjtCone.mjCONE_PYRAMIDAL
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    return spec


def mjx_model(options: SolverOptions | None = None) -> mujoco.MjModel:
    return mjx_spec(options).compile()
