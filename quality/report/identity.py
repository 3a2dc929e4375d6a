"""The golden side of the audit report: merges with their evidence, lineage, staleness.

Reads ``match_events``, ``xrefs`` and ``golden_records`` for one run and turns them into
report sections. Golden values are masked here (unless the report is unmasked) so that
no writer ever sees a personal value it must not show.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from quality.masking import mask, shown_value
from quality.report.model import (
    Capped,
    GoldenLineage,
    IdentityChange,
    IdentityCounts,
    LineageValue,
    MatchMember,
    Merge,
    Staleness,
    StaleRecord,
)
from store.database import chunked
from store.schema import golden_records, match_events, xrefs

_LIST_SEPARATOR = ", "


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (SQLite hands back naive UTC values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def identity_counts(connection: Connection, run_id: str) -> IdentityCounts:
    """Count the run's match events by kind."""
    rows = connection.execute(
        select(match_events.c.event, func.count())
        .where(match_events.c.run_id == run_id)
        .group_by(match_events.c.event)
    )
    counts = {event: int(n) for event, n in rows}
    return IdentityCounts(
        created=counts.get("create", 0),
        merged=counts.get("merge", 0),
        split=counts.get("split", 0),
        retired=counts.get("retire", 0),
        moved=counts.get("move", 0),
        detached=counts.get("detach", 0),
    )


def identity_changes_of_run(
    connection: Connection, run_id: str, cap: int
) -> Capped[IdentityChange]:
    """Return the run's match events other than plain creates, in the order recorded.

    Creates are many and are shown as merges (several members) or counted; merges,
    splits, moves, detaches and retirements are each an identity change an auditor
    must be able to trace.
    """
    where = (match_events.c.run_id == run_id, match_events.c.event != "create")
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    rows = connection.execute(
        select(
            match_events.c.event,
            match_events.c.golden_id,
            match_events.c.other_golden_ids,
            match_events.c.members,
        )
        .where(*where)
        .order_by(match_events.c.id)
        .limit(cap)
    )
    changes = tuple(
        IdentityChange(
            event,
            golden_id,
            tuple(str(g) for g in others or ()),
            tuple(str(k) for k in members or ()),
        )
        for event, golden_id, others, members in rows
    )
    return Capped(changes, total)


def merges_of_run(
    connection: Connection, run_id: str, entity: str, *, unmasked: bool, cap: int
) -> Capped[Merge]:
    """Return the golden records of more than one source record that the run formed.

    That is: golden records the run created or merged from several records (match
    events), and existing golden records that new source records joined in this run
    (event ``link``: their cross-reference was written by this run). The weakest links
    come first, so a capped list still shows what needs checking.
    """
    links = _links(connection, entity)
    members: dict[str, tuple[str, list[str]]] = {}
    for golden_id, event, keys in connection.execute(
        select(match_events.c.golden_id, match_events.c.event, match_events.c.members)
        .where(
            match_events.c.run_id == run_id,
            match_events.c.event.in_(("create", "merge")),
        )
        .order_by(match_events.c.id)
    ):
        members[golden_id] = (event, [str(k) for k in keys or ()])
    joined: dict[str, list[str]] = {}
    for key, link in links.items():
        joined.setdefault(link.golden_id, []).append(key)
    for golden_id in sorted({link.golden_id for link in links.values() if link.run == run_id}):
        members.setdefault(golden_id, ("link", sorted(joined[golden_id])))
    formed = {g: m for g, m in members.items() if len(m[1]) > 1}
    names = _golden_names(connection, list(formed), unmasked=unmasked)
    merges = [
        Merge(
            golden_id=golden_id,
            event=event,
            name=names.get(golden_id),
            members=tuple(_member(key, links.get(key), run_id) for key in keys),
        )
        for golden_id, (event, keys) in formed.items()
    ]
    merges.sort(key=lambda m: (_sortable_score(m.weakest_score), m.golden_id))
    return Capped(tuple(merges[:cap]), len(merges))


@dataclass(frozen=True)
class _Link:
    golden_id: str
    score: float | None
    reason: str | None
    run: str


def _member(key: str, link: _Link | None, run_id: str) -> MatchMember:
    if link is None:
        return MatchMember(key, None, None, False)
    return MatchMember(key, link.score, link.reason, link.run == run_id)


def _sortable_score(score: float | None) -> float:
    return 2.0 if score is None else score


def _links(connection: Connection, entity: str) -> dict[str, _Link]:
    rows = connection.execute(
        select(
            xrefs.c.system,
            xrefs.c.source_id,
            xrefs.c.golden_id,
            xrefs.c.match_score,
            xrefs.c.match_reason,
            xrefs.c.linked_run,
        ).where(xrefs.c.entity == entity)
    )
    return {
        f"{system}/{entity}/{source_id}": _Link(golden_id, _to_float(score), reason, linked_run)
        for system, source_id, golden_id, score, reason, linked_run in rows
    }


def _to_float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _golden_names(
    connection: Connection, golden_ids: list[str], *, unmasked: bool
) -> dict[str, str | None]:
    names: dict[str, str | None] = {}
    for chunk in chunked(golden_ids):
        for golden_id, data in connection.execute(
            select(golden_records.c.golden_id, golden_records.c.data).where(
                golden_records.c.golden_id.in_(list(chunk))
            )
        ):
            names[golden_id] = display_name(data or {}, unmasked=unmasked)
    return names


def display_name(data: Mapping[str, Any], *, unmasked: bool) -> str | None:
    """Return a record's name as it may be shown (a person's name is personal).

    Customers and products have a ``name``; contacts are people with a first and a
    last name, each masked unless ``unmasked``.
    """
    name = data.get("name")
    if name is None:
        parts = [data.get(part) for part in ("first_name", "last_name")]
        shown = [str(p) if unmasked else mask(p) or "" for p in parts if p not in (None, "")]
        return " ".join(shown) or None
    if data.get("kind") == "person" and not unmasked:
        return mask(name)
    return str(name)


def lineage_of_run(
    connection: Connection, run_id: str, entity: str, *, unmasked: bool, cap: int
) -> Capped[GoldenLineage]:
    """Return the lineage of the golden records whose latest change was in this run."""
    where = (golden_records.c.entity == entity, golden_records.c.updated_run == run_id)
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    rows = connection.execute(
        select(golden_records.c.golden_id, golden_records.c.data, golden_records.c.lineage)
        .where(*where)
        .order_by(golden_records.c.golden_id)
        .limit(cap)
    )
    records = tuple(
        GoldenLineage(
            golden_id,
            display_name(data or {}, unmasked=unmasked),
            tuple(lineage_values(data or {}, lineage or {}, unmasked=unmasked)),
        )
        for golden_id, data, lineage in rows
    )
    return Capped(records, total)


def lineage_values(
    data: Mapping[str, Any], lineage: Mapping[str, Any], *, unmasked: bool
) -> Iterator[LineageValue]:
    """Yield each golden value with a lineage entry, nested values as dotted paths."""
    person = data.get("kind") == "person"
    for field, origin in lineage.items():
        record = origin.get("record") if isinstance(origin, Mapping) else None
        rule = origin.get("rule") if isinstance(origin, Mapping) else None
        for path, value in _flatten(field, data.get(field)):
            yield LineageValue(
                path, _shown(path, value, person=person, unmasked=unmasked), record, rule
            )


def _flatten(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flatten(f"{path}.{key}", inner)
    elif value is not None:
        yield path, value


def _shown(path: str, value: Any, *, person: bool, unmasked: bool) -> str | None:
    if isinstance(value, list | tuple):
        # Lists hold e-mail addresses of owners: mask each like an e-mail.
        leaf = "email" if path == "owners" else path
        return _LIST_SEPARATOR.join(
            shown_value(leaf, item, unmasked) or "" for item in value if item is not None
        )
    if path == "name" and person and not unmasked:
        return mask(value)
    return shown_value(path, value, unmasked)


def staleness(
    connection: Connection,
    entity: str,
    *,
    after_days: int,
    now: datetime,
    unmasked: bool,
    examples: int,
) -> Staleness:
    """Return the active golden records no source confirmed within ``after_days``."""
    cutoff = now - timedelta(days=after_days)
    where = (
        golden_records.c.entity == entity,
        golden_records.c.status == "active",
        golden_records.c.confirmed_at < cutoff,
    )
    count = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    rows = connection.execute(
        select(golden_records.c.golden_id, golden_records.c.data, golden_records.c.confirmed_at)
        .where(*where)
        .order_by(golden_records.c.confirmed_at, golden_records.c.golden_id)
        .limit(examples)
    )
    oldest = tuple(
        StaleRecord(
            golden_id,
            display_name(data or {}, unmasked=unmasked),
            as_utc(confirmed_at),
            (now - as_utc(confirmed_at)).days,
        )
        for golden_id, data, confirmed_at in rows
    )
    return Staleness(after_days, count, oldest)
