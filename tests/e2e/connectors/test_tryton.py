"""The Tryton connector against a real Tryton 8.2: pull, change detection, push.

The session's Tryton is shared with the other end-to-end tests: every test creates its
own records (unique names) and asserts on them, or on windows that start after its own
cursor.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base import PullWindow, PushRow, RawRecord
from connectors.errors import FatalError
from connectors.http import RetryPolicy
from connectors.tryton import TrytonConfig, TrytonConnector
from mappings.engine import map_inbound
from mappings.loader import load_mapping
from mappings.models import Customer, Order, Product
from mappings.spec import MappingSpec
from tests.e2e.peers.tryton import TrytonClient, TrytonError, TrytonServer

pytestmark = pytest.mark.e2e

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
GOLDEN = "crmsync_golden_id"


def _mapping(entity: str) -> MappingSpec:
    return load_mapping(MAPPINGS / f"tryton_{entity}.yaml")


CUSTOMER = _mapping("customer")
PRODUCT = _mapping("product")


def make_connector(server: TrytonServer, **overrides: Any) -> TrytonConnector:
    """A connector on the test server with no lag and a fast retry policy."""
    settings: dict[str, Any] = {
        "url": server.url,
        "database": server.database,
        "login": server.login,
        "password": SecretStr(server.password),
        "lag_seconds": 0,
        "retry": RetryPolicy(max_attempts=2, initial_delay=0.01),
        **overrides,
    }
    return TrytonConnector("tryton", TrytonConfig(**settings))


def ensure_reference_data(rpc: TrytonClient) -> dict[str, int]:
    """Countries DE, FR, US and the subdivision US-CA (Tryton ships no country data)."""
    ids: dict[str, int] = {}
    for code, code3, name in (
        ("DE", "DEU", "Germany"),
        ("FR", "FRA", "France"),
        ("US", "USA", "United States"),
    ):
        found = rpc.call("country.country", "search", [["code", "=", code]], 0, 1, None)
        ids[code] = (
            found[0]
            if found
            else rpc.call(
                "country.country", "create", [{"code": code, "code3": code3, "name": name}]
            )[0]
        )
    if not rpc.call("country.subdivision", "search", [["code", "=", "US-CA"]], 0, 1, None):
        rpc.call(
            "country.subdivision",
            "create",
            [{"code": "US-CA", "name": "California", "country": ids["US"], "type": "state"}],
        )
    return ids


@pytest.fixture(scope="module")
def rpc(tryton_server: TrytonServer) -> Iterator[TrytonClient]:
    """A plain JSON-RPC client to seed and read back behind the connector's back."""
    with tryton_server.client() as client:
        ensure_reference_data(client)
        yield client


@pytest.fixture
def connector(tryton_server: TrytonServer, rpc: TrytonClient) -> Iterator[TrytonConnector]:
    made = make_connector(tryton_server)
    yield made
    made.close()


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def make_parties(rpc: TrytonClient, countries: dict[str, int], count: int = 3) -> list[int]:
    """Create ``count`` parties in one call (they share one change timestamp)."""
    tag = _tag()
    parties = [
        {
            "name": f"Party {tag} {n}",
            "addresses": [
                [
                    "create",
                    [
                        {
                            "street": f"{n} Main Street",
                            "postal_code": f"1011{n}",
                            "city": "Berlin",
                            "country": countries["DE"],
                        }
                    ],
                ]
            ],
            "contact_mechanisms": [["create", [{"type": "email", "value": f"p{n}@{tag}.example"}]]],
            "identifiers": [["create", [{"type": "eu_vat", "code": "DE136695976"}]]],
        }
        for n in range(count)
    ]
    return [int(i) for i in rpc.call("party.party", "create", parties)]


def _pull(connector: TrytonConnector, mapping: MappingSpec, window: PullWindow) -> list[RawRecord]:
    return list(connector.pull(mapping, window))


def _countries(rpc: TrytonClient) -> dict[str, int]:
    return ensure_reference_data(rpc)


# ----------------------------------------------------------------------------- pull


def test_pull_all_customers_flattened_and_mapped(
    connector: TrytonConnector, rpc: TrytonClient
) -> None:
    ids = make_parties(rpc, _countries(rpc))
    records = _pull(connector, CUSTOMER, PullWindow(None))
    by_id = {r.source_id: r for r in records}
    assert len(by_id) == len(records), "keys are unique"
    assert {str(i) for i in ids} <= set(by_id)
    first = by_id[str(ids[0])].payload
    assert first["invoice_address.street"] == "0 Main Street"
    assert first["invoice_address.country"] == "DE"
    assert first["delivery_address.city"] == "Berlin"
    assert first["email"].startswith("p0@")
    assert first["tax_id"] == "DE136695976"
    customer = map_inbound(CUSTOMER, str(ids[0]), first)
    assert isinstance(customer, Customer)
    assert customer.bill_to.postcode == "10110" and customer.currency == "EUR"
    for record in records:
        map_inbound(CUSTOMER, record.source_id, record.payload)
    positions = [(r.updated_at, int(r.source_id)) for r in records]
    assert positions == sorted(positions), "ordered by (timestamp, numeric id)"
    assert connector.count(CUSTOMER, PullWindow(None)) == len(records)
    assert set(connector.keys(CUSTOMER)) == set(by_id)
    stats = connector.stats(CUSTOMER)
    assert stats.total == len(records) and stats.newest_change is not None


def test_incremental_window_boundary_rows_and_address_only_change(
    connector: TrytonConnector, rpc: TrytonClient
) -> None:
    ids = make_parties(rpc, _countries(rpc))
    records = _pull(connector, CUSTOMER, PullWindow(None))
    last = records[-1]
    boundary = {r.source_id for r in records if r.updated_at == last.updated_at}
    assert {str(i) for i in ids} <= boundary, "created in one call: one shared timestamp"

    # Closed start: the boundary is read again; with the key cursor, only what follows it.
    again = _pull(connector, CUSTOMER, PullWindow(last.updated_at))
    assert {r.source_id for r in again} == boundary
    assert _pull(connector, CUSTOMER, PullWindow(last.updated_at, last.source_id)) == []
    middle = sorted(boundary, key=int)[0]
    after_middle = _pull(connector, CUSTOMER, PullWindow(last.updated_at, middle))
    assert {r.source_id for r in after_middle} == boundary - {middle}
    assert connector.count(CUSTOMER, PullWindow(last.updated_at, middle)) == len(after_middle)

    # A party write moves it into the next window.
    time.sleep(0.01)
    rpc.call("party.party", "write", [ids[1]], {"name": f"Renamed {_tag()}"})
    window = _pull(connector, CUSTOMER, PullWindow(last.updated_at, last.source_id))
    assert [r.source_id for r in window] == [str(ids[1])]
    cursor = window[-1]

    # An address edit does not touch the party's write_date, but the party is pulled.
    party_stamp = rpc.call("party.party", "read", [ids[2]], ["write_date"])[0]["write_date"]
    address = rpc.call("party.party", "read", [ids[2]], ["addresses"])[0]["addresses"][0]
    rpc.call("party.address", "write", [address], {"street": "99 New Street"})
    assert rpc.call("party.party", "read", [ids[2]], ["write_date"])[0]["write_date"] == party_stamp
    window = _pull(connector, CUSTOMER, PullWindow(cursor.updated_at, cursor.source_id))
    assert [r.source_id for r in window] == [str(ids[2])]
    assert window[0].payload["invoice_address.street"] == "99 New Street"
    assert (window[0].updated_at or "") > (cursor.updated_at or "")

    # A new contact mechanism counts as well.
    rpc.call(
        "party.contact_mechanism",
        "create",
        [{"party": ids[0], "type": "phone", "value": "+49 30 1"}],
    )
    window = _pull(connector, CUSTOMER, PullWindow(window[0].updated_at, window[0].source_id))
    assert [(r.source_id, r.payload["phone"]) for r in window] == [(str(ids[0]), "+49 30 1")]


def test_archived_parties_leave_the_keys(connector: TrytonConnector, rpc: TrytonClient) -> None:
    ids = make_parties(rpc, _countries(rpc), count=2)
    rpc.call("party.party", "write", [ids[0]], {"active": False})
    keys = set(connector.keys(CUSTOMER))
    assert str(ids[0]) not in keys and str(ids[1]) in keys


# ----------------------------------------------------------------------------- push


def _customer_row(golden: str, name: str, **values: Any) -> dict[str, Any]:
    return {
        "name": name,
        "email": f"{golden.lower()}@example.com",
        "phone": "+33 1 23 45 67 89",
        "website": None,
        "tax_id": None,
        "invoice_address.street": "1 Rue de Rivoli",
        "invoice_address.postal_code": "75001",
        "invoice_address.city": "Paris",
        "invoice_address.subdivision": None,
        "invoice_address.country": "FR",
        "delivery_address.street": "1 Rue de Rivoli",
        "delivery_address.postal_code": "75001",
        "delivery_address.city": "Paris",
        "delivery_address.subdivision": None,
        "delivery_address.country": "FR",
        GOLDEN: golden,
        **values,
    }


def _stamps(rpc: TrytonClient, party: int) -> list[Any]:
    """Every write/create date of the party and its related rows."""
    row = rpc.call(
        "party.party",
        "read",
        [party],
        ["write_date", "addresses", "contact_mechanisms", "identifiers"],
    )[0]
    stamps = [row["write_date"]]
    for model, field in (
        ("party.address", "addresses"),
        ("party.contact_mechanism", "contact_mechanisms"),
        ("party.identifier", "identifiers"),
    ):
        stamps += [
            (model, r["id"], r["write_date"])
            for r in rpc.call(model, "read", row[field], ["write_date"])
        ]
    return stamps


def test_push_create_stores_the_golden_id_and_is_idempotent(
    connector: TrytonConnector, rpc: TrytonClient
) -> None:
    golden = f"GC-{_tag()}"
    row = PushRow(f"TRYTON-{golden}", _customer_row(golden, f"Pushed {golden}"), True, golden)
    first = connector.push(CUSTOMER, [row])
    assert first.rejected == {} and first.created == 1
    party = int(first.assigned_ids[f"TRYTON-{golden}"])
    identifiers = rpc.call(
        "party.identifier", "search_read", [["party", "=", party]], 0, None, None, ["type", "code"]
    )
    assert {"type": None, "code": f"crmsync:{golden}"} in [
        {"type": i["type"], "code": i["code"]} for i in identifiers
    ]
    pulled = {r.source_id: r.payload for r in _pull(connector, CUSTOMER, PullWindow(None))}[
        str(party)
    ]
    for column, value in row.values.items():
        assert pulled[column] == value, column
    addresses = rpc.call("party.party", "read", [party], ["addresses"])[0]["addresses"]
    assert len(addresses) == 1, "one address serves invoices and deliveries"

    before = _stamps(rpc, party)
    second = connector.push(CUSTOMER, [row])
    assert second.created == 0 and second.updated == 0 and second.rejected == {}
    assert second.assigned_ids == {f"TRYTON-{golden}": str(party)}
    assert _stamps(rpc, party) == before, "nothing was written"


def test_a_create_retried_after_a_crash_finds_the_first_one(
    tryton_server: TrytonServer, rpc: TrytonClient
) -> None:
    golden = f"GC-{_tag()}"
    row = PushRow(f"TRYTON-{golden}", _customer_row(golden, f"Crash {golden}"), True, golden)
    crashed = make_connector(tryton_server)
    crashed.push(CUSTOMER, [row])  # written in Tryton; crmsync "crashed" before recording it
    crashed.close()
    retry = make_connector(tryton_server)
    try:
        result = retry.push(CUSTOMER, [row])
    finally:
        retry.close()
    assert result.created == 0
    holders = rpc.call(
        "party.identifier", "search", [["code", "=", f"crmsync:{golden}"]], 0, None, None
    )
    assert len(holders) == 1, "no duplicate party"


def test_a_rejected_record_does_not_stop_the_batch(
    connector: TrytonConnector, rpc: TrytonClient
) -> None:
    good, bad, bad_vat = (f"GC-{_tag()}" for _ in range(3))
    rows = [
        PushRow(
            f"TRYTON-{bad}",
            _customer_row(bad, "Bad country", **{"invoice_address.country": "XX"}),
            True,
            bad,
        ),
        PushRow(
            f"TRYTON-{bad_vat}", _customer_row(bad_vat, "Bad VAT", tax_id="DE000"), True, bad_vat
        ),
        PushRow(f"TRYTON-{good}", _customer_row(good, f"Good {good}"), True, good),
    ]
    # "DE000" is no valid VAT: it is created untyped, so Tryton accepts it; a typed
    # identifier with a wrong code is refused by Tryton itself (checked next).
    result = connector.push(CUSTOMER, rows)
    assert set(result.rejected) == {f"TRYTON-{bad}"}
    assert "XX" in result.rejected[f"TRYTON-{bad}"]
    assert result.created == 2
    party = int(result.assigned_ids[f"TRYTON-{good}"])
    invalid = {**_customer_row(good, f"Good {good}"), "tax_id": "DE136695976"}
    rpc.call(
        "party.identifier", "create", [{"party": party, "type": "eu_vat", "code": "DE136695976"}]
    )
    refused = connector.push(CUSTOMER, [PushRow(str(party), {**invalid, "tax_id": "DE123"}, False)])
    assert str(party) in refused.rejected and "VAT" in refused.rejected[str(party)]


def test_update_writes_party_address_and_mechanisms_keeping_the_users_others(
    connector: TrytonConnector, rpc: TrytonClient
) -> None:
    ids = make_parties(rpc, _countries(rpc), count=1)
    party = ids[0]
    rpc.call(
        "party.contact_mechanism", "create", [{"party": party, "type": "fax", "value": "+49 30 9"}]
    )
    golden = f"GC-{_tag()}"
    values = _customer_row(
        golden,
        "Updated name",
        **{
            "delivery_address.street": "5 Warehouse Road",
            "delivery_address.city": "San Jose",
            "delivery_address.postal_code": "95112",
            "delivery_address.subdivision": "CA",
            "delivery_address.country": "US",
        },
    )
    result = connector.push(CUSTOMER, [PushRow(str(party), values, False)])
    assert result.rejected == {} and result.updated == 1
    pulled = {r.source_id: r.payload for r in _pull(connector, CUSTOMER, PullWindow(None))}[
        str(party)
    ]
    for column, value in values.items():
        if column in ("tax_id", "website"):
            continue  # blank: an identifier or mechanism is never removed
        expected = "US-CA" if column == "delivery_address.subdivision" else value
        assert pulled[column] == expected, column
    assert pulled["tax_id"] == "DE136695976"
    mechanisms = rpc.call(
        "party.contact_mechanism",
        "search_read",
        [["party", "=", party]],
        0,
        None,
        None,
        ["type", "value"],
    )
    assert {"fax", "email", "phone"} <= {m["type"] for m in mechanisms}
    assert len(rpc.call("party.party", "read", [party], ["addresses"])[0]["addresses"]) == 2


def test_wrong_password_is_fatal(tryton_server: TrytonServer) -> None:
    bad = make_connector(tryton_server, password=SecretStr("not-the-password"))
    try:
        with pytest.raises(FatalError) as caught:
            list(bad.keys(CUSTOMER))
    finally:
        bad.close()
    assert "not-the-password" not in str(caught.value)


def test_an_expired_session_logs_in_again(connector: TrytonConnector) -> None:
    list(connector.keys(CUSTOMER))
    connector.rpc.call("common.db.logout")
    assert list(connector.keys(CUSTOMER))
    assert connector.rpc.session.logins == 2


# ----------------------------------------------------------------------------- products


def _product_row(golden: str, code: str, **values: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"Widget {code}",
        "description": "blue, 10 mm",
        "list_price": "12.50",
        "unit": "u",
        "category": "Goods",
        GOLDEN: golden,
        **values,
    }


def test_products_push_pull_and_template_changes(
    connector: TrytonConnector, rpc: TrytonClient
) -> None:
    golden = f"GP-{_tag()}"
    code = f"W-{_tag()}"
    row = PushRow(f"TRYTON-{golden}", _product_row(golden, code), True, golden)
    created = connector.push(PRODUCT, [row])
    assert created.created == 1 and created.rejected == {}
    variant = created.assigned_ids[f"TRYTON-{golden}"]
    records = _pull(connector, PRODUCT, PullWindow(None))
    pulled = {r.source_id: r for r in records}[variant]
    for column, value in row.values.items():
        assert pulled.payload[column] == value, column
    product = map_inbound(PRODUCT, variant, pulled.payload)
    assert isinstance(product, Product)
    assert product.unit == "PCE" and product.list_price is not None
    assert product.list_price.amount == Decimal("12.50")
    again = connector.push(PRODUCT, [row])
    assert again.created == 0 and again.updated == 0

    # A template-only change (list price) moves the variant into the next window.
    last = records[-1]
    template = int(pulled.payload["template_id"])
    rpc.call("product.template", "write", [template], {"list_price": Decimal("13.00")})
    window = _pull(connector, PRODUCT, PullWindow(last.updated_at, last.source_id))
    assert [(r.source_id, Decimal(r.payload["list_price"])) for r in window] == [
        (variant, Decimal(13))
    ]

    # Update through the connector: only what differs is written.
    result = connector.push(
        PRODUCT, [PushRow(variant, _product_row(golden, code, list_price="14"), False)]
    )
    assert result.updated == 1
    assert rpc.call("product.template", "read", [template], ["list_price"])[0]["list_price"] == 14

    # Cost price is read (changed through Tryton's wizard).
    rpc.wizard(
        "product.modify_cost_price",
        [("start", {"date": dt.date.today(), "cost_price": "7.25"}, "modify")],
        context={
            "active_model": "product.product",
            "active_id": int(variant),
            "active_ids": [int(variant)],
        },
    )
    window = _pull(connector, PRODUCT, PullWindow(window[-1].updated_at, window[-1].source_id))
    assert [(r.source_id, Decimal(r.payload["cost_price"])) for r in window] == [
        (variant, Decimal("7.25"))
    ]

    unknown = connector.push(
        PRODUCT,
        [PushRow(f"TRYTON-GP-{_tag()}", _product_row("GP-x", "X-1", unit="parsec"), True, "GP-x")],
    )
    assert list(unknown.rejected.values()) == ["unit 'parsec' is not a Tryton unit of measure"]


def _with_stock_history(rpc: TrytonClient, variant: int) -> None:
    """Receive two units of ``variant`` from a supplier (a done stock move)."""
    unit = rpc.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
    supplier = rpc.find_one("stock.location", [["type", "=", "supplier"]])
    storage = rpc.find_one("stock.location", [["code", "=", "STO"]])
    currency = rpc.call("currency.currency", "search", [["code", "=", "EUR"]], 0, 1, None)[0]
    moves = rpc.call(
        "stock.move",
        "create",
        [
            {
                "product": variant,
                "unit": unit,
                "quantity": 2.0,
                "from_location": supplier,
                "to_location": storage,
                "unit_price": Decimal("4"),
                "currency": currency,
                "company": rpc.context["company"],
                "effective_date": dt.date.today(),
            }
        ],
    )
    rpc.call("stock.move", "do", moves)


def _cost_state(rpc: TrytonClient, variant: int) -> tuple[Decimal, int]:
    """The variant's cost price and how many cost price revisions it has."""
    (row,) = rpc.call("product.product", "read", [variant], ["cost_price"])
    revisions = rpc.call("product.cost_price.revision", "search_count", [["product", "=", variant]])
    return row["cost_price"], revisions


def test_cost_price_push_through_the_wizard_is_idempotent_and_currency_checked(
    tryton_server: TrytonServer, rpc: TrytonClient
) -> None:
    off = make_connector(tryton_server)
    on = make_connector(tryton_server, push_cost_price=True)
    try:
        golden = f"GP-{_tag()}"
        made = off.push(
            PRODUCT,
            [PushRow("new", _product_row(golden, f"C-{_tag()}", cost_price="6.00"), True, golden)],
        )
        variant = int(made.assigned_ids["new"])
        # Off (the default): Tryton keeps its cost price, however the golden one differs.
        assert _cost_state(rpc, variant) == (Decimal(0), 0)
        _with_stock_history(rpc, variant)
        with pytest.raises(TrytonError, match="Modify Cost Price"):
            rpc.call("product.product", "write", [variant], {"cost_price": Decimal("1")})

        def push(cost: str, currency: str = "EUR") -> Any:
            row = _product_row(golden, "", cost_price=cost, currency=currency)
            del row["code"]  # only the cost price is in question here
            return on.push(PRODUCT, [PushRow(str(variant), row, False, golden)])

        first = push("12.3456789")
        assert (first.updated, first.rejected) == (1, {})
        assert _cost_state(rpc, variant) == (Decimal("12.3457"), 1)
        pulled = {r.source_id: r for r in _pull(on, PRODUCT, PullWindow(None))}[str(variant)]
        assert Decimal(pulled.payload["cost_price"]) == Decimal("12.3457")
        assert pulled.payload["currency"] == "EUR"

        # Push twice (and a difference below Tryton's precision): nothing changes.
        for again in ("12.3456789", "12.34570", "12.34569"):
            repeated = push(again)
            assert (repeated.updated, repeated.rejected) == (0, {}), again
        assert _cost_state(rpc, variant) == (Decimal("12.3457"), 1)

        wrong = push("15.00", currency="USD")
        assert wrong.updated == 0
        assert wrong.rejected == {
            str(variant): "cost price 15.00 is in USD, the Tryton company's currency is EUR: "
            "cost prices are not converted, send it in EUR"
        }
        assert _cost_state(rpc, variant) == (Decimal("12.3457"), 1)

        # A new variant gets its cost price on create (no revision needed).
        fresh = f"GP-{_tag()}"
        row = _product_row(fresh, f"C-{_tag()}", cost_price="3.50", currency="EUR")
        created = on.push(PRODUCT, [PushRow("new", row, True, fresh)])
        assert (created.created, created.rejected) == (1, {})
        assert _cost_state(rpc, int(created.assigned_ids["new"])) == (Decimal("3.5"), 0)
        usd = f"GP-{_tag()}"
        refused = on.push(
            PRODUCT,
            [
                PushRow(
                    "new",
                    _product_row(usd, f"C-{_tag()}", cost_price="3.50", currency="USD"),
                    True,
                    usd,
                )
            ],
        )
        assert refused.created == 0 and "is in USD" in refused.rejected["new"]
        assert (
            rpc.call(
                "product.identifier", "search", [["code", "=", f"crmsync:{usd}"]], 0, None, None
            )
            == []
        )
    finally:
        off.close()
        on.close()


# ----------------------------------------------------------------------------- orders


def test_orders_and_costs_are_pulled(connector: TrytonConnector, rpc: TrytonClient) -> None:
    party = make_parties(rpc, _countries(rpc), count=1)[0]
    address = rpc.call("party.party", "read", [party], ["addresses"])[0]["addresses"][0]
    golden = f"GP-{_tag()}"
    made = connector.push(
        PRODUCT, [PushRow("new", _product_row(golden, f"S-{_tag()}"), True, golden)]
    )
    product = int(made.assigned_ids["new"])
    rpc.call("product.product", "write", [product], {"cost_price": Decimal("4.5")})
    unit = rpc.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
    currency = rpc.call("currency.currency", "search", [["code", "=", "EUR"]], 0, 1, None)[0]
    sale = rpc.call(
        "sale.sale",
        "create",
        [
            {
                "party": party,
                "company": rpc.context["company"],
                "currency": currency,
                "invoice_address": address,
                "shipment_address": address,
                "sale_date": dt.date(2026, 3, 1),
                "reference": "DEAL-42",
                "lines": [
                    [
                        "create",
                        [
                            {
                                "type": "line",
                                "product": product,
                                "quantity": 3.0,
                                "unit": unit,
                                "unit_price": Decimal("12.50"),
                            },
                            {"type": "comment", "description": "thanks"},
                        ],
                    ]
                ],
            }
        ],
    )[0]
    orders = {r.source_id: r for r in _pull(connector, _mapping("order"), PullWindow(None))}
    payload = orders[str(sale)].payload
    assert payload["status"] == "entered" and payload["party"] == str(party)
    assert [(line["product_source_id"], line["quantity"]) for line in payload["lines"]] == [
        (str(product), "3.0")
    ]
    order = map_inbound(_mapping("order"), str(sale), payload)
    assert isinstance(order, Order)
    assert order.lines[0].unit_price.amount == Decimal("12.50") and order.external_ref == "DEAL-42"
    assert order.total is not None and order.total.amount == Decimal("37.50")
    costs = [
        r
        for r in _pull(connector, _mapping("cost"), PullWindow(None))
        if r.payload["order_source_id"] == str(sale)
    ]
    assert [(c.payload["basis"], Decimal(c.payload["amount"])) for c in costs] == [
        ("cost_price", Decimal("13.5"))
    ]
