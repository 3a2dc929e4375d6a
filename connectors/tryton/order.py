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

Push (orders only) creates a ``sale.sale`` from a flat row: ``party`` (a Tryton party id),
``sale_date``, ``currency`` (ISO code), ``reference`` (the CRM deal id: the idempotency
key), optional ``description`` and ``lines`` (``{product | product_source_id, quantity,
unit_price}``, ``unit_price`` a number or ``{amount, currency}``). A create first looks
the reference up, so a create retried after a crash finds the sale made the first time.
Raw RPC runs no on_change, so the unit (the product's sale unit), unit price and the
party's invoice and shipment addresses are given explicitly. With ``confirm_orders`` the
sale is quoted and confirmed; a refusal (the credit-limit ``UserWarning``, a missing
address...) rejects the record with Tryton's message and the draft stays (a retry finds
it and tries again). An existing sale is never changed: a draft one is left as is, a
non-draft one whose content differs is rejected with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from connectors.base import PushResult, PushRow
from connectors.errors import RecordError
from connectors.tryton.adapter import EntityAdapter, blank, plain, same_value, text
from connectors.tryton.changes import ChangeSource
from connectors.tryton.lookups import UnknownReference
from connectors.tryton.rpc import TrytonUserError
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


ORDER_PUSH_COLUMNS = frozenset(
    {"party", "sale_date", "currency", "reference", "description", "lines"}
)
"""Outbound columns an order push understands."""
CONFIRMABLE_STATES = ("draft", "quotation")


def _line_price(value: Any) -> Decimal:
    """Return a line's unit price from a number or a ``{amount, currency}`` money dict."""
    amount = value.get("amount") if isinstance(value, dict) else value
    if blank(amount):
        raise ValueError("a line has no unit price")
    try:
        return Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"unit price {amount!r} is not a number") from None


def _sale_date(value: Any) -> dt.date | None:
    if blank(value):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class OrderAdapter(EntityAdapter):
    """``sale.sale`` ↔ canonical order: read, and create-only push keyed by ``reference``."""

    entity: ClassVar[str] = "order"
    root: ClassVar[str] = "sale.sale"
    sources: ClassVar[tuple[ChangeSource, ...]] = (
        ChangeSource("sale.sale"),
        ChangeSource("sale.line", "sale"),
    )
    push_columns: ClassVar[frozenset[str]] = ORDER_PUSH_COLUMNS

    SALE_FIELDS: ClassVar[list[str]] = [
        "number",
        "reference",
        "description",
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
        return self.payloads(ids)

    def payloads(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Return the flattened payload of each sale in ``ids`` (the mapping plays no part)."""
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
                    "description": text(sale.get("description")),
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

    # -- push (create only) ---------------------------------------------------------

    def find_references(self, references: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return ``{reference: sale}`` (id, state) for sales already carrying a reference."""
        found: dict[str, dict[str, Any]] = {}
        size = self.config.page_size
        for start in range(0, len(references), size):
            rows = self.rpc.search_read(
                self.root,
                [["reference", "in", list(references[start : start + size])]],
                ["reference", "state"],
                order=[["id", "ASC"]],
            )
            for row in rows:
                found.setdefault(str(row["reference"]), row)
        return found

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Create a sale per create row unless one with its ``reference`` exists already;
        bring a found or updated draft sale in line with the row.

        ``assigned_ids`` maps each create row's target id to the sale's id (new or found);
        ``rejected`` holds Tryton's message for refused rows (the others go on).
        """
        self._check_columns(mapping, self.push_columns)
        result = PushResult()
        references = {r.target_id: text(r.values.get("reference")) for r in rows}
        wanted = sorted({ref for r in rows if r.create and (ref := references[r.target_id])})
        existing = self.find_references(wanted) if wanted else {}
        for row in rows:
            reference = references[row.target_id]
            try:
                if row.create:
                    if reference is None:
                        raise RecordError(self.system, row.target_id, "an order needs a reference")
                    sale = existing.get(reference)
                    if sale is None:
                        ident = self.create_sale(row.values)
                        existing[reference] = {"id": ident, "state": "draft"}
                        result.created += 1
                    else:
                        ident = int(sale["id"])
                        if self.align(ident, row.values):
                            result.updated += 1
                    result.assigned_ids[row.target_id] = str(ident)
                else:
                    ident = self._ident(row.target_id)
                    if self.align(ident, row.values):
                        result.updated += 1
                if self.config.confirm_orders:
                    self.confirm(ident)
            except TrytonUserError as exc:
                result.rejected[row.target_id] = f"{exc.kind}: {exc.message}"
            except RecordError as exc:
                result.rejected[row.target_id] = str(exc).split(": ", 2)[-1]
            except (UnknownReference, ValueError) as exc:
                result.rejected[row.target_id] = str(exc)
        return result

    @classmethod
    def _line_keys(cls, lines: Sequence[dict[str, Any]]) -> Counter[tuple[str, Decimal, Decimal]]:
        """Product lines as a multiset of (product id, quantity, unit price)."""
        return Counter(
            (
                str(cls._product_of(line)),
                _decimal(line.get("quantity")).normalize(),
                _line_price(line.get("unit_price")).normalize(),
            )
            for line in lines
        )

    def _differences(self, current: dict[str, Any], values: dict[str, Any]) -> list[str]:
        """Return the columns of ``values`` the sale ``current`` (a payload) differs in."""
        differ: list[str] = [
            column
            for column in ("party", "sale_date", "currency", "reference", "description")
            if column in values
            and not blank(values[column])
            and not same_value(
                current.get(column),
                str(values[column])[:10] if column == "sale_date" else values[column],
            )
        ]
        if "lines" in values and self._line_keys(values["lines"] or []) != self._line_keys(
            current["lines"]
        ):
            differ.append("lines")
        return differ

    def align(self, ident: int, values: dict[str, Any]) -> bool:
        """Make draft sale ``ident`` hold ``values``; return whether it was written.

        A sale past draft is never written: one that differs is refused with the reason.
        """
        found = self.payloads([ident])
        if not found:
            raise RecordError(self.system, str(ident), f"sale {ident} does not exist in Tryton")
        current = found[0]
        differ = self._differences(current, values)
        if not differ:
            return False
        state = current.get("state")
        if state != "draft":
            raise RecordError(
                self.system,
                str(ident),
                f"sale {current.get('number') or ident} is {state} in Tryton and is not "
                f"changed by crmsync (its {', '.join(differ)} differ from the deal)",
            )
        write: dict[str, Any] = {}
        if "party" in differ:
            party = int(str(values["party"]))
            write["party"] = party
            write["invoice_address"], write["shipment_address"] = self._addresses(party)
        if "sale_date" in differ:
            write["sale_date"] = _sale_date(values["sale_date"])
        if "currency" in differ:
            write["currency"] = self._currency_id(str(values["currency"]))
        for column in ("reference", "description"):
            if column in differ:
                write[column] = text(values[column])
        if "lines" in differ:
            old = self.rpc.read(self.root, [ident], ["lines"])[0].get("lines") or []
            commands: list[Any] = [["delete", list(old)]] if old else []
            write["lines"] = [*commands, ["create", self._lines(list(values["lines"] or []))]]
        # One write: the sale and its lines change together or not at all.
        self.rpc.model(self.root, "write", [ident], write, write=True)
        return True

    @staticmethod
    def _product_of(line: dict[str, Any]) -> Any:
        return line.get("product", line.get("product_source_id"))

    def confirm(self, ident: int) -> None:
        """Quote and confirm sale ``ident`` when it is still draft or quotation."""
        state = self.rpc.read(self.root, [ident], ["state"])[0]["state"]
        if state not in CONFIRMABLE_STATES:
            return
        if state == "draft":
            self.rpc.model(self.root, "quote", [ident], write=True)
        self.rpc.model(self.root, "confirm", [ident], write=True)

    def _addresses(self, party: int) -> tuple[int, int]:
        """Return the party's (invoice, shipment) address ids as Tryton would choose them."""
        found = self.rpc.read("party.party", [party], ["addresses"])
        if not found:
            raise RecordError(self.system, str(party), f"party {party} does not exist in Tryton")
        ids = found[0].get("addresses") or []
        if not ids:
            raise RecordError(self.system, str(party), f"party {party} has no address in Tryton")
        addresses = self.rpc.read("party.address", list(ids), ["invoice", "delivery"])
        invoice = next((a for a in addresses if a.get("invoice")), addresses[0])
        delivery = next((a for a in addresses if a.get("delivery")), addresses[0])
        return int(invoice["id"]), int(delivery["id"])

    def _currency_id(self, code: str) -> int:
        rows = self.rpc.search_read("currency.currency", [["code", "=", code.upper()]], ["id"])
        if not rows:
            raise UnknownReference(f"currency {code!r} is not in Tryton's currency table")
        return int(rows[0]["id"])

    def _units(self, products: list[int]) -> dict[int, int]:
        """Return ``{product id: sale unit id}`` (the template's sale unit, else its unit)."""
        rows = self.rpc.read(
            "product.product", products, ["template.sale_uom", "template.default_uom"]
        )
        units: dict[int, int] = {}
        for row in rows:
            template = row.get("template.") or {}
            unit = template.get("sale_uom") or template.get("default_uom")
            if unit:
                units[int(row["id"])] = int(unit)
        return units

    def _lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        products: list[int] = []
        for number, line in enumerate(lines, start=1):
            product = self._product_of(line)
            if blank(product):
                raise ValueError(f"line {number} has no product")
            products.append(int(str(product)))
        units = self._units(sorted(set(products)))
        creates = []
        for number, (line, product) in enumerate(zip(lines, products, strict=True), start=1):
            if product not in units:
                raise ValueError(f"line {number}: product {product} does not exist in Tryton")
            creates.append(
                {
                    "type": "line",
                    "product": product,
                    "quantity": float(Decimal(str(line.get("quantity")))),
                    "unit": units[product],
                    "unit_price": _line_price(line.get("unit_price")),
                }
            )
        return creates

    def create_sale(self, values: dict[str, Any]) -> int:
        """Create one draft sale with its lines in one call; return its id."""
        if blank(values.get("party")):
            raise ValueError("an order needs a party")
        party = int(str(values["party"]))
        lines = list(values.get("lines") or [])
        if not lines:
            raise ValueError("an order needs at least one line")
        invoice, shipment = self._addresses(party)
        sale: dict[str, Any] = {
            "party": party,
            "invoice_address": invoice,
            "shipment_address": shipment,
            "reference": text(values.get("reference")),
            "lines": [["create", self._lines(lines)]],
        }
        company = self.rpc.context.get("company")
        if company:
            sale["company"] = int(company)
        if not blank(values.get("currency")):
            sale["currency"] = self._currency_id(str(values["currency"]))
        if (date := _sale_date(values.get("sale_date"))) is not None:
            sale["sale_date"] = date
        if not blank(values.get("description")):
            sale["description"] = text(values["description"])
        created = self.rpc.model(self.root, "create", [sale], write=True)
        return int(created[0])


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
