from __future__ import annotations

import pytest

from connectors.base import PullWindow, PushRow
from connectors.bottlecrm import BottleCrmConnector
from connectors.bottlecrm.resources import OPPORTUNITIES
from connectors.errors import FatalError
from connectors.registry import build_connector
from mappings.loader import PACKAGED_MAPPINGS, load_mapping
from mappings.spec import MappingSpec, SourceSpec
from tests.connectors.bottlecrm.fake import FakeBottleCrm

PRODUCTS = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_product.yaml")
CUSTOMERS = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_customer.yaml")


def _products() -> FakeBottleCrm:
    fake = FakeBottleCrm()
    # p3 and p1 share the newest stamp (the boundary); p4's stamp has no fraction.
    fake.products = [
        {"id": "p1", "name": "A", "sku": "A", "updated_at": "2026-03-01T10:00:00.500000Z"},
        {"id": "p2", "name": "B", "sku": "B", "updated_at": "2026-01-01T10:00:00.100000Z"},
        {"id": "p3", "name": "C", "sku": "C", "updated_at": "2026-03-01T10:00:00.500000Z"},
        {"id": "p4", "name": "D", "sku": "D", "updated_at": "2026-02-01T10:00:00Z"},
        {"id": "p5", "name": "E", "sku": "E", "rollup": 3, "updated_at": "2026-02-01T09:00:00Z"},
    ]
    return fake


def test_pull_orders_by_timestamp_then_id_with_fixed_width_stamps() -> None:
    records = list(_products().connector().pull(PRODUCTS, PullWindow(None)))
    assert [r.source_id for r in records] == ["p2", "p5", "p4", "p1", "p3"]
    assert records[2].updated_at == "2026-02-01T10:00:00.000000Z"
    assert records[2].payload["updated_at"] == records[2].updated_at
    assert "rollup" not in records[1].payload  # only the resource's own fields


def test_window_reads_the_boundary_again_unless_the_key_cursor_says_landed() -> None:
    connector = _products().connector()
    since = "2026-03-01T10:00:00.500000Z"
    assert [r.source_id for r in connector.pull(PRODUCTS, PullWindow(since))] == ["p1", "p3"]
    assert [r.source_id for r in connector.pull(PRODUCTS, PullWindow(since, "p1"))] == ["p3"]
    assert list(connector.pull(PRODUCTS, PullWindow(since, "p3"))) == []
    middle = "2026-02-01T10:00:00Z"
    assert [r.source_id for r in connector.pull(PRODUCTS, PullWindow(middle))] == [
        "p4",
        "p1",
        "p3",
    ]
    full = PullWindow(since, "p3", full_refresh=True)
    assert len(list(connector.pull(PRODUCTS, full))) == 5


def test_count_of_a_window_scans_once_and_the_pull_reuses_it() -> None:
    fake = _products()
    connector = fake.connector()
    window = PullWindow("2026-02-01T10:00:00Z", "p4")
    assert connector.count(PRODUCTS, window) == 2
    sent = len(fake.requests)
    assert [r.source_id for r in connector.pull(PRODUCTS, window)] == ["p1", "p3"]
    assert len(fake.requests) == sent, "the pull used the count's scan"
    assert len(list(connector.pull(PRODUCTS, window))) == 2
    assert len(fake.requests) > sent, "a second pull reads the server again"


def test_count_of_the_whole_list_is_the_servers_count() -> None:
    fake = _products()
    connector = fake.connector()
    assert connector.count(PRODUCTS, PullWindow(None)) == 5
    assert fake.requests[-1].url.params["limit"] == "1"


def test_stats_and_keys() -> None:
    fake = _products()
    connector = fake.connector()
    stats = connector.stats(PRODUCTS)
    assert (stats.total, stats.newest_change) == (5, "2026-03-01T10:00:00.500000Z")
    assert sorted(connector.keys(PRODUCTS)) == ["p1", "p2", "p3", "p4", "p5"]
    fake.products.pop(0)
    assert sorted(connector.keys(PRODUCTS)) == ["p2", "p3", "p4", "p5"]


def test_accounts_are_a_full_scan_without_timestamps() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [
        {
            "id": "b",
            "name": "Beta",
            "created_at": "2026-01-01T00:00:00Z",
            "custom_fields": {"crmsync_golden_id": "G1"},
            "assigned_to": [{"user_details": {"email": "z@x"}}, {"user_details": {"email": "a@x"}}],
            "tags": [{"name": "vip"}],
            "rollups": {"won_amount": "12"},
        },
        {"id": "a", "name": "Alpha", "is_active": False},
    ]
    connector = fake.connector()
    records = list(connector.pull(CUSTOMERS, PullWindow("2030-01-01T00:00:00Z")))
    assert [(r.source_id, r.updated_at) for r in records] == [("a", None), ("b", None)]
    beta = records[1].payload
    assert beta["custom_fields.crmsync_golden_id"] == "G1"
    assert beta["assigned_to"] == "a@x;z@x" and beta["tags"] == "vip"
    assert "rollups" not in beta
    assert connector.stats(CUSTOMERS).newest_change is None


def test_where_filters_client_side() -> None:
    fake = FakeBottleCrm()
    fake.accounts = [
        {"id": "a", "name": "A", "is_active": True},
        {"id": "b", "name": "B", "is_active": False},
    ]
    open_only = CUSTOMERS.model_copy(
        update={"source": SourceSpec(table="accounts", primary_key="id", where={"is_active": True})}
    )
    connector = fake.connector()
    assert [r.source_id for r in connector.pull(open_only, PullWindow(None))] == ["a"]
    assert connector.count(open_only, PullWindow(None)) == 1
    assert connector.stats(open_only).total == 1


def test_an_unknown_resource_is_fatal() -> None:
    mapping = MappingSpec(
        system="bottlecrm",
        entity="cost",
        source=SourceSpec(table="invoices", primary_key="id"),
        inbound={"cost_type": "status"},
    )
    with pytest.raises(FatalError, match="no resource 'invoices'"):
        list(FakeBottleCrm().connector().pull(mapping, PullWindow(None)))


def test_the_registry_builds_the_kind_and_hides_the_token() -> None:
    connector = build_connector(
        "crm",
        "bottlecrm",
        {"base_url": "https://crm.example.test", "token": "bcrm_pat_secret", "page_size": 50},
    )
    assert isinstance(connector, BottleCrmConnector)
    assert connector.config.page_size == 50
    assert "bcrm_pat_secret" not in repr(connector.config)
    connector.close()
    with pytest.raises(FatalError, match="token"):
        build_connector("crm", "bottlecrm", {"base_url": "https://crm.example.test"})


def test_won_deals_are_orders_with_numbered_lines_and_need_a_deal_key_to_be_pushed() -> None:
    orders = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_order.yaml")
    deal = {
        "id": "d1",
        "account": {"id": "a1", "name": "Acme"},
        "stage_kind": "won",
        "currency": "EUR",
        "amount": "127.50",
        "line_items": [
            {
                "id": "l2",
                "order": 0,
                "created_at": "2026-01-02T00:00:00Z",
                "product": None,
                "quantity": "1.00",
                "unit_price": "100.00",
                "discount_amount": "10.00",
                "total": "90.00",
            },
            {
                "id": "l1",
                "order": 0,
                "created_at": "2026-01-01T00:00:00Z",
                "product": {"id": "p1"},
                "quantity": "3.00",
                "unit_price": "12.50",
                "discount_amount": "0.00",
                "total": "37.50",
            },
        ],
    }
    columns = OPPORTUNITIES.columns(deal)
    assert columns["account"] == "a1"
    assert [(line["line_no"], line["product_source_id"]) for line in columns["lines"]] == [
        (1, "p1"),
        (2, None),
    ]
    assert columns["lines"][0]["unit_price"] == {"amount": "12.50", "currency": "EUR"}
    # Deals are pushed by connectors/bottlecrm/deals.py, keyed on a deal field (a custom
    # field cannot be looked up before the deal exists).
    with pytest.raises(FatalError, match="golden_id_column naming a deal field"):
        FakeBottleCrm().connector().push(
            orders.model_copy(update={"outbound": CUSTOMERS.outbound}),
            [PushRow("d1", {}, False)],
        )
