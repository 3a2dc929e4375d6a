"""The BottleCRM connector against a real BottleCRM: pull, change detection, push.

Every test works on records it creates with a unique prefix, because the session's
BottleCRM is shared with the other end-to-end tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import PullWindow, PushRow
from connectors.bottlecrm import BottleCrmConfig, BottleCrmConnector
from connectors.errors import FatalError, RetriableError
from connectors.http import RetryPolicy
from mappings.engine import map_inbound, outbound_projection
from mappings.loader import load_mapping
from mappings.models import Contact, Customer, Order
from mappings.spec import MappingSpec
from store.staging import payload_hash
from tests.e2e.peers.bottlecrm import BottleCrmServer

pytestmark = pytest.mark.e2e

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
GOLDEN = "custom_fields.crmsync_golden_id"


def _mapping(entity: str) -> MappingSpec:
    return load_mapping(MAPPINGS / f"bottlecrm_{entity}.yaml")


def _connector(
    server: BottleCrmServer,
    *,
    token: str | None = None,
    page_size: int = 500,
    transport: httpx.BaseTransport | None = None,
) -> BottleCrmConnector:
    config = BottleCrmConfig(
        base_url=server.url,
        token=token or server.token,
        page_size=page_size,
        retry=RetryPolicy(max_attempts=2, initial_delay=0.01),
    )
    return BottleCrmConnector("bottlecrm", config, transport=transport)


@pytest.fixture
def crm(bottlecrm_server: BottleCrmServer) -> Iterator[httpx.Client]:
    """A plain httpx client on ``/api/`` to seed and read back behind the connector's back."""
    with bottlecrm_server.client() as client:
        yield client


@pytest.fixture
def connector(bottlecrm_server: BottleCrmServer) -> Iterator[BottleCrmConnector]:
    made = _connector(bottlecrm_server)
    yield made
    made.close()


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _create(crm: httpx.Client, path: str, body: dict[str, Any]) -> str:
    answer = crm.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    data = answer.json()
    return str(data["product"]["id"] if "product" in data else data["id"])


def _account_row(golden: str, name: str, **values: Any) -> dict[str, Any]:
    mapping = _mapping("customer")
    assert mapping.outbound is not None
    row: dict[str, Any] = dict.fromkeys(mapping.outbound.fields)
    row.update(name=name, **values)
    row[GOLDEN] = golden
    return row


def test_pull_pages_through_open_and_closed_accounts(
    bottlecrm_server: BottleCrmServer, crm: httpx.Client
) -> None:
    tag = _tag()
    ids = {
        _create(crm, "accounts/", {"name": f"Pager {tag} {i}", "city": "Ghent", "country": "BE"})
        for i in range(23)
    }
    closed = _create(crm, "accounts/", {"name": f"Pager {tag} closed", "is_active": False})
    ids.add(closed)
    mapping = _mapping("customer")
    small = _connector(bottlecrm_server, page_size=7)  # several pages of both lists
    try:
        records = list(small.pull(mapping, PullWindow(None)))
        count = small.count(mapping, PullWindow(None))
        keys = set(small.keys(mapping))
        requests = small.client.http.requests_sent
    finally:
        small.close()
    pulled = [r.source_id for r in records]
    assert len(pulled) == len(set(pulled)) == count
    assert ids <= set(pulled)
    assert keys == set(pulled)
    assert pulled == sorted(pulled), "no change timestamp: ordered by id"
    assert requests > 4
    by_id = {r.source_id: r for r in records}
    assert by_id[closed].payload["is_active"] is False
    for record in records:  # every record maps
        customer = map_inbound(mapping, record.source_id, record.payload)
        assert customer.source.source_id == record.source_id
    closed_customer = map_inbound(mapping, closed, by_id[closed].payload)
    assert isinstance(closed_customer, Customer) and closed_customer.name == f"Pager {tag} closed"


def test_full_scan_detects_exactly_the_changed_account(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    ids = [_create(crm, "accounts/", {"name": f"Scan {tag} {i}"}) for i in range(3)]
    mapping = _mapping("customer")

    def hashes() -> dict[str, str]:
        return {r.source_id: payload_hash(r.payload) for r in connector.pull(mapping, full)}

    full = PullWindow(None)
    before = hashes()
    patched = crm.patch(f"accounts/{ids[1]}/", json={"city": "Antwerp"})
    assert patched.status_code == 200, patched.text
    after = hashes()
    changed = {i for i in after if before.get(i) != after[i]}
    assert changed == {ids[1]}


def test_contacts_incremental_window_and_boundary(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    account = _create(crm, "accounts/", {"name": f"Contacts {tag}"})
    ids = [
        _create(
            crm,
            "contacts/",
            {
                "first_name": f"P{i}",
                "last_name": tag,
                "email": f"p{i}.{tag}@example.com",
                "account": account,
            },
        )
        for i in range(3)
    ]
    mapping = _mapping("contact")
    everything = list(connector.pull(mapping, PullWindow(None)))
    stamps = [(r.updated_at, r.source_id) for r in everything]
    assert stamps == sorted(stamps), "ordered by (updated_at, id)"
    mine = {r.source_id: r for r in everything if r.source_id in ids}
    assert set(mine) == set(ids)
    contact = map_inbound(mapping, ids[0], mine[ids[0]].payload)
    assert isinstance(contact, Contact) and contact.customer_source_id == account
    last = everything[-1]
    # A re-pull from the last window's cursor returns only the boundary row; with the
    # key cursor, nothing.
    window = PullWindow(last.updated_at)
    assert connector.count(mapping, window) == 1
    assert [r.source_id for r in connector.pull(mapping, window)] == [last.source_id]
    assert list(connector.pull(mapping, PullWindow(last.updated_at, last.source_id))) == []
    # An update moves the contact past the cursor.
    assert crm.patch(f"contacts/{ids[0]}/", json={"title": "Buyer"}).status_code == 200
    window = PullWindow(last.updated_at, last.source_id)
    assert connector.count(mapping, window) == 1
    changed = list(connector.pull(mapping, window))
    assert [r.source_id for r in changed] == [ids[0]]
    assert changed[0].payload["title"] == "Buyer"
    assert connector.stats(mapping).newest_change == changed[0].updated_at


def test_push_accounts_create_update_and_twice_changes_nothing(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    mapping = _mapping("customer")
    rows = [
        PushRow(
            f"new-account-G{tag}{i}",
            _account_row(f"G{tag}{i}", f"Pushed {tag} {i}", city="Lyon", country="FR"),
            True,
        )
        for i in range(3)
    ]
    first = connector.push(mapping, rows)
    assert (first.created, first.updated, first.rejected) == (3, 0, {})
    assigned = first.assigned_ids
    assert set(assigned) == {r.target_id for r in rows}
    detail = crm.get(f"accounts/{assigned[rows[0].target_id]}/").json()["account_obj"]
    assert detail["name"] == f"Pushed {tag} 0"
    assert detail["custom_fields"]["crmsync_golden_id"] == f"G{tag}0"
    assert detail["country"] == "FR"

    again = connector.push(mapping, rows)  # the same creates again: found, nothing written
    assert (again.created, again.updated, again.rejected) == (0, 0, {})
    assert again.assigned_ids == assigned

    update = PushRow(
        assigned[rows[1].target_id],
        _account_row(f"G{tag}1", f"Pushed {tag} 1", city="Paris", country="FR"),
        False,
    )
    assert connector.push(mapping, [update]).updated == 1
    assert crm.get(f"accounts/{update.target_id}/").json()["account_obj"]["city"] == "Paris"
    assert connector.push(mapping, [update]).updated == 0

    # What was pushed comes back as the same outbound columns: the pipeline sees an echo.
    pulled = {r.source_id: r for r in connector.pull(mapping, PullWindow(None))}
    echoed = outbound_projection(mapping, pulled[update.target_id].payload)
    assert payload_hash(echoed) == payload_hash(update.values)


def test_create_links_to_an_existing_account_of_the_same_name(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    existing = _create(crm, "accounts/", {"name": f"Linked {tag} SA"})
    mapping = _mapping("customer")
    row = PushRow("new-account-X", _account_row(f"L{tag}", f"LINKED {tag} sa", city="Nice"), True)
    result = connector.push(mapping, [row])
    assert result.rejected == {}
    assert result.assigned_ids == {"new-account-X": existing}
    assert result.created == 0
    account = crm.get(f"accounts/{existing}/").json()["account_obj"]
    assert account["custom_fields"]["crmsync_golden_id"] == f"L{tag}"
    assert account["city"] == "Nice"


class _LoseFirstCreateAnswer(httpx.BaseTransport):
    """Forwards every request; the answer to the first POST is lost (a read timeout).

    The server has made the record, the client does not know it: a crash between the
    write and the bookkeeping.
    """

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and not self.lost:
            response.read()
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_retried_create_after_a_lost_answer_finds_the_account(
    bottlecrm_server: BottleCrmServer, crm: httpx.Client
) -> None:
    tag = _tag()
    mapping = _mapping("customer")
    row = PushRow(f"new-account-C{tag}", _account_row(f"C{tag}", f"Crash {tag}"), True)
    flaky = _connector(bottlecrm_server, transport=_LoseFirstCreateAnswer())
    try:
        with pytest.raises(RetriableError, match="not re-sent"):
            flaky.push(mapping, [row])
        retried = flaky.push(mapping, [row])
    finally:
        flaky.close()
    assert retried.created == 0 and retried.rejected == {}
    listed = crm.get("accounts/", params={"name": f"Crash {tag}", "limit": 50}).json()
    found = listed["active_accounts"]["open_accounts"]
    assert [a["id"] for a in found] == [retried.assigned_ids[row.target_id]]


def test_rejected_records_are_reported_and_the_rest_land(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    taken = _create(
        crm,
        "accounts/",
        {"name": f"Taken {tag}", "custom_fields": {"crmsync_golden_id": f"OTHER{tag}"}},
    )
    mapping = _mapping("customer")
    rows = [
        PushRow("bad-email", _account_row(f"E{tag}", f"Bad mail {tag}", email="nope"), True),
        PushRow("taken", _account_row(f"T{tag}", f"taken {tag}"), True),
        PushRow(
            "good",
            _account_row(f"O{tag}", f"Good {tag}", email="ok@example.com", website="good.example"),
            True,
        ),
    ]
    result = connector.push(mapping, rows)
    assert set(result.rejected) == {"bad-email", "taken"}
    assert "email" in result.rejected["bad-email"]
    assert taken in result.rejected["taken"]
    assert result.created == 1 and set(result.assigned_ids) == {"good"}
    good = crm.get(f"accounts/{result.assigned_ids['good']}/").json()["account_obj"]
    assert good["website"] == "https://good.example"  # BottleCRM refuses a bare domain


def test_push_products_idempotent_with_duplicate_sku_rejected(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    mapping = _mapping("product")

    def product(sku: str | None, price: str) -> dict[str, Any]:
        return {
            "sku": sku,
            "name": f"Bolt {sku}",
            "description": "M8 x 40",
            "category": "Fasteners",
            "price": price,
            "currency": "EUR",
        }

    rows = [
        PushRow("p1", product(f"B{tag}-1", "0.25"), True),
        PushRow("p2", product(f"B{tag}-2", "0.30"), True),
        PushRow("p1-again", {**product(f"B{tag}-1", "0.99"), "name": "Other"}, True),
        PushRow("no-sku", product(None, "1"), True),
    ]
    first = connector.push(mapping, rows[:2])
    assert (first.created, first.rejected) == (2, {})
    second = connector.push(mapping, rows)
    assert second.created == 0
    assert set(second.rejected) == {"no-sku"}
    # p1-again carries p1's SKU and no golden id: it links to p1's product.
    assert second.assigned_ids["p1-again"] == first.assigned_ids["p1"]
    assert second.updated == 1
    p1 = crm.get(f"invoices/products/{first.assigned_ids['p1']}/").json()
    assert (p1["name"], Decimal(p1["price"])) == ("Other", Decimal("0.99"))

    update = PushRow(first.assigned_ids["p2"], product(f"B{tag}-1", "0.30"), False)
    clash = connector.push(mapping, [update])  # p2 may not take p1's SKU
    assert set(clash.rejected) == {update.target_id}
    assert "already used" in clash.rejected[update.target_id]

    stamp = crm.get(f"invoices/products/{first.assigned_ids['p2']}/").json()["updated_at"]
    same = PushRow(first.assigned_ids["p2"], product(f"B{tag}-2", "0.3"), False)
    assert connector.push(mapping, [same]).updated == 0  # 0.3 == 0.30: nothing to write
    after = crm.get(f"invoices/products/{first.assigned_ids['p2']}/").json()
    assert after["updated_at"] == stamp


def test_push_contacts_with_golden_id(connector: BottleCrmConnector, crm: httpx.Client) -> None:
    tag = _tag()
    mapping = _mapping("contact")
    assert mapping.outbound is not None
    values: dict[str, Any] = dict.fromkeys(mapping.outbound.fields)
    values.update(first_name="Ada", last_name=tag, email=f"ada.{tag}@example.com", title="CFO")
    values[GOLDEN] = f"K{tag}"
    row = PushRow(f"new-contact-K{tag}", values, True)
    first = connector.push(mapping, [row])
    assert (first.created, first.rejected) == (1, {})
    again = connector.push(mapping, [row])
    assert (again.created, again.updated) == (0, 0)
    contact_id = first.assigned_ids[row.target_id]
    detail = crm.get(f"contacts/{contact_id}/").json()["contact_obj"]
    assert detail["custom_fields"]["crmsync_golden_id"] == f"K{tag}"
    assert detail["title"] == "CFO"


def test_a_bad_token_is_fatal(bottlecrm_server: BottleCrmServer) -> None:
    bad = _connector(bottlecrm_server, token="bcrm_pat_not-a-real-token")
    try:
        with pytest.raises(FatalError, match="403"):
            bad.count(_mapping("customer"), PullWindow(None))
        with pytest.raises(FatalError):
            list(bad.pull(_mapping("product"), PullWindow(None)))
        assert bad.client.http.retries == 0
    finally:
        bad.close()


def test_won_deals_pull_as_orders_with_their_lines(
    connector: BottleCrmConnector, crm: httpx.Client
) -> None:
    tag = _tag()
    account = _create(crm, "accounts/", {"name": f"Orders {tag}"})
    product = _create(
        crm, "invoices/products/", {"name": "Gear", "sku": f"G{tag}", "price": "12.50"}
    )
    pipeline = crm.get("opportunities/pipelines/").json()["pipelines"][0]["id"]

    def deal(name: str) -> str:
        return _create(
            crm,
            "opportunities/",
            {
                "name": name,
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

    won, open_deal = deal(f"Won {tag}"), deal(f"Open {tag}")
    for line in (
        {"product_id": product, "quantity": "3", "unit_price": "12.50"},
        {
            "name": "Service",
            "quantity": "1",
            "unit_price": "100",
            "discount_type": "PERCENTAGE",
            "discount_value": "10",
        },
    ):
        added = crm.post(f"opportunities/{won}/line-items/", json=line)
        assert added.status_code in (200, 201), added.text
    assert crm.patch(f"opportunities/{won}/", json={"stage": "CLOSED_WON"}).status_code == 200

    mapping = _mapping("order")
    records = {r.source_id: r for r in connector.pull(mapping, PullWindow(None))}
    assert won in records and open_deal not in records
    assert connector.count(mapping, PullWindow(None)) == len(records)
    order = map_inbound(mapping, won, records[won].payload)
    assert isinstance(order, Order)
    assert order.customer_source_id == account
    assert order.total is not None and order.total.amount == Decimal("127.50")
    assert [(line.line_no, line.product_source_id) for line in order.lines] == [
        (1, product),
        (2, None),
    ]
    assert order.lines[1].discount == Decimal("10.00")
    assert order.lines[1].amount is not None and order.lines[1].amount.amount == Decimal("90.00")
    assert sum(line.amount.amount for line in order.lines if line.amount) == order.total.amount
