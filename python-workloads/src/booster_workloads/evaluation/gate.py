"""Gate 3: a fine-tuned candidate becomes champion only when it beats the current champion.

Both are evaluated by the same benchmark on the same seeds, so they face the same episodes. On a win
the candidate's version takes the ``champion`` alias and the previous champion's version takes
``finalist``; otherwise nothing moves and the decision says why. With no champion yet, the candidate
becomes the first one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from booster_workloads.evaluation.benchmark import BenchmarkResult


class ModelRegistry(Protocol):
    """The part of ``tracking.Tracker`` the gate uses (docs/architecture.md, Tracking)."""

    def download_model(self, model_key: str, alias: str) -> tuple[Any, Path]: ...

    def get_alias_version(self, model_key: str, alias: str) -> Any | None: ...

    def set_alias(self, model_key: str, alias: str, version: Any) -> None: ...


@dataclass(frozen=True)
class GateDecision:
    promoted: bool
    reason: str
    candidate_version: str
    previous_champion_version: str | None
    candidate: BenchmarkResult
    champion: BenchmarkResult | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "reason": self.reason,
            "candidate_version": self.candidate_version,
            "previous_champion_version": self.previous_champion_version,
            "candidate_total_score": self.candidate.total,
            "champion_total_score": None if self.champion is None else self.champion.total,
        }


def _version(ref: Any) -> str:
    return str(getattr(ref, "version", ref))


def run_gate(
    registry: ModelRegistry,
    *,
    model_key: str,
    candidate_alias: str,
    champion_alias: str,
    finalist_alias: str,
    evaluate: Callable[[Path, str], BenchmarkResult],
    log: logging.Logger | None = None,
) -> GateDecision:
    """Evaluate the candidate (and the champion, if any) with ``evaluate(model_dir, label)`` and move
    the aliases as described in the module docstring."""
    log = log or logging.getLogger(__name__)
    candidate_ref, candidate_dir = registry.download_model(model_key, candidate_alias)
    candidate_version = _version(candidate_ref)
    candidate = evaluate(candidate_dir, f"{candidate_alias} v{candidate_version}")

    champion_ref = registry.get_alias_version(model_key, champion_alias)
    if champion_ref is None:
        registry.set_alias(model_key, champion_alias, candidate_version)
        reason = (
            f"no {champion_alias} yet: version {candidate_version} (score {candidate.total:.3f}) "
            f"becomes the first {champion_alias}"
        )
        log.info("Gate 3: %s", reason)
        return GateDecision(True, reason, candidate_version, None, candidate, None)

    champion_version = _version(champion_ref)
    if champion_version == candidate_version:
        reason = f"version {candidate_version} is already the {champion_alias}; aliases unchanged"
        log.info("Gate 3: %s", reason)
        return GateDecision(False, reason, candidate_version, champion_version, candidate, candidate)

    _, champion_dir = registry.download_model(model_key, champion_alias)
    champion = evaluate(champion_dir, f"{champion_alias} v{champion_version}")
    if candidate.total > champion.total:
        registry.set_alias(model_key, finalist_alias, champion_version)
        registry.set_alias(model_key, champion_alias, candidate_version)
        reason = (
            f"version {candidate_version} scored {candidate.total:.3f} > {champion.total:.3f} of version "
            f"{champion_version} on the same seeds: it becomes {champion_alias}, version "
            f"{champion_version} becomes {finalist_alias}"
        )
        log.info("Gate 3: %s", reason)
        return GateDecision(True, reason, candidate_version, champion_version, candidate, champion)

    reason = (
        f"version {candidate_version} scored {candidate.total:.3f}, not above {champion.total:.3f} of "
        f"{champion_alias} version {champion_version} on the same seeds: it stays {candidate_alias}"
    )
    log.warning("Gate 3: %s", reason)
    return GateDecision(False, reason, candidate_version, champion_version, candidate, champion)
