"""Deferred updates: target records changed since our pull, therefore not overwritten.

The next run re-pulls such a record (its change moved it past the cursor), re-matches
it and plans the update again with the new timestamp; the run whose write then succeeds
resolves the deferral.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select, update

from store.database import chunked, upsert
from store.schema import publish_conflicts


@dataclass(frozen=True)
class Deferred:
    """An update a target did not get because it changed the record since our pull."""

    run_id: str
    target: str
    entity: str
    target_id: str
    golden_id: str
    expected_updated_at: str | None
    detail: str


def defer(connection: Connection, deferred: Sequence[Deferred]) -> None:
    """Record deferred updates (one row per run and target record)."""
    now = datetime.now(UTC)
    upsert(
        connection,
        publish_conflicts,
        [
            {
                "run_id": d.run_id,
                "target": d.target,
                "entity": d.entity,
                "target_id": d.target_id,
                "golden_id": d.golden_id,
                "expected_updated_at": d.expected_updated_at,
                "detail": d.detail[:2000],
                "created_at": now,
                "resolved_run": None,
            }
            for d in deferred
        ],
        ["run_id", "target", "entity", "target_id"],
    )


def resolve(
    connection: Connection, run_id: str, target: str, entity: str, target_ids: Sequence[str]
) -> None:
    """Close the deferrals of records whose update the target has now taken."""
    for chunk in chunked(target_ids):
        connection.execute(
            update(publish_conflicts)
            .where(
                publish_conflicts.c.target == target,
                publish_conflicts.c.entity == entity,
                publish_conflicts.c.target_id.in_(list(chunk)),
                publish_conflicts.c.resolved_run.is_(None),
            )
            .values(resolved_run=run_id)
        )


def deferred_of_run(connection: Connection, run_id: str) -> list[Deferred]:
    """Return the updates ``run_id`` deferred, by target and record."""
    rows = connection.execute(
        select(
            publish_conflicts.c.run_id,
            publish_conflicts.c.target,
            publish_conflicts.c.entity,
            publish_conflicts.c.target_id,
            publish_conflicts.c.golden_id,
            publish_conflicts.c.expected_updated_at,
            publish_conflicts.c.detail,
        )
        .where(publish_conflicts.c.run_id == run_id)
        .order_by(publish_conflicts.c.target, publish_conflicts.c.target_id)
    )
    return [Deferred(*r) for r in rows]
