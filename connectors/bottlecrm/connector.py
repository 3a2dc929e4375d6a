"""The BottleCRM connector: accounts, contacts, products and deals over BottleCRM's REST API.

Pull. BottleCRM's lists cannot filter by change time, and accounts have no change
timestamp at all, so every pull reads the whole list (offset/limit pages, checked against
the server's count, see :mod:`connectors.bottlecrm.paging`):

* a mapping without ``source.updated_at`` (accounts, deals) gets every record, ordered
  by id;
  the pipeline tells changed from unchanged records by content hash (full scan);
* a mapping with ``source.updated_at`` (contacts, products) gets the records of the
  window ``[since, now - lag)``, filtered here, ordered by (timestamp, id), skipping the
  boundary records at ``since`` whose id is at or before ``since_key``.

``count`` for a window is the number of records that scan finds in it: the scan itself
is what is checked against the server's own count. The scan made by ``count`` is kept
for the ``pull`` of the same window that follows it, so a pull reads the list once.

Push: see :mod:`connectors.bottlecrm.push` (lookup by golden id and natural key, then
create / update only what differs / leave alone); deals with their line items:
:mod:`connectors.bottlecrm.deals` (lookup by the key column, e.g. ``source_ref``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.bottlecrm.client import BottleCrmClient
from connectors.bottlecrm.config import BottleCrmConfig
from connectors.bottlecrm.deals import DealPusher
from connectors.bottlecrm.paging import count_records, scan
from connectors.bottlecrm.push import Pusher, RecordIndex
from connectors.bottlecrm.records import same_value
from connectors.bottlecrm.resources import OPPORTUNITIES, RESOURCES, Resource
from connectors.errors import FatalError
from connectors.http.windows import after_boundary, parse_timestamp, plan_window
from mappings.spec import MappingSpec

CUSTOM_FIELDS_PREFIX = "custom_fields."


class BottleCrmConnector:
    """A connector for one BottleCRM org (the org of the token)."""

    def __init__(
        self,
        system: str,
        config: BottleCrmConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.config = config
        self.client = BottleCrmClient(system, config, transport=transport, sleep=sleep)
        self._pending: tuple[tuple[Any, ...], list[RawRecord]] | None = None
        self._newest: dict[str, str | None] = {}
        self._custom_fields: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ reading

    def _resource(self, mapping: MappingSpec) -> Resource:
        resource = RESOURCES.get(mapping.source.table)
        if resource is None:
            known = ", ".join(sorted(RESOURCES))
            raise FatalError(
                self.system,
                f"mapping {mapping.system}/{mapping.entity}: BottleCRM has no resource "
                f"{mapping.source.table!r} (known: {known})",
            )
        return resource

    def _rows(self, mapping: MappingSpec) -> list[dict[str, Any]]:
        """Read every record of the mapping's resource as flat columns, ``where`` applied."""
        resource = self._resource(mapping)
        listed = scan(self.client, resource, self.config.page_size).records
        rows = [resource.columns(r) for r in listed]
        where = mapping.source.where
        rows = [r for r in rows if all(same_value(r.get(c), v) for c, v in where.items())]
        stamp = mapping.source.updated_at
        if stamp:
            stamps = [r[stamp] for r in rows if r.get(stamp)]
            self._newest[mapping.source.table] = max(stamps) if stamps else None
        return rows

    def _select(self, mapping: MappingSpec, window: PullWindow) -> list[RawRecord]:
        stamp = mapping.source.updated_at
        key = mapping.source.primary_key
        rows = self._rows(mapping)
        if stamp:
            planned = plan_window(window, self.config.lag_seconds)

            def in_window(row: dict[str, Any]) -> bool:
                if not row.get(stamp):
                    return planned.start is None
                moment: datetime = parse_timestamp(row[stamp])
                if planned.start is not None and moment < planned.start:
                    return False
                return moment < planned.end and after_boundary(moment, str(row[key]), planned)

            rows = [r for r in rows if in_window(r)]
        records = [
            RawRecord(str(r[key]), r, str(r[stamp]) if stamp and r.get(stamp) else None)
            for r in rows
        ]
        records.sort(key=lambda r: (r.updated_at or "", r.source_id))
        return records

    def _whole_list(self, mapping: MappingSpec, window: PullWindow) -> bool:
        """Whether ``window`` is the resource's whole list (the server's count applies)."""
        if mapping.source.where:
            return False
        if not mapping.source.updated_at:
            return True
        return (window.since is None or window.full_refresh) and self.config.lag_seconds == 0

    def _window_key(self, mapping: MappingSpec, window: PullWindow) -> tuple[Any, ...]:
        return (mapping.source.table, mapping.source.updated_at, repr(mapping.source.where), window)

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield the records of ``window`` ordered by (timestamp, id); see the module doc."""
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == self._window_key(mapping, window):
            records = pending[1]
        else:
            records = self._select(mapping, window)
        yield from records

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return how many records ``window`` holds.

        The whole list: the server's own count (one request). A time window or a
        ``where`` filter: the records the checked full scan finds in it (kept for the
        ``pull`` that follows).
        """
        if self._whole_list(mapping, window):
            return count_records(self.client, self._resource(mapping))
        records = self._select(mapping, window)
        self._pending = (self._window_key(mapping, window), records)
        return len(records)

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return the server's record count and the newest change timestamp.

        The newest change comes from the last scan of the resource (a pull just made
        one); without one, a scan is made. Accounts have no change timestamp: None.
        """
        if mapping.source.where:
            rows = self._rows(mapping)
            total = len(rows)
        else:
            total = count_records(self.client, self._resource(mapping))
            if mapping.source.updated_at and mapping.source.table not in self._newest:
                self._rows(mapping)
        newest = self._newest.get(mapping.source.table) if mapping.source.updated_at else None
        return SourceStats(total, newest)

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield the id of every record the resource holds now (a full id scan)."""
        key = mapping.source.primary_key
        for row in self._rows(mapping):
            yield str(row[key])

    # ------------------------------------------------------------------ writing

    def _ensure_custom_field(self, resource: Resource, column: str) -> None:
        """Make sure the org defines the text custom field ``column`` names."""
        field_key = column.removeprefix(CUSTOM_FIELDS_PREFIX)
        model = resource.custom_field_model
        if model is None:
            raise FatalError(
                self.system,
                f"{resource.table} has no custom fields: golden_id_column {column!r} cannot "
                "be stored",
            )
        if (model, field_key) in self._custom_fields:
            return
        body = self.client.call("GET", "custom-fields/", params={"target_model": model})
        defined = {d.get("key"): d for d in body.get("definitions") or []}
        definition = defined.get(field_key)
        if definition is None or not definition.get("is_active", True):
            if not self.config.create_custom_fields:
                raise FatalError(
                    self.system,
                    f"the org has no active {model} custom field {field_key!r} to hold the "
                    "golden id; define it (text) or set create_custom_fields: true",
                )
            self.client.call(
                "POST",
                "custom-fields/",
                json={
                    "target_model": model,
                    "key": field_key,
                    "label": f"crmsync {field_key}",
                    "field_type": "text",
                    "is_filterable": True,
                },
            )
        self._custom_fields.add((model, field_key))

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Create or update ``rows`` idempotently; see :mod:`connectors.bottlecrm.push`."""
        outbound = mapping.outbound
        if outbound is None:
            raise FatalError(self.system, f"mapping for {mapping.entity} has no outbound section")
        if not rows:
            return PushResult()
        resource = self._resource(mapping)
        if resource is OPPORTUNITIES:
            return self._push_deals(resource, outbound.golden_id_column, rows)
        if not resource.writable:
            raise FatalError(self.system, f"pushing {resource.table} is not supported")
        golden_column = outbound.golden_id_column
        if golden_column is not None and golden_column.startswith(CUSTOM_FIELDS_PREFIX):
            self._ensure_custom_field(resource, golden_column)
        listed = scan(self.client, resource, self.config.page_size).records
        index = RecordIndex(resource, golden_column, (resource.columns(r) for r in listed))
        self._pending = None
        return Pusher(self.client, resource, golden_column, index).push(rows)

    def _push_deals(
        self, resource: Resource, key_column: str | None, rows: Sequence[PushRow]
    ) -> PushResult:
        """Write deals with their line items; see :mod:`connectors.bottlecrm.deals`."""
        if not key_column or key_column.startswith(CUSTOM_FIELDS_PREFIX):
            raise FatalError(
                self.system,
                "a deal push needs outbound.golden_id_column naming a deal field that keeps "
                "the key a retry looks up (e.g. source_ref)",
            )
        listed = scan(self.client, resource, self.config.page_size).records
        self._pending = None
        pusher = DealPusher(self.client, resource, key_column, listed, self.config.deal_pipeline)
        return pusher.push(rows)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()


def create_connector(system: str, settings: dict[str, Any]) -> BottleCrmConnector:
    """Build a BottleCRM connector from a system's settings (entry point ``bottlecrm``)."""
    return BottleCrmConnector(system, BottleCrmConfig.model_validate(settings))


create_connector.config_model = BottleCrmConfig  # type: ignore[attr-defined]
