"""Change stamps and value comparison of the Tryton connector (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.tryton.adapter import same_value
from connectors.tryton.changes import _keys, changed_domain, row_stamp
from connectors.tryton.order import order_status


def test_row_stamp_is_the_newer_date_floored_to_the_millisecond() -> None:
    created = datetime(2026, 1, 1, 10, 0, 0, 999_999)
    written = datetime(2026, 1, 2, 10, 0, 0, 123_456)
    assert row_stamp({"create_date": created, "write_date": None}) == datetime(
        2026, 1, 1, 10, 0, 0, 999_000, tzinfo=UTC
    )
    assert row_stamp({"create_date": created, "write_date": written}) == datetime(
        2026, 1, 2, 10, 0, 0, 123_000, tzinfo=UTC
    )
    assert row_stamp({"create_date": None, "write_date": None}) is None


def test_changed_domain_is_naive_utc_on_both_dates() -> None:
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    naive = datetime(2026, 1, 1, 10, 0)
    assert changed_domain(None) == []
    assert changed_domain(start) == [
        "OR",
        ["write_date", ">=", naive],
        ["create_date", ">=", naive],
    ]


def test_keys_of_many2one_one2many_and_reference_values() -> None:
    assert list(_keys(7)) == [7]
    assert list(_keys([3, 4])) == [3, 4]
    assert list(_keys("sale.line,12")) == [12]
    assert list(_keys(None)) == [] and list(_keys("sale.line,")) == []


def test_same_value_treats_blank_and_numbers_alike() -> None:
    assert same_value(None, "") and same_value("  ", None)
    assert same_value("12.5000", "12.50") and same_value("13", 13)
    assert not same_value("12.50", "12.51") and not same_value(None, "x")
    assert same_value("Acme ", "Acme")


def test_order_status_from_tryton_states() -> None:
    assert order_status({"state": "cancelled", "invoice_state": "paid"}) == "cancelled"
    assert order_status({"state": "processing", "invoice_state": "paid"}) == "invoiced"
    assert order_status({"state": "processing", "shipment_state": "sent"}) == "shipped"
    assert order_status({"state": "draft"}) == "entered"
