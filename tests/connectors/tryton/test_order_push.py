"""Tryton order push (mock transport): what is sent, lookup before create, refusals.

The real server proves the same in tests/e2e/test_orders_bottlecrm_tryton.py.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base import PushRow
from connectors.http import RetryPolicy
from connectors.tryton.codec import dumps, loads
from connectors.tryton.config import TrytonConfig
from connectors.tryton.connector import TrytonConnector
from mappings.loader import load_mapping

ROOT = Path(__file__).resolve().parents[3]
MAPPING = load_mapping(ROOT / "mappings" / "tryton_order.yaml")


class FakeSales:
    """A Tryton holding sales by reference, answering what the order push calls."""

    def __init__(self) -> None:
        self.sales: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, list[Any]]] = []
        self.refuse_confirm: str | None = None
        self.writes: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = loads(request.content)
        method, params = body["method"], body["params"]
        if method == "common.db.login":
            return self._answer(body, [1, "s", None])
        assert base64.b64decode(request.headers["Authorization"].split()[1])
        self.calls.append((method, params))
        if method == "model.res.user.get_preferences":
            return self._answer(body, {"company": 1})
        model, name = method[len("model.") :].rsplit(".", 1)
        return self._answer(body, self._handle(model, name, params[:-1]))

    @staticmethod
    def _answer(body: dict[str, Any], result: Any) -> httpx.Response:
        return httpx.Response(200, content=dumps({"id": body["id"], "result": result}))

    def _handle(self, model: str, name: str, args: list[Any]) -> Any:
        if (model, name) == ("sale.sale", "search_read"):
            refs = args[0][0][2]
            return [
                {"id": i, "reference": s["reference"], "state": s["state"]}
                for i, s in self.sales.items()
                if s["reference"] in refs
            ]
        if (model, name) == ("sale.sale", "create"):
            ident = len(self.sales) + 1
            self.sales[ident] = {**args[0][0], "state": "draft"}
            return [ident]
        if (model, name) == ("sale.sale", "read"):
            return [self._sale(i) for i in args[0]]
        if (model, name) == ("sale.line", "read"):
            return [self._line(i) for i in args[0]]
        if model == "sale.sale" and name in ("quote", "confirm"):
            if name == "confirm" and self.refuse_confirm:
                return self._error(self.refuse_confirm)
            for ident in args[0]:
                self.sales[ident]["state"] = "quotation" if name == "quote" else "confirmed"
            return None
        if (model, name) == ("party.party", "read"):
            return [{"id": 17, "addresses": [30, 31]}]
        if (model, name) == ("party.address", "read"):
            return [{"id": 30, "invoice": False, "delivery": True}, {"id": 31, "invoice": True}]
        if (model, name) == ("currency.currency", "search_read"):
            return [{"id": 2, "code": "EUR"}]
        if (model, name) == ("sale.sale", "write"):
            self.writes.append(args[1])
            for ident in args[0]:
                sale = self.sales[ident]
                for column, value in args[1].items():
                    if column == "lines":
                        sale["lines"] = [c for c in value if c[0] == "create"]
                    else:
                        sale[column] = value
            return None
        if (model, name) == ("product.product", "read"):
            return [{"id": p, "template.": {"sale_uom": 1, "default_uom": 1}} for p in args[0]]
        raise AssertionError(f"unexpected call {model}.{name}")

    def _error(self, message: str) -> Any:
        raise _RefusedError(message)

    def _sale(self, ident: int) -> dict[str, Any]:
        sale = self.sales[ident]
        lines = sale["lines"][0][1]
        return {
            "id": ident,
            "number": f"S{ident}",
            "reference": sale["reference"],
            "party": sale["party"],
            "state": sale["state"],
            "sale_date": sale.get("sale_date"),
            "description": sale.get("description"),
            "currency": 2,
            "lines": [ident * 100 + n for n in range(len(lines))],
        }

    def _line(self, ident: int) -> dict[str, Any]:
        line = self.sales[ident // 100]["lines"][0][1][ident % 100]
        return {"id": ident, "type": "line", **line, "amount": None}


class _RefusedError(Exception):
    """Tryton refuses the call (answered as a UserWarning by :class:`Transport`)."""


class Transport(httpx.BaseTransport):
    """Turns a refusal raised by the fake into Tryton's HTTP 200 error answer."""

    def __init__(self, fake: FakeSales) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.fake(request)
        except _RefusedError as exc:
            body = json.loads(request.content)
            error = ["UserWarning", ["credit_limit_17", str(exc), ""]]
            return httpx.Response(200, content=dumps({"id": body["id"], "error": error}))


def _connector(fake: FakeSales, **settings: Any) -> TrytonConnector:
    config = TrytonConfig(
        url="http://tryton.test",
        database="db",
        login="admin",
        password=SecretStr("pw"),
        retry=RetryPolicy(max_attempts=1, initial_delay=0.01),
        **settings,
    )
    return TrytonConnector("tryton", config, transport=Transport(fake), sleep=lambda _: None)


def _row(reference: str, *lines: dict[str, Any], party: str = "17") -> PushRow:
    values = {
        "party": party,
        "sale_date": "2026-11-20",
        "currency": "EUR",
        "reference": reference,
        "lines": list(lines),
    }
    return PushRow(f"deal:{reference}", values, True, golden_id=reference)


LINE = {
    "product_source_id": "5",
    "quantity": "2",
    "unit_price": {"amount": "10.50", "currency": "EUR"},
}


def test_create_sends_unit_addresses_and_prices_explicitly() -> None:
    fake = FakeSales()
    result = _connector(fake).push(MAPPING, [_row("D1", LINE)])
    assert result.created == 1 and result.rejected == {}
    assert result.assigned_ids == {"deal:D1": "1"}
    sale = fake.sales[1]
    assert (sale["invoice_address"], sale["shipment_address"]) == (31, 30)
    assert sale["party"] == 17 and sale["company"] == 1 and sale["currency"] == 2
    assert str(sale["sale_date"]) == "2026-11-20" and sale["reference"] == "D1"
    assert sale["lines"][0][1] == [
        {"type": "line", "product": 5, "quantity": 2.0, "unit": 1, "unit_price": Decimal("10.50")}
    ]
    assert sale["state"] == "draft"  # confirm_orders is off by default


def test_a_retried_create_finds_the_sale_by_reference() -> None:
    fake = FakeSales()
    connector = _connector(fake)
    connector.push(MAPPING, [_row("D1", LINE)])
    again = connector.push(MAPPING, [_row("D1", LINE)])
    assert again.created == 0 and again.assigned_ids == {"deal:D1": "1"}
    assert len(fake.sales) == 1


def test_a_confirmed_sale_is_never_changed() -> None:
    fake = FakeSales()
    _connector(fake, confirm_orders=True).push(MAPPING, [_row("D1", LINE)])
    assert fake.sales[1]["state"] == "confirmed"
    changed = _connector(fake).push(MAPPING, [_row("D1", {**LINE, "quantity": "3"})])
    assert "is confirmed in Tryton and is not changed" in changed.rejected["deal:D1"]
    same = _connector(fake).push(MAPPING, [_row("D1", LINE)])
    assert same.rejected == {} and same.assigned_ids == {"deal:D1": "1"}


def test_a_credit_limit_warning_rejects_the_record_and_the_rest_go_on() -> None:
    fake = FakeSales()
    fake.refuse_confirm = "The credit limit of party Nordwind would be exceeded."
    result = _connector(fake, confirm_orders=True).push(
        MAPPING, [_row("D1", LINE), _row("D2", {**LINE, "product_source_id": None})]
    )
    assert result.rejected["deal:D1"] == (
        "UserWarning: The credit limit of party Nordwind would be exceeded."
    )
    assert result.rejected["deal:D2"] == "line 1 has no product"
    assert fake.sales[1]["state"] == "quotation"  # the draft stays for the retry
    assert result.created == 1


def test_pushing_the_same_order_twice_writes_nothing() -> None:
    fake = FakeSales()
    connector = _connector(fake)
    connector.push(MAPPING, [_row("D1", LINE)])
    again = connector.push(MAPPING, [_row("D1", LINE)])
    assert (again.created, again.updated, again.rejected) == (0, 0, {})
    assert fake.writes == []


def test_a_draft_sale_gets_its_lines_replaced_in_one_write() -> None:
    fake = FakeSales()
    connector = _connector(fake)
    connector.push(MAPPING, [_row("D1", LINE)])
    changed = {**LINE, "quantity": "5", "unit_price": "9.99"}
    result = connector.push(MAPPING, [PushRow("1", _row("D1", changed).values, False)])
    assert (result.updated, result.rejected) == (1, {})
    [write] = fake.writes
    assert write["lines"][0] == ["delete", [100]]
    assert write["lines"][1][1][0]["quantity"] == 5.0
    assert write["lines"][1][1][0]["unit_price"] == Decimal("9.99")
    assert set(write) == {"lines"}  # party, date, currency and reference did not change
