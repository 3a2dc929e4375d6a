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
from collections.abc import Iterator, Sequence
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
from tests.e2e.peers import common, tryton

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"
STATUSES = {Fault.UNAUTHORIZED: 401, Fault.FORBIDDEN: 403, Fault.RATE_LIMITED: 429}


class FaultTransport(httpx.BaseTransport):
    """Replaces the first answers of the real server by a fault, counting them."""

    def __init__(self, fault: Fault, transient: bool) -> None:
        self.inner = httpx.HTTPTransport()
        self.fault = fault
        self.remaining = 1 if transient else 10**6
        self.failures = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Fail while the fault lasts, then forward to the real Tryton."""
        if self.remaining > 0:
            self.remaining -= 1
            self.failures += 1
            if self.fault is Fault.TIMEOUT:
                raise httpx.ReadTimeout("injected read timeout", request=request)
            status = STATUSES.get(self.fault, 503)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return httpx.Response(status, headers=headers, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Close the real transport."""
        self.inner.close()


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
                "unit": "u",
                "crmsync_golden_id": "GP-contract1",
            }
            update = {"list_price": "0.30", "crmsync_golden_id": "GP-contract2"}
        return [
            PushRow("TRYTON-new", values, True, values["crmsync_golden_id"]),
            PushRow(str(self.ids[0]), update, False, update["crmsync_golden_id"]),
        ]

    @contextlib.contextmanager
    def faulty(self, fault: Fault, *, transient: bool) -> Iterator[FaultyConnector]:
        transport = FaultTransport(fault, transient)
        yield FaultyConnector(self.connector(transport), lambda: transport.failures)

    def close(self) -> None:
        """Close the seeding client."""
        self.client.close()


class TrytonHarness(ContractHarness):
    """The ``tryton`` kind for one entity."""

    kind = "tryton"
    marks = (pytest.mark.e2e,)

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.id = f"tryton-{entity}"

    @contextlib.contextmanager
    def open(self, workdir: Path) -> Iterator[ContractSource]:
        if os.environ.get("CRMSYNC_E2E") != "1":
            pytest.skip("needs the real Tryton peer: set CRMSYNC_E2E=1")
        try:
            server = tryton.start(workdir / "tryton")
        except (common.PeerError, OSError) as exc:
            pytest.fail(f"Tryton peer could not be set up: {exc}", pytrace=False)
        try:
            source = TrytonSource(server, self.entity)
            try:
                yield source
            finally:
                source.close()
        finally:
            server.stop()


HARNESSES: list[ContractHarness] = [TrytonHarness("customer"), TrytonHarness("product")]
"""The Tryton harnesses the contract suite runs."""
