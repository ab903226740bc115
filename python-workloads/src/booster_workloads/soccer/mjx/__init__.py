"""The three competition tasks on MuJoCo MJX, batched with ``jax.vmap``.

``make_mjx_env(env_config)`` builds the environment (see ``docs/architecture.md`` and
``docs/mjx-environment.md``).
"""

from booster_workloads.soccer.mjx.env import EnvState, SoccerMJXEnv, StepOutput, make_mjx_env

__all__ = ["EnvState", "SoccerMJXEnv", "StepOutput", "make_mjx_env"]
