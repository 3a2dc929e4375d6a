"""Dead letters: records a target refused, parked with the target's own message.

A parked record does not block the others. It is planned again on every later run (the
outbox never confirmed it), and its dead letter is resolved by the run whose retry the
target accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select, tuple_, update

from store.database import chunked, upsert
from store.schema import dead_letters


@dataclass(frozen=True)
class Rejection:
    """A change a target refused, and why (the target's message)."""

    target: str
    entity: str
    target_id: str
    golden_id: str
    operation: str
    error: str


@dataclass(frozen=True)
class DeadLetter:
    """A parked record: the last rejection, how often it was tried, since when."""

    target: str
    entity: str
    target_id: str
    golden_id: str
    operation: str
    error: str
    attempts: int
    first_run: str
    last_run: str
    first_failed_at: datetime
    last_failed_at: datetime
    resolved_run: str | None


def park(connection: Connection, run_id: str, rejections: Sequence[Rejection]) -> None:
    """Park (or, if already parked, count another attempt of) each rejected record."""
    if not rejections:
        return
    keys = [(r.target, r.entity, r.target_id) for r in rejections]
    before: dict[tuple[str, str, str], tuple[int, str, datetime, str | None]] = {}
    for chunk in chunked(keys):
        rows = connection.execute(
            select(
                dead_letters.c.target,
                dead_letters.c.entity,
                dead_letters.c.target_id,
                dead_letters.c.attempts,
                dead_letters.c.first_run,
                dead_letters.c.first_failed_at,
                dead_letters.c.resolved_run,
            ).where(
                tuple_(dead_letters.c.target, dead_letters.c.entity, dead_letters.c.target_id).in_(
                    list(chunk)
                )
            )
        )
        before.update({(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6]) for r in rows})
    now = datetime.now(UTC)
    rows_out = []
    for r in rejections:
        attempts, first_run, first_at, resolved = before.get(
            (r.target, r.entity, r.target_id), (0, run_id, now, None)
        )
        if resolved is not None:  # parked again after a success: a new episode
            attempts, first_run, first_at = 0, run_id, now
        rows_out.append(
            {
                "target": r.target,
                "entity": r.entity,
                "target_id": r.target_id,
                "golden_id": r.golden_id,
                "operation": r.operation,
                "error": r.error[:4000],
                "attempts": attempts + 1,
                "first_run": first_run,
                "last_run": run_id,
                "first_failed_at": first_at,
                "last_failed_at": now,
                "resolved_run": None,
            }
        )
    upsert(connection, dead_letters, rows_out, ["target", "entity", "target_id"])


def resolve(
    connection: Connection, run_id: str, target: str, entity: str, target_ids: Sequence[str]
) -> None:
    """Close the dead letters of records the target has now accepted."""
    for chunk in chunked(target_ids):
        connection.execute(
            update(dead_letters)
            .where(
                dead_letters.c.target == target,
                dead_letters.c.entity == entity,
                dead_letters.c.target_id.in_(list(chunk)),
                dead_letters.c.resolved_run.is_(None),
            )
            .values(resolved_run=run_id)
        )


def open_dead_letters(
    connection: Connection,
    entity: str | None = None,
    target: str | None = None,
    *,
    limit: int | None = None,
) -> list[DeadLetter]:
    """Return the unresolved dead letters (optionally of one entity / target).

    Ordered by target and target id; at most ``limit`` of them (all when None).
    """
    query = select(dead_letters).where(dead_letters.c.resolved_run.is_(None))
    if entity is not None:
        query = query.where(dead_letters.c.entity == entity)
    if target is not None:
        query = query.where(dead_letters.c.target == target)
    query = query.order_by(dead_letters.c.target, dead_letters.c.target_id)
    if limit is not None:
        query = query.limit(limit)
    rows = connection.execute(query).mappings()
    return [DeadLetter(**dict(r)) for r in rows]
