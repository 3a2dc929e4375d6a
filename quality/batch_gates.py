"""Batch gates: whole-batch checks that stop a run before anything is matched or pushed.

Each gate returns a :class:`GateDecision`; a failing decision's ``cause`` is the one line
shown in the Airflow task log, the run record and the audit report.

* ``failure_ratio`` — too large a share of the batch failed mapping or quality rules.
* ``schema_drift`` — a column the mapping reads is missing from the source's records.
* ``row_count_collapse`` — the source now holds far fewer records than at the last good
  run (a truncated extract must never blank out the golden master or the targets).
* ``stale_data`` — the source's newest change is older than allowed (a stuck feed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from mappings.spec import MappingSpec


class BatchBlockedError(RuntimeError):
    """The batch gate stopped the run; the message is the one-line cause."""


@dataclass(frozen=True)
class GateDecision:
    """The verdict of one batch gate on one source (or the whole batch)."""

    gate: str
    subject: str
    passed: bool
    detail: str

    @property
    def cause(self) -> str:
        """One line saying what stopped the run."""
        return f"{self.gate} ({self.subject}): {self.detail}"


def failure_ratio(entity: str, failed: int, total: int, limit: float) -> GateDecision:
    """Fail when more than ``limit`` of the ``total`` changed records failed."""
    share = failed / total if total else 0.0
    return GateDecision(
        "failure_ratio",
        entity,
        share <= limit,
        f"{failed} of {total} changed records failed mapping or quality rules "
        f"({share:.1%}, limit {limit:.1%})",
    )


def mapped_columns(mapping: MappingSpec) -> set[str]:
    """Return the source columns the mapping reads (the primary key included)."""
    columns = {mapping.source.primary_key}
    if mapping.source.updated_at:
        columns.add(mapping.source.updated_at)
    for rule in mapping.inbound_rules().values():
        if rule.column:
            columns.add(rule.column)
        columns.update(rule.columns or ())
    return columns


def schema_drift(mapping: MappingSpec, seen_columns: Iterable[str], records: int) -> GateDecision:
    """Fail when columns the mapping reads are absent from every pulled record."""
    subject = f"{mapping.system}/{mapping.source.table}"
    if not records:
        return GateDecision("schema_drift", subject, True, "no records pulled to inspect")
    missing = sorted(mapped_columns(mapping) - set(seen_columns))
    detail = (
        f"mapped columns missing from the source: {', '.join(missing)}"
        if missing
        else "all mapped columns present"
    )
    return GateDecision("schema_drift", subject, not missing, detail)


def row_count_collapse(
    subject: str, current: int | None, previous: int | None, max_drop: float
) -> GateDecision:
    """Fail when the source's count fell by more than ``max_drop`` since the last good run."""
    if current is None or not previous:
        return GateDecision("row_count_collapse", subject, True, "no earlier count to compare")
    drop = (previous - current) / previous
    return GateDecision(
        "row_count_collapse",
        subject,
        drop <= max_drop,
        f"source holds {current} records, {previous} at the last good run "
        f"({-drop:+.1%}; a drop over {max_drop:.0%} looks like a truncated extract)",
    )


def stale_data(
    subject: str, newest: str | None, max_age_hours: float | None, now: datetime | None = None
) -> GateDecision:
    """Fail when the source's newest change is older than ``max_age_hours``."""
    if max_age_hours is None or not newest:
        return GateDecision("stale_data", subject, True, "staleness not checked")
    try:
        moment = datetime.fromisoformat(newest)
    except ValueError:
        return GateDecision("stale_data", subject, True, f"newest change {newest!r} not a time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    age_hours = ((now or datetime.now(UTC)) - moment).total_seconds() / 3600
    return GateDecision(
        "stale_data",
        subject,
        age_hours <= max_age_hours,
        f"newest change {newest} is {age_hours:.1f} h old (limit {max_age_hours:g} h)",
    )
