"""Contract harness of the ``tryton`` kind for sale orders on a real Tryton 8.2.

The fresh Tryton (see :mod:`tests.connectors.contract.harnesses.tryton`) is seeded with a
customer, a product and three draft sales created in one call (so they share the newest
change timestamp). The push batch creates a sale (keyed on its ``reference``) and changes
the lines of a seeded draft sale; faults are injected by the same transport as for
customers and products. Needs ``CRMSYNC_E2E=1``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import PushRow
from tests.connectors.contract.harness import ContractHarness, ContractSource
from tests.connectors.contract.harnesses.tryton import TrytonSource, open_tryton
from tests.e2e.peers import tryton


class TrytonOrderSource(TrytonSource):
    """A fresh Tryton seeded with three draft sales of one customer."""

    def __init__(self, server: tryton.TrytonServer) -> None:
        super().__init__(server, "order")

    def _seed(self) -> list[int]:
        client = self.client
        self.party = int(
            client.call(
                "party.party",
                "create",
                [
                    {
                        "name": "Contract Kunde GmbH",
                        "addresses": [
                            ["create", [{"city": "Köln", "country": self.countries["DE"]}]]
                        ],
                    }
                ],
            )[0]
        )
        self.address = client.call("party.party", "read", [self.party], ["addresses"])[0][
            "addresses"
        ][0]
        self.unit = client.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
        template = client.call(
            "product.template",
            "create",
            [
                {
                    "name": "Gear",
                    "code": "G-1",
                    "type": "goods",
                    "salable": True,
                    "default_uom": self.unit,
                    "sale_uom": self.unit,
                    "list_price": Decimal("12"),
                    "products": [["create", [{}]]],
                }
            ],
        )[0]
        self.product = int(
            client.call("product.template", "read", [template], ["products"])[0]["products"][0]
        )
        currency = client.call("currency.currency", "search", [["code", "=", "EUR"]], 0, 1, None)
        self.currency = int(currency[0]) if currency else None
        sales = [
            {
                "party": self.party,
                "company": client.context["company"],
                "invoice_address": self.address,
                "shipment_address": self.address,
                "sale_date": dt.date(2026, 11, day),
                "reference": f"SEED-{day}",
                **({"currency": self.currency} if self.currency else {}),
                "lines": [["create", [self._line(quantity)]]],
            }
            for day, quantity in ((2, 1.0), (3, 2.0), (4, 3.0))
        ]
        return [int(i) for i in client.call("sale.sale", "create", sales)]

    def _line(self, quantity: float) -> dict[str, Any]:
        return {
            "type": "line",
            "product": self.product,
            "quantity": quantity,
            "unit": self.unit,
            "unit_price": Decimal("12.00"),
        }

    def update(self, source_id: str) -> None:
        self.client.call(
            "sale.sale", "write", [int(source_id)], {"reference": f"R-{uuid.uuid4().hex[:6]}"}
        )

    def delete(self, source_id: str) -> None:
        self.client.call("sale.sale", "delete", [int(source_id)])

    def push_batch(self) -> Sequence[PushRow]:
        line = {"product_source_id": str(self.product), "quantity": "4", "unit_price": "11.50"}
        create = {
            "party": str(self.party),
            "sale_date": "2026-11-20",
            "currency": "EUR",
            "reference": "DEAL-contract1",
            "lines": [line],
        }
        update = {"lines": [{**line, "quantity": "7"}]}
        return [
            PushRow("deal:DEAL-contract1", create, True, "DEAL-contract1"),
            PushRow(str(self.ids[0]), update, False),
        ]


class TrytonOrderHarness(ContractHarness):
    """The ``tryton`` kind for sale orders."""

    id = "tryton-order"
    kind = "tryton"
    marks = (pytest.mark.e2e,)

    @contextlib.contextmanager
    def open(self, workdir: Path) -> Iterator[ContractSource]:
        with open_tryton(workdir, TrytonOrderSource) as source:
            yield source


HARNESSES: list[ContractHarness] = [TrytonOrderHarness()]
"""The Tryton order harness the contract suite runs."""
