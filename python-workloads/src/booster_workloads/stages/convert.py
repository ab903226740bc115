"""Stage ``convert``: the pre-trained JAX SAC actor becomes the PyTorch DDPG actor.

Input: ``mjx_sac_pretrained@candidate-pretrain`` from the registry, or (``convert.source_checkpoint_dir``)
the actor inside the newest committed pre-training checkpoint. Output: ``ddpg_pretrained`` with the
alias ``candidate-pretrain``, holding ``actor.safetensors``, ``actor.pt`` and ``actor_spec.json``.
The parity figures (max, mean and p99 of |torch - jax| over the parity set) are the run's metrics and
its ``conversion/parity.json``: the conversion record. A failed check registers nothing.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booster_workloads.conversion.parity import parity_observations
from booster_workloads.conversion.sac_to_ddpg import ConversionError, convert_sac_export, jax_reference
from booster_workloads.soccer.actions import ACTION_SIZE
from booster_workloads.soccer.observation import OBSERVATION_SIZE
from booster_workloads.tracking.signature import actor_signature

if TYPE_CHECKING:
    from booster_workloads.runtime.context import StageContext

STAGE = "convert"
TRAINING_TYPE = "sac_to_ddpg_conversion"
SOURCE_MODEL = "pretrained_sac"
SOURCE_ALIAS = "candidate_pretrain"
OUTPUT_MODEL = "pretrained_ddpg"
OUTPUT_ALIAS = "candidate_pretrain"


def _export_from_checkpoint(checkpoint_dir: Path, destination: Path) -> Path:
    from booster_workloads.sac.export import ExportedActorError, export_actor_from_checkpoint

    if not checkpoint_dir.is_dir():
        raise ConversionError(
            f"convert.source_checkpoint_dir {checkpoint_dir} is not a directory; point it at checkpoints/pretrain"
        )
    try:
        export_actor_from_checkpoint(checkpoint_dir, destination)
    except ExportedActorError as exc:
        raise ConversionError(str(exc)) from exc
    return destination


def run(ctx: StageContext) -> None:
    cfg = ctx.config.convert
    seed = ctx.config.run.seed
    from_checkpoint = bool(cfg.source_checkpoint_dir)
    work = Path(tempfile.mkdtemp(prefix="convert-"))
    try:
        with ctx.tracker.stage_run(
            STAGE,
            training_type=TRAINING_TYPE,
            parent_model=SOURCE_MODEL,
            parent_alias=None if from_checkpoint else SOURCE_ALIAS,
        ) as stage_run:
            started = time.perf_counter()
            tags: dict[str, Any]
            if from_checkpoint:
                checkpoint_dir = Path(cfg.source_checkpoint_dir).expanduser()
                source = _export_from_checkpoint(checkpoint_dir, work / "sac_actor")
                tags = {
                    "conversion/source": "checkpoint",
                    "conversion/source_checkpoint": str(checkpoint_dir),
                }
            else:
                parent, source = ctx.tracker.download_model(SOURCE_MODEL, SOURCE_ALIAS)
                tags = {"conversion/source": "registry", "parent_version": parent.version}
            stage_run.set_tags(tags)
            reference = jax_reference(source)

            sampling_started = time.perf_counter()
            observations = parity_observations(
                cfg.parity_samples,
                seed=seed,
                real_steps_per_task=cfg.real_steps_per_task,
                noise_scale=cfg.noise_scale,
            )
            sampling_seconds = time.perf_counter() - sampling_started
            ctx.log.info(
                "parity set: %d observations (%d real steps per task + noise) in %.1f s",
                len(observations),
                cfg.real_steps_per_task,
                sampling_seconds,
            )
            result = convert_sac_export(
                source,
                work / "ddpg_actor",
                reference=reference,
                observations=observations,
                max_abs_error=cfg.max_abs_error,
                metadata={"source": tags},
            )
            total_seconds = time.perf_counter() - started
            record = {
                **result.parity.as_dict(),
                "max_abs_error_allowed": cfg.max_abs_error,
                "normalizer_folded": result.normalizer_folded,
                "conversion_seconds": result.seconds,
                "parity_sampling_seconds": sampling_seconds,
                "stage_seconds": total_seconds,
                "source": tags,
            }
            stage_run.log_metrics(
                {
                    **result.parity.as_metrics(),
                    "conversion/seconds": result.seconds,
                    "conversion/parity_sampling_seconds": sampling_seconds,
                }
            )
            stage_run.log_dict(record, "conversion/parity.json")
            ctx.log.info(
                "converted in %.1f s: max |torch - jax| %.3g, mean %.3g, p99 %.3g over %d observations "
                "(allowed %.0e); normaliser folded: %s",
                result.seconds,
                result.parity.max_abs_error,
                result.parity.mean_abs_error,
                result.parity.p99_abs_error,
                result.parity.samples,
                cfg.max_abs_error,
                result.normalizer_folded,
            )
            ref = stage_run.log_model(
                OUTPUT_MODEL,
                files={name: path for name, path in result.files.items()},
                signature=actor_signature(OBSERVATION_SIZE, ACTION_SIZE),
                alias=OUTPUT_ALIAS,
            )
            ctx.log.info("registered %s version %s as %s", ref.name, ref.version, ref.alias)
    finally:
        shutil.rmtree(work, ignore_errors=True)
