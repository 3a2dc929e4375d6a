"""Tests of the row rules and masking."""

from __future__ import annotations

import pytest

from quality.gate import BatchBlockedError, enforce_failure_ratio, validate
from quality.masking import mask, shown_value
from quality.rules import check_record


def good_customer(**overrides):
    record = {
        "name": "Acme GmbH",
        "email": "info@acme.de",
        "currency": "EUR",
        "credit_limit": {"amount": "100", "currency": "EUR"},
        "bill_to": {"country": "DE"},
        "ship_to": {"country": None},
    }
    record.update(overrides)
    return record


def test_good_customer_passes():
    assert check_record("customer", good_customer()) == []


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"name": None}, "name_required"),
        ({"name": "   "}, "name_required"),
        ({"email": "info@@acme"}, "email_format"),
        ({"email": "acme.com"}, "email_format"),
        ({"currency": "EURO"}, "currency_iso4217"),
        ({"credit_limit": {"amount": "-1", "currency": "EUR"}}, "amount_non_negative"),
        ({"bill_to": {"country": "XX"}}, "country_iso3166"),
    ],
)
def test_bad_customer_fails_named_rule(overrides, rule):
    failures = check_record("customer", good_customer(**overrides))
    assert [f.rule for f in failures] == [rule]


def test_product_rules():
    bad = {"name": "Pump", "list_price": {"amount": "-5", "currency": "XXY"}}
    assert {f.rule for f in check_record("product", bad)} == {
        "price_non_negative",
        "currency_iso4217",
    }


def test_batch_gate_blocks_over_limit():
    enforce_failure_ratio("customer", 2, 10, 0.2)
    with pytest.raises(BatchBlockedError, match="3 of 10 changed records failed"):
        enforce_failure_ratio("customer", 3, 10, 0.2)


def test_validate_counts_rules_and_lists_failures():
    rows = [("crm", "1", good_customer()), ("crm", "2", good_customer(name=None))]
    result = validate("customer", "staged", rows)
    assert result.failed_keys() == {("crm", "2")}
    name = next(o for o in result.outcomes if o.rule == "name_required")
    assert (name.checked, name.failed, name.stage) == (2, 1, "staged")


def test_masking_hides_personal_values():
    assert mask("jane.doe@example.com") == "j***@example.com"
    assert mask("+49 40 123456") == "+4*********56"
    assert shown_value("email", "jane@x.com") == "j***@x.com"
    assert shown_value("name", "Acme") == "Acme"
    assert shown_value("email", "jane@x.com", unmasked=True) == "jane@x.com"
