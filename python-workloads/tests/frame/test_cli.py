"""The command line: the manifest's entry points and parameters, help, and one-line errors."""

from __future__ import annotations

import logging
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer

import booster_workloads.runtime.runner as runner
from booster_workloads import cli, stages
from booster_workloads.checkpoints import CheckpointManager
from booster_workloads.cli.app import app
from booster_workloads.cli.options import PARAMETER_FIELDS, SPECIAL_PARAMETERS, to_common_options
from booster_workloads.manifest import load_manifest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
VALUES = {
    "catalog": "dev_catalog",
    "schema": "dev_schema",
    "profile": "toy",
    "seed": "7",
    "experiment": "/Shared/test",
    "pretrain_steps": "12345",
    "num_envs": "64",
    "finetune_steps": "4321",
}


def parse(command: str, args: list[str]) -> dict[str, Any]:
    """Parse ``args`` as the Databricks task would pass them, without running the stage."""
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    with click_command.make_context(command, args) as context:
        return dict(context.params)


def field_value(config: Any, dotted: str) -> Any:
    section, name = dotted.split(".")
    return getattr(getattr(config, section), name)


def test_every_task_entry_point_is_a_console_script_of_this_cli() -> None:
    scripts = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]
    manifest = load_manifest()
    assert scripts[manifest.console_script] == "booster_workloads.cli:main"
    for task in manifest.tasks:
        assert scripts[task.entry_point] == f"booster_workloads.cli:{task.key}_entry"
        assert callable(getattr(cli, f"{task.key}_entry"))


@pytest.mark.parametrize("task", load_manifest().tasks, ids=lambda t: t.key)
def test_every_task_parameter_is_accepted_in_the_databricks_spelling(task: Any) -> None:
    args = [f"--{name}={VALUES[name]}" for name in task.parameters]
    options = to_common_options(parse(task.key, args))
    config = options.load()
    assert options.profile == VALUES["profile"]
    for name in task.parameters:
        if name in SPECIAL_PARAMETERS:
            continue
        expected = VALUES[name]
        assert str(field_value(config, PARAMETER_FIELDS[name])) == expected, name


def test_every_manifest_parameter_maps_to_a_configuration_field() -> None:
    for name in load_manifest().parameters:
        assert name in SPECIAL_PARAMETERS or name in PARAMETER_FIELDS, name
        if name in PARAMETER_FIELDS:
            field_value(to_common_options({}).load(), PARAMETER_FIELDS[name])


def test_dashed_spelling_and_toy_profile() -> None:
    config = to_common_options(parse("pretrain", ["--profile", "toy", "--num-envs", "8"])).load()
    assert config.pretrain.num_envs == 8
    assert config.pretrain.total_env_steps == 60_000  # the toy value, not the full one


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in [*stages.stage_keys(), "pipeline", "show-config", "checkpoints", "local-mlflow"]:
        assert cli.main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Usage:" in out
    cli.main(["pretrain", "--help"])
    out = capsys.readouterr().out
    assert "--num_envs" in out and "2048" in out and "toy 16" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pretrain", "--num_envs=0"], "pretrain.num_envs: '0' is not allowed; expected an integer >= 1"),
        (["finetune", "--finetune_steps=lots"], "finetune.total_env_steps: 'lots' is not allowed"),
        (["setup", "--profile=huge"], "--profile: 'huge' is not allowed; expected one of full, toy"),
        (["setup", "--num_envs=3"], "No such option: --num_envs"),
        (["pretrain", "--config=/missing.toml"], "--config /missing.toml: cannot read it"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_turns_databricks_parameters_into_a_clear_error() -> None:
    script = Path(sys.executable).with_name("booster-pretrain")
    result = subprocess.run([str(script), "--num_envs=0"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: booster-pretrain: invalid configuration: pretrain.num_envs: '0' is not allowed; expected an integer >= 1"
    )


def test_a_missing_stage_fails_loudly_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ran: list[str] = []
    real_load_stage = stages.load_stage

    def load_stage(key: str) -> Any:
        if key == "convert":
            return real_load_stage("ghost")
        return lambda ctx: ran.append(key)

    monkeypatch.setattr(stages, "stage_keys", lambda: (*load_manifest().task_keys, "ghost"))
    monkeypatch.setattr(runner, "load_stage", load_stage)
    monkeypatch.setattr(
        runner, "build_context", lambda *a: pytest.fail("context built before stages resolved")
    )
    code = cli.main(["pipeline", "--profile=toy", f"--volume-root={tmp_path}"])
    assert code == 3
    assert ran == []
    err = capsys.readouterr().err
    assert (
        "stage 'ghost' is not implemented yet (booster_workloads.stages.ghost does not exist); nothing was run"
        in err
    )


def test_unexpected_errors_are_one_line_unless_a_traceback_is_asked_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: Any) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(runner, "run_stages", explode)
    assert cli.main(["setup"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: booster-pipeline: RuntimeError: disk on fire [...] (set BOOSTER_TRACEBACK=1 for the traceback)"
    )
    monkeypatch.setenv("BOOSTER_TRACEBACK", "1")
    assert cli.main(["setup"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_checkpoints_list_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manager = CheckpointManager(tmp_path, keep=3, log=logging.getLogger("test"))
    manager.save(100, {"state.msgpack": b"a" * 2048})
    newest = manager.save(200, {"state.msgpack": b"b" * 2048})

    assert cli.main(["checkpoints", "verify", str(tmp_path)]) == 0
    assert "newest checkpoint step_200 is complete" in capsys.readouterr().out

    (newest / "state.msgpack").write_bytes(b"c" * 2048)
    assert cli.main(["checkpoints", "list", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "FAILED" in table and "KiB" in table and "state.msgpack fails its SHA-256 check" in table
    assert cli.main(["checkpoints", "verify", str(tmp_path)]) == 1
    assert "would fall back to step_100" in capsys.readouterr().out

    assert cli.main(["checkpoints", "verify", str(tmp_path / "empty-but-present")]) == 2
    (tmp_path / "empty").mkdir()
    assert cli.main(["checkpoints", "verify", str(tmp_path / "empty")]) == 1
    capsys.readouterr()
    # Pointed at the volume instead of a stage directory, it names the stage directories.
    volume = tmp_path / "volume"
    CheckpointManager(volume / "pretrain").save(1, {"state.msgpack": b"x"})
    assert cli.main(["checkpoints", "list", str(volume)]) == 0
    assert "stage directories inside: pretrain" in capsys.readouterr().out
