"""The row gate: the one entry point the pipeline calls to validate a stage of an entity.

It runs the entity's Great Expectations suite (``quality/suites/<entity>.<stage>.json``)
and returns per-rule counts (for the audit report) and the failing records (for
quarantine). See :mod:`quality.validation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quality.batch_gates import BatchBlockedError
from quality.validation import RowFailure, SuiteOutcome, validate_records

__all__ = ["BatchBlockedError", "RowFailure", "failed_keys", "validate"]


def validate(
    entity: str,
    stage: str,
    rows: Sequence[tuple[str, str, dict[str, Any]]],
    references: Mapping[str, set[tuple[str, str]]] | None = None,
) -> SuiteOutcome:
    """Validate ``(system, source_id, canonical)`` rows of ``entity`` at ``stage``."""
    return validate_records(entity, stage, rows, references)


def failed_keys(outcome: SuiteOutcome) -> set[tuple[str, str]]:
    """Return the (system, source_id) of every record that failed a rule."""
    return {(f.system, f.source_id) for f in outcome.failures}
