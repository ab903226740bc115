"""The DDPG actor's form, its three files, and the errors for damaged or mismatched files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from booster_workloads.policy.torch_actor import (
    SPEC_FILE,
    TORCHSCRIPT_FILE,
    WEIGHTS_FILE,
    ActorFileError,
    DDPGActor,
    load_actor,
    load_torchscript,
    save_actor,
)

OBS = 37


def _actor(seed: int = 0) -> DDPGActor:
    torch.manual_seed(seed)
    return DDPGActor(OBS)


def test_official_form_and_state_dict_keys() -> None:
    actor = _actor()
    assert isinstance(actor.layers, torch.nn.ModuleList)
    assert [type(m) for m in actor.layers] == [torch.nn.Linear] * 3
    shapes = {k: tuple(v.shape) for k, v in actor.state_dict().items()}
    assert shapes == {
        "layers.0.weight": (256, OBS),
        "layers.0.bias": (256,),
        "layers.1.weight": (256, 256),
        "layers.1.bias": (256,),
        "layers.2.weight": (12, 256),
        "layers.2.bias": (12,),
    }


def test_forward_is_relu_between_and_tanh_at_the_end() -> None:
    actor = _actor()
    x = torch.randn(5, OBS)
    w = [actor.layers[i].weight for i in range(3)]
    b = [actor.layers[i].bias for i in range(3)]
    h = torch.relu(x @ w[0].T + b[0])
    h = torch.relu(h @ w[1].T + b[1])
    expected = torch.tanh(h @ w[2].T + b[2])
    torch.testing.assert_close(actor(x), expected)
    # Large weights drive the output to the tanh bounds, never past them.
    with torch.no_grad():
        actor.layers[2].weight.mul_(1e4)
    out = actor(torch.randn(64, OBS))
    assert float(out.abs().max()) <= 1.0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    actor = _actor(1)
    paths = save_actor(actor, tmp_path / "a", tasks=("t0", "t1"), metadata={"source": "test"})
    assert set(paths) == {WEIGHTS_FILE, TORCHSCRIPT_FILE, SPEC_FILE}
    loaded, spec = load_actor(tmp_path / "a")
    assert spec.observation_size == OBS and spec.hidden_sizes == (256, 256) and spec.action_size == 12
    assert spec.tasks == ("t0", "t1") and spec.metadata == {"source": "test"}
    x = np.random.default_rng(0).normal(size=(16, OBS)).astype(np.float32)
    np.testing.assert_array_equal(loaded.act(x), actor.act(x))
    scripted = load_torchscript(paths[TORCHSCRIPT_FILE])
    with torch.no_grad():
        np.testing.assert_allclose(scripted(torch.from_numpy(x)).numpy(), actor.act(x), atol=1e-7)


def test_single_observation_gives_one_action() -> None:
    assert _actor().act(np.zeros(OBS)).shape == (12,)


def test_missing_weights_file_is_named(tmp_path: Path) -> None:
    save_actor(_actor(), tmp_path)
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(ActorFileError, match=r"actor\.safetensors not found"):
        load_actor(tmp_path)


def test_damaged_weights_file(tmp_path: Path) -> None:
    save_actor(_actor(), tmp_path)
    data = (tmp_path / WEIGHTS_FILE).read_bytes()
    (tmp_path / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ActorFileError, match="damaged or not a safetensors file"):
        load_actor(tmp_path)


def test_wrong_shape_in_weights(tmp_path: Path) -> None:
    save_actor(_actor(), tmp_path)
    state = {k: v.clone() for k, v in _actor().state_dict().items()}
    state["layers.2.weight"] = torch.zeros(24, 256)
    state["layers.2.bias"] = torch.zeros(24)
    save_file(state, str(tmp_path / WEIGHTS_FILE))
    with pytest.raises(
        ActorFileError, match=r"layers\.2\.weight has shape \(24, 256\), expected \(12, 256\)"
    ):
        load_actor(tmp_path)


def test_non_finite_weights_are_rejected(tmp_path: Path) -> None:
    actor = _actor()
    with torch.no_grad():
        actor.layers[1].bias[3] = float("nan")
    with pytest.raises(ActorFileError, match="NaN or infinite"):
        save_actor(actor, tmp_path)


def test_spec_mismatch_and_bad_json(tmp_path: Path) -> None:
    save_actor(_actor(), tmp_path)
    spec = json.loads((tmp_path / SPEC_FILE).read_text())
    spec["observation_size"] = OBS + 1
    (tmp_path / SPEC_FILE).write_text(json.dumps(spec))
    with pytest.raises(ActorFileError, match=r"layers\.0\.weight has shape"):
        load_actor(tmp_path)
    (tmp_path / SPEC_FILE).write_text("{not json")
    with pytest.raises(ActorFileError, match="not valid JSON"):
        load_actor(tmp_path)
    (tmp_path / SPEC_FILE).write_text(json.dumps({"observation_size": 3}))
    with pytest.raises(ActorFileError, match="format"):
        load_actor(tmp_path)


def test_damaged_torchscript(tmp_path: Path) -> None:
    paths = save_actor(_actor(), tmp_path)
    paths[TORCHSCRIPT_FILE].write_bytes(b"not a zip archive")
    with pytest.raises(ActorFileError, match="damaged or not TorchScript"):
        load_torchscript(paths[TORCHSCRIPT_FILE])
