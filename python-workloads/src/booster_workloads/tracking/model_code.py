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

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        if self._actor is None:
            raise RuntimeError(
                "this model holds no TorchScript actor (actor.pt); read its files with "
                "booster_workloads.tracking.Tracker.download_model instead"
            )
        import numpy as np
        import torch

        observation = torch.as_tensor(np.asarray(model_input, dtype=np.float32))
        with torch.no_grad():
            return self._actor(observation).numpy()


mlflow.models.set_model(PolicyFilesModel())
