"""Source records: the latest known version of every record of every source system.

Each row holds the payload hash (to tell changed from unchanged re-pulls), the mapped
canonical record (JSON) and a status: ``ok`` (eligible for matching), ``quarantined``
(held back by a mapping error or a quality rule) or ``deleted``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, tuple_, update

from store.database import chunked, upsert
from store.schema import source_records

OK = "ok"
QUARANTINED = "quarantined"


_STATE_COLUMNS = (
    source_records.c.system,
    source_records.c.entity,
    source_records.c.source_id,
    source_records.c.payload_hash,
    source_records.c.canonical,
    source_records.c.status,
    source_records.c.needs_match,
    source_records.c.ignored_fields,
)


@dataclass(frozen=True)
class SourceRecordState:
    """A source record's stored state."""

    system: str
    entity: str
    source_id: str
    payload_hash: str
    canonical: dict[str, Any] | None
    status: str
    needs_match: bool = True
    ignored_fields: list[str] | None = None


def known_states(
    connection: Connection, system: str, entity: str, source_ids: Sequence[str]
) -> dict[str, SourceRecordState]:
    """Return the stored state of those of ``source_ids`` that are known, by source id."""
    found: dict[str, SourceRecordState] = {}
    for chunk in chunked(source_ids):
        rows = connection.execute(
            select(*_STATE_COLUMNS).where(
                source_records.c.system == system,
                source_records.c.entity == entity,
                source_records.c.source_id.in_(list(chunk)),
            )
        )
        found.update({r[2]: SourceRecordState(*r) for r in rows})
    return found


def save_records(
    connection: Connection,
    run_id: str,
    states: Iterable[SourceRecordState],
    updated: dict[str, str],
) -> int:
    """Upsert source record states; ``updated`` maps source_id → source timestamp.

    Returns:
        The number of rows written.
    """
    now = datetime.now(UTC)
    rows = [
        {
            "system": s.system,
            "entity": s.entity,
            "source_id": s.source_id,
            "payload_hash": s.payload_hash,
            "canonical": s.canonical,
            "status": s.status,
            "needs_match": s.needs_match,
            "ignored_fields": s.ignored_fields,
            "source_updated_at": updated.get(s.source_id),
            "first_seen_run": run_id,
            "last_changed_run": run_id,
            "last_seen_at": now,
        }
        for s in states
    ]
    if not rows:
        return 0
    existing = {
        (r[0], r[1], r[2]): r[3]
        for r in connection.execute(
            select(
                source_records.c.system,
                source_records.c.entity,
                source_records.c.source_id,
                source_records.c.first_seen_run,
            ).where(
                tuple_(
                    source_records.c.system, source_records.c.entity, source_records.c.source_id
                ).in_([(r["system"], r["entity"], r["source_id"]) for r in rows])
            )
        )
    }
    for row in rows:
        row["first_seen_run"] = existing.get(
            (row["system"], row["entity"], row["source_id"]), run_id
        )
    upsert(connection, source_records, rows, ["system", "entity", "source_id"])
    return len(rows)


def records_with_status(
    connection: Connection, entity: str, status: str = OK
) -> list[SourceRecordState]:
    """Return every source record of ``entity`` in ``status``, ordered by key."""
    rows = connection.execute(
        select(*_STATE_COLUMNS)
        .where(source_records.c.entity == entity, source_records.c.status == status)
        .order_by(source_records.c.system, source_records.c.source_id)
    )
    return [SourceRecordState(*row) for row in rows]


def count_by_status(connection: Connection, entity: str) -> dict[str, dict[str, int]]:
    """Return ``system -> status -> count`` of the source records of ``entity``."""
    rows = connection.execute(
        select(source_records.c.system, source_records.c.status, func.count())
        .where(source_records.c.entity == entity)
        .group_by(source_records.c.system, source_records.c.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for system, status, count in rows:
        counts.setdefault(system, {})[status] = count
    return counts


def _update(
    connection: Connection, entity: str, keys: Sequence[tuple[str, str]], **values: Any
) -> None:
    for chunk in chunked(keys):
        connection.execute(
            update(source_records)
            .where(
                source_records.c.entity == entity,
                tuple_(source_records.c.system, source_records.c.source_id).in_(list(chunk)),
            )
            .values(**values)
        )


def set_status(
    connection: Connection, entity: str, keys: Sequence[tuple[str, str]], status: str
) -> None:
    """Set the status of the source records ``(system, source_id)`` of ``entity``."""
    _update(connection, entity, keys, status=status)


def mark_matched(connection: Connection, entity: str, keys: Sequence[tuple[str, str]]) -> None:
    """Record that the source records ``(system, source_id)`` have been matched."""
    _update(connection, entity, keys, needs_match=False)
