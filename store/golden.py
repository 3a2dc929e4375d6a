"""The golden master: golden records, cross-references to source records, match events.

A golden record is one real customer or product. ``xrefs`` links every source record
(system, entity, source id) to its golden id — the cross-reference table every target
system gets a copy of. ``match_events`` records creations, merges, splits and
retirements of golden ids, so any golden id's history can be traced, and ``detach``
when a source deleted a member record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, tuple_, update

from store.database import chunked, upsert
from store.schema import golden_records, match_events, source_records, xrefs


@dataclass(frozen=True)
class XrefLink:
    """A source record's link to its golden record, with the evidence for it."""

    system: str
    source_id: str
    golden_id: str
    score: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class GoldenRecord:
    """A golden record's values and the lineage of each value."""

    golden_id: str
    data: dict[str, Any]
    lineage: dict[str, Any]
    content_hash: str
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class MatchEvent:
    """A change of identity: a golden id created, merged, split or retired."""

    event: str
    golden_id: str
    other_golden_ids: tuple[str, ...] = ()
    members: tuple[str, ...] = field(default_factory=tuple)


def load_xrefs(connection: Connection, entity: str) -> dict[tuple[str, str], str]:
    """Return ``(system, source_id) -> golden_id`` for every cross-reference of ``entity``."""
    rows = connection.execute(
        select(xrefs.c.system, xrefs.c.source_id, xrefs.c.golden_id).where(xrefs.c.entity == entity)
    )
    return {(r[0], r[1]): r[2] for r in rows}


def save_xrefs(connection: Connection, run_id: str, entity: str, links: Sequence[XrefLink]) -> int:
    """Upsert cross-references; only links whose golden id changed get ``linked_run`` anew.

    Returns:
        The number of links that are new or point to another golden id than before.
    """
    previous = load_xrefs(connection, entity)
    changed = [
        {
            "system": link.system,
            "entity": entity,
            "source_id": link.source_id,
            "golden_id": link.golden_id,
            "match_score": None if link.score is None else f"{link.score:.4f}",
            "match_reason": link.reason,
            "linked_run": run_id,
        }
        for link in links
        if previous.get((link.system, link.source_id)) != link.golden_id
    ]
    upsert(connection, xrefs, changed, ["system", "entity", "source_id"])
    return len(changed)


def load_active_golden(connection: Connection, entity: str) -> dict[str, GoldenRecord]:
    """Return the active golden records of ``entity`` by golden id."""
    rows = connection.execute(
        select(
            golden_records.c.golden_id,
            golden_records.c.data,
            golden_records.c.lineage,
            golden_records.c.content_hash,
        ).where(golden_records.c.entity == entity, golden_records.c.status == "active")
    )
    return {r[0]: GoldenRecord(r[0], r[1], r[2], r[3]) for r in rows}


def save_golden(
    connection: Connection, run_id: str, entity: str, records: Iterable[GoldenRecord]
) -> dict[str, int]:
    """Write golden records; only those whose values changed count as updated.

    ``confirmed_at`` is when a source last confirmed the record (its newest member's own
    change time); records without one count as confirmed now. Unchanged records still get
    their confirmation time and lineage refreshed (which member a value is credited to can
    change without the value changing).

    Returns:
        Counts ``created``, ``updated`` and ``unchanged``.
    """
    now = datetime.now(UTC)
    existing = {
        r[0]: (r[1], r[2], r[3])
        for r in connection.execute(
            select(
                golden_records.c.golden_id,
                golden_records.c.content_hash,
                golden_records.c.created_run,
                golden_records.c.status,
            ).where(golden_records.c.entity == entity)
        )
    }
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    rows: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    for record in records:
        before = existing.get(record.golden_id)
        if before and before[0] == record.content_hash and before[2] == "active":
            counts["unchanged"] += 1
            refreshed.append(
                {
                    "b_id": record.golden_id,
                    "b_confirmed": record.confirmed_at or now,
                    "b_lineage": record.lineage,
                }
            )
            continue
        counts["updated" if before else "created"] += 1
        rows.append(
            {
                "golden_id": record.golden_id,
                "entity": entity,
                "data": record.data,
                "lineage": record.lineage,
                "content_hash": record.content_hash,
                "status": "active",
                "created_run": before[1] if before else run_id,
                "updated_run": run_id,
                "confirmed_at": record.confirmed_at or now,
            }
        )
    upsert(connection, golden_records, rows, ["golden_id"])
    if refreshed:
        connection.execute(
            update(golden_records)
            .where(golden_records.c.golden_id == bindparam("b_id"))
            .values(confirmed_at=bindparam("b_confirmed"), lineage=bindparam("b_lineage")),
            refreshed,
        )
    return counts


def retire_golden(connection: Connection, run_id: str, golden_ids: Iterable[str]) -> int:
    """Mark golden records retired (their source records merged elsewhere or vanished)."""
    ids = list(golden_ids)
    for chunk in chunked(ids):
        connection.execute(
            update(golden_records)
            .where(golden_records.c.golden_id.in_(list(chunk)))
            .values(status="retired", updated_run=run_id)
        )
    return len(ids)


def record_events(
    connection: Connection, run_id: str, entity: str, events: Sequence[MatchEvent]
) -> None:
    """Append match events of a run."""
    if not events:
        return
    now = datetime.now(UTC)
    connection.execute(
        match_events.insert(),
        [
            {
                "run_id": run_id,
                "entity": entity,
                "event": e.event,
                "golden_id": e.golden_id,
                "other_golden_ids": list(e.other_golden_ids),
                "members": list(e.members),
                "created_at": now,
            }
            for e in events
        ],
    )


def golden_count(connection: Connection, entity: str) -> int:
    """Return the number of active golden records of ``entity``."""
    return int(
        connection.execute(
            select(func.count()).where(
                golden_records.c.entity == entity, golden_records.c.status == "active"
            )
        ).scalar_one()
    )


def members_by_golden(connection: Connection, entity: str) -> Mapping[str, list[tuple[str, str]]]:
    """Return ``golden_id -> [(system, source_id), ...]`` from the cross-references."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for (system, source_id), golden_id in sorted(load_xrefs(connection, entity).items()):
        grouped.setdefault(golden_id, []).append((system, source_id))
    return grouped


DELETED = "deleted"


def retire_missing(
    connection: Connection, run_id: str, entity: str, system: str, present: Iterable[str]
) -> list[str]:
    """Retire the source records of ``system`` that the source no longer holds.

    Each missing record gets status ``deleted`` (it no longer takes part in matching),
    its cross-reference is removed, and a ``detach`` event per golden record names the
    records that left it. The match stage then retires golden records left without
    members, and survive re-computes the others from the members they keep.

    Args:
        connection: The store, in a transaction.
        run_id: The run that noticed.
        entity: The entity.
        system: The source system.
        present: Every primary key the source holds now (``Connector.keys``).

    Returns:
        The source ids retired, sorted.
    """
    holds = set(present)
    known = set(
        connection.execute(
            select(source_records.c.source_id).where(
                source_records.c.system == system,
                source_records.c.entity == entity,
                source_records.c.status != DELETED,
            )
        ).scalars()
    )
    links = load_xrefs(connection, entity)
    # A record crmsync created in the target is linked before it is ever pulled.
    known.update(source_id for (linked, source_id) in links if linked == system)
    gone = sorted(source_id for source_id in known if source_id not in holds)
    if not gone:
        return []
    left: dict[str, list[str]] = {}
    for source_id in gone:
        golden_id = links.get((system, source_id))
        if golden_id:
            left.setdefault(golden_id, []).append(f"{system}/{entity}/{source_id}")
    for chunk in chunked(gone):
        connection.execute(
            update(source_records)
            .where(
                source_records.c.system == system,
                source_records.c.entity == entity,
                source_records.c.source_id.in_(list(chunk)),
            )
            .values(status=DELETED)
        )
        connection.execute(
            delete(xrefs).where(
                xrefs.c.entity == entity,
                tuple_(xrefs.c.system, xrefs.c.source_id).in_([(system, sid) for sid in chunk]),
            )
        )
    record_events(
        connection,
        run_id,
        entity,
        [MatchEvent("detach", g, (), tuple(keys)) for g, keys in sorted(left.items())],
    )
    return gone
