"""BottleCRM ↔ Tryton through Airflow: the shipped DAGs sync two real systems.

A fresh Tryton and a fresh BottleCRM are seeded, behind crmsync's back, with overlapping
customers and products (the same company typed differently in each system, records only
one system holds). The DAGs ``bottlecrm_tryton_customers`` and
``bottlecrm_tryton_products`` (dags/sync_bottlecrm_tryton.py, with the documented
config/bottlecrm-tryton.yaml) run through Airflow; the golden master in the store and the
values pushed back are then read back through each system's own API. Further runs
settle (the next changes nothing) and never create duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.peers.bottlecrm import BottleCrmServer
from tests.e2e.peers.tryton import TrytonClient, TrytonServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_PREFIX = "crmsync:"
LAG_SECONDS = 5.0  # the Tryton connector's default `lag_seconds`

COUNTRIES = {"DE": ("DEU", "Germany"), "GB": ("GBR", "United Kingdom"), "ES": ("ESP", "Spain")}
COUNTRIES |= {"FR": ("FRA", "France")}

# The ERP's customers: legal names, VAT ids, invoice addresses.
TRYTON_PARTIES: list[dict[str, Any]] = [
    {
        "name": "Nordwind Maschinenbau GmbH",
        "street": "Hafenstraße 12",
        "postal_code": "20457",
        "city": "Hamburg",
        "country": "DE",
        "email": "info@nordwind-maschinenbau.de",
        "vat": "DE136695976",
    },
    {
        "name": "Blue River Foods Ltd",
        "street": "221 Baker Street",
        "postal_code": "NW1 6XE",
        "city": "London",
        "country": "GB",
        "email": "orders@blueriverfoods.co.uk",
        "vat": None,
    },
    {
        "name": "Atlas Logística S.A.",
        "street": "Calle de Alcalá 45",
        "postal_code": "28014",
        "city": "Madrid",
        "country": "ES",
        "email": "contacto@atlaslogistica.es",
        "vat": None,
    },
]

# The CRM's accounts: two of the same companies typed differently, one only the CRM has.
BOTTLECRM_ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "Nordwind Maschinenbau",
        "address_line": "Hafenstrasse 12",
        "postcode": "20457",
        "city": "Hamburg",
        "country": "DE",
        "email": "sales@nordwind-maschinenbau.de",
        "phone": "+49 40 3012399",
        "website": "https://nordwind-maschinenbau.de",
    },
    {
        "name": "Blue River Foods Limited",
        "address_line": "221 Baker St",
        "postcode": "NW1 6XE",
        "city": "London",
        "country": "GB",
        "email": "orders@blueriverfoods.co.uk",
        "phone": "+44 20 7946 0018",
    },
    {
        "name": "Orchid Design Studio",
        "address_line": "12 Rue de Rivoli",
        "postcode": "75001",
        "city": "Paris",
        "country": "FR",
        "email": "hello@orchid-design.fr",
    },
]

TRYTON_PRODUCTS = [
    {"code": "P-100", "name": "Hydraulic pump HP-20", "price": "1250.00", "spec": "20 bar"},
    {"code": "P-200", "name": "Control valve CV-5", "price": "89.90", "spec": "DN 15"},
]
BOTTLECRM_PRODUCTS = [
    {"sku": "P-100", "name": "Hydraulic Pump HP-20", "price": "1199.00", "description": "20 bar"},
    {"sku": "P-300", "name": "Pressure sensor PS-3", "price": "45.50", "description": "0-10 bar"},
]

EXPECTED_CUSTOMERS = {
    "Nordwind Maschinenbau GmbH",
    "Blue River Foods Ltd",
    "Atlas Logística S.A.",
    "Orchid Design Studio",
}


def _country_ids(rpc: TrytonClient) -> dict[str, int]:
    ids: dict[str, int] = {}
    for code, (code3, name) in COUNTRIES.items():
        found = rpc.call("country.country", "search", [["code", "=", code]], 0, 1, None)
        ids[code] = (
            int(found[0])
            if found
            else int(
                rpc.call(
                    "country.country", "create", [{"code": code, "code3": code3, "name": name}]
                )[0]
            )
        )
    return ids


def _seed_tryton(rpc: TrytonClient) -> None:
    countries = _country_ids(rpc)
    parties = []
    for party in TRYTON_PARTIES:
        values: dict[str, Any] = {
            "name": party["name"],
            "addresses": [
                [
                    "create",
                    [
                        {
                            "street": party["street"],
                            "postal_code": party["postal_code"],
                            "city": party["city"],
                            "country": countries[str(party["country"])],
                        }
                    ],
                ]
            ],
            "contact_mechanisms": [["create", [{"type": "email", "value": party["email"]}]]],
        }
        if party["vat"]:
            values["identifiers"] = [["create", [{"type": "eu_vat", "code": party["vat"]}]]]
        parties.append(values)
    rpc.call("party.party", "create", parties)
    unit = rpc.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
    rpc.call(
        "product.template",
        "create",
        [
            {
                "name": p["name"],
                "code": p["code"],
                "type": "goods",
                "default_uom": unit,
                "salable": True,
                "sale_uom": unit,
                "list_price": Decimal(p["price"]),
                "products": [["create", [{"description": p["spec"]}]]],
            }
            for p in TRYTON_PRODUCTS
        ],
    )


def _seed_bottlecrm(crm: httpx.Client) -> None:
    for account in BOTTLECRM_ACCOUNTS:
        answer = crm.post("accounts/", json=account)
        assert answer.status_code in (200, 201), answer.text
    for product in BOTTLECRM_PRODUCTS:
        answer = crm.post("invoices/products/", json={**product, "currency": "EUR"})
        assert answer.status_code in (200, 201), answer.text


def wait_out_tryton_lag() -> None:
    """Wait until what was just written to Tryton is inside the connector's windows.

    The Tryton connector's windows end `lag_seconds` (5 s by default) before now, so a
    record written a moment ago is read by the next run, not this one (late commits are
    never skipped). A test that wants a run to see its writes waits this out first.
    """
    time.sleep(LAG_SECONDS + 1)


def _write_config(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped config, with its store and reports moved into the test's folder."""
    config = yaml.safe_load((ROOT / "config" / "bottlecrm-tryton.yaml").read_text())
    config["store"]["url"] = f"sqlite:///{folder / 'crmsync.db'}"
    config["report"] = {"directory": str(folder / "reports"), "data_docs_dir": str(folder / "gx")}
    path = folder / "bottlecrm-tryton.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    monkeypatch.setenv("CRMSYNC_PEERS_CONFIG", str(path))
    return path


@pytest.fixture(scope="module")
def airflow_db() -> None:
    """A fresh Airflow metadata DB in the session's temporary AIRFLOW_HOME."""
    from airflow.utils.db import resetdb

    resetdb()


@pytest.fixture(scope="module")
def systems(
    fresh_tryton: TrytonServer, fresh_bottlecrm: BottleCrmServer
) -> Iterator[tuple[TrytonClient, httpx.Client]]:
    """The two seeded systems, as plain API clients for reading back."""
    with fresh_tryton.client() as rpc, fresh_bottlecrm.client() as crm:
        _seed_tryton(rpc)
        _seed_bottlecrm(crm)
        wait_out_tryton_lag()
        yield rpc, crm


@pytest.fixture
def synced_env(
    fresh_tryton: TrytonServer,
    fresh_bottlecrm: BottleCrmServer,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Environment of the DAGs: the systems' URLs and secrets, and the config file."""
    monkeypatch.setenv("BOTTLECRM_URL", fresh_bottlecrm.url)
    monkeypatch.setenv("BOTTLECRM_TOKEN", fresh_bottlecrm.token)
    monkeypatch.setenv("TRYTON_URL", fresh_tryton.url)
    monkeypatch.setenv("TRYTON_DATABASE", fresh_tryton.database)
    monkeypatch.setenv("TRYTON_LOGIN", fresh_tryton.login)
    monkeypatch.setenv("TRYTON_PASSWORD", fresh_tryton.password)
    folder = tmp_path_factory.getbasetemp() / "bottlecrm-tryton-sync"
    folder.mkdir(exist_ok=True)
    return _write_config(folder, monkeypatch)


def _run_dag(dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "sync_bottlecrm_tryton.py"))
    assert bag.import_errors == {}
    run = bag.dags[dag_id].test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "success" in str(run.state).lower(), states
    return run


def _store(config: Path, entity: str) -> tuple[dict[str, Any], dict[tuple[str, str], str], Any]:
    from store.golden import load_active_golden, load_xrefs
    from store.runs import last_run
    from sync.context import SyncContext

    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as connection:
            return (
                load_active_golden(connection, entity),
                load_xrefs(connection, entity),
                last_run(connection, entity),
            )
    finally:
        ctx.close()


def _tryton_parties(rpc: TrytonClient) -> dict[str, dict[str, Any]]:
    parties = rpc.call(
        "party.party",
        "search_read",
        [],
        0,
        None,
        None,
        ["name", "contact_mechanisms", "identifiers"],
    )
    out = {}
    for party in parties:
        mechanisms = rpc.call(
            "party.contact_mechanism", "read", party["contact_mechanisms"], ["type", "value"]
        )
        identifiers = rpc.call("party.identifier", "read", party["identifiers"], ["code"])
        out[party["name"]] = {
            "emails": {m["value"] for m in mechanisms if m["type"] == "email"},
            "golden": {
                i["code"][len(GOLDEN_PREFIX) :]
                for i in identifiers
                if i["code"].startswith(GOLDEN_PREFIX)
            },
        }
    return out


def _company_party_names(rpc: TrytonClient) -> set[str]:
    companies = rpc.call("company.company", "search_read", [], 0, None, None, ["party.name"])
    return {c["party."]["name"] for c in companies}


def _bottlecrm_accounts(crm: httpx.Client) -> dict[str, dict[str, Any]]:
    body = crm.get("accounts/", params={"limit": 500}).json()
    accounts = body["active_accounts"]["open_accounts"]
    return {a["name"]: a for a in accounts}


def _bottlecrm_products(crm: httpx.Client) -> dict[str, dict[str, Any]]:
    body = crm.get("invoices/products/", params={"limit": 500}).json()
    return {p["sku"]: p for p in body["results"]}


def _tryton_products(rpc: TrytonClient) -> dict[str, dict[str, Any]]:
    templates = rpc.call(
        "product.template", "search_read", [], 0, None, None, ["code", "name", "list_price"]
    )
    return {t["code"]: t for t in templates}


def test_customers_and_products_sync_both_ways_through_airflow(
    systems: tuple[TrytonClient, httpx.Client], synced_env: Path, airflow_db: None
) -> None:
    rpc, crm = systems
    own_company = _company_party_names(rpc)

    _run_dag("bottlecrm_tryton_customers")
    golden, xrefs, run = _store(synced_env, "customer")
    assert run["status"] == "success"
    names = {record.data["name"] for record in golden.values()}
    assert names == EXPECTED_CUSTOMERS, names
    members: dict[str, set[str]] = {}
    for (system, _source_id), golden_id in xrefs.items():
        members.setdefault(golden_id, set()).add(system)
    # Every golden customer is now held by both systems, exactly once each.
    assert all(members[g] == {"tryton", "bottlecrm"} for g in golden), members
    golden_of_name = {record.data["name"]: gid for gid, record in golden.items()}

    parties = {n: p for n, p in _tryton_parties(rpc).items() if n not in own_company}
    assert set(parties) == EXPECTED_CUSTOMERS
    for name, party in parties.items():
        assert party["golden"] == {golden_of_name[name]}, (name, party)
    # Survivorship: the CRM owns how to reach the customer; its e-mail reached the ERP.
    assert "sales@nordwind-maschinenbau.de" in parties["Nordwind Maschinenbau GmbH"]["emails"]
    assert parties["Orchid Design Studio"]["emails"] == {"hello@orchid-design.fr"}

    accounts = _bottlecrm_accounts(crm)
    # The ERP owns legal names: the CRM's "Nordwind Maschinenbau" now carries the ERP's.
    assert set(accounts) == EXPECTED_CUSTOMERS, set(accounts)
    assert accounts["Atlas Logística S.A."]["city"] == "Madrid"

    _run_dag("bottlecrm_tryton_products")
    golden_products, _xrefs, run = _store(synced_env, "product")
    assert run["status"] == "success"
    assert {r.data["code"] for r in golden_products.values()} == {"P-100", "P-200", "P-300"}
    crm_products = _bottlecrm_products(crm)
    assert set(crm_products) == {"P-100", "P-200", "P-300"}
    # The ERP's list price and name win for the product both systems hold.
    assert Decimal(crm_products["P-100"]["price"]) == Decimal("1250.00")
    assert crm_products["P-100"]["name"] == "Hydraulic pump HP-20"
    erp_products = _tryton_products(rpc)
    assert {"P-100", "P-200", "P-300"} <= set(erp_products)
    assert Decimal(str(erp_products["P-300"]["list_price"])) == Decimal("45.50")


def test_the_syncs_settle_without_duplicates(
    systems: tuple[TrytonClient, httpx.Client], synced_env: Path, airflow_db: None
) -> None:
    """Values a system derives for a record we created there (Tryton: the company's
    currency, the invoice address reused for delivery) flow to the other system in the
    next run; after that a run changes nothing. No run ever creates a second record."""
    rpc, crm = systems
    before = (_tryton_parties(rpc), _bottlecrm_accounts(crm), _bottlecrm_products(crm))
    changes: list[int] = []
    for _ in range(2):
        wait_out_tryton_lag()  # each run sees what the previous one wrote into Tryton
        changed = 0
        for dag_id, entity in (
            ("bottlecrm_tryton_customers", "customer"),
            ("bottlecrm_tryton_products", "product"),
        ):
            _run_dag(dag_id)
            _golden, _xrefs, run = _store(synced_env, entity)
            assert run["status"] == "success"
            for target, counts in run["summary"]["targets"].items():
                assert counts["created"] == 0, (entity, target, counts)
                changed += counts["updated"]
        changes.append(changed)
    assert changes[-1] == 0, changes
    _run_dag("bottlecrm_tryton_orders")  # no won deals yet: runs, pushes nothing
    after = (_tryton_parties(rpc), _bottlecrm_accounts(crm), _bottlecrm_products(crm))
    assert {n: p["golden"] for n, p in after[0].items()} == {
        n: p["golden"] for n, p in before[0].items()
    }
    assert set(after[1]) == set(before[1])
    assert set(after[2]) == set(before[2])
