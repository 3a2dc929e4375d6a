"""Tests of the gate entry point and of masking personal values."""

from __future__ import annotations

from quality.gate import failed_keys, validate
from quality.masking import mask, shown_value


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


def test_validate_runs_the_suite_and_lists_failures():
    rows = [("crm", "1", good_customer()), ("crm", "2", good_customer(name=None))]
    result = validate("customer", "staged", rows)
    assert failed_keys(result) == {("crm", "2")}
    name = next(o for o in result.outcomes if o.rule == "name_required")
    assert (name.checked, name.failed, name.stage) == (2, 1, "staged")


def test_masking_hides_personal_values():
    assert mask("jane.doe@example.com") == "j***@example.com"
    assert mask("+49 40 123456") == "+4*********56"
    assert shown_value("email", "jane@x.com") == "j***@x.com"
    assert shown_value("name", "Acme") == "Acme"
    assert shown_value("email", "jane@x.com", unmasked=True) == "jane@x.com"
