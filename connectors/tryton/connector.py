"""The Tryton connector: customers, products, sale orders and their costs over JSON-RPC.

Pull reads a window ``[cursor, now - lag)`` on each entity's change timestamp (the newest
``write_date``/``create_date`` of the root record and its related rows, see
:mod:`connectors.tryton.changes`), orders the changed records by (timestamp, id) with ids
compared as numbers, skips the boundary records the previous run landed, and reads them a
page at a time through the entity's adapter. With a ``checkpoint`` set (the pull stage
sets one), the (timestamp, id) of the last record of each page handed out completely is
saved as a resume token; a pull of the same window that finds one reads strictly after
it. ``count`` is always the size of the whole window,
``keys`` every id of the entity (archived records are not part of it: archiving is a
delete for crmsync), ``push`` goes to the adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.errors import FatalError
from connectors.http.checkpoint import Checkpoint, ResumePoint, read_resume_token, resume_token
from connectors.http.windows import after_boundary, format_timestamp, parse_timestamp, plan_window
from connectors.tryton.adapter import EntityAdapter
from connectors.tryton.changes import ChangeTracker
from connectors.tryton.config import TrytonConfig
from connectors.tryton.customer import CustomerAdapter
from connectors.tryton.lookups import Lookups
from connectors.tryton.order import CostAdapter, OrderAdapter
from connectors.tryton.product import ProductAdapter
from connectors.tryton.rpc import TrytonRpc
from mappings.spec import MappingSpec

ADAPTERS: dict[str, type[EntityAdapter]] = {
    adapter.entity: adapter
    for adapter in (CustomerAdapter, ProductAdapter, OrderAdapter, CostAdapter)
}
"""Canonical entity → the adapter that reads and writes it."""


class TrytonConnector:
    """A connector for one Tryton database (one system).

    Args:
        system: The system's name.
        config: Its settings.
        transport: An httpx transport (tests); default: the network.
        sleep: Wait function for retries (tests).
        clock: Returns "now" (aware UTC) for the window's end (tests).
    """

    def __init__(
        self,
        system: str,
        config: TrytonConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.system = system
        self.config = config
        self.rpc = TrytonRpc(system, config, transport=transport, sleep=sleep)
        self.lookups = Lookups(self.rpc)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._adapters: dict[str, EntityAdapter] = {}
        self.checkpoint: Checkpoint | None = None
        """Set by the pull stage to make an interrupted pull resume (see checkpoint.py)."""

    def adapter(self, mapping: MappingSpec) -> EntityAdapter:
        """Return the adapter of the mapping's entity.

        Raises:
            FatalError: The entity is not supported, or the mapping names another model.
        """
        kind = ADAPTERS.get(mapping.entity)
        if kind is None:
            known = ", ".join(sorted(ADAPTERS))
            raise FatalError(self.system, f"entity {mapping.entity!r} unsupported (known: {known})")
        if mapping.source.table != kind.root:
            raise FatalError(
                self.system,
                f"mapping {mapping.system}/{mapping.entity}: source.table must be {kind.root!r}, "
                f"not {mapping.source.table!r}",
            )
        if mapping.entity not in self._adapters:
            self._adapters[mapping.entity] = kind(self.system, self.rpc, self.lookups, self.config)
        return self._adapters[mapping.entity]

    def _tracker(self, mapping: MappingSpec) -> ChangeTracker:
        adapter = self.adapter(mapping)
        where = [[column, "=", value] for column, value in mapping.source.where.items()]
        return ChangeTracker(self.rpc, adapter.root, adapter.sources, [*adapter.domain(), *where])

    def _window(
        self, mapping: MappingSpec, window: PullWindow, after: tuple[datetime, int] | None = None
    ) -> list[tuple[datetime, int]]:
        """Return the (timestamp, id) of every record in the window, in cursor order.

        ``after``: only the records strictly after this (timestamp, id) — a resumed pull,
        which then asks Tryton only for the roots changed since that timestamp.
        """
        if not mapping.source.updated_at:
            window = PullWindow(None)
        planned = plan_window(window, self.config.lag_seconds, self._clock())
        stamps = self._tracker(mapping).changed_since(after[0] if after else planned.start)
        return sorted(
            (stamp, ident)
            for ident, stamp in stamps.items()
            if (planned.start is None or stamp >= planned.start)
            and stamp < planned.end
            and after_boundary(stamp, str(ident), planned, int)
            and (after is None or (stamp, ident) > after)
        )

    def _resume_point(
        self, mapping: MappingSpec, window: PullWindow
    ) -> tuple[datetime, int] | None:
        token = self.checkpoint.load() if self.checkpoint is not None else None
        point = read_resume_token(token, mapping.entity, window)
        if point is None or not point.key.isdigit():
            return None
        try:
            return parse_timestamp(point.stamp), int(point.key)
        except ValueError:
            return None

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield the records changed in ``window``, ordered by (timestamp, numeric id).

        With a checkpoint set: saves a resume token after each page handed out completely,
        clears it at the end, and a pull that finds one continues strictly after it.
        """
        adapter = self.adapter(mapping)
        stamp_column = mapping.source.updated_at or "updated_at"
        planned = self._window(mapping, window, self._resume_point(mapping, window))
        size = self.config.page_size
        for start in range(0, len(planned), size):
            page = planned[start : start + size]
            payloads = {p["id"]: p for p in adapter.read([ident for _, ident in page], mapping)}
            for stamp, ident in page:
                payload = payloads.get(str(ident))
                if payload is None:
                    continue  # deleted since the window was planned: the key scan sees it
                cursor = format_timestamp(stamp)
                payload[stamp_column] = cursor
                yield RawRecord(str(ident), payload, cursor)
            if self.checkpoint is not None:
                last_stamp, last_id = page[-1]
                point = ResumePoint(format_timestamp(last_stamp), str(last_id))
                self.checkpoint.save(resume_token(mapping.entity, window, point))
        if self.checkpoint is not None:
            self.checkpoint.clear()

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return how many records the window holds, counted the way :meth:`pull` reads it."""
        return len(self._window(mapping, window))

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return the entity's record count (``search_count``) and the root's newest change."""
        tracker = self._tracker(mapping)
        total = self.rpc.model(tracker.root, "search_count", tracker.base_domain)
        newest = tracker.newest()
        return SourceStats(int(total), format_timestamp(newest) if newest else None)

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield the id of every (active) record of the entity, for delete detection."""
        tracker = self._tracker(mapping)
        for row in self.rpc.scan(tracker.root, tracker.base_domain, []):
            yield str(row["id"])

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Create or update ``rows`` (see the entity's adapter); refused rows are rejected."""
        return self.adapter(mapping).push(mapping, rows)

    def unsent_fields(self, entity: str) -> tuple[str, ...]:
        """Return the canonical fields this connector's settings keep it from writing.

        The cost price while ``push_cost_price`` is off: publish then plans no change for it
        and counts Tryton's own value as what our write left (echo detection).
        """
        if entity == "product" and not self.config.push_cost_price:
            return ("cost_price",)
        return ()

    def close(self) -> None:
        """Close the HTTP session."""
        self.rpc.close()


def create_connector(system: str, settings: dict[str, Any]) -> TrytonConnector:
    """Entry-point factory: build the Tryton connector of ``system`` from its settings."""
    return TrytonConnector(system, TrytonConfig.model_validate(settings))


create_connector.config_model = TrytonConfig  # type: ignore[attr-defined]
