"""Writing deals (``/api/opportunities/``) with their line items, idempotently.

A deal row is a flat dict of opportunity columns (``name``, ``account`` (account id),
``stage``, ``closed_on``, ``currency``, ``probability``, ``description``, the key column
the mapping names as ``golden_id_column`` — ``source_ref`` fits: the id of the same order
in the other system) plus ``lines``: ``{product_source_id | product_id, quantity,
unit_price}`` (price a number or ``{amount, currency}``; ``name`` for a line without
product).

Before writing, one list read indexes the deals by id and by key. A create whose key a
deal already carries (a create retried after a crash) updates that deal instead. A create
POSTs the deal in the configured pipeline (``deal_pipeline``, else the org's default)
and then its line items; an update PATCHes only the columns that differ and replaces
the line items only when they differ (product, quantity, unit price, as multisets), so
pushing the same batch twice writes nothing. A create interrupted between the deal and
its lines is completed by the retry (the deal is found by key, its lines differ). A 4xx
for one deal lands in ``rejected`` with the server's message; the others go on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import PushResult, PushRow
from connectors.bottlecrm.client import BottleCrmClient, rejection_message
from connectors.bottlecrm.records import same_value
from connectors.bottlecrm.resources import Resource
from connectors.errors import FatalError
from connectors.http.client import RejectedError

DEAL_COLUMNS = frozenset(
    {"name", "account", "stage", "closed_on", "currency", "probability", "description"}
)
"""Opportunity columns a deal push writes (besides the key column and ``lines``)."""
NUMERIC = frozenset({"probability", "amount"})

LineKey = tuple[str | None, str | None, Decimal, Decimal]


def _number(value: Any) -> Decimal:
    amount = value.get("amount") if isinstance(value, dict) else value
    try:
        return Decimal(str(amount)).normalize()
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not a number") from None


def line_key(line: dict[str, Any]) -> LineKey:
    """What makes two line items the same: product (or name), quantity, unit price."""
    product = line.get("product_id") or line.get("product_source_id")
    if isinstance(line.get("product"), dict):
        product = line["product"].get("id")
    name = None if product else line.get("name")
    return (
        str(product) if product else None,
        str(name) if name else None,
        _number(line.get("quantity")),
        _number(line.get("unit_price")),
    )


class DealPusher:
    """Writes one batch of deal rows (see the module docstring)."""

    def __init__(
        self,
        client: BottleCrmClient,
        resource: Resource,
        key_column: str,
        deals: Sequence[dict[str, Any]],
        pipeline: str | None,
    ) -> None:
        self.client = client
        self.resource = resource
        self.key_column = key_column
        self.pipeline_setting = pipeline
        self._pipeline: str | None = None
        self.raw: dict[str, dict[str, Any]] = {str(d["id"]): d for d in deals}
        self.by_key: dict[str, str] = {}
        for deal_id, deal in self.raw.items():
            key = resource.columns(deal).get(key_column)
            if key:
                self.by_key.setdefault(str(key), deal_id)
        self.result = PushResult()

    def push(self, rows: Sequence[PushRow]) -> PushResult:
        """Create or update every row; refused rows go to ``rejected``."""
        for row in rows:
            try:
                self._push_one(row)
            except RejectedError as exc:
                self.result.rejected[row.target_id] = rejection_message(exc)
                self.result.assigned_ids.pop(row.target_id, None)
            except ValueError as exc:
                self.result.rejected[row.target_id] = str(exc)
        return self.result

    def _push_one(self, row: PushRow) -> None:
        values = dict(row.values)
        key = row.golden_id or values.get(self.key_column)
        if key:
            values[self.key_column] = str(key)
        lines = [dict(line) for line in values.pop("lines", None) or []]
        wanted = Counter(line_key(line) for line in lines)  # checks numbers before any write
        if row.create and not (key and str(key) in self.by_key):
            if not key:
                raise ValueError(f"a deal needs {self.key_column}: a retry could not find it")
            total = sum((k[2] * k[3] * n for k, n in wanted.items()), Decimal(0))
            # BottleCRM refuses a won deal without an amount; the lines recompute it.
            deal_id = self._create({"amount": str(total), **values} if lines else values)
            self.result.assigned_ids[row.target_id] = deal_id
            self.result.created += 1
            self._replace_lines(deal_id, lines, wanted)
            return
        deal_id = self.by_key[str(key)] if row.create else row.target_id
        if row.create:
            self.result.assigned_ids[row.target_id] = deal_id
        if deal_id not in self.raw:
            raise ValueError(f"deal {deal_id} does not exist (any more)")
        changed = self._update(deal_id, values)
        if "lines" in row.values and self._replace_lines(deal_id, lines, wanted):
            changed = True
        if changed:
            self.result.updated += 1

    def pipeline(self) -> str:
        """The pipeline new deals go into: the configured one (id or name), else the default."""
        if self._pipeline is None:
            body = self.client.call("GET", "opportunities/pipelines/")
            pipelines = body.get("pipelines") or []
            wanted = self.pipeline_setting
            found = [
                p
                for p in pipelines
                if (wanted and wanted in (str(p.get("id")), p.get("name")))
                or (not wanted and p.get("is_default"))
            ] or ([] if wanted else pipelines[:1])
            if not found:
                raise FatalError(self.client.system, f"no deal pipeline {wanted!r} in BottleCRM")
            self._pipeline = str(found[0]["id"])
        return self._pipeline

    def _create(self, values: dict[str, Any]) -> str:
        body = {c: v for c, v in values.items() if v is not None and c in self._writable}
        if not body.get("name"):
            raise ValueError("a deal needs a name")
        if not body.get("closed_on"):
            raise ValueError("a deal needs closed_on (its expected or actual close date)")
        body |= {"pipeline": self.pipeline(), "contacts": [], "assigned_to": [], "teams": []}
        key = values.get(self.key_column)
        answer = self.client.call("POST", self.resource.path, json=body)
        deal_id = str(answer["id"])
        self.raw[deal_id] = {"id": deal_id, "line_items": []}
        if key:
            self.by_key[str(key)] = deal_id
        return deal_id

    @property
    def _writable(self) -> frozenset[str]:
        return DEAL_COLUMNS | {self.key_column, "amount"}

    def _update(self, deal_id: str, values: dict[str, Any]) -> bool:
        current = self.resource.columns(self.raw[deal_id])
        changes = {
            column: value
            for column, value in values.items()
            if column in self._writable
            and value is not None
            and not same_value(current.get(column), value, column in NUMERIC)
        }
        if not changes:
            return False
        self.client.call("PATCH", self.resource.detail_path(deal_id), json=changes)
        return True

    def _replace_lines(
        self, deal_id: str, lines: list[dict[str, Any]], wanted: Counter[LineKey]
    ) -> bool:
        """Make the deal's line items ``lines`` (delete all, add all) unless they match."""
        held = list(self.raw[deal_id].get("line_items") or [])
        if Counter(line_key(item) for item in held) == wanted:
            return False
        base = f"{self.resource.detail_path(deal_id)}line-items/"
        for item in held:
            self.client.call("DELETE", f"{base}{item['id']}/")
        added = []
        for line in lines:
            key = line_key(line)
            body: dict[str, Any] = {"quantity": str(key[2]), "unit_price": str(key[3])}
            if key[0]:
                body["product_id"] = key[0]
            else:
                body["name"] = key[1] or "—"
            answer = self.client.call("POST", base, json=body)
            added.append(answer.get("line_item") or {**body, "product": {"id": key[0]}})
        self.raw[deal_id]["line_items"] = added
        return True
