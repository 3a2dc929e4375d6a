"""The quarantine: records held back from matching and publishing, with the reason.

A held record names the run, the stage (``map`` or ``gate``), the rule, the column and
the offending value (masked by the caller where it is personal). When a later pull brings
a version that passes, the open entries are released (``released_run`` set).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select, update

from store.database import chunked
from store.schema import quarantine


@dataclass(frozen=True)
class QuarantineEntry:
    """Why one record is held back."""

    system: str
    entity: str
    source_id: str
    stage: str
    rule: str
    column: str | None
    value: str | None
    reason: str
    payload_hash: str


def hold(connection: Connection, run_id: str, entries: Sequence[QuarantineEntry]) -> None:
    """Add quarantine entries for ``run_id``."""
    if not entries:
        return
    now = datetime.now(UTC)
    connection.execute(
        quarantine.insert(),
        [
            {
                "run_id": run_id,
                "system": e.system,
                "entity": e.entity,
                "source_id": e.source_id,
                "stage": e.stage,
                "rule": e.rule,
                "column": e.column,
                "value": e.value,
                "reason": e.reason,
                "payload_hash": e.payload_hash,
                "created_at": now,
            }
            for e in entries
        ],
    )


def release(
    connection: Connection, run_id: str, system: str, entity: str, source_ids: Iterable[str]
) -> int:
    """Release the open entries of records that now pass; return how many were released."""
    ids = list(source_ids)
    released = 0
    for chunk in chunked(ids):
        result = connection.execute(
            update(quarantine)
            .where(
                quarantine.c.system == system,
                quarantine.c.entity == entity,
                quarantine.c.source_id.in_(list(chunk)),
                quarantine.c.released_run.is_(None),
            )
            .values(released_run=run_id)
        )
        released += result.rowcount or 0
    return released


def open_entries(connection: Connection, entity: str) -> list[QuarantineEntry]:
    """Return the entries of ``entity`` that are still held, oldest first."""
    rows = connection.execute(
        select(
            quarantine.c.system,
            quarantine.c.entity,
            quarantine.c.source_id,
            quarantine.c.stage,
            quarantine.c.rule,
            quarantine.c.column,
            quarantine.c.value,
            quarantine.c.reason,
            quarantine.c.payload_hash,
        )
        .where(quarantine.c.entity == entity, quarantine.c.released_run.is_(None))
        .order_by(quarantine.c.id)
    )
    return [QuarantineEntry(*row) for row in rows]


def held_record_count(connection: Connection, entity: str) -> dict[str, int]:
    """Return ``system -> number of distinct records`` currently held for ``entity``."""
    rows = connection.execute(
        select(quarantine.c.system, func.count(func.distinct(quarantine.c.source_id)))
        .where(quarantine.c.entity == entity, quarantine.c.released_run.is_(None))
        .group_by(quarantine.c.system)
    )
    return {system: count for system, count in rows}
