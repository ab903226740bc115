"""SAC pre-training throughput on MJX: environment steps/s and gradient updates/s, compile time apart.

Run from the repository root:

    python-workloads/.venv/bin/python bench/pretrain_throughput.py --num-envs 16 2048 \
        [--profile full] [--iterations 3] [--parts env,updates,train] [--output bench/results/pretrain-cpu.md]

For each environment count, with the profile's SAC settings (``num_envs`` replaced; the step
counter starts past warm-up, so every measured step also learns):

* ``env``: the MJX soccer environment alone, ``vmap``-ed and stepped in a compiled ``lax.scan`` with
  random actions;
* ``updates``: SAC gradient updates alone (batch, network sizes and replay buffer of the profile);
* ``train``: the compiled training iteration (environment steps + ``updates_per_env_step`` updates
  per batched step), the figure that decides wall-clock time.

Each part reports its JIT compile time separately from the timed runs, which start after one
untimed warm call. The ``10M steps`` column extrapolates the training rate to the full profile's
10,000,000 environment steps. ``JAX_COMPILATION_CACHE_DIR`` reuses compiled programs across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
from booster_workloads.config import PipelineConfig
from booster_workloads.config.loader import build_config
from booster_workloads.sac.training import SACTrainer
from booster_workloads.soccer.mjx.env import make_mjx_env
from booster_workloads.soccer.observation import TASKS

FULL_RUN_STEPS = 10_000_000


def _compile(function: Any, *example: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    compiled = function.lower(*example).compile()
    return compiled, time.perf_counter() - started


def _time_calls(call: Callable[[], Any], repeats: int) -> float:
    """Seconds per call, after one untimed call."""
    jax.block_until_ready(call())
    started = time.perf_counter()
    for _ in range(repeats):
        jax.block_until_ready(call())
    return (time.perf_counter() - started) / repeats


def bench_size(
    config: PipelineConfig, num_envs: int, parts: set[str], iterations: int
) -> dict[str, float]:
    pretrain = dataclasses.replace(config.pretrain, num_envs=num_envs)
    env = make_mjx_env(config.environment)
    trainer = SACTrainer(env, pretrain, task_names=TASKS)
    row: dict[str, float] = {"num_envs": num_envs}

    started = time.perf_counter()
    state = jax.block_until_ready(trainer.init(jax.random.PRNGKey(0)))
    # Compile and reset of all environments.
    row["init_seconds"] = time.perf_counter() - started
    # Skip warm-up by moving the step counter rather than changing the setting, so the compiled
    # iteration is the one a training run uses (and the compilation cache can serve it).
    state = state.replace(env_steps=jnp.asarray(pretrain.warmup_steps, jnp.int32))

    steps = trainer.plan.batched_steps_per_iteration
    if "env" in parts:

        def rollout(env_state: Any, key: jax.Array) -> Any:
            def body(carry: Any, step_key: jax.Array) -> tuple[Any, None]:
                action = jax.random.uniform(
                    step_key, (num_envs, env.action_size), minval=-1.0, maxval=1.0
                )
                carry, _ = jax.vmap(env.step)(carry, action)
                return carry, None

            env_state, _ = jax.lax.scan(body, env_state, jax.random.split(key, steps))
            return env_state

        compiled, row["env_compile_seconds"] = _compile(
            jax.jit(rollout), state.env_state, state.key
        )
        seconds = _time_calls(lambda: compiled(state.env_state, state.key), iterations)
        row["env_steps_per_second"] = steps * num_envs / seconds

    if "train" in parts:
        iteration, row["train_compile_seconds"] = _compile(trainer.iteration, state)
        holder = {"state": state}

        def one_iteration() -> Any:
            holder["state"], metrics = iteration(holder["state"])
            return metrics

        seconds = _time_calls(one_iteration, iterations)
        row["train_env_steps_per_second"] = (
            trainer.plan.env_steps_per_iteration / seconds
        )
        row["train_updates_per_second"] = (
            steps * pretrain.updates_per_env_step / seconds
        )
        row["full_run_hours"] = (
            FULL_RUN_STEPS / row["train_env_steps_per_second"] / 3600
        )
        state = holder["state"]

    if "updates" in parts:
        count = 16

        def updates(train_state: Any, key: jax.Array) -> Any:
            train_state, _ = jax.lax.scan(
                trainer.update, train_state, jax.random.split(key, count)
            )
            return train_state

        if (
            int(state.replay.size) == 0
        ):  # sample from something: fill the buffer with one batched step
            state = state.replace(
                replay=state.replay.replace(size=jnp.asarray(num_envs, jnp.int32))
            )
        compiled_updates, row["updates_compile_seconds"] = _compile(
            jax.jit(updates), state, state.key
        )
        seconds = _time_calls(lambda: compiled_updates(state, state.key), iterations)
        row["updates_per_second"] = count / seconds
    return row


def _format(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def write_markdown(
    rows: list[dict[str, float]],
    config: PipelineConfig,
    profile: str,
    path: Path | None,
) -> str:
    device = jax.devices()[0]
    p = config.pretrain
    lines = [
        "# SAC pre-training throughput (MJX soccer tasks)",
        "",
        (
            f"Device: **{device.platform}** ({device.device_kind}), {os.cpu_count()} logical CPUs, "
            f"{platform.processor() or platform.machine()}; jax {jax.__version__}."
        ),
        (
            f"Settings: {profile} profile (batch {p.batch_size}, {p.updates_per_env_step} updates per batched step, "
            f"actor {list(p.actor_hidden_sizes)}, critics {list(p.critic_hidden_sizes)}, replay {p.buffer_size:,}), "
            f"MJX solver {config.environment.solver_iterations} iterations / "
            f"{config.environment.solver_ls_iterations} line-search."
        ),
        "",
        (
            "| envs | init s | env compile s | env steps/s | train compile s | train env steps/s | train updates/s "
            "| updates compile s | updates/s (alone) | 10M steps (h) |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    _format(r["num_envs"]),
                    _format(r.get("init_seconds"), 1),
                    _format(r.get("env_compile_seconds"), 1),
                    _format(r.get("env_steps_per_second")),
                    _format(r.get("train_compile_seconds"), 1),
                    _format(r.get("train_env_steps_per_second")),
                    _format(r.get("train_updates_per_second"), 1),
                    _format(r.get("updates_compile_seconds"), 1),
                    _format(r.get("updates_per_second"), 1),
                    _format(r.get("full_run_hours"), 1),
                ]
            )
            + " |"
        )
    text = "\n".join(lines) + "\n"
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, nargs="+", default=[16, 2048])
    parser.add_argument("--profile", choices=("full", "toy"), default="full")
    parser.add_argument(
        "--iterations", type=int, default=3, help="timed calls per measurement"
    )
    parser.add_argument(
        "--parts",
        default="env,updates,train",
        help="comma-separated: env, updates, train",
    )
    parser.add_argument(
        "--buffer-size", type=int, default=None, help="override the replay capacity"
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="write the markdown table here"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    unknown = parts - {"env", "updates", "train"}
    if unknown:
        parser.error(f"--parts: unknown {sorted(unknown)}; use env, updates, train")
    config = build_config(PipelineConfig, profile=args.profile)
    if args.buffer_size is not None:
        config = dataclasses.replace(
            config,
            pretrain=dataclasses.replace(config.pretrain, buffer_size=args.buffer_size),
        )
    rows = []
    for num_envs in args.num_envs:
        started = time.perf_counter()
        row = bench_size(config, num_envs, parts, args.iterations)
        print(
            f"{num_envs} envs ({time.perf_counter() - started:.0f} s): {row}",
            flush=True,
        )
        rows.append(row)
    print(write_markdown(rows, config, args.profile, args.output))


if __name__ == "__main__":
    main()
