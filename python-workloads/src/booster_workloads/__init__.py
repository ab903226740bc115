"""Training workloads of the Booster Soccer pipeline."""

__version__ = "0.1.0"
