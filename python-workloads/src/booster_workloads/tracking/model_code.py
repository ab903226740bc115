"""The MLflow model definition logged with every workload model ("models from code": nothing pickled).

A registered model is a directory of plain files (safetensors, JSON, TorchScript) under the model's
``artifacts/``; stages read those files directly. ``predict`` serves the TorchScript actor when the
model carries one, so the registry's signature describes something that actually runs.
"""

from __future__ import annotations

from typing import Any

import mlflow
from mlflow.pyfunc import PythonModel, PythonModelContext


class PolicyFilesModel(PythonModel):
    def load_context(self, context: PythonModelContext) -> None:
        self._actor: Any = None
        path = context.artifacts.get("actor.pt")
        if path is not None:
            import torch

            self._actor = torch.jit.load(path, map_location="cpu")
            self._actor.eval()

    # Left without type hints: MLflow would derive an input schema from them and warn that it cannot.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        if self._actor is None:
            raise RuntimeError(
                "this model holds no TorchScript actor (actor.pt); read its files with "
                "booster_workloads.tracking.Tracker.download_model instead"
            )
        import numpy as np
        import torch

        if isinstance(model_input, dict):
            # A signature with a named tensor hands the input over as {name: array}.
            if len(model_input) != 1:
                raise ValueError(f"expected one input tensor, got {sorted(model_input)}")
            model_input = next(iter(model_input.values()))
        observation = torch.as_tensor(np.asarray(model_input, dtype=np.float32))
        with torch.no_grad():
            return self._actor(observation).numpy()


mlflow.models.set_model(PolicyFilesModel())
