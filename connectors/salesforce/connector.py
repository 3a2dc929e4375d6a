"""The Salesforce connector: SOQL on SystemModstamp over REST, Bulk API 2.0 for large
pulls and pushes, upserts on an external-id field, the daily API quota watched throughout.

* **Pull**: ``SELECT <mapping columns> FROM <object> WHERE SystemModstamp >= start AND
  SystemModstamp < end ORDER BY SystemModstamp, Id``, pages followed by
  ``nextRecordsUrl``. A window holding more than ``bulk_query_threshold`` records is read
  with a Bulk API 2.0 query job instead (CSV pages by ``Sforce-Locator``).
* **Deletes**: ``query`` never returns deleted records, so :meth:`keys` (the pipeline's
  key scan) leaves them out; :meth:`deleted_keys` lists records deleted since a moment
  with ``queryAll`` (``IsDeleted = true``), a cheap alternative to a full key scan.
* **Push**: creates are upserts on the mapping's golden-id column, which must be an
  External ID field (``PATCH /sobjects/<object>/<field>/<golden id>``): a create retried
  after a crash finds the record it made. Updates go to the record id. Pushes of
  ``bulk_push_threshold`` rows or more run as Bulk API 2.0 ingest jobs.
* **Quota**: ``/limits`` is read before a pull and ``Sforce-Limit-Info`` after every call;
  a pull that would leave less than ``quota_reserve`` requests stops with a FatalError.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.errors import FatalError
from connectors.http import (
    Checkpoint,
    HttpClient,
    OAuth2ClientCredentials,
    RejectedError,
    TimeWindow,
    next_url_pages,
)
from connectors.http.auth import BearerToken
from connectors.http.checkpoint import ResumePoint, read_resume_token, resume_token
from connectors.http.fields import mapping_columns
from connectors.http.windows import WindowPlans, parse_timestamp
from connectors.salesforce import soql
from connectors.salesforce.bulk import BulkApi
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.quota import ApiQuota
from connectors.salesforce.records import decode, flatten, to_csv
from mappings.spec import MappingSpec

BULK_POLL_ESTIMATE = 10
"""Status polls a bulk job is assumed to need when estimating a pull's API calls."""


def _message(error: RejectedError) -> str:
    body = error.body
    if isinstance(body, list) and body and isinstance(body[0], dict):
        parts = [
            f"{item.get('errorCode', 'ERROR')}: {item.get('message', '')}"
            + (f" ({', '.join(item['fields'])})" if item.get("fields") else "")
            for item in body
        ]
        return "; ".join(parts)
    return str(error)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Salesforce number fields take JSON numbers; a float's repr of a money amount
        # with the field's scale round-trips exactly.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return soql.datetime_literal(value.astimezone(UTC))
    return value


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    """Turn dotted columns into nested objects (a parent referenced by its external id)."""
    body: dict[str, Any] = {}
    for column, value in values.items():
        target = body
        *parents, leaf = column.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = _json_value(value)
    return body


class SalesforceConnector:
    """A connector for one Salesforce org."""

    def __init__(
        self,
        system: str,
        config: SalesforceConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.system = system
        self.config = config
        auth: httpx.Auth
        if config.access_token is not None:
            auth = BearerToken(config.access_token)
        else:
            assert config.client_id is not None and config.client_secret is not None
            auth = OAuth2ClientCredentials(
                system,
                config.token_url or f"{config.instance_url.rstrip('/')}/services/oauth2/token",
                config.client_id,
                config.client_secret,
            )
        self.client = HttpClient(
            system,
            config.http_settings(),
            auth,
            headers={"Accept": "application/json"},
            transport=transport,
            sleep=sleep,
        )
        self.quota = ApiQuota(system, config.quota_reserve)
        self.bulk = BulkApi(
            self.client,
            config.api_root,
            poll_seconds=config.bulk_poll_seconds,
            timeout_seconds=config.bulk_timeout_seconds,
            observe=self._observe,
            sleep=sleep,
        )
        self.checkpoint: Checkpoint | None = None
        """Set by the pull stage to make an interrupted pull resume (see checkpoint.py)."""
        self._windows = WindowPlans(config.lag_seconds, now)
        self._counts: dict[tuple[str, PullWindow], int] = {}

    # -- plumbing -----------------------------------------------------------------------

    def _observe(self, response: httpx.Response) -> None:
        self.quota.observe(response.headers.get("Sforce-Limit-Info"))
        self.quota.require(0, "the next call")

    def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        response = self.client.request(
            "GET",
            url,
            params=params,
            headers={"Sforce-Query-Options": f"batchSize={self.config.query_batch_size}"},
        )
        self._observe(response)
        return decode(response.text)

    def _query(self, text: str, *, include_deleted: bool = False) -> Iterator[list[Any]]:
        """Yield the record pages of a SOQL query (``queryAll`` with deleted records)."""
        first = f"{self.config.api_root}/{'queryAll' if include_deleted else 'query'}"

        def fetch(url: str) -> tuple[list[Any], str | None]:
            body = self._get(url, {"q": text} if url == first else None)
            following = None if body.get("done") else body.get("nextRecordsUrl")
            return list(body.get("records") or []), following

        for page in next_url_pages(fetch, first):
            yield list(page.items)

    def _complete_children(self, record: dict[str, Any]) -> dict[str, Any]:
        for value in record.values():
            if isinstance(value, dict) and "records" in value and not value.get("done", True):
                url = value.get("nextRecordsUrl")
                while url:
                    more = self._get(url)
                    value["records"].extend(more.get("records") or [])
                    url = None if more.get("done") else more.get("nextRecordsUrl")
                value["done"] = True
        return record

    def _plan(self, mapping: MappingSpec, window: PullWindow) -> TimeWindow:
        return self._windows.plan(mapping.entity, window)

    def _window_conditions(self, mapping: MappingSpec, plan: TimeWindow) -> list[str]:
        return soql.conditions(mapping.source.where, mapping.source.updated_at, plan)

    def read_quota(self) -> ApiQuota:
        """Read the org's remaining daily API requests from ``/limits``."""
        response = self.client.request("GET", f"{self.config.api_root}/limits")
        self.quota.set_from_limits(response.json())
        self._observe(response)
        return self.quota

    # -- Connector protocol ---------------------------------------------------------------

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return how many records of the object Salesforce holds in the window."""
        key = (mapping.entity, window)
        if key not in self._counts:
            plan = self._plan(mapping, window)
            if plan.empty:
                self._counts[key] = 0
            else:
                text = soql.aggregate(
                    ["COUNT()"], mapping.source.table, self._window_conditions(mapping, plan)
                )
                body = self._get(f"{self.config.api_root}/query", {"q": text})
                self._counts[key] = int(body["totalSize"])
        return self._counts[key]

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield the object's records changed in the window, ordered by (SystemModstamp, Id).

        Reads the quota first and stops (FatalError) when the pull would eat into the
        reserve. With a checkpoint set, resumes after the last page an interrupted pull
        handed out (records at that page's last timestamp are read again).
        """
        source = mapping.source
        plan = self._plan(mapping, window)
        if plan.empty:
            return
        resume = read_resume_token(
            self.checkpoint.load() if self.checkpoint else None, mapping.entity, window
        )
        if resume is not None:
            plan = TimeWindow(parse_timestamp(resume.stamp), plan.end)
        self.read_quota()
        expected = self.count(mapping, window)
        child = self.config.children.get(source.table)
        use_bulk = expected > self.config.bulk_query_threshold and child is None
        if use_bulk:
            calls = 3 + BULK_POLL_ESTIMATE + math.ceil(expected / self.config.bulk_page_records)
        else:
            calls = 1 + math.ceil(expected / self.config.query_batch_size)
        self.quota.require(calls, f"pulling {expected} {source.table} records")
        columns = mapping_columns(mapping)
        where = self._window_conditions(mapping, plan)
        if use_bulk:
            yield from self._pull_bulk(mapping, soql.select(columns, source.table, where))
        else:
            order = [source.updated_at, source.primary_key] if source.updated_at else []
            subquery = soql.select(child.fields, child.relationship) if child is not None else None
            text = soql.select(
                columns, source.table, where, order or [source.primary_key], subquery
            )
            yield from self._pull_rest(mapping, window, text, columns)
        if self.checkpoint is not None:
            self.checkpoint.clear()

    def _record(self, mapping: MappingSpec, payload: dict[str, Any]) -> RawRecord:
        source = mapping.source
        stamp = payload.get(source.updated_at) if source.updated_at else None
        return RawRecord(str(payload[source.primary_key]), payload, stamp)

    def _pull_rest(
        self, mapping: MappingSpec, window: PullWindow, text: str, columns: list[str]
    ) -> Iterator[RawRecord]:
        for page in self._query(text):
            last: RawRecord | None = None
            for record in page:
                last = self._record(mapping, flatten(self._complete_children(record), columns))
                yield last
            if self.checkpoint is not None and last is not None and last.updated_at:
                point = ResumePoint(last.updated_at, last.source_id)
                self.checkpoint.save(resume_token(mapping.entity, window, point))

    def _pull_bulk(self, mapping: MappingSpec, text: str) -> Iterator[RawRecord]:
        job_id = self.bulk.start_query(text)
        records = [
            self._record(mapping, row)
            for rows, _ in self.bulk.query_pages(job_id, self.config.bulk_page_records)
            for row in rows
        ]
        # Bulk query jobs take no ORDER BY (it would disable PK chunking): sort here.
        records.sort(key=lambda r: (r.updated_at or "", r.source_id))
        yield from records

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return the object's record count and newest SystemModstamp (one aggregate query)."""
        source = mapping.source
        expressions = ["COUNT(Id) total"]
        if source.updated_at:
            expressions.append(f"MAX({soql.name(source.updated_at)}) newest")
        text = soql.aggregate(expressions, source.table, soql.conditions(source.where, None, None))
        body = self._get(f"{self.config.api_root}/query", {"q": text})
        row = flatten((body.get("records") or [{}])[0])
        return SourceStats(int(row.get("total") or 0), row.get("newest"))

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield the id of every record the object holds now (deleted records excluded)."""
        source = mapping.source
        text = soql.select(
            [source.primary_key],
            source.table,
            soql.conditions(source.where, None, None),
            [source.primary_key],
        )
        for page in self._query(text):
            for record in page:
                yield str(record[source.primary_key])

    def deleted_keys(self, mapping: MappingSpec, since: str | None) -> Iterator[str]:
        """Yield the ids of records deleted at or after ``since`` (``queryAll``, IsDeleted).

        Salesforce keeps deleted records in the recycle bin for 15 days: call this at least
        that often, or fall back to :meth:`keys`.
        """
        source = mapping.source
        where = ["IsDeleted = true", *soql.conditions(source.where, None, None)]
        if since:
            where.append(f"SystemModstamp >= {soql.datetime_literal(parse_timestamp(since))}")
        text = soql.select([source.primary_key], source.table, where, [source.primary_key])
        for page in self._query(text, include_deleted=True):
            for record in page:
                yield str(record[source.primary_key])

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Create (upsert on the golden-id external id) or update ``rows``.

        A record Salesforce refuses (validation rule, bad value, deleted) lands in
        ``rejected`` with Salesforce's error code and message; the rest go on.
        """
        outbound = mapping.outbound
        if outbound is None or not outbound.golden_id_column:
            raise FatalError(
                self.system,
                f"mapping {mapping.system}_{mapping.entity} needs outbound.golden_id_column "
                "(an External ID field) to push idempotently",
            )
        table = outbound.table or mapping.source.table
        if len(rows) >= self.config.bulk_push_threshold:
            return self._push_bulk(table, outbound.golden_id_column, rows)
        result = PushResult()
        api = self.config.api_root
        ext = outbound.golden_id_column
        for row in rows:
            values = dict(row.values)
            try:
                if row.create:
                    golden = values.pop(ext, None)
                    if not golden:
                        result.rejected[row.target_id] = f"no {ext} value to upsert on"
                        continue
                    # An upsert on an external id is idempotent: safe to re-send.
                    response = self.client.request(
                        "PATCH",
                        f"{api}/sobjects/{soql.name(table)}/{soql.name(ext)}/"
                        f"{quote(str(golden), safe='')}",
                        json=_nest(values),
                        idempotent=True,
                    )
                    self._observe(response)
                    body = response.json() if response.content else {}
                    result.assigned_ids[row.target_id] = str(body["id"])
                    if body.get("created"):
                        result.created += 1
                    else:
                        result.updated += 1
                else:
                    response = self.client.request(
                        "PATCH",
                        f"{api}/sobjects/{soql.name(table)}/{quote(row.target_id, safe='')}",
                        json=_nest(values),
                        idempotent=True,
                    )
                    self._observe(response)
                    result.updated += 1
            except RejectedError as exc:
                result.rejected[row.target_id] = _message(exc)
        return result

    def _push_bulk(self, table: str, ext: str, rows: Sequence[PushRow]) -> PushResult:
        result = PushResult()
        creates = [r for r in rows if r.create]
        updates = [r for r in rows if not r.create]
        if creates:
            by_golden = {str(r.values.get(ext)): r.target_id for r in creates}
            columns = list(dict.fromkeys([ext, *(c for r in creates for c in r.values)]))
            outcome = self.bulk.ingest(
                table, "upsert", to_csv(columns, (r.values for r in creates)), external_id=ext
            )
            for ok in outcome.succeeded:
                target = by_golden.get(str(ok.get(ext)))
                if target is None:
                    continue
                result.assigned_ids[target] = str(ok["sf__Id"])
                if ok.get("sf__Created") == "true":
                    result.created += 1
                else:
                    result.updated += 1
            for bad in outcome.failed:
                target = by_golden.get(str(bad.get(ext)))
                if target is not None:
                    result.rejected[target] = str(bad.get("sf__Error"))
        if updates:
            columns = list(dict.fromkeys(["Id", *(c for r in updates for c in r.values)]))
            outcome = self.bulk.ingest(
                table, "update", to_csv(columns, ({**r.values, "Id": r.target_id} for r in updates))
            )
            result.updated += len(outcome.succeeded)
            for bad in outcome.failed:
                result.rejected[str(bad.get("Id") or bad.get("sf__Id"))] = str(bad.get("sf__Error"))
        return result

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()
