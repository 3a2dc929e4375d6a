"""Steward overrides: values a data steward set on a golden record by hand.

An override beats every survivorship rule for its field until it is cleared; the
golden record's lineage then names the steward and the time. A field may be dotted to
set one part of a nested value (``bill_to.city``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from store.database import upsert
from store.schema import golden_overrides

__all__ = ["GoldenOverride", "clear_override", "load_overrides", "set_override"]


@dataclass(frozen=True)
class GoldenOverride:
    """A steward's value for one field of one golden record."""

    golden_id: str
    field: str
    value: Any
    set_by: str
    set_at: datetime


def set_override(
    connection: Connection, entity: str, golden_id: str, field: str, value: Any, by: str
) -> GoldenOverride:
    """Set (or replace) the override of ``field`` on ``golden_id``."""
    now = datetime.now(UTC)
    upsert(
        connection,
        golden_overrides,
        [
            {
                "golden_id": golden_id,
                "field": field,
                "entity": entity,
                "value": value,
                "set_by": by,
                "set_at": now,
            }
        ],
        ["golden_id", "field"],
    )
    return GoldenOverride(golden_id, field, value, by, now)


def clear_override(connection: Connection, golden_id: str, field: str) -> bool:
    """Remove the override of ``field`` on ``golden_id``; return whether there was one."""
    result = connection.execute(
        delete(golden_overrides).where(
            golden_overrides.c.golden_id == golden_id, golden_overrides.c.field == field
        )
    )
    return bool(result.rowcount)


def load_overrides(connection: Connection, entity: str) -> dict[str, list[GoldenOverride]]:
    """Return the overrides of ``entity`` by golden id, each list ordered by field."""
    rows = connection.execute(
        select(
            golden_overrides.c.golden_id,
            golden_overrides.c.field,
            golden_overrides.c.value,
            golden_overrides.c.set_by,
            golden_overrides.c.set_at,
        )
        .where(golden_overrides.c.entity == entity)
        .order_by(golden_overrides.c.golden_id, golden_overrides.c.field)
    )
    out: dict[str, list[GoldenOverride]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(GoldenOverride(*row))
    return out
