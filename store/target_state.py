"""What a target system holds, as crmsync last pulled it: raw values and change times.

Publishing compares against it (field diffs of ``crmsync plan``, values of columns the
target owns) and passes the pulled change time on for the target's compare-and-set.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, select

from store.database import chunked
from store.schema import source_records, staging


def pulled_timestamps(connection: Connection, system: str, entity: str) -> dict[str, str | None]:
    """Return ``source_id -> the record's own change time`` as last pulled from ``system``."""
    rows = connection.execute(
        select(source_records.c.source_id, source_records.c.source_updated_at).where(
            source_records.c.system == system, source_records.c.entity == entity
        )
    )
    return {r[0]: r[1] for r in rows}


def latest_payloads(
    connection: Connection, system: str, entity: str, source_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Return the newest raw payload landed for each of ``source_ids`` (absent: never pulled)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunked(sorted(source_ids)):
        newest = (
            select(func.max(staging.c.id))
            .where(
                staging.c.system == system,
                staging.c.entity == entity,
                staging.c.source_id.in_(list(chunk)),
            )
            .group_by(staging.c.source_id)
        )
        rows = connection.execute(
            select(staging.c.source_id, staging.c.payload).where(staging.c.id.in_(newest))
        )
        found.update({r[0]: r[1] for r in rows})
    return found
