"""GPU memory and utilization through NVML (``nvidia-ml-py``), with an alert on memory pressure.

Without an NVIDIA driver (a laptop, a CPU task) the monitor says so once and then returns no
metrics, so the training loop calls it the same way everywhere.
"""

from __future__ import annotations

import logging
from typing import Any

from booster_workloads.monitoring.alerts import Alert

MEMORY_PERCENT = "gpu/memory_percent"
UTILIZATION_PERCENT = "gpu/utilization_percent"

_default_log = logging.getLogger(__name__)


def _load_nvml() -> Any:
    import pynvml

    return pynvml


class GpuMonitor:
    """Samples every visible GPU; the metrics are the busiest device's values.

    Args:
        memory_alert_percent: memory use above this raises an error alert (logged and kept in
            :attr:`alerts`).
        log: where the missing GPU and the alerts are reported.
    """

    def __init__(self, memory_alert_percent: float = 95.0, log: logging.Logger | None = None) -> None:
        self.memory_alert_percent = memory_alert_percent
        self.log = log or _default_log
        self.alerts: list[Alert] = []
        self._nvml: Any = None
        self._handles: list[Any] = []
        self._unavailable_reason: str | None = None
        self._started = False

    @property
    def available(self) -> bool:
        self._start()
        return bool(self._handles)

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            nvml = _load_nvml()
            nvml.nvmlInit()
            count = nvml.nvmlDeviceGetCount()
            self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self._nvml = nvml
        except Exception as exc:  # NVML raises its own error types, or the library is absent
            self._handles = []
            self._unavailable_reason = f"{type(exc).__name__}: {exc}"
        if not self._handles:
            reason = self._unavailable_reason or "NVML reports no devices"
            self.log.info("no GPU to monitor (%s); gpu/* metrics will not be logged", reason)
        else:
            names = [self._device_name(h) for h in self._handles]
            self.log.info("monitoring %d GPU(s): %s", len(names), ", ".join(names))

    def _device_name(self, handle: Any) -> str:
        name = self._nvml.nvmlDeviceGetName(handle)
        return name.decode() if isinstance(name, bytes) else str(name)

    def sample(self, step: int | None = None) -> dict[str, float]:
        """``{gpu/memory_percent, gpu/utilization_percent}``, or ``{}`` without a GPU."""
        self._start()
        if not self._handles:
            return {}
        memory_percent = 0.0
        utilization = 0.0
        for handle in self._handles:
            memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
            rates = self._nvml.nvmlDeviceGetUtilizationRates(handle)
            memory_percent = max(memory_percent, 100.0 * float(memory.used) / float(memory.total))
            utilization = max(utilization, float(rates.gpu))
        if memory_percent > self.memory_alert_percent:
            alert = Alert(
                kind="gpu_memory",
                level="error",
                message=(
                    f"GPU memory at {memory_percent:.1f}% (alert above {self.memory_alert_percent:g}%); "
                    "lower num_envs or the batch size, or XLA_PYTHON_CLIENT_MEM_FRACTION"
                ),
                step=step,
            )
            self.alerts.append(alert)
            self.log.error("ALERT %s", alert.message)
        return {MEMORY_PERCENT: memory_percent, UTILIZATION_PERCENT: utilization}

    @property
    def alerted(self) -> bool:
        return bool(self.alerts)

    def close(self) -> None:
        if self._nvml is not None and self._handles:
            try:
                self._nvml.nvmlShutdown()
            except Exception as exc:  # shutting down must never break a finished run
                self.log.debug("NVML shutdown failed: %s", exc)
        self._handles = []
