"""The runtime every stage shares: :class:`StageContext` and :class:`VolumePaths`."""

from booster_workloads.runtime.context import StageContext, VolumePaths

__all__ = ["StageContext", "VolumePaths"]
