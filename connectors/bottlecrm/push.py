"""Idempotent writes to one BottleCRM resource: look up, then create, update or leave alone.

Before writing, one full list read builds a :class:`RecordIndex` of what the server holds
now: by id, by golden id (the custom field the mapping names as ``golden_id_column``) and
by the resource's unique natural key (account name, contact e-mail, product SKU, all
case-insensitive). Then, per row:

* a create whose golden id is already there (a create retried after a crash) or whose
  natural key is held by a record of no other golden record is *linked*: that record is
  updated instead and reported in ``assigned_ids``; a natural key held by another golden
  record is rejected (the server would refuse the duplicate);
* an update sends only the columns whose values differ (a PATCH, or the product's partial
  PUT); a record that already holds every value is not written at all, so pushing the
  same batch twice changes nothing, not even ``updated_at``;
* an update whose ``expected_updated_at`` no longer matches the record (changed in
  BottleCRM since the pull) is not written and lands in ``conflicts``;
* a 4xx for one record (field errors, a record deleted meanwhile) lands in ``rejected``
  with the server's message and the other rows go on. 401/403 and transient failures
  stop the batch: the pipeline re-sends it and the lookups make that safe.

Values are first put into the form BottleCRM accepts (a web address gets ``https://``).

BottleCRM answers some duplicates with a 500 rather than a 400 (a second product with the
same SKU), which is why the natural key is checked here before the server sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from connectors.base import PushResult, PushRow
from connectors.bottlecrm.client import BottleCrmClient, rejection_message
from connectors.bottlecrm.records import same_value, unflatten
from connectors.bottlecrm.resources import Resource
from connectors.errors import FatalError
from connectors.http.client import RejectedError
from connectors.http.windows import parse_timestamp


class RecordIndex:
    """The records a resource holds, as flat columns, found by id, golden id or natural key."""

    def __init__(
        self, resource: Resource, golden_column: str | None, records: Iterable[dict[str, Any]]
    ) -> None:
        self.resource = resource
        self.golden_column = golden_column
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_golden: dict[str, str] = {}
        self.by_natural: dict[str, str] = {}
        for columns in records:
            self.add(columns)

    def add(self, columns: dict[str, Any]) -> None:
        """Record (or refresh) one record's columns under all its keys."""
        record_id = str(columns["id"])
        if record_id in self.by_id:
            self._forget(record_id)
        self.by_id[record_id] = columns
        golden = self.golden_of(record_id)
        if golden:
            self.by_golden[golden] = record_id
        natural = self.resource.natural_value(columns)
        if natural:
            self.by_natural[natural] = record_id

    def _forget(self, record_id: str) -> None:
        golden = self.golden_of(record_id)
        if golden and self.by_golden.get(golden) == record_id:
            del self.by_golden[golden]
        natural = self.resource.natural_value(self.by_id[record_id])
        if natural and self.by_natural.get(natural) == record_id:
            del self.by_natural[natural]

    def golden_of(self, record_id: str) -> str | None:
        """Return the golden id stored on a record, if any."""
        if self.golden_column is None:
            return None
        value = self.by_id.get(record_id, {}).get(self.golden_column)
        return str(value) if value else None


class Pusher:
    """Writes one batch of rows to one resource, idempotently."""

    def __init__(
        self,
        client: BottleCrmClient,
        resource: Resource,
        golden_column: str | None,
        index: RecordIndex,
    ) -> None:
        self.client = client
        self.resource = resource
        self.golden_column = golden_column
        self.index = index
        self.result = PushResult()

    def push(self, rows: Sequence[PushRow]) -> PushResult:
        """Write every row; return the counts, the links made and the rows refused."""
        for original in rows:
            row = replace(original, values=self.resource.prepare(original.values))
            try:
                if row.create:
                    self._create(row)
                elif not self._changed_since_pull(row):
                    self._update_linked(row.target_id, row.values, row.target_id)
            except RejectedError as exc:
                self._reject(row.target_id, rejection_message(exc))
        return self.result

    def _reject(self, row_id: str, message: str) -> None:
        self.result.rejected[row_id] = message
        self.result.assigned_ids.pop(row_id, None)

    def _changed_since_pull(self, row: PushRow) -> bool:
        """Whether the record changed in BottleCRM since crmsync pulled it (not overwritten).

        Only resources with a change timestamp can tell; accounts cannot.
        """
        expected = getattr(row, "expected_updated_at", None)
        stamp = self.resource.updated_at
        current = self.index.by_id.get(row.target_id)
        if not expected or stamp is None or current is None or not current.get(stamp):
            return False
        if parse_timestamp(current[stamp]) == parse_timestamp(expected):
            return False
        conflicts = getattr(self.result, "conflicts", None)
        if conflicts is not None:
            conflicts[row.target_id] = (
                f"changed in BottleCRM at {current[stamp]}, after the pull of {expected}"
            )
        return True

    def _case_only_rename(self, column: str, current: Any, wanted: Any) -> bool:
        """Whether the write is a letter-case change the server refuses (skipped)."""
        if self.resource.case_renames or column != self.resource.natural_key:
            return False
        if not isinstance(current, str) or not isinstance(wanted, str):
            return False
        return current.strip().casefold() == wanted.strip().casefold()

    def _taken(self, values: dict[str, Any], holder: str, golden: str | None) -> str:
        column = str(self.resource.natural_key)
        owner = f" (golden id {golden})" if golden else ""
        return f"{column} {values.get(column)!r} is already used by {holder}{owner}"

    def _create(self, row: PushRow) -> None:
        values = row.values
        golden = str(getattr(row, "golden_id", None) or "")
        if not golden and self.golden_column:
            golden = str(values.get(self.golden_column) or "")
        existing = self.index.by_golden.get(golden) if golden else None
        natural = self.resource.natural_value(values)
        if existing is None and natural:
            holder = self.index.by_natural.get(natural)
            if holder is not None:
                other = self.index.golden_of(holder)
                if other and other != golden:
                    self._reject(row.target_id, self._taken(values, holder, other))
                    return
                existing = holder
        if existing is not None:
            self.result.assigned_ids[row.target_id] = existing
            self._update_linked(existing, values, row.target_id)
            return
        if self.resource.natural_key and not natural and self.golden_column is None:
            self._reject(
                row.target_id,
                f"no {self.resource.natural_key}: without it a retried create could not find "
                "the record, so it is not created",
            )
            return
        new_id = self._post(values)
        self.result.assigned_ids[row.target_id] = new_id
        self.result.created += 1

    def _post(self, values: dict[str, Any]) -> str:
        body = unflatten({column: value for column, value in values.items() if value is not None})
        answer = self.client.call("POST", self.resource.path, json=body)
        wrapper = self.resource.created_wrapper
        if wrapper is not None:
            record = answer[wrapper]
        else:
            detail = self.client.call("GET", self.resource.detail_path(str(answer["id"])))
            wrapped = self.resource.detail_wrapper
            record = detail[wrapped] if wrapped else detail
        columns = self.resource.columns(record)
        self.index.add(columns)
        if self.golden_column and not same_value(
            columns.get(self.golden_column), values.get(self.golden_column)
        ):
            raise FatalError(
                self.client.system,
                f"{self.resource.path}: the new record {columns['id']} did not keep "
                f"{self.golden_column}; define that custom field in BottleCRM (or let the "
                "connector create it: create_custom_fields)",
            )
        return str(columns["id"])

    def _update_linked(self, record_id: str, values: dict[str, Any], row_id: str) -> None:
        current = self.index.by_id.get(record_id)
        if current is None:
            self._reject(row_id, f"record {record_id} does not exist (any more)")
            return
        natural = self.resource.natural_value(values)
        holder = self.index.by_natural.get(natural) if natural else None
        if holder is not None and holder != record_id:
            self._reject(row_id, self._taken(values, holder, self.index.golden_of(holder)))
            return
        changes = {
            column: value
            for column, value in values.items()
            if not same_value(current.get(column), value, column in self.resource.numeric)
            and not (value is None and column in self.resource.required)
            and not self._case_only_rename(column, current.get(column), value)
        }
        if not changes:
            return
        self.client.call(
            self.resource.update_method,
            self.resource.detail_path(record_id),
            json=unflatten(changes),
        )
        self.index.add({**current, **changes})
        self.result.updated += 1
