"""The review queue: uncertain record pairs a data steward merges or rejects.

The match stage queues every pair whose match probability lies between the lower and
upper thresholds, with its explanation (per field: the agreement level and its weight).
A pair is ``open`` until a steward decides it ``merged`` or ``rejected``; the next run
applies the decision (a merged pair is matched, a rejected pair never is) and records
that run in ``applied_run``. An open pair that a later run no longer finds uncertain
(its records changed, or other evidence settled it) becomes ``superseded``; it opens
again if it turns uncertain again. Decided pairs keep their decision across runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from store.database import chunked
from store.schema import match_review

__all__ = [
    "DECISIONS",
    "OPEN",
    "QueuedPair",
    "ReviewItem",
    "decide_review",
    "get_review",
    "list_reviews",
    "mark_applied",
    "queue_pairs",
    "steward_decisions",
]

OPEN = "open"
MERGED = "merged"
REJECTED = "rejected"
SUPERSEDED = "superseded"
DECISIONS = {"merge": MERGED, "reject": REJECTED}


@dataclass(frozen=True)
class QueuedPair:
    """A pair the match stage found uncertain.

    Attributes:
        left_key: Record key (``system/entity/source_id``), the smaller one.
        right_key: The other record key.
        probability: Match probability.
        match_weight: Match weight (log2 odds).
        explanation: Per field ``{field, level, agrees, weight}``.
        left_golden_id: The left record's golden id after this run.
        right_golden_id: The right record's golden id after this run.
    """

    left_key: str
    right_key: str
    probability: float
    match_weight: float | None
    explanation: list[dict[str, Any]]
    left_golden_id: str | None = None
    right_golden_id: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    """A row of the review queue."""

    id: int
    entity: str
    left_key: str
    right_key: str
    probability: float
    match_weight: float | None
    explanation: list[dict[str, Any]]
    left_golden_id: str | None
    right_golden_id: str | None
    status: str
    run_id: str
    created_run: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    applied_run: str | None


_COLUMNS = (
    match_review.c.id,
    match_review.c.entity,
    match_review.c.left_key,
    match_review.c.right_key,
    match_review.c.probability,
    match_review.c.match_weight,
    match_review.c.explanation,
    match_review.c.left_golden_id,
    match_review.c.right_golden_id,
    match_review.c.status,
    match_review.c.run_id,
    match_review.c.created_run,
    match_review.c.created_at,
    match_review.c.decided_by,
    match_review.c.decided_at,
    match_review.c.applied_run,
)


def _item(row: Row[Any, *tuple[Any, ...]]) -> ReviewItem:
    return ReviewItem(**row._mapping)


def queue_pairs(
    connection: Connection, run_id: str, entity: str, pairs: Sequence[QueuedPair]
) -> dict[str, int]:
    """Queue this run's uncertain pairs of ``entity``.

    New pairs are added ``open``; open (or superseded) pairs are refreshed with this
    run's score and explanation; decided pairs are left alone. Open pairs of the entity
    this run did not find uncertain become ``superseded``.

    Returns:
        Counts ``queued`` (new), ``refreshed`` and ``superseded``.
    """
    existing = {
        (r.left_key, r.right_key): (r.id, r.status)
        for r in connection.execute(
            select(
                match_review.c.id,
                match_review.c.left_key,
                match_review.c.right_key,
                match_review.c.status,
            ).where(match_review.c.entity == entity)
        )
    }
    now = datetime.now(UTC)
    new_rows: list[dict[str, Any]] = []
    refreshed = 0
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        key = (pair.left_key, pair.right_key)
        seen.add(key)
        values = {
            "probability": pair.probability,
            "match_weight": pair.match_weight,
            "explanation": pair.explanation,
            "left_golden_id": pair.left_golden_id,
            "right_golden_id": pair.right_golden_id,
            "run_id": run_id,
        }
        if key not in existing:
            new_rows.append(
                {
                    "entity": entity,
                    "left_key": pair.left_key,
                    "right_key": pair.right_key,
                    "status": OPEN,
                    "created_run": run_id,
                    "created_at": now,
                    **values,
                }
            )
            continue
        row_id, status = existing[key]
        if status in (OPEN, SUPERSEDED):
            connection.execute(
                update(match_review)
                .where(match_review.c.id == row_id)
                .values(status=OPEN, **values)
            )
            refreshed += 1
    if new_rows:
        connection.execute(match_review.insert(), new_rows)
    stale = [
        row_id for key, (row_id, status) in existing.items() if status == OPEN and key not in seen
    ]
    for chunk in chunked(stale):
        connection.execute(
            update(match_review)
            .where(match_review.c.id.in_(list(chunk)))
            .values(status=SUPERSEDED, run_id=run_id)
        )
    return {"queued": len(new_rows), "refreshed": refreshed, "superseded": len(stale)}


def list_reviews(
    connection: Connection,
    entity: str | None = None,
    status: str | None = OPEN,
    *,
    run_id: str | None = None,
    limit: int | None = None,
) -> list[ReviewItem]:
    """Return queued pairs, most probable first.

    Args:
        connection: The store.
        entity: Only this entity's pairs (all when None).
        status: Only pairs in this status (all when None).
        run_id: Only pairs the run ``run_id`` last scored (all when None).
        limit: At most this many pairs (all when None).
    """
    query = select(*_COLUMNS)
    if entity:
        query = query.where(match_review.c.entity == entity)
    if status:
        query = query.where(match_review.c.status == status)
    if run_id is not None:
        query = query.where(match_review.c.run_id == run_id)
    query = query.order_by(match_review.c.probability.desc(), match_review.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [_item(row) for row in connection.execute(query)]


def get_review(connection: Connection, review_id: int) -> ReviewItem | None:
    """Return one queued pair by id, or None."""
    row = connection.execute(select(*_COLUMNS).where(match_review.c.id == review_id)).first()
    return _item(row) if row else None


def decide_review(connection: Connection, review_id: int, decision: str, by: str) -> ReviewItem:
    """Record a steward's decision (``merge`` or ``reject``) on a queued pair.

    A decision may be changed until and after it was applied; a changed decision is
    applied again by the next run.

    Raises:
        KeyError: No pair with that id.
        ValueError: An unknown decision.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {sorted(DECISIONS)}, not {decision!r}")
    if get_review(connection, review_id) is None:
        raise KeyError(f"no review pair with id {review_id}")
    connection.execute(
        update(match_review)
        .where(match_review.c.id == review_id)
        .values(
            status=DECISIONS[decision],
            decided_by=by,
            decided_at=datetime.now(UTC),
            applied_run=None,
        )
    )
    item = get_review(connection, review_id)
    assert item is not None  # noqa: S101 - just written in this transaction
    return item


def steward_decisions(connection: Connection, entity: str) -> list[ReviewItem]:
    """Return the decided (merged or rejected) pairs of ``entity``."""
    query = select(*_COLUMNS).where(
        match_review.c.entity == entity, match_review.c.status.in_([MERGED, REJECTED])
    )
    return [_item(row) for row in connection.execute(query.order_by(match_review.c.id))]


def mark_applied(connection: Connection, run_id: str, review_ids: Sequence[int]) -> None:
    """Record that ``run_id`` applied the decisions ``review_ids`` for the first time."""
    for chunk in chunked(list(review_ids)):
        connection.execute(
            update(match_review)
            .where(match_review.c.id.in_(list(chunk)))
            .values(applied_run=run_id)
        )
