"""The convert stage end to end on the session's real MLflow server: registry or checkpoint in,
``ddpg_pretrained@candidate-pretrain`` out with its conversion record and lineage; bad inputs fail
with a clear error and register nothing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mlflow import MlflowClient

from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.conversion.parity import collect_official_observations
from booster_workloads.conversion.sac_to_ddpg import ConversionError, jax_reference
from booster_workloads.manifest import load_manifest
from booster_workloads.policy.torch_actor import load_actor
from booster_workloads.runtime.context import StageContext, VolumePaths
from booster_workloads.soccer.observation import OBSERVATION_SIZE
from booster_workloads.stages import convert
from booster_workloads.tracking import ModelNotFoundError
from booster_workloads.tracking.signature import actor_signature

WriteExport = Callable[..., dict[str, np.ndarray]]


def make_context(make_tracker: Callable[..., Any], **overrides: Any) -> StageContext:
    tracker = make_tracker(
        **{"run.wandb_mode": "disabled", "run.schema": f"convert_{uuid.uuid4().hex[:8]}", **overrides}
    )
    manifest = load_manifest()
    volumes = VolumePaths.from_config(tracker.config, manifest)
    volumes.create_local()
    return StageContext(tracker.config, manifest, volumes, tracker, logging.getLogger("test.convert"), "toy")


def register_sac(ctx: StageContext, directory: Path) -> str:
    files = {p.name: p for p in directory.iterdir()}
    with ctx.tracker.stage_run("pretrain", training_type="sac_mjx") as run:
        ref = run.log_model(
            "pretrained_sac", files, actor_signature(OBSERVATION_SIZE, 24), alias="candidate_pretrain"
        )
    return str(ref.version)


def last_run(ctx: StageContext) -> Any:
    client = MlflowClient(ctx.tracker.tracking_uri)
    experiment = client.get_experiment_by_name(ctx.config.run.experiment)
    runs = client.search_runs(
        [experiment.experiment_id], "tags.stage = 'convert'", order_by=["start_time DESC"]
    )
    return runs[0]


def test_convert_from_the_registry(
    make_tracker: Callable[..., Any], write_export: WriteExport, tmp_path: Path
) -> None:
    ctx = make_context(make_tracker)
    # A normaliser from a few hundred real observations, as after pre-training; one from a handful is
    # ill-conditioned (std near its floor) and float32 rounding alone then reaches ~1e-5.
    real = collect_official_observations(200, seed=9)
    write_export(tmp_path / "sac", seed=4, normalizer_from=real)
    sac_version = register_sac(ctx, tmp_path / "sac")

    convert.run(ctx)

    ref, files = ctx.tracker.download_model("pretrained_ddpg", "candidate_pretrain", tmp_path / "dl")
    actor, spec = load_actor(files)
    assert spec.metadata["normalizer_folded"] is True and spec.metadata["parity"]["samples"] == 10_000
    np.testing.assert_allclose(actor.act(real), jax_reference(tmp_path / "sac")(real), atol=1e-5)
    assert (files / "actor.pt").is_file()

    run = last_run(ctx)
    assert run.info.status == "FINISHED"
    metrics = run.data.metrics
    assert metrics["conversion/samples"] == 10_000
    assert 0 <= metrics["conversion/mean_abs_error"] <= metrics["conversion/p99_abs_error"]
    assert metrics["conversion/p99_abs_error"] <= metrics["conversion/max_abs_error"] <= 1e-5
    assert metrics["conversion/seconds"] > 0
    tags = run.data.tags
    schema = ctx.config.run.schema
    assert tags["parent_model"] == f"booster_soccer.{schema}.mjx_sac_pretrained"
    assert tags["parent_alias"] == "candidate-pretrain"
    assert tags["training_type"] == convert.TRAINING_TYPE
    assert tags["parent_version"] == sac_version
    assert ref.run_id == run.info.run_id


def test_convert_from_a_checkpoint_directory(
    make_tracker: Callable[..., Any], write_export: WriteExport, tmp_path: Path
) -> None:
    write_export(tmp_path / "sac", seed=6)
    payload = {p.name: p.read_bytes() for p in (tmp_path / "sac").iterdir()}
    CheckpointManager(tmp_path / "ckpt", keep=2, log=logging.getLogger("test")).save(500, payload)
    ctx = make_context(make_tracker, **{"convert.source_checkpoint_dir": str(tmp_path / "ckpt")})

    convert.run(ctx)

    _, files = ctx.tracker.download_model("pretrained_ddpg", "candidate_pretrain", tmp_path / "dl")
    assert load_actor(files)[1].metadata["sac_env_steps"] == 1234
    tags = last_run(ctx).data.tags
    assert tags["conversion/source"] == "checkpoint" and tags["parent_alias"] == ""


def test_bad_inputs_fail_clearly_and_register_nothing(
    make_tracker: Callable[..., Any], write_export: WriteExport, tmp_path: Path
) -> None:
    ctx = make_context(make_tracker)
    with pytest.raises(ModelNotFoundError, match=r"mjx_sac_pretrained@candidate-pretrain does not exist"):
        convert.run(ctx)

    write_export(tmp_path / "wide", seed=1, last_width=12)  # a DDPG-shaped head, not a SAC one
    register_sac(ctx, tmp_path / "wide")
    with pytest.raises(
        ConversionError, match=r"layers\.2\.kernel has shape \(256, 12\), expected \(256, 24\)"
    ):
        convert.run(ctx)
    assert last_run(ctx).info.status == "FAILED"

    bad_ckpt = make_context(make_tracker, **{"convert.source_checkpoint_dir": str(tmp_path / "missing")})
    with pytest.raises(ConversionError, match="is not a directory"):
        convert.run(bad_ckpt)
    empty = tmp_path / "empty"
    empty.mkdir()
    empty_ckpt = make_context(make_tracker, **{"convert.source_checkpoint_dir": str(empty)})
    with pytest.raises(ConversionError, match="no committed checkpoint"):
        convert.run(empty_ckpt)

    for context in (ctx, bad_ckpt, empty_ckpt):
        assert context.tracker.get_alias_version("pretrained_ddpg", "candidate_pretrain") is None
