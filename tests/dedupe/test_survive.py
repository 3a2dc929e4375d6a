"""Tests of survivorship rules and lineage."""

from __future__ import annotations

import pytest

from dedupe.survive import FieldRule, Member, Override, apply_overrides, survive


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


def test_most_recent_strategy_takes_the_newest_value_whatever_the_source():
    members = [
        member("erp/1", "erp", phone="111", updated_at="2025-01-01T00:00:00+00:00"),
        member("crm/1", "crm", phone="222", updated_at="2025-05-01T00:00:00+00:00"),
    ]
    rules: dict[str, FieldRule | list[str]] = {
        "default": ["erp", "crm"],
        "phone": FieldRule("most_recent"),
    }
    values, lineage = survive(members, rules)
    assert values["phone"] == "222"
    assert lineage["phone"] == {"record": "crm/1", "rule": "most recent"}


def test_most_complete_strategy_prefers_more_parts_then_longer_text():
    members = [
        member("erp/1", "erp", name="ACME", bill_to={"city": "Kiel", "street": None}),
        member(
            "crm/1", "crm", name="ACME Maschinenbau GmbH", bill_to={"city": "Kiel", "street": "A 1"}
        ),
    ]
    rules: dict[str, FieldRule | list[str]] = {
        "default": ["erp", "crm"],
        "name": FieldRule("most_complete"),
        "bill_to": FieldRule("most_complete"),
    }
    values, lineage = survive(members, rules)
    assert values["name"] == "ACME Maschinenbau GmbH"
    assert values["bill_to"]["street"] == "A 1"
    assert lineage["name"]["rule"] == lineage["bill_to"]["rule"] == "most complete"


def test_strategy_without_sources_breaks_ties_by_the_default_order():
    members = [
        member("crm/1", "crm", name="Same", updated_at="2025-01-01"),
        member("erp/1", "erp", name="Same!", updated_at="2025-01-01"),
    ]
    rules = {
        "default": FieldRule("source_priority", ("erp", "crm")),
        "name": FieldRule("most_recent"),
    }
    values, lineage = survive(members, rules)
    assert values["name"] == "Same!"
    assert lineage["name"]["rule"] == "source priority"


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown survivorship strategy"):
        FieldRule("loudest")


def test_overrides_replace_values_and_parts_with_steward_lineage():
    values = {"name": "Acme", "bill_to": {"city": "Kiel", "street": "A 1"}}
    lineage = {"name": {"record": "crm/1", "rule": "source priority"}}
    apply_overrides(
        values,
        lineage,
        [
            Override("name", "ACME AG", "carol", "2026-01-01"),
            Override("bill_to.city", "Hamburg", "dan"),
        ],
    )
    assert values == {"name": "ACME AG", "bill_to": {"city": "Hamburg", "street": "A 1"}}
    assert lineage["name"] == {
        "record": "steward:carol",
        "rule": "steward override",
        "at": "2026-01-01",
    }
    assert lineage["bill_to.city"]["record"] == "steward:dan"
