"""Fine-tuning throughput on this machine: official-environment steps/s, DDPG updates/s, the whole loop.

Run from the repository root:

    python-workloads/.venv/bin/python bench/finetune_throughput.py [--seconds 10] [--output bench/results/finetune-cpu.md]

Measures, each for about ``--seconds``:
1. official environment steps per second through :class:`OfficialVecEnv` (preprocessing and reward
   split included), in-process and with worker processes;
2. DDPG gradient updates per second at the full profile's sizes (batch 256, critic 256-256, actor
   256-256), critic only (warm-up) and critic + whole actor (phase 3);
3. the fine-tuning loop end to end with the toy profile's settings (collection + updates).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import torch
from booster_workloads.config.finetune import FinetuneConfig
from booster_workloads.ddpg.learner import DDPGLearner
from booster_workloads.ddpg.replay import ReplayBuffer
from booster_workloads.ddpg.trainer import DDPGTrainer
from booster_workloads.policy.torch_actor import DDPGActor
from booster_workloads.soccer.actions import TORQUE_BOUNDS
from booster_workloads.soccer.observation import OBSERVATION_SIZE
from booster_workloads.soccer.official import OfficialVecEnv


def _timed(seconds: float, step: Callable[[], int]) -> tuple[float, int, float]:
    """Call ``step`` (returning units done) until ``seconds`` pass; (units/s, units, seconds)."""
    done = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        done += step()
    return done / elapsed, done, elapsed


def bench_envs(num_envs: int, num_workers: int, seconds: float) -> float:
    rng = np.random.default_rng(0)
    with OfficialVecEnv(num_envs, num_workers=num_workers) as envs:
        envs.reset(0)
        # Moderate random torques: the robot falls now and then, so resets are part of the figure.
        torques = [
            rng.uniform(-0.3, 0.3, size=(num_envs, 12)).astype(np.float32) * TORQUE_BOUNDS for _ in range(64)
        ]
        counter = iter(range(10**12))

        def step() -> int:
            envs.step(torques[next(counter) % 64])
            return num_envs

        step()  # first step pays for lazy initialisation
        rate, _, _ = _timed(seconds, step)
    return rate


def bench_updates(seconds: float, with_actor: bool) -> float:
    config = FinetuneConfig(critic_warmup_updates=0 if with_actor else 10**9)
    torch.manual_seed(0)
    learner = DDPGLearner(DDPGActor(OBSERVATION_SIZE), config, seed=0)
    buffer = ReplayBuffer(10_000, OBSERVATION_SIZE, 12)
    rng = np.random.default_rng(0)
    buffer.add(
        rng.normal(size=(10_000, OBSERVATION_SIZE)).astype(np.float32),
        rng.uniform(-1, 1, size=(10_000, 12)).astype(np.float32),
        rng.normal(size=(10_000, OBSERVATION_SIZE)).astype(np.float32),
        rng.normal(size=10_000).astype(np.float32),
        rng.normal(size=10_000).astype(np.float32),
        rng.random(10_000) < 0.01,
    )
    step = config.last_two_layers_until_step  # phase 3: the whole actor trains

    def update() -> int:
        learner.update(buffer.sample(rng, config.batch_size), step)
        return 1

    update()
    rate, _, _ = _timed(seconds, update)
    return rate


def bench_loop(total_env_steps: int) -> tuple[float, float, int]:
    from booster_workloads.config import load_config

    config = dataclasses.replace(load_config("toy").finetune, total_env_steps=total_env_steps)
    torch.manual_seed(0)
    with OfficialVecEnv(config.num_envs, num_workers=config.num_workers) as envs:
        trainer = DDPGTrainer(config, DDPGActor(OBSERVATION_SIZE), envs, seed=0)
        started = time.perf_counter()
        result = trainer.train()
        elapsed = time.perf_counter() - started
    return result.step / elapsed, result.critic_updates / elapsed, result.step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Measuring time per figure.")
    parser.add_argument(
        "--loop-steps",
        type=int,
        default=2_000,
        help="Environment steps of the end-to-end loop.",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for the updates.")
    parser.add_argument("--output", type=Path, default=Path("bench/results/finetune-cpu.md"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    load_before = os.getloadavg()[0]
    rows: list[tuple[str, str]] = []
    for num_envs, workers in ((1, 0), (3, 0), (4, 2)):
        rate = bench_envs(num_envs, workers, args.seconds)
        rows.append(
            (
                f"official env steps/s, {num_envs} env(s), {workers or 'no'} worker processes",
                f"{rate:,.0f}",
            )
        )
        print(rows[-1])
    for with_actor in (False, True):
        rate = bench_updates(args.seconds, with_actor)
        label = "critic + whole actor (phase 3)" if with_actor else "critic only (warm-up)"
        rows.append((f"DDPG updates/s, batch 256, 256-256 networks, {label}", f"{rate:,.0f}"))
        print(rows[-1])
    env_rate, update_rate, steps = bench_loop(args.loop_steps)
    rows.append((f"toy fine-tuning loop, {steps} env steps: env steps/s", f"{env_rate:,.0f}"))
    rows.append((f"toy fine-tuning loop, {steps} env steps: updates/s", f"{update_rate:,.0f}"))
    print(rows[-2:])

    cpu = platform.processor() or platform.machine()
    lines = [
        "# Fine-tuning throughput on CPU",
        "",
        (
            f"Measured with `bench/finetune_throughput.py --seconds {args.seconds:g} --threads {args.threads}` on "
            f"{os.cpu_count()} logical CPUs ({cpu}), torch {torch.__version__}, "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}. One-minute load average {load_before:.1f} before and "
            f"{os.getloadavg()[0]:.1f} after: the cores were shared with other work, so the figures are lower bounds."
        ),
        "",
        "| measurement | value |",
        "|---|---|",
        *[f"| {label} | {value} |" for label, value in rows],
        "",
        (
            "Environment steps include observation preprocessing, the R_official/R_dense split and automatic "
            "resets. Worker processes only pay off with more free cores than workers; with two shared cores "
            "the in-process runner is faster."
        ),
        "",
        (
            "Threads: on the shared two-core machine the same 600-step toy loop ran at 184 env steps/s with one "
            "torch thread and 18 with two (torch's pool spins on oversubscribed cores), which is why "
            "`finetune.torch_threads` is pinned (toy 1, full 2)."
        ),
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
