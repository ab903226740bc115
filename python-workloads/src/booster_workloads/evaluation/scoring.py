"""How the SAI platform scores Booster Soccer, reproduced offline.

Sources (facts only; the numbers are restated here, no code is taken):

- Episode score. ``sai_rl.benchmark.benchmark.run_benchmark`` (sai-rl 0.1.37, installed) sums the
  per-step rewards of each episode; with a competition loaded, ``sai_rl.env.environment.
  custom_eval_wrapper`` replaces the environment's reward with the competition's evaluation script
  (served by the SAI API as ``TaskType.evaluationFn``). The script, as published on the competition's
  evaluation tab and copied into public competition repositories, returns 0 on every step but the
  last; on the step that ends the episode (terminated or truncated) it returns
  ``sum(weight[k] * env.compute_reward()[k])`` over the keys below, booleans counted as 1/0, plus the
  ``steps`` weight times 1.0. So an episode's score is that one terminal value.
- Weights per task (:data:`EVALUATION_WEIGHTS`): the two penalty-kick tasks share one table, the
  kick-to-target task has its own. The public copies of the kick-to-target script disagree on the
  ``steps`` weight (-0.2 in a verbatim copy of the script, -0.3 in a hand-written summary); the verbatim
  copy's -0.2 is used. The keys match what ``compute_reward`` returns in sai-mujoco 0.1.30
  (``envs/football/v0/penalty_kick.py``, ``target_hit.py``), which a test pins.
- Task score: the mean episode score (``SAIClient._single_benchmark``). Total: the mean of task scores
  weighted by each task's ``scoreWeight`` (``SAIClient.benchmark``). ``scoreWeight`` is part of the
  competition record on the SAI server and is not published; the client's default is 1.0, so
  :data:`TASK_SCORE_WEIGHTS` weights the three tasks equally. Change it here if the platform says
  otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from booster_workloads.soccer.observation import TASKS

_PENALTY_KICK_WEIGHTS: Final[Mapping[str, float]] = {
    "robot_distance_ball": 0.25,
    "ball_vel_twd_goal": 1.5,
    "goal_scored": 2.5,
    "offside": -3.0,
    "ball_hits": -0.2,
    "robot_fallen": -1.5,
    "ball_blocked": -0.5,
    "steps": -1.0,
}
_KICK_TO_TARGET_WEIGHTS: Final[Mapping[str, float]] = {
    "offside": -1.0,
    "success": 2.0,
    "distance": 0.5,
    "steps": -0.2,
}

EVALUATION_WEIGHTS: Final[Mapping[str, Mapping[str, float]]] = {
    "LowerT1GoaliePenaltyKick-v0": _PENALTY_KICK_WEIGHTS,
    "LowerT1ObstaclePenaltyKick-v0": _PENALTY_KICK_WEIGHTS,
    "LowerT1KickToTarget-v0": _KICK_TO_TARGET_WEIGHTS,
}
TASK_SCORE_WEIGHTS: Final[Mapping[str, float]] = dict.fromkeys(TASKS, 1.0)


def terminal_score(task_id: str, raw_reward: Mapping[str, Any]) -> float:
    """The evaluation script's value on the episode's last step, from ``env.compute_reward()``."""
    try:
        weights = EVALUATION_WEIGHTS[task_id]
    except KeyError:
        raise ValueError(f"no evaluation weights for {task_id!r}; tasks: {', '.join(TASKS)}") from None
    terms = {**dict(raw_reward), "steps": 1.0}
    return float(sum(weight * float(terms[key]) for key, weight in weights.items() if key in terms))


def weighted_total(
    task_scores: Mapping[str, float], weights: Mapping[str, float] = TASK_SCORE_WEIGHTS
) -> float:
    """Task scores combined as the platform does: ``sum(w_t * s_t) / sum(w_t)`` over the given tasks."""
    total_weight = sum(weights[task] for task in task_scores)
    if total_weight <= 0:
        return 0.0
    return float(sum(weights[task] * score for task, score in task_scores.items()) / total_weight)
