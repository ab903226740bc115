"""`booster-pipeline convert` and `submit`: bad input becomes one clear line and the right exit code."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from booster_workloads import cli


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "parity_samples = 500",
            "convert.parity_samples: 500 is not allowed; expected an integer >= 10000",
        ),
        ("max_abs_error = 0.0", "convert.max_abs_error: 0.0 is not allowed"),
    ],
)
def test_bad_convert_settings_exit_2_with_one_line(
    setting: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(f"[convert]\n{setting}\n")
    assert cli.main(["convert", "--profile=toy", f"--config={config}"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_bad_submit_setting_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[submit]\nepisodes_per_task = 0\n")
    assert cli.main(["submit", "--profile=toy", f"--config={config}"]) == 2
    assert "submit.episodes_per_task: 0 is not allowed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "missing"),
    [("convert", "mjx_sac_pretrained@candidate-pretrain"), ("submit", "ddpg_finetuned@candidate-finetuned")],
)
def test_missing_input_model_is_one_line_naming_it(
    command: str, missing: str, mlflow_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "run.toml"
    config.write_text(f'[run]\nwandb_mode = "disabled"\nwandb_dir = "{tmp_path / "wandb"}"\n')
    schema = f"cli_{uuid.uuid4().hex[:8]}"
    args = [
        command,
        "--profile=toy",
        f"--config={config}",
        f"--tracking-uri={mlflow_server}",
        f"--registry-uri={mlflow_server}",
        f"--volume-root={tmp_path / 'volumes'}",
        f"--schema={schema}",
        f"--experiment=cli-{schema}",
    ]
    assert cli.main(args) == 1
    # Stage logs also go to stderr; the error itself is one line.
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    err = errors[0]
    assert f"models:/booster_soccer.{schema}.{missing} does not exist" in err
    assert "run the stage that registers" in err
