"""Building the SAI submission, checking it locally the way the platform runs it, and sending it.

A submission is a directory:

- ``model.pt`` — the actor as TorchScript (sai-rl's PyTorch handler loads it with ``torch.jit.load``);
- ``preprocessor.py`` — the numpy-only ``Preprocessor`` class (see :mod:`submission.platform_code`);
- ``action_function.py`` — the numpy-only ``action_function``;
- ``submission.json`` — where it came from (model, version), file checksums and the local check.

The local check loads the three files through sai-rl's own ``ModelManager`` (the object the
platform's benchmark and ``SAIClient.submit`` use), wraps each official environment in sai-rl's
``TaskGymWrapper`` (which puts the task one-hot into ``info["task_index"]``), and plays one seeded
episode per task. At every step it also compares the platform's action with the training-side policy
(``soccer.observation.preprocess`` + the PyTorch actor + ``soccer.actions.policy_to_torque``), so a
package that would behave differently on the platform fails here, before anything is sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from booster_workloads.evaluation.benchmark import actor_policy
from booster_workloads.evaluation.scoring import terminal_score
from booster_workloads.policy.torch_actor import TORCHSCRIPT_FILE, load_actor, load_torchscript
from booster_workloads.runtime.staging import staged_directory
from booster_workloads.soccer.observation import TASKS, one_hot, task_index_of
from booster_workloads.submission.platform_code import action_function_source, preprocessor_source

MODEL_FILE: Final = "model.pt"
PREPROCESSOR_FILE: Final = "preprocessor.py"
ACTION_FUNCTION_FILE: Final = "action_function.py"
MANIFEST_FILE: Final = "submission.json"
# Largest |platform torque - training torque| accepted in the local check, in N·m; both paths run the
# same float32 network, so anything beyond rounding means the package differs from the actor.
TORQUE_TOLERANCE: Final = 1e-3


class SubmissionError(RuntimeError):
    """The submission cannot be built, fails its local check, or was refused."""


@dataclass(frozen=True)
class SubmissionPackage:
    directory: Path

    @property
    def model(self) -> Path:
        return self.directory / MODEL_FILE

    @property
    def preprocessor(self) -> Path:
        return self.directory / PREPROCESSOR_FILE

    @property
    def action_function(self) -> Path:
        return self.directory / ACTION_FUNCTION_FILE

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST_FILE

    def read_manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.manifest.read_text(encoding="utf-8"))
        return data


@dataclass(frozen=True)
class TaskCheck:
    task_id: str
    seed: int
    steps: int
    score: float
    max_torque_difference: float


@dataclass(frozen=True)
class LocalCheck:
    tasks: tuple[TaskCheck, ...]

    @property
    def max_torque_difference(self) -> float:
        return max(t.max_torque_difference for t in self.tasks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_torque_difference": self.max_torque_difference,
            "tasks": [t.__dict__ for t in self.tasks],
        }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_submission(actor_dir: Path, output_dir: Path, *, source: Mapping[str, Any]) -> SubmissionPackage:
    """Assemble the package from an actor directory (``actor.pt`` + ``actor.safetensors`` + spec).

    The TorchScript file is loaded back and compared with the safetensors weights first, so a stale or
    damaged ``actor.pt`` never reaches the platform. Written to a temporary directory and moved into
    place at the end.
    """
    actor, spec = load_actor(actor_dir)
    scripted = load_torchscript(actor_dir / TORCHSCRIPT_FILE)
    probe = np.random.default_rng(0).normal(size=(16, spec.observation_size)).astype(np.float32)
    import torch

    with torch.no_grad():
        difference = float(np.abs(scripted(torch.from_numpy(probe)).numpy() - actor.act(probe)).max())
    if not difference <= 1e-6:
        raise SubmissionError(
            f"{actor_dir / TORCHSCRIPT_FILE} does not match {actor_dir}/actor.safetensors (max difference "
            f"{difference:.3g}); re-save the actor with policy.torch_actor.save_actor"
        )
    output_dir = Path(output_dir)
    with staged_directory(output_dir) as staging:
        shutil.copyfile(actor_dir / TORCHSCRIPT_FILE, staging / MODEL_FILE)
        (staging / PREPROCESSOR_FILE).write_text(preprocessor_source(), encoding="utf-8")
        (staging / ACTION_FUNCTION_FILE).write_text(action_function_source(), encoding="utf-8")
        manifest = {
            "source": dict(source),
            "observation_size": spec.observation_size,
            "tasks": list(spec.tasks or TASKS),
            "files": {
                name: _sha256(staging / name)
                for name in (MODEL_FILE, PREPROCESSOR_FILE, ACTION_FUNCTION_FILE)
            },
            "local_check": None,
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return SubmissionPackage(output_dir)


def platform_model_manager(package: SubmissionPackage, env: Any) -> Any:
    """sai-rl's ``ModelManager`` over the package files, as the platform builds it."""
    from sai_rl.model.model_manager import ModelManager

    return ModelManager(
        env=env,
        model=str(package.model),
        model_type="pytorch",
        preprocessor_class=str(package.preprocessor),
        action_function=str(package.action_function),
        console=None,
    )


def check_submission(
    package: SubmissionPackage,
    *,
    seed: int,
    tasks: Sequence[str] = TASKS,
    max_steps: int | None = None,
    log: logging.Logger | None = None,
    env_factory: Callable[[str], Any] | None = None,
) -> LocalCheck:
    """Play one seeded episode per task through the platform's code path (see the module docstring)."""
    from sai_rl.env.environment import TaskGymWrapper

    from booster_workloads.evaluation.benchmark import make_env

    log = log or logging.getLogger(__name__)
    for path in (package.model, package.preprocessor, package.action_function, package.manifest):
        if not path.is_file():
            raise SubmissionError(f"{path} is missing; rebuild the package with build_submission")
    manifest = package.read_manifest()
    for name, checksum in manifest["files"].items():
        if _sha256(package.directory / name) != checksum:
            raise SubmissionError(
                f"{package.directory / name} changed since the package was built; rebuild it"
            )
    # The training-side actor, from the same TorchScript file, is the reference for every action.
    reference_model = load_torchscript(package.model)
    checks = []
    for task_id in tasks:
        task_index = task_index_of(task_id)
        env: Any = TaskGymWrapper((env_factory or make_env)(task_id), one_hot(task_index))
        try:
            manager = platform_model_manager(package, env)
            reference = actor_policy(_ScriptedActor(reference_model))
            episode_seed = seed + task_index
            obs, info = env.reset(seed=episode_seed)
            steps, worst = 0, 0.0
            while True:
                action = np.asarray(manager.get_action(obs, info), dtype=np.float32)
                if action.shape == (1, 12):
                    action = action[0]  # the handler adds a batch axis to a single observation
                if action.shape != (12,) or not bool(np.all(np.isfinite(action))):
                    raise SubmissionError(
                        f"{task_id}: the platform produced action {action!r}; expected 12 torques"
                    )
                expected = reference(obs, info, task_index)
                worst = max(worst, float(np.abs(action - expected).max()))
                obs, _, terminated, truncated, info = env.step(action)
                raw = env.unwrapped.compute_reward()
                steps += 1
                if terminated or truncated or (max_steps is not None and steps >= max_steps):
                    break
        finally:
            env.close()
        score = terminal_score(task_id, {k: float(v) for k, v in raw.items()})
        log.info(
            "submission check %s: %d steps, score %.3f, max torque difference %.2e N·m",
            task_id,
            steps,
            score,
            worst,
        )
        if worst > TORQUE_TOLERANCE:
            raise SubmissionError(
                f"{task_id}: the packaged policy's torques differ from the actor's by up to {worst:.3g} N·m "
                f"(allowed {TORQUE_TOLERANCE}); the preprocessor or action function does not match training"
            )
        checks.append(TaskCheck(task_id, episode_seed, steps, score, worst))
    result = LocalCheck(tuple(checks))
    manifest["local_check"] = result.as_dict()
    package.manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return result


class _ScriptedActor:
    """The ``act`` interface of ``DDPGActor`` over a TorchScript module."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def act(self, observation: Any) -> npt.NDArray[np.float32]:
        import torch

        with torch.no_grad():
            x = torch.as_tensor(np.asarray(observation, dtype=np.float32))
            result: npt.NDArray[np.float32] = self.module(x).numpy().astype(np.float32)
            return result


def submit_package(
    package: SubmissionPackage,
    *,
    api_key: str,
    competition_id: str,
    name: str,
    client_factory: Callable[..., Any] | None = None,
) -> str:
    """Send a checked package through sai-rl's ``SAIClient.submit``; returns the submission id."""
    if not api_key:
        raise SubmissionError("no SAI API key; set SAI_API_KEY (Databricks secret sai-api-key) to submit")
    if package.read_manifest().get("local_check") is None:
        raise SubmissionError(f"{package.directory} has not passed check_submission; check it before sending")
    if client_factory is None:
        from sai_rl import SAIClient

        client_factory = SAIClient
    client = client_factory(comp_id=competition_id, api_key=api_key)
    result = client.submit(
        name,
        str(package.model),
        str(package.action_function),
        str(package.preprocessor),
        model_type="pytorch",
    )
    submission_id = getattr(result, "id", None) if result is not None else None
    if not submission_id:
        raise SubmissionError(f"SAI accepted no submission (response {result!r}); see the sai-rl log above")
    return str(submission_id)
