"""When a golden cost price is pushed to Tryton: differs, equal after rounding, currency.

The write itself (Tryton's ``product.modify_cost_price`` wizard) is proved against the
real server in tests/e2e/connectors/test_tryton.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.tryton.config import TrytonConfig
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.cost_price import (
    DEFAULT_DIGITS,
    CostPriceRefusedError,
    cost_price_change,
    digits_of,
)


def test_a_different_cost_price_is_written_rounded_as_tryton_stores_it() -> None:
    assert cost_price_change("7.2500", "8.123456", "EUR", "EUR", 4) == Decimal("8.1235")
    assert cost_price_change(Decimal("7.25"), 7.3, "eur", "EUR", 4) == Decimal("7.3000")


def test_a_new_variant_gets_any_given_cost_price() -> None:
    assert cost_price_change(None, "0", "EUR", "EUR", 4) == Decimal("0.0000")


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("7.2500", "7.25"),  # Tryton's scale vs the golden one
        ("7.2500", "7.250049"),  # a difference below Tryton's precision
        ("7.2500", Decimal("7.24995")),  # rounds half-even to Tryton's value
        ("0", 0),
    ],
)
def test_a_cost_price_equal_after_rounding_is_not_written(current: object, wanted: object) -> None:
    assert cost_price_change(current, wanted, "EUR", "EUR", 4) is None


def test_precision_follows_tryton_digits() -> None:
    assert cost_price_change("7.25", "7.254", "EUR", "EUR", 2) is None
    assert cost_price_change("7.25", "7.256", "EUR", "EUR", 2) == Decimal("7.26")


@pytest.mark.parametrize("wanted", [None, "", "  "])
def test_no_golden_cost_price_leaves_trytons_alone(wanted: object) -> None:
    assert cost_price_change("7.25", wanted, None, "EUR", 4) is None


def test_another_currency_is_refused_never_converted() -> None:
    with pytest.raises(CostPriceRefusedError) as refused:
        cost_price_change("7.25", "9.10", "USD", "EUR", 4)
    assert str(refused.value) == (
        "cost price 9.10 is in USD, the Tryton company's currency is EUR: cost prices are "
        "not converted, send it in EUR"
    )


def test_an_equal_amount_in_another_currency_is_still_refused() -> None:
    with pytest.raises(CostPriceRefusedError, match="is in USD"):
        cost_price_change("7.25", "7.25", "USD", "EUR", 4)


def test_a_cost_price_without_currency_is_refused() -> None:
    with pytest.raises(CostPriceRefusedError, match="is in no currency"):
        cost_price_change("7.25", "9.10", None, "EUR", 4)


def test_an_unknown_company_currency_is_refused() -> None:
    with pytest.raises(CostPriceRefusedError, match="company's currency is unknown"):
        cost_price_change("7.25", "9.10", "EUR", None, 4)


def test_a_cost_price_that_is_no_number_is_refused() -> None:
    with pytest.raises(CostPriceRefusedError, match="is not a number"):
        cost_price_change("7.25", "nine", "EUR", "EUR", 4)


def test_digits_come_from_fields_get() -> None:
    assert digits_of({"type": "numeric", "digits": [None, 4]}) == 4
    assert digits_of({"digits": [16, 2]}) == 2
    # Per-record digits (a field name) or none: Tryton's default price precision.
    assert digits_of({"digits": "currency_digits"}) == DEFAULT_DIGITS
    assert digits_of({}) == DEFAULT_DIGITS


def test_cost_price_push_is_off_unless_turned_on() -> None:
    settings = {"url": "https://erp.example", "database": "db", "login": "u", "password": "p"}
    assert TrytonConfig.model_validate(settings).push_cost_price is False
    on = TrytonConfig.model_validate({**settings, "push_cost_price": True})
    assert on.push_cost_price is True


def test_the_cost_price_counts_as_tryton_owned_while_push_is_off() -> None:
    settings = {"url": "http://127.0.0.1:1", "database": "d", "login": "u", "password": "p"}
    off = TrytonConnector("tryton", TrytonConfig.model_validate(settings))
    on = TrytonConnector(
        "tryton", TrytonConfig.model_validate({**settings, "push_cost_price": True})
    )
    try:
        assert off.unsent_fields("product") == ("cost_price",)
        assert off.unsent_fields("customer") == ()
        assert on.unsent_fields("product") == ()
    finally:
        off.close()
        on.close()
