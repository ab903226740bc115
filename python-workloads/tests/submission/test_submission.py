"""The SAI submission: platform code equal to the training-side functions, a package that loads and
plays through sai-rl's own ModelManager, and the submit call (the SAI server is replaced by a
recording client in that one test: it cannot be reached from here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from sai_rl.model.custom import ActionFunctionManager, PreprocessingManager

from booster_workloads.evaluation.benchmark import make_env
from booster_workloads.policy.torch_actor import DDPGActor, save_actor
from booster_workloads.soccer.actions import policy_to_torque
from booster_workloads.soccer.observation import OBSERVATION_SIZE, TASKS, one_hot, preprocess
from booster_workloads.submission.package import (
    MODEL_FILE,
    SubmissionError,
    build_submission,
    check_submission,
    submit_package,
)
from booster_workloads.submission.platform_code import action_function_source, preprocessor_source


@pytest.fixture(scope="module")
def actor_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(11)
    directory = tmp_path_factory.mktemp("actor")
    save_actor(DDPGActor(OBSERVATION_SIZE), directory, tasks=TASKS)
    return directory


def _write(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(source)
    return str(path)


@pytest.mark.parametrize("task_index", range(len(TASKS)))
def test_platform_preprocessor_equals_training_preprocess(tmp_path: Path, task_index: int) -> None:
    """Loaded by sai-rl's PreprocessingManager (imports stripped, numpy only), on real observations."""
    manager = PreprocessingManager(preprocessor_class=_write(tmp_path, "pre.py", preprocessor_source()))
    env = make_env(TASKS[task_index])
    try:
        observations, infos = [], []
        obs, info = env.reset(seed=task_index)
        for _ in range(20):
            observations.append(obs)
            infos.append(info)
            obs, _, terminated, truncated, info = env.step(policy_to_torque(np.full(12, 0.2)))
            if terminated or truncated:
                break
    finally:
        env.close()
    for obs, info in zip(observations, infos, strict=True):
        platform_info = {**info, "task_index": one_hot(task_index)}
        got = manager.modify_state(obs, platform_info)
        assert got.dtype == np.float32 and got.shape == (OBSERVATION_SIZE,)
        np.testing.assert_array_equal(got, preprocess(obs, info, task_index))
    # A batch, as the platform's vectorised benchmark passes it: obs (n, raw), info values (n, ...).
    batch_info = {key: np.stack([i[key] for i in infos[:3]]) for key in infos[0] if key != "reward_terms"}
    batch_info["task_index"] = np.stack([one_hot(task_index)] * 3)
    got = manager.modify_state(np.stack(observations[:3]), batch_info)
    np.testing.assert_array_equal(
        got,
        np.stack([preprocess(o, i, task_index) for o, i in zip(observations[:3], infos[:3], strict=True)]),
    )


def test_platform_action_function_equals_policy_to_torque(tmp_path: Path) -> None:
    manager = ActionFunctionManager(action_function=_write(tmp_path, "act.py", action_function_source()))
    policy = np.random.default_rng(0).uniform(-1.3, 1.3, size=(50, 12)).astype(np.float32)
    np.testing.assert_allclose(manager.get_action(policy), policy_to_torque(policy), rtol=0, atol=1e-5)


def test_sources_import_nothing() -> None:
    for source in (preprocessor_source(), action_function_source()):
        assert "import" not in source
    assert preprocessor_source().lstrip().startswith("class Preprocessor")
    assert action_function_source().lstrip().startswith("def action_function(policy)")


def test_package_loads_and_plays_as_the_platform_would(actor_dir: Path, tmp_path: Path) -> None:
    package = build_submission(actor_dir, tmp_path / "submission", source={"model": "test", "version": "1"})
    assert sorted(p.name for p in package.directory.iterdir()) == sorted(
        ["model.pt", "preprocessor.py", "action_function.py", "submission.json"]
    )
    check = check_submission(package, seed=3, max_steps=150)
    assert [t.task_id for t in check.tasks] == list(TASKS)
    assert all(0 < t.steps <= 150 for t in check.tasks)
    assert check.max_torque_difference < 1e-3
    assert json.loads(package.manifest.read_text())["local_check"]["tasks"][0]["task_id"] == TASKS[0]


def test_a_wrong_action_function_fails_the_local_check(actor_dir: Path, tmp_path: Path) -> None:
    package = build_submission(actor_dir, tmp_path / "submission", source={})
    # Rebuild with a broken action function (halved torques) and matching checksums: only the
    # behavioural comparison can catch it.
    package.action_function.write_text(
        action_function_source().replace("0.5 * (high - low)", "0.25 * (high - low)")
    )
    manifest = json.loads(package.manifest.read_text())
    import hashlib

    manifest["files"]["action_function.py"] = hashlib.sha256(package.action_function.read_bytes()).hexdigest()
    package.manifest.write_text(json.dumps(manifest))
    with pytest.raises(SubmissionError, match="torques differ from the actor's"):
        check_submission(package, seed=0, tasks=TASKS[:1], max_steps=20)


def test_tampered_package_and_stale_torchscript(actor_dir: Path, tmp_path: Path) -> None:
    package = build_submission(actor_dir, tmp_path / "submission", source={})
    package.preprocessor.write_text(package.preprocessor.read_text() + "\n# edited\n")
    with pytest.raises(SubmissionError, match="changed since the package was built"):
        check_submission(package, seed=0, tasks=TASKS[:1], max_steps=5)
    stale = tmp_path / "stale"
    stale.mkdir()
    for path in actor_dir.iterdir():
        (stale / path.name).write_bytes(path.read_bytes())
    torch.manual_seed(99)
    other = tmp_path / "other"
    save_actor(DDPGActor(OBSERVATION_SIZE), other)
    (stale / "actor.pt").write_bytes((other / "actor.pt").read_bytes())
    with pytest.raises(SubmissionError, match="does not match"):
        build_submission(stale, tmp_path / "never", source={})
    assert not (tmp_path / "never").exists()


class RecordingClient:
    """Stands in for sai_rl.SAIClient: the SAI API cannot be reached from tests."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, *, comp_id: str, api_key: str) -> None:
        self.comp_id, self.api_key = comp_id, api_key

    def submit(
        self, name: str, model: str, action_function: str, preprocessor_class: str, *, model_type: str
    ) -> Any:
        assert Path(model).name == MODEL_FILE and torch.jit.load(model) is not None
        assert Path(action_function).read_text().startswith("def action_function")
        assert Path(preprocessor_class).read_text().startswith("class Preprocessor")
        RecordingClient.calls.append(
            {"comp_id": self.comp_id, "key": self.api_key, "name": name, "type": model_type}
        )
        return type("Submission", (), {"id": "sub_123"})()


def test_submit_call(actor_dir: Path, tmp_path: Path) -> None:
    package = build_submission(actor_dir, tmp_path / "submission", source={})
    with pytest.raises(SubmissionError, match="has not passed check_submission"):
        submit_package(package, api_key="k", competition_id="cmp", name="n", client_factory=RecordingClient)
    with pytest.raises(SubmissionError, match="no SAI API key"):
        submit_package(package, api_key="", competition_id="cmp", name="n", client_factory=RecordingClient)
    check_submission(package, seed=0, tasks=TASKS[:1], max_steps=5)
    submission_id = submit_package(
        package, api_key="k", competition_id="cmp_x", name="run-1", client_factory=RecordingClient
    )
    assert submission_id == "sub_123"
    assert RecordingClient.calls[-1] == {"comp_id": "cmp_x", "key": "k", "name": "run-1", "type": "pytorch"}
