"""Configuration: profiles from the field declarations, files, overrides and one-line validation errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from booster_workloads.config import PipelineConfig, config_hash, load_config
from booster_workloads.config.fields import field_default, has_toy_value
from booster_workloads.config.loader import ConfigError


def test_full_profile_holds_the_spec_numbers() -> None:
    config = load_config("full")
    assert config.pretrain.total_env_steps == 10_000_000
    assert config.pretrain.num_envs == 2048
    assert config.pretrain.metrics_every_steps == 1_000
    assert config.pretrain.gpu_stats_every_steps == 5_000
    assert config.pretrain.checkpoint_every_steps == 200_000
    assert config.pretrain.keep_checkpoints == 2
    assert config.finetune.total_env_steps == 200_000
    assert config.monitoring.memory_alert_percent == 95.0
    assert config.pretrain.stall_patience_steps == 1_000_000  # a tenth of the 10M-step run
    assert config.finetune.stall_patience_steps == 100_000


def test_toy_profile_takes_every_declared_toy_value() -> None:
    toy = load_config("toy")
    full = load_config("full")
    checked = 0
    for section in dataclasses.fields(PipelineConfig):
        for f in dataclasses.fields(getattr(full, section.name)):
            expected = f.metadata["toy"] if has_toy_value(f) else field_default(f)
            assert getattr(getattr(toy, section.name), f.name) == expected, f"{section.name}.{f.name}"
            checked += has_toy_value(f)
    assert checked >= 5
    assert toy.pretrain.total_env_steps < full.pretrain.total_env_steps


def test_file_then_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "run.toml"
    toml.write_text('[pretrain]\nnum_envs = 64\ntotal_env_steps = 5000\n[run]\ncatalog = "dev"\n')
    config = load_config("toy", toml, {"pretrain.num_envs": "32"})
    assert config.pretrain.num_envs == 32  # the command line wins over the file
    assert config.pretrain.total_env_steps == 5000
    assert config.run.catalog == "dev"
    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text("finetune:\n  total_env_steps: 1e4\n")
    assert load_config("full", yaml_file).finetune.total_env_steps == 10_000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pretrain.num_envs": "0"}, "pretrain.num_envs: '0' is not allowed; expected an integer >= 1"),
        ({"pretrain.num_envs": "many"}, "pretrain.num_envs: 'many' is not allowed; expected an integer"),
        ({"pretrain.total_env_steps": "1.5"}, "pretrain.total_env_steps: '1.5' is not allowed"),
        ({"run.wandb_mode": "loud"}, "run.wandb_mode: 'loud' is not allowed; expected one of 'auto'"),
        ({"monitoring.memory_alert_percent": "101"}, "expected a number >= 0.0 and <= 100.0"),
        ({"pretrain.nope": "1"}, "pretrain.nope: unknown field; fields of [pretrain]:"),
        ({"nosection.x": "1"}, "nosection.x: unknown setting"),
    ],
)
def test_bad_values_give_one_line_naming_field_value_and_rule(
    overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("full", overrides=overrides)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[pretrain\n")
    with pytest.raises(ConfigError, match=r"broken.toml: not valid TOML"):
        load_config("full", broken)
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config("full", tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match=r"--profile: 'huge' is not allowed; expected one of full, toy"):
        load_config("huge")


def test_config_hash_ignores_locations_but_not_training_values() -> None:
    base = config_hash(load_config("full"))
    assert config_hash(load_config("full", overrides={"run.tracking_uri": "http://x"})) == base
    assert config_hash(load_config("full", overrides={"pretrain.num_envs": "64"})) != base
    assert config_hash(load_config("toy")) != base
