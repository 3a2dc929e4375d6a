"""The skeleton quality gate: row rules quarantine bad records, a batch gate stops a run.

The batch gate stops a run before anything is matched or pushed when the share of
records failing the row rules (mapping errors included) exceeds the configured limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quality.rules import RuleFailure, check_record


class BatchBlockedError(RuntimeError):
    """The batch gate stopped the run; the message is the one-line cause."""


@dataclass
class GateOutcome:
    """Row results of one gate pass: the passing keys and the failures per key."""

    passed: list[tuple[str, str]] = field(default_factory=list)
    failed: dict[tuple[str, str], list[RuleFailure]] = field(default_factory=dict)


def check_rows(entity: str, rows: list[tuple[str, str, dict[str, Any]]]) -> GateOutcome:
    """Apply the row rules of ``entity`` to ``(system, source_id, canonical)`` rows."""
    outcome = GateOutcome()
    for system, source_id, record in rows:
        failures = check_record(entity, record)
        if failures:
            outcome.failed[(system, source_id)] = failures
        else:
            outcome.passed.append((system, source_id))
    return outcome


def enforce_failure_ratio(entity: str, failed: int, total: int, limit: float) -> None:
    """Raise :class:`BatchBlockedError` when ``failed / total`` exceeds ``limit``."""
    if total and failed / total > limit:
        raise BatchBlockedError(
            f"{entity}: {failed} of {total} changed records failed quality rules "
            f"({failed / total:.1%} > limit {limit:.1%}); run stopped before match and publish"
        )
