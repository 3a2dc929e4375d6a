"""The HubSpot connector: CRM v3 objects through the search API, batch upserts.

* **Pull**: ``POST /crm/v3/objects/{type}/search`` with ``<updated-at> >= start`` and
  ``< end`` filters, sorted ascending on the updated-at property, ``after`` paging. One
  search pages through at most 10,000 results, so a window whose ``total`` is larger is
  cut in halves by time until every part fits (a single millisecond holding more is a
  FatalError). Records sharing a timestamp are put in id order before they are handed
  out; boundary rows at or before the cursor key are filtered by the search itself.
* **Deletes**: archived records leave the list endpoint, so :meth:`keys` does not yield
  them; :meth:`deleted_keys` lists them (``archived=true``) with their ``archivedAt``.
* **Push**: ``batch/upsert`` on the mapping's golden-id property (a unique property):
  a retried create finds the record it made. Updates by record id go through
  ``batch/update``. A batch HubSpot refuses as a whole is retried record by record so
  only the bad records are rejected.
* **Deals** come with their line items (v4 associations, then a batch read).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.errors import FatalError
from connectors.http import (
    Checkpoint,
    HttpClient,
    RejectedError,
    TimeWindow,
    cursor_pages,
)
from connectors.http.auth import BearerToken
from connectors.http.checkpoint import ResumePoint, read_resume_token, resume_token
from connectors.http.fields import mapping_columns
from connectors.http.windows import (
    WindowPlans,
    epoch_millis,
    format_timestamp,
    parse_timestamp,
)
from connectors.hubspot.config import HubSpotConfig
from connectors.hubspot.limits import RateLimitHeaders
from mappings.spec import MappingSpec

OBJECTS = "/crm/v3/objects"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _property_text(value: Any) -> str:
    """HubSpot properties are text; an empty string clears one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)


def _message(error: RejectedError) -> str:
    body = error.body
    if isinstance(body, dict) and body.get("message"):
        category = body.get("category") or body.get("status") or "error"
        return f"{category}: {body['message']}"
    return str(error)


class HubSpotConnector:
    """A connector for one HubSpot account."""

    def __init__(
        self,
        system: str,
        config: HubSpotConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.system = system
        self.config = config
        self.client = HttpClient(
            system,
            config.http_settings(),
            BearerToken(config.access_token),
            headers={"Accept": "application/json"},
            transport=transport,
            sleep=sleep,
        )
        self.limits = RateLimitHeaders(system, sleep)
        self.checkpoint: Checkpoint | None = None
        """Set by the pull stage to make an interrupted pull resume (see checkpoint.py)."""
        self._now = now
        self._windows = WindowPlans(config.lag_seconds, now)
        self._counts: dict[tuple[str, PullWindow], int] = {}
        self.searches = 0

    # -- plumbing -----------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.request(method, url, **kwargs)
        self.limits.observe(response)
        return response.json() if response.content else None

    def _plan(self, mapping: MappingSpec, window: PullWindow) -> TimeWindow:
        return self._windows.plan(mapping.entity, window)

    def _stamp_property(self, mapping: MappingSpec) -> str:
        if not mapping.source.updated_at:
            raise FatalError(
                self.system,
                f"mapping {mapping.system}_{mapping.entity} needs source.updated_at "
                "(hs_lastmodifieddate, or lastmodifieddate for contacts)",
            )
        return mapping.source.updated_at

    def _filter_groups(self, mapping: MappingSpec, part: TimeWindow) -> list[dict[str, Any]]:
        stamp = self._stamp_property(mapping)
        equal = [
            {"propertyName": k, "operator": "EQ", "value": _property_text(v)}
            for k, v in mapping.source.where.items()
        ]
        start = str(epoch_millis(part.start or EPOCH))
        end = {"propertyName": stamp, "operator": "LT", "value": str(epoch_millis(part.end))}
        if part.after_key is None:
            opening = {"propertyName": stamp, "operator": "GTE", "value": start}
            return [{"filters": [opening, end, *equal]}]
        # (stamp > start) OR (stamp = start AND id > after_key): the boundary rows already
        # landed stay out, so count and pull agree.
        later = {"propertyName": stamp, "operator": "GT", "value": start}
        same = {"propertyName": stamp, "operator": "EQ", "value": start}
        key = {"propertyName": "hs_object_id", "operator": "GT", "value": part.after_key}
        return [{"filters": [later, end, *equal]}, {"filters": [same, key, *equal]}]

    def _search(
        self,
        mapping: MappingSpec,
        part: TimeWindow,
        after: str | None,
        limit: int,
        properties: list[str],
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": self._filter_groups(mapping, part),
            "sorts": [{"propertyName": self._stamp_property(mapping), "direction": "ASCENDING"}],
            "properties": properties,
            "limit": limit,
        }
        if after is not None:
            body["after"] = after
        self.searches += 1
        # A search changes nothing: safe to re-send after a timeout.
        result = self._call(
            "POST", f"{OBJECTS}/{mapping.source.table}/search", json=body, idempotent=True
        )
        return dict(result or {})

    def _total(self, mapping: MappingSpec, part: TimeWindow) -> int:
        return int(self._search(mapping, part, None, 1, ["hs_object_id"]).get("total", 0))

    def _parts(self, mapping: MappingSpec, part: TimeWindow, total: int) -> Iterator[TimeWindow]:
        """Yield sub-windows of ``part`` in time order, each within the search cap."""
        if total <= self.config.search_cap:
            yield part
            return
        try:
            halves = part.split()
        except ValueError as exc:
            raise FatalError(
                self.system,
                f"{total} {mapping.source.table} records share one millisecond at "
                f"{part.start}: more than one search can page through ({self.config.search_cap})",
            ) from exc
        for half in halves:
            yield from self._parts(mapping, half, self._total(mapping, half))

    def _payload(self, result: dict[str, Any], columns: list[str]) -> dict[str, Any]:
        properties = result.get("properties") or {}
        payload = {column: properties.get(column) for column in columns}
        payload["hs_object_id"] = payload.get("hs_object_id") or str(result["id"])
        return payload

    # -- Connector protocol ---------------------------------------------------------------

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return the search's ``total`` for the window (not capped at 10,000)."""
        key = (mapping.entity, window)
        if key not in self._counts:
            plan = self._plan(mapping, window)
            self._counts[key] = 0 if plan.empty else self._total(mapping, self._opened(plan))
        return self._counts[key]

    @staticmethod
    def _opened(plan: TimeWindow) -> TimeWindow:
        return plan if plan.start is not None else TimeWindow(EPOCH, plan.end)

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield the objects changed in the window, ordered by (updated-at, numeric id)."""
        plan = self._plan(mapping, window)
        if plan.empty:
            return
        plan = self._opened(plan)
        resume = read_resume_token(
            self.checkpoint.load() if self.checkpoint else None, mapping.entity, window
        )
        if resume is not None:
            plan = TimeWindow(parse_timestamp(resume.stamp), plan.end, resume.key)
        stamp = self._stamp_property(mapping)
        columns = mapping_columns(mapping)
        total = self.count(mapping, window) if resume is None else self._total(mapping, plan)
        for part in self._parts(mapping, plan, total):
            for records in self._part_pages(mapping, part, columns, stamp):
                if mapping.source.table == "deals":
                    self._attach_line_items(records)
                yield from records
                if self.checkpoint is not None and records and records[-1].updated_at:
                    point = ResumePoint(records[-1].updated_at, records[-1].source_id)
                    self.checkpoint.save(resume_token(mapping.entity, window, point))
        if self.checkpoint is not None:
            self.checkpoint.clear()

    def _part_pages(
        self, mapping: MappingSpec, part: TimeWindow, columns: list[str], stamp: str
    ) -> Iterator[list[RawRecord]]:
        """Yield lists of records, each ending where the timestamp changes (ties in id order)."""

        def fetch(after: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body = self._search(mapping, part, after, self.config.search_page_size, columns)
            following = ((body.get("paging") or {}).get("next") or {}).get("after")
            return list(body.get("results") or []), following

        pending: list[RawRecord] = []
        for page in cursor_pages(fetch):
            done: list[RawRecord] = []
            for result in page.items:
                payload = self._payload(result, columns)
                moment = payload.get(stamp)
                payload[stamp] = format_timestamp(parse_timestamp(moment)) if moment else None
                record = RawRecord(str(payload["hs_object_id"]), payload, payload[stamp])
                if pending and pending[-1].updated_at != record.updated_at:
                    done.extend(sorted(pending, key=lambda r: int(r.source_id)))
                    pending = []
                pending.append(record)
            if done:
                yield done
        if pending:
            yield sorted(pending, key=lambda r: int(r.source_id))

    def _attach_line_items(self, deals: list[RawRecord]) -> None:
        links = self._call(
            "POST",
            "/crm/v4/associations/deals/line_items/batch/read",
            json={"inputs": [{"id": d.source_id} for d in deals]},
            idempotent=True,
        )
        by_deal: dict[str, list[str]] = {}
        for item in (links or {}).get("results") or []:
            by_deal[str(item["from"]["id"])] = [str(t["toObjectId"]) for t in item.get("to", [])]
        ids = sorted({i for line_ids in by_deal.values() for i in line_ids}, key=int)
        lines: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), self.config.batch_size):
            chunk = ids[start : start + self.config.batch_size]
            read = self._call(
                "POST",
                f"{OBJECTS}/line_items/batch/read",
                json={
                    "properties": self.config.line_item_properties,
                    "inputs": [{"id": i} for i in chunk],
                },
                idempotent=True,
            )
            for result in (read or {}).get("results") or []:
                lines[str(result["id"])] = self._payload(result, self.config.line_item_properties)
        for deal in deals:
            deal.payload["lines"] = [
                lines[i] for i in by_deal.get(deal.source_id, []) if i in lines
            ]

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return the object's record count and newest change (two one-result searches)."""
        stamp = self._stamp_property(mapping)
        whole = TimeWindow(EPOCH, self._now())
        body: dict[str, Any] = {
            "filterGroups": self._filter_groups(mapping, whole),
            "sorts": [{"propertyName": stamp, "direction": "DESCENDING"}],
            "properties": [stamp],
            "limit": 1,
        }
        result = self._call(
            "POST", f"{OBJECTS}/{mapping.source.table}/search", json=body, idempotent=True
        )
        newest = None
        for item in (result or {}).get("results") or []:
            value = (item.get("properties") or {}).get(stamp)
            newest = format_timestamp(parse_timestamp(value)) if value else None
        return SourceStats(int((result or {}).get("total", 0)), newest)

    def _list(self, table: str, archived: bool, properties: list[str]) -> Iterator[dict[str, Any]]:
        def fetch(after: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {
                "limit": self.config.list_page_size,
                "archived": "true" if archived else "false",
                "properties": ",".join(properties),
            }
            if after is not None:
                params["after"] = after
            body = self._call("GET", f"{OBJECTS}/{table}", params=params) or {}
            following = ((body.get("paging") or {}).get("next") or {}).get("after")
            return list(body.get("results") or []), following

        for page in cursor_pages(fetch):
            yield from page.items

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield the id of every live (not archived) record (filters of ``where`` applied)."""
        where = mapping.source.where
        for result in self._list(mapping.source.table, False, ["hs_object_id", *where]):
            properties = result.get("properties") or {}
            if all(properties.get(k) == _property_text(v) for k, v in where.items()):
                yield str(result["id"])

    def deleted_keys(self, mapping: MappingSpec, since: str | None) -> Iterator[str]:
        """Yield the ids of records archived (deleted) at or after ``since``."""
        moment = parse_timestamp(since) if since else None
        for result in self._list(mapping.source.table, True, ["hs_object_id"]):
            archived_at = result.get("archivedAt")
            if moment is None or (archived_at and parse_timestamp(archived_at) >= moment):
                yield str(result["id"])

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Upsert creates on the golden-id property and update linked records by id."""
        outbound = mapping.outbound
        if outbound is None or not outbound.golden_id_column:
            raise FatalError(
                self.system,
                f"mapping {mapping.system}_{mapping.entity} needs outbound.golden_id_column "
                "(a unique property) to push idempotently",
            )
        result = PushResult()
        creates = [r for r in rows if r.create]
        updates = [r for r in rows if not r.create]
        size = self.config.batch_size
        for start in range(0, len(creates), size):
            self._upsert(mapping, outbound.golden_id_column, creates[start : start + size], result)
        for start in range(0, len(updates), size):
            self._update(mapping, updates[start : start + size], result)
        return result

    def _upsert(
        self, mapping: MappingSpec, id_property: str, rows: Sequence[PushRow], result: PushResult
    ) -> None:
        by_golden: dict[str, str] = {}
        inputs = []
        for row in rows:
            golden = row.values.get(id_property)
            if not golden:
                result.rejected[row.target_id] = f"no {id_property} value to upsert on"
                continue
            by_golden[str(golden)] = row.target_id
            properties = {k: _property_text(v) for k, v in row.values.items() if k != id_property}
            inputs.append({"idProperty": id_property, "id": str(golden), "properties": properties})
        if not inputs:
            return
        try:
            # An upsert on a unique property is idempotent: safe to re-send.
            body = self._call(
                "POST",
                f"{OBJECTS}/{mapping.source.table}/batch/upsert",
                json={"inputs": inputs},
                idempotent=True,
            )
        except RejectedError as exc:
            if len(rows) == 1:
                result.rejected[rows[0].target_id] = _message(exc)
                return
            for row in rows:  # isolate the records HubSpot refuses
                self._upsert(mapping, id_property, [row], result)
            return
        for item in (body or {}).get("results") or []:
            golden = str((item.get("properties") or {}).get(id_property))
            target = by_golden.get(golden)
            if target is None:
                continue
            result.assigned_ids[target] = str(item["id"])
            if item.get("new"):
                result.created += 1
            else:
                result.updated += 1

    def _update(self, mapping: MappingSpec, rows: Sequence[PushRow], result: PushResult) -> None:
        inputs = [
            {"id": r.target_id, "properties": {k: _property_text(v) for k, v in r.values.items()}}
            for r in rows
        ]
        try:
            body = self._call(
                "POST",
                f"{OBJECTS}/{mapping.source.table}/batch/update",
                json={"inputs": inputs},
                idempotent=True,  # setting the same values again changes nothing
            )
        except RejectedError as exc:
            if len(rows) == 1:
                result.rejected[rows[0].target_id] = _message(exc)
                return
            for row in rows:
                self._update(mapping, [row], result)
            return
        result.updated += len((body or {}).get("results") or [])

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()
