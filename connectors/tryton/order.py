"""Sale orders (``sale.sale`` with its lines) and their costs (per sale line), pulled only.

Order columns: ``id``, ``number``, ``reference``, ``party`` (the customer's party id),
``sale_date``, Tryton's ``state`` / ``shipment_state`` / ``invoice_state``, ``status``
(derived: cancelled, invoiced, shipped or entered), ``currency``, ``untaxed_amount``,
``total_amount`` and ``lines``: a list of ``{line_no, product_source_id, quantity,
unit_price: {amount, currency}, amount: {amount, currency}}`` (product lines only).

Cost columns (one record per product line): ``id`` (the sale line), ``order_source_id``,
``product``, ``quantity``, ``cost_type`` (``material``), ``amount``, ``currency`` (the
company's), ``posted_on``, ``basis``: ``moves`` when the line's stock moves are done (the
actual cost Tryton booked: move cost price x quantity in the product's unit), otherwise
``cost_price`` (the product's current cost price x quantity: a standard cost until
shipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from connectors.tryton.adapter import EntityAdapter, plain, text
from connectors.tryton.changes import ChangeSource
from mappings.spec import MappingSpec

INVOICED_STATES = frozenset({"awaiting payment", "partially paid", "paid"})
SHIPPED_STATES = frozenset({"sent"})


def order_status(sale: dict[str, Any]) -> str:
    """Return the canonical status of a sale from Tryton's three state fields."""
    if sale.get("state") == "cancelled":
        return "cancelled"
    if sale.get("invoice_state") in INVOICED_STATES:
        return "invoiced"
    if sale.get("shipment_state") in SHIPPED_STATES:
        return "shipped"
    return "entered"


def _decimal(value: Any) -> Decimal:
    """Return a Tryton number (float quantities included) as an exact Decimal."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _money(amount: Any, currency: str | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"amount": str(_decimal(amount)), "currency": currency}


class OrderAdapter(EntityAdapter):
    """``sale.sale`` → canonical order (read-only)."""

    entity: ClassVar[str] = "order"
    root: ClassVar[str] = "sale.sale"
    sources: ClassVar[tuple[ChangeSource, ...]] = (
        ChangeSource("sale.sale"),
        ChangeSource("sale.line", "sale"),
    )
    writable: ClassVar[bool] = False

    SALE_FIELDS: ClassVar[list[str]] = [
        "number",
        "reference",
        "party",
        "sale_date",
        "state",
        "shipment_state",
        "invoice_state",
        "currency",
        "untaxed_amount",
        "total_amount",
        "lines",
    ]
    LINE_FIELDS: ClassVar[list[str]] = [
        "sequence",
        "type",
        "product",
        "quantity",
        "unit_price",
        "amount",
    ]

    def read(self, ids: Sequence[int], mapping: MappingSpec) -> list[dict[str, Any]]:
        """Return the flattened payload of each sale in ``ids``, lines included."""
        sales = self.rpc.read(self.root, list(ids), self.SALE_FIELDS)
        line_ids = [line for sale in sales for line in sale.get("lines") or []]
        lines = {int(r["id"]): r for r in self.rpc.read("sale.line", line_ids, self.LINE_FIELDS)}
        payloads = []
        for sale in sales:
            currency = self.lookups.currency_code(sale.get("currency"))
            sale_lines = []
            for number, line_id in enumerate(sale.get("lines") or [], start=1):
                line = lines.get(line_id)
                if line is None or line.get("type") != "line":
                    continue
                sale_lines.append(
                    {
                        "line_no": number,
                        "product_source_id": str(line["product"]) if line.get("product") else None,
                        "quantity": str(_decimal(line.get("quantity"))),
                        "unit_price": _money(line.get("unit_price") or 0, currency),
                        "amount": _money(line.get("amount"), currency),
                    }
                )
            payloads.append(
                {
                    "id": str(sale["id"]),
                    "number": text(sale.get("number")),
                    "reference": text(sale.get("reference")),
                    "party": str(sale["party"]) if sale.get("party") else None,
                    "sale_date": plain(sale.get("sale_date")),
                    "state": sale.get("state"),
                    "shipment_state": sale.get("shipment_state"),
                    "invoice_state": sale.get("invoice_state"),
                    "status": order_status(sale),
                    "currency": currency,
                    "untaxed_amount": plain(sale.get("untaxed_amount")),
                    "total_amount": plain(sale.get("total_amount")),
                    "lines": sale_lines,
                }
            )
        return payloads


class CostAdapter(EntityAdapter):
    """``sale.line`` (product lines) + stock moves → canonical cost (read-only)."""

    entity: ClassVar[str] = "cost"
    root: ClassVar[str] = "sale.line"
    sources: ClassVar[tuple[ChangeSource, ...]] = (
        ChangeSource("sale.line"),
        ChangeSource("stock.move", "origin", where=(["origin", "like", "sale.line,%"],)),
    )
    base_domain: ClassVar[list[Any]] = [["type", "=", "line"], ["product", "!=", None]]
    writable: ClassVar[bool] = False

    def read(self, ids: Sequence[int], mapping: MappingSpec) -> list[dict[str, Any]]:
        """Return one cost payload per sale line in ``ids``."""
        lines = self.rpc.read(
            self.root, list(ids), ["sale", "product", "quantity", "moves", "sale.sale_date"]
        )
        move_ids = [m for line in lines for m in line.get("moves") or []]
        moves = {
            int(m["id"]): m
            for m in self.rpc.read(
                "stock.move",
                move_ids,
                ["state", "internal_quantity", "cost_price", "effective_date"],
            )
        }
        product_ids = sorted({int(line["product"]) for line in lines if line.get("product")})
        costs = {
            int(p["id"]): p.get("cost_price")
            for p in self.rpc.read("product.product", product_ids, ["cost_price"])
        }
        currency = self.lookups.company_currency()
        payloads = []
        for line in lines:
            done = [
                moves[m] for m in line.get("moves") or [] if moves.get(m, {}).get("state") == "done"
            ]
            quantity = _decimal(line.get("quantity"))
            sale = line.get("sale.") or {}
            if done:
                amount = sum(
                    (
                        _decimal(m.get("cost_price")) * _decimal(m.get("internal_quantity"))
                        for m in done
                    ),
                    Decimal(0),
                )
                posted = max(
                    (m["effective_date"] for m in done if m.get("effective_date")), default=None
                )
                basis = "moves"
            else:
                amount = _decimal(costs.get(int(line["product"]))) * quantity
                posted = sale.get("sale_date") if isinstance(sale, dict) else None
                basis = "cost_price"
            payloads.append(
                {
                    "id": str(line["id"]),
                    "order_source_id": str(line["sale"]),
                    "product": str(line["product"]),
                    "quantity": str(quantity),
                    "cost_type": "material",
                    "amount": str(amount.quantize(Decimal("0.0001"))),
                    "currency": currency,
                    "posted_on": plain(posted),
                    "basis": basis,
                }
            )
        return payloads
