"""The row gate: validates records and says which fail which rule.

:func:`validate` is the one entry point the pipeline calls for a stage of an entity; it
returns per-rule counts (for the audit report) and the failing records (for quarantine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quality.batch_gates import BatchBlockedError, failure_ratio
from quality.rules import RULES, check_record
from store.quality_log import RuleOutcome

__all__ = ["BatchBlockedError", "RowFailure", "Validation", "enforce_failure_ratio", "validate"]


@dataclass(frozen=True)
class RowFailure:
    """One record failing one rule; ``value`` is raw (callers mask it before storing)."""

    system: str
    source_id: str
    rule: str
    column: str | None
    value: Any
    reason: str


@dataclass
class Validation:
    """Per-rule outcomes and the failing records of one validation."""

    outcomes: list[RuleOutcome] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    def failed_keys(self) -> set[tuple[str, str]]:
        """Return the (system, source_id) of every record that failed a rule."""
        return {(f.system, f.source_id) for f in self.failures}


def validate(
    entity: str,
    stage: str,
    rows: Sequence[tuple[str, str, dict[str, Any]]],
    references: Mapping[str, set[tuple[str, str]]] | None = None,
) -> Validation:
    """Validate ``(system, source_id, canonical)`` rows of ``entity`` at ``stage``."""
    del references  # referential rules need the full suites
    result = Validation()
    counts: dict[tuple[str, str], int] = {}
    for system, source_id, record in rows:
        for failure in check_record(entity, record):
            result.failures.append(
                RowFailure(
                    system, source_id, failure.rule, failure.field, failure.value, failure.reason
                )
            )
            key = (failure.rule, failure.field)
            counts[key] = counts.get(key, 0) + 1
    for rule in RULES.get(entity, ()):
        failed = counts.get((rule.name, rule.field), 0)
        result.outcomes.append(
            RuleOutcome(stage, rule.name, rule.field, len(rows), failed, rule.reason)
        )
    return result


def enforce_failure_ratio(entity: str, failed: int, total: int, limit: float) -> None:
    """Raise :class:`BatchBlockedError` when ``failed / total`` exceeds ``limit``."""
    decision = failure_ratio(entity, failed, total, limit)
    if not decision.passed:
        raise BatchBlockedError(decision.cause)
