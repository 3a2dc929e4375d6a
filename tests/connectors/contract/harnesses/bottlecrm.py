"""Contract harnesses of the ``bottlecrm`` kind: accounts, contacts and products.

One real BottleCRM per test process (restore and start take 5-9 s, too long per test),
started on first use and stopped at exit; each source first deletes every record of its
resource through the API, then seeds four over the API, so every test sees only its own
records. BottleCRM stamps ``updated_at`` itself, so no two seeded records share the
newest stamp (``shared_boundary`` is False; the connector's boundary handling with shared
stamps is covered by the unit tests). Faults are injected by an httpx transport in front
of the real server (429, 503, read timeout; transient ones end after one failing answer);
401 is a real refusal of a bad token (BottleCRM answers it with HTTP 403). Needs
``CRMSYNC_E2E=1`` like the other peer tests.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import Connector, PushRow
from connectors.bottlecrm import BottleCrmConfig, BottleCrmConnector
from connectors.http import RetryPolicy
from mappings.loader import PACKAGED_MAPPINGS, load_mapping
from mappings.spec import MappingSpec
from tests.connectors.contract.harness import (
    ContractHarness,
    ContractSource,
    Fault,
    FaultyConnector,
)
from tests.connectors.contract.harnesses.transport import FaultTransport
from tests.e2e.peers import bottlecrm, common

GOLDEN = "custom_fields.crmsync_golden_id"
PATHS = {"customer": "accounts/", "contact": "contacts/", "product": "invoices/products/"}
_SERVER: list[bottlecrm.BottleCrmServer] = []


def _server() -> bottlecrm.BottleCrmServer:
    """The process's BottleCRM, started on first use and stopped at exit."""
    if not _SERVER:
        folder = Path(tempfile.mkdtemp(prefix="contract-bottlecrm-"))
        try:
            server = bottlecrm.start(folder)
        except (common.PeerError, OSError) as exc:
            pytest.fail(f"BottleCRM peer could not be set up: {exc}", pytrace=False)
        atexit.register(server.stop)
        _SERVER.append(server)
    return _SERVER[0]


class BottleCrmSource(ContractSource):
    """The process's BottleCRM with only four fresh records of one resource."""

    def __init__(self, server: bottlecrm.BottleCrmServer, entity: str) -> None:
        self.server = server
        self.entity = entity
        self.path = PATHS[entity]
        self.mapping: MappingSpec = load_mapping(PACKAGED_MAPPINGS / f"bottlecrm_{entity}.yaml")
        self.client = server.client()
        self.tag = uuid.uuid4().hex[:6]
        self._clear()
        self.ids = [self._create(self._seed_body(i)) for i in range(4)]

    def _clear(self) -> None:
        connector = self.connector()
        try:
            for record_id in list(connector.keys(self.mapping)):
                gone = self.client.delete(f"{self.path}{record_id}/")
                assert gone.status_code in (200, 204, 404), gone.text
        finally:
            connector.close()

    def _create(self, body: dict[str, Any]) -> str:
        answer = self.client.post(self.path, json=body)
        assert answer.status_code in (200, 201), answer.text
        data = answer.json()
        return str(data["product"]["id"] if "product" in data else data["id"])

    def _seed_body(self, i: int) -> dict[str, Any]:
        if self.entity == "customer":
            return {"name": f"Contract {self.tag} {i}", "city": "Ghent", "country": "BE"}
        if self.entity == "contact":
            return {
                "first_name": f"First{i}",
                "last_name": self.tag,
                "email": f"c{i}.{self.tag}@example.com",
            }
        return {"name": f"Part {i}", "sku": f"K{self.tag}-{i}", "price": "1.50", "currency": "EUR"}

    def connector(self, transport: httpx.BaseTransport | None = None) -> Connector:
        config = BottleCrmConfig(
            base_url=self.server.url,
            token=self.server.token,
            page_size=3,  # four records: every pull pages
            retry=RetryPolicy(max_attempts=3, initial_delay=0.01),
        )
        return BottleCrmConnector("contract_bottlecrm", config, transport=transport)

    def update(self, source_id: str) -> None:
        changed = f"changed {uuid.uuid4().hex[:6]}"
        if self.entity == "product":
            answer = self.client.put(f"{self.path}{source_id}/", json={"description": changed})
        else:
            column = "city" if self.entity == "customer" else "title"
            answer = self.client.patch(f"{self.path}{source_id}/", json={column: changed})
        assert answer.status_code == 200, answer.text

    def delete(self, source_id: str) -> None:
        answer = self.client.delete(f"{self.path}{source_id}/")
        assert answer.status_code in (200, 204), answer.text

    def _row(self, **values: Any) -> dict[str, Any]:
        assert self.mapping.outbound is not None
        row: dict[str, Any] = dict.fromkeys(self.mapping.outbound.fields)
        row.update(values)
        return row

    def push_batch(self) -> Sequence[PushRow]:
        if self.entity == "customer":
            new = self._row(name=f"Nordstern {self.tag} AG", city="Paris", country="FR")
            new[GOLDEN] = f"GC-{self.tag}-new"
            update = self._row(name=f"Contract {self.tag} 0", city="Lyon", country="BE")
            update[GOLDEN] = f"GC-{self.tag}-0"
        elif self.entity == "contact":
            new = self._row(first_name="Ada", last_name=self.tag, email=f"ada.{self.tag}@x.example")
            new[GOLDEN] = f"GK-{self.tag}-new"
            update = self._row(
                first_name="First0", last_name=self.tag, email=f"c0.{self.tag}@example.com"
            )
            update.update(title="CFO")
            update[GOLDEN] = f"GK-{self.tag}-0"
        else:
            new = self._row(sku=f"N{self.tag}", name="Hex nut", price="0.10", currency="EUR")
            update = self._row(sku=f"K{self.tag}-0", name="Part 0", price="0.30", currency="EUR")
        return [
            PushRow(f"new-{self.tag}", new, True, new.get(GOLDEN)),
            PushRow(self.ids[0], update, False, update.get(GOLDEN)),
        ]

    @contextlib.contextmanager
    def faulty(self, fault: Fault, *, transient: bool) -> Iterator[FaultyConnector]:
        transport = FaultTransport(
            fault, transient, statuses={Fault.RATE_LIMITED: 429}, real={Fault.UNAUTHORIZED}
        )
        connector = self.connector(transport)
        if fault is Fault.UNAUTHORIZED:
            config = BottleCrmConfig(
                base_url=self.server.url,
                token="bcrm_pat_not-a-real-token",  # noqa: S106 - deliberately wrong
                retry=RetryPolicy(max_attempts=3, initial_delay=0.01),
            )
            connector = BottleCrmConnector("contract_bottlecrm", config, transport=transport)
        yield FaultyConnector(connector, lambda: transport.failures)

    def close(self) -> None:
        """Close the seeding client."""
        self.client.close()


class BottleCrmHarness(ContractHarness):
    """The ``bottlecrm`` kind for one entity."""

    kind = "bottlecrm"
    marks = (pytest.mark.e2e,)
    shared_boundary = False
    unsupported_faults = {
        Fault.FORBIDDEN: "BottleCRM has no read permission narrower than the org: a member's "
        "token lists what it may see (200); a refused token is the 401 case (HTTP 403)",
    }

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.id = f"bottlecrm-{entity}"

    def key_order(self, source_id: str) -> Any:
        """UUIDs, ordered as text (the connector's tie-break)."""
        return source_id

    @contextlib.contextmanager
    def open(self, workdir: Path) -> Iterator[ContractSource]:
        if os.environ.get("CRMSYNC_E2E") != "1":
            pytest.skip("needs the real BottleCRM peer: set CRMSYNC_E2E=1")
        source = BottleCrmSource(_server(), self.entity)
        try:
            yield source
        finally:
            source.close()


HARNESSES: list[ContractHarness] = [
    BottleCrmHarness("customer"),
    BottleCrmHarness("contact"),
    BottleCrmHarness("product"),
]
"""The BottleCRM harnesses the contract suite runs."""
