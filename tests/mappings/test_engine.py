"""Tests of the mapping engine: inbound to the canonical model, outbound to target rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.engine import (
    MappingError,
    map_inbound,
    map_outbound,
    render_create_values,
    wrap_lines,
)
from mappings.loader import PACKAGED_MAPPINGS, find_mapping
from mappings.models import Customer, CustomerKind, Product


@pytest.fixture
def crm_customer():
    return find_mapping([PACKAGED_MAPPINGS], "sandbox_crm", "customer")


@pytest.fixture
def erp_customer():
    return find_mapping([PACKAGED_MAPPINGS], "sandbox_erp", "customer")


def crm_row(**overrides):
    row = {
        "account_id": "ACC-1",
        "account_name": "  Acme GmbH ",
        "account_type": "Company",
        "parent_account_id": None,
        "email": "info@acme.de",
        "billing_city": "Hamburg",
        "billing_country": "de",
        "credit_limit": "50000.00",
        "currency_code": "eur",
        "owner_email": "a@x.com; b@x.com",
        "modified_at": "2025-03-01T10:00:00+00:00",
    }
    row.update(overrides)
    return row


def test_inbound_maps_every_configured_field(crm_customer):
    record = map_inbound(crm_customer, "ACC-1", crm_row())
    assert isinstance(record, Customer)
    assert record.source.key() == "sandbox_crm/customer/ACC-1"
    assert record.name == "Acme GmbH"
    assert record.kind is CustomerKind.COMPANY
    assert record.bill_to.city == "Hamburg"
    assert record.bill_to.country == "DE"
    assert record.credit_limit is not None
    assert record.credit_limit.amount == Decimal("50000.00")
    assert record.credit_limit.currency == "EUR"
    assert record.owners == ("a@x.com", "b@x.com")
    assert record.updated_at is not None and record.updated_at.tzinfo is not None


def test_missing_amount_means_no_credit_limit(crm_customer):
    record = map_inbound(crm_customer, "ACC-1", crm_row(credit_limit=None))
    assert isinstance(record, Customer)
    assert record.credit_limit is None
    assert record.currency == "EUR"


def test_bad_decimal_names_field_and_column(crm_customer):
    with pytest.raises(MappingError) as caught:
        map_inbound(crm_customer, "ACC-1", crm_row(credit_limit="lots"))
    assert caught.value.field == "credit_limit.amount"
    assert caught.value.column == "credit_limit"
    assert caught.value.value == "lots"


def test_huge_value_is_a_mapping_error(crm_customer):
    with pytest.raises(MappingError) as caught:
        map_inbound(crm_customer, "ACC-1", crm_row(account_name="x" * 20_000))
    assert caught.value.field == "name"


def test_amount_without_currency_is_rejected(crm_customer):
    with pytest.raises(MappingError) as caught:
        map_inbound(crm_customer, "ACC-1", crm_row(currency_code=None))
    assert caught.value.field.startswith("credit_limit")


def test_erp_name_joins_two_columns(erp_customer):
    record = map_inbound(
        erp_customer,
        "0000100001",
        {"name1": "ACME HOLDING", "name2": "GMBH", "ktokd": "ORG", "aedat": "2025-01-01T00:00:00"},
    )
    assert isinstance(record, Customer)
    assert record.name == "ACME HOLDING GMBH"


def test_outbound_wraps_long_names_so_they_read_back_equal(erp_customer):
    name = "Müller Präzisionswerkzeuge und Maschinenbau Gesellschaft mbH"
    golden = {"name": name, "kind": "person", "bill_to": {"city": "Köln"}, "tax_id": None}
    row = map_outbound(erp_customer, golden)
    assert len(row["name1"]) <= 35 and len(row["name2"]) <= 35
    back = map_inbound(erp_customer, "1", {**row, "aedat": "2025-01-01T00:00:00"})
    assert isinstance(back, Customer)
    assert back.name == name
    assert row["ktokd"] == "PERS"
    assert row["ort01"] == "Köln"
    assert "klimk" not in row  # the ERP owns the credit limit


def test_wrap_lines_cuts_words_longer_than_the_width():
    assert wrap_lines("abc defgh", 4) == ["abc", "defg", "h"]
    assert wrap_lines("short", 35) == ["short"]


def test_create_values_derive_key_from_golden_id(crm_customer):
    new_id, values = render_create_values(crm_customer, "GC-1")
    assert new_id == "ACC-GC-1"
    assert "created_at" in values


def test_product_mapping_keeps_money_exact():
    spec = find_mapping([PACKAGED_MAPPINGS], "sandbox_erp", "product")
    record = map_inbound(
        spec,
        "M-1",
        {
            "matnr": "M-1",
            "maktx": "Pump",
            "kbetr": "0.10",
            "verpr": "0.07",
            "waers": "EUR",
            "aedat": "2025-01-01T00:00:00+00:00",
        },
    )
    assert isinstance(record, Product)
    assert record.list_price is not None and record.list_price.amount == Decimal("0.10")
    assert record.cost_price is not None and record.cost_price.amount == Decimal("0.07")
