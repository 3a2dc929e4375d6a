"""Tests of survivorship rules and lineage."""

from __future__ import annotations

from dedupe.survive import Member, survive


def member(key, system, **values):
    return Member(key, system, values)


def test_source_priority_per_field():
    members = [
        member("crm/1", "crm", name="acme", email="sales@acme.de", updated_at="2025-02-01"),
        member("erp/1", "erp", name="ACME GmbH", email="info@acme.de", updated_at="2025-01-01"),
    ]
    values, lineage = survive(members, {"default": ["erp", "crm"], "email": ["crm", "erp"]})
    assert values["name"] == "ACME GmbH"
    assert values["email"] == "sales@acme.de"
    assert lineage["name"] == {"record": "erp/1", "rule": "source priority"}


def test_missing_values_fall_through_to_next_source():
    members = [member("crm/1", "crm", phone="123"), member("erp/1", "erp", phone=None)]
    values, lineage = survive(members, {"default": ["erp", "crm"]})
    assert values["phone"] == "123"
    assert lineage["phone"]["rule"] == "only source"


def test_most_complete_address_then_most_recent():
    members = [
        member(
            "crm/1", "crm", bill_to={"city": "Hamburg", "street": None}, updated_at="2025-03-01"
        ),
        member(
            "crm/2",
            "crm",
            bill_to={"city": "Hamburg", "street": "Hafenstr. 1"},
            updated_at="2025-01-01",
        ),
        member("crm/3", "crm", name="old", updated_at="2025-01-01"),
        member("crm/4", "crm", name="new", updated_at="2025-06-01"),
    ]
    values, lineage = survive(members, {})
    assert values["bill_to"]["street"] == "Hafenstr. 1"
    assert lineage["bill_to"]["rule"] == "most complete"
    assert values["name"] == "new"
    assert lineage["name"]["rule"] == "most recent"


def test_deterministic_on_ties():
    members = [member("b", "crm", name="X"), member("a", "crm", name="Y")]
    values, lineage = survive(members, {})
    assert values["name"] == "Y"
    assert lineage["name"]["rule"] == "record key"
