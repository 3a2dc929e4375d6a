"""Contract harnesses of the ``tryton`` kind: customers and products on a real Tryton 8.2.

Each source is a fresh Tryton restored from the peer snapshot into the test's folder
(about 2 s), seeded over JSON-RPC with records created in one call (so they share the
newest change timestamp). Faults are injected by an httpx transport in front of the real
server: the first answers (login included) are replaced by 401, 403, 429, 503 or a read
timeout; transient faults end after one failing answer. Needs ``CRMSYNC_E2E=1`` like the
other peer tests.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from connectors.base import Connector, PushRow
from connectors.http import RetryPolicy
from connectors.tryton import TrytonConfig, TrytonConnector
from mappings.loader import load_mapping
from mappings.spec import MappingSpec
from tests.connectors.contract.harness import (
    ContractHarness,
    ContractSource,
    Fault,
    FaultyConnector,
)
from tests.connectors.contract.harnesses.transport import FaultTransport
from tests.e2e.peers import common, tryton

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"
STATUSES = {Fault.UNAUTHORIZED: 401, Fault.FORBIDDEN: 403, Fault.RATE_LIMITED: 429}


class TrytonSource(ContractSource):
    """A fresh Tryton seeded with three records of one entity."""

    def __init__(self, server: tryton.TrytonServer, entity: str) -> None:
        self.server = server
        self.entity = entity
        self.mapping: MappingSpec = load_mapping(MAPPINGS / f"tryton_{entity}.yaml")
        self.client = server.client()
        self.countries = {
            code: self.client.call("country.country", "create", [{"code": code, "name": code}])[0]
            for code in ("DE", "FR")
        }
        self.ids = self._seed()

    def _seed(self) -> list[int]:
        if self.entity == "customer":
            return [
                int(i)
                for i in self.client.call(
                    "party.party",
                    "create",
                    [
                        {
                            "name": name,
                            "addresses": [
                                ["create", [{"city": city, "country": self.countries["DE"]}]]
                            ],
                            "contact_mechanisms": [["create", [{"type": "email", "value": mail}]]],
                        }
                        for name, city, mail in (
                            ("Müller Präzision GmbH", "Stuttgart", "info@mueller.example"),
                            ("上海机械有限公司", "Berlin", "sales@sh-jixie.example"),
                            ("O'Brien & Sons Ltd", "Hamburg", "office@obrien.example"),
                        )
                    ],
                )
            ]
        unit = self.client.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
        templates = self.client.call(
            "product.template",
            "create",
            [
                {
                    "name": name,
                    "code": code,
                    "type": "goods",
                    "default_uom": unit,
                    "list_price": Decimal(price),
                    "products": [["create", [{"description": spec}]]],
                }
                for name, code, price, spec in (
                    ("Hex bolt", "HB-10", "0.25", "M10 x 40"),
                    ("Washer", "W-10", "0.05", "10 mm"),
                    ("Bracket", "BR-1", "4.50", "steel"),
                )
            ],
        )
        rows = self.client.call("product.template", "read", templates, ["products"])
        return [int(p) for row in rows for p in row["products"]]

    def connector(self, transport: httpx.BaseTransport | None = None) -> Connector:
        config = TrytonConfig(
            url=self.server.url,
            database=self.server.database,
            login=self.server.login,
            password=SecretStr(self.server.password),
            lag_seconds=0,
            retry=RetryPolicy(max_attempts=3, initial_delay=0.01),
            # Products push their cost price too (Tryton's wizard on an existing variant).
            push_cost_price=self.entity == "product",
        )
        return TrytonConnector("contract_tryton", config, transport=transport)

    def update(self, source_id: str) -> None:
        model, field = (
            ("party.party", "name")
            if self.entity == "customer"
            else ("product.product", "description")
        )
        self.client.call(
            model, "write", [int(source_id)], {field: f"changed {uuid.uuid4().hex[:6]}"}
        )

    def delete(self, source_id: str) -> None:
        if self.entity == "customer":
            self.client.call("party.party", "delete", [int(source_id)])
        else:
            self.client.call("product.product", "delete", [int(source_id)])

    def push_batch(self) -> Sequence[PushRow]:
        if self.entity == "customer":
            values = {
                "name": "Nordstern AG",
                "email": "kontakt@nordstern.example",
                "invoice_address.city": "Paris",
                "invoice_address.country": "FR",
                "crmsync_golden_id": "GC-contract1",
            }
            update = {"name": "Müller Präzision GmbH & Co. KG", "crmsync_golden_id": "GC-contract2"}
        else:
            values = {
                "code": "NUT-10",
                "name": "Hex nut",
                "list_price": "0.10",
                "cost_price": "0.04",
                "currency": "EUR",
                "unit": "u",
                "crmsync_golden_id": "GP-contract1",
            }
            update = {
                "list_price": "0.30",
                "cost_price": "0.123456",  # stored as 0.1235: the repeat must not push again
                "currency": "EUR",
                "crmsync_golden_id": "GP-contract2",
            }
        return [
            PushRow("TRYTON-new", values, True, values["crmsync_golden_id"]),
            PushRow(str(self.ids[0]), update, False, update["crmsync_golden_id"]),
        ]

    @contextlib.contextmanager
    def faulty(self, fault: Fault, *, transient: bool) -> Iterator[FaultyConnector]:
        transport = FaultTransport(fault, transient, statuses=STATUSES)
        yield FaultyConnector(self.connector(transport), lambda: transport.failures)

    def close(self) -> None:
        """Close the seeding client."""
        self.client.close()


@contextlib.contextmanager
def open_tryton(
    workdir: Path, make_source: Callable[[tryton.TrytonServer], TrytonSource]
) -> Iterator[TrytonSource]:
    """A fresh Tryton peer in ``workdir`` and the source ``make_source`` seeds in it.

    Skips without ``CRMSYNC_E2E=1``; closes the source and stops the peer afterwards.
    """
    if os.environ.get("CRMSYNC_E2E") != "1":
        pytest.skip("needs the real Tryton peer: set CRMSYNC_E2E=1")
    try:
        server = tryton.start(workdir / "tryton")
    except (common.PeerError, OSError) as exc:
        pytest.fail(f"Tryton peer could not be set up: {exc}", pytrace=False)
    try:
        source = make_source(server)
        try:
            yield source
        finally:
            source.close()
    finally:
        server.stop()


class TrytonHarness(ContractHarness):
    """The ``tryton`` kind for one entity."""

    kind = "tryton"
    marks = (pytest.mark.e2e,)

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.id = f"tryton-{entity}"

    @contextlib.contextmanager
    def open(self, workdir: Path) -> Iterator[ContractSource]:
        with open_tryton(workdir, lambda server: TrytonSource(server, self.entity)) as source:
            yield source


HARNESSES: list[ContractHarness] = [TrytonHarness("customer"), TrytonHarness("product")]
"""The Tryton harnesses the contract suite runs."""
