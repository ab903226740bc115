"""The README's "run it locally" command, end to end: five stages, models flowing by alias.

Runs ``booster-pipeline pipeline --profile toy`` as a user would (a subprocess of the installed
console script) against the session's real MLflow server, then checks what the run left behind in
the registry: each milestone model registered under its alias with lineage pointing at the one
before, and the benchmark table printed at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from booster_workloads.manifest import load_manifest

pytestmark = pytest.mark.slow


def test_toy_pipeline_runs_all_five_stages_and_registers_each_milestone(
    mlflow_server: str, tmp_path: Path
) -> None:
    manifest = load_manifest()
    catalog, schema = "booster_soccer", "rl_models"
    volume_root = tmp_path / "volumes"
    console_script = Path(sys.executable).with_name(manifest.console_script)
    env = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path / "wandb"),
        "SAI_API_KEY": "",
    }
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(console_script),
            "pipeline",
            "--profile",
            "toy",
            "--tracking-uri",
            mlflow_server,
            "--registry-uri",
            mlflow_server,
            "--volume-root",
            str(volume_root),
            "--experiment",
            "end-to-end",
            "--catalog",
            catalog,
            "--schema",
            schema,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=40 * 60,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"pipeline failed after {elapsed:.0f} s:\n{output[-6000:]}"
    print(f"toy pipeline wall time: {elapsed:.0f} s")

    # The run ends with the benchmark table: one row per competition task and the weighted total.
    from booster_workloads.soccer.observation import TASKS

    for task in TASKS:
        assert task in completed.stdout, f"benchmark table lacks {task}:\n{completed.stdout[-3000:]}"
    assert "weighted total" in completed.stdout.lower()

    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)

    def version_at(model_key: str, alias_key: str) -> object:
        name = manifest.registered_model_name(catalog, schema, model_key)
        return client.get_model_version_by_alias(name, manifest.aliases[alias_key])

    pretrained_sac = version_at("pretrained_sac", "candidate_pretrain")
    pretrained_ddpg = version_at("pretrained_ddpg", "candidate_pretrain")
    finetuned = version_at("finetuned_ddpg", "candidate_finetuned")
    champion = version_at("finetuned_ddpg", "champion")

    # Every milestone comes from its own stage run, whose lineage names the model it started from.
    def run_tags(version: object) -> dict[str, str]:
        return dict(client.get_run(version.run_id).data.tags)  # type: ignore[attr-defined]

    convert_tags = run_tags(pretrained_ddpg)
    assert convert_tags["parent_model"] == manifest.registered_model_name(catalog, schema, "pretrained_sac")
    assert convert_tags["parent_alias"] == manifest.aliases["candidate_pretrain"]
    finetune_tags = run_tags(finetuned)
    assert finetune_tags["parent_model"] == manifest.registered_model_name(catalog, schema, "pretrained_ddpg")
    assert finetune_tags["parent_alias"] == manifest.aliases["candidate_pretrain"]
    assert run_tags(pretrained_sac)["training_type"] != finetune_tags["training_type"]
    # On a fresh registry the first candidate has no champion to beat, so Gate 3 promotes it.
    assert champion.version == finetuned.version  # type: ignore[attr-defined]

    # Crash-proof checkpoints were committed in the stand-in volume by both training stages.
    checkpoints = volume_root / manifest.volumes["checkpoints"]
    for stage in ("pretrain", "finetune"):
        commits = list((checkpoints / stage).glob("step_*/COMMIT"))
        assert commits, f"no committed checkpoint under {checkpoints / stage}"
