"""Benchmarking policies with the competition's score, and Gate 3 (champion selection)."""
