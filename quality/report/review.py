"""The review queue in the audit report: the uncertain pairs a run left for a steward.

Reads ``match_review`` for the run's entity: the open pairs this run scored, with a
one-line summary of their explanation and the names of both records (masked where
personal, from ``source_records``), how many pairs are open in all, and how many steward
decisions the run applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from quality.report.identity import display_name
from quality.report.model import Capped, ReviewPair, ReviewQueue
from store.database import chunked
from store.review import OPEN, list_reviews
from store.schema import match_review, source_records

EVIDENCE_FIELDS = 4
"""Fields named in a pair's evidence summary: those weighing most either way."""


def review_of_run(
    connection: Connection, run_id: str, entity: str, *, unmasked: bool, cap: int
) -> ReviewQueue:
    """Return the review queue as the run ``run_id`` of ``entity`` left it."""
    where = (
        match_review.c.entity == entity,
        match_review.c.status == OPEN,
        match_review.c.run_id == run_id,
    )
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    items = list_reviews(connection, entity, OPEN, run_id=run_id, limit=cap)
    keys = [key for item in items for key in (item.left_key, item.right_key)]
    names = _record_names(connection, entity, keys, unmasked)
    pairs = tuple(
        ReviewPair(
            review_id=int(item.id),
            left=item.left_key,
            right=item.right_key,
            left_name=names.get(item.left_key),
            right_name=names.get(item.right_key),
            probability=float(item.probability),
            match_weight=None if item.match_weight is None else float(item.match_weight),
            evidence=evidence_summary(item.explanation or ()),
            left_golden_id=item.left_golden_id,
            right_golden_id=item.right_golden_id,
            new_in_run=item.created_run == run_id,
        )
        for item in items
    )
    open_total = int(
        connection.execute(
            select(func.count()).where(
                match_review.c.entity == entity, match_review.c.status == OPEN
            )
        ).scalar_one()
    )
    applied = int(
        connection.execute(
            select(func.count()).where(
                match_review.c.entity == entity, match_review.c.applied_run == run_id
            )
        ).scalar_one()
    )
    return ReviewQueue(Capped(pairs, total), open_total, applied)


def evidence_summary(explanation: Iterable[Mapping[str, Any]]) -> str:
    """Sum up a pair's explanation: the heaviest fields with level and signed weight.

    Example: ``email exact +7.9 · name jw>=0.88 +3.1 · phone different -4.2``. Fields
    without evidence (a value missing) are left out; the rest are ranked by how much
    they weigh either way.
    """
    items = [
        item
        for item in explanation
        if isinstance(item, Mapping) and item.get("agrees") is not None and "field" in item
    ]
    items.sort(key=lambda item: -abs(_weight(item)))
    parts = [
        f"{item['field']} {item.get('level', '?')} {_weight(item):+.1f}"
        for item in items[:EVIDENCE_FIELDS]
    ]
    if len(items) > EVIDENCE_FIELDS:
        parts.append(f"{len(items) - EVIDENCE_FIELDS} more")
    return " · ".join(parts) or "no field evidence"


def _weight(item: Mapping[str, Any]) -> float:
    try:
        return float(item.get("weight") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _record_names(
    connection: Connection, entity: str, keys: Sequence[str], unmasked: bool
) -> dict[str, str | None]:
    """Return record key → its name as it may be shown, for the keys still stored."""
    by_system: dict[str, list[str]] = {}
    for key in set(keys):
        system, _entity, source_id = key.split("/", 2)
        by_system.setdefault(system, []).append(source_id)
    names: dict[str, str | None] = {}
    for system, source_ids in by_system.items():
        for chunk in chunked(sorted(source_ids)):
            for source_id, canonical in connection.execute(
                select(source_records.c.source_id, source_records.c.canonical).where(
                    source_records.c.system == system,
                    source_records.c.entity == entity,
                    source_records.c.source_id.in_(list(chunk)),
                )
            ):
                names[f"{system}/{entity}/{source_id}"] = display_name(
                    canonical or {}, unmasked=unmasked
                )
    return names
