"""The ``booster-pipeline`` command: one root app, stage commands built from the manifest."""

from __future__ import annotations

from collections.abc import Callable

import typer

from booster_workloads.cli import checkpoints as checkpoints_command
from booster_workloads.cli import local_mlflow as local_mlflow_command
from booster_workloads.cli.options import CommonOptions, option_names_for, with_options
from booster_workloads.manifest import load_manifest
from booster_workloads.runtime.logging_setup import configure_logging
from booster_workloads.stages import stage_keys

STAGE_HELP = {
    "setup": (
        "Check the environment: packages and versions, JAX devices, the volumes, the T1 robot model in "
        "MuJoCo and MJX, W&B and MLflow. Writes a JSON report and logs it to MLflow; exits non-zero on "
        "the first hard failure."
    ),
    "pretrain": (
        "Pre-train the SAC policy on MJX with parallel environments, checkpointing to the checkpoints "
        "volume and resuming from the newest valid checkpoint; registers mjx_sac_pretrained."
    ),
    "convert": (
        "Convert the pre-trained SAC actor to the PyTorch DDPG actor (mean head only), check the "
        "numerical error and register ddpg_pretrained."
    ),
    "finetune": (
        "Fine-tune the DDPG actor in the official environments with the freeze schedule and reward "
        "annealing; registers ddpg_finetuned."
    ),
    "submit": (
        "Benchmark the fine-tuned actor on the three competition tasks, move the champion/finalist "
        "alias and submit to SAI."
    ),
}

app = typer.Typer(
    name="booster-pipeline",
    help=(
        "Run the Booster Soccer training pipeline, one stage or all five, locally or as Databricks tasks.\n\n"
        "Example: booster-pipeline pipeline --profile toy --tracking-uri local --volume-root .local/volumes"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text holds [section.field] references, which rich markup would swallow.
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _stage_body(keys: tuple[str, ...]) -> Callable[[CommonOptions], None]:
    def body(options: CommonOptions) -> None:
        from booster_workloads.runtime.runner import run_stages

        config = options.load()
        run_stages(keys, config, options.profile, configure_logging())

    return body


def _register_stage_commands() -> None:
    manifest = load_manifest()
    for key in stage_keys():
        task = manifest.task(key)
        command = with_options(option_names_for([key]), _stage_body((key,)))
        command.__doc__ = (
            f"{STAGE_HELP.get(key, f'Run the {key} stage.')}\n\n"
            f"Databricks task {key!r} runs this as {task.entry_point} with --name=value parameters."
        )
        app.command(name=key)(command)
    keys = stage_keys()
    pipeline = with_options(option_names_for(keys), _stage_body(keys))
    pipeline.__doc__ = (
        f"Run the stages {' -> '.join(keys)} in order in this process.\n\n"
        "Example: booster-pipeline pipeline --profile toy --tracking-uri local --volume-root .local/volumes"
    )
    app.command(name="pipeline")(pipeline)


def _show_config_body(options: CommonOptions) -> None:
    import dataclasses
    import json

    print(json.dumps(dataclasses.asdict(options.load()), indent=2))


_register_stage_commands()
_show_config = with_options(option_names_for(stage_keys()), _show_config_body)
_show_config.__doc__ = "Print the resolved configuration (profile, then --config, then options) as JSON."
app.command(name="show-config")(_show_config)
app.add_typer(checkpoints_command.app, name="checkpoints")
app.add_typer(local_mlflow_command.app, name="local-mlflow")
