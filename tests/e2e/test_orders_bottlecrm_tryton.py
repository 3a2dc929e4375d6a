"""Won BottleCRM deals become Tryton sales orders (``crmsync run order``), against both peers.

A fresh Tryton and BottleCRM are seeded with one customer each side (the same company)
plus one the CRM alone holds, and products (one both hold, one only the CRM has). The
customer and product syncs run in-process with the shipped config
(config/bottlecrm-tryton.yaml), so every customer and product exists in both systems with
golden cross-references. Then a won deal with two line items is created in BottleCRM and
the order flow runs: the Tryton sale is read back through JSON-RPC (party, lines,
quantities, prices, reference). A rerun creates no second sale; a deal whose customer has
no golden record yet is quarantined with that reason; the sale's state in Tryton is read
back into the store; and the connector's ``confirm_orders`` turns a credit-limit warning
into a rejection with Tryton's message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import SecretStr

from connectors.base import PushRow
from connectors.tryton.config import TrytonConfig
from connectors.tryton.connector import TrytonConnector
from mappings.loader import load_mapping
from tests.e2e.peers.bottlecrm import BottleCrmServer
from tests.e2e.peers.tryton import TrytonClient, TrytonServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ORDER_MAPPING = load_mapping(ROOT / "mappings" / "tryton_order.yaml")


def _country(rpc: TrytonClient, code: str, code3: str, name: str) -> int:
    found = rpc.call("country.country", "search", [["code", "=", code]], 0, 1, None)
    if found:
        return int(found[0])
    return int(
        rpc.call("country.country", "create", [{"code": code, "code3": code3, "name": name}])[0]
    )


def _seed(rpc: TrytonClient, crm: httpx.Client) -> None:
    germany = _country(rpc, "DE", "DEU", "Germany")
    _country(rpc, "FR", "FRA", "France")
    rpc.call(
        "party.party",
        "create",
        [
            {
                "name": "Nordwind Maschinenbau GmbH",
                "addresses": [
                    [
                        "create",
                        [
                            {
                                "street": "Hafenstraße 12",
                                "postal_code": "20457",
                                "city": "Hamburg",
                                "country": germany,
                            }
                        ],
                    ]
                ],
            }
        ],
    )
    unit = rpc.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
    rpc.call(
        "product.template",
        "create",
        [
            {
                "name": "Hydraulic pump HP-20",
                "code": "P-100",
                "type": "goods",
                "default_uom": unit,
                "salable": True,
                "sale_uom": unit,
                "list_price": Decimal("1250.00"),
                "products": [["create", [{}]]],
            }
        ],
    )
    for account in (
        {
            "name": "Nordwind Maschinenbau GmbH",
            "address_line": "Hafenstraße 12",
            "postcode": "20457",
            "city": "Hamburg",
            "country": "DE",
        },
        {
            "name": "Orchid Design Studio",
            "address_line": "12 Rue de Rivoli",
            "postcode": "75001",
            "city": "Paris",
            "country": "FR",
        },
    ):
        assert crm.post("accounts/", json=account).status_code in (200, 201)
    for product in (
        {"sku": "P-100", "name": "Hydraulic pump HP-20", "price": "1250.00"},
        {"sku": "P-300", "name": "Pressure sensor PS-3", "price": "45.50"},
    ):
        answer = crm.post("invoices/products/", json={**product, "currency": "EUR"})
        assert answer.status_code in (200, 201), answer.text


@pytest.fixture(scope="module")
def peers(
    fresh_tryton: TrytonServer, fresh_bottlecrm: BottleCrmServer
) -> Iterator[tuple[TrytonClient, httpx.Client]]:
    """Both systems, seeded, as plain API clients."""
    with fresh_tryton.client() as rpc, fresh_bottlecrm.client() as crm:
        _seed(rpc, crm)
        yield rpc, crm


@pytest.fixture(scope="module")
def config(
    peers: tuple[TrytonClient, httpx.Client],
    fresh_tryton: TrytonServer,
    fresh_bottlecrm: BottleCrmServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    """The shipped config with its store in a temporary folder and no pull lag on Tryton;
    customers and products already synced."""
    folder = tmp_path_factory.mktemp("orders")
    raw = yaml.safe_load((ROOT / "config" / "bottlecrm-tryton.yaml").read_text())
    raw["store"]["url"] = f"sqlite:///{folder / 'crmsync.db'}"
    raw["report"] = {"directory": str(folder / "reports"), "data_docs_dir": str(folder / "gx")}
    raw["systems"]["tryton"]["lag_seconds"] = 0
    path = folder / "crmsync.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOTTLECRM_URL", fresh_bottlecrm.url)
        patch.setenv("BOTTLECRM_TOKEN", fresh_bottlecrm.token)
        patch.setenv("TRYTON_URL", fresh_tryton.url)
        patch.setenv("TRYTON_DATABASE", fresh_tryton.database)
        patch.setenv("TRYTON_LOGIN", fresh_tryton.login)
        patch.setenv("TRYTON_PASSWORD", fresh_tryton.password)
        for entity in ("customer", "product"):
            summary = _run(path, entity)
            assert summary["status"] == "success", summary
        yield path


def _run(config: Path, entity: str) -> dict[str, Any]:
    from sync.cli import main

    out = _capture(lambda: main(["--config", str(config), "-q", "run", entity, "--json"]))
    return dict(json.loads(out.strip().splitlines()[-1])[entity])


def _capture(call: Any) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        call()
    return buffer.getvalue()


def _won_deal(crm: httpx.Client, account_name: str, lines: list[tuple[str, str, str]]) -> str:
    """Create a won deal for the account with (sku, quantity, unit price) lines."""
    accounts = crm.get("accounts/", params={"limit": 500}).json()["active_accounts"]
    account = next(a["id"] for a in accounts["open_accounts"] if a["name"] == account_name)
    products = {
        p["sku"]: p["id"]
        for p in crm.get("invoices/products/", params={"limit": 500}).json()["results"]
    }
    pipeline = crm.get("opportunities/pipelines/").json()["pipelines"][0]["id"]
    created = crm.post(
        "opportunities/",
        json={
            "name": f"Deal {uuid.uuid4().hex[:6]}",
            "account": account,
            "pipeline": pipeline,
            "stage": "PROPOSAL",
            "closed_on": "2026-11-20",
            "currency": "EUR",
            "contacts": [],
            "assigned_to": [],
            "teams": [],
        },
    )
    assert created.status_code in (200, 201), created.text
    deal = str(created.json()["id"])
    for sku, quantity, price in lines:
        added = crm.post(
            f"opportunities/{deal}/line-items/",
            json={"product_id": products[sku], "quantity": quantity, "unit_price": price},
        )
        assert added.status_code in (200, 201), added.text
    assert crm.patch(f"opportunities/{deal}/", json={"stage": "CLOSED_WON"}).status_code == 200
    return deal


def _sales(rpc: TrytonClient, reference: str) -> list[dict[str, Any]]:
    sales = rpc.call(
        "sale.sale",
        "search_read",
        [["reference", "=", reference]],
        0,
        None,
        None,
        ["party.name", "reference", "sale_date", "state", "currency.code", "lines"],
    )
    for sale in sales:
        sale["line_rows"] = rpc.call(
            "sale.line", "read", sale["lines"], ["product.code", "quantity", "unit_price", "unit"]
        )
    return list(sales)


def _links(config: Path) -> dict[str, Any]:
    from sqlalchemy import select

    from store.schema import order_links
    from sync.context import SyncContext

    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as connection:
            rows = connection.execute(select(order_links)).mappings().all()
    finally:
        ctx.close()
    return {row["deal_id"]: dict(row) for row in rows}


def _open_quarantine(config: Path) -> list[Any]:
    from store.quarantine import open_entries
    from sync.context import SyncContext

    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as connection:
            return open_entries(connection, "order")
    finally:
        ctx.close()


def test_a_won_deal_becomes_one_tryton_sale(
    peers: tuple[TrytonClient, httpx.Client], config: Path
) -> None:
    rpc, crm = peers
    deal = _won_deal(
        crm, "Orchid Design Studio", [("P-100", "2", "1199.00"), ("P-300", "10", "45.50")]
    )

    summary = _run(config, "order")
    assert summary["status"] == "success", summary
    assert summary["targets"]["tryton"]["created"] == 1, summary

    sales = _sales(rpc, deal)
    assert len(sales) == 1
    sale = sales[0]
    # The CRM-only customer and product were created in Tryton by the customer and
    # product syncs; the order points at those records.
    assert sale["party."]["name"] == "Orchid Design Studio"
    assert sale["state"] == "draft"
    assert sale["currency."]["code"] == "EUR"
    assert str(sale["sale_date"]) == "2026-11-20"
    lines = sorted(
        (line["product."]["code"], Decimal(str(line["quantity"])), line["unit_price"])
        for line in sale["line_rows"]
    )
    assert lines == [
        ("P-100", Decimal("2"), Decimal("1199.00")),
        ("P-300", Decimal("10"), Decimal("45.50")),
    ]
    assert all(line["unit"] for line in sale["line_rows"])
    assert _links(config)[deal]["order_id"] == str(sale["id"])

    again = _run(config, "order")
    assert again["targets"]["tryton"]["created"] == 0, again
    assert again["targets"]["tryton"]["linked"] >= 1
    assert len(_sales(rpc, deal)) == 1
    # The rerun read the sale back from Tryton: its state is in the store.
    assert _links(config)[deal]["target_state"] == "draft"

    rpc.call("sale.sale", "cancel", [sale["id"]])
    _run(config, "order")
    link = _links(config)[deal]
    assert (link["status"], link["target_state"]) == ("cancelled", "cancelled")


def test_a_deal_of_a_customer_without_golden_record_is_quarantined(
    peers: tuple[TrytonClient, httpx.Client], config: Path
) -> None:
    rpc, crm = peers
    name = f"Newcomer {uuid.uuid4().hex[:6]}"
    account = {
        "name": name,
        "address_line": "Jungfernstieg 1",
        "postcode": "20095",
        "city": "Hamburg",
        "country": "DE",
    }
    assert crm.post("accounts/", json=account).status_code in (200, 201)
    deal = _won_deal(crm, name, [("P-100", "1", "1250.00")])

    summary = _run(config, "order")
    assert summary["status"] == "success"
    assert summary["targets"]["tryton"]["quarantined"] >= 1
    assert _sales(rpc, deal) == []
    held = [e for e in _open_quarantine(config) if e.source_id == deal]
    assert [e.column for e in held] == ["customer_source_id"]
    assert "has no golden record yet" in held[0].reason
    # The run's audit report lists the held deal with its reason.
    from sync.cli import main

    report = _capture(lambda: main(["--config", str(config), "-q", "report"]))
    html = Path(report.strip().splitlines()[0]).read_text(encoding="utf-8")
    assert deal in html and "has no golden record yet" in html

    # Once the customer sync has run, the same deal goes through and is released.
    assert _run(config, "customer")["status"] == "success"
    assert _run(config, "order")["targets"]["tryton"]["created"] == 1
    assert len(_sales(rpc, deal)) == 1
    assert not [e for e in _open_quarantine(config) if e.source_id == deal]


def test_confirm_orders_rejects_a_sale_over_the_credit_limit(
    peers: tuple[TrytonClient, httpx.Client], fresh_tryton: TrytonServer
) -> None:
    rpc, _crm = peers
    party = rpc.call(
        "party.party", "search", [["name", "=", "Nordwind Maschinenbau GmbH"]], 0, 1, None
    )[0]
    rpc.call("party.party", "write", [party], {"credit_limit_amount": Decimal("100")})
    product = rpc.call("product.product", "search", [["template.code", "=", "P-100"]], 0, 1, None)[
        0
    ]
    connector = TrytonConnector(
        "tryton",
        TrytonConfig(
            url=fresh_tryton.url,
            database=fresh_tryton.database,
            login=fresh_tryton.login,
            password=SecretStr(fresh_tryton.password),
            confirm_orders=True,
        ),
    )
    reference = f"DEAL-{uuid.uuid4().hex[:6]}"
    row = PushRow(
        f"deal:{reference}",
        {
            "party": str(party),
            "sale_date": "2026-11-21",
            "currency": "EUR",
            "reference": reference,
            "lines": [{"product_source_id": str(product), "quantity": "1", "unit_price": "1250"}],
        },
        True,
        golden_id=reference,
    )
    try:
        first = connector.push(ORDER_MAPPING, [row])
        second = connector.push(ORDER_MAPPING, [row])
    finally:
        connector.close()
    assert first.created == 1 and second.created == 0
    message = first.rejected[row.target_id]
    assert message.startswith("UserWarning") and "credit" in message.lower(), message
    # The draft stays and the retry found it instead of making a second sale.
    sales = _sales(rpc, reference)
    assert len(sales) == 1 and sales[0]["state"] in ("draft", "quotation")
    assert second.assigned_ids[row.target_id] == str(sales[0]["id"])


def _deal_mapping() -> Any:
    from mappings.spec import MappingSpec

    shipped = load_mapping(ROOT / "mappings" / "bottlecrm_order.yaml")
    return MappingSpec.model_validate(
        {
            **shipped.model_dump(exclude={"outbound"}),
            "outbound": {
                "golden_id_column": "source_ref",
                "create": {"id_template": "order:{golden_id}"},
                "fields": {
                    "name": "external_ref",
                    "account": "customer_source_id",
                    "closed_on": "order_date",
                    "currency": "currency",
                },
            },
        }
    )


def _deals_by_ref(crm: httpx.Client, ref: str) -> list[dict[str, Any]]:
    body = crm.get("opportunities/", params={"limit": 500}).json()
    return [d for d in body["opportunities"] if d.get("source_ref") == ref]


def test_bottlecrm_deal_push_with_line_items_is_idempotent(
    peers: tuple[TrytonClient, httpx.Client], fresh_bottlecrm: BottleCrmServer
) -> None:
    from connectors.bottlecrm.config import BottleCrmConfig
    from connectors.bottlecrm.connector import BottleCrmConnector

    _rpc, crm = peers
    accounts = crm.get("accounts/", params={"limit": 500}).json()["active_accounts"]
    account = next(
        a["id"] for a in accounts["open_accounts"] if a["name"] == "Orchid Design Studio"
    )
    products = {
        p["sku"]: p["id"]
        for p in crm.get("invoices/products/", params={"limit": 500}).json()["results"]
    }
    connector = BottleCrmConnector(
        "bottlecrm",
        BottleCrmConfig(base_url=fresh_bottlecrm.url, token=SecretStr(fresh_bottlecrm.token)),
    )
    mapping = _deal_mapping()
    ref = f"SO-{uuid.uuid4().hex[:6]}"

    def row(quantity: str) -> PushRow:
        values = {
            "name": f"Order {ref}",
            "account": account,
            "stage": "CLOSED_WON",
            "closed_on": "2026-11-22",
            "currency": "EUR",
            "lines": [
                {
                    "product_source_id": products["P-100"],
                    "quantity": quantity,
                    "unit_price": "1250",
                },
                {
                    "product_source_id": products["P-300"],
                    "quantity": "4",
                    "unit_price": {"amount": "45.50", "currency": "EUR"},
                },
            ],
        }
        return PushRow(f"order:{ref}", values, True, golden_id=ref)

    try:
        first = connector.push(mapping, [row("1")])
        again = connector.push(mapping, [row("1")])
        changed = connector.push(mapping, [row("2")])
    finally:
        connector.close()
    assert (first.created, first.updated, first.rejected) == (1, 0, {})
    assert (again.created, again.updated) == (0, 0)
    assert (changed.created, changed.updated) == (0, 1)
    [deal] = _deals_by_ref(crm, ref)
    assert first.assigned_ids[f"order:{ref}"] == str(deal["id"])
    assert deal["account"]["id"] == account and deal["stage"] == "CLOSED_WON"
    lines = sorted(
        (i["product"]["id"], Decimal(str(i["quantity"])), Decimal(str(i["unit_price"])))
        for i in deal["line_items"]
    )
    assert lines == sorted(
        [
            (products["P-100"], Decimal("2"), Decimal("1250")),
            (products["P-300"], Decimal("4"), Decimal("45.50")),
        ]
    )
    assert Decimal(str(deal["amount"])) == Decimal("2682.00")


def test_a_deal_create_cut_before_its_lines_is_completed_by_the_retry(
    peers: tuple[TrytonClient, httpx.Client], fresh_bottlecrm: BottleCrmServer
) -> None:
    from connectors.bottlecrm.config import BottleCrmConfig
    from connectors.bottlecrm.connector import BottleCrmConnector

    _rpc, crm = peers
    ref = f"SO-{uuid.uuid4().hex[:6]}"
    pipeline = crm.get("opportunities/pipelines/").json()["pipelines"][0]["id"]
    # What a crash right after the deal's POST leaves: the deal, with its key, no lines.
    made = crm.post(
        "opportunities/",
        json={
            "name": f"Order {ref}",
            "pipeline": pipeline,
            "stage": "CLOSED_WON",
            "closed_on": "2026-11-22",
            "currency": "EUR",
            "amount": "30",
            "source_ref": ref,
            "contacts": [],
            "assigned_to": [],
            "teams": [],
        },
    )
    assert made.status_code in (200, 201), made.text
    product = crm.get("invoices/products/", params={"limit": 500}).json()["results"][0]["id"]
    connector = BottleCrmConnector(
        "bottlecrm",
        BottleCrmConfig(base_url=fresh_bottlecrm.url, token=SecretStr(fresh_bottlecrm.token)),
    )
    values = {
        "name": f"Order {ref}",
        "stage": "CLOSED_WON",
        "closed_on": "2026-11-22",
        "currency": "EUR",
        "lines": [{"product_source_id": product, "quantity": "3", "unit_price": "10"}],
    }
    try:
        retry = connector.push(_deal_mapping(), [PushRow(f"order:{ref}", values, True, ref)])
    finally:
        connector.close()
    assert (retry.created, retry.updated, retry.rejected) == (0, 1, {})
    [deal] = _deals_by_ref(crm, ref)
    assert retry.assigned_ids[f"order:{ref}"] == str(deal["id"])
    assert [(i["product"]["id"], Decimal(str(i["quantity"]))) for i in deal["line_items"]] == [
        (product, Decimal("3"))
    ]
