"""Change detection for Tryton entities whose record spans several models.

A customer is a ``party.party`` *and* its addresses, contact mechanisms and identifiers;
editing an address does not touch the party's ``write_date``. So the change timestamp of
a root record is the newest ``write_date or create_date`` over the root and every related
row (:class:`ChangeSource`), floored to the millisecond (the cursor's precision). A window
``[start, end)`` holds the roots whose timestamp is in it: every model is searched with
``["OR", ["write_date", ">=", start], ["create_date", ">=", start]]``, hits are carried to
their root, and the roots that still match the entity's base domain (e.g. active parties)
are kept. Deleting a related row (an address removed) leaves no trace to find: a periodic
full refresh covers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.tryton.rpc import TrytonRpc

STAMP_FIELDS = ["write_date", "create_date"]


@dataclass(frozen=True)
class ChangeSource:
    """A model whose rows count as changes of a root record.

    Attributes:
        model: The Tryton model, e.g. ``party.address``.
        link: Its field holding the key (``id`` for the root model itself).
        root_field: The root's field that key matches (``id``, or e.g. ``template``).
    """

    model: str
    link: str = "id"
    root_field: str = "id"
    where: tuple[Any, ...] = ()
    """Extra domain clauses on the model (e.g. only moves whose origin is a sale line)."""

    def domain(self, changed: list[Any]) -> list[Any]:
        """Return the search domain: rows changed (``changed``) and matching ``where``."""
        return [c for c in (changed, *self.where) if c]


def row_stamp(row: dict[str, Any]) -> datetime | None:
    """Return ``write_date or create_date`` of a row (the newer one), floored to the ms, UTC."""
    stamps = [row.get(name) for name in STAMP_FIELDS]
    present = [s for s in stamps if isinstance(s, datetime)]
    if not present:
        return None
    newest = max(present)
    newest = newest.replace(microsecond=newest.microsecond // 1000 * 1000)
    return newest.replace(tzinfo=UTC) if newest.tzinfo is None else newest.astimezone(UTC)


def changed_domain(start: datetime | None) -> list[Any]:
    """Return the domain of rows written or created at or after ``start`` (all rows: [])."""
    if start is None:
        return []
    naive = start.astimezone(UTC).replace(tzinfo=None)
    return ["OR", ["write_date", ">=", naive], ["create_date", ">=", naive]]


def _keys(value: Any) -> Iterable[int]:
    if isinstance(value, list | tuple):
        return [int(v) for v in value]
    if isinstance(value, int):
        return [value]
    if isinstance(value, str) and "," in value:  # a reference field: "model,id"
        tail = value.rsplit(",", 1)[1]
        return [int(tail)] if tail.lstrip("-").isdigit() else []
    return []


def _chunks(values: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _bump(stamps: dict[int, datetime], key: int, stamp: datetime) -> None:
    current = stamps.get(key)
    if current is None or stamp > current:
        stamps[key] = stamp


class ChangeTracker:
    """Finds the roots of one entity changed since a moment, with their change timestamps.

    Args:
        rpc: The session.
        root: The root model (``party.party``); ``sources[0]`` should be the root itself.
        sources: Every model whose rows change a root.
        base_domain: Which roots belong to the entity at all (e.g. ``[]``).
    """

    def __init__(
        self,
        rpc: TrytonRpc,
        root: str,
        sources: Sequence[ChangeSource],
        base_domain: list[Any],
    ) -> None:
        self.rpc = rpc
        self.root = root
        self.sources = tuple(sources)
        self.base_domain = base_domain

    def _root_domain(self, *clauses: list[Any]) -> list[Any]:
        return [c for c in (self.base_domain, *clauses) if c]

    def changed_since(self, start: datetime | None) -> dict[int, datetime]:
        """Return ``{root id: change timestamp}`` of every root changed at or after ``start``.

        ``start`` None: every root of the entity (a full scan).
        """
        domain = changed_domain(start)
        by_field: dict[str, dict[int, datetime]] = {}
        for source in self.sources:
            keyed = by_field.setdefault(source.root_field, {})
            fields = [*STAMP_FIELDS, source.link] if source.link != "id" else STAMP_FIELDS
            for row in self.rpc.scan(source.model, source.domain(domain), fields):
                stamp = row_stamp(row)
                if stamp is None:
                    continue
                for key in _keys(row.get(source.link)):
                    _bump(keyed, key, stamp)
        stamps: dict[int, datetime] = {}
        for root_field, keyed in by_field.items():
            for chunk in _chunks(sorted(keyed), self.rpc.config.page_size):
                rows = self.rpc.search_read(
                    self.root,
                    self._root_domain([root_field, "in", chunk]),
                    [root_field] if root_field != "id" else [],
                )
                for row in rows:
                    root_key: Any = row["id"] if root_field == "id" else row.get(root_field)
                    if isinstance(root_key, int) and root_key in keyed:
                        _bump(stamps, int(row["id"]), keyed[root_key])
        return stamps

    def stamps_of(self, ids: Sequence[int]) -> dict[int, datetime]:
        """Return the current change timestamp of the given roots (all their sources)."""
        if not ids:
            return {}
        stamps: dict[int, datetime] = {}
        joins: dict[str, dict[int, list[int]]] = {}
        for field in {s.root_field for s in self.sources if s.root_field != "id"}:
            rows = self.rpc.read(self.root, list(ids), [field])
            joins[field] = {}
            for row in rows:
                for key in _keys(row.get(field)):
                    joins[field].setdefault(key, []).append(int(row["id"]))
        for source in self.sources:
            keys = sorted(joins[source.root_field]) if source.root_field != "id" else list(ids)
            if not keys:
                continue
            fields = [*STAMP_FIELDS, source.link] if source.link != "id" else STAMP_FIELDS
            if source.link == "id" or not source.where:
                search = [[source.link, "in", keys]]
            else:
                search = source.domain([])  # a reference link cannot be searched with "in"
                search = [*search, [source.link, "in", [f"{self.root},{k}" for k in keys]]]
            rows = self.rpc.search_read(source.model, search, fields)
            for row in rows:
                stamp = row_stamp(row)
                if stamp is None:
                    continue
                for key in _keys(row.get(source.link) if source.link != "id" else row["id"]):
                    roots = (
                        joins[source.root_field].get(key, [])
                        if source.root_field != "id"
                        else [key]
                    )
                    for root_id in roots:
                        _bump(stamps, root_id, stamp)
        return stamps

    def newest(self) -> datetime | None:
        """Return the newest change timestamp of the root model alone (for statistics)."""
        newest: datetime | None = None
        for name in STAMP_FIELDS:
            rows = self.rpc.search_read(
                self.root,
                self._root_domain([name, "!=", None]),
                STAMP_FIELDS,
                order=[[name, "DESC"]],
                limit=1,
            )
            for row in rows:
                stamp = row_stamp(row)
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        return newest
