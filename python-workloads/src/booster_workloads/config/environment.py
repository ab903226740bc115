"""Configuration of the MJX soccer environment used for pre-training."""

from __future__ import annotations

from dataclasses import dataclass

from booster_workloads.config.fields import setting


@dataclass(frozen=True)
class EnvironmentConfig:
    # Task mix: relative probability that an environment samples each task at reset (order of
    # ``booster_workloads.soccer.observation.TASKS``).
    goalie_penalty_kick_weight: float = setting(
        1.0, minimum=0.0, help="Relative share of goalie penalty kick episodes."
    )
    obstacle_penalty_kick_weight: float = setting(
        1.0, minimum=0.0, help="Relative share of obstacle penalty kick episodes."
    )
    kick_to_target_weight: float = setting(
        1.0, minimum=0.0, help="Relative share of kick-to-target episodes."
    )
    episode_length: int = setting(
        5000, toy=1000, minimum=1, help="Steps before an episode is truncated (official: 5000 at 500 Hz)."
    )
    joint_reset_noise: float = setting(
        0.0, minimum=0.0, help="Std of Gaussian noise on the 12 joint angles at reset (official: 0)."
    )

    # MJX solver (the official model runs Newton with 100 iterations and 50 line-search steps).
    solver_iterations: int = setting(4, minimum=1, help="Constraint solver iterations per physics step.")
    solver_ls_iterations: int = setting(8, minimum=1, help="Line-search iterations per solver iteration.")

    # Dense training reward: each named term is multiplied by its scale (0 turns it off). Defaults are
    # the official environments' own weights, plus the alive term.
    reward_approach_ball: float = setting(
        10.0, help="Scale of 1 - tanh(robot-ball distance), 1.5 once the robot has touched the ball."
    )
    reward_ball_velocity_to_goal: float = setting(
        1.0, help="Scale of the ball velocity toward the goal (penalty tasks) or target."
    )
    reward_goal: float = setting(
        25.0, help="Scale of a goal (penalty tasks) or the ball reaching the target."
    )
    reward_ball_near_target: float = setting(
        5.0, help="Scale of exp(-ball-target distance) in kick-to-target."
    )
    reward_alive: float = setting(
        1.0,
        help=(
            "Scale of 1 for every step the robot is up. Not an official term: without it a fall early "
            "in an episode costs little more than one late, and staying up is what every other skill needs."
        ),
    )
    cost_offside: float = setting(-10.0, help="Scale of the ball leaving the field.")
    cost_ball_hits: float = setting(
        -1.0, help="Scale of log(1 + repeated touches of the ball) in penalty tasks."
    )
    cost_fallen: float = setting(-15.0, help="Scale of the robot's IMU dropping to 0.4 m or below.")
    cost_blocked: float = setting(-20.0, help="Scale of the ball touching the goalkeeper or a defender.")

    def task_weights(self) -> tuple[float, float, float]:
        weights = (
            self.goalie_penalty_kick_weight,
            self.obstacle_penalty_kick_weight,
            self.kick_to_target_weight,
        )
        if sum(weights) <= 0:
            raise ValueError(
                "environment task weights are all 0; set at least one of goalie_penalty_kick_weight, "
                "obstacle_penalty_kick_weight, kick_to_target_weight above 0"
            )
        return weights

    def reward_scales(self) -> dict[str, float]:
        return {
            "approach_ball": self.reward_approach_ball,
            "ball_velocity_to_goal": self.reward_ball_velocity_to_goal,
            "goal": self.reward_goal,
            "ball_near_target": self.reward_ball_near_target,
            "alive": self.reward_alive,
            "offside": self.cost_offside,
            "ball_hits": self.cost_ball_hits,
            "fallen": self.cost_fallen,
            "blocked": self.cost_blocked,
        }
