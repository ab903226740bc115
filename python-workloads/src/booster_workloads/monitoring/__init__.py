"""GPU monitoring, stall detection and the alerts they raise."""

from booster_workloads.monitoring.alerts import Alert
from booster_workloads.monitoring.gpu import MEMORY_PERCENT, UTILIZATION_PERCENT, GpuMonitor
from booster_workloads.monitoring.stall import StallDetector

__all__ = ["MEMORY_PERCENT", "UTILIZATION_PERCENT", "Alert", "GpuMonitor", "StallDetector"]
