"""Stage ``submit``: benchmark, Gate 3, and the SAI submission of the champion.

1. Benchmark ``ddpg_finetuned@candidate-finetuned`` on the three competition environments (and the
   current ``champion`` on the same seeds), with the platform's score (:mod:`evaluation.scoring`).
2. Gate 3 (:mod:`evaluation.gate`): the candidate becomes ``champion`` only when it scores higher;
   the old champion becomes ``finalist``. The reason is logged either way.
3. Build the submission from ``ddpg_finetuned@champion`` and play it through sai-rl's own model
   manager in every task (:mod:`submission.package`); nothing is sent before that check passes.
4. Send it with sai-rl when ``submit.submit`` is true and ``SAI_API_KEY`` is set, and record the
   submission id; otherwise stop after the local check and say so.

The benchmark table (Markdown) and bar plot are run artifacts; the table is also printed at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from booster_workloads.evaluation.benchmark import (
    BenchmarkResult,
    actor_policy,
    bar_plot,
    markdown_table,
    run_benchmark,
)
from booster_workloads.evaluation.gate import run_gate
from booster_workloads.evaluation.scoring import EVALUATION_WEIGHTS
from booster_workloads.policy.torch_actor import load_actor
from booster_workloads.submission.package import build_submission, check_submission, submit_package

if TYPE_CHECKING:
    from booster_workloads.runtime.context import StageContext

STAGE = "submit"
TRAINING_TYPE = "benchmark_gate_submission"
MODEL = "finetuned_ddpg"
CANDIDATE_ALIAS = "candidate_finetuned"
CHAMPION_ALIAS = "champion"
FINALIST_ALIAS = "finalist"
API_KEY_SECRET = "sai_api_key"


def run(ctx: StageContext) -> None:
    cfg = ctx.config.submit
    seed = ctx.config.run.seed
    max_steps = cfg.max_episode_steps or None
    work = Path(tempfile.mkdtemp(prefix="submit-"))

    def evaluate(model_dir: Path, label: str) -> BenchmarkResult:
        actor, _ = load_actor(model_dir)
        return run_benchmark(
            actor_policy(actor),
            episodes_per_task=cfg.episodes_per_task,
            seed=seed,
            label=label,
            log=ctx.log,
            max_steps=max_steps,
        )

    try:
        with ctx.tracker.stage_run(
            STAGE, training_type=TRAINING_TYPE, parent_model=MODEL, parent_alias=CANDIDATE_ALIAS
        ) as stage_run:
            stage_run.log_dict(
                {task: dict(w) for task, w in EVALUATION_WEIGHTS.items()}, "benchmark/evaluation_weights.json"
            )
            decision = run_gate(
                ctx.tracker,
                model_key=MODEL,
                candidate_alias=ctx.manifest.aliases[CANDIDATE_ALIAS],
                champion_alias=ctx.manifest.aliases[CHAMPION_ALIAS],
                finalist_alias=ctx.manifest.aliases[FINALIST_ALIAS],
                evaluate=evaluate,
                log=ctx.log,
            )
            results = [decision.candidate]
            if decision.champion is not None and decision.champion is not decision.candidate:
                results.append(decision.champion)
            table = markdown_table(results)
            (work / "benchmark.md").write_text(table, encoding="utf-8")
            bar_plot(results, work / "benchmark.png")
            stage_run.log_artifact(work / "benchmark.md", "benchmark")
            stage_run.log_artifact(work / "benchmark.png", "benchmark")
            stage_run.log_dict([r.as_dict() for r in results], "benchmark/results.json")
            stage_run.log_metrics(decision.candidate.metrics("benchmark/candidate/"))
            if decision.champion is not None and decision.champion is not decision.candidate:
                stage_run.log_metrics(decision.champion.metrics("benchmark/champion/"))
            stage_run.log_dict(decision.as_dict(), "gate3/decision.json")
            stage_run.set_tags(
                {
                    "gate3/promoted": str(decision.promoted).lower(),
                    "gate3/reason": decision.reason,
                    "gate3/candidate_version": decision.candidate_version,
                }
            )

            champion, champion_dir = ctx.tracker.download_model(MODEL, CHAMPION_ALIAS)
            package = build_submission(
                champion_dir,
                work / "submission",
                source={"model": champion.name, "version": champion.version, "alias": champion.alias},
            )
            check = check_submission(package, seed=seed, max_steps=max_steps, log=ctx.log)
            stage_run.log_metrics(
                {"submission/local_check_max_torque_difference": check.max_torque_difference}
            )
            stage_run.log_artifact(package.directory, "submission")
            stage_run.set_tags({"submission/model_version": champion.version})
            if not ctx.volumes.is_unity_catalog or ctx.volumes.artifacts.exists():
                # A copy beside the checkpoints, so a person can submit it by hand from the SAI website.
                target = ctx.volumes.artifacts / "submissions" / f"{champion.name}-v{champion.version}"
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(package.directory, target)
                ctx.log.info("submission package copied to %s", target)

            api_key = os.environ.get(ctx.manifest.secrets[API_KEY_SECRET].env, "")
            if not cfg.submit:
                status = "local check passed; not sent (submit.submit is false)"
            elif not api_key:
                status = (
                    f"local check passed; not sent ({ctx.manifest.secrets[API_KEY_SECRET].env} is not set; "
                    f"on Databricks it comes from the secret {ctx.manifest.secrets[API_KEY_SECRET].key})"
                )
            else:
                name = cfg.submission_name or f"booster-v{champion.version}-{datetime.now(UTC):%Y%m%d-%H%M}"
                submission_id = submit_package(
                    package, api_key=api_key, competition_id=cfg.competition_id, name=name
                )
                stage_run.set_tags({"submission/id": submission_id, "submission/name": name})
                stage_run.log_dict({"submission_id": submission_id, "name": name}, "submission/sai.json")
                status = f"submitted to SAI as {name!r}, submission id {submission_id}"
            stage_run.set_tags({"submission/status": status})
            ctx.log.info("submission: %s", status)
            ctx.log.info("Gate 3: %s", decision.reason)
            # The table ends the output; printed rather than logged so it appears once, unprefixed.
            heading = f"Benchmark (official evaluation score, {cfg.episodes_per_task} episodes per task):"
            print(f"\n{heading}\n{table}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
