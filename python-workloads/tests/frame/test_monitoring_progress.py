"""GPU monitor, stall detector and progress reporting.

This machine has no NVIDIA GPU, so the NVML tests replace the ``pynvml`` module with a fake device;
the no-GPU path runs against the real ``pynvml`` (whose initialisation fails here without a driver).
"""

from __future__ import annotations

import logging
import math
from types import SimpleNamespace
from typing import Any

import pytest

from booster_workloads.monitoring import MEMORY_PERCENT, UTILIZATION_PERCENT, GpuMonitor, StallDetector
from booster_workloads.monitoring import gpu as gpu_module
from booster_workloads.progress import Progress, format_duration


class FakeNvml:
    """Stands in for NVML because no GPU exists on this machine."""

    def __init__(self, used: list[int], total: int = 24 * 2**30, utilization: int = 80) -> None:
        self.used = used
        self.total = total
        self.utilization = utilization
        self.shutdown = False

    def nvmlInit(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return len(self.used)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return b"NVIDIA L4"

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        return SimpleNamespace(used=self.used[handle], total=self.total)

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        return SimpleNamespace(gpu=self.utilization)

    def nvmlShutdown(self) -> None:
        self.shutdown = True


def test_without_a_gpu_says_so_once_and_returns_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    monitor = GpuMonitor()
    assert monitor.sample(step=1) == {}
    assert monitor.sample(step=2) == {}
    assert not monitor.available
    assert caplog.text.count("no GPU to monitor") == 1
    monitor.close()


def test_samples_memory_and_utilization(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml(used=[12 * 2**30])
    monkeypatch.setattr(gpu_module, "_load_nvml", lambda: fake)
    monitor = GpuMonitor(memory_alert_percent=95.0)
    metrics = monitor.sample(step=5000)
    assert metrics == {MEMORY_PERCENT: pytest.approx(50.0), UTILIZATION_PERCENT: 80.0}
    assert not monitor.alerted
    monitor.close()
    assert fake.shutdown


def test_memory_above_the_threshold_raises_an_error_alert(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    total = 100 * 2**20
    fake = FakeNvml(used=[50 * 2**20, 96 * 2**20], total=total)
    monkeypatch.setattr(gpu_module, "_load_nvml", lambda: fake)
    monitor = GpuMonitor(memory_alert_percent=95.0)
    metrics = monitor.sample(step=10_000)
    assert metrics[MEMORY_PERCENT] == pytest.approx(96.0)  # the fuller of the two devices
    assert monitor.alerted
    alert = monitor.alerts[0]
    assert alert.kind == "gpu_memory" and alert.level == "error" and alert.step == 10_000
    assert "96.0%" in alert.message
    assert "ALERT GPU memory at 96.0%" in caplog.text
    fake.used = [95 * 2**20, 10 * 2**20]  # exactly at the threshold is not above it
    monitor.alerts.clear()
    monitor.sample()
    assert not monitor.alerted


def test_stall_detector_alerts_once_after_patience_and_rearms_on_improvement() -> None:
    detector = StallDetector(patience_steps=100_000)
    assert detector.update(0, 1.0) is None
    assert detector.update(50_000, 2.0) is None
    assert detector.update(149_999, 1.5) is None
    alert = detector.update(150_000, 1.9)
    assert alert is not None and alert.kind == "stall" and detector.stalled
    assert "not improved on 2 (step 50000) for 100000 steps" in alert.message
    assert detector.update(160_000, 1.0) is None  # reported once
    assert detector.update(170_000, 2.5) is None and not detector.stalled
    assert detector.update(270_000, math.nan) is not None  # NaN is never an improvement


def test_stall_state_survives_a_checkpoint() -> None:
    detector = StallDetector(patience_steps=10)
    detector.update(0, 3.0)
    resumed = StallDetector(patience_steps=10)
    resumed.restore(detector.state())
    assert resumed.update(5, 2.0) is None
    assert resumed.update(10, 2.0) is not None


def test_progress_in_a_job_log_writes_rate_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    caplog.set_level(logging.INFO, logger="test.progress")
    progress = Progress(
        total=10_000,
        description="pretrain",
        unit="steps",
        initial=2_000,
        log=logging.getLogger("test.progress"),
        log_every_seconds=5.0,
        terminal=False,
        clock=lambda: now[0],
    )
    now[0] = 102.0
    progress.update(1_000)
    assert caplog.text == ""  # not yet five seconds
    now[0] = 110.0
    progress.update(1_000)  # 2,000 new steps in 10 s
    assert progress.rate == pytest.approx(200.0)
    assert progress.eta_seconds == pytest.approx(30.0)
    assert "pretrain: 4,000/10,000 steps (40.0%), 200.0 steps/s, elapsed 0:00:10, ETA 0:00:30" in caplog.text
    progress.close()
    assert caplog.text.count("pretrain:") == 2


def test_progress_in_a_terminal_uses_a_live_bar() -> None:
    with Progress(total=10, description="episodes", unit="episodes", terminal=True) as progress:
        progress.update(4)
        assert progress._bar is not None
        assert progress._bar.tasks[0].completed == 4


def test_format_duration() -> None:
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "?"
