"""SAC export -> DDPG actor: shapes, the dropped log-std head, the folded normaliser, numerical parity
against the flax actor (sac.export) over real official observations, and bad inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from booster_workloads.conversion.parity import collect_official_observations, widen_with_noise
from booster_workloads.conversion.sac_to_ddpg import (
    ConversionError,
    build_ddpg_actor,
    convert_sac_export,
    jax_reference,
    read_sac_export,
)
from booster_workloads.policy.torch_actor import load_actor, load_torchscript
from booster_workloads.soccer.observation import OBSERVATION_SIZE, SLICES

# The fixture write_export (conftest.py) writes exports in the documented format.
WriteExport = Callable[..., dict[str, np.ndarray]]


@pytest.fixture(scope="module")
def parity_set() -> np.ndarray:
    """10,000 observations: real ones from the three official environments, widened with noise."""
    real = collect_official_observations(150, seed=3)
    return widen_with_noise(real, 10_000, seed=4)


def test_keeps_the_mean_rows_and_drops_log_std(write_export: WriteExport, tmp_path: Path) -> None:
    tensors = write_export(tmp_path / "sac")
    actor = build_ddpg_actor(read_sac_export(tmp_path / "sac"))
    state = actor.state_dict()
    assert tuple(state["layers.2.weight"].shape) == (12, 256)
    assert tuple(state["layers.2.bias"].shape) == (12,)
    assert tuple(state["layers.0.weight"].shape) == (256, OBSERVATION_SIZE)
    np.testing.assert_array_equal(state["layers.2.weight"].numpy(), tensors["layers.2.kernel"][:, :12].T)
    np.testing.assert_array_equal(state["layers.2.bias"].numpy(), tensors["layers.2.bias"][:12])
    np.testing.assert_array_equal(state["layers.1.weight"].numpy(), tensors["layers.1.kernel"].T)


def test_parity_with_folded_normalizer_over_real_observations(
    write_export: WriteExport, tmp_path: Path, parity_set: np.ndarray
) -> None:
    write_export(tmp_path / "sac", seed=1, normalizer_from=parity_set[:2000])
    reference = jax_reference(tmp_path / "sac")
    result = convert_sac_export(
        tmp_path / "sac", tmp_path / "ddpg", reference=reference, observations=parity_set, max_abs_error=1e-5
    )
    assert result.normalizer_folded
    assert result.parity.samples == 10_000
    assert result.parity.max_abs_error <= 1e-5
    assert 0.0 <= result.parity.mean_abs_error <= result.parity.p99_abs_error <= result.parity.max_abs_error
    # The actions are not trivially saturated or constant: parity means something.
    expected = reference(parity_set)
    assert 0.05 < float(np.abs(expected).mean()) < 0.95 and float(expected.std(axis=0).min()) > 1e-3

    loaded, spec = load_actor(tmp_path / "ddpg")
    assert spec.metadata["normalizer_folded"] is True
    assert spec.metadata["parity"]["samples"] == 10_000
    np.testing.assert_allclose(loaded.act(parity_set[:500]), expected[:500], atol=1e-5)
    scripted = load_torchscript(result.files["actor.pt"])
    with torch.no_grad():
        np.testing.assert_allclose(
            scripted(torch.from_numpy(parity_set[:500])).numpy(), expected[:500], atol=1e-5
        )


def test_without_fold_the_normalised_actor_would_differ(
    write_export: WriteExport, tmp_path: Path, parity_set: np.ndarray
) -> None:
    """Guard against a fold that silently does nothing: dropping the normaliser changes the actions."""
    write_export(tmp_path / "with", seed=2, normalizer_from=parity_set[:2000])
    tensors = read_sac_export(tmp_path / "with")
    unfolded = build_ddpg_actor(
        type(tensors)(tensors.directory, tensors.spec, tensors.kernels, tensors.biases, None, None)
    )
    error = np.abs(
        unfolded.act(parity_set[:1000]) - jax_reference(tmp_path / "with")(parity_set[:1000])
    ).max()
    assert error > 1e-2


def test_parity_failure_writes_nothing(
    write_export: WriteExport, tmp_path: Path, parity_set: np.ndarray
) -> None:
    write_export(tmp_path / "sac", seed=5)
    output = tmp_path / "ddpg"
    output.mkdir()
    (output / "keep.txt").write_text("previous conversion")
    reference = jax_reference(tmp_path / "sac")
    with pytest.raises(ConversionError, match=r"differs from the JAX actor by up to .* nothing was written"):
        convert_sac_export(
            tmp_path / "sac",
            output,
            reference=lambda obs: reference(obs) + 1e-3,
            observations=parity_set[:1000],
            max_abs_error=1e-5,
        )
    assert sorted(p.name for p in output.iterdir()) == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_wrong_head_width_is_rejected(write_export: WriteExport, tmp_path: Path) -> None:
    write_export(tmp_path / "sac", last_width=12)
    with pytest.raises(
        ConversionError, match=r"layers\.2\.kernel has shape \(256, 12\), expected \(256, 24\)"
    ):
        read_sac_export(tmp_path / "sac")


def test_wrong_observation_size_is_rejected(write_export: WriteExport, tmp_path: Path) -> None:
    write_export(tmp_path / "sac", observation_size=45)
    with pytest.raises(
        ConversionError,
        match=f"takes 45 inputs; the official preprocessed observation has {OBSERVATION_SIZE}",
    ):
        build_ddpg_actor(read_sac_export(tmp_path / "sac"))


def test_damaged_and_missing_files(write_export: WriteExport, tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="does not exist"):
        read_sac_export(tmp_path / "nowhere")
    write_export(tmp_path / "sac")
    weights = tmp_path / "sac" / "actor.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ConversionError, match="damaged or not a safetensors file"):
        read_sac_export(tmp_path / "sac")
    weights.unlink()
    with pytest.raises(ConversionError, match=r"actor\.safetensors not found"):
        read_sac_export(tmp_path / "sac")
    (tmp_path / "sac" / "actor_spec.json").write_text('{"observation_size": 89}')
    with pytest.raises(ConversionError, match="lacks hidden_sizes"):
        read_sac_export(tmp_path / "sac")


def test_normalizer_spec_mismatch_and_nan(write_export: WriteExport, tmp_path: Path) -> None:
    tensors = write_export(tmp_path / "sac")
    spec_path = tmp_path / "sac" / "actor_spec.json"
    spec = json.loads(spec_path.read_text())
    spec["normalize_observations"] = True
    spec_path.write_text(json.dumps(spec))
    with pytest.raises(ConversionError, match="normalizer tensors are absent"):
        read_sac_export(tmp_path / "sac")
    spec["normalize_observations"] = False
    spec_path.write_text(json.dumps(spec))
    tensors["layers.1.bias"][7] = np.nan
    save_file(tensors, str(tmp_path / "sac" / "actor.safetensors"))
    with pytest.raises(ConversionError, match=r"layers\.1\.bias holds NaN"):
        read_sac_export(tmp_path / "sac")


def test_parity_set_keeps_one_hot_exact(parity_set: np.ndarray) -> None:
    one_hot = parity_set[:, SLICES["task_one_hot"]]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)
    assert set(np.argmax(one_hot, axis=1)) == {0, 1, 2}
